"""Whether a story's picture loads: what one fetch of it says, and when to ask again (pure).

A picture is an outlet's address (`entry_images`), linked from pages and feeds. One that no
longer loads (a 404, an error page served as 200, a host that is gone) would show readers an
empty frame where the photo should be, so the server asks for each picture a story is shown
with once (its first `SNIFF_BYTES`, enough to tell a picture by its first bytes) and a story
whose picture fails is shown with its next source's, or with none. `judge` reads the answer:

- a raster picture (by its type, or by its first bytes when the type says nothing): it loads;
- a page, a missing file (404, 410), an SVG, a body that is no picture: it fails for good;
- a refusal (401, 403, 429, 451): the outlet may refuse our server and not readers'
  browsers, so the picture stays shown and is not asked again;
- no answer, a timeout, a 5xx: it fails for now and is asked again after `RETRY_AFTER`
  (1 hour, 6, 24); after the last it fails for good.

A picture the site fetches for its readers (`proxied`: `[publish] picture_proxy`) is judged
as the proxy would pass it on: a refusal is then our readers' too, so it fails (429 for now),
and one bigger than `PROXY_MAX_BYTES` (by its Content-Length) fails for good.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from .models import Fetched, FetchFailed, FetchOutcome, NotModified

__all__ = [
    "FAILED",
    "LOADS",
    "PROXY_MAX_BYTES",
    "REFUSED",
    "SNIFF_BYTES",
    "Verdict",
    "failing_hosts",
    "is_picture",
    "judge",
    "picture_type",
]

SNIFF_BYTES = 16 * 1024  # what is read of a picture to judge it (the rest is not fetched)
PROXY_MAX_BYTES = 5 * 2**20  # the biggest picture the site's proxy passes on (`picture_proxy`)
RETRY_AFTER = (timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
LOADS, FAILED, REFUSED = "loads", "failed", "refused"  # `picture_checks.state`
_REFUSALS = frozenset({401, 403, 429, 451})
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
)
_ISO_BRANDS = {b"avif": "image/avif", b"avis": "image/avif", b"heic": "image/heic"}
_ISO_BRANDS |= {b"heix": "image/heic", b"mif1": "image/heif"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one check found: `state` (LOADS, FAILED or REFUSED), why (`error`, empty when it
    loads) and when to ask again (`retry`: None, never)."""

    state: str
    error: str = ""
    retry: datetime | None = None

    @property
    def shown(self) -> bool:
        return self.state != FAILED


def picture_type(body: bytes) -> str | None:
    """The type of raster picture `body` starts as (JPEG, PNG, GIF, BMP, ICO, WebP, AVIF or
    HEIF), or None."""
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            return kind
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return _ISO_BRANDS.get(body[8:12]) if body[4:8] == b"ftyp" else None


def is_picture(body: bytes) -> bool:
    """Whether `body` starts as a raster picture does (`picture_type`)."""
    return picture_type(body) is not None


def judge(outcome: FetchOutcome, tries: int, now: datetime, *, proxied: bool = False) -> Verdict:
    """The verdict on one fetch of a picture (at most `SNIFF_BYTES` of its body), the
    `tries`-th check of its address (1 for the first); `proxied`, one the site fetches for
    its readers."""
    if isinstance(outcome, Fetched):
        kind = outcome.headers.get("content-type", "").split(";")[0].strip().lower()
        if "svg" in kind:
            return Verdict(FAILED, f"not a raster picture: {kind}")
        size = outcome.headers.get("content-length", "")
        if proxied and size.isdigit() and int(size) > PROXY_MAX_BYTES:
            return Verdict(FAILED, f"{int(size):,} bytes: more than the site's proxy passes on")
        # (a picture served with no type, a generic one or a wrong one loads all the same;
        # what is no raster picture does not, whatever its type says)
        if is_picture(outcome.body):
            return Verdict(LOADS)
        return Verdict(FAILED, f"not a picture: {kind or 'no type'}")
    if isinstance(outcome, NotModified):  # (asked without validators: not expected)
        said = "the outlet answered 304 to a plain request"
        return Verdict(FAILED, said) if proxied else Verdict(REFUSED, said)
    assert isinstance(outcome, FetchFailed)
    status = outcome.status
    if status in _REFUSALS and not proxied:
        return Verdict(REFUSED, outcome.error)
    if status in _REFUSALS and status != 429:  # (our readers' refusal too)
        return Verdict(FAILED, f"{outcome.error} (the site fetches it for its readers)")
    if status is not None and status < 500 and status != 429:  # (404, 410, another 4xx)
        return Verdict(FAILED, outcome.error)
    # No answer, a timeout, a server error, a proxied picture's 429: it may pass.
    retry = now + RETRY_AFTER[tries - 1] if tries <= len(RETRY_AFTER) else None
    return Verdict(FAILED, outcome.error, retry)


def failing_hosts(failed: Iterable[tuple[str, str | None, str | None]]) -> list[dict[str, Any]]:
    """The pictures that fail (`url`, `error`, `retry` rows of `picture_checks`) by host, the
    host with most first: how many fail, how many of those are asked again, and the error
    most of them gave."""
    hosts: dict[str, tuple[Counter[str], list[int]]] = {}
    for url, error, retry in failed:
        errors, again = hosts.setdefault(urlsplit(url).hostname or url, (Counter(), [0]))
        errors[error or "no reason kept"] += 1
        again[0] += retry is not None
    found = [
        {
            "host": host,
            "failed": errors.total(),
            "to_retry": again[0],
            "error": errors.most_common(1)[0][0],
        }
        for host, (errors, again) in hosts.items()
    ]
    return sorted(found, key=lambda h: (-h["failed"], h["host"]))
