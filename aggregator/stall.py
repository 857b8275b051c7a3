"""A pass that makes no progress for long is stalled: the process says so and exits.

Every wait the service knows of has a bound of its own (a fetch's `total_timeout`, a parse
worker's deadline, SQLite's busy timeout, the model's timeout), and systemd's watchdog sees
an event loop that stops turning. Neither sees a wait that never ends while the loop turns:
a future nobody will resolve, a writer thread blocked for good. The service would then serve
older and older news without a word, and a `poll --once` would hold the writer lock, so every
later cron run gives up behind it.

`StallGuard` watches a pass (a poll cycle and the upkeep after it; the whole of `poll
--once`) for progress: a job the writer thread finished for the pass (each batch of feeds
stored, each grouping pass: `IN_PASS`), or CPU time the writer thread spent (a long grouping
pass is one job). When neither happened for `limit` seconds, the pass is stalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from .config import Settings

__all__ = [
    "IN_PASS",
    "STALLED",
    "StallGuard",
    "Stalled",
    "exit_after",
    "stall_limit",
    "task_names",
    "thread_cpu",
    "thread_stacks",
]

log = logging.getLogger("aggregator")

STALLED = 4  # the exit status of a process that stopped because its pass stalled
# Set in the context of a watched pass: its writer jobs are its progress (those of the jobs
# beside it, the article pages' and the digests', which write on their own, are not).
IN_PASS: ContextVar[bool] = ContextVar("in_pass", default=False)
# The least `stall_after` can mean: the slowest feed a pass waits for (its fetch, then a parse
# worker's deadline, `parse_pool.PARSE_TIMEOUT`), or a model's answer, and a minute more.
_PARSE_DEADLINE = 300.0
_MARGIN = 60.0


def stall_limit(settings: Settings) -> float:
    """Seconds without progress after which a pass is stalled: `[server] stall_after`, never
    less than one feed or one model answer may take. Pure."""
    slowest = max(settings.fetch.total_timeout + _PARSE_DEADLINE, settings.llm.timeout)
    return max(settings.server.stall_after, slowest + _MARGIN)


def thread_cpu(ident: int) -> Callable[[], float]:
    """A reader of thread `ident`'s CPU seconds (`threading.get_ident`); where the system
    cannot tell one thread's, the process's (any thread's work counts as progress then). Once
    the thread has ended, its last reading."""
    try:
        clock = time.pthread_getcpuclockid(ident)
        last = [time.clock_gettime(clock)]
    except (AttributeError, OSError):
        return time.process_time

    def read() -> float:
        with contextlib.suppress(OSError):  # (a thread that ended spends no more)
            last[0] = time.clock_gettime(clock)
        return last[0]

    return read


class Stalled(Exception):
    """A pass made no progress for its guard's limit, and was stopped."""


class StallGuard:
    """How long a pass has gone without progress: `mark` it (a job done); `idle` also reads
    the writer's CPU clock (`cpu`): a hundredth of `limit` spent since the last look that
    counted is progress (a job at work spends nearly all of it; a blocked one none)."""

    def __init__(
        self,
        limit: float,
        cpu: Callable[[], float],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._cpu = cpu
        self._clock = clock
        self.progress_at = clock()
        self._cpu_at = cpu()

    @property
    def every(self) -> float:
        """Seconds between two looks: a tenth of the limit, at most 30."""
        return min(30.0, self.limit / 10)

    def mark(self) -> None:
        """Progress now (any thread may say so)."""
        self.progress_at = self._clock()

    def idle(self) -> float:
        """Seconds since the last progress."""
        cpu = self._cpu()
        if cpu - self._cpu_at >= self.limit / 100:
            self._cpu_at = cpu
            self.mark()
        return self._clock() - self.progress_at

    def stalled(self) -> bool:
        return self.idle() >= self.limit


NAMES_SHOWN = 16  # kinds of waiting task a stall names, at most (a service runs ~10)


def task_names(tasks: Iterable[asyncio.Task[Any]]) -> str:
    """The tasks still waiting, by what they run, most first, then by name: "PollJob.
    _poll_feed ×12, …". Every kind a service runs is named (the stuck one among them: with
    eight at most, a ninth kind, the picture checks' loop, could push the stuck feed out)."""
    waiting = Counter(
        getattr(task.get_coro(), "__qualname__", task.get_name())
        for task in tasks
        if not task.done()
    )
    kinds = sorted(waiting.items(), key=lambda kind: (-kind[1], kind[0]))
    shown = [f"{name} ×{count}" if count > 1 else name for name, count in kinds[:NAMES_SHOWN]]
    if len(kinds) > NAMES_SHOWN:
        shown.append(f"and {len(kinds) - NAMES_SHOWN} more")
    return ", ".join(shown)


def thread_stacks(depth: int = 8) -> str:
    """Where each thread of the process is but the calling one (the event loop's, which is
    looking): its name and its innermost `depth` frames."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        stack = "".join(traceback.format_stack(frame)[-depth:])
        parts.append(f"thread {names.get(ident, ident)}:\n{stack}")
    return "\n".join(parts)


def exit_after(seconds: float) -> threading.Timer:
    """End the process with STALLED in `seconds`, whatever it is doing then: a stalled pass's
    threads may never let it stop (a writer blocked for good is joined as Python exits)."""

    def now() -> None:
        log.error("stalled: the process did not stop within %g s; exiting now", seconds)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(STALLED)

    timer = threading.Timer(seconds, now)
    timer.daemon = True
    timer.start()
    return timer
