"""Readers' own subscriptions in SQLite (`digest_subscribers`) and the key that signs their
links (`signup`). Writes go through the store's single write connection (call them on the
writer thread); `subscriber_counts` reads through any connection. SQL only."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .signup import ASK_AGAIN_AFTER, CONFIRM_WITHIN, REFUSALS_TO_UNSUBSCRIBE
from .store import Store, to_iso

SIGNUP_KEY = "signup_key"  # meta: the hex key signing confirmation and unsubscribe links


class Subscribers:
    """Who subscribed to which category's daily email, kept by the store's writer."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def key(self) -> bytes:
        """The site's signing key, made at the first need (a backup keeps it, so links in
        emails already sent keep working after a restore)."""
        found = self.store.meta_values([SIGNUP_KEY]).get(SIGNUP_KEY)
        if found is None:
            found = secrets.token_hex(32)
            self.store.set_meta(SIGNUP_KEY, found)
        return bytes.fromhex(found)

    def forget_unconfirmed(self, now: datetime) -> int:
        """Forget the sign-ups never confirmed whose links no longer work; how many (at each
        sign-up, and by retention)."""
        with self.store.transaction():
            return self.store.conn.execute(
                "DELETE FROM digest_subscribers WHERE state = 'pending' AND since < ?",
                [to_iso(now - CONFIRM_WITHIN)],
            ).rowcount

    def ask(self, category: str, address: str, now: datetime) -> bool:
        """A sign-up of `address`: True when a confirmation email should go now; False when
        it is subscribed already, or one went to it within the hour, for any category (one a
        category had let a form send as many to someone else's address as it has
        categories). A category asked for within that hour is kept pending, unasked: the
        page of the address's next confirmation offers it (`also_asked`)."""
        conn = self.store.conn
        self.forget_unconfirmed(now)
        with self.store.transaction():
            row = conn.execute(
                "SELECT state FROM digest_subscribers WHERE category = ? AND address = ?",
                [category, address],
            ).fetchone()
            if row is not None and row[0] == "confirmed":
                return False
            lately = conn.execute(
                "SELECT 1 FROM digest_subscribers WHERE address = ? AND asked > ? LIMIT 1",
                [address, to_iso(now - ASK_AGAIN_AFTER)],
            ).fetchone()
            if lately is not None:  # (kept to be offered once another category is confirmed)
                conn.execute(
                    "INSERT INTO digest_subscribers (category, address, state, since) "
                    "VALUES (?, ?, 'pending', ?) ON CONFLICT (category, address) DO NOTHING",
                    [category, address, to_iso(now)],
                )
                return False
            conn.execute(
                "INSERT INTO digest_subscribers (category, address, state, since, asked) "
                "VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (category, address) "
                # (a row kept unasked, or whose email failed, lives as long as this link)
                "DO UPDATE SET asked = excluded.asked, since = excluded.since",
                [category, address, to_iso(now), to_iso(now)],
            )
        return True

    def also_asked(self, address: str, besides: str, now: datetime) -> list[str]:
        """The other categories `address` asked for and has not confirmed, within a link's
        48 hours, oldest first: offered on the page of a confirmation (one email an hour
        went, for the first of them only)."""
        rows = self.store.conn.execute(
            "SELECT category FROM digest_subscribers WHERE address = ? AND category != ? "
            "AND state = 'pending' AND since >= ? ORDER BY since, category",
            [address, besides, to_iso(now - CONFIRM_WITHIN)],
        ).fetchall()
        return [row[0] for row in rows]

    def not_asked(self, category: str, address: str) -> None:
        """The confirmation email could not be sent: the address may ask again at once."""
        with self.store.transaction():
            self.store.conn.execute(
                "UPDATE digest_subscribers SET asked = NULL WHERE category = ? AND address = ? "
                "AND state = 'pending'",
                [category, address],
            )

    def confirm(self, category: str, address: str, now: datetime) -> bool:
        """Subscribe `address` (its link was followed); False when it already was."""
        with self.store.transaction():
            changed = self.store.conn.execute(
                "INSERT INTO digest_subscribers (category, address, state, since) "
                "VALUES (?, ?, 'confirmed', ?) ON CONFLICT (category, address) "
                "DO UPDATE SET state = 'confirmed', since = excluded.since, asked = NULL "
                "WHERE state != 'confirmed'",
                [category, address, to_iso(now)],
            ).rowcount
        return bool(changed)

    def remove(self, category: str, address: str) -> bool:
        """Unsubscribe `address` (its row goes); False when it was not subscribed."""
        with self.store.transaction():
            return bool(
                self.store.conn.execute(
                    "DELETE FROM digest_subscribers WHERE category = ? AND address = ?",
                    [category, address],
                ).rowcount
            )

    def answered(
        self, category: str, accepted: Sequence[str], refused: dict[str, str]
    ) -> dict[str, str]:
        """What the mail server said to the day's digest of `category`: an address it took
        starts its count of refusals again; one it refused for good counts one more, and at
        `REFUSALS_TO_UNSUBSCRIBE` in a row is unsubscribed. Returns those (address → reply)."""
        conn = self.store.conn
        with self.store.transaction():
            conn.executemany(
                "UPDATE digest_subscribers SET refusals = 0, refused = NULL "
                "WHERE category = ? AND address = ? AND refusals > 0",
                [(category, address.lower()) for address in accepted],
            )
            conn.executemany(
                "UPDATE digest_subscribers SET refusals = refusals + 1, refused = ? "
                "WHERE category = ? AND address = ? AND state = 'confirmed'",
                [(reply[:200], category, address.lower()) for address, reply in refused.items()],
            )
            dropped = dict(
                conn.execute(
                    "SELECT address, refused FROM digest_subscribers "
                    "WHERE category = ? AND refusals >= ?",
                    [category, REFUSALS_TO_UNSUBSCRIBE],
                ).fetchall()
            )
            conn.execute(
                "DELETE FROM digest_subscribers WHERE category = ? AND refusals >= ?",
                [category, REFUSALS_TO_UNSUBSCRIBE],
            )
        return dropped

    def confirmed(self, category: str) -> list[str]:
        """The confirmed addresses of `category`'s daily email, oldest first."""
        rows = self.store.conn.execute(
            "SELECT address FROM digest_subscribers WHERE category = ? AND state = 'confirmed' "
            "ORDER BY since, address",
            [category],
        )
        return [row[0] for row in rows]

    def all_categories(self) -> set[str]:
        """The categories with a subscriber, confirmed or not."""
        rows = self.store.conn.execute("SELECT DISTINCT category FROM digest_subscribers")
        return {row[0] for row in rows}

    def categories(self) -> set[str]:
        """The categories with a confirmed subscriber."""
        rows = self.store.conn.execute(
            "SELECT DISTINCT category FROM digest_subscribers WHERE state = 'confirmed'"
        )
        return {row[0] for row in rows}


