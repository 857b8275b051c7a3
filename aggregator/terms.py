"""Terms for story grouping: content words of any language, function words dropped. Pure.

Function words come from the `stop-words` package (30+ languages) for the language an item
is written in, guessed from which list its words hit most, plus the project's short English
list (the package's English list also holds news words such as "fire", so it is not used).
Languages without a list are handled by the clusterer, which gives no weight to terms that
a large share of active items contain. A word is one term however it is spelt: with or
without its accents, in British or American spelling, in its -ed and -ing forms, whose e
the light stemmer lost (`fold_marks`, `_american`, `_restore_e`), and an -ing noun in its
plural ("rankings" = "ranking").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from stop_words import LANGUAGE_MAPPING, get_stop_words

from .cjk_script import has_cjk, opens_cjk, read_as_japanese
from .cjk_terms import cjk_names, cjk_words
from .item_kinds import names_post
from .term_forms import canonical_forms as _canonical_forms
from .tokens import STOPWORDS, regular_stem, words_once
from .tokens import stem as _stem

_light_stem = _stem.__wrapped__


def _latin(char: str) -> bool:
    code = ord(char)  # Latin letters, their extensions and the combining marks
    return code < 0x250 or 0x300 <= code < 0x370 or 0x1E00 <= code < 0x1F00


def fold_marks(word: str) -> str:
    """A Latin-script word without its accents: "beyoncé" → "beyonce", "māngere" →
    "mangere". Outlets write a name with or without them, so its term must not depend on
    it. Other scripts keep their marks (a kana's voicing mark makes another syllable)."""
    if word.isascii() or not all(map(_latin, word)):
        return word
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _consonant(word: str, i: int) -> bool:
    char = word[i]
    if char in "aeiou":
        return False
    return char != "y" or i == 0 or not _consonant(word, i - 1)


def _measure(word: str) -> int:
    """How many vowel-consonant runs a word holds (Porter's m: "tr" 0, "fir" 1, "visit" 2)."""
    runs, vowel = 0, False
    for i in range(len(word)):
        if not _consonant(word, i):
            vowel = True
        elif vowel:
            runs, vowel = runs + 1, False
    return runs


def _short_syllable(word: str) -> bool:
    """Ends consonant, vowel, consonant, the last not w, x or y ("fir", "vot", "hop")."""
    n = len(word)
    return (
        n >= 3
        and _consonant(word, n - 3)
        and not _consonant(word, n - 2)
        and _consonant(word, n - 1)
        and word[-1] not in "wxy"
    )


# Endings no English word has without a final e, so that an -ed or -ing form ending so
# lost it: "sentenc(ed)", "charg(ing)", "judg(ed)", "issu(ed)", "leav(ing)", "releas(ed)",
# "caus(ed)", "promis(ed)", "licens(ed)", "secur(ed)", "requir(ed)", "declar(ed)",
# "seiz(ed)". Where a word of the ending may stand without its e ("bang(ed)", "visit(ed)",
# "monitor(ed)", "focus(ed)", "repair(ed)", "appear(ed)", "buzz(ed)"), the ending is not here.
_E_ENDINGS = re.compile(
    r"(?:[^c]c|v|u|[dlr]g|[^aeiousy]s|(?:ea|au|ou|ai|oi|ui|i)s|[^aeiouy]ur|[^aeoy]ir"
    r"|[^aeiouy]ar|[aeiouy]z|eng)$"
)


def with_lost_e(stemmed: str) -> str:
    """A light stem (`tokens.stem`) with the e its -ed or -ing form lost put back where its
    ending cannot close an English word without it (`_E_ENDINGS`: "releas" → "release",
    "caus" → "cause"), so a headline's "releases" and a report's "released" read alike; any
    other stem as it is ("plan", "visit")."""
    if len(stemmed) > 2 and stemmed.isascii() and _E_ENDINGS.search(stemmed) is not None:
        return stemmed + "e"
    return stemmed


def _restore_e(word: str, stemmed: str) -> str:
    """The e an -ed or -ing ending took away, put back where Porter's step 1b puts it:
    "designated" → "designate", "fired" → "fire", "voting" → "vote" (their other forms'
    stem), and where the stem's ending cannot close an English word (`_E_ENDINGS`:
    "sentenced" → "sentence", "charging" → "charge", "issued" → "issue"). Plain a-z words
    only."""
    if stemmed not in (word[:-2], word[:-3]) or not word.endswith(("ed", "ing")):
        return stemmed
    if not stemmed.isascii() or not stemmed.isalpha():
        return stemmed
    if stemmed.endswith("ell") and _measure(stemmed[:-1]) >= 2:
        return stemmed[:-1]  # "cancelled", "travelling", "labelled": British doubled l
    if (
        stemmed.endswith(("at", "bl", "iz"))
        or (_measure(stemmed) == 1 and _short_syllable(stemmed))
        or (len(stemmed) > 2 and _E_ENDINGS.search(stemmed) is not None)
    ):
        return stemmed + "e"
    return stemmed


# "things", "kings", "brings" and shorter keep their s: their singular is not an -ing form
# the light stemmer shortens (it takes -ing off words of six letters or more).
_SHORTEST_INGS = 6


# British and American spellings of one word ("organised" / "organized", "labour" / "labor",
# "centre" / "center", "analyse" / "analyze", "defence" / "defense"): both are written as the
# American form. Every word of the ending is rewritten, so a word spelt alike on both sides
# ("advise", "detour") stays one term, as it was; "entre" (Spanish, French) is not "enter".
_SPELLINGS = (
    (re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{2})ys(e|es|ed|ing)$"), r"yz\1"),
    (
        re.compile(r"(?<=[a-z]{2}(?:[^aeiou]|i))our(s|ed|ing|ite|ites|able|ably|ful|less)?$"),
        r"or\1",
    ),
    (re.compile(r"(?<=[a-z]{2}[tb])re(s)?$"), r"er\1"),
    (re.compile(r"(?<=[a-z]{2}[tb])red$"), r"ered"),
)
_SPELLING_HINT = re.compile(r"is|ys|our|[tb]re")
_SPELT_AS = {"defence": "defense", "offence": "offense", "licence": "license",
             "pretence": "pretense", "programme": "program", "programmes": "programs",
             "entre": "entre"}  # fmt: skip


def _american(word: str) -> str:
    """The American spelling of a British one (`_SPELLINGS`); other words as they are."""
    if word in _SPELT_AS:
        return _SPELT_AS[word]
    if not word.isascii() or _SPELLING_HINT.search(word) is None:
        return word
    for pattern, replacement in _SPELLINGS:
        spelt = pattern.sub(replacement, word)
        if spelt != word:
            return spelt
    return word


american = _american  # (summaries' `novelty` folds spellings with the same rule)


def _grouping_stem(word: str, english: bool = True) -> str:
    """A grouping term: the light stemmer's stem of the word without accents, in American
    spelling, with the e its -ed and -ing forms lost put back (`fold_marks`, `_american`,
    `_restore_e`). A plural in -ings is
    its singular's term: "rankings" = "ranking" = "rank" (the light stemmer takes one ending
    off, so a plural lost only its s). Not `english`: a word of a text in another language,
    whose plurals English's irregular ones are not (`tokens.regular_stem`: "crises" is
    French's plural of "crise")."""
    word = _american(fold_marks(word))
    if len(word) > _SHORTEST_INGS and word.endswith("ings"):
        word = word[:-1]
    stemmed = _light_stem(word) if english else regular_stem(word)
    if stemmed is word or not word.endswith(("ed", "ing")):  # (nothing for `_restore_e`: most
        return stemmed  # words, asked before it slices the word twice)
    return _restore_e(word, stemmed)


stem = functools.lru_cache(maxsize=100_000)(_grouping_stem)  # news repeats its words


@functools.lru_cache(maxsize=100_000)
def _foreign_stem(word: str) -> str:
    """The grouping term of a word of a text in a language other than English."""
    return _grouping_stem(word, english=False)


_stem_once = _grouping_stem  # (for words whose term is memoised anyway)
# An item's features ask for the same title and text opening twice in a row (its grouping
# terms, then its names): rewrite each once.
canonical_forms = functools.lru_cache(maxsize=16)(_canonical_forms)

__all__ = [
    "MULTI_TOPIC",
    "american",
    "capitalised_terms",
    "capitalised_words",
    "fold_marks",
    "function_words",
    "grouping_terms",
    "guess_language",
    "is_multi_topic",
    "is_title_case",
    "lists_reports",
    "name_set",
]

_SKIP_LANGUAGES = frozenset({"en", "zh", "ja", "ko"})  # English: own list; CJK: no spaces
_GUESS_WORDS = 80  # words looked at to guess a language
_CJK_BATCH = 16  # words of a Chinese or Japanese text made into terms at a time


# Tagalog's function words, which the stop-word package has no list for: its particles and
# case markers ("ang", "ng", "sa", "mga"), pronouns, conjunctions and the commonest adverbs
# ("rin", "lang", "naman", "umano"). Read as content, two Tagalog reports of a town's fire
# and its flood shared five rare "terms" before they shared an event.
_TAGALOG = """ang mga ng nang sa si sina ni nina kay kina ay at na o pero ngunit subalit
    kaya dahil upang para kung kapag kapwa habang bago pagkatapos hanggang mula tungkol laban
    ayon siya sila kami kayo tayo ako ikaw ka ko mo niya nila namin ninyo natin nito niyan
    niyon ito iyan iyon dito diyan doon rito riyan roon ganito ganyan ganoon hindi huwag
    wala walang may mayroon mayroong meron rin din lamang lang pa po ho ba naman nga raw daw
    kasi yata sana muna pala isang isa iba ibang lahat bawat ilang ilan marami maraming
    kanyang kaniyang kanilang kanila kaniya atin amin inyo ating aming inyong iyong aking
    sarili noon pang pag nasa mas lalo pati gaya tulad kahit maging naging siyang
    umano umano'y aniya anila nitong itong yung ding bilang halos tila sapagkat
    noong nung ngayon ngayong kahapon kamakalawa kamakailan mamaya""".split()
# Urdu's, which the package has no list for either (its Persian list spells the words Urdu
# shares otherwise: "که", not "کہ"): postpositions ("کے", "میں", "سے", "پر"), the verbs "to
# be", "to do", "to go" and "to say" in their news forms, pronouns, conjunctions, and the
# weekdays and words for today and yesterday. Two Urdu reports of a town's fire and its
# flood joined on them.
_URDU = """کے کی کا کو میں سے نے پر تک اور ہے ہیں تھا تھی تھے ہو ہوا ہوئی ہوئے ہونے ہوگا ہوگی
    گا گی گے کہ یہ وہ اس ان انہوں انھوں ایک بھی تو نہ نہیں کیا کیے کئے کر کرنے کرتے کرتا کرتی
    کریں گیا گئی گئے گئیں دیا دی دیے دیں لیے لئے ساتھ بعد پہلے جو جس جن جب اب کسی کوئی کچھ
    یا لیکن مگر بلکہ اگر کیونکہ تاکہ جبکہ جہاں والے والی والا رہا رہی رہے سکتا سکتی سکتے
    چاہیے مطابق بارے طرف طور دوران علاوہ ذریعے حوالے کہا کہنا بتایا اپنے اپنی اپنا ہم آپ
    پیر منگل بدھ جمعرات جمعہ ہفتہ ہفتے اتوار آج گزشتہ روز""".split()
_EXTRA_LISTS = {"tl": _TAGALOG, "ur": _URDU}


@functools.cache
def _lists() -> tuple[tuple[str, ...], dict[str, int]]:
    """Language codes, and word → bit mask of the languages whose list holds it."""
    known = {c for c in LANGUAGE_MAPPING if c not in _SKIP_LANGUAGES} | set(_EXTRA_LISTS)
    codes = tuple(sorted(known))
    masks: dict[str, int] = {}
    for bit, code in enumerate(codes):
        for raw in _EXTRA_LISTS.get(code) or get_stop_words(code):
            word = raw.strip().strip("\"',").lower()
            if word and " " not in word:
                masks[word] = masks.get(word, 0) | (1 << bit)
    return codes, masks


# Dates say when, not what (see `_DATE`, English). The other languages' weekdays and words
# for today and yesterday, as words, dropped whatever the text's language is guessed to be:
# Tagalog has no function-word list, so its texts are read as English ("ngayong Miyerkules",
# "this Wednesday", in two bulletins of one day). The few Tagalog month names that are no
# other word too are dropped with them; other months' names only in a text not in English
# (`_MONTH_WORDS`: "Mayo", "Abril", "Agosto" are also names in English).
CALENDAR_WORDS = frozenset(
    """lunes martes miyerkules huwebes biyernes sabado linggo ngayon ngayong kahapon
    pebrero marso hunyo hulyo setyembre oktubre nobyembre disyembre
    miércoles miercoles jueves viernes sábado hoy ayer anoche
    ontem feira lundi mardi mercredi jeudi vendredi samedi dimanche aujourd'hui hier
    lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi
    sabato domenica oggi ieri montag dienstag mittwoch donnerstag freitag samstag sonnabend
    sonntag heute gestern maandag dinsdag woensdag donderdag vrijdag zaterdag zondag vandaag
    gisteren""".split()
)
# Weekdays that are names in English too ("Plácido Domingo", "Santo Domingo"): dropped only in
# a text not guessed English, as `_MONTH_WORDS` are.
_NAMED_WEEKDAYS = frozenset(("domingo",))
# Month names of those languages (and Catalan, which a short Spanish text is often guessed
# to be), dropped in a text guessed to be in any language but English, with the day and year
# beside them.
_MONTH_WORDS = frozenset(
    """enero pebrero marso abril mayo hunyo hulyo agosto setyembre oktubre nobyembre disyembre
    febrero marzo junio julio septiembre setiembre octubre noviembre diciembre janeiro
    fevereiro março marco maio junho julho setembro outubro novembro dezembro janvier février
    fevrier mars avril mai juin juillet août aout septembre novembre décembre decembre gennaio
    febbraio aprile maggio giugno luglio settembre ottobre dicembre januar jänner februar märz
    april juni juli august september oktober november dezember januari februari maart mei
    augustus december gener febrer març maig juny juliol agost setembre desembre""".split()
)


def _without_dates(words: list[str]) -> list[str]:
    """`words` without month names and the day and year written beside them ("2 de
    septiembre de 2020", "1. September 2020", "Setyembre 2, 2020"), as `_DATE` takes
    English dates out."""
    near: set[int] = set()
    for i, word in enumerate(words):
        if word in _MONTH_WORDS:
            near.update(range(i - 2, i + 4))
    return [
        w
        for i, w in enumerate(words)
        if w not in _MONTH_WORDS and (i not in near or not (w.isdigit() and len(w) in (1, 2, 4)))
    ]


@functools.cache
def _drops() -> dict[str, int]:
    """Word → bit mask of the languages in whose text it is dropped: `_lists`' function
    words, and `CALENDAR_WORDS` and `_NAMED_WEEKDAYS` in every language."""
    codes, masks = _lists()
    drops = dict(masks)
    every = (1 << len(codes)) - 1
    for word in CALENDAR_WORDS | _NAMED_WEEKDAYS:
        drops[word] = every
    return drops


def function_words(language: str) -> frozenset[str]:
    """The function words of a language code ("es", "de", …); empty if none are known."""
    codes, masks = _lists()
    if language not in codes:
        return frozenset()
    bit = 1 << codes.index(language)
    return frozenset(w for w, m in masks.items() if m & bit)


def guess_language(tokens: Sequence[str]) -> str | None:
    """The non-English language whose function words cover most of `tokens`, if it beats
    English: needs at least two hits and more hits than the English list gets."""
    codes = _lists()[0]
    languages = _languages()
    sample = tokens[:_GUESS_WORDS]
    hits = list(filter(None, map(languages.get, sample)))
    english = sum(map(STOPWORDS.__contains__, sample))
    # A language's count is at most the number of words some list holds: when that does not
    # beat the English hits (most English text), no language can.
    if len(hits) < 2 or len(hits) <= english or not codes:
        return None
    counts = [0] * len(codes)
    for indices in hits:
        for index in indices:
            counts[index] += 1
    best = counts.index(max(counts))  # the most hits; the first language on a tie
    if counts[best] < 2 or counts[best] <= english:
        return None
    return codes[best]


@functools.cache
def _languages() -> dict[str, tuple[int, ...]]:
    """Word → indices (into the language codes) of the lists that hold it."""
    return {
        word: tuple(i for i in range(mask.bit_length()) if mask >> i & 1)
        for word, mask in _lists()[1].items()
    }


def _keep(word: str) -> bool:
    return len(word) > 1 if not word.isdigit() else len(word) > 1 or word != "0"


def _english_term(word: str) -> str:
    """A word's grouping term when only English function words are dropped ("" if dropped);
    `CALENDAR_WORDS` are dropped too."""
    if word in STOPWORDS or word in CALENDAR_WORDS or not _keep(word):
        return ""
    return _stem_once(word)


# word → `_english_term`: news repeats its words, so most are looked up, not worked out. A
# plain dict read in one `map` (an lru cache costs a call and its bookkeeping per word);
# emptied when it outgrows its bound.
_ENGLISH_TERMS: dict[str, str] = {}
_ENGLISH_TERMS_MAX = 1 << 17


def _english_terms(words: list[str]) -> list[str]:
    """The grouping terms of `words` in order, dropped words left out (English text)."""
    memo = _ENGLISH_TERMS
    found = list(map(memo.get, words))
    if None in found:
        for word in {w for w, t in zip(words, found, strict=True) if t is None}:
            memo[word] = _english_term(word)
        found = list(map(memo.get, words))
        if len(memo) > _ENGLISH_TERMS_MAX:
            memo.clear()
    return list(filter(None, found))


# Links, e-mail addresses and handles are a channel's furniture ("Follow us: https://…"), not
# what an item reports; their pieces ("www", "com", "facebook") made unrelated items alike.
_LINKISH = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+|(?<![\w@])@\w+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|ly|tv|co|io|gov|edu|info|news)(?:\.[a-z]{2})?(?:/\S*)?",
    re.IGNORECASE,
)
_LINK_LABEL = re.compile(r"\b\w+\s*:\s*(?=(?:https?://|www\.))", re.IGNORECASE)
# "1,030" and "1.030" are one number, not the terms "1" and "030".
_GROUPED_DIGITS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
# Dates say when, not what: items of one day share them whatever they report ("SRO |
# Teleradyo (3 September 2020)"). English month and weekday names with their day and year.
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?{_MONTH}\b\.?(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\b\.?\s+{_DAY}\b(?:,?\s+\d{{4}})?"
    rf"|(?:january|february|april|june|july|august|september|october|november|december)\b"
    r"(?:,?\s+\d{4})?"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|today\b|tonight\b|yesterday\b|tomorrow\b)",
    re.IGNORECASE,
)


