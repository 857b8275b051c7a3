"""A summary's sources: which outlets a story has, how they are named, counted and ordered.

Pure. Outlets are told apart by `Item.outlet` (the link's registrable host, set at ingestion),
so one outlet's several feeds count once. Display names come from the item's `outlet_name`,
which ingestion takes from the operator's OPML title first, then the feed's own title.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .dedupe import outlet_key as url_outlet
from .headline import clean as clean_title
from .item_kinds import KIND_LABELS
from .models import Item, SourceRef

__all__ = ["order", "outlet_count", "outlet_key", "source_ref"]


def outlet_key(item: Item) -> str:
    """What tells outlets apart: outlet, else outlet name, else URL host, else the item id."""
    if item.outlet.strip():
        return item.outlet.strip().lower()
    if item.outlet_name.strip():
        return item.outlet_name.strip().casefold()
    for url in (item.url, item.canonical_url, item.feed_url):
        host = url_outlet(url)
        if host:
            return host
    return f"item:{item.id}"


def outlet_count(items: Iterable[Item]) -> int:
    """Distinct outlets among `items`: the N of "Summary based on N sources" (no cap)."""
    return len({outlet_key(item) for item in items})


def source_ref(item: Item, kind: str = "news") -> SourceRef:
    """One source as readers see it: outlet name, clean title, link, date, kind label."""
    outlet = (
        item.outlet_name.strip() or item.outlet.strip() or url_outlet(item.url or item.feed_url)
    )
    return SourceRef(
        outlet=outlet,
        title=clean_title(item.title) or item.title.strip(),
        url=item.url,
        published=item.published,
        item_id=item.id,
        label=KIND_LABELS.get(kind, ""),
    )


def order(items: Sequence[Item]) -> list[Item]:
    """Sources by publication time (undated last), ties broken so the order is total."""
    return sorted(
        items,
        key=lambda it: (
            it.published is None,
            it.published.timestamp() if it.published else 0.0,
            outlet_key(it),
            it.url or "",
            it.id,
            it.title,
        ),
    )
