"""Reading users' articles: formats, encodings, front matter, titles, dates; the bundled corpus."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import CORPUS, SEEDS

from qa.config import ROOT
from qa.errors import CorpusError
from qa.ingest import infer_year, load_corpus, parse_date

BODY = "2月7日上午，政协会议在区人民会堂隆重开幕。\n本次会议应到委员248名。2021年是开局之年。"


def test_txt_first_line_is_the_title(tmp_path):
    (tmp_path / "a.txt").write_text("会议隆重开幕\n" + BODY, encoding="utf-8")
    [art] = load_corpus(tmp_path).articles
    assert art.id == "a" and art.title == "会议隆重开幕" and art.text.startswith("2月7日上午")
    assert art.date == "2021-02-07"  # the year follows from the content
    assert art.path == f"{tmp_path.name}/a.txt"


def test_markdown_front_matter(tmp_path):
    (tmp_path / "b.md").write_text(
        "---\ntitle: 标题\nsource: 齐鲁晚报\ndate: 2021年2月7日\nurl: https://example.org/x\n---\n" + BODY,
        encoding="utf-8")
    [art] = load_corpus(tmp_path).articles
    assert (art.title, art.source, art.date, art.url) == ("标题", "齐鲁晚报", "2021-02-07", "https://example.org/x")
    assert art.text.startswith("2月7日上午")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings(tmp_path, encoding):
    (tmp_path / "c.txt").write_bytes(("淄川区政协会议\n" + BODY).encode(encoding))
    [art] = load_corpus(tmp_path).articles
    assert art.title == "淄川区政协会议" and "应到委员248名" in art.text


def test_json_and_jsonl(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps([{"title": "甲", "text": BODY, "source": "大众日报",
                                                  "date": "2021-02-26"}], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "e.jsonl").write_text(
        json.dumps({"id": "e1", "title": "乙", "text": "济南淄博同城化战略签约。"}, ensure_ascii=False)
        + "\n{not json\n" + json.dumps({"title": "丙"}, ensure_ascii=False) + "\n", encoding="utf-8")
    report = load_corpus(tmp_path)
    assert {a.id: a.title for a in report.articles} == {"d-1": "甲", "e1": "乙"}
    assert any("e.jsonl: line 2" in w for w in report.warnings)
    assert any("record 2" in w and "text" in w for w in report.warnings)


def test_bad_files_are_warnings_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text("标题\n" + BODY, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa\x80" * 10)
    report = load_corpus(tmp_path)
    assert [a.id for a in report.articles] == ["good"]
    assert len(report.warnings) == 3
    for name in ("empty.txt", "blank.md", "bad.txt"):
        assert sum(w.startswith(name) for w in report.warnings) == 1


def test_no_articles_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="No readable article"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing")


def test_year_inference_and_dates():
    assert infer_year("2020年是不平凡的一年。2021年是开局之年，2021年要做好工作。") == 2021
    assert parse_date("2月26日", "2021年2月26日市十五届人大常委会") == "2021-02-26"
    assert parse_date("2026/1/13", "") == "2026-01-13"
    assert parse_date(None, "没有日期") is None


def test_bundled_corpus_has_every_seed_article_with_metadata():
    articles = load_corpus(CORPUS).articles
    assert len(articles) == 17
    for a in articles:
        assert a.title and a.source and a.text
        assert a.date and a.date[:4] in {"2021", "2023", "2026"}
    text = "\n".join(a.text for a in articles)
    # Hard breaks inside sentences are joined; page furniture is gone.
    assert "中国人民政治协商会议第十二届淄川区委员会第五次会议" in text
    for furniture in ("分享至", "特别声明", "网易首页", "Notice:", "无障碍浏览"):
        assert furniture not in text


def test_seed_import_reproduces_the_bundled_corpus(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "import_seeds.py"), str(SEEDS), str(tmp_path)],
                   check=True, capture_output=True)
    made = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.md")}
    kept = {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.md")}
    assert made == kept
