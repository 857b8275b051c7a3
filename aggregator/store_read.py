"""The read side: `Reader` gives each thread (the web server's) its own read-only connection,
which never blocks the writer."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .health import (
    BACKUP_AT,
    BACKUP_FAILED,
    BACKUP_FAILING,
    BOUNCE_FAILED,
    BOUNCES_FAILING,
    HUBS,
    LAST_CYCLE,
    NETWORK_DOWN,
    OPML_REFUSED,
    STORIES_FAILED,
    STORIES_FAILING,
    WEBSUB_FAILING,
    WITHHELD_REFUSED,
    backup_record,
    hub_states,
    read_refused,
)
from .lang import agreed_language
from .models import Story, first_reported
from .store_articles import site_holds_in
from .store_db import chunks, connect, page_bytes
from .store_feeds import CATEGORY_LANGUAGES
from .store_rows import MERGED_FROM, from_iso, summary_from_row, to_iso
from .store_stories import WITHHELD
from .withheld import Withheld

if TYPE_CHECKING:
    from sqlite_utils import Database

    from .store import Store

# One row per active feed. Each count reads that feed's own items through an index (items
# by feed, the few marked furniture by their own index) and looks their article pages up by
# id: the work follows each feed's items, where reading articles by status went through every
# stored page once per feed.
_FEED_PAGES = "FROM items i CROSS JOIN articles a ON a.item_id = i.id WHERE i.feed_url = s.url AND "
_FAILED = "a.status IN ('failed', 'blocked', 'empty')"
_PUBLISHED = (
    "EXISTS (SELECT 1 FROM items i JOIN stories t ON t.id = i.story_id "
    "WHERE i.feed_url = s.url AND t.version > 0)"
)
STATUS_SQL = (
    "SELECT s.category, s.title, s.url, s.articles, s.exclude_rules AS exclude, "
    "s.include_rules AS include, s.interval_seconds AS interval_seconds, "
    "s.user_agent AS user_agent, s.cookie AS cookie, s.images AS images, "
    "s.selector AS selector, s.remove AS remove, s.paused AS paused, "
    "f.moved_to, f.status, f.http_status, f.error, "
    "f.error_count, f.last_polled_at, f.last_success_at, f.next_poll_at, "
    "f.false_304_at AS false_304_at, f.asking_since AS asking_since, "
    "(SELECT COUNT(*) FROM items i WHERE i.feed_url = s.url) AS items, "
    "(SELECT COUNT(*) FROM items i WHERE i.feed_url = s.url AND i.furniture = 1) AS furniture, "
    "(SELECT MAX(i.first_seen) FROM items i WHERE i.feed_url = s.url) AS newest_item_at, "
    f"(SELECT COUNT(*) {_FEED_PAGES}a.status = 'ok') AS articles_ok, "
    f"(SELECT COUNT(*) {_FEED_PAGES}{_FAILED}) AS articles_failed, "
    f"(SELECT COUNT(*) {_FEED_PAGES}a.retry_at IS NOT NULL) AS articles_retrying, "
    f"(SELECT COUNT(*) {_FEED_PAGES}a.status = 'skipped' AND a.error IS NOT NULL) "
    "AS articles_linkless, "
    f"(SELECT a.error {_FEED_PAGES}{_FAILED} ORDER BY a.fetched_at DESC LIMIT 1) "
    "AS article_error "
    "FROM sources s JOIN feeds f ON f.url = s.url WHERE s.active = 1 "
    "ORDER BY s.position"
)

# Whether a feed's items are published (the first one found ends the look); and, for a feed
# none of whose items is, its items in a story and those with text of their own (more than
# their headline again: a Google News entry's text is its headline and publisher). Counted
# for every feed, they had read each item's row and whole text: the status query had taken
# four times as long on a database of 300k items. A query of its own: it reads the stories,
# which a damaged file may have lost while the feeds' rows are whole.
PUBLISHED_SQL = (
    f"SELECT s.url, {_PUBLISHED} AS published, "
    f"CASE WHEN {_PUBLISHED} THEN NULL ELSE "
    "(SELECT COUNT(*) FROM items i WHERE i.feed_url = s.url AND i.story_id IS NOT NULL "
    "AND i.furniture = 0) END AS in_stories, "
    f"CASE WHEN {_PUBLISHED} THEN NULL ELSE "
    "(SELECT COUNT(*) FROM items i WHERE i.feed_url = s.url AND i.story_id IS NOT NULL "
    "AND i.furniture = 0 AND LENGTH(i.text) > LENGTH(COALESCE(i.title, '')) + 60) END "
    "AS with_text "
    "FROM sources s WHERE s.active = 1"
)
_PUBLISHED_KEYS = ("published", "in_stories", "with_text")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, int | None]:
    """A URL's host (lower case) and port, its scheme's when it names none, as the fetcher
    reads them; ("", None) for what is no address."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "", None
    if port is None:
        port = _DEFAULT_PORTS.get(parts.scheme.lower())
    return (parts.hostname or "").lower(), port


