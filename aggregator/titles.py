"""Source titles: outlet suffixes and "Live:"-style tags removed, or a title cut from text. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .cjk_script import CJK_CHAR as _CJK_CHAR
from .sentences import iter_sentences
from .text import _SPACES
from .tokens import word_count, words

# One "Live:"-style tag and its separator at the start of a title (`clean_headline` strips them
# one by one). A hyphen with no space either side ends a tag only after "UPDATE 2" or a tag in
# capitals before mixed-case text ("EXCLUSIVE-Firm plans …"): "Live-action remake …" and
# "Video-game sales …" are compounds.
_HEADLINE_PREFIX = re.compile(
    r"\s*(?P<tag>live(?:\s+(?:updates?|blog|coverage|news))?|breaking(?:\s+news)?|watch|video|"
    r"photos?|pictures|in\s+pictures|gallery|(?P<numbered>update\s*\d+)|update|updated|"
    r"exclusive|just\s+in|developing)(?P<sep>\s*(?::|-|—|–|\|)\s*)",
    re.IGNORECASE,
)
_HEADLINE_TAG = re.compile(
    r"\s*(?:[\[(](?:video|photos?|pictures|watch|live|updated?|gallery|poll)[\])]"
    r"|(?:\s[-—–|]|:)\s*(?:live(?:\s+(?:updates?|blog|coverage))?|as\s+it\s+happened|video))\s*$",
    re.IGNORECASE,
)
_SUFFIX_SEPARATOR = re.compile(r"\s+(\||-|—|–|::|·|•)\s+")
_FURNITURE_SEPARATORS = ("|", "::", "·", "•")  # (a dash also sets off who says so)
_OUTLET_WORD = re.compile(
    r"(?:[A-Z0-9&@][\w.'’&!-]*|of|the|and|on|for|de|la|le|du|der|die|[\w-]+\.\w{2,})"
)


# What a dash suffix must hold to name an outlet ("… - Reuters", "… — BBC News", "… -
# NYTimes.com"): a dash also sets off a headline's attribution ("… poisoned with Novichok -
# Germany", "… 'elimination' - PM", "… gap wider - UN") and an episode's name ("Show 130 -
# Temporal Anomaly"), which stay. A suffix is an outlet when it holds a word only outlets'
# names are made of, ends in a word most of them end in ("Washington Post", "Daily Mail"; not
# "Post Office", "Network Rail"), holds a known outlet's name or a domain, is a broadcaster's
# call sign, or names the item's own outlet.
_OUTLET_MARKERS = frozenset(
    "news newsroom newshub times journal herald tribune telegraph guardian gazette chronicle "
    "online tv television magazine broadcasting zeitung zeitschrift nachrichten tagblatt "
    "rundschau noticias diario periódico periodico notícias jornal quotidien nouvelles "
    "giornale notizie nieuws krant presse".split()
)
# … words that end an outlet's name but also a company's or a body's ("Royal Mail" and
# "American Express" are read as outlets, the price of "Daily Mail" and "Sunday Express"); and
# nouns that are an outlet's last word in a name of two or more ("The Star", "The Boston
# Globe", "Le Monde").
_LAST_MARKERS = frozenset(
    "post mail express standard daily press radio network networks today wire weekly "
    "observer independent mirror insider digital media channel dispatch courier bulletin "
    "reporter examiner inquirer enquirer sentinel monitor ledger advertiser".split()
)
_NAME_MARKERS = frozenset(
    "star sun globe age citizen mundo nación nacion welt zeit stern monde".split()
)
_KNOWN_OUTLETS = frozenset(
    "reuters bloomberg axios politico forbes newsweek vox slate salon variety deadline "
    "engadget techcrunch gizmodo mashable wired fortune quartz vice breitbart mediaite yahoo "
    "msn euronews xinhua sputnik bild spiegel heise golem kotaku polygon ign buzzfeed huffpost "
    "cnet zdnet verge atlantic economist stuff rappler philstar scoop crikey tagesschau "
    "bbc cnn npr cnbc abc nbc cbs pbs ap afp upi dpa ansa efe pti ians ani tass ria rt dw nhk "
    "kbs sbs rnz tvnz rte cbc ctv itv wsj ft nyt scmp zdf ard rtl rai tve rtve faz nzz msnbc "
    "espn tmz kyodo yonhap bernama antara aljazeera figaro libération liberation país pais "
    "clarín clarin folha infobae milenio excélsior excelsior tagesspiegel corriere repubblica "
    "stampa volkskrant telegraaf aftonbladet expressen politiken yle nrk svt orf srf rtbf rfi "
    "bfmtv france24 nikkei asahi mainichi yomiuri caixin ndtv".split()
)
_CALL_SIGN = re.compile(r"[KW][A-Z]{3}")  # a US broadcaster ("KTLA", "WRAL") …
_NOT_OUTLETS = frozenset({"WADA", "KFOR", "WIPO", "KPMG", "WWII"})  # … not a body or a war
_DOMAIN = re.compile(r"[\w-]+(?:\.[a-z]{2,})+")


def own_outlet(name: str, key: str) -> str:
    """The words a title's suffix may name the item's own outlet by: its name, and its host's
    own labels ("bbc" of "bbc.co.uk"; not "co" or "uk", which an attribution may be)."""
    labels = key.partition("/")[0].split(".")
    return " ".join([name, *(label for n, label in enumerate(labels) if n == 0 or len(label) > 3)])


def names_outlet(segment: str, outlet: str = "") -> bool:
    """Whether a title's dash suffix reads as an outlet's name rather than an attribution
    (see `_OUTLET_MARKERS`); `outlet` is the item's own outlet (`own_outlet`), when known."""
    parts = segment.split()
    if any(_DOMAIN.fullmatch(part) for part in parts):  # "NYTimes.com" (not "U.S.")
        return True
    tokens = words(segment)
    if not tokens:
        return False
    if outlet:
        own = set(words(outlet))
        if all(token in own or token == "the" for token in tokens):
            return True
    if any(token in _OUTLET_MARKERS or token in _KNOWN_OUTLETS for token in tokens):
        return True
    last = tokens[-1]
    if last in _LAST_MARKERS or (len(tokens) >= 2 and last in _NAME_MARKERS):
        return True
    return len(parts) == 1 and bool(_CALL_SIGN.fullmatch(parts[0])) and parts[0] not in _NOT_OUTLETS


