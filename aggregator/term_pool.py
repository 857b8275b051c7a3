"""The terms of the items a grouping pass reaches next, worked out on another core.

Tokenising an item (`features.item_terms`: its grouping terms and the names it writes
capitalised) is the largest pure part of grouping it, and it reads nothing but the item's
title and the start of its text. While the clusterer, which must see the items one by one,
works on the writer thread, a worker process tokenises the items it will reach next; the
writer thread takes each answer when it gets there, and tokenises itself whatever the
worker has not started yet, so neither waits for the other. The answers are what the writer
thread would have computed (lists of the same strings in the same order, from which it
builds the same sets the same way), so the stories are the same. The worker exits once the
last part's terms are taken; if it dies, the rest is tokenised in place.

Likewise, when the pool is built over whole runs (`for_runs`), the worker works out the
near-duplicate shingles of each item's whole text (`near_text.sorted_hashes`) ahead of the
walk that assigns it; the writer thread hands them to the near-text memo just before it
assigns the part (`near`), so finding an item's duplicates reads them instead of hashing the
text. They are the hashes the memo would have computed (looked up by a digest of the text, so
a text that changed meanwhile simply misses). Then the worker exits when the last part is
assigned. A pass of several runs over a big window asks nothing of its last run (`for_runs`,
`grouping.HELPER_ITEMS`): the window is at its largest there, and the worker's memory (~29 MB)
is not added to it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from sys import intern
from typing import Any

from .features import ItemTerms, text_read
from .models import Item
from .near_text import remember
from .term_task import Answer, NearAnswer, Text, near_in_worker, tokenise, tokenise_in_worker
from .worker_pool import InPlaceFallback, helpers, helpers_usable, usable_cpus

__all__ = ["MIN_ITEMS", "TermPool"]

MIN_ITEMS = 1000  # fewer items are tokenised in place: starting a worker costs ~0.5 CPU s
TASK = 50  # items per task: the writer thread can take over any task not started yet
AHEAD = 2000  # items tokenised ahead of the clusterer at most (their terms wait in memory)

# what `read(ids, chars)` returns: the stored items' texts (whole when `chars` is None), in
# the order of `ids`
Read = Callable[[Sequence[str], int | None], list[Text]]
TERMS, NEAR = "terms", "near"  # what a task works out


def _unpack(answer: Answer) -> list[ItemTerms]:
    vocabulary, rows = answer
    get = list(map(intern, vocabulary)).__getitem__  # each term one string in this process
    return [
        (list(map(get, title)), list(map(get, text)), list(map(get, capitals)))
        for title, text, capitals in rows
    ]


class TermPool(InPlaceFallback):
    """`item_terms` for the items of `parts` (lists of item ids), asked for in that order,
    one part at a time (`terms`); the items' texts are read with `read` a task at a time,
    ahead of when they are asked for. `kinds`, when given, says of each part whether its
    terms (TERMS) or its near-duplicate shingles (NEAR, asked for with `near`) are wanted."""

    LOST = "term worker died; tokenising the rest of this pass in place"
    REFUSED = "no term worker could start (%s); tokenising this pass in place"

    def __init__(
        self,
        parts: Sequence[Sequence[str]],
        read: Read,
        text_tokens: int,
        kinds: Sequence[str] | None = None,
    ) -> None:
        self.text_tokens = text_tokens
        self._read = read
        # each part cut into tasks; tasks never span two parts
        self._waiting: deque[tuple[str, list[str]]] = deque(
            (kind, list(part[start : start + TASK]))
            for part, kind in zip(parts, kinds or [TERMS] * len(parts), strict=True)
            for start in range(0, len(part), TASK)
        )
        # (what, their texts, the worker's future), in the order asked, oldest first
        self._tasks: deque[tuple[str, list[Text], Future[Any]]] = deque()
        self._queued = 0  # items in `_tasks`
        super().__init__(helpers if self._waiting else None)  # (nothing to do: no worker)
        self._fill()

    @classmethod
    def for_runs(
        cls,
        runs: Sequence[Sequence[Sequence[str]]],
        read: Read,
        text_tokens: int,
        last_shingles: bool = True,
        last_terms: bool = True,
    ) -> TermPool:
        """A pool for a grouping pass over `runs` (each a list of parts): a run's parts are
        counted (their terms asked for) and then assigned (their shingles asked for, but for
        the last run's when `last_shingles` is false: the worker then exits once the last
        run is counted, and those texts are hashed in place as they are compared). When
        `last_terms` is false too, nothing of the last run is asked for: the worker exits
        once the run before it is assigned, and the last run is tokenised in place."""
        walks = [(run, kind) for run in runs for kind in (TERMS, NEAR)]
        if not last_shingles and walks:
            walks.pop()
            if not last_terms:
                walks.pop()
        parts = [part for run, _ in walks for part in run]
        kinds = [kind for run, kind in walks for _ in run]
        return cls(parts, read, text_tokens, kinds)

    @staticmethod
    def worth_it(items: int) -> bool:
        """Whether a pass over `items` items is worth a worker: enough of them, and a second
        core (on one, the worker would only take turns with the clusterer), and helpers that
        may start (not after an upgrade on disk: `helpers_usable`)."""
        return items >= MIN_ITEMS and usable_cpus() > 1 and helpers_usable()

    def _fill(self) -> None:
        """Hand the worker tasks until `AHEAD` items wait or every task is handed out."""
        chars = text_read(self.text_tokens)  # all of the text that item_terms reads
        while self._waiting and self._queued < AHEAD:
            kind, ids = self._waiting.popleft()
            texts = self._read(ids, chars if kind == TERMS else None)
            future: Future[Any] = Future()  # never started: worked out in place
            if self._pool is not None:
                try:
                    if kind == TERMS:
                        future = self._pool.submit(
                            tokenise_in_worker, texts, self.text_tokens, urgent=True
                        )
                    else:
                        future = self._pool.submit(near_in_worker, texts, urgent=True)
                except BrokenProcessPool:
                    self._broken()
            if kind == NEAR:  # (the worker has them: only the ids are asked for again)
                texts = [(text[0], "", "", None) for text in texts]
            self._tasks.append((kind, texts, future))
            self._queued += len(texts)

    def _take(self, kind: str, items: Sequence[Item]) -> list[tuple[list[Text], Future[Any]]]:
        """The tasks of `kind` at the head of the queue that hold `items` (the part asked)."""
        wanted = {item.id for item in items}
        mine: list[tuple[list[Text], Future[Any]]] = []
        while self._tasks:
            what, texts, future = self._tasks[0]
            if (what != kind and mine) or (what == kind and texts and texts[0][0] not in wanted):
                break  # a later part's
            self._tasks.popleft()
            self._queued -= len(texts)
            if what == kind:
                mine.append((texts, future))
            else:  # never asked for (the walk moved on): only the worker's time is lost
                future.cancel()
        return mine

    def _done(self) -> None:
        self._fill()
        if not self._tasks:  # all asked for: the worker's memory is not kept for the rest
            self.close()

    def terms(self, items: Sequence[Item]) -> dict[str, ItemTerms]:
        """The `item_terms` of `items` (the next part asked for), by item id: tasks the
        worker has not started are tokenised here first, then the worker's answers taken."""
        found: dict[str, ItemTerms] = {}
        theirs = []
        for texts, future in self._take(TERMS, items):
            if future.cancel():  # not started (or no worker): quicker to do it here
                here = tokenise(texts, self.text_tokens)
                found.update(zip((t[0] for t in texts), here, strict=True))
            else:
                theirs.append((texts, future))
        for texts, future in theirs:
            found.update(zip((t[0] for t in texts), self._answer(texts, future), strict=True))
        self._done()
        return found

    def near(self, items: Sequence[Item]) -> None:
        """Hand the near-text memo the shingles the worker worked out for `items` (the next
        part to assign). A task the worker has not started is dropped: each text is then
        hashed when first compared, as without the pool."""
        for _, future in self._take(NEAR, items):
            if future.cancel():
                continue
            try:
                answer: NearAnswer = future.result()
            except BrokenProcessPool:
                self._broken()
                continue
            for key, hashes in answer:
                remember(key, hashes)
        self._done()

    def _answer(self, texts: list[Text], future: Future[Answer]) -> list[ItemTerms]:
        try:
            return _unpack(future.result())
        except BrokenProcessPool:
            self._broken()
            return tokenise(texts, self.text_tokens)
