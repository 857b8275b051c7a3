"""Scheduled backups (`[backup]`): a dated copy every `every`, the newest `keep` kept; a
damaged database's failed copy never rotates the good ones out; `status` says how they go."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_cli import polled, run_cli, upstream  # noqa: F401  (a fixture)
from test_damage import _root_logger_kept, damage  # noqa: F401
from upstream import Upstream

from aggregator.backup_job import (
    BACKUP_AT,
    BACKUP_FAILED,
    RETRY_AFTER,
    BackupJob,
    backup_record,
    is_due,
    surplus,
)
from aggregator.backup_settings import BackupSettings
from aggregator.errors import StorageError
from aggregator.health import failure_record
from aggregator.store import Store

T0 = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ON = BackupSettings(dir="backups", every=DAY, keep=2)


def test_a_backup_is_due_every_period_and_an_hour_after_a_failure() -> None:
    assert not is_due(None, None, T0, BackupSettings())  # off without a directory
    assert is_due(None, None, T0, ON)  # never taken
    assert not is_due(T0, None, T0 + DAY - timedelta(seconds=1), ON)
    assert is_due(T0, None, T0 + DAY, ON)
    assert is_due(T0 + DAY, None, T0, ON)  # a clock set back
    failed = T0 + timedelta(hours=3)
    assert not is_due(T0 - DAY, failed, failed + RETRY_AFTER - timedelta(seconds=1), ON)
    assert is_due(T0 - DAY, failed, failed + RETRY_AFTER, ON)
    hourly = replace(ON, every=timedelta(minutes=90))
    assert is_due(None, failed, failed + timedelta(hours=1), hourly)  # (the shorter of the two)


def test_only_dated_backups_beyond_the_newest_are_surplus() -> None:
    names = [
        "aggregator-20261203T030000Z.db",
        "aggregator-20261205T030000Z.db",
        "aggregator-20261205T030000Z-2.db",  # a second one in the same second: newer
        "aggregator-20261204T030000Z.db",
        "aggregator.db",
        "notes.txt",
        "aggregator-manual.db",
        ".aggregator-20261206T030000Z.db.partial",
    ]
    assert surplus(names, 2) == ["aggregator-20261203T030000Z.db", "aggregator-20261204T030000Z.db"]
    assert surplus(names, 10) == []
    # the clock ran ahead (to March 2027) and was set back: those copies are the oldest,
    # never the one just taken (it had been removed at once, every day, and status said ok)
    ahead = ["aggregator-20270301T060000Z.db", "aggregator-20270302T060000Z.db"]
    now = datetime(2026, 12, 7, 12, 40, 15, tzinfo=UTC)
    taken = "aggregator-20261207T124015Z.db"
    assert surplus([*ahead, taken], 2, now) == ["aggregator-20270301T060000Z.db"]
    assert surplus([*ahead, taken], 1, now) == ahead


def test_a_failure_is_stored_to_the_second_in_its_own_words() -> None:
    # (as the bounce mailbox's and the story pass's failures are: one form for /healthz)
    stored = failure_record(T0.replace(microsecond=250_000), "disque plein : « /srv »")
    assert stored == '{"at": "2026-12-05T03:00:00+00:00", "error": "disque plein : « /srv »"}'
    assert backup_record({BACKUP_FAILED: stored}) == (None, T0, "disque plein : « /srv »")


def test_a_failure_older_than_the_last_backup_is_over() -> None:
    failed = json.dumps({"at": T0.isoformat(), "error": "disk full"})
    assert backup_record({BACKUP_FAILED: failed}) == (None, T0, "disk full")
    later = (T0 + DAY).isoformat()
    assert backup_record({BACKUP_AT: later, BACKUP_FAILED: failed}) == (T0 + DAY, None, "")
    assert backup_record({BACKUP_FAILED: "not json"}) == (None, None, "")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def job_on(db: Path, clock: Clock, settings: BackupSettings = ON) -> tuple[Store, BackupJob]:
    store = Store(db)

    async def write(fn: Any, *args: Any) -> Any:
        return fn(*args)

    return store, BackupJob(store, db, write, settings, clock)


def test_backups_are_taken_when_due_and_the_oldest_removed(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    clock = Clock(T0)
    store, job = job_on(db, clock)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("the operator's")
    try:
        first = asyncio.run(job.run_if_due())
        assert first is not None and first.path.parent == folder  # relative to the database
        assert asyncio.run(job.run_if_due()) is None  # not due again the same day
        taken = [first.path.name]
        for day in (1, 2):
            clock.now = T0 + day * DAY
            done = asyncio.run(job.run_if_due())
            assert done is not None
            taken.append(done.path.name)
        assert done.removed == [taken[0]]  # keep = 2
        assert sorted(p.name for p in folder.iterdir()) == sorted([*taken[1:], "notes.txt"])
        copy = sqlite3.connect(folder / taken[-1])
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copy.close()
    finally:
        store.close()


def test_a_damaged_database_keeps_its_good_backups_and_says_why(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,  # noqa: F811
) -> None:
    db, _ = polled(tmp_path, capsys, upstream.url("/a.xml"))
    clock = Clock(T0)
    store, job = job_on(Path(db), clock)
    try:
        good = asyncio.run(job.run_if_due())
        assert good is not None
    finally:
        store.close()
    damage(db, "stories")  # (`status` does not read it: the feeds' rows are whole)
    clock.now = T0 + DAY
    store, job = job_on(Path(db), clock, replace(ON, keep=1))
    try:
        with pytest.raises(StorageError, match="not backed up"):
            asyncio.run(job.run_if_due())
        assert [p.name for p in (tmp_path / "backups").iterdir()] == [good.path.name]
        clock.now += timedelta(minutes=30)
        assert asyncio.run(job.run_if_due()) is None  # tried again an hour later
    finally:
        store.close()
    (tmp_path / "b.toml").write_text('[backup]\ndir = "backups"\n')
    code, out, _ = run_cli(
        "status", "--db", db, "--config", str(tmp_path / "b.toml"), capsys=capsys
    )
    assert code == 0
    line = out.splitlines()[-1]
    assert line.startswith(
        f"BACKUPS to {tmp_path / 'backups'} (keeping 7): the last attempt failed"
    )
    assert "not backed up" in line


def test_poll_once_takes_the_backup_when_due(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,  # noqa: F811
) -> None:
    (tmp_path / "b.toml").write_text('[backup]\ndir = "saved"\nkeep = 3\n')
    (tmp_path / "feeds.opml").write_text(
        f'<opml version="2.0"><body><outline text="News"><outline type="rss" text="A" '
        f'xmlUrl="{upstream.url("/a.xml")}"/></outline></body></opml>'
    )
    db = str(tmp_path / "agg.db")
    args = ("--db", db, "--opml", str(tmp_path / "feeds.opml"), "--config")
    code, _, err = run_cli("poll", "--once", *args, str(tmp_path / "b.toml"), capsys=capsys)
    assert code == 0
    (copy,) = (tmp_path / "saved").iterdir()
    assert f"backup path={copy} " in err
    code, out, _ = run_cli(
        "status", "--db", db, "--config", str(tmp_path / "b.toml"), capsys=capsys
    )
    prefix = f"BACKUPS to {tmp_path / 'saved'} (keeping 3): last "
    assert out.splitlines()[-1].startswith(prefix)
    assert re.fullmatch(r"\d+s ago; next in (23h|1d)", out.splitlines()[-1][len(prefix) :])
    code, out, _ = run_cli(
        "status", "--json", "--db", db, "--config", str(tmp_path / "b.toml"), capsys=capsys
    )
    found = json.loads(out)["backup"]
    assert found["dir"] == str(tmp_path / "saved") and found["last_at"] and not found["error"]


def test_the_backup_line_in_json_carries_every_field_its_text_says(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    upstream: Upstream,  # noqa: F811
) -> None:
    """`backup path=… bytes=… seconds=… removed=…` as one JSON object has each of those
    fields (`seconds` had been left out of it)."""
    (tmp_path / "b.toml").write_text('[backup]\ndir = "saved"\n')
    (tmp_path / "feeds.opml").write_text(
        f'<opml version="2.0"><body><outline text="News"><outline type="rss" text="A" '
        f'xmlUrl="{upstream.url("/a.xml")}"/></outline></body></opml>'
    )
    args = ("--db", str(tmp_path / "agg.db"), "--opml", str(tmp_path / "feeds.opml"))
    code, _, err = run_cli(
        "poll", "--once", *args, "--config", str(tmp_path / "b.toml"), "--log-format", "json",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0
    (line,) = [json.loads(x) for x in err.splitlines() if '"event": "backup"' in x]
    said = dict(re.findall(r"(\w+)=(\S+)", line["message"]))
    assert set(said) <= set(line), said
    assert line["seconds"] == float(said["seconds"]) and line["bytes"] == int(said["bytes"])


def test_healthz_warns_while_the_scheduled_backup_fails(tmp_path: Path) -> None:
    from aggregator.health import report

    store = Store(tmp_path / "agg.db")
    try:
        reader = store.reader()
        failed = json.dumps({"at": T0.isoformat(), "error": "backups: No space left on device"})
        store.set_meta(BACKUP_FAILED, failed)
        found, code = report(reader, T0 + timedelta(hours=2), None, digests=False)
        assert (found["status"], code) == ("warning", 200)  # the service still works
        assert found["warnings"] == [
            f"scheduled backup failed at {T0.isoformat()}: backups: No space left on device"
        ]
        found, _ = report(reader, T0 + timedelta(hours=26), None, digests=False)
        assert found["status"] == "ok"  # backups turned off since: it stops warning
        store.set_meta(BACKUP_AT, (T0 + timedelta(hours=1)).isoformat())
        found, _ = report(reader, T0 + timedelta(hours=2), None, digests=False)
        assert found["status"] == "ok" and "backup_failing" not in found  # one succeeded
    finally:
        store.close()


def test_the_database_itself_is_never_rotated_out(tmp_path: Path) -> None:
    db = tmp_path / "aggregator-20200101T000000Z.db"  # named as a dated copy, the oldest
    clock = Clock(T0)
    store, job = job_on(db, clock, BackupSettings(dir=".", every=DAY, keep=1))
    try:
        for day in (0, 1):
            clock.now = T0 + day * DAY
            assert asyncio.run(job.run_if_due()) is not None
        assert db.exists()
        assert sorted(p.name for p in tmp_path.glob("aggregator-2026*.db")) == [
            "aggregator-20261206T030000Z.db"
        ]
    finally:
        store.close()


def test_systemctl_status_says_the_scheduled_backup_fails(tmp_path: Path) -> None:
    from aggregator.config import Settings
    from aggregator.service import Service

    (tmp_path / "feeds.opml").write_text('<opml version="2.0"><body/></opml>')
    service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", Settings())
    try:
        failed = json.dumps({"at": T0.isoformat(), "error": "backups: Permission denied"})
        asyncio.run(service.write(service.store.set_meta, BACKUP_FAILED, failed))
        service.clock = lambda: T0 + timedelta(hours=1)
        status = asyncio.run(service._status_text(None))
        assert "; scheduled backup failing (see aggregator status)" in status
        service.clock = lambda: T0 + timedelta(hours=26)  # backups turned off since
        assert "backup" not in asyncio.run(service._status_text(None))
    finally:
        service.close()


def test_two_backups_into_one_directory_at_once_both_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They had shared one partial file, each removing the other's (both could fail and
    leave nothing); now each has its own, and the second takes the next dated name."""
    import threading
    import time

    from aggregator import store_upkeep

    db = tmp_path / "agg.db"
    Store(db).close()
    copy = store_upkeep.copy_database

    def slow_copy(source: Path, dest: Path, stopping: Any = None) -> str:
        time.sleep(0.2)  # (both pick the same free name before either takes it)
        return copy(source, dest, stopping)

    monkeypatch.setattr(store_upkeep, "copy_database", slow_copy)
    out = tmp_path / "backups"
    out.mkdir()
    now = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    made: list[Path] = []
    threads = [
        threading.Thread(target=lambda: made.append(store_upkeep.backup(db, out, now).path))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p.name for p in made) == [
        "aggregator-20261205T030000Z-2.db",
        "aggregator-20261205T030000Z.db",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in made)  # (no partial)
    for path in made:
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_failed_backup_leaves_no_partial_file_nor_its_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup that failed (a full disk) had left SQLite's `<partial>-journal` each time."""
    from aggregator import store_upkeep

    db = tmp_path / "agg.db"
    Store(db).close()

    def full(source: Path, dest: Path, stopping: Any = None) -> str:
        Path(f"{dest}-journal").write_bytes(b"a rollback journal")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store_upkeep, "copy_database", full)
    out = tmp_path / "backups"
    out.mkdir()
    with pytest.raises(StorageError, match="backup failed: database or disk is full"):
        store_upkeep.backup(db, out)
    assert list(out.iterdir()) == []


