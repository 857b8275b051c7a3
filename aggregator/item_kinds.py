"""What kind of piece an item is: news, or an advert, page furniture, opinion, a personal essay,
review, live blog or round-up; and whether a title is a placeholder rather than a headline.

Pure and cheap (a few regular expressions over the title, the start of the text and the link).
Adverts are never published. Furniture (a page's notice repeated under unrelated titles, as
grouping found it: `Item.furniture`) is kept in the store but never published: a story of
furniture alone gets no summary. The other non-news kinds may be listed as a story's sources,
labelled, but don't supply a news story's facts or headline; a personal essay (a piece told
in its writer's own first person, or titled in it, with no other mark of a column) is
labelled "Opinion" and never heads a news story, but its sentences may be bullets, in its
writer's name (`writer_voice`): it is often the newsmaker's own account.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Literal
from urllib.parse import urlsplit

from .lang import detect_language
from .models import Item
from .text import has_case_special
from .writer_voice import opens_in_first_person, titled_in_first_person

__all__ = [
    "KIND_LABELS",
    "Kind",
    "caps_bylines",
    "is_advert",
    "is_placeholder_title",
    "item_kind",
    "publishable",
    "published",
    "supplies_bullets",
    "supplies_facts",
    "title_says",
]

Kind = Literal["news", "advert", "furniture", "opinion", "essay", "review", "live", "roundup"]

# How a non-news source is labelled in a summary's source list.
KIND_LABELS: dict[str, str] = {
    "opinion": "Opinion",
    "essay": "Opinion",
    "review": "Review",
    "live": "Live",
    "roundup": "Round-up",
}

_SEP = r"\s*[:|—–-]\s*"
_ADVERT_TITLE = re.compile(
    r"^\s*[\[(]?(?:sponsored|advertisement|advertorial|paid\s+(?:content|post|partner)|"
    r"partner\s+content|promoted|promotion|brand\s*studio|ad)\b[\])]?\s*(?:[:|—–-]|by\b)|"
    r"^\s*[\[(](?:sponsored|ad|advertisement|paid\s+content|promoted)[\])]|"
    r"[\[(](?:sponsored|ad|advertisement|paid\s+content|promoted)[\])]\s*$|"
    r"\b(?:sponsored\s+by|presented\s+by|paid\s+for\s+by|in\s+partnership\s+with)\s+[A-Z]",
    re.IGNORECASE,
)
_ADVERT_TEXT = re.compile(
    r"^\s*(?:sponsored|advertisement|advertorial|paid\s+content|partner\s+content|"
    r"this\s+(?:content|article|post)\s+(?:is|was)\s+(?:sponsored|paid\s+for|produced\s+by|"
    r"created\s+by)|(?:this\s+is\s+)?an?\s+(?:sponsored|paid)\s+(?:post|article))\b",
    re.IGNORECASE,
)
_ADVERT_PATH = re.compile(
    r"/(?:sponsored|sponsor-content|advertorial|paid-post|paidpost|partner-content|"
    r"brand-?studio|promoted|native-ads?|cnn-underscored|underscored|spotlight/partner)(?:/|$|-)",
    re.IGNORECASE,
)
_ADVERT_HOSTS = re.compile(
    r"(?:^|\.)(?:doubleclick\.net|googleadservices\.com|taboola\.com|outbrain\.com|"
    r"zergnet\.com|lendingtree\.com|bankrate\.com|nextadvisor\.com|adclick\.g\.doubleclick\.net)$"
    r"|^(?:ads?|adserver|adclick|track|clk)\.",
    re.IGNORECASE,
)
_OPINION_TITLE = re.compile(
    rf"^\s*(?:opinion|comment|commentary|analysis|editorial|column|perspective|op-ed|"
    rf"letters?|viewpoint|view|our\s+view|the\s+big\s+idea){_SEP}|"
    rf"{_SEP}(?:opinion|editorial|letters?|column)\s*$",
    re.IGNORECASE,
)
# A columnist's piece by its byline in the title: "…, writes Jane Doe" at the end, or a name in
# capitals opening a title (or what follows its colon) in mixed case, then a colon or a word in
# lower case ("JANE DOE: Never mind …", "…: JANE DOE watches PMQs"); kickers and shouted words
# in capitals ("BREAKING NEWS:", "MARKET SNAPSHOT:") are no name.
_WRITES_BYLINE = re.compile(r",\s*writes\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}\s*$")
_CAPS_NAME = re.compile(
    r"(?:^|[:…]\s*|\.\.\.\s*)((?:DR\.?\s+)?[A-Z][A-Z'’-]+(?:\s+[A-Z][A-Z'’-]+){1,2})"
    r"(?=\s*:|\s+[a-z])"
)
# An analysis or column whose text opens with its byline: "…, Jane Doe writes." ends its first
# sentence (a correspondent's analysis, as the BBC marks them).
_WRITES_TEXT = re.compile(r"^[^.!?\n]{20,300},\s+(?:[A-Z][\w'’.-]*\s+){1,3}writes\.(?:\s|$)")
# A column or analysis whose text opens with its label in capitals ("COMMENT: …", "ANALYSIS
# The …"), as a feed marks its columns under a byline in mixed case ("Jane Doe: The plan …",
# which reads like a report on Jane Doe); a word in capitals after it ("OPINION POLLS show")
# is no label.
_LABEL_TEXT = re.compile(
    r"(?:COMMENT|OPINION|ANALYSIS|EDITORIAL|COLUMN|COMMENTARY|PERSPECTIVE|VIEWPOINT)"
    r"(?:\s*[:|—–-]\s*|\s+)(?=[\"'“‘]|[A-Z][a-z’'])"
)
# A programme's host giving their own view: a title that opens with a bare name and a colon
# ("Hannity: Democrats are …", "Daniel Dale: 'It's almost …'") over a text that names them as
# the outlet's own ("CNN's Don Lemon discusses …", "Fox News' Laura Ingraham …") or only tags
# them as its programme ("… #FoxNews #Hannity"). A newsmaker's words under their name ("Kenosha
# mayor: …", "Jane Roe: Council leader quits") are reported: their text names them otherwise.
_SPEAKER_TITLE = re.compile(r"([A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){0,2}):\s")
_OUTLET_NAME = re.compile(r"\s*\([^()]*\)\s*$")  # ("CNN (video)": the channel's note)
_KICKER_WORDS = frozenset(
    "BREAKING NEWS JUST IN EXCLUSIVE WORLD WATCH UPDATE UPDATED VIDEO PHOTOS PICTURES PICTURED "
    "REVEALED LIVE SPECIAL REPORT FACT CHECK FIRST LOOK DEVELOPING ALERT URGENT OFFICIAL "
    "CONFIRMED WARNING MAIL POLL QUIZ COVID CORONAVIRUS THE A AN OF ON FOR TO AND OR IN AT BY "
    "US USA UK EU UN NHS WHO NATO FBI CIA GOP NEW TOP LATEST HOW WHY WHAT MUST SEE READ MORE "
    "OUR YOUR MY ELECTION TRUMP BIDEN HEALTH MONEY SPORT TRAVEL STYLE TECH SCIENCE BUSINESS "
    "POLITICS AGAIN NOT NEVER ALL NO YES NOW FINALLY EVER REALLY VERY ONLY STILL BACK OUT UP "
    "DOWN OFF IS ARE WAS WERE BE HAS HAVE HAD WILL CAN IT THIS THAT HE SHE THEY WE YOU I ME "
    "HIS HER THEIR DEAD DIES DIED OVER FREE SHOCK HORROR MARKET MARKETS SNAPSHOT WRAP BRIEF "
    "BRIEFING ANALYSIS PREVIEW RECAP DIGEST FOCUS INSIGHT FACTBOX TIMELINE OUTLOOK STOCKS FOREX "
    "METALS OIL GOLD ASIA ASIAN EUROPE EUROPEAN GLOBAL CORRECTED REFILE OFFICIALS "
    # bodies' and broadcasters' acronyms that open shouted titles ("IMF WARNS of …"), and
    # other languages' kickers ("EN VIVO:", "EN DIRECTO:")
    "IMF WTO ECB FED OPEC IAEA ICC ICJ FIFA UEFA IOC NASA CDC FDA SEC IRS DOJ PM MP MPS BBC "
    "CNN ABC NBC CBS AFP AP EN VIVO DIRECTO ALERTA URGENTE".split()
)
_OPINION_PATH = re.compile(
    r"/(?:opinion|opinions|commentisfree|comment|commentary|columnists?|columns|editorials?|"
    r"op-?eds?|letters|blogs?|views|perspectives?)(?:/|$)",
    re.IGNORECASE,
)
_REVIEW_TITLE = re.compile(
    rf"^\s*(?:review|film\s+review|book\s+review|theatre\s+review|tv\s+review){_SEP}|"
    rf"(?:\s[—–-]|:)\s*(?:\w+\s+)?review(?:\s*[—–-]\s*.+)?\s*$|"
    r"\breview:\s|^[^:]{1,80}\sreview\s+[—–-]\s|\s\d\s*/\s*5\s*$|[★☆]{3,}",
    re.IGNORECASE,
)
_REVIEW_PATH = re.compile(r"/(?:reviews?|critics?)(?:/|$)", re.IGNORECASE)
_LIVE_TITLE = re.compile(
    r"^\s*(?:live(?:\s+(?:updates?|blog|coverage|news))?|as\s+it\s+happened|the\s+latest)"
    r"(?:\s*[:|—–]|\s*-(?!(?-i:[a-z])))|"  # ("Live-action …" is a compound word)
    r"(?:\s[—–-]|:)\s*(?:live!?|live\s+updates?|as\s+it\s+happened|live\s+blog|live\s+coverage)"
    r"\s*!?\s*$|\blive\s+(?:news\s+)?updates?\b|\blive:\s|\blive\s+(?:blog|tracker)\b|"
    r"\blive\s?stream\b",
    re.IGNORECASE,
)
_LIVE_PATH = re.compile(
    r"/(?:live-news|live-updates?|liveblog|live-blog|live)(?:/|$)|-live\.html$|"
    r"[-/]live-(?:[\w-]*?-)?updates?\b|\bupdates?-live\b|-live-blog\b",
    re.IGNORECASE,
)
# The folder of a live page, and what follows it when a link names one post of the page
# ("/live-news/<page>/h_5f3a…", "…#block-5f3a…", "?post=…"): the post reports one event, told
# by its own title, not the page's many.
_LIVE_FOLDER = re.compile(r"/(?:live-news|live-updates?|liveblog|live-blog|live)/", re.I)
_LIVE_POST = re.compile(
    r"#.|[?&](?:page=with:)?(?:block|post|entry)\w*[=-]"
    r"|/[^/?#]+/[a-z]{1,6}[_-][0-9a-f]{8,}/?(?:[?#]|$)",
    re.I,
)
_ROUNDUP_TITLE = re.compile(
    r"^\s*(?:morning|evening|weekend|daily|the)?\s*(?:briefing|digest|round-?up|newsletter|"
    r"bulletin|headlines|news\s+in\s+brief|what\s+you\s+need\s+to\s+know|(?:\d+\s+)?things\s+to\s+know)"
    rf"(?:{_SEP}|\s*$)|"
    rf"(?:{_SEP}|\s)(?:in\s+pictures|in\s+photos|photos\s+of\s+the\s+(?:day|week)|news\s+round-?up|"
    r"round-?up|briefing|quiz|podcast)\s*!?\s*$|^\s*(?:quiz|podcast|newsletter|crossword)\b",
    re.IGNORECASE,
)

# A pastime, not news (never published, as adverts are): a horoscope, a day's puzzle or word
# game, a "find the …" picture ("Your Daily Horoscope for Thursday" had been a World story).
_PASTIME_TITLE = re.compile(
    r"^\s*(?:your\s+|today['’]?s\s+|the\s+)?(?:(?:daily|weekly|monthly|free)\s+)?"
    r"(?:horoscopes?|astrology\s+forecast|star\s+signs?)\b|\bhoroscopes?\s+(?:for|today)\b|"
    r"^\s*(?:(?:daily|today['’]?s|the)\s+)?(?:sudoku|crossword|word\s+search|wordle|jigsaw|"
    r"puzzle\s+of\s+the\s+day)(?:\s*(?:[:|—–-]|#?\d|no\.|answer|hint|clue|$))|"
    r"^\s*can\s+you\s+(?:find|spot|solve)\b[^?]{0,80}\b(?:picture|photo|image|puzzle|"
    r"riddle|hidden|seconds)\b|^\s*spot\s+the\s+difference\b|"
    r"\b(?:brain\s*teaser|tricky\s+\w+\s+challenge)\b",
    re.IGNORECASE,
)

# A programme's dated edition: its name, a separator, then the date ("Evening News: May 2,
# 2024 [HD]", "Best of cartoons, May 2, 2024", "… | May 2, 2024 Full Episode").
_EDITION_TITLE = re.compile(
    r"(?:[:|,(]|\s[—–-])\s*(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|"
    r"july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+"
    r"\d{1,2},?\s+\d{4}\)?\s*(?:\[hd\]|full\s+episode)?\s*$|\bfull\s+episode\s*$",
    re.IGNORECASE,
)

# Titles that stand in for a missing headline: a page's script notice, a CMS default, an error
# page's or an encyclopedia's heading, in the languages feeds come in. Two items under one of
# these share no story, and none is a story's headline (the title is cut from the text instead).
_PLEASE = (
    r"(?:you\s+(?:will\s+)?(?:need|must|have)\s+to|please|kindly|bitte|veuillez|merci\s+d['’]|"
    r"por\s+favor|per\s+favore|gelieve|proszę)"
)
_TO_USE = (
    r"(?:to|pour|para|per|om)\s+(?:watch|view|see|play|use|read|ver|voir|regarder|lire|vedere|"
    r"guardare|assistir|bekijken)\b"
)
_JS_VERB = r"(?:enable|activate|turn\s+on|switch\s+on|allow)"
_PLACEHOLDER_TITLE = re.compile(
    r"^\s*[\[(]?(?:untitled(?:\s+(?:document|post|story|article))?|no\s+title|no\s+subject|"
    r"sans\s+titre|ohne\s+titel|kein\s+titel|sin\s+t[ií]tulo|senza\s+titolo|sem\s+t[ií]tulo|"
    r"zonder\s+titel|bez\s+tytu[łl]u|(?:error\s+)?404(?:\s+not\s+found)?|(?:page\s+)?not\s+found|"
    r"access\s+denied|just\s+a\s+moment|attention\s+required|are\s+you\s+a\s+robot|"
    r"seite\s+nicht\s+gefunden|page\s+introuvable|p[áa]gina\s+no\s+encontrada|"
    r"pagina\s+non\s+trovata|video|photos?|image|gallery|audio|tweet\s+with\s+a\s+location|"
    r"from\s+wikipedia,?\s+the\s+free\s+encyclopedia|"
    r"aus\s+wikipedia,?\s+der\s+freien\s+enzyklop[äa]die|"
    r"de\s+wikipedia,?\s+la\s+enciclopedia\s+libre|"
    r"wikip[ée]dia,?\s+l['’]encyclop[ée]die\s+libre)[\])]?\s*[.!?:…]*\s*$|"
    # script notices: a request ("Please enable JavaScript …", "Bitte aktivieren Sie
    # JavaScript", "To watch this video, enable JavaScript"), or a statement of need
    rf"^\s*(?:{_PLEASE}|{_TO_USE}|{_JS_VERB}\s+(?:your\s+)?javascript\b).{{0,80}}\bjavascript\b|"
    rf"^\s*{_JS_VERB}\s+(?:your\s+)?javascript\b|"
    r"\b(?:requires?|needs?|erfordert|nécessite|requiere|richiede)\s+javascript\b|"
    r"\bjavascript\s+(?:is\s+)?(?:required|disabled|turned\s+off|(?:is\s+)?not\s+"
    r"(?:enabled|available|supported)|must\s+be\s+enabled|erforderlich|requis|deaktiviert)\b|"
    r"^\s*media\s+playback\s+is\s+(?:un)?supported\b",
    re.IGNORECASE,
)


# The title patterns are tried at every character, under IGNORECASE: most titles hold none of
# the words each needs, which substring tests of the lower-cased title tell ~20x faster.
# Lower-casing keeps what IGNORECASE matches of these ASCII words except for "İ", "ı" and "ſ"
# (`has_case_special`): a title with one of those is searched by the patterns themselves.
class _Hinted:
    """`pattern.search` as a truth value, tried only when the lower-cased text holds one of
    `marks` (each alternative of the pattern needs one); the alternatives that need none are
    anchored at the start (`anchored`), so without a mark only a match at 0 is possible."""

    def __init__(self, pattern: re.Pattern[str], marks: tuple[str, ...], anchored: bool) -> None:
        self.pattern = pattern
        self.marks = marks
        self.anchored = anchored

    def search(self, text: str, low: str | None) -> bool:
        """Whether `pattern` is found in `text`; `low` is `text.lower()`, or None when `text`
        holds a character lower-casing does not answer for (see `_lower`)."""
        if low is None or any(mark in low for mark in self.marks):
            return self.pattern.search(text) is not None
        return self.anchored and self.pattern.match(text) is not None


def _lower(text: str) -> str | None:
    """`text.lower()` for the hints' substring tests; None when it holds "İ", "ı" or "ſ"."""
    return None if has_case_special(text) else text.lower()


