"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1) read into the shape feedparser gives a
parsed RSS or Atom document, so that `parse.parse_feed` takes every format one way. Pure.

The mapping: the feed's `title`, `home_page_url` (its link) and `language`; an item's `id`
(its guid), `url` (else `external_url`), `title`, `content_html` (HTML) and `content_text`
(plain text) as its content, `summary` as its summary, `date_published` and `date_modified`
(RFC 3339, read as any other feed date), its first author's `name` (1.1's `authors`, or
1.0's `author`), its `image` and `banner_image` as Media RSS pictures (`entry_images`), and
its `tags` as categories.
A value of the wrong JSON type is left out, as a missing one would be; half a surrogate
pair, which JSON may escape, is U+FFFD (it had failed the feed's every poll, at storing).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from .fast_parse import MAX_ENTRIES_READ
from .json_text import as_text

__all__ = ["looks_like_json", "read_json_feed"]

_VERSION_PREFIX = "https://jsonfeed.org/version/"
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*\{")
_TEXT = {"type": "text/plain"}
_HTML = {"type": "text/html"}


def looks_like_json(body: bytes) -> bool:
    """Whether the document starts as a JSON object does (after a byte order mark and space);
    no XML document does. (Matched in place: a feed's body is not copied to be asked.)"""
    return _JSON_START.match(body) is not None


def read_json_feed(body: bytes) -> dict[str, Any]:
    """A JSON Feed document as feedparser's result (`feed`, `entries`, `version`, `bozo`).
    ValueError, with the reason in words, when the body is no JSON or no JSON Feed."""
    try:
        data = json.loads(body.decode("utf-8-sig"), parse_int=_integer)
    except UnicodeDecodeError as exc:
        raise ValueError(f"JSON that is not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:  # (arrays in arrays, thousands deep: a hostile body)
        raise ValueError("JSON nested too deeply") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith(_VERSION_PREFIX):
        raise ValueError("JSON, but not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise ValueError("a JSON Feed without an items list")
    feed = {
        "title": _string(data, "title"),
        "title_detail": _TEXT,
        "link": _string(data, "home_page_url"),
        "language": _string(data, "language"),
        "links": _push_links(data),
    }
    entries = [_entry(item) for item in items[:MAX_ENTRIES_READ] if isinstance(item, dict)]
    return {"feed": feed, "entries": entries, "version": "json" + version[len(_VERSION_PREFIX) :]}


def _push_links(data: dict[str, Any]) -> list[dict[str, str]]:
    """Its WebSub hubs (`hubs`, each `{"type": "WebSub", "url": …}`) and its own address
    (`feed_url`), as feedparser gives an Atom feed's links."""
    hubs = data.get("hubs")
    links = [
        {"rel": "hub", "href": hub["url"]}
        for hub in (hubs if isinstance(hubs, list) else [])
        if isinstance(hub, dict)
        and str(hub.get("type", "")).lower() == "websub"
        and isinstance(hub.get("url"), str)
    ]
    own = _string(data, "feed_url")
    return [*links, {"rel": "self", "href": own}] if own else links


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    content = [
        {"value": _string(item, "content_html"), **_HTML},
        {"value": _string(item, "content_text"), **_TEXT},
    ]
    ident = item.get("id")  # (1.0 allowed a number)
    return {
        "id": _ident(ident),
        "link": _string(item, "url") or _string(item, "external_url"),
        "title": _string(item, "title"),
        "title_detail": _TEXT,
        "content": [c for c in content if c["value"]],
        "summary": _string(item, "summary"),
        "summary_detail": _TEXT,
        "published": _string(item, "date_published"),
        "updated": _string(item, "date_modified"),
        "author": _author(item),
        "media_content": [
            {"url": url, "medium": "image"}
            for url in (_string(item, "image"), _string(item, "banner_image"))
            if url
        ],
        "tags": [{"term": tag} for tag in _tags(item)],
    }


def _ident(ident: object) -> str:
    if isinstance(ident, str):
        return as_text(ident)
    return str(ident) if isinstance(ident, int) and not isinstance(ident, bool) else ""


def _tags(item: dict[str, Any]) -> list[str]:
    tags = item.get("tags")
    return [as_text(tag) for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _author(item: dict[str, Any]) -> str:
    authors = item.get("authors")
    first = authors[0] if isinstance(authors, list) and authors else item.get("author")
    return _string(first, "name") if isinstance(first, dict) else ""


def _integer(digits: str) -> int | None:
    """A JSON integer; None (as `null`: no value) for one of more digits than Python reads
    (`sys.get_int_max_str_digits`, 4,300), which had refused the whole feed for one number."""
    limit = sys.get_int_max_str_digits()
    return int(digits) if not limit or len(digits.lstrip("-")) <= limit else None


def _string(mapping: dict[str, Any], key: str) -> str:
    """The string at `key` (half a surrogate pair, which JSON may escape and no database or
    file takes, made U+FFFD: `json_text.as_text`), else ""."""
    value = mapping.get(key)
    return as_text(value) if isinstance(value, str) else ""
