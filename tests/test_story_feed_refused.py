"""An aggregator's own published feeds are never taken in as a source: their items summarise
other feeds' items, and polled back they would count as one more outlet on every story they
came from (and change those stories on every pass)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from news_fixture import feeds
from stories import make_story
from upstream import Upstream, opml

from aggregator.config import Settings
from aggregator.errors import ConfigError, StoryFeedError
from aggregator.feeds import render_feed
from aggregator.fetch import Fetcher
from aggregator.parse import parse_feed
from aggregator.publish import PublishSettings
from aggregator.service import Service
from aggregator.sources import add

NOW = datetime(2025, 3, 1, tzinfo=UTC)
SETTINGS = PublishSettings(base_url="https://news.example.org/", site_title="Daily")


def story_feed(fmt: str) -> bytes:
    stories = [make_story("s1", "Ceasefire agreed", hours=1), make_story("s2", "Storm", hours=2)]
    return render_feed("World News", "world-news", stories, fmt, SETTINGS, NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
@pytest.mark.parametrize("fast", [True, False])
def test_a_published_story_feed_is_refused_by_the_parser(fmt: str, fast: bool) -> None:
    with pytest.raises(StoryFeedError, match="an aggregator's story feed") as caught:
        parse_feed(story_feed(fmt), "https://news.example.org/feeds/world-news." + fmt, fast=fast)
    assert "nothing of it is stored" in caught.value.message


def test_an_outlets_feed_with_one_such_id_among_others_is_parsed() -> None:
    body = (
        b"<rss version='2.0'><channel><title>Outlet</title>"
        b"<item><title>A</title><guid>urn:aggregator:story:s1</guid></item>"
        b"<item><title>B</title><guid>https://outlet.example/b</guid></item>"
        b"</channel></rss>"
    )
    assert len(parse_feed(body, "https://outlet.example/rss").entries) == 2


def test_add_refuses_a_story_feed_found_on_a_page_and_leaves_the_opml_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(opml("https://outlet.example/rss"))
    before = path.read_bytes()

    async def scenario() -> None:
        async with Upstream() as up:
            up.add_feed("/feeds/all.atom", story_feed("atom"), content_type="application/atom+xml")
            page = (
                b'<!doctype html><html><head><link rel="alternate" '
                b'type="application/atom+xml" href="/feeds/all.atom"></head></html>'
            )
            up.add_feed("/", page, content_type="text/html")
            for start in ("/", "/feeds/all.atom"):
                with pytest.raises(ConfigError, match="an aggregator's story feed") as caught:
                    await add(path, up.url(start))
                assert str(caught.value).startswith(up.url("/feeds/all.atom"))
                assert "add the outlets' own feeds instead" in str(caught.value)

    asyncio.run(scenario())
    assert path.read_bytes() == before


def test_add_takes_no_empty_feed_a_page_offers_beside_a_story_feed(tmp_path: Path) -> None:
    """An aggregator's front page offers its category feeds after its stories' feed: the first
    empty category's feed (no story yet to tell it by) had been added."""
    path = tmp_path / "feeds.opml"
    path.write_text(opml("https://outlet.example/rss"))
    before = path.read_bytes()
    empty = render_feed("Broken", "broken", [], "atom", SETTINGS, NOW)

    async def scenario() -> None:
        async with Upstream() as up:
            up.add_feed("/feeds/all.atom", story_feed("atom"), content_type="application/atom+xml")
            up.add_feed("/feeds/broken.atom", empty, content_type="application/atom+xml")
            page = (
                b'<!doctype html><html><head><link rel="alternate" '
                b'type="application/atom+xml" href="/feeds/all.atom"><link rel="alternate" '
                b'type="application/atom+xml" href="/feeds/broken.atom"></head></html>'
            )
            up.add_feed("/", page, content_type="text/html")
            with pytest.raises(ConfigError, match="an aggregator's story feed") as caught:
                await add(path, up.url("/"))
            assert str(caught.value).startswith(up.url("/feeds/all.atom"))

    asyncio.run(scenario())
    assert path.read_bytes() == before


def test_add_takes_an_outlets_feed_a_page_offers_after_a_story_feed(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(opml("https://outlet.example/rss"))

    async def scenario() -> str:
        async with Upstream() as up:
            up.add_feed("/feeds/all.atom", story_feed("atom"), content_type="application/atom+xml")
            up.add_feed(
                "/rss.xml", feeds()["/metrotimes/news.rss"], content_type="application/rss+xml"
            )
            page = (
                b'<!doctype html><html><head><link rel="alternate" '
                b'type="application/atom+xml" href="/feeds/all.atom"><link rel="alternate" '
                b'type="application/rss+xml" href="/rss.xml"></head></html>'
            )
            up.add_feed("/", page, content_type="text/html")
            added = await add(path, up.url("/"))
            assert added.source.url == up.url("/rss.xml")
            return up.url("/rss.xml")

    url = asyncio.run(scenario())
    assert url in path.read_text()


def test_a_story_feed_listed_by_hand_is_an_error_and_stores_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            outlet = up.add_feed("/a.xml", feeds()["/dailyplanet/world.xml"])
            own = up.add_feed("/feeds/all.rss", story_feed("rss"))
            path = tmp_path / "feeds.opml"
            path.write_text(opml(outlet, own))
            service = Service(path, tmp_path / "agg.db", Settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    report = await service.poll_cycle(fetcher)
                assert (report.ok, report.errors) == (1, 1)
                rows = {r["url"]: r for r in service.store.db["feeds"].rows}
                assert rows[own]["status"] == "error"
                assert "an aggregator's story feed" in rows[own]["error"]
                assert rows[outlet]["status"] == "ok"
                urls = {r["feed_url"] for r in service.store.db["items"].rows}
                assert urls == {outlet}
            finally:
                service.close()

    asyncio.run(scenario())
