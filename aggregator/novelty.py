"""Novelty of a candidate bullet against what a summary already says. Pure, stdlib only.

A bullet's facts are approximated by its distinctive terms: content-word stems cut to a short
prefix (so "German" and "Germany", "Russia" and "Russian" meet), names and numbers included.
A term counts for more the more of the story's sources use it, because what many outlets repeat
is the story's core fact; a candidate whose weighted terms are mostly covered by the headline and
the bullets chosen so far restates them, however it is worded. A figure not said yet (a toll,
a count, a date) is a new fact on its own.

One fact is one set of terms however an outlet spells it (`_normalised`): British and American
spellings are one term (grouping's own `terms.american`: "defence" = "defense"), a country's
usual names one ("United States", "U.S.", "USA" = "US"), and a figure is written as digits with
its unit ("ten" = "10", "a dozen" = "12", "half a million" = "500000", "3,000" = "3000", "a
decade" = "10 years", "three decades" = "30 years"). A figure said with a hedge ("nearly 30
years") is already said when the same unit was said with a figure close to it (within a tenth,
or 1: "29 years"), and it says that figure in turn; exact figures must be equal, and years
("in 2019", "in 2020") always are exact. A number inside a name ("the Ligue 1 club",
"Covid-19", "G7") is no figure: it is one term with its word ("ligue1").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet

from .cjk_script import DATE_CHARS, FULL_WIDTH, SPAN_CHARS, has_cjk, read_as_japanese
from .cjk_terms import cjk_words
from .term_forms import canonical_forms
from .terms import american
from .tokens import STOPWORDS, has_english_plurals, regular_stem, stem, tokens, words

__all__ = [
    "PREFIX",
    "adds_act",
    "coverage",
    "fact_term",
    "fact_terms",
    "fact_terms_of",
    "figure_terms",
    "inner_names",
    "loose_terms",
    "names_new",
    "negates",
    "negates_against",
    "opposed",
    "paraphrases",
    "restates",
    "retells",
    "source_weights",
    "tells_more",
    "with_figures",
]

PREFIX = 6  # characters of a stem that identify a term for coverage


def fact_terms(text: str, english: bool = True, *, language: str | None = None) -> frozenset[str]:
    """The distinctive terms of a text: content-word stems in American spelling, cut to
    `PREFIX` characters, its figures with their units (`_normalised`, `_figures`). In
    Chinese and Japanese, the terms grouping uses (`cjk_terms.cjk_words`): character pairs
    (cut at Chinese function characters), without common pairs, hiragana and the numbers of
    dates; read as Japanese or Chinese as its source's declared `language` says, where it
    names one (`cjk_script.read_as_japanese`). Not `english` (a story in another language):
    stemmed without English's irregular plurals (`tokens.tokens`), so French's "crise" and
    "crises" are one term."""
    if has_cjk(text):
        return _cjk_fact_terms(text, language)
    return fact_terms_of(text, tokens(text, english), english)


def fact_terms_of(text: str, terms: Iterable[str], english: bool = True) -> frozenset[str]:
    """`fact_terms(text, english)`, the text's `tokens` given (any order, repeats or not)."""
    if not isinstance(terms, (list, tuple, set, frozenset)):
        terms = list(terms)  # (read twice below)
    found = figure_terms(text, terms, english)
    return _terms_of(terms) if found is None else found


def figure_terms(
    text: str,
    found: Collection[str] | None = None,
    english: bool = True,
    *,
    language: str | None = None,
) -> frozenset[str] | None:
    """`fact_terms(text, english)` of a text that is not read word by word: one in Chinese or
    Japanese, or one with a figure, a number word or a country's long name (`_normalised`
    reads it); None for any other, whose fact terms are its tokens' terms (`fact_terms_of`
    finds them cheaply). What a sentence's candidate keeps beside it (`bullets`), so that a
    story summarised again does not read its figures again. `found`: the text's tokens (in
    `english` or not), when known; `language`: its source's declared one, as `fact_terms`
    reads it."""
    if has_cjk(text):
        return _cjk_fact_terms(text, language)
    if _DIGIT.search(text) is None:
        if found is None:
            found = tokens(text, english)
        if _HINTS.isdisjoint(found):
            return None
    if not english and has_english_plurals(text):  # (rare: not memoised)
        return _read_terms(text, found, regular_stem)
    return _rewritten_terms(text, found)


# token → its term: the stem in American spelling, cut to `PREFIX` characters ("defence" and
# "defense" are "defens", "colour" and "color" "color"), a number whole (1500000 is not
# 150000). News repeats its words; emptied when it outgrows its bound.
_TERMS: dict[str, str] = {}
_TERMS_MAX = 1 << 16


def _terms_of(found: Collection[str]) -> frozenset[str]:
    terms = list(map(_TERMS.get, found))
    if None in terms:
        return frozenset(_term(t) for t in found)
    return frozenset(terms)  # type: ignore[arg-type]


def _term(token: str) -> str:
    term = _TERMS.get(token)
    if term is None:
        if len(_TERMS) > _TERMS_MAX:
            _TERMS.clear()
        term = _TERMS[token] = token if token.isdigit() else american(token)[:PREFIX]
    return term


# --- one fact, one spelling: figures with their units, country names ------------------------

_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        """zero one two three four five six seven eight nine ten eleven twelve thirteen
        fourteen fifteen sixteen seventeen eighteen nineteen""".split()
    )
}
_TENS = {w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety"
                                          .split(), start=2)}  # fmt: skip