def _capital(char: str) -> bool:
    """Whether a name may start with `char`: a capital, or a letter of a script without case
    (Arabic, Hebrew, Chinese: "… - الجزيرة نت", "… - BBC News اردو")."""
    return char.isupper() or (char.isalpha() and not char.islower())


def _outlet_word(part: str) -> bool:
    """Whether `part` may be a word of an outlet's name: `_OUTLET_WORD`, or one that opens
    with a capital of any script ("РИА Новости") or a letter without case."""
    return bool(_OUTLET_WORD.fullmatch(part)) or (
        _capital(part[0]) and all(c.isalnum() or c in ".'’&!-" for c in part)
    )


def _looks_like_outlet(segment: str, separator: str, outlet: str = "") -> bool:
    parts = segment.split()
    if not parts or len(parts) > (6 if separator == "|" else 5) or len(segment) > 50:
        return False
    if segment.endswith(("?", "!", "؟")) or (not _capital(segment[0]) and "." not in segment):
        return False
    if separator in _FURNITURE_SEPARATORS:  # site furniture ("US news | The Guardian")
        return True
    return all(map(_outlet_word, parts)) and names_outlet(segment, outlet)


def strip_prefix_tags(text: str, tags: re.Pattern[str] = _HEADLINE_PREFIX) -> str:
    """`text` without its leading "Live:" / "BREAKING –" / "UPDATE 2-" tags (compounds kept);
    `tags`: a pattern of `_HEADLINE_PREFIX`'s groups (`tag`, `numbered`, `sep`)."""
    while match := tags.match(text):
        rest = text[match.end() :]
        if match["sep"] == "-" and not (
            match["numbered"] or (match["tag"].isupper() and any(c.islower() for c in rest))
        ):
            break  # "Live-action remake …": the hyphen joins a compound word
        text = rest
    return text