# Every link pattern needs "@", "://" or one of these dots; most texts have none, and then
# the costly patterns (tried at every word) are skipped.
_LINK_HINT = re.compile(
    r"\.(?:com|net|org|ly|tv|co|io|gov|edu|info|news)|(?<=www)\.", re.IGNORECASE
)
# The same test on lower-cased text, without IGNORECASE, and the dot first (as one literal,
# `re` finds it without trying the pattern at every character).
_LINK_HINT_LOWER = re.compile(r"\.(?:com|net|org|ly|tv|co|io|gov|edu|info|news|(?<=www\.))")
# `_DATE` on lower-cased text, without IGNORECASE (~3x faster). Lower-casing keeps every
# character's place and what IGNORECASE matches, except for these: "İ" grows, "ı" and "ſ"
# match "i" and "s" only under IGNORECASE, and "Σ" lowers by its context (final sigma).
_DATE_LOWER = re.compile(_DATE.pattern)
_CASE_SPECIAL = ("\u0130", "\u0131", "\u017f", "\u03a3")
# Every alternative of `_DATE` holds one of these (a month's first three letters, "day" of
# the weekdays, today and yesterday, "tonight", "tomorrow"); a text without any holds no date.
_DATE_HINTS = (
    "day", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    "tonight", "tomorrow",
)  # fmt: skip
# `_GROUPED_DIGITS` with the separator first, so that `re` scans for it instead of trying the
# look-behind at every character (the same matches).
_GROUPED_SEPARATOR = re.compile(r"[,.](?<=\d[,.])(?=\d{3}\b)")


