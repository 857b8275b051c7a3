"""Database upkeep on the store's connection: pruning for retention, online backups.

Split from `store.py` (the table-group split the architecture asks for); it works through a
`Store`'s connection and never opens sqlite-utils itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import itertools
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from .damage import is_damaged
from .errors import DatabaseDamaged, StorageError
from .retention import PRUNED_AT, PruneReport
from .store import BUSY_TIMEOUT_MS, Store, check_existing, to_iso
from .store_db import chunks, page_bytes, read_only_uri
from .store_read import (
    NEWEST_IN_CATEGORY,
    NEWEST_IN_CATEGORY_COVERED,
    NEWEST_PUBLISHED,
    NEWEST_PUBLISHED_COVERED,
)
from .store_rows import day_number, from_iso

_CHUNK = 400
BOUNCES_KEPT = timedelta(days=90)  # an address's bounces are shown by `status` this long
DROP_LIMIT = 20_000  # items whose near keys (or grouping features) one prune drops at most
BACKUP_STEP = 4096  # pages a copy takes between looks at whether the process stops (16 MiB)


def _kept(store: Store, keep_per_category: int, top_min_outlets: int = 2) -> set[str]:
    """Stories a feed may still publish, each category's and the all-stories feed's: their
    newest `keep_per_category`; their newest that many covered by several outlets (a feed
    carries those before newer single-outlet ones: `ranking.for_feed`); and the newest that
    many covered by `top_min_outlets` (the "top stories" flavour's, however far back)."""
    kept: set[str] = set()
    categories = [r["category"] for r in store.db.query(
        "SELECT DISTINCT category FROM story_categories"
    )]  # fmt: skip
    covered = sorted({2, max(2, top_min_outlets)})
    for name in [*categories, None]:
        where = [] if name is None else [name]
        newest = NEWEST_PUBLISHED if name is None else NEWEST_IN_CATEGORY
        kept.update(r["id"] for r in store.db.query(newest, [*where, keep_per_category]))
        shared = NEWEST_PUBLISHED_COVERED if name is None else NEWEST_IN_CATEGORY_COVERED
        for least in covered:
            rows = store.db.query(shared, [least, *where, keep_per_category])
            kept.update(r["id"] for r in rows)
    return kept


def newest_news(store: Store) -> datetime | None:
    """The newest time a feed dated an item (an item whose date is before it was first seen:
    the publisher's clock, not ours, which dates an undated item and one dated ahead of it);
    the newest first seen when no item has a date of its own; None when there is no item."""
    for sql in (
        "SELECT published FROM items WHERE published < first_seen ORDER BY published DESC LIMIT 1",
        "SELECT first_seen AS published FROM items ORDER BY first_seen DESC LIMIT 1",
    ):
        row = store.conn.execute(sql).fetchone()
        if row is not None and row[0]:
            return from_iso(row[0])
    return None


def prune(
    store: Store,
    now: datetime,
    before: datetime,
    forget_before: datetime,
    keep_per_category: int,
    held: AbstractSet[str] = frozenset(),
    near_before: datetime | None = None,
    terms_before: datetime | None = None,
    top_min_outlets: int = 2,
) -> PruneReport:
    """Delete stories quiet since `before` that no feed publishes (`_kept`: feeds of
    `keep_per_category` items, their top flavour of `top_min_outlets`) and the grouping window
    does not hold (`held`), with their items, summaries and categories; remember the items'
    and the stories' ids; forget ids remembered before `forget_before`; drop the
    near-duplicate keys and hashes of originals first seen before `near_before`
    (`drop_near`), and the grouping features of items first seen before `terms_before`
    (`drop_terms`); make the search index anew once its stale documents outnumber its
    current ones (`search_index.tidy`)."""
    edge = to_iso(before)
    kept = _kept(store, keep_per_category, top_min_outlets) | held
    candidates = {
        r["id"]: r["merged_into"]
        for r in store.db.query(
            "SELECT id, merged_into FROM stories WHERE "
            "COALESCE(last_item_at, first_seen, '') < ? AND COALESCE(updated, '') < ?",
            [edge, edge],
        )
        if r["id"] not in kept
    }
    # A merged story redirects to the one it joined: it goes when (and only when) that one
    # goes, however recently it was itself updated, or once that one is gone.
    going = {s for s, into in candidates.items() if into is None}
    doomed = sorted(going | (_redirects(store, going) - kept))
    stories = items = 0
    stamp = to_iso(now)
    for chunk in chunks(doomed, _CHUNK):
        marks = ",".join("?" * len(chunk))
        with store.db.atomic():
            ids = [
                r["id"]
                for r in store.db.query(f"SELECT id FROM items WHERE story_id IN ({marks})", chunk)
            ]
            for part in chunks(ids, _CHUNK):
                item_marks = ",".join("?" * len(part))
                for table, column in (
                    ("near_keys", "item_id"),
                    ("near_hashes", "item_id"),
                    ("item_terms", "item_id"),
                    ("articles", "item_id"),
                ):
                    store.db.execute(
                        f"DELETE FROM {table} WHERE {column} IN ({item_marks})", list(part)
                    )
                store.remember_pruned(part, now)
                store.db.execute(f"DELETE FROM items WHERE id IN ({item_marks})", list(part))
            for table in ("summaries", "story_categories", "digest_stories"):
                store.db.execute(f"DELETE FROM {table} WHERE story_id IN ({marks})", list(chunk))
            store.db.execute(f"DELETE FROM stories WHERE id IN ({marks})", list(chunk))
            store.conn.executemany(  # (their pages answer 410 Gone: `web`)
                "INSERT OR IGNORE INTO pruned_stories(id, day) VALUES (?, ?)",
                [(story_id, day_number(now)) for story_id in chunk],
            )
            stories += len(chunk)
            items += len(ids)
    with store.db.atomic():
        forgotten = store.forget_pruned(forget_before)
        store.db.execute("DELETE FROM pruned_stories WHERE day < ?", [day_number(forget_before)])
        store.db.execute("DELETE FROM digest_runs WHERE day < ?", [before.date().isoformat()])
        store.db.execute(  # (bounces no longer counted: `bounces.FORGET_AFTER`)
            "DELETE FROM digest_bounces WHERE last_day < ?",
            [(now - BOUNCES_KEPT).date().isoformat()],
        )
        store.db.execute(  # (checks of pictures no story shows: asked again if one does)
            "DELETE FROM picture_checks WHERE checked < ? AND url NOT IN "
            "(SELECT image FROM summaries WHERE image IS NOT NULL)",
            [edge],
        )
        store.db.table("meta").upsert({"key": PRUNED_AT, "value": stamp}, pk="key")
        if stories:
            store._bump_version()
    near = 0 if near_before is None else drop_near(store, near_before)
    terms = 0 if terms_before is None else drop_terms(store, terms_before)
    from .search_index import tidy  # (not loaded by a pass that prunes nothing)

    with store.db.atomic():
        stale = tidy(store.db.execute)
    return PruneReport(stories, items, max(forgotten, 0), near, terms, stale)


def _redirects(store: Store, going: AbstractSet[str]) -> set[str]:
    """The merged stories that would redirect nowhere: those whose story, followed through
    any chain of merges (a merge points at the new story those merged into the absorbed one,
    but an older database may hold a chain), is of `going` or no longer stored (pruned before
    merged stories went with theirs)."""
    into: dict[str, str] = {}
    gone: set[str] = set()  # (their own target is not stored)
    for r in store.db.query(
        "SELECT s.id, s.merged_into, t.id IS NULL AS gone FROM stories s "
        "LEFT JOIN stories t ON t.id = s.merged_into WHERE s.merged_into IS NOT NULL"
    ):
        into[r["id"]] = r["merged_into"]
        if r["gone"]:
            gone.add(r["id"])
    nowhere = set()
    for story, at in into.items():
        chain = [story]
        while at in into and at not in chain:  # (a cycle, never made, ends the walk)
            chain.append(at)
            at = into[at]
        if at in going or not gone.isdisjoint(chain):
            nowhere.add(story)
    return nowhere


def drop_near(store: Store, before: datetime, limit: int = DROP_LIMIT) -> int:
    """Drop what originals first seen before `before` keep to be found by near-identical
    copies (`near_keys`, `near_hashes`); how many originals (see `_drop_kept`). Their links,
    guids and text hashes still find exact copies."""
    return _drop_kept(store, "near_hashes", ("near_keys", "near_hashes"), before, limit)


def drop_terms(store: Store, before: datetime, limit: int = DROP_LIMIT) -> int:
    """Drop the grouping features of items first seen before `before` (`item_terms`): past
    the active window, no restore reads them; how many items (see `_drop_kept`)."""
    return _drop_kept(store, "item_terms", ("item_terms",), before, limit)


def _drop_kept(
    store: Store, kept: str, tables: tuple[str, ...], before: datetime, limit: int
) -> int:
    """Delete from `tables` the rows of items first seen before `before`, and of items no
    longer stored (a `recover` keeps such rows: these tables declare no foreign key), found
    through the `kept` table joined to their items (it holds the last days' items, not the
    history, so the cost follows the window), for at most `limit` items: the next prune goes
    on (the first after an upgrade meets a month of them, ~0.2 ms each here). A chunk a
    transaction; the tables are the items' own, so new rows reuse the pages freed."""
    ids = [
        r[0]
        for r in store.conn.execute(
            f"SELECT k.item_id FROM {kept} k LEFT JOIN items i ON i.id = k.item_id "
            "WHERE i.id IS NULL OR i.first_seen < ? LIMIT ?",
            [to_iso(before), limit],
        )
    ]
    for part in chunks(ids, _CHUNK):
        marks = ",".join("?" * len(part))
        with store.db.atomic():
            for table in tables:
                store.db.execute(f"DELETE FROM {table} WHERE item_id IN ({marks})", list(part))
    return len(ids)


@dataclass(slots=True)
class NewFile:
    """`new_database_file`'s file: `partial` to fill; `dest`, the name it takes at the end."""

    partial: Path
    dest: Path


@contextlib.contextmanager
def new_database_file(
    db_path: Path, dest: Path, rule: str, more: Iterable[Path] = ()
) -> Iterator[NewFile]:
    """A file to fill with a copy of `db_path` that becomes `dest` when the block ends well
    (or the first of `more` free then, when another process took `dest` meanwhile: two
    backups into one directory in one second).

    It is made beside `dest` (a partial name of its own, removed in any case: two copies at
    once had shared one, each removing the other's) with the database's own permissions,
    which the umask may only narrow: a copy is never more readable than the database it
    copies (the unit's UMask=0077 one holds private feeds' logins). `dest` is never
    overwritten, also by a file that took the name meanwhile (a hard link cannot replace one;
    where the file system has none, a rename): the refusal says `rule`.
    """
    if dest.exists():
        raise StorageError(f"{dest}: already exists; give a new name ({rule})")
    partial: Path | None = None
    handle = -1
    try:
        _remove_left_partials(dest)
        mode = db_path.stat().st_mode & 0o666  # (the umask narrows it as the file is made)
        partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
        handle = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)
        fcntl.flock(handle, fcntl.LOCK_EX)  # (held while it is filled: not a leftover)
        made = NewFile(partial, dest)
        yield made
        for name_to_take in itertools.chain([dest], more):
            try:
                os.link(partial, name_to_take)
            except FileExistsError:
                continue
            except OSError:
                os.replace(partial, name_to_take)
            made.dest = name_to_take
            return
        raise StorageError(f"{dest}: already exists; give a new name ({rule})")
    except OSError as exc:
        raise StorageError(f"{dest}: cannot write: {exc.strerror or exc}") from exc
    finally:
        if partial is not None:
            for leftover in (partial, Path(f"{partial}-journal")):  # (SQLite's, of a failed copy)
                with contextlib.suppress(OSError):
                    leftover.unlink()
        if handle >= 0:
            os.close(handle)


