"""The schema's named migrations, kept in order without loading sqlite-utils.

Each migration is registered with ``@migrations(name=...)``, as with sqlite-utils'
`Migrations`; they are applied by that class, in the same order and with the same record of
what has run (its ``_sqlite_migrations`` table). A start whose database already has every
migration recorded sees that with one query and loads neither the runner nor sqlite-utils:
most of a `poll --once` that finds nothing new would otherwise be that import.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sqlite_utils import Database

__all__ = ["MigrationSet"]

RECORD = "_sqlite_migrations"  # where sqlite-utils records the migrations it applied
Migration = Callable[["Database"], None]
M = TypeVar("M", bound=Migration)


class MigrationSet:
    """Named migrations in the order they were registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: list[tuple[str, Migration, bool]] = []

    def __call__(self, *, name: str | None = None, transactional: bool = True) -> Callable[[M], M]:
        """Register the decorated function as the next migration (named `name`, or after
        the function); `transactional=False` runs it outside a transaction."""

        def register(fn: M) -> M:
            key = name or fn.__name__
            if key in self.names():
                raise ValueError(f"migration {key!r} is already registered in {self.name!r}")
            self._migrations.append((key, fn, transactional))
            return fn

        return register

    def names(self) -> list[str]:
        return [name for name, _, _ in self._migrations]

    def pending(self, conn: sqlite3.Connection) -> list[str]:
        """The migrations not recorded as applied in `conn`'s database (read-only). All of
        them when the record is missing, unreadable or not in the shape sqlite-utils keeps
        (its runner then creates or reshapes it)."""
        return self.state(conn)[0]

    def unknown(self, conn: sqlite3.Connection) -> list[str]:
        """Migrations recorded as applied in `conn`'s database that this code does not have:
        a newer version wrote it (read-only; none when the record is missing or unreadable)."""
        return self.state(conn)[1]

    def state(self, conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
        """(`pending`, `unknown`), from one read of the record."""
        recorded = self._recorded(conn)
        if recorded is None:
            return self.names(), []
        known = self.names()
        return [n for n in known if n not in recorded], [n for n in recorded if n not in known]

    def _recorded(self, conn: sqlite3.Connection) -> list[str] | None:
        """The names recorded as applied, in the order they ran; None when the record is
        missing, unreadable or not in the shape sqlite-utils keeps."""
        try:
            keys = sorted((row[5], row[1]) for row in conn.execute(f"PRAGMA table_info({RECORD})"))
            if [column for pk, column in keys if pk] != ["id"]:
                return None
            rows = conn.execute(
                f"SELECT name FROM {RECORD} WHERE migration_set = ? ORDER BY id", [self.name]
            )
            return [row[0] for row in rows]
        except sqlite3.Error as exc:
            from .damage import is_damaged

            if is_damaged(exc):  # (a damaged file is said as one, not read as unmigrated)
                raise
            return None

    def apply(self, db: Database) -> None:
        """Apply the pending migrations with sqlite-utils' runner (imported now)."""
        from sqlite_utils.migrations import Migrations

        runner = Migrations(self.name)
        for name, fn, transactional in self._migrations:
            runner(name=name, transactional=transactional)(fn)
        runner.apply(db)
