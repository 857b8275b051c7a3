"""The withheld list follows its file (`withheld.txt` beside the OPML), as the sources follow
the OPML: read at start, and again whenever it changes (checked every tick, and on SIGHUP).
A broken edit is logged once and the last good list stays in force, and the refused edit
(which file, why, since when) is kept in the store's meta table for `status`, /healthz (a
warning) and /metrics until a good edit is read; at start it stops the service, as a broken
OPML does (a takedown must not be dropped silently). No file is an empty list. A list put in
force that names stories the database does not hold (a mistyped id, a story pruned since) is
warned of once, as `status` says it. A changed file is read once it holds still
(`file_settle`): an editor's save in steps (emptied, or renamed away, for a moment) never puts an
empty or half list in force."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .file_settle import Pause, Settling
from .health import WITHHELD_REFUSED
from .refused_edit import RefusedEdit
from .store import Store
from .withheld import not_held_said, read_withheld

__all__ = ["WithheldReload"]

log = logging.getLogger("aggregator")

Write = Callable[..., Awaitable[Any]]
_MISSING = (-1, -1)


class WithheldReload:
    """Puts the file's list in force in the store (`Store.set_withheld`) when it changed."""

    def __init__(
        self, path: Path, store: Store, write: Write, clock: Callable[[], datetime]
    ) -> None:
        self.path = path
        self.store = store
        self.write = write
        self.clock = clock
        self._stamp: tuple[int, int] | None = None
        self.refused = RefusedEdit(WITHHELD_REFUSED, path, store, write, clock)
        self.pause: Pause = asyncio.sleep  # between looks at a changed file (`held_still`)
        self._settling = Settling(f"withheld list {path}")

    def _look(self) -> tuple[int, int] | None:
        """The file's stamp as `load` keeps it (_MISSING: no file); None when unreadable."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return _MISSING
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    async def _being_written(self) -> bool:
        """Whether an editor's save in steps of the file is not yet over (`Settling`)."""
        return await self._settling.being_written(self._look, self._stamp, self.pause)

    def forget(self) -> None:
        """Read the file at the next check even if it looks unchanged (a SIGHUP)."""
        self._stamp = None

    async def load(self, *, strict: bool) -> bool:
        """Read the list again if the file changed; True when a list was put in force."""
        if not strict and await self._being_written():
            return False  # read whole at a later check
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = _MISSING
        except OSError as exc:
            message = f"{self.path}: cannot read the withheld list: {exc.strerror or exc}"
            if strict:
                raise ConfigError(message) from exc
            if await self.refused.refuse(message):
                log.error("%s; keeping the last good list", message)
            self._stamp = None
            return False
        if stamp == self._stamp:
            return False
        try:
            withheld = read_withheld(self.path)
        except ConfigError as exc:
            if strict:
                raise
            self._stamp = stamp  # (the same broken edit is not logged every tick)
            await self.refused.refuse(str(exc))
            log.error("%s; keeping the last good list", exc)
            return False
        changed = await self.write(self.store.set_withheld, withheld)
        await self.refused.clear()
        self._stamp = stamp
        if changed or withheld:
            log.info(
                "withheld=%s stories=%d articles=%d apart=%d joins=%d stories_changed=%d",
                self.path,
                len(withheld.stories),
                len(withheld.articles),
                len(withheld.apart),
                len(withheld.joins),
                len(changed),
            )
        if named := withheld.named_stories():
            missing = await self.write(self.store.stories_not_held, named)
            if missing:
                log.warning("withheld=%s %s", self.path, not_held_said(missing))
        return True