def subscriber_counts(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """category → (confirmed, pending) subscribers; empty where the table is not there yet
    (a database a newer version has not migrated)."""
    try:
        rows = conn.execute(
            "SELECT category, SUM(state = 'confirmed'), SUM(state = 'pending') "
            "FROM digest_subscribers GROUP BY category"
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {category: (int(confirmed), int(pending)) for category, confirmed, pending in rows}


def subscriber_rows(conn: sqlite3.Connection, category: str | None = None) -> list[dict[str, Any]]:
    """The subscribers (of `category`), by category and address; none where the table is
    not there yet."""
    where, params = ("WHERE category = ?", [category]) if category else ("", [])
    try:
        rows = conn.execute(
            f"SELECT * FROM digest_subscribers {where} ORDER BY category, address", params
        )
    except sqlite3.OperationalError:
        return []
    names = [column[0] for column in rows.description]
    found = [dict(zip(names, row, strict=True)) for row in rows]
    keys = ("category", "address", "state", "since", "refusals", "refused")
    listed = [
        {key: row.get(key, 0 if key == "refusals" else None) for key in keys} for row in found
    ]
    try:  # (the bounce mailbox's count of each address: `bounce_store`)
        bounced = {
            address: (days, reason)
            for address, days, reason in conn.execute(
                "SELECT address, days, reason FROM digest_bounces"
            )
        }
    except sqlite3.OperationalError:
        bounced = {}
    for row in listed:
        row["bounce_days"], row["bounced"] = bounced.get(row["address"], (0, None))
    return listed
