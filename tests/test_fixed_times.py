"""Feeds stamping every entry at one time of day: an entry first seen within a day of its
stamp is dated when first seen (`aggregator.fixed_times`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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


READ = NOW - timedelta(minutes=15)  # the feed's last successful read


@pytest.mark.parametrize(
    ("stamp", "clock", "read", "dated"),
    [
        (_at(26, "16:00:00"), time(16), READ, NOW),  # today in Manila, filed by 20:00: first seen
        (_at(27, "11:45:00"), time(11, 45), READ, NOW),  # (any clock, read at or after it)
        (_at(26, "12:00:00"), time(12), READ, _at(26, "12:00:00")),  # a day old: its day kept
        (_at(24, "16:00:00"), time(16), READ, _at(24, "16:00:00")),  # an earlier day's report
        (_at(26, "16:00:00"), None, READ, _at(26, "16:00:00")),  # a feed of real times
        (_at(26, "17:00:00"), time(16), READ, _at(26, "17:00:00")),  # not at the fixed clock
        (None, time(16), READ, None),
        # stamped after the last read: it may have gone out then (a 06:00 issue read at 05:00
        # and next at 09:00; a day's reports after days unread), and keeps its stamp
        (_at(27, "06:00:00"), time(6), _at(27, "05:00:00"), _at(27, "06:00:00")),
        (_at(26, "16:00:00"), time(16), _at(24, "02:00:00"), _at(26, "16:00:00")),
        (_at(27, "06:00:00"), time(6), _at(27, "06:00:00"), NOW),  # read at its stamp: not out
    ],
)
def test_redated(
    stamp: datetime | None, clock: time | None, read: datetime, dated: datetime | None
) -> None:
    item = Item(id="i", title="Harbour ferry resumes", published=stamp, first_seen=NOW)
    assert [i.published for i in redated([item], clock, NOW, read)] == [dated]


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
    morning, evening = NOW - timedelta(hours=10), NOW
    dates = _served_passes(
        tmp_path, [(_feed(*MORNING), morning), (_feed(*MORNING, EVENING), evening)]
    )
    assert dates == {
        MORNING[0][0]: datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
        MORNING[1][0]: datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
        MORNING[2][0]: datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
        EVENING[0]: evening,
    }


def _served_passes(
    tmp_path: Path,
    passes: list[tuple[bytes, datetime]],
    between: Callable[[Store], object] | None = None,
) -> dict[str, datetime]:
    """Each pass serves its body and polls the feed at its time (`between` done to the store
    after the first); the stored items' dates."""
    served = {"body": b""}

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
            for n, (body, when) in enumerate(passes):
                if n == 1 and between is not None:
                    store = Store(tmp_path / "agg.db")
                    try:
                        between(store)
                    finally:
                        store.close()
                served["body"] = body
                await poll_pass(tmp_path, [url], lambda when=when: when)
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    store = Store(tmp_path / "agg.db")
    try:
        rows = dict(store.db.execute("SELECT title, published FROM items").fetchall())
    finally:
        store.close()
    return {title: datetime.fromisoformat(when) for title, when in rows.items()}


def test_a_day_stamped_after_the_last_read_keeps_its_stamp(tmp_path: Path) -> None:
    """A feed last read days ago (paused, failing, the service stopped): today's reports,
    stamped at Manila's midnight after that read, may have gone out at any time since. Their
    stamps stand, as on a feed's first poll; they are not all put at the top as news of the
    minute."""
    old = "Mon, 23 Nov 2026 00:00:00 +0800"
    first = [(f"Report {n} of Monday on the port works", old) for n in range(3)]
    today = [(f"Report {n} of Friday on the harbour ferries", TODAY) for n in range(4)]
    dates = _served_passes(
        tmp_path,
        [(_feed(*first), datetime(2026, 11, 23, 2, 0, tzinfo=UTC)), (_feed(*first, *today), NOW)],
    )
    assert {dates[title] for title, _ in today} == {datetime(2026, 11, 26, 16, 0, tzinfo=UTC)}


def test_a_real_time_of_day_after_the_last_read_is_kept(tmp_path: Path) -> None:
    """A newsletter out at 06:00 every day: read at 05:00 and next at 09:00 (a longer
    interval, an error between), today's issue went out at its stamp, not when seen."""
    days = [
        (f"Morning briefing for November {d}", f"{d} Nov 2026 06:00:00 +0000") for d in (24, 25, 26)
    ]
    issue = ("Morning briefing for November 27", "Fri, 27 Nov 2026 06:00:00 +0000")
    dates = _served_passes(
        tmp_path,
        [
            (_feed(*days), datetime(2026, 11, 27, 5, 0, tzinfo=UTC)),
            (_feed(*days, issue), datetime(2026, 11, 27, 9, 0, tzinfo=UTC)),
        ],
    )
    assert dates[issue[0]] == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def test_entries_read_again_whole_keep_their_stamps(tmp_path: Path) -> None:
    """A feed read whole again, its last body forgotten (a recovered database that lost
    items, an edit of its entry rules): an entry stored now may have been in the feed at its
    last read, and is not known to have gone out since; its stamp stands."""
    lost = MORNING[0][0]

    def recovered(store: Store) -> None:  # (as `store_recover` leaves a store that lost items)
        with store.transaction():
            store.conn.execute("DELETE FROM items WHERE title = ?", [lost])
            store.conn.execute(
                "UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL, "
                "next_poll_at = NULL"
            )

    dates = _served_passes(
        tmp_path,
        [(_feed(*MORNING), NOW - timedelta(hours=10)), (_feed(*MORNING), NOW)],
        recovered,
    )
    assert dates[lost] == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body_hash", "status", "read"),
    [
        ("b0d1", "ok", READ),
        ("b0d1", "not_modified", READ),
        ("b0d1", "error", READ),  # (a fetch that failed: its last body is known)
        (None, "error", READ),  # a body it could not read: its last good read stands
        (None, "ok", None),  # forgotten: read whole (a recovered store, an edit of its rules)
        (None, None, None),  # (never read)
    ],
)
def test_when_a_feed_was_last_read(
    body_hash: str | None, status: str | None, read: datetime | None
) -> None:
    from aggregator.models import FeedState
    from aggregator.poll_job import _last_read

    state = FeedState(url="u", body_hash=body_hash, status=status, last_success_at=READ)
    assert _last_read(state) == read
    assert _last_read(FeedState(url="u", body_hash=body_hash, status=status)) is None
