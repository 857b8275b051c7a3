"""What a link between two items says: whether it names what happened, not only who, and
whether it names anyone at all. Pure.

Two reports of one event nearly always put what happened in a headline — "poisoned",
"recession", "vigil" — and the other report mentions it too. Two items that share only who
is involved (a person with their office: "Prime Minister Boris Johnson", "Democratic nominee
Joe Biden") are most often two events of that person. So a link between two items counts only
when a distinctive term that is not a name appears in one item's headline and anywhere in the
other item, or, failing that, when the two texts share many such terms (long reports of one
event written with different headlines), or when two full reports share terms that no other
active story holds (`shares_own_terms`: the event's own names and details). A link that
shares no name at all is asked more the further apart the two items are (`shares_a_name`).
Where the two share two names and one event term, that term must stand in both headlines
(`headlines_share_what`).

Reports of one event by the people and bodies in it may share nothing but their names ("Harry
and Meghan to make shows with Netflix" ‖ "Prince Harry and Meghan sign deal with Netflix";
"Ed Markey defeats Joe Kennedy in Massachusetts Senate primary" ‖ "Ed Markey held off Joseph
Kennedy in a Democratic Senate clash in Massachusetts"). One person with their office is one
name written in several words; several separate names in both headlines (`several_named`) say
who met whom, which within a few days is one event.

Two items whose headlines each name someone or somewhere the other item never mentions are
most often two events of one kind: two countries' tracing apps, one outlet's series with a
new name each time ("the latest cartoons of artist X", "Y county's case count"). Such a link
is asked more when it shares no name, and within a story only one outlet covers
(`names_margin`). A thin link (no shared name, no more shared terms than a link needs) is
judged so when one headline names someone the other item never mentions and the other item
names someone of its own: "high school" in London and "a high number" of pupils in Auckland.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

from .features import Features
from .terms import canonical_forms, stem
from .window_counts import Vector, WindowCounts

if TYPE_CHECKING:
    from .cluster_settings import ClusterSettings

__all__ = [
    "headlines_share_what",
    "names_apart",
    "names_margin",
    "names_what_happened",
    "rests_on_a_name",
    "several_named",
    "shares_a_figure",
    "shares_a_name",
    "shares_own_name",
    "shares_own_terms",
    "stands_for_story",
]


def _event_term(term: str, counts: WindowCounts) -> bool:
    return counts.distinctive(term) and not counts.is_name(term)


def _anchored(headline: Features, other: Features, counts: WindowCounts) -> bool:
    held = other.unique
    return counts.events_among([t for t in headline.title if t in held]) > 0


def names_what_happened(
    item: Features, member: Features, counts: WindowCounts, unanchored_terms: int
) -> bool:
    """True when a headline of the two anchors a shared event term, or the two share at
    least `unanchored_terms` distinctive terms that are not names."""
    if _anchored(item, member, counts) or _anchored(member, item, counts):
        return True
    return counts.events_among(item.unique & member.unique) >= unanchored_terms


def shares_own_terms(
    item: Features,
    member: Features,
    counts: WindowCounts,
    settings: ClusterSettings,
    held: AbstractSet[str] = frozenset(),
) -> bool:
    """Whether two full reports (`full_text_terms` text terms each) share `exclusive_terms`
    terms that no other active story holds: the event's own words (its victims, its place,
    its odd details), where a topic's terms and a famous person's name are in other stories
    too. Their headlines may not say what happened (a lede's first line, a photo caption),
    but their bodies do. `held` is what the item's own story holds when the item is placed
    already (a regroup): that story is not another. Teasers never link this way: a short
    text shares too few words for them to single out an event."""
    if min(len(item.text), len(member.text)) < settings.full_text_terms:
        return False
    sdf, need = counts.sdf, settings.exclusive_terms
    if need <= 0:
        return True
    for term in item.unique & member.unique:
        if sdf[term] - (term in held) <= 1:
            need -= 1
            if not need:
                return True
    return False


def rests_on_a_name(
    vector: Vector,
    member_vector: Vector,
    counts: WindowCounts,
    threshold: float,
    headline: tuple[str, ...] = (),
) -> bool:
    """Whether the cosine of two items' vectors falls below `threshold` without its heaviest
    shared term, and that term is a name the item's `headline` (its title terms) does not
    carry: a report of one event that also names the person of another (a Kushner report
    recounting Comey's memo) matches the other's report on that name alone. Such a link may
    take an item, but never vouches for a merge of two stories. A name in the item's own
    headline is what the item is about (a rancher's name in two reports of his remarks)."""
    if len(vector) > len(member_vector):
        vector, member_vector = member_vector, vector
    total, top, heaviest = 0.0, 0.0, ""
    for term, weight in vector.items():
        part = weight * member_vector.get(term, 0.0)
        total += part
        if part > top:
            top, heaviest = part, term
    if not heaviest or total - top >= threshold or heaviest in headline:
        return False
    return counts.is_name(heaviest)


def headlines_share_what(
    item: Features, member: Features, counts: WindowCounts, min_shared: int
) -> bool:
    """True when both headlines carry one shared event term (not a name, and neither
    headline's first word, which is often a name or a label), the two items share two
    distinctive names and `min_shared` distinctive terms in all: "Harry and Meghan sign
    production deal with Netflix" ‖ "… Meghan's Netflix deal is …". Reports of one event by
    the people in it share more names than event words; one shared event word elsewhere in
    the texts is not enough (a person in two events)."""
    if not item.title or not member.title:
        return False
    firsts = {item.title[0], member.title[0]}
    both = (set(item.title) & set(member.title)) - firsts
    if not any(_event_term(t, counts) for t in both):
        return False
    shared = item.unique & member.unique
    if sum(counts.is_name(t) and counts.distinctive(t) for t in shared) < 2:
        return False
    return sum(counts.distinctive(t) for t in shared) >= min_shared


def stands_for_story(
    item: Features,
    member: Features,
    rest: Iterable[Features],
    counts: WindowCounts,
    shared: Sequence[str] | None = None,
) -> bool:
    """Whether a member that joined a story may stand for it in a link to `item`: one of the
    distinctive terms the two share is held by another of the story's profile members too.
    An item can report two events side by side ("Star A backs B's campaign; star C performs
    in her underwear") and join the story of one of them; through its other half it would
    bring the other event's reports into that story, and fold the other event's story in.
    What it shares with the rest of the story is what made it a member. `shared`: the
    distinctive terms the two share, when the caller has them already."""
    if shared is None:
        shared = counts.distinct(item.unique & member.unique)
    if not shared:
        return True
    alone = True  # (no other member: nothing to tell it by)
    for other in rest:  # (read one at a time: the founder most often holds one at once)
        if any(t in other.unique for t in shared):
            return True
        alone = False
    return alone


def shares_a_name(item: Features, member: Features, counts: WindowCounts) -> bool:
    """Whether the two items name one distinctive person, place or organisation. Without one,
    two items a day apart are as often the same kind of event in two places (two fires, two
    countries' tracing apps) as one event."""
    return any(counts.is_name(t) and counts.distinctive(t) for t in item.unique & member.unique)


def shares_own_name(
    item: Features, member: Features, counts: WindowCounts, held: AbstractSet[str] = frozenset()
) -> bool:
    """Whether the two items name one person, place or organisation that no other active
    story holds (the member's story only; `held`: the item's own story's terms, in a regroup,
    which is not another): the event's own people and places (a victim, a street), not a
    famous name, a country or a channel's presenters, which sit in other stories too."""
    sdf = counts.sdf
    return any(sdf[t] - (t in held) <= 1 and counts.is_name(t) for t in item.unique & member.unique)


def _is_year(term: str) -> bool:
    return len(term) == 4 and term.startswith(("19", "20"))


def shares_a_figure(item: Features, member: Features, counts: WindowCounts, digits: int) -> bool:
    """Whether the two items write one distinctive figure of at least `digits` digits that is
    not a year ("1,200 frontline staff", "a $500 million fee"; figures are terms written one
    way, `term_forms`). An outlet's follow-up of its own report repeats the report's figures;
    the items of an outlet's series (a daily count, each day's bulletin, a new artist each
    time) each carry figures of their own, and a figure the outlet prints on every page is in
    too many stories to be distinctive. `digits` 0: never."""
    if digits <= 0:
        return False
    return any(
        len(t) >= digits and t.isdigit() and not _is_year(t) and counts.distinctive(t)
        for t in item.unique & member.unique
    )


def _names_another(
    terms: tuple[str, ...] | frozenset[str], other: Features, counts: WindowCounts
) -> bool:
    held = other.unique
    return bool(counts.distinct(counts.names_among([t for t in terms if t not in held])))


def names_apart(item: Features, member: Features, counts: WindowCounts, thin: bool = False) -> bool:
    """Whether each headline names a distinctive person, place or organisation that the other
    item never mentions (a headline's slot filled by two different names). For a `thin` link
    one such headline is enough when the other item names someone of its own anywhere, and so
    is each item naming anywhere someone the other never mentions (headlines naming no one:
    "three murder charges" dropped in one case and filed in another)."""
    first = _names_another(item.title, member, counts)
    second = _names_another(member.title, item, counts)
    if first and second:
        return True
    if not thin:
        return False
    names_own = _names_another(item.names, member, counts)
    names_theirs = _names_another(member.names, item, counts)
    return (first and names_theirs) or (second and names_own) or (names_own and names_theirs)


def names_margin(
    item: Features,
    member: Features,
    counts: WindowCounts,
    settings: ClusterSettings,
    late: float,
    own_outlet: bool,
    distinct: Sequence[str] | None = None,
) -> float:
    """What a link asks beyond the threshold for who it names: `late` is how many days the
    two items lie apart beyond 12 hours; `own_outlet` says the story is only the item's
    outlet's so far. A link sharing no name and only the fewest distinctive terms a link may
    rest on is thin. `distinct`: the distinctive terms the two share, when the caller has
    them already."""
    if distinct is None:
        distinct = counts.distinct(item.unique & member.unique)
    named = bool(counts.names_among(distinct))  # (`shares_a_name`, on the terms found once)
    if named and not own_outlet:  # (whether their headlines name others asks nothing then)
        return 0.0
    thin = not named and len(distinct) <= settings.min_shared_terms
    apart = names_apart(item, member, counts, thin)
    margin = settings.series_margin if apart and own_outlet else 0.0
    if not named:
        margin += settings.nameless_daily_margin * late
        margin += settings.apart_margin if apart else 0.0
    return margin


# A name as written in a headline: capitalised words in a row, joined by the particles names
# hold ("Bank of England", "Charles de Gaulle"); any other word or mark, or a possessive, ends
# it. Figures and initials are written as grouping terms write them (`terms.canonical_forms`).
_HEADLINE_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[^\w\s]", re.UNICODE)
_NAME_PARTICLES = frozenset({"of", "de", "del", "da", "di", "du", "van", "von", "der", "bin", "al"})


def _headline_names(headline: str) -> list[set[str]]:
    """The names a headline writes, each as the set of its words' terms (stemmed as grouping
    terms are; a possessive dropped)."""
    found: list[set[str]] = []
    current: set[str] | None = None
    particle = False  # a particle after a capitalised word: the name may go on
    for word in _HEADLINE_WORD.findall(canonical_forms(headline)):
        if word[0].isupper():
            if current is None:
                current = set()
                found.append(current)
            word = word.lower().replace("’", "'")
            current.add(stem(word.removesuffix("'s")))
            particle = False
            if word.endswith("'s"):  # "Meghan Markle's Netflix deal": a possessive ends it
                current = None
        elif current is not None and not particle and word.lower() in _NAME_PARTICLES:
            particle = True
        else:
            current, particle = None, False
    return found


def several_named(
    headline: str,
    other_headline: str,
    item: Features,
    member: Features,
    counts: WindowCounts,
    least: int,
) -> bool:
    """Whether both headlines write at least `least` separate names (capitalised words in a
    row, see `_headline_names`) that each hold a distinctive name term of both headlines:
    "Harry" / "Meghan" / "Netflix", not "Prime Minister Boris Johnson" (one name, four
    terms). Case tells nothing in a headline whose every word is capitalised, so there the
    whole headline reads as one name and the rule does not apply."""
    if least <= 0 or not headline or not other_headline:
        return False
    shared = {
        t
        for t in set(item.title) & set(member.title)
        if counts.is_name(t) and counts.distinctive(t)
    }
    if len(shared) < least:
        return False
    return all(
        sum(bool(name & shared) for name in _headline_names(text)) >= least
        for text in (headline, other_headline)
    )
