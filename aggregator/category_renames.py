"""Which categories an OPML edit renamed, so that their former addresses follow them. Pure.

A category is renamed when an edit leaves no feed in it and more than half of the feeds it had
now sit in one category: "World" → "World News", or "UK" merged into "Europe". Its former slug
then leads to that category's pages and feeds (a reader subscribed to `/feeds/world.atom` keeps
getting the news it subscribed to). A category whose feeds were mostly removed, or spread over
several categories with none holding most, moved nowhere: its addresses are gone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping

from .slugs import same_address, slugify

__all__ = [
    "category_now",
    "digest_for",
    "filed_readers",
    "renamed_categories",
    "renamed_to",
    "updated_aliases",
]


def renamed_categories(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """{former category: category now} for each category of `before` that `after` lacks and
    more than half of whose feeds are in one category of `after`. Both map each listed
    feed's URL to its category. A rename that keeps the slug ("World" → "world") is no
    move of addresses, nor one whose former slug another category has now."""
    now = set(after.values())
    live = {slugify(name) for name in now}
    had = Counter(before.values())
    places: dict[str, Counter[str]] = {}
    for url, old in before.items():
        new = after.get(url)
        if old not in now and new is not None:
            places.setdefault(old, Counter())[new] += 1
    renames: dict[str, str] = {}
    for old, counts in places.items():
        if slugify(old) in live:
            continue
        ((new, held),) = counts.most_common(1)
        if 2 * held > had[old]:
            renames[old] = new
    return renames


def updated_aliases(
    aliases: Mapping[str, str], renames: Mapping[str, str], categories: Iterable[str]
) -> dict[str, str]:
    """Former slug → the category it leads to, after an edit that made `renames` and left
    `categories`. A slug that led to a renamed category leads to its new name ("World" →
    "World News" → "International": `/world/` and `/world-news/` both lead to
    `/international/`); a slug a category has now is that category's, no alias."""
    updated = {slug: renames.get(name, name) for slug, name in aliases.items()}
    updated.update((slugify(old), new) for old, new in renames.items())
    live = {slugify(name) for name in categories}
    return {slug: name for slug, name in updated.items() if slug not in live}


def renamed_to(slug: str, aliases: Mapping[str, str], names: Collection[str]) -> str | None:
    """The category of `names` that a former slug leads to (`aliases`), or None."""
    renamed = aliases.get(slug)
    return renamed if renamed is not None and renamed in names else None


def category_now(category: str, names: Collection[str], aliases: Mapping[str, str]) -> str | None:
    """The category of `names` (the OPML's now) that a digest filed under `category` carries:
    itself, one spelled otherwise with its address ("Asia pacific" for "Asia Pacific"), or
    the one an edit renamed it to (`aliases`); None when it has none (removed)."""
    if category in names:
        return category
    spelled = same_address(category, names)
    if spelled is not None:
        return spelled
    return renamed_to(slugify(category), aliases, names)


def digest_for(
    filed: str, digests: Collection[str], names: Collection[str], aliases: Mapping[str, str]
) -> str | None:
    """The digest of `digests` (the settings' categories) that readers who signed up under
    `filed` get: its own, else the one whose category now (`category_now`) is theirs, that
    category's own name first ("World" renamed "World News", whose digest the operator
    filed under the new name). None when no digest leads to where `filed` went (removed,
    or the settings name no digest of it)."""
    if filed in digests:
        return filed
    now = category_now(filed, names, aliases)
    if now is None:
        return None
    if now in digests:
        return now
    leading = sorted(d for d in digests if category_now(d, names, aliases) == now)
    return leading[0] if leading else None


def filed_readers(
    filed: Iterable[str],
    digests: Collection[str],
    names: Collection[str],
    aliases: Mapping[str, str],
) -> dict[str, list[str]]:
    """Digest → the categories its readers who signed up are filed under (`digest_for`):
    its own name first, then each former one."""
    out: dict[str, list[str]] = {}
    for category in sorted(filed):
        digest = digest_for(category, digests, names, aliases)
        if digest is not None:
            out.setdefault(digest, []).append(category)
    return {d: sorted(found, key=lambda c: c != d) for d, found in out.items()}
