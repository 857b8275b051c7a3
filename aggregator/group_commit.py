"""Group commit: many small writes that arrive together become one transaction.

While one batch is being written, new requests queue up; the next write takes all of them
(up to ``max_batch``). Nothing waits on a timer, so a lone write goes out at once, and a busy
poll pass commits once per batch instead of once per feed. A batch that fails is retried one
request at a time, so one bad request fails alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Feeds requests to ``write`` (one result per request, in order) in batches."""

    def __init__(
        self, write: Callable[[list[T]], Awaitable[Sequence[R]]], max_batch: int = 256
    ) -> None:
        self._write = write
        self.max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, request: T) -> R:
        """Queue ``request`` and wait for its result (or its exception)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain())
        # Not shielded: a caller cancelled while waiting cancels its own future only; the
        # request stays in its batch and is written, and `_settle` skips a done future.
        return await future

    async def flush(self) -> None:
        """Wait until everything queued so far is written."""
        while self._drainer is not None and not self._drainer.done():
            await asyncio.shield(self._drainer)

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self.max_batch]
            del self._queue[: len(batch)]
            try:
                results = await self._write([request for request, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][1], exc=exc)
                    continue
                for request, future in batch:  # find the one that fails
                    try:
                        (result,) = await self._write([request])
                    except Exception as one:
                        _settle(future, exc=one)
                    else:
                        _settle(future, result)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                _settle(future, result)


def _settle(
    future: asyncio.Future[R], result: R | None = None, exc: Exception | None = None
) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)  # type: ignore[arg-type]
