"""Parsing fetched bodies off the event loop, in as many processes as the pass's work needs.

Parsing a feed and cleaning its items is pure CPU work. Threads would run it under the GIL,
on one core, competing with the event loop that drives fetches; so bodies are parsed in
worker processes (fresh interpreters started by `worker_pool`, safe beside the writer
thread), at most one per usable CPU. A worker costs ~50 MB and ~0.2 CPU s to start, so the
pool is sized to the pass's work as it arrives: bodies smaller than ``inline_below`` parse
in a thread (shipping them costs about as much as parsing), and so do the first
``inline_budget`` bytes of bigger ones once the parser is loaded here (a pass that brings a
few changed feeds starts no worker); then one worker starts, and another only while more than
``spread_above`` bytes wait for the workers (a cold pass, a backlog).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from collections.abc import Mapping
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from .errors import ParseError
from .models import Fetched, Item, ParsedFeed, Source
from .worker_pool import WorkerPool, usable_cpus

__all__ = ["ParsePool", "parse_items"]

log = logging.getLogger("aggregator")


def parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """`parse.parse_feed`, imported on first use: feedparser and lxml load only when a body
    needs parsing (a pass of 304s never does)."""
    from .parse import parse_feed as parse

    return parse(body, url, headers)


def parser_loaded() -> bool:
    """Whether this process has loaded the parser (~10 MB of feedparser and lxml; a small
    body parsed here, or a command that validated a feed, loads it): parsing a big body here
    costs no import then."""
    return f"{__package__}.parse" in sys.modules


def parse_items(source: Source, fetched: Fetched, now: datetime) -> tuple[ParsedFeed, list[Item]]:
    """Parse a fetched body and turn its entries into items (runs in a worker; the item
    building code, like the parser, loads on first use)."""
    from .pipeline import entries_to_items

    parsed = parse_feed(fetched.body, fetched.final_url, fetched.headers)
    return parsed, entries_to_items(source, parsed, now)


def _parse_in_worker(
    source: Source, fetched: Fetched, now: datetime
) -> tuple[ParsedFeed, list[Item]]:
    """`parse_items` with any unexpected error made picklable: one that cannot cross back to
    the service would break the pool and fail every feed in flight. The feed's entries stay
    in the worker (the items carry what the service needs of them): sending both would send
    every text twice."""
    try:
        parsed, items = parse_items(source, fetched, now)
        return dataclasses.replace(parsed, entries=()), items
    except ParseError:
        raise
    except Exception as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
    finally:
        _forget_text_memos()


def _forget_text_memos() -> None:
    """Empty the worker's memos of cleaned texts once a feed is parsed: full after a few big
    feeds (~9 MB of texts at 2,048 entries each), they are seldom hit (6% of the lookups of
    150 bench feeds, every hit from another feed; parsing them took 2.71 CPU s emptying the
    memos after each feed against 2.78 keeping them) and would add their size to the worker
    for the rest of the pass."""
    from . import parse, pipeline

    pipeline._clean_text.cache_clear()
    parse._html_to_text.cache_clear()


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
        self.workers = max(1, workers or usable_cpus())  # at most
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