def _remove_left_partials(dest: Path) -> None:
    """Remove the partial files of `dest` that a killed copy left (`.NAME.*.partial`, and
    the one name all copies shared before), not one another process is filling: each holds
    an `flock` on its own while it fills it, which its death releases."""
    for left in dest.parent.glob(f".{glob.escape(dest.name)}*.partial"):
        with contextlib.suppress(OSError):
            handle = os.open(left, os.O_RDONLY)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                left.unlink()
                Path(f"{left}-journal").unlink(missing_ok=True)
            finally:
                os.close(handle)


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    bytes: int
    integrity: str


def integrity_failure(integrity: str) -> str:
    """What a failed integrity check of a backup says: its first finding and how many more
    (the command adds that the database it copies is damaged: the copy holds its pages)."""
    findings = [line for line in integrity.splitlines() if line and not line.startswith("***")]
    more = f", and {len(findings) - 1} more" if len(findings) > 1 else ""
    first = findings[0] if findings else integrity
    return f"the copy failed its integrity check ({first}{more})"


class Stopping(Protocol):
    """Whether the process is stopping (a `threading.Event`)."""

    def is_set(self) -> bool: ...


class CopyStopped(StorageError):
    """A copy given up because the process stops; nothing of it is left."""


def copy_database(source: Path, dest: Path, stopping: Stopping | None = None) -> str:
    """Copy the database `source` (read-only, its write-ahead log included) into the empty
    file `dest` as one self-contained file, and return `dest`'s `PRAGMA integrity_check`.

    Under one read transaction over the whole copy, so the service's writes (WAL) go on
    beside it and never restart it, as they would between steps taking a read transaction
    each (a large database, written every few seconds, might never finish); in steps of
    `BACKUP_STEP` pages, between which `stopping` is looked at: CopyStopped once it is set
    (the integrity check is cut short too), so a stop does not wait for the whole copy."""

    def look(*_: object) -> int:
        if stopping is not None and stopping.is_set():
            raise CopyStopped(f"{source}: copy stopped: the process stops")
        return 0

    reader = sqlite3.connect(read_only_uri(source), uri=True, isolation_level=None)
    try:
        reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        target = sqlite3.connect(dest)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # (its snapshot)
            reader.backup(target, pages=BACKUP_STEP, progress=look)
            reader.execute("COMMIT")
            look()
            target.execute("PRAGMA journal_mode = DELETE")
            if stopping is not None:
                target.set_progress_handler(lambda: stopping.is_set(), 100_000)
            try:
                return str(target.execute("PRAGMA integrity_check").fetchone()[0])
            except sqlite3.OperationalError:
                look()  # (interrupted by the handler: stopped)
                raise
        finally:
            target.close()
    finally:
        reader.close()


