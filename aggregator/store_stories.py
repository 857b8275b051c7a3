"""The writer's stories: which need summarising, their items, and storing their summaries and
categories (a material change moves the version and `updated`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from .models import Item, Summary
from .store_db import StoreBase, chunks
from .store_rows import (
    ITEM_SELECT,
    MERGED_FROM,
    from_iso,
    item_from_values,
    summary_from_row,
    summary_json,
    to_iso,
)
from .withheld import Withheld

WITHHELD = "withheld"  # meta: the list in force (`Withheld.to_lines`, as JSON)


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


class StoriesStore(StoreBase):
    """Stories to summarise and their stored summaries.

    A story to summarise is dirty: every change to what its summary is written from (an item
    joins, leaves, is edited or found furniture, article text arrives, a feed changes
    category) marks it 1. A pass that reads a dirty story ahead, while it still groups, marks
    it `READ_AHEAD`: still dirty, and unchanged since it was read for as long as it keeps
    that mark."""

    READ_AHEAD = 2

    def dirty_stories(self) -> list[str]:
        """The dirty stories' ids, in order. Read from the dirty index, then sorted (`ORDER BY
        id` had SQLite walk every story in id order, ~5 ms at 6,000 stories, none dirty)."""
        rows = self._rows("SELECT id FROM stories WHERE dirty > 0 ORDER BY +id")
        return [r["id"] for r in rows]

    def mark_read_ahead(self, story_id: str) -> None:
        """The dirty story was read as it is now (see the class)."""
        self.conn.execute(
            "UPDATE stories SET dirty = ? WHERE id = ? AND dirty > 0", [self.READ_AHEAD, story_id]
        )

    def not_summarised(self, story_id: str) -> None:
        """Summarising the story failed (a defect met on odd input): it keeps what it
        published and is no longer dirty, so it is summarised again when it next changes."""
        self.conn.execute("UPDATE stories SET dirty = 0 WHERE id = ?", [story_id])

    def read_ahead_unchanged(self) -> set[str]:
        """The stories marked read ahead that nothing changed since."""
        rows = self._rows("SELECT id FROM stories WHERE dirty = ?", [self.READ_AHEAD])
        return {r["id"] for r in rows}

    def story_items(self, story_id: str) -> list[Item]:
        rows = self.conn.execute(
            f"SELECT {ITEM_SELECT} FROM items WHERE story_id = ? "
            "ORDER BY published, first_seen, id",
            [story_id],
        )
        return [item_from_values(r) for r in rows]

    def withheld(self) -> Withheld:
        """The stories and articles withheld from publication (`set_withheld`)."""
        return Withheld.from_stored(self.meta_values([WITHHELD]).get(WITHHELD))

    def set_withheld(self, withheld: Withheld) -> list[str]:
        """Put `withheld` in force: every story it withholds or gives back more or less of
        is summarised again at the next pass (withdrawn when nothing of it is left). The
        stories changed, in id order."""
        before = self.withheld()
        if before == withheld:
            return []
        stories = set(before.stories ^ withheld.stories)
        for chunk in chunks(sorted(before.articles ^ withheld.articles)):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                "SELECT DISTINCT story_id FROM items WHERE story_id IS NOT NULL AND "
                f"(canonical_url IN ({marks}) OR url IN ({marks}))",
                [*chunk, *chunk],
            )
            stories.update(row[0] for row in rows)
        with self.transaction():
            for story_id in stories:  # (a withheld story merged since: the one it joined)
                found = self.conn.execute(
                    "SELECT COALESCE(merged_into, id) FROM stories WHERE id = ?", [story_id]
                ).fetchone()
                if found is not None:
                    self.conn.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [found[0]])
            self.set_meta(WITHHELD, withheld.stored())
        return sorted(stories)

    def merged_from(self, story_id: str) -> set[str]:
        """The stories merged into `story_id`, and those merged into them, and so on."""
        return {row[0] for row in self.conn.execute(MERGED_FROM, [story_id])}

    def mark_dirty(self, story_ids: Sequence[str]) -> None:
        """Have these stories summarised again at the next pass."""
        with self.transaction():
            for story_id in story_ids:
                self.conn.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [story_id])

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
        re-files the story without touching its version; so does a new picture (its image is
        no part of the fingerprint: a source's new photo is no news).
        """
        rows = list(
            self._rows(
                "SELECT s.version, s.withdrawn_version, s.fingerprint, s.updated, m.outlet_count "
                "FROM stories s "
                "LEFT JOIN summaries m ON m.story_id = s.id WHERE s.id = ?",
                [story_id],
            )
        )
        if not rows:
            return False
        changed: bool = rows[0]["fingerprint"] != fingerprint
        was = max(rows[0]["version"] or 0, rows[0]["withdrawn_version"] or 0)
        updated = _change_time(summary, from_iso(rows[0]["updated"]), was, now)
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
        with self.transaction():
            if changed:
                # (published again after a withdrawal: on from the version it had then)
                version = was + 1
                bullets, sources = summary_json(summary)
                # Plain SQL: sqlite-utils' upsert reads the table's schema on every call.
                self.conn.execute(
                    "INSERT INTO summaries (story_id, version, headline, bullets, sources, "
                    "outlet_count, method, created, image, image_source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(story_id) DO UPDATE SET version = excluded.version, "
                    "headline = excluded.headline, bullets = excluded.bullets, "
                    "sources = excluded.sources, outlet_count = excluded.outlet_count, "
                    "method = excluded.method, created = excluded.created, "
                    "image = excluded.image, image_source = excluded.image_source",
                    [
                        story_id,
                        version,
                        summary.headline,
                        bullets,
                        sources,
                        summary.outlet_count,
                        summary.method,
                        to_iso(now),
                        summary.image,
                        summary.image_source if summary.image else None,
                    ],
                )
                self.conn.execute(
                    "UPDATE stories SET version = ?, fingerprint = ?, headline = ?, updated = ?, "
                    "added_sources = ?, outlets = ? WHERE id = ?",
                    [
                        version,
                        fingerprint,
                        summary.headline,
                        self._distinct_updated(story_id, updated),
                        added if rows[0]["version"] else 0,
                        summary.outlet_count,
                        story_id,
                    ],
                )
            image = summary.image
            source = summary.image_source if image else None
            pictured = (
                not changed
                and self.conn.execute(
                    "UPDATE summaries SET image = ?, image_source = ? WHERE story_id = ? "
                    "AND (image IS NOT ? OR image_source IS NOT ?)",
                    [image, source, story_id, image, source],
                ).rowcount
            )
            if refiled:
                self.conn.execute("DELETE FROM story_categories WHERE story_id = ?", [story_id])
                self.conn.executemany(
                    "INSERT INTO story_categories (story_id, category, weight) VALUES (?, ?, ?)",
                    [(story_id, name, weight) for name, weight in categories],
                )
                main = categories[0][0] if categories else ""
                self.conn.execute("UPDATE stories SET category = ? WHERE id = ?", [main, story_id])
            self.conn.execute(
                "UPDATE stories SET dirty = 0, summary_inputs = ? WHERE id = ?",
                [inputs_key, story_id],
            )
            if changed or refiled or pictured:
                self._bump_version()  # (pages and feeds are made again)
        return changed

    def index_search(self) -> int:
        """Put the summaries saved since the last call in the search index, in one
        statement (`search_index.index_pending`); how many. Nothing without the index."""
        from .search_index import index_pending, searchable

        if not searchable(self.conn.execute):
            return 0
        with self.transaction():
            return index_pending(self.conn.execute)

    def withdraw_summary(self, story_id: str) -> bool:
        """Take a story that holds nothing to publish (only a page's furniture) out of feeds,
        pages and digests: its summary and categories go, its version returns to 0 (not
        published; the one it had is kept for a return) and it is no longer dirty. Its items
        stay. True when it had been published.
        """
        rows = list(self._rows("SELECT version FROM stories WHERE id = ?", [story_id]))
        was_published = bool(rows and rows[0]["version"])
        with self.transaction():
            self.conn.execute("DELETE FROM summaries WHERE story_id = ?", [story_id])
            self.conn.execute("DELETE FROM story_categories WHERE story_id = ?", [story_id])
            self.conn.execute(
                "UPDATE stories SET dirty = 0, version = 0, fingerprint = NULL, "
                "summary_inputs = NULL, added_sources = 0, outlets = 0, "
                "withdrawn_version = MAX(version, COALESCE(withdrawn_version, 0)) WHERE id = ?",
                [story_id],
            )
            if was_published:
                self._bump_version()
        return was_published

    def _distinct_updated(self, story_id: str, updated: datetime) -> str:
        """`updated` as stored: when other stories changed in the same second (sources without
        dates share the time we first saw them), microseconds keep the times distinct, so
        feed entries never share one `updated`: one after the latest of them (their count
        had been taken again once a story left the second, changed anew). Fractions still
        sort correctly as text."""
        second = updated.replace(microsecond=0)
        same = self._rows(
            "SELECT MAX(updated) AS latest FROM stories "
            "WHERE id != ? AND updated >= ? AND updated < ?",
            [story_id, to_iso(second), to_iso(second + timedelta(seconds=1))],
        )
        latest = from_iso(next(iter(same))["latest"])
        if latest is None:
            return to_iso(second) or ""
        stamp = second.astimezone(UTC).replace(microsecond=min(latest.microsecond + 1, 999_999))
        return stamp.isoformat()

    def summary_state(self, story_id: str, inputs_key: str) -> tuple[str | None, Summary | None]:
        """The headline readers have seen for the story (None if never published), and its
        stored summary if it was written from the inputs `inputs_key` names: one read of its
        summary row."""
        rows = list(
            self._rows(
                "SELECT s.summary_inputs AS inputs_key, m.* FROM summaries m "
                "LEFT JOIN stories s ON s.id = m.story_id WHERE m.story_id = ?",
                [story_id],
            )
        )
        if not rows:
            return None, None
        row = rows[0]
        return row["headline"], summary_from_row(row) if row["inputs_key"] == inputs_key else None
