"""What is not news is not published as a story: a section front's list of teasers does not
stand for an item's article, and a story without a bullet is not published.

The texts are invented for these tests; pages are served by a loopback server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from test_article_job import page, settings, write_opml
from upstream import Upstream

from aggregator.articles import reads_as_article
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


def test_a_section_front_page_leaves_the_feed_text_in_use(tmp_path: Path) -> None:
    """The item's link leads to a section front: its text is not taken for the article;
    the story keeps its feed text's bullet, and the page counts as one without article
    text in `status`."""
    now = datetime.now(UTC).replace(microsecond=0)

    async def scenario() -> tuple[list[str], list[str], list[tuple[str, str]]]:
        async with Upstream() as up:
            link = up.url("/local.html")
            up.add_feed("/local.html", page("Local News", SECTION_FRONT), content_type="text/html")
            feed = up.add_feed(
                "/feed.xml",
                (
                    "<?xml version='1.0'?><rss version='2.0'><channel><title>Tolsby Post</title>"
                    f"<link>{up.url('/')}</link><item><title>Harbour wall repairs start</title>"
                    f"<link>{link}</link><guid>wall</guid><pubDate>{format_datetime(now)}"
                    f"</pubDate><description>{escape(TEASER)}</description></item>"
                    "</channel></rss>"
                ).encode(),
            )
            service = Service(
                write_opml(tmp_path / "feeds.opml", feed), tmp_path / "agg.db", settings()
            )
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    before = _bullets(service)
                    report = await service.fetch_articles(fetcher)
                    after = _bullets(service)
                rows = service.store.db.execute("SELECT status, error FROM articles").fetchall()
            finally:
                service.close()
            assert len(up.requests_for("/local.html")) == 1
            assert (report.ok, report.failed) == (0, 1)
            return before, after, rows

    before, after, rows = asyncio.run(scenario())
    assert before == after == [TEASER]
    assert rows == [("empty", "a list of teasers (an index page), not an article")]


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