def test_run_takes_no_backup_after_a_stop_that_came_while_it_polled(tmp_path: Path) -> None:
    """A stop that comes while a pass polls lets the pass end, then skips the retention and
    backup due after it, as `poll --once` does: a backup begun after the SIGTERM (a copy and
    an integrity check of the whole database) came on top of the stop's graces."""
    from aggregator.config import Settings
    from aggregator.service import Service

    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><body><outline text="News">'
        '<outline type="rss" text="A" xmlUrl="http://127.0.0.1:9/a.xml"/>'
        "</outline></body></opml>"
    )
    service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", replace(Settings(), backup=ON))
    stop = asyncio.Event()
    cycle = service.poll_cycle

    async def stopped_while_polling(*args: Any, **kwargs: Any) -> Any:
        report = await cycle(*args, **kwargs)
        stop.set()  # (the SIGTERM came as the pass ended)
        return report

    service.poll_cycle = stopped_while_polling  # type: ignore[method-assign]
    try:
        asyncio.run(asyncio.wait_for(service.run("127.0.0.1", 0, stop, serve=False), 30))
    finally:
        service.close()
    assert not (tmp_path / "backups").exists()


class LooksThenStop:
    """A stop asked for once the copy has looked `after` times whether to stop."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.looks = 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.after


def test_a_backup_asked_to_stop_ends_at_its_next_step_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy looks between steps of `BACKUP_STEP` pages whether the service stops: it had
    been one step, which a stop waited out however large the database."""
    from aggregator import store_upkeep

    db = tmp_path / "agg.db"
    Store(db).close()
    monkeypatch.setattr(store_upkeep, "BACKUP_STEP", 4)
    out = tmp_path / "backups"
    out.mkdir()
    stop = LooksThenStop(3)
    with pytest.raises(store_upkeep.CopyStopped):
        store_upkeep.backup(db, out, T0, stopping=stop)
    assert stop.looks == 4  # (a fresh database has far more than 16 pages)
    assert list(out.iterdir()) == []
    done = store_upkeep.backup(db, out, T0, stopping=LooksThenStop(10_000))
    assert [p.name for p in out.iterdir()] == [done.path.name] and done.integrity == "ok"


