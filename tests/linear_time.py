"""A guard for the tests of hostile input: a reading that takes time linear in what it reads
ends well under a second on a megabyte, a quadratic one takes hours. The guard is an alarm,
not a timing: it only turns such a hang into a failure with a message."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
GUARD = 120.0  # seconds
SIZE = 1_000_000  # characters or bytes of a hostile input


def finishes(work: Callable[[], T]) -> T:
    """`work()`'s result, failing the test if it takes longer than `GUARD` seconds (an alarm:
    the regular-expression engine stops for signals, not for other threads)."""

    def give_up(signum: int, frame: object) -> None:
        raise AssertionError(f"still reading after {GUARD:.0f} s: time quadratic in the input?")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.setitimer(signal.ITIMER_REAL, GUARD)
    try:
        return work()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
