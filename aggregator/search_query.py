"""A user's search as the index asks it: words, phrases, words left out and alternatives.

Pure. `parse_query` reads a small web-search grammar (words; "a phrase" in double quotes;
-word and -"a phrase" to leave stories out; OR between two words or phrases) and writes an
FTS5 expression of its own, every word quoted: nothing the user types reaches FTS5 as its
syntax (NEAR, columns, stars and carets are words or nothing). The index keeps which stories
hold a word, not where (`detail=none`), so it finds the stories that have a phrase's words;
whether they stand together is checked on the stories' text (`Query.holds`), folded as the
index folds it (`folded`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .arabic_script import bare_arabic
from .cjk_script import cjk_pairs, has_cjk

__all__ = ["MAX_TERMS", "Query", "fold_word", "folded", "match_expression", "parse_query"]

MAX_TERMS = 10  # words of a query that count; the rest are left out
MAX_TERM = 64  # characters of one word
# A query's parts: a phrase in double quotes (the closing one may be left off), else a run of
# anything but space; either may start with "-" (left out).
_PARTS = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
Phrase = tuple[str, ...]
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
_DIACRITICS = re.compile("[\u0300-\u036f]")  # combining diacritical marks (after NFKD)


@dataclass(frozen=True, slots=True)
class Query:
    """`expression` finds the stories that may match; each of `phrases` (folded words, in
    order) must stand in a matching story as written, and none of `unwanted`."""

    expression: str
    phrases: tuple[Phrase, ...] = ()
    unwanted: tuple[Phrase, ...] = ()
    # the words asked for (folded), each with whether it also stands for the words it begins
    wanted: tuple[tuple[str, bool], ...] = ()

    @property
    def checked(self) -> bool:
        """Whether the stories found must be read to tell (`holds`)."""
        return bool(self.phrases or self.unwanted)

    def marks(self, text: str) -> list[tuple[str, bool]]:
        """`text` in pieces, each with whether it is a word asked for (`wanted`), to show
        where a story matched; [(text, False)] when none is."""
        pieces: list[tuple[str, bool]] = []
        at = 0
        for match in _WORD.finditer(text):
            word = fold_word(match[0])
            if any(word == w or (prefix and word.startswith(w)) for w, prefix in self.wanted):
                if match.start() > at:
                    pieces.append((text[at : match.start()], False))
                pieces.append((match[0], True))
                at = match.end()
        if at < len(text):
            pieces.append((text[at:], False))
        return pieces

    def holds(self, texts: Sequence[str]) -> bool:
        """Whether a story whose indexed texts (headline, bullets, sources' titles) are
        `texts` has every phrase and no unwanted one; a phrase never spans two texts."""
        if not self.checked:
            return True
        words = [folded(text) for text in texts]
        return all(_within(p, words) for p in self.phrases) and not any(
            _within(p, words) for p in self.unwanted
        )


@dataclass(frozen=True, slots=True)
class _Clause:
    left_out: bool
    phrase: bool
    words: list[str]

    def term(self) -> str:
        """The clause for the index: each of its words (a phrase's, or a token's several:
        "EU's"); a wanted word of three letters or more outside quotes also as the start of a
        longer one ("vaccin": vaccination), a word in quotes or left out as written."""
        exact = self.phrase or self.left_out
        quoted = [
            f'"{w}"*'
            if len(w) == 1 and has_cjk(w)
            else f'"{w}"'
            if exact or len(w) < 3
            else f'"{w}"*'
            for w in self.words
        ]  # (a Chinese or Japanese character alone: the pairs it begins, `cjk_pairs`)
        unique = list(dict.fromkeys(quoted))
        return unique[0] if len(unique) == 1 else "(" + " AND ".join(unique) + ")"

    def folded(self) -> Phrase:
        return tuple(folded(" ".join(self.words)))


def _clauses(query: str) -> tuple[list[_Clause], set[int]]:
    """The query's clauses (`MAX_TERMS` words at most), and which of them follow an `OR`
    that joins them to the clause before (both wanted). The query is read composed (NFC): a
    letter and its accent written apart ("n" + U+0303, as macOS may send "ñ") had split the
    word, and nothing matched."""
    import unicodedata

    clauses: list[_Clause] = []
    joined: set[int] = set()
    terms = 0
    for match in _PARTS.finditer(unicodedata.normalize("NFC", query)):
        left_out, phrase = bool(match[1] or match[3]), match[2] is not None
        text = match[2] if phrase else match[4]
        if not phrase and not left_out and text == "OR":
            if clauses and not clauses[-1].left_out:
                joined.add(len(clauses))
            continue
        words = [w[:MAX_TERM] for w in words_of(text)][: MAX_TERMS - terms]
        if not words:
            continue
        terms += len(words)
        clauses.append(_Clause(left_out, phrase, words))
        if terms == MAX_TERMS:
            break
    return clauses, {i for i in joined if i < len(clauses) and not clauses[i].left_out}


def parse_query(query: str) -> Query | None:
    """A user's query as an index query, or None when it wants no word (nothing, signs
    only, or only words left out). Every word must be in a story; words in double quotes
    are a phrase, in that order; `-word` or `-"a phrase"` leaves out the stories that have it;
    `OR` between two words or phrases takes either (a phrase among alternatives is then
    found by its words)."""
    clauses, joined = _clauses(query)
    groups: list[list[_Clause]] = []
    for i, clause in enumerate(clauses):
        if clause.left_out:
            continue
        if i in joined and groups:
            groups[-1].append(clause)
        else:
            groups.append([clause])
    if not groups:
        return None
    wanted = []
    for group in groups:
        terms = list(dict.fromkeys(c.term() for c in group))
        wanted.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
    expression = " AND ".join(dict.fromkeys(wanted))
    # a word left out is left out by the index; a phrase, on the text (all stories with its
    # words would be too many)
    left_out = [c.term() for c in clauses if c.left_out and len(c.words) == 1]
    if left_out:
        expression = f"({expression}) NOT ({' OR '.join(dict.fromkeys(left_out))})"
    # phrases asked alone (not among alternatives), and those left out
    phrases = [g[0].folded() for g in groups if len(g) == 1 and g[0].phrase and len(g[0].words) > 1]
    unwanted = [c.folded() for c in clauses if c.left_out and len(c.words) > 1]
    asked = {
        (fold_word(word), not clause.phrase and len(word) >= 3): None
        for clause in clauses
        if not clause.left_out
        for word in clause.words
    }
    return Query(
        expression, tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(unwanted)), tuple(asked)
    )


def match_expression(query: str) -> str | None:
    """The FTS5 expression of a user's query (`parse_query`), or None when it wants no word."""
    parsed = parse_query(query)
    return parsed.expression if parsed is not None else None