def with_published(
    rows: list[dict[str, Any]], query: Callable[[str], Iterable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The status `rows` with `PUBLISHED_SQL`'s columns; each None (not known) where the
    stories cannot be read (a damaged file: the feeds' rows are still said)."""
    try:
        published = {r.pop("url"): r for r in query(PUBLISHED_SQL)}
    except sqlite3.DatabaseError:
        published = {}
    for row in rows:
        row.update(published.get(row["url"], dict.fromkeys(_PUBLISHED_KEYS)))
    return rows


PHRASE_CANDIDATES = 2000  # newest stories with a phrase's words whose text a search reads
_WITH_TEXT = " JOIN summaries m ON m.story_id = s.id WHERE"  # (a found story's indexed text)


def _indexed_texts(headline: str | None, bullets: str | None, sources: str | None) -> list[str]:
    """What the search index holds of a summary (`search_index._BODY`), text by text: its
    headline, each bullet, each source's title."""
    texts = [headline or ""]
    texts += [b.get("text") or "" for b in json.loads(bullets or "[]")]
    texts += [s.get("title") or "" for s in json.loads(sources or "[]")]
    return texts


# The sources' columns later migrations added, and what each reads as where it is missing.
_LATER_SOURCE_COLUMNS = {
    "exclude_rules": "'[]'",
    "include_rules": "'[]'",
    "interval_seconds": "NULL",
    "user_agent": "NULL",
    "cookie": "NULL",
    "images": "1",
    "selector": "NULL",
    "remove": "NULL",
    "paused": "0",
}
_LATER_FEED_COLUMNS = {"false_304_at": "NULL", "asking_since": "NULL"}

# The newest published stories, read in order through `idx_stories_published` and stopping
# at the limit (the `+` keeps the planner off the merged_into index, which would read every
# story ever stored and sort them all).
NEWEST_PUBLISHED = (
    "SELECT * FROM stories WHERE version > 0 AND +merged_into IS NULL "
    "ORDER BY updated DESC, first_seen DESC, id LIMIT ?"
)
# A category's newest: the same walk, each story's category looked up by its key, so a list
# costs about its length over the category's share of stories, where joining from the
# category read every story the category ever held and sorted them all.
NEWEST_IN_CATEGORY = (
    "SELECT * FROM stories s WHERE version > 0 AND +merged_into IS NULL AND EXISTS "
    "(SELECT 1 FROM story_categories c WHERE c.story_id = s.id AND c.category = ?) "
    "ORDER BY updated DESC, first_seen DESC, id LIMIT ?"
)
# The newest of those `ranking.outlets` counts at least N outlets for (N >= 2): the same walk
# on `idx_stories_covered`, which holds only the stories several outlets covered (the literal
# `outlets >= 2` lets the planner take that partial index), so the list reaches back as far as
# it must to fill up without reading a single-outlet story; a category's walk reads the other
# categories' covered stories too, not every story stored.
NEWEST_PUBLISHED_COVERED = (
    "SELECT * FROM stories s WHERE version > 0 AND +merged_into IS NULL AND outlets >= 2 "
    "AND outlets >= ? ORDER BY updated DESC, first_seen DESC, id LIMIT ?"
)
NEWEST_IN_CATEGORY_COVERED = (
    "SELECT * FROM stories s WHERE version > 0 AND +merged_into IS NULL AND outlets >= 2 "
    "AND outlets >= ? AND EXISTS "
    "(SELECT 1 FROM story_categories c WHERE c.story_id = s.id AND c.category = ?) "
    "ORDER BY updated DESC, first_seen DESC, id LIMIT ?"
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
            db = connect(self.path, readonly=True)
            self._local.db = db
        return db

    def _rows_in(self, sql: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Rows of `sql`, whose `{marks}` is an `IN` list, over `ids` a chunk at a time."""
        return [
            row
            for chunk in chunks(list(ids))
            for row in self._rows(sql.replace("{marks}", ",".join("?" * len(chunk))), chunk)
        ]

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self._db().query(sql, params))

    def version(self) -> str:
        rows = self._rows("SELECT value FROM meta WHERE key = 'version'")
        return rows[0]["value"] if rows else "0"

    def feed_hosts(self) -> set[tuple[str, int | None]]:
        """The hosts and ports the active feeds are on, and where one moved for good on its
        own host (an intranet's http:// to https://, read as the listed feed is: as the
        poll's `_listed_host`): the operator's, which may be inside the network (the server
        fetches pictures there too: `picture_proxy`)."""
        rows = self._rows(
            "SELECT s.url, f.moved_to FROM sources s LEFT JOIN feeds f ON f.url = s.url "
            "WHERE s.active = 1"
        )
        found: set[tuple[str, int | None]] = set()
        for r in rows:
            listed = _origin(r["url"])
            moved = _origin(r["moved_to"] or "")
            found |= {listed, moved} if moved[0] == listed[0] else {listed}
        return {origin for origin in found if origin[0]}

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
            r["story_id"]: summary_from_row(r)
            for r in self._rows(f"SELECT * FROM summaries WHERE story_id IN ({marks})", ids)
        }
        # Each item's declared language: its entry's, else its feed's (the feed's as it
        # declares it now for an item stored before items kept one).
        tags: dict[str, list[tuple[str, int]]] = {}
        for r in self._rows(
            "SELECT i.story_id, COALESCE(i.language, f.language) AS language, COUNT(*) AS n "
            "FROM items i LEFT JOIN feeds f ON f.url = i.feed_url "
            f"WHERE i.story_id IN ({marks}) AND COALESCE(i.language, f.language) IS NOT NULL "
            "GROUP BY i.story_id, 2 ORDER BY n DESC, 2",
            ids,
        ):
            tags.setdefault(r["story_id"], []).append((r["language"], r["n"]))
        declared = {story_id: agreed_language(said) for story_id, said in tags.items()}
        own = self.category_languages()
        return [
            Story(
                id=r["id"],
                category=r["category"] or "",
                headline=r["headline"] or "",
                first_seen=first_reported(
                    from_iso(r["first_seen"]) or datetime.fromtimestamp(0, UTC),
                    from_iso(r["updated"]) or datetime.fromtimestamp(0, UTC),
                    sums.get(r["id"]),
                ),
                updated=from_iso(r["updated"]) or datetime.fromtimestamp(0, UTC),
                version=r["version"] or 0,
                summary=sums.get(r["id"]),
                categories=tuple(cats.get(r["id"], ())),
                added_sources=r.get("added_sources") or 0,
                declared_language=declared.get(r["id"]),
                category_language=own.get(r["category"] or ""),
            )
            for r in rows
        ]

    def stories(self, category: str | None, limit: int, min_outlets: int = 1) -> list[Story]:
        """Published stories (version ≥ 1), newest change first; with `min_outlets` above 1,
        only those with a summary of at least that many outlets (`ranking.outlets`)."""
        where = [category] if category is not None else []
        if min_outlets <= 1:
            sql = NEWEST_PUBLISHED if category is None else NEWEST_IN_CATEGORY
            return self._stories(self._rows(sql, [*where, limit]))
        sql = NEWEST_PUBLISHED_COVERED if category is None else NEWEST_IN_CATEGORY_COVERED
        return self._stories(self._rows(sql, [min_outlets, *where, limit]))

    def stories_since(self, category: str, since: datetime) -> list[Story]:
        """Published stories of a category materially changed at or after `since`, or with a
        report that came in since (its source dated before: a story published just before a
        digest's send and polled after it had gone out in no digest)."""
        at = to_iso(since)
        rows = self._rows(
            "SELECT s.* FROM stories s JOIN story_categories c ON c.story_id = s.id "
            "WHERE c.category = ? AND s.version > 0 AND s.merged_into IS NULL "
            "AND (s.updated >= ? OR s.id IN (SELECT story_id FROM items "
            "WHERE first_seen >= ? AND story_id IS NOT NULL)) ORDER BY s.updated DESC, s.id",
            [category, at, at],
        )
        return self._stories(rows)

    def published(self, story_ids: Collection[str]) -> list[Story]:
        """Of `story_ids`, the stories published now (version ≥ 1, not merged into another)."""
        sql = "SELECT * FROM stories WHERE id IN ({marks}) AND version > 0 AND merged_into IS NULL"
        return self._stories(self._rows_in(sql, sorted(story_ids)))

    def category_aliases(self) -> dict[str, str]:
        """A renamed category's former slugs → the category each leads to now
        (`category_renames`); none from a database older than the table."""
        try:
            rows = self._db().execute("SELECT slug, category FROM category_aliases")
            return dict(rows.fetchall())
        except sqlite3.OperationalError:  # (read-only, not migrated yet)
            return {}

    def listed_categories(self) -> dict[str, str]:
        """Each listed feed's category, by its URL, as the last OPML the service read has it."""
        rows = self._rows("SELECT url, category FROM sources WHERE active = 1")
        return {r["url"]: r["category"] for r in rows}

    def merged_into(self, story_id: str) -> str | None:
        """The story a merged story now lives in, or None if it was not merged."""
        rows = self._rows("SELECT merged_into FROM stories WHERE id = ?", [story_id])
        return rows[0]["merged_into"] if rows else None

    def was_pruned(self, story_id: str) -> bool:
        """Whether retention pruned the story `story_id` (within `forget_after`)."""
        try:
            rows = self._rows("SELECT 1 FROM pruned_stories WHERE id = ?", [story_id])
        except sqlite3.OperationalError:  # (read-only, not migrated yet)
            return False
        return bool(rows)

    def story_record(self, story_id: str) -> dict[str, Any] | None:
        """A story as stored, published or not (`aggregator story`): its row, categories
        (its own when no feed lists it), summary's size and picture, the stories merged into
        it, and its items in publication order (outlet, title, links, picture, when first
        seen, copy of which, furniture); what a check found of each picture (`picture_checks`:
        state, error, retry; None if never checked). None when the database has no such story."""
        rows = self._rows("SELECT * FROM stories WHERE id = ?", [story_id])
        if not rows:
            return None
        row = rows[0]
        summary = self._rows(
            "SELECT outlet_count, bullets, image FROM summaries WHERE story_id = ?", [story_id]
        )
        merged = self._rows(f"{MERGED_FROM} ORDER BY id", [story_id])
        categories = self._rows(
            "SELECT category FROM story_categories WHERE story_id = ? "
            "ORDER BY weight DESC, category",
            [story_id],
        )
        items = self._rows(
            "SELECT id, COALESCE(NULLIF(outlet_name, ''), outlet) AS outlet, title, url, "
            "canonical_url, published, first_seen, duplicate_of, furniture, apart, feed_url, "
            "image AS picture FROM items WHERE story_id = ? ORDER BY published, first_seen, id",
            [story_id],
        )
        shown = summary[0]["image"] if summary else None
        pictures = {shown, *(item["picture"] for item in items)} - {None}
        checks = {
            r["url"]: {"state": r["state"], "error": r["error"], "retry": r["retry"]}
            for r in self._rows(
                "SELECT url, state, error, retry FROM picture_checks WHERE url IN "
                f"({', '.join('?' * len(pictures))})",
                sorted(pictures),
            )
        }
        return {
            "id": row["id"],
            "headline": row.get("headline"),
            "category": row.get("category"),
            # (the categories whose feeds list it; before it is published, or once withdrawn,
            # feeds list it nowhere and it goes by its own: as `aggregator story` says it)
            "categories": [r["category"] for r in categories]
            or [c for c in [row.get("category")] if c],
            "version": row.get("version") or 0,
            "merged_into": row.get("merged_into"),
            "first_seen": row.get("first_seen"),
            "updated": row.get("updated"),
            "outlets": summary[0]["outlet_count"] if summary else None,
            "bullets": len(json.loads(summary[0]["bullets"] or "[]")) if summary else 0,
            "merged_from": [r["id"] for r in merged],
            "picture": shown,
            "picture_check": checks.get(shown) if shown else None,
            "items": [
                {
                    **item,
                    "furniture": bool(item["furniture"]),
                    "apart": bool(item["apart"]),
                    "picture_check": checks.get(item["picture"]) if item["picture"] else None,
                }
                for item in items
            ],
        }

    def story_of_article(self, canonical: str) -> str | None:
        """The story an article (by its canonical link) is in, if any."""
        rows = self._rows(
            "SELECT story_id FROM items WHERE canonical_url = ? AND story_id IS NOT NULL "
            "ORDER BY first_seen LIMIT 1",
            [canonical],
        )
        return rows[0]["story_id"] if rows else None

    def withdrawn(self, story_ids: Sequence[str]) -> set[str]:
        """Of `story_ids`, those stored but not published now (withheld by the operator, or
        left with nothing to publish), and not merged into another."""
        rows = self._rows_in(
            "SELECT id FROM stories WHERE id IN ({marks}) AND version = 0 AND merged_into IS NULL",
            story_ids,
        )
        return {r["id"] for r in rows}

    def merged_targets(self, story_ids: Sequence[str]) -> dict[str, str]:
        """Of `story_ids`, those merged into another: each with the story it lives in now."""
        rows = self._rows_in(
            "SELECT id, merged_into FROM stories WHERE id IN ({marks}) AND merged_into IS NOT NULL",
            story_ids,
        )
        return {r["id"]: r["merged_into"] for r in rows}

    def story(self, story_id: str) -> Story | None:
        found = self._stories(
            self._rows("SELECT * FROM stories WHERE id = ? AND version > 0", [story_id])
        )
        return found[0] if found else None

    def searchable(self) -> bool:
        """Whether stories can be searched (the database has its index: `search_index`)."""
        from .search_index import searchable

        return searchable(self._db().execute)

    def search(self, query: str, limit: int, offset: int = 0) -> tuple[int, list[Story]]:
        """Published stories whose headline, bullets or sources' titles match `query`
        (`search_query.parse_query`: words, "phrases", -left out, OR), newest change first:
        how many there are, and `limit` of them from `offset`. None match a query that wants
        no word, or where the database has no index. A query with a phrase reads the text of
        the newest `PHRASE_CANDIDATES` stories that have its words, and finds among those."""
        from .search_index import INDEX, ROWS
        from .search_query import parse_query

        parsed = parse_query(query)
        if parsed is None or not self.searchable():
            return 0, []
        found = (
            f"FROM {INDEX} f JOIN {ROWS} r ON r.row = f.rowid JOIN stories s ON s.id = r.story_id "
            f"WHERE {INDEX} MATCH ? AND s.version > 0 AND s.merged_into IS NULL"
        )
        newest = "ORDER BY s.updated DESC, s.first_seen DESC, s.id"
        if parsed.checked:
            texts = found.replace(" WHERE", _WITH_TEXT)
            candidates = self._db().execute(
                f"SELECT s.id, m.headline, m.bullets, m.sources {texts} {newest} LIMIT ?",
                [parsed.expression, PHRASE_CANDIDATES],
            )
            ids = [row[0] for row in candidates if parsed.holds(_indexed_texts(*row[1:]))]
            chosen = ids[offset : offset + limit]
            marks = ",".join("?" * len(chosen))
            page = self._rows(f"SELECT * FROM stories WHERE id IN ({marks})", chosen)
            order = {story_id: n for n, story_id in enumerate(chosen)}
            return len(ids), self._stories(sorted(page, key=lambda r: order[r["id"]]))
        (count,) = self._db().execute(f"SELECT COUNT(*) {found}", [parsed.expression]).fetchone()
        if not count or offset >= count:
            return count, []
        rows = self._rows(
            f"SELECT s.* {found} {newest} LIMIT ? OFFSET ?", [parsed.expression, limit, offset]
        )
        return count, self._stories(rows)

    def status_rows(self) -> list[dict[str, Any]]:
        """One row per active feed, for `aggregator status` (read-only). A database this
        version has not migrated yet (read-only to the user asking) lacks the later columns:
        each reads as its default (no rules, no interval, no headers of its own)."""
        return with_published(self._feed_rows(), self._rows)

    def _feed_rows(self) -> list[dict[str, Any]]:
        try:
            return self._rows(STATUS_SQL)
        except sqlite3.OperationalError as exc:
            if "no such column" not in str(exc):
                raise
        sql = STATUS_SQL
        for table, later in (("sources", _LATER_SOURCE_COLUMNS), ("feeds", _LATER_FEED_COLUMNS)):
            have = {row[1] for row in self._db().execute(f"PRAGMA table_info({table})")}
            for column, default in later.items():
                if column not in have:
                    sql = sql.replace(f"{table[0]}.{column} AS", f"{default} AS")
        return self._rows(sql)

    def site_holds(self, now: datetime) -> dict[str, datetime]:
        """The hosts that asked us to wait (429 or 503) until after `now`, and until when
        (`site_holds`); none from a database older than the table."""
        try:
            return site_holds_in(self._db().execute, now)
        except sqlite3.OperationalError:  # (read-only, not migrated yet)
            return {}

    def health(self) -> dict[str, Any]:
        """Last poll time, feed error counts and a refused sources edit, for /healthz."""
        meta = self._meta(
            "last_poll_at",
            OPML_REFUSED,
            WITHHELD_REFUSED,
            BACKUP_AT,
            BACKUP_FAILED,
            HUBS,
            BOUNCE_FAILED,
            STORIES_FAILED,
            NETWORK_DOWN,
        )
        counts = (
            "SELECT COUNT(*) AS feeds, "
            "COALESCE(SUM(f.status IN ('error', 'gone')), 0) AS feeds_failing, "
            "COALESCE(SUM(f.error_count), 0) AS consecutive_errors "
            "FROM sources s JOIN feeds f ON f.url = s.url WHERE s.active = 1"
        )
        try:  # (a paused feed is not polled: its last error says nothing of now)
            feeds = self._rows(counts + " AND s.paused = 0")[0]
        except sqlite3.OperationalError as exc:  # (read-only, not migrated yet)
            if "no such column" not in str(exc):
                raise
            feeds = self._rows(counts)[0]
        found = {
            "last_poll_at": meta.get("last_poll_at"),
            **feeds,
            OPML_REFUSED: read_refused(meta.get(OPML_REFUSED)),
        }
        if refused := read_refused(meta.get(WITHHELD_REFUSED)):  # (`withheld_reload`)
            found[WITHHELD_REFUSED] = refused
        _, failed, error = backup_record(meta)  # (scheduled backups: `backup_job`)
        if failed is not None:
            found[BACKUP_FAILING] = {"at": failed.isoformat(), "error": error}
        hubs = {h: s for h, s in hub_states(meta.get(HUBS)).items() if "failed_at" in s}
        if hubs:  # (WebSub hubs failing: `hub_job`)
            found[WEBSUB_FAILING] = hubs
        if meta.get(BOUNCE_FAILED):  # (the bounce mailbox's last read failed: `bounce_job`)
            found[BOUNCES_FAILING] = json.loads(meta[BOUNCE_FAILED])
        if meta.get(STORIES_FAILED):  # (a story pass failed: `Service._group_safely`)
            found[STORIES_FAILING] = json.loads(meta[STORIES_FAILED])
        if meta.get(NETWORK_DOWN):  # (no host reached: `PollJob`, `network`)
            found[NETWORK_DOWN] = json.loads(meta[NETWORK_DOWN])
        return found

    def push_states(self) -> dict[str, Any]:
        """This server's subscriptions at upstream hubs (`push`): how many are in each state,
        how many listed feeds name a hub, and the newest refusal ("hub: error"); nothing
        from a database older than them."""
        db = self._db()
        try:
            states = dict(
                db.execute("SELECT state, COUNT(*) FROM push_subscriptions GROUP BY state")
            )
            (named,) = db.execute(
                "SELECT COUNT(*) FROM sources s JOIN feeds f ON f.url = s.url "
                "WHERE s.active = 1 AND s.paused = 0 AND f.hub IS NOT NULL"
            ).fetchone()
            error = db.execute(
                "SELECT hub, error FROM push_subscriptions WHERE state IN ('failed', 'denied') "
                "AND error IS NOT NULL ORDER BY requested_at DESC LIMIT 1"
            ).fetchone()
        except sqlite3.OperationalError:  # (no such table or column yet)
            return {}
        return {
            "states": states,
            "feeds_naming_a_hub": named,
            "error": None if error is None else f"{error[0]}: {error[1]}",
        }

    def push_leases(self) -> dict[str, str]:
        """Each feed whose hub pushes to this server: the end of its verified lease (ISO)."""
        try:
            rows = self._db().execute(
                "SELECT feed_url, MAX(lease_until) FROM push_subscriptions "
                "WHERE state = 'active' AND lease_until IS NOT NULL GROUP BY feed_url"
            )
            return dict(rows.fetchall())
        except sqlite3.OperationalError:  # (no such table yet)
            return {}

    def websub_hubs(self) -> dict[str, dict[str, str]]:
        """How each WebSub hub last answered (`websub.hub_states`)."""
        return hub_states(self._meta(HUBS).get(HUBS))

    def metric_counts(self) -> dict[str, Any]:
        """What /metrics counts beside /healthz's report (`metrics.render`): items stored,
        stories published, the database's bytes and free bytes, the last poll cycle's
        tally, the last scheduled backup's time, the readers signed up for each daily email
        (`subscribers`: category → confirmed, pending) and the subscriptions at upstream
        hubs in each state (`push`)."""
        db = self._db()
        (items,) = db.execute("SELECT COUNT(*) FROM items").fetchone()
        (stories,) = db.execute(
            "SELECT COUNT(*) FROM stories WHERE version > 0 AND merged_into IS NULL"
        ).fetchone()
        size, free = self.pages()
        meta = self._meta(LAST_CYCLE, BACKUP_AT, BACKUP_FAILED)
        try:
            cycle = json.loads(meta.get(LAST_CYCLE) or "{}")
        except ValueError:
            cycle = {}
        last_backup, _, _ = backup_record(meta)
        return {
            "items": items,
            "stories": stories,
            "waiting": self.waiting(),
            "database_bytes": size,
            "database_free_bytes": free,
            "last_cycle": cycle if isinstance(cycle, dict) else {},
            "last_backup_at": last_backup.isoformat() if last_backup else None,
            "subscribers": self.subscribers(),
            "push": self.push_states().get("states") or {},
        }

    def category_languages(self) -> dict[str, str]:
        """The categories with a language of their own (the OPML's): category → tag."""
        found = self._meta(CATEGORY_LANGUAGES).get(CATEGORY_LANGUAGES)
        languages = json.loads(found) if found else {}
        return languages if isinstance(languages, dict) else {}

    def withheld(self) -> Withheld:
        """The stories and articles the operator withholds, as the last pass put them in force
        (`Store.set_withheld`)."""
        return Withheld.from_stored(self._meta(WITHHELD).get(WITHHELD))

    def stories_not_held(self, story_ids: Collection[str]) -> list[str]:
        """Of these story ids, those the database holds no story under (a mistyped id in the
        withheld list, or a story pruned since)."""
        from .store_grouping import stories_not_held

        return stories_not_held(self._db().conn, story_ids)

    def subscribers(self) -> dict[str, tuple[int, int]]:
        """category → (confirmed, pending) readers who signed up on the site (`signup`)."""
        from .signup_store import subscriber_counts

        return subscriber_counts(self._db().conn)

    def outlets(self, since: datetime) -> list[dict[str, Any]]:
        """The feeds the service polls (listed, not paused), in the OPML's order: each one's
        url, category, OPML title and html_url, the feed's own title and link, and how many
        items it brought since `since` (`reports`): the sources page's rows."""
        counts = dict(
            self._db()
            .execute(
                "SELECT feed_url, COUNT(*) FROM items WHERE first_seen >= ? GROUP BY feed_url",
                [to_iso(since)],
            )
            .fetchall()
        )
        rows = self._rows(
            "SELECT s.url, s.category, s.title, s.html_url, f.title AS feed_title, f.link "
            "FROM sources s LEFT JOIN feeds f ON f.url = s.url "
            "WHERE s.active = 1 AND s.paused = 0 ORDER BY s.position"
        )
        for row in rows:
            row["reports"] = counts.get(row["url"], 0)
        return rows

    def subscriber_rows(self, category: str | None = None) -> list[dict[str, Any]]:
        """The readers signed up on the site (of `category`): category, address, state, since
        when, and how many digests in a row the mail server refused (the last reply), by
        category then address."""
        from .signup_store import subscriber_rows

        return subscriber_rows(self._db().conn, category)

    def signup_key(self) -> bytes | None:
        """The key the site signs its sign-up links with; None before the first sign-up."""
        from .signup_store import SIGNUP_KEY

        found = self._meta(SIGNUP_KEY).get(SIGNUP_KEY)
        return bytes.fromhex(found) if found else None

    def backups(self) -> dict[str, str]:
        """The scheduled backups' meta keys (`health.backup_record` reads them)."""
        return self._meta(BACKUP_AT, BACKUP_FAILED)

    def bounces(self, listed: Collection[str]) -> dict[str, Any]:
        """What the bounce mailbox's reads found (`bounce_store.bounce_report`)."""
        from .bounce_store import bounce_report

        return bounce_report(self._db().conn, listed)

    def pictures(self) -> dict[str, Any]:
        """What the picture checks found (`picture_checks`): how many pictures were checked,
        load, fail and were refused; how many that fail are asked again, the next when; and
        those that fail by host (`picture_checks.failing_hosts`)."""
        from .picture_checks import FAILED, LOADS, REFUSED, failing_hosts

        sql = "SELECT state, COUNT(*) AS n, MIN(retry) AS next FROM picture_checks GROUP BY state"
        states = {r["state"]: r for r in self._rows(sql)}
        failed = self._rows(
            f"SELECT url, error, retry FROM picture_checks WHERE state = '{FAILED}'"
        )
        hosts = failing_hosts((r["url"], r["error"], r["retry"]) for r in failed)
        counts = {
            state: states[state]["n"] if state in states else 0
            for state in (LOADS, FAILED, REFUSED)
        }
        return {
            "checked": sum(r["n"] for r in states.values()),
            "loads": counts[LOADS],
            "failed": counts[FAILED],
            "refused": counts[REFUSED],
            "to_retry": sum(h["to_retry"] for h in hosts),
            "next_retry_at": states[FAILED]["next"] if FAILED in states else None,
            "failing_hosts": hosts,
        }

    def pages(self) -> tuple[int, int]:
        """Bytes of the database's pages, and of those free (`store_db.page_bytes`)."""
        return page_bytes(self._db().conn)

    def waiting(self) -> dict[str, int]:
        """The story job's work in the store: items without a story yet (`items`) and
        stories whose summary is not written yet (`stories`). Between passes both are 0;
        a pass that stopped early or failed leaves them to the next."""
        db = self._db()
        (items,) = db.execute("SELECT COUNT(*) FROM items WHERE story_id IS NULL").fetchone()
        (stories,) = db.execute("SELECT COUNT(*) FROM stories WHERE dirty > 0").fetchone()
        return {"items": items, "stories": stories}

    def _meta(self, *keys: str) -> dict[str, str]:
        """The values of those meta `keys` that are set."""
        marks = ", ".join("?" * len(keys))
        rows = self._rows(f"SELECT key, value FROM meta WHERE key IN ({marks})", keys)
        return {r["key"]: r["value"] for r in rows}

    def digest_health(self) -> dict[str, Any]:
        """Each category's latest digest (status, attempts, error), for /healthz."""
        from .digest_store import digest_health

        return digest_health(self._db())