_DIGIT = re.compile(r"\d")
# Tokens of a text that may need rewriting besides one with a digit: a number word, a
# multiple, a scale, a country's long name ("united", "britain", "usa").
_HINTS = frozenset(
    [*_NUMBER_WORDS, *_TENS, "dozen", "decade", "half", "thousand", "million", "billion",
     "trillion", "unit", "kingdom", "britain", "usa"]
)  # fmt: skip
# "one" and "two" are function words ("one of them", "the two"): as figures only before a
# multiple ("one decade", "two dozen"). Others are figures anywhere ("three killed").
_SMALL = (
    r"(?:zero|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen)"
)
_TENS_WORD = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_SPELT = re.compile(rf"\b(?:{_TENS_WORD}(?:[\s-]+(?:one|two|{_SMALL}))?|{_SMALL})\b", re.I)
_COUNTRIES = (
    (re.compile(r"\b(?:the\s+)?(?:United States(?: of America)?|U\.S\.A\.|U\.S\.(?!\w)|USA)"
                r"(?![\w.])"), "the US"),
    (re.compile(r"\b(?:the\s+)?(?:United Kingdom|U\.K\.(?!\w)|Great Britain|Britain)"
                r"(?![\w.])"), "the UK"),
)  # fmt: skip
# A figure's digits: at most 15 (a longer run, "99999…" from a broken or hostile feed, is no
# figure: read as one it had overflowed a float or passed Python's 4,300-digit limit, which
# failed its whole story's summary)
_DIGITS = r"\d{1,15}"
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,]*\d)")
_SCALED = re.compile(
    rf"(?<![\d.,])({_DIGITS}(?:\.{_DIGITS})?) (thousand|million|billion|trillion)\b", re.I
)
_SCALE = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_HALF = re.compile(r"\bhalf an? (thousand|million|billion|trillion)\b", re.I)
_DOZEN = re.compile(rf"\b(?:(?:a|one)|({_DIGITS}|two))[\s-]+dozen\b", re.I)
_DECADES = re.compile(rf"\b({_DIGITS}|one|two)[\s-]+decades?\b", re.I)
_DECADE = re.compile(
    r"\b(?:(?:a|one)\s+decade|(the|past|last|next|this|that|coming|previous|full|whole)\s+"
    r"decade|decade(?=[\s-]+(?:long|old)\b))\b",
    re.IGNORECASE,
)
# A hedge before a figure ("nearly 30", "more than 100"): the figure is near the one said.
_HEDGES = (
    "nearly ", "almost ", "about ", "around ", "roughly ", "approximately ", "some ",
    "close to ", "more than ", "over ", "less than ", "under ", "fewer than ", "at least ",
    "up to ", "estimated ",
)  # fmt: skip
_SHORT_SCALE = re.compile(r"\d(?:k|m|mn|bn|tn)\b")
_NUMBER_START = re.compile(r"(?<![\w.,])\d")


def _hedged(text: str) -> str:
    """`text` with its hedges before a figure written "~" ("nearly 30 years" → "~30 years")."""
    parts: list[str] = []
    last = 0
    for match in _NUMBER_START.finditer(text):
        start = match.start()
        before = text[max(last, start - 16) : start].lower()
        if not before.endswith(_HEDGES):
            continue
        for hedge in _HEDGES:
            if before.endswith(hedge):
                cut = start - len(hedge)
                if cut == 0 or not text[cut - 1].isalnum():
                    parts.append(text[last:cut])
                    parts.append("~")
                    last = start
                break
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


_FIGURE = re.compile(rf"(?<![\w.,])(~?)({_DIGITS})(?![\w.,]*\d)(?:[\s-]+([^\W\d_]+))?")


def _spelt(match: re.Match[str]) -> str:
    parts = re.split(r"[\s-]+", match.group(0).lower())
    return str(sum(_TENS.get(p, _NUMBER_WORDS.get(p, 0)) for p in parts))


def _count(word: str | None) -> int:
    if word is None:
        return 1
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


