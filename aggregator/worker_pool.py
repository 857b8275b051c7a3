"""Worker processes a pass starts for pure CPU work, and what is done when one dies.

Every pool is started with ``spawn`` (safe beside the writer thread and the event loop) and
lives for one pass. `InPlaceFallback` is the shape shared by the pools whose work the calling
thread can do itself: a dead worker is logged once, the pool is given up, and the rest of the
pass is done in place.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["InPlaceFallback", "spawn_pool", "usable_cpus"]

log = logging.getLogger("aggregator")


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def spawn_pool(
    workers: int,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )


class InPlaceFallback:
    """Holds a pool whose work falls back to the calling thread when a worker dies."""

    LOST = "worker died; doing the rest of this pass in place"  # what the log says then

    def __init__(self, pool: ProcessPoolExecutor | None) -> None:
        self._pool = pool

    @property
    def alive(self) -> bool:
        """Whether the workers are still in use (no worker has died, not closed)."""
        return self._pool is not None

    def _broken(self) -> None:
        """Give the pool up (once): the rest of the pass is done in place."""
        if self._pool is not None:
            log.error(self.LOST)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
