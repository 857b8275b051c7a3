"""`[articles]` settings, kept apart from `articles` so reading the configuration does not import
the article-page code (a poll that fetches no page never loads it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

__all__ = ["ArticleSettings"]


@dataclass(frozen=True, slots=True)
class ArticleSettings:
    """`[articles]`: fetch the article page of teaser items and summarise its text."""

    enabled: bool = True
    skip_feeds: tuple[str, ...] = ()  # feed URLs (or their hosts) whose pages are never fetched
    teaser_words: int = 120  # feed text shorter than this is a teaser
    max_age: timedelta = field(default_factory=lambda: timedelta(days=2))
    per_pass: int = 30  # pages fetched per pass at most
    concurrency: int = 4  # pages in flight at once (they share the feed fetch slots)
    per_host_interval: float = 2.0  # seconds between two page requests to one host
    interval: float = 15.0  # seconds between passes when nothing is due
    max_bytes: int = 4 * 1024 * 1024
    # `poll --once` stops fetching pages after this long; the rest wait for the next run
    once_budget: timedelta = field(default_factory=lambda: timedelta(seconds=30))

    def __post_init__(self) -> None:
        if self.teaser_words < 0 or self.per_pass < 1 or self.concurrency < 1:
            raise ValueError("need teaser_words >= 0, per_pass >= 1 and concurrency >= 1")
        if self.per_host_interval < 0 or self.interval <= 0 or self.max_bytes < 1024:
            raise ValueError("need per_host_interval >= 0, interval > 0, max_bytes >= 1024")
