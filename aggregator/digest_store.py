"""The digest's books in SQLite: one row per category and day, and the stories already sent.

Writes go through the store's single write connection (call them on the writer thread);
`digest_health` reads through any connection. SQL only: sqlite-utils stays `store`'s import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .digest import Pick, RunState
from .store import Store, from_iso, to_iso

if TYPE_CHECKING:
    from .digest_job import Delivery


def _run(row: dict[str, Any]) -> RunState:
    return RunState(
        category=row["category"],
        day=date.fromisoformat(row["day"]),
        status=row["status"],
        attempts=row["attempts"] or 0,
        next_attempt_at=from_iso(row["next_attempt_at"]),
        sent_at=from_iso(row["sent_at"]),
        error=row["error"],
        last_attempt_at=from_iso(row["last_attempt_at"]),
    )


class DigestBooks:
    """Delivery state of each category's digest, kept by the store's writer connection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return list(self.store.db.query(sql, list(params)))

    def runs(self, since: date) -> dict[tuple[str, date], RunState]:
        """Runs of every category for local days from `since` on."""
        rows = self._rows("SELECT * FROM digest_runs WHERE day >= ?", [since.isoformat()])
        return {(r["category"], date.fromisoformat(r["day"])): _run(r) for r in rows}

    def last_sent(self, category: str) -> datetime | None:
        """When the category's digest last went out (None: never): when the attempt that
        first reached a reader chose its stories (`chosen_at`), for a day a later attempt
        finished; the news come in since went to no one that day."""
        row = self._rows(
            "SELECT MAX(COALESCE(chosen_at, sent_at)) AS at FROM digest_runs "
            "WHERE category = ? AND status = 'sent'",
            [category],
        )
        return from_iso(row[0]["at"]) if row else None

    def sent_versions(self, category: str) -> dict[str, int]:
        """story id → the newest version an earlier digest of `category` carried."""
        rows = self._rows(
            "SELECT story_id, version FROM digest_stories WHERE category = ?", [category]
        )
        return {r["story_id"]: r["version"] for r in rows}

    def begin(self, category: str, day: date, now: datetime, retry_at: datetime) -> int:
        """Record that an attempt starts; returns its number.

        The row says "sending" with a retry time until the outcome is recorded, so a crash in
        the middle of a send is retried after the backoff instead of forgotten.
        """
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO digest_runs(category, day, status, attempts, last_attempt_at, "
                "next_attempt_at) VALUES (?, ?, 'sending', 1, ?, ?) "
                "ON CONFLICT(category, day) DO UPDATE SET status = 'sending', "
                "attempts = attempts + 1, last_attempt_at = excluded.last_attempt_at, "
                "next_attempt_at = excluded.next_attempt_at",
                [category, day.isoformat(), to_iso(now), to_iso(retry_at)],
            )
            self.store.db.execute(  # (what a crash left of a day it never got back to)
                "DELETE FROM digest_deliveries WHERE category = ? AND day < ?",
                [category, day.isoformat()],
            )
        row = self._rows(
            "SELECT attempts FROM digest_runs WHERE category = ? AND day = ?",
            [category, day.isoformat()],
        )
        return int(row[0]["attempts"])

    def delivered(self, category: str, day: date) -> dict[str, str | None]:
        """The addresses (lowercased) an earlier attempt at the day's digest settled: None for
        those the server took, its reply for those it refused for good."""
        rows = self._rows(
            "SELECT address, reply FROM digest_deliveries WHERE category = ? AND day = ?",
            [category, day.isoformat()],
        )
        return {r["address"]: r["reply"] for r in rows}

    def carried(self, category: str, day: date) -> dict[str, int] | None:
        """The stories (id → version) the day's digest carried to the readers an earlier
        attempt reached (None: it reached nobody yet, or the day is settled)."""
        rows = self._rows(
            "SELECT carried FROM digest_runs WHERE category = ? AND day = ?",
            [category, day.isoformat()],
        )
        said = rows[0]["carried"] if rows else None
        return {str(k): int(v) for k, v in json.loads(said).items()} if said else None

    def delivered_to(
        self,
        category: str,
        day: date,
        sent: Delivery,
        picks: Iterable[Pick] = (),
        chosen_at: datetime | None = None,
    ) -> None:
        """Remember what the server did with the day's digest on one connection; the first
        time anyone took it, which stories (`picks`) it carried (`carried`), chosen when
        (`chosen_at`: the attempt's start)."""
        rows = [(a, None) for a in sent.accepted] + list(sent.refused.items())
        carried = json.dumps({p.story.id: p.story.version for p in picks})
        with self.store.transaction():
            if sent.accepted:
                self.store.db.execute(
                    "UPDATE digest_runs SET carried = COALESCE(carried, ?), chosen_at = "
                    "CASE WHEN carried IS NULL THEN ? ELSE chosen_at END "
                    "WHERE category = ? AND day = ?",
                    [carried, to_iso(chosen_at) if chosen_at else None, category, day.isoformat()],
                )
            self.store.conn.executemany(
                "INSERT OR REPLACE INTO digest_deliveries(category, day, address, reply) "
                "VALUES (?, ?, ?, ?)",
                [(category, day.isoformat(), address.lower(), reply) for address, reply in rows],
            )

    def _settled(self, category: str, day: date) -> None:
        """The day's digest needs no further attempt: forget who had it and what it carried
        (a later `digest --send-now` goes to everyone, with what is new then)."""
        self.store.db.execute(
            "UPDATE digest_runs SET carried = NULL WHERE category = ? AND day = ?",
            [category, day.isoformat()],
        )
        self.store.db.execute(
            "DELETE FROM digest_deliveries WHERE category = ? AND day = ?",
            [category, day.isoformat()],
        )

    def sent(
        self,
        category: str,
        day: date,
        now: datetime,
        message_id: str,
        picks: Iterable[Pick],
        recipients: int,
        error: str | None = None,
        carried: Mapping[str, int] | None = None,
    ) -> None:
        """The digest went out: mark the day done and remember each story's sent version (a
        story's version as `carried` to the day's first readers, when older: its newer one
        is an update to them)."""
        picks = list(picks)
        carried = carried or {}
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE digest_runs SET status = 'sent', sent_at = ?, next_attempt_at = NULL, "
                "error = ?, message_id = ?, stories = ?, recipients = ? "
                "WHERE category = ? AND day = ?",
                [
                    to_iso(now),
                    error,
                    message_id,
                    len(picks),
                    recipients,
                    category,
                    day.isoformat(),
                ],
            )
            for pick in picks:
                self.store.db.execute(
                    "INSERT INTO digest_stories(category, story_id, version, day, sent_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(category, story_id) DO UPDATE SET "
                    "version = MAX(version, excluded.version), day = excluded.day, "
                    "sent_at = excluded.sent_at",
                    [
                        category,
                        pick.story.id,
                        min(pick.story.version, carried.get(pick.story.id, pick.story.version)),
                        day.isoformat(),
                        to_iso(now),
                    ],
                )
            self._settled(category, day)

    def empty(self, category: str, day: date, now: datetime, note: str | None = None) -> None:
        """Nothing (more) to send today: the day is done without a message. A day an earlier
        attempt reached readers with (`carried`: its stories all merged, withheld or pruned
        since) is a sent one, theirs: its stories recorded as sent in the versions they had,
        `note` saying why the others get none."""
        carried = self.carried(category, day)
        if carried:
            self._sent_to_some(category, day, now, carried, note)
            return
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE digest_runs SET status = CASE WHEN message_id IS NULL THEN 'empty' "
                "ELSE 'sent' END, sent_at = COALESCE(sent_at, ?), next_attempt_at = NULL, "
                "error = NULL, stories = 0 WHERE category = ? AND day = ?",
                [to_iso(now), category, day.isoformat()],
            )
            self._settled(category, day)

    def _sent_to_some(
        self, category: str, day: date, now: datetime, carried: Mapping[str, int], note: str | None
    ) -> None:
        reached = self.reached(category, day)
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE digest_runs SET status = 'sent', sent_at = ?, next_attempt_at = NULL, "
                "error = ?, stories = ?, recipients = ? WHERE category = ? AND day = ?",
                [to_iso(now), note, len(carried), reached, category, day.isoformat()],
            )
            self.store.conn.executemany(
                "INSERT INTO digest_stories(category, story_id, version, day, sent_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(category, story_id) DO UPDATE SET "
                "version = MAX(version, excluded.version), day = excluded.day, "
                "sent_at = excluded.sent_at",
                [(category, i, v, day.isoformat(), to_iso(now)) for i, v in carried.items()],
            )
            self._settled(category, day)

    def reached(self, category: str, day: date) -> int:
        """How many readers took the day's digest at an earlier attempt."""
        rows = self._rows(
            "SELECT COUNT(*) AS n FROM digest_deliveries WHERE category = ? AND day = ? "
            "AND reply IS NULL",
            [category, day.isoformat()],
        )
        return int(rows[0]["n"])

    def failed(self, category: str, day: date, error: str, retry_at: datetime | None) -> None:
        """The attempt failed: keep the error; `retry_at` None means no further attempt."""
        with self.store.transaction():
            self.store.db.execute(
                "UPDATE digest_runs SET status = 'failed', error = ?, next_attempt_at = ? "
                "WHERE category = ? AND day = ?",
                [error[:500], to_iso(retry_at), category, day.isoformat()],
            )
            if retry_at is None:
                self._settled(category, day)


def digest_health(db: Any) -> dict[str, Any]:
    """Per category: its latest digest's day, status, attempts, error, times. For /healthz.

    `db` is any sqlite-utils Database (the reader's read-only one). A category counts as
    failing while its latest digest is failed (being retried or given up).
    """
    rows = list(
        db.query(
            "SELECT r.* FROM digest_runs r WHERE r.day = "
            "(SELECT MAX(day) FROM digest_runs x WHERE x.category = r.category) "
            "ORDER BY r.category"
        )
    )
    digests = {
        r["category"]: {
            "day": r["day"],
            "status": r["status"],
            "attempts": r["attempts"],
            "sent_at": r["sent_at"],
            "next_attempt_at": r["next_attempt_at"],
            "stories": r["stories"],
            "error": r["error"],
        }
        for r in rows
    }
    failing = sum(1 for r in rows if r["status"] == "failed")
    return {"digests": digests, "digests_failing": failing}
