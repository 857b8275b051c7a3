"""One poll pass of a service over feeds served on loopback, and what it then publishes as
a subscriber's reader reads it: for the tests of how sources are counted and named."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from upstream import Upstream

from aggregator.cli import main
from aggregator.config import Settings
from aggregator.fetch import Fetcher
from aggregator.service import Service


def poll_served(
    tmp_path: Path, feeds: Mapping[str, bytes], listing: Callable[[list[str]], str]
) -> Path:
    """The database after one pass over `feeds` (path → body), listed by `listing` (the
    feeds' URLs → the OPML's text)."""
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        async with Upstream() as up:
            urls = [up.add_feed(path, body) for path, body in feeds.items()]
            path = tmp_path / "feeds.opml"
            path.write_text(listing(urls))
            service = Service(path, db, Settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher, everything=True)
            finally:
                service.close()

    asyncio.run(scenario())
    return db


def published_words(db: Path, tmp_path: Path, slug: str = "world-news") -> str:
    """A category's RSS feed as a reader shows it: its text, markup and entities gone."""
    site = tmp_path / "site"
    assert main(["publish", "--db", str(db), "--output", str(site)]) == 0
    published = html.unescape((site / "feeds" / f"{slug}.rss").read_text())
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(published)).split())
