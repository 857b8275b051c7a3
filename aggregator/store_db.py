"""Opening the SQLite database, and the part of the writer all its pieces share.

The store modules' one import of sqlite-utils (the other `store_*` modules use the `Database`
opened here); `migrations` applies the schema.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import StorageError


def _import_sqlite_utils() -> None:
    """Import sqlite-utils without pandas and numpy: it loads them, when installed, only to
    map their column types (values we never store), which cost ~70 ms (numpy) to seconds
    (pandas) at every start, a large part of a `poll --once` that finds nothing new."""
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import sqlite_utils.db  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


_import_sqlite_utils()
from sqlite_utils import Database  # noqa: E402

from .migrations import migrations  # noqa: E402

BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another writer's lock before failing
_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_locked(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's "database is locked/busy": worth waiting and trying again."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)


def check_existing(path: str | Path) -> None:
    """Raise StorageError unless `path` is an existing SQLite file (for commands that only read).

    Opening a missing or empty file would silently create a new, empty database instead.
    """
    where = Path(path)
    if not where.exists():
        raise StorageError(
            f"{where}: no database there (check --db; `aggregator run` or `poll --once` "
            "creates one)"
        )
    if where.is_dir():
        raise StorageError(f"{where}: is a directory, not a database file")
    try:
        with where.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StorageError(f"{where}: cannot read database: {exc.strerror or exc}") from exc
    if not head:
        raise StorageError(f"{where}: empty file, not a database (check --db)")
    if head != _SQLITE_MAGIC:
        raise StorageError(f"{where}: not an SQLite database (check --db)")


def connect(path: str | Path, *, readonly: bool = False) -> Database:
    try:
        if readonly and str(path) != ":memory:":
            conn = sqlite3.connect(
                f"file:{Path(path).resolve()}?mode=ro", uri=True, check_same_thread=False
            )
        else:
            conn = sqlite3.connect(str(path), check_same_thread=False)
        # Autocommit: every write goes through Database.atomic(), which issues BEGIN/COMMIT.
        conn.isolation_level = None
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # No sqlite-utils plugins: a plugin installed for the `sqlite-utils` tool must not
        # change our connection, and looking for them scans every installed package's entry
        # points (~15-30 ms of each start).
        return Database(conn, execute_plugins=False)
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: cannot open database: {exc}") from exc


def prepare(db: Database, path: str | Path) -> None:
    """Make a freshly opened write connection ready: WAL mode, the schema migrated, a check
    that it can be written. Closes `db` and raises StorageError when it cannot be."""
    try:
        if str(path) != ":memory:":
            db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
        _check_writable(db)
    except sqlite3.Error as exc:
        db.close()
        if is_locked(exc):
            raise StorageError(
                f"{path}: database is locked by another program (waited "
                f"{BUSY_TIMEOUT_MS // 1000} s)"
            ) from exc
        if "readonly" in str(exc):
            raise StorageError(
                f"{path}: database is read-only ({exc}); it must be writable (check the "
                "permissions of the file and of its directory)"
            ) from exc
        raise StorageError(f"{path}: cannot prepare database: {exc}") from exc


def _check_writable(db: Database) -> None:
    """Fail now, clearly, if the database cannot be written (a read-only file or mount)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute(f"PRAGMA user_version = {int(version)}")  # a write that changes nothing


IN_CHUNK = 500  # ids in one `IN (...)` list, well under SQLite's limit on variables


def chunks(values: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    """`values` in slices of at most `size`, one `IN (...)` list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class StoreBase:
    """What the writer's parts share: the write connection and its raw queries."""

    path: str
    db: Database

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        return self.db.query(sql, params)

    def _rows_in(self, sql: str, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Rows of `sql`, whose `{marks}` is an `IN` list, over `ids` a chunk at a time."""
        for chunk in chunks(list(ids)):
            yield from self._rows(sql.replace("{marks}", ",".join("?" * len(chunk))), chunk)

    def _bump_version(self) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES ('version', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def transaction(self) -> Any:
        """A context manager grouping several writes into one transaction."""
        return self.db.atomic()
