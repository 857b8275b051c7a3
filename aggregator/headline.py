"""A story's headline: the most central source title, cleaned of tags, and kept stable.

Pure. `clean` removes what belongs to the outlet's page rather than to the news: outlet and
author suffixes ("| Columnist Name", "- CNN", "｜NHK"), "Live:", "– live!", "– in pictures",
"WATCH:", "【速報】" and similar tags, and the full stop of a title written as one sentence. A word
a title shouts in capitals ("… is SACKED") is written as the story's sources write it elsewhere
(`calm`). `choose` scores each title by its similarity to the story's centre and keeps the
previous headline unless a clearly better one has arrived, so readers that key items on titles
don't show the story twice. Title lengths are counted by `word_count`, so a Chinese or Japanese
title (no spaces) is as long as its characters make it.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .bullets import is_truncated
from .dashes import as_dashes
from .item_kinds import caps_bylines, is_placeholder_title
from .sentence_scoring import normalise
from .titles import clean_headline, strip_prefix_tags
from .tokens import STOPWORDS, tokens, word_count

__all__ = ["KEEP_MARGIN", "HeadlineChoice", "calm", "choose", "clean", "ordinary_words", "shouts"]

KEEP_MARGIN = 1.25  # a new headline must score this many times the current one to replace it
MAX_HEADLINE_CHARS = 200  # a longer title (a whole post sent as its title) is shortened
_NO_BODY = 0.75  # a title whose source has no bullet-worthy sentence
_SHOUTS = 0.8  # a title that shouts a word in capitals: another source's title may say it calmly
# Acronyms that are also common words: never taken for a shouted word.
_ACRONYM_WORDS = frozenset({"who", "aids", "ice", "act", "cop", "fed", "sat", "gap", "pin"})
# An English word's ending that no acronym or name in capitals has: a word a title shouts
# that its story's short texts never write ("Iron on the Moon is RUSTING").
_WORD_ENDING = re.compile(
    r"[AEIOUY][A-Z]*(?:ING|IED|[^E]ED|LY|TION|TIONS|MENT|MENTS|NESS|IEST|ABLE|IBLE|LESS|FUL)$"
)
# Numbers written as words ("… for the FIFTH year", "FOUR new items", "by a THIRD"): no acronym
# is one, so a title writes one in capitals only to shout it. Left out are those that are
# names written in capitals: "TWICE" and "SEVENTEEN" (K-pop groups: "K-pop group TWICE tops
# chart").
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions trillion first "
    "second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth hundredth "
    "thousandth millionth half halves thirds quarter quarters thrice double triple "
    "quadruple".split()
)
# Irregular past forms headlines shout ("Man CAUGHT on camera", "… was STOLEN"): verbs, never
# an acronym's letters.
_PAST_FORMS = frozenset(
    "caught told sold found made lost fled fought bought brought thought taught sought slain "
    "swept kept wept struck stolen taken given seen thrown beaten bitten broken chosen driven "
    "eaten fallen forgotten frozen hidden ridden risen shaken spoken sworn torn woken worn "
    "written flung swung stung hung".split()
)
_CAPS_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]{3,}(?![\w'’-])")
# A word in capitals in a text with its possessive ("TEN's new single"): the text
# writes it in capitals, a name.
_CAPS_POSSESSIVE = re.compile(r"(?<![\w'’-])([^\W\d_]{3,})['’]s(?![\w'’-])")
# Words too short for `_CAPS_WORD` that a title all in capitals writes so only because it
# shouts ("US", "UK", "EU", "UN", "TV", "IT" are not here: they may be names)
_SHORT_WORD = re.compile(r"(?<![\w'’.-])[A-Z]{1,2}(?![\w'’.-])")
_SHORT_WORDS = frozenset("A OF IN ON TO AT BY AS AN OR BE IS IF SO NO UP DO GO WE HE ME MY".split())

# (with the same tags in Tagalog: "Alamin" find out, "Panoorin" watch, "Basahin" read,
# "Abangan" look out for, "Tingnan" see)
# A hyphen glued to the next word ends a tag only after a numbered update or a tag in capitals
# ("UPDATE 2-…", "EXCLUSIVE-…"; `titles.strip_prefix_tags`): "Live-action …", "Video-sharing …"
# are compound words, the headline's own.
_PREFIX = re.compile(
    r"^\s*(?P<tag>opinion|comment|commentary|analysis|editorial|column|perspective|op-ed|review|"
    r"watch|listen|video|photos?|pictures|gallery|in\s+pictures|live(?:\s+updates?)?|breaking|"
    r"exclusive|explainer|factbox|fact\s+check|the\s+latest|(?P<numbered>update\s*\d+)|update|"
    r"just\s+in|developing|alamin|panoorin|basahin|abangan|tingnan)(?P<sep>\s*[:|—–-]\s*)",
    re.IGNORECASE,
)
_SUFFIX = re.compile(
    r"\s*(?:[:|—–-]|\s-)\s*(?:live!?|live\s+updates?|live\s+blog|as\s+it\s+happened|"
    r"in\s+pictures|in\s+photos|photo\s+essay|photos?|pictures|video|watch|podcast|"
    r"opinion|analysis|explainer|review)\s*!?\s*$|\s*[\[(](?:video|photos?|pictures|watch|"
    r"live|updated?|gallery|poll|opinion|analysis|podcast|hd)[\])]\s*$",
    re.IGNORECASE,
)
# "CNN fact check: …", "Courant analysis: …": a tag of `_PREFIX` after the outlet's own name
# (`_without_own_name`): the name goes with it.
_NAMED_TAG = re.compile(
    r"^\s*(\S+(?:\s+\S+){0,2}?)\s+(?=(?:opinion|commentary|analysis|editorial|column|"
    r"explainer|factbox|fact\s+check|exclusive|live(?:\s+updates?)?|video|watch)\s*(?:[:|—–]|-(?!\w)))",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"\w+")


# "| Polly Toynbee", "| Letters": a pipe then a short name, at the end.
_PIPE_NAME = re.compile(r"\s+\|\s+[^|]{2,50}$")
# "Coronavirus updates LIVE: Cases fall …": a live blog's tag in capitals before the colon,
# dash or bar that ends its label (in lower case "live" may be the news: "Live music returns";
# in a title all in capitals it may be a name's: "SATURDAY NIGHT LIVE: …").
_LIVE_TAG = re.compile(r"\s+LIVE(?=\s*(?:[:|—–]|\s-\s))")
# "SRO | Teleradyo (3 September 2020)": a programme on a channel, then the episode's date.
_PIPE_NAME_DATE = re.compile(r"\s+\|\s+[^|()]{2,50}?(\s*\([^()|]*\b\d{4}\))\s*$")
# "… goes missing: reports", "… --rights group", "…: Germany", "… - police": a title that
# ends naming who says it. Such a title scores less; it stays when no source says the news
# plainly, its attribution kept (the claim is theirs).
_SPEAKERS = (
    r"(?:[\w'’.&-]+\s)?(?:police|officials?|sources?|reports?|media|study|ministry|minister|"
    r"spokes(?:man|woman|person)|group|groups|court|experts?|head|chief)"
)
_SAID_BY = re.compile(
    rf"(?:\s--\s?[^\W\d_][\w'’.&-]*(?:\s[\w'’.&-]+){{0,2}}"
    rf"|\s[-–—]\s(?:{_SPEAKERS}|[A-Z][\w'’.&-]+(?:\s[\w'’.&-]+)?)"
    rf"|:\s(?:{_SPEAKERS}|[A-Z][\w'’.&-]+))\s*$"
)
_SAID_BY_COST = 0.7
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|……)\s*$")  # "……": the Chinese and Japanese ellipsis
# A one-sentence title written as a sentence ("Voters back the harbour bridge."), as some
# outlets' briefing posts are: a headline ends without a full stop. Kept: a title of two
# sentences ("Wins in 2018. The Party Hopes for a Repeat."), and a stop that may be an
# abbreviation's: after a word with a stop in it ("U.S.") or a short capitalised word ("Jr.",
# "Inc.", "Calif.", "Sept."; a short name keeps its stop too, the price of not telling them
# apart).
_FULL_STOP = re.compile(r"[^\W\d_]{2}\.$")
_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)]?\s+[\"'“‘(]?[A-Z0-9]")
# Chinese and Japanese tags of the same kinds: "【速報】", "【動画】", "快讯：", "（视频）", and an
# outlet after a full-width bar ("｜NHK").
_CJK_TAGS = (
    r"速報|動画|写真(?:特集)?|独自|ライブ|中継|解説|社説|コラム|詳報|随時更新|更新|"
    r"视频|視頻|图集|组图|組圖|图片|圖片|独家|獨家|快讯|快訊|直播|突发|突發|评论|評論|社评|社評|"
    r"解读|解讀|影音|圖輯"
)
_CJK_PREFIX = re.compile(rf"^\s*(?:[【［\[](?:{_CJK_TAGS})[】］\]]|(?:{_CJK_TAGS})[：:])\s*")
_CJK_SUFFIX = re.compile(rf"\s*(?:[【［\[（(](?:{_CJK_TAGS})[】］\]）)]|｜[^｜|]{{1,20}})\s*$")
# A Chinese or Japanese outlet after a dash, an underscore or a colon ("… - 新华网",
# "…_新闻频道_中华网", "…：朝日新聞デジタル"): a short name ending as outlets' names end.
_CJK_OUTLET = re.compile(
    r"\s*(?:\s[-—–－]\s|[—－_：]|\s[-—–－]|[-—–－]\s)\s*[^\s。！？，、：:_|｜]{1,16}?"
    r"(?:网|網|新闻|新聞|日报|日報|晚报|晚報|早报|早報|时报|時報|通讯社|通訊社|电视台|電視台|"
    r"频道|頻道|デジタル|ニュース|通信|オンライン|[Oo]nline|\.com|\.cn|\.jp)\s*$"
)


# A title that speaks to the reader ("See <name>'s response …", "Watch …", "Meet the …",
# "Here's what …") points at a clip or a guide rather than telling the news: it scores as a
# question does, so another outlet's title that tells the news leads.
_TO_THE_READER = re.compile(
    r"^(?:see|watch|meet|listen|hear|look|read|discover|find\s+out|learn|here['’]s|here\s+is|"
    r"here\s+are)\b(?![-'’])",
    re.IGNORECASE,
)


def _without_own_name(text: str, outlet: str) -> str:
    """`text` without the item's own outlet's name before a tag ("CNN fact check: …")."""
    match = _NAMED_TAG.match(text) if outlet else None
    if match is None:
        return text
    # The outlet's whole name, or its host's label ("Courant" of "courant.example"): a word of
    # its name alone may be the news's place ("China analysis: …" of the South China Morning Post).
    words = outlet.split()
    cut = len(words)
    while cut and words[cut - 1].islower():
        cut -= 1
    name = [w for w in _NAME_WORD.findall(" ".join(words[:cut]).casefold()) if w != "the"]
    labels = set(_NAME_WORD.findall(" ".join(words[cut:])))
    named = _NAME_WORD.findall(match.group(1).casefold())
    joined = "".join(named)
    own = (named and [w for w in named if w != "the"] == name) or (
        joined in labels or f"the{joined}" in labels
    )
    return text[match.end() :] if own else text


# A story's titles are cleaned for its sources and again to choose its headline, and again at
# each summary of the story: a bounded memo makes the repeats free.
@functools.lru_cache(maxsize=4096)
def clean(title: str, outlet: str = "", live: bool = False) -> str:
    """A source title as a headline: no outlet, author, live or gallery tags, no ellipsis,
    a double hyphen between words written as a dash.
    `outlet`: the item's own outlet (`titles.own_outlet`), which a dash suffix may name
    (`titles.names_outlet`); any other dash suffix is the headline's own ("… - Germany").
    `live`: the title heads a story of live blogs only, whose label's "LIVE" ("Updates LIVE:
    …") says what the story is and stays (else the story's "Live:" label is put back before
    the title's own label: "Live: Updates: …")."""
    title = _PIPE_NAME_DATE.sub(r"\1", title)
    text = clean_headline(title, outlet) or title.strip()
    if "LIVE" in text and not live and not text.isupper():  # (all in capitals: no tag told)
        text = _LIVE_TAG.sub("", text)
    text = _without_own_name(as_dashes(text), outlet)
    for _ in range(3):
        before = text
        text = strip_prefix_tags(text, _PREFIX)
        text = _SUFFIX.sub("", text)
        if not text.isascii():
            text = _CJK_PREFIX.sub("", text)
            cut = _CJK_OUTLET.sub("", _CJK_SUFFIX.sub("", text))
            if cut != text and word_count(cut) >= 3:
                text = cut
        head = _PIPE_NAME.sub("", text)
        if word_count(head) >= 3:
            text = head
        text = text.strip(" -—–|:")
        if text == before:
            break
    text = _ELLIPSIS.sub("", text)
    text = _named_calmly(text)
    if text.endswith(".") and _FULL_STOP.search(text) and not _SENTENCE_BREAK.search(text):
        last = text[:-1].rsplit(None, 1)[-1]
        if "." not in last and not (last[:1].isupper() and len(last) <= 5):
            text = text[:-1]
    return shortened(text or clean_headline(title, outlet) or title.strip())


