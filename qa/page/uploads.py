"""Adding articles from the chat page, without gradio: uploaded files (or the members of a .zip)
are checked (size, count, type by content), given a safe name and moved into the corpus directory
whole; removing an article deletes its file; either way the index is then brought up to date
incrementally (`qa.index.ensure_index`), and the live answerer (`qa.page.live`) picks it up.

Nothing is half-added: a file is written to a hidden temporary file in the corpus directory (the
corpus reader passes over hidden files) and moved into place with ``os.replace``; a refused file
writes nothing, and one that fails while written leaves nothing behind.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from qa.config import Settings
from qa.errors import QAError
from qa.index import ensure_index
from qa.ingest.corpus import MAX_FILE_BYTES, SUFFIXES, corpus_files, decode, display_name
from qa.records import Article

MAX_FILES = 200  # files added by one upload, the members of its zips included
MAX_ZIP_BYTES = 100 * 1024 * 1024  # the uncompressed size of one zip's members together
TEMP_PREFIX = ".upload-"
TEMP_SUFFIX = ".part"
STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a killed server
_HTML_TAG = re.compile(rb"<(?:!doctype|html|head|body|meta|title|article|div|p)\b", re.I)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_MAX_STEM = 120
_KINDS = ", ".join(sorted(SUFFIXES | {".zip"}))
_write_lock = threading.Lock()  # choosing a free name and moving the file there happen together


class UploadError(QAError):
    """A file that is not added, or an article that is not removed: one sentence naming it."""


def add_files(paths: Iterable[str | os.PathLike], corpus_dir: str | os.PathLike) -> tuple[list[str], list[str]]:
    """Add uploaded files (a .zip adds its members) to ``corpus_dir``: the names they were stored
    under, and one sentence for each file refused."""
    corpus = Path(corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(corpus)
    added: list[str] = []
    errors: list[str] = []
    for name, data in _candidates(paths, errors):
        if len(added) >= MAX_FILES:
            errors.append(f"{name}: not added, because one upload adds at most {MAX_FILES} files; upload it again "
                          "on its own.")
            continue
        try:
            check_file(name, data)
            added.append(store_file(corpus, name, data))
        except UploadError as err:
            errors.append(str(err))
    return added, errors


def _candidates(paths: Iterable[str | os.PathLike], errors: list[str]):
    """(name, bytes) for each uploaded file and each zip member; refusals of whole files go to ``errors``."""
    for p in paths:
        path = Path(p)
        name = display_name(path.name)
        try:
            size = path.stat().st_size
            if size > (MAX_ZIP_BYTES if path.suffix.lower() == ".zip" else MAX_FILE_BYTES):
                raise UploadError(_too_big(name, size))
            data = path.read_bytes()
        except UploadError as err:
            errors.append(str(err))
            continue
        except OSError as err:
            errors.append(f"{name}: could not be read ({err.strerror or type(err).__name__}); upload it again.")
            continue
        if path.suffix.lower() == ".zip":
            yield from _zip_members(name, data, errors)
        else:
            yield name, data


def _zip_members(name: str, data: bytes, errors: list[str]):
    if not data.startswith(b"PK"):
        errors.append(f"{name}: not a zip archive by its content; upload the files themselves or a real .zip.")
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
            total = sum(m.file_size for m in members)
            if total > MAX_ZIP_BYTES:
                errors.append(f"{name}: its files hold {total / 2**20:.0f} MB uncompressed, more than the "
                              f"{MAX_ZIP_BYTES // 2**20} MB a zip may hold; split it into smaller zips.")
                return
            for m in members:
                label = f"{name}: {display_name(m.filename)}"
                parts = PurePosixPath(m.filename.replace("\\", "/")).parts
                if m.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    errors.append(f"{label}: its name leads out of the archive's folder, so it was not added; "
                                  "rename it inside the zip.")
                    continue
                if m.file_size > MAX_FILE_BYTES:
                    errors.append(_too_big(label, m.file_size))
                    continue
                try:
                    yield parts[-1] if parts else m.filename, zf.read(m)
                except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as err:
                    errors.append(f"{label}: cannot be unpacked ({err}); upload it on its own.")
    except zipfile.BadZipFile:
        errors.append(f"{name}: a broken zip archive; make it again, or upload the files themselves.")


def _too_big(name: str, size: int) -> str:
    return (f"{name}: {size / 2**20:.0f} MB is larger than the {MAX_FILE_BYTES // 2**20} MB an article file may "
            "be; split it or leave it out.")


def check_file(name: str, data: bytes) -> None:
    """Raise UploadError unless ``data`` is what the suffix of ``name`` says it is."""
    suffix = PurePosixPath(name).suffix.lower()
    if name.startswith("."):
        raise UploadError(f"{name}: a hidden file, not an article; rename it without the leading dot.")
    if suffix == ".zip":
        raise UploadError(f"{name}: a zip inside a zip is not unpacked; upload the inner zip on its own.")
    if suffix not in SUFFIXES:
        raise UploadError(f"{name}: files of this type are not read; upload one of {_KINDS}.")
    if not data:
        raise UploadError(f"{name}: the file is empty; upload it again with its content.")
    problem = _content_problem(suffix, data)
    if problem:
        raise UploadError(f"{name}: {problem}; upload the original file or give it the right extension.")


def _content_problem(suffix: str, data: bytes) -> str | None:
    if suffix == ".pdf":
        return None if data.startswith(b"%PDF-") else "not a PDF by its content"
    if suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                ok = data.startswith(b"PK") and "word/document.xml" in zf.namelist()
        except zipfile.BadZipFile:
            ok = False
        return None if ok else "not a Word (.docx) file by its content"
    if suffix in (".html", ".htm"):
        return None if _HTML_TAG.search(data[:65536]) else "not a web page by its content (no <html> or similar tag)"
    if b"\x00" in data[:8192]:
        return "binary data, not text"
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return "text that is neither UTF-8 nor GB18030"
    try:
        if suffix == ".json":
            json.loads(text)
        elif suffix == ".jsonl":
            for line in text.splitlines():
                if line.strip():
                    json.loads(line)
    except ValueError:
        return "not valid JSON"
    return None


def safe_name(name: str) -> str:
    """A plain file name for ``name``: its last path part, without characters file systems refuse,
    leading dots or spaces; not README (the corpus reader takes README files for documentation)."""
    base = _UNSAFE.sub("_", re.split(r"[/\\]", name)[-1]).strip().lstrip(". ")
    path = PurePosixPath(base)
    stem, suffix = path.stem[:_MAX_STEM].strip() or "article", path.suffix.lower()
    if stem.upper() == "README":
        stem += "_article"
    return stem + suffix


def store_file(corpus: Path, name: str, data: bytes) -> str:
    """Write ``data`` whole under a free safe name in ``corpus``; the name."""
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=corpus)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with _write_lock:
            target = _free_name(corpus, safe_name(name))
            os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise UploadError(f"{name}: could not be saved ({err.strerror or type(err).__name__}); try again.") from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target.name


def _free_name(corpus: Path, name: str) -> Path:
    path = PurePosixPath(name)
    target, n = corpus / name, 1
    while os.path.lexists(target):
        target, n = corpus / f"{path.stem}-{n}{path.suffix}", n + 1
    return target


def _remove_stale_temps(corpus: Path) -> None:
    """Temporary files a killed server left behind (hidden, so never read as articles)."""
    now = time.time()
    for p in corpus.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        try:
            if now - p.lstat().st_mtime > STALE_TEMP_SECONDS:
                p.unlink()
        except OSError:
            pass


def remove_article(article_id: str, corpus_dir: str | os.PathLike,
                   articles: Mapping[str, Article] | None = None) -> str:
    """Delete the file that holds the article ``article_id`` (looked up in ``articles``, the index's,
    when given; else by the id the corpus reader gives each file); the name of the deleted file.
    Raises UploadError when there is none, when it lies outside the corpus directory, or when it
    is a JSON file that holds other articles too."""
    corpus = Path(corpus_dir)
    file = _article_file(article_id, corpus, articles)
    if file is None:
        raise UploadError(f"{article_id}: no such article in the corpus; refresh the list and choose another.")
    inside = corpus.resolve()
    if file.is_symlink() or not file.resolve().is_relative_to(inside) or not file.is_file():
        raise UploadError(f"{article_id}: its file is not inside the corpus directory, so it was not deleted; "
                          "remove it by hand.")
    if file.suffix.lower() in (".json", ".jsonl"):
        raise UploadError(f"{article_id}: it is one record of {file.name}, which may hold other articles; edit "
                          "that file by hand.")
    file.unlink()
    return display_name(file.relative_to(corpus).as_posix())


def _article_file(article_id: str, corpus: Path, articles: Mapping[str, Article] | None) -> Path | None:
    if articles is not None:
        article = articles.get(article_id)
        if article is None:
            return None
        parts = PurePosixPath(article.path).parts[1:]  # the path starts with the corpus directory's name
        return corpus.joinpath(*parts) if parts and ".." not in parts else None
    for f in corpus_files(corpus):
        if display_name(f.relative_to(corpus).with_suffix("").as_posix()).replace("/", "__") == article_id:
            return f
    return None


def refresh_index(settings: Settings) -> list[str]:
    """Bring the index of ``settings`` up to date (incrementally, as the page does when it starts);
    the lines it printed: warnings and the summary."""
    out = io.StringIO()
    try:
        ensure_index(settings, out=out)
    except QAError as err:
        return [f"The index was not rebuilt: {err}"]
    lines = [line.strip() for line in out.getvalue().splitlines() if line.strip()]
    return lines or ["The index was already up to date."]


def upload_report(added: list[str], errors: list[str], build_lines: list[str]) -> str:
    """Markdown for the page's status box."""
    parts = []
    if added:
        parts.append(f"**已添加 added ({len(added)})**: " + ", ".join(f"`{n}`" for n in added))
    if errors:
        parts.append(f"**未添加 refused ({len(errors)})**:\n" + "\n".join(f"- {e}" for e in errors))
    if build_lines:
        parts.append("**索引 index**:\n" + "\n".join(f"- {line}" for line in build_lines))
    return "\n\n".join(parts) or "没有文件 no files."
