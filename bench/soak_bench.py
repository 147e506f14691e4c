"""Load soak of the chat page's API: many questions from concurrent clients against `python app.py`.

    python bench/soak_bench.py [--questions 2000] [--clients 20] [--index DIR] [--timeout 300]

Starts the page on the bundled corpus (127.0.0.1, a free port; a fresh index in a temporary
directory unless --index names one), asks every distinct request once from a single client (the
reference answers), then sends --questions requests from --clients concurrent clients, drawn from
eval/questions.jsonl plus a few hostile ones (empty, 100,000 characters, emoji only, a bad date,
an unknown outlet), stops the page and prints: served / refused / error counts, p50 / p95 latency,
the page's RSS after the first 200 concurrent requests and at the end, whether every reply equals
the single-client reply to the same request, and what the server log holds.

Exits 1 when a request got an error response (anything but an answer or a clean refusal), the RSS
grew more than 10% after the first 200, a reply differed from the single-client one, or the server
log holds a traceback or not exactly one line per refused request.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradio_client import Client
from gradio_client.exceptions import AppError

ROOT = Path(__file__).resolve().parents[1]
FIRST = "淄川区政协会议应到委员多少名？"
# Refused (the first five) or answered (the follow-up), mixed in with the question set's questions.
HOSTILE: list[dict[str, Any]] = [
    {"question": ""}, {"question": "问" * 100_000}, {"question": "😀🎉👍"},
    {"question": FIRST, "date_from": "2021-13-45"}, {"question": FIRST, "sources": ["不存在日报"]},
    {"question": "那实到多少人？", "previous": [FIRST]},
]
RSS_AFTER = 200  # requests: RSS is compared from here on, once caches are warm
MAX_GROWTH = 10.0  # percent
REFUSAL_LINE = "qa: refused an API question: "


@dataclass(frozen=True)
class Outcome:
    """What one request got back: an answer ("served"), a clean refusal ("refused", its sentence),
    the queue's refusal ("full") or anything else ("error")."""

    kind: str
    value: Any
    seconds: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def requests_from(path: Path) -> list[dict[str, Any]]:
    """The question set's questions as requests, then the hostile ones."""
    lines = path.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    return [{"question": q} for q in dict.fromkeys(questions)] + HOSTILE


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux: /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_page(index: Path, log: Path, wait: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(index),
               "--corpus", str(ROOT / "corpus")]
    with open(log, "w", encoding="utf-8") as out:
        child = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"the page exited while starting:\n{log.read_text(encoding='utf-8')}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return child, url
        except OSError:
            time.sleep(1)
    child.terminate()
    raise SystemExit(f"the page did not start within {wait:.0f} s")


def client(url: str) -> Client:
    # download_files=False: quotes carry a "path" the client would take for a file to fetch.
    return Client(url, analytics_enabled=False, verbose=False, download_files=False)


