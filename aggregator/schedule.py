"""When to poll a feed next: intervals, cache hints, backoff, Retry-After. Pure.

Everything comes in as arguments (``now``, settings, response headers, a random number), so the
same inputs always give the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from .wording import duration

__all__ = [
    "GONE_DELAY",
    "OUTCOMES",
    "ScheduleSettings",
    "after_clock_step",
    "feed_schedule",
    "intervals_overruled",
    "next_poll",
    "parse_retry_after",
]

OUTCOMES = frozenset({"ok", "not_modified", "unchanged", "error", "gone"})
GONE_DELAY = timedelta(days=365)
_MAX_SECONDS = 10**9  # ~31 years: bigger header values are nonsense and would overflow datetime


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """Polling policy; ``jitter`` is the ± fraction applied to error backoff."""

    interval: timedelta = timedelta(minutes=15)
    min_interval: timedelta = timedelta(minutes=5)
    max_interval: timedelta = timedelta(hours=6)
    error_backoff_cap: timedelta = timedelta(days=1)
    jitter: float = 0.1


def feed_schedule(settings: ScheduleSettings, interval: timedelta | None) -> ScheduleSettings:
    """The policy for a feed with its own interval (its OPML outline's), kept within
    ``min_interval``..``max_interval``: backoff and cache hints work from it as from
    ``interval``. None: the settings as they are."""
    if interval is None or interval == settings.interval:
        return settings
    own = _clamp(interval, settings.min_interval, settings.max_interval)
    return replace(settings, interval=own)


def _overruled(settings: ScheduleSettings, interval: timedelta) -> str | None:
    """What the bounds make of a feed's own interval when they overrule it ("interval=1d is
    above [schedule] max_interval: it is polled every 6h"); None when it stands."""
    low, high = settings.min_interval, settings.max_interval
    if low <= interval <= high:
        return None
    side, name, bound = ("below", "min", low) if interval < low else ("above", "max", high)
    return (
        f"interval={duration(interval)} is {side} [schedule] {name}_interval: it is polled "
        f"every {duration(bound)}"
    )


def intervals_overruled(
    settings: ScheduleSettings, intervals: Iterable[tuple[str, timedelta | None]]
) -> dict[str, list[str]]:
    """Of feeds' own intervals (url, interval), those the bounds overrule: what they make of
    them (`_overruled`) → the feeds, in order (a category's interval gives one)."""
    found: dict[str, list[str]] = {}
    for url, interval in intervals:
        if interval and (said := _overruled(settings, interval)):
            found.setdefault(said, []).append(url)
    return found


def next_poll(
    now: datetime,
    *,
    outcome: str,
    error_count: int,
    settings: ScheduleSettings,
    headers: Mapping[str, str] | None = None,
    ttl_minutes: int | None = None,
    rand: float = 0.5,
) -> datetime:
    """The time to poll a feed next, given how this poll went.

    Success ("ok", "not_modified", "unchanged"): ``interval``, stretched (never shortened) by
    Cache-Control max-age, Expires or the feed's TTL, clamped to [min_interval, max_interval].
    "error": ``interval * 2**(error_count-1)`` capped at ``error_backoff_cap``, times a jitter
    factor in [1-jitter, 1+jitter] chosen by ``rand`` (0..1; 0.5 means none), still capped and
    never below ``min_interval``.
    "gone": ``now + GONE_DELAY``. A Retry-After header, on any outcome, is never undercut
    (though it is not honoured beyond ``error_backoff_cap``).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown poll outcome {outcome!r}")
    if outcome == "gone":
        return now + GONE_DELAY
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    if outcome == "error":
        delay = _backoff(error_count, rand, settings)
    else:
        hints = [settings.interval, *_cache_hints(lowered, now)]
        if ttl_minutes is not None and ttl_minutes > 0:
            hints.append(timedelta(minutes=min(ttl_minutes, _MAX_SECONDS // 60)))
        delay = _clamp(max(hints), settings.min_interval, settings.max_interval)
    when = now + delay
    retry_at = parse_retry_after(lowered.get("retry-after", ""), now)
    if retry_at is not None:
        when = max(when, min(retry_at, now + settings.error_backoff_cap))
    return when


def after_clock_step(last_polled: datetime, next_poll: datetime | None, now: datetime) -> datetime:
    """When to poll a feed last polled at `last_polled`, a time later than `now`: the clock
    that stamped it has since stepped back (an RTC kept in local time, corrected by NTP). The
    wait it was given then (to `next_poll`) is kept, counted from `now`: never sooner after
    the real poll than that wait, and never put off by the length of the step as well."""
    wait = next_poll - last_polled if next_poll is not None else timedelta(0)
    return now + max(wait, timedelta(0))


def parse_retry_after(value: str, now: datetime) -> datetime | None:
    """A Retry-After value (delta-seconds or HTTP date) as an aware UTC time, or None if invalid."""
    value = (value or "").strip()
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return now + timedelta(seconds=seconds)
    return _http_date(value)


def _seconds(value: str) -> int | None:
    """Delta-seconds as a header writes them, at most `_MAX_SECONDS`; None unless ASCII digits.
    A number of more digits than the cap's is the cap, never converted: Python refuses to read
    one of over 4,300 digits, and a header of 5,000 nines had failed the feed's whole poll."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        return None
    value = value.lstrip("0") or "0"
    return _MAX_SECONDS if len(value) > len(str(_MAX_SECONDS)) else min(int(value), _MAX_SECONDS)


def _backoff(error_count: int, rand: float, settings: ScheduleSettings) -> timedelta:
    exponent = min(max(error_count, 1) - 1, 64)
    cap = settings.error_backoff_cap.total_seconds()
    base = min(settings.interval.total_seconds() * 2.0**exponent, cap)
    spread = settings.jitter * (2.0 * min(max(rand, 0.0), 1.0) - 1.0)
    seconds = min(base * (1.0 + spread), cap)
    return max(timedelta(seconds=seconds), settings.min_interval)


def _cache_hints(headers: Mapping[str, str], now: datetime) -> list[timedelta]:
    """Freshness lifetimes the response declares (max-age wins over Expires, as in HTTP)."""
    directives = _cache_control(headers.get("cache-control", ""))
    if "no-store" in directives or "no-cache" in directives:
        return []
    max_age = directives.get("max-age")
    if max_age is not None:
        lifetime_s = _seconds(max_age)
        if lifetime_s is None:
            return []
        used = _seconds(headers.get("age", "")) or 0
        return [timedelta(seconds=max(lifetime_s - used, 0))]
    expires = _http_date(headers.get("expires", ""))
    if expires is None:
        return []
    origin = _http_date(headers.get("date", "")) or now
    lifetime = expires - origin
    return [lifetime] if lifetime > timedelta(0) else []


def _cache_control(value: str) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.partition("=")
        name = name.strip().lower()
        if name:
            directives[name] = arg.strip().strip('"') if sep else None
    return directives


def _http_date(value: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # a date header's parser: email, loaded here

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # ("31 Dec 9999 23:59:59 -2359" is past the last day in UTC)
        return None


def _clamp(value: timedelta, low: timedelta, high: timedelta) -> timedelta:
    return max(low, min(value, high))