def _named_calmly(title: str) -> str:
    """The title with its columnist's name in capitals (`item_kinds.caps_bylines`) written as
    a name is ("STEPHEN GLOVER: Never mind …" → "Stephen Glover: Never mind …")."""
    spans = caps_bylines(title)
    for start, end in reversed(spans):
        title = title[:start] + _NAME_PART.sub(_as_name, title[start:end]) + title[end:]
    return title


_NAME_PART = re.compile(r"[A-Z]+")


def _as_name(match: re.Match[str]) -> str:
    part = match.group()
    before = match.string[match.start() - 1 : match.start()]
    if part == "S" and before in "'’" and match.start() > 0:  # ("GLOVER'S": a possessive)
        return "s"
    return part[0] + part[1:].lower()


def shortened(text: str, limit: int = MAX_HEADLINE_CHARS) -> str:
    """`text` as a headline of at most `limit` characters. No news outlet's title comes near
    (the longest of ~1,300 on the real-news days: 139); a feed that sends a whole post as its
    title does (7 Reddit posts of the dev feed files' 2,194 entries). A longer one ends with
    its last sentence that fits and leaves four words or more; else it is cut at a word, with
    "…"."""
    if len(text) <= limit:
        return text
    ends = [m.start() + 1 for m in _SENTENCE_BREAK.finditer(text, 0, limit + 2)]
    ends = [end for end in ends if end <= limit and word_count(text[:end]) >= 4]
    if ends:
        return text[: ends[-1]].rstrip(".")
    cut = text[: limit - 1]  # (and "…")
    if not text[limit - 1].isspace() and " " in cut:
        cut = cut.rsplit(None, 1)[0]  # (a word the limit cuts goes whole)
    return cut.rstrip(" ,;:-—–") + "…"


