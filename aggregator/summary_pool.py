"""Many stories' summaries at once, on every core.

The extractive summariser is pure (items and the published headline in, a summary out), so a
pass with many stories to summarise (a first pass, a busy hour) hands most of them to worker
processes (one per core but one) and summarises the rest on the calling thread, which also
reads the next stories and stores the answers, in the order asked: the same summaries as one
by one. The workers live for one pass, like the parse workers.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TypeVar

from . import bullets
from .models import Summary
from .summarize import ExtractiveSummarizer
from .summary_settings import SummarySettings
from .summary_task import (
    Lent,
    Stories,
    StoryInputs,
    summarise_in_worker,
    summarise_packed_in_worker,
    unpack_summary,
)
from .worker_pool import InPlaceFallback, WorkerPool, helpers, helpers_usable, usable_cpus

__all__ = ["MIN_STORIES", "SummaryPool"]

MIN_STORIES = 200  # fewer dirty stories are summarised in place: starting workers costs more
CHUNK = 4  # stories per task: fewer round trips, still an even spread over the workers
# The calling thread's share of the summaries, as a part of an equal share: it also reads and
# saves every story (~a third of its CPU in a cold pass when it took an equal share).
OWN_SHARE = 0.75

T = TypeVar("T")


class SummaryPool(InPlaceFallback):
    """Summarises with `summarizer` in worker processes; `close` stops them. When a worker
    dies, the stories it held and every later one are summarised in place instead."""

    LOST = "summary worker died; summarising the rest of this pass in place"
    REFUSED = "no summary worker could start (%s); summarising this pass in place"

    def __init__(self, summarizer: ExtractiveSummarizer, workers: int | None = None) -> None:
        self.summarizer = summarizer
        # One core is the calling thread's (it summarises a share itself): every worker adds
        # its memory (~30 MB) to a pass's peak. By default the workers are the writer
        # thread's helpers, which the term worker shares (`worker_pool.helpers`).
        self.workers = max(1, workers or usable_cpus() - 1)
        super().__init__(partial(WorkerPool, workers) if workers else helpers)

    @staticmethod
    def worth_it(summarizer: object, stories: int) -> bool:
        """Whether `stories` dirty stories are worth workers: the extractive summariser only
        (a model's answers come back on its own threads), enough of them, and a second core
        (on one, a worker would only add its memory), and helpers that may start (not after
        an upgrade on disk: `helpers_usable`)."""
        return (
            type(summarizer) is ExtractiveSummarizer
            and stories >= MIN_STORIES
            and usable_cpus() > 1
            and helpers_usable()
        )

    def submit(self, stories: Stories) -> list[Future[Summary]]:
        """Summarise `stories` ((items, published headline, language) each); one future per
        story, in order. The workers get their share and the calling thread summarises the rest
        itself before returning: `OWN_SHARE` of an equal share, since it also reads and saves
        every story (on two cores: 3 in 8)."""
        equal = len(stories) / (self.workers + 1)
        mine = int(equal * OWN_SHARE) if self._pool is not None else len(stories)
        theirs = len(stories) - mine
        futures: list[Future[Summary]] = []
        for start in range(0, theirs, CHUNK):
            chunk = list(stories[start : min(start + CHUNK, theirs)])
            futures.extend(self._submit_chunk(chunk))
        here = list(stories[theirs:])
        outs: list[Future[Summary]] = [Future() for _ in here]
        self._summarise_here(here, outs)
        return futures + outs

    def submit_to_workers(self, stories: Stories) -> list[Future[bytes]] | None:
        """Hand all of `stories` to the workers (none is summarised here), each answer
        packed (`result` unpacks it); None when the workers are gone (a worker died)."""
        if self._pool is None:
            return None
        futures: list[Future[bytes]] = []
        for start in range(0, len(stories), CHUNK):
            outs = self._hand(summarise_packed_in_worker, list(stories[start : start + CHUNK]))
            if outs is None:
                return None
            futures.extend(outs)
        return futures

    def _submit_chunk(self, chunk: list[StoryInputs]) -> list[Future[Summary]]:
        outs = self._hand(summarise_in_worker, chunk)
        if outs is None:  # (the workers are gone: summarised here)
            outs = [Future() for _ in chunk]
            self._summarise_here(chunk, outs)
        return outs

    def _hand(
        self,
        work: Callable[[SummarySettings, Stories, Lent], tuple[list[T], Lent]],
        chunk: list[StoryInputs],
    ) -> list[Future[T]] | None:
        """A future for each story of `chunk`, answered when a worker has done `work` on it;
        None when the workers are gone (a worker died)."""
        pool = self._pool
        if pool is None:
            return None
        settings = self.summarizer.settings
        texts = (item.text for items, _, _ in chunk for item in items)
        known = bullets.packed_entries(texts, settings.max_bullet_words, settings.min_bullet_words)
        try:
            task = pool.submit(work, settings, chunk, known)
        except BrokenProcessPool:
            self._broken()
            return None
        outs: list[Future[T]] = [Future() for _ in chunk]
        task.add_done_callback(lambda done: self._deliver(done, chunk, outs))
        return outs

    def _deliver(
        self,
        done: Future[tuple[list[T], Lent]],
        chunk: list[StoryInputs],
        outs: list[Future[T]],
    ) -> None:
        error = None if done.cancelled() else done.exception()
        if done.cancelled() or isinstance(error, BrokenProcessPool):
            # Summarised in place when asked for (see `result`), not on the pool's thread.
            for out, story in zip(outs, chunk, strict=True):
                out.set_exception(_Redo(story))
            return
        if error is not None:
            for out in outs:
                out.set_exception(error)
            return
        answers, made = done.result()
        bullets.keep_entries(made)
        for out, summary in zip(outs, answers, strict=True):
            out.set_result(summary)

    def result(self, future: Future[Summary] | Future[bytes] | bytes) -> Summary:
        """The summary `future` stands for (summarised here if its worker died); a packed
        one (`submit_to_workers`, or its bytes once in) is unpacked."""
        if isinstance(future, bytes):
            return unpack_summary(future)
        try:
            answer = future.result()
            return unpack_summary(answer) if isinstance(answer, bytes) else answer
        except _Redo as redo:
            self._broken()
            return self.summarizer.summarize(*redo.story)

    def _summarise_here(self, chunk: list[StoryInputs], outs: list[Future[Summary]]) -> None:
        for out, story in zip(outs, chunk, strict=True):
            try:
                out.set_result(self.summarizer.summarize(*story))
            except Exception as exc:  # raised when its result is asked for, as in place
                out.set_exception(exc)


class _Redo(Exception):
    """A story whose worker died before answering."""

    def __init__(self, story: StoryInputs) -> None:
        super().__init__("summary worker died")
        self.story = story
