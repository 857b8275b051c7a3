"""Text helpers: HTML to text, boilerplate and caption removal, feed templates. Pure, stdlib."""

from __future__ import annotations

import functools
import html
import itertools
import re
from collections.abc import Sequence
from html.parser import HTMLParser

from .tokens import words, words_once

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)
_SKIP_TAGS = frozenset("script style noscript template iframe object embed svg head title".split())


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    @property
    def skipping(self) -> bool:
        """Inside an element whose text is not shown (a script, a style, …)."""
        return self._skip > 0 or self.cdata_elem is not None


# Runs of spaces, tabs, no-break and zero-width spaces fold to one " ": only runs of two or
# more and single spaces other than " " need replacing (not every word's own space).
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]{2,}|[\t\r\f\v\u00a0\u200b]")


# Characters with no width that mark no break: a soft hyphen (a hint where a word may be split
# at a line's end: "re\u00adported"), a word joiner, a byte-order mark inside text. Dropped, so
# that the word reads and counts as one.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u2060\ufeff"))


def fold_spaces(text: str) -> str:
    """`text` with each run of `_SPACES` folded to one " " and `_INVISIBLE` characters dropped.
    Most texts hold none: substring tests find that faster than the pattern, which is tried at
    every character."""
    if "\u00ad" in text or "\ufeff" in text or "\u2060" in text:
        text = text.translate(_INVISIBLE)
    if (
        "  " in text
        or "\t" in text
        or "\r" in text
        or "\f" in text
        or "\v" in text
        or "\u00a0" in text
        or "\u200b" in text
    ):
        return _SPACES.sub(" ", text)
    return text


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment: tags dropped, entities decoded, whitespace folded.

    Paragraph breaks survive as single newlines.
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    elif (simple := _simple_markup_text(markup)) is not None:
        text = simple
    else:
        parser = _TextExtractor()
        try:
            parser.feed(markup)
            _close(parser)
            text = "".join(parser.parts)
        except Exception:  # HTMLParser is lenient; this is a last resort
            last = markup.rfind(">") + 1  # (a "<" after it starts no tag: not searched)
            text = html.unescape(_ANY_TAG.sub(" ", markup[:last]) + markup[last:])
    if "\u00b4" in text:
        text = acute_as_quotes(text)
    return fold_newlines(fold_spaces(text))


# An acute accent written for a quotation mark, as one outlet's system writes every
# apostrophe: "Harbour´s", "`never again´".
_ACUTE_QUOTED = re.compile("`([^`\u00b4\n]{1,200})\u00b4")
_ACUTES = re.compile("\u00b4+")


def acute_as_quotes(text: str) -> str:
    """`text` with an acute accent ("´") standing as an apostrophe or a quotation mark
    written as one: after a letter "’" ("Harbour´s" → "Harbour’s"), before one "‘", and a
    grave accent it closes an opening "‘" ("`never again´" → "‘never again’"). A backtick
    it does not close stays (code: "`make test`"), and so does an acute written for a prime
    (`_is_prime`: "6´2´´", "40°26´46´´N", "the 3´ end", "N,N´-dimethyl")."""
    return _ACUTES.sub(_acute_as_quote, _ACUTE_QUOTED.sub("\u2018\\1\u2019", text))


