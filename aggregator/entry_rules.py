"""An operator's rules for which of a feed's entries to store: the OPML's `exclude` and
`include` regular expressions, on a feed's outline or on a category's (for every feed in it).
Pure.

An entry is left out when any `exclude` rule matches its title, its link or its author, and
when some `include` rule matches none of them. Rules are searched (anywhere in the field) and
ignore case (`(?-i:…)` makes part of one exact).
"""

from __future__ import annotations

import functools
import re

__all__ = ["rule_problem", "wanted"]


@functools.lru_cache(maxsize=256)
def _compiled(rule: str) -> re.Pattern[str]:
    return re.compile(rule, re.IGNORECASE)


def rule_problem(rule: str) -> str | None:
    """Why `rule` cannot be used (not a regular expression: `re`'s reason), or None."""
    try:
        _compiled(rule)
    except re.error as exc:
        return f"not a regular expression: {exc}"
    except RecursionError:  # (a pattern nested thousands deep)
        return "not a regular expression: nested too deep"
    return None


def _matches(rule: str, fields: tuple[str, ...]) -> bool:
    pattern = _compiled(rule)
    return any(pattern.search(field) for field in fields)


def wanted(
    exclude: tuple[str, ...],
    include: tuple[str, ...],
    title: str,
    url: str | None,
    author: str | None,
) -> bool:
    """Whether an entry with this title, link and author is stored under these rules: no
    `exclude` rule matches any of them, and every `include` rule matches one."""
    if not (exclude or include):
        return True
    fields = tuple(field for field in (title, url, author) if field)
    if any(_matches(rule, fields) for rule in exclude):
        return False
    return all(_matches(rule, fields) for rule in include)
