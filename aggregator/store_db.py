"""Opening the SQLite database, and the part of the writer all its pieces share.

The store modules' one import of sqlite-utils (the other `store_*` modules use the `Database`
made here); `migrations` holds the schema. sqlite-utils loads when first used: a writer whose
database is up to date reads and writes feed state on the plain connection, so a
`poll --once` whose feeds all answer 304 never imports it (it was a tenth of such a pass).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DatabaseUnusable, StorageError
from .migrations import migrations
from .private_files import create_file

if TYPE_CHECKING:
    from sqlite_utils import Database


def _import_sqlite_utils() -> None:
    """Import sqlite-utils without pandas and numpy: it loads them, when installed, only to
    map their column types (values we never store), which cost ~70 ms (numpy) to seconds
    (pandas) at every start, a large part of a `poll --once` that finds nothing new."""
    if "sqlite_utils.db" in sys.modules:
        return
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import sqlite_utils.db  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another writer's lock before failing
# Bytes the write-ahead log is cut back to once the writer starts it over (after a checkpoint):
# a pass's big transaction (a cold pass's grouping) grows it, and SQLite keeps the file at its
# largest until the connection closes.
WAL_SIZE_LIMIT = 16 * 2**20
_SQLITE_MAGIC = b"SQLite format 3\x00"


# What the machine, not the code, does to a database: the disk full, an I/O error, a file made
# read-only or removed, a damaged file. Each says so in a line; no traceback, no crash.
_STORAGE_FAULTS = (
    ("SQLITE_FULL", "database or disk is full"),
    ("SQLITE_IOERR", "disk I/O error"),
    ("SQLITE_READONLY", "readonly database"),
    ("SQLITE_CANTOPEN", "unable to open database file"),
    ("SQLITE_CORRUPT", "database disk image is malformed"),
    ("SQLITE_NOTADB", "file is not a database"),
)


def storage_fault(exc: BaseException) -> str | None:
    """SQLite's own words when `exc` is a fault of the storage (a full disk, an I/O error, a
    read-only or damaged file), else None (a locked database, a bug)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    for code, words in _STORAGE_FAULTS:
        if name.startswith(code) or words in text:
            return text or words
    return None


def storage_fault_in(exc: BaseException) -> str | None:
    """`storage_fault` of `exc`, or of the SQLite error it was raised from (a StorageError
    that says one): what a command or a page met, whoever wrapped it."""
    found = storage_fault(exc)
    if found is None and exc.__cause__ is not None:
        found = storage_fault(exc.__cause__)
    return found


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
    problem = sqlite_file_problem(where)
    if problem is not None:
        raise StorageError(f"{where}: {problem}{_HINTS.get(problem, '')}")


_HINTS = {
    "no database there": " (check --db; `aggregator run` or `poll --once` creates one)",
    "empty file, not a database": " (check --db)",
    "not an SQLite database": " (check --db)",
}


def sqlite_file_problem(where: Path) -> str | None:
    """Why `where` is not an existing SQLite file, in words ("no database there", "not an
    SQLite database", …); None when it is one."""
    if not where.exists():
        return "no database there"
    if where.is_dir():
        return "is a directory, not a database file"
    try:
        with where.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        return f"cannot read database: {exc.strerror or exc}"
    if not head:
        return "empty file, not a database"
    if head != _SQLITE_MAGIC:
        return "not an SQLite database"
    return None


def read_only_uri(path: str | Path) -> str:
    """The `file:` URI that opens `path` read-only, percent-encoded: a "#", "?" or "%" in
    the path is part of its name (written as is, "news#1/agg.db" opened "news")."""
    return f"{Path(path).resolve().as_uri()}?mode=ro"


