"""SQLite storage: the only module importing sqlite-utils.

One `Store` owns the single write connection (WAL mode); the service calls it from one writer
thread only. `Reader` gives any number of threads their own read-only connections, which never
block the writer.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .dedupe import near_keys
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
from .models import Bullet, FeedState, Item, Source, SourceRef, Story, Summary  # noqa: E402

# --- value conversion -------------------------------------------------------------------------


def to_iso(value: datetime | None) -> str | None:
    """UTC ISO-8601 with second precision: sorts correctly as text."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def from_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_ITEM_COLUMNS = (
    "id feed_url guid url canonical_url title text author published first_seen outlet "
    "outlet_name category content_hash story_id duplicate_of"
).split()


def _item_row(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "feed_url": item.feed_url,
        "guid": item.guid,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "title": item.title,
        "text": item.text,
        "author": item.author,
        "published": to_iso(item.published),
        "first_seen": to_iso(item.first_seen),
        "outlet": item.outlet,
        "outlet_name": item.outlet_name,
        "category": item.category,
        "content_hash": item.content_hash,
        "story_id": item.story_id,
        "duplicate_of": item.duplicate_of,
    }


_INSERT_ITEM = (
    f"INSERT INTO items ({', '.join(_ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(_ITEM_COLUMNS))})"
)
_FEED_COLUMNS = (
    "url etag last_modified body_hash status http_status error error_count last_polled_at "
    "last_success_at next_poll_at moved_to title link language"
).split()
_UPSERT_FEED = (
    f"INSERT INTO feeds ({', '.join(_FEED_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_FEED_COLUMNS))}) ON CONFLICT(url) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _FEED_COLUMNS[1:])
)


def _item_values(item: Item) -> tuple[Any, ...]:
    row = _item_row(item)
    return tuple(row[c] for c in _ITEM_COLUMNS)


def _item(row: dict[str, Any]) -> Item:
    return Item(
        id=row["id"],
        title=row["title"] or "",
        text=row["text"] or "",
        url=row["url"],
        canonical_url=row["canonical_url"],
        feed_url=row["feed_url"],
        guid=row["guid"],
        author=row["author"],
        published=from_iso(row["published"]),
        first_seen=from_iso(row["first_seen"]),
        outlet=row["outlet"] or "",
        outlet_name=row["outlet_name"] or "",
        category=row["category"] or "",
        content_hash=row["content_hash"] or "",
        story_id=row["story_id"],
        duplicate_of=row["duplicate_of"],
    )


