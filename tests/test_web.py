"""The web server, over a real loopback socket: types, caching, revalidation, gzip, 404s."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html.parser import HTMLParser

import aiohttp
import feedparser
import pytest
from multidict import CIMultiDict
from stories import T0, make_story

from aggregator import logs
from aggregator import web as web_module
from aggregator.digest import DigestSettings
from aggregator.errors import ConfigError
from aggregator.models import Story
from aggregator.publish import PublishSettings
from aggregator.ranking import outlets
from aggregator.site import Site
from aggregator.web import make_app, start_server

BASE = "https://news.example.org/agg/"
SETTINGS = PublishSettings(base_url=BASE, site_title="Daily")


class FakeReader:
    """An in-memory StoryReader that counts how often it is asked for data."""

    def __init__(self) -> None:
        self.names = ["World News", "Science & Tech"]
        self.items = [
            make_story("w1", "Ceasefire agreed", category="World News", hours=1),
            make_story("w2", "Storm warning", category="World News", hours=3),
            make_story("s1", "Comet seen", category="Science & Tech", hours=2),
        ]
        self.token = "v1"
        self.data_calls = 0

    def categories(self) -> list[str]:
        self.data_calls += 1
        return list(self.names)

    def stories(self, category: str | None, limit: int, min_outlets: int = 1) -> list[Story]:
        self.data_calls += 1
        chosen = [
            s
            for s in self.items
            if (category is None or category == s.category) and outlets(s) >= min_outlets
        ]
        return sorted(chosen, key=lambda s: s.updated, reverse=True)[:limit]

    def story(self, story_id: str) -> Story | None:
        self.data_calls += 1
        return next((s for s in self.items if s.id == story_id), None)

    def version(self) -> str:
        return self.token


Check = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


def serve(reader: FakeReader, check: Check) -> None:
    """Run `check(session, root_url)` against a real server on a loopback port."""

    async def main() -> None:
        app = make_app(reader, SETTINGS, clock=lambda: T0, version_ttl=0)
        runner = await start_server(app, "127.0.0.1", 0)
        try:
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession(auto_decompress=False) as session:
                await check(session, f"http://127.0.0.1:{port}")
        finally:
            await runner.cleanup()

    asyncio.run(main())


async def get(
    session: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, CIMultiDict[str], bytes]:
    headers = {
        "Accept-Encoding": "identity",
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    async with session.get(url, headers=headers, allow_redirects=False) as resp:
        return resp.status, resp.headers.copy(), await resp.read()


async def raw_get(root: str, path: str) -> tuple[int, bytes]:
    """Send `path` exactly as written (no client-side normalisation); status and body."""
    host, port = root.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


class _Links(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__()
        self.alternates: list[tuple[str, str]] = []
        self.hrefs: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "link" and found.get("rel") == "alternate":
            self.alternates.append((found.get("type", ""), found.get("href", "")))
        if tag == "a":
            self.hrefs.append(found.get("href", ""))


def test_content_types_and_feed_content() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        expected = {
            "/": "text/html; charset=utf-8",
            "/world-news/": "text/html; charset=utf-8",
            "/stories/w1/": "text/html; charset=utf-8",
            "/feeds/world-news.atom": "application/atom+xml; charset=utf-8",
            "/feeds/science-tech.rss": "application/rss+xml; charset=utf-8",
        }
        for path, content_type in expected.items():
            status, headers, _ = await get(session, root + path)
            assert (path, status, headers["Content-Type"]) == (path, 200, content_type)
        _, _, body = await get(session, root + "/feeds/world-news.atom")
        parsed = feedparser.parse(body)
        assert [e.title for e in parsed.entries] == ["Storm warning", "Ceasefire agreed"]
        assert parsed.entries[0].link == f"{BASE}stories/w2/"  # from base_url, not the Host
        status, headers, body = await get(session, root + "/healthz")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        assert b'"status": "ok"' in body

    serve(FakeReader(), check)


def test_etag_and_last_modified_revalidation() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        url = root + "/feeds/world-news.rss"
        status, headers, _ = await get(session, url)
        etag = headers["ETag"]
        assert status == 200 and etag.startswith('"') and not etag.startswith("W/")
        newest = T0 + timedelta(hours=3, minutes=30)
        assert headers["Last-Modified"] == format_datetime(newest, usegmt=True)
        status, headers, body = await get(session, url, If_None_Match=etag)
        assert (status, body, headers["ETag"]) == (304, b"", etag)
        status, _, _ = await get(session, url, If_None_Match='"something-else"')
        assert status == 200
        since = format_datetime(newest, usegmt=True)
        assert (await get(session, url, If_Modified_Since=since))[0] == 304
        earlier = format_datetime(newest - timedelta(seconds=1), usegmt=True)
        assert (await get(session, url, If_Modified_Since=earlier))[0] == 200
        # A non-matching If-None-Match wins over a satisfied If-Modified-Since.
        status, _, _ = await get(session, url, If_None_Match='"x"', If_Modified_Since=since)
        assert status == 200

    serve(FakeReader(), check)


def test_last_modified_moves_whenever_the_body_changes_and_only_then() -> None:
    """A story dated before the newest one changed the feed under the same Last-Modified:
    If-Modified-Since got 304, and newsboat (libcurl) dropped the 200 it got by its ETag."""
    reader = FakeReader()

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        url = root + "/feeds/world-news.atom"
        _, first, _ = await get(session, url)
        reader.token = "v2"  # new data that leaves this feed as it was
        reader.items.append(make_story("s2", "Comet fades", category="Science & Tech", hours=1))
        _, same, _ = await get(session, url)
        assert (same["ETag"], same["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
        reader.token = "v3"  # a story dated before the feed's newest
        reader.items.append(make_story("w0", "Bridge reopens", category="World News", hours=2))
        status, later, body = await get(session, url, If_Modified_Since=first["Last-Modified"])
        assert status == 200 and b"Bridge reopens" in body and later["ETag"] != first["ETag"]
        assert parsedate_to_datetime(later["Last-Modified"]) > parsedate_to_datetime(
            first["Last-Modified"]
        )
        status, _, _ = await get(session, url, If_Modified_Since=later["Last-Modified"])
        assert status == 304

    serve(reader, check)


def test_a_body_first_seen_since_the_start_is_dated_no_earlier_than_the_start() -> None:
    """What changed while the server was down is not called unchanged by an old date."""
    started = T0 + timedelta(days=1)
    date = web_module.ChangeTimes(started).dated("/feeds/a.atom", started)
    assert date("e1", T0) == started and date("e1", T0) == started
    assert date("e1", None) is None  # (nothing dated: no Last-Modified)
    later = T0 + timedelta(days=2)
    assert date("e2", later) == later  # (never before its newest story)


def test_gzip_when_accepted() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        url = root + "/world-news/"
        _, plain_headers, plain = await get(session, url)
        assert "Content-Encoding" not in plain_headers
        status, headers, packed = await get(session, url, Accept_Encoding="gzip, deflate")
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in headers["Vary"]
        assert gzip.decompress(packed) == plain
        assert len(packed) < len(plain)
        assert headers["ETag"] != plain_headers["ETag"]  # distinct representations
        status, _, _ = await get(
            session, url, Accept_Encoding="gzip", If_None_Match=headers["ETag"]
        )
        assert status == 304
        _, refused, _ = await get(session, url, Accept_Encoding="gzip;q=0, identity")
        assert "Content-Encoding" not in refused
        # gzip's own q=0 wins over a wildcard, wherever it is written (RFC 9110)
        for said in ("*, gzip;q=0", "gzip;q=0, *"):
            _, refused, _ = await get(session, url, Accept_Encoding=said)
            assert "Content-Encoding" not in refused
        _, wild, _ = await get(session, url, Accept_Encoding="*")
        assert wild["Content-Encoding"] == "gzip"

    serve(FakeReader(), check)


def test_a_304_carries_its_representations_validators_and_no_body_headers() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        url = root + "/feeds/world-news.atom"
        for encoding in ("identity", "gzip"):
            _, full, _ = await get(session, url, Accept_Encoding=encoding)
            status, headers, body = await get(
                session, url, Accept_Encoding=encoding, If_None_Match=full["ETag"]
            )
            assert (status, body) == (304, b"")
            for name in ("ETag", "Vary", "Cache-Control", "Last-Modified"):
                assert headers[name] == full[name], (encoding, name)
            assert "Content-Encoding" not in headers
            assert headers["X-Content-Type-Options"] == "nosniff"

    serve(FakeReader(), check)


def test_head_has_headers_and_no_body() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        url = root + "/feeds/world-news.atom"
        _, get_headers, body = await get(session, url)
        async with session.head(url, headers={"Accept-Encoding": "identity"}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
            assert resp.headers["ETag"] == get_headers["ETag"]
            assert int(resp.headers["Content-Length"]) == len(body)
            assert await resp.read() == b""

    serve(FakeReader(), check)


def test_unknown_things_are_404_and_nothing_is_writable() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        for path in (
            "/no-such-category/",
            "/stories/missing",
            "/stories/missing/",
            "/feeds/no-such-category.atom",
            "/feeds/world-news.txt",
            "/feeds/world-news/top.xml",
            "/world-news/page/0/",
            "/world-news/page/99/",
            "/no-such-category/page/1/",
            "/feeds/world-news.xml",
            "/a/b/c",
            "/world-news/extra",
        ):
            status, headers, body = await get(session, root + path)
            assert (path, status) == (path, 404)
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert b"Not found" in body
            # A way on: a pruned story's old link leads to the front page, not a dead end.
            assert b'<a href="' + BASE.encode() + b'">Go to the front page</a>' in body
        for method in ("POST", "PUT", "DELETE"):
            async with session.request(method, root + "/feeds/world-news.atom") as resp:
                assert resp.status == 405

    serve(FakeReader(), check)


def test_no_directory_traversal() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        for path in (
            "/feeds/../../etc/passwd",
            "/feeds/%2e%2e/x.atom",
            "/feeds/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/stories/..%2f..%2fetc%2fpasswd",
            "/..%2f..%2fetc%2fpasswd/",
            "/feeds/..%5c..%5cwindows.atom",
        ):
            status, body = await raw_get(root, path)
            assert (path, status) == (path, 404)
            assert b"root:" not in body

    serve(FakeReader(), check)


def test_slug_without_slash_redirects_relatively() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, _ = await get(session, root + "/world-news")
        assert (status, headers["Location"]) == (301, "world-news/")
        status, headers, _ = await get(session, root + "/world-news/page/2")
        assert (status, headers["Location"]) == (301, "2/")
        status, _, _ = await get(session, root + "/no-such-category/page/2")
        assert status == 404
        # page 1 is the category page itself, as blogs answer it
        status, headers, _ = await get(session, root + "/world-news/page/1/")
        assert (status, headers["Location"]) == (301, "../../")
        status, headers, _ = await get(session, root + "/world-news/page/1")
        assert (status, headers["Location"]) == (301, "1/")

    serve(FakeReader(), check)


def test_a_story_url_without_its_trailing_slash_is_the_story_page() -> None:
    """A story's page is `/stories/<id>/`, as a static export's server answers it (a directory
    with its index.html); the address pages, feeds and emails linked before, without the
    slash, is the page too, naming the new one canonical: not a redirect, which had looped
    for a browser keeping the release before's permanent redirect the other way. An unknown
    story's is 404."""

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, body = await get(session, root + "/stories/w1")
        assert status == 200 and "Location" not in headers
        assert b"Summary based on 2 sources" in body
        assert f'<link rel="canonical" href="{BASE}stories/w1/">'.encode() in body
        assert body == (await get(session, root + "/stories/w1/"))[2]
        assert (await get(session, root + "/stories/nope"))[0] == 404

    serve(FakeReader(), check)


