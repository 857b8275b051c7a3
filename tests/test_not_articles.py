"""What is not news is not published as a story: a section front's list of teasers, or a
page about something else (a login wall, a consent or robot check, "page not found") does not
stand for an item's article, and a story without a bullet is not published.

The texts are invented for these tests; pages are served by a loopback server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from test_article_job import page, settings, write_opml
from upstream import Upstream

from aggregator.article_pass import ArticlePass
from aggregator.articles import about_item, reads_as_article
from aggregator.cli_status import _pages
from aggregator.config import Settings
from aggregator.fetch import Fetcher
from aggregator.models import Entry, Item, Source
from aggregator.pipeline import entry_to_item
from aggregator.service import Service
from aggregator.store import Store
from aggregator.story_job import StoryJob

# A local paper's section front as an extractor reads it: its label, then each story's
# headline and a teaser cut off by the page ("…", "More>>").
SECTION_FRONT = [
    "Local News More>>",
    "Harbour wall repairs start in Tolsby Harbour wall repairs start in Tolsby Crews began "
    "repairing the harbour wall in Tolsby on Monday after the winter storms.The council said "
    "the work would take until the sum...",
    "Keldon library extends its opening hours Keldon library extends its opening hours The "
    "Keldon library will open on Sundays from next month, the trustees announced.Readers had "
    "asked for longer hours for years and the trus...",
    "Bus lane on Arne Road opens next week Bus lane on Arne Road opens next week Buses will "
    "get their own lane on Arne Road from next Tuesday.Drivers who use it face a fine of "
    "sixty pounds, the transport office warned in a letter to resi...",
    "Most read More>>",
]
ARTICLE = [
    "Harbour wall repairs start in Tolsby",
    "Crews began repairing the harbour wall in Tolsby on Monday after the winter storms.",
    "The council said the work would take until the summer and cost 2 million pounds.",
    "Watch: the storm that broke the wall",
    "Fishermen said the damage had kept half the fleet in port since January, and the "
    "harbour master welcomed the start of the works...",
    "Residents will be able to walk along the wall again once the first section is done.",
]


def test_a_list_of_cut_off_teasers_does_not_read_as_an_article() -> None:
    assert not reads_as_article("\n".join(SECTION_FRONT))
    # An article may carry a subhead, a video link and one paragraph ending in "...".
    assert reads_as_article("\n".join(ARTICLE))
    # A teaser below it (a "related stories" box) does not make it a list.
    assert reads_as_article("\n".join([*ARTICLE, SECTION_FRONT[2]]))


TEASER = "Crews began repairing the harbour wall in Tolsby on Monday after the winter storms."


def _post(up: Upstream, entries: list[tuple[str, str, str, str]]) -> str:
    """Serve the Tolsby Post's feed of (guid, title, link path, teaser) entries, a minute
    apart; returns its URL."""
    now = datetime.now(UTC).replace(microsecond=0)
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{up.url(path)}</link><guid>{guid}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=n))}</pubDate>"
        f"<description>{escape(teaser)}</description></item>"
        for n, (guid, title, path, teaser) in enumerate(entries)
    )
    return up.add_feed(
        "/feed.xml",
        (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Tolsby Post</title>"
            f"<link>{up.url('/')}</link>{items}</channel></rss>"
        ).encode(),
    )


@dataclass
class Polled:
    """What one poll cycle, then one pass over the article pages, left."""

    report: ArticlePass
    before: list[str]  # the bullets after the poll, before the pages
    bullets: dict[str, list[str]]  # each published story's bullets after them, by headline
    rows: list[tuple[str, str | None]]  # each page's (status, error)
    pages: str  # the feed's ARTICLE PAGES cell in `aggregator status`


async def _poll_then_fetch(feed: str, tmp_path: Path) -> Polled:
    service = Service(write_opml(tmp_path / "feeds.opml", feed), tmp_path / "agg.db", settings())
    try:
        await service.load_sources(strict=True)
        async with Fetcher(service.settings.fetch) as fetcher:
            await service.poll_cycle(fetcher)
            before = _bullets(service)
            report = await service.fetch_articles(fetcher)
        stories = service.store.reader().stories(None, 10)
        rows = service.store.db.execute("SELECT status, error FROM articles").fetchall()
        (feed_row,) = service.store.status_rows()
    finally:
        service.close()
    bullets = {s.headline: [b.text for b in s.summary.bullets] for s in stories if s.summary}
    pages = _pages(feed_row, service.settings.articles)
    return Polled(report, before, bullets, [(status, error) for status, error in rows], pages)


def test_a_section_front_page_leaves_the_feed_text_in_use(tmp_path: Path) -> None:
    """The item's link leads to a section front: its text is not taken for the article;
    the story keeps its feed text's bullet, and the page counts as one without article
    text in `status`."""

    async def scenario() -> Polled:
        async with Upstream() as up:
            up.add_feed("/local.html", page("Local News", SECTION_FRONT), content_type="text/html")
            entry = ("wall", "Harbour wall repairs start", "/local.html", TEASER)
            polled = await _poll_then_fetch(_post(up, [entry]), tmp_path)
            assert len(up.requests_for("/local.html")) == 1
            return polled

    polled = asyncio.run(scenario())
    assert (polled.report.ok, polled.report.failed) == (0, 1)
    assert polled.before == [TEASER]
    assert polled.bullets == {"Harbour wall repairs start": [TEASER]}
    assert polled.rows == [("empty", "a list of teasers (an index page), not an article")]
    assert polled.pages == (
        "0 ok, 1 failed (last: a list of teasers (an index page), not an article)"
    )


# Pages a site may serve at an article's address, as an extractor reads them.
NOT_THE_ARTICLE = {
    "login": "Log in to your account to continue reading this article and access all our "
    "content. Don't have an account? Register for free today.",
    "missing": "Sorry, the page you are looking for could not be found. It may have been "
    "moved, renamed or deleted. Try searching our site or return to the homepage to find the "
    "latest news and features from our newsroom.",
    "consent": "We and our partners use cookies and similar technologies to store and access "
    "information on your device, to personalise ads and content and to measure ads and "
    "content. By clicking Accept all you consent to the processing of your data.",
    "robot": "Please confirm that you are a human by completing the check below. We have "
    "detected unusual activity from your network and need to make sure you are not a robot.",
}
WALL_TITLE = "Harbour wall repairs start in Tolsby"
WALL_PAGE = "\n".join(ARTICLE[1:])


def test_a_page_about_something_else_is_not_the_items_article() -> None:
    for text in NOT_THE_ARTICLE.values():
        assert not about_item(text, WALL_TITLE, TEASER)
        assert not about_item(text, WALL_TITLE, "")
    assert about_item(WALL_PAGE, WALL_TITLE, TEASER)
    # The headline's terms, or the teaser's, are enough: a page that words the event its own
    # way ("sea wall", "fishing port") still holds most of the teaser's.
    reworded = (
        "Crews began repairing the sea wall of the fishing port on Monday after the winter "
        "storms. Tolsby council said the work would take until the summer."
    )
    assert about_item(reworded, "Work on breakwater begins", TEASER)
    # A title of fewer than three terms tells too little: its page is taken.
    assert about_item(NOT_THE_ARTICLE["login"], "Quote #17230", "")
    # Terms are read in the page's language: a German page of a German headline is about it.
    assert about_item(
        "Der Stadtrat von Tolsby hat am Montag die Reparatur der Hafenmauer beschlossen. Die "
        "Arbeiten sollen bis zum Sommer dauern.",
        "Tolsby: Reparatur der Hafenmauer beginnt",
        "",
    )


# Each item's own headline and teaser (a feed's text repeated across its items is furniture).
WALLED = {
    "login": (
        "Keldon library to open on Sundays",
        "The Keldon library will open on Sundays from next month, the trustees announced.",
    ),
    "missing": (WALL_TITLE, TEASER),
    "consent": (
        "Arne Road bus lane opens next week",
        "Buses will get their own lane on Arne Road from next Tuesday, the transport office said.",
    ),
    "robot": (
        "Tolsby ferry fares rise in spring",
        "Ferry fares between Tolsby and Keldon will rise by a tenth in April, the operator said.",
    ),
}


def test_a_login_wall_or_missing_page_leaves_the_feed_text_in_use(tmp_path: Path) -> None:
    """The site answers the article's address with a login wall, an error page, a consent or
    robot check (status 200): none of their sentences becomes a bullet; each story keeps its
    feed text, and `status` counts each page as one without article text."""

    async def scenario() -> Polled:
        async with Upstream() as up:
            for slug, text in NOT_THE_ARTICLE.items():
                up.add_feed(f"/{slug}.html", page("News", [text]), content_type="text/html")
            entries = [
                (slug, title, f"/{slug}.html", teaser) for slug, (title, teaser) in WALLED.items()
            ]
            polled = await _poll_then_fetch(_post(up, entries), tmp_path)
            for slug in WALLED:
                assert len(up.requests_for(f"/{slug}.html")) == 1
            return polled

    polled = asyncio.run(scenario())
    assert (polled.report.ok, polled.report.failed) == (0, len(WALLED))
    assert polled.bullets == {title: [teaser] for title, teaser in WALLED.values()}
    assert polled.rows == [
        ("empty", "a page about something else (a login, consent or error page?), not the article")
    ] * len(WALLED)


def _bullets(service: Service) -> list[str]:
    stories = service.store.reader().stories(None, 10)
    return [b.text for s in stories if s.summary for b in s.summary.bullets]


NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
# A web archive's crawl notice: no sentence a reader could use as a bullet.
NOTICE = (
    "The seed for this crawl was:\n- Top pages from every linked-to domain:\n"
    "-- up to a maximum of 100 ranked URLs per domain"
)
NEWS = (
    "The Keldon library will open on Sundays from next month, the trustees announced on "
    "Thursday. Readers had asked for longer opening hours for years."
)


def _item(n: int, title: str, text: str) -> Item:
    source = Source(f"https://o{n}.example/feed.xml", f"Outlet {n}", "World", "")
    entry = Entry(
        guid=f"g{n}",
        title=title,
        text=text,
        url=f"https://o{n}.example/{n}",
        published=NOW + timedelta(minutes=n),
    )
    return entry_to_item(source, entry, f"Outlet {n}", NOW + timedelta(hours=1))


def test_a_story_without_a_bullet_is_kept_but_not_published_until_it_has_one() -> None:
    store = Store(":memory:")
    try:
        job = StoryJob(store, Settings(), lambda: NOW + timedelta(hours=2))
        notice = _item(0, "The seed for this crawl was:", NOTICE)
        store.insert_items([notice])
        job.run()
        story = store.story_ids([notice.id])[notice.id]
        assert story  # grouped and kept...
        assert store.reader().stories(None, 10) == []  # ...but nothing a reader could read
        assert store.reader().story(story) is None
        # A story that had bullets and loses them is withdrawn (its text was a teaser whose
        # article turned out to hold no usable sentence): covered by the same rule.
        news = _item(1, "Keldon library to open on Sundays", NEWS)
        store.insert_items([news])
        job.run()
        published = store.reader().stories(None, 10)
        assert [s.headline for s in published] == ["Keldon library to open on Sundays"]
        assert all(s.summary and s.summary.bullets for s in published)
    finally:
        store.close()


@pytest.mark.parametrize("link", ["/", "/news/local"])
def test_a_link_a_feed_gives_every_entry_is_no_ones_article(tmp_path: Path, link: str) -> None:
    """A feed that links each entry to its home page, or to one section page: the page is
    fetched for none of them (its text would stand for every entry's article), and the
    entries stay apart, each its own story with its own feed text, not duplicates of one."""

    async def scenario() -> Polled:
        async with Upstream() as up:
            up.add_feed(link, page("Tolsby Post", [TEASER, NEWS]), content_type="text/html")
            entries = [(slug, title, link, teaser) for slug, (title, teaser) in WALLED.items()]
            polled = await _poll_then_fetch(_post(up, entries), tmp_path)
            assert up.requests_for(link) == []
            return polled

    polled = asyncio.run(scenario())
    assert polled.bullets == {title: [teaser] for title, teaser in WALLED.values()}
    assert polled.rows == [
        ("skipped", "no page of its own (a home page, or a link the feed's entries share)")
    ] * len(WALLED)
    # `status` says why the feed's stories have no article text
    assert polled.pages == (
        "none, 4 with no page of their own (a home page, or a link the entries share)"
    )


def test_an_article_sent_to_the_home_page_is_not_taken(tmp_path: Path) -> None:
    """A removed article whose address redirects to the site's home page: the home page's
    text (its list of headlines may well name the item) is not taken for the article."""

    async def scenario() -> Polled:
        async with Upstream() as up:
            front = [f"{title}. {teaser}" for title, teaser in WALLED.values()]
            up.add_feed("/", page("Tolsby Post", front), content_type="text/html")
            up.add_redirect("/2024/harbour-wall.html", "/", 301)
            entry = ("wall", WALL_TITLE, "/2024/harbour-wall.html", TEASER)
            polled = await _poll_then_fetch(_post(up, [entry]), tmp_path)
            assert len(up.requests_for("/")) == 1  # (followed, then not taken)
            return polled

    polled = asyncio.run(scenario())
    assert polled.bullets == {WALL_TITLE: [TEASER]}
    assert polled.rows == [
        ("empty", "redirected to the site's home page (the article removed?), not the article")
    ]
