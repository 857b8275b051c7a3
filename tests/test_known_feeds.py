"""Feeds a platform keeps at known addresses: `aggregator add` of a YouTube channel's or
playlist's page adds its feed without asking the page (which in the EU is a consent page).
No network: the discovery runs against a stand-in fetcher."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aggregator.feed_links import known_feed
from aggregator.models import Fetched, FetchFailed
from aggregator.sources import discover

CHANNEL = "UCBi2mrWuNuyYy4gbM6fU18Q"
FEED = "https://www.youtube.com/feeds/videos.xml?"
PLAYLIST = "PLZHQObOWTQDPD3MizzM2xVFitgF8hE_ab"


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        (f"https://www.youtube.com/channel/{CHANNEL}", f"{FEED}channel_id={CHANNEL}"),
        (f"https://youtube.com/channel/{CHANNEL}/videos", f"{FEED}channel_id={CHANNEL}"),
        ("https://m.youtube.com/user/HarbourNews", f"{FEED}user=HarbourNews"),
        (f"https://www.youtube.com/playlist?list={PLAYLIST}", f"{FEED}playlist_id={PLAYLIST}"),
        (f"https://www.youtube.com/watch?v=x1&list={PLAYLIST}", f"{FEED}playlist_id={PLAYLIST}"),
        ("https://www.reddit.com/r/worldnews/", "https://www.reddit.com/r/worldnews/.rss"),
        ("https://old.reddit.com/r/worldnews", "https://www.reddit.com/r/worldnews/.rss"),
        ("https://reddit.com/u/harbour_news", "https://www.reddit.com/user/harbour_news/.rss"),
        ("https://www.reddit.com/r/worldnews/comments/abc/title/", None),  # (one thread)
        ("https://www.reddit.com/r/worldnews/.rss", None),  # (a feed already)
        ("https://www.youtube.com/@HarbourNews", None),  # (only its page names it)
        ("https://www.youtube.com/watch?v=x1", None),
        (f"https://notyoutube.example/channel/{CHANNEL}", None),
        (f"{FEED}channel_id={CHANNEL}", None),  # (a feed already)
        ("http://[::1", None),
        (
            "https://bsky.app/profile/harbour.example",
            "https://bsky.app/profile/harbour.example/rss",
        ),
        ("https://bsky.app/profile/harbour.example/post/3lc", None),  # (one post)
        ("https://social.example/@HarbourNews", "https://social.example/@HarbourNews.rss"),
        ("https://social.example/@harbour@news.example", "https://news.example/@harbour.rss"),
        ("https://social.example/@HarbourNews.rss", None),  # (a feed already)
        ("https://social.example/@HarbourNews/113012", None),  # (one post)
        ("https://medium.com/@harbour", "https://medium.com/feed/@harbour"),
        ("https://www.threads.net/@harbour", None),  # (no feed)
    ],
)
def test_a_platforms_known_feed_address(page: str, feed: str | None) -> None:
    assert known_feed(page) == feed


ATOM = (
    "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Harbour News</title>"
    f"<link rel='alternate' href='https://www.youtube.com/channel/{CHANNEL}'/>"
    "<entry><id>yt:video:x1</id><title>Bridge reopens</title>"
    "<link rel='alternate' href='https://www.youtube.com/watch?v=x1'/>"
    "<updated>2026-12-01T10:00:00+00:00</updated></entry></feed>"
)


class StandIn:
    """A fetcher that serves one address and records what it was asked."""

    def __init__(self, served: dict[str, bytes]) -> None:
        self.served = served
        self.asked: list[str] = []

    async def fetch(self, url: str, *args: Any, **kwargs: Any) -> Fetched | FetchFailed:
        self.asked.append(url)
        body = self.served.get(url)
        if body is None:
            return FetchFailed(url, "HTTP 404", 404)
        return Fetched(url, url, 200, body, {"content-type": "application/atom+xml"})


def test_adding_a_channels_page_finds_its_feed_without_asking_the_page() -> None:
    page = f"https://www.youtube.com/channel/{CHANNEL}"
    fetcher = StandIn({f"{FEED}channel_id={CHANNEL}": ATOM.encode()})
    found = asyncio.run(discover(page, fetcher))  # type: ignore[arg-type]
    feed = f"{FEED}channel_id={CHANNEL}"
    assert (found.url, found.title, found.items) == (feed, "Harbour News", 1)
    assert fetcher.asked == [feed]  # (the page, a consent wall in the EU, is not asked)


def test_adding_a_mastodon_accounts_page_finds_its_feed_without_asking_the_page() -> None:
    page = "https://social.example/@HarbourNews"
    rss = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour News</title>"
        f"<link>{page}</link><item><guid>{page}/1</guid><link>{page}/1</link>"
        "<description>&lt;p&gt;Bridge reopens.&lt;/p&gt;</description></item></channel></rss>"
    )
    fetcher = StandIn({f"{page}.rss": rss.encode()})
    found = asyncio.run(discover(page, fetcher))  # type: ignore[arg-type]
    assert (found.url, found.title, found.items) == (f"{page}.rss", "Harbour News", 1)
    assert fetcher.asked == [f"{page}.rss"]


def test_a_known_address_that_gives_no_feed_falls_back_to_the_page() -> None:
    page = f"https://www.youtube.com/channel/{CHANNEL}"
    fetcher = StandIn({})
    with pytest.raises(Exception, match="HTTP 404"):
        asyncio.run(discover(page, fetcher))  # type: ignore[arg-type]
    assert fetcher.asked == [f"{FEED}channel_id={CHANNEL}", page]


def test_a_channels_page_listed_as_a_feed_says_where_its_feed_is() -> None:
    from aggregator.poll_job import _with_known_feed

    page = f"https://www.youtube.com/channel/{CHANNEL}"
    # (the EU's consent page names no feed: its platform's address is named instead)
    said = _with_known_feed("looks like an HTML page", page)
    assert said.startswith(f"its feed is at {FEED}channel_id={CHANNEL} (this address is a web")
    named = "its feed is at https://www.youtube.com/feeds/videos.xml?x (this address is …)"
    assert _with_known_feed(named, page) == named  # (what the page names comes first)
    assert _with_known_feed("looks like an HTML page", "https://harbour.example/") == (
        "looks like an HTML page"
    )
