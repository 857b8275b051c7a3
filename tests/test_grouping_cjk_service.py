"""Chinese, Japanese and English outlets' feeds polled by the service, read as a subscriber
reads the published stories: one story per event and language, a wire copy summarised once
but its outlet listed and counted, and no story of two events.

The items are the generated day of tests/cjk_news.py (invented text), one feed per outlet,
served by a loopback server; item links point at the outlets' own (never fetched) sites.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import cjk_news
from cjk_news import COPY, ORIGINAL, event_of
from upstream import Upstream

from aggregator.config import Settings
from aggregator.fetch import Fetcher
from aggregator.models import Item
from aggregator.service import Service

NOW = datetime.now(UTC).replace(microsecond=0)


def _feed(outlet: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{i.url}</link><guid>{i.id}</guid>"
        f"<pubDate>{format_datetime(i.published)}</pubDate>"
        f"<description>{escape(i.text)}</description></item>"
        for i in items
        if i.published is not None
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{outlet}</title><link>https://{outlet}/</link>{entries}</channel></rss>"
    ).encode()


def test_cjk_outlets_feeds_give_one_story_per_event(tmp_path: Path) -> None:
    items = cjk_news.items()
    shift = NOW - timedelta(hours=12) - cjk_news.T0  # the day ends ~4 hours ago
    by_outlet: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        assert item.published is not None
        by_outlet[item.outlet].append(
            Item(item.id, item.title, item.text, item.url, published=item.published + shift)
        )

    async def scenario() -> list[tuple[str, int, list[str], set[str]]]:
        async with Upstream() as up:
            urls = [up.add_feed(f"/{o}.xml", _feed(o, its)) for o, its in by_outlet.items()]
            outlines = "".join(f"<outline type='rss' text='f' xmlUrl='{u}'/>" for u in urls)
            opml = tmp_path / "feeds.opml"
            body = f"<outline text='World'>{outlines}</outline>"
            opml.write_text(f"<opml version='2.0'><body>{body}</body></opml>")
            service = Service(opml, tmp_path / "agg.db", Settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                stories = service.store.reader().stories(None, 100)
            finally:
                service.close()
        return [
            (
                s.headline,
                s.summary.outlet_count if s.summary else 0,
                [ref.url or "" for ref in s.summary.sources] if s.summary else [],
                {  # the links its bullets cite
                    s.summary.sources[i].url or "" for b in s.summary.bullets for i in b.sources
                }
                if s.summary
                else set(),
            )
            for s in stories
        ]

    published = asyncio.run(scenario())
    by_event: dict[str, list[tuple[str, int, list[str]]]] = defaultdict(list)
    cited: dict[str, set[str]] = {}
    for headline, outlets, links, citing in published:
        cited[headline] = {link.rsplit("/", 1)[-1] for link in citing}
        ids = {link.rsplit("/", 1)[-1] for link in links}
        events = {event_of(i) for i in ids}
        assert len(events) == 1, (headline, ids)  # no story of two events
        by_event[events.pop()].append((headline, outlets, sorted(ids)))
    # The Chinese bridge story: Xinhua, People's Daily, China News, Sina's headline-only item;
    # Gangcheng Daily's copy of Xinhua's report is the same article: summarised once (no
    # bullet cites it), and its outlet listed and counted (`wire_copies`).
    bridge = [s for s in by_event["bridge"] if ORIGINAL in s[2]]
    assert len(bridge) == 1
    headline, outlets, ids = bridge[0]
    assert {"bridge-xinhua", "bridge-people", "bridge-chinanews", "bridge-brief"} <= set(ids)
    assert COPY in ids and COPY not in cited[headline] and outlets >= 5
    assert "港口大桥" in headline
    japanese_quake = [s for s in by_event["quake"] if "quake-nhk" in s[2]]
    assert len(japanese_quake) == 1
    assert {"quake-asahi", "quake-yomiuri", "quake-brief"} <= set(japanese_quake[0][2])
    recall = [s for s in by_event["recall"] if "recall-people" in s[2]]
    assert len(recall) == 1 and {"recall-chinanews", "recall-sina"} <= set(recall[0][2])