def ordinary_words(titles: Sequence[str], texts: Sequence[str]) -> frozenset[str]:
    """Words a story's sources write in lower case (in titles or texts) and never in capitals
    in their texts, English function words ("you", "should"), numbers written as words
    ("FIFTH") and irregular past forms ("CAUGHT"): in capitals in a title, such a word is
    shouted, not an acronym."""
    lower: set[str] = set()
    capitals: set[str] = set()
    for text in texts:
        for word in _CAPS_WORD.findall(text):
            if word.islower():
                lower.add(word)
            elif word.isupper():
                capitals.add(word.lower())
        if "'" in text or "’" in text:
            capitals.update(w.lower() for w in _CAPS_POSSESSIVE.findall(text) if w.isupper())
    for title in titles:
        for word in _CAPS_WORD.findall(title):
            if word.islower():
                lower.add(word)
            elif word.isupper() and _WORD_ENDING.search(word):
                lower.add(word.lower())  # ("RATIONED", "RUSTING": no acronym ends so)
    lower.update(w for w in STOPWORDS if len(w) >= 3)
    lower.update(_NUMBER_WORDS)
    lower.update(_PAST_FORMS)
    return frozenset(lower - capitals - _ACRONYM_WORDS)


def shouts(titles: Sequence[str]) -> bool:
    """Whether any of the titles writes a word in capitals (only then can `calm` change one)."""
    return any(word.isupper() for title in titles for word in _CAPS_WORD.findall(title))


