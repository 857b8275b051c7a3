"""Text helpers: HTML to plain text, sentence splitting, tokens. Pure, stdlib only."""

from __future__ import annotations

import html
import re
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


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
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


_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt no nos vs etc inc ltd co corp gov sen rep gen col lt sgt capt "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m fig approx dept "
    "est ft rev".split()
)
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
_SENTENCE_END = re.compile(r"""([.!?…]+["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9])""")


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences, not breaking after common abbreviations or initials."""
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            end = match.end(1)
            before = paragraph[start : match.start(1) + 1]
            last_word = before.rsplit(None, 1)[-1] if before.strip() else ""
            word = last_word.rstrip(".").lower().lstrip("(\"'“‘")
            if match.group(1).startswith(".") and (
                word in _ABBREVIATIONS or _INITIALS.fullmatch(word)
            ):
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
    out = []
    for match in _WORD.finditer(text.lower()):
        word = match.group(0).replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        out.append(word)
    return out


def tokens(text: str) -> list[str]:
    """Content tokens for matching: words minus stopwords and numbers-only noise, stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
