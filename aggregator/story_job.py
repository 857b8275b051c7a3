"""The story job: group newly stored items into stories and summarise the stories that changed
(on the service's writer thread), and publish a model's answers as they arrive.

What is due is decided without IO: the store marks stories dirty, and `inputs_key` names what
a summary is written from, so a story whose inputs did not change is not summarised again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .cluster import Clusterer
from .config import Settings
from .embed import headline_embedder
from .entry_images import lead_image
from .errors import NOT_THE_INPUT, StorageError
from .grouping import (
    Halt,
    SetAside,
    group_pending,
    join_stories,
    regroup_articles,
    reterm_window,
    set_apart,
)
from .heap import forget_memos, release_free_memory
from .item_kinds import publishable
from .models import Item, SourceRef, Summary
from .pipeline import named_after_sites, site_names, story_categories, summary_inputs
from .store import Store
from .story_sources import outlet_count
from .summarize import ExtractiveSummarizer, Summarizer, make_summarizer, summary_fingerprint
from .summary_ahead import SummariesAhead
from .summary_pool import SummaryPool
from .summary_task import StoryInputs
from .wire_copies import copy_sources, with_copies
from .withheld import Withheld

__all__ = ["ModelAnswers", "StoryJob", "inputs_key", "with_article_text"]

log = logging.getLogger("aggregator")
SAVE_BATCH = 100  # summaries written per transaction
ANSWERS_RETRY = 30.0  # seconds before model answers the database refused are published again
Write = Callable[..., Awaitable[Any]]


@runtime_checkable
class ModelAnswers(Protocol):
    """A summarizer whose own answer can arrive after `summarize` returned (the LLM backend).
    Both properties describe the calling thread's last `summarize`."""

    @property
    def fell_back(self) -> bool:
        """The summary returned is the extractive fallback, not this summarizer's answer."""
        ...

    @property
    def pending(self) -> bool:
        """This summarizer's answer is still on the way (a background request)."""
        ...


def with_article_text(originals: list[Item], texts: Mapping[str, str]) -> list[Item]:
    """Fetched article text (`texts`, by item id) stands in for a teaser's feed text, and
    changes the item's content hash as the summary sees it, so `inputs_key` notices it. Pure."""
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


def inputs_key(summarizer: Summarizer, inputs: Sequence[Item], language: str | None = None) -> str:
    """Names what a summary is written from: the items' content, the summariser and the
    language a tie of the items' languages goes to (its category's, when it has one). Pure."""
    kind = type(summarizer)
    how = f"{kind.__module__}.{kind.__qualname__} {getattr(summarizer, 'settings', '')!r}"
    if language:  # (a story of a category without a language keeps the key it had)
        how += f" language={language}"
    digest = hashlib.sha1(how.encode(), usedforsecurity=False)
    for item in inputs:
        parts = (item.id, item.content_hash, item.outlet_name, item.url or "")
        digest.update("\x1f".join(parts).encode())
    return digest.hexdigest()


@dataclasses.dataclass(eq=False)
class _Prepared:
    """A dirty story read for summarising (`inputs` None: nothing in it to publish, or handed
    off to be summarised: a batch in flight keeps none of its items). Its
    members are not kept: what `_finish` needs of them (outlets, categories) is counted as it
    is read, and a batch in flight would otherwise hold every story's items beside its inputs."""

    story_id: str
    inputs: list[Item] | None = None
    headline: str | None = None
    key: str | None = None
    summary: Summary | None = None  # the stored one when its inputs are unchanged
    language: str | None = None  # its main category's own language (`category_languages`)
    outlets: int = 0  # distinct outlets of its originals (every one, not only the inputs')
    categories: list[tuple[str, float]] = dataclasses.field(default_factory=list)  # `members'`
    copies: list[SourceRef] = dataclasses.field(default_factory=list)  # other outlets' copies
    images: dict[str, str] = dataclasses.field(default_factory=dict)  # members' pictures, by id


