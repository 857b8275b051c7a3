"""The aiohttp web server: feeds, OPML, pages, robots.txt and favicon; cached, ETag/304, gzip.

Read-only: every route is GET (HEAD comes free); nothing is written, but for the readers' own
sign-ups to a daily email that `aggregator run` takes (`signup_web`). Reader calls are synchronous
SQLite reads, so they (and rendering) run in a worker thread. Rendered responses are cached in
memory per (path, data version), each with its headers, validators and gzip body prepared once;
the data version is asked of the reader at most every `version_ttl` seconds, so a request for a
cached path never leaves the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gzip
import hashlib
import json
import logging
import os
import posixpath
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from aggregator.client_cap import ClientCap
from aggregator.damage import Damage
from aggregator.digest import DigestSettings
from aggregator.errors import ConfigError
from aggregator.feeds import OPML_FORMATS
from aggregator.fetch import FetchSettings
from aggregator.health import report as health_report
from aggregator.metrics import CONTENT_TYPE as METRICS_TYPE
from aggregator.metrics import RELAY_HEADERS, Network, allowed
from aggregator.metrics import render as render_metrics
from aggregator.pages import COLOR_SCHEME_META, render_not_found_html
from aggregator.picture_proxy import Pictures
from aggregator.publish import (
    ALL_SLUG,
    ENGLISH,
    PICTURES,
    PublishSettings,
    is_proxied,
    picture_key,
    safe_url,
    utc,
)
from aggregator.site import RERANK_SECONDS, Output, Site, StoryReader
from aggregator.site_words import Words
from aggregator.slugs import RESERVED_SLUGS, SLUG_PATTERN
from aggregator.store_db import storage_fault_in

if TYPE_CHECKING:
    from aggregator.push_job import PushJob
    from aggregator.signup_web import Signups

log = logging.getLogger("aggregator")

STATIC_MAX_AGE = 86400  # robots.txt and favicons
FAULT_LOG_EVERY = 60.0  # seconds between log lines of one passing storage fault the pages meet
UNAVAILABLE_RETRY = 300  # Retry-After (seconds) of a page the database cannot give
VERSION_TTL = 1.0  # seconds a data version is trusted before asking the reader again
SEARCHES = 2  # searches read at once; more wait their turn
PICTURE_MAX_AGE = 7 * 86400  # Cache-Control max-age of a proxied picture (its address is its own)
CACHE_ENTRIES = 2048  # cap on cached responses for one data version
OPML_PATHS = {path.removesuffix(".opml"): fmt for fmt, path in OPML_FORMATS.items()}
_MIN_GZIP = 256  # bodies smaller than this are sent as they are
_SLUG = SLUG_PATTERN
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer-when-downgrade",
}  # (and the app's Content-Security-Policy, `content_security_policy`, on every response)


def content_security_policy(base_url: str, picture_proxy: str = "http") -> str:
    """No scripts, frames or plugins; styles inline, pictures from anywhere over https (and
    over http when the site names plain-http pictures at their outlets, `picture_proxy =
    "off"`: each had been an empty frame, blocked by this policy). Forms may go to this site
    only (the search box's GET): to the origin the page came from, and to `base_url`'s, where
    the search box sends its query when a reverse proxy or a local test serves the pages
    under another name."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""
    pictures = "https: http:" if picture_proxy == "off" else "https:"
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' {pictures} data:; "
        f"base-uri 'none'; form-action 'self'{' ' + origin if origin else ''}; "
        "frame-ancestors 'none'"
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered response body with its validators and headers, ready to serve many times."""

    body: bytes
    content_type: str
    etag: str  # hex digest, unquoted
    last_modified: datetime | None = None
    gzipped: bytes | None = None  # present when compression pays off
    expires: float | None = None  # monotonic time after which it is rendered again
    headers: dict[str, str] = field(default_factory=dict)  # for a plain 200
    gzip_headers: dict[str, str] = field(default_factory=dict)  # for a gzip 200
    headers_304: dict[str, str] = field(default_factory=dict)
    gzip_headers_304: dict[str, str] = field(default_factory=dict)
    etags: frozenset[str] = frozenset()  # quoted tags that revalidate it

    @classmethod
    def build(
        cls,
        body: bytes,
        content_type: str,
        last_modified: datetime | None,
        *,
        expires: float | None = None,
        max_age: int | None = None,
        link: str | None = None,
        dated: Callable[[str, datetime | None], datetime | None] | None = None,
    ) -> Rendered:
        """Hash, compress (when worth it) and prepare headers once; `link`: a Link header;
        `dated(etag, last_modified)`: the Last-Modified to send instead (`ChangeTimes`)."""
        packed = None
        if len(body) >= _MIN_GZIP:
            packed = gzip.compress(body, compresslevel=6, mtime=0)
            if len(packed) >= len(body):
                packed = None
        etag = hashlib.blake2b(body, digest_size=16).hexdigest()
        if dated is not None:
            last_modified = dated(etag, last_modified)
        common = {**_SECURITY_HEADERS, "Vary": "Accept-Encoding"}
        if max_age is not None:
            common["Cache-Control"] = f"public, max-age={max_age}"
        if last_modified is not None:
            common["Last-Modified"] = _http_date(last_modified)
        if link is not None:
            common["Link"] = link
        plain = {**common, "ETag": f'"{etag}"'}
        packed_tag = {**common, "ETag": f'"{etag}-gz"'}
        return cls(
            body,
            content_type,
            etag,
            last_modified,
            packed,
            None if expires is None else time.monotonic() + expires,
            {**plain, "Content-Type": content_type},
            {**packed_tag, "Content-Type": content_type, "Content-Encoding": "gzip"},
            plain,
            packed_tag,
            frozenset({f'"{etag}"', f'"{etag}-gz"', f'W/"{etag}"', f'W/"{etag}-gz"'}),
        )


class ChangeTimes:
    """When each document's body last changed, as this server saw it: its Last-Modified.

    The newest story's `updated` (a source's own date) does not move when a story dated
    before it comes in, when one drops out past a feed's cap, or when two merge: the body
    changed under the same Last-Modified, a reader asking If-Modified-Since was answered
    304, and libcurl's readers (newsboat) dropped the new body of a 200 dated no later than
    their copy. A changed body is dated now (a second past the last date at least), an
    unchanged one keeps its date, and one first seen since the start is dated no earlier
    than the start (what changed while the server was down is never called unchanged); never
    earlier than its newest story. The memory holds the latest `limit` documents."""

    def __init__(self, started: datetime, limit: int = CACHE_ENTRIES) -> None:
        self._started = started.replace(microsecond=0)
        self._limit = limit
        self._seen: dict[str, tuple[str, datetime]] = {}  # key: (etag, its Last-Modified)
        self._lock = threading.Lock()  # (bodies are rendered on worker threads)

    def dated(self, key: str, now: datetime) -> Callable[[str, datetime | None], datetime | None]:
        """`Rendered.build`'s `dated` for document `key` rendered at `now`."""

        def date(etag: str, newest: datetime | None) -> datetime | None:
            if newest is None:  # (no story: no date to send)
                return None
            with self._lock:
                seen = self._seen.pop(key, None)
                if seen is None:
                    when = max(newest, self._started)
                elif seen[0] == etag:
                    when = seen[1]
                else:
                    when = max(newest, now.replace(microsecond=0), seen[1] + timedelta(seconds=1))
                if len(self._seen) >= self._limit:
                    self._seen.pop(next(iter(self._seen)))
                self._seen[key] = (etag, when)
            return when

        return date


