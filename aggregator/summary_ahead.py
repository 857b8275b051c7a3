"""Summaries worked out while a big pass is still grouping, on the core grouping leaves idle.

A pass of many items groups them run by run of publication time on the writer thread, with
only the term worker on the second core; its stories are summarised after the last run. Most
stories of an earlier run get nothing from the later ones (63% in the bench's cold pass). So
once a run is grouped and another follows, the stories dirty then are read a few at a time
between the parts the writer groups next (`part_done`), and the summary pool's workers
summarise them meanwhile. When the pass summarises, a story takes the answer (`take`) only
when its inputs and published headline are exactly those it was summarised from (a digest of
every field of them), or when the store marks it unchanged since it was read ahead (then it is
not read again: `take_unchanged`); any other story is summarised then, as without this. The
summaries are the same; a story that changed meanwhile costs a worker's summary and one more
read.

Nothing is read or started for a pass of one run, or until `MIN_STORIES` stories are dirty
(the workers' memory is paid only by a big pass); reads stay `AHEAD` stories ahead of the
workers, so the answers wait in memory, not the inputs; an answer that is in waits as its
packed bytes alone (its future is let go at the next part). In a pass over a big window
(`grouping.HELPER_ITEMS`) nothing more is handed out once only the last run is left
(`last_run_next`): the stories handed out and not started are given back, the workers answer
what they hold and exit, so they are not alive beside the window as it grows to its largest in
the last run; the pass's summarising starts its pool again and takes the answers. (Such a pass
of two runs, the bench's 1,000-feed cold pass, so works out nothing ahead; a smaller one reads
ahead through its last run.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future

from . import summary_pool
from .summarize import ExtractiveSummarizer
from .summary_pool import SummaryPool
from .summary_task import StoryInputs

__all__ = ["AHEAD", "SummariesAhead", "inputs_digest"]

AHEAD = 500  # stories read and handed to the workers but not yet summarised, at most

# A dirty story as summarising would read it now; None when there is nothing to summarise
# (nothing publishable, or its stored summary was written from the same inputs).
Read = Callable[[str], StoryInputs | None]


def inputs_digest(story: StoryInputs) -> bytes:
    """Names every field of a story's summary inputs and its headline. Pure."""
    return hashlib.blake2b(repr(story).encode(), digest_size=16).digest()


class SummariesAhead:
    """Stories summarised ahead during a grouping pass (see the module); `pool` is the
    summary pool it started, if any, for the pass's summarising to go on with (`close`
    stops it)."""

    def __init__(
        self, summarizer: ExtractiveSummarizer, dirty: Callable[[], list[str]], read: Read
    ) -> None:
        self.summarizer = summarizer
        self._dirty = dirty
        self._read = read
        self.pool: SummaryPool | None = None
        self._queue: list[str] = []  # dirty stories to read, in reverse (popped from the end)
        self._seen: set[str] = set()
        # story id -> digest of what it was summarised from, and the workers' packed answer
        # (its future until the answer is in; the bytes alone once `part_done` saw it in)
        self._asked: dict[str, tuple[bytes, Future[bytes] | bytes]] = {}
        self._busy: list[tuple[str, Future[bytes]]] = []  # answers not in yet, oldest first
        self.handed = 0  # stories handed to the workers
        self.used = 0  # answers taken
        self._last = False  # only the last run is left: nothing more is handed out

    @staticmethod
    def possible(summarizer: object) -> bool:
        """Whether summaries can be worked out ahead: by the extractive summariser's
        workers, on a second core."""
        return SummaryPool.worth_it(summarizer, summary_pool.MIN_STORIES)

    def run_done(self) -> None:
        """A run was grouped and another follows: its dirty stories are read from now on
        (unless the next is the last: `last_run_next`)."""
        if self._last or (self.pool is not None and not self.pool.alive):
            return  # (the last run, or a worker died: the pass summarises the rest later)
        fresh = [story for story in self._dirty() if story not in self._seen]
        self._seen.update(fresh)
        self._queue = fresh[::-1] + self._queue
        if self.pool is None and len(self._seen) >= summary_pool.MIN_STORIES:
            self.pool = SummaryPool(self.summarizer)

    def part_done(self) -> None:
        """Read stories and hand them to the workers until `AHEAD` are out."""
        self._settle()
        if self.pool is None or not self.pool.alive or not self._queue:
            return  # (none started, or a worker died: the pass summarises them later)
        room = AHEAD - len(self._busy)
        ids: list[str] = []
        stories: list[StoryInputs] = []
        while self._queue and len(stories) < room:
            story_id = self._queue.pop()
            story = self._read(story_id)
            if story is not None:
                ids.append(story_id)
                stories.append(story)
        if not stories:
            return
        futures = self.pool.submit_to_workers(stories)
        if futures is None:  # (a worker died: `alive` says so from now on)
            return
        for story_id, story, future in zip(ids, stories, futures, strict=True):
            self._asked[story_id] = (inputs_digest(story), future)
            self._busy.append((story_id, future))
        self.handed += len(futures)

    @property
    def started(self) -> bool:
        """Whether stories were handed to the workers (their answers may be taken)."""
        return self.handed > 0 or self.pool is not None

    def last_run_next(self) -> None:
        """Only the last run is left to group, the window at its largest: nothing more is
        read or handed out, the stories handed out that no worker has started are given back
        (summarised when the pass summarises, as if never read ahead), and the workers are
        let go once they have answered what they hold."""
        self._last = True
        self._queue = []
        if self.pool is None:
            return
        self.pool.let_go(cancel=True)
        self.pool = None
        busy: list[tuple[str, Future[bytes]]] = []
        for story_id, future in self._busy:
            if future.done() and (future.cancelled() or future.exception() is not None):
                asked = self._asked.get(story_id)
                if asked is not None and asked[1] is future:
                    del self._asked[story_id]
                    self.handed -= 1
            else:
                busy.append((story_id, future))
        self._busy = busy

    def _settle(self) -> None:
        """Keep each answer that came in as its bytes, without its future (~0.7 KB less
        a story: a cold pass keeps thousands of answers until it summarises)."""
        busy: list[tuple[str, Future[bytes]]] = []
        for story_id, future in self._busy:
            if not future.done():
                busy.append((story_id, future))
            elif not future.cancelled() and future.exception() is None:
                asked = self._asked.get(story_id)
                if asked is not None and asked[1] is future:
                    self._asked[story_id] = (asked[0], future.result())
        self._busy = busy

    def close(self) -> None:
        """Stop the workers it started, if any (again: nothing)."""
        if self.pool is not None:
            self.pool.close()

    def take_unchanged(self, story_id: str) -> Future[bytes] | bytes | None:
        """`take` for a story the caller knows is unchanged since it was read ahead (the
        store's mark says so): its answer without comparing its inputs; None if none."""
        asked = self._asked.pop(story_id, None)
        if asked is None:
            return None
        self.used += 1
        return asked[1]

    def take(self, story_id: str, story: StoryInputs) -> Future[bytes] | bytes | None:
        """The workers' summary of `story` (as summarising reads it now), packed (see
        `SummaryPool.result`; its future while it is not in), when it was summarised from
        exactly these inputs and headline; None otherwise."""
        asked = self._asked.pop(story_id, None)
        if asked is None or asked[0] != inputs_digest(story):
            return None
        self.used += 1
        return asked[1]
