"""Words and content tokens for matching: stopwords, a light stemmer, acronyms, a memo. Pure."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

from .arabic_script import bare_arabic, has_arabic
from .cjk_script import CJK_RUN, has_cjk

STOPWORDS = frozenset(
    """a about above after again against all also am amid an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just may me might more most must my myself new no nor not now
    of off on once one only or other our ours ourselves out over own said same say says
    shall she should so some such than that the their theirs them themselves then there
    these they this those through to too two under until up us very via was we were what
    when where which while who whom why will with within without would you your yours
    yourself yourselves""".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# `_WORD` on ASCII text: letters and digits as ranges, which `re` tests by a table look-up
# where a category asks about each character in turn (the same matches, ~30% faster)
_ASCII_WORD = re.compile(r"[a-zA-Z0-9]+(?:'[a-zA-Z0-9]+)*")


# After a sibilant (sh, ch, x, ss) a plural or a verb's -s is written -es, and both letters
# go: "crashes", "launches", "taxes", "passes" are "crash", "launch", "tax", "pass", as their
# -ed and -ing forms are. A word whose own e follows such a sibilant ("cache", "niche",
# "headache", "impasse", "axe") loses it, so it meets its plural ("caches" → "cach"), its -ed
# form already stemmed so ("cached"). -zes and -oes keep their e ("prizes", "shoes").
_SIBILANT_ES = ("shes", "ches", "xes", "sses")
_SIBILANT_E = ("che", "sse", "xe")
# -sse words of five letters keep their e: most are names or foreign words that an -ss word
# would meet ("Jesse" "Jess", "Hesse" "Hess", "masse" "mass"), with no plural to meet.
_SHORTEST_SSE = 6


def _own_e_after_sibilant(word: str) -> bool:
    """Whether a word ends in an e of its own after a sibilant (`_SIBILANT_E`)."""
    if not word.endswith(_SIBILANT_E) or word in _SIBILANT_E:
        return False  # (the ending alone, "che", is a word, not an ending)
    return len(word) >= _SHORTEST_SSE or not word.endswith("sse")


# Plurals that are no singular plus s. A noun in -o may take -es ("heroes", "tornadoes",
# "potatoes", "vetoes", "echoes") and loses both letters, as its -ed form already did
# ("vetoed" → "veto"); the nouns in -oe keep their e ("shoes", "toes", "canoes" → "shoe",
# "toe", "canoe"), and so do words of four letters ("goes", "does", "woes").
_OE_NOUNS = frozenset(
    "shoe toe foe hoe roe doe woe canoe oboe floe sloe aloe throe tiptoe mistletoe backhoe"
    " felloe pekoe faroe".split()
)
# A noun in -is makes its plural -es: "crises", "analyses", "theses", "diagnoses" are
# "crisis", "analysis", "thesis", "diagnosis". Only endings no other plural has: "bases"
# (base or basis), "axes" (axe or axis) and "ellipses" stay as they were.
_IS_PLURALS = ("crises", "yses", "theses", "gnoses", "choses")
# A noun in -us makes its plural -uses ("viruses", "bonuses", "campuses", "focuses",
# "geniuses" → "virus", …). Words in -use after a, e or o ("cause", "house", "reuse") keep
# their e and their plurals lose the s; after another letter a word of five letters or more
# loses its e ("abuse", "excuse", "accuse", "confuse" → "abus", …) to meet its plural and its
# -ed and -ing forms, which lost it already ("abused" → "abus"). Shorter ones ("fuse", "muse",
# "buses") stay as they were: grouping puts the e back on "fused" ("fuse").
_SHORTEST_US_PLURAL = 6
_USE_KEEPS_E = "aeo"


def _irregular_plural(word: str) -> str | None:
    """The stem of an -oes, -es for -is, or -uses plural (see above); None for other words."""
    if word.endswith("oes"):
        if len(word) > 4 and word[:-1] not in _OE_NOUNS and not word.endswith("shoes"):
            return word[:-2]
        return None
    if word.endswith(_IS_PLURALS):
        return word[:-2] + "is"
    if word.endswith("uses") and len(word) >= _SHORTEST_US_PLURAL and word[-5] not in _USE_KEEPS_E:
        return word[:-2]
    return None


def _own_e_after_us(word: str) -> bool:
    """Whether a word ends in an -use whose e goes (see `_SHORTEST_US_PLURAL`)."""
    return (
        word.endswith("use")
        and len(word) >= _SHORTEST_US_PLURAL - 1
        and word[-4] not in _USE_KEEPS_E
    )


@functools.lru_cache(maxsize=1 << 16)  # a word stems the same every time; vocabularies are small
def stem(word: str) -> str:
    """A deliberately light stemmer: folds plurals (English's irregular ones too,
    `_irregular_plural`) and a few verb endings."""
    if word.endswith("es") and (irregular := _irregular_plural(word)) is not None:
        return irregular
    if _own_e_after_us(word):
        return word[:-1]
    return regular_stem(word)


def regular_stem(word: str) -> str:
    """`stem` without English's irregular plurals, for text in another language: French's
    "crise" / "crises" and Spanish's "héroe" / "héroes" are singular and plural as they stand
    (English's rules would make "crisis" and "hero" of the plurals only)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-2] if word.endswith(_SIBILANT_ES) else word[:-1]
    if _own_e_after_sibilant(word):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-cased words of a text, possessives dropped."""
    if len(text) > _MEMO_MAX_CHARS:
        return _words(text)
    return list(_memo_words(text))


def words_once(text: str) -> list[str]:
    """`words` of a text that is asked for once (grouping's plain texts): not memoised, where
    it would only push out texts that are asked for again."""
    return _words(text)


def tokens(text: str, english: bool = True) -> list[str]:
    """Content tokens for matching: words minus stopwords and numbers-only noise, stemmed;
    not `english` (a text in another language), without English's irregular plurals
    (`regular_stem`: French's "crises" is "crise", not "crisis")."""
    found = _tokens(text) if len(text) > _MEMO_MAX_CHARS else list(_memo_tokens(text))
    if english or not has_english_plurals(text):
        return found
    return _tokens(text, regular_stem)  # (rare: not memoised)


def has_english_plurals(text: str) -> bool:
    """Whether English's irregular plurals (`stem` against `regular_stem`) stem a word of
    `text`: only then do its tokens in another language differ from its English ones."""
    return any(
        stem(word) != regular_stem(word) for word in words(text) if word.endswith(_IRREGULAR)
    )


_IRREGULAR = ("es", "use")  # (the words `_irregular_plural` and `_own_e_after_us` may read)


# Chinese and Japanese are written without spaces: their Han, kana and iteration marks
# (`cjk_script`) count by characters. Hangul is spaced like English and is left to whitespace.
# A written English word reads as about two Chinese or Japanese characters (Chinese words run
# 1.5-2 characters, Japanese longer with its kana), so two characters count as one word.
_CJK_CHARS_PER_WORD = 2


def word_count(text: str) -> int:
    """A text's length in words, for bullet lengths and summary budgets: its whitespace-
    separated words, with Chinese and Japanese characters counted two to a word."""
    if not has_cjk(text):
        return len(text.split())
    cjk = sum(len(run) for run in CJK_RUN.findall(text))
    rest = CJK_RUN.sub(" ", text).split()
    return (cjk + _CJK_CHARS_PER_WORD - 1) // _CJK_CHARS_PER_WORD + sum(
        1 for w in rest if any(c.isalnum() for c in w)
    )


def _cjk_terms(found: list[str]) -> list[str]:
    """Tokens with their Chinese and Japanese runs cut into overlapping character pairs (one
    character alone stays a term): a run without spaces would otherwise be one term a
    sentence long, matching no other sentence."""
    out: list[str] = []
    for token in found:
        if not has_cjk(token):
            out.append(token)
            continue
        start = 0
        for run in CJK_RUN.finditer(token):
            piece = token[start : run.start()]
            if len(piece) > 1 or piece.isdigit():
                out.append(piece)
            chars = run.group(0)
            pairs = [a + b for a, b in itertools.pairwise(chars)]
            out.extend(pairs or [chars])
            start = run.end()
        piece = token[start:]
        if len(piece) > 1 or piece.isdigit():
            out.append(piece)
    return out


def _words(text: str) -> list[str]:
    low = text.lower()
    if "’" in low:  # (a "’" inside a word is its apostrophe; outside words it is not found)
        low = low.replace("’", "'")
    found = (_ASCII_WORD if low.isascii() else _WORD).findall(low)
    if "'s" not in low:  # (no word ends in "'s": most texts, where many hold a "'")
        return found
    return [w[:-2] if w.endswith("'s") else w for w in found]


def _tokens(text: str, stemmer: Callable[[str], str] = stem) -> list[str]:
    if not text.isascii() and has_arabic(text):
        # An Arabic word with or without its article and the letters written onto it is one
        # term, as search reads it ("الإنقاذ", "إنقاذ" and "والإنقاذ"): two sentences telling
        # one fact, one with articles and one without, had read as different.
        text = bare_arabic(text)
    if _may_hold_acronym(text):
        found = _tokens_with_acronyms(text, stemmer)
    elif stemmer is stem:
        found = _plain_tokens(words(text))
    else:  # (the same words kept, each stemmed by `stemmer`)
        found = [stemmer(w) for w in words(text) if _kept(w)]
    return _cjk_terms(found) if has_cjk(text) else found


def _kept(word: str) -> bool:
    """Whether a word has a token: no stopword, no lone letter."""
    return word not in STOPWORDS and (len(word) > 1 or word.isdigit())


def _token_of(word: str) -> str:
    """A word's token, "" for a dropped one (`_kept`)."""
    token = stem(word) if _kept(word) else ""
    _TOKENS_OF[word] = token
    return token


# word → `_token_of`: news repeats its words, so most are looked up, not worked out (one dict
# read a word in one `map`); emptied when it outgrows its bound.
_TOKENS_OF: dict[str, str] = {}
_TOKENS_OF_MAX = 1 << 17


def _plain_tokens(found: list[str]) -> list[str]:
    """The tokens of words (no acronyms among them), in order, dropped words left out."""
    tokens = list(map(_TOKENS_OF.get, found))
    if None in tokens:
        tokens = [_token_of(w) if t is None else t for w, t in zip(found, tokens, strict=True)]
        if len(_TOKENS_OF) > _TOKENS_OF_MAX:
            _TOKENS_OF.clear()
    return list(filter(None, tokens))


# Acronyms name who acts in a report ("the W.H.O. said", "U.S. troops"): written with dots, a
# token is their letters joined ("F.B.I." is "fbi", as "FBI" is), so their one-letter pieces
# are not dropped. Acronyms spelt like a function word ("US", "WHO") stay tokens when written
# as acronyms: with dots, or in capitals inside mixed-case text (a shouted all-caps title
# tells nothing); "us" and "who" as ordinary words are still dropped.
_DOTTED_ACRONYM = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}(?![A-Za-z])")
_DOTTED_HINT = re.compile(r"[A-Z]\.[A-Z]\.")
_ACRONYM_STOPWORDS = frozenset({"us", "who"})


def _may_hold_acronym(text: str) -> bool:
    return (
        ("." in text and _DOTTED_HINT.search(text) is not None)
        or "US" in text
        or "WHO" in text  # (an acronym spelt like a stopword)
    )


def _tokens_with_acronyms(text: str, stemmer: Callable[[str], str] = stem) -> list[str]:
    dotted: set[str] = set()

    def join(match: re.Match[str]) -> str:
        letters = match.group(0).replace(".", "")
        dotted.add(letters)
        return letters

    text = _DOTTED_ACRONYM.sub(join, text)
    mixed_case = any(c.islower() for c in text)
    found: list[str] = []
    for word in _WORD.findall(text):
        low = word.lower().replace("’", "'")
        if low.endswith("'s"):
            low, word = low[:-2], word[:-2]
        if low in STOPWORDS:
            if word in dotted or (mixed_case and word.isupper() and low in _ACRONYM_STOPWORDS):
                found.append(low)
        elif len(low) > 1 or low.isdigit():
            found.append(stemmer(low))
    return found


# The same text is tokenised for items, duplicates, grouping and summaries, often in one
# pass: a bounded memo makes the repeats free. Long texts are not kept.
_MEMO_MAX_CHARS = 8_000
_memo_words = functools.lru_cache(maxsize=1024)(lambda text: tuple(_words(text)))
_memo_tokens = functools.lru_cache(maxsize=1024)(lambda text: tuple(_tokens(text)))
