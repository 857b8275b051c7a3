"""The long-running process: a scheduler of jobs over one store.

`Service` owns the store (all writes on one dedicated writer thread: the single-writer rule),
reloads the OPML, and runs the periodic jobs, each in its own module with its pure "what is
due" decision: polling (`poll_job`), grouping and summarising (`story_job`), article pages
(`article_job`), retention (`retention`), digests (`digest_job`) and their bounces
(`bounce_job`), pictures' checks (`picture_job`) and WebSub notifications (`hub_job`). It also
serves the published feeds, and talks to systemd.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import signal
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextvars import Token
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .article_pass import ArticlePass
from .backoff import doubled
from .config import Settings
from .damage import Damage
from .errors import NOT_THE_INPUT, StorageError
from .fetch import Fetcher
from .health import (
    NETWORK_DOWN,
    OPML_REFUSED,
    STORIES_FAILED,
    STORIES_FAILING,
    WITHHELD_REFUSED,
    backup_failing,
    failure_record,
    stale_after,
)
from .network import pause_before_pass
from .opml_reload import OpmlReload
from .own_site import site_bases
from .poll_job import CycleReport, PollJob
from .retention import RetentionJob
from .stall import (
    IN_PASS,
    Stalled,
    StallGuard,
    stall_limit,
    task_names,
    thread_cpu,
    thread_stacks,
)
from .store import BUSY_TIMEOUT_MS, Store, is_locked, storage_fault, to_iso
from .systemd import Notifier
from .wording import counted
from .worker_main import code_stamp

if TYPE_CHECKING:  # jobs a pass may not need are imported when first used
    from .article_job import ArticleJob
    from .bounce_job import BounceJob
    from .digest_job import DigestJob
    from .hub_job import HubJob
    from .picture_job import PictureJob
    from .push_job import PushJob
    from .settings_watch import SettingsWatch
    from .signup_web import Signups
    from .story_job import StoryJob
    from .summarize import Summarizer

__all__ = ["CycleReport", "Service"]

log = logging.getLogger("aggregator")
T = TypeVar("T")
MAX_ARTICLE_PASSES = 1000  # a bound on `fetch_articles`' passes (it stops once none is left)
FAILED_CYCLE_PAUSE_MAX = 600.0  # seconds: the longest wait after cycles that could not store
HUB_CHECK = 30.0  # seconds between checks whether the WebSub hubs have news to hear
# Seconds `run`'s pass waits for its feeds' next answer: once none came for this long, the
# feeds still in flight are left to answer in the background (`PollJob.run`).
LEAVE_SLOW_FEEDS_AFTER = 5.0
PICTURE_CHECK = 60.0  # seconds between passes of the picture checks
PUSH_CHECK = 60.0  # seconds between passes of the WebSub subscriptions (`push_job`)
WRITE_ATTEMPTS = 3  # a write that finds the database locked waits BUSY_TIMEOUT_MS this often


def failed_cycle_pause(failures: int, tick: float) -> float:
    """Seconds to wait after `failures` cycles in a row whose results could not be stored (a
    locked database, a full disk): a tick, doubled each time, at most FAILED_CYCLE_PAUSE_MAX.
    Their feeds stay due, so waiting only for them would poll every one again each second."""
    return doubled(tick, failures - 1, max(tick, FAILED_CYCLE_PAUSE_MAX))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Service:
    """Owns the store (through its writer thread) and the jobs; runs them on schedule."""

    def __init__(
        self,
        opml_path: Path,
        db_path: Path | str,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        summarizer: Summarizer | None = None,
        smtp_password: str | None = None,
        bounce_password: str | None = None,
        notifier: Notifier | None = None,
        once: bool = False,
        on_stall: Callable[[], None] | None = None,
        lasting: bool | None = None,
        settings_watch: SettingsWatch | None = None,
    ) -> None:
        self.opml_path = opml_path
        # the settings file `run` started with, its edits said (they wait for a restart)
        self.settings_watch = settings_watch
        self.db_path = Path(db_path)
        self.once = once  # the process stops after one pass (`poll --once`)
        self.settings = settings
        self.clock = clock
        # (the code this process runs: a worker started after an upgrade differs; its files'
        # contents only for a process that lasts, `run` or `poll` without --once, not for one
        # that ends with its pass or command, `poll --once` or `digest`)
        code_stamp(contents=not once if lasting is None else lasting)
        # the database file found damaged, by the jobs or by the web server
        self.damage = Damage(clock, going_on="" if once else "polling goes on")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self.store = self._writer.submit(Store, db_path).result()
        writer = self._writer.submit(threading.get_ident).result()
        # A pass without progress (`stall`): `on_stall` is called once one is found (the CLI
        # arms an exit for a process whose threads would not let it stop).
        self.guard = StallGuard(stall_limit(settings), thread_cpu(writer))
        self.on_stall = on_stall
        self.stalled = False
        self._pass_since: float | None = None  # (monotonic) when the pass in flight began
        self._polls_end_by: float | None = None  # (loop time) when a stop's grace ends
        self._writing: tuple[Callable[..., Any], float] | None = None  # its job, since when
        self._summarizer = summarizer
        self._stories: StoryJob | None = None
        # Set as `run` begins to stop: a grouping or summarising pass on the writer thread
        # then ends at its next boundary instead of running to its end (`StoryJob.stopping`).
        self.stopping = threading.Event()
        # Whether the last story pass failed, as recorded for /healthz (None: not known yet).
        self._stories_failed: bool | None = None
        self.polls = PollJob(self.store, self.write, settings, clock)
        self.sources = OpmlReload(
            opml_path, self.store, self.write, clock, settings.schedule, site_bases(settings)
        )
        self.sources.before_sync = self.polls.relisted
        self._article_job: ArticleJob | None = None
        self._hub_job: HubJob | None = None
        self.push: PushJob | None = None  # (`run` with `[fetch] websub_callback`: `push_job`)
        self._picture_job: PictureJob | None = None
        self.smtp_password = smtp_password  # for the digest job; never logged or stored
        self.bounce_password = bounce_password  # the bounce mailbox's, likewise
        self.notifier = notifier or Notifier()
        self._reader = self.store.reader()

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` (one transaction, or a read) on the writer thread.

        When another program holds the database's write lock past the busy timeout, `fn` runs
        again; after WRITE_ATTEMPTS a StorageError says so. A fault of the storage (the disk
        full, an I/O error, a read-only file) is a StorageError at once: the cycle says so and
        the next tick tries again, as for a locked database. A failed attempt wrote nothing.
        """
        loop = asyncio.get_running_loop()
        progress = IN_PASS.get()  # a job of the watched pass (`stall`)

        def job() -> T:
            self._writing = (fn, time.monotonic())
            try:
                return fn(*args, **kwargs)
            finally:
                self._writing = None
                if progress:
                    self.guard.mark()

        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return await loop.run_in_executor(self._writer, job)
            except Exception as exc:
                if (fault := storage_fault(exc)) is not None:
                    self.damage.note(exc, "the service read or wrote it")
                    raise StorageError(fault) from exc
                if not is_locked(exc):
                    raise
                if attempt == WRITE_ATTEMPTS:
                    waited = WRITE_ATTEMPTS * BUSY_TIMEOUT_MS // 1000
                    raise StorageError(
                        f"database is locked by another program (waited {waited} s)"
                    ) from exc
                log.warning("database is locked by another program; trying again")
        raise AssertionError("unreachable")

    @property
    def stories(self) -> StoryJob:
        """The story job, built when first needed: a pass that brings nothing to group or
        summarise (every feed 304 or unchanged) never loads the grouping and summarising code."""
        if self._stories is None:
            from .story_job import StoryJob

            self._stories = StoryJob(
                self.store,
                self.settings,
                self.clock,
                self._summarizer,
                keep_memos=not self.once,
                keep_window=not self.once and self.settings.server.keep_window,
                stopping=self.stopping.is_set,
            )
        return self._stories

    def close(self) -> None:
        if self._stories is not None:
            # The grouping window for the next process (`poll --once` from cron, a restart).
            self._writer.submit(self._stories.save_snapshot).result()
            self._stories.close()
        self.polls.close()
        self._writer.submit(self.store.close).result()
        self._writer.shutdown(wait=True)

    # --- one pass of each job -------------------------------------------------------------

    async def load_sources(self, *, strict: bool) -> bool:
        """Re-read the OPML if it changed since the last load (see `OpmlReload.load`)."""
        return await self.sources.load(strict=strict)

    async def poll_cycle(
        self,
        fetcher: Fetcher,
        *,
        everything: bool = False,
        leave_after: float | None = None,
        join_after: float = math.inf,
    ) -> CycleReport:
        """Poll every due feed (or all), then group and summarise what changed. Feeds whose
        hubs said they changed are due first (`push`). `leave_after`, `join_after`: how the
        pass leaves slow feeds in flight (`PollJob.run`; `run` only)."""
        pushed: set[str] = set()
        if self.push is not None and self.push.pending:
            pushed = self.push.take()
            # (a feed in flight may have been asked before its hub's news: asked after it)
            busy = pushed & self.polls.in_flight
            self.push.pending |= busy
            pushed -= busy
            try:
                await self.write(self.store.poll_pushed, pushed, self.clock())
            except StorageError:
                self.push.pending |= pushed  # (the next cycle tries again)
                pushed = set()
        return await self.polls.run(
            fetcher,
            lambda: self.write(self._group_safely),
            everything=everything,
            pushed=pushed,
            leave_after=leave_after,
            join_after=join_after,
        )

    def _group_and_summarize(self) -> int:
        """One pass of the story job (writer thread). Before the job is loaded, a pass with
        no item waiting for a story, no article text to regroup, no story to summarise and no
        article to set apart or stories to join is nothing to do (the job's own pass would
        find the same and change nothing)."""
        if self._stories is None and not self._story_work_waiting():
            return 0
        return self.stories.run()

    def _story_work_waiting(self) -> bool:
        store = self.store
        if store.has_unassigned() or store.articles_to_regroup(1) or store.dirty_stories():
            return True
        return any(store.corrections_due(store.withheld()))

    def _group_safely(self) -> int:
        """`_group_and_summarize`; when it fails midway the story job forgets its memory, so
        the next attempt starts from what the database committed. In `run`, a failure that is
        not the database's or the machine's (a defect grouping or summarising did not pin on
        one item or story: those are set aside as they fail) is logged with its traceback and
        the cycle goes on: the service keeps polling and serving, and the next cycle tries
        again."""
        try:
            changed = self._group_and_summarize()
        except BaseException as exc:
            if self._stories is not None:
                self._stories.forget()
            if self.once or not isinstance(exc, Exception) or isinstance(exc, NOT_THE_INPUT):
                raise
            log.error(
                "stories: the pass failed (%s: %s); what it had not committed is grouped and "
                "summarised by the next cycle",
                type(exc).__name__,
                exc,
                exc_info=exc,
            )
            said = failure_record(self.clock(), f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(sqlite3.Error):  # (for /healthz and `status`)
                self.store.set_meta(STORIES_FAILED, said)
                self._stories_failed = True
            return 0
        if self._stories_failed is not False and not self.once:  # (None: not known yet; a
            # failure an earlier process recorded is cleared by this pass's success)
            with self.store.transaction():
                self.store.drop_meta(STORIES_FAILED)
            self._stories_failed = False
        return changed

    def article_job(self) -> ArticleJob:
        """The article-page job over this service's store and writer thread (one per service,
        so its robots.txt answers and per-host pacing carry over between passes)."""
        if self._article_job is None:
            from .article_job import ArticleJob

            self._article_job = ArticleJob(
                self.store,
                self.write,
                self.settings.articles,
                self.clock,
                network=self.polls.network,
            )
        return self._article_job

    def hub_job(self) -> HubJob:
        """The WebSub job over this service's store (one per service, so a failing hub's
        pause carries over between passes)."""
        if self._hub_job is None:
            from .hub_job import HubJob

            self._hub_job = HubJob(
                self.store, self.write, self.settings, self.clock, network=self.polls.network
            )
        return self._hub_job

    async def tell_hubs(self, fetcher: Fetcher) -> None:
        """Tell the WebSub hubs of the feeds that changed (as `poll --once` does at its end);
        a failing hub is logged and told at the next run."""
        if not self.settings.publish.hubs:
            return
        try:
            await self.hub_job().run_pass(fetcher)
        except StorageError as exc:  # (the pass is stored: its feeds are told next time)
            log.error("websub: could not read or record what the hubs were told: %s", exc)
        except Exception:  # a bug here must not fail the pass that was stored
            log.exception("websub: telling the hubs failed")

    async def settle_summaries(self, timeout: float | None = None) -> int:
        """Wait (at most the model's timeout) for pending model answers and publish them, as
        `poll --once` does before it exits; returns how many stories changed."""
        if self._stories is None:  # no pass summarised anything: no answer is awaited
            return 0
        return await self.stories.settle(self.write, timeout)

    async def fetch_articles(self, fetcher: Fetcher, *, budget: float | None = None) -> ArticlePass:
        """Fetch every due article page now (as `poll --once` does), re-summarising as text
        arrives; returns the totals. With a `budget` (seconds) fetching stops then: pages not
        fetched by then are not recorded, so they stay due for the next run, save those long
        unanswered (`ArticleJob.run_pass`)."""
        total = ArticlePass()
        s = self.settings.articles
        if not s.enabled:
            return total
        now = self.clock()
        if self._article_job is None and not await self.write(
            self.store.articles_waiting, now, now - s.max_age, s.skip_feeds
        ):
            return total  # (nothing due: the job and its libraries are not loaded)
        job = self.article_job()
        deadline = None if budget is None else time.monotonic() + budget
        for _ in range(MAX_ARTICLE_PASSES):
            if deadline is not None and time.monotonic() >= deadline:
                break
            report = await job.run_pass(fetcher, deadline)
            total.fetched += report.fetched
            total.ok += report.ok
            total.failed += report.failed
            total.retrying += report.retrying
            total.enough += report.enough
            total.left, total.paced = report.left, report.paced
            if report.stories_marked:
                total.stories_marked += report.stories_marked
                await self.write(self._group_safely)
            if report.left or not (report.fetched or report.enough or report.paced):
                break
        job.log_failures()
        return total

    async def _resummarize(self, job: str = "articles") -> None:
        """Summarise the stories a job marked (`job` names it in the log)."""
        changed = await self.write(self._group_safely)
        if changed:
            log.info("%s: stories_changed=%d", job, changed)

    def picture_job(self) -> PictureJob:
        """The picture checks over this service's store and writer thread (one per service)."""
        if self._picture_job is None:
            from .picture_job import PictureJob

            proxy = self.settings.publish.picture_proxy
            self._picture_job = PictureJob(
                self.store, self.write, self.clock, proxy, network=self.polls.network
            )
        return self._picture_job

    async def check_pictures(self, fetcher: Fetcher, *, news: bool = True) -> int:
        """Ask for the pictures stories are shown with that were never checked (as `poll
        --once` does at its end), giving a story whose picture fails its next; returns how
        many pictures failed. Without `news` (the pass changed no story) only a check due
        again can be waiting: none due, nothing more is read or loaded."""
        if not self.settings.publish.checks_pictures:
            return 0
        if not news and not await self.write(self.store.picture_check_due, self.clock()):
            return 0
        from .picture_job import MAX_ONCE_PASSES

        failed = 0
        for _ in range(MAX_ONCE_PASSES):  # (a story's next picture, or more, in the next)
            # (the pass's feeds are polled: the fetcher's slots are the checks' alone)
            report = await self.picture_job().run_pass(fetcher, self.settings.fetch.concurrency)
            failed += report.failed
            if report.stories_marked:
                await self._resummarize("pictures")
            if not report.again:
                break
        return failed

    def retention_job(self) -> RetentionJob:
        """Pruning of old stories and items, run after a poll cycle when due."""
        return RetentionJob(
            self.store,
            self.write,
            self.settings.retention,
            keep_per_category=self.settings.publish.max_items,
            top_min_outlets=self.settings.publish.top_min_outlets,
            active_window=self.settings.cluster.active_window,
            clock=self.clock,
            window=self._stories,
        )

    async def run_retention(self) -> None:
        """Prune when due; the grouping window (kept, or written and let go) keeps its
        stories and is stamped anew, so the snapshot a stop writes still matches the store."""
        await self.retention_job().run_logged()

    async def run_backup(self) -> None:
        """Take the scheduled backup when due (`[backup]`; off while its `dir` is empty)."""
        if not self.settings.backup.dir or str(self.db_path) == ":memory:":
            return
        from .backup_job import BackupJob

        job = BackupJob(
            self.store, self.db_path, self.write, self.settings.backup, self.clock, self.stopping
        )
        await job.run_logged()

    def digest_job(self) -> DigestJob:
        """The daily email digest job over this service's store and writer thread."""
        from .digest_job import DigestJob
        from .digest_store import DigestBooks
        from .signup_store import Subscribers

        books = DigestBooks(self.store)
        return DigestJob(
            books,
            self.store.reader(),
            self.settings,
            self.write,
            self.smtp_password,
            self.clock,
            Subscribers(self.store),
            network=self.polls.network,
        )

    def bounce_job(self) -> BounceJob | None:
        """The bounce mailbox's reader (`[digest] bounce_host`), or None when none is set."""
        if not self.settings.digest.bounce_host or self.bounce_password is None:
            return None
        from .bounce_job import BounceJob

        return BounceJob(
            self.store,
            self.write,
            self.settings.digest,
            self.bounce_password,
            self.clock,
            network=self.polls.network,
        )

    def signups(self) -> Signups | None:
        """Readers' own sign-ups to the daily emails, on the pages this service serves
        (`[digest] self_service`); None when the settings keep subscriptions the operator's."""
        if not self.settings.digest.self_service:
            return None
        from .signup_store import Subscribers
        from .signup_web import Signups

        subscribers = Subscribers(self.store)
        return Signups(subscribers, self.write, self.settings, self.smtp_password, self.clock)

    # --- stalls ---------------------------------------------------------------------------

    async def guarded(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` as one pass watched for stalls (`poll --once`); raises Stalled (after
        cancelling it) when it made no progress for the guard's limit."""
        within = self._begin_pass()
        task = asyncio.ensure_future(work)  # (its writes are the pass's progress)
        IN_PASS.reset(within)

        def stop() -> None:
            task.cancel()

        watch = asyncio.ensure_future(self._watch_for_stall(stop))
        try:
            return await task
        except asyncio.CancelledError:
            if self.stalled:
                raise Stalled(f"no progress for {self.guard.limit:.0f} s") from None
            raise
        finally:
            self._pass_since = None
            watch.cancel()

    def _begin_pass(self) -> Token[bool]:
        """A pass begins: watched for stalls from now (until `_pass_since` is None again), its
        writes (those of this context, and of the tasks made in it from now) its progress."""
        self._pass_since = time.monotonic()
        self.guard.mark()
        return IN_PASS.set(True)

    async def _watch_for_stall(self, stop: Callable[[], None]) -> None:
        """While a pass is in flight, look for progress every `guard.every` seconds; once it
        has made none for the guard's limit, log what it waits for, call `on_stall`, then
        `stop` (which ends the pass)."""
        guard = self.guard
        while True:
            await asyncio.sleep(guard.every)
            if self._pass_since is None:
                guard.mark()  # (between passes nothing is awaited)
            elif guard.stalled():
                break
        self.stalled = True
        now = time.monotonic()
        writing = self._writing
        writer = "the writer thread is idle"
        if writing is not None:
            job, since = writing
            name = getattr(job, "__qualname__", type(job).__name__)
            writer = f"the writer thread has been in {name} for {now - since:.0f} s"
        log.error(
            "stalled: no progress for %.0f s in a pass that began %.0f s ago (%s; waiting: "
            "%s); stopping, with exit status 4, to be started again",
            now - guard.progress_at,
            now - (self._pass_since or now),
            writer,
            task_names(asyncio.all_tasks()),
        )
        log.error("stalled: where the other threads are:\n%s", thread_stacks())
        if self.on_stall is not None:
            self.on_stall()
        stop()

    async def _check_settings(self, *, reloading: bool = False) -> None:
        """Say an edit of the settings file (`settings_watch`); a fault of it is logged, never
        raised into the loop."""
        if self.settings_watch is None:
            return
        try:
            await self.settings_watch.check(reloading=reloading)
        except Exception:  # (a bug on an odd file: the service goes on with its settings)
            log.exception("settings file: its edit could not be checked")

    # --- the long-running loop ------------------------------------------------------------

    async def run(
        self, host: str, port: int, stop: asyncio.Event | None = None, *, serve: bool = True
    ) -> None:
        """Poll on schedule and (with `serve`) serve the published feeds until stopped.

        Under systemd (Type=notify) it reports READY once serving, RELOADING/READY around a
        SIGHUP re-read, STATUS after each cycle, STOPPING on SIGTERM, and pings the watchdog
        from the event loop, so a hung loop is killed and restarted.
        """
        from .client_cap import client_cap
        from .metrics import metric_networks
        from .web import make_app, start_server

        stop = stop or asyncio.Event()
        reload = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, reload.set)
        runner = None
        watchdog: asyncio.Task[None] | None = None
        try:
            await self.load_sources(strict=True)
            # (marks of feeds in flight a process that crashed left: none is asked now)
            await self.write(self.store.clear_asking)
            if serve and self.settings.fetch.websub_callback:
                from .push_job import PushJob

                self.push = PushJob(
                    self.store, self.write, self.settings, self.clock, network=self.polls.network
                )
                self.polls.pace = self.push.pace
                await self.push.catch_up()
            if serve:
                self.damage.going_on = "what can still be read is served and polling goes on"
                app = make_app(
                    self.store.reader(),
                    self.settings.publish,
                    clock=self.clock,
                    digest=self.settings.digest,
                    stale_after=stale_after(self.settings),
                    damage=self.damage,
                    fetch=self.settings.fetch,
                    metrics=metric_networks(self.settings.server),
                    signups=self.signups(),
                    push=self.push,
                )
                server = self.settings.server
                cap = client_cap(server)
                runner = await start_server(app, host, port, server.shutdown_grace, cap)
        except BaseException:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            raise
        self.notifier.ready(await self._status_text(None))
        watchdog = self._start_watchdog()
        stalls = asyncio.ensure_future(self._watch_for_stall(stop.set))
        stopping = asyncio.ensure_future(self._tell_writer_jobs(stop))
        tick = self.settings.server.tick
        digests = articles = answers = hubs = pictures = bounces = pushes = None
        failed = 0  # cycles in a row whose results could not be stored
        polled = asyncio.Event()  # the first poll cycle is done: digests carry fresh news
        if any(self.settings.digest.recipients.values()) or self.settings.digest.self_service:
            job = self.digest_job().loop(stop, min(tick, 60.0), after=polled)
            digests = asyncio.ensure_future(job)
        if (bounce_job := self.bounce_job()) is not None:
            bounces = asyncio.ensure_future(bounce_job.loop(stop))
        try:
            async with Fetcher(self.settings.fetch) as fetcher, self._ending_polls(stop):
                if self.settings.articles.enabled:
                    articles = asyncio.ensure_future(
                        self.article_job().loop(fetcher, stop, self._resummarize)
                    )
                if self.settings.llm.enabled:
                    answers = asyncio.ensure_future(self.stories.model_answers(self.write, stop))
                if self.settings.publish.hubs:
                    hubs = asyncio.ensure_future(
                        self.hub_job().loop(fetcher, stop, min(tick, HUB_CHECK))
                    )
                if self.push is not None:
                    pushes = asyncio.ensure_future(
                        self.push.loop(fetcher, stop, min(tick, PUSH_CHECK))
                    )
                if self.settings.publish.checks_pictures:
                    pictures = asyncio.ensure_future(
                        self.picture_job().loop(
                            fetcher,
                            stop,
                            functools.partial(self._resummarize, "pictures"),
                            min(tick, PICTURE_CHECK),
                        )
                    )
                while not stop.is_set():
                    if reload.is_set():
                        reload.clear()
                        self.notifier.reloading()
                        log.info("reloading: re-reading %s", self.opml_path)
                        self.sources.forget()
                        await self.sources.load_logged()
                        await self._check_settings(reloading=True)
                        self.notifier.ready(await self._status_text(None))
                    else:
                        await self.sources.load_logged()
                        await self._check_settings()
                    # (the pass lasts until its upkeep ends; the cycle's task copies its context)
                    within = self._begin_pass()
                    cycle = asyncio.ensure_future(
                        self.poll_cycle(
                            fetcher, leave_after=LEAVE_SLOW_FEEDS_AFTER, join_after=self.guard.limit
                        )
                    )
                    stopper = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({cycle, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    if not cycle.done():
                        self.notifier.stopping()
                        grace = self.settings.server.shutdown_grace
                        log.info("stopping: letting in-flight polls finish (up to %g s)", grace)
                        self._polls_end_by = loop.time() + grace  # (those left in flight too)
                        await asyncio.wait({cycle}, timeout=grace)
                    if cycle.done():
                        stopper.cancel()
                        polled.set()
                        retry_in = failed_cycle_pause(failed + 1, tick)
                        report = self._cycle_result(cycle, retry_in)
                        self.notifier.status(await self._status_text(report))
                        if not stop.is_set():  # (a stop skips them, as `poll --once`'s does)
                            await self.run_retention()
                            await self.run_backup()
                        self._pass_since = None
                        IN_PASS.reset(within)
                    else:
                        cycle.cancel()
                        await asyncio.gather(cycle, return_exceptions=True)
                        break
                    if report is None or report.not_saved:  # their feeds stay due: not at once
                        failed += 1
                        await self._pause(stop, reload, retry_in, late=False)
                    else:
                        failed = 0
                        await self._sleep_until_due(stop, reload, tick)
                for task in (articles, hubs, pictures, pushes):  # stop fetching first
                    if task is not None:
                        task.cancel()
                        await asyncio.gather(task, return_exceptions=True)
        finally:
            self.notifier.stopping()
            self.stopping.set()
            stopping.cancel()
            self._pass_since = None
            stalls.cancel()
            if watchdog is not None:
                watchdog.cancel()
            for task in (articles, answers, hubs, pictures, bounces, pushes):
                if task is not None and not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            # A digest's send in progress and the web server's requests in flight get the
            # grace period to finish, side by side (not one grace after the other).
            await asyncio.gather(
                self._let_digests_end(digests, stop),
                runner.cleanup() if runner is not None else asyncio.sleep(0),
            )
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            log.info("stopped")

    @contextlib.asynccontextmanager
    async def _ending_polls(self, stop: asyncio.Event) -> AsyncIterator[None]:
        """Around `run`'s loop: on the way out, the polls their passes left in flight get
        what is left of `shutdown_grace` after a stop (the polls of a cycle the stop came in
        got it from then), none after a failure; then the rest are cancelled (before the
        fetcher they use closes), and the answers queued to be stored get one more grace after a
        stop, none after a failure (a writer blocked for good would hold the end for ever)."""
        self._polls_end_by = None
        try:
            yield
        finally:
            loop = asyncio.get_running_loop()
            grace = flush = 0.0
            if stop.is_set():
                ends = self._polls_end_by or loop.time() + self.settings.server.shutdown_grace
                grace = max(0.0, ends - loop.time())
                flush = self.settings.server.shutdown_grace
            # (a stop during a pass said it lets the polls in flight finish: not said twice)
            await self.polls.end_polls(grace, said=self._polls_end_by is not None, flush=flush)

    async def _let_digests_end(
        self, digests: asyncio.Future[None] | None, stop: asyncio.Event
    ) -> None:
        """Stop the digest job, letting a send in progress finish within `shutdown_grace`."""
        if digests is None:
            return
        stop.set()
        await asyncio.wait({digests}, timeout=self.settings.server.shutdown_grace)
        digests.cancel()
        await asyncio.gather(digests, return_exceptions=True)

    async def _tell_writer_jobs(self, stop: asyncio.Event) -> None:
        """Once `stop` is set, the writer thread's passes end at their next boundary: the
        in-flight polls get `shutdown_grace`, grouping and summarising what they brought wait
        for the next process (they are kept in the store)."""
        await stop.wait()
        self.stopping.set()

    def _start_watchdog(self) -> asyncio.Task[None] | None:
        interval = self.notifier.watchdog_interval
        if interval is None:
            return None

        async def kick() -> None:
            # Runs on the event loop: when the loop hangs, the pings stop and systemd
            # restarts the service after WatchdogSec.
            while True:
                self.notifier.watchdog()
                await asyncio.sleep(interval / 3)

        return asyncio.create_task(kick(), name="watchdog")

    def _cycle_result(
        self, cycle: asyncio.Future[CycleReport], retry_in: float
    ) -> CycleReport | None:
        """A finished cycle's report (None when it failed). A cycle that failed on the
        database (locked, the disk full) or could not store some feeds' results is logged
        with when the next one tries again (`retry_in` seconds)."""
        report: CycleReport | None = None
        try:
            report = cycle.result()
        except StorageError as exc:
            error = str(exc)
        else:
            if not report.not_saved:
                return report
            error = f"{counted(report.not_saved, 'feed')} not saved"
        log.error("cycle status=error error=%r; trying again in %g s", error, retry_in)
        return report

    async def _status_text(self, report: CycleReport | None) -> str:
        """One line for `systemctl status`: a damaged database file, the last cycle, how many
        feeds are failing, a refused sources edit, a failing scheduled backup and a failing
        story pass."""
        damaged = "database damaged (see the log)" if self.damage.damaged else ""
        try:
            health = await self.write(self._reader.health)
        except StorageError:
            return damaged or "database busy"
        failing = f"{health['feeds_failing']} of {health['feeds']} feeds failing"
        if damaged:
            failing = f"{damaged}; {failing}"
        if health.get(OPML_REFUSED):
            failing += "; sources edit refused (see aggregator status)"
        if health.get(WITHHELD_REFUSED):
            failing += "; withheld list edit refused (see aggregator status)"
        if backup_failing(health, self.clock()) is not None:
            failing += "; scheduled backup failing (see aggregator status)"
        if health.get(STORIES_FAILING):
            failing += "; story pass failing (see the log)"
        if health.get(NETWORK_DOWN):
            failing += "; network down: no feed's host reached (see the log)"
        if report is None:
            last = health.get("last_poll_at") or "never"
            return f"{failing}; last cycle {last}"
        return (
            f"last cycle {to_iso(self.clock())}: {counted(report.feeds, 'feed')} polled, "
            f"{counted(report.errors, 'error')}, {counted(report.items_new, 'new item')}; {failing}"
        )

    async def _sleep_until_due(
        self, stop: asyncio.Event, reload: asyncio.Event, tick: float
    ) -> None:
        try:
            next_due = await self.write(self.store.next_due, self.polls.in_flight)
        except StorageError:
            next_due = None
        delay = pause_before_pass(next_due, self.polls.network.try_at, self.clock(), tick)
        await self._pause(stop, reload, delay)

    async def _pause(
        self, stop: asyncio.Event, reload: asyncio.Event, delay: float, *, late: bool = True
    ) -> None:
        """Wait `delay` seconds, or until a stop, a reload, a hub's notification or (`late`)
        the answer of a feed a pass left in flight (the next pass counts and groups it). The
        pause after a failed cycle does not end at such an answer: a pass that failed before
        its report leaves the answer's signal set, and its pause would have ended at once.
        Ended by such an answer alone, the pause goes on LEAVE_SLOW_FEEDS_AFTER more (within
        `delay`) for the answers near it: slow feeds answering seconds apart had each made a
        pass (a cycle line, a grouping, the summaries of the stories it touched made again)."""
        events = [stop, reload]
        if self.push is not None:
            events.append(self.push.pushed)
        waiters = {asyncio.ensure_future(event.wait()) for event in events}
        answered = asyncio.ensure_future(self.polls.late.wait()) if late else None
        loop = asyncio.get_running_loop()
        ends = loop.time() + delay
        try:
            some = waiters | ({answered} if answered is not None else set())
            await asyncio.wait(some, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            if answered is not None and answered.done() and not any(w.done() for w in waiters):
                gather = min(ends - loop.time(), LEAVE_SLOW_FEEDS_AFTER)
                if gather > 0:
                    await asyncio.wait(waiters, timeout=gather, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (*waiters, *([answered] if answered is not None else [])):
                waiter.cancel()
