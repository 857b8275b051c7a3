"""Parsing fetched bodies off the event loop, in as many processes as the pass's work needs.

Parsing a feed and cleaning its items is pure CPU work. Threads would run it under the GIL,
on one core, competing with the event loop that drives fetches; so bodies are parsed in
worker processes (fresh interpreters started by `worker_pool`, safe beside the writer
thread), at most one per usable CPU but one: while bodies arrive the service's own process
keeps a core busy (fetching, reading the workers' answers, storing), and a worker beside it
found no core of its own (on two cores a round of 300 changed feeds took as long with one
worker as with two, ~29 MB less). A worker costs ~30 MB and ~0.2 CPU s to start, so the
pool is sized to the pass's work as it arrives: bodies smaller than ``inline_below`` parse
in a thread (shipping them costs about as much as parsing), and so do the first
``inline_budget`` bytes of bigger ones once the parser is loaded here (a pass that brings a
few changed feeds starts no worker); then one worker starts, and another only while more than
``spread_above`` bytes wait for the workers (a cold pass, a backlog).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from .models import Fetched, Item, ParsedFeed, Source
from .parse_task import parse_in_worker as _parse_in_worker
from .parse_task import parse_items
from .worker_pool import WorkerPool, usable_cpus

__all__ = ["ParsePool", "parse_items"]

log = logging.getLogger("aggregator")


def parser_loaded() -> bool:
    """Whether this process has loaded the parser (~5 MB of lxml and the fast path; a small
    body parsed here, or a command that validated a feed, loads it): parsing a big body here
    costs no import then."""
    return f"{__package__}.parse" in sys.modules


class ParsePool:
    """Runs :func:`parse_items` off the event loop, in threads or worker processes (see the
    module's docstring). :meth:`close` stops the workers and ends the pass: a later
    :meth:`parse` starts a new one (the poll job closes the pool after each pass)."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        inline_below: int = 32 * 1024,
        inline_budget: int = 512 * 1024,
        spread_above: int = 8 * 2**20,
    ) -> None:
        self.workers = max(1, workers or usable_cpus() - 1)  # at most
        self.inline_below = inline_below
        self.inline_budget = inline_budget
        self.spread_above = spread_above
        self.started = 0  # worker processes started, all passes together
        self._pool: WorkerPool | None = None
        self._inline_left = inline_budget  # bytes of big bodies this pass may parse in threads
        self._waiting = 0  # bytes handed to the workers and not answered yet

    def _executor(self) -> WorkerPool:
        if self._pool is None:
            self._pool = WorkerPool(1)
            self.started += 1
        return self._pool

    def _worker_for(self, size: int) -> WorkerPool | None:
        """Where a body of `size` bytes parses: None for a thread, else the workers, which
        gain one while more than `spread_above` bytes wait for them."""
        if size < self.inline_below:
            return None
        if self._pool is None and size <= self._inline_left and parser_loaded():
            self._inline_left -= size
            return None
        pool = self._executor()
        if self._waiting + size > self.spread_above and len(pool.pids) < self.workers:
            log.debug("parse pool: %d bytes waiting; another worker starts", self._waiting)
            if pool.add_worker():
                self.started += 1
        return pool

    async def parse(
        self, source: Source, fetched: Fetched, now: datetime
    ) -> tuple[ParsedFeed, list[Item]]:
        """What :func:`parse_items` returns, computed off the event loop (the feed without its
        entries when a worker parsed it: what a poll keeps of them is in the items).

        Raises what parsing raises. A worker that died (killed, out of memory) costs only the
        feeds it was parsing: the pool is replaced and later feeds parse as usual.
        """
        size = len(fetched.body)
        pool = self._worker_for(size)
        if pool is None:
            return await asyncio.to_thread(parse_items, source, fetched, now)
        self._waiting += size
        try:
            return await asyncio.wrap_future(pool.submit(_parse_in_worker, source, fetched, now))
        except BrokenProcessPool:
            if self._pool is pool:
                log.error("parse worker died; starting a new pool")
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            self._waiting -= size

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._inline_left = self.inline_budget
