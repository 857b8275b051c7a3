"""`aggregator summarize INPUT.jsonl`: summarise stories given as JSON lines, on the service's path.

Each input line is ``{"id", "items": [{"title", "text", "publisher", "url", "published",
"language"}]}`` (`language` as a feed declares it, "ja" or "zh-CN", as `aggregator cluster`
takes it: it tells a headline in kanji alone Japanese or Chinese);
each output line is ``{"id", "headline", "bullets": [{"text", "sources": [item indexes]}],
"sources": N}`` where the indexes point into the line's own ``items`` and N counts distinct
publishers. A bad line is reported (with its number) on the error stream and skipped; the
others are still summarised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from dateutil import parser as dateparser

from .dedupe import outlet_key as url_outlet
from .json_text import as_text, has_lone_surrogate
from .lang import language_tag
from .models import Item, Summary
from .summarize import Summarizer

__all__ = ["BatchError", "BatchResult", "parse_story", "result_record", "run_batch"]


class BatchError(ValueError):
    """One input line that can't be summarised, with a readable reason."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    written: int
    failed: int


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BatchError(f"item {field!r} must be text")
    return as_text(value)


def _published(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError) as exc:  # (out of range, NaN)
            raise BatchError(f"unreadable 'published' time {value!r}") from exc
    try:
        parsed: datetime = dateparser.parse(str(value))
    except (ValueError, OverflowError) as exc:
        raise BatchError(f"unreadable 'published' date {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _language(value: object, index: int) -> str | None:
    """An item's declared `language` as a BCP 47 tag (`lang.language_tag`: "ja-jp" → "ja-JP"),
    None where it gives none; refused where it is no language tag."""
    said = _text(value, "language").strip()
    if not said:
        return None
    tag = language_tag(said)
    if tag is None:
        raise BatchError(
            f'item {index}: \'language\' {said[:40]!r} is no language tag ("ja", "zh-CN")'
        )
    return tag


def parse_story(record: object) -> tuple[str, list[Item]]:
    """One input record as (id, items); item ids are their indexes in the record."""
    if not isinstance(record, Mapping):
        raise BatchError("each line must be a JSON object")
    story_id = record.get("id")
    if not isinstance(story_id, str | int) or isinstance(story_id, bool):
        raise BatchError("'id' must be a string or a number")
    if isinstance(story_id, str) and has_lone_surrogate(story_id):
        raise BatchError("'id' holds an unpaired surrogate escape (\\ud800-\\udfff)")
    raw_items = record.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise BatchError("'items' must be a non-empty list")
    items: list[Item] = []
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, Mapping):
            raise BatchError(f"item {index} must be an object")
        title = _text(raw.get("title"), "title").strip()
        text = _text(raw.get("text"), "text")
        if not title and not text.strip():
            raise BatchError(f"item {index} has neither title nor text")
        url = _text(raw.get("url"), "url").strip() or None
        publisher = _text(raw.get("publisher"), "publisher").strip()
        outlet = publisher.casefold() or url_outlet(url) or f"item:{index}"
        items.append(
            Item(
                id=str(index),
                title=title,
                text=text,
                url=url,
                published=_published(raw.get("published")),
                outlet=outlet,
                outlet_name=publisher or url_outlet(url) or "",
                language=_language(raw.get("language"), index),
            )
        )
    return str(story_id), items


def result_record(story_id: str, summary: Summary) -> dict[str, Any]:
    """The output line for one summary, citing the input's item indexes."""
    index = [int(s.item_id) if s.item_id is not None else -1 for s in summary.sources]
    return {
        "id": story_id,
        "headline": summary.headline,
        "bullets": [
            {"text": b.text, "sources": sorted(index[i] for i in b.sources)}
            for b in summary.bullets
        ],
        "sources": summary.outlet_count,
    }


def _lines(stream: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def run_batch(
    source: Iterable[str], out: IO[str], err: IO[str], summarizer: Summarizer
) -> BatchResult:
    """Summarise every line of `source` to `out`; report bad lines to `err`."""
    written = failed = 0
    for number, line in _lines(source):
        try:
            story_id, items = parse_story(json.loads(line))
            summary = summarizer.summarize(items)
        except json.JSONDecodeError as exc:
            err.write(f"line {number}: invalid JSON: {exc.msg} (column {exc.colno})\n")
            failed += 1
            continue
        except RecursionError:  # (arrays in arrays, thousands deep: had been a traceback)
            err.write(f"line {number}: invalid JSON: nested too deeply\n")
            failed += 1
            continue
        except BatchError as exc:
            err.write(f"line {number}: {exc}\n")
            failed += 1
            continue
        out.write(json.dumps(result_record(story_id, summary), ensure_ascii=False) + "\n")
        written += 1
    return BatchResult(written, failed)