# The memos a `run` service keeps from one round to the next: the bodies' summary candidates
# (lent to the next rounds' summary workers: a story gaining an item is summarised again from
# all its bodies) and the published feeds' entries (served between rounds). The others hold
# the round's own texts (words, tokens, stems, shingles, dedupe keys, headlines, times): they
# are emptied as the round ends, so the next round's fetch, beside the parse workers, reuses
# their room instead of growing the process (~12-20 MB at 15-60k stored items).
ROUND_MEMOS = ("aggregator.bullets", "aggregator.feeds")


class _Between:
    """What the story job does between the parts a big pass groups: the summaries ahead
    (`summary_ahead`), and at each run's end the window's bounded memos are emptied. They
    serve assigning, not counting: the next run's counting walk, beside the helper process
    that tokenises and summarises ahead, then reuses their room instead of growing the
    process, and its assigning walk fills them again (each entry is made again from its
    record, as after an eviction: the same stories)."""

    def __init__(self, ahead: SummariesAhead, clusterer: Clusterer) -> None:
        self.ahead = ahead
        self.clusterer = clusterer

    def part_done(self) -> None:
        self.ahead.part_done()

    def run_done(self) -> None:
        self.clusterer.forget_memos()
        self.ahead.run_done()

    def last_run_next(self) -> None:
        self.ahead.last_run_next()

    def last_run_counted(self) -> None:
        self.clusterer.fewer_memos()  # (the window is at its largest as the run is assigned)


