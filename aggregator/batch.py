"""`aggregator cluster INPUT.jsonl`: group a file of items the way the poller would.

Each input line is a JSON object: `id`, `title`, optional `text`, `url`, `publisher`,
`published` (ISO-8601), `category` and `language` (the tag a feed would declare, "ja": how
a Chinese or Japanese text written in Han alone is read). Items are cleaned as feed entries
are (boilerplate, each publisher's repeated template lines), stored (in memory unless a
database path is given), and grouped by `grouping.group_pending` in `published` order, which
takes them one hour of publication time at a time, as a poller polling hourly would (and as
`poll --once` takes a day's backlog). The result is one `{"id": …, "story": …}` per input item.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from .cluster import Clusterer, ClusterSettings
from .dedupe import PLATFORM_HOSTS, REDIRECTOR_HOSTS, outlet_key
from .embed import headline_embedder
from .errors import ConfigError
from .grouping import group_pending
from .json_text import as_text, has_lone_surrogate
from .lang import language_tag
from .models import Entry, Item, Source
from .pipeline import entry_to_item
from .store import Store
from .text import clean_text, strip_feed_template

__all__ = ["cluster_file", "group_rows", "read_rows"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY_END = datetime(1970, 1, 2, tzinfo=UTC)  # the poller's floor (`parse._date`)


def _when(value: object, where: str, now: datetime) -> datetime | None:
    """`published` read as the poller reads a feed's dates: one before 2 January 1970 (a
    placeholder such as 0001-01-01, a zero timestamp) is no date, and one after `now` is
    `now`."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: `published` must be an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        parsed.astimezone(UTC)  # (0001-01-01 east of UTC, 9999-12-31 west: no UTC time)
    except ValueError as exc:
        raise ConfigError(f"{where}: `published` is not ISO-8601: {value!r}") from exc
    except OverflowError:
        return None if parsed.year < _EPOCH.year else now
    if parsed < _EPOCH_DAY_END:  # (the Unix epoch's day too: a CMS's "no date")
        return None
    return min(parsed, now)


Row = tuple[dict[str, str], datetime | None]


def read_rows(
    lines: Iterable[str], name: str = "input", now: datetime | None = None
) -> Iterator[Row]:
    """Validated rows of a JSON-lines input; a bad line raises ConfigError naming it. `now`
    (default: the clock) is the latest `published` taken as written."""
    now = now or datetime.now(UTC)
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not JSON: {exc.msg}") from exc
        except RecursionError:  # (arrays in arrays, thousands deep: had been a traceback)
            raise ConfigError(f"{where}: not JSON: nested too deeply") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected a JSON object")
        item_id = row.get("id")
        if isinstance(item_id, int) and not isinstance(item_id, bool):
            item_id = str(item_id)
        if not isinstance(item_id, str) or not item_id:
            raise ConfigError(f"{where}: `id` is missing or not a string")
        if has_lone_surrogate(item_id):
            raise ConfigError(f"{where}: `id` holds an unpaired surrogate escape (\\ud800-\\udfff)")
        if item_id in seen:
            raise ConfigError(f"{where}: duplicate id {item_id!r}")
        seen.add(item_id)
        fields = {"id": item_id}
        for key in ("title", "text", "url", "publisher", "category", "language"):
            value = row.get(key)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{where}: `{key}` must be a string")
            fields[key] = as_text(value) if value else ""
        if fields["language"]:  # as a feed declares it ("ja", "zh-CN"), read as `language_tag`
            tag = language_tag(fields["language"])
            if tag is None:
                said = fields["language"][:40]
                raise ConfigError(
                    f'{where}: `language` {said!r} is no language tag ("ja", "zh-CN")'
                )
            fields["language"] = tag
        if not fields["title"] and not fields["text"]:
            raise ConfigError(f"{where}: an item needs a `title` or a `text`")
        yield fields, _when(row.get("published"), where, now)


def _outlet(url: str, publisher: str) -> str:
    """A link's outlet; the publisher's name when the link can't tell (platform, redirector)."""
    key = outlet_key(url)
    if key and key not in PLATFORM_HOSTS and key not in REDIRECTOR_HOSTS:
        return key
    return f"{key}/{publisher.strip().lower()}" if publisher.strip() else key


def _to_items(rows: list[Row], now: datetime) -> list[Item]:
    """Rows as the poller's items: text cleaned, each publisher's template lines stripped."""
    by_publisher: dict[str, list[int]] = defaultdict(list)
    for index, (fields, _) in enumerate(rows):
        by_publisher[fields["publisher"]].append(index)
    items: list[Item | None] = [None] * len(rows)
    for publisher, indexes in by_publisher.items():
        cleaned = [clean_text(rows[i][0]["text"]) for i in indexes]
        texts = strip_feed_template(cleaned)
        source = Source(url=f"batch:{publisher}", title=publisher, category="")
        for i, text, own in zip(indexes, texts, cleaned, strict=True):
            fields, published = rows[i]
            entry = Entry(
                guid=fields["id"],
                title=fields["title"],
                text=fields["text"],
                url=fields["url"] or None,
                published=published,
            )
            item = entry_to_item(
                source,
                entry,
                publisher,
                published or now,
                text,
                own,
                language=fields.get("language") or None,  # (rows made by hand may lack it)
            )
            items[i] = replace(
                item,
                id=fields["id"],
                category=fields["category"],
                outlet=_outlet(fields["url"], publisher),
                first_seen=item.published,
            )
    return [i for i in items if i is not None]


def group_rows(rows: list[Row], store: Store, settings: ClusterSettings) -> dict[str, str]:
    """Store the rows and group them as the poller groups what it stored; returns item id →
    story id."""
    latest = max((p for _, p in rows if p is not None), default=_EPOCH)
    items = sorted(_to_items(rows, latest), key=lambda i: (i.published or _EPOCH, i.id))
    clusterer = Clusterer(settings, headline_embedder(settings.embeddings))
    store.insert_items(items)
    group_pending(store, clusterer, latest)
    return store.story_ids([i.id for i in items])


def cluster_file(path: Path, db: Path | None, settings: ClusterSettings) -> list[tuple[str, str]]:
    """Group the items of a JSON-lines file (`-`: stdin, as `summarize` reads it); (id, story)
    in input order."""
    try:
        if str(path) == "-":
            rows = list(read_rows(sys.stdin, "-"))
        else:
            with path.open(encoding="utf-8") as fh:
                rows = list(read_rows(fh, str(path)))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    store = Store(db if db is not None else ":memory:")
    try:
        stories = group_rows(rows, store, settings)
    finally:
        store.close()
    return [(fields["id"], stories[fields["id"]]) for fields, _ in rows]