# Pictographs set before or after a headline ("🚨 BREAKING: …", "🔴 LIVE: …", "… 📚"): emoji,
# with their variation selector, joiner, keycap mark and skin tones; arrows, dingbats and
# symbols from U+2190 on (™ and © stay). Only at the ends: inside, one may be the news.
_PICTOGRAPH = (
    "\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff"
    "\U0001f000-\U0001faff\ufe0f\u200d\u20e3"
)
_END_PICTOGRAPHS = re.compile(f"^[{_PICTOGRAPH}\\s]+|[{_PICTOGRAPH}\\s]+$")


def clean_headline(title: str, outlet: str = "") -> str:
    """A source title without " - Outlet" / " | Outlet" suffixes, "Live:"-style prefixes and
    pictographs at its ends; a dash suffix goes only when it names an outlet (`names_outlet`;
    `outlet`: the item's own, as `own_outlet` gives it, when known)."""
    text = _SPACES.sub(" ", title).replace("\n", " ").strip()
    if not text.isascii():
        text = _END_PICTOGRAPHS.sub("", text) or text
    text = strip_prefix_tags(text)
    while True:
        text = _HEADLINE_TAG.sub("", text).strip()
        matches = list(_SUFFIX_SEPARATOR.finditer(text))
        if not matches:
            break
        last = matches[-1]
        head, tail = text[: last.start()].strip(), text[last.end() :].strip()
        if len(head.split()) < 2 or not _looks_like_outlet(tail, last.group(1), outlet):
            break
        text = head
    return text.strip(" -—–|:")


# --- titles cut from text -------------------------------------------------------------------

TITLE_CHARS = 120  # a title cut from an item's text is at most this long (plus "…")
# A Chinese or Japanese character counts this many of them: 120 are ~20 English words, ~40
# such characters (which `word_count` counts two to a word)
_CJK_WIDTH = 3
_CJK_MARKS = frozenset("。！？；，、：")  # where a Chinese or Japanese sentence or clause ends
_TITLE_MIN_WORDS = 4  # a first paragraph shorter than this is a label ("Columnist"), not a title


def title_from_text(text: str, limit: int = TITLE_CHARS) -> str:
    """A title for an item without one: its text's opening, up to the end of the first
    paragraph of at least a few words (a label such as "Columnist" runs on into the next), cut
    at a word before `limit` characters with "…" (Chinese and Japanese at a mark: `_cut_wide`).
    Always a prefix of the text, so it is never taken for a headline of the item's own."""
    end = 0
    while True:
        brk = text.find("\n", end)
        if brk < 0:
            end = len(text)
            break
        end = brk
        if _paragraph_words(text[:end]) >= _TITLE_MIN_WORDS or end > limit:
            break
        end += 1
    head = text[:end]
    if _CJK_CHAR.search(head[:limit]) is not None:
        return _cut_wide(head, limit)
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0] + "…"


def _paragraph_words(text: str) -> int:
    """How many words `text` holds: Chinese and Japanese by their characters (`word_count`,
    two to a word), where `words` takes an unspaced run for one word; others by `words`."""
    return word_count(text) if _CJK_CHAR.search(text) else len(words(text))


def _cut_wide(head: str, limit: int) -> str:
    """A Chinese or Japanese text's opening as a title: its characters `_CJK_WIDTH` each
    against `limit` (one carries about what an English word does), cut before the last
    sentence or clause mark that fits ("…地震，" → "…地震…") where that keeps at least a
    third of the width, else at the last space, else at the width."""
    width = 0
    mark = space = -1
    for at, char in enumerate(head):
        width += _CJK_WIDTH if _CJK_CHAR.match(char) or char in _CJK_MARKS else 1
        if width > limit:
            break
        if char in _CJK_MARKS and width >= limit / 3:
            mark = at
        elif char == " ":
            space = at
    else:
        return head
    cut = mark if mark > 0 else space if space > 0 else at
    return head[:cut].rstrip() + "…"


def cut_from_text(title: str, text: str) -> bool:
    """Whether a title is only the opening words of its own text, cut inside a sentence (a
    feed without headlines, `title_from_text`): after a first line that repeats the title (a
    page's heading), the text opens with the title's words and the sentence they end in runs
    on (a short first sentence may be whole in the title: "Fire in Keldon. Two were…")."""
    head = words(title)
    if _paragraph_words(title) < 3:
        return False
    body = text.lstrip()
    first, _, rest = body.partition("\n")
    if rest.strip() and words(first) == head:
        body = rest.lstrip()
    if _CJK_CHAR.search(title):
        return _cut_from_wide(title, body)
    said: list[str] = []
    for sentence in iter_sentences(body[: 4 * len(title) + 400]):
        said += words(sentence)
        if len(said) >= len(head):  # (the sentence the title's words end in)
            break
    return len(said) > len(head) and said[: len(head)] == head


