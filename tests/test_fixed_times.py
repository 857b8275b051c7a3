"""Feeds stamping every entry at one time of day: an entry first seen within a day of its
stamp is dated when first seen (`aggregator.fixed_times`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from dam_reports import poll_pass

from aggregator.fixed_times import fixed_clock, redated
from aggregator.models import Item
from aggregator.store import Store

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 20:00 in Manila


def _at(day: int, clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-{day:02d}T{clock}+00:00")


@pytest.mark.parametrize(
    ("clocks", "fixed"),
    [
        (["16:00:00"] * 3, time(16, 0)),  # UTC+8's midnight
        (["00:00:00"] * 5, time(0, 0)),
        (["18:30:00"] * 3, time(18, 30)),  # UTC+5:30's
        (["21:00:00"] * 17, time(21, 0)),  # a morning edition's 05:00 at UTC+8
        (["16:00:00"] * 2, None),  # too few to tell from two reports filed at midnight
        (["16:00:00"], None),  # a one-entry feed: its time may be its own
        (["16:00:00", "16:00:00", "16:00:01"], None),
        (["09:07:00"] * 3, None),  # no quarter hour: one moment, not a day
        (["16:00:00", "16:00:00", "08:00:00"], None),
        ([], None),
    ],
)
def test_fixed_clock(clocks: list[str], fixed: time | None) -> None:
    assert fixed_clock(_at(1 + n, clock) for n, clock in enumerate(clocks)) == fixed


@pytest.mark.parametrize(
    ("stamp", "clock", "dated"),
    [
        (_at(26, "16:00:00"), time(16), NOW),  # today in Manila, filed by 20:00: first seen
        (_at(27, "11:45:00"), time(11, 45), NOW),  # (any fixed clock, a quarter hour before)
        (_at(26, "12:00:00"), time(12), _at(26, "12:00:00")),  # a day old: its day kept
        (_at(24, "16:00:00"), time(16), _at(24, "16:00:00")),  # an earlier day's report
        (_at(26, "16:00:00"), None, _at(26, "16:00:00")),  # a feed of real times
        (_at(26, "17:00:00"), time(16), _at(26, "17:00:00")),  # not at the fixed clock
        (None, time(16), None),
    ],
)
def test_redated(stamp: datetime | None, clock: time | None, dated: datetime | None) -> None:
    item = Item(id="i", title="Harbour ferry resumes", published=stamp, first_seen=NOW)
    assert [i.published for i in redated([item], clock, NOW)] == [dated]


def _feed(*items: tuple[str, str]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>http://news.example/{n}</link>"
        f"<guid>http://news.example/{n}</guid><pubDate>{date}</pubDate>"
        f"<description>{title}, the council said on Friday.</description></item>"
        for n, (title, date) in enumerate(items)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Island Daily</title>"
        f"<link>http://news.example/</link>{body}</channel></rss>"
    ).encode()


TODAY, EARLIER = "Fri, 27 Nov 2026 00:00:00 +0800", "Wed, 25 Nov 2026 00:00:00 +0800"
MORNING = [
    ("Harbour ferry resumes its night crossings", TODAY),
    ("Council approves the new market hall", TODAY),
    ("Lighthouse keepers mark a century of service", EARLIER),
]
EVENING = ("Storm closes the coastal road to Port Amber", TODAY)


def test_a_days_feed_new_report_is_dated_when_first_seen(tmp_path: Path) -> None:
    """Every entry at Manila's midnight. The feed's first pass (10:00 there) cannot tell when
    its reports went out: their stamps stand. A report that is new at a pass at 20:00 went
    out since the first: it is dated then, and the known ones keep their dates."""
    served = {"body": _feed(*MORNING)}
    morning, evening = NOW - timedelta(hours=10), NOW

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=served["body"], content_type="application/rss+xml")

    async def scenario() -> None:
        app = web.Application()
        app.router.add_get("/daily.xml", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/daily.xml"
        try:
            await poll_pass(tmp_path, [url], lambda: morning)
            served["body"] = _feed(*MORNING, EVENING)
            await poll_pass(tmp_path, [url], lambda: evening)
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    store = Store(tmp_path / "agg.db")
    try:
        rows = dict(store.db.execute("SELECT title, published FROM items").fetchall())
    finally:
        store.close()
    assert {title: datetime.fromisoformat(when) for title, when in rows.items()} == {
        MORNING[0][0]: datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
        MORNING[1][0]: datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
        MORNING[2][0]: datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
        EVENING[0]: evening,
    }