def words_of(text: str) -> list[str]:
    """The words of `text` as the index's tokenizer (`unicode61`) splits text: runs of
    letters, digits and private-use characters (categories L*, N*, Co); all else separates,
    marks too. Folding case and diacritics is left to the tokenizer, which reads the quoted
    words as it read the stories."""
    import unicodedata  # (a search's own: not loaded by the writer's upkeep)

    words, word = [], []
    for char in bare_arabic(text):  # (Arabic words as the index holds them: `bare_arabic`)
        kind = unicodedata.category(char)
        if kind[0] in "LN" or kind == "Co":
            word.append(char)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    # Chinese and Japanese as the index holds them: pairs of characters (`cjk_pairs`)
    return [pair for w in words for pair in cjk_pairs(w).split()] if has_cjk(text) else words


def folded(text: str) -> list[str]:
    """`text`'s words as the index holds them, near enough to tell a phrase: split where a
    letter or digit ends (marks and "_" separate, as `unicode61` splits), diacritics taken off
    and case folded ("Zürich" → "zurich"). Whole-string operations, so reading the 2,000
    stories a phrase may ask for stays quick."""
    import unicodedata

    bare = _DIACRITICS.sub("", unicodedata.normalize("NFKD", bare_arabic(text)))
    return _WORD.findall(cjk_pairs(bare.casefold()))


def fold_word(word: str) -> str:
    """One word as `folded` folds it."""
    import unicodedata

    return _DIACRITICS.sub("", unicodedata.normalize("NFKD", bare_arabic(word))).casefold()


def _within(phrase: Phrase, texts: Sequence[list[str]]) -> bool:
    """Whether the words of `phrase` follow one another in one of `texts`."""
    n, first = len(phrase), phrase[0]
    return any(
        tuple(words[i : i + n]) == phrase
        for words in texts
        for i, word in enumerate(words)
        if word == first
    )
