"""The digest's bounces in SQLite (`digest_bounces`) and how far the bounce mailbox was read
(meta). Writes go through the store's single write connection (call them on the writer
thread); `bounce_report` reads through any connection. SQL only: `bounces` decides."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .bounces import DAYS_TO_UNSUBSCRIBE, BounceRecord, tally
from .health import BOUNCE_FAILED, failure_record  # meta: the last failed read
from .store import Store, to_iso

__all__ = ["BOUNCE_FAILED", "BOUNCE_MARK", "BOUNCE_READ", "BounceBook", "Bounced", "bounce_report"]

BOUNCE_MARK = "bounce_mark"  # meta: the folder's UIDVALIDITY and the highest UID read
BOUNCE_READ = "bounce_read_at"  # meta: when the mailbox was last read


@dataclass(frozen=True, slots=True)
class Bounced:
    """An address of the digests' that bounced: on how many days, what the last bounce
    said, the categories it was unsubscribed from (a reader who signed up on the site, at
    `DAYS_TO_UNSUBSCRIBE` days), whether the settings list it, and whether it was signed up
    on the site when the bounce was counted (an address may be both)."""

    days: int
    reason: str
    unsubscribed: tuple[str, ...]
    listed: bool
    signed_up: bool = False


class BounceBook:
    """Bounces counted per address, and the mailbox's read mark, kept by the store's writer."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def mark(self) -> str | None:
        return self.store.meta_values([BOUNCE_MARK]).get(BOUNCE_MARK)

    def read_done(self, mark: str, now: datetime) -> None:
        """The mailbox was read up to `mark`."""
        with self.store.transaction():
            self.store.set_meta(BOUNCE_MARK, mark)
            self.store.set_meta(BOUNCE_READ, to_iso(now) or "")
            self.store.drop_meta(BOUNCE_FAILED)

    def read_failed(self, error: str, now: datetime) -> None:
        self.store.set_meta(BOUNCE_FAILED, failure_record(now, error))

    def record(
        self,
        reports: Sequence[tuple[str, date, str]],
        listed: Collection[str],
        now: datetime,
        list_only: Collection[str] = (),
    ) -> dict[str, Bounced]:
        """Count the permanent failures `reports` (address, day it arrived, reason) of the
        addresses the digests mail: readers who signed up, and the settings' `listed` (lower
        case); others' are not kept. Returns each address counted; one now at
        `DAYS_TO_UNSUBSCRIBE` days that signed up is unsubscribed from every category,
        unless its reports are `list_only` (they quote the list's message, which anyone who
        has it can: they count for its place in the settings' list only)."""
        conn = self.store.conn
        counted: dict[str, Bounced] = {}
        with self.store.transaction():
            for address, day, reason in sorted(reports, key=lambda r: r[1]):
                signed = conn.execute(
                    "SELECT category FROM digest_subscribers WHERE address = ? ORDER BY category",
                    [address],
                ).fetchall()
                if address in list_only and address in listed:
                    signed = []  # (its sign-ups are not the list's message's to end)
                if not signed and address not in listed:
                    continue
                row = conn.execute(
                    "SELECT days, last_day, reason FROM digest_bounces WHERE address = ?",
                    [address],
                ).fetchone()
                before = BounceRecord(row[0], date.fromisoformat(row[1]), row[2]) if row else None
                after = tally(before, day, reason)
                conn.execute(
                    "INSERT INTO digest_bounces (address, days, last_day, reason, updated) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET "
                    "days = excluded.days, last_day = excluded.last_day, "
                    "reason = excluded.reason, updated = excluded.updated",
                    [address, after.days, after.last_day.isoformat(), reason, to_iso(now)],
                )
                categories: tuple[str, ...] = ()
                if after.days >= DAYS_TO_UNSUBSCRIBE and signed:
                    categories = tuple(r[0] for r in signed)
                    conn.execute("DELETE FROM digest_subscribers WHERE address = ?", [address])
                    conn.execute(
                        "UPDATE digest_bounces SET unsubscribed = 1 WHERE address = ?", [address]
                    )
                prior = counted[address].unsubscribed if address in counted else ()
                counted[address] = Bounced(
                    after.days, reason, categories or prior, address in listed, bool(signed)
                )
        return counted


def bounce_report(conn: sqlite3.Connection, listed: Collection[str]) -> dict[str, Any]:
    """For `status`: when the mailbox was last read, the last failure, and the addresses
    that bounced (most days first): each one's days, last day, reason, whether it was
    unsubscribed and whether the settings still list it (`listed`, lower case)."""
    meta = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?)", [BOUNCE_READ, BOUNCE_FAILED]
        ).fetchall()
    )
    failed = json.loads(meta[BOUNCE_FAILED]) if BOUNCE_FAILED in meta else None
    rows = conn.execute(
        "SELECT address, days, last_day, reason, unsubscribed FROM digest_bounces "
        "ORDER BY days DESC, last_day DESC, address"
    ).fetchall()
    return {
        "read_at": meta.get(BOUNCE_READ),
        "failed": failed,
        "addresses": [
            {
                "address": address,
                "days": days,
                "last_day": last_day,
                "reason": reason,
                "unsubscribed": bool(unsubscribed),
                "listed": address in listed,
            }
            for address, days, last_day, reason, unsubscribed in rows
        ],
    }
