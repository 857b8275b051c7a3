"""Table-driven tests of the pure poll scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.schedule import (
    GONE_DELAY,
    ScheduleSettings,
    after_clock_step,
    next_poll,
    parse_retry_after,
)

NOW = datetime(2026, 3, 5, 12, 0, 0, tzinfo=UTC)
S = ScheduleSettings()  # 15 min, [5 min, 6 h], cap 1 day, jitter 0.1
M = timedelta(minutes=1)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("outcome", "headers", "ttl", "expected"),
    [
        ("ok", None, None, 15 * M),
        ("not_modified", None, None, 15 * M),
        ("unchanged", None, None, 15 * M),
        # cache hints stretch the interval ...
        ("ok", {"Cache-Control": "public, max-age=3600"}, None, 60 * M),
        ("ok", {"cache-control": 'max-age="1800"'}, None, 30 * M),
        ("ok", {"cache-control": "max-age=3600", "age": "600"}, None, 50 * M),
        ("ok", None, 90, 90 * M),
        ("ok", {"cache-control": "max-age=1800"}, 90, 90 * M),  # the longest hint wins
        (
            "ok",
            {"expires": "Thu, 05 Mar 2026 14:00:00 GMT", "date": "Thu, 05 Mar 2026 12:00:00 GMT"},
            None,
            2 * H,
        ),
        ("ok", {"expires": "Thu, 05 Mar 2026 13:00:00 GMT"}, None, 1 * H),  # no Date: vs now
        # ... but never shorten it
        ("ok", {"cache-control": "max-age=60"}, None, 15 * M),
        ("ok", None, 1, 15 * M),
        ("ok", {"expires": "Thu, 05 Mar 2026 11:00:00 GMT"}, None, 15 * M),  # already expired
        ("ok", {"expires": "0"}, None, 15 * M),
        # max-age beats Expires, as in HTTP
        (
            "ok",
            {"cache-control": "max-age=1200", "expires": "Fri, 06 Mar 2026 12:00:00 GMT"},
            None,
            20 * M,
        ),
        # no-cache / no-store: no stretching from headers
        ("ok", {"cache-control": "no-cache, max-age=7200"}, None, 15 * M),
        ("ok", {"cache-control": "no-store"}, 30, 30 * M),
        # clamped to max_interval
        ("ok", {"cache-control": "max-age=604800"}, None, 6 * H),
        ("ok", None, 10**12, 6 * H),
        # junk is ignored
        ("ok", {"cache-control": "max-age=soon", "expires": "tomorrow"}, None, 15 * M),
        # past the last day once in UTC: junk too (it had raised OverflowError, every poll)
        ("ok", {"expires": "Fri, 31 Dec 9999 23:59:59 -2359"}, None, 15 * M),
        ("ok", None, 0, 15 * M),
        ("ok", None, -5, 15 * M),
    ],
)
def test_success_interval(
    outcome: str, headers: dict[str, str] | None, ttl: int | None, expected: timedelta
) -> None:
    got = next_poll(
        NOW, outcome=outcome, error_count=0, settings=S, headers=headers, ttl_minutes=ttl
    )
    assert got - NOW == expected


def test_success_is_clamped_up_to_min_interval() -> None:
    settings = ScheduleSettings(interval=timedelta(minutes=1))
    assert next_poll(NOW, outcome="ok", error_count=0, settings=settings) - NOW == 5 * M


@pytest.mark.parametrize(
    ("error_count", "rand", "expected"),
    [
        (1, 0.5, 15 * M),
        (2, 0.5, 30 * M),
        (3, 0.5, 60 * M),
        (5, 0.5, 4 * H),
        (7, 0.5, 16 * H),
        (8, 0.5, 24 * H),  # 32 h capped at 1 day
        (500, 0.5, 24 * H),  # no overflow
        (0, 0.5, 15 * M),  # treated as the first error
        (1, 0.0, 13.5 * M),  # -10 %
        (1, 1.0, 16.5 * M),  # +10 %
        (3, 0.25, 57 * M),  # -5 %
        (8, 0.0, 21.6 * H),  # jitter applies below the cap
        (8, 1.0, 24 * H),  # ... and never pushes past it
        (1, -3.0, 13.5 * M),  # rand outside 0..1 is clamped
    ],
)
def test_error_backoff(error_count: int, rand: float, expected: timedelta) -> None:
    got = next_poll(NOW, outcome="error", error_count=error_count, settings=S, rand=rand)
    assert got - NOW == expected


def test_error_ignores_cache_hints() -> None:
    got = next_poll(
        NOW,
        outcome="error",
        error_count=1,
        settings=S,
        headers={"cache-control": "max-age=7200"},
        ttl_minutes=120,
    )
    assert got - NOW == 15 * M


@pytest.mark.parametrize(
    ("outcome", "error_count", "retry_after", "expected"),
    [
        ("error", 1, "3600", 1 * H),  # longer than the backoff: honoured
        ("error", 3, "60", 60 * M),  # shorter than the backoff: backoff stands
        ("error", 1, "Thu, 05 Mar 2026 15:00:00 GMT", 3 * H),
        ("error", 1, "Thu, 05 Mar 2026 12:01:00 GMT", 15 * M),
        ("error", 1, "864000", 24 * H),  # 10 days, capped at error_backoff_cap
        ("ok", 0, "7200", 2 * H),  # on any outcome, beyond max_interval too
        ("not_modified", 0, "7200", 2 * H),
        ("ok", 0, "soon", 15 * M),  # invalid: ignored
        ("ok", 0, "-60", 15 * M),
    ],
)
def test_retry_after_is_never_undercut(
    outcome: str, error_count: int, retry_after: str, expected: timedelta
) -> None:
    got = next_poll(
        NOW,
        outcome=outcome,
        error_count=error_count,
        settings=S,
        headers={"Retry-After": retry_after},
    )
    assert got - NOW == expected


def test_gone_is_far_future_even_with_retry_after() -> None:
    got = next_poll(NOW, outcome="gone", error_count=9, settings=S, headers={"retry-after": "60"})
    assert got == NOW + GONE_DELAY
    assert timedelta(days=365) <= GONE_DELAY


def test_unknown_outcome_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown poll outcome"):
        next_poll(NOW, outcome="fine", error_count=0, settings=S)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + 2 * M),
        ("  0 ", NOW),
        ("Thu, 05 Mar 2026 13:30:00 GMT", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),
        ("Thursday, 05-Mar-26 13:30:00 GMT", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),
        ("Thu Mar  5 13:30:00 2026", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),
        ("Thu, 05 Mar 2026 14:30:00 +0100", datetime(2026, 3, 5, 13, 30, tzinfo=UTC)),
        ("99999999999999999999", NOW + timedelta(seconds=10**9)),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("Thu, 32 Mar 2026 13:30:00 GMT", None),
        ("Fri, 31 Dec 9999 23:59:59 -2359", None),  # (past the last day once in UTC)
    ],
)
def test_parse_retry_after(value: str, expected: datetime | None) -> None:
    got = parse_retry_after(value, NOW)
    assert got == expected
    if got is not None:
        assert got.utcoffset() == timedelta(0)


def test_after_a_clock_step_back_a_feed_keeps_its_wait_counted_from_now() -> None:
    """Polled at 22:00 by a clock 10 h ahead, due 22:15: with the clock back at 12:00, due
    12:15 (not 22:15); a due time already passed, or none, is now."""
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    last = now + timedelta(hours=10)
    assert after_clock_step(last, last + timedelta(minutes=15), now) == now + timedelta(minutes=15)
    assert after_clock_step(last, last - timedelta(minutes=1), now) == now
    assert after_clock_step(last, None, now) == now
