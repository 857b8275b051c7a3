"""SQLite storage: `store` and its `store_*` modules are the only code using sqlite-utils.

One `Store` owns the single write connection (WAL mode); the service calls it from one writer
thread only. `Reader` gives any number of threads their own read-only connections, which never
block the writer. `Store` is composed of one part per concern, each in its own module:
`store_feeds` (sources, poll state, items), `store_grouping` (items into stories),
`store_stories` (summaries), `store_articles` (article pages); `store_rows` converts rows to
models and `store_db` opens the database.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .store_articles import ArticlesStore
from .store_db import BUSY_TIMEOUT_MS, check_existing, is_locked, prepare, storage_fault
from .store_db import open_connection as _connect  # looked up at each open (tests replace it)
from .store_feeds import FeedsStore, PollWrite
from .store_grouping import GroupingStore
from .store_pictures import PicturesStore
from .store_push import PushStore
from .store_read import STATUS_SQL, Reader, with_published
from .store_rows import from_iso, to_iso
from .store_stories import StoriesStore

__all__ = [
    "BUSY_TIMEOUT_MS",
    "PollWrite",
    "Reader",
    "Store",
    "check_existing",
    "from_iso",
    "is_locked",
    "storage_fault",
    "to_iso",
]


class Store(FeedsStore, GroupingStore, StoriesStore, ArticlesStore, PicturesStore, PushStore):
    """The single writer. Not thread-safe: call it from one thread (the service's writer)."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self.conn = _connect(path)
        prepare(self, path)

    def close(self) -> None:
        """Close the writer, its write-ahead log first copied into the database file and
        emptied: the web server's read connections stay open until the process ends, so SQLite
        never does that itself at `run`'s stop, and a stopped service had left its data in
        `<db>-wal` (a copy of the database file alone, taken cold, was then near empty)."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA busy_timeout = 2000")  # a reader mid-query: wait briefly
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        self.conn.close()

    # --- status ---------------------------------------------------------------------------

    def record_cycle(self, at: str, tally: Mapping[str, int | float]) -> None:
        """When the last poll cycle ended, and what it did (`metrics` reads both)."""
        from .health import LAST_CYCLE

        with self.transaction():
            self.set_meta("last_poll_at", at)
            self.set_meta(LAST_CYCLE, json.dumps(dict(tally), separators=(",", ":")))

    def status_rows(self) -> list[dict[str, Any]]:
        """One row per active feed, for `aggregator status`."""
        return with_published(list(self._rows(STATUS_SQL)), self._rows)

    def reader(self) -> Reader:
        return Reader(self.path, self if self.path == ":memory:" else None)
