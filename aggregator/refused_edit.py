"""A live edit the service refused, of a file it follows (the OPML, the withheld list): kept in
the store's meta table (which file, why, since when) for `status`, /healthz and /metrics, from
the first refusal until a good edit of that file is read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .health import refused_record
from .store import Store
from .store_rows import to_iso

__all__ = ["RefusedEdit"]

Write = Callable[..., Awaitable[Any]]


class RefusedEdit:
    """The refused edit of `path`, stored under meta `key` (`health.read_refused` reads it)."""

    def __init__(
        self, key: str, path: Path, store: Store, write: Write, clock: Callable[[], datetime]
    ) -> None:
        self.key, self.path, self.store, self.write, self.clock = key, path, store, write, clock
        # The refused edit as stored: (error, since); None once a good load cleared it.
        self._refused: tuple[str, str] | None = ("", "")  # unknown: a former run's may be stored

    async def refuse(self, error: str) -> bool:
        """Store a refused edit; `since` stays that of the first refusal since the last good
        load. False when it was stored already (nothing new)."""
        if self._refused is not None and self._refused[0] == error:
            return False
        since = (self._refused[1] if self._refused else "") or to_iso(self.clock()) or ""
        await self.write(
            self.store.set_meta, self.key, refused_record(str(self.path), error, since)
        )
        self._refused = (error, since)
        return True

    async def clear(self) -> None:
        """A good edit was read: forget the refused one (once; a start with none stored
        writes nothing)."""
        if self._refused is not None:
            await self.write(self._clear_stored)
            self._refused = None

    def _clear_stored(self) -> None:
        if self.store.meta_values([self.key]).get(self.key):
            self.store.set_meta(self.key, "")