_ADVERT_HINTS = _Hinted(
    _ADVERT_TITLE, ("[", "(", "sponsored", "presented", "paid", "partnership"), anchored=True
)
_PLACEHOLDER_HINTS = _Hinted(_PLACEHOLDER_TITLE, ("javascript",), anchored=True)
_PASTIME_HINTS = _Hinted(
    _PASTIME_TITLE,
    ("horoscope", "astrolog", "star sign", "sudoku", "crossword", "word search", "wordle",
     "jigsaw", "teaser", "puzzle", "can you", "spot the", "challenge"),
    anchored=False,
)  # fmt: skip
_LIVE_HINTS = _Hinted(_LIVE_TITLE, ("live", "happened", "latest"), anchored=False)
_REVIEW_HINTS = _Hinted(_REVIEW_TITLE, ("review", "/", "\u2605", "\u2606"), anchored=False)
_OPINION_HINTS = _Hinted(
    _OPINION_TITLE,
    ("opinion", "comment", "analysis", "editorial", "column", "perspective", "op-ed", "letter",
     "view", "idea"),
    anchored=False,
)  # fmt: skip
_ROUNDUP_HINTS = _Hinted(
    _ROUNDUP_TITLE,
    ("brief", "digest", "round", "newsletter", "bulletin", "headlines", "know", "pictures",
     "photos", "quiz", "podcast", "crossword"),
    anchored=False,
)  # fmt: skip
_EDITION_HINTS = _Hinted(
    _EDITION_TITLE,
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
     "episode"),
    anchored=False,
)  # fmt: skip