def calm(title: str, ordinary: frozenset[str]) -> str:
    """The title with each word it shouts in capitals (an `ordinary` word: "SACKED", "YOU")
    in lower case, capitalised at the start. A title all in capitals ("FEVER SPIKE") is
    written in sentence case when every word of it is ordinary, else left as it is (a name
    or an acronym in it could not be told from the rest)."""
    if not ordinary:
        return title
    if title.isupper() and any(
        w.lower() not in ordinary for w in _CAPS_WORD.findall(title) if w.isupper()
    ):
        return title

    def lower(match: re.Match[str]) -> str:
        word = match.group()
        if not word.isupper() or word.lower() not in ordinary:
            return word
        return word.capitalize() if match.start() == 0 else word.lower()

    calmed = _CAPS_WORD.sub(lower, title)
    if title.isupper():  # (its short words too: "DUTY OF CARE" → "Duty of care")
        calmed = _SHORT_WORD.sub(
            lambda m: m.group().lower() if m.start() and m.group() in _SHORT_WORDS else m.group(),
            calmed,
        )
    return calmed


@dataclass(frozen=True, slots=True)
class HeadlineChoice:
    text: str
    index: int  # the source whose title it is; -1 when no source had a usable title
    score: float


def _vector(text: str, idf: dict[str, float]) -> dict[str, float]:
    """A title's TF-IDF vector, weighed as `sentence_scoring.vectorise` weighs a unit's (a
    term no unit of the story holds has IDF 1, as one that every unit holds)."""
    terms = Counter(tokens(text))
    return normalise({t: (1.0 + math.log(c)) * idf.get(t, 1.0) for t, c in terms.items()})


