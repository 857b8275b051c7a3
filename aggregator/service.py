"""The long-running job: reload the OPML, poll due feeds, group, summarise, serve.

All database writes run on one dedicated writer thread (the single-writer rule); fetches run
concurrently on the event loop and parsing in worker processes (`parse_pool`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .cluster import Clusterer
from .config import Settings
from .errors import ConfigError, ParseError, StorageError
from .fetch import Fetcher
from .group_commit import GroupCommit
from .grouping import group_pending, regroup_articles
from .health import stale_after
from .logs import fields
from .models import FeedState, Fetched, Item, Source
from .opml import load_opml
from .parse_pool import ParsePool
from .pipeline import (
    body_hash,
    state_after,
    story_categories,
    summary_inputs,
)
from .retention import RetentionJob
from .store import BUSY_TIMEOUT_MS, PollWrite, Store, is_locked, to_iso
from .story_sources import outlet_count
from .summarize import Summarizer, make_summarizer, summary_fingerprint
from .systemd import Notifier

if TYPE_CHECKING:  # jobs a pass may not need are imported when first used
    from .article_job import ArticleJob, ArticlePass
    from .digest_job import DigestJob

log = logging.getLogger("aggregator")
T = TypeVar("T")
WRITE_ATTEMPTS = 3  # a write that finds the database locked waits BUSY_TIMEOUT_MS this often


def utcnow() -> datetime:
    return datetime.now(UTC)


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


class Service:
    """Owns the store (through its writer thread), the OPML, the clusterer and the fetcher."""

    def __init__(
        self,
        opml_path: Path,
        db_path: Path | str,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        summarizer: Summarizer | None = None,
        smtp_password: str | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.opml_path = opml_path
        self.settings = settings
        self.clock = clock
        # A model's answers arrive in the background: stories get the extractive summary first
        # and are summarised again when their answer is in (see _resummarize_awaiting).
        self._answers = threading.Event()
        self._awaiting: set[str] = set()
        self.summarizer = summarizer or make_summarizer(
            settings, background=True, on_answer=self._answers.set
        )
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self.store = self._writer.submit(Store, db_path).result()
        self.clusterer = Clusterer(settings.cluster)
        self.parser = ParsePool()
        # Feed results that arrive together are stored in one transaction.
        self._saves: GroupCommit[tuple[FeedState, list[Item]], PollWrite] = GroupCommit(
            lambda polls: self.write(self.store.save_polls, polls)
        )
        self._opml_stamp: tuple[int, int] | None = None
        self._restored = False
        self._article_job: ArticleJob | None = None
        self.smtp_password = smtp_password  # for the digest job; never logged or stored
        self.notifier = notifier or Notifier()
        self._reader = self.store.reader()

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` (one transaction, or a read) on the writer thread.

        When another program holds the database's write lock past the busy timeout, `fn` runs
        again; after WRITE_ATTEMPTS a StorageError says so. A failed attempt wrote nothing.
        """
        loop = asyncio.get_running_loop()
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return await loop.run_in_executor(self._writer, lambda: fn(*args, **kwargs))
            except Exception as exc:
                if not is_locked(exc):
                    raise
                if attempt == WRITE_ATTEMPTS:
                    waited = WRITE_ATTEMPTS * BUSY_TIMEOUT_MS // 1000
                    raise StorageError(
                        f"database is locked by another program (waited {waited} s)"
                    ) from exc
                log.warning("database is locked by another program; trying again")
        raise AssertionError("unreachable")

    def close(self) -> None:
        closer = getattr(self.summarizer, "close", None)
        if callable(closer):
            closer()
        self.parser.close()
        self._writer.submit(self.store.close).result()
        self._writer.shutdown(wait=True)

    # --- configuration --------------------------------------------------------------------

    async def load_sources(self, *, strict: bool) -> bool:
        """Re-read the OPML if it changed since the last load; sync sources to the store.

        With `strict`, a bad OPML raises ConfigError; otherwise it is logged and the last good
        configuration stays in force. Returns True when sources were (re)loaded.
        """
        try:
            stat = self.opml_path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError as exc:
            if strict:
                raise ConfigError(f"{self.opml_path}: cannot read OPML: {exc.strerror}") from exc
            log.error("opml=%s error=%r; keeping the last good sources", self.opml_path, str(exc))
            return False
        if stamp == self._opml_stamp:
            return False
        try:
            opml = load_opml(self.opml_path)
        except ConfigError as exc:
            if strict:
                raise
            self._opml_stamp = stamp  # don't log the same broken edit every tick
            log.error("%s; keeping the last good sources", exc)
            return False
        for warning in opml.warnings:
            log.warning("opml=%s %s", self.opml_path, warning)
        added, removed = await self.write(self.store.sync_sources, opml.sources, self.clock())
        self._opml_stamp = stamp
        log.info(
            "opml=%s feeds=%d categories=%d added=%d removed=%d",
            self.opml_path,
            len(opml.sources),
            len(opml.categories),
            added,
            removed,
        )
        return True

    # --- one poll pass --------------------------------------------------------------------

    async def poll_cycle(self, fetcher: Fetcher, *, everything: bool = False) -> CycleReport:
        """Poll every due feed (or all), then group and summarise what changed."""
        started = time.monotonic()
        due = await self.write(self.store.feeds_due, self.clock(), everything=everything)
        report = CycleReport(feeds=len(due))
        results = await asyncio.gather(
            *(self._poll_feed(fetcher, source, state) for source, state in due),
            return_exceptions=True,
        )
        for (source, _), result in zip(due, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if isinstance(result, StorageError):  # not saved: the feed stays due
                    log.error(
                        "feed=%s status=error error=%r",
                        source.url,
                        f"not saved: {result}",
                        extra=fields(
                            event="feed", feed=source.url, status="error", error=str(result)
                        ),
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
            else:
                report.ok += 1
        await self._saves.flush()
        report.stories_changed = await self.write(self._group_safely)
        await self.write(self.store.set_meta, "last_poll_at", to_iso(self.clock()) or "")
        elapsed_ms = int((time.monotonic() - started) * 1000)
        log.log(
            logging.INFO if report.feeds else logging.DEBUG,
            "cycle feeds=%d ok=%d errors=%d items_new=%d items_updated=%d stories_changed=%d ms=%d",
            report.feeds,
            report.ok,
            report.errors,
            report.items_new,
            report.items_updated,
            report.stories_changed,
            elapsed_ms,
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
            ),
        )
        return report

    async def _poll_feed(
        self, fetcher: Fetcher, source: Source, state: FeedState
    ) -> tuple[str, int, int]:
        started = time.monotonic()
        outcome = await fetcher.fetch(state.moved_to or source.url, state.etag, state.last_modified)
        parsed = None
        parse_error = None
        items: list[Item] = []
        now = self.clock()
        if isinstance(outcome, Fetched) and body_hash(outcome.body) != state.body_hash:
            try:
                # Parsing and cleaning are CPU work: off the event loop, in worker processes.
                parsed, items = await self.parser.parse(source, outcome, now)
            except ParseError as exc:
                parse_error = exc.message
            except Exception as exc:  # a bug on odd input: record it, back off, keep going
                log.exception("feed=%s unexpected error while parsing", source.url)
                parse_error = f"internal error while parsing: {type(exc).__name__}: {exc}"[:300]
        new_state = state_after(
            state,
            outcome,
            now,
            self.settings.schedule,
            parsed=parsed,
            parse_error=parse_error,
            rand=random.random(),
        )
        written = await self._saves.submit((new_state, items))
        elapsed_ms = int((time.monotonic() - started) * 1000)
        log.log(
            logging.WARNING if new_state.status in {"error", "gone"} else logging.INFO,
            "feed=%s status=%s http=%s items=%d items_new=%d items_updated=%d ms=%d%s",
            source.url,
            new_state.status,
            new_state.http_status or "-",
            len(items),
            written.new,
            written.updated,
            elapsed_ms,
            f" error={new_state.error!r}" if new_state.error else "",
            extra=fields(
                event="feed",
                feed=source.url,
                category=source.category,
                status=new_state.status,
                http=new_state.http_status,
                items=len(items),
                items_new=written.new,
                items_updated=written.updated,
                ms=elapsed_ms,
                error=new_state.error,
                error_count=new_state.error_count,
                next_poll_at=to_iso(new_state.next_poll_at),
            ),
        )
        return new_state.status or "error", written.new, written.updated

    # --- grouping and summarising (writer thread) -----------------------------------------

    def _restore_clusterer(self) -> None:
        since = self.clock() - self.settings.cluster.active_window
        self.clusterer.restore(*self.store.grouping_state(since))
        self._restored = True

    def _group_safely(self) -> int:
        """`_group_and_summarize`, forgetting the clusterer's memory when it fails midway: the
        database rolled back what it had not committed, and the next attempt restores the
        clusterer from the database (so a retried write never groups against stale memory)."""
        try:
            return self._group_and_summarize()
        except BaseException:
            self.clusterer = Clusterer(self.settings.cluster)
            self._restored = False
            raise

    def _group_and_summarize(self) -> int:
        now = self.clock()
        unassigned = self.store.unassigned_items()
        regroup = self.store.articles_to_regroup(1)
        if (unassigned or regroup) and not self._restored:  # skipped when nothing is new
            self._restore_clusterer()
        group_pending(self.store, self.clusterer, now, unassigned)
        if regroup:
            regroup_articles(self.store, self.clusterer, now)
        changed = 0
        for story_id in self.store.dirty_stories():
            members = self.store.story_items(story_id)
            originals = [i for i in members if not i.duplicate_of]
            if not originals:
                continue
            originals = self._with_article_text(originals)
            inputs = summary_inputs(originals)
            headline = self.store.published_headline(story_id)
            key = self._inputs_key(inputs)
            # Unchanged inputs (a duplicate joined, a feed moved category): nothing to write.
            summary = self.store.stored_summary(story_id, key)
            if summary is None:
                summary = self.summarizer.summarize(inputs, headline)
                if getattr(self.summarizer, "fell_back", False):
                    key = None  # an LLM fallback is not this summarizer's answer: ask again
                if getattr(self.summarizer, "pending", False):
                    self._awaiting.add(story_id)  # its answer is on the way
                else:
                    self._awaiting.discard(story_id)
            # Every distinct outlet counts, not only those the summary was written from.
            summary = dataclasses.replace(summary, outlet_count=outlet_count(originals))
            # Categories count duplicates too: an article an outlet files under two
            # categories puts the story in both.
            categories = story_categories(members)
            if self.store.save_summary(
                story_id, summary, summary_fingerprint(summary), categories, now, key
            ):
                changed += 1
        return changed

    def _with_article_text(self, originals: list[Item]) -> list[Item]:
        """Fetched article text stands in for a teaser's feed text (and changes the item's
        content hash as the summary sees it, so the inputs key notices the new text)."""
        texts = self.store.article_texts([i.id for i in originals])
        if not texts:
            return originals
        out = []
        for item in originals:
            text = texts.get(item.id)
            if text is not None:
                mark = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]
                item = dataclasses.replace(
                    item, text=text, content_hash=f"{item.content_hash}+article:{mark}"
                )
            out.append(item)
        return out

    def _inputs_key(self, inputs: list[Item]) -> str:
        """Names what a summary is written from: the items' content and the summariser."""
        kind = type(self.summarizer)
        how = f"{kind.__module__}.{kind.__qualname__} {getattr(self.summarizer, 'settings', '')!r}"
        digest = hashlib.sha1(how.encode(), usedforsecurity=False)
        for item in inputs:
            parts = (item.id, item.content_hash, item.outlet_name, item.url or "")
            digest.update("\x1f".join(parts).encode())
        return digest.hexdigest()

    # --- jobs besides polling -------------------------------------------------------------

    def article_job(self) -> ArticleJob:
        """The article-page job over this service's store and writer thread (one per service,
        so its robots.txt answers and per-host pacing carry over between passes)."""
        if self._article_job is None:
            from .article_job import ArticleJob

            self._article_job = ArticleJob(
                self.store, self.write, self.settings.articles, self.clock
            )
        return self._article_job

    def _resummarize_awaiting(self) -> int:
        """Summarise again the stories whose model answer was pending (writer thread)."""
        self._answers.clear()
        waiting, self._awaiting = sorted(self._awaiting), set()
        self.store.mark_dirty(waiting)
        return self._group_and_summarize()

    async def settle_summaries(self, timeout: float | None = None) -> int:
        """Wait (up to the model's timeout) for pending model answers and publish them, as
        `poll --once` does before it exits; returns how many stories changed."""
        llm = getattr(self.settings, "llm", None)
        deadline = time.monotonic() + (timeout if timeout is not None else llm.timeout + 5)
        changed = 0
        while self._awaiting and time.monotonic() < deadline:
            await asyncio.to_thread(self._answers.wait, min(1.0, deadline - time.monotonic()))
            if self._answers.is_set():
                changed += await self.write(self._resummarize_awaiting)
        return changed

    async def _model_answers(self, stop: asyncio.Event) -> None:
        """Publish model answers as they arrive (the LLM backend's background results)."""
        while not stop.is_set():
            await asyncio.to_thread(self._answers.wait, 1.0)
            if self._answers.is_set() and not stop.is_set():
                changed = await self.write(self._resummarize_awaiting)
                if changed:
                    log.info("llm: stories_changed=%d", changed)

    async def fetch_articles(
        self, fetcher: Fetcher, *, max_passes: int = 1000, budget: float | None = None
    ) -> ArticlePass:
        """Fetch every due article page now (as `poll --once` does), re-summarising as text
        arrives; returns the totals. With a `budget` (seconds) fetching stops then: pages not
        fetched by then are not recorded, so they stay due for the next run."""
        from .article_job import ArticlePass

        total = ArticlePass()
        if not self.settings.articles.enabled:
            return total
        job = self.article_job()
        deadline = None if budget is None else time.monotonic() + budget
        for _ in range(max_passes):
            if deadline is not None and time.monotonic() >= deadline:
                break
            report = await job.run_pass(fetcher, deadline)
            total.fetched += report.fetched
            total.ok += report.ok
            total.failed += report.failed
            total.enough += report.enough
            total.left = report.left
            if report.stories_marked:
                total.stories_marked += report.stories_marked
                await self.write(self._group_and_summarize)
            if report.left or (not report.fetched and not report.enough):
                break
        return total

    async def _resummarize(self) -> None:
        changed = await self.write(self._group_and_summarize)
        if changed:
            log.info("articles: stories_changed=%d", changed)

    def retention_job(self) -> RetentionJob:
        """Pruning of old stories and items, run after a poll cycle when due."""
        return RetentionJob(
            self.store,
            self.write,
            self.settings.retention,
            keep_per_category=self.settings.publish.max_items,
            active_window=self.settings.cluster.active_window,
            clock=self.clock,
        )

    async def run_retention(self) -> None:
        try:
            await self.retention_job().run_if_due()
        except StorageError as exc:
            log.error("retention status=error error=%r; trying again later", str(exc))

    def digest_job(self) -> DigestJob:
        """The daily email digest job over this service's store and writer thread."""
        from .digest_job import DigestJob
        from .digest_store import DigestBooks

        books = DigestBooks(self.store)
        return DigestJob(
            books, self.store.reader(), self.settings, self.write, self.smtp_password, self.clock
        )

    # --- the long-running loop ------------------------------------------------------------

    async def run(
        self, host: str, port: int, stop: asyncio.Event | None = None, *, serve: bool = True
    ) -> None:
        """Poll on schedule and (with `serve`) serve the published feeds until stopped.

        Under systemd (Type=notify) it reports READY once serving, RELOADING/READY around a
        SIGHUP re-read, STATUS after each cycle, STOPPING on SIGTERM, and pings the watchdog
        from the event loop, so a hung loop is killed and restarted.
        """
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
            if serve:
                app = make_app(
                    self.store.reader(),
                    self.settings.publish,
                    clock=self.clock,
                    digest=self.settings.digest,
                    stale_after=stale_after(self.settings),
                )
                runner = await start_server(app, host, port)
                log.info("serving http://%s:%d/", host, port)
        except BaseException:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            raise
        self.notifier.ready(await self._status_text(None))
        watchdog = self._start_watchdog()
        tick = self.settings.server.tick
        digests = articles = answers = None
        polled = asyncio.Event()  # the first poll cycle is done: digests carry fresh news
        if any(self.settings.digest.recipients.values()):
            job = self.digest_job().loop(stop, min(tick, 60.0), after=polled)
            digests = asyncio.ensure_future(job)
        try:
            async with Fetcher(self.settings.fetch) as fetcher:
                if self.settings.articles.enabled:
                    articles = asyncio.ensure_future(
                        self.article_job().loop(fetcher, stop, self._resummarize)
                    )
                if self.settings.llm.enabled:
                    answers = asyncio.ensure_future(self._model_answers(stop))
                while not stop.is_set():
                    if reload.is_set():
                        reload.clear()
                        self.notifier.reloading()
                        log.info("reloading: re-reading %s", self.opml_path)
                        self._opml_stamp = None
                        await self._load_sources_logged()
                        self.notifier.ready(await self._status_text(None))
                    else:
                        await self._load_sources_logged()
                    cycle = asyncio.ensure_future(self.poll_cycle(fetcher))
                    stopper = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({cycle, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    if not cycle.done():
                        self.notifier.stopping()
                        log.info("stopping: letting in-flight polls finish")
                        await asyncio.wait({cycle}, timeout=self.settings.server.shutdown_grace)
                    if cycle.done():
                        stopper.cancel()
                        polled.set()
                        report = self._cycle_result(cycle)
                        self.notifier.status(await self._status_text(report))
                        await self.run_retention()
                    else:
                        cycle.cancel()
                        await asyncio.gather(cycle, return_exceptions=True)
                        break
                    await self._sleep_until_due(stop, reload, tick)
                if articles is not None:  # stop fetching pages before the session closes
                    articles.cancel()
                    await asyncio.gather(articles, return_exceptions=True)
        finally:
            self.notifier.stopping()
            if watchdog is not None:
                watchdog.cancel()
            for task in (articles, answers):
                if task is not None and not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if digests is not None:  # a send in progress gets the grace period to finish
                stop.set()
                await asyncio.wait({digests}, timeout=self.settings.server.shutdown_grace)
                digests.cancel()
                await asyncio.gather(digests, return_exceptions=True)
            if runner is not None:
                await runner.cleanup()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            log.info("stopped")

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

    async def _load_sources_logged(self) -> None:
        try:
            await self.load_sources(strict=False)
        except StorageError as exc:
            log.error("opml=%s not applied: %s; trying again next tick", self.opml_path, exc)

    def _cycle_result(self, cycle: asyncio.Future[CycleReport]) -> CycleReport | None:
        """A finished cycle's report; a database failure is logged, and the next tick retries."""
        try:
            return cycle.result()
        except StorageError as exc:
            log.error("cycle status=error error=%r; trying again next tick", str(exc))
            return None

    async def _status_text(self, report: CycleReport | None) -> str:
        """One line for `systemctl status`: the last cycle and how many feeds are failing."""
        try:
            health = await self.write(self._reader.health)
        except StorageError:
            return "database busy"
        failing = f"{health['feeds_failing']} of {health['feeds']} feeds failing"
        if report is None:
            last = health.get("last_poll_at") or "never"
            return f"{failing}; last cycle {last}"
        return (
            f"last cycle {to_iso(self.clock())}: {report.feeds} feeds polled, "
            f"{report.errors} errors, {report.items_new} new items; {failing}"
        )

    async def _sleep_until_due(
        self, stop: asyncio.Event, reload: asyncio.Event, tick: float
    ) -> None:
        try:
            next_due = await self.write(self.store.next_due)
        except StorageError:
            next_due = None
        delay = tick
        if next_due is not None:
            delay = max(1.0, min(tick, (next_due - self.clock()) / timedelta(seconds=1)))
        waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(reload.wait())}
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