def test_run_stops_a_scheduled_backup_under_way_without_a_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A SIGTERM while the scheduled backup copies a large database: the copy ends at its
    next step, its partial file goes, and no failure is recorded (the next start takes it)."""
    import time

    from aggregator import store_upkeep
    from aggregator.config import Settings
    from aggregator.service import Service

    (tmp_path / "feeds.opml").write_text(
        '<opml version="2.0"><body><outline text="News">'
        '<outline type="rss" text="A" xmlUrl="http://127.0.0.1:9/a.xml"/>'
        "</outline></body></opml>"
    )
    config = replace(Settings(), backup=ON)
    config = replace(config, server=replace(config.server, shutdown_grace=1.0))
    service = Service(tmp_path / "feeds.opml", tmp_path / "agg.db", config)
    real = store_upkeep.copy_database
    asked: list[float] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def slow_copy(source: Path, dest: Path, stopping: Any = None) -> str:
            asked.append(time.monotonic())
            loop.call_soon_threadsafe(stop.set)  # (the SIGTERM comes as the copy begins)

            class Slow:  # each step of a large database takes a while
                def is_set(self) -> bool:
                    time.sleep(0.2)
                    return stopping is not None and stopping.is_set()

            return real(source, dest, Slow())

        monkeypatch.setattr(store_upkeep, "copy_database", slow_copy)
        monkeypatch.setattr(store_upkeep, "BACKUP_STEP", 1)  # (one page a step: ~20 s in all)
        await asyncio.wait_for(service.run("127.0.0.1", 0, stop, serve=False), 30)

    caplog.set_level("INFO", logger="aggregator")
    try:
        asyncio.run(scenario())
        ended = time.monotonic()
        assert asked and ended - asked[0] < 5, ended - asked[0]
        assert BACKUP_FAILED not in service.store.meta_values([BACKUP_FAILED])
    finally:
        service.close()
    assert list((tmp_path / "backups").iterdir()) == []
    assert "backup stopped: the service stops; no copy written" in caplog.text


def test_a_stepped_backup_is_the_snapshot_it_began_with_however_often_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy holds its one read transaction over its steps: rows the service writes
    between them are not in it, and no step starts the copy over (without the held
    transaction each write between steps restarted it, and it ended only when they did)."""
    from aggregator import store_upkeep

    db = tmp_path / "agg.db"
    Store(db).close()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("CREATE TABLE bulk (x BLOB)")
    for _ in range(200):
        writer.execute("INSERT INTO bulk VALUES (randomblob(4000))")
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    monkeypatch.setattr(store_upkeep, "BACKUP_STEP", 8)

    class WritesBetweenSteps:
        looks = 0

        def is_set(self) -> bool:
            self.looks += 1
            if self.looks <= 300:  # (a bound, for a copy that starts over to end at all)
                writer.execute("INSERT INTO bulk VALUES (randomblob(4000))")
                writer.execute("UPDATE bulk SET x = randomblob(4000) WHERE rowid = 1")
            return False

    between = WritesBetweenSteps()
    try:
        done = store_upkeep.backup(db, tmp_path / "copy.db", T0, stopping=between)
        assert writer.execute("SELECT COUNT(*) FROM bulk").fetchone()[0] > 200
    finally:
        writer.close()
    assert done.integrity == "ok"
    assert between.looks <= pages // 8 + 2  # (each step once, then once after the copy)
    with sqlite3.connect(done.path) as copy:
        assert copy.execute("SELECT COUNT(*) FROM bulk").fetchone()[0] == 200


