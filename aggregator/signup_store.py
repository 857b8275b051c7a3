"""Readers' own subscriptions in SQLite (`digest_subscribers`) and the key that signs their
links (`signup`). Writes go through the store's single write connection (call them on the
writer thread); `subscriber_counts` reads through any connection. SQL only."""

from __future__ import annotations

import secrets
import sqlite3
from datetime import datetime

from .signup import ASK_AGAIN_AFTER, CONFIRM_WITHIN
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
        it is subscribed already, or one went within the hour."""
        conn = self.store.conn
        self.forget_unconfirmed(now)
        with self.store.transaction():
            row = conn.execute(
                "SELECT state, asked FROM digest_subscribers WHERE category = ? AND address = ?",
                [category, address],
            ).fetchone()
            if row is not None and (
                row[0] == "confirmed" or (row[1] and row[1] > to_iso(now - ASK_AGAIN_AFTER))
            ):
                return False
            conn.execute(
                "INSERT INTO digest_subscribers (category, address, state, since, asked) "
                "VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (category, address) "
                "DO UPDATE SET asked = excluded.asked",
                [category, address, to_iso(now), to_iso(now)],
            )
        return True

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


def subscriber_rows(conn: sqlite3.Connection, category: str | None = None) -> list[dict[str, str]]:
    """The subscribers (of `category`), by category and address; none where the table is
    not there yet."""
    where, params = ("WHERE category = ?", [category]) if category else ("", [])
    try:
        rows = conn.execute(
            f"SELECT category, address, state, since FROM digest_subscribers {where} "
            "ORDER BY category, address",
            params,
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [dict(zip(("category", "address", "state", "since"), row, strict=True)) for row in rows]