def _has_case_special(text: str) -> bool:
    return not text.isascii() and any(c in text for c in _CASE_SPECIAL)


def _may_hold_link(text: str) -> bool:
    """Whether `_LINKISH` may match: "@", "://" or a `_LINK_HINT` dot."""
    if "@" in text or "://" in text:
        return True
    if _has_case_special(text):
        return _LINK_HINT.search(text) is not None
    return _LINK_HINT_LOWER.search(text.lower()) is not None


# A headline's calendar words in any language `CALENDAR_WORDS` and `_MONTH_WORDS` cover, and
# English's (which `_DATE` reads in running text): what `dates_apart` takes out.
_ENGLISH_MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_ENGLISH_DAYS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday
    today tonight yesterday tomorrow""".split()
)
_MONTHS = _ENGLISH_MONTHS | _MONTH_WORDS
_DAYS = _ENGLISH_DAYS | CALENDAR_WORDS | _NAMED_WEEKDAYS
_CALENDAR = _MONTHS | _DAYS


def _alternatives(words: frozenset[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=lambda w: (-len(w), w)))


# A month with the day and year written beside it ("3 September", "September 3, 2020", "3 de
# septiembre de 2020", "3. September"), or a weekday or "today" and its like, in any of those
# languages; lower-case text.
_ANY_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:(?:de|of)\s+)?)?(?:{_alternatives(_MONTHS)})\b\.?"
    rf"(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?(?:,?\s+(?:de\s+)?\d{{4}}\b)?"
    rf"|\b(?:{_alternatives(_DAYS)})\b"
)


def dates_apart(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A headline's words (lower case) without its dates, and those dates (their words
    joined by a space), in order: a month with the day and year written beside it, a weekday,
    "today" and its like, in English and the other languages read here ("Thursday, September
    3", "28 April", "jueves 3 de septiembre", "3. September 2020"). No dates: the words, ()."""
    low = text.lower()
    words = tuple(words_once(low))
    if _CALENDAR.isdisjoint(words):  # (most headlines: the pattern is not tried)
        return words, ()
    dates = tuple(" ".join(words_once(m.group(0))) for m in _ANY_DATE.finditer(low))
    return tuple(words_once(_ANY_DATE.sub(" ", low))), dates


