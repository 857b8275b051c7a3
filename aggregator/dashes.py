"""A typewriter's double hyphen written as the dash it stands for. Pure."""

from __future__ import annotations

import re

# "-- " or " --" between two words ("… Monday -- two weeks late", "… system --rights group"):
# a space before it, a word after it. A word left out in letters and hyphens ("a--", "f--k")
# has no space before its hyphens, and a run of three or more is a rule, not a dash.
_DOUBLE_HYPHEN = re.compile(r"(?<=\S) --(?!-) ?(?=\w|[\"'“‘(])")


def as_dashes(text: str) -> str:
    """`text` with each double hyphen set off by a space before it written as " — "."""
    if "--" not in text:
        return text
    return _DOUBLE_HYPHEN.sub(" — ", text)
