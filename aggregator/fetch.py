"""Feed fetching over HTTP: the only importer of aiohttp's client.

One :class:`Fetcher` owns one ``ClientSession``. :meth:`Fetcher.fetch` sends a conditional GET,
follows redirects itself, caps size and time, and turns every per-feed problem into a
:class:`FetchFailed` value instead of raising.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import ipaddress
import re
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from aggregator import PROJECT_URL, __version__
from aggregator.models import Fetched, FetchFailed, FetchOutcome, NotModified

__all__ = ["DEFAULT_USER_AGENT", "FetchSettings", "Fetcher"]

DEFAULT_USER_AGENT = f"aggregator/{__version__} (+{PROJECT_URL})"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_CHUNK = 64 * 1024
_SPACE = re.compile(r"\s+")


def _accept_encoding() -> str:
    """gzip and deflate always; br only when aiohttp can decode it in this environment."""
    from aiohttp import compression_utils

    return (
        "gzip, deflate, br" if getattr(compression_utils, "HAS_BROTLI", False) else "gzip, deflate"
    )


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits and identity for fetching; ``total_timeout`` bounds a whole fetch incl. redirects."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 16 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2
    concurrency: int = 16


class Fetcher:
    """Fetches feeds with one shared session; use as ``async with Fetcher() as fetcher``."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._session: aiohttp.ClientSession | None = None
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.settings.per_host)
        )
        # Our own bound on concurrent fetches, taken before any timer starts: a fetch that
        # waits in aiohttp's connection pool would spend its connect timeout queueing.
        self._slots = asyncio.Semaphore(self.settings.concurrency)

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=s.concurrency),
            # Only the TCP/TLS connect itself is timed (sock_connect), never a wait for a slot.
            timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=s.connect_timeout),
            headers={
                "User-Agent": s.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": _accept_encoding(),
            },
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            raise_for_status=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        *,
        accept: str | None = None,
        max_bytes: int | None = None,
    ) -> FetchOutcome:
        """GET ``url`` (conditionally when validators are given); never raises per-feed errors.

        ``accept`` replaces the feed Accept header; ``max_bytes`` lowers the size cap."""
        if self._session is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        try:
            host = (_http_url(url).host or "").lower()
        except ValueError as exc:
            return FetchFailed(url, str(exc))
        # Waiting for the host's slot and a fetch slot is queueing, not fetching: the timeout
        # starts after both. The host slot comes first, so a fetch slot is never held idle.
        async with self._host_slots[host], self._slots:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.settings.total_timeout):
                    outcome = await self._fetch(
                        self._session, url, etag, last_modified, accept, max_bytes
                    )
            except TimeoutError:
                outcome = FetchFailed(url, f"timed out after {self.settings.total_timeout:g} s")
            elapsed_ms = round((time.monotonic() - started) * 1000)
        return dataclasses.replace(outcome, elapsed_ms=elapsed_ms)

    async def _fetch(
        self,
        session: aiohttp.ClientSession,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str | None = None,
        max_bytes: int | None = None,
    ) -> FetchOutcome:
        """The request and its redirects. Only the first host's slot is held (by `fetch`):
        taking another host's slot while holding one could deadlock two redirecting hosts."""
        headers: dict[str, str] = {"Accept": accept} if accept else {}
        limit = min(max_bytes or self.settings.max_bytes, self.settings.max_bytes)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        visited = {url}
        all_permanent = True
        redirects = 0
        while True:
            try:
                target = _http_url(current)
            except ValueError as exc:
                return FetchFailed(url, str(exc))
            try:
                async with session.get(target, headers=headers, allow_redirects=False) as resp:
                    status = resp.status
                    found = _lower(resp.headers)
                    if status in _REDIRECTS:
                        location = resp.headers.get("Location", "").strip()
                        if not location:
                            return FetchFailed(
                                url, f"HTTP {status} redirect without Location", status, found
                            )
                        try:
                            next_url = str(resp.url.join(URL(location)))
                        except ValueError:
                            return FetchFailed(url, "invalid redirect Location", status, found)
                        all_permanent = all_permanent and status in _PERMANENT
                    elif status == 304:
                        return NotModified(url, found)
                    elif 200 <= status < 300:
                        body = await self._read_body(resp, limit)
                        if body is None:
                            return FetchFailed(
                                url,
                                f"response larger than {_size(limit)}",
                                status,
                                found,
                            )
                        moved = current if all_permanent and current != url else None
                        return Fetched(
                            url=url,
                            final_url=current,
                            status=status,
                            body=body,
                            headers=found,
                            etag=found.get("etag"),
                            last_modified=found.get("last-modified"),
                            permanent_redirect=moved,
                        )
                    else:
                        reason = _one_line(resp.reason or "")
                        return FetchFailed(url, f"HTTP {status} {reason}".strip(), status, found)
            except (aiohttp.ClientError, HttpProcessingError, OSError, ValueError) as exc:
                return FetchFailed(url, self._describe(exc))
            redirects += 1
            if _is_private(URL(next_url).host) and not _is_private(URL(url).host):
                return FetchFailed(url, f"redirect to a private address refused: {next_url}")
            if next_url in visited:
                return FetchFailed(url, f"redirect loop at {next_url}", status, found)
            if redirects > self.settings.max_redirects:
                return FetchFailed(
                    url, f"too many redirects (more than {self.settings.max_redirects})"
                )
            visited.add(next_url)
            current = next_url

    @property
    def user_agent(self) -> str:
        return self.settings.user_agent

    async def fetch_page(self, url: str, max_bytes: int | None = None) -> FetchOutcome:
        """GET a web page (an article, a robots.txt) under the feed rules: host and fetch
        slots, timeouts, redirect and address policy, the User-Agent, a size cap."""
        return await self.fetch(url, accept=PAGE_ACCEPT, max_bytes=max_bytes)

    async def _read_body(self, resp: aiohttp.ClientResponse, limit: int) -> bytes | None:
        """The decompressed body, or None as soon as it passes ``limit`` bytes."""
        if resp.content_length is not None and resp.content_length > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _describe(self, exc: BaseException) -> str:
        """One readable line for a network-level failure."""
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"DNS lookup failed for {exc.host}"
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return f"TLS certificate error: {_one_line(exc.certificate_error)}"
        if isinstance(exc, aiohttp.ClientSSLError):
            return f"TLS error: {_one_line(exc)}"
        if isinstance(exc, aiohttp.ClientConnectorError):
            if isinstance(exc.os_error, ConnectionRefusedError):
                return "connection refused"
            reason = exc.os_error.strerror or _one_line(exc.os_error)
            return f"cannot connect to {exc.host}:{exc.port}: {reason}"
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return f"connect timed out after {self.settings.connect_timeout:g} s"
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return "server closed the connection without a complete response"
        if isinstance(exc, aiohttp.ClientPayloadError):
            if "encoding" in str(exc).lower():
                return "bad content encoding in response body"
            return "connection closed mid-body (incomplete response)"
        if isinstance(exc, aiohttp.ClientResponseError | HttpProcessingError):
            return f"invalid HTTP response: {_one_line(exc.message)}"
        if isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET:
            return "connection reset by peer"
        if isinstance(exc, aiohttp.InvalidURL | ValueError):
            return f"invalid URL: {_one_line(exc)}"
        if isinstance(exc, OSError) and exc.strerror:
            return f"network error: {exc.strerror}"
        return f"{type(exc).__name__}: {_one_line(exc)}".rstrip(": ")


def _http_url(url: str) -> URL:
    """``url`` parsed; ValueError with a readable message unless it is an absolute http(s) URL."""
    try:
        parsed = URL(url.strip())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid URL: {_one_line(exc)}") from exc
    if parsed.scheme not in ("http", "https"):
        shown = parsed.scheme or "none"
        raise ValueError(f"unsupported URL scheme '{shown}' (only http and https)")
    if not parsed.host:
        raise ValueError("invalid URL: no host")
    return parsed


def _is_private(host: str | None) -> bool:
    """Loopback, private, link-local or unspecified: an address no public feed redirects to."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Response headers with lower-case names; repeated headers joined with ", "."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def _one_line(value: object) -> str:
    return _SPACE.sub(" ", str(value)).strip()