def _normalised(text: str) -> str:
    """`text` with a country's usual names one ("the US", "the UK") and its figures as digits
    (with "~" before a hedged one): number words, multiples ("a dozen", "three decades" →
    "30 years"), scales ("1.5 million" → "1500000") and digit groups ("3,000" → "3000")."""
    if "United" in text or "U.S" in text or "USA" in text or "U.K" in text or "Britain" in text:
        for pattern, name in _COUNTRIES:
            text = pattern.sub(name, text)
    low = text.lower()
    if "illion" in low or "housand" in low or _SHORT_SCALE.search(low):
        text = canonical_forms(text)  # ("$1m", "one million", "$12k" → "1 million", "12000")
        low = text.lower()
    if not _HINTS.isdisjoint(low.replace("-", " ").split()):
        text = _SPELT.sub(_spelt, text)
    if "half" in low:
        text = _HALF.sub(lambda m: str(_SCALE[m.group(1).lower()] // 2), text)
    if "," in text:
        text = _GROUPED.sub(lambda m: m.group(0).replace(",", ""), text)
    if "illion" in low or "thousand" in low:
        text = _SCALED.sub(_scaled, text)
    if "dozen" in low:
        text = _DOZEN.sub(lambda m: str(12 * _count(m.group(1))), text)
    if "decade" in low:
        text = _DECADES.sub(lambda m: f"{10 * _count(m.group(1))} years", text)
        text = _DECADE.sub(lambda m: f"{m.group(1)} 10 years" if m.group(1) else "10 years", text)
    return _hedged(text) if _DIGIT.search(text) else text


# A number that is part of a name, not a figure: written onto a capitalised word ("Covid-19",
# "G7", "MH370", "AR-15"; a lone letter takes a hyphen or one digit, as "P20" may be money),
# or after a capitalised word inside a sentence ("the Ligue 1 club", "Formula 1", "Channel
# 4"), not after a month or a weekday ("April 25" is a date) nor before more of a figure
# ("beat <club> 4-0" is a score).
_GLUED_NUMBER = re.compile(r"\b([A-Z][A-Za-z]*?)(-?)(\d{1,3})\b(?![.,]\d)")
_NAME_NUMBER = re.compile(
    r"(?<=[\w,;:] )([A-Z][A-Za-z]+) (\d{1,3})\b(?![.,:/]?\d| ?[-–] ?\d|%| ?(?:per ?cent|"
    r"percent|thousand|million|billion|trillion)\b)"
)
_NOT_NAMES = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday""".split()
)


def _named_numbers(text: str) -> tuple[str, frozenset[str]]:
    """`text` without the numbers that are part of a name, and those names' terms: the
    word's term and the number as one ("ligue1", "covid19"). Such a number is no figure (a
    "Ligue 1 club" states no count; a bullet saying "Covid-19" says no new figure), but one
    name with another number is another name ("Level 3", "Level 4")."""
    if text.islower():  # (no capital: no name)
        return text, frozenset()
    named: set[str] = set()

    def glued(match: re.Match[str]) -> str:
        word, hyphen, number = match.groups()
        if len(word) < 2 and not hyphen and len(number) > 1:
            return match.group(0)  # ("P20 million": a currency's letter)
        named.add(_name_number(word, number))
        return word

    def spaced(match: re.Match[str]) -> str:
        word, number = match.groups()
        if word.lower() in _NOT_NAMES or word.lower() in STOPWORDS:
            return match.group(0)
        named.add(_name_number(word, number))
        return word

    text = _GLUED_NUMBER.sub(glued, text)
    if " " in text:
        text = _NAME_NUMBER.sub(spaced, text)
    return text, frozenset(named)


def _name_number(word: str, number: str) -> str:
    return f"{_term(stem(word.lower())) if len(word) > 1 else word.lower()}{number}"


def _names_a_number(term: str) -> bool:
    """Whether a fact term is a name with its number ("ligue1")."""
    return term[-1].isdigit() and not term[0].isdigit() and term[0] not in "=~"


def _other_numbers(terms: frozenset[str], other: frozenset[str]) -> bool:
    """Whether `terms` name with another number a name that `other` gives a number
    ("level3" and "level4")."""
    mine = {t.rstrip("0123456789") for t in terms - other if _names_a_number(t)}
    return bool(mine) and any(
        t.rstrip("0123456789") in mine for t in other - terms if _names_a_number(t)
    )


# text → its `fact_terms`, for texts that `_normalised` reads (a story summarised again reads
# its sentences again); emptied when it outgrows its bound (1,024 entries, ~1.5 MB).
_REWRITTEN: dict[str, frozenset[str]] = {}
_REWRITTEN_MAX = 1024


def _rewritten_terms(text: str, found: Collection[str] | None = None) -> frozenset[str]:
    """`fact_terms` of a text with a figure, a number word or a country's long name; `found`
    its tokens, when known."""
    terms = _REWRITTEN.get(text)
    if terms is None:
        terms = _read_terms(text, found, stem)
        if len(_REWRITTEN) >= _REWRITTEN_MAX:
            _REWRITTEN.clear()
        _REWRITTEN[text] = terms
    return terms


def _read_terms(
    text: str, found: Collection[str] | None, stemmer: Callable[[str], str]
) -> frozenset[str]:
    """`_rewritten_terms`, not memoised, its words stemmed by `stemmer` (`stem` in English,
    `regular_stem` in another language)."""
    plain, named = _named_numbers(text)
    normalised = _normalised(plain)
    if found is None or normalised != text:
        found = tokens(normalised, stemmer is stem)
    terms = _terms_of(found)
    if named:
        terms |= named
    if _DIGIT.search(normalised):
        terms |= _figures(normalised, stemmer)
    return terms


def clear_memo() -> None:
    """Forget the memoised terms and rewritten texts (`heap.forget_memos` calls it, as it
    empties the package's other memos: a summary worker after each task, a pass before its
    last big allocation)."""
    _TERMS.clear()
    _REWRITTEN.clear()
    _LOOSE_TERMS.clear()


def _scaled(match: re.Match[str]) -> str:
    return str(round(float(match.group(1)) * _SCALE[match.group(2).lower()]))


def _figures(text: str, stemmer: Callable[[str], str] = stem) -> frozenset[str]:
    """A normalised text's figures as terms beside its digits: "=29:year" for "29 years",
    "~30:year" for "~30 years" (hedged); a figure without a unit word is left out."""
    found: set[str] = set()
    for hedge, digits, word in _FIGURE.findall(text):
        if not word:
            continue
        unit = word.lower()
        if unit in STOPWORDS:
            continue
        found.add(f"{hedge or '='}{digits}:{_term(stemmer(unit))}")
    return frozenset(found)


_YEARS = range(1800, 2200)  # a figure this size is as likely a year: never near another


def _near(figure: str, said: Iterable[str]) -> bool:
    """Whether a figure ("~30:year") is said by one of `said`: the same unit, a figure within
    a tenth of it (or 1), one of the two hedged."""
    value, unit = figure[1:].split(":", 1)
    a = int(value)
    for other in said:
        if other[0] not in "=~" or (figure[0] == "=" and other[0] == "="):
            continue
        b_value, b_unit = other[1:].split(":", 1)
        if b_unit != unit:
            continue
        b = int(b_value)
        if a in _YEARS or b in _YEARS:
            continue
        if abs(a - b) <= max(1, max(a, b) // 10):
            return True
    return False


# A figure in Chinese or Japanese text, not of a date or time ("6.1级", "8万", a span "3時間",
# not "2日"). Its point is dropped so that it stays one term of digits ("6.1" is "61": a figure
# not said yet is a new fact, and `coverage` tells figures by their digits); "6" and "1" apart
# would be said by any "震度6弱" and "1週間".
_CJK_FIGURE = re.compile(
    rf"(?<![0-9A-Za-z.])[0-9]+(?:\.[0-9]+)?(?![0-9.])(?![{DATE_CHARS}](?![{SPAN_CHARS}]))"
)


def _cjk_fact_terms(text: str, language: str | None = None) -> frozenset[str]:
    """`fact_terms` of a Chinese or Japanese text: its Chinese and Japanese terms as
    `cjk_terms.cjk_words` makes them, its other words stemmed and cut to `PREFIX` characters
    (without stopwords, one-letter words and bare numbers), and its figures whole."""
    text = text.translate(FULL_WIDTH)
    terms: set[str] = set()
    for term in cjk_words(words(text), japanese=read_as_japanese(text, language)):
        if term.isdigit():
            continue  # (a figure is taken whole below)
        if has_cjk(term):
            terms.add(term)
        elif term not in STOPWORDS and len(term) > 1:
            terms.add(stem(term)[:PREFIX])
    terms.update(n.replace(".", "") for n in _CJK_FIGURE.findall(text))
    return frozenset(terms)


def source_weights(per_source: Iterable[Iterable[str]]) -> dict[str, float]:
    """Each term's weight: the number of sources that use it (one source: weight 1)."""
    weights: dict[str, float] = {}
    for terms in per_source:
        for term in set(terms):
            weights[term] = weights.get(term, 0.0) + 1.0
    return weights


def _unsaid_figures(terms: frozenset[str], covered: AbstractSet[str]) -> tuple[set[str], set[str]]:
    """The numbers of `terms` not in `covered`, and those of them that a figure close to one
    of `covered` says (hedged: `_near`)."""
    unsaid = {t for t in terms if t.isdigit() and t not in covered}
    if not unsaid:
        return unsaid, unsaid
    figures = [t for t in terms if t[0] in "=~"]
    near = {f[1:].split(":", 1)[0] for f in figures if f not in covered and _near(f, covered)}
    return unsaid, near


def states_figure(
    terms: frozenset[str], said: AbstractSet[str], ages: AbstractSet[str] = frozenset()
) -> bool:
    """Whether fact terms hold a number that `said` does not, nor a hedged figure close to
    one it does (`_near`), other than `ages`: a fact of its own ("At least 12 people died"
    after "3,000 were evacuated")."""
    unsaid, near = _unsaid_figures(terms, said)
    return bool(unsaid - ages - near)


def coverage(terms: frozenset[str], covered: set[str], weights: Mapping[str, float]) -> float:
    """Weighted share of `terms` already in `covered`; 0.0 for a text without terms, with a
    number not yet covered (unless a figure close to it, hedged, was said: `_near`) or with
    a name given another number than `covered` gives it ("Level 3" after "Level 4")."""
    if any(t[-1].isdigit() and t not in covered for t in terms):
        unsaid, near = _unsaid_figures(terms, covered)
        if unsaid - near:
            return 0.0
        if _other_numbers(terms, frozenset(covered)):
            return 0.0
        covered = covered | near
    if any(t[0] in "=~" for t in terms):
        terms = frozenset(t for t in terms if t[0] not in "=~")
    # (lists, not generators: the same sums in the same order, made faster)
    total = sum([weights.get(t, 1.0) for t in terms])
    if not total:
        return 0.0
    return sum([weights.get(t, 1.0) for t in terms if t in covered]) / total


# --- one fact told twice: a bullet that retells another ---------------------------------------

RESTATES = 0.5  # share of the smaller of two bullets' terms both hold, at which one retells
RESTATES_MIN = 3  # ... and at least this many terms shared
# A name inside a sentence: capitalised words after a word (not after a stop or a quote),
# one name while they follow each other ("Paris Saint-Germain").
_INNER_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)*")