def test_index_links_every_category_and_its_feeds_with_autodiscovery() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        _, _, body = await get(session, root + "/")
        links = _Links(body.decode())
        for slug in ("world-news", "science-tech"):
            assert f"{BASE}{slug}/" in links.hrefs
            assert f"{BASE}feeds/{slug}.atom" in links.hrefs
            assert f"{BASE}feeds/{slug}.rss" in links.hrefs
            assert ("application/atom+xml", f"{BASE}feeds/{slug}.atom") in links.alternates
            assert ("application/rss+xml", f"{BASE}feeds/{slug}.rss") in links.alternates
        formats = (
            ("atom", "application/atom+xml"),
            ("rss", "application/rss+xml"),
            ("json", "application/feed+json"),
        )
        category = [
            (media, f"{BASE}feeds/science-tech{flavour}.{fmt}")
            for flavour in ("", "/top")
            for fmt, media in formats
        ]
        _, _, body = await get(session, root + "/science-tech/")
        assert _Links(body.decode()).alternates == category
        _, _, body = await get(session, root + "/stories/s1/")  # (its own feed first)
        own = [(media, f"{BASE}stories/s1/updates.{fmt}") for fmt, media in formats]
        assert _Links(body.decode()).alternates == own + category

    serve(FakeReader(), check)


