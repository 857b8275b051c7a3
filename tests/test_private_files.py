"""What the service writes that holds private data (the database with its sign-up key,
readers' addresses and feeds' logins; its lock file, grouping snapshot and backups) is its
owner's alone whatever the umask a shell gave it, while a file that is there keeps the mode
its operator set; the published export stays readable by all."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_backup_job import Clock, job_on
from test_check import SOURCES

from aggregator.cli import main
from aggregator.cluster import Clusterer
from aggregator.cluster_settings import ClusterSettings
from aggregator.grouping_snapshot import save, snapshot_path, stamp_for
from aggregator.lock import lock_path, writer_lock
from aggregator.private_files import make_dirs, reachable_by_others, readable_by_others
from aggregator.signup_store import Subscribers
from aggregator.store import Store

NOW = datetime(2026, 12, 8, 2, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def shell_umask() -> Iterator[None]:
    """The umask of a login shell (the unit's is 0077)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def written(db: Path) -> dict[str, int]:
    """Open the store (made when missing) and write to it: the modes of the database and of
    its -wal and -shm (SQLite removes them as the last connection closes)."""
    store = Store(db)
    try:
        store.set_meta("note", "written")
        return {
            name: mode(db.with_name(name)) for name in (db.name, f"{db.name}-wal", f"{db.name}-shm")
        }
    finally:
        store.close()


def test_a_new_database_and_its_log_are_the_owners_alone(tmp_path: Path, shell_umask: None) -> None:
    db = tmp_path / "agg.db"
    assert written(db) == {"agg.db": 0o600, "agg.db-wal": 0o600, "agg.db-shm": 0o600}


def test_an_existing_database_keeps_the_mode_its_operator_gave_it(
    tmp_path: Path, shell_umask: None
) -> None:
    db = tmp_path / "agg.db"
    written(db)
    db.chmod(0o640)  # (a web server's group reads it)
    assert written(db) == {"agg.db": 0o640, "agg.db-wal": 0o640, "agg.db-shm": 0o640}
    db.chmod(0o644)  # (made by an earlier version from a shell: `check` says so)
    assert written(db)["agg.db"] == 0o644


def test_a_new_lock_file_is_the_owners_or_as_readable_as_the_database(
    tmp_path: Path, shell_umask: None
) -> None:
    first = tmp_path / "first.db"
    with writer_lock(first, "poll --once"):  # (before there is a database)
        assert mode(lock_path(first)) == 0o600
    shared = tmp_path / "shared.db"
    written(shared)
    shared.chmod(0o640)
    with writer_lock(shared, "poll --once"):
        pass
    assert mode(lock_path(shared)) == 0o640  # (its group's `status` reads who holds it)
    kept = tmp_path / "kept.db"
    lock_path(kept).write_text("")
    lock_path(kept).chmod(0o644)
    with writer_lock(kept, "poll --once"):
        pass
    assert mode(lock_path(kept)) == 0o644  # an operator's own, left as it is


def test_the_grouping_snapshot_is_as_private_as_its_database(
    tmp_path: Path, shell_umask: None
) -> None:
    db = tmp_path / "agg.db"
    written(db)
    path = snapshot_path(db)
    assert path is not None
    stamp = stamp_for("store", 1, ClusterSettings())
    save(path, Clusterer(ClusterSettings()), stamp)
    assert mode(path) == 0o600
    db.chmod(0o660)  # group-writable: the snapshot, a pickle, stays writable by its owner alone
    save(path, Clusterer(ClusterSettings()), stamp)
    assert mode(path) == 0o640


def test_a_directory_made_for_backups_is_the_owners_alone(
    tmp_path: Path, shell_umask: None, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    written(db)
    (tmp_path / "shelf").mkdir(mode=0o755)  # an operator's, left as it is
    dest = tmp_path / "shelf" / "backups" / "daily"
    assert main(["backup", "--db", str(db), f"{dest}/"]) == 0
    assert capsys.readouterr().out.startswith("backed up")
    assert mode(tmp_path / "shelf") == 0o755
    assert mode(tmp_path / "shelf" / "backups") == mode(dest) == 0o700
    (copy,) = dest.iterdir()
    assert mode(copy) == 0o600


def test_the_scheduled_backups_directory_is_the_owners_alone(
    tmp_path: Path, shell_umask: None
) -> None:
    db = tmp_path / "agg.db"
    store, job = job_on(db, Clock(NOW))
    try:
        done = asyncio.run(job.run_if_due())
    finally:
        store.close()
    assert done is not None
    assert mode(tmp_path / "backups") == 0o700
    assert mode(done.path) == 0o600


def test_make_dirs_leaves_an_existing_directory_and_refuses_a_file(tmp_path: Path) -> None:
    there = tmp_path / "there"
    there.mkdir(mode=0o750)
    make_dirs(there)
    assert mode(there) == 0o750
    (tmp_path / "file").write_text("")
    with pytest.raises(FileExistsError):
        make_dirs(tmp_path / "file")
    with pytest.raises(NotADirectoryError):  # (as `mkdir -p` refuses it)
        make_dirs(tmp_path / "file" / "below")


def test_readable_by_others_is_the_world_read_bit() -> None:
    assert readable_by_others(0o644) and readable_by_others(0o604)
    assert not readable_by_others(0o640) and not readable_by_others(0o600)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory every user of the machine may pass through (pytest's own are 0700)."""
    where = Path(tempfile.mkdtemp(prefix="agg-open-"))
    try:
        where.chmod(0o755)
        if not reachable_by_others(where / "agg.db"):
            pytest.skip(f"{where}: a directory above it is closed to others")
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def signed_up(db: Path) -> None:
    store = Store(db)
    try:
        Subscribers(store).confirm("World News", "reader@example.org", NOW)
    finally:
        store.close()


def test_check_warns_of_a_database_with_subscribers_that_others_can_read(
    open_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_dir / "agg.db"
    signed_up(db)
    opml = open_dir / "feeds.opml"
    opml.write_text(SOURCES)
    args = ["check", "--opml", str(opml), "--db", str(db)]
    assert main(args) == 0
    assert "readable by every user" not in capsys.readouterr().err
    db.chmod(0o644)  # (as a shell's umask 022 had made it)
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"{db}: readable by every user of this machine (mode 0644)" in err
    assert "1 subscriber" in err and "chmod o-rwx" in err
    assert mode(db) == 0o644  # said, not changed


def test_check_warns_of_a_readable_database_only_when_it_holds_logins_or_readers(
    open_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_dir / "agg.db"
    written(db)
    db.chmod(0o644)
    opml = open_dir / "feeds.opml"
    opml.write_text(SOURCES)
    assert main(["check", "--opml", str(opml), "--db", str(db)]) == 0
    assert "readable by every user" not in capsys.readouterr().err
    opml.write_text(SOURCES.replace("https://b.example/", "https://member:s3cret@b.example/"))
    assert main(["check", "--opml", str(opml), "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert "(mode 0644), and it holds the logins of 1 feed;" in err
    assert "s3cret" not in err


def test_check_counts_a_feeds_cookie_or_token_as_its_login(
    open_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cookie and a `?token=` are stored with the feed as a password is, and are as private
    (`status` and the log hide them alike)."""
    db = open_dir / "agg.db"
    written(db)
    db.chmod(0o644)
    opml = open_dir / "feeds.opml"
    held = SOURCES.replace(
        'xmlUrl="https://b.example/feed"', 'xmlUrl="https://b.example/feed" cookie="sid=c00kie"'
    )
    opml.write_text(held.replace("https://c.example/feed", "https://c.example/feed?token=t0ken"))
    assert main(["check", "--opml", str(opml), "--db", str(db)]) == 0
    err = capsys.readouterr().err
    assert "(mode 0644), and it holds the logins of 2 feeds;" in err
    assert "c00kie" not in err and "t0ken" not in err


def test_check_says_nothing_of_a_database_in_a_directory_closed_to_others(
    open_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the unit keeps it (DynamicUser: /var/lib/private is 0700): no one else reaches it,
    whatever its own mode."""
    (open_dir / "state").mkdir(mode=0o700)
    db = open_dir / "state" / "agg.db"
    signed_up(db)
    db.chmod(0o644)
    opml = open_dir / "feeds.opml"
    opml.write_text(SOURCES)
    args = ["check", "--opml", str(opml), "--db", str(db)]
    assert main(args) == 0
    assert "readable by every user" not in capsys.readouterr().err
    (open_dir / "state").chmod(0o711)  # (others pass through; a name they know is read)
    assert main(args) == 0
    assert "readable by every user" in capsys.readouterr().err


def test_checks_chmod_advice_can_be_pasted_into_a_shell(
    open_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (open_dir / "my news").mkdir(mode=0o755)
    db = open_dir / "my news" / "agg.db"
    signed_up(db)
    db.chmod(0o644)
    opml = open_dir / "feeds.opml"
    opml.write_text(SOURCES)
    assert main(["check", "--opml", str(opml), "--db", str(db)]) == 0
    assert f"`chmod o-rwx '{db}'*`" in capsys.readouterr().err


def test_reachable_by_others_asks_every_directory_above(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a").chmod(0o700)
    (tmp_path / "a" / "b").chmod(0o755)
    assert not reachable_by_others(tmp_path / "a" / "b" / "agg.db")


@pytest.mark.skipif(os.geteuid() != 0, reason="gives files away: needs root")
def test_a_snapshot_root_writes_is_the_databases_owners(tmp_path: Path) -> None:
    """`sudo aggregator poll --once` on a stopped service's database: the snapshot, made as
    private as the database, had been root's, which the service's own user could not read
    (its window rebuilt at every start after). It is the database's owner's, as the lock
    file and SQLite's -wal and -shm are."""
    db = tmp_path / "agg.db"
    written(db)
    service_user = 65534  # (nobody)
    os.chown(db, service_user, service_user)
    path = snapshot_path(db)
    assert path is not None
    save(path, Clusterer(ClusterSettings()), stamp_for("store", 1, ClusterSettings()))
    made = path.stat()
    assert (made.st_uid, made.st_gid, mode(path)) == (service_user, service_user, 0o600)


def test_the_snapshot_never_writes_through_a_file_put_at_its_temporary_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever owns the directory could put a name there (a hard link to another file)
    after the leftovers are cleared: the file is made anew, never written through (and, as
    root, never given away)."""
    db = tmp_path / "agg.db"
    written(db)
    path = snapshot_path(db)
    assert path is not None
    victim = tmp_path / "victim"
    victim.write_text("someone's own\n")
    os.link(victim, path.with_name(f".{path.name}.{os.getpid()}.tmp"))
    monkeypatch.setattr(Path, "glob", lambda self, pattern: iter(()))  # (put there just after)
    with pytest.raises(FileExistsError):
        save(path, Clusterer(ClusterSettings()), stamp_for("store", 1, ClusterSettings()))
    assert victim.read_text() == "someone's own\n" and mode(victim) == 0o644
    assert not path.exists()


@pytest.fixture
def modeless(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system that keeps no modes (vfat, exFAT) refuses a change of one: EPERM."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "fchmod", refuse)
    monkeypatch.setattr(os, "chmod", refuse)


def test_a_file_system_without_modes_still_takes_every_file(tmp_path: Path, modeless: None) -> None:
    """The lock file, the grouping snapshot and a backups directory are made as it makes
    them (the first lock taken had failed "cannot create lock file: Operation not
    permitted", every snapshot was not written, the first scheduled backup failed)."""
    db = tmp_path / "agg.db"
    with writer_lock(db, "poll --once"):
        written(db)
    path = snapshot_path(db)
    assert path is not None
    assert save(path, Clusterer(ClusterSettings()), stamp_for("store", 1, ClusterSettings())) > 0
    make_dirs(tmp_path / "backups" / "daily")
    assert (tmp_path / "backups" / "daily").is_dir()
