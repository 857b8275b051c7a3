"""Feed fetching over HTTP: with fetch_client, the only importer of aiohttp's client.

One :class:`Fetcher` owns one ``ClientSession``. :meth:`Fetcher.fetch` sends a conditional GET,
follows redirects itself, caps size and time, and turns every per-feed problem into a
:class:`FetchFailed` value instead of raising.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import os
import re
import socket
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from aggregator.fetch_proxy import Proxies, proxies
from aggregator.fetch_settings import DEFAULT_USER_AGENT, FetchSettings
from aggregator.models import Fetched, FetchFailed, FetchOutcome, NotModified, Redirected
from aggregator.site_holds import bot_check, host_of

if TYPE_CHECKING:
    import aiohttp
    from aiohttp.abc import AbstractResolver
    from yarl import URL

__all__ = ["DEFAULT_USER_AGENT", "FetchSettings", "Fetcher", "is_internal", "is_metadata_address"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
PICTURE_ACCEPT = "image/avif,image/webp,image/apng,image/*;q=0.8"  # (the proxy's, the checks')
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"  # a gzip member's start (deflate): no feed or page begins so


def _still_gzipped(body: bytes, limit: int, cut: bool) -> bytes | None:
    """A body still gzip-compressed after the declared decoding (a file stored compressed and
    served without Content-Encoding, or compressed twice: "gzip, gzip", which aiohttp does
    not decode), decompressed, up to three layers: None past `limit` bytes (with `cut`, its
    first `limit`); as it came when it is not whole gzip data (its parse then says why)."""
    for _ in range(3):
        if not body.startswith(_GZIP_MAGIC):
            return body
        inflater = zlib.decompressobj(31)
        try:
            out = inflater.decompress(body, limit + 1)
        except zlib.error:
            return body
        if len(out) > limit:
            return out[:limit] if cut else None
        if not inflater.eof:
            return body
        body = out
    return body


# A redirect's or an error's body up to this size is read and dropped, so its connection goes
# back to the pool; a bigger one costs more to read than a new connection does: closed.
_DRAIN = 256 * 1024
# aiohttp's words for a body compressed in a way it cannot decode here (zstd, br)
_UNASKED = re.compile(r"decode content-encoding: ([^.]+)\. Please install", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# OpenSSL's verify codes for a certificate whose issuer is not trusted here (no issuer found,
# self-signed, a self-signed CA in the chain): what `[fetch] ca_file` answers
_ISSUER_UNKNOWN = frozenset({2, 18, 19, 20, 21})
log = logging.getLogger("aggregator")


def _accept_encoding() -> str:
    """gzip and deflate always; br only when aiohttp can decode it in this environment."""
    from aiohttp import compression_utils

    return (
        "gzip, deflate, br" if getattr(compression_utils, "HAS_BROTLI", False) else "gzip, deflate"
    )


class PrivateAddressError(OSError):
    """A host not listed by the operator resolved to a loopback, private or link-local address."""


class Fetcher:
    """Fetches feeds with one shared session; use as ``async with Fetcher() as fetcher``.

    Redirects may not lead into private networks: every hop of a feed listed on a public host
    is resolved and refused when any of its addresses is loopback, private, link-local or
    otherwise internal (numeric forms such as ``0x7f000001`` and IPv4-mapped IPv6 included).
    A feed listed directly on an intranet host still works. Through a proxy (`[fetch] proxy`,
    else the environment's, see `fetch_proxy`) the proxy's host is the operator's, and a hop
    whose host does not resolve here is left to the proxy to reach; one that resolves to an
    internal address here is refused as before. ``resolver``, ``internal`` and ``env`` are for
    tests (a resolver stub; which addresses count as internal; the environment's variables).
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        resolver: AbstractResolver | None = None,
        internal: Callable[[IPAddress], bool] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._env = os.environ if env is None else env
        self._proxies = Proxies()  # read at the first request (`_open`)
        self._proxy_error: str | None = None  # an unusable proxy setting or variable
        self._session: aiohttp.ClientSession | None = None
        # a session per SOCKS proxy in use (fetch_socks); what their connections raise
        self._socks: dict[str, aiohttp.ClientSession] = {}
        self._socks_errors: tuple[type[BaseException], ...] = ()
        self._client: ModuleType | None = None  # fetch_client, once a request was made
        # a host's slots and how many fetches hold or wait for them: kept while any does, so
        # the hosts of article pages (ever more over months) are not kept for good
        self._host_slots: dict[str, tuple[asyncio.Semaphore, int]] = {}
        # Our own bound on concurrent fetches, taken before any timer starts: a fetch that
        # waits in aiohttp's connection pool would spend its connect timeout queueing.
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._given_resolver = resolver
        self._resolver: AbstractResolver | None = None
        self._internal = internal or is_internal
        self._listed: set[str] = set()  # hosts of the URLs passed to fetch(): the operator's
        self._local: set[str] = set()  # ... of those, the ones found inside the network
        self._hops: set[str] = set()  # ... hosts an intranet host redirected to (`_intranet_hop`)
        # (host, port) of each of those URLs and hops: where a URL that is not the operator's
        # (an article page, a picture, a hub) may be inside the network (`_operators`)
        self._origins: set[tuple[str, int | None]] = set()
        self._tls_lock = asyncio.Lock()
        self._tls: Any = True  # the connectors' TLS context (True: aiohttp's own; `_open`)
        self._entered = False

    async def __aenter__(self) -> Fetcher:
        self._entered = True
        return self

    def trust_hosts(self, origins: Iterable[tuple[str, int | None]]) -> None:
        """The hosts and ports the operator listed feeds on, as fetching those feeds would
        note them: a URL at one of them may resolve inside the network (a picture on an
        intranet feed's host, at its port)."""
        for host, port in origins:
            self._listed.add(host.lower())
            self._origins.add((host.lower(), port))

    def _operators(self, host: str, port: int | None) -> bool:
        """Whether `host`:`port` is where the operator listed a feed (or an intranet feed
        redirected): a host's other ports are other services, not the operator's to open to
        any feed's links (a public feed's article link to 127.0.0.1:6379, when a bridge is
        listed at 127.0.0.1:1200)."""
        return (host, port) in self._origins

    def _opens(self, url: str, next_url: str) -> bool:
        """Whether a hop from a page a feed named (`url`) to `next_url` leads where the
        operator listed a feed (`_operators`), or from such a host's http:// to its https://
        (its default port: the same site, as a bridge's picture moving there is)."""
        from aggregator.fetch_client import URL

        here, there = URL(url), URL(next_url)
        host, port = _host_port(there)
        if self._operators(host, port):
            return True
        upgrade = here.scheme == "http" and there.scheme == "https" and port == 443
        return upgrade and host == _host_port(here)[0] and self._operators(*_host_port(here))

    def is_local(self, url: str) -> bool:
        """Whether `url`'s host is inside the network, by its address as written or as last
        resolved (a bridge such as RSSHub on this machine): its answers say nothing of the
        way out, which may be down (`network`)."""
        host = host_of(url)
        address = _address(host)
        if address is not None:
            return self._internal(address)
        return host in self._local

    def _open(self) -> aiohttp.ClientSession:
        """The session, made at the first request: a pass with nothing to fetch never imports
        aiohttp (fetch_client). Nothing is awaited here, so concurrent first fetches make one."""
        if self._session is not None:
            return self._session
        from aggregator.collector import lasting

        with lasting():  # aiohttp's objects live as long as the process
            from aggregator import fetch_client

        aiohttp = fetch_client.aiohttp
        self._client = fetch_client

        s = self.settings
        try:
            self._proxies = proxies(s.proxy, s.no_proxy, self._env)
        except ValueError as exc:  # every fetch fails with it: never silently direct
            self._proxy_error = str(exc)
            log.error("fetching: %s", exc)
            self._proxies = Proxies()
        if self._proxies:
            log.info("%s", self._proxies.describe())
            for proxy in (self._proxies.http, self._proxies.https):
                if proxy is not None:
                    self._listed.add((fetch_client.URL(proxy).host or "").lower())
        self._resolver = self._given_resolver or fetch_client.DefaultResolver()
        # (aiohttp's own verifying context, unless certificates of the operator's are trusted)
        self._tls = fetch_client.trusting_too(s.ca_file) if s.ca_file else True
        options: dict[str, Any] = {
            # Only the TCP/TLS connect itself is timed (sock_connect), never a wait for a slot.
            "timeout": aiohttp.ClientTimeout(
                total=None, connect=None, sock_connect=s.connect_timeout
            ),
            "headers": {
                "User-Agent": s.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": _accept_encoding(),
            },
            "cookie_jar": aiohttp.DummyCookieJar(),
            "response_class": fetch_client.InterimCapped,
            "auto_decompress": True,
            "raise_for_status": False,
        }
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=s.concurrency,
                # Our host slots bound a fetch's first request; this bounds every request,
                # redirect hops onto another host included: never more than per_host
                # connections in use to one host.
                limit_per_host=s.per_host,
                resolver=fetch_client.GuardedResolver(
                    self._resolver, self._internal, self._listed, self._local, self._hops
                ),
                ssl=self._tls,
            ),
            **options,
        )
        self._open_socks(options)
        return self._session

    def _open_socks(self, options: dict[str, Any]) -> None:
        """A session for each SOCKS proxy in use; without the socks extra, every fetch fails
        saying so (never silently direct)."""
        if not self._proxies:
            return
        from aggregator import fetch_socks

        given = {self._proxies.http, self._proxies.https}
        wanted = sorted(p for p in given if p is not None and fetch_socks.is_socks(p))
        if not wanted:
            return
        if not fetch_socks.available():
            self._proxy_error = f"{self._proxies.origin}: {fetch_socks.EXTRA_NEEDED}"
            log.error("fetching: %s", self._proxy_error)
            return
        s = self.settings
        for proxy in wanted:
            self._socks[proxy] = fetch_socks.session(
                proxy, s.concurrency, s.per_host, self._tls, **options
            )
        self._socks_errors = fetch_socks.errors()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        if self._session is not None:
            await self._session.close()
            self._session = None
        for socks in self._socks.values():
            await socks.close()
        self._socks.clear()
        if self._resolver is not None:
            await self._resolver.close()
            self._resolver = None

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        *,
        accept: str | None = None,
        max_bytes: int | None = None,
        trusted: bool = True,
        admit: Callable[[], Awaitable[object]] | None = None,
        cut: bool = False,
        user_agent: str | None = None,
        cookie: str | None = None,
    ) -> FetchOutcome:
        """GET ``url`` (conditionally when validators are given); never raises per-feed errors.
        Redirects are followed (see `_get`). ``user_agent`` replaces the settings' on every
        hop; ``cookie`` is sent to ``url`` and to redirects that stay on its site (the same
        host and port, or http to https), never past a hop to another site."""
        outcome = await self._get(
            url, etag, last_modified, accept, max_bytes, trusted, admit, cut, own_site=False,
            headers=_own_headers(user_agent, cookie),
        )  # fmt: skip
        assert not isinstance(outcome, Redirected)  # (only with own_site)
        return outcome

    async def _get(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str | None,
        max_bytes: int | None,
        trusted: bool,
        admit: Callable[[], Awaitable[object]] | None,
        cut: bool,
        *,
        own_site: bool,
        redirected_from: str | None = None,
        from_own: bool = False,
        headers: dict[str, str] | None = None,
    ) -> FetchOutcome | Redirected:
        """`fetch`; with `own_site`, a redirect to another site is returned, not followed, and
        the caller may ask its `location` with `redirected_from`: checked as the hop it is.

        ``accept`` replaces the feed Accept header; ``max_bytes`` lowers the size cap; with
        ``cut`` a larger body is cut there instead of failing (a robots.txt is read so).
        ``admit``, when given, is awaited once the fetch has its slots and before its timeout
        starts: the caller holds back fetches its own work cannot keep up with (the poll job
        waits while bodies pile up for the parser).
        ``trusted`` URLs are the operator's (a feed in the OPML): their host may be internal;
        any other URL (an article page) on a host that is not a listed feed's is refused when
        its host resolves internal."""
        session, client = self._ready()
        if self._proxy_error is not None:
            return FetchFailed(url, self._proxy_error)
        try:
            target = client.http_url(url)
        except ValueError as exc:
            return FetchFailed(url, str(exc))
        host = (target.host or "").lower()
        if trusted:
            self._listed.add(host)
            self._origins.add((host, target.port))
        elif redirected_from is not None:  # a hop not followed at once: checked as one is
            inside = self._inside(client.URL(redirected_from).host or "")
            if inside and from_own:  # (an intranet feed's own page may redirect within it)
                refused = await self._intranet_hop(redirected_from, url)
            elif inside and self._opens(redirected_from, url):
                refused = None  # (as `_fetch` takes a hop of a page other feeds name)
            else:
                refused = await self._check_hop(redirected_from, url)
            if refused is not None:
                return refused
        elif not self._operators(host, target.port):  # a page a feed linked to, elsewhere
            refused = await self._check_hop(url, url, "private address refused")
            if refused is not None:
                return refused
        # Waiting for the host's slot and a fetch slot (and for `admit`) is queueing, not
        # fetching: the timeout starts after them. The host slot comes first, so a fetch slot
        # is held idle only while `admit` holds the fetch back.
        slot, users = self._host_slots.get(host) or (asyncio.Semaphore(self.settings.per_host), 0)
        self._host_slots[host] = (slot, users + 1)
        try:
            async with slot, self._slots:
                if admit is not None:
                    await admit()
                try:
                    async with asyncio.timeout(self.settings.total_timeout):
                        return await self._fetch(
                            session,
                            url,
                            etag,
                            last_modified,
                            accept,
                            max_bytes,
                            target,
                            cut,
                            own_site,
                            headers,
                            trusted,
                        )
                except TimeoutError:
                    return FetchFailed(url, f"timed out after {self.settings.total_timeout:g} s")
        finally:
            slot, users = self._host_slots[host]
            if users > 1:
                self._host_slots[host] = (slot, users - 1)
            else:
                del self._host_slots[host]

    async def _fetch(
        self,
        session: aiohttp.ClientSession,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str | None,
        max_bytes: int | None,
        first: URL | None,
        cut: bool = False,
        own_site: bool = False,
        own: dict[str, str] | None = None,
        trusted: bool = True,
    ) -> FetchOutcome | Redirected:
        """The request and its redirects, with a feed's `own` headers (`_own_headers`). Only
        the first host's slot is held (by `fetch`): taking another host's slot while holding
        one could deadlock two redirecting hosts. `first` is `url` already parsed (by
        `fetch`), so it is not parsed twice. With `own_site`, a redirect to another origin
        ends the fetch (`Redirected`)."""
        c = self._client  # fetch_client: aiohttp's side
        assert c is not None
        URL, aiohttp = c.URL, c.aiohttp
        headers: dict[str, str] = {"Accept": accept} if accept else {}
        if own:
            headers.update(own)
        limit = min(max_bytes or self.settings.max_bytes, self.settings.max_bytes)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        visited = {url}
        all_permanent = True
        redirects = 0
        origin_internal: bool | None = None  # resolved at the first redirect, if any
        target = first
        while True:
            if target is None:
                try:
                    target = c.http_url(current)
                except ValueError as exc:
                    return FetchFailed(url, str(exc))
            via, proxy, socks = await self._route(session, target)
            try:
                async with via.get(
                    target, headers=headers, allow_redirects=False, proxy=proxy
                ) as resp:
                    status = resp.status
                    found = _lower(resp.headers)
                    if status in _REDIRECTS:
                        location = _url_text(resp.headers.get("Location", "").strip())
                        if not location:
                            return FetchFailed(
                                url, f"HTTP {status} redirect without Location", status, found
                            )
                        try:
                            next_url = str(resp.url.join(URL(location)))
                        except ValueError:
                            return FetchFailed(url, "invalid redirect Location", status, found)
                        next_url = same_site_credentials(current, next_url)
                        if "Cookie" in headers and not _same_site(current, next_url):
                            del headers["Cookie"]  # (never sent on, not even back here)
                        all_permanent = all_permanent and status in _PERMANENT
                        await _drain(resp)
                        if own_site:
                            try:
                                target_origin = c.http_url(next_url).origin()
                            except ValueError as exc:  # (file:, javascript:, mailto:, …)
                                return FetchFailed(url, f"redirect to {exc}", status, found)
                            if target_origin != resp.url.origin():
                                return Redirected(url, next_url, status)
                    elif (wall := bot_check(found)) is not None:
                        await _drain(resp)
                        reason = _one_line(resp.reason or "")
                        said = f"HTTP {status} {reason}".strip()
                        return FetchFailed(url, f"{said}: {wall}", status, found)
                    elif status == 304:  # (after permanent redirects: remembered as a body's)
                        moved = current if all_permanent and current != url else None
                        return NotModified(url, found, permanent_redirect=moved)
                    elif 200 <= status < 300:
                        body = await self._read_body(resp, limit, cut)
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
                        await _drain(resp)
                        reason = _one_line(resp.reason or "")
                        return FetchFailed(url, f"HTTP {status} {reason}".strip(), status, found)
            except (aiohttp.ClientError, c.HttpProcessingError, OSError, ValueError) as exc:
                at_start = redirects == 0  # (a redirect answered: the network works)
                if socks:
                    said = self._describe_socks(exc, socks, target.host)
                    lost = at_start and _name_not_resolved(exc)
                    return FetchFailed(url, said, unreached=lost)
                lost = at_start and _unreached(exc)
                return FetchFailed(url, self._describe(exc), unreached=lost)
            except self._socks_errors as exc:  # (an empty tuple catches nothing)
                return FetchFailed(url, self._describe_socks(exc, socks or "", target.host))
            redirects += 1
            if origin_internal is None:
                origin_internal = self._inside(URL(url).host or "")
            if origin_internal and trusted:  # an intranet feed may redirect within the intranet
                refused = await self._intranet_hop(url, next_url)
            elif origin_internal and self._opens(current, next_url):
                refused = None  # (a page a feed named may lead to where the operator listed one)
            else:  # (a page other feeds name on an intranet host is no open door to its others)
                refused = await self._check_hop(url, next_url)
            if refused is not None:
                return refused
            if next_url in visited:
                return FetchFailed(url, f"redirect loop at {next_url}", status, found)
            if redirects > self.settings.max_redirects:
                return FetchFailed(
                    url, f"too many redirects (more than {self.settings.max_redirects})"
                )
            visited.add(next_url)
            current = next_url
            target = None  # parsed at the top of the next hop

    def _ready(self) -> tuple[aiohttp.ClientSession, ModuleType]:
        """The session and `fetch_client` a request goes through (made at the first)."""
        if not self._entered:
            raise RuntimeError("Fetcher used outside 'async with'")
        session = self._open()
        assert self._client is not None
        return session, self._client

    async def _route(
        self, session: aiohttp.ClientSession, target: URL
    ) -> tuple[aiohttp.ClientSession, str | None, str | None]:
        """The session and proxy a request to `target` goes through, and the SOCKS proxy's
        address when it goes through one (then its own session's connector, not a request's
        `proxy`); the CA bundle loaded first when TLS is due (an https URL, or any URL through
        an https:// proxy)."""
        assert self._client is not None
        proxy = self._proxies.for_url(target.scheme, target.host or "", target.port)
        if self._client.cas_pending() and (target.scheme == "https" or _tls_proxy(proxy)):
            await self._load_cas()
        if proxy in self._socks:
            return self._socks[proxy], None, proxy
        return session, proxy, None

    async def post_form(
        self, url: str, fields: Sequence[tuple[str, str]], *, named_by: str | None = None
    ) -> str | None:
        """POST `fields` form-encoded to `url` (a WebSub hub); None when it answers 2xx, else
        what went wrong, in one line. No redirect is followed (a form is not sent on); the
        host may be internal when the operator named it; a hub the feed at `named_by` named
        may be internal only at a listed feed's host and port, or on that feed's own listed
        host (a form posted to another intranet service would be the feed's to aim). The
        fetch slots, timeouts, proxy and User-Agent are the feeds'. Never raises for the
        request's faults."""
        session, c = self._ready()
        if self._proxy_error is not None:
            return self._proxy_error
        try:
            target = c.http_url(url)
        except ValueError as exc:
            return str(exc)
        host = (target.host or "").lower()
        if named_by is not None and not self._operators(host, target.port):
            # (its own host only when found inside when it was polled: a public feed's owner
            # pointing its name at 127.0.0.1 later opens no other port there)
            own = host == (c.URL(named_by).host or "").lower() and self._inside(host)
            refused = None if own else await self._check_hop(url, url, "private address refused")
            if refused is not None:
                return refused.error
        body = urlencode(fields)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        socks = None
        await self._slots.acquire()  # (queueing: the timeout starts after it)
        try:
            async with asyncio.timeout(self.settings.total_timeout):
                via, proxy, socks = await self._route(session, target)
                async with via.post(
                    target, data=body, headers=headers, allow_redirects=False, proxy=proxy
                ) as resp:
                    await _drain(resp)
                    if 200 <= resp.status < 300:
                        return None
                    return f"HTTP {resp.status} {_one_line(resp.reason or '')}".strip()
        except TimeoutError:
            return f"timed out after {self.settings.total_timeout:g} s"
        except (c.aiohttp.ClientError, c.HttpProcessingError, OSError, ValueError) as exc:
            if socks:
                return self._describe_socks(exc, socks, target.host)
            return self._describe(exc)
        except self._socks_errors as exc:  # (an empty tuple catches nothing)
            return self._describe_socks(exc, socks or "", target.host)
        finally:
            self._slots.release()

    async def _load_cas(self) -> None:
        """The CA bundle read (in a thread: file IO) before the first https request of the
        process; concurrent fetches wait for the one reading."""
        from aggregator import fetch_tls

        async with self._tls_lock:
            if fetch_tls.cas_pending():
                await asyncio.to_thread(fetch_tls.load_cas)

    async def _addresses(self, host: str) -> list[IPAddress]:
        """Every address `host` stands for: itself when numeric (in any form), else DNS."""
        literal = _address(host)
        if literal is not None:
            return [literal]
        if host == "localhost" or host.endswith(".localhost"):
            return [ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1")]
        if self._resolver is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        results = await self._resolver.resolve(host, 0, socket.AF_UNSPEC)
        found = [_address(r["host"]) for r in results]
        return [a if a is not None else ipaddress.IPv4Address("0.0.0.0") for a in found]

    def _inside(self, host: str) -> bool:
        """Whether `host` is a listed feed's host that this fetcher found inside the network
        when it connected to it (`GuardedResolver`): an intranet's, whose redirects may stay
        inside. Its name is not looked up again: a name that answers one address and then
        another (DNS rebinding, a TTL of 0) had been found "inside" by that second answer,
        after redirecting to 127.0.0.1, and its redirect's host trusted for good."""
        name = host.lower().strip("[]")
        if name in self._local:
            return True
        address = _address(name)  # (an address as written: no answer to change)
        return address is not None and name in self._listed and self._internal(address)

    async def _intranet_hop(self, url: str, next_url: str) -> FetchFailed | None:
        """Trust a redirect hop from an intranet host, unless it leads to a link-local or cloud
        metadata address (169.254.169.254, fd00:ec2::254: `is_metadata_address`) on a host the
        operator did not list."""
        from aggregator.fetch_client import URL

        hop = URL(next_url)
        host = (hop.host or "").lower()
        if host in self._listed:
            self._origins.add((host, hop.port))
            return None
        literal = _address(host)
        try:
            addresses = [literal] if literal is not None else await self._addresses(host)
        except OSError:
            addresses = []  # (not found here: the connection says so, or the proxy reaches it)
        for address in addresses:
            if is_metadata_address(address):
                return FetchFailed(
                    url, f"redirect to a link-local or cloud metadata address refused: {next_url}"
                )
        self._listed.add(host)
        self._origins.add((host, hop.port))
        self._hops.add(host)  # (its resolver still refuses it a metadata answer: rebinding)
        return None

    async def _check_hop(
        self, url: str, next_url: str, refusal: str = "redirect to a private address refused"
    ) -> FetchFailed | None:
        """Refuse a redirect hop (from a public origin) whose host has an internal address."""
        from aggregator.fetch_client import URL

        hop = URL(next_url)
        host = (hop.host or "").lower()
        try:
            addresses = await self._addresses(host)
        except OSError:
            if self._proxies.for_url(hop.scheme, host, hop.port) is not None:
                return None  # the proxy resolves it: nothing here to check it against
            return FetchFailed(url, f"DNS lookup failed for {host}")
        for address in addresses:
            if self._internal(address):
                return FetchFailed(url, f"{refusal}: {next_url} ({address})")
        return None

    @property
    def user_agent(self) -> str:
        return self.settings.user_agent

    async def fetch_page(
        self,
        url: str,
        max_bytes: int | None = None,
        *,
        trusted: bool = False,
        cut: bool = False,
        admit: Callable[[], Awaitable[object]] | None = None,
        own_site: bool = False,
        redirected_from: str | None = None,
        from_own: bool = False,
        user_agent: str | None = None,
        cookie: str | None = None,
    ) -> FetchOutcome | Redirected:
        """GET a web page (an article, a robots.txt) under the feed rules: host and fetch
        slots, timeouts, redirect and address policy, the User-Agent, a size cap (`cut`: the
        body's first `max_bytes`, where it fails otherwise). `trusted` says the page is on the
        host of a feed the operator listed; `admit` runs once the slots are held, just before
        the request (see `fetch`). With `own_site` a redirect to another site (scheme, host or
        port) is not followed but returned (`Redirected`): that site's robots.txt is not this
        one's. Its location is then asked `redirected_from` the page, which the address policy
        checks as a redirect hop (not as a link of a listed feed's): a hop within the
        intranet only when `from_own`, the page being its feed's own. ``user_agent`` and
        ``cookie`` are a feed's own (see `fetch`), for a page of its entries."""
        return await self._get(
            url,
            None,
            None,
            PAGE_ACCEPT,
            max_bytes,
            trusted,
            admit,
            cut,
            own_site=own_site,
            redirected_from=redirected_from,
            from_own=from_own,
            headers=_own_headers(user_agent, cookie),
        )

    async def _read_body(
        self, resp: aiohttp.ClientResponse, limit: int, cut: bool = False
    ) -> bytes | None:
        """The decompressed body, or None as soon as it passes ``limit`` bytes (with `cut`,
        its first ``limit`` bytes, read no further)."""
        if not cut and resp.content_length is not None and resp.content_length > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                if not cut:
                    return None
                chunks.append(chunk[: len(chunk) - (size - limit)])
                resp.close()  # (the rest is not read: the connection is not reused)
                break
            chunks.append(chunk)
        return _still_gzipped(b"".join(chunks), limit, cut)

    def _describe_socks(self, exc: BaseException, proxy: str, host: str | None) -> str:
        """One readable line for a failure through the SOCKS proxy `proxy` to `host`. With
        socks5:// and socks4:// names are looked up here: a failed lookup reads as it does
        direct (aiohttp passes it on as a bare ClientOSError)."""
        from aggregator import fetch_socks

        said = fetch_socks.describe(exc, proxy)  # (the proxy's own failures first)
        if said is None and _name_not_resolved(exc):
            said = f"DNS lookup failed for {host}"
        return said or self._describe(exc)

    def _is_proxy(self, exc: BaseException) -> bool:
        """Whether a connection error's host and port are those of an https:// proxy in use."""
        from aggregator.fetch_client import URL

        at = (getattr(exc, "host", None), getattr(exc, "port", None))
        for proxy in (self._proxies.http, self._proxies.https):
            if proxy is not None and _tls_proxy(proxy):
                parsed = URL(proxy)
                if (parsed.host, parsed.port) == at:
                    return True
        return False

    def _describe(self, exc: BaseException) -> str:
        """One readable line for a network-level failure."""
        from aggregator.fetch_client import HttpProcessingError, aiohttp

        if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(
            exc.os_error, PrivateAddressError
        ):
            return f"refused: {exc.os_error}"
        if isinstance(exc, aiohttp.ClientProxyConnectionError):
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            reason = "connection refused" if refused else exc.os_error.strerror
            reason = reason or _one_line(exc.os_error)
            return f"cannot connect to the proxy {exc.host}:{exc.port}: {reason}"
        if isinstance(exc, aiohttp.ClientHttpProxyError):
            return f"the proxy refused the tunnel: HTTP {exc.status} {_one_line(exc.message)}"
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"DNS lookup failed for {exc.host}"
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            where = f" at the proxy {exc.host}:{exc.port}" if self._is_proxy(exc) else ""
            said = f"TLS certificate error{where}: {_one_line(exc.certificate_error)}"
            if getattr(exc.certificate_error, "verify_code", None) in _ISSUER_UNKNOWN:
                said += " (a private CA or a self-signed certificate: trust it in [fetch] ca_file)"
            return said
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
            # (a body that does not decompress; a chunked body cut short is a
            # TransferEncodingError, whose name had read as this too)
            if "decode content-encoding" in str(exc).lower():
                return "bad content encoding in response body"
            return "connection closed mid-body (incomplete response)"
        if isinstance(exc, aiohttp.ClientResponseError | HttpProcessingError):
            unasked = _UNASKED.search(str(exc.message))
            if unasked:  # (aiohttp names a package to install: we never asked for it)
                return (
                    f"compressed as {unasked[1]}, which the request did not accept "
                    f"(Accept-Encoding: {_accept_encoding()})"
                )
            return f"invalid HTTP response: {_one_line(exc.message)}"
        if isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET:
            return "connection reset by peer"
        if isinstance(exc, aiohttp.InvalidURL | ValueError):
            return f"invalid URL: {_one_line(exc)}"
        if isinstance(exc, OSError) and exc.strerror:
            return f"network error: {exc.strerror}"
        return f"{type(exc).__name__}: {_one_line(exc)}".rstrip(": ")


# getaddrinfo's own errors (negative errnos on Linux), as a SOCKS connector passes them on
_LOOKUP_ERRNOS = frozenset(
    getattr(socket, name)
    for name in ("EAI_NONAME", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_ADDRFAMILY")
    if hasattr(socket, name)
)


def _unreached(exc: BaseException) -> bool:
    """Whether a failure came before any connection to the host: a failed name lookup, a
    connect that timed out or found no route (not a refusal: the host's machine answered
    that, nor a TLS failure), or the proxy not reached."""
    from aggregator.fetch_client import aiohttp

    if isinstance(exc, aiohttp.ClientSSLError):
        return False
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_error = exc.os_error
        return not isinstance(os_error, PrivateAddressError | ConnectionRefusedError)
    return isinstance(exc, aiohttp.ConnectionTimeoutError) or _name_not_resolved(exc)


def _name_not_resolved(exc: BaseException) -> bool:
    """Whether `exc` is a failed name lookup (aiohttp wraps it in a ClientOSError)."""
    return isinstance(exc, socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno in _LOOKUP_ERRNOS
    )


async def _drain(resp: aiohttp.ClientResponse) -> None:
    """Read and drop the body of an answer we don't use (a redirect, an error page) up to
    `_DRAIN` bytes: a connection whose body was left unread is closed, not reused, and the
    next request to that host opens another. A failure here changes nothing: the connection
    is closed then, as it would have been."""
    from aggregator.fetch_client import HttpProcessingError, aiohttp

    if resp.content_length is not None and resp.content_length > _DRAIN:
        return
    size = 0
    try:
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > _DRAIN:
                return
    except (aiohttp.ClientError, HttpProcessingError, OSError, ValueError):
        return


def _own_headers(user_agent: str | None, cookie: str | None) -> dict[str, str] | None:
    """A feed's own request headers (`feed_request`), or None for the session's alone."""
    if user_agent is None and cookie is None:
        return None
    own = {"User-Agent": user_agent} if user_agent else {}
    if cookie:
        own["Cookie"] = cookie
    return own


def _same_site(origin: str, target: str) -> bool:
    """`feed_request.same_site`, loaded by the first redirect that needs it."""
    from aggregator.feed_request import same_site

    return same_site(origin, target)


def same_site_credentials(origin: str, target: str) -> str:
    """`target` (a redirect's Location, resolved) with `origin`'s `user:password@` when the hop
    stays on the same host and port and scheme, or goes from http to https on the default
    ports: a private feed that moves to https or to a new path still authenticates. Never to
    another host or down to http, nor over credentials the Location gives itself."""
    if "@" not in origin:
        return target
    try:
        was, now = urlsplit(origin), urlsplit(target)
    except ValueError:
        return target
    if "@" not in was.netloc or "@" in now.netloc or not _same_site(origin, target):
        return target
    userinfo = was.netloc.rpartition("@")[0]
    return now._replace(netloc=f"{userinfo}@{now.netloc}").geturl()


_NUMERIC_HOST = re.compile(r"^(?=.*\d)[0-9a-fA-FxX.]+$")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: internal, not "private"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _address(host: str | None) -> IPAddress | None:
    """The IP address `host` names literally, in any form the resolver would accept too:
    dotted, ``[::1]``, zone ids, and inet_aton's hex, octal and integer forms
    (``0x7f000001``, ``0177.0.0.1``, ``2130706433``, ``127.1``). None for a name."""
    if not host:
        return None
    text = host.strip().strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one wraps (IPv4-mapped, 6to4, NAT64), else `address`."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded
    return address


# Cloud platforms' own services outside link-local, as their documentation gives them: where
# a machine's credentials and settings are read, never an intranet's web server.
_PLATFORM = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "fd00:ec2::254",  # AWS: the instance metadata service over IPv6
        "fd00:ec2::23",  # AWS: EKS Pod Identity's credentials over IPv6
        "fd20:ce::254",  # Google Compute Engine: the metadata server over IPv6
        "fd00:a9fe:a9fe::1",  # Akamai (Linode): the metadata service over IPv6
        "192.0.0.192",  # Oracle Cloud Classic and Cloud@Customer: instance metadata
        "100.100.100.200",  # Alibaba Cloud: instance metadata
        "168.63.129.16",  # Azure: the WireServer (the host's agent; a public address)
    )
)