def _score(raw: str, title: str, centroid: dict[str, float], idf: dict[str, float]) -> float:
    vec = _vector(title, idf)
    score = sum(w * centroid.get(t, 0.0) for t, w in vec.items()) + 0.05
    n = word_count(title)
    if title.rstrip("\"'”’」』").endswith(("?", "？")) or _TO_THE_READER.match(title):
        score *= 0.5
    if is_truncated(raw) or is_truncated(title):
        score *= 0.4
    if n < 4:
        score *= 0.7
    elif n > 20:
        score *= 0.8
    if title.isupper():
        score *= 0.7
    if _SAID_BY.search(title) and word_count(title) > 5:
        score *= _SAID_BY_COST
    return score


def choose(
    raw_titles: Sequence[str],
    eligible: Sequence[bool],
    centroid: dict[str, float],
    idf: dict[str, float],
    previous: str | None = None,
    has_body: Sequence[bool] | None = None,
    ordinary: frozenset[str] = frozenset(),
    outlets: Sequence[str] | None = None,
    live: bool = False,
) -> HeadlineChoice:
    """The best eligible title (cleaned); the previous headline when still as good.

    `eligible[i]` says whether source i may supply the headline (news items, when the story
    has any); a placeholder title ("Please enable JavaScript …") never does. The previous
    headline stays while a source still carries it and no title scores KEEP_MARGIN times
    better. A source with no usable sentences (`has_body[i]` false) scores
    less: the headline's own source should also supply a bullet. A title that shouts an
    `ordinary` word in capitals scores less, and is written calmly (`calm`). `outlets[i]`:
    source i's outlet, which its title's dash suffix may name (`clean`); `live`: the sources
    are live blogs only, whose titles keep a label's "LIVE" (`clean`).
    """
    best: HeadlineChoice | None = None
    kept: HeadlineChoice | None = None
    for index, raw in enumerate(raw_titles):
        if not eligible[index]:
            continue
        title = clean(raw, outlets[index] if outlets is not None else "", live)
        if word_count(title) < 2 or is_placeholder_title(title):
            continue
        score = _score(raw, title, centroid, idf)
        if has_body is not None and not has_body[index]:
            score *= _NO_BODY
        calmed = calm(title, ordinary)
        if calmed != title:
            title, score = calmed, score * _SHOUTS
        choice = HeadlineChoice(title, index, score)
        if best is None or score > best.score:
            best = choice
        if previous and title == previous and (kept is None or score > kept.score):
            kept = choice
    if kept is not None and best is not None and best.score < kept.score * KEEP_MARGIN:
        return kept
    return best or HeadlineChoice("", -1, 0.0)
