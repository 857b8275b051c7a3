"""A developing story's counts: the figure a sentence gives for how many died, were hurt,
arrested, infected or moved from their homes, and which of two such sentences a later report
has overtaken. Pure, stdlib only.

"Two people died when the storm flooded the valley" (an early report) and "The death toll
rose to five on Tuesday" (a later one) state one count, the dead, with two figures: the later
report's is the news. A count is read only where a sentence gives it plainly: a figure next
to a word for it ("two people died", "5 people are now known to have died", "killing 12",
"the death toll rose to five", "300 residents were evacuated"). Not read as one, so that two
different facts are never taken for one figure told twice: a figure of something else ("two
children died" is a count of children, not of the dead at large), an increment or a period's
share ("three more people died", "another 12", "500 new cases", "a day", "a year", "in the
past 24 hours"), a total since a date ("since March"), and a count that falls (a later lower
figure may be a correction, or another place).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime

from .novelty import coverage, fact_term, fact_terms, inner_names, with_figures
from .tokens import STOPWORDS, tokens

__all__ = ["Count", "counts", "may_count", "overtaken", "overtakes"]

# (what is counted, whom: "" for people at large, the figure, whether it is hedged: "about")
Count = tuple[str, str, int, bool]

# Words naming a count, by what they count.
_KINDS = {
    "dead": "died dead killed deaths fatalities perished drowned lives",
    "injured": "injured wounded hurt injuries hospitalised hospitalized",
    "arrested": "arrested detained arrests",
    "cases": "cases infections infected",
    "evacuated": "evacuated evacuees displaced",
}
_KIND_OF = {word: kind for kind, spelt in _KINDS.items() for word in spelt.split()}
_ADJECTIVES = frozenset("dead injured wounded displaced".split())  # (before whom they count)
# Whom a count counts when it says people at large: one count, however worded.
_PEOPLE = frozenset("people persons person individuals".split())
# Words that may stand between a figure and its word without changing what is counted.
_BETWEEN = frozenset(
    """is was are were have has had been be being now so far known confirmed reported believed
    feared thought said to have reportedly officially""".split()
)
# A figure that adds to one said before, or a share of a period: not the count itself.
_INCREMENT = frozenset("more another additional further new extra daily".split())
_PERIOD = re.compile(
    r"\b(?:a|per|each|every) (?:day|week|month|year)\b|\b(?:daily|weekly|annually|yearly)\b"
    r"|\b24 hours\b|\b(?:this|last|past) (?:day|week|month|year)\b|\bovernight figures?\b"
    r"|\bsince\b",  # (a total since a date or an event spans more than the story's event)
    re.IGNORECASE,
)
_NUMBER = r"(~?)(\d{1,15}(?!\d)|one|two)"  # (a longer run is no count: `novelty._DIGITS`)
# "<figure> [whom] [are now known to have] <word>": the figure and the words after it up to
# a stop or a comma (the word for the count is looked for among the first seven).
_FIGURE_FIRST = re.compile(rf"(?<![\w.,]){_NUMBER}(?=((?:\s+[a-z]+){{1,7}}))")
_BEFORE = re.compile(r"([a-z]+)\s+~?$")
# "the death toll [has] rose to <figure>", "killing <figure> [people]".
_TOLL = re.compile(
    r"\bdeath toll(?:\s+[^\d,.;:!?]{0,60}?)??(?:\s+(?:has|had|is|was|now))?\s+"
    r"(?:rose|risen|rises|climbed|climbs|increased|jumped|reached|reaches|stands|stood|hit|"
    r"hits|is|was|of|at)"
    rf"(?:\s+(?:to|at))?\s+{_NUMBER}(?![\w.,]*\d)",
    re.IGNORECASE,
)
_KILLING = re.compile(rf"\b(?:killing|killed)\s+{_NUMBER}(?:\s+([a-z]+))?")
_SMALL = {"one": 1, "two": 2}


def _value(word: str) -> int:
    return _SMALL[word] if word in _SMALL else int(word)


def counts(text: str) -> frozenset[Count]:
    """The counts a sentence states plainly (see the module's note): (what, whom, figure),
    a hedged figure ("at least 12") with its figure as said."""
    if _PERIOD.search(text):
        return frozenset()
    plain = with_figures(text)  # (also "five." at a sentence's end)
    low = plain.lower()
    found: set[Count] = set()
    for match in _FIGURE_FIRST.finditer(low):
        hedge, number, after = match.groups()
        words = after.split()
        at = next((n for n, w in enumerate(words) if w in _KIND_OF), None)
        if at is None:
            continue
        before = _BEFORE.search(low, 0, match.start())
        if before is not None and before.group(1) in _INCREMENT:
            continue  # ("another 12 died")
        between = words[:at]
        whom = ""
        if between and between[0] not in _BETWEEN:
            whom, between = between[0], between[1:]
        if whom in _INCREMENT or whom in STOPWORDS or any(w not in _BETWEEN for w in between):
            continue  # ("3 more people died", "64 who died", "killed 2 and wounded 30")
        if not whom and at == 0 and words[0] in _ADJECTIVES and len(words) > 1:
            whom = words[1]  # ("two dead journalists": a count of journalists)
            if whom in STOPWORDS or whom in _CALENDAR:
                whom = ""
        whom = "" if whom in _PEOPLE else whom
        found.add((_KIND_OF[words[at]], whom, _value(number), bool(hedge)))
    for match in _TOLL.finditer(plain):
        found.add(("dead", "", _value(match.group(2).lower()), bool(match.group(1))))
    for match in _KILLING.finditer(low):
        whom = match.group(3) or ""  # ("killing 27 people"; "killed 2,000 members of …")
        whom = "" if whom in _PEOPLE or whom in STOPWORDS else whom
        found.add(("dead", whom, _value(match.group(2)), bool(match.group(1))))
    return frozenset(found)


def overtakes(newer: Iterable[Count], older: Iterable[Count]) -> bool:
    """Whether a later report's counts give a higher figure for a count an earlier one gives
    (the same thing counted, of the same people), and none of its counts is lower than the
    earlier one's: the earlier figure is out of date. A hedged figure within a tenth of the
    other ("over 600,000", "627,000") is the same figure told less exactly."""
    mine = {(kind, whom): (value, hedged) for kind, whom, value, hedged in newer}
    higher = False
    for kind, whom, value, hedged in older:
        later = mine.get((kind, whom))
        if later is None:
            continue
        if (hedged or later[1]) and abs(later[0] - value) <= max(1, max(later[0], value) // 10):
            continue  # (told less exactly: the same figure)
        if later[0] < value:
            return False
        higher = higher or later[0] > value
    return higher


# The words of a count ("people", "died", "death toll", "are now known to have"), as fact
# terms: what a sentence says besides its count is what is left of its terms without them.
_COUNT_WORDS = " ".join(
    [*_KIND_OF, *_PEOPLE, *_BETWEEN, "death toll killing rose risen rises climbed increased"]
)
# A sentence that may state a count: a word for one, whatever its figure (`counts` reads it).
_MAY_COUNT = re.compile(
    r"\b(?:died|dead|killed|killing|deaths?|fatalities|perished|drowned|lives|injured|"
    r"wounded|hurt|injuries|hospitali[sz]ed|arrested|detained|arrests|cases|infections|"
    r"infected|evacuated|evacuees|displaced)\b",
    re.IGNORECASE,
)


def may_count(text: str) -> bool:
    """Whether a sentence has a word for a count (only such sentences can state one)."""
    return _MAY_COUNT.search(text) is not None


# When it was counted and who said so ("on Monday night, officials said"): no fact a reader
# of the later count misses (as `novelty.restates` reads a retelling's time and speaker).
_ASIDE_WORDS = """monday tuesday wednesday thursday friday saturday sunday night morning evening
afternoon overnight today yesterday earlier said says told according official officials
police authorities spokesman spokeswoman spokesperson reported confirmed statement"""
_COUNT_TERMS = fact_terms(_COUNT_WORDS) | fact_terms(_ASIDE_WORDS)
_SAME_EVENT = 0.5  # share of the later count's other terms the earlier one or the headline says
_CALENDAR = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december""".split()
)