# IPv6 ranges that carry an IPv4 address in their last 32 bits besides those `_unwrapped`
# reads, through a translator or tunnel the machine may have: IPv4-compatible (a 6in4 tunnel's
# sit0), SIIT's IPv4-translated, and a local-use NAT64 (RFC 8215, as a /96). Read for
# metadata only: `is_internal` counts them reserved whatever they carry.
_CARRIERS = tuple(ipaddress.ip_network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48"))


def is_metadata_address(address: IPAddress) -> bool:
    """169.254.0.0/16 or fe80::/10, or a cloud's metadata address outside them (`_PLATFORM`:
    AWS's fd00:ec2::254, Alibaba's 100.100.100.200, …), also wrapped in IPv6 (IPv4-mapped,
    6to4, NAT64, `_CARRIERS`): where a cloud's metadata service answers, never an intranet's
    feed."""
    address = _unwrapped(address)
    if isinstance(address, ipaddress.IPv6Address) and any(address in n for n in _CARRIERS):
        carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried.is_link_local or carried in _PLATFORM:
            return True
    return address.is_link_local or address in _PLATFORM


def is_internal(address: IPAddress) -> bool:
    """Loopback, private, link-local, shared, multicast, reserved, unspecified or a cloud's
    metadata address (`_PLATFORM`), also when wrapped in IPv6 (IPv4-mapped, 6to4, NAT64): no
    public feed redirects there."""
    address = _unwrapped(address)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
        or address.is_multicast
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
        or address in _PLATFORM
    )