class _Cache:
    """Rendered responses for the current data version only."""

    def __init__(self, limit: int = CACHE_ENTRIES) -> None:
        self._limit = limit
        self._version: str | None = None
        self._entries: dict[str, Rendered] = {}

    def get(self, path: str, version: str) -> Rendered | None:
        if version != self._version:
            return None
        entry = self._entries.get(path)
        if entry is not None and entry.expires is not None and entry.expires < time.monotonic():
            return None
        return entry

    def put(self, path: str, version: str, entry: Rendered) -> None:
        if version != self._version:
            self._entries.clear()
            self._version = version
        if len(self._entries) >= self._limit:
            self._entries.pop(next(iter(self._entries)))
        self._entries[path] = entry


class _Version:
    """The reader's data version, asked at most every `ttl` seconds, by one request at a time."""

    def __init__(self, reader: StoryReader, ttl: float) -> None:
        self._reader = reader
        self._ttl = ttl
        self._value: str | None = None
        self._checked = 0.0
        self._pending: asyncio.Future[str] | None = None

    async def get(self) -> str:
        if self._value is not None and time.monotonic() - self._checked < self._ttl:
            return self._value
        if self._pending is None:
            self._pending = asyncio.ensure_future(asyncio.to_thread(self._reader.version))
        pending = self._pending
        try:
            value = await asyncio.shield(pending)
        finally:
            if self._pending is pending and pending.done():
                self._pending = None
        self._value, self._checked = value, time.monotonic()
        return value


