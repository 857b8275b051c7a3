"""An operator's rules for which of a feed's entries to store: the OPML's `exclude` and
`include` regular expressions, on a feed's outline or on a category's (for every feed in it).
Pure.

An entry is left out when any `exclude` rule matches its title, its link, its author or one of
its categories (tags, as Miniflux's rules read them), and when some `include` rule matches
none of them. Rules are searched (anywhere in the field) and
ignore case (`(?-i:…)` makes part of one exact). They run on the `regex` engine (Python's
syntax), which gives up on a search after a time: a rule that backtracks without end
(`(a|aa)+$`) fails its feed's poll with the rule named (`RuleTooSlow`), where `re` would hold
the interpreter, and the service with it, for as long as the search ran.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from .errors import ParseError

if TYPE_CHECKING:
    import regex  # type: ignore[import-untyped]

__all__ = ["FEED_BUDGET", "RuleTooSlow", "Rules", "rule_problem"]

FEED_BUDGET = 1.0  # seconds all of a feed's entries may spend in its rules


class RuleTooSlow(ParseError):
    """A rule searched one feed's entries for longer than `FEED_BUDGET`."""


@functools.lru_cache(maxsize=256)
def _compiled(rule: str) -> regex.Pattern[str]:
    import regex  # (loaded only where rules are used)

    return regex.compile(rule, regex.IGNORECASE)


def rule_problem(rule: str) -> str | None:
    """Why `rule` cannot be used (not a regular expression: the engine's reason), or None."""
    import regex

    try:
        _compiled(rule)
    except (regex.error, ValueError) as exc:  # ("(?a)(?u)x": flags at odds, a ValueError)
        return f"not a regular expression: {exc}"
    except RecursionError:  # (a pattern nested thousands deep)
        return "not a regular expression: nested too deep"
    return None


class Rules:
    """The rules of the feed at `url` while its entries are read: `wanted` for each, all of
    them within one budget of `budget` seconds (from the first search)."""

    def __init__(
        self,
        exclude: tuple[str, ...],
        include: tuple[str, ...],
        url: str = "",
        budget: float = FEED_BUDGET,
    ) -> None:
        self.exclude, self.include, self.url, self.budget = exclude, include, url, budget
        self._deadline: float | None = None

    def wanted(
        self, title: str, url: str | None, author: str | None, tags: tuple[str, ...] = ()
    ) -> bool:
        """Whether an entry with this title, link, author and categories is stored: no
        `exclude` rule matches any of them, and every `include` rule matches one. RuleTooSlow
        when the feed's budget runs out."""
        if not (self.exclude or self.include):
            return True
        fields = tuple(field for field in (title, url, author, *tags) if field)
        if any(self._matches("exclude", rule, fields) for rule in self.exclude):
            return False
        return all(self._matches("include", rule, fields) for rule in self.include)

    def _matches(self, name: str, rule: str, fields: tuple[str, ...]) -> bool:
        pattern = _compiled(rule)
        if self._deadline is None:
            self._deadline = time.monotonic() + self.budget
        deadline = self._deadline
        try:
            return any(
                pattern.search(field, timeout=max(deadline - time.monotonic(), 0.001))
                for field in fields
            )
        except TimeoutError:
            raise RuleTooSlow(
                self.url,
                f"{name}={rule!r} ran for more than {self.budget:g} s on this feed's entries "
                "(a pattern that backtracks without end: write it without nested repeats); "
                "nothing of the feed was stored",
            ) from None
