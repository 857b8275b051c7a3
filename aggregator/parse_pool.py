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
``spread_above`` bytes wait for the workers (a cold pass, a backlog), or while the backlog
is full. A thread cannot be killed as a worker is: its parse gives itself up after
``in_thread_for`` seconds and a worker takes the body over (with no worker to be had, at
``timeout``, and the feed fails as a killed worker's does).

The backlog (bodies handed to the parser and not answered yet) is bounded: on a fast network
fetching outruns parsing, and a round's bodies all waited in the service's process for the one
worker (298 bodies, 26 MB of them at the bench's 60k round). :meth:`room` waits while
``backlog`` bodies wait (a few per worker's pipe depth, enough to keep every worker fed); the
poll job awaits it before starting a fetch, once the fetch has its slots, so at most
``backlog`` + the fetcher's concurrency bodies wait, and a slow remote never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from .errors import ParseError, ParseTimedOut
from .models import Fetched, Item, ParsedFeed, Source
from .parse_task import parse_in_worker as _parse_in_worker
from .parse_task import parse_items
from .worker_main import PACKAGE, package_stamp
from .worker_pool import (
    DEPTH,
    NotStarted,
    StartFailed,
    WorkerPool,
    still_other_code,
    usable_cpus,
)

__all__ = ["ParsePool", "parse_items"]

log = logging.getLogger("aggregator")
# Seconds a worker may work on one body before it is killed and the feed fails with a parse
# error: input that makes a parser slow beyond reason (a 16 MB body takes ~10 s, the slowest
# crafted body of that size we found ~100 s) must not hold up the pass for hours.
PARSE_TIMEOUT = 300.0
# Seconds a worker may work on one body before the bodies queued behind it get a worker of
# their own (`beside_slow`): a 16 MB feed parses in ~10 s, a hostile one up to `PARSE_TIMEOUT`.
SLOW_PARSE = 15.0
# Seconds a body may be parsed in a thread of the service's own process (small bodies, and a
# pass's first few big ones) before that parse stops itself and the body goes to a worker,
# which can be killed: a 512 KB body parses in 0.3-1.4 s (lxml's path; feedparser's on a loaded
# machine), a hostile one took ~23 s; an ordinary one past it costs only a worker's start.
THREAD_PARSE = 2.0
_TIMEOUT_CHECK = 5.0  # seconds between looks at how long a body has been worked on
_TRIES = 5  # pools a feed's body is handed to at most, when their workers die
_FAILED_STARTS = 2  # pools in a row whose workers could not start: parsing stays in-process


def parser_loaded() -> bool:
    """Whether this process has loaded the parser (~5 MB of lxml and the fast path; a small
    body parsed here, or a command that validated a feed, loads it): parsing a big body here
    costs no import then."""
    return f"{__package__}.parse" in sys.modules


def _parse_within(
    source: Source, fetched: Fetched, now: datetime, seconds: float
) -> tuple[ParsedFeed, list[Item]]:
    """:func:`parse_items` in this thread, given up (ParseTimedOut) once it has taken
    `seconds` (counted from here: a thread may wait for its turn)."""
    end = time.monotonic() + seconds
    return parse_items(source, fetched, now, give_up=lambda: time.monotonic() > end)


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
        backlog: int | None = None,
        timeout: float = PARSE_TIMEOUT,
        slow_after: float = SLOW_PARSE,
        in_thread_for: float = THREAD_PARSE,
    ) -> None:
        self.workers = max(1, workers or usable_cpus() - 1)  # at most
        self.inline_below = inline_below
        self.inline_budget = inline_budget
        self.spread_above = spread_above
        self.backlog_limit = max(1, backlog or 4 * self.workers * DEPTH)
        self.timeout = timeout  # seconds a worker may work on one body
        self.slow_after = slow_after  # ... before the bodies behind it get another worker
        self.in_thread_for = in_thread_for  # ... in a thread, before it goes to a worker
        # Bodies being parsed for longer than `slow_after`, by pool: one left in a pool that
        # broke (another body's worker was killed) holds a process of that pool, not of its
        # successor.
        self._slow: Counter[WorkerPool] = Counter()
        self.backlog = 0  # bodies handed to threads or workers and not answered yet
        self.backlog_peak = 0  # the most that waited at once, all passes together
        self._room: list[asyncio.Future[None]] = []  # fetches waiting for the backlog to fall
        self.started = 0  # worker processes started, all passes together
        self._pool: WorkerPool | None = None
        self._inline_left = inline_budget  # bytes of big bodies this pass may parse in threads
        self._waiting = 0  # bytes handed to the workers and not answered yet
        self._failed_starts = 0  # pools in a row whose workers could not start
        self.in_place: str | None = None  # why no worker is started any more (None: they are)
        self._other_code: bytes | None = None  # the files' stamp once found other code
        self._looked = False  # whether this pass looked whether the files are ours again

    def _executor(self) -> WorkerPool:
        if self._pool is None:
            self._pool = WorkerPool(1)
            self.started += 1
        return self._pool

    def _worker_for(self, size: int) -> WorkerPool | None:
        """Where a body of `size` bytes parses: None for a thread, else the workers, which
        gain one while more than `spread_above` bytes wait for them, or while a worker is
        on a slow body (`_beside_slow`)."""
        if size < self.inline_below or not self._workers_usable():
            return None
        if self._pool is None and size <= self._inline_left and parser_loaded():
            self._inline_left -= size
            return None
        try:
            pool = self._executor()
        except (OSError, RuntimeError) as refused:  # (a process limit: systemd's TasksMax)
            log.warning(
                "no parse worker could start (%s: %s); a body of %d bytes parses in a thread",
                type(refused).__name__,
                refused,
                size,
            )
            return None
        behind = self._waiting + size > self.spread_above or self.backlog >= self.backlog_limit
        if (behind or self._slow[pool]) and len(pool.pids) < self._most_workers(pool):
            log.debug(
                "parse pool: %d bodies, %d bytes waiting; another worker starts",
                self.backlog,
                self._waiting,
            )
            with contextlib.suppress(OSError, RuntimeError):  # (refused: the ones running do)
                if pool.add_worker():
                    self.started += 1
        return pool

    def _workers_usable(self) -> bool:
        """Whether workers may parse: not once given up (`in_place`), unless they were given
        up because the package's files held other code and, at this pass's first look, they
        hold the service's again (an upgrade rolled back, the same version installed back):
        then the workers are used again, said once."""
        if self.in_place is None:
            return True
        if self._other_code is None or self._looked:
            return False
        self._looked = True
        self._other_code = still_other_code(self._other_code)
        if self._other_code is not None:
            return False
        self.in_place, self._failed_starts = None, 0
        log.info("the package's files hold the service's code again: parse workers are used again")
        return True

    async def room(self) -> None:
        """Return once fewer than `backlog_limit` bodies wait for the parser."""
        while self.backlog >= self.backlog_limit:
            waiter = asyncio.get_running_loop().create_future()
            self._room.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._room:
                    self._room.remove(waiter)

    def _answered(self) -> None:
        """One body answered: once fewer than `backlog_limit` wait, every waiting fetch is
        let go (each checks again, and waits again if others filled the backlog first). Not
        one per answer: a fetch let go may bring no body (a 304, an error), hence no answer
        to let the next one go, and the fetches behind it would wait for ever."""
        self.backlog -= 1
        if self.backlog >= self.backlog_limit:
            return
        waiting, self._room = self._room, []
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(None)

    async def parse(
        self, source: Source, fetched: Fetched, now: datetime
    ) -> tuple[ParsedFeed, list[Item]]:
        """What :func:`parse_items` returns, computed off the event loop (the feed without its
        entries when a worker parsed it: what a poll keeps of them is in the items).

        Raises what parsing raises, ParseError when a worker works on the body for longer
        than `timeout` seconds (the worker is killed; a thread with no worker to hand the
        body to gives up), and BrokenProcessPool when workers
        died on it twice. When a worker dies (killed, out of memory) the pool is replaced,
        and the feeds it held are parsed in the new one (`_in_workers`): a feed fails only
        for what its own body did.
        """
        size = len(fetched.body)
        self.backlog += 1
        self.backlog_peak = max(self.backlog_peak, self.backlog)
        try:
            pool = self._worker_for(size)
            if pool is None and self.in_place is not None:  # (no worker to take it over)
                return await self._in_thread(source, fetched, now, self.timeout)
            if pool is None:
                try:
                    return await self._in_thread(source, fetched, now, self.in_thread_for)
                except ParseTimedOut:
                    pool = self._handed_over(source.url)
                if pool is None:
                    return await self._in_thread(source, fetched, now, self.timeout)
            self._waiting += size
            try:
                return await self._in_workers(pool, source, fetched, now)
            finally:
                self._waiting -= size
        finally:
            self._answered()

    async def _in_workers(
        self, pool: WorkerPool, source: Source, fetched: Fetched, now: datetime
    ) -> tuple[ParsedFeed, list[Item]]:
        """Parse in `pool`, and in the pools that replace it when a worker dies: a feed whose
        body a dying worker had not started on is parsed again (the death was another
        body's doing), one whose body it was working on once more (a second death is put
        down to the body). A few tries at most. Workers that could not start cost no feed:
        past a few such pools, or once the package changed on disk, the body parses in a
        thread (`_failed_start`)."""
        deaths = 0
        for tries_left in reversed(range(_TRIES)):
            try:
                parsed = await self._in_worker(pool, source, fetched, now)
            except StartFailed as failed:
                self._failed_start(pool, failed)
                if not tries_left:
                    break
            except BrokenProcessPool as died:
                self._replace(pool)
                deaths += not isinstance(died, NotStarted)
                if deaths == 2 or not tries_left:
                    raise
            else:
                self._failed_starts = 0
                return parsed
            if self.in_place is not None:
                break
            pool = self._executor()
        return await self._in_thread(source, fetched, now, self.timeout)

    async def _in_thread(
        self, source: Source, fetched: Fetched, now: datetime, seconds: float
    ) -> tuple[ParsedFeed, list[Item]]:
        """Parse in a thread, which gives the parse up once it has taken `seconds`: with
        ParseTimedOut below `timeout` (for the caller to hand the body to a worker), at
        `timeout` with the ParseError a killed worker's feed gets."""
        if seconds < self.timeout:
            return await asyncio.to_thread(_parse_within, source, fetched, now, seconds)
        try:
            return await asyncio.to_thread(_parse_within, source, fetched, now, self.timeout)
        except ParseTimedOut:
            log.error("feed=%s parsing took longer than %d s: given up", source.url, self.timeout)
            raise ParseError(source.url, self._too_long) from None

    @property
    def _too_long(self) -> str:
        """What a feed whose parse took longer than `timeout` is told."""
        return (
            f"parsing took longer than {self.timeout:.0f} s; the body was set aside (its next "
            "poll tries again)"
        )

    def _handed_over(self, url: str) -> WorkerPool | None:
        """The workers that take over a body a thread gave up on (None when none may start:
        it parses in a thread again, up to `timeout`)."""
        if self.in_place is not None:
            return None
        try:
            pool = self._executor()
        except (OSError, RuntimeError):  # (a process limit: said where a worker is refused)
            return None
        log.warning(
            "feed=%s parsing in the service's process took over %.0f s; a parse worker "
            "takes it over",
            url,
            self.in_thread_for,
        )
        return pool

    def _failed_start(self, pool: WorkerPool, failed: StartFailed) -> None:
        """`pool`'s worker ended as it started, or runs other code than this process (the
        package was upgraded on disk): another pool is started, unless this was the
        `_FAILED_STARTS`th in a row, or the code changed (a new worker would import the same
        files); then workers are given up until the service restarts, which the log says
        once. Counted once a pool (its other feeds see the same failure)."""
        if self._pool is not pool:
            return
        self._replace(pool, "")
        self._failed_starts += 1
        if not failed.stale and self._failed_starts < _FAILED_STARTS:
            log.warning("a parse worker could not start (%s); starting another", failed)
            return
        self.in_place = str(failed)
        if failed.stale:  # (looked at again each pass: files put back give the workers back)
            self._other_code = package_stamp(PACKAGE)
            self._looked = True
        log.error(
            "parse workers are not used any more: %s; feeds are parsed in the service's own "
            "process (slower; none is lost) until the service is restarted, or its files hold "
            "its code again: restart it (systemctl restart aggregator) to use the parse "
            "workers again",
            failed,
        )

    async def _in_worker(
        self, pool: WorkerPool, source: Source, fetched: Fetched, now: datetime
    ) -> tuple[ParsedFeed, list[Item]]:
        """Parse in one of `pool`'s workers; a worker on it for longer than `timeout` is killed
        (which breaks the pool: the other feeds it held are parsed again) and ParseError says
        so."""
        future = pool.submit(_parse_in_worker, source, fetched, now)
        answer = asyncio.wrap_future(future)
        slow = False
        try:
            while not answer.done():
                wait = _TIMEOUT_CHECK  # (while the body waits for a worker)
                since = pool.running_since(future)
                if since is not None:
                    worked = time.monotonic() - since
                    if not slow and worked >= self.slow_after:
                        slow = True
                        self._slow[pool] += 1
                        self._beside_slow(pool, source.url, worked)
                    wait = self.timeout - worked
                    if wait <= 0 and pool.kill(future):
                        break
                    if not slow:
                        wait = min(wait, self.slow_after - worked)
                await asyncio.wait({answer}, timeout=min(max(wait, 0.01), _TIMEOUT_CHECK))
            else:
                if answer.cancelled():  # (the pool was shut down as it broke)
                    raise NotStarted("the parse workers were stopped")
                done: tuple[ParsedFeed, list[Item]] = answer.result()
                return done
        finally:
            answer.cancel()  # (a no-op once answered; else its answer is not awaited)
            if slow:
                self._slow[pool] -= 1
                if not self._slow[pool]:
                    del self._slow[pool]
        self._replace(pool, "")
        log.error(
            "feed=%s parsing took longer than %d s: its worker was stopped",
            source.url,
            self.timeout,
        )
        raise ParseError(source.url, self._too_long)

    def _most_workers(self, pool: WorkerPool) -> int:
        """The workers `pool` may hold: `workers`, and one more per slow body in it, up to as
        many again all pools together (a pass of many hostile feeds would otherwise start a
        process for each): a slow body still parsed in a pool that broke holds one of them."""
        elsewhere = sum(n for other, n in self._slow.items() if other is not pool)
        return self.workers + max(0, min(self._slow[pool], self.workers - elsewhere))

    def _beside_slow(self, pool: WorkerPool, url: str, worked: float) -> None:
        """A worker of `pool` has been on `url`'s body for `worked` seconds: the bodies
        queued for the workers get one more (`_most_workers`), so that one slow feed holds
        up no other but the one in its worker's pipe."""
        if not pool.waiting or len(pool.pids) >= self._most_workers(pool):
            return
        log.warning(
            "feed=%s parsing for %.0f s; another parse worker starts for the feeds behind it",
            url,
            worked,
        )
        with contextlib.suppress(OSError, RuntimeError):  # (refused: the ones running do)
            if pool.add_worker():
                self.started += 1

    def _replace(self, pool: WorkerPool | None, why: str = "parse worker died") -> None:
        """`pool` broke (a worker died or was killed, logged as `why`): the next parse starts
        a new one."""
        if pool is not None and self._pool is pool:
            if why:
                log.error("%s; starting a new pool", why)
            self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)

    def let_go(self) -> WorkerPool | None:
        """End the pass: the workers, for the caller to stop (a later :meth:`parse` starts
        new ones); None when none had started."""
        pool, self._pool = self._pool, None
        self._inline_left = self.inline_budget
        self._looked = False
        return pool

    def close(self) -> None:
        pool = self.let_go()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
