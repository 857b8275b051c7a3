"""A file an editor saves in steps passes through states nobody meant: empty (truncated, then
written), half written, missing (vim renames it away, then writes it anew). The watchers of the
operator's files (settings, OPML, withheld list) read a file they saw change only once it holds
still across a short pause, so such a moment is neither said as an error nor put in force."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["LOOKS", "SETTLE", "Pause", "Settling", "held_still"]

log = logging.getLogger("aggregator")

SETTLE = 0.2  # seconds between two looks: an editor's save is over within milliseconds
LOOKS = 5  # looks before a file still changing is left to the next check

Pause = Callable[[float], Awaitable[object]]
S = TypeVar("S")


async def held_still(
    look: Callable[[], S], seen: S, pause: Pause = asyncio.sleep, settle: float = SETTLE
) -> bool:
    """Whether the file `look` stamps (as `seen` now: a change) looks the same after a pause of
    `settle` seconds, within LOOKS pauses; False while it is still changing (being written)."""
    for _ in range(LOOKS):
        await pause(settle)
        again = look()
        if again == seen:
            return True
        seen = again
    return False


class Settling:
    """`held_still` for one watched file (`what`: "OPML /etc/…"), saying once when it is found
    still changing at two checks on end: rewritten at every look for a second, twice, it is no
    save (a slow copy is over by the next tick) but something rewriting it, and it is read only
    once it holds still."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._unsettled = 0  # checks on end that found it still changing

    async def held_still(self, look: Callable[[], S], seen: S, pause: Pause) -> bool:
        if await held_still(look, seen, pause):
            self._unsettled = 0
            return True
        self._unsettled += 1
        if self._unsettled == 2:
            log.warning(
                "%s keeps changing (at every look, %g s apart, at two checks on end): read "
                "once it holds still, what was read before staying",
                self.what,
                SETTLE,
            )
        return False

    async def being_written(self, look: Callable[[], S], stamp: S, pause: Pause) -> bool:
        """Whether the file `look` stamps changed since `stamp` (as last read) and is still
        changing, look after look: an editor's save in steps, not yet over."""
        seen = look()
        if seen == stamp:
            return False
        return not await self.held_still(look, seen, pause)