def test_a_stop_during_the_copys_integrity_check_ends_it_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The integrity check of a large copy takes a while too: a stop that comes once the
    pages are copied ends it (a progress handler looks), and nothing is left of the copy."""
    from aggregator import store_upkeep

    db = tmp_path / "agg.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE bulk (x TEXT)")
        conn.execute("CREATE INDEX bulk_x ON bulk (x)")
        conn.executemany("INSERT INTO bulk VALUES (?)", ((f"row {n}",) for n in range(20_000)))
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    monkeypatch.setattr(store_upkeep, "BACKUP_STEP", 64)
    steps = -(-pages // 64)
    stop = LooksThenStop(steps + 1)  # (each step, and once after the copy: then the check)
    out = tmp_path / "backups"
    out.mkdir()
    with pytest.raises(store_upkeep.CopyStopped):
        store_upkeep.backup(db, out, T0, stopping=stop)
    assert stop.looks > steps + 1
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("folder", ["news#1", "news?1", "news%231"])
def test_a_database_whose_path_holds_a_uri_character_is_read_where_it_is(
    tmp_path: Path, folder: str
) -> None:
    """The read-only connections open the database as a `file:` URI: a "#" or "?" in its
    path cut the path there ("news#1/agg.db" read "news", a new empty database, and its
    backup was that empty database, "integrity ok"), a "%2" was read as an escape."""
    from aggregator.store_read import Reader
    from aggregator.store_recover import recover
    from aggregator.store_restore import restore
    from aggregator.store_upkeep import backup

    where = tmp_path / folder
    where.mkdir()
    db = where / "agg.db"
    store = Store(db)
    store.conn.execute("CREATE TABLE mark (x)")
    store.conn.execute("INSERT INTO mark VALUES (1)")
    store.close()
    copy = backup(db, where / "copy.db", T0)
    with sqlite3.connect(copy.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM mark").fetchone()[0] == 1
    conn.close()
    recovered = recover(db, where / "recovered.db")
    assert recovered.path.exists()
    restored = restore(copy.path, tmp_path / "restored.db", T0)
    assert restored.db.exists() and restored.feeds == 0
    with sqlite3.connect(tmp_path / "restored.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM mark").fetchone()[0] == 1
    conn.close()
    reader = Reader(str(db))
    assert reader._db().execute("SELECT COUNT(*) FROM mark").fetchone()[0] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([folder, "restored.db"])
