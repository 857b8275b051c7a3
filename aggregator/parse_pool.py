"""Parsing fetched bodies off the event loop, on every core.

Parsing a feed and cleaning its items is pure CPU work. Threads would run it under the GIL,
on one core, competing with the event loop that drives fetches; so bodies of any size are
parsed in a pool of worker processes (one per usable CPU, started on first use as fresh
interpreters by `worker_pool`, which is safe beside the writer thread). Bodies smaller than
``inline_below`` are parsed in a thread instead: for them, shipping the body and the items
between processes costs about as much as parsing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
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


class ParsePool:
    """Runs :func:`parse_items` in worker processes. :meth:`close` stops the workers; a later
    :meth:`parse` starts new ones (the poll job closes the pool after each pass)."""

    def __init__(self, workers: int | None = None, *, inline_below: int = 32 * 1024) -> None:
        self.workers = max(1, workers or usable_cpus())
        self.inline_below = inline_below
        self._pool: WorkerPool | None = None

    def _executor(self) -> WorkerPool:
        if self._pool is None:
            self._pool = WorkerPool(self.workers)
        return self._pool

    async def parse(
        self, source: Source, fetched: Fetched, now: datetime
    ) -> tuple[ParsedFeed, list[Item]]:
        """What :func:`parse_items` returns, computed off the event loop (the feed without its
        entries when a worker parsed it: what a poll keeps of them is in the items).

        Raises what parsing raises. A worker that died (killed, out of memory) costs only the
        feeds it was parsing: the pool is replaced and later feeds parse as usual.
        """
        if len(fetched.body) < self.inline_below:
            return await asyncio.to_thread(parse_items, source, fetched, now)
        pool = self._executor()
        try:
            return await asyncio.wrap_future(pool.submit(_parse_in_worker, source, fetched, now))
        except BrokenProcessPool:
            if self._pool is pool:
                log.error("parse worker died; starting a new pool")
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