def is_placeholder_title(title: str) -> bool:
    """Whether a title is a placeholder ("Please enable JavaScript to watch this video",
    "Untitled", "Ohne Titel", "From Wikipedia, the free encyclopedia"), not a headline."""
    return len(title) <= 160 and _PLACEHOLDER_HINTS.search(title, _lower(title))


# (an item's link is split for its kind at each summary and for `publishable` each time its
# story is read: a few thousand recent links, memoised)
@functools.lru_cache(maxsize=4096)
def _host_path(url: str | None) -> tuple[str, str]:
    if not url:
        return "", ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", ""
    return (parts.hostname or "").lower(), parts.path or ""


def _byline_title(title: str) -> bool:
    """Whether a title carries a columnist's byline ("…, writes Jane Doe"; "JANE DOE: …")."""
    if _WRITES_BYLINE.search(title):
        return True
    if not any(ch.islower() for ch in title):  # a title all in capitals names no one by them
        return False
    if ":" in title or "\u2026" in title or "..." in title:
        names: Iterable[re.Match[str]] = _CAPS_NAME.finditer(title)
    else:  # (a name after nothing but the start: one match at most, at 0)
        first = _CAPS_NAME.match(title)
        names = () if first is None else (first,)
    return any(not set(re.findall(r"[A-Z]+", name.group(1))) & _KICKER_WORDS for name in names)


