"""The writer's grouping state: items waiting for a story, duplicate candidates, what restoring
the clusterer needs, and putting items into (and merging) stories."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .models import Item, ItemKey
from .store_articles import REGROUP_DONE
from .store_db import KEEP_TERMS, StoreBase, chunks
from .store_rows import ITEM_SELECT, from_iso, item_from_row, item_from_values, to_iso

if TYPE_CHECKING:
    import sqlite3
    from array import array

    from .withheld import Withheld


# The meta key of `features.TERMS_VERSION` the window's stored grouping features were made by.
GROUPING_TERMS_VERSION = "grouping_terms_version"

# What the duplicate check reads of a candidate with it (`Candidate`), and its kept hashes.
_CANDIDATE = "id, canonical_url, url, guid, content_hash, story_id, duplicate_of, feed_url"
_KEPT = "(SELECT hashes FROM near_hashes WHERE item_id = items.id)"


class Candidate:
    """A stored item as `dedupe.find_duplicate` reads it: the keys it compares first (links,
    guid, content hash; its feed) and what grouping takes of an original (story,
    `duplicate_of`). Its title and text are read from the store when first asked (the near
    check reads a text only when no hashes are kept, the title check only once the near check
    passed): most candidates are rejected on their keys and hashes alone. Its declared
    language is read with them."""

    __slots__ = (
        "_read",
        "_texts",
        "canonical_url",
        "content_hash",
        "duplicate_of",
        "feed_url",
        "guid",
        "id",
        "story_id",
        "url",
    )

    def __init__(
        self,
        item_id: str,
        canonical_url: str | None,
        url: str | None,
        guid: str | None,
        content_hash: str | None,
        story_id: str | None,
        duplicate_of: str | None,
        feed_url: str,
        read: Callable[..., sqlite3.Cursor],
    ) -> None:
        self.id = item_id
        self.canonical_url = canonical_url
        self.url = url
        self.guid = guid or ""
        self.content_hash = content_hash or ""
        self.story_id = story_id
        self.duplicate_of = duplicate_of
        self.feed_url = feed_url
        self._read = read
        self._texts: tuple[str, str, str | None] | None = None

    def _title_and_text(self) -> tuple[str, str, str | None]:
        if self._texts is None:
            row = self._read(
                "SELECT title, text, language FROM items WHERE id = ?", [self.id]
            ).fetchone()
            self._texts = (row[0] or "", row[1] or "", row[2]) if row else ("", "", None)
        return self._texts

    @property
    def title(self) -> str:
        return self._title_and_text()[0]

    @property
    def text(self) -> str:
        return self._title_and_text()[1]

    @property
    def language(self) -> str | None:
        return self._title_and_text()[2]


def stories_not_held(conn: sqlite3.Connection, story_ids: Collection[str]) -> list[str]:
    """Of these story ids (the operator's, in `withheld.txt`), those the database holds no
    story under, sorted: a mistyped id, or a story pruned since."""
    held: set[str] = set()
    for chunk in chunks(sorted(story_ids)):
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"SELECT id FROM stories WHERE id IN ({marks})", chunk)
        held.update(row[0] for row in rows)
    return sorted(set(story_ids) - held)


class GroupingStore(StoreBase):
    """Grouping's reads and writes: items to stories."""

    def unassigned_keys(self) -> list[ItemKey]:
        """The items without a story, as the keys that order them (no texts)."""
        rows = self._rows(
            "SELECT id, published, first_seen, guid, feed_url FROM items WHERE story_id IS NULL "
            "ORDER BY published, first_seen, guid, feed_url, id"
        )
        return [
            ItemKey(
                r["id"],
                from_iso(r["published"]),
                from_iso(r["first_seen"]),
                r["guid"] or "",
                r["feed_url"] or "",
            )
            for r in rows
        ]

    def items_by_id(self, ids: Sequence[str]) -> list[Item]:
        """The stored items of `ids`, in that order (an id not stored is left out)."""
        found: dict[str, tuple[Any, ...]] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {ITEM_SELECT} FROM items WHERE id IN ({marks})"
            found.update((r[0], r) for r in self.conn.execute(sql, chunk))
        return [item_from_values(found[i]) for i in ids if i in found]

    def item_texts(
        self, ids: Sequence[str], chars: int | None
    ) -> list[tuple[str, str, str, str | None]]:
        """(id, title, the first `chars` characters of the text, declared language) of the
        stored items of `ids`, in that order: what tokenising an item reads, without the rest
        of it (the whole text when `chars` is None)."""
        text = "text" if chars is None else f"substr(text, 1, {int(chars)}) AS text"
        sql = f"SELECT id, title, {text}, language FROM items WHERE id IN ({{marks}})"
        found = {r["id"]: r for r in self._rows_in(sql, ids)}
        return [
            (i, found[i]["title"] or "", found[i]["text"] or "", found[i]["language"])
            for i in ids
            if i in found
        ]

    def has_unassigned(self) -> bool:
        """Whether any item waits for a story (without reading the items)."""
        found = self._rows("SELECT 1 AS one FROM items WHERE story_id IS NULL LIMIT 1")
        return next(iter(found), None) is not None

    def items_since(self, since: datetime) -> list[Item]:
        """Items already in a story, first seen since `since`, oldest first (for inspection;
        the clusterer restores from `grouping_state`)."""
        rows = self._rows(
            "SELECT * FROM items WHERE story_id IS NOT NULL AND first_seen >= ? "
            "ORDER BY first_seen, id",
            [to_iso(since)],
        )
        return [item_from_row(r) for r in rows]

    def duplicate_candidates(self, item: Item) -> list[Item]:
        """Stored items that might be the same article: the same URL, text hash or guid, or a
        near-identical text (a wire copy, found through `dedupe.near_keys`)."""
        return self.items_by_id([c.id for c in self.duplicate_candidates_hashed(item)[0]])

    def duplicate_candidates_hashed(
        self, item: Item
    ) -> tuple[list[Candidate], dict[str, array[int]]]:
        """`duplicate_candidates` as the duplicate check reads them (`Candidate`: their keys
        read with them, title and text only when asked), with the kept shingle hashes of
        those that have them (the originals grouped since they were kept:
        `near_text.pack_hashes`), by id."""
        read = self.conn.execute  # (plain tuples: this runs for every item grouped)
        rows = read(
            f"SELECT {_CANDIDATE}, {_KEPT} FROM items WHERE id != ? AND story_id IS NOT NULL AND "
            "(canonical_url = ? OR content_hash = ? OR guid = ?) "
            "ORDER BY first_seen, guid, feed_url, id LIMIT 20",
            [item.id, item.canonical_url, item.content_hash, item.guid],
        ).fetchall()
        from .dedupe import near_keys  # the text code loads when grouping first runs
        from .near_text import unpack_hashes

        keys = near_keys(item.text)
        if keys:
            marks = ",".join("?" * len(keys))
            # (the first 20 are picked by their order's columns alone, and only they are read:
            # a key's matches run to hundreds, and sorting them with more columns cost most of
            # the statement)
            rows += read(
                f"SELECT {_CANDIDATE}, {_KEPT} FROM items WHERE id IN (SELECT id FROM items "
                "WHERE story_id IS NOT NULL AND id IN "
                f"(SELECT item_id FROM near_keys WHERE key IN ({marks}) AND item_id != ?) "
                "ORDER BY first_seen, guid, feed_url, id LIMIT 20) "
                "ORDER BY first_seen, guid, feed_url, id",
                [*keys, item.id],
            ).fetchall()
        unique = {r[0]: r for r in rows}
        kept = {i: unpack_hashes(r[-1]) for i, r in unique.items() if r[-1] is not None}
        return [Candidate(*r[:-1], read) for r in unique.values()], kept  # type: ignore[call-arg]

    def grouping_terms_version(self) -> str | None:
        """Which `features.TERMS_VERSION` and `text_tokens` made the window's stored grouping
        features (None: a database from before the stamp, or a new one)."""
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", [GROUPING_TERMS_VERSION]
        ).fetchone()
        return row[0] if row else None

    def window_texts(self, since: datetime) -> Iterator[list[Item]]:
        """The active window's grouped items (those `grouping_state` reads), a chunk at a
        time, each with the text its stored features were made from: its article's once
        grouping reconsidered it with that text (`regrouped`), else its feed's. The ids are
        read first, so the caller may write between chunks."""
        ids = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM items WHERE story_id IS NOT NULL AND duplicate_of IS NULL "
                "AND first_seen >= ?",
                [to_iso(since)],
            )
        ]
        for chunk in chunks(ids):
            rows = self.conn.execute(
                f"SELECT {ITEM_SELECT}, (SELECT a.text FROM articles a WHERE a.item_id = "
                "items.id AND a.status = 'ok' AND a.regrouped != 0) FROM items "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            yield [
                item if text is None else replace(item, text=text)
                for *values, text in rows
                for item in (item_from_values(values),)
            ]

    def save_grouping_terms(self, terms: Sequence[tuple[str, str]]) -> None:
        """Store items' grouping features worked out again, as (item id, encoded features)."""
        self.conn.executemany(KEEP_TERMS, terms)

    def grouping_state(
        self, since: datetime
    ) -> tuple[list[Item], dict[str, str], dict[str, datetime]]:
        """Items already in a story, first seen since `since`, their stored grouping
        features, and when those of their stories that began before `since` began (the
        story row's `first_seen`, its earliest publication time): what restoring the
        clusterer needs (texts only where no features are stored). Read as plain rows, the
        window's tens of thousands of them at once."""
        # (`items.grouping_terms`: what rows written before `item_terms` hold)
        rows = self.conn.execute(
            "SELECT i.id, title, url, outlet, published, first_seen, story_id, furniture, apart, "
            "COALESCE(t.terms, i.grouping_terms) AS stored, guid, feed_url, "
            "CASE WHEN COALESCE(t.terms, i.grouping_terms) IS NULL THEN text ELSE '' END, "
            "i.language "
            "FROM items i LEFT JOIN item_terms t ON t.item_id = i.id "
            "WHERE story_id IS NOT NULL AND duplicate_of IS NULL AND first_seen >= ?",
            [to_iso(since)],
        )  # (in no order: the clusterer orders what it restores)
        items: list[Item] = []
        terms: dict[str, str] = {}
        times: dict[str | None, datetime | None] = {None: None}  # (items share their times)
        feeds: dict[str, str] = {}  # (and their feeds' URLs: one string a feed)
        for row in rows:
            item_id, title, url, outlet, published, first_seen, story_id, furniture, *rest = row
            apart, *rest = rest
            stored, guid, feed_url, text, language = rest
            if published not in times:
                times[published] = from_iso(published)
            if first_seen not in times:
                times[first_seen] = from_iso(first_seen)
            feed_url = feeds.setdefault(feed_url or "", feed_url or "")
            if guid == url:  # (most feeds' guids are their links: one string for both)
                guid = url
            items.append(
                Item(
                    id=item_id,
                    title=title or "",
                    text=text or "",
                    url=url,
                    outlet=outlet or "",
                    published=times[published],
                    first_seen=times[first_seen],
                    story_id=story_id,
                    furniture=bool(furniture),
                    apart=bool(apart),
                    guid=guid or "",
                    feed_url=feed_url,
                    language=language,
                )
            )
            if stored:
                terms[item_id] = stored
        return items, terms, self._stories_began({item.story_id for item in items}, since)

    def _stories_began(self, stories: set[str | None], since: datetime) -> dict[str, datetime]:
        """When each of these stories began, for those that began before `since`."""
        rows = self._rows_in(
            "SELECT id, first_seen FROM stories WHERE id IN ({marks})", [s for s in stories if s]
        )
        before = to_iso(since) or ""
        return {
            r["id"]: when
            for r in rows
            if (r["first_seen"] or before) < before and (when := from_iso(r["first_seen"]))
        }

    def grouping_stamp(self) -> tuple[str, int]:
        """The store's random id and its grouping generation (bumped by triggers on every
        change the grouping window reflects; see migration `issue6_grouping_generation`)."""
        rows = self.conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('store_id', 'grouping_generation')"
        ).fetchall()
        found = dict(rows)
        return str(found.get("store_id", "")), int(found.get("grouping_generation") or 0)

    def published_among(self, story_ids: Collection[str]) -> frozenset[str]:
        """Those of `story_ids` that have been published (a version out): a merge keeps
        their id (`StoryWindow.published`)."""
        found: set[str] = set()
        for chunk in chunks(sorted(story_ids)):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id FROM stories WHERE version > 0 AND id IN ({marks})", list(chunk)
            )
            found.update(row[0] for row in rows)
        return frozenset(found)

    def merge_story(self, absorbed: str, into: str, now: datetime) -> None:
        """Move a story's items into another, older one and record the merge: the absorbed
        id then resolves to `into` (`Reader.merged_into`), so links to it keep working."""
        self.conn.execute("UPDATE items SET story_id = ? WHERE story_id = ?", [into, absorbed])
        self.conn.execute(
            "UPDATE stories SET merged_into = ? WHERE id = ? OR merged_into = ?",
            [into, absorbed, absorbed],
        )
        self.conn.execute(
            "UPDATE stories SET dirty = 1, first_seen = MIN(first_seen, "
            "(SELECT first_seen FROM stories WHERE id = ?)) WHERE id = ?",
            [absorbed, into],
        )
        self.conn.execute("UPDATE stories SET dirty = 0 WHERE id = ?", [absorbed])
        self.conn.execute("DELETE FROM story_categories WHERE story_id = ?", [absorbed])
        self._bump_version()

    def _story_takes(self, story_id: str, item: Item, now: datetime) -> None:
        """Create the story row if new, else mark it dirty: `item` joins it. A story's
        `first_seen` is the earliest publication time of its items."""
        published = to_iso(item.published or now)
        self.conn.execute(
            "INSERT INTO stories(id, category, headline, first_seen, updated, last_item_at, "
            "version, dirty) VALUES (?, ?, ?, ?, ?, ?, 0, 1) ON CONFLICT(id) DO UPDATE SET "
            "dirty = 1, last_item_at = MAX(COALESCE(last_item_at, ''), excluded.last_item_at), "
            "first_seen = MIN(first_seen, excluded.first_seen)",
            [story_id, item.category, item.title, published, to_iso(now), published],
        )

    def move_item(self, item: Item, story_id: str, now: datetime) -> None:
        """Move an item, with its duplicates, out of its story into another (new or
        existing); the story it left keeps its id and its other items. Both stories are
        summarised again."""
        left = self._rows("SELECT story_id FROM items WHERE id = ?", [item.id])
        old = next(iter(left), {}).get("story_id")
        self._story_takes(story_id, item, now)
        self.conn.execute(
            "UPDATE items SET story_id = ? WHERE id = ? OR duplicate_of = ?",
            [story_id, item.id, item.id],
        )
        if old is not None and old != story_id:
            self.conn.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [old])
        self._bump_version()

    def pages_awaited(self, item_ids: Sequence[str]) -> set[str]:
        """Those of the items whose text their article page may still change: a page not
        tried yet (on a feed whose pages are fetched), or text not yet regrouped."""
        rows = self._rows_in(
            "SELECT i.id FROM items i LEFT JOIN articles a ON a.item_id = i.id "
            "WHERE i.id IN ({marks}) AND ((a.item_id IS NULL AND i.feed_url NOT IN "
            "(SELECT url FROM sources WHERE articles = 0)) "
            "OR (a.status = 'ok' AND a.regrouped = 0))",
            item_ids,
        )
        return {r["id"] for r in rows}

    def story_ids(self, item_ids: Sequence[str]) -> dict[str, str]:
        """Item id → story id, for the given items that have a story."""
        rows = self._rows_in(
            "SELECT id, story_id FROM items WHERE id IN ({marks}) AND story_id IS NOT NULL",
            item_ids,
        )
        return {r["id"]: r["story_id"] for r in rows}

    def items_to_set_apart(self, urls: Collection[str]) -> list[Item]:
        """The grouped originals (not copies) the operator set apart from their story
        (`Withheld.apart`, canonical URLs) that are not apart yet."""
        found: dict[str, Item] = {}
        for chunk in chunks(sorted(urls)):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT {ITEM_SELECT} FROM items WHERE canonical_url IN ({marks}) "
                "AND story_id IS NOT NULL AND duplicate_of IS NULL AND apart = 0 "
                "AND furniture = 0",
                chunk,
            )
            for row in rows:
                item = item_from_values(row)
                found[item.id] = item
        return [found[item_id] for item_id in sorted(found)]

    def corrections_due(self, withheld: Withheld) -> tuple[list[Item], list[tuple[str, ...]]]:
        """The operator's corrections in `withheld` not carried out yet: the items to set
        apart (`items_to_set_apart`) and the groups of stories to join (`stories_to_join`)."""
        apart = self.items_to_set_apart(withheld.apart) if withheld.apart else []
        joins = self.stories_to_join(withheld.joins) if withheld.joins else []
        return apart, joins

    def stories_not_held(self, story_ids: Collection[str]) -> list[str]:
        """Of these ids, those no stored story has (`stories_not_held`)."""
        return stories_not_held(self.conn, story_ids)

    def stories_to_join(self, groups: Collection[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """Of the groups of stories the operator joined (`Withheld.joins`), those not one
        story yet: each story by the id it goes by now (one merged since: the story it went
        into), those the store holds, sorted."""
        out: list[tuple[str, ...]] = []
        for ids in sorted(groups):
            marks = ",".join("?" * len(ids))
            rows = self.conn.execute(
                f"SELECT DISTINCT COALESCE(merged_into, id) FROM stories WHERE id IN ({marks})",
                list(ids),
            )
            now = sorted(row[0] for row in rows)
            if len(now) > 1:
                out.append(tuple(now))
        return out

    def titles_in(self, story_ids: Sequence[str]) -> dict[str, str]:
        """Item id → title, for the original items (not copies) of these stories."""
        rows = self._rows_in(
            "SELECT id, title FROM items WHERE story_id IN ({marks}) AND duplicate_of IS NULL",
            story_ids,
        )
        return {r["id"]: r["title"] or "" for r in rows}

    def oldest_story(self, story_ids: Sequence[str]) -> str:
        """The story of `story_ids` that began first (its `first_seen`; ties by id)."""
        marks = ",".join("?" * len(story_ids))
        row = self.conn.execute(
            f"SELECT id FROM stories WHERE id IN ({marks}) ORDER BY first_seen, id LIMIT 1",
            list(story_ids),
        ).fetchone()
        return str(row[0])

    def story_size(self, story_id: str) -> int:
        """How many original items (not copies) story `story_id` holds."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM items WHERE story_id = ? AND duplicate_of IS NULL", [story_id]
        ).fetchone()
        return int(row[0])

    def mark_apart(self, item_id: str) -> None:
        """Mark an item set apart from its story: it stands alone from now on, through
        restarts (`grouping_state`), and its article text never regroups it."""
        self.conn.execute("UPDATE items SET apart = 1 WHERE id = ?", [item_id])
        self.conn.execute(  # (its article's text, if any came, is not weighed again)
            f"UPDATE articles SET regrouped = {REGROUP_DONE} WHERE item_id = ?", [item_id]
        )

    def mark_furniture(self, item_ids: Sequence[str]) -> None:
        """Mark items whose text grouping found to be a page's furniture (after they were
        placed); their stories are summarised again without them."""
        for chunk in chunks(list(item_ids)):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"UPDATE items SET furniture = 1 WHERE id IN ({marks})", chunk)
            self.conn.execute(
                "UPDATE stories SET dirty = 1 WHERE id IN "
                f"(SELECT story_id FROM items WHERE id IN ({marks}))",
                chunk,
            )

    def assign(
        self,
        item: Item,
        story_id: str,
        duplicate_of: str | None,
        now: datetime,
        grouping_terms: str | None = None,
        furniture: bool = False,
        near: bool = True,
    ) -> None:
        """Put an item into a story (creating the story row if new) and mark the story dirty.

        A story's `first_seen` is the earliest publication time of its items. The item's
        grouping features and near-duplicate keys are stored with it (the keys unless not
        `near`).
        """
        from .near_text import own_hashes

        self._story_takes(story_id, item, now)
        self.conn.execute(
            "UPDATE items SET story_id = ?, duplicate_of = ?, furniture = ? WHERE id = ?",
            [story_id, duplicate_of, int(furniture), item.id],
        )
        if grouping_terms is not None:
            self.conn.execute(KEEP_TERMS, [item.id, grouping_terms])
        if near and duplicate_of is None and (hashes := own_hashes(item.text)):
            _keep_near(self.conn, item.id, hashes)


def near_rewritten(conn: sqlite3.Connection, item_id: str, text: str) -> None:
    """A grouped original's text was rewritten (a later poll's edit of its entry): the near
    keys and hashes of its earlier text are dropped and its new text's kept, as `assign`
    keeps them (none when the new text is too short to compare). Its story is left as it is."""
    from .near_text import sorted_hashes

    conn.execute("DELETE FROM near_keys WHERE item_id = ?", [item_id])
    conn.execute("DELETE FROM near_hashes WHERE item_id = ?", [item_id])
    if hashes := sorted_hashes(text, once=True):
        _keep_near(conn, item_id, hashes)


def _keep_near(conn: sqlite3.Connection, item_id: str, hashes: array[int]) -> None:
    """What an original keeps of its text (its `sorted_hashes`, not empty): the near keys
    under which copies find it and the hashes they are compared with."""
    from .near_text import keys_of, pack_hashes

    conn.executemany(
        "INSERT OR IGNORE INTO near_keys(key, item_id) VALUES (?, ?)",
        [(key, item_id) for key in keys_of(hashes)],
    )
    conn.execute(
        "INSERT OR REPLACE INTO near_hashes(item_id, hashes) VALUES (?, ?)",
        [item_id, pack_hashes(hashes)],
    )
