"""What one pass of article-page fetching did: apart from `article_job` so that a poll with
article fetching turned off reports its (empty) pass without loading the page fetching and
extraction code."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ArticlePass"]


@dataclass
class ArticlePass:
    """What one pass did."""

    fetched: int = 0
    ok: int = 0
    failed: int = 0
    retrying: int = 0  # of the failed: pages whose failure may pass, to be tried again later
    enough: int = 0  # items whose feed text was full enough
    stories_marked: int = 0
    left: int = 0  # pages not fetched before the deadline: still due, tried by a later pass
    paced: int = 0  # pages their site's Crawl-delay put past this pass: still due too
    statuses: dict[str, int] = field(default_factory=dict)
