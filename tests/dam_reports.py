"""Invented reports of one event (a dam breach) from three outlets, each served as a one-item
RSS feed carrying the same date, and one poll pass over them on loopback: for tests of the
order same-date reports are grouped in."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.service import Service

PUBLISHED = "Mon, 30 Nov 2026 09:00:00 +0000"  # every report carries the same date

REPORTS = {  # feed file → (link and guid, title, text): one event, three outlets
    "planet.xml": (
        "https://planet.example/tarnow-dam",
        "Tarnow dam breached as the Vistula floods the valley",
        "The Tarnow dam was breached on Monday as the Vistula flooded the valley, and "
        "engineers from Krakow evacuated the villages of Zabno and Wola below it.",
    ),
    "metro.xml": (
        "https://metro.example/news/tarnow",
        "Vistula floods breach the Tarnow dam, villages evacuated",
        "Engineers evacuated Zabno and Wola after the Vistula floods breached the Tarnow "
        "dam on Monday, officials in Krakow said.",
    ),
    "courier.xml": (
        "https://courier.example/2026/tarnow-dam-breach",
        "Krakow engineers evacuate Zabno and Wola as the Tarnow dam gives way",
        "The Vistula broke through the Tarnow dam on Monday; engineers from Krakow moved "
        "the people of Zabno and Wola out of the valley below.",
    ),
}


def rss(link: str, title: str, text: str) -> bytes:
    """A one-item RSS feed of a report, dated `PUBLISHED`."""
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Outlet</title>"
        f"<link>{link.rsplit('/', 1)[0]}/</link><item><title>{title}</title>"
        f"<link>{link}</link><guid>{link}</guid><pubDate>{PUBLISHED}</pubDate>"
        f"<description>{text}</description></item></channel></rss>"
    ).encode()


def settings() -> Settings:
    """Settings for polling them on loopback: short timeouts, no article pages."""
    base = Settings()
    return dataclasses.replace(
        base,
        fetch=FetchSettings(total_timeout=5.0, connect_timeout=5.0),
        articles=dataclasses.replace(base.articles, enabled=False),
    )


async def poll_pass(tmp: Path, urls: Iterable[str], clock: Callable[[], datetime]) -> None:
    """One poll pass of a service over `urls` (one category) into `tmp`/agg.db, with `clock`."""
    outlines = "".join(f"<outline type='rss' text='{url}' xmlUrl='{url}'/>" for url in urls)
    opml = tmp / "feeds.opml"
    opml.write_text(
        f"<opml version='2.0'><body><outline text='World'>{outlines}</outline></body></opml>"
    )
    service = Service(opml, tmp / "agg.db", settings(), clock=clock)
    try:
        await service.load_sources(strict=True)
        async with Fetcher(service.settings.fetch) as fetcher:
            await service.poll_cycle(fetcher)
    finally:
        service.close()
