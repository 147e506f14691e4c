"""The page's server log: started as users start it (`python app.py`), it writes exactly one line per
refused request, the sentence the client was sent, and no stack trace; answered requests add nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from qa.config import ROOT
from qa.page import LiveAnswerer, refusal_line

FIRST = "淄川区政协会议应到委员多少名？"
STARTUP = 180  # seconds: loading the index and the reader on a busy 2-core machine
# Refused for the question, a filter or an argument; the last three printed gradio's traceback before.
REFUSED = [{"question": ""}, {"question": "😀🎉👍"}, {"question": "问" * 10_000},
           {"question": FIRST, "date_from": "2021-13-45"}, {"question": FIRST, "sources": ["不存在日报"]},
           {"question": FIRST, "date_from": "2023-12-31", "date_to": "2023-01-01"},
           {"question": "那实到多少人？", "previous": 3}, {"question": FIRST, "sources": 5},
           {"question": FIRST, "top_k": 0}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_page(bundled_settings, tmp_path_factory):
    """(url, path of its stderr) of `python app.py` over the bundled index, run as a child process."""
    log = tmp_path_factory.mktemp("page") / "stderr.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(bundled_settings.index_dir),
               "--corpus", str(bundled_settings.corpus_dir)]
    with open(log, "w", encoding="utf-8") as err:
        child = subprocess.Popen(command, cwd=ROOT, stdout=err, stderr=subprocess.STDOUT,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + STARTUP
        while True:
            assert child.poll() is None, f"the page exited: {log.read_text(encoding='utf-8')}"
            assert time.monotonic() < deadline, f"the page did not start in {STARTUP} s"
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        yield url, log
    finally:
        child.terminate()
        child.wait(timeout=30)


def log_lines(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines()


def test_one_line_per_refused_request_and_no_traceback(served_page):
    url, log = served_page
    c = Client(url, analytics_enabled=False, verbose=False, download_files=False)
    before = len(log_lines(log))
    sent: list[str] = []
    for request in REFUSED:
        with pytest.raises(AppError) as refused:
            c.predict(api_name="/ask", **request)
        sent.append(str(refused.value))
        assert c.predict(question=FIRST, api_name="/ask")["quotes"]  # answered: no line
    # Each line is written before the refusal is sent, so all of them are there now.
    lines = log_lines(log)
    assert lines[before:] == [refusal_line(message, "an API question") for message in sent]
    assert not any("Traceback" in line or line.startswith("  File ") for line in lines), "\n".join(lines)


def test_a_refused_chat_question_logs_one_line(bundled_settings, capsys):
    """The chat box's refusals are logged the same way (the page's private handler, called directly)."""
    import app

    page = app.Page(LiveAnswerer(bundled_settings, quiet=True))
    capsys.readouterr()
    _, history, asked = page.respond("😀", [], [], [], "", "")
    err = capsys.readouterr().err
    assert asked == [] and "qa-error" in history[-1]["content"]
    assert err.count("\n") == 1 and err.startswith("qa: refused a question: ") and "Traceback" not in err
