"""A typewriter's double hyphen written as the dash it stands for. Pure."""

from __future__ import annotations

import re

# "-- " or " --" between two words ("… Monday -- two weeks late", "… release Pemberton --AFP"):
# a space before it, a word after it. A word left out in letters and hyphens ("a--", "f--k")
# has no space before its hyphens, and a run of three or more is a rule, not a dash.
_DOUBLE_HYPHEN = re.compile(r"(?<=\S) --(?!-)( ?)(?=\w|[\"'“‘(])")


def _dash(match: re.Match[str]) -> str:
    # Glued to a word in lower case it is a command-line option's ("--verbose",
    # "--force-with-lease", "--port=1234"), or may be: left as written.
    after = match.string[match.end() : match.end() + 1]
    if not match.group(1) and (after.islower() or after == "_"):
        return match.group()
    return " — "


def as_dashes(text: str) -> str:
    """`text` with each double hyphen set off by a space before it written as " — ", but for
    one glued to a word in lower case (an option: "--verbose")."""
    if "--" not in text:
        return text
    return _DOUBLE_HYPHEN.sub(_dash, text)
