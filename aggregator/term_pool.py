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

from array import array
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from sys import intern

from .features import ItemTerms, item_terms, text_read
from .models import Item
from .worker_pool import InPlaceFallback, spawn_pool, usable_cpus

__all__ = ["MIN_ITEMS", "TermPool"]

MIN_ITEMS = 1000  # fewer items are tokenised in place: starting a worker costs ~0.5 CPU s
TASK = 50  # items per task: the writer thread can take over any task not started yet
AHEAD = 2000  # items tokenised ahead of the clusterer at most (their terms wait in memory)

Text = tuple[str, str, str]  # an item's id, title and the start of its text
# what `read(ids, chars)` returns: the stored items' texts, in the order of `ids`
Read = Callable[[Sequence[str], int], list[Text]]
# a task's answer: the distinct terms, and each item's three lists as indexes into them
Indexes = "array[int]"  # (array is not subscriptable at run time)
Answer = tuple[list[str], list[tuple[Indexes, Indexes, Indexes]]]


def _tokenise(texts: Sequence[Text], text_tokens: int) -> list[ItemTerms]:
    return [item_terms(title, text, text_tokens) for _, title, text in texts]


def _tokenise_in_worker(texts: Sequence[Text], text_tokens: int) -> Answer:
    """`_tokenise`, its answer sent as each distinct term once and indexes (small to send,
    and the writer thread makes one string of each term, not one per item)."""
    vocabulary: dict[str, int] = {}
    index = vocabulary.setdefault

    def indexes(terms: list[str]) -> array[int]:
        return array("I", [index(term, len(vocabulary)) for term in terms])

    rows = [tuple(map(indexes, terms)) for terms in _tokenise(texts, text_tokens)]
    return list(vocabulary), rows  # type: ignore[return-value]


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
    ahead of when they are asked for."""

    LOST = "term worker died; tokenising the rest of this pass in place"

    def __init__(self, parts: Sequence[Sequence[str]], read: Read, text_tokens: int) -> None:
        self.text_tokens = text_tokens
        self._read = read
        # each part cut into tasks; tasks never span two parts
        self._waiting: deque[list[str]] = deque(
            list(part[start : start + TASK])
            for part in parts
            for start in range(0, len(part), TASK)
        )
        # (their texts, the worker's future), in the order asked, oldest first
        self._tasks: deque[tuple[list[Text], Future[Answer]]] = deque()
        self._queued = 0  # items in `_tasks`
        super().__init__(spawn_pool(1))
        self._fill()

    @staticmethod
    def worth_it(items: int) -> bool:
        """Whether a pass over `items` items is worth a worker: enough of them, and a second
        core (on one, the worker would only take turns with the clusterer)."""
        return items >= MIN_ITEMS and usable_cpus() > 1

    def _fill(self) -> None:
        """Hand the worker tasks until `AHEAD` items wait or every task is handed out."""
        chars = text_read(self.text_tokens)  # all of the text that item_terms reads
        while self._waiting and self._queued < AHEAD:
            texts = self._read(self._waiting.popleft(), chars)
            future: Future[Answer] = Future()  # never started: tokenised in place
            if self._pool is not None:
                try:
                    future = self._pool.submit(_tokenise_in_worker, texts, self.text_tokens)
                except BrokenProcessPool:
                    self._broken()
            self._tasks.append((texts, future))
            self._queued += len(texts)

    def terms(self, items: Sequence[Item]) -> dict[str, ItemTerms]:
        """The `item_terms` of `items` (the next part asked for), by item id: tasks the
        worker has not started are tokenised here first, then the worker's answers taken."""
        wanted = {item.id for item in items}
        mine = []
        while self._tasks and (not self._tasks[0][0] or self._tasks[0][0][0][0] in wanted):
            mine.append(self._tasks.popleft())
            self._queued -= len(mine[-1][0])
        found: dict[str, ItemTerms] = {}
        theirs = []
        for texts, future in mine:
            if future.cancel():  # not started (or no worker): quicker to do it here
                here = _tokenise(texts, self.text_tokens)
                found.update(zip((t[0] for t in texts), here, strict=True))
            else:
                theirs.append((texts, future))
        for texts, future in theirs:
            found.update(zip((t[0] for t in texts), self._answer(texts, future), strict=True))
        self._fill()
        if not self._tasks:  # all asked for: the worker's memory is not kept for the rest
            self.close()
        return found

    def _answer(self, texts: list[Text], future: Future[Answer]) -> list[ItemTerms]:
        try:
            return _unpack(future.result())
        except BrokenProcessPool:
            self._broken()
            return _tokenise(texts, self.text_tokens)