def _plain_lower(text: str) -> str:
    """Text without links, addresses, handles and dates, digit groups joined, lower-cased."""
    if _may_hold_link(text):
        text = _LINKISH.sub(" ", _LINK_LABEL.sub(" ", text))
    text = _GROUPED_SEPARATOR.sub("", text)
    if _has_case_special(text):
        return _DATE.sub(" ", text).lower()
    low = text.lower()
    if not any(hint in low for hint in _DATE_HINTS):
        return low
    return _DATE_LOWER.sub(" ", low)


def grouping_terms(
    title: str, text: str, text_limit: int, language: str | None = None
) -> tuple[list[str], list[str]]:
    """Content terms of a title and of the first `text_limit` terms of a text, stemmed.

    English and the guessed language's function words are dropped, as are one-letter words,
    links, e-mail addresses and handles. Digit groups ("1,030") are one term, and so are a
    body's dotted initials ("U.K.") and a quantity however it is written (`term_forms`).
    Chinese and Japanese runs become character pairs and katakana words (`cjk_terms`), read
    as the item's declared `language` says where it names one (`read_as_japanese`).
    """
    title_words = words_once(_plain_lower(canonical_forms(title)))
    text = text[: text_limit * 12] if text_limit > 0 else ""
    text_words = words_once(_plain_lower(canonical_forms(text))) if text else []
    title_cjk, text_cjk = has_cjk(title), opens_cjk(text)
    # Japanese when the two together are: one item's title and text are cut alike
    # (`cjk_words`), a headline without kana as its text, a Chinese title as its text; a
    # declared Japanese or Chinese decides (a headline in kanji alone has no kana to tell)
    japanese = (title_cjk or text_cjk) and read_as_japanese(f"{title}\n{text}", language)
    if title_cjk:  # Chinese and Japanese runs: character pairs (`cjk_terms`)
        title_words = cjk_words(title_words, japanese=japanese)
    later: list[str] = []  # text words not made into terms yet (see below)
    if text_cjk:
        # made into terms a few at a time, as many as the language guess and `text_limit`
        # need (a Chinese text of 3,000 characters is ~2,500 terms; most are not used)
        later, text_words = text_words, []
        while later and len(text_words) < _GUESS_WORDS:
            text_words += cjk_words(later[:_CJK_BATCH], japanese=japanese)
            del later[:_CJK_BATCH]
    language = guess_language(title_words + text_words)
    drop = _drops() if language else {}
    bit = 1 << _lists()[0].index(language) if language else 0

    def content(seq: list[str]) -> list[str]:
        if not bit:  # English (or unknown): each word's term is memoised
            return _english_terms(seq)
        if not _MONTH_WORDS.isdisjoint(seq):
            seq = _without_dates(seq)
        return [
            _foreign_stem(w)
            for w in seq
            if w not in STOPWORDS and not (drop.get(w, 0) & bit) and _keep(w)
        ]

    text_terms = content(text_words)
    while later and len(text_terms) < text_limit:
        text_terms += content(cjk_words(later[:_CJK_BATCH], japanese=japanese))
        del later[:_CJK_BATCH]
    return content(title_words), text_terms[:text_limit]