def restates(
    text: str,
    terms: frozenset[str],
    other: frozenset[str],
    said: set[str],
    *,
    other_text: str | None = None,
) -> bool:
    """Whether a candidate (`text`, its `fact_terms` `terms`) retells a bullet chosen before it
    (`other`, its fact terms) in other words: the two share at least `RESTATES` of the smaller
    one's terms (at least `RESTATES_MIN`), and the candidate states no figure and names no one
    (a name inside the sentence none of whose words is said, unless it describes a said name
    after it: `_describes`; a capital opening the sentence is every sentence's) that `said`
    (the headline and the bullets so far) does not. Outlets retell one fact ("The fair has
    been cancelled", "Organisers of the fair have revealed it would not go ahead") in words
    that cover too little of it for `coverage`; what a retelling adds besides (a time, an
    adjective, who said it) is no fact a subscriber misses. Given the bullet's `other_text`,
    words of opposite acts or directions keep the two apart (`opposed`: "Shares rose 5% on
    Monday" is no retelling of "Shares fell 5% on Monday")."""
    shared = len(terms & other)
    if shared < RESTATES_MIN or shared < RESTATES * min(len(terms), len(other)):
        return False
    if other_text is not None and opposed(text, other_text):
        return False
    if _states_new_figure(text, terms, said):
        return False
    # (unlike `_names_new`, a name of stopwords alone, "US", counts as new here)
    return all(
        any(_term(t) in said for t in tokens(m.group())) or _describes(text, m, said)
        for m in _INNER_NAME.finditer(text)
    )


# A name that describes one named after it: after an article (and a word) or a possessive,
# one or two lower-case words on to the other name ("at the beaten <cup> finalists <club>",
# "the <party> leader <name>"). Not across a function word or a verb's "-ed" ("the <agency>
# accused <name>": two names; a verb's present tense cannot be told from a plural here).
_BEFORE_DESCRIBING = re.compile(r"(?:\b(?:[Tt]he|an?)|['’]s)\s+(?:[a-z][\w'’-]*\s+)?$")
_DESCRIBED = re.compile(
    r"\s+([a-z][\w'’-]*)(?:\s+([a-z][\w'’-]*))?\s+([A-Z][\w'’-]*(?: [A-Z][\w'’-]*)*)"
)


def _describes(text: str, match: re.Match[str], known: AbstractSet[str]) -> bool:
    """Whether the name `match` (of `_INNER_NAME` in `text`) describes a name after it that
    `known` (fact terms) holds: "the beaten <cup> finalists <club>" names the club, not the
    cup, once the club is said."""
    if not _BEFORE_DESCRIBING.search(text, 0, match.start()):
        return False
    after = _DESCRIBED.match(text, match.end())
    if after is None:
        return False
    if any(w in STOPWORDS or w.endswith("ed") for w in after.groups()[:2] if w is not None):
        return False
    return any(_term(t) in known for t in tokens(after.group(3)))


def names_new(text: str, known: AbstractSet[str]) -> bool:
    """Whether `text` names someone inside it none of whose words `known` (fact terms) holds
    (`_names_new`)."""
    return _names_new(text, known)


