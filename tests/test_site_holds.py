"""The holds both jobs keep of sites that answered 429 or 503 (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.site_holds import SiteHolds, busy_pause

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_a_busy_answer_holds_for_its_retry_after_within_a_minute_and_an_hour() -> None:
    assert busy_pause(429, {}, NOW) == 60.0
    assert busy_pause(503, {"retry-after": "120"}, NOW) == 120.0
    assert busy_pause(429, {"retry-after": "5"}, NOW) == 60.0
    assert busy_pause(429, {"retry-after": "86400"}, NOW) == 3600.0
    assert busy_pause(500, {"retry-after": "120"}, NOW) is None


def test_a_hold_is_only_ever_lengthened_and_stored_once() -> None:
    holds = SiteHolds()
    assert holds.hold("a.example", NOW + timedelta(minutes=5))
    assert not holds.hold("a.example", NOW + timedelta(minutes=2))  # (held longer already)
    assert holds.until("a.example", NOW) == NOW + timedelta(minutes=5)
    assert holds.unsaved() == {"a.example": NOW + timedelta(minutes=5)}
    assert holds.unsaved() == {}
    assert holds.until("a.example", NOW + timedelta(minutes=5)) is None  # (ended)


def test_recall_drops_passed_holds_and_takes_longer_stored_ones() -> None:
    holds = SiteHolds()
    holds.hold("a.example", NOW + timedelta(minutes=1))
    holds.hold("b.example", NOW + timedelta(minutes=9))
    later = NOW + timedelta(minutes=2)
    stored = {"b.example": NOW + timedelta(minutes=3), "c.example": NOW + timedelta(minutes=4)}
    holds.recall(stored, later)
    assert holds.held(later) == ["b.example", "c.example"]
    assert holds.until("b.example", later) == NOW + timedelta(minutes=9)  # (its own is longer)
    assert holds.unsaved() == {"b.example": NOW + timedelta(minutes=9)}  # (a's passed; c stored)


def test_a_hold_made_by_a_clock_since_stepped_back_ends_within_an_hour() -> None:
    """Holds made 10 h ahead (the clock since stepped back), this job's and a stored one,
    end at most an hour after `now` instead of 10 h later than they should."""
    holds = SiteHolds()
    holds.hold("own.example", NOW + timedelta(hours=10, minutes=30))
    holds.recall({"stored.example": NOW + timedelta(hours=10, minutes=5)}, NOW)
    hour = NOW + timedelta(hours=1)
    assert holds.until("own.example", NOW) == hour
    assert holds.until("stored.example", NOW) == hour
    assert holds.held(hour) == []