# A sentence's end in Chinese and Japanese text, and in a Latin one holding a few such
# characters ("Xi Jinping (习近平) meets Biden." is a whole sentence, as without them)
_WIDE_STOPS = frozenset("。！？．!?.")
_CLOSERS = "」』”’\"')）]】"  # (what may close a sentence after its stop)
_ELLIPSIS_END = re.compile(r"(?:…|\.\.\.)+\s*$")


def _cut_from_wide(title: str, body: str) -> bool:
    """`cut_from_text` of a Chinese or Japanese title, read by characters (an unspaced run is
    one of `words`, which a cut inside it would not match): without its "…" and spaces, it
    opens the body's, and the body's sentence runs on after it."""
    head = "".join(_ELLIPSIS_END.sub("", title).split())
    flat = "".join(body[: 4 * len(title) + 400].split())
    if not head or not flat.startswith(head) or len(flat) == len(head):
        return False
    after = flat[len(head) :].lstrip(_CLOSERS)  # (a quote the title's sentence closes)
    return (
        bool(after)
        and after[0] not in _WIDE_STOPS
        and head.rstrip(_CLOSERS)[-1:] not in _WIDE_STOPS
    )


# --- a feed's programme prefix ----------------------------------------------------------------

# A title's kicker: up to four words before a colon that opens it ("24 Oras: …", "Saksi: …",
# "Coronavirus: …"), starting with a capital or a figure; not a quotation ("'Crying on the
# phone': …") nor a sentence ("Why? …").
_KICKER = re.compile(r"([A-Z0-9][^\W_]*(?:[ '’&.-]+[^\W_]+){0,3})\s*:\s+(?=\S)")
FURNITURE_MIN_TITLES = 3  # a prefix on fewer of a feed's titles is no furniture
FURNITURE_SHARE = 1 / 3  # … nor one on less than this share of them
FURNITURE_SAID = 0.1  # … nor one that more than this share of their texts say (a topic)


def _kicker(title: str) -> str | None:
    match = _KICKER.match(title)
    return match.group(1) if match else None


def furniture_prefixes(titles: Sequence[str], texts: Sequence[str]) -> frozenset[str]:
    """The prefixes a feed sets before many of its titles that name no part of the news: a
    programme's or a section's name ("24 Oras: …", "Saksi: …" on most items of a channel's
    feed). A prefix is the feed's furniture when at least FURNITURE_MIN_TITLES and
    FURNITURE_SHARE of the titles open with it, and the texts under them hardly ever say it
    (FURNITURE_SAID): a topic's kicker ("Coronavirus: …") is what its reports are about, and
    they say so. `texts`: each title's text, as the feed's template left it."""
    found: dict[str, list[int]] = {}
    for index, title in enumerate(titles):
        prefix = _kicker(title)
        if prefix is not None:
            found.setdefault(prefix, []).append(index)
    floor = max(FURNITURE_MIN_TITLES, FURNITURE_SHARE * len(titles))
    prefixes = set()
    for prefix, indexes in found.items():
        # (only a text tells: over titles without one, a topic's kicker is never said either)
        told = [texts[i] for i in indexes if texts[i].strip()]
        if len(indexes) < floor or len(told) < FURNITURE_MIN_TITLES:
            continue
        if sum(_says(text, prefix) for text in told) <= FURNITURE_SAID * len(told):
            prefixes.add(prefix)
    return frozenset(prefixes)


def _says(text: str, prefix: str) -> bool:
    """Whether `text` says `prefix`: whole, or each of its words of three letters or more
    (a topic's "Israel-Gaza war: …" over reports of "the war in Gaza", which Israel fights)."""
    pattern = r"(?<!\w){}(?!\w)"
    if re.search(pattern.format(re.escape(prefix)), text, re.IGNORECASE):
        return True
    named = re.findall(r"[^\W\d_]{3,}", prefix)
    return len(named) > 1 and all(
        re.search(pattern.format(re.escape(word)), text, re.IGNORECASE) for word in named
    )