def _tls_proxy(proxy: str | None) -> bool:
    """Whether requests through `proxy` speak TLS to the proxy itself (an https:// proxy)."""
    return proxy is not None and proxy[:6].lower() == "https:"


def _text(value: str) -> str:
    """`value` as aiohttp read it off the wire, with its bytes that were not UTF-8 (kept as
    lone surrogates, which SQLite, a log file or a page cannot take) read as Latin-1, as
    HTTP's obs-text was: a header's `caf\xe9` is "café"."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("latin-1")
    return value


def _url_text(value: str) -> str:
    """A URL header (Location) as aiohttp read it, with its bytes that were not UTF-8 (lone
    surrogates, which yarl drops) percent-encoded as they came: `/caf\xe9` is `/caf%E9`."""
    if value.isascii():
        return value
    sent = value.encode("utf-8", "surrogateescape")
    try:
        sent.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in sent)
    return value


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Response headers with lower-case names, their values text (`_text`); repeated headers
    joined with ", "."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key, value = _text(name.lower()), _text(value)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n} bytes"


def _one_line(value: object, most: int = 300) -> str:
    """`value` said on one line, at most `most` characters (a server's garbage quoted back by
    aiohttp, an HTTP/0.9 or TLS answer, had been stored as an error of ~8 KB)."""
    said = _SPACE.sub(" ", _text(str(value))).strip()
    return said if len(said) <= most else said[: most - 1] + "…"


def _host_port(url: Any) -> tuple[str, int | None]:
    """A yarl URL's host (lower case) and port, as `Fetcher._origins` keeps them."""
    return (url.host or "").lower(), url.port
