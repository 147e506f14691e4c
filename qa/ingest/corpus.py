"""corpus/ -> list[Article]: txt, md (optional front matter; rendered to the text a reader sees,
`qa.ingest.markdown_text`), json and jsonl files; news pages, Word files and PDFs through
`qa.ingest.documents`. Reprints of one story are grouped (`qa.ingest.reprints`).

Problems with one file (undecodable, empty, binary, too large, broken front matter, a duplicate,
removed while the corpus is read) are warnings that name the file; the rest of the corpus is still read.

Symbolic links inside the corpus are never followed, whether they point to files or directories
(the corpus directory itself may be a link). A link that points outside the corpus, or to nothing,
is skipped with a warning naming it: following it would read files the corpus owner never put there.
A link that stays inside is skipped silently, because what it points to is read under its own name
(following it would only make a duplicate). Entries that are not regular files (a directory named
``news.txt``, a pipe) are not articles and are passed over silently.

File names need not be UTF-8: one that is not is read as GB18030, and failing that its odd bytes
become ``\\xNN`` escapes in article ids, file references and warnings, so that they print and are
written to the index like any other text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import yaml

from qa.errors import CorpusError
from qa.ingest.dates import parse_date
from qa.ingest.html_pages import read_html
from qa.ingest.markdown_text import markdown_text
from qa.ingest.pdf_files import read_pdf
from qa.ingest.reprints import mark_reprints
from qa.ingest.word_files import read_docx
from qa.records import Article
from qa.text.lines import join_hard_breaks

# News pages, Word files and PDFs: each read by its library (`qa.ingest.documents`).
DOCUMENT_READERS = {".html": read_html, ".htm": read_html, ".docx": read_docx, ".pdf": read_pdf}
SUFFIXES = {".txt", ".md", ".json", ".jsonl"} | set(DOCUMENT_READERS)
# Recorded in the index: a change to how files become article text makes existing indexes re-read
# their corpus (articles whose text is unchanged keep their vectors). 2: Markdown rendered.
INGEST_VERSION = 2
MAX_FILE_BYTES = 20 * 1024 * 1024  # a news archive file is kilobytes; 20 MB is a mistake
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_FRONT_OPEN = re.compile(r"\A---[ \t]*\n")
# C0 control characters other than whitespace: text never holds them, binary data does.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# JSON can spell lone surrogates (\ud800): not text, and encoding one to UTF-8 fails later.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class CorpusReport:
    articles: tuple[Article, ...]
    warnings: tuple[str, ...] = field(default=())


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, strictly; then GB18030.

    The order matters: UTF-8 bytes often decode "successfully" as GB18030 into garbage.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _clean(value: object) -> str | None:
    return _text(value).strip() or None if value is not None else None


def _text(value: object) -> str:
    """``value`` as text that encodes as UTF-8: a lone surrogate becomes U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", str(value))


def display_name(path: PurePath | str) -> str:
    """A file name as printable text. Python keeps bytes that are not UTF-8 as lone surrogates, which
    crash printing and JSON writing; such a name is read as GB18030 as file contents are (archives
    made on Chinese Windows name their files so), and failing that its odd bytes become \\xNN escapes."""
    raw = os.fsencode(path)
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


def _article(aid: str, meta: dict, body: str, path: str) -> Article:
    title = _clean(meta.get("title"))
    if not title:
        # No title given: the first line is the title and the rest is the text. Split before
        # joining hard breaks, which would join a long title to the first paragraph.
        first, _, rest = body.strip().partition("\n")
        title, body = _text(first.lstrip("#").strip()), rest if rest.strip() else first
    text = join_hard_breaks(_text(body)).strip()
    return Article(
        id=aid, title=title, text=text, path=path, source=_clean(meta.get("source")),
        date=parse_date(meta.get("date"), text), url=_clean(meta.get("url")),
    )


def _text_file(file: Path, raw: str, aid: str, path: str) -> list[Article]:
    meta: dict = {}
    if _FRONT_OPEN.match(raw) and not _FRONT.match(raw):
        # Read on, the whole header would become the article's title and text.
        raise CorpusError("broken front matter (the opening --- line has no closing --- line)")
    if m := _FRONT.match(raw):
        try:
            meta = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as err:
            raise CorpusError(f"broken front matter ({str(err).splitlines()[0]})") from err
        if not isinstance(meta, dict):
            raise CorpusError("broken front matter (expected key: value lines)")
        raw = raw[m.end():]
    if file.suffix.lower() == ".md":
        raw = markdown_text(raw)  # the text the rendered page shows, not its markup
    if not raw.strip():
        raise CorpusError("no article text")
    return [_article(aid, meta, raw, path)]


def _json_records(file: Path, raw: str, label: str) -> tuple[list[dict], list[str]]:
    warnings: list[str] = []
    if file.suffix == ".jsonl":
        records = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                warnings.append(f"{label}: line {n} is not valid JSON ({err.msg}); skipped")
        return records, warnings
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise CorpusError(f"not valid JSON ({err.msg} at line {err.lineno})") from err
    return (data if isinstance(data, list) else [data]), warnings


def _json_file(file: Path, raw: str, stem: str, path: str, label: str) -> tuple[list[Article], list[str]]:
    records, warnings = _json_records(file, raw, label)
    articles = []
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, dict) or not str(rec.get("text") or "").strip():
            warnings.append(f"{label}: record {n} has no \"text\"; skipped")
            continue
        aid = str(rec.get("id") or f"{stem}-{n}")
        articles.append(_article(aid, rec, str(rec["text"]), path))
    if not articles and not warnings:
        raise CorpusError("no article in it")
    return articles, warnings