def test_story_page_shows_more_stories_from_its_category() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        _, _, body = await get(session, root + "/stories/w1/")
        links = _Links(body.decode())
        assert f"{BASE}stories/w2/" in links.hrefs  # same category
        assert f"{BASE}stories/s1/" not in links.hrefs  # other category
        assert f"{BASE}stories/w1/" not in links.hrefs  # not itself
        assert b"Summary based on 2 sources" in body

    serve(FakeReader(), check)


def test_more_stories_under_a_story_are_its_categorys_leading_ones() -> None:
    reader = FakeReader()
    wide = make_story("w4", "Summit collapses", category="World News", hours=0)
    assert wide.summary is not None
    reader.items.append(replace(wide, summary=replace(wide.summary, outlet_count=6)))
    single = make_story("w3", "Parade held", category="World News", hours=5)
    assert single.summary is not None
    reader.items.append(replace(single, summary=replace(single.summary, outlet_count=1)))

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        _, _, body = await get(session, root + "/stories/w1/")
        page = body.decode()
        more = page[page.index("More stories") :]
        # the front page's order (most outlets first), not the newest change first
        assert more.index("stories/w4") < more.index("stories/w2") < more.index("stories/w3")
        assert "stories/w1" not in more

    serve(reader, check)


def test_a_categorys_leading_stories_are_ranked_once_for_all_its_story_pages() -> None:
    reader = FakeReader()
    site = Site(reader, SETTINGS, clock=lambda: T0)
    first = site.story("w1")
    assert first is not None and first.ranked  # re-rendered as time changes the order
    calls = reader.data_calls
    assert site.story("w2") is not None
    assert reader.data_calls == calls + 1  # the story itself; its category's ranking is kept
    reader.token = "v2"
    assert site.story("w2") is not None
    assert reader.data_calls > calls + 2  # new data: ranked again


def test_cache_serves_until_version_changes() -> None:
    reader = FakeReader()

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        url = root + "/feeds/world-news.atom"
        _, first_headers, first = await get(session, url)
        calls = reader.data_calls
        reader.items.append(make_story("w3", "Late breaking", category="World News", hours=9))
        _, headers, cached = await get(session, url)
        assert cached == first and headers["ETag"] == first_headers["ETag"]
        assert reader.data_calls == calls  # served from memory
        reader.token = "v2"
        status, headers, fresh = await get(session, url, If_None_Match=first_headers["ETag"])
        assert status == 200 and headers["ETag"] != first_headers["ETag"]
        assert feedparser.parse(fresh).entries[0].title == "Late breaking"

    serve(reader, check)


