"""Counts and durations in messages, pages and feeds, worded as English reads them ("1 feed",
"2 feeds"; "15m"). Pure."""

from __future__ import annotations

from datetime import timedelta


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and the noun, singular for exactly one: counted(1, "story", "stories") → "1 story"."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {plural or noun + 's'}"


def feeds_named(urls: list[str]) -> str:
    """`feed=URL`, or for several `feeds=N (URL, URL, …)` naming the first three (a log
    line's or a warning's subject)."""
    if len(urls) == 1:
        return f"feed={urls[0]}"
    shown = ", ".join(urls[:3]) + (", …" if len(urls) > 3 else "")
    return f"feeds={len(urls)} ({shown})"


def duration(span: timedelta) -> str:
    """A duration as the settings write it, in its largest whole unit: "1d", "6h", "15m",
    "90s" (a fraction of a second is dropped)."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
