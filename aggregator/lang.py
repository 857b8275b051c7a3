"""Which language a short text is written in: counts of very common words per language. Pure.

Good enough to label a story (headline plus a few sentences) for feed readers and screen
readers; it answers None rather than guess when the evidence is thin or split.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# The most frequent short words of each language. A word frequent in two of them is in both
# lists or in neither ("la", "a", "in", "die"), else it counts for the one that lists it:
# Dutch's "de" and "en" had made a Spanish text with a few "de" Dutch, or no guess.
_COMMON: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to is was for that with are on as have has said from by at this be "
        "were which been their will would after its it but they who not".split()
    ),
    "de": frozenset(
        "der und das ist nicht mit den sich auf dem ein eine wird sind auch als nach "
        "bei für von werden hat zum zur wurde einer über noch nur um des".split()
    ),
    "fr": frozenset(
        "le les des est et une dans pour pas qui sur que du au avec sont ont cette "
        "mais aux été par plus ses leur être selon se il".split()
    ),
    "es": frozenset(
        "el los las del que y una por con para es se su al como más pero sus fue "
        "este esta han según sobre también entre no ha lo".split()
    ),
    "pt": frozenset(
        "o os as do da dos das que e um uma em no na para com não por mais foi "
        "ao pelo pela são seu sua também sobre entre se".split()
    ),
    "it": frozenset(
        "il lo gli della di che è e del per una con non sono nel alla dei delle "
        "anche più ha stato dalla questo come se da al".split()
    ),
    "nl": frozenset(
        "het een van is dat op zijn voor met niet aan ook als bij wordt uit deze geen "
        "door maar om werd heeft worden naar".split()
    ),
    # (Tagalog's linker "na" is Portuguese's "na" too: a Taglish headline had read as neither,
    # one as Portuguese)
    "tl": frozenset(
        "ang ng mga sa ay hindi ito siya kanyang nang kay niya ni naman ayon dahil "
        "bilang kanilang nito rin din lamang lang na".split()
    ),
    # Russian and Ukrainian: Cyrillic serves both (and others), so each by the words the
    # other does not write ("что", "и", "с" against "що", "і", "з").
    "ru": frozenset(
        "что это как его был была были он она они также после только или уже было "
        "который которые может году чтобы если когда их этом ещё еще и с от из к".split()
    ),
    "uk": frozenset(
        "що це як його був була були він вона вони також після тільки або вже було "
        "який які може році щоб якщо коли їх цьому ще та і з від".split()
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_HITS = 3  # fewer common words than this: no answer
# Cyrillic letters Russian and Ukrainian never write: Serbian's and Macedonian's ("ј", "љ",
# "њ", "ћ", "ђ", "џ", "ѓ", "ќ", "ѕ") and Belarusian's "ў". Those languages write "и", "с",
# "од"/"от" or "і", "з" too, and were read as Russian or Ukrainian.
_OTHER_CYRILLIC = re.compile("[јљњћђџѓќѕўЈЉЊЋЂЏЃЌЅЎ]")
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
    if best in ("ru", "uk") and _OTHER_CYRILLIC.search(text):
        return None
    return best


# Scripts written by one language (or read as one's: Han alone as Chinese), by their blocks;
# Arabic script is told apart by the letters Urdu and Persian add. Cyrillic, Devanagari and
# the rest serve several languages: no guess.
_SCRIPTS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("he", ((0x0590, 0x05FF),)),
    ("el", ((0x0370, 0x03FF),)),
    ("ko", ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))),
    ("ja", ((0x3040, 0x30FF),)),
    ("zh", ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))),
    ("th", ((0x0E00, 0x0E7F),)),
    ("ar", ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
)
_URDU = frozenset("ٹڈڑںےۓھہ")
_PERSIAN = frozenset("پچژگکی")


def script_language(text: str) -> str | None:
    """The language `text`'s script says, for a text mostly in a script one language writes
    (Hebrew, Greek, Korean, Japanese kana, Han as Chinese, Thai; Arabic script as Urdu or
    Persian by the letters they add, else Arabic); None otherwise. For labelling a story
    (`lang`) the common-word count (`detect_language`) cannot place: it had been the site's
    language ("en") for an Arabic or Chinese story."""
    counts: Counter[str] = Counter()
    letters = 0
    for char in text[:2000]:
        if not char.isalpha():
            continue
        letters += 1
        code = ord(char)
        for language, blocks in _SCRIPTS:
            if any(low <= code <= high for low, high in blocks):
                counts[language] += 1
                break
    if not counts:
        return None
    if counts["ja"]:  # (kana beside Han: Japanese)
        counts["ja"] += counts.pop("zh", 0)
    language, found = counts.most_common(1)[0]
    if found * 2 < letters:
        return None
    if language == "ar":
        if any(char in _URDU for char in text[:2000]):
            return "ur"
        if any(char in _PERSIAN for char in text[:2000]):
            return "fa"
    return language


_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: str | None) -> str | None:
    """A feed's declared language as a BCP 47 tag ("en-us" → "en-US"), or None if it isn't one."""
    value = (value or "").strip().replace("_", "-")
    if not _TAG.fullmatch(value):
        return None
    primary, *rest = value.split("-")
    return "-".join([primary.lower(), *(p.upper() if len(p) == 2 else p for p in rest)])


# The script each Chinese region writes, for a tag that names none (BCP 47's likely subtags):
# "zh-TW" and "zh-HK" are Traditional, drawn in its fonts, "zh" and "zh-CN" Simplified.
_CHINESE_REGION_SCRIPTS = {
    "CN": "Hans",
    "SG": "Hans",
    "MY": "Hans",
    "TW": "Hant",
    "HK": "Hant",
    "MO": "Hant",
}


def tag_script(tag: str) -> str | None:
    """The script a language tag names ("sr-Latn", "zh-hant" → "Hant"), else the one its
    Chinese region writes ("zh-TW" → "Hant", "zh-CN" → "Hans"); None where it tells none
    ("en-GB", "zh")."""
    primary, *rest = tag.split("-")
    for subtag in rest:
        if len(subtag) == 1:  # (an extension or private use: no script after it)
            break
        if len(subtag) == 4 and subtag.isalpha():
            return subtag.title()
        if primary.lower() == "zh" and len(subtag) == 2 and subtag.isalpha():
            return _CHINESE_REGION_SCRIPTS.get(subtag.upper())
    return None


def agreed_language(declared: Iterable[tuple[str, int]]) -> str | None:
    """The language a story's sources declare, from their tags and how many items declare
    each (`language_tag`s, most declared first): the language most of them name, said with
    its region or script ("en-GB", "zh-TW") only where every source naming that language
    says the same one, else with the script all of them write ("zh-Hant" for "zh-TW" and
    "zh-HK", `tag_script`), else bare ("en" for "en-GB" and "en-US", "zh" for "zh-CN" and
    "zh-TW"); None where none declares."""
    count: Counter[str] = Counter()
    said: dict[str, set[str]] = {}
    for tag, items in declared:
        primary = tag.split("-", 1)[0].lower()
        count[primary] += items
        said.setdefault(primary, set()).add(tag)
    if not count:
        return None
    primary = max(count, key=count.__getitem__)  # (a tie: the first named, most declared)
    if len(said[primary]) == 1:
        return next(iter(said[primary]))
    scripts = {tag_script(tag) for tag in said[primary]}
    script = scripts.pop() if len(scripts) == 1 else None
    return f"{primary}-{script}" if script else primary


# A quotation: “…”, "…" or ‘…’ (an apostrophe inside a word closes none: "couldn’t"), from
# its opening mark to the first closing mark after it (`_quotations`).
_OPENING = re.compile(r"[“\"]|(?<!\w)‘")
_CLOSING = {"“": re.compile("”"), '"': re.compile('"'), "‘": re.compile(r"’(?!\w)")}
QUOTE_SHARE = 0.6  # a quotation holding this share of a sentence's words is what it says


def _quotations(text: str) -> list[tuple[int, int]]:
    """Where `text`'s quotations are, left to right, none inside another. A mark that no
    closing mark follows opens none, nor does any later mark of its kind: its closing mark is
    not looked for again (a pattern for the whole quotation read to the text's end from each
    such mark: 100,000 characters of unclosed ‘ took minutes)."""
    spans: list[tuple[int, int]] = []
    unclosed: set[str] = set()
    at = 0
    while (opening := _OPENING.search(text, at)) is not None:
        mark, start = opening.group(), opening.start()
        closing = None if mark in unclosed else _CLOSING[mark].search(text, start + 1)
        if closing is None:
            unclosed.add(mark)
            at = start + 1
        else:
            spans.append((start, closing.end()))
            at = closing.end()
    return spans


def quoted(text: str) -> tuple[str, str]:
    """`text`'s quotations and the rest of it (two strings, each joined by spaces)."""
    spans = _quotations(text)
    if not spans:
        return "", text
    rest: list[str] = []
    end = 0
    for start, stop in spans:
        rest.append(text[end:start])
        end = stop
    rest.append(text[end:])
    return " ".join(text[a:b] for a, b in spans), " ".join(rest)


def quote_language(sentence: str) -> str | None:
    """The language of the quotation `sentence` mostly is (QUOTE_SHARE of its words), as
    `detect_language` tells it; None for a sentence that is not, or a quote too short to tell."""
    if "“" not in sentence and '"' not in sentence and "‘" not in sentence:
        return None
    quotes, _ = quoted(sentence)
    if len(_words(quotes.lower())) < QUOTE_SHARE * len(_words(sentence.lower())):
        return None
    return detect_language(quotes)
