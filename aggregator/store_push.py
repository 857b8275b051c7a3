"""The writer's side of push from upstream hubs (`push`): the subscriptions this server holds
at hubs and what each hub answered (a feed a hub said changed is made due by
`FeedsStore.poll_pushed`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .store_db import StoreBase
from .store_rows import from_iso, to_iso

if TYPE_CHECKING:  # (loaded by the push job's first call: a poll pass never needs it)
    from .push import Subscription

__all__ = ["PushStore"]

_COLUMNS = (
    "feed_url, hub, topic, key, secret, state, requested_at, lease_until, failures, "
    "next_try_at, error, callback"
)


def _subscription(row: tuple[Any, ...]) -> Subscription:
    from .push import Subscription

    feed_url, hub, topic, key, secret, state = row[:6]
    return Subscription(
        feed_url,
        hub,
        topic,
        key,
        secret,
        state,
        requested_at=from_iso(row[6]),
        lease_until=from_iso(row[7]),
        failures=row[8] or 0,
        next_try_at=from_iso(row[9]),
        error=row[10],
        callback=row[11],
    )


class PushStore(StoreBase):
    """Subscriptions at upstream WebSub hubs (`push_subscriptions`)."""

    def push_wanted(self) -> dict[str, tuple[str, str]]:
        """Each listed, unpaused feed whose last body named a hub: its (hub, topic)."""
        rows = self.conn.execute(
            "SELECT s.url, f.hub, f.topic FROM sources s JOIN feeds f ON f.url = s.url "
            "WHERE s.active = 1 AND s.paused = 0 AND f.hub IS NOT NULL AND f.topic IS NOT NULL "
            "ORDER BY s.position"
        )
        return {url: (hub, topic) for url, hub, topic in rows}

    def push_subscriptions(self) -> list[Subscription]:
        """Every subscription held or asked for, oldest first."""
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM push_subscriptions ORDER BY rowid")
        return [_subscription(row) for row in rows]

    def push_subscription(self, key: str) -> Subscription | None:
        """The subscription of the callback `key`, if any."""
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM push_subscriptions WHERE key = ?", [key]
        ).fetchone()
        return None if row is None else _subscription(row)

    def push_asked(self, sub: Subscription) -> None:
        """Store a subscription as its request left it (a new one, or one asked again)."""
        self.conn.execute(
            f"INSERT INTO push_subscriptions ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET state = excluded.state, "
            "requested_at = excluded.requested_at, lease_until = excluded.lease_until, "
            "failures = excluded.failures, next_try_at = excluded.next_try_at, "
            "error = excluded.error",
            [
                sub.feed_url,
                sub.hub,
                sub.topic,
                sub.key,
                sub.secret,
                sub.state,
                to_iso(sub.requested_at),
                to_iso(sub.lease_until),
                sub.failures,
                to_iso(sub.next_try_at),
                sub.error,
                sub.callback,
            ],
        )

    def push_forget(self, key: str) -> None:
        """Drop a subscription (unsubscribed, or never held by its hub)."""
        self.conn.execute("DELETE FROM push_subscriptions WHERE key = ?", [key])

    def push_pushed(self, key: str, now: datetime) -> None:
        """Count a notification that checked, at `now`."""
        self.conn.execute(
            "UPDATE push_subscriptions SET pushes = pushes + 1, pushed_at = ? WHERE key = ?",
            [to_iso(now), key],
        )