# "…, writes JANE DOE": a byline in capitals after "writes" (`_WRITES_BYLINE` in any case).
_WRITES_CAPS = re.compile(r",\s*writes\s+([A-Z][A-Z'’.-]+(?:\s+[A-Z][A-Z'’.-]+){1,2})\s*$")


def caps_bylines(title: str) -> list[tuple[int, int]]:
    """Where a mixed-case title names its columnist in capitals ("JANE DOE: Never mind …",
    "…, writes JANE DOE"): the names' spans (kickers such as "BREAKING NEWS:" are none)."""
    if not any(ch.islower() for ch in title) or not any(ch.isupper() for ch in title[1:]):
        return []
    found = [m.span(1) for m in _CAPS_NAME.finditer(title)]
    found += [m.span(1) for m in _WRITES_CAPS.finditer(title)]
    return [
        (start, end)
        for start, end in found
        if not set(re.findall(r"[A-Z]+", title[start:end])) & _KICKER_WORDS
    ]


def title_says(title: str, kind: str) -> bool:
    """Whether a title itself announces its kind ("… updates LIVE: …", "Review: …")."""
    hints = {
        "live": _LIVE_HINTS,
        "review": _REVIEW_HINTS,
        "opinion": _OPINION_HINTS,
        "roundup": _ROUNDUP_HINTS,
    }.get(kind)
    return hints is not None and hints.search(title, _lower(title))