def _names_new(text: str, known: AbstractSet[str], loosely: bool = False) -> bool:
    """Whether `text` names someone inside it none of whose words `known` (fact terms) holds,
    and who describes no known name after it (`_describes`); `loosely`, a name's describing
    words ("Soviet-era") are left out of it."""
    for match in _INNER_NAME.finditer(text):
        name = match.group()
        if loosely:
            name = " ".join(w for w in name.split() if not _DESCRIBING.match(w))
        found = tokens(name)  # (none for a name of stopwords: "US")
        if (
            found
            and not any(_term(t) in known for t in found)
            and not _describes(text, match, known)
        ):
            return True
    return False


# Words of opposite acts or directions, in pairs of groups: two sentences alike but for one
# of a pair's words in one and the other's in the other tell opposite facts ("Shares rose 5%"
# / "Shares fell 5%", "The council approved the plan" / "The council rejected the plan").
# Small and general: words of one sense only ("close" may be near, so only "closed").
_OPPOSITES = (
    ("rise rises rose risen rising", "fall falls fell fallen falling"),
    ("up", "down"),
    ("increase increases increased increasing", "decrease decreases decreased decreasing"),
    ("higher", "lower"),
    ("above", "below"),
    ("more", "less fewer"),
    ("gain gains gained", "loss losses lost"),
    ("win wins won winning", "lose loses lost losing"),
    ("approve approves approved approving accept accepts accepted",
     "reject rejects rejected rejecting"),
    ("opened reopened", "closed"),
    ("acquitted", "convicted"),
    ("lifted", "imposed"),
)  # fmt: skip


def _opposite_sides() -> dict[str, list[tuple[int, int]]]:
    sides: dict[str, list[tuple[int, int]]] = {}
    for n, pair in enumerate(_OPPOSITES):
        for side, group in enumerate(pair):
            for word in group.split():
                sides.setdefault(word, []).append((n, side))
    return sides


_SIDES = _opposite_sides()  # word → (pair, side) of each pair it is in ("lost": two)


# Words that tell a direction only before a figure ("up 4 cents", "down by 13 points", "more
# than 200", "fewer than 10"): elsewhere they are a phrasal verb's ("stepped down", "gave up",
# "set up") or a clause's of its own ("…, less than in 2007"), and two retellings of one fact
# ("The minister stepped down" / "The minister gave up her post") are no opposite facts.
_BEFORE_FIGURE = {"up": ("by",), "down": ("by",), "more": ("than",), "less": ("than",),
                  "fewer": ("than",)}  # fmt: skip


def _tells_figure(seq: list[str], at: int) -> bool:
    """Whether `seq[at]` stands before a figure, maybe with its one word between."""
    after = seq[at + 1 : at + 3]
    if after and after[0] in _BEFORE_FIGURE[seq[at]]:
        after = after[1:]
    return bool(after) and after[0][0].isdigit()


def _sides_of(text: str) -> dict[int, set[int]]:
    """The sides of `_OPPOSITES` a text's words stand on, by pair."""
    found: dict[int, set[int]] = {}
    seq = words(text)
    for at, word in enumerate(seq):
        if word in _BEFORE_FIGURE and not _tells_figure(seq, at):
            continue
        for pair, side in _SIDES.get(word, ()):
            found.setdefault(pair, set()).add(side)
    return found


def opposed(text: str, other_text: str) -> bool:
    """Whether two texts tell opposite acts or directions: one has a word of a pair of
    `_OPPOSITES` on a side the other lacks, and the other one on the side the first lacks
    ("rose" / "fell", "won" / "lost", "approved" / "rejected", "up" / "down")."""
    mine = _sides_of(text)
    if not mine:
        return False
    theirs = _sides_of(other_text)
    return any(
        pair in theirs and mine[pair] - theirs[pair] and theirs[pair] - mine[pair] for pair in mine
    )


# A negation: a sentence may hold all of another's words and tell the opposite ("no child in
# the UK has died of it" / "children in the UK have died of it").
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without)\b|n[’']t\b", re.I
)
# ... in the other languages whose common words `lang.detect_language` knows, read when a
# story is written in one of them (`negates`): English's "no" is Portuguese's "in the", and
# German's "nicht", French's "ne … pas" or Dutch's "geen" are no English words. Words that
# mean something else too stay out (French "personne", a person; "pas", a step, and a word of
# "Pas-de-Calais": written French says "ne" or "n'" with it anyway).
_NEGATIONS = {
    "en": _NEGATION,
    "de": r"nicht|nichts|kein|keine|keinen|keinem|keiner|keines|nie|niemals|niemand|weder"
    r"|ohne",
    "fr": r"ne|jamais|aucun|aucune|rien|ni|sans|n(?=['’])",
    "es": r"no|nunca|jamás|ningún|ninguno|ninguna|nadie|nada|ni|sin|tampoco",
    "pt": r"não|nunca|jamais|nenhum|nenhuma|ninguém|nada|nem|sem",
    "it": r"non|mai|nessuno|nessuna|niente|nulla|né|senza",
    "nl": r"niet|geen|nooit|niemand|niets|noch|zonder",
    "tl": r"hindi|wala|walang|huwag",
    "ru": r"не|нет|никогда|никто|ничего|ни|без",
    "uk": r"не|ні|ніколи|ніхто|нічого|без",
}
_NEGATION_OF = {
    lang: words if isinstance(words, re.Pattern) else re.compile(rf"\b(?:{words})\b", re.I)
    for lang, words in _NEGATIONS.items()
}


def negates(text: str, language: str | None = None) -> bool:
    """Whether a text says "not" in the story's `language` (an ISO 639-1 code; English when
    not known or not listed)."""
    return _NEGATION_OF.get(language or "en", _NEGATION).search(text) is not None