def _feed_state(row: dict[str, Any]) -> FeedState:
    return FeedState(
        url=row["url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        status=row["status"],
        http_status=row["http_status"],
        error=row["error"],
        error_count=row["error_count"] or 0,
        last_polled_at=from_iso(row["last_polled_at"]),
        last_success_at=from_iso(row["last_success_at"]),
        next_poll_at=from_iso(row["next_poll_at"]),
        moved_to=row["moved_to"],
        title=row["title"],
        link=row["link"],
        language=row.get("language"),
    )


def _summary_json(summary: Summary) -> tuple[str, str]:
    bullets = [{"text": b.text, "sources": list(b.sources)} for b in summary.bullets]
    sources = [
        {
            "outlet": s.outlet,
            "title": s.title,
            "url": s.url,
            "published": to_iso(s.published),
            "item_id": s.item_id,
            **({"label": s.label} if s.label else {}),
        }
        for s in summary.sources
    ]
    return json.dumps(bullets, ensure_ascii=False), json.dumps(sources, ensure_ascii=False)


def _summary(row: dict[str, Any]) -> Summary:
    bullets = tuple(Bullet(b["text"], tuple(b["sources"])) for b in json.loads(row["bullets"]))
    sources = tuple(
        SourceRef(
            outlet=s["outlet"],
            title=s["title"],
            url=s["url"],
            published=from_iso(s["published"]),
            item_id=s.get("item_id"),
            label=s.get("label", ""),
        )
        for s in json.loads(row["sources"])
    )
    return Summary(row["headline"], bullets, sources, row["outlet_count"], row["method"])


def _change_time(
    summary: Summary, previous: datetime | None, version: int | None, now: datetime
) -> datetime:
    """When a story materially changed: the time of the newest source that caused it (never in
    the future), so stories made in one poll don't all share one `updated`. A change no newer
    source explains (an edited item, a re-summary) happened now."""
    dates = [s.published for s in summary.sources if s.published is not None]
    when = min(now, max(dates)) if dates else now
    if version and previous is not None and when <= previous:
        return previous + timedelta(seconds=1) if now <= previous else now
    return when


@dataclass(frozen=True, slots=True)
class PollWrite:
    """What one feed's poll changed in the items table."""

    new: int
    updated: int


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


def _connect(path: str | Path, *, readonly: bool = False) -> Database:
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
        return Database(conn)
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: cannot open database: {exc}") from exc


class Store:
    """The single writer. Not thread-safe: call it from one thread (the service's writer)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self.db = _connect(path)
        try:
            if self.path != ":memory:":
                self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
            migrations.apply(self.db)
            self._check_writable()
        except sqlite3.Error as exc:
            self.db.close()
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

    def _check_writable(self) -> None:
        """Fail now, clearly, if the database cannot be written (a read-only file or mount)."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        self.db.execute(f"PRAGMA user_version = {int(version)}")  # a write that changes nothing

    def close(self) -> None:
        self.db.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        return self.db.query(sql, params)

    def _bump_version(self) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES ('version', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # --- sources and feeds ----------------------------------------------------------------

    def sync_sources(self, sources: Sequence[Source], now: datetime) -> tuple[int, int]:
        """Make the sources table match the OPML. Returns (added, removed).

        Removed sources are marked inactive (never polled again); their items stay. A source
        added (or added back) is due at once, whatever its old schedule or backoff. A source
        moved to another category takes its items along, and their stories are re-filed.
        """
        with self.db.atomic():
            before = {r["url"]: r for r in self._rows("SELECT * FROM sources")}
            wanted = {s.url for s in sources}
            added = 0
            changed = False
            for position, source in enumerate(sources):
                old = before.get(source.url)
                row = {
                    "url": source.url,
                    "title": source.title,
                    "category": source.category,
                    "html_url": source.html_url,
                    "position": position,
                    "active": 1,
                    "added_at": old["added_at"] if old else to_iso(now),
                    "articles": int(source.articles),
                }
                if old is None or any(old[k] != v for k, v in row.items()):
                    self.db["sources"].upsert(row, pk="url")
                    changed = True
                if old is None or not old["active"]:
                    added += 1
                    self.db.execute(
                        "INSERT INTO feeds(url) VALUES (?) ON CONFLICT(url) DO UPDATE SET "
                        "next_poll_at = NULL, error_count = 0, status = NULL, error = NULL",
                        [source.url],
                    )
                if old is not None and old["category"] != source.category:
                    self._move_items(source.url, source.category)
            removed = [u for u, r in before.items() if r["active"] and u not in wanted]
            for url in removed:
                self.db.execute("UPDATE sources SET active = 0 WHERE url = ?", [url])
            if changed or removed:
                self._bump_version()
        return added, len(removed)

    def _move_items(self, feed_url: str, category: str) -> None:
        self.db.execute("UPDATE items SET category = ? WHERE feed_url = ?", [category, feed_url])
        self.db.execute(
            "UPDATE stories SET dirty = 1 WHERE id IN "
            "(SELECT story_id FROM items WHERE feed_url = ? AND story_id IS NOT NULL)",
            [feed_url],
        )

    def sources(self) -> list[Source]:
        rows = self._rows("SELECT * FROM sources WHERE active = 1 ORDER BY position")
        return [
            Source(r["url"], r["title"] or "", r["category"], r["html_url"], bool(r["articles"]))
            for r in rows
        ]

    def feeds_due(
        self, now: datetime, *, everything: bool = False
    ) -> list[tuple[Source, FeedState]]:
        """Active sources whose next poll time has come (all of them with `everything`)."""
        sql = (
            "SELECT s.url AS s_url, s.title AS s_title, s.category, s.html_url, f.* "
            "FROM sources s JOIN feeds f ON f.url = s.url WHERE s.active = 1"
        )
        params: list[Any] = []
        if not everything:
            sql += " AND (f.next_poll_at IS NULL OR f.next_poll_at <= ?)"
            params.append(to_iso(now))
        sql += " ORDER BY s.position"
        out = []
        for r in self._rows(sql, params):
            source = Source(r["s_url"], r["s_title"] or "", r["category"], r["html_url"])
            out.append((source, _feed_state(r)))
        return out

    def next_due(self) -> datetime | None:
        """When the next active feed is due (the epoch for a never-polled one); None: no feeds."""
        row = next(
            self._rows(
                "SELECT MIN(COALESCE(f.next_poll_at, '1970-01-01T00:00:00+00:00')) AS due "
                "FROM feeds f JOIN sources s ON s.url = f.url WHERE s.active = 1"
            )
        )
        return from_iso(row["due"])

    def feed_state(self, url: str) -> FeedState:
        rows = list(self._rows("SELECT * FROM feeds WHERE url = ?", [url]))
        return _feed_state(rows[0]) if rows else FeedState(url)

    def save_poll(self, state: FeedState, items: Sequence[Item]) -> PollWrite:
        """Record a poll's outcome and its items in one transaction.

        A new (feed, guid) is inserted; a known one whose content changed is updated and its
        story marked for re-summarising; an unchanged one is left alone.
        """
        return self.save_polls([(state, items)])[0]

    def save_polls(self, polls: Sequence[tuple[FeedState, Sequence[Item]]]) -> list[PollWrite]:
        """`save_poll` for many feeds in one transaction (one commit for a whole batch)."""
        with self.db.atomic():
            return [self._save_poll(state, items) for state, items in polls]

    def _pruned(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` retention has pruned (see `store_upkeep.prune`)."""
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(
                r["id"]
                for r in self._rows(f"SELECT id FROM pruned_items WHERE id IN ({marks})", chunk)
            )
        return found

    def _save_poll(self, state: FeedState, items: Sequence[Item]) -> PollWrite:
        existing: dict[str, dict[str, Any]] = {}
        ids = list(dict.fromkeys(item.id for item in items))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._rows(
                f"SELECT id, content_hash, story_id FROM items WHERE id IN ({marks})", chunk
            ):
                existing[r["id"]] = r
        pruned = self._pruned([i for i in ids if i not in existing])
        fresh: dict[str, Item] = {}
        updated = 0
        for item in items:
            old = existing.get(item.id)
            if old is None:
                if item.id not in pruned:  # retention deleted it: not stored (announced) again
                    fresh.setdefault(item.id, item)
                continue
            if old["content_hash"] == item.content_hash:
                continue
            old["content_hash"] = item.content_hash  # the same id twice in one batch
            row = _item_row(item)
            for keep in ("first_seen", "story_id", "duplicate_of", "published"):
                row.pop(keep)
            self.db["items"].update(item.id, row)
            updated += 1
            if old["story_id"]:
                self.db.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [old["story_id"]])
        if fresh:
            self.db.conn.executemany(_INSERT_ITEM, [_item_values(i) for i in fresh.values()])
        self.db.execute(
            _UPSERT_FEED,
            [
                state.url,
                state.etag,
                state.last_modified,
                state.body_hash,
                state.status,
                state.http_status,
                state.error,
                state.error_count,
                to_iso(state.last_polled_at),
                to_iso(state.last_success_at),
                to_iso(state.next_poll_at),
                state.moved_to,
                state.title,
                state.link,
                state.language,
            ],
        )
        return PollWrite(len(fresh), updated)

    # --- grouping -------------------------------------------------------------------------

    def unassigned_items(self) -> list[Item]:
        rows = self._rows(
            "SELECT * FROM items WHERE story_id IS NULL ORDER BY published, first_seen, id"
        )
        return [_item(r) for r in rows]

    def items_since(self, since: datetime) -> list[Item]:
        """Items already in a story, first seen since `since` (to restore the clusterer)."""
        rows = self._rows(
            "SELECT * FROM items WHERE story_id IS NOT NULL AND first_seen >= ? "
            "ORDER BY first_seen, id",
            [to_iso(since)],
        )
        return [_item(r) for r in rows]

    def duplicate_candidates(self, item: Item) -> list[Item]:
        """Stored items that might be the same article: the same URL, text hash or guid, or a
        near-identical text (a wire copy, found through `dedupe.near_keys`)."""
        rows = list(
            self._rows(
                "SELECT * FROM items WHERE id != ? AND story_id IS NOT NULL AND "
                "(canonical_url = ? OR content_hash = ? OR guid = ?) "
                "ORDER BY first_seen, id LIMIT 20",
                [item.id, item.canonical_url, item.content_hash, item.guid],
            )
        )
        keys = near_keys(item.text)
        if keys:
            marks = ",".join("?" * len(keys))
            rows += self._rows(
                "SELECT * FROM items WHERE story_id IS NOT NULL AND id IN (SELECT item_id FROM "
                f"near_keys WHERE key IN ({marks}) AND item_id != ?) "
                "ORDER BY first_seen, id LIMIT 20",
                [*keys, item.id],
            )
        unique = {r["id"]: r for r in rows}
        return [_item(r) for r in unique.values()]

    def grouping_state(self, since: datetime) -> tuple[list[Item], dict[str, str]]:
        """Items already in a story, first seen since `since`, and their stored grouping
        features: what restoring the clusterer needs (texts only where no features are
        stored)."""
        rows = self._rows(
            "SELECT id, title, url, outlet, published, first_seen, story_id, duplicate_of, "
            "grouping_terms, CASE WHEN grouping_terms IS NULL THEN text ELSE '' END AS text "
            "FROM items WHERE story_id IS NOT NULL AND duplicate_of IS NULL AND first_seen >= ? "
            "ORDER BY first_seen, id",
            [to_iso(since)],
        )
        items: list[Item] = []
        terms: dict[str, str] = {}
        for r in rows:
            items.append(
                Item(
                    id=r["id"],
                    title=r["title"] or "",
                    text=r["text"] or "",
                    url=r["url"],
                    outlet=r["outlet"] or "",
                    published=from_iso(r["published"]),
                    first_seen=from_iso(r["first_seen"]),
                    story_id=r["story_id"],
                )
            )
            if r["grouping_terms"]:
                terms[r["id"]] = r["grouping_terms"]
        return items, terms

    def merge_story(self, absorbed: str, into: str, now: datetime) -> None:
        """Move a story's items into another, older one and record the merge: the absorbed
        id then resolves to `into` (`Reader.merged_into`), so links to it keep working."""
        self.db.execute("UPDATE items SET story_id = ? WHERE story_id = ?", [into, absorbed])
        self.db.execute(
            "UPDATE stories SET merged_into = ? WHERE id = ? OR merged_into = ?",
            [into, absorbed, absorbed],
        )
        self.db.execute(
            "UPDATE stories SET dirty = 1, first_seen = MIN(first_seen, "
            "(SELECT first_seen FROM stories WHERE id = ?)) WHERE id = ?",
            [absorbed, into],
        )
        self.db.execute("UPDATE stories SET dirty = 0 WHERE id = ?", [absorbed])
        self.db.execute("DELETE FROM story_categories WHERE story_id = ?", [absorbed])
        self._bump_version()

    def insert_items(self, items: Sequence[Item]) -> int:
        """Store items that have no feed poll behind them (the batch command); known ids are
        left as they are. Returns how many were new."""
        new = 0
        with self.db.atomic():
            for item in items:
                row = _item_row(item)
                cursor = self.db.execute(
                    f"INSERT OR IGNORE INTO items({', '.join(_ITEM_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(_ITEM_COLUMNS))})",
                    [row[c] for c in _ITEM_COLUMNS],
                )
                new += cursor.rowcount
        return new

    def story_ids(self, item_ids: Sequence[str]) -> dict[str, str]:
        """Item id → story id, for the given items that have a story."""
        out: dict[str, str] = {}
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for r in self._rows(
                f"SELECT id, story_id FROM items WHERE id IN ({marks}) AND story_id IS NOT NULL",
                chunk,
            ):
                out[r["id"]] = r["story_id"]
        return out

    def transaction(self) -> Any:
        """A context manager grouping several writes into one transaction."""
        return self.db.atomic()

    def assign(
        self,
        item: Item,
        story_id: str,
        duplicate_of: str | None,
        now: datetime,
        grouping_terms: str | None = None,
    ) -> None:
        """Put an item into a story (creating the story row if new) and mark the story dirty.

        A story's `first_seen` is the earliest publication time of its items. The item's
        grouping features and near-duplicate keys are stored with it.
        """
        published = to_iso(item.published or now)
        self.db.execute(
            "INSERT INTO stories(id, category, headline, first_seen, updated, last_item_at, "
            "version, dirty) VALUES (?, ?, ?, ?, ?, ?, 0, 1) ON CONFLICT(id) DO UPDATE SET "
            "dirty = 1, last_item_at = MAX(COALESCE(last_item_at, ''), excluded.last_item_at), "
            "first_seen = MIN(first_seen, excluded.first_seen)",
            [story_id, item.category, item.title, published, to_iso(now), published],
        )
        self.db.execute(
            "UPDATE items SET story_id = ?, duplicate_of = ?, "
            "grouping_terms = COALESCE(?, grouping_terms) WHERE id = ?",
            [story_id, duplicate_of, grouping_terms, item.id],
        )
        if duplicate_of is None:
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO near_keys(key, item_id) VALUES (?, ?)",
                [(key, item.id) for key in near_keys(item.text)],
            )

    def dirty_stories(self) -> list[str]:
        return [r["id"] for r in self._rows("SELECT id FROM stories WHERE dirty = 1 ORDER BY id")]

    def story_items(self, story_id: str) -> list[Item]:
        rows = self._rows(
            "SELECT * FROM items WHERE story_id = ? ORDER BY published, first_seen, id", [story_id]
        )
        return [_item(r) for r in rows]

    def mark_dirty(self, story_ids: Sequence[str]) -> None:
        """Have these stories summarised again at the next pass."""
        with self.db.atomic():
            for story_id in story_ids:
                self.db.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [story_id])

    def published_headline(self, story_id: str) -> str | None:
        """The headline readers have seen for a story, if it has been published."""
        rows = list(self._rows("SELECT headline FROM summaries WHERE story_id = ?", [story_id]))
        return rows[0]["headline"] if rows else None

    def save_summary(
        self,
        story_id: str,
        summary: Summary,
        fingerprint: str,
        categories: Sequence[tuple[str, float]],
        now: datetime,
        inputs_key: str | None = None,
    ) -> bool:
        """Store a story's summary and categories; clear its dirty flag.

        The version and `updated` time move only when the summary's fingerprint changed: that
        is a material change, and the return value says so. A change of categories alone
        re-files the story without touching its version.
        """
        rows = list(
            self._rows(
                "SELECT s.version, s.fingerprint, s.updated, m.outlet_count FROM stories s "
                "LEFT JOIN summaries m ON m.story_id = s.id WHERE s.id = ?",
                [story_id],
            )
        )
        if not rows:
            return False
        changed = rows[0]["fingerprint"] != fingerprint
        updated = _change_time(summary, from_iso(rows[0]["updated"]), rows[0]["version"], now)
        added = max(0, summary.outlet_count - (rows[0]["outlet_count"] or 0))
        old_categories = [
            (r["category"], r["weight"])
            for r in self._rows(
                "SELECT category, weight FROM story_categories WHERE story_id = ? "
                "ORDER BY weight DESC, category",
                [story_id],
            )
        ]
        refiled = [name for name, _ in old_categories] != [name for name, _ in categories]
        with self.db.atomic():
            if changed:
                version = (rows[0]["version"] or 0) + 1
                bullets, sources = _summary_json(summary)
                # Plain SQL: sqlite-utils' upsert reads the table's schema on every call.
                self.db.execute(
                    "INSERT INTO summaries (story_id, version, headline, bullets, sources, "
                    "outlet_count, method, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(story_id) DO UPDATE SET version = excluded.version, "
                    "headline = excluded.headline, bullets = excluded.bullets, "
                    "sources = excluded.sources, outlet_count = excluded.outlet_count, "
                    "method = excluded.method, created = excluded.created",
                    [
                        story_id,
                        version,
                        summary.headline,
                        bullets,
                        sources,
                        summary.outlet_count,
                        summary.method,
                        to_iso(now),
                    ],
                )
                self.db.execute(
                    "UPDATE stories SET version = ?, fingerprint = ?, headline = ?, updated = ?, "
                    "added_sources = ? WHERE id = ?",
                    [
                        version,
                        fingerprint,
                        summary.headline,
                        self._distinct_updated(story_id, updated),
                        added if version > 1 else 0,
                        story_id,
                    ],
                )
            if refiled:
                self.db.execute("DELETE FROM story_categories WHERE story_id = ?", [story_id])
                self.db.conn.executemany(
                    "INSERT INTO story_categories (story_id, category, weight) VALUES (?, ?, ?)",
                    [(story_id, name, weight) for name, weight in categories],
                )
                main = categories[0][0] if categories else ""
                self.db.execute("UPDATE stories SET category = ? WHERE id = ?", [main, story_id])
            self.db.execute(
                "UPDATE stories SET dirty = 0, summary_inputs = ? WHERE id = ?",
                [inputs_key, story_id],
            )
            if changed or refiled:
                self._bump_version()
        return changed

    def _distinct_updated(self, story_id: str, updated: datetime) -> str:
        """`updated` as stored: when other stories changed in the same second (sources without
        dates share the time we first saw them), microseconds keep the times distinct, so
        feed entries never share one `updated`. Fractions still sort correctly as text."""
        second = updated.replace(microsecond=0)
        same = self._rows(
            "SELECT COUNT(*) AS n FROM stories WHERE id != ? AND updated >= ? AND updated < ?",
            [story_id, to_iso(second), to_iso(second + timedelta(seconds=1))],
        )
        taken = next(iter(same))["n"]
        if not taken:
            return to_iso(second) or ""
        stamp = second.astimezone(UTC).replace(microsecond=min(taken, 999_999))
        return stamp.isoformat()

    def stored_summary(self, story_id: str, inputs_key: str) -> Summary | None:
        """The story's summary if it was written from the inputs `inputs_key` names."""
        rows = list(
            self._rows(
                "SELECT m.* FROM stories s JOIN summaries m ON m.story_id = s.id "
                "WHERE s.id = ? AND s.summary_inputs = ?",
                [story_id, inputs_key],
            )
        )
        return _summary(rows[0]) if rows else None

    # --- article pages ------------------------------------------------------------------

    def article_candidates(
        self, since: datetime, limit: int, skip_feeds: Sequence[str] = ()
    ) -> list[Item]:
        """Grouped, non-duplicate items first seen since `since` whose page was never tried,
        of feeds whose article pages may be fetched (`skip_feeds` and the OPML switch)."""
        skip = ",".join("?" for _ in skip_feeds)
        rows = self._rows(
            "SELECT i.* FROM items i LEFT JOIN articles a ON a.item_id = i.id "
            "WHERE a.item_id IS NULL AND i.story_id IS NOT NULL AND i.duplicate_of IS NULL "
            "AND i.first_seen >= ? AND i.url IS NOT NULL "
            "AND i.feed_url NOT IN (SELECT url FROM sources WHERE articles = 0) "
            + (f"AND i.feed_url NOT IN ({skip}) " if skip else "")
            + "ORDER BY i.first_seen DESC, i.id LIMIT ?",
            [to_iso(since), *skip_feeds, limit],
        )
        return [_item(r) for r in rows]

    def save_articles(
        self, results: Sequence[tuple[str, str, str, str | None, str]], now: datetime
    ) -> int:
        """Record (item_id, url, status, error, text) rows; an "ok" text marks its story for
        re-summarising. Returns how many stories were marked."""
        marked = 0
        with self.db.atomic():
            for item_id, url, status, error, text in results:
                self.db["articles"].upsert(
                    {
                        "item_id": item_id,
                        "url": url,
                        "status": status,
                        "error": error,
                        "text": text if status == "ok" else None,
                        "chars": len(text) if status == "ok" else 0,
                        "fetched_at": to_iso(now),
                        "regrouped": 0 if status == "ok" else 1,  # only text is reconsidered
                    },
                    pk="item_id",
                )
                if status == "ok":
                    cursor = self.db.execute(
                        "UPDATE stories SET dirty = 1 WHERE id = "
                        "(SELECT story_id FROM items WHERE id = ?)",
                        [item_id],
                    )
                    marked += cursor.rowcount
        return marked

    def articles_to_regroup(self, limit: int = 500) -> list[Item]:
        """Grouped items whose article text grouping has not reconsidered yet, oldest first,
        with that text in place of the feed's."""
        rows = self._rows(
            "SELECT i.*, a.text AS article_text FROM articles a JOIN items i ON i.id = a.item_id "
            "WHERE a.regrouped = 0 AND a.status = 'ok' AND i.story_id IS NOT NULL "
            "ORDER BY i.published, i.first_seen, i.id LIMIT ?",
            [limit],
        )
        out = []
        for row in rows:
            text = row.pop("article_text") or ""
            out.append(replace(_item(row), text=text))
        return out

    def regrouped(self, item_id: str, grouping_terms: str | None) -> None:
        """Record that grouping reconsidered an item with its article text (and the features
        it now groups by, so a restart restores them)."""
        self.db.execute("UPDATE articles SET regrouped = 1 WHERE item_id = ?", [item_id])
        if grouping_terms:
            self.db.execute(
                "UPDATE items SET grouping_terms = ? WHERE id = ?", [grouping_terms, item_id]
            )

    def article_texts(self, item_ids: Sequence[str]) -> dict[str, str]:
        """Extracted article text of those items that have one."""
        out: dict[str, str] = {}
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start : start + 500])
            marks = ",".join("?" for _ in chunk)
            for row in self._rows(
                f"SELECT item_id, text FROM articles WHERE status = 'ok' AND item_id IN ({marks})",
                chunk,
            ):
                out[row["item_id"]] = row["text"]
        return out

    # --- status ---------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        with self.db.atomic():
            self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    def status_rows(self) -> list[dict[str, Any]]:
        """One row per active feed, for `aggregator status`."""
        return list(self._rows(_STATUS_SQL))

    def reader(self) -> Reader:
        return Reader(self.path, self if self.path == ":memory:" else None)


_STATUS_SQL = (
    "SELECT s.category, s.title, s.url, s.articles, f.moved_to, f.status, f.http_status, f.error, "
    "f.error_count, f.last_polled_at, f.last_success_at, f.next_poll_at, "
    "(SELECT COUNT(*) FROM items i WHERE i.feed_url = s.url) AS items, "
    "(SELECT COUNT(*) FROM articles a JOIN items i ON i.id = a.item_id "
    "WHERE i.feed_url = s.url AND a.status = 'ok') AS articles_ok, "
    "(SELECT COUNT(*) FROM articles a JOIN items i ON i.id = a.item_id "
    "WHERE i.feed_url = s.url AND a.status IN ('failed', 'blocked', 'empty')) "
    "AS articles_failed, "
    "(SELECT a.error FROM articles a JOIN items i ON i.id = a.item_id "
    "WHERE i.feed_url = s.url AND a.status IN ('failed', 'blocked', 'empty') "
    "ORDER BY a.fetched_at DESC LIMIT 1) AS article_error "
    "FROM sources s JOIN feeds f ON f.url = s.url WHERE s.active = 1 "
    "ORDER BY s.position"
)


class Reader:
    """Read-side queries for the web server; each thread gets its own connection."""

    def __init__(self, path: str, shared: Store | None = None) -> None:
        self.path = path
        self._shared = shared  # an in-memory database can only be read through its writer
        self._local = threading.local()

    def _db(self) -> Database:
        if self._shared is not None:
            return self._shared.db
        db = getattr(self._local, "db", None)
        if db is None:
            db = _connect(self.path, readonly=True)
            self._local.db = db
        return db

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self._db().query(sql, params))

    def version(self) -> str:
        rows = self._rows("SELECT value FROM meta WHERE key = 'version'")
        return rows[0]["value"] if rows else "0"

    def categories(self) -> list[str]:
        rows = self._rows(
            "SELECT category, MIN(position) AS p FROM sources WHERE active = 1 "
            "GROUP BY category ORDER BY p"
        )
        return [r["category"] for r in rows]

    def _stories(self, rows: Iterable[dict[str, Any]]) -> list[Story]:
        rows = list(rows)
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ",".join("?" * len(ids))
        cats: dict[str, list[str]] = {}
        for r in self._rows(
            f"SELECT story_id, category FROM story_categories WHERE story_id IN ({marks}) "
            "ORDER BY weight DESC, category",
            ids,
        ):
            cats.setdefault(r["story_id"], []).append(r["category"])
        sums = {
            r["story_id"]: _summary(r)
            for r in self._rows(f"SELECT * FROM summaries WHERE story_id IN ({marks})", ids)
        }
        declared: dict[str, str] = {}
        for r in self._rows(
            "SELECT i.story_id, f.language, COUNT(*) AS n FROM items i "
            "JOIN feeds f ON f.url = i.feed_url "
            f"WHERE i.story_id IN ({marks}) AND f.language IS NOT NULL "
            "GROUP BY i.story_id, f.language ORDER BY n DESC, f.language",
            ids,
        ):
            declared.setdefault(r["story_id"], r["language"])  # the most common comes first
        return [
            Story(
                id=r["id"],
                category=r["category"] or "",
                headline=r["headline"] or "",
                first_seen=from_iso(r["first_seen"]) or datetime.fromtimestamp(0, UTC),
                updated=from_iso(r["updated"]) or datetime.fromtimestamp(0, UTC),
                version=r["version"] or 0,
                summary=sums.get(r["id"]),
                categories=tuple(cats.get(r["id"], ())),
                added_sources=r.get("added_sources") or 0,
                declared_language=declared.get(r["id"]),
            )
            for r in rows
        ]

    def stories(self, category: str | None, limit: int) -> list[Story]:
        """Published stories (version ≥ 1), newest change first."""
        if category is None:
            rows = self._rows(
                "SELECT * FROM stories WHERE version > 0 AND merged_into IS NULL "
                "ORDER BY updated DESC, first_seen DESC, id LIMIT ?",
                [limit],
            )
        else:
            rows = self._rows(
                "SELECT s.* FROM stories s JOIN story_categories c ON c.story_id = s.id "
                "WHERE c.category = ? AND s.version > 0 AND s.merged_into IS NULL "
                "ORDER BY s.updated DESC, s.first_seen DESC, s.id LIMIT ?",
                [category, limit],
            )
        return self._stories(rows)

    def stories_since(self, category: str, since: datetime) -> list[Story]:
        """Published stories of a category materially changed at or after `since`."""
        rows = self._rows(
            "SELECT s.* FROM stories s JOIN story_categories c ON c.story_id = s.id "
            "WHERE c.category = ? AND s.version > 0 AND s.merged_into IS NULL "
            "AND s.updated >= ? ORDER BY s.updated DESC, s.id",
            [category, to_iso(since)],
        )
        return self._stories(rows)

    def merged_into(self, story_id: str) -> str | None:
        """The story a merged story now lives in, or None if it was not merged."""
        rows = self._rows("SELECT merged_into FROM stories WHERE id = ?", [story_id])
        return rows[0]["merged_into"] if rows else None

    def story(self, story_id: str) -> Story | None:
        found = self._stories(
            self._rows("SELECT * FROM stories WHERE id = ? AND version > 0", [story_id])
        )
        return found[0] if found else None

    def status_rows(self) -> list[dict[str, Any]]:
        """One row per active feed, for `aggregator status` (read-only)."""
        return self._rows(_STATUS_SQL)

    def health(self) -> dict[str, Any]:
        """Last poll time and feed error counts, for /healthz."""
        last = self._rows("SELECT value FROM meta WHERE key = 'last_poll_at'")
        feeds = self._rows(
            "SELECT COUNT(*) AS feeds, "
            "COALESCE(SUM(f.status IN ('error', 'gone')), 0) AS feeds_failing, "
            "COALESCE(SUM(f.error_count), 0) AS consecutive_errors "
            "FROM sources s JOIN feeds f ON f.url = s.url WHERE s.active = 1"
        )[0]
        return {"last_poll_at": last[0]["value"] if last else None, **feeds}

    def digest_health(self) -> dict[str, Any]:
        """Each category's latest digest (status, attempts, error), for /healthz."""
        from .digest_store import digest_health

        return digest_health(self._db())
