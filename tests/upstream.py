"""A loopback HTTP server for tests: serves feeds and misbehaves on purpose.

Use it inside a running event loop::

    async with Upstream() as up:
        url = up.add_feed("/feed.xml", body, etag='"v1"')
        ...

or, for synchronous code under test, in a background thread::

    with Upstream().running_in_thread() as up:
        ...

Registered paths (``add_feed``, ``add_redirect``) honour If-None-Match / If-Modified-Since and
record every request in ``up.requests``. Built-in misbehaving paths:

``/status/{code}?retry_after=V``  that status (plus Retry-After: V when given)
``/big?bytes=N&length=1``          N bytes of padding, chunked (with Content-Length when length=1)
``/bomb?bytes=N``                  gzip of N bytes of zeros, Content-Encoding: gzip
``/trickle?interval=S``            a 200 that sends one byte every S seconds, forever
``/reset?rst=1``                   promises 100 000 bytes, sends 1 000, then closes (RST if rst=1)
``/hang``                          accepts the request and never answers
``/bad-gzip``                      claims gzip, sends garbage
``/slow?delay=S``                  a small feed after S seconds (``max_in_flight`` counts overlap)
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web

__all__ = ["RecordedRequest", "Resource", "Upstream", "free_port", "gzip_bomb", "opml"]

_TRICKLE_LIMIT = 60.0  # seconds; a trickling handler gives up after this even if nobody hangs up


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    at: float = field(default_factory=time.monotonic)  # when it came in


@dataclass
class Resource:
    """What a registered path answers with."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    delay: float = 0.0  # seconds before the answer
    gate: asyncio.Event | None = None  # the answer waits until it is set


def gzip_bomb(size: int) -> bytes:
    """A gzip stream that inflates to ``size`` zero bytes (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = []
    remaining = size
    while remaining > 0:
        n = min(remaining, len(block))
        parts.append(compressor.compress(block[:n]))
        remaining -= n
    parts.append(compressor.flush())
    return b"".join(parts)


def free_port() -> int:
    """A loopback port that nothing listens on (bound, then released): for a test's own
    server to listen on, or for a client to find closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def opml(*urls: str, category: str = "World News") -> str:
    """An OPML listing `urls` under one category."""
    outlines = "".join(
        f'<outline type="rss" text="F{n}" xmlUrl="{u}"/>' for n, u in enumerate(urls)
    )
    return (
        f'<opml version="2.0"><body><outline text="{category}">{outlines}</outline></body></opml>'
    )