def test_healthz_reports_reader_health_and_failure() -> None:
    class Healthy(FakeReader):
        def health(self) -> dict[str, object]:
            return {"feeds_in_error": 2}

    class Broken(FakeReader):
        def version(self) -> str:
            raise RuntimeError("database is gone")

    async def healthy(session: aiohttp.ClientSession, root: str) -> None:
        async with session.get(root + "/healthz") as resp:
            assert resp.status == 200
            assert await resp.json() == {"status": "ok", "version": "v1", "feeds_in_error": 2}

    async def broken(session: aiohttp.ClientSession, root: str) -> None:
        async with session.get(root + "/healthz") as resp:
            assert resp.status == 503
            assert (await resp.json())["status"] == "error"

    serve(Healthy(), healthy)
    serve(Broken(), broken)


def test_a_busy_port_is_a_clear_configuration_error() -> None:
    async def scenario() -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}") as said:
                await start_server(make_app(FakeReader(), SETTINGS), "127.0.0.1", port)
            assert str(said.value).endswith(
                "Address already in use: another server listens there; stop it, or choose "
                "another --port"
            )

    asyncio.run(scenario())


def test_a_host_that_does_not_resolve_is_said_as_that() -> None:
    """A lookup's error had been read as an error number: "Unknown error -2"."""
    from aggregator.web import _listen_problem

    lookup = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert _listen_problem(lookup) == "Name or service not known: check --host ([server] host)"


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 on this machine")
def test_listening_on_every_address_takes_ipv4_and_ipv6_clients() -> None:
    """asyncio's "::" took IPv6 alone: 127.0.0.1, where the links published without a base URL
    point, was refused."""

    async def scenario() -> list[int]:
        runner = await start_server(make_app(FakeReader(), SETTINGS), "::", 0)
        try:
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession() as session:
                return [
                    (await get(session, f"http://{host}:{port}/healthz"))[0]
                    for host in ("127.0.0.1", "[::1]")
                ]
        finally:
            await runner.cleanup()

    assert asyncio.run(scenario()) == [200, 200]


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 on this machine")
def test_a_busy_port_on_every_address_is_a_clear_configuration_error() -> None:
    async def scenario() -> None:
        with socket.socket() as busy:  # (IPv4 alone: the IPv6 socket's v4 half collides)
            busy.bind(("0.0.0.0", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(ConfigError, match=rf"cannot listen on \[::\]:{port}: "):
                await start_server(make_app(FakeReader(), SETTINGS), "::", port)

    asyncio.run(scenario())


def test_every_feed_flavour_opml_robots_and_favicons_are_served() -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        expected = {
            "/feeds/world-news.json": "application/feed+json; charset=utf-8",
            "/feeds/world-news/top.atom": "application/atom+xml; charset=utf-8",
            "/feeds/world-news/top.rss": "application/rss+xml; charset=utf-8",
            "/feeds/world-news/top.json": "application/feed+json; charset=utf-8",
            "/feeds/all.atom": "application/atom+xml; charset=utf-8",
            "/feeds/all/top.json": "application/feed+json; charset=utf-8",
            "/feeds.opml": "text/x-opml; charset=utf-8",
            "/feeds-rss.opml": "text/x-opml; charset=utf-8",
            "/feeds-json.opml": "text/x-opml; charset=utf-8",
            "/robots.txt": "text/plain; charset=utf-8",
            "/favicon.ico": "image/x-icon",
            "/favicon.svg": "image/svg+xml",
        }
        for path, content_type in expected.items():
            status, headers, _ = await get(session, root + path)
            assert (path, status, headers["Content-Type"]) == (path, 200, content_type)
        _, _, body = await get(session, root + "/feeds/all.atom")
        assert {e.title for e in feedparser.parse(body).entries} == {
            "Ceasefire agreed",
            "Storm warning",
            "Comet seen",
        }
        _, _, body = await get(session, root + "/feeds.opml")
        assert f'xmlUrl="{BASE}feeds/science-tech/top.atom"'.encode() in body
        assert f'xmlUrl="{BASE}feeds/all.atom"'.encode() in body
        status, headers, _ = await get(session, root + "/favicon.ico")
        status, _, _ = await get(session, root + "/favicon.ico", If_None_Match=headers["ETag"])
        assert status == 304

    serve(FakeReader(), check)


def test_category_pages_page_through_ranked_stories() -> None:
    reader = FakeReader()
    reader.items += [
        make_story(f"x{n}", f"Extra {n}", category="World News", hours=n) for n in range(30)
    ]

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, _, first = await get(session, root + "/world-news/")
        assert status == 200 and f'href="{BASE}world-news/page/2/"'.encode() in first
        status, _, second = await get(session, root + "/world-news/page/2/")
        assert status == 200
        shown = {s.id for s in reader.items if f'{BASE}stories/{s.id}/"'.encode() in first}
        later = {s.id for s in reader.items if f'{BASE}stories/{s.id}/"'.encode() in second}
        assert len(shown) == 25 and len(later) == 7 and not shown & later
        status, _, _ = await get(session, root + "/world-news/page/3/")
        assert status == 404

    serve(reader, check)


def test_daily_email_line_follows_the_digest_categories() -> None:
    async def main() -> None:
        digest = DigestSettings(
            smtp_host="127.0.0.1",
            from_address="news@news.example.org",
            recipients={"World News": ("reader@example.org",)},
        )
        app = make_app(FakeReader(), SETTINGS, clock=lambda: T0, version_ttl=0, digest=digest)
        runner = await start_server(app, "127.0.0.1", 0)
        try:
            root = f"http://127.0.0.1:{runner.addresses[0][1]}"
            async with aiohttp.ClientSession() as session:
                _, _, world = await get(session, root + "/stories/w1/")
                _, _, science = await get(session, root + "/stories/s1/")
                subscribe_status, _, _ = await get(session, root + "/world-news/subscribe/")
                no_digest_status, _, _ = await get(session, root + "/science-tech/subscribe/")
        finally:
            await runner.cleanup()
        assert f'href="{BASE}world-news/subscribe/"'.encode() in world
        assert b"Get a daily email" not in science
        assert subscribe_status == 200 and no_digest_status == 404

    asyncio.run(main())


def test_data_version_is_asked_at_most_once_per_ttl() -> None:
    class Counting(FakeReader):
        def __init__(self) -> None:
            super().__init__()
            self.version_calls = 0

        def version(self) -> str:
            self.version_calls += 1
            return self.token

    reader = Counting()

    async def main() -> None:
        app = make_app(reader, SETTINGS, clock=lambda: T0, version_ttl=60)
        runner = await start_server(app, "127.0.0.1", 0)
        try:
            root = f"http://127.0.0.1:{runner.addresses[0][1]}"
            async with aiohttp.ClientSession() as session:
                for _ in range(5):
                    await asyncio.gather(*(get(session, root + "/") for _ in range(4)))
        finally:
            await runner.cleanup()

    asyncio.run(main())
    assert reader.version_calls == 1


def test_a_merged_story_redirects_and_a_cached_page_asks_nothing() -> None:
    class Merging(FakeReader):
        def __init__(self) -> None:
            super().__init__()
            self.merged: dict[str, str] = {}
            self.merge_lookups = self.reads = 0

        def merged_into(self, story_id: str) -> str | None:
            self.merge_lookups += 1
            return self.merged.get(story_id)

        def story(self, story_id: str) -> Story | None:
            self.reads += 1
            return super().story(story_id)

    reader = Merging()

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        for _ in range(3):
            status, _, _ = await get(session, root + "/stories/w1/")
            assert status == 200
        assert reader.merge_lookups == 1  # then served from the cache
        reader.merged["w1"] = "w2"
        reader.token = "v2"  # a merge changes the data version
        status, headers, _ = await get(session, root + "/stories/w1/")
        assert (status, headers["Location"]) == (301, "../w2/")
        status, headers, _ = await get(session, root + "/stories/w1")  # (an older link: one hop)
        assert (status, headers["Location"]) == (301, "w2/")
        # an older link's page, once cached for the current data, asks nothing either
        assert (await get(session, root + "/stories/w2"))[0] == 200
        lookups, reads = reader.merge_lookups, reader.reads
        for _ in range(3):
            status, headers, _ = await get(session, root + "/stories/w2")
            assert status == 200 and "Location" not in headers
        assert (reader.merge_lookups, reader.reads) == (lookups, reads)

    serve(reader, check)


def test_the_listen_address_is_logged_as_a_url() -> None:
    from aggregator.web import listen_url

    assert listen_url("127.0.0.1", 8080) == "http://127.0.0.1:8080/"
    assert listen_url("::1", 8101) == "http://[::1]:8101/"  # was "http://::1:8101/"
    assert listen_url("", 80) == "http://0.0.0.0:80/"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/category/", "../category-130016b2/"),
        ("/category", "category-130016b2/"),
        ("/category/page/2/", "../../../category-130016b2/page/2/"),
        ("/category/subscribe", "../category-130016b2/subscribe/"),
        ("/feeds/category.atom", "category-130016b2.atom"),
        ("/feeds/category/top.rss", "../category-130016b2/top.rss"),
    ],
)
def test_a_lone_wordless_category_keeps_its_former_links(path: str, location: str) -> None:
    """Names without an ASCII word ("東京") all had the slug "category"; with one such category,
    its old page and feed links move permanently to its own slug, and the new link serves."""
    reader = FakeReader()
    reader.names.append("東京")
    reader.items.append(make_story("t1", "Tower reopens", category="東京", hours=1))

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, _ = await get(session, root + path)
        assert (status, headers["Location"]) == (301, location)
        status, _, body = await get(session, root + "/feeds/category-130016b2.atom")
        assert status == 200 and b"Tower reopens" in body

    serve(reader, check)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/stories/page/2/", "../../../stories-category/page/2/"),
        ("/feeds/stories.atom", "stories-category.atom"),
        ("/all", "all/"),  # (every category's page)
        ("/feeds/sources.rss", "sources-category.rss"),
        ("/sources/page/2/", "../../../sources-category/page/2/"),
        ("/sources", "sources/"),  # (the sources page)
    ],
)
def test_a_category_named_all_or_stories_leaves_the_sites_addresses_alone(
    path: str, location: str
) -> None:
    """A category "All" had /all/ and /feeds/all.atom, which is every category's feed, and lost
    it; "Stories" had /stories/, the story pages' folder. Their pages now have "-category" after
    the slug, links to the old ones move there, and /feeds/all.atom and /all/ stay every
    category's."""
    reader = FakeReader()
    reader.names.extend(["All", "Stories", "Sources"])
    reader.items.append(make_story("a1", "Tower reopens", category="All", hours=1))
    reader.items.append(make_story("s1", "Bridge closes", category="Stories", hours=2))
    reader.items.append(make_story("o1", "Spring found", category="Sources", hours=3))

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, _ = await get(session, root + path)
        assert (status, headers["Location"]) == (301, location)
        status, _, body = await get(session, root + "/feeds/all.atom")
        assert status == 200 and b"Tower reopens" in body and b"Bridge closes" in body
        status, _, body = await get(session, root + "/feeds/all-category.atom")
        assert status == 200 and b"Tower reopens" in body and b"Bridge closes" not in body
        status, _, body = await get(session, root + "/stories-category/")
        assert status == 200 and b"Bridge closes" in body
        status, _, body = await get(session, root + "/")
        assert b"all-category/" in body
        status, _, body = await get(session, root + "/all/")
        assert status == 200 and b"Tower reopens" in body and b"Bridge closes" in body
        status, _, body = await get(session, root + "/sources/")
        assert status == 200 and b"<h1>Sources</h1>" in body and b"Spring found" not in body
        status, _, body = await get(session, root + "/sources-category/")
        assert status == 200 and b"Spring found" in body

    serve(reader, check)
    files = dict(Site(reader, SETTINGS, clock=lambda: T0).files())  # the static export
    assert b"Bridge closes" in files["feeds/all.atom"].body
    assert b"Bridge closes" in files["all/index.html"].body
    assert b"Bridge closes" not in files["feeds/all-category.atom"].body
    assert {"all-category/index.html", "stories-category/index.html"} <= files.keys()


