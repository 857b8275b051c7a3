"""Doubling waits: capped for any count of failures in a row, and the jobs that use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.backoff import doubled, doubled_delta
from aggregator.digest import retry_delay
from aggregator.digest_settings import DigestSettings
from aggregator.push import retry_at
from aggregator.service import FAILED_CYCLE_PAUSE_MAX, failed_cycle_pause
from aggregator.websub import LAST_RETRY, retry_after


@pytest.mark.parametrize(
    ("times", "wait"),
    [(-3, 30.0), (0, 30.0), (1, 60.0), (3, 240.0), (4, 300.0), (2000, 300.0), (10**9, 300.0)],
)
def test_a_wait_doubles_up_to_its_cap_for_any_count(times: int, wait: float) -> None:
    assert doubled(30.0, times, 300.0) == wait
    assert doubled_delta(timedelta(seconds=30), times, timedelta(minutes=5)) == timedelta(
        seconds=wait
    )


def test_a_duration_below_the_cap_is_exact() -> None:
    first = timedelta(seconds=1, microseconds=1)
    assert doubled_delta(first, 10, timedelta(days=1)) == first * 1024


def test_thousands_of_failures_in_a_row_give_the_longest_wait_not_an_error() -> None:
    # (each raised OverflowError past ~1,000 failures, or ~40 for a duration)
    assert failed_cycle_pause(5000, 1.0) == FAILED_CYCLE_PAUSE_MAX
    assert retry_after(5000) == LAST_RETRY
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert retry_at(5000, now) == now + timedelta(days=1)
    settings = DigestSettings(max_attempts=100)
    assert retry_delay(100, settings) == settings.retry_max
