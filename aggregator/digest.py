"""The daily email digest per category: settings and the pure decisions. No IO.

What is due when (`due`), which stories go in (`select`) and how long to wait before retrying
a failed send (`retry_delay`) are functions of `now`, the settings and what the database says
was already sent. Composing the message is `digest_mail`; delivering it and keeping the books
is `digest_job`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .backoff import doubled_delta
from .digest_settings import DigestSettings as DigestSettings  # (re-exported)
from .models import Story
from .ranking import rank

# --- when --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunState:
    """What the database says about one category's digest for one day."""

    category: str
    day: date
    status: str  # sending | sent | failed | empty
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None
    last_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Due:
    """A digest to send now: the category, the local day it is for, and which attempt."""

    category: str
    day: date
    attempt: int


def scheduled_at(category: str, day: date, settings: DigestSettings) -> datetime:
    """The UTC moment of `day`'s send (a local time skipped by a DST change moves forward)."""
    local = datetime.combine(day, settings.send_time(category), tzinfo=settings.zone)
    # Round-trip through UTC so a non-existent local time lands on a real instant.
    return local.astimezone(UTC)


def latest_slot(category: str, now: datetime, settings: DigestSettings) -> tuple[date, datetime]:
    """The most recent scheduled send at or before `now`: (local day, UTC moment)."""
    today = now.astimezone(settings.zone).date()
    for day in (today, today - timedelta(days=1), today - timedelta(days=2)):
        moment = scheduled_at(category, day, settings)
        if moment <= now:
            return day, moment
    raise AssertionError("unreachable: a send time exists every day")  # pragma: no cover


def next_slot(category: str, now: datetime, settings: DigestSettings) -> datetime:
    """The next scheduled send strictly after `now` (UTC)."""
    today = now.astimezone(settings.zone).date()
    for offset in range(3):
        moment = scheduled_at(category, today + timedelta(days=offset), settings)
        if moment > now:
            return moment
    raise AssertionError("unreachable")  # pragma: no cover


def retry_delay(attempts: int, settings: DigestSettings) -> timedelta:
    """Wait after the `attempts`-th failed try: doubling from retry_initial up to retry_max."""
    return doubled_delta(settings.retry_initial, attempts - 1, settings.retry_max)


def due(
    now: datetime,
    settings: DigestSettings,
    runs: Mapping[tuple[str, date], RunState],
    subscribed: Collection[str] = frozenset(),
) -> list[Due]:
    """Digests to send now, given each category's runs keyed by (category, local day): of
    the categories with recipients in the settings, or readers `subscribed` on the site.

    Only the latest scheduled send counts, so a service that was down for days sends once
    when it comes back, and not at all when that send is more than `catch_up` old (the next
    one is closer). A run already sent (or with nothing to send) is done for the day, unless
    it was sent by hand before the day's time (then the scheduled send still goes); a
    failed or interrupted one is retried with backoff until `max_attempts`.
    """
    out = []
    for category, addresses in settings.recipients.items():
        if not addresses and category not in subscribed:
            continue
        day, moment = latest_slot(category, now, settings)
        run = runs.get((category, day))
        if run is None:
            if now - moment <= settings.catch_up:
                out.append(Due(category, day, 1))
            continue
        if run.status in ("sent", "empty"):
            # Sent by hand earlier that day (`digest --send-now`, before the scheduled time):
            # the scheduled send still goes, with what is new since (it had been skipped)
            early = run.last_attempt_at is not None and run.last_attempt_at < moment
            if early and now - moment <= settings.catch_up:
                out.append(Due(category, day, run.attempts + 1))
            continue
        if run.attempts >= settings.max_attempts:
            continue
        if run.next_attempt_at is None or run.next_attempt_at <= now:
            out.append(Due(category, day, run.attempts + 1))
    return out


# --- what --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pick:
    """A story going into a digest; `updated` when an earlier digest had an older version."""

    story: Story
    updated: bool = False


def window_start(now: datetime, last_sent: datetime | None, settings: DigestSettings) -> datetime:
    """Where a digest sent `now` reads from: `window` back, or the last send when that is
    earlier (a send late by up to `catch_up`, after an outage: the stories since the last one,
    which a fixed window had partly dropped)."""
    since = now - settings.window
    if last_sent is not None and last_sent < since:
        since = max(last_sent, since - settings.catch_up)
    return since


def select(
    stories: Iterable[Story],
    sent_versions: Mapping[str, int],
    now: datetime,
    settings: DigestSettings,
    since: datetime | None = None,
    *,
    known: Collection[str] = (),
) -> list[Pick]:
    """The top `count` summarised stories changed since `since` (default: `window` before
    `now`), or whose newest report came in since (`known`, the store's: the report's source
    dated it before), ranked as on the front page.

    A story an earlier digest of this category carried comes back only when it has materially
    changed since (a higher version), marked as updated.
    """
    since = since if since is not None else now - settings.window
    fresh = [
        s
        for s in stories
        if s.version > 0
        and s.summary is not None
        and (since <= s.updated or s.id in known)
        and s.updated <= now
        and sent_versions.get(s.id, 0) < s.version
    ]
    return [Pick(s, s.id in sent_versions) for s in rank(fresh, now)[: settings.count]]