def without_prefix(title: str, prefixes: frozenset[str]) -> str:
    """`title` without the furniture prefix it opens with (`furniture_prefixes`), when what
    follows is a headline of three words or more; else `title` as it is."""
    match = _KICKER.match(title) if prefixes else None
    if match is None or match.group(1) not in prefixes:
        return title
    rest = title[match.end() :]
    return rest if _paragraph_words(rest) >= 3 else title


# A day's name heading a newsletter's teaser ("Tuesday: The state's health director …"): the
# edition's dateline, which changes every day, so no feed sets one label three times. In the
# languages read: English, Spanish, French ("Mardi : …"), German, Italian, Portuguese (its
# "-feira" names: "Segunda" and "Quinta" alone are other words too) and Dutch.
_WEEKDAY_LABELS = frozenset(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    Lunes Martes Miércoles Miercoles Jueves Viernes Sábado Sabado Domingo
    Lundi Mardi Mercredi Jeudi Vendredi Samedi Dimanche
    Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonnabend Sonntag
    Lunedì Lunedi Martedì Martedi Mercoledì Mercoledi Giovedì Giovedi Venerdì Venerdi Sabato
    Domenica
    Segunda-feira Terça-feira Terca-feira Quarta-feira Quinta-feira Sexta-feira
    Segunda-Feira Terça-Feira Terca-Feira Quarta-Feira Quinta-Feira Sexta-Feira
    Maandag Dinsdag Woensdag Donderdag Vrijdag Zaterdag Zondag""".split()
)
# A day's label further on: the text is a list of days ("Montag: Ruhetag. Dienstag: 10 bis
# 18 Uhr."), each line its own, none a dateline.
_LATER_WEEKDAY = re.compile(
    r"(?<!\w)(?:{})\s*:".format("|".join(sorted(_WEEKDAY_LABELS, key=len, reverse=True)))
)
DATELINE_MIN_WORDS = 3  # after a day's label, to be a sentence ("Dienstag: Ruhetag." is none)


def _dateline(text: str, end: int) -> bool:
    """Whether the day's label that `text` opens with (ending at `end`) is a dateline: a
    sentence follows it, with a capital and DATELINE_MIN_WORDS words or more (a German noun
    alone, "Ruhetag.", is a list's line), and no other day's label does (a list of days)."""
    rest = text[end:]
    return (
        rest[:1].isupper()
        and _paragraph_words(rest) >= DATELINE_MIN_WORDS
        and _LATER_WEEKDAY.search(rest) is None
    )


def text_labels(texts: Sequence[str]) -> frozenset[str]:
    """The labels a feed sets before FURNITURE_MIN_TITLES or more of its texts, in mixed case
    and before a sentence ("Coronavirus: Parties and travel plans …", a section's name), and
    a day's name before any one ("Tuesday: …", "Mardi : …", a newsletter edition's dateline,
    `_dateline`): a label in capitals ("COMMENT:") may mark a kind, and is the bullets' to
    read."""
    found: dict[str, int] = {}
    for text in texts:
        match = _KICKER.match(text)
        if match is None or not text[match.end() : match.end() + 1].isupper():
            continue
        label = match.group(1)
        if label in _WEEKDAY_LABELS:
            if _dateline(text, match.end()):
                found[label] = FURNITURE_MIN_TITLES
        elif any(ch.islower() for ch in label):
            found[label] = found.get(label, 0) + 1
    return frozenset(label for label, n in found.items() if n >= FURNITURE_MIN_TITLES)


def without_label(text: str, labels: frozenset[str]) -> str:
    """`text` without the feed's label it opens with (`text_labels`), before a sentence (one
    that opens with a figure or a quote too: "5,000 people …", "‘We waited …’")."""
    match = _KICKER.match(text) if labels else None
    if match is None or match.group(1) not in labels:
        return text
    if text[match.end() : match.end() + 1].islower():
        return text  # (a list's line, "Tuesday: closed.")
    if match.group(1) in _WEEKDAY_LABELS and not _dateline(text, match.end()):
        return text  # (a list of days, "Monday: Closed. Tuesday: 9 to 5.")
    return text[match.end() :]
