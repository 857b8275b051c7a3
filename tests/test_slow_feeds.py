"""`run` leaves a pass's slow feeds in flight: what the others brought is grouped at once, a
slow feed's answer is stored when it comes and grouped by a later pass, and no pass asks a
feed in flight again (`PollJob.run`'s `leave_after`). `poll --once` waits for every feed."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import signal
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from news_fixture import feeds
from upstream import Upstream, opml

import aggregator.service as service_module
from aggregator.cli import main
from aggregator.config import Settings
from aggregator.fetch import Fetcher, FetchSettings
from aggregator.lock import writer_lock
from aggregator.parse_pool import ParsePool
from aggregator.poll_job import PollJob
from aggregator.push import PUSH_GAP
from aggregator.service import Service
from aggregator.store import Store

FEEDS = feeds()
PATIENCE = 30.0


def settings(grace: float = 1.0, tick: float = 0.2) -> Settings:
    base = Settings()
    return dataclasses.replace(
        base,
        server=dataclasses.replace(base.server, tick=tick, shutdown_grace=grace),
        # (a held feed must not time out while the test holds it)
        fetch=FetchSettings(total_timeout=PATIENCE * 2, connect_timeout=1.0),
        articles=dataclasses.replace(base.articles, enabled=False),
    )


@pytest.fixture(autouse=True)
def leave_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "LEAVE_SLOW_FEEDS_AFTER", 0.1, raising=False)


def two_feeds(up: Upstream, tmp_path: Path, gate: asyncio.Event, **slow: Any) -> tuple[str, str]:
    """A fast feed, and a slow one that answers once `gate` is set (`slow`: how), both
    listed in `tmp_path`/feeds.opml."""
    fast = up.add_feed("/fast.xml", FEEDS["/dailyplanet/world.xml"])
    body = slow.pop("body", FEEDS["/globewire/world.atom"])
    late = up.add_feed("/slow.xml", body, gate=gate, **slow)
    (tmp_path / "feeds.opml").write_text(opml(fast, late))
    return fast, late


def grouped(db: Path, feed: str) -> int:
    """How many of `feed`'s items have a story (read apart from the service's connection)."""
    with sqlite3.connect(db) as conn:
        sql = "SELECT COUNT(*) FROM items WHERE feed_url = ? AND story_id IS NOT NULL"
        return int(conn.execute(sql, [feed]).fetchone()[0])


def feed_row(db: Path, feed: str) -> sqlite3.Row:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row: sqlite3.Row = conn.execute("SELECT * FROM feeds WHERE url = ?", [feed]).fetchone()
        return row


def asking(db: Path, feed: str) -> str | None:
    """Since when the store says `feed` is asked (None: it does not)."""
    row = feed_row(db, feed)
    return None if row is None else str(row["asking_since"] or "") or None


async def until(predicate: Any, what: str) -> None:
    for _ in range(int(PATIENCE / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


@asynccontextmanager
async def running(service: Service, stop: asyncio.Event) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(service.run("127.0.0.1", 0, stop, serve=False))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, PATIENCE)
        service.close()


def cycles(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("cycle ")]


def counts(line: str) -> dict[str, int]:
    """A cycle line's counts (`in_flight` 0 when it says none)."""
    said = {"in_flight": 0} | {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
    return said


def test_a_slow_feed_is_left_in_flight_and_its_items_grouped_by_a_later_pass(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings())
            async with running(service, asyncio.Event()):
                # the fast feed's items are grouped while the slow feed has not answered
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert not gate.is_set() and len(up.requests_for("/slow.xml")) == 1
                # passes go on meanwhile, and none asks the slow feed again
                passes = len(cycles(caplog))
                await until(lambda: len(cycles(caplog)) >= passes + 3, "more passes")
                assert len(up.requests_for("/slow.xml")) == 1
                assert service.polls.in_flight == {slow}
                # /metrics says so too
                from aggregator.metrics import render

                scraped = render({}, service.store.reader().metric_counts())
                assert "aggregator_last_cycle_feeds_in_flight 1\n" in scraped
                # the pause before the next pass does not count a feed in flight as due
                never_polled = await service.write(service.store.next_due)
                next_due = await service.write(service.store.next_due, {slow})
                assert never_polled is not None and next_due is not None
                assert never_polled.year == 1970 and next_due > datetime.now(UTC)
                gate.set()
                await until(lambda: grouped(db, slow) > 0, "the slow feed's items grouped")
                assert len(up.requests_for("/slow.xml")) == 1
                assert service.polls.in_flight == set()
                assert feed_row(db, slow)["status"] == "ok"

    with caplog.at_level(logging.DEBUG, logger="aggregator"):
        asyncio.run(scenario())
    said = [counts(m) for m in cycles(caplog)]
    # each feed is counted once, by the pass that collects its answer (the slow one's after
    # a pass said it was in flight)
    assert sum(c["feeds"] for c in said) == sum(c["items_new"] for c in said) == 2
    first = next(n for n, c in enumerate(said) if c["in_flight"] == 1)
    assert sum(c["feeds"] for c in said[first + 1 :]) == 1


def test_status_says_a_feed_left_in_flight_is_being_asked_until_its_answer_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status` is another process: it reads that a feed hangs from the store, marked when
    the pass leaves it and cleared by its answer's own write."""
    db = tmp_path / "agg.db"

    def status() -> str:
        capsys.readouterr()
        assert main(["status", "--db", str(db)]) == 0
        return capsys.readouterr().out

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings())
            # (as `aggregator run` holds it: `status` shows marks while a run may be asking)
            with writer_lock(db, "run"):
                async with running(service, asyncio.Event()):
                    await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                    await until(lambda: asking(db, slow), "the slow feed marked")
                    assert asking(db, fast) is None
                    said = {feed: line for line in status().splitlines() for feed in (fast, slow)
                            if f" {feed} " in line}  # fmt: skip
                    assert re.search(r" {2}asking for \d+ s {2}", said[slow]), said
                    assert "asking" not in said[fast]
                    gate.set()
                    await until(lambda: grouped(db, slow) > 0, "the slow feed's items grouped")
                    assert asking(db, slow) is None
                    assert "asking" not in status()

    asyncio.run(scenario())


def test_run_clears_the_marks_of_feeds_in_flight_a_crashed_process_left(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    stale = "2026-01-01T00:00:00+00:00"

    async def scenario() -> None:
        async with Upstream() as up:
            fast = up.add_feed("/fast.xml", FEEDS["/dailyplanet/world.xml"])
            (tmp_path / "feeds.opml").write_text(opml(fast))
            service = Service(tmp_path / "feeds.opml", db, settings())
            with sqlite3.connect(db) as conn:  # (a feed no longer listed: no poll clears it)
                sql = "INSERT INTO feeds(url, asking_since) VALUES (?, ?)"
                conn.execute(sql, ["https://gone.example/feed", stale])
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert feed_row(db, "https://gone.example/feed")["asking_since"] is None

    asyncio.run(scenario())


def test_a_slow_feeds_answer_starts_the_pass_that_groups_it(tmp_path: Path) -> None:
    """The pause before the next pass (here up to a long tick, the fast feed due in 15
    minutes) ends when a feed left in flight answers."""
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings(tick=3 * PATIENCE))
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                gate.set()
                await until(lambda: grouped(db, slow) > 0, "the slow feed's items grouped")

    asyncio.run(scenario())


def test_slow_feeds_answering_seconds_apart_are_taken_by_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A pass ended by a slow feed's answer waits as long as a pass waits for its feeds'
    answers (here 1 s) for those near it: each had made a pass of its own (ten here)."""
    monkeypatch.setattr(service_module, "LEAVE_SLOW_FEEDS_AFTER", 1.0)
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gates = [asyncio.Event() for _ in range(10)]
        async with Upstream() as up:
            fast = up.add_feed("/fast.xml", FEEDS["/dailyplanet/world.xml"])
            slow = [up.add_feed(f"/slow{n}.xml", b"down", status=500, gate=gate)
                    for n, gate in enumerate(gates)]  # fmt: skip
            (tmp_path / "feeds.opml").write_text(opml(fast, *slow))
            service = Service(tmp_path / "feeds.opml", db, settings(tick=PATIENCE))
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert service.polls.in_flight == set(slow)
                for gate in gates:
                    gate.set()
                    await asyncio.sleep(0.05)
                await until(lambda: not service.polls.in_flight, "the slow feeds' answers")
                await until(lambda: sum(counts(c)["errors"] for c in cycles(caplog)) == 10,
                            "a pass counting them")  # fmt: skip

    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario())
    taking = [line for line in cycles(caplog) if counts(line)["errors"]]
    assert len(taking) <= 2, taking


def test_a_slow_feed_that_fails_is_recorded_and_backed_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate, status=500, body=b"down")
            service = Service(tmp_path / "feeds.opml", db, settings())
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                gate.set()
                await until(lambda: feed_row(db, slow) is not None, "the slow feed's answer")
                await until(lambda: len(cycles(caplog)) and "errors=1" in cycles(caplog)[-1],
                            "a pass counting the error")  # fmt: skip
            row = feed_row(db, slow)
            assert (row["status"], row["http_status"], row["error_count"]) == ("error", 500, 1)
            assert row["next_poll_at"] > row["last_polled_at"]
            assert len(up.requests_for("/slow.xml")) == 1

    with caplog.at_level(logging.DEBUG, logger="aggregator"):
        asyncio.run(scenario())


def test_a_feed_moved_while_in_flight_files_its_answer_under_its_new_category(
    tmp_path: Path,
) -> None:
    """The edit moved the items stored before; those the answer asked under the old category
    brings are filed under the new one too (the old one may be gone)."""
    db = tmp_path / "agg.db"

    def categories(feed: str) -> set[str]:
        with sqlite3.connect(db) as conn:
            sql = "SELECT DISTINCT category FROM items WHERE feed_url = ?"
            return {row[0] for row in conn.execute(sql, [feed])}

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings())
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert service.polls.in_flight == {slow}
                (tmp_path / "feeds.opml").write_text(opml(fast, slow, category="Elsewhere"))
                await until(lambda: categories(fast) == {"Elsewhere"}, "the edit taken")
                gate.set()
                await until(lambda: grouped(db, slow) > 0, "the slow feed's items grouped")
                assert categories(slow) == {"Elsewhere"}

    asyncio.run(scenario())


def listed_as(db: Path, feed: str) -> sqlite3.Row:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row: sqlite3.Row = conn.execute("SELECT * FROM sources WHERE url = ?", [feed]).fetchone()
        return row


def listed(db: Path, feed: str) -> bool:
    return bool(listed_as(db, feed)["active"])


def test_an_edit_of_a_feeds_headers_while_in_flight_is_not_undone_by_its_answer(
    tmp_path: Path,
) -> None:
    """The edit makes the feed due at once, asked with its new User-Agent (the cure for a
    site that turns polls away): the answer to the old one is not stored over that, as it
    had been (the feed asked again at its old pace, a 403's backoff)."""
    db = tmp_path / "agg.db"
    agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate, status=403, body=b"go away")
            service = Service(tmp_path / "feeds.opml", db, settings())
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert service.polls.in_flight == {slow}
                path = tmp_path / "feeds.opml"
                edited = f'xmlUrl="{slow}" userAgent="{agent}"'
                path.write_text(path.read_text().replace(f'xmlUrl="{slow}"', edited))
                await until(lambda: listed_as(db, slow)["user_agent"] == agent, "the edit")
                gate.set()
                asked = lambda: up.requests_for("/slow.xml")  # noqa: E731
                await until(lambda: len(asked()) == 2, "asked again at once")
                assert asked()[-1].headers.get("user-agent") == agent
                await until(lambda: not service.polls.in_flight, "its answer stored")
                assert feed_row(db, slow)["error_count"] == 1  # (the answer to the old one: none)
                # (the answer not stored, the next pass clears the mark it would have)
                await until(lambda: asking(db, slow) is None, "unmarked")

    asyncio.run(scenario())


def test_a_feed_removed_while_in_flight_stores_nothing_of_its_answer(tmp_path: Path) -> None:
    """A feed removed is not polled: its answer asked before the edit publishes none of its
    items (and, added back, it is read whole)."""
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings())
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert service.polls.in_flight == {slow}
                (tmp_path / "feeds.opml").write_text(opml(fast))
                await until(lambda: not listed(db, slow), "the edit taken")
                gate.set()
                await until(lambda: not service.polls.in_flight, "the slow feed's answer")
                with sqlite3.connect(db) as conn:
                    sql = "SELECT COUNT(*) FROM items WHERE feed_url = ?"
                    assert conn.execute(sql, [slow]).fetchone()[0] == 0
                assert feed_row(db, slow)["body_hash"] is None

    asyncio.run(scenario())


def test_a_slow_feeds_answer_does_not_cut_short_the_pause_after_a_failed_cycle(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Cycles that cannot store wait longer each time (`failed_cycle_pause`): an answer that
    came while they fail, before any reached its report, does not make them try at once."""
    from aggregator.errors import StorageError

    db = tmp_path / "agg.db"

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise StorageError("the disk is full")

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, _ = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings())
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                service.store.feeds_due = broken  # type: ignore[method-assign]
                gate.set()
                await until(lambda: not service.polls.in_flight, "the slow feed's answer")
                await asyncio.sleep(2.0)

    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario())
    failed = [r for r in caplog.records if r.getMessage().startswith("cycle status=error")]
    assert 1 <= len(failed) <= 6  # (0.2 s, then 0.4, 0.8, 1.6: thousands at once before)


def test_a_stop_gives_a_feed_left_in_flight_the_grace(tmp_path: Path) -> None:
    """Its answer within the grace is stored; one that does not come by then is cancelled,
    and its feed stays due, as an in-flight poll's at a stop always was."""

    async def scenario(answers: bool) -> sqlite3.Row:
        db = tmp_path / f"answers-{answers}.db"
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            grace = PATIENCE / 3 if answers else 0.3
            service = Service(tmp_path / "feeds.opml", db, settings(grace))
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                stop.set()
                if answers:
                    gate.set()
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)
            return feed_row(db, slow)

    row = asyncio.run(scenario(answers=False))
    assert (row["status"], row["last_polled_at"]) == (None, None)
    assert row["asking_since"] is None  # (marked as asked when left: not after the stop)
    row = asyncio.run(scenario(answers=True))
    assert row["status"] == "ok" and row["last_polled_at"] is not None


def test_a_stop_names_the_feeds_it_cancelled_after_the_grace(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed still unanswered when the grace ends is named in the log as cancelled and
    asked again at the next start; the stop had ended its poll without a word."""

    async def scenario() -> tuple[str, str]:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", tmp_path / "news.db", settings(0.3))
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: grouped(tmp_path / "news.db", fast) > 0, "fast grouped")
                stop.set()
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)
        return fast, slow

    with caplog.at_level(logging.INFO, logger="aggregator"):
        fast, slow = asyncio.run(scenario())
    letting = [r.getMessage() for r in caplog.records if "letting" in r.getMessage()]
    # (one line, whether the stop came between passes, "(1 poll, up to 0.3 s)", or in one)
    assert len(letting) == 1 and letting[0].startswith("stopping: letting in-flight polls")
    said = [r.getMessage() for r in caplog.records if "cancelled" in r.getMessage()]
    assert len(said) == 1, said
    assert f"cancelled ({slow});" in said[0] and fast not in said[0]
    assert "asked again at the next start" in said[0]


def test_a_stop_during_a_pass_says_once_that_polls_in_flight_may_finish(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop that comes while a pass runs, with a poll an earlier pass left in flight: one
    line says the polls in flight are let finish (the pass's and the one left), where the
    log had said it twice in other words ("letting in-flight polls finish", then "letting 1
    poll in flight finish")."""
    db = tmp_path / "news.db"

    def stopping() -> bool:
        return any(r.getMessage().startswith("stopping: letting") for r in caplog.records)

    async def scenario() -> str:
        gate, later_gate = asyncio.Event(), asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            later = up.add_feed("/later.xml", FEEDS["/metrotimes/news.rss"], gate=later_gate)
            service = Service(tmp_path / "feeds.opml", db, settings(grace=1.5))
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                (tmp_path / "feeds.opml").write_text(opml(fast, slow, later))
                os.kill(os.getpid(), signal.SIGHUP)  # a pass for the feed just listed
                await until(lambda: up.requests_for("/later.xml"), "the new feed asked")
                stop.set()
                await until(stopping, "the stop taken in the pass")
                later_gate.set()  # the pass ends within the grace; the slow feed does not
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)
        return slow

    with caplog.at_level(logging.INFO, logger="aggregator"):
        slow = asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("stopping:")]
    assert len(said) == 2 and f"cancelled ({slow})" in said[1], said
    assert said[0] == "stopping: letting in-flight polls finish (up to 1.5 s)"


def test_a_stop_names_the_feeds_of_its_pass_it_cancelled_after_the_grace(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop that comes while the pass still waits for a feed (not left in flight yet)
    cancels its poll after the grace too, and names it as it names a feed left in flight:
    that poll had ended without a word."""
    monkeypatch.setattr(service_module, "LEAVE_SLOW_FEEDS_AFTER", PATIENCE * 2)
    db = tmp_path / "news.db"

    def stored(feed: str) -> bool:
        row = feed_row(db, feed)
        return row is not None and row["status"] == "ok"

    async def scenario() -> tuple[str, str]:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings(0.3))
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: stored(fast), "the fast feed's answer stored")
                assert service.polls.in_flight == {slow}  # (its pass waits for it)
                stop.set()
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)
        return fast, slow

    with caplog.at_level(logging.INFO, logger="aggregator"):
        fast, slow = asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records if "cancelled" in r.getMessage()]
    assert len(said) == 1, said
    assert f"1 poll unanswered after the grace cancelled ({slow});" in said[0]
    assert fast not in said[0]
    assert feed_row(db, slow)["last_polled_at"] is None  # (still due: asked at the next start)


def hold_writes_of(
    service: Service, url: str, writing: asyncio.Event, hold: Callable[[], Awaitable[object]]
) -> None:
    """Hold the batch of answers that holds `url`'s on its way to the store: `writing` is set
    as it comes, and `hold()` is awaited before it is written."""
    saves = service.polls._saves
    write = saves._write

    async def held(polls: list[Any]) -> Any:
        if any(state.url == url for state, _ in polls):
            writing.set()
            await hold()
        return await write(polls)

    saves._write = held  # type: ignore[method-assign]


def test_a_stop_stores_and_does_not_name_a_feed_whose_answer_is_being_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed whose answer waits to be written when the grace ends (a batch of answers being
    written before it) is stored before the stop ends (a cancelled save stays in its batch),
    and is not named among the polls cancelled and "asked again at the next start"."""
    db = tmp_path / "news.db"
    grace = 0.3

    async def scenario() -> str:
        gate = asyncio.Event()
        writing = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings(grace))
            # (past the polls' grace, not the flush's)
            hold_writes_of(service, slow, writing, lambda: asyncio.sleep(grace * 1.5))
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert service.polls.in_flight == {slow}
                gate.set()
                await asyncio.wait_for(writing.wait(), PATIENCE)
                stop.set()
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)
        return slow

    with caplog.at_level(logging.INFO, logger="aggregator"):
        slow = asyncio.run(scenario())
    assert feed_row(db, slow)["status"] == "ok"  # (stored: not asked again at the next start)
    said = [r.getMessage() for r in caplog.records if "cancelled" in r.getMessage()]
    assert not any(slow in line for line in said), said


def test_a_stop_waits_for_answers_being_stored_one_grace_then_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A write of queued answers that does not end (a writer held for good) holds a stop one
    more grace, not for ever: the stop ends, says what it left unstored, and the feed stays
    due (asked again at the next start)."""
    db = tmp_path / "news.db"
    grace = 0.3
    release = asyncio.Event()

    async def scenario() -> tuple[Any, float]:
        gate = asyncio.Event()
        writing = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings(grace))
            hold_writes_of(service, slow, writing, release.wait)  # (never, while the stop runs)
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                gate.set()
                await asyncio.wait_for(writing.wait(), PATIENCE)
                began = time.monotonic()
                stop.set()
                try:
                    await asyncio.wait_for(asyncio.shield(task), PATIENCE)
                    took = time.monotonic() - began
                    row = feed_row(db, slow)  # (as the stop left it)
                finally:
                    release.set()
        return row, took

    with caplog.at_level(logging.INFO, logger="aggregator"):
        row, took = asyncio.run(scenario())
    assert took >= 2 * grace  # (the polls' grace, then the flush's)
    assert row["last_polled_at"] is None  # (still due)
    said = [r.getMessage() for r in caplog.records]
    assert any("left unstored" in line for line in said), said


def test_a_stop_whose_writer_thread_is_held_queues_no_more_writes_behind_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Once the answers being stored have had their grace, the writer thread is held: the
    sites' holds are not queued behind it, where they waited for ever and held the stop's
    end (the next start asks those sites again)."""
    writer = ThreadPoolExecutor(max_workers=1)  # (one writer thread, as `Service.write`'s)
    store = writer.submit(Store, tmp_path / "news.db").result()
    held = threading.Event()
    store.save_polls = lambda polls: held.wait()  # type: ignore[assignment,method-assign,misc]
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    async def write(fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(writer, fn, *args)

    async def scenario() -> None:
        polls = PollJob(store, write, settings(0.2), lambda: now)
        polls._holds.hold("busy.example", now + timedelta(hours=1))
        saving = asyncio.ensure_future(polls._saves.submit(("an answer", [])))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)  # (its write holds the writer thread)
        try:
            await asyncio.wait_for(polls.end_polls(0.0, flush=0.2), PATIENCE / 3)
        finally:
            saving.cancel()

    try:
        with caplog.at_level(logging.INFO, logger="aggregator"):
            asyncio.run(scenario())
    finally:
        held.set()
        writer.submit(store.close).result()
        writer.shutdown()
    said = [r.getMessage() for r in caplog.records]
    assert any("left unstored" in line and "holds" in line for line in said), said


def test_a_stop_does_not_name_a_feed_whose_answer_it_stored_before_the_grace_ended(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll cancelled after its answer was stored (while it checks the site's 304s, asking
    the feed again) is not named among those "asked again at the next start": the feed is
    next polled at the time its stored answer set."""
    import aggregator.poll_job as poll_job

    db = tmp_path / "news.db"
    monkeypatch.setattr(poll_job, "check_304s", lambda *_: True)

    async def scenario() -> str:
        gate = asyncio.Event()
        checking = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings(0.3))
            check = service.polls._check_304s

            async def hanging(*args: Any) -> Any:
                if args[1].url == slow:  # (its source)
                    checking.set()
                    await asyncio.sleep(PATIENCE * 2)
                return await check(*args)

            service.polls._check_304s = hanging  # type: ignore[method-assign]
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                gate.set()
                await asyncio.wait_for(checking.wait(), PATIENCE)
                stop.set()
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)
        return slow

    with caplog.at_level(logging.INFO, logger="aggregator"):
        slow = asyncio.run(scenario())
    assert feed_row(db, slow)["status"] == "ok"
    said = [r.getMessage() for r in caplog.records if "cancelled" in r.getMessage()]
    assert not any(slow in line for line in said), said


def test_a_hold_a_feed_left_in_flight_brings_within_the_grace_is_stored(tmp_path: Path) -> None:
    """Its site's 429 holds the next process off it too: a pass stores the holds at its end,
    and the stop's end stores those no pass took."""
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            busy = {"status": 429, "body": b"slow down", "headers": {"Retry-After": "600"}}
            fast, slow = two_feeds(up, tmp_path, gate, **busy)
            service = Service(tmp_path / "feeds.opml", db, settings(PATIENCE / 3))
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert service.polls.in_flight == {slow}
                stop.set()
                gate.set()
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)

    asyncio.run(scenario())
    with sqlite3.connect(db) as conn:
        assert [host for (host,) in conn.execute("SELECT host FROM site_holds")] == ["127.0.0.1"]


def test_a_push_for_a_feed_in_flight_is_polled_after_its_answer(tmp_path: Path) -> None:
    """The poll in flight may have been asked before the hub's news: the push waits for its
    answer (made due then, its next poll is not lost under the answer's schedule)."""
    from aggregator.push_job import PushJob

    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            pushing = settings()
            fetch = dataclasses.replace(pushing.fetch, websub_callback="http://127.0.0.1:9")
            pushing = dataclasses.replace(pushing, fetch=fetch)
            service = Service(tmp_path / "feeds.opml", db, pushing)
            service.push = PushJob(service.store, service.write, pushing, service.clock)
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                assert service.polls.in_flight == {slow}
                service.push.pending.add(slow)  # (its hub pushed)
                service.push.pushed.set()
                await until(lambda: not service.push.pushed.is_set(), "a pass took the push")
                assert service.push.pending == {slow}
                gate.set()
                await until(lambda: not service.push.pending, "a pass took the push")
                row = feed_row(db, slow)
                # (a minute after its last poll: `push.poll_after_push`; else in 15 minutes)
                last, then = (
                    datetime.fromisoformat(row[k]) for k in ("last_polled_at", "next_poll_at")
                )
                assert then - last <= PUSH_GAP

    asyncio.run(scenario())


def test_a_body_left_parsing_keeps_the_parse_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers are let go at a pass's end only while no body waits for them: a feed left
    in flight may be parsing."""
    db = tmp_path / "agg.db"
    real_parse, real_let_go = ParsePool.parse, ParsePool.let_go
    parsing = asyncio.Event()
    backlogs: list[int] = []

    async def parse(self: ParsePool, source: Any, fetched: Any, now: Any) -> Any:
        if source.url.endswith("/slow.xml"):
            self.backlog += 1  # (a body handed to the workers: held there until released)
            try:
                await parsing.wait()
            finally:
                self.backlog -= 1
        return await real_parse(self, source, fetched, now)

    def let_go(self: ParsePool) -> Any:
        backlogs.append(self.backlog)
        return real_let_go(self)

    monkeypatch.setattr(ParsePool, "parse", parse)
    monkeypatch.setattr(ParsePool, "let_go", let_go)

    async def scenario() -> None:
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, asyncio.Event())
            up.resources["/slow.xml"].gate = None  # (it answers at once, then parses)
            service = Service(tmp_path / "feeds.opml", db, settings())
            async with running(service, asyncio.Event()):
                await until(lambda: grouped(db, fast) > 0, "the fast feed's items grouped")
                await until(lambda: len(up.requests_for("/slow.xml")) == 1, "asked")
                assert service.polls.in_flight == {slow}
                parsing.set()
                await until(lambda: grouped(db, slow) > 0, "the slow feed's items grouped")
                await until(lambda: len(backlogs) > 0, "the workers let go")

    asyncio.run(scenario())
    assert set(backlogs) == {0}


def test_poll_once_waits_for_its_slow_feeds(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"

    async def scenario() -> None:
        gate = asyncio.Event()
        async with Upstream() as up:
            fast, slow = two_feeds(up, tmp_path, gate)
            service = Service(tmp_path / "feeds.opml", db, settings())
            try:
                await service.load_sources(strict=True)
                asyncio.get_running_loop().call_later(0.5, gate.set)
                async with Fetcher(service.settings.fetch) as fetcher:
                    report = await service.poll_cycle(fetcher)
                assert gate.is_set()
                assert (report.feeds, report.ok, report.items_new, report.in_flight) == (2, 2, 2, 0)
                assert grouped(db, fast) == grouped(db, slow) == 1
                assert service.polls.in_flight == set()
            finally:
                service.close()

    asyncio.run(scenario())


def test_a_feed_left_in_flight_that_never_answers_is_a_stall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Left in flight for the guard's limit, a later pass waits for it: a feed that never
    answers stalls that pass, and the service stops to be started again."""

    async def never(*args: Any) -> Any:
        await asyncio.Event().wait()

    monkeypatch.setattr(ParsePool, "parse", never)

    async def scenario() -> None:
        async with Upstream() as up:
            path = tmp_path / "feeds.opml"
            path.write_text(opml(up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])))
            service = Service(path, tmp_path / "agg.db", settings())
            service.guard.limit = 1.0
            stop = asyncio.Event()
            async with running(service, stop) as task:
                await asyncio.wait_for(asyncio.shield(task), PATIENCE)  # it stops by itself
            assert service.stalled

    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("stalled: no progress for" in m and "PollJob._poll_feed" in m for m in errors)


def _job_over_one_feed() -> tuple[Any, Any, Any, Any]:
    """A `PollJob` over an in-memory store holding one feed polled once, whose polls the
    caller plays (`_poll_feed` replaced), and a reader of the feed's mark."""
    from aggregator.models import FeedState, Source
    from aggregator.poll_job import PollJob
    from aggregator.store import Store

    polled = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    store = Store()
    state = FeedState("https://a.example/feed", status="ok", last_polled_at=polled)
    store.save_polls([(state, [])])

    async def write(call: Any, *args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)

    job = PollJob(store, write, Settings(), clock=lambda: polled.replace(hour=13))

    def mark() -> str | None:
        sql = "SELECT asking_since FROM feeds WHERE url = ?"
        return store.conn.execute(sql, [state.url]).fetchone()[0]

    return job, Source(state.url, "A", "News"), state, mark


@pytest.mark.parametrize("ending", ["offline", "held"])
def test_a_feed_left_in_flight_that_ends_without_a_new_poll_time_is_unmarked(
    ending: str,
) -> None:
    """A poll that ends without storing a poll time (the network went down: nothing stored;
    its site's hold put it off: only its next poll stored) leaves no mark behind, even when
    its store came before the pass's mark (which then still finds the poll time it read)."""
    from aggregator.poll_job import _NOT_ASKED, HELD

    async def scenario() -> None:
        job, source, state, mark = _job_over_one_feed()
        saved, finish = asyncio.Event(), asyncio.Event()

        async def poll_feed(*_: Any) -> Any:
            if ending == "held":
                later = dataclasses.replace(state, next_poll_at=state.last_polled_at)
                await job._saves.submit((later, []))
            saved.set()
            await finish.wait()
            return _NOT_ASKED if ending == "offline" else (HELD, 0, 0)

        job._poll_feed = poll_feed
        poll = job._start(None, source, state, state.last_polled_at, False, None)
        poll.left = True
        await saved.wait()
        await job._mark_asking()
        assert mark() is not None
        finish.set()
        await poll.task
        await asyncio.sleep(0)
        await job._mark_asking()  # (the next pass's)
        assert mark() is None

    asyncio.run(scenario())


def test_a_feed_asked_again_after_a_poll_that_stored_nothing_stays_marked() -> None:
    """A poll whose answer an OPML edit set aside ends unstored, and the next pass asks the
    feed again and leaves it too: the one write of that pass clears the old mark and makes
    the new one (not the other way round)."""
    from aggregator.poll_job import RELISTED

    async def scenario() -> None:
        job, source, state, mark = _job_over_one_feed()
        finish = asyncio.Event()

        async def poll_feed(*_: Any) -> Any:
            await finish.wait()
            return RELISTED, 0, 0

        job._poll_feed = poll_feed
        first = job._start(None, source, state, state.last_polled_at, False, None)
        first.left = True
        await job._mark_asking()
        assert mark() is not None
        finish.set()
        await first.task
        await asyncio.sleep(0)
        finish.clear()
        again = job._start(None, source, state, state.last_polled_at, False, None)
        again.left = True
        await job._mark_asking()
        assert mark() is not None
        finish.set()
        await again.task

    asyncio.run(scenario())
