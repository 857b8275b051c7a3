"""Text helpers: HTML to text, boilerplate removal, sentences, tokens. Pure, stdlib only."""

from __future__ import annotations

import functools
import html
import itertools
import re
from collections.abc import Sequence
from html.parser import HTMLParser

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


# Runs of spaces, tabs, no-break and zero-width spaces fold to one " ": only runs of two or
# more and single spaces other than " " need replacing (not every word's own space).
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]{2,}|[\t\r\f\v\u00a0\u200b]")
_NEWLINES = re.compile(r"\s*\n\s*")


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment: tags dropped, entities decoded, whitespace folded.

    Paragraph breaks survive as single newlines.
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        parser = _TextExtractor()
        try:
            parser.feed(markup)
            parser.close()
            text = "".join(parser.parts)
        except Exception:  # HTMLParser is lenient; this is a last resort
            text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


# --- boilerplate ----------------------------------------------------------------------------

# Whole lines (paragraphs) that are feed or page furniture, never news.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
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
    )$""",
    re.IGNORECASE | re.VERBOSE,
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
_CAPTION_CHARS = 300
_CREDIT_MARKS = ("(", "/", "Photo", "Image", "Getty", "iStock")  # each credit alternative holds one
# A photographer's credit or a page's label run into the paragraph after it: "Ana Brell/Getty
# Images The dam …", "Ivo Marek / AP Senator …", "Buy Photo The council …", "Story highlights
# The dam …".
_LEADING_CHROME = re.compile(
    r"^(?:Buy\s+Photo|Story\s+highlights|" + _NAME + r"\s?/\s?" + _AGENCY + r")\s+(?=[A-Z\"“‘])"
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
    r"|\[\s*(?:…|\.\.\.|&hellip;|\+\d+\s+chars)\s*\]",
    re.IGNORECASE,
)
# A video player's controls extracted with the page, ahead of the video's caption:
# "CLOSE Skip in Skip x Embed x Share A former officer accused of …".
_PLAYER_CONTROLS = re.compile(
    r"(?:CLOSE\s+)?Skip\s+in\s+Skip\s+x\s+Embed\s+x\s+Share\s*(?:CLOSE\s+)?"
)
# News-agency datelines: "LONDON (Reuters) -", "KATHMANDU, Nepal (AP) —", "(CNN) --",
# "NEW YORK, March 3 (Reuters) -", "WASHINGTON —".
_AGENCIES = r"AP|Reuters|AFP|CNN|UPI|Bloomberg|dpa|DPA|Xinhua|IANS|PTI|ANI|BBC|NPR|CBS|AAP|CP|TASS"
_DATELINE = re.compile(
    r"^(?:[A-Z][\w.'’ ,-]{0,60}?\s*)?\((?:" + _AGENCIES + r")(?:/[\w .-]+)?\)\s*(?:[-—–:]{1,2}\s*)?"
    r"|^[A-Z][A-Z.'’ -]{2,30}(?:,\s+[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)?\s+[—–-]{1,2}\s+(?=[A-Z\"“‘])"
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
    if "[" in line:
        return True
    low = line.lower()
    return "read" in low or "appeared" in low or "publ" in low


def clean_text(text: str) -> str:
    """Plain text without feed boilerplate: read-more and share lines, datelines, "[…]",
    photo captions and credits.

    Lines ("paragraphs") are kept in order; whitespace is folded as in `html_to_text`. A text
    that is nothing but a photo's caption (a feed's description) keeps the caption, without
    its credit.
    """
    out: list[str] = []
    captions: list[str] = []
    # Stripped lines, as after folding each run of whitespace around a newline into one.
    for raw in _SPACES.sub(" ", text).split("\n"):
        line = raw.strip()
        if not line or _BOILERPLATE_LINE.match(line) or _is_caption(line):
            continue
        credit = _photo_credit(line)
        if credit is not None:
            captions.append(line[: credit.start() + (line[credit.start()] in ".!?")].strip())
            continue
        if " | " in line and (run_in := _RUN_IN_CAPTION.match(line)):
            captions.append(run_in.group(1).strip())
            line = line[run_in.end() :]
        if _may_hold_inline_boilerplate(line):
            line = _INLINE_BOILERPLATE.sub(" ", line)
        if "Skip x Embed" in line:
            line = _PLAYER_CONTROLS.sub("", line, count=1)
        if "/" in line or line.startswith(("Buy", "Story")):
            line = _LEADING_CHROME.sub("", line, count=1)
        line = _DATELINE.sub("", line, count=1)
        line = _SPACES.sub(" ", line).strip()
        if line and not _BOILERPLATE_LINE.match(line):
            out.append(line)
    return "\n".join(out + [c for c in captions if c])


# --- headlines ------------------------------------------------------------------------------

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
_OUTLET_WORD = re.compile(
    r"(?:[A-Z0-9&@][\w.'’&!-]*|of|the|and|on|for|de|la|le|du|der|die|[\w-]+\.\w{2,})"
)


def _looks_like_outlet(segment: str, separator: str) -> bool:
    parts = segment.split()
    if not parts or len(parts) > (6 if separator == "|" else 5) or len(segment) > 50:
        return False
    if segment.endswith(("?", "!")) or (not segment[0].isupper() and "." not in segment):
        return False
    if separator == "|":  # pipes separate site furniture ("US news | The Guardian")
        return True
    return all(_OUTLET_WORD.fullmatch(part) for part in parts)


def _strip_prefix_tags(text: str) -> str:
    """`text` without its leading "Live:" / "BREAKING –" / "UPDATE 2-" tags (compounds kept)."""
    while match := _HEADLINE_PREFIX.match(text):
        rest = text[match.end() :]
        if match["sep"] == "-" and not (
            match["numbered"] or (match["tag"].isupper() and any(c.islower() for c in rest))
        ):
            break  # "Live-action remake …": the hyphen joins a compound word
        text = rest
    return text


def clean_headline(title: str) -> str:
    """A source title without " - Outlet" / " | Outlet" suffixes and "Live:"-style prefixes."""
    text = _SPACES.sub(" ", html.unescape(title)).replace("\n", " ").strip()
    text = _strip_prefix_tags(text)
    while True:
        text = _HEADLINE_TAG.sub("", text).strip()
        matches = list(_SUFFIX_SEPARATOR.finditer(text))
        if not matches:
            break
        last = matches[-1]
        head, tail = text[: last.start()].strip(), text[last.end() :].strip()
        if len(head.split()) < 2 or not _looks_like_outlet(tail, last.group(1)):
            break
        text = head
    return text.strip(" -—–|:")


# --- titles cut from text -------------------------------------------------------------------

TITLE_CHARS = 120  # a title cut from an item's text is at most this long (plus "…")
_TITLE_MIN_WORDS = 4  # a first paragraph shorter than this is a label ("Columnist"), not a title


def title_from_text(text: str, limit: int = TITLE_CHARS) -> str:
    """A title for an item without one: its text's opening, up to the end of the first
    paragraph of at least a few words (a label such as "Columnist" runs on into the next), cut
    at a word before `limit` characters with "…". Always a prefix of the text, so it is never
    taken for a headline of the item's own."""
    end = 0
    while True:
        brk = text.find("\n", end)
        if brk < 0:
            end = len(text)
            break
        end = brk
        if len(words(text[:end])) >= _TITLE_MIN_WORDS or end > limit:
            break
        end += 1
    head = text[:end]
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0] + "…"


