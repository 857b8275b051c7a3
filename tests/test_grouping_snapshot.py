"""The grouping snapshot: a process that loads it carries on as the process that wrote it
would have had it kept running, and a snapshot that does not match the store is never used."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aggregator import grouping_snapshot, story_job
from aggregator.cli import main
from aggregator.cluster import Clusterer
from aggregator.cluster_settings import ClusterSettings
from aggregator.config import Settings
from aggregator.grouping_snapshot import snapshot_path
from aggregator.models import Item
from aggregator.store import Store
from aggregator.story_job import StoryJob

T0 = datetime(2025, 3, 4, 6, 0, tzinfo=UTC)
# (three repeats make an outlet's term its furniture here, as they did when the stream was
# written: its stories then merge, which the tests need)
CLUSTER = ClusterSettings(
    active_window=timedelta(hours=6), expire_every=timedelta(minutes=30), outlet_min_repeats=3
)
SETTINGS = dataclasses.replace(Settings(), cluster=CLUSTER)
PASS_A = (0, 60)  # items of the first pass, published 5 minutes apart
PASS_B = (60, 130)  # of the second, published after a gap: the first pass's early stories expire
GAP = timedelta(hours=3)
CLOCK_A = T0 + timedelta(minutes=5 * PASS_A[1])
CLOCK_B = T0 + timedelta(minutes=5 * PASS_B[1]) + GAP


def _stream(count: int) -> list[Item]:
    """Made-up reports of made-up events over a small drifting vocabulary, a few outlets per
    event (so stories grow, some are founded twice and merged later)."""
    rng = random.Random(11)
    syllables = "ka lo mi ne ru sa ti vo de ba fi gu ha je ko".split()

    def word(n: int) -> str:
        return "".join(rng.choice(syllables) for _ in range(n))

    common = [word(3) for _ in range(count // 8 + 10)]
    events = [
        ([word(3).capitalize() for _ in range(2)], [word(4) for _ in range(6)]) for _ in range(14)
    ]
    items = []
    for n in range(count):
        names, terms = events[rng.randrange(len(events))]
        now = common[n // 8 : n // 8 + 10]
        title = [*names, *rng.sample(terms, 3), *rng.sample(now, 2)]
        text = " ".join(
            " ".join([*rng.sample(names, 1), *rng.sample(terms, 3), *rng.sample(now, 5)]) + "."
            for _ in range(5)
        ).capitalize()
        minutes = 5 * n + (GAP.total_seconds() // 60 if n >= PASS_B[0] else 0)
        outlet = f"o{rng.randrange(9)}.example"
        items.append(
            Item(
                id=f"r{n}",
                title=" ".join(title),
                text=text,
                url=f"https://{outlet}/r{n}",
                canonical_url=f"https://{outlet}/r{n}",
                guid=f"r{n}",
                outlet=outlet,
                outlet_name=outlet,
                feed_url=f"https://{outlet}/feed",
                category="World",
                content_hash=hashlib.sha1(text.encode()).hexdigest(),
                published=T0 + timedelta(minutes=minutes),
            )
        )
    return items


ITEMS = _stream(PASS_B[1] + 5)  # (and a few for a third pass)


def _store_pass(store: Store, span: tuple[int, int], clock: datetime) -> None:
    """A poll's new items, first seen at its clock (they wait for a story)."""
    store.insert_items([dataclasses.replace(i, first_seen=clock) for i in ITEMS[slice(*span)]])


def _job(store: Store, clock: datetime, settings: Settings = SETTINGS) -> StoryJob:
    return StoryJob(store, settings, lambda: clock)


def _rows(store: Store) -> list[Any]:
    """Everything grouping and summarising stored."""
    out: list[Any] = []
    for sql in (
        "SELECT id, story_id, duplicate_of, furniture, terms FROM items "
        "LEFT JOIN item_terms ON item_id = id ORDER BY id",
        "SELECT * FROM stories ORDER BY id",
        "SELECT * FROM summaries ORDER BY story_id, version",
        "SELECT * FROM story_categories ORDER BY story_id, category",
    ):
        out.append([tuple(r) for r in store.conn.execute(sql)])
    return out