def ask(c: Client, request: dict[str, Any], timeout: float) -> Outcome:
    started = time.perf_counter()
    try:
        result = c.submit(api_name="/ask", **request).result(timeout=timeout)
        kind, value = "served", result
    except AppError as err:
        message = str(err)
        kind = "full" if "queue" in message.lower() and "full" in message.lower() else "refused"
        value = message
    except Exception as err:  # a timeout, a dropped connection, a malformed reply
        kind, value = "error", f"{type(err).__name__}: {err}"
    return Outcome(kind, value, time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def soak(url: str, pid: int, plan: list[int], pool: list[dict[str, Any]], clients: int,
         timeout: float) -> tuple[list[tuple[int, Outcome]], float]:
    """Send ``pool[i]`` for each i of ``plan`` from ``clients`` threads, each with its own client;
    returns (request, outcome) pairs and the page's RSS once RSS_AFTER requests were done."""
    lock = threading.Lock()
    todo = iter(plan)
    done: list[tuple[int, Outcome]] = []
    rss_at = [float("nan")]

    def worker(_: int) -> None:
        c = client(url)
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            outcome = ask(c, pool[i], timeout)
            with lock:
                done.append((i, outcome))
                if len(done) == min(RSS_AFTER, len(plan)):
                    rss_at[0] = rss_mb(pid)

    with ThreadPoolExecutor(clients) as threads:
        list(threads.map(worker, range(clients)))
    return done, rss_at[0]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", type=int, default=2000, metavar="N", help="requests to send (default 2000)")
    p.add_argument("--clients", type=int, default=20, metavar="C", help="concurrent clients (default 20)")
    p.add_argument("--set", default=str(ROOT / "eval" / "questions.jsonl"), help="question set (JSON Lines)")
    p.add_argument("--index", help="index directory to serve (default: a fresh one in a temporary directory)")
    p.add_argument("--timeout", type=float, default=300, help="seconds one request may take (default 300)")
    p.add_argument("--start-wait", type=float, default=600, help="seconds the page may take to start")
    args = p.parse_args()
    if args.questions < 1 or args.clients < 1:
        p.error("--questions and --clients take a whole number of 1 or more")

    pool = requests_from(Path(args.set))
    plan = [i % len(pool) for i in range(args.questions)]
    random.Random(0).shuffle(plan)  # the same mix in every run, spread over the run

    with tempfile.TemporaryDirectory(prefix="qa-soak-") as tmp:
        log = Path(tmp) / "page.log"
        index = Path(args.index).resolve() if args.index else Path(tmp) / "index"
        started = time.perf_counter()
        child, url = start_page(index, log, args.start_wait)
        try:
            print(f"page up at {url} in {time.perf_counter() - started:.0f} s (pid {child.pid})", flush=True)
            started = time.perf_counter()
            single = client(url)
            reference = [ask(single, request, args.timeout) for request in pool]
            counts = {k: sum(o.kind == k for o in reference) for k in ("served", "refused", "full", "error")}
            print(f"single client: {len(pool)} distinct requests, {counts['served']} served, "
                  f"{counts['refused']} refused, {counts['error'] + counts['full']} errors "
                  f"in {time.perf_counter() - started:.0f} s", flush=True)
            started = time.perf_counter()
            done, rss_first = soak(url, child.pid, plan, pool, args.clients, args.timeout)
            elapsed = time.perf_counter() - started
            rss_end = rss_mb(child.pid)
        finally:
            child.terminate()
            child.wait(timeout=30)
        log_text = log.read_text(encoding="utf-8", errors="replace")

    kinds = {k: sum(o.kind == k for _, o in done) for k in ("served", "refused", "full", "error")}
    differ = [(i, o) for i, o in done if o.kind in ("served", "refused")
              and (o.kind, o.value) != (reference[i].kind, reference[i].value)]
    errors = [o for o in reference if o.kind in ("error", "full")] + [o for _, o in done if o.kind == "error"]
    served_s = [o.seconds for _, o in done if o.kind == "served"]
    all_s = [o.seconds for _, o in done]
    growth = (rss_end - rss_first) / rss_first * 100
    refused_total = counts["refused"] + kinds["refused"]
    log_refusals = sum(line.startswith(REFUSAL_LINE) for line in log_text.splitlines())
    tracebacks = log_text.count("Traceback")

    print(f"soak: {args.questions} requests from {args.clients} clients in {elapsed:.0f} s "
          f"({args.questions / elapsed:.1f} requests/s)")
    print(f"served {kinds['served']} · refused {kinds['refused']} (and {kinds['full']} by a full queue) · "
          f"errors {kinds['error']}")
    print(f"latency p50 {percentile(all_s, .5):.2f} s · p95 {percentile(all_s, .95):.2f} s (all requests); "
          f"served p50 {percentile(served_s, .5):.2f} s · p95 {percentile(served_s, .95):.2f} s")
    print(f"page RSS {rss_first:.0f} MB after the first {min(RSS_AFTER, len(plan))} requests, {rss_end:.0f} MB "
          f"at the end ({growth:+.1f}%)")
    print(f"replies equal to the single-client reply: {len(done) - len(differ) - kinds['error'] - kinds['full']}"
          f"/{len(done)} ({len(differ)} differed)")
    print(f"server log: {log_refusals} refusal lines for {refused_total} refused requests, {tracebacks} tracebacks")
    for i, o in differ[:3]:
        print(f"  differed: {pool[i]['question'][:40]!r}: {str(o.value)[:200]}")
    for o in errors[:3]:
        print(f"  error: {str(o.value)[:200]}")

    failures = [reason for reason, bad in [
        (f"{len(errors)} error responses", errors),
        (f"RSS grew {growth:.1f}% (more than {MAX_GROWTH:.0f}%)", growth > MAX_GROWTH),
        (f"{len(differ)} replies differed from the single-client reply", differ),
        (f"{tracebacks} tracebacks in the server log", tracebacks),
        (f"{log_refusals} refusal lines in the server log for {refused_total} refused requests",
         log_refusals != refused_total),
    ] if bad]
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