# --- sentences ------------------------------------------------------------------------------

# Titles before a name: a period after them never ends a sentence.
_TITLES = frozenset(
    "mr mrs ms mx dr prof sr jr st mt gov sen rep gen col lt sgt capt cmdr adm maj cpl pvt pres "
    "supt det insp rev hon fr messrs mme mlle sra sr srta".split()
)
# Before a number: "No. 10", "Jan. 5", "Fig. 3", "Vol. 2".
_BEFORE_NUMBER = frozenset(
    "no nos vol fig figs art p pp ch sec para op jan feb mar apr jun jul aug sep sept oct nov dec "
    "approx".split()
)
# Never sentence-final in news text.
_NEVER_FINAL = frozenset("e.g i.e cf vs v viz ca".split())
# May end a sentence, but usually does not ("U.S. officials", "5 p.m. Friday", "Apple Inc. said").
_ABBREVIATIONS = frozenset(
    "u.s u.k u.n u.s.a e.u a.m p.m etc inc ltd co corp llc plc bros dept est ft approx univ assn "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat "
    "sun".split()
)
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
# A Latin stop before a space and a capital, a digit or a letter of a caseless script (Arabic,
# Hebrew, Devanagari, CJK); or a stop of a script that has its own (Urdu "۔", Arabic "؟",
# Devanagari "।", CJK "。"), which needs no space after it.
_SENTENCE_END = re.compile(
    r"""([.!?…]+["'”’)\]]*)\s+(?=["'“‘(\[]?([^\W_]))|([۔؟।॥。！？]+["'”’)\]」』]*)\s*(?=\S)"""
)
_NEXT_WORD = re.compile(r"""["'“‘(\[]?([^\s"'”’)\]]+)""")
# Capitalised words that start sentences but rarely follow an abbreviation inside one.
_STARTERS = frozenset(
    "but and so yet however meanwhile still also then now later earlier instead in on at for "
    "after before when while if as by from with".split()
)


