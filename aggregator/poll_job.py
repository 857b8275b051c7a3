"""The poll job: fetch every due feed concurrently, parse what changed in worker processes,
and store each feed's items and new state (feeds that finish together in one transaction).

What is due and what follows from an outcome are pure decisions made elsewhere: the store
lists the feeds whose `next_poll_at` has come (`schedule` computed it), and
`feed_state.state_after` turns a fetch and parse outcome into the feed's next state. This
module carries them out and logs one line per feed and one per pass (`tally` sums them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import logs
from .config import Settings
from .errors import ParseError, StorageError
from .feed_state import (
    BLANK_AT_MOST,
    RECHECK_304S_AFTER,
    after_304_check,
    as_answered,
    body_hash,
    check_304s,
    items_in_feed_language,
    state_after,
    validators,
)
from .fetch import Fetcher
from .fixed_times import redated
from .group_commit import GroupCommit
from .health import NETWORK_DOWN
from .logs import fields
from .models import FeedState, Fetched, FetchFailed, FetchOutcome, Item, Source
from .network import FIRST_TRY, LAST_TRY, Network
from .schedule import feed_schedule
from .site_holds import BUSY, SiteHolds, busy_until, host_of
from .store import PollWrite, Store, to_iso
from .wording import counted

if TYPE_CHECKING:  # the pool (and multiprocessing) loads when a pass first parses a body
    from .parse_pool import ParsePool
    from .push import Pace

__all__ = ["CycleReport", "FeedResult", "PollJob", "tally"]

log = logging.getLogger("aggregator")
# A feed's text log line names its wait for slots from this long on (JSON lines always do).
_QUEUED_SHOWN_MS = 1000
Write = Callable[..., Awaitable[Any]]
FeedResult = tuple[str, int, int]  # status, items new, items updated
HELD = "held"  # a feed's result when its site's hold kept it from being asked
OFFLINE = "offline"  # ... when the service's own network was down (`network`)
# A held feed is polled again this long after its site's hold at most, at random, so the
# site's feeds do not all return the same second.
_HELD_SPREAD = 60.0


@dataclass
class CycleReport:
    """What one poll pass did."""

    feeds: int = 0
    ok: int = 0
    errors: int = 0
    items_new: int = 0
    items_updated: int = 0
    stories_changed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    not_saved: int = 0  # feeds whose results the database could not store (they stay due)
    held: int = 0  # feeds not asked: their site had answered 429 or 503 (`site_holds`)
    offline: int = 0  # feeds not asked, or not reached, while the network was down
    in_flight: int = 0  # feeds still in flight at the report, left by their passes (`run`)


def _span(span: timedelta) -> str:
    """A span in words for the log: "40 s", "12 min", "10 h 5 min", "2 d 3 h"."""
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def tally(
    due: Sequence[tuple[Source, FeedState]], results: Sequence[FeedResult | BaseException]
) -> CycleReport:
    """Sum the feeds' results into a report, logging each feed that raised (a StorageError
    means its poll was not saved: the feed stays due)."""
    report = CycleReport(feeds=len(due))
    for (source, _), result in zip(due, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, StorageError):  # not saved: the feed stays due
                report.not_saved += 1
                log.error(
                    "feed=%s status=error error=%r",
                    source.url,
                    f"not saved: {result}",
                    extra=fields(event="feed", feed=source.url, status="error", error=str(result)),
                )
            else:
                log.error("feed=%s status=crash error=%r", source.url, result, exc_info=result)
            report.errors += 1
            continue
        status, new, updated = result
        report.statuses[status] = report.statuses.get(status, 0) + 1
        report.items_new += new
        report.items_updated += updated
        if status in {"error", "gone"}:
            report.errors += 1
        elif status == HELD:
            report.held += 1
        elif status == OFFLINE:
            report.offline += 1
        elif status == RELISTED:  # (neither: asked again)
            pass
        else:
            report.ok += 1
    return report


NAMED_AT_A_STOP = 5  # feeds a stop's line names; the rest are counted


def _some(urls: list[str]) -> str:
    """The first `NAMED_AT_A_STOP` of `urls`, then how many more."""
    shown = ", ".join(urls[:NAMED_AT_A_STOP])
    more = len(urls) - NAMED_AT_A_STOP
    return f"{shown} and {more} more" if more > 0 else shown


@dataclass
class _Poll:
    """One feed's poll in flight: its task, since when (`asked`: the clock's time), whether
    its pass left it (`PollJob.run`), and whether the store says it is asked (`marked`)."""

    source: Source
    state: FeedState
    task: asyncio.Task[FeedResult]
    asked: datetime
    since: float = field(default_factory=time.monotonic)
    left: bool = False
    marked: bool = False


class _Offline(Exception):
    """The service's network went down while a feed waited for its turn (`network`)."""


class _Held(Exception):
    """A feed's site asked us to come back later (raised before its request is sent)."""

    def __init__(self, until: datetime) -> None:
        self.until = until


