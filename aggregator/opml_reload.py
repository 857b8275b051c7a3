"""OPML reload: the sources in force follow the OPML file. Checked every tick (and on
SIGHUP): a changed file (modification time or size) is read again and synced to the store;
a broken edit is logged once and the last good sources stay in force.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import ConfigError, StorageError
from .opml import load_opml
from .store import Store

__all__ = ["OpmlReload"]

log = logging.getLogger("aggregator")
Write = Callable[..., Awaitable[Any]]
Stamp = tuple[int, int]  # modification time (ns), size


class OpmlReload:
    """Syncs the OPML's sources to the store when the file changed; `write` runs store calls
    on the writer thread."""

    def __init__(
        self, path: Path, store: Store, write: Write, clock: Callable[[], datetime]
    ) -> None:
        self.path = path
        self.store = store
        self.write = write
        self.clock = clock
        self._stamp: Stamp | None = None

    def forget(self) -> None:
        """Read the file on the next check even if it looks unchanged (a SIGHUP)."""
        self._stamp = None

    async def load(self, *, strict: bool) -> bool:
        """Re-read the OPML if it changed since the last load; sync sources to the store.

        With `strict`, a bad OPML raises ConfigError; otherwise it is logged and the last good
        configuration stays in force. Returns True when sources were (re)loaded.
        """
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError as exc:
            if strict:
                raise ConfigError(f"{self.path}: cannot read OPML: {exc.strerror}") from exc
            log.error("opml=%s error=%r; keeping the last good sources", self.path, str(exc))
            return False
        if stamp == self._stamp:
            return False
        try:
            opml = load_opml(self.path)
        except ConfigError as exc:
            if strict:
                raise
            self._stamp = stamp  # don't log the same broken edit every tick
            log.error("%s; keeping the last good sources", exc)
            return False
        for warning in opml.warnings:
            log.warning("opml=%s %s", self.path, warning)
        added, removed = await self.write(self.store.sync_sources, opml.sources, self.clock())
        self._stamp = stamp
        log.info(
            "opml=%s feeds=%d categories=%d added=%d removed=%d",
            self.path,
            len(opml.sources),
            len(opml.categories),
            added,
            removed,
        )
        return True

    async def load_logged(self) -> None:
        """`load` as a tick does it: a database failure is logged and retried next tick."""
        try:
            await self.load(strict=False)
        except StorageError as exc:
            log.error("opml=%s not applied: %s; trying again next tick", self.path, exc)