@pytest.fixture
def assignments(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Every assignment the clusterer makes: item, story, score, merged stories."""
    made: list[tuple[str, str, str, tuple[str, ...]]] = []
    assign = Clusterer.assign

    def recording(self: Clusterer, item: Item, now: datetime) -> Any:
        found = assign(self, item, now)
        made.append((item.id, found.story_id, repr(found.score), tuple(found.merged)))
        return found

    monkeypatch.setattr(Clusterer, "assign", recording)
    return made


def _no_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    def rebuild(*_: Any) -> None:
        raise AssertionError("the window was rebuilt from the store, not loaded")

    monkeypatch.setattr(Clusterer, "restore", rebuild)


def test_a_loaded_snapshot_carries_on_as_the_process_that_kept_running(
    tmp_path: Path, assignments: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One process: pass A, then pass B (across a gap that expires stories), on one window.
    rows = _kept_running(tmp_path / "running.db")
    kept_running = list(assignments)
    assignments.clear()

    # Pass A in one process, its window written at exit; pass B in the next, loading it.
    path = tmp_path / "cron.db"
    _pass_a_written(path)
    assert snapshot_path(path) is not None and snapshot_path(path).exists()  # type: ignore[union-attr]
    second = Store(path)
    _store_pass(second, PASS_B, CLOCK_B)  # (new items waiting leave the snapshot valid)
    _no_rebuild(monkeypatch)
    _job(second, CLOCK_B).run()

    assert assignments == kept_running
    assert _rows(second) == rows
    later = [a for a in kept_running if a[0] in {i.id for i in ITEMS[slice(*PASS_B)]}]
    assert any(merged for *_, merged in later)  # a merge in the loaded window's pass
    assert any(story == item_id for item_id, story, *_ in later)  # new stories founded …
    assert any(story != item_id for item_id, story, *_ in later)  # … and stories joined
    second.close()


def _pass_a_written(path: Path) -> None:
    """Pass A in a process of its own, its window written when it ends."""
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    job = _job(store, CLOCK_A)
    job.run()
    job.save_snapshot()
    store.close()


def _kept_running(path: Path) -> list[Any]:
    """The stored rows after passes A and B in one process."""
    store = Store(path)
    job = _job(store, CLOCK_A)
    _store_pass(store, PASS_A, CLOCK_A)
    job.run()
    _store_pass(store, PASS_B, CLOCK_B)
    job.clock = lambda: CLOCK_B
    job.run()
    rows = _rows(store)
    store.close()
    return rows


_PASS_B_ELSEWHERE = """
import sys
sys.path.insert(0, sys.argv[2])
import test_grouping_snapshot as t
from aggregator.cluster import Clusterer
from aggregator.store import Store

def rebuilt(*_, **__):
    raise SystemExit("the window was rebuilt, not loaded")

Clusterer.restore = rebuilt
store = Store(sys.argv[1])
t._store_pass(store, t.PASS_B, t.CLOCK_B)
t._job(store, t.CLOCK_B).run()
store.close()
"""


@pytest.mark.parametrize("seed", ["7", "8"])
def test_a_new_process_with_other_string_hashes_carries_on_the_same(
    tmp_path: Path, seed: str
) -> None:
    """As cron runs it: pass B in another process (its sets iterate in another order)."""
    path = tmp_path / "cron.db"
    _pass_a_written(path)
    env = {**os.environ, "PYTHONHASHSEED": seed}
    command = [sys.executable, "-c", _PASS_B_ELSEWHERE, str(path), str(Path(__file__).parent)]
    subprocess.run(command, env=env, check=True, timeout=120)
    store = Store(path)
    assert _rows(store) == _kept_running(tmp_path / "running.db")
    store.close()


def _written(tmp_path: Path) -> Path:
    """A store after pass A with its snapshot written; pass B's items stored, waiting."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "news.db"
    _pass_a_written(path)
    store = Store(path)
    _store_pass(store, PASS_B, CLOCK_B)
    store.close()
    return path


def _next_start(
    path: Path,
    caplog: pytest.LogCaptureFixture,
    settings: Settings = SETTINGS,
    clock: datetime = CLOCK_B,
) -> tuple[StoryJob, str]:
    """The next process's pass, and what it logged about the snapshot."""
    store = Store(path)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="aggregator"):
        job = _job(store, clock, settings)
        job.run()
    said = " ".join(r.getMessage() for r in caplog.records if "snapshot" in r.getMessage())
    return job, said


def _rebuilt_rows(tmp_path: Path, change: Callable[[Store], None] | None = None) -> list[Any]:
    """What a rebuild from the store gives for pass B (after `change`)."""
    path = _written(tmp_path / "reference")
    snapshot_path(path).unlink()  # type: ignore[union-attr]
    store = Store(path)
    if change is not None:
        change(store)
    _job(store, CLOCK_B).run()
    rows = _rows(store)
    store.close()
    return rows


