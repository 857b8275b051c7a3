"""A fault of the storage (the disk full, an I/O error, a read-only file) is a failed cycle,
said in one line, not a crash: the service keeps serving, waits before trying again (the feeds
it could not save stay due: polling them at once would hammer their servers every second), and
stores everything once the fault is gone."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_service import fast_settings, poll_once, running, wait_for
from upstream import Upstream, opml

from aggregator import story_job
from aggregator.config import Settings
from aggregator.errors import StorageError
from aggregator.service import FAILED_CYCLE_PAUSE_MAX, Service, failed_cycle_pause
from aggregator.store import Store, storage_fault
from aggregator.story_job import StoryJob


def test_the_pause_after_failed_cycles_doubles_from_a_tick_to_a_cap() -> None:
    assert [failed_cycle_pause(n, 30.0) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 240, 480]
    assert failed_cycle_pause(6, 30.0) == FAILED_CYCLE_PAUSE_MAX
    assert failed_cycle_pause(3, 900.0) == 900.0  # a tick longer than the cap stays a tick


def test_storage_faults_are_told_from_a_locked_database_and_from_bugs() -> None:
    full = sqlite3.OperationalError("database or disk is full")
    assert storage_fault(full) == "database or disk is full"
    assert storage_fault(sqlite3.DatabaseError("database disk image is malformed"))
    assert storage_fault(sqlite3.OperationalError("attempt to write a readonly database"))
    assert storage_fault(sqlite3.OperationalError("database is locked")) is None
    assert storage_fault(sqlite3.OperationalError("no such column: x")) is None
    assert storage_fault(ValueError("database or disk is full")) is None


def busy_feed(items: int = 40) -> bytes:
    """A feed whose items need more of the database than its empty pages hold."""
    text = "The harbour council met on {n} May to vote on the bridge's repairs. " * 12
    entries = "".join(
        f"<item><title>Council vote number {n} on harbour repairs</title>"
        f"<link>https://news.example/{n}</link><guid>item-{n}</guid>"
        f"<description>{text.format(n=n)}</description></item>"
        for n in range(items)
    )
    return f"<rss version='2.0'><channel><title>Harbour</title>{entries}</channel></rss>".encode()


def test_a_full_disk_fails_the_cycle_keeps_the_service_and_loses_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """It had crashed `run` (an OperationalError out of grouping's commit, exit 1), and
    under systemd restarted it into the same fault."""

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records]

    def service_on(up: Upstream, where: Path) -> tuple[str, Service]:
        where.mkdir(exist_ok=True)
        feed = up.add_feed("/busy.xml", busy_feed())
        (where / "feeds.opml").write_text(opml(feed))
        return feed, Service(where / "feeds.opml", where / "agg.db", fast_settings())

    async def scenario() -> None:
        async with Upstream() as up:
            feed, service = service_on(up, tmp_path)
            store = service.store

            def limit(pages: int | None) -> None:  # SQLite's own cap: "database or disk is full"
                count = store.conn.execute("PRAGMA page_count").fetchone()[0]
                store.conn.execute(f"PRAGMA max_page_count = {pages or count}")

            await service.write(limit, None)  # the disk is full from the first write on
            with caplog.at_level(logging.INFO, logger="aggregator"):
                async with running(service) as task:
                    await wait_for(
                        lambda: any(m.startswith("cycle status=error") for m in messages())
                    )
                    assert not task.done()  # still running
                    failed = [m for m in messages() if m.startswith("cycle status=error")]
                    # the feed's items could not be stored: it stays due, and is not polled
                    # again before a tick (at once, every second, it had hammered its server)
                    assert failed == [
                        "cycle status=error error='1 feed not saved'; trying again in 0.2 s"
                    ]
                    polls = [m for m in messages() if m.startswith(f"feed={feed} ")]
                    await asyncio.sleep(0.15)
                    assert [m for m in messages() if m.startswith(f"feed={feed} ")] == polls
                    not_saved = "status=error error='not saved: database or disk is full'"
                    assert f"feed={feed} {not_saved}" in messages()
                    assert not any("status=crash" in m for m in messages())
                    await service.write(limit, 1_000_000)  # room again
                    await wait_for(
                        lambda: any(m.startswith("cycle feeds=1 ok=1") for m in messages())
                    )
                    stored = await service.write(lambda: store.db["items"].count)
            # the same feed into a database with room from the start: as many items
            _, control = service_on(up, tmp_path / "control")
            try:
                await poll_once(control)
                assert stored == control.store.db["items"].count == 40
            finally:
                control.close()

    asyncio.run(scenario())


def test_model_answers_wait_out_a_database_that_cannot_take_them(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The task publishing the model's answers had ended at the first StorageError, and no
    answer was published again until a restart."""
    monkeypatch.setattr(story_job, "ANSWERS_RETRY", 0.05)
    published: list[int] = []

    class Job:
        answers = threading.Event()

        def resummarize_awaiting(self) -> int:
            self.answers.clear()
            published.append(1)
            return 1

    async def scenario() -> None:
        stop = asyncio.Event()
        tries = 0

        async def write(fn):  # type: ignore[no-untyped-def]
            nonlocal tries
            tries += 1
            if tries == 1:
                raise StorageError("database or disk is full")
            result = fn()
            stop.set()
            return result

        Job.answers.set()
        await asyncio.wait_for(StoryJob.model_answers(Job(), write, stop), 10)  # type: ignore[arg-type]
        assert tries == 2

    with caplog.at_level(logging.INFO, logger="aggregator"):
        asyncio.run(scenario())
    assert published == [1]
    assert "llm: answers not published: database or disk is full; trying again in 0.05 s" in [
        r.getMessage() for r in caplog.records
    ]


def test_stories_awaiting_an_answer_are_kept_when_publishing_fails(tmp_path: Path) -> None:
    store = Store(tmp_path / "agg.db")
    job = StoryJob(store, Settings(), lambda: datetime(2025, 3, 1, tzinfo=UTC))
    job.awaiting = {"s1", "s2"}

    def full(ids: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    store.mark_dirty = full  # type: ignore[method-assign]
    with pytest.raises(sqlite3.OperationalError):
        job.resummarize_awaiting()
    assert job.awaiting == {"s1", "s2"} and job.answers.is_set()
    store.close()
