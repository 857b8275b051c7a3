"""`aggregator story REF`: one story as the database holds it, for an operator deciding what to
withhold or why items were grouped: whether and how it is published, and every item in it
(outlet, title, link, when seen, and whether it is a copy, a page's furniture, set apart or
withheld).
Reads only; safe while the service runs."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC
from typing import Any

from .cli_support import open_for_reading
from .errors import ConfigError
from .store_rows import from_iso
from .withheld import Withheld, parse_withheld
from .wording import counted


def cmd_story(args: argparse.Namespace) -> int:
    """Print the story `args.ref` names (its id, its page's address, or an item's link)."""
    store, reader = open_for_reading(args.db, upgrade=False)
    try:
        story_id = _story_id(reader, args.ref)
        if story_id is None:
            print(f"no story for {args.ref!r} in {args.db}", file=sys.stderr)
            return 1
        found = reader.story_record(story_id)
        withheld = reader.withheld()
    finally:
        if store is not None:
            store.close()
    if found is None:
        print(f"no story for {args.ref!r} in {args.db}", file=sys.stderr)
        return 1
    _mark_withheld(found, withheld)
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False, default=str))
    else:
        print(_text(found))
    return 0


def _story_id(reader: Any, ref: str) -> str | None:
    """The id `ref` names: an id, a story page's (or its feed's) address, or an item's link
    (read as a line of the withheld list is)."""
    try:
        listed = parse_withheld(ref)
    except ConfigError:
        return None
    if listed.stories:
        return next(iter(listed.stories))
    if listed.articles:
        story: str | None = reader.story_of_article(next(iter(listed.articles)))
        return story
    return None  # (no words at all: "", a comment)


def _mark_withheld(found: dict[str, Any], withheld: Withheld) -> None:
    """Say which of the story's items the withheld list in force holds, and whether it holds
    the story itself."""
    found["withheld"] = found["id"] in withheld.stories
    for item in found["items"]:
        item["withheld"] = (item.get("canonical_url") or "") in withheld.articles


def _when(stored: str | None) -> str:
    """A stored time as "2026-12-06 08:20 UTC" ("-" when there is none)."""
    moment = from_iso(stored)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "-"


def _text(found: dict[str, Any]) -> str:
    version = found["version"] or 0
    if found.get("merged_into"):
        state = f"merged into {found['merged_into']} (its page sends readers there)"
    elif found["withheld"]:
        state = "withheld (withheld.txt): not published"
    elif version:
        state = f"published, version {version}"
    else:
        state = "not published (nothing to publish yet, or all of it withheld)"
    lines = [
        f"STORY {found['id']}: {state}",
        f"headline   {found.get('headline') or '-'}",
        f"categories {', '.join(found['categories']) or '-'}",
        f"first seen {_when(found['first_seen'])}; updated {_when(found['updated'])}",
    ]
    if found.get("outlets") is not None and version:
        bullets = counted(found.get("bullets") or 0, "bullet")
        lines.append(f"summary    {counted(found['outlets'], 'outlet')}, {bullets}")
    if version:
        lines.append(f"picture    {_picture(found['picture'], found['picture_check'])}")
    if found["merged_from"]:
        lines.append(f"merged in  {', '.join(found['merged_from'])}")
    lines.append(f"ITEMS ({len(found['items'])})")
    numbers = {item["id"]: n for n, item in enumerate(found["items"], 1)}
    for n, item in enumerate(found["items"], 1):
        marks = []
        if item.get("duplicate_of"):
            original = numbers.get(item["duplicate_of"])
            marks.append(f"copy of [{original}]" if original else "copy")
        if item.get("furniture"):
            marks.append("a page's furniture")
        if item.get("apart"):
            marks.append("set apart")
        if item["withheld"]:
            marks.append("withheld")
        said = f" ({', '.join(marks)})" if marks else ""
        when = _when(item.get("published") or item["first_seen"])
        lines.append(f"[{n}] {when}  {item['outlet']}: {item['title']}{said}")
        lines.append(f"     {item.get('url') or '-'}")
        if item.get("picture"):
            lines.append(f"     picture {_picture(item['picture'], item['picture_check'])}")
    return "\n".join(lines)


def _picture(url: str | None, check: dict[str, Any] | None) -> str:
    """A picture and what its check found: "URL (loads)", "URL (does not load: HTTP 404)",
    "URL (not checked)"; "none"."""
    if not url:
        return "none"
    if check is None:
        return f"{url} (not checked)"
    if check["state"] == "loads":
        return f"{url} (loads)"
    if check["state"] == "refused":
        return f"{url} (refused our server, shown all the same: {check['error']})"
    again = f"; asked again at {_when(check['retry'])}" if check["retry"] else ""
    return f"{url} (does not load: {check['error']}{again})"
