"""What a parse worker runs (`parse_pool`): a fetched body parsed into its feed and items.

Kept apart from `parse_pool`, whose pool machinery (`asyncio`, `concurrent.futures`,
`multiprocessing`) a worker has no use for: a worker imports this module when it unpickles
its first task, and with it only what parsing and building items need (the parser and the
item building code load on first use, here as in the service's own process).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime

from .errors import ParseError
from .models import Fetched, Item, ParsedFeed, Source

__all__ = ["parse_feed", "parse_in_worker", "parse_items"]


def parse_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    give_up: Callable[[], bool] | None = None,
) -> ParsedFeed:
    """`parse.parse_feed`, imported on first use: the parser loads only when a body needs
    parsing (a pass of 304s never does)."""
    from .parse import parse_feed as parse

    return parse(body, url, headers, give_up=give_up)


def parse_items(
    source: Source,
    fetched: Fetched,
    now: datetime,
    give_up: Callable[[], bool] | None = None,
) -> tuple[ParsedFeed, list[Item]]:
    """Parse a fetched body and turn its entries into items (the item building code, like
    the parser, loads on first use); the feed says how many entries its rules left out, and
    the one time of day it stamps every entry at, if it does (`fixed_times.fixed_clock`).
    `give_up`: as `parse.parse_feed`'s (ParseTimedOut once it says so)."""
    from .fixed_times import fixed_clock
    from .pipeline import feed_items

    parsed = parse_feed(fetched.body, fetched.final_url, fetched.headers, give_up)
    items, left_out = feed_items(source, parsed, now)
    clock = fixed_clock(when for e in parsed.entries if (when := e.published or e.updated))
    if left_out or clock is not None:
        parsed = dataclasses.replace(parsed, left_out=left_out, fixed_clock=clock)
    return parsed, items


def parse_in_worker(
    source: Source, fetched: Fetched, now: datetime
) -> tuple[ParsedFeed, list[Item]]:
    """`parse_items` with any unexpected error made picklable: one that cannot cross back to
    the service would break the pool and fail every feed in flight. The feed's entries stay
    in the worker (the items carry what the service needs of them): sending both would send
    every text twice."""
    try:
        parsed, items = parse_items(source, fetched, now)
        return dataclasses.replace(parsed, entries=()), items
    except ParseError:
        raise
    except Exception as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
    finally:
        forget_memos()


def forget_memos() -> None:
    """Empty the worker's memos once a feed is parsed: those of cleaned texts, full after a
    few big feeds (~9 MB of texts at 2,048 entries each), are seldom hit (6% of the lookups of
    150 bench feeds, every hit from another feed; parsing them took 2.71 CPU s emptying the
    memos after each feed against 2.78 keeping them), and the project's other bounded memos a
    feed's items fill (words, URL hosts and outlets: ~4 MB after 150 bench feeds) serve the
    feed itself; kept, they would add their size to the worker for the rest of the pass."""
    from . import heap, parse, pipeline

    pipeline._clean_text.cache_clear()  # (made by wrapping another module's function:
    parse._html_to_text.cache_clear()  # `heap.forget_memos` passes them by)
    heap.forget_memos()
