"""Which language a short text is written in: counts of very common words per language. Pure.

Good enough to label a story (headline plus a few sentences) for feed readers and screen
readers; it answers None rather than guess when the evidence is thin or split.
"""

from __future__ import annotations

import re
from collections import Counter

# The most frequent short words of each language, leaving out words two languages share
# often (e.g. "de", "la", "a", "in", "die" in English text).
_COMMON: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to is was for that with are on as have has said from by at this be "
        "were which been their will would after its it but they who not".split()
    ),
    "de": frozenset(
        "der und das ist nicht mit den sich auf dem ein eine wird sind auch als nach "
        "bei für von werden hat zum zur wurde einer über noch nur".split()
    ),
    "fr": frozenset(
        "le les des est et une dans pour pas qui sur que du au avec sont ont cette "
        "mais aux été par plus ses leur être selon".split()
    ),
    "es": frozenset(
        "el los las del que y una por con para es se su al como más pero sus fue "
        "este esta han según sobre también entre".split()
    ),
    "pt": frozenset(
        "o os as do da dos das que e um uma em no na para com não por mais foi "
        "ao pelo pela são seu sua também sobre entre".split()
    ),
    "it": frozenset(
        "il lo gli della di che è e del per una con non sono nel alla dei delle "
        "anche più ha stato dalla questo come".split()
    ),
    "nl": frozenset(
        "de het een van en is dat op te zijn voor met niet aan er ook als bij "
        "door maar om werd heeft worden naar".split()
    ),
    "tl": frozenset(
        "ang ng mga sa ay hindi ito siya kanyang nang kay niya ni naman ayon dahil "
        "bilang kanilang nito rin din lamang lang".split()
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_HITS = 3  # fewer common words than this: no answer
# word → the languages it is common in (one lookup a word, not one per language)
_LANGUAGES_OF: dict[str, list[str]] = {}
for _code, _common in _COMMON.items():
    for _word in _common:
        _LANGUAGES_OF.setdefault(_word, []).append(_code)


# ASCII characters other than letters, each to a space: in ASCII text `_WORD`'s words are the
# runs of letters, which `str.split` then finds (several times faster than the pattern).
_NOT_LETTERS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalpha()})
# Characters no word holds that make most English text not ASCII: each is a space to `_WORD`.
_WIDE_SPACES = ("\u2019", "\u201c", "\u201d", "\u2018", "\u2014", "\u2013", "\u2026", "\u00a0")


def _words(low: str) -> list[str]:
    """`_WORD.findall(low)`."""
    if not low.isascii():
        for char in _WIDE_SPACES:
            if char in low:
                low = low.replace(char, " ")
        if not low.isascii():
            return _WORD.findall(low)
    return low.translate(_NOT_LETTERS).split()


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is most likely in, or None when unsure."""
    words = _words(text.lower())
    if not words:
        return None
    scores = dict.fromkeys(_COMMON, 0)
    # (each common word counted once, then its count given to its languages: the same sums)
    for word, count in Counter(filter(_LANGUAGES_OF.__contains__, words)).items():
        for code in _LANGUAGES_OF[word]:
            scores[code] += count
    ranked = sorted(scores.items(), key=lambda pair: pair[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < MIN_HITS or top < 1.5 * second:
        return None
    return best


_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: str | None) -> str | None:
    """A feed's declared language as a BCP 47 tag ("en-us" → "en-US"), or None if it isn't one."""
    value = (value or "").strip().replace("_", "-")
    if not _TAG.fullmatch(value):
        return None
    primary, *rest = value.split("-")
    return "-".join([primary.lower(), *(p.upper() if len(p) == 2 else p for p in rest)])