class RenamingReader(FakeReader):
    """The OPML renamed "World" to "World News" and "Feeds" to "Science & Tech"; "Sport" to a
    category since removed."""

    def category_aliases(self) -> dict[str, str]:
        return {"world": "World News", "feeds": "Science & Tech", "sport": "Sport News"}


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/world/", "../world-news/"),
        ("/world", "world-news/"),
        ("/world/page/2/", "../../../world-news/page/2/"),
        ("/world/page/2", "../../world-news/page/2/"),
        ("/world/subscribe", "../world-news/subscribe/"),  # (one hop: to the page)
        ("/world/subscribe/", "../../world-news/subscribe/"),
        ("/feeds/world.atom", "world-news.atom"),
        ("/feeds/world.json", "world-news.json"),
        ("/feeds/world/top.rss", "../world-news/top.rss"),
        ("/feeds/feeds.atom", "science-tech.atom"),
        ("/feeds/feeds/top.atom", "../science-tech/top.atom"),
        ("/feeds/", "../science-tech/"),
    ],
)
def test_a_renamed_categorys_former_links_move_to_its_new_slug(path: str, location: str) -> None:
    """A reader subscribed to a category's feed keeps its news after the OPML renames the
    category: the former slug's pages and feeds move permanently to the new slug's."""

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, _ = await get(session, root + path)
        assert (status, headers["Location"]) == (301, location)
        status, _, body = await get(session, root + "/feeds/world-news.atom")
        assert status == 200 and b"Ceasefire agreed" in body

    serve(RenamingReader(), check)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/World-News/", "../world-news/"),
        ("/World%20News/", "../world-news/"),
        ("/World-News", "world-news/"),
        ("/Science-&-Tech/", "../science-tech/"),
        ("/feeds/World-News.atom", "world-news.atom"),
        ("/feeds/World-News/top.rss", "../world-news/top.rss"),
        ("/feeds/ALL.json", "all.json"),
        ("/World/", "../world-news/"),  # a renamed category's former name
        # past page 1 too (a 404 before)
        ("/World-News/page/2/", "../../../world-news/page/2/"),
        ("/World-News/page/3", "../../world-news/page/3/"),
    ],
)
def test_a_category_address_written_as_its_name_moves_to_its_slug(path: str, location: str) -> None:
    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, _ = await get(session, root + path)
        assert (status, headers["Location"]) == (301, location)

    serve(RenamingReader(), check)


