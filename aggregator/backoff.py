"""Waits that double after each failure in a row, up to a cap, for any count of failures.
Pure.

A count of failures in a row has no bound of its own: a network down for a long weekend, a
hub gone for months, a full disk nobody sees. `2 ** failures` times a wait passes the largest
float after ~1,000 failures (and the largest `timedelta` after ~40 doublings of seconds), where
the product raised `OverflowError` instead of giving the cap.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["doubled", "doubled_delta"]

_MOST_DOUBLINGS = 60  # 2**60 times any first wait is past any cap


def doubled(first: float, times: int, most: float) -> float:
    """`first` doubled `times` times (not at all for 0 or fewer), at most `most`."""
    return min(first * 2.0 ** min(max(times, 0), _MOST_DOUBLINGS), most)


def doubled_delta(first: timedelta, times: int, most: timedelta) -> timedelta:
    """`doubled` for durations."""
    doublings = min(max(times, 0), _MOST_DOUBLINGS)
    if first.total_seconds() * 2.0**doublings >= most.total_seconds():
        return most
    return first * (1 << doublings)