def _names_known(text: str, known: AbstractSet[str]) -> bool:
    """Whether each name inside `text` (a capitalised run of words after a word, as
    `novelty` reads them; a day or a month is none) has a word that `known` (fact terms)
    holds: two counts of the same people are told of the same places and names."""
    for name in inner_names(text):
        found = [t for t in tokens(name) if t not in _CALENDAR]
        if found and not any(fact_term(t) in known for t in found):
            return False
    return True


def _besides_count(terms: frozenset[str]) -> frozenset[str]:
    """A sentence's fact terms without its count's words and figures, when and who said so."""
    return frozenset(t for t in terms - _COUNT_TERMS if t[0] not in "=~" and not t.isdigit())


def overtaken(
    sentences: Sequence[tuple[str, frozenset[str], datetime | None]],
    headline: frozenset[str],
    weights: Mapping[str, float],
    share: float,
) -> dict[int, int]:
    """The sentences (text, fact terms, its source's publication time) whose count a sentence
    of a later-published source overtakes (`overtakes`), each to the latest such sentence
    (by index). Only when the two name the same places and people (`_names_known`, against
    each other and the `headline`'s fact terms), and the earlier one says little besides its
    count: at least `share` of its other weighted fact terms (`weights`; when and who said
    so left out) said by the later one or the headline ("Two people died when the storm
    flooded the valley on Monday" is told again by "The death toll from the storm that
    flooded the valley rose to five"), and the later one tells the same event: at least
    `_SAME_EVENT` of its other weighted terms said by the earlier one or the headline."""
    times: dict[int, datetime] = {}
    read: dict[int, frozenset[Count]] = {}
    for n, (text, _, when) in enumerate(sentences):
        if when is not None and may_count(text):
            found = counts(text)
            if found:
                times[n], read[n] = when, found
    out: dict[int, int] = {}
    for n, older in read.items():
        text, terms, _ = sentences[n]
        rest = _besides_count(terms)
        best: int | None = None
        for m, newer in read.items():
            if times[m] <= times[n] or (best is not None and times[best] >= times[m]):
                continue  # (not later, or not later than the latest found)
            if not overtakes(newer, older):
                continue
            later_text, later, _ = sentences[m]
            if not (
                _names_known(text, later | headline) and _names_known(later_text, terms | headline)
            ):
                continue
            if rest and coverage(rest, set(later | headline), weights) < share:
                continue  # (the earlier one says more than its count)
            told = _besides_count(later)
            if coverage(told, set(terms | headline), weights) < _SAME_EVENT:
                continue  # (the later count is told of more than the earlier one's event)
            best = m
        if best is not None:
            out[n] = best
    return out