class StoryJob:
    """Keeps the stories current. `run` is called on the writer thread; the clusterer's memory
    of active stories is restored from the store before the first item is grouped."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime],
        summarizer: Summarizer | None = None,
        *,
        keep_memos: bool = True,
        keep_window: bool = True,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        # False when the process stops after its pass (`poll --once`): the text memos then
        # serve no later pass, and are emptied once grouping is done (`heap.forget_memos`).
        self.keep_memos = keep_memos
        # False there too, and in a `run` service set to (`[server] keep_window = false`):
        # the window is written beside the database as soon as grouping is done and dropped,
        # so summarising (and a service's next fetch) runs without it (`_let_window_go`).
        self.keep_window = keep_window
        # True once the process is stopping (`run` on SIGTERM): a pass under way then ends at
        # its next run, part of a run or batch of summaries, committing what it did; the rest
        # (items without a story, dirty stories) waits in the store for the next process.
        self.stopping = stopping
        # A model's answers arrive in the background: stories get the extractive summary first
        # and are summarised again when their answer is in (see resummarize_awaiting).
        self.answers = threading.Event()
        self.awaiting: set[str] = set()
        self.summarizer = summarizer or make_summarizer(
            settings, background=True, on_answer=self.answers.set
        )
        self.embedder = headline_embedder(settings.cluster.embeddings)
        self.clusterer = Clusterer(settings.cluster, self.embedder)
        self.restored = False
        # The window as a snapshot for the next process (`grouping_snapshot`): whether this
        # one changed it since it was loaded or written, and the store's stamp after this
        # job's last grouping write (None while a pass is under way or after one failed).
        self._unsaved = False
        self._stamp: tuple[str, int] | None = None
        self._failed = False
        # The store's stamp the window was written with when this job let it go (None when
        # it holds a window, or let none go): see `pruned_outside_window`.
        self._written: tuple[str, int] | None = None
        self._written_stories: frozenset[str] = frozenset()  # (the stories that window held)
        # The stories read ahead this pass (`_read_ahead`), as `_finish` needs them: a story
        # the store still marks unchanged since is not read again (`_summarise_on_workers`).
        self._read_early: dict[str, _Prepared] = {}
        self.withheld = Withheld()  # (read from the store at each pass)
        # Outlet → the name its own listed feed goes by (`pipeline.site_names`): read from
        # the store when a pass first summarises, so sources edited since are followed.
        self._site_names: dict[str, str] | None = None
        self._category_languages: dict[str, str] | None = None  # (the same: `_languages`)

    def close(self) -> None:
        closer = getattr(self.summarizer, "close", None)
        if callable(closer):
            closer()

    def _restore_clusterer(self) -> None:
        """The window as the last process left it (its snapshot), else rebuilt from the
        store's rows, whose grouping features are first made again if another version of
        the code made them (`reterm_window`)."""
        since = self.clock() - self.settings.cluster.active_window
        started = time.perf_counter()
        made = reterm_window(self.store, self.settings.cluster.text_tokens, since)
        if made:
            log.info(
                "grouping: the features of %d items in the window worked out again in %.1f s "
                "(stored by a version of the code that reads texts differently)",
                made,
                time.perf_counter() - started,
            )
        loaded = self._load_snapshot()
        if loaded is not None:
            self.clusterer = loaded
        else:
            self.clusterer.restore(*self.store.grouping_state(since), take=True)
        # What the restore read and unpacked (the file's frames, the stored rows) is freed
        # between the window's blocks: malloc keeps it, under the pass's memory, unless asked.
        release_free_memory()
        self.restored = True
        self._unsaved = loaded is None
        self._written = None
        self._written_stories = frozenset()

    def _snapshot_path(self) -> Path | None:
        if not self.settings.cluster.snapshot or self.embedder is not None:
            return None  # (headline embeddings hold a model: not pickled)
        from .grouping_snapshot import snapshot_path

        return snapshot_path(self.store.path)

    def _load_snapshot(self) -> Clusterer | None:
        path = self._snapshot_path()
        if path is None:
            return None
        from .grouping_snapshot import load, stamp_for

        store_id, generation = self.store.grouping_stamp()
        return load(path, stamp_for(store_id, generation, self.settings.cluster))

    def save_snapshot(self) -> None:
        """Write the window for the next process (writer thread), when this process changed
        it and the store has not changed since this job's last grouping write (then the
        snapshot would be stale at once). A failure is logged: the next start rebuilds."""
        path = self._snapshot_path()
        if path is None or not self.restored or not self._unsaved or self._stamp is None:
            return
        try:
            stamp = self.store.grouping_stamp()
        except Exception as exc:  # (a broken database: nothing to match a snapshot against)
            log.warning("grouping snapshot not written: %s", exc)
            return
        if stamp != self._stamp:
            log.info("grouping snapshot not written: the store changed since the last pass")
            return
        from .grouping_snapshot import save, stamp_for

        store_id, generation = self._stamp
        # The pickler's memo is a big allocation on top of the window: the text memos, which
        # serve only later passes (a snapshot is written as the process stops, or by a
        # one-shot pass before it summarises), go first.
        forget_memos()
        self.clusterer.forget_memos()  # (saved empty in any case)
        release_free_memory()
        try:
            save(path, self.clusterer, stamp_for(store_id, generation, self.settings.cluster))
        except Exception as exc:  # a full disk, a read-only directory: rebuild next time
            log.warning("grouping snapshot not written to %s: %s", path, exc)
        else:
            self._unsaved = False

    def _let_window_go(self) -> None:
        """A one-shot pass's window once grouped: written for the next process now, then
        dropped, so summarising runs without it (~250 MB at 60k items). A later pass of this
        process that groups again loads it back from that file (`_restore_clusterer`).
        A window that could not be written is kept: this process never rebuilds it."""
        self.save_snapshot()
        if not self.restored or self._unsaved or self._stamp is None:
            return  # (nothing grouped, snapshots off or not written, the store changed)
        self._written_stories = self.clusterer.story_ids()
        self.clusterer.let_go()
        self.clusterer = Clusterer(self.settings.cluster, self.embedder)
        self.restored = False
        self._written = self._stamp
        self._stamp = None  # (as in a new process: the next pass restores, then stamps)
        log.debug("grouping: window written and let go before summarising")

    @property
    def window_written(self) -> bool:
        """The window was written and let go, and not loaded back since."""
        return self._written is not None

    def held_stories(self) -> AbstractSet[str]:
        """The stories of the window (writer thread): the one held, else the one written and
        let go. Retention prunes none of them (`retention.Window`)."""
        if self.restored:
            return self.clusterer.story_ids()
        return self._written_stories if self._written is not None else frozenset()

    def pruned_outside_window(self, before: tuple[str, int]) -> None:
        """After retention pruned (writer thread, in the same step): `before` is the store's
        stamp just before it. Retention deletes only stories the window does not hold
        (`held_stories`) with their items and duplicates; the window holds no item outside
        its stories (`StoryWindow._drop` lets all of an expired story go), so it stands for
        the pruned store as it did for the store before. When the window matched `before`
        (a kept window's last pass, or the file written when it was let go) it is stamped
        `after`: a kept window writes its snapshot at stop, the written file loads at the
        next pass. Otherwise the store had changed already, and nothing is restamped."""
        after = self.store.grouping_stamp()
        if after == before:
            return
        if self.restored:
            if self._stamp == before:
                self._stamp = after
                self._unsaved = True  # (written at stop, stamped `after`)
                log.debug("grouping: window restamped after retention")
            return
        if self._written is None or self._written != before:
            return
        from .grouping_snapshot import restamp, stamp_for

        cluster = self.settings.cluster
        old, new = stamp_for(*before, cluster), stamp_for(*after, cluster)
        if restamp(self._snapshot_path(), old, new):
            self._written = after
            log.debug("grouping: snapshot restamped after retention")
        else:
            self._written = None

    def forget(self) -> None:
        """Drop the clusterer's memory after a pass failed midway: the database rolled back
        what it had not committed, and the next pass restores the clusterer from it (so a
        retried write never groups against stale memory)."""
        self.clusterer = Clusterer(self.settings.cluster, self.embedder)
        self.restored = False
        self._unsaved = False
        self._stamp = None
        self._failed = False
        self._written = None
        self._written_stories = frozenset()

    def run(self) -> int:
        """Group the items without a story, then summarise every dirty story; returns how
        many stories' published summaries changed."""
        now = self.clock()
        self.withheld = self.store.withheld()  # (the operator's list in force: `withheld`)
        self._site_names = None
        self._category_languages = None
        unassigned = self.store.has_unassigned()
        regroup = self.store.articles_to_regroup(1)
        apart, joins = self.store.corrections_due(self.withheld)  # (`apart`, `join` lines)
        if (unassigned or regroup or apart or joins) and not self.restored:  # (none: none new)
            self._restore_clusterer()
        if self._stamp is not None and self.store.grouping_stamp() != self._stamp:
            # Another command (or this process's retention) changed what the window reflects
            # since its last pass: it no longer matches the store, so it is never written.
            log.info("grouping: the store changed outside this window; no snapshot this run")
            self._failed = True
        self._stamp = None  # (the window may run ahead of the store until the pass is in)
        ahead = self._ahead()
        try:
            changed = self._group_and_summarise(now, bool(regroup), ahead, apart, joins)
            self.store.index_search()  # (the pass's summaries, searchable from now)
            return changed
        finally:
            if ahead is not None:
                ahead.close()  # (whichever way the pass ends)
            if self.keep_memos:  # a service's round: see `ROUND_MEMOS`
                forget_memos(keep=ROUND_MEMOS)
                release_free_memory()

    def _group_and_summarise(
        self,
        now: datetime,
        regroup: bool,
        ahead: SummariesAhead | None,
        apart: Sequence[Item] = (),
        joins: Sequence[tuple[str, ...]] = (),
    ) -> int:
        """`run` once the window is ready: group, set `apart` the items the operator named
        and make one story of each group of stories they `joins`, then summarise the dirty
        stories."""
        try:
            # group_pending reads the items itself, a chunk of a run at a time.
            # (not kept past grouping: it holds the window, which a one-shot pass lets go)
            between = None if ahead is None else _Between(ahead, self.clusterer)
            halt = Halt(self.stopping)
            alone = SetAside()
            self.clusterer.published = self.store.published_among(self.clusterer.story_ids())
            try:
                group_pending(
                    self.store, self.clusterer, now, between=between, halt=halt, set_aside=alone
                )
            finally:
                self.clusterer.fewer_memos(False)
            del between
            if regroup and not halt.halted:
                regroup_articles(self.store, self.clusterer, now)
            if apart and not halt.halted:
                moved = set_apart(self.store, self.clusterer, apart, now)
                log.info("grouping: set apart=%d moved=%d", len(apart), moved)
            if joins and not halt.halted:
                merged = join_stories(self.store, self.clusterer, joins, now)
                log.info("grouping: joined=%d merged=%d", len(joins), merged)
        except BaseException:
            self._failed = True  # never written as a snapshot until forgotten
            raise
        if halt.inside_run or alone.window_touched:  # (counted items it did not assign, or
            self.forget()  # took part of one that failed: rebuilt by the next pass)
        elif self.restored and not self._failed:  # the window and the store agree again
            self._stamp = self.store.grouping_stamp()
            self._unsaved = True
        if halt.halted:  # (stopping: what is left waits in the store)
            log.info("grouping: stopped early; the next pass groups and summarises the rest")
            return 0
        # Grouping's text memos, its biggest: summarising reuses their room. A service's round
        # would empty them as it ends (`ROUND_MEMOS`); emptied here, the round's peak (its
        # summarising, beside the summary worker) no longer holds them.
        forget_memos(keep=ROUND_MEMOS if self.keep_memos else ())
        # The window's own bounded memos (~12 MB at 60k items) serve grouping only: a service
        # holds its window through summarising and the next round's fetch, beside the parse
        # workers, and its next grouping makes each entry again from its record.
        self.clusterer.forget_memos()
        if not self.keep_window:
            self._let_window_go()
        release_free_memory()  # the texts grouping read: summaries' memory comes on top
        dirty = self.store.dirty_stories()
        if ahead is not None and ahead.started:  # (its answers; its pool or a new one)
            return self._summarise_on_workers(dirty, now, ahead)
        if SummaryPool.worth_it(self.summarizer, len(dirty)):
            return self._summarise_on_workers(dirty, now)
        changed = 0
        for start in range(0, len(dirty), SAVE_BATCH):
            if self.stopping():  # (the rest stay dirty: summarised by the next pass)
                break
            # One transaction per batch of summaries, not one per story.
            with self.store.transaction():
                for story_id in dirty[start : start + SAVE_BATCH]:
                    changed += self._alone(
                        story_id, functools.partial(self._summarise, story_id, now)
                    )
        return changed

    def _ahead(self) -> SummariesAhead | None:
        """Summaries worked out while a big pass groups (`summary_ahead`), when the workers
        could run them."""
        self._read_early = {}
        if not SummariesAhead.possible(self.summarizer):
            return None
        assert isinstance(self.summarizer, ExtractiveSummarizer)
        return SummariesAhead(self.summarizer, self.store.dirty_stories, self._read_ahead)

    def _read_ahead(self, story_id: str) -> StoryInputs | None:
        """A dirty story's summary inputs and published headline as summarising would read
        them now; None when there is nothing to summarise (see `summary_ahead.Read`). The
        store marks the story read ahead until anything changes it, and what `_finish` needs
        of it is kept (not its items)."""
        try:
            prepared = self._prepare(story_id)
        except NOT_THE_INPUT:
            raise
        except Exception:  # (not read ahead: its own turn says why, `_prepared_alone`)
            return None
        if prepared.summary is not None or prepared.inputs is None:
            return None
        self.store.mark_read_ahead(story_id)
        self._read_early[story_id] = dataclasses.replace(prepared, inputs=None)
        return prepared.inputs, prepared.headline, prepared.language

    def _summarise_on_workers(
        self, dirty: Sequence[str], now: datetime, early: SummariesAhead | None = None
    ) -> int:
        """`run`'s summaries of many stories: the writer thread reads a batch, hands most of
        its stories to the workers and summarises the rest itself, then saves the batch
        before in one transaction, in order (the same summaries and writes as in place).
        A story `early` summarised from the same inputs and headline takes that summary; one
        the store marks unchanged since it was read ahead takes it without being read again."""
        assert isinstance(self.summarizer, ExtractiveSummarizer)
        started = early.pool if early is not None else None
        pool = started if started is not None else SummaryPool(self.summarizer)
        unchanged = self.store.read_ahead_unchanged() if early is not None else set()
        changed = 0
        try:
            in_flight: list[tuple[_Prepared, Future[Summary] | Future[bytes] | bytes | None]] = []
            for start in range(0, len(dirty) + SAVE_BATCH, SAVE_BATCH):
                # Stopping: the batch in flight is saved, the rest stay dirty for the next pass.
                halted = self.stopping()
                batch: list[_Prepared] = []
                taken: dict[_Prepared, Future[bytes] | bytes] = {}
                for story_id in () if halted else dirty[start : start + SAVE_BATCH]:
                    kept = self._read_early.pop(story_id, None)
                    answer = None
                    if early is not None and kept is not None and story_id in unchanged:
                        answer = early.take_unchanged(story_id)
                    if answer is not None and kept is not None:
                        taken[kept] = answer
                        batch.append(kept)
                    elif (prepared := self._prepared_alone(story_id)) is not None:
                        batch.append(prepared)
                # (a story taken unread is kept without its inputs: not wanted again)
                wanted: dict[_Prepared, StoryInputs] = {
                    p: (p.inputs, p.headline, p.language)
                    for p in batch
                    if p.summary is None and p.inputs is not None
                }
                if early is not None:
                    for p, task in wanted.items():
                        if (early_answer := early.take(p.story_id, task)) is not None:
                            taken[p] = early_answer
                asked = [p for p in wanted if p not in taken]
                futures = iter(pool.submit([wanted[p] for p in asked]))
                ahead = [
                    (p, taken.get(p) or (next(futures) if p in asked else None)) for p in batch
                ]
                for p in batch:  # handed off (a worker's chunk keeps its own until answered)
                    p.inputs = None
                if in_flight:
                    with self.store.transaction():
                        for prepared, future in in_flight:
                            save = functools.partial(self._answered, pool, prepared, future, now)
                            changed += self._alone(prepared.story_id, save)
                in_flight = ahead
                # The C heap's freed pages go back as each batch is saved (<1 ms a batch at
                # 60k): malloc keeps what a batch's reads, the chunks pickled for the workers
                # and their answers freed, and the round's peak is the end of its summarising,
                # beside the summary worker.
                release_free_memory()
                if halted:
                    break
        finally:
            pool.close()
        if early is not None:
            log.debug("summaries ahead: %d of %d used", early.used, early.handed)
        return changed

    def _answered(
        self,
        pool: SummaryPool,
        prepared: _Prepared,
        future: Future[Summary] | Future[bytes] | bytes | None,
        now: datetime,
    ) -> int:
        """Save a story a worker summarised (`future`: its answer; None: nothing to ask)."""
        if future is not None:
            prepared.summary = pool.result(future)
        return self._finish(prepared, now)

    def _alone(self, story_id: str, work: Callable[[], int]) -> int:
        """`work()`, one story's summary made and saved, in a savepoint of its own; what it
        returns. When it raises (a defect met on odd input) its writes are undone, the error
        is logged with its traceback, and the story keeps what it published (`not_summarised`):
        one story's failure fails neither the pass nor the others' summaries."""
        try:
            with self.store.transaction():
                return work()
        except NOT_THE_INPUT:
            raise
        except Exception as exc:
            self._not_summarised(story_id, exc)
            return 0

    def _prepared_alone(self, story_id: str) -> _Prepared | None:
        """`_prepare`, or None (said and set aside as `_alone` does) when it raises."""
        try:
            return self._prepare(story_id)
        except NOT_THE_INPUT:
            raise
        except Exception as exc:
            self._not_summarised(story_id, exc)
            return None

    def _not_summarised(self, story_id: str, exc: Exception) -> None:
        log.error(
            "summaries: story %s could not be summarised; it keeps what it published (%s: %s)",
            story_id,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        self.store.not_summarised(story_id)

    def _summarise(self, story_id: str, now: datetime) -> int:
        """Summarise one dirty story (unless its inputs are unchanged) and save it; returns 1
        when its published summary changed."""
        prepared = self._prepare(story_id)
        if prepared.summary is None and prepared.inputs is not None:
            prepared.summary = self.summarizer.summarize(
                prepared.inputs, prepared.headline, prepared.language
            )
            answers = self.summarizer if isinstance(self.summarizer, ModelAnswers) else None
            if answers is not None and answers.fell_back:
                prepared.key = None  # an LLM fallback is not this summarizer's answer: ask again
            if answers is not None and answers.pending:
                self.awaiting.add(story_id)  # its answer is on the way
            else:
                self.awaiting.discard(story_id)
        return self._finish(prepared, now)

    def _prepare(self, story_id: str) -> _Prepared:
        """What summarising a dirty story needs from the store: its items, the summary inputs
        and their key, the published headline, the stored summary if the key matches, and
        the sources other outlets' copies add (`wire_copies`)."""
        members = self._published_members(story_id)
        originals = publishable([i for i in members if not i.duplicate_of])
        if not originals:  # nothing but a page's furniture: kept, never published
            return _Prepared(story_id)
        # Other outlets' wire copies are listed and counted, not summarised (`wire_copies`).
        copies = copy_sources(originals, publishable([i for i in members if i.duplicate_of]))
        texts = self.store.article_texts([i.id for i in originals])
        originals = with_article_text(originals, texts)
        inputs = summary_inputs(originals)
        outlets, categories = outlet_count(originals) + len(copies), story_categories(members)
        # A tie of its sources' languages goes to its main category's own language, if any.
        language = self._languages().get(categories[0][0]) if categories else None
        key = inputs_key(self.summarizer, inputs, language)
        # Unchanged inputs (a feed moved category, a copy joined: its source is added to the
        # stored summary in `_finish`): not summarised again.
        headline, summary = self.store.summary_state(story_id, key)
        images = {i.id: i.image for i in members if i.image}
        if images and self.settings.publish.checks_pictures:  # (one that does not load: none)
            failed = self.store.failed_pictures(set(images.values()))
            images = {k: v for k, v in images.items() if v not in failed}
        return _Prepared(
            story_id, inputs, headline, key, summary, language, outlets, categories, copies, images
        )

    def _languages(self) -> dict[str, str]:
        """The categories' own languages (the OPML's), read once a pass."""
        if self._category_languages is None:
            self._category_languages = self.store.category_languages()
        return self._category_languages

    def _published_members(self, story_id: str) -> list[Item]:
        """The story's items it may be published from: all but what the operator withholds
        (`withheld`): none of a story withheld, or of one a withheld story merged into. An
        item named by its outlet's domain takes the name of the outlet's own listed feed
        (`pipeline.named_after_sites`)."""
        if self._site_names is None:
            self._site_names = site_names(self.store.source_sites())
        members = named_after_sites(self.store.story_items(story_id), self._site_names)
        withheld = self.withheld
        if not withheld:
            return members
        if withheld.stories and withheld.stories & self.store.merged_from(story_id):
            return []
        return withheld.published(story_id, members)

    def _finish(self, prepared: _Prepared, now: datetime) -> int:
        """Save a prepared story's summary (or withdraw a story with nothing to publish);
        returns 1 when its published summary changed. A summary without a bullet (no usable
        sentence: a crawl notice, a page of links, every title a placeholder) has nothing a
        reader could read: its story is kept, and summarised again when it changes (a source
        joins, article text arrives), but not published until it has a bullet."""
        empty = prepared.summary is not None and not prepared.summary.bullets
        if prepared.summary is None or empty:
            return 1 if self.store.withdraw_summary(prepared.story_id) else 0
        # Every distinct outlet counts, not only those the summary was written from, and
        # other outlets' wire copies are listed after the sources it was written from.
        summary = with_copies(prepared.summary, prepared.copies, prepared.outlets)
        # Its picture is its sources' (not the summary's work): chosen again every time.
        found = lead_image(summary.sources, prepared.images, summary.headline)
        image, source = found or (None, -1)
        summary = dataclasses.replace(summary, image=image, image_source=source)
        # Categories count duplicates too (`_prepare` reads them from every member): an
        # article an outlet files under two categories puts the story in both.
        saved = self.store.save_summary(
            prepared.story_id,
            summary,
            summary_fingerprint(summary),
            prepared.categories,
            now,
            prepared.key,
        )
        return 1 if saved else 0

    def resummarize_awaiting(self) -> int:
        """Summarise again the stories whose model answer was pending (writer thread). When
        that fails (a locked database, the disk full), they are awaited again and the job
        forgets its memory, as a failed pass does: the next try starts from the database."""
        self.answers.clear()
        waiting, self.awaiting = sorted(self.awaiting), set()
        try:
            self.store.mark_dirty(waiting)
            return self.run()
        except BaseException:
            self.awaiting.update(waiting)
            self.answers.set()
            self.forget()
            raise

    async def settle(self, write: Write, timeout: float | None = None) -> int:
        """Wait for pending model answers and publish them, as `poll --once` does before it
        exits; returns how many stories changed. The wait ends `timeout` seconds from now at
        the latest (default: the model's `timeout`, which bounds a request's answer): a
        request not answered by then is abandoned (its story keeps the extractive summary,
        and the process does not wait for it, `llm._Requests`)."""
        wait = timeout if timeout is not None else self.settings.llm.timeout
        deadline = time.monotonic() + wait
        changed = 0
        while self.awaiting and time.monotonic() < deadline:
            await asyncio.to_thread(self.answers.wait, min(1.0, deadline - time.monotonic()))
            if self.answers.is_set():
                changed += await write(self.resummarize_awaiting)
        return changed

    async def model_answers(self, write: Write, stop: asyncio.Event) -> None:
        """Publish model answers as they arrive (the LLM backend's background results). A
        database that cannot take them now (locked, the disk full) is said, and the answers
        wait `ANSWERS_RETRY` seconds: the task had ended, and no answer was published again
        until a restart."""
        while not stop.is_set():
            await asyncio.to_thread(self.answers.wait, 1.0)
            if self.answers.is_set() and not stop.is_set():
                try:
                    changed = await write(self.resummarize_awaiting)
                except Exception as exc:  # (a bug too: the task had ended for good)
                    said = str(exc) if isinstance(exc, StorageError) else type(exc).__name__
                    log.error(
                        "llm: answers not published: %s; trying again in %g s",
                        said,
                        ANSWERS_RETRY,
                        exc_info=None if isinstance(exc, StorageError) else exc,
                    )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), ANSWERS_RETRY)
                    continue
                if changed:
                    log.info("llm: stories_changed=%d", changed)