class Upstream:
    """A test feed server on 127.0.0.1 with a random port."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[RecordedRequest] = []
        self.port: int = 0
        self._runner: web.AppRunner | None = None
        self._bombs: dict[int, bytes] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        # a WebSub hub at /hub/<name>: the forms it was sent, and what each name answers
        self.hub_forms: list[tuple[str, dict[str, str]]] = []
        self.hub_status: dict[str, int] = {}

    # --- registration -----------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        if not self.port:
            raise RuntimeError("Upstream not started")
        return f"http://127.0.0.1:{self.port}{path}"

    def add_feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
        status: int = 200,
        gzip: bool = False,
        delay: float = 0.0,
        gate: asyncio.Event | None = None,
    ) -> str:
        """Serve ``body`` at ``path`` (replacing what was there), ``delay`` seconds after the
        request and once ``gate`` (when given) is set; returns its URL."""
        self.resources[path] = Resource(
            body=body,
            status=status,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            headers=dict(headers or {}),
            gzip=gzip,
            delay=delay,
            gate=gate,
        )
        return self.url(path) if self.port else path

    def add_redirect(self, path: str, target: str, status: int = 301) -> str:
        """Redirect ``path`` to ``target`` (a path or absolute URL) with ``status``."""
        self.resources[path] = Resource(status=status, headers={"Location": target})
        return self.url(path) if self.port else path

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/status/{code}", self._status)
        app.router.add_route("GET", "/big", self._big)
        app.router.add_route("GET", "/bomb", self._bomb)
        app.router.add_route("GET", "/trickle", self._trickle)
        app.router.add_route("GET", "/reset", self._reset)
        app.router.add_route("GET", "/hang", self._hang)
        app.router.add_route("GET", "/bad-gzip", self._bad_gzip)
        app.router.add_route("GET", "/slow", self._slow)
        app.router.add_route("POST", "/hub/{name}", self._hub)
        app.router.add_route("*", "/{tail:.*}", self._resource)
        app.middlewares.append(self._record)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Upstream:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @contextlib.contextmanager
    def running_in_thread(self) -> Iterator[Upstream]:
        """Run the server on its own event loop in a daemon thread (for synchronous tests)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="upstream", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)
            yield self
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.close(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    # --- handlers -----------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: web.Handler) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=request.query_string,
                headers={k.lower(): v for k, v in request.headers.items()},
            )
        )
        return await handler(request)

    async def _resource(self, request: web.Request) -> web.StreamResponse:
        res = self.resources.get(request.path)
        if res is None:
            return web.Response(status=404, text="not found")
        if res.delay:
            await asyncio.sleep(res.delay)
        if res.gate is not None:
            await res.gate.wait()
        headers = dict(res.headers)
        if res.etag:
            headers["ETag"] = res.etag
        if res.last_modified:
            headers["Last-Modified"] = res.last_modified
        if res.status == 200:
            inm = request.headers.get("If-None-Match")
            ims = request.headers.get("If-Modified-Since")
            if (res.etag and inm == res.etag) or (
                inm is None and res.last_modified and ims == res.last_modified
            ):
                return web.Response(status=304, headers=headers)
        body = res.body
        if res.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if res.status in (301, 302, 303, 307, 308, 304, 204):
            return web.Response(status=res.status, headers=headers)
        headers["Content-Type"] = res.content_type
        return web.Response(status=res.status, body=body, headers=headers)

    async def _hub(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        status = self.hub_status.get(name, 204)
        if status < 300:  # (a failing hub took nothing)
            form = await request.post()
            self.hub_forms.append((name, {k: str(v) for k, v in form.items()}))
        return web.Response(status=status)

    async def _status(self, request: web.Request) -> web.StreamResponse:
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        code = int(request.match_info["code"])
        return web.Response(status=code, headers=headers, text=f"status {code}\n")

    async def _big(self, request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("bytes", str(32 << 20)))
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        if request.query.get("length") == "1":
            resp.content_length = size
        else:
            resp.enable_chunked_encoding()
        with contextlib.suppress(ConnectionError):
            await resp.prepare(request)
            chunk = b" " * 65536
            sent = 0
            while sent < size:
                piece = chunk[: size - sent]
                await resp.write(piece)
                sent += len(piece)
            await resp.write_eof()
        return resp

    async def _bomb(self, request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("bytes", str(64 << 20)))
        if size not in self._bombs:
            self._bombs[size] = gzip_bomb(size)
        return web.Response(
            body=self._bombs[size],
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )

    async def _trickle(self, request: web.Request) -> web.StreamResponse:
        interval = float(request.query.get("interval", "0.1"))
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        resp.enable_chunked_encoding()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _TRICKLE_LIMIT
        with contextlib.suppress(ConnectionError):
            await resp.prepare(request)
            await resp.write(b"<rss>")
            while loop.time() < deadline:
                await asyncio.sleep(interval)
                await resp.write(b" ")
        return resp

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        resp.content_length = 100_000
        await resp.prepare(request)
        await resp.write(b"<rss>" + b" " * 995)
        transport = request.transport
        if transport is not None:
            if request.query.get("rst") == "1":
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            else:
                transport.close()
        return resp

    async def _hang(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(_TRICKLE_LIMIT)
        return web.Response(text="too late")

    async def _bad_gzip(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=b"\x1f\x8b\x08\x00this is not gzip at all" * 10,
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(float(request.query.get("delay", "0.2")))
        finally:
            self.in_flight -= 1
        return web.Response(
            body=b"<rss version='2.0'><channel><title>slow</title></channel></rss>",
            content_type="application/rss+xml",
        )