def _listed_host(source: Source, url: str) -> bool:
    """Whether `url` (the feed's address, or where a permanent redirect moved it) is on the
    host the operator listed it on: only that host may be inside the network. A feed moved to
    another host had made it trusted for the process, and its later DNS answers (127.0.0.1)
    were fetched, article pages and pictures on it too. (Most feeds are asked at the address
    listed: that one is not split.)"""
    return url == source.url or host_of(url) == host_of(source.url)


def _last_read(state: FeedState) -> datetime | None:
    """When the feed was last read, what it gave then stored, so that an item new now went
    out since (`fixed_times.redated`). None on its first poll, and when its last
    body was forgotten and it is read whole (a recovered store that lost items, an edit of its
    entry rules, its pictures turned on: what is stored now may have been in the feed then);
    a body it could not read forgets it too, but its last good read stands."""
    if state.body_hash is None and state.status != "error":
        return None
    return state.last_success_at


def _cookie(source: Source, url: str) -> str | None:
    """The feed's own cookie for a poll of `url` (`feed_request.cookie_for`): none once the
    feed moved to another site."""
    if source.cookie is None:  # (most feeds: nothing loaded)
        return None
    from .feed_request import cookie_for

    return cookie_for(source.url, url, source.cookie)


class PollJob:
    """One poll pass at a time over the store; `write` runs store calls on the writer thread."""

    def __init__(
        self,
        store: Store,
        write: Write,
        settings: Settings,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.write = write
        self.settings = settings
        self.clock = clock
        self._parser: ParsePool | None = None
        # Feed results that arrive together are stored in one transaction.
        self._saves: GroupCommit[tuple[FeedState, list[Item]], PollWrite] = GroupCommit(
            lambda polls: self.write(self.store.save_polls, polls)
        )
        self._holds = SiteHolds()  # (stored at each pass's end)
        self.network = Network()  # (whether the service's own network is down)
        self._network_said: bool | None = None  # (whether the store says it is down)
        # feeds whose errors were counted before the network was found down (due once it is up)
        self._lost_first: set[str] = set()
        # how feeds that hubs push are paced (`run` with a WebSub callback: `PushJob.pace`)
        self.pace: Pace | None = None
        self._in_flight: dict[str, _Poll] = {}  # feed → its poll, until its answer is stored
        self._late: list[tuple[_Poll, FeedResult | BaseException]] = []  # left, answered since
        self.late = asyncio.Event()  # set when a feed left in flight answers
        self._relisted: set[str] = set()  # feeds in flight an edit listed otherwise since
        self._unmark: set[str] = set()  # marked as asked, ended without storing an answer
        self._cut_short: list[str] = []  # feeds of a pass a stop cancelled (named by `end_polls`)
        self._storing: set[str] = set()  # feeds in flight whose answers are stored or queued

    @property
    def in_flight(self) -> set[str]:
        """The feeds whose polls are in flight (a pass asks none of them again)."""
        return set(self._in_flight)

    @property
    def parser(self) -> ParsePool:
        """The parse workers' pool, built when a body first needs parsing: a pass whose
        feeds all answer 304 or send an unchanged body never loads multiprocessing."""
        if self._parser is None:
            from .parse_pool import ParsePool

            self._parser = ParsePool()
        return self._parser

    @parser.setter
    def parser(self, pool: ParsePool) -> None:
        self._parser = pool

    async def _room(self) -> None:
        """Wait, before a fetch starts, while bodies pile up for the parse workers (fetching
        outruns parsing on a fast network: a round's bodies all waited in this process)."""
        if self._parser is not None:
            await self._parser.room()

    def close(self) -> None:
        if self._parser is not None:
            self._parser.close()

    async def run(
        self,
        fetcher: Fetcher,
        after: Callable[[], Awaitable[int]],
        *,
        everything: bool = False,
        pushed: AbstractSet[str] = frozenset(),
        leave_after: float | None = None,
        join_after: float = math.inf,
    ) -> CycleReport:
        """Poll every due feed (or all), then `after` (grouping and summarising what changed;
        it returns how many stories changed). `pushed`: feeds due because their hubs said
        they changed (`push`).

        With `leave_after` (`run`), once none of the pass's feeds has answered for that many
        seconds, those still in flight are left running and the pass goes on: each is stored
        as it answers, counted in the first report made after that (whose grouping takes its
        items), and asked by no pass until then. A feed left in flight for `join_after`
        seconds is waited for by the next pass (the stall guard watches that wait)."""
        started = time.monotonic()
        # Every item found in this pass is first seen at the pass's start, whichever feed
        # answered first: ties of publication time are then broken by guid and feed, not by
        # how the network raced, so the same feeds give the same stories (`publication_runs`).
        seen = self.clock()
        step = await self.write(self.store.reschedule_after_clock_step, seen)
        if step is not None:
            log.warning(
                "the clock went back: %d feeds were last polled up to %s ahead of now; their "
                "next polls are counted from now (is the system clock kept by NTP?)",
                step.feeds,
                _span(step.ahead),
                extra=fields(
                    event="clock_step", feeds=step.feeds, ahead_s=int(step.ahead.total_seconds())
                ),
            )
        busy = set(self._in_flight)  # (before the read: a poll stored after it is still busy)
        due = self._idle(await self.write(self.store.feeds_due, seen, everything=everything), busy)
        if self.pace is not None:
            pushed = self.pace.pushed_polls(pushed, {source.url for source, _ in due}, seen)
        if due:  # what sites asked of the article job, or of an earlier process
            self._holds.recall(await self.write(self.store.site_holds, seen), seen)
        await self._say_network(seen)
        probes: AbstractSet[str] | None = None  # (None: every due feed is asked)
        if self.network.down:
            pool = due
            if not due and self.network.try_at is not None and seen >= self.network.try_at:
                # (a try with no feed due asks a few of any: else nothing would find it back)
                pool = self._idle(
                    await self.write(self.store.feeds_due, seen, everything=True), busy
                )
            hosts = [host_of(state.moved_to or source.url) for source, state in pool]
            chosen = sorted(self.network.probes(hosts, seen)) if pool else []
            probes = {pool[index][0].url for index in chosen}
            if pool is not due:
                due = [pool[index] for index in chosen]
        leave = (leave_after, join_after)
        results = await self._poll_all(fetcher, due, seen, pushed, probes, *leave)
        if probes and not self.network.down:  # (a probe answered: the rest are asked now)
            waited = [index for index, result in enumerate(results) if result == _NOT_ASKED]
            again = [due[index] for index in waited]
            for index, result in zip(
                waited,
                await self._poll_all(fetcher, again, seen, pushed, None, *leave),
                strict=True,
            ):
                results[index] = result
        await self._saves.flush()
        holds = self._holds.unsaved()
        if holds:
            await self.write(self.store.hold_sites, holds)
        await self._mark_asking()
        # The parse workers (tens of MB each) are idle until the next pass: they exit before
        # grouping, whose memory they would otherwise add to (the next pass starts new ones).
        # A body of a feed left in flight still being parsed keeps them to a later pass's end.
        if self._parser is not None and not self._parser.backlog:
            workers = self._parser.let_go()  # (at once: a parse from now starts new ones)
            if workers is not None:
                await asyncio.to_thread(workers.shutdown, wait=True, cancel_futures=True)
        # The pass's answers, and those of feeds left in flight by earlier passes stored
        # since the last report: the grouping that follows takes their items.
        answered = [(feed, result) for feed, result in zip(due, results, strict=True)]
        answered = [(feed, result) for feed, result in answered if result is not _LEFT]
        late, self._late = self._late, []
        self.late.clear()
        answered += [((poll.source, poll.state), result) for poll, result in late]
        report = tally([feed for feed, _ in answered], [result for _, result in answered])
        report.in_flight = len(self._in_flight)
        quiet = probes is not None and not probes  # (down, and no feed asked: said before)
        if report.offline and not quiet:
            self._log_offline(report)
        if report.items_new or report.items_updated:  # grouping follows (a pass that
            from .heap import release_free_memory  # brings nothing asks libc for nothing)

            release_free_memory()  # the bodies and texts freed: grouping's comes on top
        report.stories_changed = await after()
        elapsed_ms = int((time.monotonic() - started) * 1000)
        counts = {
            "feeds": report.feeds, "ok": report.ok, "errors": report.errors,
            "items_new": report.items_new, "items_updated": report.items_updated,
            "stories_changed": report.stories_changed, "seconds": elapsed_ms / 1000,
            "in_flight": report.in_flight,
        }  # fmt: skip
        await self.write(self.store.record_cycle, to_iso(self.clock()) or "", counts)
        log.log(
            logging.INFO if report.feeds and not quiet else logging.DEBUG,
            "cycle feeds=%d ok=%d errors=%d items_new=%d items_updated=%d stories_changed=%d "
            "ms=%d%s",
            report.feeds,
            report.ok,
            report.errors,
            report.items_new,
            report.items_updated,
            report.stories_changed,
            elapsed_ms,
            (f" held={report.held}" if report.held else "")
            + (f" offline={report.offline}" if report.offline else "")
            + (f" in_flight={report.in_flight}" if report.in_flight else ""),
            extra=fields(
                event="cycle",
                feeds=report.feeds,
                ok=report.ok,
                errors=report.errors,
                items_new=report.items_new,
                items_updated=report.items_updated,
                stories_changed=report.stories_changed,
                ms=elapsed_ms,
                statuses=report.statuses,
                held=report.held,
                offline=report.offline,
                in_flight=report.in_flight,
            ),
        )
        return report

    async def _poll_all(
        self,
        fetcher: Fetcher,
        due: Sequence[tuple[Source, FeedState]],
        seen: datetime,
        pushed: AbstractSet[str],
        probes: AbstractSet[str] | None,
        leave_after: float | None = None,
        join_after: float = math.inf,
    ) -> list[FeedResult | BaseException]:
        """Poll `due` feeds at once (`_poll_feed`), each one's result or exception in order;
        `_LEFT` for one left in flight (see `run`)."""
        polls = [self._start(fetcher, source, state, seen, source.url in pushed, probes)
                 for source, state in due]  # fmt: skip
        overdue = time.monotonic() - join_after
        joined = [poll.task for poll in self._in_flight.values()
                  if poll.left and poll.since <= overdue]  # fmt: skip
        try:
            await _answers([poll.task for poll in polls], joined, leave_after)
        except BaseException:  # (cancelled: so are its polls, as `gather` cancels its own)
            cut = [poll.source.url for poll in polls if not poll.task.done()]
            self._cut_short += [url for url in cut if url not in self._storing]
            for poll in polls:
                poll.task.cancel()
            await asyncio.gather(*(poll.task for poll in polls), return_exceptions=True)
            raise
        results: list[FeedResult | BaseException] = []
        for poll in polls:
            if not poll.task.done():
                poll.left = True
                results.append(_LEFT)
            else:
                results.append(_outcome(poll.task))
        return results

    def _start(
        self,
        fetcher: Fetcher,
        source: Source,
        state: FeedState,
        seen: datetime,
        pushed: bool,
        probes: AbstractSet[str] | None,
    ) -> _Poll:
        """Start polling one feed, in flight until its answer is stored."""
        task = asyncio.ensure_future(self._poll_feed(fetcher, source, state, seen, pushed, probes))
        poll = _Poll(source, state, task, self.clock())
        self._in_flight[source.url] = poll
        task.add_done_callback(lambda _: self._answered(poll))
        return poll

    async def _save(self, answer: tuple[FeedState, list[Item]]) -> PollWrite:
        """Store a feed's answer (with others that arrive together: `GroupCommit`). Its feed
        is among `_storing` until its poll ends (`_answered`): a stop that cancels the poll
        meanwhile does not keep its answer from the store (a cancelled save stays in its
        batch), nor what follows it (a check of the site's 304s)."""
        self._storing.add(answer[0].url)
        return await self._saves.submit(answer)

    def _answered(self, poll: _Poll) -> None:
        """A poll ended (its answer stored, or not saved): its feed may be asked again; one
        its pass left is counted by the next report."""
        if self._in_flight.get(poll.source.url) is poll:
            del self._in_flight[poll.source.url]
            self._relisted.discard(poll.source.url)
            self._storing.discard(poll.source.url)
        if poll.marked and not _stored(poll.task):
            self._unmark.add(poll.source.url)
        if poll.left and not poll.task.cancelled():
            self._late.append((poll, _outcome(poll.task)))
            self.late.set()

    async def _mark_asking(self) -> None:
        """Tell the store which feeds this pass left in flight, so that `status` (another
        process) can say a feed hangs, and which marked ones ended without storing their
        answers; one write, and none in a pass that changed neither (a stored answer clears
        its own mark: a pass leaving no feed writes nothing more than before)."""
        asked = [poll for poll in self._in_flight.values() if poll.left and not poll.marked]
        done, self._unmark = self._unmark, set()
        if not asked and not done:
            return
        for poll in asked:
            poll.marked = True
        marks = [(poll.source.url, poll.asked, poll.state.last_polled_at) for poll in asked]
        try:
            await self.write(self.store.mark_asking, marks, done)
        except StorageError as exc:  # (`status` misses them; the next pass tries again)
            log.warning("the feeds in flight could not be recorded: %s", exc)
            for poll in asked:
                poll.marked = False
            self._unmark |= done

    def relisted(self, sources: Sequence[Source]) -> None:
        """An OPML edit listing `sources` is about to be stored: the feeds in flight (left by
        their passes) that it removes, or lists with other entry rules, request headers,
        pictures or pause, store nothing of their answers. Asked as listed before, an answer
        had undone the edit's own changes (a feed due at once, or read whole, asked again
        at its old pace; one paused or removed published). An answer stored before this is
        followed by the edit's changes, as any."""
        listed = {source.url: source for source in sources}
        for url, poll in self._in_flight.items():
            now = listed.get(url)
            if now is None or _as_asked(now) != _as_asked(poll.source):
                self._relisted.add(url)

    @staticmethod
    def _idle(
        due: list[tuple[Source, FeedState]], busy: AbstractSet[str]
    ) -> list[tuple[Source, FeedState]]:
        """`due` without the feeds whose polls are in flight (`busy`)."""
        return [feed for feed in due if feed[0].url not in busy] if busy else due

    async def end_polls(self, grace: float, *, said: bool = False, flush: float = 0.0) -> None:
        """Let the polls in flight (those their passes left) end within `grace` seconds, then
        cancel the rest (as a stop does: `Service.run`), naming them with those of the pass
        the stop cancelled; what they stored stays stored, and so do the holds their sites
        asked for (a pass stores those at its end: the next process would have asked such a
        site again at once). `said`: the stop's line that polls in flight are let finish is
        logged already (a stop during a pass), not again. `flush`: seconds the answers queued
        to be stored get to be written (none when the writer may be what failed); past them
        the writer is held, and nothing more is queued behind it, where it would wait for ever
        (the holds: the next start asks those sites again; the marks: it clears them)."""
        tasks = [poll.task for poll in self._in_flight.values()]
        if tasks and grace > 0:
            if not said:
                log.info(
                    "stopping: letting in-flight polls finish (%s, up to %g s)",
                    counted(len(tasks), "poll"),
                    round(grace, 1),
                )
            await asyncio.wait(tasks, timeout=grace)
        # (those of the pass a stop cancelled, and those its passes left still in flight; not
        # one whose answer is stored or being written, which a cancel does not stop)
        left = [url for url, poll in self._in_flight.items() if not poll.task.done()]
        unanswered = sorted({*self._cut_short, *(url for url in left if url not in self._storing)})
        self._cut_short = []
        if unanswered:  # (they stay due: the next start asks them first)
            log.info(
                "stopping: %s unanswered after the grace cancelled (%s); asked again at the "
                "next start", counted(len(unanswered), "poll"), _some(unanswered),
            )  # fmt: skip
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # (an answer queued to be written stays in its batch, cancelled or not: written before
        # the end, else the stop's end could drop it with the writing task; not waited for
        # past `flush`, which a blocked writer would never end: those feeds stay due)
        if flush > 0:
            try:
                await asyncio.wait_for(asyncio.shield(self._saves.flush()), flush)
            except TimeoutError:  # (the writer thread is held: a write more waits behind it)
                log.warning(
                    "stopping: answers still being stored after %g s left unstored, and the "
                    "sites' holds and the feeds in flight with them (the writer is held)", flush
                )  # fmt: skip
                return
        holds = self._holds.unsaved()
        if holds:
            try:
                await self.write(self.store.hold_sites, holds)
            except StorageError as exc:
                log.warning("the sites' holds could not be stored: %s", exc)
        await self._mark_asking()  # (the cancelled polls' marks cleared)

    async def _poll_feed(
        self,
        fetcher: Fetcher,
        source: Source,
        state: FeedState,
        seen: datetime,
        pushed: bool,
        probes: AbstractSet[str] | None,
    ) -> FeedResult:
        """Poll one feed (`_poll_one`), whose failure on odd input (a bug) is recorded as the
        feed's error and backed off as any: unsaved, the feed had stayed due and was polled
        again every second. A poll not saved (StorageError) stays due, as before."""
        try:
            return await self._poll_one(fetcher, source, state, seen, pushed, probes)
        except (StorageError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.error("feed=%s status=crash error=%r", source.url, exc, exc_info=exc)
            failed = FetchFailed(source.url, f"internal error: {type(exc).__name__}: {exc}"[:300])
            schedule = feed_schedule(self.settings.schedule, source.interval)
            now = self.clock()
            after = state_after(state, failed, now, schedule, rand=random.random())
            await self._save((after, []))
            return "error", 0, 0

    def _log_offline(self, report: CycleReport) -> None:
        """One line for a pass made while the network was down (its feeds are not logged)."""
        feeds = counted(report.offline, "feed")
        extra = fields(event="network_down_pass", offline=report.offline)
        since, next_try = self.network.down_since, self.network.try_at
        if since is None or next_try is None:  # (back before the pass ended)
            log.info("%s put off while the network was down: polled now", feeds, extra=extra)
            return
        log.info(
            "network down since %s: %s not asked or not reached (%s); asked again at %s",
            to_iso(since),
            feeds,
            self.network.example(),
            to_iso(next_try),
            extra=extra,
        )

    async def _say_network(self, now: datetime) -> None:
        """Keep the store's word on the network (for `/healthz`, `status` and the next
        process) to what this job knows: set while it is down, dropped once it is up. At a
        process's first pass an earlier one's word is taken up: the network is down still,
        and a few feeds are asked first (`Network.resume`)."""
        if self._network_said is None:  # (a process's first pass: what an earlier one said)
            stored = (await self.write(self.store.meta_values, [NETWORK_DOWN])).get(NETWORK_DOWN)
            self._network_said = stored is not None
            earlier = _network_said(stored)
            if earlier is not None and not self.network.down:
                self.network.resume(*earlier, now)
        down = self.network.down_since
        if self._network_said is (down is not None):
            return
        if down is None:
            await self.write(self.store.drop_meta, NETWORK_DOWN)
        else:
            said = {"since": to_iso(down), "error": self.network.example()}
            await self.write(self.store.set_meta, NETWORK_DOWN, json.dumps(said))
        self._network_said = down is not None

    async def _network_changed(
        self, source: Source, outcome: FetchOutcome, state: FeedState, local: bool
    ) -> bool:
        """Learn from a fetch whether the network is down (`network.Network`), logging and
        storing a change; whether it is down now. A feed inside the network (`local`: a
        bridge on this machine, which may answer from its cache) tells nothing either way."""
        if local:
            return self.network.down
        now = self.clock()
        host = host_of(outcome.url)
        if isinstance(outcome, FetchFailed) and outcome.unreached:
            reached_before = state.error_count == 0 and state.last_success_at is not None
            if reached_before and not self.network.down:
                self._lost_first.add(source.url)  # (counted, unless this makes it down)
            if self.network.failed(host, outcome.error, now, answered_before=reached_before):
                self._lost_first.discard(source.url)
                log.warning(
                    "the network seems down: %s feeds' hosts that answered before cannot be "
                    "reached, and no host answers (%s); feeds are not asked, and no error is "
                    "counted, until one does: a few are asked every %d s to %d min",
                    len(self.network.unreached),
                    "; ".join(self.network.unreached.values()),
                    FIRST_TRY.seconds,
                    LAST_TRY.seconds // 60,
                    extra=fields(event="network_down", error=self.network.example()),
                )
                await self._say_network(now)
        elif not isinstance(outcome, FetchFailed) or outcome.status is not None:
            since = self.network.answered()
            lost, self._lost_first = self._lost_first, set()
            if since is not None:
                await self.write(self.store.make_due, dict.fromkeys(lost, now))
                log.info(
                    "the network is back: %s answered after %s down; the feeds put off are "
                    "polled now",
                    host,
                    _span(now - since),
                    extra=fields(event="network_back", feed=source.url),
                )
                await self._say_network(now)
        return self.network.down

    async def _unpushed(
        self, source: Source, state: FeedState, new: int, now: datetime
    ) -> FeedState:
        """A feed whose hub did not tell of its new items: its next poll at its own pace (and
        every one after, until its hub pushes again: `push.Pace`)."""
        own = feed_schedule(self.settings.schedule, source.interval).interval
        if state.next_poll_at is None or state.next_poll_at > now + own:
            state = replace(state, next_poll_at=now + own)
            await self._save((state, []))
        log.warning(
            "websub: feed=%s brought %d new items its hub did not tell of; it is polled at its "
            "own pace until the hub pushes again",
            source.url,
            new,
            extra=fields(event="push_missed", feed=source.url, items_new=new),
        )
        return state

    def _held_until(self, url: str) -> datetime | None:
        """When the site of `url` may be asked again, if it holds us off now."""
        return self._holds.until(host_of(url), self.clock()) if self._holds else None

    def _hold_if_busy(self, url: str, outcome: FetchFailed, now: datetime) -> None:
        """A feed's site that answered 429 or 503 is asked nothing more, by any feed, until
        its Retry-After (a minute at least, an hour at most: `site_holds.busy_until`)."""
        until = busy_until(outcome.status, outcome.headers, now)
        host = host_of(url)
        if until is None or not self._holds.hold(host, until):
            return
        log.info(
            "host=%s held until %s (feed %s answered %s): its feeds wait until then",
            host,
            to_iso(until),
            url,
            outcome.status,
            extra=fields(event="hold", host=host, until=to_iso(until), status=outcome.status),
        )

    def _offline(self, source: Source) -> FeedResult:
        """A feed not asked, or not reached, while the network is down: nothing stored, so
        it stays due and is polled once the network is back (`network`)."""
        log.debug("feed=%s status=%s (the network is down)", source.url, OFFLINE)
        return _NOT_ASKED

    async def _put_off(
        self, source: Source, state: FeedState, until: datetime, started: float
    ) -> FeedResult:
        """Put off a feed whose site holds us off: nothing asked, no error counted, its next
        poll after the hold; the rest of its state as it was."""
        spread = timedelta(seconds=random.uniform(0.0, _HELD_SPREAD))
        # (never earlier than it was: `poll --once --all` asks feeds not due yet as well)
        later = max(until + spread, state.next_poll_at or until)
        new_state = replace(state, next_poll_at=later)
        await self._save((new_state, []))
        log.info(
            "feed=%s status=%s next_poll_at=%s (its site asked us to wait)",
            source.url,
            HELD,
            to_iso(new_state.next_poll_at),
            extra=fields(
                event="feed",
                feed=source.url,
                category=source.category,
                status=HELD,
                next_poll_at=to_iso(new_state.next_poll_at),
                queued_ms=int((time.monotonic() - started) * 1000),
            ),
        )
        return HELD, 0, 0

    async def _poll_one(
        self,
        fetcher: Fetcher,
        source: Source,
        state: FeedState,
        seen: datetime,
        pushed: bool = False,
        probes: AbstractSet[str] | None = None,
    ) -> FeedResult:
        """Poll one feed (`pushed`: its hub said it changed; `probes`: the feeds a pass made
        while the network was down asks, None for all)."""
        started = time.monotonic()
        admitted = started  # when the fetch had its slots: the wait before is queueing
        url = state.moved_to or source.url

        def put_off() -> bool:  # (the network is down: only a pass's probes are asked)
            return self.network.down and (probes is None or source.url not in probes)

        async def admit() -> None:
            nonlocal admitted
            await self._room()
            if put_off():
                raise _Offline
            # (a feed of its site may have answered busy while this one waited for a slot)
            until = self._held_until(url)
            if until is not None:
                raise _Held(until)
            admitted = time.monotonic()

        until = self._held_until(url)  # (known already: no wait for the site's slot)
        if until is not None:
            return await self._put_off(source, state, until, started)
        if put_off():
            return self._offline(source)
        etag, last_modified = validators(state, self.clock())
        try:
            outcome = await fetcher.fetch(
                url,
                etag,
                last_modified,
                admit=admit,
                user_agent=source.user_agent,
                cookie=_cookie(source, url),
                trusted=_listed_host(source, url),
            )
        except _Held as held:
            return await self._put_off(source, state, held.until, started)
        except _Offline:
            return self._offline(source)
        lost = isinstance(outcome, FetchFailed) and outcome.unreached
        watched = lost or self.network.unreached or self.network.down
        if watched and await self._network_changed(source, outcome, state, fetcher.is_local(url)):
            return self._offline(source)  # (no error counted: the feed stays due)
        outcome = as_answered(outcome, (etag, last_modified))
        parsed = None
        parse_error = None
        items: list[Item] = []
        now = self.clock()
        if isinstance(outcome, FetchFailed) and outcome.status in BUSY:
            self._hold_if_busy(url, outcome, now)
        if isinstance(outcome, Fetched) and body_hash(outcome.body) != state.body_hash:
            try:
                # Parsing and cleaning are CPU work: off the event loop, in worker processes.
                parsed, items = await self.parser.parse(source, outcome, seen)
                read = _last_read(state)
                if read is not None:  # (its new items went out since)
                    items = redated(items, parsed.fixed_clock, seen, read)
            except ParseError as exc:
                parse_error = _with_known_feed(exc.message, url)
            except Exception as exc:  # a bug on odd input: record it, back off, keep going
                log.exception("feed=%s unexpected error while parsing", source.url)
                parse_error = f"internal error while parsing: {type(exc).__name__}: {exc}"[:300]
        schedule = feed_schedule(self.settings.schedule, source.interval)
        pace = self.pace
        by_push = pace is not None and (pushed or source.url in pace.behind)
        if pace is not None:
            schedule = pace.schedule(source.url, schedule, now, pushed)
        new_state = state_after(
            state,
            outcome,
            now,
            schedule,
            parsed=parsed,
            parse_error=parse_error,
            rand=random.random(),
        )
        if pace is not None and by_push:  # (a hub ahead of its origin: asked again soon)
            again = pace.next_poll(
                source.url,
                new_state.next_poll_at,
                new_state.status,
                now,
                self.settings.schedule.min_interval,
                pushed,
            )
            new_state = replace(new_state, next_poll_at=again)
        items = items_in_feed_language(items, new_state)
        del outcome  # (its body is not held while the save waits for its transaction)
        if source.url in self._relisted:  # (an edit listed it otherwise since: `relisted`)
            log.info(
                "feed=%s status=%s (the OPML changed it while it was asked: its answer is not "
                "stored, and it is asked as listed now)",
                source.url,
                RELISTED,
                extra=fields(event="feed", feed=source.url, status=RELISTED),
            )
            return RELISTED, 0, 0
        written = await self._save((new_state, items))
        if pace is not None and pace.missed_news(source.url, by_push, written.new):
            new_state = await self._unpushed(source, new_state, written.new, now)
        if written.new and check_304s(state, (etag, last_modified), now):
            new_state = await self._check_304s(fetcher, source, url, state, new_state, admit)
        # `ms` is the feed's own time (request, parse, save); a wait for its host's slot
        # (behind a slow feed of the same host) or for the parser is `queued_ms`, so a log
        # line never blames a server for another's slowness.
        elapsed_ms = int((time.monotonic() - admitted) * 1000)
        queued_ms = int((admitted - started) * 1000)
        extra = None  # the text format shows the message alone: no fields made for it
        if logs.structured:
            extra = fields(
                event="feed",
                feed=source.url,
                category=source.category,
                status=new_state.status,
                http=new_state.http_status,
                items=len(items),
                items_excluded=parsed.left_out if parsed else 0,
                items_new=written.new,
                items_updated=written.updated,
                ms=elapsed_ms,
                queued_ms=queued_ms,
                error=new_state.error,
                error_count=new_state.error_count,
                next_poll_at=to_iso(new_state.next_poll_at),
            )
        log.log(
            logging.WARNING if new_state.status in {"error", "gone"} else logging.INFO,
            "feed=%s status=%s http=%s items=%d%s items_new=%d items_updated=%d ms=%d%s%s",
            source.url,
            new_state.status,
            new_state.http_status or "-",
            len(items),
            f" items_excluded={parsed.left_out}" if parsed and parsed.left_out else "",
            written.new,
            written.updated,
            elapsed_ms,
            f" queued_ms={queued_ms}" if queued_ms >= _QUEUED_SHOWN_MS else "",
            f" error={new_state.error!r}" if new_state.error else "",
            extra=extra,
        )
        return new_state.status or "error", written.new, written.updated

    async def _check_304s(
        self,
        fetcher: Fetcher,
        source: Source,
        url: str,
        before: FeedState,
        state: FeedState,
        admit: Callable[[], Awaitable[None]],
    ) -> FeedState:
        """Ask `url` again with the validators of the body before its new entries
        (`feed_state.check_304s`): a 304 to those is false, and the feed is asked without
        them from now on; a body (its opening, enough to tell it from an empty one; the rest
        left unread) clears that."""
        try:
            outcome = await fetcher.fetch(
                url,
                before.etag,
                before.last_modified,
                max_bytes=2 * BLANK_AT_MOST,
                cut=True,
                admit=admit,
                user_agent=source.user_agent,
                cookie=_cookie(source, url),
                trusted=_listed_host(source, url),
            )
        except _Held:
            return state
        answered = as_answered(outcome, (before.etag, before.last_modified))
        checked = after_304_check(state, answered, self.clock())
        if checked.false_304_at == state.false_304_at:
            return state
        await self._save((checked, []))
        if checked.false_304_at is not None:
            log.warning(
                "feed=%s its server answered 304 for the feed as it was before its new entries:"
                " asked without ETag or Last-Modified from now on (checked again in %d days)",
                source.url,
                RECHECK_304S_AFTER.days,
                extra=fields(event="false_304", feed=source.url, category=source.category),
            )
        else:
            log.info(
                "feed=%s its server's 304s are right again: ETag and Last-Modified sent again",
                source.url,
                extra=fields(event="false_304_cleared", feed=source.url),
            )
        return checked


_NOT_ASKED = (OFFLINE, 0, 0)  # (`_offline`'s result)
RELISTED = "relisted"  # a poll's status whose answer an OPML edit made stale (`relisted`)


def _as_asked(source: Source) -> tuple[object, ...]:
    """What of a feed's listing an answer stored under it carries: its entry rules, request
    headers, pictures and pause (`FeedsStore.sync_sources` acts on a change of these)."""
    return (source.exclude, source.include, source.user_agent, source.cookie, source.images,
            source.paused)  # fmt: skip


_LEFT = ("in_flight", 0, 0)  # (`_poll_all`'s result for a feed left in flight)


def _stored(task: asyncio.Task[FeedResult]) -> bool:
    """Whether a finished poll stored its feed's answer with a new poll time, which cleared
    the feed's mark and keeps a mark written after it from being made (`mark_asking` asks
    for the poll time the pass read). A feed not asked while the network is down stores
    nothing, and one its site's hold put off stores its next poll alone (its poll time as
    it was): both are unmarked by name, as a poll cancelled or set aside is."""
    if task.cancelled() or task.exception() is not None:
        return False
    return task.result()[0] not in {RELISTED, OFFLINE, HELD}


def _outcome(task: asyncio.Task[FeedResult]) -> FeedResult | BaseException:
    """A finished poll's result or exception (as `gather(return_exceptions=True)` gives)."""
    if task.cancelled():
        return asyncio.CancelledError()
    return task.exception() or task.result()


async def _answers(
    tasks: Sequence[asyncio.Task[FeedResult]],
    joined: Sequence[asyncio.Task[FeedResult]],
    leave_after: float | None,
) -> None:
    """Wait for `tasks` and `joined`; with `leave_after`, once no task answered for that many
    seconds and every joined one is done, the tasks still in flight are left running."""
    pending = {task for task in (*tasks, *joined) if not task.done()}
    answered = asyncio.Event()

    def one(task: asyncio.Future[FeedResult]) -> None:
        pending.discard(task)
        answered.set()

    for task in pending:
        task.add_done_callback(one)
    try:
        while pending:
            answered.clear()
            try:
                async with asyncio.timeout(leave_after):
                    await answered.wait()
            except TimeoutError:
                if not any(task in pending for task in joined):
                    return
    finally:
        for task in (*tasks, *joined):
            task.remove_done_callback(one)


def _network_said(stored: str | None) -> tuple[datetime, str] | None:
    """Since when and why the stored word says the network is down (None: it does not, or
    says nothing readable)."""
    try:
        said = json.loads(stored or "")
        since = datetime.fromisoformat(said["since"])
    except (ValueError, KeyError, TypeError):
        return None
    if since.tzinfo is None:
        return None
    return since, str(said.get("error") or "")


def _with_known_feed(reason: str, url: str) -> str:
    """Why a body is no feed, naming the feed its platform keeps for the page `url` when
    there is one (a YouTube channel's page listed as a feed, answered with a consent page)."""
    from .feed_links import FEED_ELSEWHERE, feed_elsewhere, known_feed

    if reason.startswith(FEED_ELSEWHERE):
        return reason  # (the page named it)
    known = known_feed(url)
    return reason if known is None else feed_elsewhere(known)