def read_file(file: Path, root: Path) -> tuple[list[Article], list[str]]:
    """The articles of one file and the warnings about it; raises CorpusError for the whole file."""
    try:
        # lstat, not stat: the entry is checked as listed (a link is never followed, even one put in
        # place after the listing). The size is checked before reading: a huge file is a mistake.
        info = file.lstat()
        if stat.S_ISLNK(info.st_mode):
            raise CorpusError("a symbolic link, not followed")
        if not stat.S_ISREG(info.st_mode):
            raise CorpusError("not a regular file")
        if info.st_size == 0:
            raise CorpusError("empty file")
        if info.st_size > MAX_FILE_BYTES:
            raise CorpusError(f"{info.st_size / 2**20:.0f} MB is larger than the {MAX_FILE_BYTES // 2**20} MB limit")
        data = file.read_bytes()
    except FileNotFoundError as err:
        raise CorpusError("removed before it could be read") from err
    except OSError as err:
        raise CorpusError(f"cannot be read ({err.strerror or type(err).__name__})") from err
    rel = file.relative_to(root)
    stem = display_name(rel.with_suffix("").as_posix()).replace("/", "__")
    path = display_name((Path(root.name) / rel).as_posix())
    if reader := DOCUMENT_READERS.get(file.suffix.lower()):
        return [reader(data, stem, path)], []
    if b"\x00" in data[:8192]:
        raise CorpusError("binary file, not text")
    try:
        raw = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as err:
        raise CorpusError("cannot be decoded as UTF-8 or GB18030") from err
    if len(_CONTROL.findall(raw[:8192])) > 8:
        # Binary data without NUL bytes can still decode as GB18030; control characters give it away.
        raise CorpusError("binary file, not text")
    if not raw.strip():
        raise CorpusError("no text in it")
    if file.suffix in (".json", ".jsonl"):
        return _json_file(file, raw, stem, path, display_name(rel.as_posix()))
    return _text_file(file, raw, stem, path), []


def corpus_files(root: Path) -> list[Path]:
    """The files that can hold articles, in a stable order (README files are documentation)."""
    return article_files(Path(root))[0]


def article_files(root: Path) -> tuple[list[Path], list[str]]:
    """The files that can hold articles, and a warning for each link that leads outside or nowhere
    (see the module docstring)."""
    warnings: list[str] = []
    return [Path(e.path) for e in article_entries(Path(root), warnings)], warnings


def article_entries(root: Path, warnings: list[str]) -> Iterator[os.DirEntry]:
    """The directory entries of the files that can hold articles, in sorted path order; a warning is
    added to ``warnings`` for each link that leads outside or nowhere. Hidden files and directories
    (``.git/``) are passed over. One ``scandir`` per directory: its entries know whether they are
    files, directories or links without a ``stat`` each, which keeps listing a corpus of 10^6
    files to seconds (the page does it at every start, `qa.index.freshness`)."""
    inside = root.resolve()

    def walk(directory: str) -> Iterator[os.DirEntry]:
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:  # removed or unreadable while listed: nothing to read there
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from walk(entry.path)
                continue
            wanted = _is_article_name(entry.name)
            if not entry.is_symlink():
                if wanted and entry.is_file(follow_symlinks=False):
                    yield entry
                continue
            _check_link(Path(entry.path), root, inside, wanted, warnings)

    return walk(str(root))


def _is_article_name(name: str) -> bool:
    path = PurePath(name)
    return path.suffix.lower() in SUFFIXES and path.stem.upper() != "README"


def _check_link(p: Path, root: Path, inside: Path, wanted: bool, warnings: list[str]) -> None:
    """A link is never followed; one to an article file or a directory outside the corpus, or to
    nothing, is named in a warning."""
    label = display_name(p.relative_to(root).as_posix())
    try:
        target = p.resolve()  # the link's final target, whether or not it exists
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        if wanted:
            warnings.append(f"{label}: a link that leads round in a loop; skipped")
        return
    if not (wanted or target.is_dir()):
        return
    if not target.is_relative_to(inside):
        what = "directory" if target.is_dir() else "file"
        warnings.append(f"{label}: a link to a {what} outside the corpus, not followed; skipped")
    elif not target.exists():
        warnings.append(f"{label}: a link to a file that does not exist; skipped")


def load_corpus(root: Path) -> CorpusReport:
    """Every article under ``root``; per-file problems become warnings naming the file."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"The corpus directory {root} does not exist; pass --corpus DIR with your articles.")
    articles: list[Article] = []
    files, warnings = article_files(root)
    seen_ids: set[str] = set()
    seen_text: dict[str, list[Article]] = {}
    for file in files:
        label = display_name(file.relative_to(root).as_posix())
        try:
            found, notes = read_file(file, root)
        except CorpusError as err:
            warnings.append(f"{label}: {err}; skipped")
            continue
        warnings.extend(notes)
        for art in found:
            digest = hashlib.sha256(art.text.encode()).hexdigest()
            if art.id in seen_ids:
                warnings.append(f"{label}: article id {art.id!r} is used twice; skipped")
            elif (copies := seen_text.get(digest)) and not _new_outlet(art, copies):
                first = copies[0]
                warnings.append(f"{label}: same text as article {first.id!r} ({first.path}), a duplicate; skipped")
            else:
                seen_ids.add(art.id)
                seen_text.setdefault(digest, []).append(art)
                articles.append(art)
    if not articles:
        raise CorpusError(f"No readable article in {root}; add .txt, .md, .json, .jsonl, .html, .docx or .pdf "
                          "files there.")
    return CorpusReport(mark_reprints(articles), tuple(warnings))


def _new_outlet(article: Article, copies: list[Article]) -> bool:
    """An identical text is a reprint worth keeping when it names an outlet its copies do not: a wire
    story run by several papers. Otherwise it is the same file twice."""
    return bool(article.source) and all(c.source != article.source for c in copies)