def _acute_as_quote(match: re.Match[str]) -> str:
    """The quotation mark a run of acute accents in `match.string` stands for, else itself."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if len(match.group()) > 1 or _is_prime(text, start, after):
        return match.group()
    if before.isalnum() or before == "_":
        return "\u2019"
    return "\u2018" if after.isalnum() or after == "_" else match.group()


def _is_prime(text: str, start: int, after: str) -> bool:
    """Whether the acute at `start` of `text` is a prime: after a number or a lone letter
    ("5´", "N´") and before no letter ("1990´s" and "I´m" are apostrophes)."""
    before = text[start - 1] if start else " "
    lone = before.isalpha() and (start < 2 or not text[start - 2].isalnum())
    return (before.isdigit() or lone) and not after.isalpha()


# The last resort's tags: from a "<" to the next ">". Searched for only up to the last ">":
# from each "<" after it, the search would run to the end (time quadratic in their number).
_ANY_TAG = re.compile(r"<[^>]*>")


def _close(parser: _TextExtractor) -> None:
    """`parser.close()` in time linear in what `feed` left unparsed.

    That rest starts at a construct that never closed ("<a " with no ">", "<!--" with no
    "-->"). `close` reads it on, and where a construct cannot end CPython's parser (before
    3.11.13, 3.12.11 and 3.13.4, and for some constructs still) searches the whole rest for
    its end again at every "<": 13,000 times "<a " took 13 s, a 1 MB body of them hours. No
    construct can end after the rest's last ">", so what follows it is text, as `close`
    would read it: `close` reads up to that ">", and the text after it is handed over as it
    is (unless it falls inside a script or style, which is skipped)."""
    rest = parser.rawdata
    tail = rest[rest.rfind(">") + 1 :]
    first = tail.find("<")
    if first < 0 or tail.find("<", first + 1) < 0:  # (one "<" costs one search)
        parser.close()
        return
    parser.rawdata = rest[: len(rest) - len(tail)]
    parser.close()
    if not parser.skipping:
        parser.handle_data(html.unescape(tail))


# Markup in a title taken as plain text (a feed that escaped "<b>" into a text title:
# "&lt;b&gt;Tesla&lt;/b&gt; delivers"): a closing tag of an element titles carry, a line break
# or image, or any tag with an attribute. A lone "<blink>" or "1 < 2" is words, not markup.
_TITLE_MARKUP = re.compile(
    r"</(?:a|abbr|acronym|b|big|cite|code|del|dfn|div|em|font|h[1-6]|i|ins|kbd|mark|nobr|p|q"
    r"|s|samp|script|small|span|strike|strong|style|sub|sup|time|tt|u|var)\s*>"
    r"|<(?:br|hr|img|wbr)\b[^<>]*>"
    r"|<[a-zA-Z][a-zA-Z0-9]*\s+[a-zA-Z][-a-zA-Z0-9_:]*\s*=\s*[\"'][^<>]*>",
    re.IGNORECASE,
)


def holds_markup(title: str) -> bool:
    """Whether a title read as plain text holds HTML markup (see `_TITLE_MARKUP`): a feed
    escaped its "<b>" into a text title, which is then read as the HTML it is, once."""
    return "<" in title and _TITLE_MARKUP.search(title) is not None


# A tag `_TextExtractor` reads as `HTMLParser` does in every way that matters to it: a name
# of letters and digits, attributes only as name="value" (no quote, "<" or ">" inside), no
# space before "/>" but one. Such a tag ends where this match ends and is named by its name.
_SIMPLE_TAG = re.compile(
    r'<([a-zA-Z][a-zA-Z0-9]*)(?: [a-zA-Z][-a-zA-Z0-9_:]*="[^"<>]*")*( ?/)?>'
    r"|</([a-zA-Z][a-zA-Z0-9]*)>"
)


def _simple_markup_text(markup: str) -> str | None:
    """`_TextExtractor`'s text of markup made only of `_SIMPLE_TAG`s (none skipped) and text,
    without running the parser (a feed's paragraphs, line breaks and emphasis); None for any
    other markup. The text between tags is unescaped as the parser's `convert_charrefs`
    does: `html.unescape` over each run between two tags."""
    parts: list[str] = []
    pos = 0
    for match in _SIMPLE_TAG.finditer(markup):
        start = match.start()
        if start > pos:
            chunk = markup[pos:start]
            if "<" in chunk:  # a "<" that opens something else: a comment, a quirky tag
                return None
            parts.append(html.unescape(chunk) if "&" in chunk else chunk)
        name = (match.group(1) or match.group(3)).lower()
        if name in _SKIP_TAGS:
            return None
        if name in _BLOCK_TAGS:
            parts.append("\n")
        pos = match.end()
    if pos < len(markup):
        chunk = markup[pos:]
        if "<" in chunk:
            return None
        parts.append(html.unescape(chunk) if "&" in chunk else chunk)
    return "".join(parts)


def fold_newlines(text: str) -> str:
    r"""`text` stripped, each run of whitespace holding a newline folded to one "\n" (what
    `re.sub(r"\s*\n\s*", "\n", text).strip()` gives: its lines stripped, the empty ones
    dropped). That pattern is tried at every space of the text, here none is."""
    if "\n" not in text:
        return text.strip()
    return "\n".join(filter(None, [line.strip() for line in text.split("\n")]))


# --- boilerplate ----------------------------------------------------------------------------

# Whole lines (paragraphs) that are feed or page furniture, never news (`_is_furniture`).
_BOILERPLATE_LINE = r"""^(?:
        (?:continue|keep)\s+reading.*
      | read\s+(?:more|the\s+(?:full|rest)|full\s+(?:story|article)).{0,60}
      | (?:click|tap)\s+here\b.*
      | (?:story\s+continues?|article\s+continues|continued)\s+below.*
      | story\s+continued\s+below
      | (?:photo\s+)?advertisement(?:\s+continue\s+reading\s+the\s+main\s+story)?
      | (?:report\s+this\s+ad|ad\s+feedback|skip\s+advert(?:isement)?)
      | (?:share|email|print|tweet|pin|save)(?:\s+(?:this|on|via|to)\b.{0,40})?:?
      | (?:share|email|print|tweet|pin|save)(?:\s+(?:share|email|print|tweet|pin|save)){1,5}
      | share\s+(?:this\s+)?(?:article|story|post|page)\b.{0,60}
      | (?:facebook|twitter|pinterest|linkedin|whatsapp|reddit|email)
        (?:\s+(?:facebook|twitter|pinterest|linkedin|whatsapp|reddit|email|share|print|copy\s+link))*
        (?:\s+(?:photograph|photo|image)\b.*)?
      | (?:subscribe|sign\s+up|register)\b.{0,100}
      | breaking\s+news\s+emails\s+get\s+breaking\s+news\s+alerts\b.{0,120}
      | (?:text|font)\s+size\s*[-+]?
      | follow\s+(?:us|\S+(?:\s+\S+){0,3})\s+on\s+(?:twitter|facebook|instagram|x)\b.*
      | (?:like|follow)\s+us\s+on\b.*
      | join\s+us\s+on\s+(?:facebook|twitter|instagram)\b.{0,120}
      | sign\s+up\b.{0,60}\bnewsletters?\b.{0,200}
      | the\s+interactive\s+transcript\s+could\s+not\s+be\s+loaded\.?
      | (?:please\s+|you\s+(?:need|have|must)\s+to\s+)?enable\s+javascript.*
      | javascript\s+is\s+(?:disabled|required|not\s+enabled)\b.*
      | (?:please\s+turn\s+on|this\s+video\s+requires)\s+javascript.*
      | media\s+playback\s+is\s+(?:un)?supported.*
      | rating\s+is\s+available\s+when\s+the\s+video\s+has\s+been\s+rented\.?
      | tweet\s+with\s+a\s+location
      | you\s+can\s+add\s+location\s+information\s+to\s+your\s+tweets\b.{0,300}
      | this\s+feature\s+is\s+not\s+available\s+right\s+now\.?(?:\s+please\s+try\s+again.*)?
      | (?:image|photo|video|media)\s+(?:copyright|caption|credit)\b.*
      | enlarge\s+this\s+image\b.*
      | slideshow\s+\(\d+\s+(?:images|photos)\)
      | from\s+wikipedia,\s+the\s+free\s+encyclopedia
      | [^\n]{1,300}?\s+was\s+originally\s+published\s+in\s+[^\n]{1,120}?\s+on\s+medium\b.{0,200}
      | (?:this|the)\s+story\s+(?:is\s+currently\s+available\s+to\s+medium\s+members
        |will\s+be\s+unlocked)\b.{0,200}
      | click\s+to\s+(?:email|share|print)\b.{0,80}
      | (?:related|recommended|more|see\s+also|also|also\s+read|watch|listen)\s*:.{0,120}
      | (?:the\s+)?(?:associated\s+press|ap|reuters|afp)\s+contributed\s+to\s+this\s+report\.?
      | (?:the\s+)?(?:associated\s+press|ap|reuters|afp)\s+                 # agency and time
        (?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?\s+)?
        (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?\s+\d{1,2},?\s+\d{4}
        (?:,?\s+\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?
      | [^\n]{0,80}\s+contributed\s+(?:reporting|to\s+this\s+report)\.?
      | (?:updated|posted|published)\s*:?\s+\d[^\n]{0,40}
      | (?:updated|posted|published)\s+on\s+(?:\d{1,2}\s+)?                # a video page's date
        (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?
        (?:\s+\d{1,2})?,?\s+\d{4}
      | (?:[/|•·]\s*)?(?:(?:updated|posted|published)\b[^\n]{0,40}?\s+)?by\s+   # a byline
        (?-i:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})
        (?:(?:,|,?\s+and)\s+(?-i:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}))*\.?
      | all\s+rights\s+reserved\.?.*
      | (?:©|\(c\)|copyright\b).{0,120}
      | [\W_]*                                  # rules, bullets, '___', '###'
    )$"""
_BOILERPLATE_FLAGS = re.IGNORECASE | re.VERBOSE
# Its "… contributed reporting" and "… was originally published in … on Medium" alternatives
# scan up to 80 and 300 characters at each line and back off through them: together more than
# the rest of the pattern's cost on news paragraphs, which mostly say neither word. So each is
# compiled apart and tried only when the lower-cased line holds its word (or "İ", "ı", "ſ", see
# `has_case_special`), after the others.
_CONTRIBUTED = r"[^\n]{0,80}\s+contributed\s+(?:reporting|to\s+this\s+report)\.?"
_MEDIUM = (
    r"[^\n]{1,300}?\s+was\s+originally\s+published\s+in\s+[^\n]{1,120}?\s+on\s+medium\b.{0,200}"
)
_GUARDED = (("contributed", _CONTRIBUTED), ("medium", _MEDIUM))
_FURNITURE_LINE = re.compile(
    functools.reduce(
        lambda pattern, part: pattern.replace(f"      | {part[1]}\n", "", 1),
        _GUARDED,
        _BOILERPLATE_LINE,
    ),
    _BOILERPLATE_FLAGS,
)
_GUARDED_LINES = tuple(
    (word, re.compile("^(?:" + part + ")$", _BOILERPLATE_FLAGS)) for word, part in _GUARDED
)


def _is_furniture(line: str) -> bool:
    """Whether the whole line is furniture: `_BOILERPLATE_LINE` matches it."""
    if _FURNITURE_LINE.match(line) is not None:
        return True
    low = line.lower()
    special = has_case_special(line)
    return any(
        (word in low or special) and pattern.match(line) is not None
        for word, pattern in _GUARDED_LINES
    )


# Photo captions cut short by the page, and credit-only lines.
_CAPTION_LINE = re.compile(
    r"(?:\.\.\.|…)\s*\((?:associated\s+press|ap|reuters|afp|getty(?:\s+images)?)\)\s*$"
    r"|\((?:AP|AFP)\s+Photo[^)]*\)\s*$|^photograph:\s.*$",
    re.IGNORECASE,
)
# A photo's caption or credit as a paragraph of its own: the line ends with the credit, in
# parentheses ("(Photo: Ivo Marek)", "(Ivo Marek/Getty Images)", "(Staff Photo/Ana Brell)")
# or after the caption's last sentence ("Photo by Ana Brell/Reuters", "REUTERS/Ana Brell",
# "Ana Brell/Getty Images"). A caption is not the article: left in, it opens the title cut
# from the text ("Collin Rose (Photo: …)") and adds the photographer's name to its terms.
_AGENCY = r"(?:Getty\s+Images|Getty|AP|AFP|Reuters|REUTERS|EPA|Bloomberg|Associated\s+Press)"
_NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
_CREDIT_LINE = re.compile(
    r"\((?:[^()]{0,60}\b(?i:photo|image|photograph|photographer|courtesy)s?\b[^()]{0,60}"
    r"|" + _NAME + r"\s?/\s?(?:The\s+)?" + _NAME + r"(?:\s+via\s+" + _NAME + r")?)\)\s*$"
    r"|(?:^|[.!?]\s+)(?:Photo(?:\s+illustration)?|Photograph|Image)(?:\s+by)?\s*:?\s+"
    r"[^\n]{1,60}/[^\n]{1,40}$"
    r"|(?:^|[.!?]\s+)(?:Photo(?:graph)?\s+by|Photo|Image)\s*:\s*[^\n.!?]{1,60}\.?$"
    r"|(?:^|[.!?]\s+)" + _NAME + r"\s?/\s?" + _AGENCY + r"\.?$"
    r"|(?:^|[.!?]\s+)(?:REUTERS|AFP|EPA)/" + _NAME + r"\.?$"
    r"|^(?:Getty(?:\s+Images)?|Buy\s+Photo|Photo|iStock(?:photo)?)\.?$"
    r"|^" + _NAME + r"\s?/\s?" + _NAME + r"\.?$"
)
# A caption and its credit run in ahead of a page's headline: "The senator waves. | Ivo
# Marek/AP Photo Senate passes the bill …" (the caption is group 1).
_RUN_IN_CAPTION = re.compile(
    r"^([^|\n]{1,300}?)\s\|\s(?:" + _NAME + r"\s?/\s?)*(?:AP\s+Photo|" + _AGENCY + r")\s+"
    r"(?=[A-Z\"“‘])"
)
# A caption with its agency's credit in brackets, run in ahead of the paragraph: "Soldiers
# patrol the capital [Reuters] The president said …" (the caption is group 1).
_BRACKET_CREDIT = re.compile(
    r"^([^\[\]\n]{1,300}?)\s\[(?:"
    + _AGENCY
    + r"|Al\s+Jazeera|"
    + _NAME
    + r"\s?/\s?"
    + _AGENCY
    + r")\]\s+(?=[A-Z\"“‘])"
)
# The page's headline after such a caption, run into its standfirst: "Senate passes the dam
# bill The measure would …" (a word in lower case, then one that opens a sentence). The
# headline (group 1) is made a line of its own, where it stands.
_HEADLINE_THEN_DEK = re.compile(
    r"^(.{10,150}?[a-z0-9'’])\s+(?=(?:The|A|An|Many|Some|This|These|It|He|She|They|In|At|On|"
    r"For|After)\s+[a-z0-9])"
)
_CAPTION_CHARS = 300
_CREDIT_MARKS = ("(", "/", "Photo", "Image", "Getty", "iStock")  # each credit alternative holds one
# A photographer's credit or a page's label run into the paragraph after it: "Ana Brell/Getty
# Images The dam …", "Ivo Marek / AP Senator …", "Buy Photo The council …", "Story highlights
# The dam …", a share widget's buttons ("SHARE COPY LINK The judge …").
_LEADING_CHROME = re.compile(
    r"^(?:Buy\s+Photo|Story\s+highlights|SHARE(?:\s+(?:COPY\s+LINK|TWEET|EMAIL|PRINT))+|"
    + _NAME
    + r"\s?/\s?"
    + _AGENCY
    + r")\s+(?=[A-Z\"“‘])"
)
# "The post X appeared first on Y." (WordPress) and similar sentences inside a paragraph.
_INLINE_BOILERPLATE = re.compile(
    r"(?:The\s+post\s+.{1,300}?\s+appeared\s+first\s+on\s+.{1,120}?(?:\.|$))"
    r"|(?:This\s+(?:article|story|post)\s+(?:was\s+)?(?:originally\s+)?(?:appeared|published)"
    r"\s+(?:first\s+)?(?:on|in|at)\s+.{1,120}?(?:\.|$))"
    r"|(?:(?:Continue|Keep)\s+reading(?:\s+(?:the\s+)?(?:main\s+story|on\s+\S+.{0,40}?))?"
    r"\s*(?:\.\.\.|…|→|»|›|>>)?\s*$)"
    r"|(?:Read\s+(?:more|the\s+full\s+(?:story|article))(?:\s+(?:at|on)\s+[^.\n]{1,60})?"
    r"\s*(?:\.\.\.|…|→|»|›|>>)?\s*$)"
    r"|\[\s*(?:…|\.\.\.|&hellip;|\?|\+\d+\s+chars)\s*\]",
    re.IGNORECASE,
)
# A video player's controls extracted with the page, ahead of the video's caption:
# "CLOSE Skip in Skip x Embed x Share A former officer accused of …".
_PLAYER_CONTROLS = re.compile(
    r"(?:CLOSE\s+)?Skip\s+in\s+Skip\s+x\s+Embed\s+x\s+Share\s*(?:CLOSE\s+)?"
)
# News-agency datelines: "LONDON (Reuters) -", "KATHMANDU, Nepal (AP) —", "(CNN) --",
# "NEW YORK, March 3 (Reuters) -", "WASHINGTON —"; and a line that opens on any outlet's credit
# in brackets, before a capital: "(HealthDay)—", "(WANE) ", "(CBS News) ", "(KOIN) — ".
_AGENCIES = (
    r"AP|Reuters|AFP|CNN|UPI|Bloomberg|dpa|DPA|Xinhua|IANS|PTI|ANI|BBC|NPR|CBS|AAP|CP|TASS|"
    r"ANSA|EFE|Lusa|Kyodo|Yonhap|EPA|APA|Belga|ANP|NTB|PAP|Anadolu|Bernama|Antara|Notimex"
)
# (an outlet's tag in brackets opening a text, before a capital; `bullets` drops it too)
OUTLET_TAG = r"^\([A-Z][\w.&'’-]*(?:\s[A-Z][\w.&'’-]*){0,2}\)\s*(?:[-—–:]{1,2}\s*)?(?=[A-Z\"“‘])"
_DATELINE = re.compile(
    r"^(?:[A-Z][\w.'’ ,-]{0,60}?\s*)?\((?:" + _AGENCIES + r")(?:/[\w .-]+)?\)\s*(?:[-—–:]{1,2}\s*)?"
    r"|^[A-Z][A-Z.'’ -]{2,30}(?:,\s+[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)?\s+[—–-]{1,2}\s+(?=[A-Z\"“‘])"
    r"|" + OUTLET_TAG
)


# The two patterns above are tried at every character; these cheap checks skip them for lines
# they cannot match (each alternative needs "(", a leading "photograph", "[" or one of the
# words; none of them holds an "i" or "s", whose case folding lower() does not follow).
def _is_caption(line: str) -> bool:
    return ("(" in line or line[:10].lower() == "photograph") and bool(_CAPTION_LINE.search(line))


def _photo_credit(line: str) -> re.Match[str] | None:
    """Where a photo's credit starts, on a caption or credit line (None for other lines)."""
    if len(line) > _CAPTION_CHARS:  # a long paragraph is prose, whatever it ends with
        return None
    if not any(mark in line for mark in _CREDIT_MARKS):
        return None
    return _CREDIT_LINE.search(line)


def _may_hold_inline_boilerplate(line: str) -> bool:
    if "[" in line or has_case_special(line):
        return True
    low = line.lower()  # ("read" and "publ" alone are in "already", "spread", "public" …)
    return (
        "appeared" in low
        or "published" in low
        or "reading" in low
        or ("read" in low and ("more" in low or "full" in low))
    )


# `_INLINE_BOILERPLATE` for lower-cased text, without IGNORECASE: whether a line holds any
# (~2.5x faster than the pattern; a line without is left as it is). Lower-casing keeps what
# IGNORECASE matches but for "İ", "ı" and "ſ": with those, the pattern itself runs.
_INLINE_BOILERPLATE_LOWER = re.compile(
    re.sub(r"(?<!\\)[A-Z]", lambda m: m.group().lower(), _INLINE_BOILERPLATE.pattern)
)
_CASE_SPECIAL = ("\u0130", "\u0131", "\u017f")


def has_case_special(text: str) -> bool:
    """Whether `text` holds "İ", "ı" or "ſ": the characters IGNORECASE matches otherwise than
    their lower case does, so a pattern run on lower-cased text without IGNORECASE (a fast
    path of a case-insensitive one) answers for `text` only when this is False."""
    return not text.isascii() and any(c in text for c in _CASE_SPECIAL)


def _holds_inline_boilerplate(line: str) -> bool:
    if has_case_special(line):
        return True
    return _INLINE_BOILERPLATE_LOWER.search(line.lower()) is not None


def clean_text(text: str) -> str:
    """Plain text without feed boilerplate: read-more and share lines, datelines, "[…]",
    photo captions and credits.

    Lines ("paragraphs") are kept in order; whitespace is folded as in `html_to_text`. A text
    that is nothing but a photo's caption (a feed's description) keeps the caption, without
    its credit. Captions move to the end.
    """
    out: list[str] = []
    captions: list[str] = []
    # Stripped lines, as after folding each run of whitespace around a newline into one.
    for raw in fold_spaces(text).split("\n"):
        line = first = raw.strip()
        if not line or _is_furniture(line) or _is_caption(line):
            continue
        credit = _photo_credit(line)
        if credit is not None:
            captions.append(line[: credit.start() + (line[credit.start()] in ".!?")].strip())
            continue
        run_in = (" | " in line and _RUN_IN_CAPTION.match(line)) or (
            "]" in line and _BRACKET_CREDIT.match(line)
        )
        if run_in:
            captions.append(run_in.group(1).strip())
            line = line[run_in.end() :]
            headline = _HEADLINE_THEN_DEK.match(line)
            if headline is not None:
                out.append(headline.group(1))
                line = line[headline.end() :]
        if _may_hold_inline_boilerplate(line) and _holds_inline_boilerplate(line):
            line = _INLINE_BOILERPLATE.sub(" ", line)
        if "Skip x Embed" in line:
            line = _PLAYER_CONTROLS.sub("", line, count=1)
        if "/" in line or line.startswith(("Buy", "Story", "SHARE")):
            line = _LEADING_CHROME.sub("", line, count=1)
        if "(" in line or "-" in line or "—" in line or "–" in line:  # (each dateline has one)
            line = _DATELINE.sub("", line, count=1)
        line = fold_spaces(line).strip()
        # (a line left as it was passed the boilerplate check above)
        if line and (line == first or not _is_furniture(line)):
            out.append(line)
    return "\n".join(out + [c for c in captions if c])


_TEMPLATE_MIN_ITEMS = 4  # too few items to tell a template from a coincidence
_TEMPLATE_SHARE = 0.4  # a line shape recurring in this share of a feed's items is a template
_TEMPLATE_MAX_LINE = 300  # characters; longer lines are prose, never a template


# A hashtag inside a sentence ("the #Lusk valley"; "#1" is a number, not a tag).
_INLINE_TAG = re.compile(r"(?<![\w#&])#([^\W\d_]\w*)")


def post_text(text: str) -> str:
    """A social post's text as prose: the links, hashtags and mentions that end a paragraph
    left out ("… flooding. https://… #floods @editor"), a hashtag inside a sentence read as
    its word ("the #Lusk valley" → "the Lusk valley"). A paragraph of them alone goes; a
    link or a mention inside a sentence stays. Linear in the text."""
    if "#" not in text and "@" not in text and "://" not in text:
        return text
    paragraphs = [_without_closing_tags(p) for p in text.split("\n")]
    return _INLINE_TAG.sub(r"\1", "\n".join(p for p in paragraphs if p)).strip()


def _without_closing_tags(paragraph: str) -> str:
    """`paragraph` without the run of links, hashtags and mentions it ends with (read word
    by word from its end)."""
    end = len(paragraph.rstrip())
    while end > 0:
        start = paragraph.rfind(" ", 0, end) + 1
        word = paragraph[start:end]
        tag = len(word) > 1 and word[0] in "#@" and word[1].isalpha()
        if not tag and not word.startswith(("https://", "http://")):
            break
        while start > 0 and paragraph[start - 1].isspace():
            start -= 1
        end = start
    return paragraph[:end]


def _line_shape(line_words: list[str], common: set[str]) -> str | None:
    """The line with words rare in the feed masked; None if it is mostly rare words."""
    if not line_words:
        return None
    kept = sum(map(common.__contains__, line_words))  # (bools summed in C)
    if kept * 2 < len(line_words):
        return None
    masked = (w if w in common else "*" for w in line_words)
    return " ".join(w for w, _ in itertools.groupby(masked))  # one "*" per run of rare words


def line_words(text: str) -> list[list[str]]:
    """`words` of each line of `text` (split at "\n"), in order. Words never span lines, so
    together they are `words(text)`; a feed's short lines (its templates) are memoised."""
    return [
        words(line) if len(line) <= _TEMPLATE_MAX_LINE else words_once(line)
        for line in text.split("\n")
    ]


def strip_feed_template(
    texts: Sequence[str], texts_line_words: Sequence[list[list[str]]] | None = None
) -> list[str]:
    """Remove lines that a feed repeats in every item with only names or numbers changed.

    "submitted by <user> to <forum> [link] [N comments]" or "Follow us on <network>" carry
    nothing about the item; left in, they make unrelated items of one feed look alike.
    `texts_line_words`: each text's `line_words`, when worked out already.
    """
    if len(texts) < _TEMPLATE_MIN_ITEMS:
        return list(texts)
    if texts_line_words is None:
        texts_line_words = [
            [words(line) if len(line) <= _TEMPLATE_MAX_LINE else [] for line in t.split("\n")]
            for t in texts
        ]
    lines = [
        [
            (line, ws if len(line) <= _TEMPLATE_MAX_LINE else None)
            for line, ws in zip(t.split("\n"), text_words, strict=True)
        ]
        for t, text_words in zip(texts, texts_line_words, strict=True)
    ]
    doc_freq: dict[str, int] = {}
    for text_lines in lines:
        for word in set().union(*[ws for _, ws in text_lines if ws]):
            doc_freq[word] = doc_freq.get(word, 0) + 1
    floor = max(3, _TEMPLATE_SHARE * len(texts))
    common = {w for w, n in doc_freq.items() if n >= floor}
    # Long lines (a channel's "about us" paragraph) count as a template only when they start
    # word for word alike; then three items carrying one are enough.
    shapes = [
        [
            _line_shape(ws, common)
            if ws
            else ("=" + line[:_TEMPLATE_MAX_LINE] if len(line) > _TEMPLATE_MAX_LINE else None)
            for line, ws in tl
        ]
        for tl in lines
    ]
    shape_freq: dict[str, int] = {}
    for text_shapes in shapes:
        for shape in {s for s in text_shapes if s}:
            shape_freq[shape] = shape_freq.get(shape, 0) + 1
    template = {s for s, n in shape_freq.items() if n >= (3 if s.startswith("=") else floor)}
    if not template:
        return list(texts)
    return [
        "\n".join(
            line for (line, _), shape in zip(tl, ts, strict=True) if shape not in template
        ).strip()
        for tl, ts in zip(lines, shapes, strict=True)
    ]
