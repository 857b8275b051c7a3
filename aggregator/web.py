"""The aiohttp web server: category feeds and HTML pages, cached, with ETag/304 and gzip.

Read-only: every route is GET (HEAD comes free); nothing is written. Reader calls are synchronous
SQLite reads, so they (and rendering) run in a worker thread. Rendered responses are cached in
memory per (path, reader.version()); a new version drops every cached response.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol

from aiohttp import web

from aggregator.digest import DigestSettings
from aggregator.errors import ConfigError
from aggregator.models import Story
from aggregator.publish import (
    FEED_MEDIA_TYPES,
    MORE_STORIES,
    PublishSettings,
    render_category_html,
    render_feed,
    render_index_html,
    render_story_html,
    render_subscribe_html,
    slugify,
)

HTML_TYPE = "text/html; charset=utf-8"
INDEX_HEADLINES = 5  # latest headlines per category on the front page
CACHE_ENTRIES = 2048  # cap on cached responses for one reader version
_MIN_GZIP = 256  # bodies smaller than this are sent as they are
_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer-when-downgrade",
}


class StoryReader(Protocol):
    """Read access to published stories (the store implements it; tests pass a fake)."""

    def categories(self) -> list[str]:
        """Category names, in OPML order."""
        ...

    def stories(self, category: str | None, limit: int) -> list[Story]:
        """Stories of one category (None: all), newest updated first."""
        ...

    def story(self, story_id: str) -> Story | None:
        """One story by id, or None."""
        ...

    def version(self) -> str:
        """A token that changes whenever published data changes."""
        ...


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered response body with its validators, ready to serve many times."""

    body: bytes
    content_type: str
    etag: str  # hex digest, unquoted
    last_modified: datetime | None = None
    gzipped: bytes | None = None  # present when compression pays off

    @classmethod
    def build(cls, body: bytes, content_type: str, last_modified: datetime | None) -> Rendered:
        """Hash and (when worth it) compress a body once."""
        packed = None
        if len(body) >= _MIN_GZIP:
            packed = gzip.compress(body, compresslevel=6, mtime=0)
            if len(packed) >= len(body):
                packed = None
        etag = hashlib.blake2b(body, digest_size=16).hexdigest()
        return cls(body, content_type, etag, last_modified, packed)


class _Cache:
    """Rendered responses for the current reader version only."""

    def __init__(self, limit: int = CACHE_ENTRIES) -> None:
        self._limit = limit
        self._version: str | None = None
        self._entries: dict[str, Rendered] = {}

    def get(self, path: str, version: str) -> Rendered | None:
        if version != self._version:
            return None
        return self._entries.get(path)

    def put(self, path: str, version: str, entry: Rendered) -> None:
        if version != self._version:
            self._entries.clear()
            self._version = version
        if len(self._entries) >= self._limit:
            self._entries.pop(next(iter(self._entries)))
        self._entries[path] = entry


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _newest(stories: list[Story]) -> datetime | None:
    return max((_utc(s.updated) for s in stories), default=None)


def _http_date(moment: datetime) -> str:
    return format_datetime(_utc(moment), usegmt=True)


def _accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (q=0 refuses it)."""
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        return quality > 0
    return False


def _not_modified(request: web.Request, entry: Rendered) -> bool:
    """RFC 9110 revalidation: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = request.if_none_match
    if if_none_match is not None:
        mine = {entry.etag, f"{entry.etag}-gz"}
        return any(tag.value == "*" or tag.value in mine for tag in if_none_match)
    since = request.if_modified_since
    if since is not None and entry.last_modified is not None:
        return entry.last_modified.replace(microsecond=0) <= since
    return False


def _serve(request: web.Request, entry: Rendered, max_age: int) -> web.Response:
    use_gzip = entry.gzipped is not None and _accepts_gzip(
        request.headers.get("Accept-Encoding", "")
    )
    headers = {
        **_SECURITY_HEADERS,
        "ETag": f'"{entry.etag}-gz"' if use_gzip else f'"{entry.etag}"',
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if entry.last_modified is not None:
        headers["Last-Modified"] = _http_date(entry.last_modified)
    if _not_modified(request, entry):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = entry.content_type
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=entry.gzipped, headers=headers)
    return web.Response(body=entry.body, headers=headers)