def is_advert(title: str, text: str = "", url: str | None = None) -> bool:
    """Whether an entry is an advert, sponsored content or a pastime (a horoscope, a puzzle):
    never published."""
    return _advert(title, _lower(title), text, *_host_path(url))


def _advert(title: str, low: str | None, text: str, host: str, path: str) -> bool:
    return bool(
        _ADVERT_HINTS.search(title, low)
        or _PASTIME_HINTS.search(title, low)
        or _ADVERT_TEXT.search(text[:200])
        or _ADVERT_PATH.search(path)
        or (host and _ADVERT_HOSTS.search(host))
    )


def names_post(rest: str) -> bool:
    """Whether the rest of a link, from a live page's folder on ("/<page>/h_5f3a…",
    "…#post-…", "…?post=…"), names one post of the page."""
    return _LIVE_POST.search(rest) is not None


def _live_post(url: str | None) -> bool:
    folder = _LIVE_FOLDER.search(url) if url else None
    return folder is not None and names_post(folder.string[folder.end() - 1 :])


def item_kind(item: Item) -> Kind:
    """The item's kind, from its title label, the start of its text and its link's path."""
    title = item.title or ""
    low = _lower(title)
    host, path = _host_path(item.url)
    if _advert(title, low, item.text or "", host, path):
        return "advert"
    if item.furniture:
        return "furniture"
    if _LIVE_HINTS.search(title, low) or (_LIVE_PATH.search(path) and not _live_post(item.url)):
        return "live"  # (a post of a live page is a report: told by its own title)
    if _REVIEW_HINTS.search(title, low) or _REVIEW_PATH.search(path):
        return "review"
    if (
        _OPINION_HINTS.search(title, low)
        or _OPINION_PATH.search(path)
        or _byline_title(title)
        or _opinion_text(item.text or "")
        or _host_segment(title, item.text or "", item.outlet_name)
        or _own_name_heading(title, item.author, item.outlet_name, item.text or "")
        or _untold_host_question(title, item.text or "", item.outlet_name)
    ):
        return "opinion"
    if _ROUNDUP_HINTS.search(title, low) or _EDITION_HINTS.search(title, low):
        return "roundup"
    if _opens_as_writer(title, item.text or "") or _titled_as_writer(title, item.text or ""):
        return "essay"
    return "news"


