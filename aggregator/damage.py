"""A damaged database file: told once, in words that say what to do, and kept in mind.

SQLite finds damage (SQLITE_CORRUPT, "database disk image is malformed") only when it reads a
damaged page, so a process may serve and poll for a while before it meets it, and then meet it
on one page only. Once met, the file stays damaged until the operator restores or recovers
it, so the finding outlives the read that made it: `/healthz` answers "degraded" from then on
(its `reasons` say so) and `systemctl status` says so, until the process restarts. A passing
fault (the disk full, an I/O error) is not damage: the failed cycles and their log lines tell
of it, and it ends by itself.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from .errors import DatabaseDamaged

__all__ = ["ADVICE", "Damage", "is_damaged"]

log = logging.getLogger("aggregator")

ADVICE = (
    'the database file is damaged: restore a backup or recover what it holds (README: "A '
    'damaged database")'
)

_DAMAGE = (("SQLITE_CORRUPT", "malformed"), ("SQLITE_NOTADB", "file is not a database"))


def is_damaged(exc: BaseException) -> bool:
    """Whether `exc` (or the SQLite error behind it) says the database file is damaged."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, DatabaseDamaged):
            return True
        if isinstance(found, sqlite3.DatabaseError):
            name = getattr(found, "sqlite_errorname", "") or ""
            text = str(found)
            if any(name.startswith(code) or words in text for code, words in _DAMAGE):
                return True
        found = found.__cause__
    return False


class Damage:
    """What this process learnt of its database file's damage (thread-safe: the writer thread,
    the web server's threads and the event loop all report here)."""

    def __init__(
        self,
        clock: Callable[[], datetime] | None = None,
        *,
        going_on: str = "what can still be read is served",
    ) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        # what a long-running process goes on doing meanwhile ("": it stops, as `poll --once`)
        self.going_on = going_on
        self._lock = threading.Lock()
        self.error: str | None = None  # SQLite's words when it was first met
        self.since: datetime | None = None

    def note(self, exc: BaseException, where: str) -> bool:
        """Record `exc` if it is damage (`where`: what was being done); the first time, log
        it with what to do. Returns whether it was damage."""
        if not is_damaged(exc):
            return False
        with self._lock:
            if self.error is not None:
                return True
            self.error, self.since = _words(exc), self._clock()
        going_on = ""
        if self.going_on:
            going_on = f"; until the service is stopped for that, {self.going_on}"
        log.error("database damaged: %s (met while %s); %s%s", self.error, where, ADVICE, going_on)
        return True

    @property
    def damaged(self) -> bool:
        return self.error is not None

    def reasons(self) -> list[str]:
        """The `/healthz` reason, when the file was found damaged."""
        if self.error is None or self.since is None:
            return []
        since = self.since.astimezone(UTC).replace(microsecond=0).isoformat()
        return [f"database damaged since {since}: {self.error}"]


def _words(exc: BaseException) -> str:
    """SQLite's own words for the damage (the error behind a wrapping one)."""
    found: BaseException | None = exc
    while found is not None:
        if isinstance(found, sqlite3.DatabaseError):
            return str(found) or "database disk image is malformed"
        found = found.__cause__
    return str(exc)
