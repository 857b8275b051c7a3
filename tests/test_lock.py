"""The writer lock names whoever holds it, even when asked in the moment before it says."""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path

import pytest

from aggregator.errors import StorageError
from aggregator.lock import lock_path, writer_lock


def test_a_waiter_names_a_holder_that_writes_its_name_after_taking_the_lock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "agg.db"
    holder = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(holder, fcntl.LOCK_EX)  # taken, name not written yet
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 1:
            os.write(holder, json.dumps({"pid": 4242, "command": "poll --once"}).encode())
        elif len(naps) == 3:
            fcntl.flock(holder, fcntl.LOCK_UN)

    caplog.set_level(logging.INFO, logger="aggregator")
    try:
        with writer_lock(db, "poll --once", sleep=sleep):
            pass
    finally:
        os.close(holder)
    waiting = [r.getMessage() for r in caplog.records if "waiting for" in r.getMessage()]
    assert len(waiting) == 1
    assert "`aggregator poll --once` (pid 4242)" in waiting[0]
    assert len(naps) == 3


@pytest.mark.parametrize("command", ["restore", "compact", "recover", "subscribers --remove"])
def test_a_command_that_needs_the_service_stopped_is_not_told_to_let_it_poll(
    tmp_path: Path, command: str
) -> None:
    db = tmp_path / "agg.db"
    with writer_lock(db, "run"), pytest.raises(StorageError) as raised, writer_lock(db, command):
        pass
    said = str(raised.value)
    assert "`aggregator run`" in said and "is already running on this database" in said
    assert "let it do the polling" not in said and "systemctl stop aggregator" in said


def test_a_second_poll_beside_the_service_may_leave_the_polling_to_it(tmp_path: Path) -> None:
    db = tmp_path / "agg.db"
    with writer_lock(db, "run"), pytest.raises(StorageError) as raised, writer_lock(db, "poll"):
        pass
    assert "stop it first (or let it do the polling)" in str(raised.value)


def test_a_database_in_a_directory_that_is_not_there_is_said_as_that(tmp_path: Path) -> None:
    db = tmp_path / "typo" / "agg.db"
    with pytest.raises(StorageError) as raised, writer_lock(db, "restore"):
        pass
    assert str(raised.value) == f"{db}: no directory {tmp_path / 'typo'} (check --db, or make it)"
    assert not (tmp_path / "typo").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="gives files away: needs root")
def test_a_root_command_leaves_the_lock_file_to_the_databases_owner(tmp_path: Path) -> None:
    """`sudo aggregator compact` (or restore, recover) on a stopped service's database made the
    lock file root's, 0644: the service's own user then could not open it and failed to start
    ("cannot create lock file: Permission denied"). As SQLite does with its -wal and -shm, the
    lock file is the database's owner's."""
    from aggregator.cli import main
    from aggregator.store import Store

    db = tmp_path / "agg.db"
    Store(db).close()
    service_user = 65534  # (nobody)
    os.chown(db, service_user, service_user)
    assert main(["compact", "--db", str(db)]) == 0
    made = lock_path(db).stat()
    assert (made.st_uid, made.st_gid) == (service_user, service_user)


@pytest.mark.skipif(os.geteuid() != 0, reason="gives files away: needs root")
def test_a_root_command_neither_follows_nor_gives_away_a_link_planted_as_the_lock_file(
    tmp_path: Path,
) -> None:
    """The service's user owns the database's directory, so it can put a link to any file
    where the lock file goes: `sudo aggregator compact` then opened that file, gave it to
    the service's user and wrote the lock's JSON over it. A symbolic link is refused, and
    a file with other names (a hard link) is not given away."""
    from aggregator.cli import main
    from aggregator.store import Store

    db = tmp_path / "agg.db"
    Store(db).close()
    service_user = 65534  # (nobody)
    os.chown(db, service_user, service_user)
    os.chown(tmp_path, service_user, service_user)
    victim = tmp_path / "victim"
    victim.write_text("root's own\n")
    lock_path(db).symlink_to(victim)
    assert main(["compact", "--db", str(db)]) == 1
    assert victim.stat().st_uid == 0 and victim.read_text() == "root's own\n"
    with pytest.raises(StorageError, match="is a symbolic link"), writer_lock(db, "compact"):
        pass
    lock_path(db).unlink()
    os.link(victim, lock_path(db))
    assert main(["compact", "--db", str(db)]) == 0
    assert victim.stat().st_uid == 0
