"""Bad files are per-file problems: each gets exactly one warning naming the file and what is
wrong, the build completes with the rest, and `qa build --check` lists them without building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.cli import main
from qa.config import Settings
from qa.index import build, load_index
from qa.ingest import load_corpus

TITLE = "淄川区政协会议隆重开幕"
BODY = "2月7日上午，政协淄川区第十二届委员会第五次会议在区人民会堂隆重开幕。本次会议应到委员248名。"

# file name -> (what it holds, the words its warning must contain)
BAD: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "empty file"),
    "picture.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 20, "binary file"),
    "control.md": (bytes(range(1, 9)) * 200, "binary file"),
    "broken-front.md": (f"---\ntitle: [未闭合\nsource: 淄博日报\n---\n{BODY}".encode(), "broken front matter"),
    "unclosed-front.md": (f"---\ntitle: {TITLE}\nsource: 淄博日报\n{BODY}".encode(), "broken front matter"),
    "undecodable.txt": (b"\xff\xfe\xfd" + "正文".encode() + b"\xff" * 10, "cannot be decoded as UTF-8 or GB18030"),
    "reprint.md": (f"---\ntitle: 另一个标题\n---\n{BODY}".encode(), "duplicate"),
}


def write_corpus(root: Path) -> Path:
    root.mkdir()
    (root / "good.md").write_text(f"---\ntitle: {TITLE}\nsource: 淄博日报\n---\n{BODY}", encoding="utf-8")
    (root / "gbk.txt").write_bytes(f"济南淄博同城化协议签约\n{BODY.replace('淄川区', '临淄区')}".encode("gb18030"))
    (root / "bom.md").write_bytes(f"---\ntitle: 带BOM的文章\n---\n{BODY.replace('248', '250')}".encode("utf-8-sig"))
    for name, (data, _) in BAD.items():
        (root / name).write_bytes(data)
    with open(root / "huge.txt", "wb") as f:  # 50 MB, sparse: the size alone is the problem
        f.truncate(50 * 2**20)
    return root


@pytest.fixture
def corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "corpus")


def test_gb18030_and_bom_files_are_read_correctly(corpus):
    articles = {a.id: a for a in load_corpus(corpus).articles}
    assert articles["gbk"].title == "济南淄博同城化协议签约" and "临淄区" in articles["gbk"].text
    assert articles["bom"].title == "带BOM的文章"  # the BOM does not hide the front matter
    assert articles["bom"].text.startswith("2月7日上午") and "\ufeff" not in articles["bom"].text


def test_each_bad_file_gets_exactly_one_warning_naming_it(corpus):
    report = load_corpus(corpus)
    assert sorted(a.id for a in report.articles) == ["bom", "gbk", "good"]
    expected = {**{name: what for name, (_, what) in BAD.items()}, "huge.txt": "50 MB is larger than the 20 MB limit"}
    assert len(report.warnings) == len(expected)
    for name, what in expected.items():
        [warning] = [w for w in report.warnings if w.startswith(f"{name}: ")]
        assert what in warning and warning.endswith("; skipped")
    [dup] = [w for w in report.warnings if w.startswith("reprint.md")]
    assert "'good'" in dup and "good.md" in dup  # names the article it repeats


def test_build_completes_with_the_readable_files(corpus, tmp_path, fake_embedder):
    index, summary = build(Settings(corpus_dir=corpus, index_dir=tmp_path / "idx"), quiet=True)
    assert sorted(index.articles) == ["bom", "gbk", "good"] and summary.added == 3
    assert list(summary.warnings) == list(load_corpus(corpus).warnings)
    assert sorted(load_index(tmp_path / "idx").articles) == ["bom", "gbk", "good"]


def test_unreadable_file_is_a_warning(corpus, monkeypatch):
    secret = corpus / "secret.txt"
    secret.write_text(BODY + "另一篇。", encoding="utf-8")
    read_bytes = Path.read_bytes

    def denied(path: Path) -> bytes:  # as root, chmod 0 would not stop the read
        if path.name == secret.name:
            raise PermissionError(13, "Permission denied")
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    report = load_corpus(corpus)
    assert [w for w in report.warnings if w.startswith("secret.txt")] == [
        "secret.txt: cannot be read (Permission denied); skipped"]


def test_check_lists_problems_and_writes_nothing(corpus, tmp_path, capsys):
    index_dir = tmp_path / "idx"
    argv = ["build", "--check", "--corpus", str(corpus), "--index", str(index_dir)]
    assert main(argv) == 1  # problems found: a non-zero status for scripts
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 articles readable, 8 problems."
    for name in [*BAD, "huge.txt"]:
        assert sum(line.startswith(f"warning: {name}: ") for line in out) == 1
    assert not index_dir.exists()

    assert main([*argv, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == 3 and len(report["warnings"]) == 8
    assert not index_dir.exists()


def test_check_of_a_clean_corpus_succeeds(small_corpus, tmp_path, capsys):
    assert main(["build", "--check", "--corpus", str(small_corpus), "--index", str(tmp_path / "idx")]) == 0
    assert capsys.readouterr().out == "3 articles readable, 0 problems.\n"
    assert not (tmp_path / "idx").exists()
