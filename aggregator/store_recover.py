"""`aggregator recover`: what a damaged database file still holds, copied into a new file.

SQLite's own `.recover` needs a shell built with its page-reading table, which distributions'
`sqlite3` often lack; this needs only Python's `sqlite3`. It reads the damaged file's schema,
makes the same tables and indexes in a new file, and copies every table in row order; where a
damaged page stops a read, it skips ahead to the next row it can reach (doubling the jump,
then halving it back to the first readable row) and goes on. Rows whose parent row was lost
(an item whose story row is gone) are dropped, as the foreign keys ask. The copy gets a new
store id, so no grouping snapshot of the old file is taken for it (the window is rebuilt from
the rows), and when rows were lost its feeds are due at once without their validators, so the
next poll brings back the lost items their feeds still carry. The copy must pass
`PRAGMA integrity_check` before it gets its name.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .damage import is_damaged
from .errors import StorageError
from .search_index import is_index_table, is_shadow
from .search_index import rebuild as rebuild_search
from .store_db import check_existing, read_only_uri
from .store_upkeep import new_database_file

__all__ = ["RecoverReport", "TableReport", "recover"]

_FIRST_ROWID = -(2**63)
_LAST_ROWID = 2**63 - 1
_BATCH = 2000  # rows inserted at once


@dataclass(frozen=True, slots=True)
class TableReport:
    name: str
    copied: int
    counted: int | None  # the damaged file's own count of the table's rows, when it could say
    damaged: bool  # reading it met damage


@dataclass(frozen=True, slots=True)
class RecoverReport:
    path: Path
    tables: list[TableReport] = field(default_factory=list)
    orphans: int = 0  # rows dropped because the row they belong to was lost

    @property
    def whole(self) -> bool:
        return not self.orphans and not any(t.damaged for t in self.tables)


def recover(db_path: Path, dest: Path) -> RecoverReport:
    """Copy what `db_path` still holds into the new file `dest` (never overwritten)."""
    check_existing(db_path)
    with new_database_file(db_path, dest, "recover never overwrites") as made:
        partial = made.partial
        try:
            source = sqlite3.connect(read_only_uri(db_path), uri=True)
            target = sqlite3.connect(partial, isolation_level=None)
            try:
                report = _copy(source, target, dest)
                integrity = target.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                target.close()
                source.close()
        except sqlite3.Error as exc:
            raise StorageError(f"{dest}: cannot recover: {exc}") from exc
        if integrity != "ok":
            raise StorageError(f"{dest}: the copy failed its integrity check: {integrity}")
    return report


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, dest: Path) -> RecoverReport:
    try:
        schema = source.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
            "ORDER BY rowid"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        if not is_damaged(exc):
            raise
        raise StorageError(
            f"{dest}: nothing can be recovered: the file's list of tables is itself damaged "
            f"({exc}); restore a backup"
        ) from exc
    tables = [(name, sql) for kind, name, _, sql in schema if kind == "table"]
    own = [(name, sql) for name, sql in tables if not name.startswith("sqlite_")]
    target.execute("PRAGMA foreign_keys = OFF")
    target.execute("BEGIN")
    for name, sql in own:  # (FTS5's tables behind the search index come with it)
        if not is_shadow(name):
            target.execute(sql)
    # The search index is made anew from the summaries at the end, not copied: a damaged
    # index would answer wrong, and its triggers fire on the copy's deletions.
    own = [(name, sql) for name, sql in own if not is_index_table(name)]
    # unique indexes first, so a row read twice is kept once; triggers last, so copying rows
    # fires none of them
    for kind, _, _, sql in schema:
        if kind == "index":
            target.execute(sql)
    reports = [_copy_table(source, target, name) for name, _ in own]
    if any(name == "sqlite_sequence" for name, _ in tables):
        with contextlib.suppress(sqlite3.DatabaseError):
            rows = source.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
            target.execute("DELETE FROM sqlite_sequence")
            target.executemany("INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)", rows)
    for kind, _, _, sql in schema:
        if kind in ("trigger", "view"):
            target.execute(sql)
    orphans = _drop_orphans(target)
    rebuild_search(target.execute)
    report = RecoverReport(dest, reports, orphans)
    with contextlib.suppress(sqlite3.OperationalError):  # (a file of another schema)
        # a new store: no grouping snapshot of the old one fits it
        target.execute("UPDATE meta SET value = lower(hex(randomblob(16))) WHERE key = 'store_id'")
        if not report.whole:
            # items were lost: every feed is asked in full at once (no validators, no body
            # to compare), so the lost items its feed still carries come back
            target.execute(
                "UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL, "
                "next_poll_at = NULL"
            )
    target.execute("COMMIT")
    return report


def _copy_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> TableReport:
    quoted = '"' + table.replace('"', '""') + '"'
    columns = [row[1] for row in source.execute(f"PRAGMA table_info({quoted})")]
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    insert = (
        f"INSERT OR IGNORE INTO {quoted}(rowid, {names}) "
        f"VALUES ({', '.join('?' * (len(columns) + 1))})"
    )
    reader = _Rows(source, f"SELECT rowid, {names} FROM {quoted}")
    copied = 0
    batch: list[tuple[object, ...]] = []
    for row in reader:
        batch.append(row)
        if len(batch) >= _BATCH:
            copied += _insert(target, insert, batch)
    copied += _insert(target, insert, batch)
    try:
        counted: int | None = source.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
    except sqlite3.DatabaseError:
        counted = None
    return TableReport(table, copied, counted, reader.damaged)


def _insert(target: sqlite3.Connection, sql: str, batch: list[tuple[object, ...]]) -> int:
    before = target.total_changes
    target.executemany(sql, batch)
    batch.clear()
    return target.total_changes - before


class _Rows:
    """A table's rows in rowid order, skipping what damaged pages hide."""

    def __init__(self, conn: sqlite3.Connection, select: str) -> None:
        self.conn, self.select = conn, select
        self.damaged = False

    def __iter__(self) -> Iterator[tuple[object, ...]]:
        start = _FIRST_ROWID  # the first rowid not yet read
        while True:
            try:
                for row in self.conn.execute(
                    f"{self.select} WHERE rowid >= ? ORDER BY rowid", (start,)
                ):
                    yield row
                    if row[0] >= _LAST_ROWID:
                        return
                    start = row[0] + 1
                return
            except sqlite3.DatabaseError as exc:
                if not is_damaged(exc):
                    raise
                self.damaged = True
                found = self._next_readable(start)
                if found is None:
                    return
                start = found

    def _reaches(self, rowid: int) -> bool:
        """Whether a read from `rowid` on gets past the damage (to a row, or to the end)."""
        try:
            self.conn.execute(
                f"{self.select} WHERE rowid >= ? ORDER BY rowid LIMIT 1", (rowid,)
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            if not is_damaged(exc):
                raise
            return False
        return True

    def _next_readable(self, failed: int) -> int | None:
        """A rowid past `failed` from which reading works again: jumps that double until
        one gets past the damage, then halved back towards the damage."""
        step = 1
        while True:
            if failed + step > _LAST_ROWID:
                return None
            if self._reaches(failed + step):
                break
            step *= 2
        bad, good = failed + step // 2, failed + step
        while good - bad > 1:
            middle = (bad + good) // 2
            if self._reaches(middle):
                good = middle
            else:
                bad = middle
        return good


def _drop_orphans(target: sqlite3.Connection) -> int:
    """Delete rows whose parent row was lost (what the foreign keys promise), over and over
    until none is left (an item's summary goes with the item). Returns how many."""
    dropped = 0
    while True:
        found = target.execute("PRAGMA foreign_key_check").fetchall()
        if not found:
            return dropped
        for table, rowid, _, _ in found:
            quoted = '"' + table.replace('"', '""') + '"'
            dropped += target.execute(f"DELETE FROM {quoted} WHERE rowid = ?", (rowid,)).rowcount