def _opens_as_writer(title: str, text: str) -> bool:
    """Whether the text opens in its writer's own "I" (`opens_in_first_person`), read in the
    item's language where it says "I" at all: an Italian report's "I" is its article ("I
    carabinieri hanno …")."""
    return opens_in_first_person(text) and opens_in_first_person(
        text, detect_language(f"{title}\n{text}")
    )


def _titled_as_writer(title: str, text: str) -> bool:
    """Whether the title is in its writer's own "I" (`titled_in_first_person`), and in English:
    Italian's "I" before a lower-case word is its article ("I medici di famiglia …")."""
    if not titled_in_first_person(title, text):
        return False
    return detect_language(f"{title}\n{text}") in (None, "en")


def _host_segment(title: str, text: str, outlet: str) -> bool:
    """Whether the title's opening name is the outlet's own host or writer (`_SPEAKER_TITLE`):
    the text calls them "<outlet>'s <name>", or tags them beside the outlet ("#FoxNews
    #Name") and names them nowhere else."""
    match = _SPEAKER_TITLE.match(title) if ":" in title else None
    if match is None or not text:
        return False
    name = match.group(1)
    last = name.rsplit(" ", 1)[-1]
    if last not in text:
        return False
    surname = re.escape(last)
    own = _OUTLET_NAME.sub("", outlet).strip()
    if not own:
        return False
    # a tag of the name beside the outlet's own ("#FoxNews #Hannity"): a topic's tag alone
    # ("Our #Brexit explainer" under "Brexit: …") is no programme's
    tag = re.compile(rf"#{re.escape(name.replace(' ', ''))}\b", re.IGNORECASE)
    if (
        tag.search(text)
        and _outlet_tag(own).search(text)
        and not re.search(rf"(?<!#)\b{surname}\b", text)
    ):
        return True
    owner = "|".join(re.escape(o) for o in {own, own.split()[0]})
    # a title's one word needs the given name before it ("CNN's Don Lemon"): "the BBC's Ukraine
    # correspondent" names no host of "Ukraine: …"
    given = r"(?:[A-Z][\w.'’-]*\s+)" + ("{1,2}" if name == last else "{0,2}")
    return re.search(rf"\b(?:{owner})['’]s?\s+{given}{surname}\b", text) is not None