# "Without" denies what follows it, not the clause's act: "<official> was seen at the salon
# without wearing a mask" still says she was seen, and tells no "not" against "<official> says
# the salon set her up"; "the bill passed without <senator>'s vote" does against "<senator>
# voted for the bill". Read up to `_WITHOUT_SPAN` words after it, to a punctuation mark or
# "and"/"or"/"but".
_WITHOUT = {"en": "without", "de": "ohne", "fr": "sans", "es": "sin", "pt": "sem",
            "it": "senza", "nl": "zonder", "ru": "без", "uk": "без"}  # fmt: skip
_WITHOUT_SPAN = 4
_WITHOUT_END = re.compile(r"[^\w\s'’-]|\b(?:and|or|but)\b", re.I)


def negates_against(text: str, other_text: str, language: str | None = None) -> bool:
    """Whether a text says "not" (`negates`, in the story's `language`) of something
    `other_text` may tell: a "without" (`_WITHOUT`) counts only when a fact term of the
    words it governs is one of `other_text`'s ("without the senator's vote" against "the
    senator voted for it"), or `other_text` tells an act the text does not (`_acts`: "left
    without paying" against "paid before she left", whose "paid" no stem meets); "filmed without
    a mask, and it set her up" against "the salon set her up" does not."""
    without = _WITHOUT.get(language or "en", "without")
    acts_within: bool | None = None  # (worked out at the first "without" that needs it)
    for match in _NEGATION_OF.get(language or "en", _NEGATION).finditer(text):
        if match.group().casefold() != without or _without_told(text, match.end(), other_text):
            return True
        if acts_within is None:
            acts_within = _acts(other_text).keys() <= _acts(text).keys()
        if not acts_within:
            return True
    return False


def _without_told(text: str, at: int, other_text: str) -> bool:
    """Whether `other_text` holds a fact term of the words a "without" ending at `at`
    governs, or one of which the other is the start ("vot" of "voted", "vote")."""
    rest = text[at:]
    end = _WITHOUT_END.search(rest)
    governed = fact_terms(" ".join((rest[: end.start()] if end else rest).split()[:_WITHOUT_SPAN]))
    if not governed:
        return False
    theirs = fact_terms(other_text)
    return any(
        t == o or (min(len(t), len(o)) >= 3 and (t.startswith(o) or o.startswith(t)))
        for t in governed
        for o in theirs
    )


TELLS_MORE = 0.75  # weighted share of a chosen bullet's terms that a sentence telling it holds


def tells_more(
    text: str,
    terms: frozenset[str],
    other_text: str,
    other: frozenset[str],
    said: set[str],
    weights: Mapping[str, float],
    *,
    language: str | None = None,
) -> bool:
    """Whether a candidate (`text`, its `fact_terms` `terms`) tells a chosen bullet's fact
    (`other_text`, its fact terms `other`) and more: it holds at least `TELLS_MORE` of the
    bullet's weighted terms itself (`coverage`; the headline's do not count, or a bullet
    repeating the headline would be told by any sentence on the story), neither says "not"
    (`negates`, in the story's `language`),
    and it states a figure or names someone (a name inside the sentence none of whose words
    is in the bullet or `said`, the headline's terms) that the bullet does not. "<striker> is one
    of three players who tested positive, after a holiday in <island>" tells "Three players
    tested positive" and who: it takes that bullet's place."""
    if len(terms & other) < RESTATES_MIN or coverage(other, set(terms), weights) < TELLS_MORE:
        return False
    if _other_numbers(terms, other):
        return False  # ("Level 3" does not tell "Level 4")
    if negates(text, language) or negates(other_text, language) or opposed(text, other_text):
        return False
    return _tells_new(text, terms, said | other)


def _tells_new(
    text: str, terms: frozenset[str], known: AbstractSet[str], *, loosely: bool = False
) -> bool:
    """Whether a sentence (`text`, its fact terms `terms`) states a figure, a name with its
    number or a name inside it (none of whose words is in `known`, fact terms) that `known`
    lacks. `loosely`: an age after a name ("<name>, 35,") is no figure, and a capitalised
    word joined to a lower-case one ("Soviet-era") describes rather than names."""
    return _states_new_figure(text, terms, known, loosely=loosely) or _names_new(
        text, known, loosely
    )


def _states_new_figure(
    text: str, terms: frozenset[str], known: AbstractSet[str], *, loosely: bool = False
) -> bool:
    """Whether a sentence (`text`, its fact terms `terms`) states a figure that `known` (fact
    terms) does not say, even nearly (`_near`), or a name with its number it lacks ("Level 3"
    after "Level 4"): a fact of its own. `loosely`: an age after a name is no figure."""
    if states_figure(terms, known, set(_AGE.findall(text)) if loosely else frozenset()):
        return True
    return any(_names_a_number(t) and t not in known for t in terms)


# --- one fact told again in few shared words: the same who, the same news --------------------

RETELLS = 0.3  # share of the smaller one's terms that two bullets telling one fact share
RETELLS_NEWS = 0.4  # share of one title's terms that each of the two holds
RETELLS_EVENT = 2  # ... and this many of that title's words in lower case that both hold
RETELLS_LONGER = 1.5  # the candidate at most this many times as long as the bullet
# Words in quotation marks: a statement of its own ("'s" and "s'" are not quotes).
_QUOTED = re.compile(r"(?:^|(?<=[\s(\[:,;]))[\"“‘']([^\"“”‘’]{3,}?)[\"”’'](?![A-Za-z])")
# An age after a name ("<name>, 35, and <name>, 39, have ...") is no figure of the story.
_AGE = re.compile(r"(?<=[A-Za-z]), (\d{1,3}),")
# A capitalised word joined to a lower-case one describes ("Soviet-era", "<city>-based").
_DESCRIBING = re.compile(r"[A-Z][\w'’]*-[a-z]")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]*")


def _event_words(text: str, title: bool = False) -> set[str]:
    """The terms of a text's words written in lower case, what happens rather than who
    (in a `title`, of all its words: titles capitalise words of either kind): stemmed twice
    ("coverings", "covering" and "cover" meet), in American spelling, cut to `PREFIX`
    characters; words of three letters or fewer left out."""
    found: set[str] = set()
    for word in _LOWER_WORD.findall(text.lower() if title else text):
        for part in word.split("-"):
            part = part.replace("’", "'").split("'")[0]
            if len(part) > 3 and part not in STOPWORDS:
                found.add(american(stem(stem(part)))[:PREFIX])
    return found


