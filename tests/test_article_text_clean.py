"""An article page's text is cleaned as a feed entry's text is, before it is stored and
grouped: its byline, share line and read-more line are no text of the report.

The page is served by a loopback server; its text is invented for this test.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from test_article_job import NOW, page, settings, write_opml
from upstream import Upstream

from aggregator.article_job import page_text
from aggregator.fetch import Fetcher
from aggregator.service import Service

TITLE = "Landslide buries quarry road above Kessel Ridge"
TEASER = "A landslide buried the old quarry road above Kessel Ridge on Tuesday night."
PARAGRAPHS = [
    "By Ana Brell",
    "A landslide buried the old quarry road above Kessel Ridge on Tuesday night, cutting off "
    "forty homes on the hillside.",
    "Share this article",
    "Crews from Halvard Stoneworks worked through the night to clear a lane for emergency "
    "vehicles, the county said on Wednesday.",
    "Residents said the hillside had been creaking for a week before it gave way, and several "
    "had asked the county to inspect the slope.",
    "Read more: Why hillsides fail after heavy rain",
]
CHROME = ("By Ana Brell", "Share this article", "Read more:")


def test_page_text_drops_the_lines_a_feeds_text_loses() -> None:
    text = page_text(page(TITLE, PARAGRAPHS), "https://news.example/slide")
    assert "Halvard Stoneworks worked through the night" in text
    assert "creaking for a week" in text
    for chrome in CHROME:
        assert chrome not in text


def test_a_fetched_page_is_stored_and_regrouped_cleaned(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            up.add_feed("/slide.html", page(TITLE, PARAGRAPHS), content_type="text/html")
            up.add_feed("/robots.txt", b"User-agent: *\n", content_type="text/plain")
            entry = (
                f"<item><title>{escape(TITLE)}</title><link>{up.url('/slide.html')}</link>"
                f"<guid>slide</guid><pubDate>{format_datetime(NOW - timedelta(minutes=5))}"
                f"</pubDate><description>{escape(TEASER)}</description></item>"
            )
            feed = up.add_feed(
                "/feed.xml",
                (
                    "<?xml version='1.0'?><rss version='2.0'><channel><title>Ridge News</title>"
                    f"<link>{up.url('/')}</link>{entry}</channel></rss>"
                ).encode(),
            )
            opml = write_opml(tmp_path / "feeds.opml", feed)
            service = Service(opml, tmp_path / "agg.db", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    report = await service.fetch_articles(fetcher)
                (row,) = service.store.db.execute(
                    "SELECT id, terms FROM items JOIN item_terms ON item_id = id"
                )
                texts = service.store.article_texts([row[0]])
            finally:
                service.close()
            assert report.ok == 1
            stored = texts[row[0]]
            assert "Halvard Stoneworks" in stored
            for chrome in CHROME:
                assert chrome not in stored
            # Grouping reads the cleaned text: the reporter's name is no term of the event.
            # (stored as `features.encode` writes them: title, text and name terms, tab apart)
            _, text, names, _ = row[1].split("\t")
            terms = set(text.split()) | set(names.split())
            assert "halvard" in terms
            assert not {"brell", "ana"} & terms

    asyncio.run(scenario())
