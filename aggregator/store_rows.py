"""Conversions between stored rows and models: datetimes as ISO text, items, feed state and
summaries (as JSON), with the column lists the writes use."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, overload

from .models import Bullet, Item, SourceRef, Summary

_EPOCH = date(1970, 1, 1)


def day_number(when: datetime) -> int:
    """`when`'s day (UTC) as days since 1970-01-01 (how a pruned id's day is kept)."""
    return (when.astimezone(UTC).date() - _EPOCH).days


@overload
def to_iso(value: datetime) -> str: ...
@overload
def to_iso(value: None) -> None: ...
@overload
def to_iso(value: datetime | None) -> str | None: ...


def to_iso(value: datetime | None) -> str | None:
    """UTC ISO-8601 with second precision: sorts correctly as text."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # the common case, written out: isoformat() costs ~4x as much
        return _UTC_ISO % (
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


_UTC_ISO = "%04d-%02d-%02dT%02d:%02d:%02d+00:00"


@functools.lru_cache(maxsize=4096)  # stored items share their times (a feed's, a pass's)
def from_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ITEM_COLUMNS = (
    "id feed_url guid url canonical_url title text author published first_seen outlet "
    "outlet_name category content_hash story_id duplicate_of image language"
).split()


def item_row(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "feed_url": item.feed_url,
        "guid": item.guid,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "title": item.title,
        "text": item.text,
        "author": item.author,
        "published": to_iso(item.published),
        "first_seen": to_iso(item.first_seen),
        "outlet": item.outlet,
        "outlet_name": item.outlet_name,
        "category": item.category,
        "content_hash": item.content_hash,
        "story_id": item.story_id,
        "duplicate_of": item.duplicate_of,
        "image": item.image,
        "language": item.language,
    }


INSERT_ITEM = (
    f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
)
FEED_COLUMNS = (
    "url etag last_modified body_hash status http_status error error_count last_polled_at "
    "last_success_at next_poll_at moved_to title link language fetched_at false_304_at hub topic"
).split()
UPSERT_FEED = (
    f"INSERT INTO feeds ({', '.join(FEED_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(FEED_COLUMNS))}) ON CONFLICT(url) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in FEED_COLUMNS[1:])
    + ", asking_since = NULL"  # (the answer is in: `FeedsStore.mark_asking`)
)


def item_values(item: Item) -> tuple[Any, ...]:
    row = item_row(item)
    return tuple(row[c] for c in ITEM_COLUMNS)


# What `item_from_values` reads, in this order (`SELECT {ITEM_SELECT} FROM items ...`): hot
# reads build items from plain tuples, without a dict per row.
ITEM_FIELDS = (*ITEM_COLUMNS, "furniture")
ITEM_SELECT = ", ".join(ITEM_FIELDS)
# The stories merged into story `?`, and those merged into them, and so on.
MERGED_FROM = (
    "WITH RECURSIVE m(id) AS (SELECT id FROM stories WHERE merged_into = ? "
    "UNION SELECT s.id FROM stories s JOIN m ON s.merged_into = m.id) SELECT id FROM m"
)


def item_from_values(values: Sequence[Any]) -> Item:
    """An item from a row read as `ITEM_SELECT`'s columns (plain values: no dict per row)."""
    (
        item_id,
        feed_url,
        guid,
        url,
        canonical,
        title,
        text,
        author,
        published,
        first_seen,
        outlet,
        outlet_name,
        category,
        digest,
        story_id,
        duplicate_of,
        image,
        language,
        furniture,
    ) = values
    return Item(
        id=item_id,
        title=title or "",
        text=text or "",
        url=url,
        canonical_url=canonical,
        feed_url=feed_url,
        guid=guid,
        author=author,
        published=from_iso(published),
        first_seen=from_iso(first_seen),
        outlet=outlet or "",
        outlet_name=outlet_name or "",
        category=category or "",
        content_hash=digest or "",
        story_id=story_id,
        duplicate_of=duplicate_of,
        furniture=bool(furniture),
        image=image,
        language=language,
    )


def item_from_row(row: dict[str, Any]) -> Item:
    """An item from a row read as a dictionary (`furniture`, `image` and `language` may be
    missing)."""
    optional = ("furniture", "image", "language")
    return item_from_values(
        [row.get(name) if name in optional else row[name] for name in ITEM_FIELDS]
    )


def summary_json(summary: Summary) -> tuple[str, str]:
    bullets = [{"text": b.text, "sources": list(b.sources)} for b in summary.bullets]
    sources = [
        {
            "outlet": s.outlet,
            "title": s.title,
            "url": s.url,
            "published": to_iso(s.published),
            "item_id": s.item_id,
            **({"label": s.label} if s.label else {}),
            **({"copy_of": s.copy_of} if s.copy_of else {}),
        }
        for s in summary.sources
    ]
    return json.dumps(bullets, ensure_ascii=False), json.dumps(sources, ensure_ascii=False)


def summary_from_row(row: dict[str, Any]) -> Summary:
    bullets = tuple(Bullet(b["text"], tuple(b["sources"])) for b in json.loads(row["bullets"]))
    sources = tuple(
        SourceRef(
            outlet=s["outlet"],
            title=s["title"],
            url=s["url"],
            published=from_iso(s["published"]),
            item_id=s.get("item_id"),
            label=s.get("label", ""),
            copy_of=s.get("copy_of", ""),
        )
        for s in json.loads(row["sources"])
    )
    summary = Summary(row["headline"], bullets, sources, row["outlet_count"], row["method"])
    image = row.get("image")
    if not image:
        return summary
    return replace(summary, image=image, image_source=row.get("image_source") or 0)
