"""Counts in messages, pages and feeds, worded as English reads them ("1 feed", "2 feeds"). Pure."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for exactly one: counted(1, "story", "stories") → "1 story"."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {plural or noun + 's'}"