def test_a_pass_from_the_snapshot_writes_the_next_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _written(tmp_path)
    job, said = _next_start(path, caplog)
    assert "window loaded" in said
    job.save_snapshot()
    job.store.close()
    later = CLOCK_B + timedelta(minutes=30)
    store = Store(path)
    _store_pass(store, (PASS_B[1], PASS_B[1] + 5), later)
    store.close()
    job, said = _next_start(path, caplog, clock=later)
    assert "window loaded" in said
    assert (
        job.store.conn.execute("SELECT count(*) FROM items WHERE story_id IS NULL").fetchone()[0]
        == 0
    )
    job.store.close()


def _move_an_item(store: Store) -> None:
    (item,) = store.items_by_id(["r3"])
    store.move_item(item, "elsewhere", CLOCK_A)
    store.conn.commit()


def _delete_an_item(store: Store) -> None:
    store.conn.execute("DELETE FROM items WHERE id = 'r4'")
    store.conn.commit()


def _merge_two_stories(store: Store) -> None:
    first, second = (r[0] for r in store.conn.execute("SELECT id FROM stories LIMIT 2"))
    store.merge_story(second, first, CLOCK_A)
    store.conn.commit()


@pytest.mark.parametrize("change", [_move_an_item, _delete_an_item, _merge_two_stories])
def test_a_write_by_another_command_makes_the_snapshot_stale(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Store], None],
) -> None:
    path = _written(tmp_path)
    other = Store(path)  # e.g. `aggregator cluster --db`, retention, a regroup
    change(other)
    other.close()
    job, said = _next_start(path, caplog)
    assert "not used (the store changed since)" in said
    assert _rows(job.store) == _rebuilt_rows(tmp_path, change)  # rebuilt as without one
    job.store.close()