@pytest.mark.parametrize(
    "path",
    [
        "/Nothing-Here/",
        "/wp-login.php",
        "/ALL/",
        "/feeds/Sport.atom",
        "/-/",
        "/!!!/",
        "/%00/",
        "/Nothing-Here/page/2/",
    ],
)
def test_a_name_no_category_has_is_not_found(path: str) -> None:
    """Nor is a name of no words a wordless category's, though such names had the slug
    "category" until each got its own."""
    reader = RenamingReader()
    reader.names.append("東京")
    reader.items.append(make_story("t1", "Tower reopens", category="東京", hours=1))

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, _, body = await get(session, root + path)
        assert status == 404 and b"Not found" in body
        status, headers, _ = await get(session, root + "/東京/")
        assert (status, headers["Location"]) == (301, "../category-130016b2/")

    serve(reader, check)


def test_a_former_slug_of_a_removed_category_and_live_categories_are_not_moved() -> None:
    reader = RenamingReader()

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        for path in ("/sport/", "/feeds/sport.atom"):
            status, _, _ = await get(session, root + path)
            assert status == 404
        status, _, body = await get(session, root + "/world-news/")
        assert status == 200 and b"Ceasefire agreed" in body
        # a cached page is served without asking where its slug moved
        calls = reader.data_calls
        status, _, _ = await get(session, root + "/world-news/")
        assert status == 200 and reader.data_calls == calls

    serve(reader, check)