# Particles written in lower case inside a name ("Mohammed bin Salman", "Donny van de Beek",
# "Ursula von der Leyen", "Charles de Gaulle"): between a capitalised word and the next they
# are part of the name, so the window learns them as names (by most items, as any name) and
# two reports of one person do not share them as what happened.
_PARTICLES = "bin|ibn|bint|al|el|van|von|der|den|de|del|della|da|di|du|dos|das|la|le|ter|zu"
_CASED_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# A capitalised word after a word, number or comma of the same sentence. (The space comes
# first and the look-behind checks what stands before it, so that `re` scans for spaces
# instead of trying the look-behind at every character; the same matches.)
_MID_CAPITAL = re.compile(
    r"[ \t](?<=[\w,%$€£)][ \t])[ \t]*"
    r"([A-ZÀ-ÖØ-ÞĀ-Ž][^\W_]*(?:['’][^\W_]+)*(?:-[^\W\d_]+(?:['’][^\W_]+)*)*)"
    rf"((?:[ \t]+(?:{_PARTICLES}))*(?=[ \t]+[A-ZÀ-ÖØ-ÞĀ-Ž]))?",
    re.UNICODE,
)
# The two patterns above on ASCII text, letters and digits as ranges (`tokens._ASCII_WORD`)
_ASCII_CASED_WORD = re.compile(r"[a-zA-Z]+")
_ASCII_MID_CAPITAL = re.compile(
    r"[ \t](?<=[a-zA-Z0-9_,%$)][ \t])[ \t]*"
    r"([A-Z][a-zA-Z0-9]*(?:'[a-zA-Z0-9]+)*(?:-[a-zA-Z]+(?:'[a-zA-Z0-9]+)*)*)"
    rf"((?:[ \t]+(?:{_PARTICLES}))*(?=[ \t]+[A-Z]))?"
)
# A capitalised word opening a sentence (the text's start, or after a sentence's end or an
# opening quote) with another capitalised word right after it: the first word of a
# name ("Boris Johnson said …", "Prince Harry has …"), which `_MID_CAPITAL` cannot see. A
# common word there ("Police Scotland said", "Former President …") gets a vote too; the
# window's majority (`WindowCounts.is_name`) keeps it a word. The next word must hold a lower
# case letter, so a line in capitals says nothing.
_OPENING_NAME = r"([A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]+)(?=[ \t]+[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]*[a-zß-öø-ÿā-ž])"
_START_CAPITAL = re.compile(r"[.!?:;\"“‘(][ \t\n]+[\"“‘']?" + _OPENING_NAME, re.UNICODE)
_ASCII_START_CAPITAL = re.compile(
    r"[.!?:;\"(][ \t\n]+[\"']?([A-Z][a-zA-Z]+)(?=[ \t]+[A-Z][a-zA-Z]*[a-z])"
)
# (the text's own first word: the same, matched at its start; the patterns above begin with
# the mark before the word, so that `re` scans for those marks, not at every character)
_FIRST_CAPITAL = re.compile(r"[\"“‘']?" + _OPENING_NAME, re.UNICODE)
_TITLE_CASE_SHARE = 0.6


