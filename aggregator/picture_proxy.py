"""Stories' pictures served through the site (`[publish] picture_proxy`).

A story's picture is an outlet's address (`entry_images`). Linked as it is, every reader's
browser asks the outlet for it: the outlet sees who reads the story, and a plain-http picture
on a page served over https is blocked as mixed content. Proxied, the pages and feeds name
`/pictures/<story>/<key>` on this site instead, and the server fetches the picture for them.

It is no open proxy: the address names a story, not a URL, and the server fetches only the
picture that story shows now, whose address's hash is `key` (a new picture is a new key, so
a copy cached under a key never goes stale; an older key leads to the current one). The fetch
is the fetcher's, with its guards: an address that resolves inside the network is refused
unless its host is one the operator listed a feed on, redirects are checked hop by hop, the
size is capped (`MAX_BYTES`), and only a raster picture is passed on (never SVG, which can
carry script): by its image type, or, served with another, by its first bytes and named by
them (`picture_checks.picture_type`, as the picture checks judge it). At most `FETCHES` run
at once; recent pictures are kept in memory (at most `CACHE_BYTES`, each for `CACHE_SECONDS`;
a failure for `FAILURE_SECONDS`), and many asks for one picture wait on one fetch.

`publish.proxied` (pure) names the pictures; this is the server's side.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from .fetch import PICTURE_ACCEPT, Fetcher, FetchSettings
from .models import Fetched, FetchFailed, NotModified
from .picture_checks import PROXY_MAX_BYTES, picture_type

__all__ = ["Picture", "Pictures"]

log = logging.getLogger("aggregator")

MAX_BYTES = PROXY_MAX_BYTES  # a bigger picture is not passed on
FETCHES = 4  # pictures fetched at once; more wait their turn
CACHE_BYTES = 16 * 2**20  # pictures kept in memory, at most
CACHE_SECONDS = 3600.0  # how long one is served from memory before it is fetched again
FAILURE_SECONDS = 60.0  # how long a failed fetch is answered without asking again
TIMEOUT = 15.0  # seconds: at most this (or the fetch settings' timeout, if shorter)


@dataclass(frozen=True, slots=True)
class Picture:
    """A fetched picture (`body`, `content_type`), or why there is none (`error`, `status`:
    the status this server answers with)."""

    body: bytes = b""
    content_type: str = ""
    error: str = ""
    status: int = 200


class Pictures:
    """The server's side: `get(url)` gives the picture at `url`, from memory or fetched. Used
    on the server's event loop; `close()` at its end."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        hosts: Callable[[], Iterable[tuple[str, int | None]]] | None = None,
        fetcher: Callable[[FetchSettings], Fetcher] = Fetcher,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        settings = settings or FetchSettings()
        timeout = min(settings.total_timeout, TIMEOUT)
        self._settings = replace(settings, total_timeout=timeout)
        self._hosts = hosts  # the operator's feeds' hosts and ports, read before each fetch
        self._make = fetcher
        self._fetcher: Fetcher | None = None
        self._clock = clock
        self._kept: OrderedDict[str, tuple[float, Picture]] = OrderedDict()
        self._size = 0
        self._pending: dict[str, asyncio.Future[Picture]] = {}
        self._slots = asyncio.Semaphore(FETCHES)  # (each may hold MAX_BYTES until it is sent)

    async def get(self, url: str) -> Picture:
        kept = self._kept.get(url)
        if kept is not None:
            until, picture = kept
            if self._clock() < until:
                self._kept.move_to_end(url)
                return picture
            self._forget(url)
        task = self._pending.get(url)
        if task is None:  # (its own task: a reader who leaves cancels no one else's wait)
            task = self._pending[url] = asyncio.ensure_future(self._fetch_and_keep(url))
        return await asyncio.shield(task)

    async def _fetch_and_keep(self, url: str) -> Picture:
        try:
            async with self._slots:
                picture = await self._fetch(url)
        finally:
            del self._pending[url]
        if picture.error:  # (once a fetch: asks answered from memory say nothing)
            log.info("picture=%s not passed on: %s", url, picture.error)
        self._keep(url, picture)
        return picture

    async def _fetch(self, url: str) -> Picture:
        if self._fetcher is None:
            self._fetcher = self._make(self._settings)
            await self._fetcher.__aenter__()
        if self._hosts is not None:  # (a feed added since may have its pictures fetched)
            self._fetcher.trust_hosts(await asyncio.to_thread(self._hosts))
        outcome = await self._fetcher.fetch(
            url, accept=PICTURE_ACCEPT, max_bytes=MAX_BYTES, trusted=False
        )
        if isinstance(outcome, FetchFailed):
            timed_out = outcome.error.startswith("timed out")
            return Picture(error=outcome.error, status=504 if timed_out else 502)
        if isinstance(outcome, NotModified):  # (asked without validators: not expected)
            return Picture(error="the outlet answered 304 to a plain request", status=502)
        assert isinstance(outcome, Fetched)
        # The type passed on is the one its bytes are (a JPEG served as octet-stream is one
        # all the same), never the outlet's header: "image/png, text/html" over a page had
        # been served as a page on the site's own address.
        kind = picture_type(outcome.body)
        if kind is None:
            said = outcome.headers.get("content-type", "").split(";")[0].strip().lower()
            return Picture(error=f"not a picture: {said or 'no type'}", status=502)
        return Picture(outcome.body, kind)

    def _keep(self, url: str, picture: Picture) -> None:
        if len(picture.body) > CACHE_BYTES // 4:
            return
        seconds = CACHE_SECONDS if not picture.error else FAILURE_SECONDS
        self._forget(url)
        self._kept[url] = (self._clock() + seconds, picture)
        self._size += len(picture.body)
        while self._size > CACHE_BYTES:
            self._forget(next(iter(self._kept)))

    def _forget(self, url: str) -> None:
        kept = self._kept.pop(url, None)
        if kept is not None:
            self._size -= len(kept[1].body)

    async def close(self) -> None:
        for task in list(self._pending.values()):
            task.cancel()
        if self._fetcher is not None:
            fetcher, self._fetcher = self._fetcher, None
            await fetcher.__aexit__(None, None, None)