def backup(
    db_path: Path, dest: Path, now: datetime | None = None, stopping: Stopping | None = None
) -> BackupReport:
    """An online copy of the database at `dest` (a file, or a directory to put a dated file
    in), taken with SQLite's backup API while the service keeps running; the copy is checked
    with `PRAGMA integrity_check` before it gets its final name. A dated name already taken
    (two backups in one second) gets "-2", "-3", …: a directory always receives a new file.
    CopyStopped, and no file, once `stopping` is set (`copy_database`)."""
    check_existing(db_path)
    more: Iterator[Path] = iter(())
    if dest.is_dir():
        moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        folder = dest
        names = (
            folder / f"aggregator-{moment}{f'-{n}' if n > 1 else ''}.db" for n in itertools.count(1)
        )
        dest = next(path for path in names if not path.exists())
        more = names  # (the names after it, should another backup take it meanwhile)
    with new_database_file(db_path, dest, "backups never overwrite", more) as made:
        partial = made.partial
        try:
            integrity = copy_database(db_path, partial, stopping)
        except sqlite3.Error as exc:
            if is_damaged(exc):  # (the backup API reads the pages it copies)
                raise StorageError(f"{db_path}: not backed up ({dest} not written): {exc}") from exc
            raise StorageError(f"{dest}: backup failed: {exc}") from exc
        if integrity != "ok":
            raise DatabaseDamaged(
                f"{db_path}: not backed up ({dest} not written): {integrity_failure(integrity)}"
            )
    return BackupReport(made.dest, made.dest.stat().st_size, integrity)


