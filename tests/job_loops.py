"""A job's loop run in a test until what the test waits for has happened, then stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def run_until(
    loop: Callable[[asyncio.Event], Awaitable[None]],
    done: Callable[[], bool],
    tries: int = 100,
    pause: float = 0.05,
) -> None:
    """Start `loop(stop)`, look whether `done()` every `pause` seconds (`tries` times at
    most), then set `stop` and wait for the loop to end."""
    stop = asyncio.Event()
    task = asyncio.ensure_future(loop(stop))
    for _ in range(tries):
        if done():
            break
        await asyncio.sleep(pause)
    stop.set()
    await task