def open_connection(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection set up as the store uses it (autocommit, busy timeout, foreign keys and
    recursive triggers, as sqlite-utils' `Database` sets them). A database it makes is its
    owner's alone (`private_files`: it holds the sign-up key, readers' and feeds' logins)."""
    if not readonly and str(path) not in {"", ":memory:"}:
        with contextlib.suppress(OSError):  # (no directory there: SQLite says so, below)
            create_file(os.path.realpath(path))  # (empty: SQLite makes it a new database)
    try:
        if readonly and str(path) != ":memory:":
            conn = sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)
        else:
            conn = sqlite3.connect(str(path), check_same_thread=False)
        # Autocommit: every write goes through a transaction block, which issues BEGIN/COMMIT.
        conn.isolation_level = None
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA recursive_triggers = ON")
        return conn
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: {_not_opened(path, exc)}") from exc


def _not_opened(path: str | Path, exc: sqlite3.Error) -> str:
    """Why SQLite could not open `path`: a directory is said as one (a `--db` given the
    data directory), as `check_existing` says it, not as SQLite's "unable to open database
    file"."""
    if Path(path).is_dir():
        return "is a directory, not a database file (check --db: name the file in it)"
    return f"cannot open database: {exc}"


def database(conn: sqlite3.Connection) -> Database:
    """sqlite-utils' `Database` over `conn` (sqlite-utils is imported now, if not yet)."""
    _import_sqlite_utils()
    from sqlite_utils import Database

    # No sqlite-utils plugins: a plugin installed for the `sqlite-utils` tool must not
    # change our connection, and looking for them scans every installed package's entry
    # points (~15-30 ms of each start).
    return Database(conn, execute_plugins=False)


def connect(path: str | Path, *, readonly: bool = False) -> Database:
    conn = open_connection(path, readonly=readonly)
    try:
        return database(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise StorageError(f"{path}: cannot open database: {exc}") from exc


def prepare(store: StoreBase, path: str | Path) -> None:
    """Make a freshly opened write connection ready: WAL mode, the schema migrated, a check
    that it can be written. Closes it and raises StorageError when it cannot be."""
    conn = store.conn
    try:
        if str(path) != ":memory:":
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        pending, newer = migrations.state(conn)
        if newer:  # its schema is not this code's: neither migrate nor write it
            conn.close()
            raise DatabaseUnusable(
                f"{path}: written by a newer version of aggregator (its schema has "
                f"{', '.join(newer)}, which this version does not know); run that version "
                "again, or restore a backup taken before it was installed"
            )
        if pending:
            migrations.apply(store.db)
        _check_writable(conn)
    except sqlite3.Error as exc:
        conn.close()
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


def _check_writable(conn: sqlite3.Connection) -> None:
    """Fail now, clearly, if the database cannot be written (a read-only file or mount)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute(f"PRAGMA user_version = {int(version)}")  # a write that changes nothing


IN_CHUNK = 500  # ids in one `IN (...)` list, well under SQLite's limit on variables


# An item's grouping features, stored as it is grouped, or worked out again (`item_terms`).
KEEP_TERMS = "INSERT OR REPLACE INTO item_terms(item_id, terms) VALUES (?, ?)"


def page_bytes(conn: sqlite3.Connection) -> tuple[int, int]:
    """Bytes of the database's pages, and of those free (SQLite reuses them as it grows;
    `aggregator compact` gives them back to the disk)."""
    count, free, size = (
        int(conn.execute(f"PRAGMA {name}").fetchone()[0])
        for name in ("page_count", "freelist_count", "page_size")
    )
    return count * size, free * size


def chunks(values: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    """`values` in slices of at most `size`, one `IN (...)` list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def unique_keys(names: Iterable[str]) -> list[str]:
    """Column names made unique as sqlite-utils makes them for its row dictionaries: a
    repeated name gets ``_2``, ``_3``… (skipping a suffix another column already has)."""
    keys = list(names)
    taken = set(keys)
    if len(taken) == len(keys):
        return keys
    seen: set[str] = set()
    out = []
    for key in keys:
        if key in seen:
            new, suffix = key, 2
            while new in seen or new in taken:
                new, suffix = f"{key}_{suffix}", suffix + 1
            key = new
        seen.add(key)
        out.append(key)
    return out


class StoreBase:
    """What the writer's parts share: the write connection and its raw queries."""

    path: str
    conn: sqlite3.Connection
    _database: Database | None = None

    @property
    def db(self) -> Database:
        """sqlite-utils' `Database` over the write connection, made when first used (its
        table API: upserts, updates, schema changes)."""
        if self._database is None:
            self._database = database(self.conn)
        return self._database

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """The rows of a query as dictionaries (the statement runs now, rows are read as
        iterated), as sqlite-utils' `Database.query` gives them."""
        cursor = self.conn.execute(sql, params)
        if cursor.description is None:
            raise ValueError(f"not a query that returns rows: {sql[:60]!r}")
        keys = unique_keys(column[0] for column in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    def _rows_in(self, sql: str, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Rows of `sql`, whose `{marks}` is an `IN` list, over `ids` a chunk at a time."""
        for chunk in chunks(list(ids)):
            yield from self._rows(sql.replace("{marks}", ",".join("?" * len(chunk))), chunk)

    def meta_values(self, keys: Sequence[str]) -> dict[str, str]:
        """The values of those meta `keys` that are set."""
        marks = ", ".join("?" * len(keys))
        rows = self.conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys)
        return dict(rows.fetchall())

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    def drop_meta(self, key: str) -> None:
        """Remove the meta `key` (nothing when it is not set)."""
        self.conn.execute("DELETE FROM meta WHERE key = ?", [key])

    def _bump_version(self) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES ('version', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes into one transaction, as sqlite-utils' `atomic()` does: BEGIN
        and COMMIT (ROLLBACK on any error); inside an open transaction, a savepoint."""
        conn = self.conn
        if conn.in_transaction:
            self._savepoints = getattr(self, "_savepoints", 0) + 1
            name = f"store_{self._savepoints}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                if conn.in_transaction:  # the error may have ended the transaction
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        # IMMEDIATE: the write lock is taken now, waiting (`busy_timeout`) if it must. A
        # deferred BEGIN takes it at the first write after its reads, where SQLite cannot
        # wait (the reads' snapshot may be stale): another program's write, or a reader
        # holding the lock a moment while it rebuilds the WAL's index, failed the
        # transaction at once with "database is locked".
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