def test_other_grouping_settings_rebuild(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _written(tmp_path)
    tighter = dataclasses.replace(SETTINGS, cluster=dataclasses.replace(CLUSTER, threshold=0.3))
    job, said = _next_start(path, caplog, tighter)
    assert "not used (other grouping settings)" in said
    job.store.close()


def test_a_snapshot_of_other_code_rebuilds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window pickled by other code (an upgrade that changed its layout) is not loaded:
    it is removed and the window is rebuilt from the store."""
    path = _written(tmp_path)
    monkeypatch.setattr("aggregator.grouping_snapshot._CODE", "0" * 40)
    job, said = _next_start(path, caplog)
    assert "not used (written by other code)" in said
    assert _rows(job.store) == _rebuilt_rows(tmp_path)
    job.store.close()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))


def _garble_header(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(b"{not json" + data[9:])


def _not_a_pickle(path: Path) -> None:
    data = path.read_bytes()
    size = len(data) - 4096
    path.write_bytes(data[:4096] + b"\x00" * size)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_truncate, "truncated"),
        (_flip_a_byte, ""),  # (the unpickler's error, or the checksum)
        (_garble_header, "no snapshot header"),
        (_not_a_pickle, "unreadable"),
        (Path.unlink, "no snapshot at"),
    ],
)
def test_a_broken_or_missing_snapshot_is_rebuilt_from_the_store(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], None],
    reason: str,
) -> None:
    path = _written(tmp_path)
    snapshot = snapshot_path(path)
    assert snapshot is not None
    damage(snapshot)
    job, said = _next_start(path, caplog)
    assert "restoring from the database" in said and reason in said
    assert not snapshot.exists()  # a broken file is removed
    assert _rows(job.store) == _rebuilt_rows(tmp_path)
    job.store.close()


def _world_writable(path: Path) -> None:
    path.chmod(0o666)


def _a_link(path: Path) -> None:
    kept = path.with_name("kept.grouping")
    path.rename(kept)
    path.symlink_to(kept)


def _anothers(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(path, 65534, -1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_world_writable, "writable by others"),
        (_a_link, "a symbolic link"),
        (_anothers, "owned by another user"),
    ],
)
def test_a_snapshot_someone_else_could_have_written_is_not_loaded(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    change: Callable[[Path], None],
    reason: str,
) -> None:
    """Loading a pickle runs code it names: a snapshot file another user could have written
    or put there (in a directory others may write, such as /tmp) is never loaded."""
    path = _written(tmp_path)
    snapshot = snapshot_path(path)
    assert snapshot is not None
    change(snapshot)
    job, said = _next_start(path, caplog)
    assert "restoring from the database" in said and reason in said
    assert _rows(job.store) == _rebuilt_rows(tmp_path)
    job.store.close()


def test_a_pipe_at_the_snapshot_name_does_not_hold_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A named pipe put at the snapshot's name (anyone may make one in /tmp) is not opened
    to wait for a writer, which held the start for good: it is no file and the window is
    rebuilt from the database."""
    path = _written(tmp_path)
    snapshot = snapshot_path(path)
    assert snapshot is not None
    snapshot.unlink()
    os.mkfifo(snapshot)
    done: list[tuple[StoryJob, str]] = []
    started = threading.Thread(target=lambda: done.append(_next_start(path, caplog)))
    started.daemon = True
    started.start()
    started.join(60)
    if not done:  # (let the waiting open go: a writer comes and leaves)
        os.close(os.open(snapshot, os.O_WRONLY | os.O_NONBLOCK))
        started.join(60)
    assert done, "the start waited on the pipe"
    job, said = done[0]
    assert "restoring from the database" in said and "not a regular file" in said, said
    assert _rows(job.store) == _rebuilt_rows(tmp_path)
    job.store.close()


def test_a_restamp_goes_through_no_link(tmp_path: Path) -> None:
    """Restamping rewrites the snapshot's header in place: never in a file a link put at its
    name leads to (another user's, in /tmp), whose header had been rewritten."""
    old = grouping_snapshot.Stamp("store", 1, "settings", "code")
    new = dataclasses.replace(old, generation=2)
    target = tmp_path / "elsewhere"
    target.write_bytes(grouping_snapshot._header_line(old, 0, 0) + b"kept")
    link = tmp_path / "news.db.grouping"
    link.symlink_to(target)
    assert grouping_snapshot.restamp(link, old, new) is False
    assert target.read_bytes() == grouping_snapshot._header_line(old, 0, 0) + b"kept"
    link.unlink()
    target.rename(link)  # (its own file is restamped)
    assert grouping_snapshot.restamp(link, old, new) is True
    assert link.read_bytes() == grouping_snapshot._header_line(new, 0, 0) + b"kept"


def test_a_snapshot_written_under_an_open_umask_is_loaded_at_the_next_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The process's own snapshot is never written so that others may write it: under a
    umask of 0 (a container's, a unit's `UMask=0000`) it had been made 0666 and then refused
    as "writable by others" at every start, the window rebuilt each time."""
    mask = os.umask(0)
    try:
        path = _written(tmp_path)
    finally:
        os.umask(mask)
    snapshot = snapshot_path(path)
    assert snapshot is not None and not snapshot.stat().st_mode & 0o002
    job, said = _next_start(path, caplog)
    assert "window loaded" in said, said
    job.store.close()


def test_the_snapshot_is_never_written_through_a_link_at_its_temporary_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link another user put at the temporary name (in /tmp, where nobody may remove
    another's file) is not written through: the snapshot is not written this time."""
    path = _written(tmp_path)
    snapshot = snapshot_path(path)
    assert snapshot is not None
    snapshot.unlink()
    victim = tmp_path / "victim"
    victim.write_bytes(b"kept")
    planted = snapshot.with_name(f".{snapshot.name}.{os.getpid()}.tmp")
    planted.symlink_to(victim)
    unlink = Path.unlink

    def not_removable(self: Path, missing_ok: bool = False) -> None:
        if self == planted:
            raise PermissionError(1, "Operation not permitted", str(self))
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", not_removable)
    with caplog.at_level(logging.WARNING, logger="aggregator"):
        store = Store(path)
        job = _job(store, CLOCK_B)
        job.run()
        job.save_snapshot()
        store.close()
    assert victim.read_bytes() == b"kept"
    assert not snapshot.exists()
    said = [r.getMessage() for r in caplog.records]
    assert any("grouping snapshot not written" in m for m in said), said


def test_the_snapshot_is_written_only_when_it_matches_the_store(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    job = _job(store, CLOCK_A)
    job.save_snapshot()  # nothing grouped yet: nothing to write
    assert not snapshot_path(path).exists()  # type: ignore[union-attr]
    job.run()
    other = Store(path)
    _move_an_item(other)
    other.close()
    job.save_snapshot()  # the store moved on since the pass: it would be stale at once
    assert not snapshot_path(path).exists()  # type: ignore[union-attr]
    store.close()


def test_new_items_leave_the_generation_alone_and_grouping_bumps_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "news.db")
    store_id, before = store.grouping_stamp()
    _store_pass(store, PASS_A, CLOCK_A)
    assert store.grouping_stamp() == (store_id, before)
    _job(store, CLOCK_A).run()
    assert store.grouping_stamp()[1] > before and len(store_id) == 32
    assert Store(tmp_path / "other.db").grouping_stamp()[0] != store_id
    store.close()


def test_the_switch_turns_snapshots_off(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    off = dataclasses.replace(SETTINGS, cluster=dataclasses.replace(CLUSTER, snapshot=False))
    path = tmp_path / "news.db"
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    job = _job(store, CLOCK_A, off)
    job.run()
    job.save_snapshot()
    assert not snapshot_path(path).exists()  # type: ignore[union-attr]
    store.close()
    written = _written(tmp_path / "written")  # one written before the switch: ignored
    job, said = _next_start(written, caplog, off)
    assert said == "" and snapshot_path(written).exists()  # type: ignore[union-attr]
    job.store.close()


@pytest.mark.parametrize("error", [sqlite3.OperationalError, RuntimeError])
def test_a_failed_pass_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    """A pass the database failed, or one that set an item aside after the window took part
    of it (`grouping.SetAside`): its window is not the store's, and is never written."""
    path = tmp_path / "news.db"
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    job = _job(store, CLOCK_A)
    assign = Clusterer.assign
    calls = iter(range(1000))

    def failing(self: Clusterer, item: Item, now: datetime) -> Any:
        if next(calls) == 30:  # (made here: one raised keeps its frames, the window's)
            raise error("disk I/O error" if error is sqlite3.OperationalError else "a defect")
        return assign(self, item, now)

    monkeypatch.setattr(Clusterer, "assign", failing)
    if error is sqlite3.OperationalError:
        with pytest.raises(sqlite3.OperationalError):
            job.run()
    else:
        job.run()  # (the item alone in a story of its own; the pass goes on)
        assert _unassigned(store) == 0
    job.save_snapshot()  # its window ran ahead of what the store holds
    assert not snapshot_path(path).exists()  # type: ignore[union-attr]
    store.close()


def test_a_copied_store_with_its_snapshot_loads_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _written(tmp_path / "a")
    copy = tmp_path / "b" / "news.db"
    copy.parent.mkdir()
    for suffix in ("", "-wal"):  # (a reader may still hold the log open)
        if Path(f"{path}{suffix}").exists():
            shutil.copy(f"{path}{suffix}", f"{copy}{suffix}")
    shutil.copy(snapshot_path(path), snapshot_path(copy))  # type: ignore[arg-type]
    job, said = _next_start(copy, caplog)
    assert "window loaded" in said
    job.store.close()


def test_a_write_killed_midway_leaves_no_file_behind_for_long(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    left = tmp_path / ".news.db.grouping.4242.tmp"  # a process killed while writing
    left.write_bytes(b"half a pickle")
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    job = _job(store, CLOCK_A)
    job.run()
    job.save_snapshot()
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if "grouping" in p.name) == [
        "news.db.grouping"
    ]
    store.close()


def test_a_window_the_store_changed_under_is_not_written(tmp_path: Path) -> None:
    """A long-running process ignores another command's writes; its window then no longer
    matches the store and is never written, even after passes of its own."""
    path = tmp_path / "news.db"
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    job = _job(store, CLOCK_A)
    job.run()
    other = Store(path)
    _move_an_item(other)
    other.close()
    _store_pass(store, PASS_B, CLOCK_B)
    job.clock = lambda: CLOCK_B
    job.run()
    job.save_snapshot()
    assert not snapshot_path(path).exists()  # type: ignore[union-attr]
    store.close()


def test_the_window_is_pickled_with_the_collector_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold pass's window is not frozen: a collection set off while pickling would walk
    all of it, again and again. The collector is off while the pickler runs, back on after."""
    import gc

    from aggregator import grouping_snapshot

    store = Store(tmp_path / "news.db")
    _store_pass(store, PASS_A, CLOCK_A)
    job = _job(store, CLOCK_A)
    job.run()
    collecting: list[bool] = []
    dump = grouping_snapshot._dump

    def watched(*args: Any) -> None:
        collecting.append(gc.isenabled())
        dump(*args)

    monkeypatch.setattr(grouping_snapshot, "_dump", watched)
    job.save_snapshot()
    store.close()
    assert snapshot_path(tmp_path / "news.db").exists()  # type: ignore[union-attr]
    assert collecting == [False]
    assert gc.isenabled()


def _stopping_after(asks: int) -> Callable[[], bool]:
    """A `stopping` that answers True from its (`asks` + 1)th question on."""
    asked = itertools.count()
    return lambda: next(asked) >= asks


def _unassigned(store: Store) -> int:
    return int(
        store.conn.execute("SELECT count(*) FROM items WHERE story_id IS NULL").fetchone()[0]
    )


def _summaries(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM summaries").fetchone()[0])


def test_a_pass_told_to_stop_between_runs_keeps_its_work_and_the_next_process_ends_it_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = Store(tmp_path / "reference.db")
    _store_pass(reference, PASS_A, CLOCK_A)
    _job(reference, CLOCK_A).run()
    path = tmp_path / "stopped.db"
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    # (asked before each run and before each run's assignments: the third run never starts)
    job = StoryJob(store, SETTINGS, lambda: CLOCK_A, stopping=_stopping_after(4))
    assert job.run() == 0
    assert 0 < _unassigned(store) < PASS_A[1] - 10  # two runs grouped and committed …
    assert _summaries(store) == 0 and store.dirty_stories()  # … their stories left dirty
    job.save_snapshot()  # (as the process closes: the window stands for the store)
    waiting = store.reader().waiting()  # (what is left is said: `status`, --json, /metrics)
    assert waiting == {"items": _unassigned(store), "stories": len(store.dirty_stories())}
    store.close()
    assert snapshot_path(path).exists()  # type: ignore[union-attr]
    assert main(["status", "--db", str(path)]) == 0
    said = capsys.readouterr().out
    assert f"WAITING {waiting['items']} items for a story, {waiting['stories']} stories" in said
    assert main(["status", "--db", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["waiting"] == waiting

    store = Store(path)
    _no_rebuild(monkeypatch)
    _job(store, CLOCK_A).run()
    assert _rows(store) == _rows(reference)
    assert store.reader().metric_counts()["waiting"] == {"items": 0, "stories": 0}
    store.close()
    reference.close()
    assert main(["status", "--db", str(path)]) == 0
    assert "WAITING" not in capsys.readouterr().out


def test_a_pass_told_to_stop_inside_a_run_is_rebuilt_from_the_store_and_finished(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "stopped.db"
    store = Store(path)
    _store_pass(store, PASS_A, CLOCK_A)
    job = StoryJob(store, SETTINGS, lambda: CLOCK_A, stopping=_stopping_after(5))
    assert job.run() == 0
    left = _unassigned(store)
    assert 0 < left < PASS_A[1]
    # (the window counted the third run's items but assigned none: it is not written)
    job.save_snapshot()
    store.close()
    assert not snapshot_path(path).exists()  # type: ignore[union-attr]

    store = Store(path)
    with caplog.at_level(logging.INFO, logger="aggregator"):
        _job(store, CLOCK_A).run()
    assert "restoring from the database" in caplog.text
    assert _unassigned(store) == 0 and not store.dirty_stories()
    grouped = {row[0] for row in store.conn.execute("SELECT story_id FROM items")}
    assert {row[0] for row in store.conn.execute("SELECT story_id FROM summaries")} == grouped
    store.close()


def test_summarising_told_to_stop_saves_what_it_did_and_leaves_the_rest_dirty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = Store(tmp_path / "reference.db")
    _store_pass(reference, PASS_A, CLOCK_A)
    _job(reference, CLOCK_A).run()
    store = Store(tmp_path / "stopped.db")
    _store_pass(store, PASS_A, CLOCK_A)
    grouped = threading.Event()  # (the service's stop comes once grouping is done)
    group_pending = story_job.group_pending

    def then_stop(*args: Any, **kwargs: Any) -> int:
        count = group_pending(*args, **kwargs)
        grouped.set()
        return count

    monkeypatch.setattr(story_job, "group_pending", then_stop)
    monkeypatch.setattr(story_job, "SAVE_BATCH", 5)
    job = StoryJob(store, SETTINGS, lambda: CLOCK_A, stopping=grouped.is_set)
    job.run()
    assert _unassigned(store) == 0
    assert _summaries(store) < 5 and store.dirty_stories()  # (none, or the batch in flight)
    monkeypatch.setattr(story_job, "group_pending", group_pending)
    _job(store, CLOCK_A).run()
    assert _rows(store) == _rows(reference)
    store.close()
    reference.close()
