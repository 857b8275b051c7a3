"""Invented items for tests: an item builder and unrelated filler stories for grouping (so
that document frequencies mean something), and a builder of a story's sources for summary
tests. Every name and place in them is made up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.models import Item

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)

FILLER_TOPICS = (
    "Apple growers in Keldon report a record harvest after a mild spring",
    "Sailors from Pellow win the coastal regatta in strong winds",
    "The Aster museum reopens its fossil hall after repairs",
    "Teenager Ivo Marek takes the national chess title in Brona",
    "Commuters face delays as signal works close the Tavin line",
    "A family bakery in Oldmere wins a prize for its rye bread",
)


def item(
    item_id: str, title: str, text: str = "", outlet: str = "", minutes: int = 0, url: str = ""
) -> Item:
    """An item published `minutes` after T0 by `outlet` (its own outlet when not given)."""
    return Item(
        id=item_id,
        title=title,
        text=text,
        outlet=outlet or f"{item_id}.example",
        url=url or None,
        feed_url=f"https://{outlet or item_id}.example/feed",
        guid=item_id,
        published=T0 + timedelta(minutes=minutes),
        first_seen=T0 + timedelta(minutes=minutes),
    )


def filler(n: int) -> list[Item]:
    """`n` unrelated English items, one a minute from T0."""
    out = []
    for k in range(n):
        sentence = FILLER_TOPICS[k % len(FILLER_TOPICS)]
        out.append(item(f"f{k}", f"{sentence} ({k})", f"{sentence}. Story number {k}.", "", k))
    return out


SOURCES_T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def source_item(n: int, title: str, text: str, outlet: str) -> Item:
    """Source `n` of a story to summarise: by `outlet` (also its display name), published `n`
    minutes after SOURCES_T0."""
    return Item(
        id=f"item-{n}",
        title=title,
        text=text,
        url=f"https://{outlet}/{n}",
        outlet=outlet,
        outlet_name=outlet,
        published=SOURCES_T0 + timedelta(minutes=n),
    )
