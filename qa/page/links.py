"""Adding a news page from a pasted link: the page is fetched (http or https only, size and time
limited) and stored in the corpus directory as its HTML, checked and written whole as an uploaded
file is (`qa.page.uploads`); the HTML reader then takes its text, headline, outlet and date.

Fetching makes the server open connections the person at the page chooses, so it is on only when
the page is served to this machine alone (127.0.0.1); served to a network, it is off unless the
operator turns it on (`qa serve --fetch-links`).
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

from qa.ingest.corpus import MAX_FILE_BYTES
from qa.page.uploads import UploadError, check_file, store_file

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TIMEOUT_SECONDS = 20
MAX_URL = 2_000
_NAME_PART = re.compile(r"[^\w.-]+")


def links_allowed(host: str, asked: bool = False) -> bool:
    """Whether a page served on ``host`` may fetch links: when it is local, or when asked to."""
    return asked or host in LOCAL_HOSTS


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) addresses only (urllib would also follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"a redirect to {urlsplit(newurl).scheme or 'an unknown'} address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_page(url: str, corpus_dir: str | os.PathLike) -> str:
    """Fetch the web page at ``url`` into ``corpus_dir``; the name it was stored under. Raises
    UploadError with one sentence when the link is not an http(s) address, cannot be fetched, is too
    large, or is not a web page."""
    link = (url or "").strip()
    if not link:
        raise UploadError("The link is empty; paste the address of a news page, starting with http:// or https://.")
    if len(link) > MAX_URL:
        raise UploadError(f"The link is {len(link)} characters long, more than {MAX_URL}; paste the page's own "
                          "address.")
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UploadError(f"{link[:80]}: not a web address; paste one starting with http:// or https://.")
    opener = urllib.request.build_opener(_HttpOnly)
    request = urllib.request.Request(link, headers={"User-Agent": "qa (news archive)"})
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_FILE_BYTES:
                raise UploadError(_too_big(link))
            data = response.read(MAX_FILE_BYTES + 1)
    except UploadError:
        raise
    except urllib.error.HTTPError as err:
        raise UploadError(f"{link[:80]}: the server answered {err.code} ({err.reason}); check the link.") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        raise UploadError(f"{link[:80]}: could not be fetched ({reason}); check the link and the network.") from None
    if len(data) > MAX_FILE_BYTES:
        raise UploadError(_too_big(link))
    name = page_name(link)
    check_file(name, data)
    return store_file(Path(corpus_dir), name, data)


def page_name(url: str) -> str:
    """A file name for the page at ``url``: its host and the last part of its path, as .html."""
    parts = urlsplit(url)
    last = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts.path.strip("/") else "index"
    stem = re.sub(r"\.(s?html?|php|aspx?|jsp)$", "", last, flags=re.I)
    stem = _NAME_PART.sub("_", f"{parts.hostname or 'page'}_{stem}").strip("._")
    return f"{stem or 'page'}.html"


def _too_big(link: str) -> str:
    return (f"{link[:80]}: the page is larger than the {MAX_FILE_BYTES // 2**20} MB an article file may be; "
            "save the article's own page instead.")