def is_title_case(title: str) -> bool:
    """Whether most longer words of a headline are capitalised (case then tells nothing)."""
    cased = _ASCII_CASED_WORD if title.isascii() else _CASED_WORD
    long_words = [w for w in cased.findall(title) if len(w) > 3]
    return bool(long_words) and sum(w[0].isupper() for w in long_words) >= (
        _TITLE_CASE_SHARE * len(long_words)
    )


def capitalised_terms(
    title: str,
    text: str,
    text_chars: int,
    title_case: bool | None = None,
    language: str | None = None,
) -> set[str]:
    """Terms written capitalised inside a sentence: names ("Harry", "Netflix", "Berlin").

    Title-case headlines tell nothing and are skipped (`title_case`: `is_title_case(title)`,
    when the caller has it). Terms are stemmed like grouping terms.
    """
    return name_set(capitalised_words(title, text, text_chars, title_case, language))


def _opening_names(text: str) -> list[str]:
    """The stemmed words `_START_CAPITAL` and `_FIRST_CAPITAL` find in `text`, in order."""
    starts = _ASCII_START_CAPITAL if text.isascii() else _START_CAPITAL
    words = starts.findall(text)
    first = _FIRST_CAPITAL.match(text)
    if first:
        words.insert(0, first.group(1))
    return [stem(w.lower()) for w in words]


