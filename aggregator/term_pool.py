"""The terms of the items a grouping pass reaches next, worked out on another core.

Tokenising an item (`features.item_terms`: its grouping terms and the names it writes
capitalised) is the largest pure part of grouping it, and it reads nothing but the item's
title and the start of its text. While the clusterer, which must see the items one by one,
works on the writer thread, a worker process tokenises the items it will reach next; the
writer thread takes each answer when it gets there, and tokenises itself whatever the
worker has not started yet, so neither waits for the other. The answers are what the writer
thread would have computed (lists of the same strings in the same order, from which it
builds the same sets the same way), so the stories are the same. The worker exits once the
last part's terms are taken, before the grouping state is at its largest (the end of the
pass); if it dies, the rest is tokenised in place.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .features import ItemTerms, item_terms, text_read
from .models import Item
from .parse_pool import usable_cpus

__all__ = ["MIN_ITEMS", "TermPool"]

log = logging.getLogger("aggregator")
MIN_ITEMS = 1000  # fewer items are tokenised in place: starting a worker costs ~0.5 CPU s
TASK = 50  # items per task: the writer thread can take over any task not started yet
AHEAD = 2000  # items tokenised ahead of the clusterer at most (their terms wait in memory)

Read = Callable[[Sequence[str]], list[Item]]


def _tokenise(texts: Sequence[tuple[str, str]], text_tokens: int) -> list[ItemTerms]:
    return [item_terms(title, text, text_tokens) for title, text in texts]


class TermPool:
    """Grouping terms for the items of `parts` (lists of item ids), asked for in that order,
    one part at a time (`terms`); the items are read with `read` a task at a time, ahead of
    when they are asked for."""

    def __init__(self, parts: Sequence[Sequence[str]], read: Read, text_tokens: int) -> None:
        self.text_tokens = text_tokens
        self._read = read
        # each part cut into tasks; tasks never span two parts
        self._waiting: deque[list[str]] = deque(
            list(part[start : start + TASK])
            for part in parts
            for start in range(0, len(part), TASK)
        )
        # (ids, their texts, the worker's future), in the order asked, oldest first
        self._tasks: deque[tuple[list[str], list[tuple[str, str]], Future[list[ItemTerms]]]] = (
            deque()
        )
        self._queued = 0  # items in `_tasks`
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn")
        )
        self._fill()

    @staticmethod
    def worth_it(items: int) -> bool:
        """Whether a pass over `items` items is worth a worker: enough of them, and a second
        core (on one, the worker would only take turns with the clusterer)."""
        return items >= MIN_ITEMS and usable_cpus() > 1

    def _fill(self) -> None:
        """Hand the worker tasks until `AHEAD` items wait or every task is handed out."""
        limit = text_read(self.text_tokens)  # all of the text that item_terms reads
        while self._waiting and self._queued < AHEAD:
            items = self._read(self._waiting.popleft())
            texts = [(item.title, item.text[:limit]) for item in items]
            future: Future[list[ItemTerms]] = Future()  # never started: tokenised in place
            if self._pool is not None:
                try:
                    future = self._pool.submit(_tokenise, texts, self.text_tokens)
                except BrokenProcessPool:
                    self._broken()
            self._tasks.append(([item.id for item in items], texts, future))
            self._queued += len(items)

    def terms(self, items: Sequence[Item]) -> dict[str, ItemTerms]:
        """The grouping terms of `items` (the next part asked for), by item id: tasks the
        worker has not started are tokenised here first, then the worker's answers taken."""
        wanted = {item.id for item in items}
        mine = []
        while self._tasks and (not self._tasks[0][0] or self._tasks[0][0][0] in wanted):
            mine.append(self._tasks.popleft())
            self._queued -= len(mine[-1][0])
        found: dict[str, ItemTerms] = {}
        theirs = []
        for ids, texts, future in mine:
            if future.cancel():  # not started (or no worker): quicker to do it here
                found.update(zip(ids, _tokenise(texts, self.text_tokens), strict=True))
            else:
                theirs.append((ids, texts, future))
        for ids, texts, future in theirs:
            found.update(zip(ids, self._answer(texts, future), strict=True))
        self._fill()
        if not self._tasks:  # all asked for: the worker's memory is not kept for the rest
            self.close()
        return found

    def _answer(
        self, texts: list[tuple[str, str]], future: Future[list[ItemTerms]]
    ) -> list[ItemTerms]:
        try:
            return future.result()
        except BrokenProcessPool:
            self._broken()
            return _tokenise(texts, self.text_tokens)

    def _broken(self) -> None:
        if self._pool is not None:
            log.error("term worker died; tokenising the rest of this pass in place")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