def _outlet_tag(own: str) -> re.Pattern[str]:
    """The outlet's own tag in a text ("#FoxNews", "#Fox" for "Fox News")."""
    tags = {own.replace(" ", ""), own.split()[0]}
    return re.compile(rf"#(?:{'|'.join(map(re.escape, tags))})\b", re.IGNORECASE)


# A host's question under their bare name ("Tucker: Are the lockdowns working?"); not a
# newsmaker's quoted question ("Roe: 'Why wait?'").
_NAME_QUESTION = re.compile(r"([A-Z][a-z][\w'’-]*):\s+(?![\"'“‘])[^?]{8,}\?\s*$")
# A news video's section or explainer kicker before a question ("Explained: What is …?",
# "Weather: Will it snow?"): no host's name, and its text need not say it.
_QUESTION_KICKERS = frozenset(
    "EXPLAINED EXPLAINER EXPLAINERS WEATHER CLIMATE ECONOMY WAR CRISIS CULTURE SPORTS "
    "ENTERTAINMENT EDUCATION SCIENCE LIFESTYLE OPINION COMMENT VERDICT QUESTION QUESTIONS "
    "ANSWERED ASKED DEBATE INTERVIEW WORLDVIEW EXPLAINING".split()
)


def _untold_host_question(title: str, text: str, outlet: str) -> bool:
    """Whether the title asks a question under one bare name (`_NAME_QUESTION`) that the
    text never says, over a text tagged as the outlet's own video ("… #FoxNews"): a channel's
    host asking it on their programme. A newsmaker's report says who they are, and a topic's
    or place's kicker ("Coronavirus: …", "Portland: …") is what the text tells of."""
    match = _NAME_QUESTION.match(title) if title.endswith("?") else None
    if match is None or "#" not in text:
        return False
    word = match.group(1)
    own = _OUTLET_NAME.sub("", outlet).strip()
    # (a place's or topic's other forms share its first letters: "Ukraine" over "Ukrainian
    # forces …", "Brexit" over "Brexiteers …", "China" over "Chinese …")
    stem = re.escape(word[:4])
    return (
        bool(own)
        and word.upper() not in _KICKER_WORDS
        and word.upper() not in _QUESTION_KICKERS
        and word.lower() not in text.lower()
        and re.search(rf"(?<![^\W\d_]){stem}", text, re.IGNORECASE) is None
        and _outlet_tag(own).search(text) is not None
    )