def capitalised_words(
    title: str,
    text: str,
    text_chars: int,
    title_case: bool | None = None,
    language: str | None = None,
) -> list[str]:
    """`capitalised_terms` as found, in order, repeats included (`name_set` makes the set);
    `language`: the item's declared one (Chinese and Japanese names, `cjk_names`)."""
    sources = [canonical_forms(text[:text_chars])]
    if title_case is None:
        title_case = is_title_case(title)
    if title and not title_case:
        sources.append(canonical_forms(title))
    # the text's sentences' opening names (a headline's first word is any word)
    found = _opening_names(sources[0])
    for source in sources:
        capitals = _ASCII_MID_CAPITAL if source.isascii() else _MID_CAPITAL
        for word, particles in capitals.findall(source):  # (a capitalised word, particles)
            word = word.lower().replace("’", "'")
            if "-" in word:  # "Jong-un", "Jae-in", "Coca-Cola": each piece is the name's
                found.extend(stem(piece.removesuffix("'s")) for piece in word.split("-"))
            else:
                found.append(stem(word.removesuffix("'s")))
            if particles:
                found.extend(map(stem, particles.split()))
        if opens_cjk(source):  # no capitals: what is written as a name (`cjk_terms`)
            found.extend(cjk_names(source, language))
    return found