def test_the_static_export_writes_a_renamed_categorys_feeds_at_its_former_address_too() -> None:
    """A static web server cannot redirect: the former feed paths get the same feeds, and the
    former page sends the reader on to the new one."""
    files = dict(Site(RenamingReader(), SETTINGS, clock=lambda: T0).files())
    for path in ("feeds/world.atom", "feeds/world.rss", "feeds/world.json", "feeds/world/top.atom"):
        assert files[path].body == files[path.replace("world", "world-news")].body
    assert files["feeds/feeds.atom"].body == files["feeds/science-tech.atom"].body
    page = files["world/index.html"].body.decode()
    assert f'<meta http-equiv="refresh" content="0; url={BASE}world-news/">' in page
    assert f'<link rel="canonical" href="{BASE}world-news/">' in page
    assert not any(name.startswith(("sport/", "feeds/sport")) for name in files)


def test_the_static_export_sends_on_from_every_former_page_of_a_renamed_category() -> None:
    """Its later pages and its subscribe page (which the daily emails sent before the rename
    link) were not there at the former address, where the server answers 301: each former
    page now sends the reader on to its page at the new address."""
    reader = RenamingReader()
    reader.items += [
        make_story(f"x{n}", f"Extra {n}", category="World News", hours=n) for n in range(30)
    ]
    digest = DigestSettings(
        smtp_host="127.0.0.1",
        from_address="news@news.example.org",
        recipients={"World News": ("reader@example.org",)},
    )
    files = dict(Site(reader, SETTINGS, clock=lambda: T0, digest=digest).files())
    pages = [p.removeprefix("world-news/") for p in files if p.startswith("world-news/")]
    assert sorted(pages) == ["index.html", "page/2/index.html", "subscribe/index.html"]
    for page in pages:
        target = f"{BASE}world-news/{page.removesuffix('index.html')}"
        moved = files[f"world/{page}"].body.decode()
        assert f'<meta http-equiv="refresh" content="0; url={target}">' in moved, page
        assert f'<link rel="canonical" href="{target}">' in moved


@pytest.mark.parametrize("names", [["東京", "Новости"], ["東京", "—"]])
def test_the_former_wordless_slug_moves_nowhere_when_it_is_ambiguous_or_taken(
    names: list[str],
) -> None:
    """Two wordless categories: nobody can tell whose the old links were. A name without any
    word still has "category" itself: its page is served, not redirected."""
    reader = FakeReader()
    reader.names.extend(names)
    reader.items.append(make_story("d1", "Dash news", category="—", hours=1))

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, _, body = await get(session, root + "/feeds/category.atom")
        if "—" in names:
            assert status == 200 and b"Dash news" in body
        else:
            assert status == 404

    serve(reader, check)


def test_all_stories_is_a_page_of_every_categorys_stories() -> None:
    """/all/ ranks every category's stories as a category page ranks its own, with the "All
    stories" feeds; the front page links it; it pages as a category does."""
    reader = FakeReader()
    reader.items += [
        make_story(f"x{n}", f"Filler report {n}", category="World News", hours=10 + n)
        for n in range(30)
    ]

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, _, body = await get(session, root + "/all/")
        page = body.decode()
        assert status == 200 and "<h1>All stories</h1>" in page
        assert f'href="{BASE}feeds/all.atom"' in page and "/subscribe" not in page
        assert f'href="{BASE}all/page/2/">More →' in page
        status, _, body = await get(session, root + "/all/page/2/")
        second = body.decode()
        assert status == 200 and "<h1>All stories, page 2</h1>" in second
        both = page + second  # (both categories' stories, 33 on two pages of 25)
        assert all(f">{h}<" in both for h in ("Ceasefire agreed", "Comet seen", "Storm warning"))
        assert page.count("<article") + second.count("<article") == 33
        status, _, _ = await get(session, root + "/all/page/3/")
        assert status == 404
        _, _, front = await get(session, root + "/")
        assert f'<a href="{BASE}all/">All stories</a>' in front.decode()

    serve(reader, check)


