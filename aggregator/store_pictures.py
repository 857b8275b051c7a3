"""The writer's picture checks (`picture_checks`): which shown pictures to ask for, what each
answer said, and which stories to summarise again because of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .store_db import StoreBase
from .store_rows import to_iso

if TYPE_CHECKING:  # (a pass that checks no picture never loads them)
    from .picture_checks import Verdict

__all__ = ["PicturesStore"]

# Pictures of summaries written this long ago or less are asked for: a database from before the
# checks (or after a long stop) has them asked for its recent stories, not for every old one.
CHECK_HORIZON = timedelta(days=7)


class PicturesStore(StoreBase):
    """Pictures of published stories, checked once each (`picture_checks`)."""

    def pictures_to_check(self, now: datetime, limit: int) -> list[tuple[str, int]]:
        """Pictures stories are shown with that were never checked (newest summaries first,
        written within `CHECK_HORIZON`), then those whose check is due again (a story no
        longer shows one that failed); with the number of checks each had."""
        rows = self.conn.execute(
            "SELECT url, tries FROM ("
            " SELECT image AS url, 0 AS tries, 0 AS due, MAX(created) AS newest FROM summaries s"
            " WHERE image IS NOT NULL AND created >= ?"
            " AND NOT EXISTS (SELECT 1 FROM picture_checks c WHERE c.url = s.image)"
            " GROUP BY image"
            " UNION ALL"
            " SELECT url, tries, 1, retry FROM picture_checks WHERE retry <= ?"
            ") ORDER BY due, newest DESC LIMIT ?",
            [to_iso(now - CHECK_HORIZON), to_iso(now), limit],
        )
        return [(url, tries) for url, tries in rows]

    def picture_check_due(self, now: datetime) -> bool:
        """Whether a picture's check is due again (the only check a pass that changed no
        story can owe)."""
        sql = "SELECT 1 FROM picture_checks WHERE retry <= ? LIMIT 1"
        return self.conn.execute(sql, [to_iso(now)]).fetchone() is not None

    def failed_pictures(self, urls: Iterable[str]) -> set[str]:
        """Those of `urls` a check found not to load."""
        from .picture_checks import FAILED

        sql = f"SELECT url FROM picture_checks WHERE state = '{FAILED}' AND url IN ({{marks}})"
        return {row["url"] for row in self._rows_in(sql, list(urls))}

    def record_picture_checks(
        self, verdicts: Sequence[tuple[str, int, Verdict]], now: datetime
    ) -> int:
        """Keep each picture's verdict (`url`, the check's number, what it found) and mark for
        summarising again the stories whose choice it changes: those shown with a picture now
        failed, and, for a picture that loads again, those whose items carry it. Returns how
        many stories were marked."""
        hidden = [url for url, _, verdict in verdicts if not verdict.shown]
        with self.transaction():
            was_failed = self.failed_pictures(url for url, _, v in verdicts if v.shown)
            self.conn.executemany(
                "INSERT INTO picture_checks (url, state, error, tries, checked, retry) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                "state = excluded.state, error = excluded.error, tries = excluded.tries, "
                "checked = excluded.checked, retry = excluded.retry",
                [
                    (url, v.state, v.error or None, tries, to_iso(now),
                     to_iso(v.retry) if v.retry else None)
                    for url, tries, v in verdicts
                ],
            )  # fmt: skip
            stories: set[str] = set()
            for row in self._rows_in(
                "SELECT story_id FROM summaries WHERE image IN ({marks})", hidden
            ):
                stories.add(row["story_id"])
            for row in self._rows_in(
                "SELECT DISTINCT story_id FROM items WHERE story_id IS NOT NULL "
                "AND image IN ({marks})",
                sorted(was_failed),
            ):
                stories.add(row["story_id"])
            for story_id in sorted(stories):
                self.conn.execute("UPDATE stories SET dirty = 1 WHERE id = ?", [story_id])
        return len(stories)