def name_set(words: list[str]) -> set[str]:
    """The set of `capitalised_words`, built by adding them in order: the same set, laid out
    (and so iterated) the same, whichever process found the words."""
    found: set[str] = set()
    for word in words:
        found.add(word)
    return found


MULTI_TOPIC = re.compile(
    r"\blive(?:\s*(?:blog|updates?|coverage|news|stream|:))|\blive\b[^.]{0,40}\bupdates?\b"
    r"|\bas\s+it\s+happened\b"
    r"|\bwhat\s+(?:you\s+need|we\s+know)\s+to\s+know\b|\bthings\s+to\s+know\b"
    r"|\b(?:news\s+)?(?:briefing|bulletin|round-?up|wrap(?:-?up)?|digest|newscast)\b"
    r"|\b(?:top|latest|today'?s|morning|evening|daily|weekend)\s+(?:news|stories|headlines)\b"
    r"|\bheadlines\b|\bnews\s+in\s+brief\b"
    # data pages and galleries, updated in place: trackers, maps, charts, lists, cartoons
    r"|\b(?:cases?|outbreak|(?:corona)?virus|covid(?:-19)?|pandemic|election|results|vaccine)\s+tracker\b"
    r"|\btracking\s+(?:the\s+)?(?:[\w-]+\s+){0,2}(?:cases|outbreak|spread|pandemic)\b"
    r"|\bin\s+your\s+area\b|\bin\s+(?:maps|charts|graphs|numbers)\b|\bby\s+the\s+numbers\b"
    r"|\blatest\s+(?:list|snapshot|figures|numbers|illustrations|cartoons)\b",
    re.IGNORECASE,
)
_MULTI_TOPIC_URL = re.compile(r"/(?:live|live-news|liveblog|live-updates|newsletters?)/", re.I)

# A text that is a list of reports, one a line ("- Rape-slay convict … isolated", "- Rapid
# test kits found …"): a news programme's rundown, whatever its language. Lines with a link
# or handle are a channel's furniture ("- Subscribe: https://…"), not reports; a full report
# may hold a list too (a poll's findings), but among more lines of its own. A numbered list
# is an order of one thing (a timeline of one evening, steps, a ranking), not a rundown.
_BULLET = re.compile(r"[ \t]*[-•*–·▪►][ \t]+[^\W\d_]")
_BULLETIN_LINES = 5  # (a report's "key points" run to three or four) …
_BULLETIN_SHARE = 2 / 3  # … and this share of the text's lines
_BULLETIN_READ = 4000  # characters of a text read for them


def lists_reports(text: str) -> bool:
    """Whether `text` is a list of reports: `_BULLETIN_LINES` or more bullet lines holding no
    link, `_BULLETIN_SHARE` of its lines without a link."""
    text = text[:_BULLETIN_READ]
    if text.count("\n") < _BULLETIN_LINES:
        return False
    lines = [line for line in text.splitlines() if line.strip() and not _may_hold_link(line)]
    found = sum(1 for line in lines if _BULLET.match(line))
    return found >= _BULLETIN_LINES and found >= _BULLETIN_SHARE * len(lines)


# `MULTI_TOPIC` on lower-cased text, without IGNORECASE (see `_DATE_LOWER`).
_MULTI_TOPIC_LOWER = re.compile(MULTI_TOPIC.pattern)


def is_multi_topic(title: str, url: str | None = None, text: str = "") -> bool:
    """Whether an item covers several unrelated events: live blogs, bulletins, round-ups
    (by its title or link), or a text listing several reports (`lists_reports`)."""
    if _has_case_special(title):
        found = MULTI_TOPIC.search(title)
    else:
        found = _MULTI_TOPIC_LOWER.search(title.lower())
    if found:
        return True
    if url:
        page = _MULTI_TOPIC_URL.search(url)
        if page is not None and not names_post(url[page.end() - 1 :]):
            return True
    return bool(text) and lists_reports(text)