def not_found_response() -> web.Response:
    """A small plain 404 page."""
    body = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Not found</title></head>\n<body><h1>Not found</h1>"
        "<p>There is nothing at this address.</p></body></html>\n"
    )
    return web.Response(
        status=404,
        text=body,
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
        return not_found_response()


def make_app(
    reader: StoryReader,
    settings: PublishSettings,
    *,
    clock: Callable[[], datetime] | None = None,
    digest: DigestSettings | None = None,
) -> web.Application:
    """The web application serving `reader`'s stories as pages and feeds.

    With `digest`, pages of categories that have a daily email link to `/<slug>/subscribe`.
    """
    now = clock or (lambda: datetime.now(UTC))
    cache = _Cache()
    digest = digest or DigestSettings()
    mailed = digest.categories

    def category_named(slug: str) -> str | None:
        # First category wins when two names share a slug.
        for name in reader.categories():
            if slugify(name) == slug:
                return name
        return None

    def render_index() -> Rendered | None:
        rows = [
            (name, slugify(name), reader.stories(name, INDEX_HEADLINES))
            for name in reader.categories()
        ]
        page = render_index_html(rows, settings, mailed).encode()
        newest = _newest([s for _, _, stories in rows for s in stories])
        return Rendered.build(page, HTML_TYPE, newest)

    def render_category(slug: str) -> Rendered | None:
        name = category_named(slug)
        if name is None:
            return None
        stories = reader.stories(name, settings.max_items)
        page = render_category_html(name, slug, stories, settings, mailed).encode()
        return Rendered.build(page, HTML_TYPE, _newest(stories))

    def render_subscribe(slug: str) -> Rendered | None:
        name = category_named(slug)
        if name is None or name not in mailed:
            return None
        schedule = f"{digest.send_time(name):%H:%M} ({digest.timezone})"
        contact = digest.reply_address
        page = render_subscribe_html(
            name, slug, settings, schedule=schedule, count=digest.count, contact=contact
        )
        return Rendered.build(page.encode(), HTML_TYPE, None)

    def render_feed_for(slug: str, fmt: str) -> Rendered | None:
        name = category_named(slug)
        if name is None or fmt not in FEED_MEDIA_TYPES:
            return None
        stories = reader.stories(name, settings.max_items)
        body = render_feed(name, slug, stories, "atom" if fmt == "atom" else "rss", settings, now())
        content_type = f"{FEED_MEDIA_TYPES[fmt]}; charset=utf-8"
        return Rendered.build(body, content_type, _newest(stories))

    def render_story(story_id: str) -> Rendered | None:
        story = reader.story(story_id)
        if story is None:
            return None
        more = [s for s in reader.stories(story.category, MORE_STORIES + 1) if s.id != story.id]
        more = more[:MORE_STORIES]
        page = render_story_html(story, settings, more, mailed).encode()
        return Rendered.build(page, HTML_TYPE, _newest([story, *more]))

    async def cached(
        request: web.Request, render: Callable[[], Rendered | None]
    ) -> web.StreamResponse:
        key = request.rel_url.path
        version = await asyncio.to_thread(reader.version)
        entry = cache.get(key, version)
        if entry is None:
            entry = await asyncio.to_thread(render)
            if entry is None:
                return not_found_response()
            cache.put(key, version, entry)
        return _serve(request, entry, settings.max_age)

    async def index(request: web.Request) -> web.StreamResponse:
        return await cached(request, render_index)

    async def category(request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        return await cached(request, lambda: render_category(slug))

    async def subscribe(request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        return await cached(request, lambda: render_subscribe(slug))

    async def category_redirect(request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        if await asyncio.to_thread(category_named, slug) is None:
            return not_found_response()
        # Relative, so it stays right behind a reverse proxy that adds a path prefix.
        raise web.HTTPMovedPermanently(location=f"{slug}/")

    async def feed(request: web.Request) -> web.StreamResponse:
        slug, fmt = request.match_info["slug"], request.match_info["fmt"]
        return await cached(request, lambda: render_feed_for(slug, fmt))

    async def story(request: web.Request) -> web.StreamResponse:
        story_id = request.match_info["story_id"]
        return await cached(request, lambda: render_story(story_id))

    async def healthz(request: web.Request) -> web.StreamResponse:
        def check() -> dict[str, Any]:
            status: dict[str, Any] = {"status": "ok", "version": reader.version()}
            extra = getattr(reader, "health", None)
            if callable(extra):
                status.update(extra())
            digests = getattr(reader, "digest_health", None)
            if mailed and callable(digests):
                status.update(digests())
            return status

        try:
            status = await asyncio.to_thread(check)
        except Exception as exc:  # a health check reports failure; it does not raise
            status, code = {"status": "error", "error": type(exc).__name__}, 503
        else:
            code = 200
        return web.Response(
            status=code,
            text=json.dumps(status, default=str),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    app = web.Application(middlewares=[_not_found_page])
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get(f"/feeds/{{slug:{_SLUG}}}.{{fmt:atom|rss}}", feed)
    app.router.add_get("/stories/{story_id:[^/]+}", story)
    app.router.add_get(f"/{{slug:{_SLUG}}}/", category)
    app.router.add_get(f"/{{slug:{_SLUG}}}/subscribe", subscribe)
    app.router.add_get(f"/{{slug:{_SLUG}}}", category_redirect)
    return app


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving `app` on host:port; the caller stops it with ``await runner.cleanup()``."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from exc
    except BaseException:
        await runner.cleanup()
        raise
    return runner


__all__ = ["Rendered", "StoryReader", "make_app", "not_found_response", "start_server"]
