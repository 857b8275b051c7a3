"""Is the service healthy? A pure decision over the store's counts, for /healthz and `status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .config import Settings


def stale_after(settings: Settings) -> timedelta:
    """How old the last poll cycle may be before the service counts as degraded: three times
    the longer of the scheduler tick and the shortest poll interval, plus room for a cycle
    held up by a few slow feeds."""
    tick = timedelta(seconds=settings.server.tick)
    fetch = timedelta(seconds=settings.fetch.total_timeout)
    return 3 * max(tick, settings.schedule.min_interval) + 4 * fetch


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def assess(health: dict[str, Any], now: datetime, stale: timedelta | None) -> list[str]:
    """Reasons the service is degraded (empty: healthy).

    Degraded when most feeds (more than half) are failing, or when `stale` is given and no poll
    cycle has finished within it.
    """
    reasons: list[str] = []
    feeds = int(health.get("feeds") or 0)
    failing = int(health.get("feeds_failing") or 0)
    if feeds and failing * 2 > feeds:
        reasons.append(f"{failing} of {feeds} feeds failing")
    if stale is not None and feeds:
        last = _parse(health.get("last_poll_at"))
        if last is None:
            reasons.append("no poll cycle has completed yet")
        elif now - last > stale:
            minutes = int((now - last).total_seconds() // 60)
            reasons.append(f"last poll cycle finished {minutes} min ago")
    return reasons
