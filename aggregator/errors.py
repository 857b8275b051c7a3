"""The exception hierarchy: one root, so callers can catch everything of ours at once."""

from __future__ import annotations

import sqlite3


class AggregatorError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(AggregatorError):
    """Bad settings or a bad OPML file; the message names the file and the problem."""


class FeedError(AggregatorError):
    """A problem with one feed (fetching or parsing); carries the feed's URL."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message

    def __reduce__(self) -> tuple[type[FeedError], tuple[str, str]]:
        # Picklable, so a parse error can cross from a worker process intact.
        return type(self), (self.url, self.message)


class ParseError(FeedError):
    """The body could not be read as a feed at all."""


class ParseTimedOut(ParseError):
    """Parsing in the service's own process was given up: it took longer than it may (a
    thread cannot be killed as a worker process is; its parse stops itself)."""


class StoryFeedError(ParseError):
    """The feed is one an aggregator publishes (this one or another instance): its items are
    summaries of other feeds' items, so they are never taken in as an outlet's reports."""


class StorageError(AggregatorError):
    """The database could not be opened or migrated."""


class DatabaseUnusable(StorageError):
    """The database file cannot be used as it is (damaged, or its schema is a newer version's):
    trying again changes nothing until the operator restores, recovers or upgrades."""


class DatabaseDamaged(DatabaseUnusable):
    """The database file is damaged (what SQLite calls "database disk image is malformed"),
    found without an SQLite error to say so: a copy that failed its integrity check."""


# Failures that say nothing of the item or story being grouped or summarised when they are
# raised: the database's and the machine's. Any other is a defect met on that input, which the
# story job sets aside (`grouping.SetAside`, `StoryJob._alone`) instead of failing the pass.
NOT_THE_INPUT = (sqlite3.Error, MemoryError, StorageError)