def _http_date(moment: datetime) -> str:
    return format_datetime(utc(moment), usegmt=True)


def _accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (q=0 refuses it)."""
    if header in ("gzip, deflate", "gzip, deflate, br", "gzip", "gzip, deflate, br, zstd"):
        return True  # the common headers, without parsing
    named: dict[str, float] = {}  # gzip's own quality wins over the wildcard's (RFC 9110)
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        named.setdefault("*" if coding == "*" else "gzip", quality)
    return named.get("gzip", named.get("*", 0.0)) > 0


def _not_modified(request: web.Request, entry: Rendered) -> bool:
    """RFC 9110 revalidation: If-None-Match wins; If-Modified-Since only without it."""
    raw = request.headers.get("If-None-Match")
    if raw is not None:
        if raw in entry.etags:  # the usual case: one tag, as we sent it
            return True
        if_none_match = request.if_none_match or ()
        mine = {entry.etag, f"{entry.etag}-gz"}
        return any(tag.value == "*" or tag.value in mine for tag in if_none_match)
    since = request.if_modified_since
    if since is not None and entry.last_modified is not None:
        return entry.last_modified.replace(microsecond=0) <= since
    return False


def _serve(request: web.Request, entry: Rendered) -> web.Response:
    """A 200 or a 304, with the headers `entry` prepared for it."""
    use_gzip = entry.gzipped is not None and _accepts_gzip(
        request.headers.get("Accept-Encoding", "")
    )
    if _not_modified(request, entry):
        return web.Response(
            status=304, headers=entry.gzip_headers_304 if use_gzip else entry.headers_304
        )
    headers = entry.gzip_headers if use_gzip else entry.headers
    return web.Response(body=entry.gzipped if use_gzip else entry.body, headers=headers)


_HOME = web.AppKey("home", str)  # the front page's URL, linked from the 404 page
_WORDS = web.AppKey("words", Words)  # the site's words, for the 404 and 503 pages


def relocated(path: str, old: str, new: str) -> str:
    """A relative link from `path` to the same document under the category slug `new`.

    `old` is the path's first segment that is the slug or the slug with an extension
    ("/feeds/category.atom", "/category/page/2/"). Relative, so it stays right behind a
    reverse proxy that adds a path prefix.
    """
    parts = path.split("/")
    # "/feeds/<slug>.atom" and "/feeds/<slug>/top.atom"; else "/<slug>/…" (a slug "feeds" too)
    feed = len(parts) > 2 and parts[1] == "feeds"
    at = 2 if feed and (parts[2] == old or parts[2].startswith(old + ".")) else 1
    parts[at] = new + parts[at][len(old) :]
    target = "/".join(parts)
    link = posixpath.relpath(target, posixpath.dirname(path))
    return link + "/" if target.endswith("/") else link


def not_found_response(
    home: str | None = None, words: Words = ENGLISH, *, status: int = 404
) -> web.Response:
    """The 404 page (`render_not_found_html`: a static export's 404.html holds the same);
    `status` 410 for a story retention pruned."""
    return web.Response(
        status=status,
        text=render_not_found_html(home, words),
        content_type="text/html",
        charset="utf-8",
        headers={**_SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


@web.middleware
async def _not_found_page(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return not_found_response(request.app.get(_HOME), request.app.get(_WORDS, ENGLISH))


def unavailable_response(words: Words = ENGLISH) -> web.Response:
    """A small 503 page for a page the database cannot give now (a damaged file, an I/O
    error): readers and their feed readers try again later, nothing caches it."""
    title = words("unavailable")
    body = (
        f'<!doctype html>\n<html lang="{words.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{COLOR_SCHEME_META}<title>{title}</title></head>\n<body><h1>{title}</h1>"
        f"<p>{words('unavailable_text')}</p></body></html>\n"
    )
    return web.Response(
        status=503,
        text=body,
        content_type="text/html",
        charset="utf-8",
        headers={
            **_SECURITY_HEADERS,
            "Cache-Control": "no-store",
            "Retry-After": str(UNAVAILABLE_RETRY),
        },
    )


_DAMAGE = web.AppKey("damage", Damage)
_CSP = web.AppKey("csp", str)  # the Content-Security-Policy of every response
_FAULTS_TOLD = web.AppKey("faults_told", dict)  # a passing fault's words -> when last logged


@web.middleware
async def _storage_faults(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A page the database cannot give is a 503 and a line in the log, not a bare 500 and a
    traceback per request. Damage is told once (`Damage.note`), a passing fault (an I/O
    error) at most once a minute."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:
        fault = storage_fault_in(exc)
        if fault is None:
            raise
        if not request.app[_DAMAGE].note(exc, f"serving {request.rel_url.path}"):
            told, now = request.app[_FAULTS_TOLD], time.monotonic()
            if now - told.get(fault, -FAULT_LOG_EVERY) >= FAULT_LOG_EVERY:
                told[fault] = now
                log.error("web: %s cannot be read: %s", request.rel_url.path, fault)
        return unavailable_response(request.app.get(_WORDS, ENGLISH))


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response the app sends (redirects, errors, /healthz too) carries them."""
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", request.app[_CSP])


def make_app(
    reader: StoryReader,
    settings: PublishSettings,
    *,
    clock: Callable[[], datetime] | None = None,
    digest: DigestSettings | None = None,
    version_ttl: float = VERSION_TTL,
    stale_after: timedelta | None = None,
    damage: Damage | None = None,
    fetch: FetchSettings | None = None,
    pictures: Pictures | None = None,
    metrics: Sequence[Network] | None = None,
    signups: Signups | None = None,
    push: PushJob | None = None,
) -> web.Application:
    """The web application serving `reader`'s stories as pages and feeds.

    Stories' pictures named through this site (`picture_proxy`) are fetched with `fetch`'s
    settings (`pictures`: a server side of the tests' own).

    With `digest`, pages of categories that have a daily email link to `/<slug>/subscribe/`.
    `version_ttl`: how long (seconds) a data version is trusted before asking the reader again.
    `/healthz` answers 503 "degraded" when most feeds fail or (given `stale_after`) the last
    poll cycle is older than that; 200 "warning" (with `warnings`) while a sources edit is
    refused, as the service still works; and "degraded" once the database file was found
    damaged (by the pages or, given the service's `damage`, by its jobs). With `metrics` (the
    networks allowed), `/metrics` answers their clients in Prometheus' text format, and
    everyone else as an unknown address. With `signups` (the service's, and `[digest]
    self_service`), readers sign up for a category's daily email on its subscribe page.
    With `push` (the service's, and `[fetch] websub_callback`), hubs check its subscription
    requests and notify it at `/websub/<key>`.
    """
    damage = damage or Damage(clock)
    now = clock or (lambda: datetime.now(UTC))
    if settings.search:  # offered where the database has its index (`search_index`)
        searchable = getattr(reader, "searchable", None)
        settings = replace(settings, search=callable(searchable) and bool(searchable()))
    site = Site(reader, settings, clock=clock, digest=digest, signups=signups is not None)

    def not_found() -> web.Response:
        return not_found_response(settings.base_url, settings.words)

    mailed = site.digests
    cache = _Cache()
    changes = ChangeTimes(now())
    version = _Version(reader, version_ttl)

    def prepared(render: Callable[[], Output | None], key: str) -> Callable[[], Rendered | None]:
        def run() -> Rendered | None:
            output = render()
            if output is None:
                return None
            return Rendered.build(
                output.body,
                output.content_type,
                output.last_modified,
                expires=RERANK_SECONDS if output.ranked else None,
                max_age=settings.max_age,
                link=output.link,
                dated=changes.dated(key, now()),
            )

        return run

    async def cached(
        request: web.Request, render: Callable[[], Output | None]
    ) -> web.StreamResponse:
        key = request.rel_url.path
        current = await version.get()
        entry = cache.get(key, current)
        if entry is None:
            entry = await asyncio.to_thread(prepared(render, key))
            if entry is None:
                return not_found()
            cache.put(key, current, entry)
        return _serve(request, entry)

    def fixed(output: Output) -> Callable[[web.Request], Awaitable[web.Response]]:
        entry = Rendered.build(output.body, output.content_type, None, max_age=STATIC_MAX_AGE)

        async def handler(request: web.Request) -> web.Response:
            return _serve(request, entry)

        return handler

    async def index(request: web.Request) -> web.StreamResponse:
        return await cached(request, site.index)

    async def sources(request: web.Request) -> web.StreamResponse:
        return await cached(request, site.sources)

    async def sources_slash(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(location="sources/")  # (relative: behind a prefix too)

    async def moved(request: web.Request, slug: str, slash: bool = False) -> None:
        """Send a link to a category's former slug on to its slug now (see Site.moved_slug);
        `slash`: the link is a page's address written without its slash, sent straight to
        the page (not to the same address under the new slug, a second hop). A document
        cached for the current data is a category's own: no query for it."""
        path = request.rel_url.path
        if slug not in RESERVED_SLUGS and cache.get(path, await version.get()) is not None:
            return
        new = await asyncio.to_thread(site.moved_slug, slug)
        if new:
            location = f"{new}/" if path == f"/{slug}" else relocated(path, slug, new)
            if slash and not location.endswith("/"):
                location += "/"
            raise web.HTTPMovedPermanently(location=location)

    async def category(request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        if slug != ALL_SLUG:  # every category's page, not a category "All" of before
            await moved(request, slug)
        return await cached(request, lambda: site.category(slug))

    async def subscribe(request: web.Request) -> web.StreamResponse:
        """`/<slug>/subscribe/`, for a category that has a daily email; `/<slug>/subscribe`,
        as pages and emails linked it before, is the page too (see `story`)."""
        slug = request.match_info["slug"]
        await moved(request, slug, slash=not request.rel_url.path.endswith("/"))
        return await cached(request, lambda: site.subscribe(slug))

    async def category_page(request: web.Request) -> web.StreamResponse:
        slug, page = request.match_info["slug"], int(request.match_info["page"])
        if slug != ALL_SLUG:
            await moved(request, slug)
        if page == 1:  # the category page itself (as blogs answer /page/1/)
            return await with_slash(request, "../../")
        if page < 1:
            return not_found()
        return await cached(request, lambda: site.category(slug, page))

    async def with_slash(request: web.Request, location: str) -> web.StreamResponse:
        """A category's address written without its slash: to `location`, the address with
        it (relative, so it stays right behind a reverse proxy that adds a path prefix)."""
        slug = request.match_info["slug"]
        if slug != ALL_SLUG:
            await moved(request, slug, slash=True)
            if await asyncio.to_thread(site.category_named, slug) is None:
                return not_found()
        raise web.HTTPMovedPermanently(location=location)

    async def category_page_redirect(request: web.Request) -> web.StreamResponse:
        """`/<slug>/page/2`, typed or linked without its slash: to the page."""
        return await with_slash(request, f"{request.match_info['page']}/")

    async def category_redirect(request: web.Request) -> web.StreamResponse:
        return await with_slash(request, f"{request.match_info['slug']}/")

    async def feed(request: web.Request) -> web.StreamResponse:
        slug, fmt = request.match_info["slug"], request.match_info["fmt"]
        if slug != ALL_SLUG:  # every category's feed, not a category "All" of before
            await moved(request, slug)
        return await cached(request, lambda: site.feed(slug, fmt))

    async def top_feed(request: web.Request) -> web.StreamResponse:
        slug, fmt = request.match_info["slug"], request.match_info["fmt"]
        if slug != ALL_SLUG:  # every category's feed, not a category "All" of before
            await moved(request, slug)
        return await cached(request, lambda: site.feed(slug, fmt, top=True))

    async def opml(request: web.Request) -> web.StreamResponse:
        fmt = OPML_PATHS[request.match_info["name"]]
        return await cached(request, lambda: site.opml(fmt))

    async def merged(request: web.Request, story_id: str, to: Callable[[str], str]) -> None:
        """Send a merged story's page or feed on to the story that absorbed it (`to`: the
        address relative to the one asked, from the new id). A document cached for the
        current data version is known not to be merged: no query for it."""
        merged_into = getattr(reader, "merged_into", None)
        if cache.get(request.rel_url.path, await version.get()) is None and callable(merged_into):
            target = await asyncio.to_thread(merged_into, story_id)
            if target:
                raise web.HTTPMovedPermanently(location=to(quote(target, safe="")))

    async def gone_if_pruned(story_id: str, response: web.StreamResponse) -> web.StreamResponse:
        """`response`, or 410 Gone for a story retention pruned (its 404 said it might come
        back, and feed readers following its updates feed kept asking)."""
        was_pruned = getattr(reader, "was_pruned", None)
        if response.status != 404 or not callable(was_pruned):
            return response
        if await asyncio.to_thread(was_pruned, story_id):
            return not_found_response(settings.base_url, settings.words, status=410)
        return response

    async def story(request: web.Request) -> web.StreamResponse:
        """`/stories/<id>/`: a story's page; a merged story's moved to the story that
        absorbed it. `/stories/<id>`, as pages, feeds and emails linked it before, is the page
        too, not a redirect: the release before answered the page's address now (with its
        slash) by a permanent redirect to that one, which browsers keep, and a redirect back
        had been a loop for them. Its links are absolute and its canonical link names the
        address now."""
        story_id = request.match_info["story_id"]
        up = "../" if request.rel_url.path.endswith("/") else ""
        await merged(request, story_id, lambda new: f"{up}{new}/")
        return await gone_if_pruned(story_id, await cached(request, lambda: site.story(story_id)))

    async def story_feed(request: web.Request) -> web.StreamResponse:
        """`/stories/<id>/updates.atom`: a story's own feed; a merged story's moved to the
        story that absorbed it, as its page did."""
        story_id, fmt = request.match_info["story_id"], request.match_info["fmt"]
        await merged(request, story_id, lambda new: f"../{new}/updates.{fmt}")
        found = await cached(request, lambda: site.story_feed(story_id, fmt))
        return await gone_if_pruned(story_id, found)

    # Searches are read for each request, in threads; at most this many at once, so a flood
    # of them leaves threads for the pages and /healthz (the default pool has a few).
    searching = asyncio.Semaphore(SEARCHES)

    async def search(request: web.Request) -> web.StreamResponse:
        """`/search?q=…&page=N`: rendered for each request (no cache: any words may come),
        kept by browsers a minute."""
        try:
            page = int(request.query.get("page", "1"))
        except ValueError:
            page = 0
        async with searching:
            output = await asyncio.to_thread(site.search, request.query.get("q", ""), page)
        if output is None:
            return not_found()
        return web.Response(
            body=output.body,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "max-age=60"},
        )

    async def search_feed(request: web.Request) -> web.StreamResponse:
        """`/search.atom?q=…` (`.rss`, `.json`): a search followed in a feed reader. Rendered
        for each request, answered 304 when the reader's copy is current (its ETag)."""
        query, fmt = request.query.get("q", ""), request.match_info["fmt"]
        async with searching:
            output = await asyncio.to_thread(site.search_feed, query, fmt)
        if output is None:
            return not_found()
        entry = Rendered.build(
            output.body,
            output.content_type,
            output.last_modified,
            max_age=settings.max_age,
            dated=changes.dated(request.rel_url.path_qs, now()),
        )
        return _serve(request, entry)

    async def healthz(request: web.Request) -> web.StreamResponse:
        try:
            status, code = await asyncio.to_thread(
                health_report,
                reader,
                now(),
                stale_after,
                digests=bool(mailed),
                faults=damage.reasons(),
            )
        except Exception as exc:  # a health check reports failure; it does not raise
            fault = storage_fault_in(exc)
            if fault is None:
                status, code = {"status": "error", "error": type(exc).__name__}, 503
            else:
                damage.note(exc, "serving /healthz")
                reasons = damage.reasons() or [f"database cannot be read: {fault}"]
                status, code = {"status": "degraded", "reasons": reasons}, 503
        return web.Response(
            status=code,
            text=json.dumps(status, default=str),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def metrics_text(request: web.Request) -> web.StreamResponse:
        # (a request a reverse proxy relayed comes from the proxy's address, most often
        # loopback: it is answered as from outside, whoever sent it)
        relayed = any(h in request.headers for h in RELAY_HEADERS)
        if metrics is None or relayed or not allowed(request.remote, metrics):
            return not_found()

        def read() -> str:
            report, _ = health_report(
                reader, now(), stale_after, digests=bool(mailed), faults=damage.reasons()
            )
            counts = getattr(reader, "metric_counts", None)
            return render_metrics(
                report, counts() if callable(counts) else {}, hubs=len(settings.hubs)
            )

        try:
            text = await asyncio.to_thread(read)
        except Exception as exc:  # (as /healthz: a scrape that fails says so, with a 503)
            if storage_fault_in(exc) is not None:
                damage.note(exc, "serving /metrics")
            return web.Response(
                status=503, text=f"cannot read the database: {type(exc).__name__}\n"
            )
        return web.Response(
            body=text.encode(), headers={"Content-Type": METRICS_TYPE, "Cache-Control": "no-store"}
        )

    def written_loosely(
        to: Callable[[str, str], str],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A category's page or feed whose address was written as its name ("/World-News/",
        "/World News/", "/feeds/World-News.atom"): to the same document at its slug, at `to`
        (slug, format) relative to the address asked (one segment, as the client sent it)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            fmt = request.match_info.get("fmt", "")
            slug = await asyncio.to_thread(
                site.slug_written, request.match_info["written"], bool(fmt)
            )
            if slug is None:
                return not_found()
            # (`to` is given the format of a feed's address, or the number of a page's)
            raise web.HTTPMovedPermanently(
                location=to(slug, fmt or request.match_info.get("page", ""))
            )

        return handler

    if settings.picture_proxy == "off":
        pictures = None
    elif pictures is None:
        pictures = Pictures(fetch, hosts=getattr(reader, "feed_hosts", None))
    # (story id, key) pairs found to be a story's current picture, for one data version
    current_pictures: dict[tuple[str, str], str] = {}
    pictures_version = [""]

    async def picture_url(story_id: str, key: str) -> str | None:
        """The address of the picture `story_id` shows now, if it is proxied and its key is
        `key`; a redirect to its current key when it has another; else None."""
        data = await version.get()
        if data != pictures_version[0]:
            current_pictures.clear()
            pictures_version[0] = data
        url = current_pictures.get((story_id, key))
        if url is not None:
            return url
        story = await asyncio.to_thread(reader.story, story_id)
        url = safe_url(story.summary.image) if story and story.summary else None
        if url is None or not is_proxied(url, settings.picture_proxy):
            return None
        if picture_key(url) != key:
            raise web.HTTPFound(location=picture_key(url))
        if len(current_pictures) >= CACHE_ENTRIES:
            current_pictures.clear()
        current_pictures[(story_id, key)] = url
        return url

    async def story_picture(request: web.Request) -> web.StreamResponse:
        """`/pictures/<story>/<key>`: the picture the story shows, fetched by this server
        (`picture_proxy`); a key names one address, so a copy of it never goes stale."""
        if pictures is None:
            return not_found()
        key = request.match_info["key"]
        url = await picture_url(request.match_info["story_id"], key)
        if url is None:
            return not_found()
        lasting = {"Cache-Control": f"public, max-age={PICTURE_MAX_AGE}", "ETag": f'"{key}"'}
        if f'"{key}"' in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=lasting)
        found = await pictures.get(url)
        if found.error:
            return web.Response(
                status=found.status,
                text=f"The picture could not be fetched: {found.error}\n",
                headers={"Cache-Control": "max-age=60"},
            )
        return web.Response(body=found.body, content_type=found.content_type, headers=lasting)

    async def close_helpers(_app: web.Application) -> None:
        if pictures is not None:
            await pictures.close()
        if signups is not None:
            await signups.close()

    app = web.Application(middlewares=[_not_found_page, _storage_faults])
    app.on_cleanup.append(close_helpers)
    app[_HOME] = settings.base_url
    app[_WORDS] = settings.words
    app[_CSP] = content_security_policy(settings.base_url, settings.picture_proxy)
    app[_DAMAGE] = damage
    app[_FAULTS_TOLD] = {}
    app.on_response_prepare.append(_add_security_headers)
    if signups is not None:
        from aggregator.signup_web import add_signup_routes

        add_signup_routes(app, site, signups, not_found)
    if push is not None:
        from aggregator.push_web import add_push_routes

        add_push_routes(app, push, (fetch or FetchSettings()).max_bytes)
    app.router.add_get("/", index)
    app.router.add_get("/sources/", sources)
    app.router.add_get("/sources", sources_slash)
    app.router.add_get("/healthz", healthz)
    if metrics is not None:
        app.router.add_get("/metrics", metrics_text)
    app.router.add_get("/search", search)
    app.router.add_get("/search.{fmt:atom|rss|json}", search_feed)
    if opensearch := site.opensearch():
        app.router.add_get("/opensearch.xml", fixed(opensearch))
    app.router.add_get("/robots.txt", fixed(site.robots()))
    app.router.add_get("/favicon.ico", fixed(site.favicon("ico")))
    app.router.add_get("/favicon.svg", fixed(site.favicon("svg")))
    app.router.add_get("/{name:feeds(?:-rss|-json)?}.opml", opml)
    app.router.add_get(f"/feeds/{{slug:{_SLUG}}}.{{fmt:atom|rss|json}}", feed)
    app.router.add_get(f"/feeds/{{slug:{_SLUG}}}/top.{{fmt:atom|rss|json}}", top_feed)
    app.router.add_get("/stories/{story_id:[^/]+}/", story)
    app.router.add_get("/stories/{story_id:[^/]+}", story)
    app.router.add_get("/stories/{story_id:[^/]+}/updates.{fmt:atom|rss|json}", story_feed)
    app.router.add_get(f"/{PICTURES}/{{story_id:[^/]+}}/{{key:[0-9a-f]{{16}}}}", story_picture)
    app.router.add_get(f"/{{slug:{_SLUG}}}/", category)
    app.router.add_get(f"/{{slug:{_SLUG}}}/subscribe/", subscribe)
    app.router.add_get(f"/{{slug:{_SLUG}}}/subscribe", subscribe)
    app.router.add_get(f"/{{slug:{_SLUG}}}/page/{{page:[0-9]+}}/", category_page)
    app.router.add_get(f"/{{slug:{_SLUG}}}/page/{{page:[0-9]+}}", category_page_redirect)
    app.router.add_get(f"/{{slug:{_SLUG}}}", category_redirect)
    # Any other single name, after every address of the site: a category written as its name.
    feeds = "/feeds/{written:[^/]+}"
    app.router.add_get(feeds + ".{fmt:atom|rss|json}", written_loosely(lambda s, f: f"{s}.{f}"))
    app.router.add_get(
        feeds + "/top.{fmt:atom|rss|json}", written_loosely(lambda s, f: f"../{s}/top.{f}")
    )
    # (past page 1 too: "/World-News/page/2/" had been a 404)
    app.router.add_get(
        "/{written:[^/]+}/page/{page:[0-9]+}/",
        written_loosely(lambda s, p: f"../../../{s}/page/{p}/"),
    )
    app.router.add_get(
        "/{written:[^/]+}/page/{page:[0-9]+}", written_loosely(lambda s, p: f"../../{s}/page/{p}/")
    )
    app.router.add_get("/{written:[^/]+}/", written_loosely(lambda s, _: f"../{s}/"))
    app.router.add_get("/{written:[^/]+}", written_loosely(lambda s, _: f"{s}/"))
    return app


def listen_url(host: str, port: int) -> str:
    """The address a server listens on, as a URL: an IPv6 host in brackets (the log had said
    "serving http://::1:8101/"), all interfaces as 0.0.0.0."""
    shown = host or "0.0.0.0"
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


# Seconds a connection may sit idle, or take to send a whole request, before it is closed (as
# nginx closes its keep-alive connections; aiohttp's own default is an hour, so a client could
# hold hundreds of connections that send nothing, each an open file, for that long).
KEEPALIVE = 75.0


def dual_stack_socket(port: int) -> socket.socket:
    """A listening socket on every IPv6 and IPv4 address ("::" with IPV6_V6ONLY off), as most
    servers read "::". asyncio's own for "::" takes IPv6 alone: IPv4 clients were refused, and
    so were the links published without a base URL, which point at 127.0.0.1. A system that
    keeps the two apart (the option refused) listens on IPv6 alone."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _listen_problem(exc: OSError) -> str:
    """Why the server cannot listen, and what to change: a host name that does not resolve
    (a lookup's error number, which `os.strerror` had read as "Unknown error -2"), or a port
    another server holds."""
    if isinstance(exc, socket.gaierror):
        return f"{exc.strerror or exc}: check --host ([server] host)"
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    if exc.errno == errno.EADDRINUSE:
        return f"{reason}: another server listens there; stop it, or choose another --port"
    return reason


class CappedRunner(web.AppRunner):
    """An `AppRunner` whose listening sockets take each connection through `cap`."""

    def __init__(self, app: web.Application, cap: ClientCap, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.cap = cap

    @property
    def server(self) -> Any:  # (what the sites listen with: the web server, capped)
        server = super().server
        return None if server is None else self.cap.protocol(server)


async def start_server(
    app: web.Application,
    host: str,
    port: int,
    shutdown_timeout: float = 10.0,
    cap: ClientCap | None = None,
) -> web.AppRunner:
    """Start serving `app` on host:port ("::": every IPv6 and IPv4 address), and log where;
    the caller stops it with ``await runner.cleanup()``, which lets requests in flight finish
    for `shutdown_timeout` seconds (`[server] shutdown_grace`; aiohttp's own default is 60)
    before cancelling them. A connection idle for `KEEPALIVE` seconds, or still short of a
    whole request, is closed; with `cap`, one beyond a client's share is answered 503."""
    settings: dict[str, Any] = {
        "shutdown_timeout": shutdown_timeout,
        "keepalive_timeout": KEEPALIVE,
    }
    runner = web.AppRunner(app, **settings) if cap is None else CappedRunner(app, cap, **settings)
    await runner.setup()
    try:
        site: web.BaseSite = (
            web.SockSite(runner, dual_stack_socket(port))
            if host == "::"
            else web.TCPSite(runner, host, port)
        )
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise ConfigError(f"cannot listen on {where}: {_listen_problem(exc)}") from exc
    except BaseException:
        await runner.cleanup()
        raise
    log.info("serving %s", listen_url(host, port))
    return runner


__all__ = [
    "Rendered",
    "StoryReader",
    "dual_stack_socket",
    "listen_url",
    "make_app",
    "not_found_response",
    "start_server",
]
