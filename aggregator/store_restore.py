"""Putting a backup (or what `recover` copied) in the place of the database: `aggregator
restore`, run with the service stopped and the writer lock held.

By hand this took five steps, and a step left out breaks the restored file: SQLite applies a
write-ahead log left beside the database to whatever file has its name, so an old
`aggregator.db-wal` beside a restored copy damages it. Here the copy is made beside the
database (as `backup` makes one) and checked before anything else changes (whole, an
aggregator database, of a schema this version knows); the database it replaces is renamed,
with its write-ahead log, so the two stay a pair and nothing of it is lost; the copy is
renamed into place, with the old file's owner and permissions (the service's own user, under
systemd); the grouping snapshot of the old one goes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .damage import is_damaged
from .errors import DatabaseUnusable, StorageError
from .grouping_snapshot import snapshot_path
from .migrations import migrations
from .store_db import sqlite_file_problem
from .store_upkeep import copy_database

__all__ = ["RestoreReport", "restore"]


@dataclass(frozen=True, slots=True)
class RestoreReport:
    source: Path
    db: Path
    kept: Path | None  # the database it replaced, under its new name (None: there was none)
    items: int
    stories: int
    feeds: int
    newest: str | None  # when the copy's newest item was first seen (stored text)


def open_elsewhere(db_path: Path) -> str | None:
    """Another process that has the database open (`aggregator serve`, which takes no
    writer lock), as "process 123 (aggregator serve …)"; None when none is seen (Linux's
    `/proc`, what this user may look at)."""
    try:
        mine = db_path.stat()
    except OSError:
        return None
    proc = Path("/proc")
    try:
        pids = [p for p in proc.iterdir() if p.name.isdigit() and int(p.name) != os.getpid()]
    except OSError:
        return None
    for pid in pids:
        try:
            links = list((pid / "fd").iterdir())
        except OSError:  # (gone, or another user's)
            continue
        for link in links:
            try:
                found = link.stat()
            except OSError:
                continue
            if (found.st_dev, found.st_ino) == (mine.st_dev, mine.st_ino):
                try:
                    command = (
                        (pid / "cmdline")
                        .read_bytes()
                        .replace(b"\0", b" ")
                        .decode("utf-8", "replace")
                    )
                except OSError:
                    command = "?"
                shown = " ".join(command.split()[:6])[:120]
                return f"process {pid.name} ({shown})"
    return None


def restore(source: Path, db_path: Path, now: datetime) -> RestoreReport:
    """Put a copy of `source` in the place of `db_path` (see the module's docstring). Raises
    StorageError, and changes nothing, when `source` cannot be restored."""
    problem = sqlite_file_problem(source)
    if problem is not None:
        raise StorageError(f"{source}: not restored: {problem}")
    if db_path.exists() and source.resolve() == db_path.resolve():
        raise StorageError(f"{source}: is the database itself; name a backup to restore")
    if readers := open_elsewhere(db_path):
        raise StorageError(
            f"{db_path}: not restored: {readers} has it open (stop it first: it would go on "
            "with what it read of the database replaced)"
        )
    partial = db_path.with_name(f".{db_path.name}.restoring")
    like = db_path if db_path.exists() else db_path.resolve().parent
    try:
        partial.unlink(missing_ok=True)  # what a killed run left
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        counts = _copied(source, partial)
        _take_owner(partial, like)
        kept = _set_aside(db_path, now)
        try:
            os.replace(partial, db_path)
        except OSError:
            if kept is not None:  # (the database back where it was)
                _rename_pair(kept, db_path)
            raise
        _sync_directory(db_path.parent)
    except OSError as exc:
        raise StorageError(f"{db_path}: not restored: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()
    snapshot = snapshot_path(db_path)
    if snapshot is not None:
        snapshot.unlink(missing_ok=True)  # the replaced database's grouping state
    return RestoreReport(source, db_path, kept, *counts)


def _lacking_tables(conn: sqlite3.Connection) -> list[str]:
    """The tables of this version's schema that `conn`'s database does not have."""
    from .store import Store

    fresh = Store(":memory:")
    try:
        wanted = {
            r[0] for r in fresh.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    finally:
        fresh.close()
    found = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return sorted(wanted - found)


def _copied(source: Path, dest: Path) -> tuple[int, int, int, str | None]:
    """Copy `source` into the empty file `dest`, written through to the disk, and return the
    copy's items, stories, feeds and newest item once it is known to be whole, an aggregator
    database, and of a schema this version knows."""
    try:
        integrity = copy_database(source, dest)
        if integrity != "ok":
            finding = f"integrity check: {integrity.splitlines()[0]}"
            raise StorageError(f"{source}: not restored: {_damaged(finding)}")
        conn = sqlite3.connect(dest)
        try:
            pending, newer = migrations.state(conn)
            if pending == migrations.names():
                raise StorageError(f"{source}: not restored: not an aggregator database")
            if newer:
                raise DatabaseUnusable(
                    f"{source}: not restored: written by a newer version of aggregator (its "
                    f"schema has {', '.join(newer)}, which this version does not know)"
                )
            if not pending and (lacking := _lacking_tables(conn)):
                # (a table dropped by hand: restored, every page and feed had failed "no
                # such table")
                raise StorageError(
                    f"{source}: not restored: its schema is this version's but it lacks "
                    f"{', '.join(lacking)}"
                )
            (items, newest), (stories,), (feeds,) = (
                conn.execute(sql).fetchone()
                for sql in (
                    "SELECT COUNT(*), MAX(first_seen) FROM items",
                    "SELECT COUNT(*) FROM stories",
                    "SELECT COUNT(*) FROM feeds",
                )
            )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if is_damaged(exc):  # (the backup is: not the database, which stays as it is)
            raise StorageError(f"{source}: not restored: {_damaged(str(exc))}") from None
        raise StorageError(f"{source}: not restored: {exc}") from exc
    fd = os.open(dest, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return items, stories, feeds, newest


def _damaged(finding: str) -> str:
    return (
        f"the file is damaged ({finding}); restore an older backup, or copy what it holds "
        "into a new file with `aggregator recover` and restore that"
    )


def _take_owner(path: Path, like: Path) -> None:
    """Give `path` the owner and permissions of the file it replaces (`like`; or, for none,
    the owner of the directory, and 0600): run as root for a service that runs as its own
    user, the restored file must be that user's, as the old one was."""
    found = like.stat()
    if like.is_file():
        os.chmod(path, found.st_mode & 0o666)
    if os.geteuid() == 0 and (found.st_uid, found.st_gid) != (0, 0):
        os.chown(path, found.st_uid, found.st_gid)


def _set_aside(db_path: Path, now: datetime) -> Path | None:
    """Rename the database and its write-ahead log (a pair: the log may hold its last
    writes) to `<db>.replaced-<time>`; drop its shared-memory index (made again from the
    log). None when there is no database."""
    if not db_path.exists():
        for suffix in ("-wal", "-shm"):  # (a log without its database is no one's)
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        return None
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    kept = db_path.with_name(f"{db_path.name}.replaced-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = db_path.with_name(f"{db_path.name}.replaced-{stamp}-{n}")
    _rename_pair(db_path, kept)
    db_path.with_name(db_path.name + "-shm").unlink(missing_ok=True)
    return kept


def _rename_pair(db: Path, to: Path) -> None:
    """Rename a database file and its write-ahead log, if any, together."""
    os.rename(db, to)
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        os.rename(wal, to.with_name(to.name + "-wal"))


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # (not every file system lets a directory be synced)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