def retells(
    text: str,
    terms: frozenset[str],
    other_text: str,
    other: frozenset[str],
    headline: AbstractSet[str],
    titles: Sequence[tuple[str, frozenset[str]]],
    *,
    language: str | None = None,
) -> bool:
    """Whether a candidate (`text`, its fact terms `terms`) tells a chosen bullet's fact
    (`other_text`, `other`) again in words of its own, sharing less than `restates` asks:

    - the same news: one of the story's `titles` (text and fact terms) of which each holds
      `RETELLS_NEWS` of the terms, and `RETELLS_EVENT` of its words in lower case both
      hold ("<mayor> says riders should wear seat belts in taxis": "there may be some
      benefit in wearing a seat belt in taxis" and "now advising people to use seat belts in
      taxis");
    - the same who: each name in it is in the bullet, the `headline` or one of the story's
      `titles`, which its source list shows (a capitalised word joined to a lower-case one,
      "Soviet-era", describes);
    - no figure the two lack (an age after a name is none), no words quoted that the bullet
      does not quote, no "not" that the other lacks (`negates`, in the story's `language`:
      "nicht", "kein" in German; a bullet's "without" only against what it governs,
      `negates_against`), and not half as long again;
    - at least `RETELLS` of the smaller one's terms in common (`RESTATES_MIN` or more).
    What such a sentence adds (who said it where, a description, other words for the same
    act) is no fact a subscriber misses; a reason, a reaction or a quote is, and is kept."""
    shared = len(terms & other)
    if shared < RESTATES_MIN or shared < RETELLS * min(len(terms), len(other)):
        return False
    if len(text.split()) > RETELLS_LONGER * len(other_text.split()):
        return False  # (much longer: it tells more than the bullet, a reason, a list)
    news = [
        title_text
        for title_text, title in titles
        if len(title) >= RESTATES_MIN
        and len(title & terms) >= RETELLS_NEWS * len(title)
        and len(title & other) >= RETELLS_NEWS * len(title)
    ]
    if not news:
        return False
    if negates(text, language) != negates_against(other_text, text, language):
        return False  # (the bullet's "without" it does not tell: no "not" against it)
    if opposed(text, other_text):
        return False
    if any(q not in other_text for q in _QUOTED.findall(text)):
        return False  # (words quoted: a statement of its own)
    known = headline | other
    named = set(known).union(*(title for _, title in titles))
    if _states_new_figure(text, terms, known, loosely=True) or _names_new(
        text, named, loosely=True
    ):
        return False  # (a name the story's titles tell is on its page: no one new)
    both = _event_words(text) & _event_words(other_text)
    return len(both) >= RETELLS_EVENT and any(
        len(both & _event_words(title, title=True)) >= RETELLS_EVENT for title in news
    )


def fact_term(token: str) -> str:
    """A token as `fact_terms` files it (American spelling, cut to `PREFIX` letters)."""
    return _term(token)


def with_figures(text: str) -> str:
    """`text` as `fact_terms` reads its figures (`_normalised`), and a number word before
    punctuation as digits too ("rose to five." → "rose to 5.")."""
    return _SPELT.sub(_spelt, _normalised(text))


def inner_names(text: str) -> list[str]:
    """The names inside `text` as `restates` reads them: capitalised runs after a word."""
    return [match.group() for match in _INNER_NAME.finditer(text)]


# --- one fact in other words: a paraphrase one bullet holds ---------------------------------

PARAPHRASE_MIN = 3  # loose terms a sentence and the one telling its fact have in common
PARAPHRASE_SPARE = 6  # loose terms from which one may be missing from the other (not an act)
LOOSE = 5  # characters of a term that identify it loosely ("drainage" meets "drain")

# Words outlets use for one act or thing, each group read as its first word. Small and
# general by design: a synonym of one sense only, so two different acts stay apart
# ("fired" is left out: sacked, or a gun).
_SAME_WORDS = (
    "resign resigned resigns resignation quit quits stepped",
    "hit hits struck strike strikes",
    "home homes house houses",
    "arrest arrested arrests detained custody",
    "dismiss dismissed threw thrown tossed",
    "start started starts began begin begins",
    "launch launched launches unveiled unveils introduced introduces debuted debuts",
    "big large huge massive",
    "buy bought buys purchase purchased acquired acquire acquires",
    "child children kids kid",
    "car cars vehicle vehicles",
    "rise rose rises risen increased increase climbed grew surged jumped",
    "fall fell falls fallen declined plunged slumped",
    "ban banned bans prohibited barred",
    "warn warned warns warning cautioned",
    "missing disappeared vanished",
    "problem problems issue issues bug bugs glitch glitches flaw flaws",
    "deal deals agreement agreements accord",
    "study studies research researchers",
    "jail prison",
    "die died dies dead death",
)
# Words that say who told the fact, not the fact: left out of the comparison.
_ATTRIBUTION = ("say", "says", "said", "tell", "tells", "told", "according", "added", "noted")
_WHEN = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow "
    "january february march april may june july august september october november december".split()
)


def _loose_map() -> dict[str, str]:
    """Fact term -> loose term of each word of `_SAME_WORDS` ("" for `_ATTRIBUTION`)."""
    table: dict[str, str] = {}
    for group in _SAME_WORDS:
        first, *rest = group.split()
        for word in (first, *rest):
            table[_term(stem(word))] = _term(stem(first))[:LOOSE]
    for word in _ATTRIBUTION:
        table[_term(stem(word))] = ""
    return table


_LOOSE = _loose_map()
_WHEN_TERMS = frozenset(_term(stem(w)) for w in _WHEN)
# The month "May" inside a sentence: "may" is a stopword, no fact term.
_MAY = re.compile(r"(?<=[\w,] )May\b")


