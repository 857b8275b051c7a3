"""Plain text split into sentences, not breaking after abbreviations or initials. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .tokens import STOPWORDS

# Titles before a name: a period after them never ends a sentence.
_TITLES = frozenset(
    "mr mrs ms mx dr prof sr jr st mt gov sen rep gen col lt sgt capt cmdr adm maj cpl pvt pres "
    "supt det insp rev hon fr messrs mme mlle sra sr srta".split()
)
# Before a number: "No. 10", "Jan. 5", "Fig. 3", "Vol. 2".
_BEFORE_NUMBER = frozenset(
    "no nos vol fig figs art p pp ch sec para op jan feb mar apr jun jul aug sep sept oct nov dec "
    "approx nr".split()
)
# Never sentence-final in news text (German's "bzw.", "vgl.", "sog." as well).
_NEVER_FINAL = frozenset("e.g i.e cf vs v viz ca bzw vgl sog ggf inkl evtl zzgl bspw".split())
# May end a sentence, but usually does not ("U.S. officials", "5 p.m. Friday", "Apple Inc. said",
# "Kawanishi et al. 2010").
_ABBREVIATIONS = frozenset(
    "u.s u.k u.n u.s.a e.u a.m p.m etc inc ltd co corp llc plc bros dept est ft approx univ assn "
    "al jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat "
    "sun mio mrd usw".split()
)
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
# A Latin stop before a space and a capital, a digit or a letter of a caseless script (Arabic,
# Hebrew, Devanagari, CJK), perhaps after an opening mark (a quote, "„", "«" and a space or
# not, Spanish's "¿" and "¡"); or a stop of a script that has its own (Urdu "۔", Arabic "؟",
# Devanagari "।", CJK "。"), which needs no space after it.
# The Latin alternative's runs are possessive: giving back a stop, a closer or a space could
# never let it match (the character given back would have to be a space, or a word's first),
# and backtracking into them took time quadratic in a run ("!!!…", a stop's run then quotes).
_SENTENCE_END = re.compile(
    r"""([.!?…]++["'”’»)\]]*+)\s++(?=(?:["'“‘„(\[¿¡]|«\s?)?([^\W_]|[\#@](?=\w)))"""
    r"""|([۔؟।॥。！？]+["'”’)\]」』]*)\s*(?=\S)"""
)
# A lower-case word after a stop goes on the sentence ("5 p.m. on Friday"), but for a link: a
# post's "… flooding. https://…" (a hashtag or a mention, "#floods", "@editor", after a stop
# is read as a capital is).
_LINK_STARTS = ("http://", "https://", "www.")
# A character `_SENTENCE_END` can start at (each alternative opens with one). `re` tries a
# pattern opening with a group at every character; this class it scans for in one loop, and
# the full pattern is tried only where one stands (the same matches as its `finditer`).
_STOP_CHAR = re.compile(r"[.!?…۔؟।॥。！？]")
# A run of one alternative's stops: where the pattern fails at a run's first stop, it fails
# at each later one too (what follows the run is the same), so the scan goes on after it.
_STOP_RUN = re.compile(r"[.!?…]+|[۔؟।॥。！？]+")
_NEXT_WORD = re.compile(r"""(?:["'“‘„(\[¿¡]|«\s?)?([^\s"'”’»)\]]+)""")
# A number's period is an ordinal's where a language writes one so ("3. Dezember", "am 3.
# September", "der 2. Weltkrieg", "5. maj"): before a month's name English does not write
# too, or after a word that comes before an ordinal (German's articles, "am", "ab", "bis", …).
_ORDINAL_MONTHS = frozenset(
    "januar jänner februar feber märz mai juni juli oktober dezember marts maj desember".split()
)
_BEFORE_ORDINAL = frozenset("am im vom zum zur beim dem den der des die das ab bis seit".split())
_NUMBER = re.compile(r"\d{1,3}")  # (not a year: "bis 2030. Die …" ends there)
# Capitalised words that start sentences but rarely follow an abbreviation inside one.
_STARTERS = frozenset(
    "but and so yet however meanwhile still also then now later earlier instead in on at for "
    "after before when while if as by from with "
    # German's articles and demonstratives ("5 Mio. Die Firma …", "usw. Der Markt …")
    "der die das den dem des ein eine einer eines dieser diese dieses zudem jedoch danach".split()
)


def _is_boundary(word: str, next_word: str, previous: str = "") -> bool:
    """Whether a period after `word` (lower-cased, dots kept inside; `previous` the word
    before it) ends the sentence; of words joined by a slash, the last is read ("South
    Korea/U.S. Combined Forces")."""
    word = word.rstrip(".").rpartition("/")[2]
    next_plain = next_word.rstrip(".,;:!?").lower()
    starts_sentence = next_plain in STOPWORDS or next_plain in _STARTERS
    # (after "am" or "die" only before a word no English sentence starts with: "I am 25. I …")
    if _NUMBER.fullmatch(word) and (
        next_plain in _ORDINAL_MONTHS or (previous in _BEFORE_ORDINAL and not starts_sentence)
    ):
        return False
    if word in _TITLES or word in _NEVER_FINAL:
        return False
    if word in _BEFORE_NUMBER and next_word[:1].isdigit():
        return False
    if word in _ABBREVIATIONS:
        return starts_sentence
    if _INITIALS.fullmatch(word):
        # "J.K. Rowling", "George W. Bush", "A. A. Milne"; but "in the U.S. The ..." splits.
        return starts_sentence and not _INITIALS.fullmatch(next_word.rstrip("."))
    return True


_WIDE_QUOTE_CHARS = 300  # how far on a quote's close is looked for; further, it was left open


def _inside_wide_quote(paragraph: str, start: int, end: int) -> bool:
    """Whether a 「 or 『 opened since `start` is still open at `end` and closes later on
    (before another opens)."""
    for a, b in ("「」", "『』"):
        if paragraph.count(a, start, end) > paragraph.count(b, start, end):
            close = paragraph.find(b, end, end + _WIDE_QUOTE_CHARS)
            if close >= 0 and paragraph.find(a, end, close) < 0:
                return True
    return False


def _sentence_ends(paragraph: str) -> Iterator[re.Match[str]]:
    """`_SENTENCE_END.finditer(paragraph)`: the pattern tried only at stop characters."""
    find, match_at = _STOP_CHAR.search, _SENTENCE_END.match
    hit = find(paragraph)
    while hit is not None:
        match = match_at(paragraph, hit.start())
        if match is None:  # (a stop stands there: its run always matches)
            run = _STOP_RUN.match(paragraph, hit.start())
            hit = find(paragraph, run.end() if run else hit.start() + 1)
        else:
            yield match
            hit = find(paragraph, match.end())


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences, not breaking after common abbreviations or initials.

    Paragraphs (newlines) always end a sentence; a period inside a number ("5.5%") never does.
    """
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[str]:
    """`split_sentences`, one at a time (a caller that needs only the first few stops early)."""
    for paragraph in text.split("\n"):
        start = 0
        for match in _sentence_ends(paragraph):
            if match.group(3) is not None:  # a script's own stop ends the sentence, unless it
                end = match.end(3)  # stands inside a Chinese or Japanese quote: 「…。…」
                if _inside_wide_quote(paragraph, start, end):
                    continue
            elif match.group(2).islower() and not paragraph.startswith(
                _LINK_STARTS, match.start(2)
            ):  # "... 5 p.m. on Friday", "the U.S. economy"
                continue
            else:
                end = match.end(1)
                stop = match.group(1)
                if stop.startswith(".") and len(stop.rstrip("\"'”’)]")) == 1:
                    before = paragraph[start : match.start(1)].rsplit(None, 2)
                    last_word = before[-1] if before else ""
                    word = last_word.lower().lstrip("(\"'“‘[")
                    previous = before[-2].lower() if len(before) > 1 else ""
                    following = _NEXT_WORD.match(paragraph, match.end())
                    if not _is_boundary(word, following.group(1) if following else "", previous):
                        continue
            sentence = paragraph[start:end].strip()
            if sentence:
                yield sentence
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            yield tail
