"""Stored times: UTC, second precision, as `isoformat` writes them, whatever the zone given."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from aggregator.store_rows import to_iso


def test_utc_times_are_written_as_isoformat_writes_them() -> None:
    rand = random.Random(7)
    for _ in range(2000):
        value = datetime(
            rand.randint(1, 9999),
            rand.randint(1, 12),
            rand.randint(1, 28),
            rand.randint(0, 23),
            rand.randint(0, 59),
            rand.randint(0, 59),
            rand.randint(0, 999_999),
            tzinfo=UTC,
        )
        assert to_iso(value) == value.replace(microsecond=0).isoformat()
    assert to_iso(datetime(5, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC)) == "0005-01-02T03:04:05+00:00"


def test_other_zones_and_naive_times_are_made_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert to_iso(datetime(2020, 1, 1, 1, tzinfo=plus_two)) == "2019-12-31T23:00:00+00:00"
    assert to_iso(datetime(2020, 1, 1, 1, 2, 3, 4)) == "2020-01-01T01:02:03+00:00"
    assert to_iso(None) is None