def _is_boundary(word: str, next_word: str) -> bool:
    """Whether a period after `word` (lower-cased, dots kept inside) ends the sentence."""
    word = word.rstrip(".")
    next_plain = next_word.rstrip(".,;:!?").lower()
    starts_sentence = next_plain in STOPWORDS or next_plain in _STARTERS
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


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences, not breaking after common abbreviations or initials.

    Paragraphs (newlines) always end a sentence; a period inside a number ("5.5%") never does.
    """
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            if match.group(3) is not None:  # a script's own stop always ends the sentence
                end = match.end(3)
            elif match.group(2).islower():  # "... 5 p.m. on Friday", "the U.S. economy"
                continue
            else:
                end = match.end(1)
                stop = match.group(1)
                if stop.startswith(".") and len(stop.rstrip("\"'”’)]")) == 1:
                    before = paragraph[start : match.start(1)]
                    last_word = before.rsplit(None, 1)[-1] if before.strip() else ""
                    word = last_word.lower().lstrip("(\"'“‘[")
                    following = _NEXT_WORD.match(paragraph, match.end())
                    if not _is_boundary(word, following.group(1) if following else ""):
                        continue
            sentence = paragraph[start:end].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


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


@functools.lru_cache(maxsize=1 << 16)  # a word stems the same every time; vocabularies are small
def stem(word: str) -> str:
    """A deliberately light stemmer: folds plurals and a few verb endings."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
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


def tokens(text: str) -> list[str]:
    """Content tokens for matching: words minus stopwords and numbers-only noise, stemmed."""
    if len(text) > _MEMO_MAX_CHARS:
        return _tokens(text)
    return list(_memo_tokens(text))


def _words(text: str) -> list[str]:
    found = _WORD.findall(text.lower())
    if "'" in text or "’" in text:
        found = [w.replace("’", "'") for w in found]
        found = [w[:-2] if w.endswith("'s") else w for w in found]
    return found


def _tokens(text: str) -> list[str]:
    if _may_hold_acronym(text):
        return _tokens_with_acronyms(text)
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


# Acronyms name who acts in a report ("the W.H.O. said", "U.S. troops"): written with dots, a
# token is their letters joined ("F.B.I." is "fbi", as "FBI" is), so their one-letter pieces
# are not dropped. Acronyms spelt like a function word ("US", "WHO") stay tokens when written
# as acronyms: with dots, or in capitals inside mixed-case text (a shouted all-caps title
# tells nothing); "us" and "who" as ordinary words are still dropped.
_DOTTED_ACRONYM = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}(?![A-Za-z])")
_DOTTED_HINT = re.compile(r"[A-Z]\.[A-Z]\.")
_ACRONYM_STOPWORDS = frozenset({"us", "who"})
_ACRONYM_STOPWORD_HINTS = ("US", "WHO")


def _may_hold_acronym(text: str) -> bool:
    return ("." in text and _DOTTED_HINT.search(text) is not None) or any(
        hint in text for hint in _ACRONYM_STOPWORD_HINTS
    )


def _tokens_with_acronyms(text: str) -> list[str]:
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
            found.append(stem(low))
    return found


# The same text is tokenised for items, duplicates, grouping and summaries, often in one
# pass: a bounded memo makes the repeats free. Long texts are not kept.
_MEMO_MAX_CHARS = 8_000
_memo_words = functools.lru_cache(maxsize=1024)(lambda text: tuple(_words(text)))
_memo_tokens = functools.lru_cache(maxsize=1024)(lambda text: tuple(_tokens(text)))


_TEMPLATE_MIN_ITEMS = 4  # too few items to tell a template from a coincidence
_TEMPLATE_SHARE = 0.4  # a line shape recurring in this share of a feed's items is a template
_TEMPLATE_MAX_LINE = 300  # characters; longer lines are prose, never a template


def _line_shape(line_words: list[str], common: set[str]) -> str | None:
    """The line with words rare in the feed masked; None if it is mostly rare words."""
    if not line_words:
        return None
    kept = sum(w in common for w in line_words)
    if kept * 2 < len(line_words):
        return None
    masked = (w if w in common else "*" for w in line_words)
    return " ".join(w for w, _ in itertools.groupby(masked))  # one "*" per run of rare words


def strip_feed_template(texts: Sequence[str]) -> list[str]:
    """Remove lines that a feed repeats in every item with only names or numbers changed.

    "submitted by <user> to <forum> [link] [N comments]" or "Follow us on <network>" carry
    nothing about the item; left in, they make unrelated items of one feed look alike.
    """
    if len(texts) < _TEMPLATE_MIN_ITEMS:
        return list(texts)
    lines = [
        [(line, words(line) if len(line) <= _TEMPLATE_MAX_LINE else None) for line in t.split("\n")]
        for t in texts
    ]
    doc_freq: dict[str, int] = {}
    for text_lines in lines:
        for word in {w for _, ws in text_lines if ws for w in ws}:
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