@dataclass(frozen=True, slots=True)
class CompactReport:
    before: int  # bytes of the database file and its write-ahead log
    after: int
    in_use: int  # bytes of the pages in use before (packed closer, they take less after)
    wal_left: int  # bytes left in the write-ahead log: a reader kept the old pages


def _file_bytes(db_path: Path) -> int:
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def compact(db_path: Path) -> CompactReport:
    """Give the database's free pages back to the file system (SQLite's VACUUM), the caller
    holding the writer lock. SQLite reuses a freed page, so a database stops growing once
    retention runs, but its file keeps the size it grew to (after an upgrade that stores
    less, or a big retention pass). The data, the grouping generation and every id stay as
    they were, so a grouping snapshot still stands; readers (`serve`) may keep reading.
    It needs free space about twice the pages in use (the vacuumed copy is built in SQLite's
    temporary directory, then written through the write-ahead log); failing, nothing
    changed. A reader in the middle of a read keeps the old pages until it is done: then the
    write-ahead log stays (`wal_left`) and the file shrinks at the next checkpoint (once the
    service writes again, or as a writer closes)."""
    check_existing(db_path)
    before = _file_bytes(db_path)
    store = Store(db_path)
    try:
        size, free = page_bytes(store.conn)
        in_use = size - free
        try:
            store.conn.execute("VACUUM")
        except sqlite3.Error as exc:
            if is_damaged(exc):
                raise DatabaseDamaged(f"{db_path}: not compacted: {exc}") from exc
            need = f"{2 * in_use / 2**20:,.0f} MB"
            raise StorageError(
                f"{db_path}: not compacted, nothing changed: {exc} (it needs about {need} "
                "free: beside the database, and in SQLite's temporary directory, "
                "$SQLITE_TMPDIR or else /var/tmp)"
            ) from exc
    finally:
        store.close()  # (the write-ahead log copied in and emptied)
    after = _file_bytes(db_path)
    return CompactReport(before, after, in_use, after - db_path.stat().st_size)
