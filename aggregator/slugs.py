"""Categories' slugs: the part of their pages' and feeds' addresses made from their names. Pure.

The OPML reader asks for every category's slug in each process that reads the sources, a
`poll --once` of 304s among them: an ASCII name, the common case, loads neither Unicode's
tables nor the hash functions' library."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SLUG_WORDS = re.compile(r"[a-z0-9]+")

WORDLESS_SLUG = "category"  # the slug every name without an ASCII word had until 54f219a

# Slugs a category cannot have: "all" is every category's feed (/feeds/all.atom), "stories" the
# story pages' folder (/stories/<id>), "sources" the sources page (/sources/). A category named
# so takes the slug with this suffix.
RESERVED_SLUGS = frozenset({"all", "stories", "sources"})
RESERVED_SUFFIX = "-category"
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"  # what `slugify` gives, as routes match it


def slugify(name: str) -> str:
    """Lower-case ASCII words joined by "-"; never empty. A name with no ASCII letter or digit
    at all ("東京", "Новости") is "category-" and 8 hex digits of its words' hash, so two such
    categories get two pages and two sets of feeds (they had shared "category"); "category"
    only for a name without any word. A name whose slug is reserved ("All", "Stories",
    "Sources") gets the slug with "-category" after it."""
    slug = plain_slug(name)
    if slug in RESERVED_SLUGS:
        return slug + RESERVED_SUFFIX
    if slug:
        return slug
    import hashlib
    import unicodedata

    words = " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", name).casefold()))
    if not words:
        return WORDLESS_SLUG
    return WORDLESS_SLUG + "-" + hashlib.sha256(words.encode("utf-8")).hexdigest()[:8]


def reserved_slug(name: str) -> str | None:
    """The reserved slug `name` would have had ("all" for "All"), or None."""
    slug = plain_slug(name)
    return slug if slug in RESERVED_SLUGS else None


def hashed_slug(name: str) -> bool:
    """Whether `name`'s slug is made from its hash (a name with words, none of them ASCII)."""
    return not plain_slug(name) and slugify(name) != WORDLESS_SLUG


def plain_slug(name: str) -> str:
    """`name`'s lower-case ASCII words joined by "-", with no suffix or hash ("" for none)."""
    if name.isascii():
        return "-".join(_SLUG_WORDS.findall(name.lower()))
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return "-".join(_SLUG_WORDS.findall(ascii_name.lower()))


def same_address(name: str, names: Iterable[str]) -> str | None:
    """The one of `names` spelled otherwise than `name` but with its address ("World news" for
    "World News"): the category it stands for, or None."""
    slug = slugify(name)
    return next((other for other in sorted(names) if slugify(other) == slug), None)
