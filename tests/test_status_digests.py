"""`aggregator status`'s digest lines: a failed send's pending retry, and what comes next."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from digest_fixture import NOW, settings

from aggregator.cli_status import digest_row
from aggregator.store import to_iso

SETTINGS = settings()
TODAY = "2026-03-10"  # NOW is today's 08:00 Berlin send


def failed(attempts: int = 1, retry_at: Any = NOW + timedelta(minutes=5), day: str = TODAY) -> dict:
    return {
        "day": day,
        "status": "failed",
        "attempts": attempts,
        "next_attempt_at": to_iso(retry_at),
        "error": "451 try later",
    }


def row(last: dict, at: Any = NOW) -> tuple[str, str]:
    _, _, _, status, upcoming = digest_row("World News", last, SETTINGS, at)
    return status, upcoming


def test_a_pending_retry_is_the_next_send() -> None:
    assert row(failed()) == ("failed (attempt 1), retry in 5m: 451 try later", "retry in 5m")


def test_an_overdue_retry_is_due_not_past() -> None:
    """Waiting for the service's next tick: due now, never "retry 1s ago"."""
    later = NOW + timedelta(minutes=5, seconds=1)
    assert row(failed(), later) == ("failed (attempt 1), retry due: 451 try later", "retry due")
    assert row(failed(), NOW + timedelta(minutes=5))[1] == "retry due"


def test_no_retry_after_the_last_attempt_or_for_an_earlier_day() -> None:
    tomorrow = "in 1d"  # the next 08:00 Berlin send
    last = failed(attempts=SETTINGS.digest.max_attempts)
    assert row(last) == ("failed (attempt 6), gave up for the day: 451 try later", tomorrow)
    no_time = {**failed(), "next_attempt_at": None}
    assert row(no_time)[0].startswith("failed (attempt 1), gave up for the day")
    yesterday = failed(retry_at=NOW - timedelta(hours=20), day="2026-03-09")
    assert row(yesterday) == ("failed (attempt 1), gave up for the day: 451 try later", tomorrow)


def test_a_sent_digest_shows_the_next_scheduled_send() -> None:
    sent = {"day": TODAY, "status": "sent", "attempts": 1, "sent_at": to_iso(NOW)}
    assert digest_row("World News", sent, SETTINGS, NOW + timedelta(hours=1)) == (
        "World News",
        "2",
        f"{TODAY} (1h ago)",
        "sent",
        "in 23h",
    )
