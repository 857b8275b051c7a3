"""The writer's article pages: which items' pages to fetch, the fetched texts, and which texts
grouping has yet to reconsider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from .models import Item
from .store_db import StoreBase
from .store_rows import item_from_row, to_iso


class ArticlesStore(StoreBase):
    """Article pages fetched for items."""

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
        return [item_from_row(r) for r in rows]

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
            out.append(replace(item_from_row(row), text=text))
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
        rows = self._rows_in(
            "SELECT item_id, text FROM articles WHERE status = 'ok' AND item_id IN ({marks})",
            item_ids,
        )
        return {row["item_id"]: row["text"] for row in rows}