def _when(text: str, terms: frozenset[str]) -> frozenset[str]:
    """The days and months a sentence (`text`, its fact terms `terms`) gives."""
    when = terms & _WHEN_TERMS
    if "May" in text and _MAY.search(text):
        when |= {"may"}
    return when


# Past forms of verbs that do not end in "-ed", and words after which a verb's plain form
# stands: a word that may be the act a sentence reports.
_PAST = frozenset(
    "won lost hit quit left went came made took gave found held met ran fell rose sent set "
    "paid built bought sold led began broke chose drove flew fought got grew kept knew laid "
    "let put rode sank saw shot shut sat spent stood stole struck swore threw wore wrote "
    "became brought caught dug fled forgot froze hung lit meant sought slid sped spoke "
    "split spread sprang stuck stung swept swam taught tore told thought understood woke".split()
)
_BEFORE_VERB = frozenset("will would to could can may might must should shall did does do".split())


def _an_act(text: str, term: str) -> bool:
    """Whether a loose term of `text` comes from a word that may be its verb: a past form
    ("-ed", "won"), or a plain form after "will", "to", "did" …. "The minister resigned on
    Tuesday" is no paraphrase of "The minister denied on Tuesday …", whatever else both say."""
    return term in _acts(text)


# Words after which a verb's plain form tells what may, will or is to happen, not what did.
_NOT_DONE = _BEFORE_VERB - {"did", "does", "do"}


def _acts(text: str) -> dict[str, set[bool]]:
    """The loose terms of `text`'s words that may be its verbs (`_an_act`), each with whether
    it tells what happened (a past form, or after "did") or what may or is to (after "to",
    "will", "may" …): True, False or both."""
    found = words(text)
    acts: dict[str, set[bool]] = {}
    for n, word in enumerate(found):
        before = found[n - 1] if n else ""
        if before in _BEFORE_VERB:
            done = before not in _NOT_DONE
        elif word.endswith("ed") or word in _PAST:
            done = True
        else:
            continue
        term = _loose_of(word)
        if term:
            acts.setdefault(term, set()).add(done)
    return acts


def adds_act(text: str, loose: frozenset[str], other_loose: frozenset[str]) -> bool:
    """Whether a sentence (`text`, its `loose_terms` `loose`) holds a word that may be a verb
    (`_an_act`) among its loose terms that another's (`other_loose`) lacks: an act of its
    own ("lost", "refused", "received") beside or instead of the other's."""
    extra = loose - other_loose
    return bool(extra) and not extra.isdisjoint(_acts(text))


def _loose_of(word: str) -> str:
    """A word's loose term ("" for a word of attribution)."""
    return _loose_term(_term(stem(word)))


def loose_terms(terms: frozenset[str]) -> frozenset[str]:
    """A sentence's fact terms read loosely: a figure's unit term left out, a word of
    `_SAME_WORDS` as its group's first word, others cut to `LOOSE` characters, words of
    attribution ("said", "told") dropped. "The minister resigned on Tuesday" and "On
    Tuesday the minister stepped down" give the same ones."""
    return frozenset(filter(None, map(_loose_term, terms)))


_LOOSE_TERMS: dict[str, str] = {}  # (memo: fact term -> loose term, "" for none)


def _loose_term(term: str) -> str:
    """A fact term's loose term: "" for a figure's unit term or a word of attribution."""
    loose = _LOOSE_TERMS.get(term)
    if loose is None:
        if len(_LOOSE_TERMS) > _TERMS_MAX:
            _LOOSE_TERMS.clear()
        if term[0] in "=~":
            loose = ""
        else:
            loose = _LOOSE.get(term)
            if loose is None:
                loose = term if term.isdigit() else term[:LOOSE]
        _LOOSE_TERMS[term] = loose
    return loose


def paraphrases(
    text: str,
    terms: frozenset[str],
    loose: frozenset[str],
    other_text: str,
    other: frozenset[str],
    other_loose: frozenset[str],
    said: AbstractSet[str],
) -> bool:
    """Whether a sentence (`text`, its fact terms `terms` and `loose_terms` `loose`) tells
    nothing that another (`other_text`, `other`, `other_loose`) does not, in other words:
    the other holds each of its loose terms (`PARAPHRASE_MIN` or more in common), or all but
    one of `PARAPHRASE_SPARE` or more that is no verb (`_an_act`: "safety" may go, "denied"
    may not); it states no figure the other lacks and names no one that `said` (fact terms,
    the other's among them) lacks, gives no day or month the other contradicts, and says
    "not" only if the other does; and each word of it that may be a verb (`_acts`) and tells
    what happened is one of the other's too, telling it alike ("resigned" is not told by
    "refused to resign", nor "died" by "death threats"). "The minister resigned on Tuesday
    after the report" tells nothing that "On Tuesday, the minister stepped down following
    the report's publication" does not; "The minister resigned on Wednesday …", "The
    minister denied on Tuesday that the report …" and "The minister resigned over 3
    reports" tell something else."""
    if len(loose & other_loose) < PARAPHRASE_MIN:
        return False
    missing = loose - other_loose
    if missing and (
        len(missing) > 1 or len(loose) < PARAPHRASE_SPARE or _an_act(text, next(iter(missing)))
    ):
        return False
    when, other_when = _when(text, terms), _when(other_text, other)
    if when and other_when and when.isdisjoint(other_when):
        return False
    if bool(_NEGATION.search(text)) != bool(_NEGATION.search(other_text)):
        return False
    if opposed(text, other_text):
        return False
    other_acts = _acts(other_text)
    for term, done in _acts(text).items():
        if term not in loose:
            continue
        moods = other_acts.get(term)
        if moods is None and True in done:
            return False  # (what it did is a noun of the other: "died", "death threats")
        if moods is not None and done.isdisjoint(moods):
            return False  # (it happened in one, may or is to in the other: "to resign")
    if _states_new_figure(text, terms, other):
        return False  # (three dead is not told by five dead, whoever else says three)
    return not _tells_new(text, terms, said)