# A feed's author that is a person's name: two to four capitalised words ("George Doe").
_PERSON = re.compile(r"^[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,3}$")


def _own_name_heading(title: str, author: str | None, outlet: str, text: str = "") -> bool:
    """Whether the title opens with its own writer's surname and a colon ("Doe: In this
    crisis …" by George Doe): a columnist's piece under their name. A reporter never heads a
    report with their own name, so a newsmaker's words ("Sison: …" by another byline) stay
    news, and so do those of a newsmaker sharing the writer's surname, whom the text names
    ("Kim: …" by Jack Kim over "Kim Jong Un said …"): a column does not name its writer."""
    match = _SPEAKER_TITLE.match(title) if author and ":" in title else None
    if match is None or author is None:
        return False
    writer = " ".join(re.sub(r"^[Bb]y\s+", "", author).split())
    if not _PERSON.match(writer) or writer.casefold() == outlet.strip().casefold():
        return False
    name = match.group(1)  # (a surname: a whole name may be a podcast's, its own author)
    if " " in name or not writer.endswith(" " + name):
        return False
    return re.search(rf"\b{re.escape(name)}\b", text.replace(writer, "")) is None


def _opinion_text(text: str) -> bool:
    """`_WRITES_TEXT` on the text's start (its byline ends "writes.", which it needs), or a
    label in capitals opening it (`_LABEL_TEXT`)."""
    head = text[:400].lstrip()
    if head[:1] in "COAEPV" and _LABEL_TEXT.match(head) is not None:
        return True
    return "writes." in head and _WRITES_TEXT.search(head) is not None


def supplies_facts(kind: str) -> bool:
    """Whether items of this kind may supply a news story's headline and bullets."""
    return kind == "news"


def supplies_bullets(kind: str) -> bool:
    """Whether items of this kind may supply a news story's bullets (not its headline): news,
    and a personal essay, whose first-person sentences are quoted in its writer's name."""
    return kind in ("news", "essay")


def published(kind: str) -> bool:
    """Whether items of this kind are published at all (as facts or as a labelled source)."""
    return kind not in ("advert", "furniture")


def publishable(items: Sequence[Item]) -> list[Item]:
    """The items a story may be published from, in order (no adverts, no furniture); a story
    left with none is not published. (`published(item_kind(item))`, without telling the
    other kinds apart: this runs for every item of every story summarised.)"""
    return [
        item
        for item in items
        if not item.furniture and not is_advert(item.title or "", item.text or "", item.url)
    ]
