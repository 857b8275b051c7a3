"""Stories' pictures through the site (`[publish] picture_proxy`): the pages and feeds name
`/pictures/<story>/<key>`, and the server fetches that story's current picture, no other
address, with the fetcher's guards. Pictures and outlets here are invented, on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from digest_fixture import NOW, add_story
from test_search import served
from upstream import Upstream

from aggregator.cli import main
from aggregator.config import build_settings
from aggregator.errors import ConfigError
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.models import Fetched, FetchFailed, Source
from aggregator.picture_proxy import Pictures
from aggregator.publish import PublishSettings, picture_key, proxied
from aggregator.store import Store

BASE = "https://news.example.org/"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8  # (a photo's first bytes; enough for a test)


def test_which_pictures_are_named_through_the_site() -> None:
    http, https = "http://cdn.example/a.jpg", "https://cdn.example/b.jpg"
    key = picture_key(http)
    assert len(key) == 16 and key == picture_key(http) != picture_key(https)
    assert proxied(http, "s 1", BASE, "http") == f"{BASE}pictures/s%201/{key}"
    assert proxied(https, "s1", BASE, "http") == https  # (an https page may show it)
    assert proxied(https, "s1", BASE, "all") == f"{BASE}pictures/s1/{picture_key(https)}"
    assert proxied(http, "s1", BASE, "off") == http
    with pytest.raises(ValueError, match="picture_proxy must be one of 'off', 'http', 'all'"):
        PublishSettings(picture_proxy="sometimes")
    with pytest.raises(ConfigError, match=r"\[publish\].*picture_proxy must be one of"):
        build_settings({"publish": {"picture_proxy": "yes"}})


def pictured(db: Path, pictures: dict[str, str]) -> None:
    """A database with one published story per entry of `pictures` (story id → its picture)."""
    store = Store(db)
    try:
        for story_id, url in pictures.items():
            add_story(store, story_id, f"Harbour wall story {story_id}")
            store.db.execute(
                "UPDATE summaries SET image = ?, image_source = 0 WHERE story_id = ?",
                [url, story_id],
            )
    finally:
        store.close()


def on_loopback() -> Pictures:
    """The server's side, allowed to fetch from this machine (the tests' outlets are here)."""
    return Pictures(fetcher=lambda s: Fetcher(s, internal=lambda _address: False))


def test_a_plain_http_picture_is_served_by_the_site(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    settings = PublishSettings(base_url=BASE)

    async def scenario() -> None:
        async with Upstream() as up:
            photo = up.add_feed("/photo.jpg", JPEG, content_type="image/jpeg")
            page = up.add_feed("/page.html", b"<html></html>", content_type="text/html")
            vector = up.add_feed("/v.svg", b"<svg onload='x()'/>", content_type="image/svg+xml")
            binary = up.add_feed("/b.jpg", JPEG, content_type="application/octet-stream")
            # a page whose type names a picture first (browsers read it as a page)
            posing = up.add_feed(
                "/p.png", b"<html><form>Log in</form></html>", content_type="image/png, text/html"
            )
            secure = "https://cdn.example/secure.jpg"
            pictured(
                db,
                {"s1": photo, "s2": secure, "s3": page, "s4": vector, "s5": binary, "s6": posing},
            )
            key = picture_key(photo)
            named = f"{BASE}pictures/s1/{key}"
            async with served(db, settings, pictures=on_loopback()) as client:
                story = await (await client.get("/stories/s1")).text()
                assert f'src="{named}"' in story and photo not in story
                assert f'<meta property="og:image" content="{named}">' in story
                assert f'src="{secure}"' in await (await client.get("/stories/s2")).text()
                feed = await (await client.get("/feeds/all.atom")).text()
                assert f'url="{named}"' in feed and photo not in feed
                robots = await (await client.get("/robots.txt")).text()
                assert "Disallow: /pictures/\n" in robots

                answer = await client.get(f"/pictures/s1/{key}")
                assert answer.status == 200 and await answer.read() == JPEG
                assert answer.headers["Content-Type"] == "image/jpeg"
                assert answer.headers["Cache-Control"] == "public, max-age=604800"
                assert answer.headers["ETag"] == f'"{key}"'
                assert answer.headers["X-Content-Type-Options"] == "nosniff"
                # asked again: from memory, the outlet is asked once; a copy is never stale
                again = await client.get(f"/pictures/s1/{key}")
                assert await again.read() == JPEG and len(up.requests_for("/photo.jpg")) == 1
                request = up.requests_for("/photo.jpg")[0]
                assert "referer" not in request.headers and "cookie" not in request.headers
                kept = await client.get(
                    f"/pictures/s1/{key}", headers={"If-None-Match": f'"{key}"'}
                )
                assert kept.status == 304
                # a key the story's picture no longer has leads to the one it has
                old = await client.get("/pictures/s1/0123456789abcdef", allow_redirects=False)
                assert old.status == 302 and old.headers["Location"] == key
                # only the story's own picture, proxied by the mode: no open proxy
                https_key = picture_key(secure)
                assert (await client.get(f"/pictures/s2/{https_key}")).status == 404
                assert (await client.get(f"/pictures/nothing/{key}")).status == 404
                # a page or an SVG (which can carry script) is no picture, whatever its type
                for story_id, url in (("s3", page), ("s4", vector), ("s6", posing)):
                    failed = await client.get(f"/pictures/{story_id}/{picture_key(url)}")
                    assert failed.status == 502 and "not a picture" in await failed.text()
                # a JPEG served with a generic type is one all the same, named as one
                sniffed = await client.get(f"/pictures/s5/{picture_key(binary)}")
                assert sniffed.status == 200 and await sniffed.read() == JPEG
                assert sniffed.headers["Content-Type"] == "image/jpeg"

    asyncio.run(scenario())


def test_the_proxy_fetches_inside_the_network_only_from_the_feeds_hosts(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        async with Upstream() as up:
            photo = up.add_feed("/photo.jpg", JPEG, content_type="image/jpeg")
            elsewhere = photo.replace("127.0.0.1", "localhost")  # (the same server, unlisted)
            pictured(db, {"s1": photo, "s2": elsewhere})
            key = picture_key(photo)
            # the fetcher's own guard: a picture at an address inside the network is refused
            async with served(db, PublishSettings(base_url=BASE)) as client:
                refused = await client.get(f"/pictures/s1/{key}")
                assert refused.status == 502 and "private address" in await refused.text()
            assert up.requests_for("/photo.jpg") == []
            # unless its host is one the operator listed a feed on (an intranet's own)
            store = Store(db)
            store.sync_sources([Source(up.url("/feed.xml"), "Intranet", "World News")], NOW)
            store.close()
            async with served(db, PublishSettings(base_url=BASE)) as client:
                assert await (await client.get(f"/pictures/s1/{key}")).read() == JPEG
                other = await client.get(f"/pictures/s2/{picture_key(elsewhere)}")
                assert other.status == 502 and "private address" in await other.text()
            assert len(up.requests_for("/photo.jpg")) == 1
            off = PublishSettings(base_url=BASE, picture_proxy="off")
            async with served(db, off, pictures=on_loopback()) as client:
                answer = await client.get("/stories/s1")
                story = await answer.text()
                assert f'src="{photo}"' in story and "/pictures/" not in story
                # its policy lets the page load it (it had blocked it: an empty frame)
                assert (
                    "img-src 'self' https: http: data:;"
                    in answer.headers["Content-Security-Policy"]
                )
                assert (await client.get(f"/pictures/s1/{key}")).status == 404
                assert "pictures" not in await (await client.get("/robots.txt")).text()

    asyncio.run(scenario())


def test_a_slow_outlet_times_out_and_is_not_asked_again_at_once(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        async with Upstream() as up:
            photo = up.add_feed("/slow.jpg", JPEG, content_type="image/jpeg", delay=2.0)
            pictured(db, {"s1": photo})
            settings = FetchSettings(total_timeout=0.3, connect_timeout=0.3)
            quick = Pictures(settings, fetcher=lambda s: Fetcher(s, internal=lambda _a: False))
            async with served(db, PublishSettings(base_url=BASE), pictures=quick) as client:
                path = f"/pictures/s1/{picture_key(photo)}"
                answers = await asyncio.gather(*(client.get(path) for _ in range(3)))
                assert [a.status for a in answers] == [504, 504, 504]
                assert (await client.get(path)).status == 504
                assert len(up.requests_for("/slow.jpg")) == 1  # one fetch for all four

    asyncio.run(scenario())


def test_a_static_export_names_pictures_at_their_outlets(tmp_path: Path) -> None:
    db, out = tmp_path / "agg.db", tmp_path / "site"
    pictured(db, {"s1": "http://cdn.example/a.jpg"})
    assert main(["publish", "--db", str(db), "--output", str(out)]) == 0
    page = (out / "stories/s1/index.html").read_text()
    assert 'src="http://cdn.example/a.jpg"' in page and "/pictures/" not in page
    assert "pictures" not in (out / "robots.txt").read_text()


class SlowOutlet:
    """A fetcher stand-in: each fetch waits for `release`, then answers a JPEG (or 404)."""

    def __init__(self, _settings: FetchSettings) -> None:
        self.asked: list[str] = []
        self.release = asyncio.Event()

    async def __aenter__(self) -> SlowOutlet:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    def trust_hosts(self, _hosts: object) -> None:
        return None

    async def fetch(self, url: str, **_options: object) -> Fetched | FetchFailed:
        self.asked.append(url)
        await self.release.wait()
        if "missing" in url:
            return FetchFailed(url, "HTTP 404", 404)
        return Fetched(url, url, 200, JPEG + url.encode(), {"content-type": "image/jpeg"})


def test_pictures_in_memory_a_reader_who_leaves_and_what_is_let_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outlets: list[SlowOutlet] = []
    now = [0.0]

    def make(settings: FetchSettings) -> SlowOutlet:
        outlets.append(SlowOutlet(settings))
        return outlets[-1]

    async def scenario() -> None:
        pictures = Pictures(fetcher=make, clock=lambda: now[0])  # type: ignore[arg-type]
        a, missing = "http://cdn.example/a.jpg", "http://cdn.example/missing.jpg"
        leaving = asyncio.ensure_future(pictures.get(a))
        staying = asyncio.ensure_future(pictures.get(a))
        await asyncio.sleep(0.01)
        leaving.cancel()  # (its reader went away: the fetch goes on for the other)
        outlets[0].release.set()
        assert (await staying).body == JPEG + a.encode()
        assert outlets[0].asked == [a]
        assert (await pictures.get(a)).body == JPEG + a.encode() and outlets[0].asked == [a]
        failed = await pictures.get(missing)
        assert (failed.status, failed.error) == (502, "HTTP 404")
        now[0] += 61  # a failure is asked again after a minute, a picture after an hour
        await pictures.get(missing)
        await pictures.get(a)
        assert outlets[0].asked == [a, missing, missing]
        now[0] += 3600
        await pictures.get(a)
        assert outlets[0].asked == [a, missing, missing, a]
        # the least recently used goes first once the memory is full
        size = len((await pictures.get(a)).body)  # (each of these: the same size)
        monkeypatch.setattr("aggregator.picture_proxy.CACHE_BYTES", 4 * size + 10)
        others = [f"http://cdn.example/{n}.jpg" for n in "bcde"]
        for url in others:  # (room for four: a, used longest ago, is let go)
            await pictures.get(url)
        asked = len(outlets[0].asked)
        for url in others:
            await pictures.get(url)
        assert len(outlets[0].asked) == asked
        await pictures.get(a)
        assert outlets[0].asked[asked:] == [a]
        await pictures.close()

    asyncio.run(scenario())