def test_a_story_can_be_followed_in_a_feed_reader_each_update_an_item() -> None:
    """`/stories/<id>/updates.atom` (`.rss`, `.json`): the story's current version as an item
    of its own (its id names the version; published when it was updated), so a reader
    following the story gets each update as news; linked from its page, found by autodiscovery;
    a merged story's moves on as its page does; in the static export beside its page."""

    class Merging(FakeReader):
        def __init__(self) -> None:
            super().__init__()
            self.merged: dict[str, str] = {}

        def merged_into(self, story_id: str) -> str | None:
            return self.merged.get(story_id)

    reader = Merging()

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        status, headers, body = await get(session, root + "/stories/w1/updates.atom")
        assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
        parsed = feedparser.parse(body)
        assert parsed.feed.title == "Daily: Ceasefire agreed"
        assert parsed.feed.link == f"{BASE}stories/w1/"
        (entry,) = parsed.entries
        assert entry.id == "urn:aggregator:story:w1:v1" and entry.link == f"{BASE}stories/w1/"
        assert entry.published == entry.updated  # (an update is news when it happens)
        _, _, page = await get(session, root + "/stories/w1/")
        assert f'Follow this story: <a href="{BASE}stories/w1/updates.atom">Atom</a>' in (
            page.decode()
        )
        # a material change is a new version: a new item
        reader.items[0] = replace(reader.items[0], version=2)
        reader.token = "v2"
        _, _, body = await get(session, root + "/stories/w1/updates.rss")
        (entry,) = feedparser.parse(body).entries
        assert entry.id == "urn:aggregator:story:w1:v2"
        assert entry.title == "Ceasefire agreed (update 1)"  # (the first is the headline)
        _, _, body = await get(session, root + "/stories/w1/updates.json")
        assert json.loads(body)["items"][0]["id"] == "urn:aggregator:story:w1:v2"
        assert (await get(session, root + "/stories/nope/updates.atom"))[0] == 404
        reader.merged["w1"] = "w2"
        reader.token = "v3"
        status, headers, _ = await get(session, root + "/stories/w1/updates.atom")
        assert (status, headers["Location"]) == (301, "../w2/updates.atom")

    serve(reader, check)
    reader.merged.clear()
    files = dict(Site(reader, SETTINGS, clock=lambda: T0).files())
    assert b"urn:aggregator:story:w1:v2" in files["stories/w1/updates.atom"].body
    assert "stories/w1/updates.json" in files and "stories/w1/index.html" in files


async def raw_request(root: str, request: bytes) -> bytes:
    """Send `request` as written; what the server answers before it closes."""
    host, port = root.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    return data


@pytest.mark.parametrize("shown", [logging.INFO, logging.WARNING])
def test_a_request_the_server_cannot_parse_is_one_line_not_an_error(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, shown: int
) -> None:
    # (what anyone on the internet can send: aiohttp logged it at ERROR, with a traceback)
    monkeypatch.setattr(logging.getLogger("aiohttp.server"), "filters", [logs.ClientErrors()])
    caplog.set_level(shown)
    answers: list[bytes] = []

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        huge = b"GET / HTTP/1.1\r\nHost: x\r\nCookie: sid=READERSECRET; t=" + b"x" * 10_000
        huge += b"\r\n\r\n"  # (a reader's cookie for another site behind the same proxy)
        answers.append(await raw_request(root, huge))
        answers.append(await raw_request(root, b"GET / HTTP/1.1\r\nHost x\r\n\r\n"))

    serve(FakeReader(), check)
    assert [answer.split(b"\r\n")[0][-15:] for answer in answers] == [b"400 Bad Request"] * 2
    said = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in said)
    if shown == logging.INFO:
        lines = [r.getMessage() for r in said]
        assert len(lines) == 2 and all(
            x.startswith("bad request from 127.0.0.1 refused (400: ") for x in lines
        )
        assert "Got more than 8190 bytes" in lines[0] and "READERSECRET" not in caplog.text
    else:
        assert said == []


def test_a_connection_that_sends_no_whole_request_is_closed_after_the_keepalive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (aiohttp's own default held such a connection, an open file, for an hour)
    monkeypatch.setattr(web_module, "KEEPALIVE", 0.3)
    waited: list[float] = []

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        host, port = root.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # (and never the blank line)
        await writer.drain()
        started = asyncio.get_running_loop().time()
        assert await asyncio.wait_for(reader.read(), 10) == b""  # (closed, nothing said)
        waited.append(asyncio.get_running_loop().time() - started)
        writer.close()

    serve(FakeReader(), check)
    assert 0.2 < waited[0] < 5


def test_a_pruned_storys_page_and_feed_are_gone() -> None:
    """A story retention pruned had answered 404, as an address never used: a feed reader
    following its updates feed kept asking (a 404 may pass; 410 says it will not come back),
    and ours, for one, stops only at a 410."""

    class Pruning(FakeReader):
        def was_pruned(self, story_id: str) -> bool:
            return story_id == "old"

    async def check(session: aiohttp.ClientSession, root: str) -> None:
        for path in ("/stories/old/", "/stories/old", "/stories/old/updates.atom"):
            status, headers, body = await get(session, root + path)
            assert status == 410 and b"Not found" in body, path
            assert headers["Cache-Control"] == "no-store"
        assert (await get(session, root + "/stories/nope/"))[0] == 404
        assert (await get(session, root + "/stories/nope/updates.rss"))[0] == 404
        assert (await get(session, root + "/stories/w1/"))[0] == 200

    serve(Pruning(), check)
