"""The writer's own voice: whether a text speaks in its writer's first person singular or to
its reader, and a sentence so written presented as the writer's words. Pure.

A report speaks of others; a column or personal essay says "I" ("…, I started crying.").
Said outside quotation marks in a text's opening, that voice marks the item as a personal
essay (`item_kinds`, labelled "Opinion"); a bullet taken from a piece that is not news and
says "I" would leave a reader asking whose, so it is quoted and attributed: `Jane Doe writes:
“…”`, or to the outlet when no byline is known. A sentence that speaks to its reader ("If you
know your history, …", "Five things you need to know …") is the writer's voice too, and no
report's fact (`addresses_reader`).
"""

from __future__ import annotations

import re

from .sentence_scoring import ROMAN_I

__all__ = [
    "addresses_reader",
    "byline",
    "in_writers_voice",
    "in_writers_words",
    "opens_as_we",
    "opens_in_first_person",
    "speaks_as_writer",
    "titled_in_first_person",
]

# Quoted words, which are someone else's: “…”, "…", ‘…’ and '…' (an apostrophe inside a word
# closes nothing: "couldn’t"); a quote whose closing mark never comes runs to the line's end
# (a quoted paragraph continued in the next).
_QUOTED = re.compile(
    r"“[^”\n]*(?:”|$)|\"[^\"\n]*(?:\"|$)|(?<!\w)‘(?:[^’\n]|’(?=\w))*(?:’|$)"
    r"|(?<!\w)'(?:[^'\n]|'(?=\w))*'(?!\w)",
    re.MULTILINE,
)
# A paragraph that a colon introduces is quoted, as a block: "… announced a bill:\n I will …".
_BLOCK_QUOTE = re.compile(r":[ \t]*\n\s*[^\n]*")
# "I" (not "I-95", not an initial "I. M. Pei" or the end of "F.B.I." or "ARSO-I", not a numeral
# in a range "I to V"), "me", "my", "myself"; "My" only opening a sentence ("TLC's My Feet Are
# Killing Me" names a show).
_SINGULAR = re.compile(
    r"(?<![.&-])\bI\b(?![-.]\w)(?!\s*(?:to|and|or|through|[-–,])\s*(?:II|III|IV|V|VI)\b)"
    r"|\b(?:me|my|myself)\b|(?:^|(?<=[.!?:]\s)|(?<=\n))My\b",
    re.MULTILINE,
)
_ANY_SINGULAR = re.compile(r"\b(?:I|me|my|My|myself)\b")  # (what `_SINGULAR` needs, loosely)
_ITALIAN_ARTICLE = re.compile(r"\bI\b")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?:\s+|$)")
OPENING_CHARS = 400  # how much of a text's start is read for its voice
OPENING_SENTENCES = 2


def speaks_as_writer(text: str, language: str | None = None) -> bool:
    """Whether `text` says "I", "me" or "my" outside quotation marks (not "World War I");
    `language` the text's where known: in Italian, "I" is the plural article ("I medici …")."""
    if _ANY_SINGULAR.search(text) is None:  # (most sentences: nothing to read further)
        return False
    if language == "it":
        text = _ITALIAN_ARTICLE.sub("", text)
    if "I" in text and ROMAN_I.search(text):
        text = ROMAN_I.sub("", text)
    if ":" in text:
        text = _BLOCK_QUOTE.sub(":", text)
    return _SINGULAR.search(_QUOTED.sub("", text)) is not None


# "you" and "your" in any case; capitalised only opening a sentence ("How to Train Your Dragon"
# and "Us Weekly" name things).
_ANY_SECOND = re.compile(r"\b[Yy]ou")
_SECOND = re.compile(
    r"\b(?:you|your|yours|yourself|yourselves)\b|(?:^|(?<=[.!?:]\s))(?:You|Your)\b",
    re.MULTILINE,
)
# Phrases that say "your" to nobody: "… how to grow your own food", "your average couple".
_IDIOMS = re.compile(r"\b(?:grow\s+your\s+own|your\s+average|you\s+name\s+it)\b", re.IGNORECASE)
# Someone else's words: their "you" is theirs ("… is good for your health, researchers say").
# ("tell" alone is left out: "tell him he did well" tells the reader.)
_SAYS = re.compile(
    r"\b(?:say|says|said|tells|told|according\s+to|asked|added|wrote|writes|warn|warns|"
    r"warned|advise|advises|advised|suggest|suggests|suggested|recommend|recommends|"
    r"recommended|urges|urged)\b"
)


def addresses_reader(text: str) -> bool:
    """Whether `text` speaks to its reader: "you" or "your" outside quotation marks, in a
    sentence that gives nobody's words ("If you know your history, you know …", "Five things
    you need to know …", "Of course ask your parents first."; not "… is good for your health,
    researchers say", nor "“You robbed me,” she told him")."""
    # (most sentences: nothing to read further; the substrings first, ~6x faster than a search)
    if ("you" not in text and "You" not in text) or _ANY_SECOND.search(text) is None:
        return False
    if ":" in text:
        text = _BLOCK_QUOTE.sub(":", text)
    if _SAYS.search(text) is not None:
        return False
    return _SECOND.search(_IDIOMS.sub("", _QUOTED.sub("", text))) is not None


# A sentence opening in the first person plural, outside quotation marks: "We …", "We're …",
# "Our …" (capitalised as a sentence opens: "WE Charity" names one; "Us Weekly" is never "us").
_OPENS_PLURAL = re.compile(r"(?:We|Our)(?:['’](?:re|ve|d|ll))?\b(?![-.])")


# ... or once an opening phrase and its comma are read ("After 250 years, we're still not sure
# …", "In the meantime, our team …"; no colon in it: "The message was short: In the end, we
# …" gives someone's words), in a sentence that quotes no one, in double or single marks (a
# quotation's later sentence, "By midnight, we had lost the floor,’ she recalled."), and has
# no verb of saying ("But obviously, we're excited …," said the director: his words, marks
# lost).
_PHRASE_THEN_PLURAL = re.compile(
    r"[A-Z][^,:\"“”‘]{0,50},\s+(?:we|our)(?:['’](?:re|ve|d|ll))?\b(?![-.])"
)
_SINGLE_QUOTED = re.compile(r"‘|[,.!?]['’]")  # (an opening mark, or a closing one after its words)
_SAID_TOO = re.compile(  # (verbs of saying besides `_SAYS`: "…, she recalled.")
    r"\b(?:recall(?:s|ed)|explain(?:s|ed)|noted|stated|insist(?:s|ed)|admit(?:s|ted)|"
    r"announced|posted|tweeted|declared|replied|remarked|argued|acknowledged|confirmed)\b"
)


def opens_as_we(text: str, language: str | None = None) -> bool:
    """Whether `text` opens with "We" or "Our" outside quotation marks, or says it once its
    opening phrase is read (`_PHRASE_THEN_PLURAL`): the writer's or the outlet's voice ("We
    have asked the council …", "Our correspondent says …", "After all these years, we still
    …"), or a statement whose marks were lost ("We are thankful for …"); whose "we", a bullet
    would not say. The opening phrase is read in English only (`language` the text's, where
    known): in another language an English "we" after it is someone's words in theirs, whose
    verb of saying no English word names (Tagalog's "Ayon kay Mayor Cruz, we will …")."""
    if text[:1] in "WO" and _OPENS_PLURAL.match(text) is not None:
        return True
    return (
        language in (None, "en")
        and (", we" in text or ", our" in text)
        and _PHRASE_THEN_PLURAL.match(text) is not None
        and not any(mark in text for mark in '"“”')
        and _SINGLE_QUOTED.search(text) is None
        and _SAYS.search(text) is None
        and _SAID_TOO.search(text) is None
    )


def in_writers_voice(text: str, language: str | None = None) -> bool:
    """Whether `text` is in its writer's own voice: the first person singular
    (`speaks_as_writer`, with the text's `language` where known), a sentence opening in the
    plural (`opens_as_we`, in the text's `language` too) or speaking to the reader
    (`addresses_reader`)."""
    return speaks_as_writer(text, language) or opens_as_we(text, language) or addresses_reader(text)


def opens_in_first_person(text: str, language: str | None = None) -> bool:
    """Whether a text's opening (its first two sentences, within `OPENING_CHARS`) speaks in
    the writer's first person singular: a column's or essay's voice, which a report's lead
    does not take (what its people say stands in quotation marks); `language` as
    `speaks_as_writer` reads it."""
    head = text[:OPENING_CHARS].lstrip()
    if _ANY_SINGULAR.search(head) is None:  # (most reports: nothing to read further)
        return False
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if len(ends) >= OPENING_SENTENCES:
        head = head[: ends[OPENING_SENTENCES - 1]]
    return speaks_as_writer(head, language)


# A title whose sentence is the writer's own "I": "I'm more worried about …", "I wouldn't
# want to be …", "Why I left …" (the word after it in lower case: "I'm A Celebrity", "I May
# Destroy You" and any Title Case headline name a show or say nothing).
_TITLE_AS_I = re.compile(r"(?:(?:Why|How|What|Where|When)\s+)?(I)(?:['’](?:m|ve|d|ll))?\s+[a-z]")
# Someone else's words: a speaker named after a colon or dash, or a verb of saying.
_TITLE_SPEAKER = re.compile(
    r"\s[:|-]\s|[—–]|:\s|\b(?:says?|said|tells?|told|admits?|reveals?|insists?|claims?|warns?|"
    r"vows?|writes?|asks?)\b"
)
# The clause after a title's last comma: a short one with no "I" of its own that no
# conjunction opens names the speaker, whatever the verb ("I was wrong, minister concedes",
# "I'm done, striker posts"); a column's goes on in its "I" ("…, but I doubt it").
_LAST_CLAUSE = re.compile(r",\s*([^,]+?)[\s.!?]*$")
_SPEAKER_WORDS_MAX = 6
_JOINS = frozenset(
    "and but so or yet nor because then though although while when if which who that".split()
)


def _speaker_after_comma(title: str) -> bool:
    """Whether the title's last comma is followed by its speaker (`_LAST_CLAUSE`)."""
    match = _LAST_CLAUSE.search(title)
    if match is None:
        return False
    words = match.group(1).split()
    return (
        0 < len(words) <= _SPEAKER_WORDS_MAX
        and words[0].lower() not in _JOINS
        and not speaks_as_writer(match.group(1))
    )


def titled_in_first_person(title: str, text: str = "") -> bool:
    """Whether a title opens in its writer's own first person singular, outside quotation
    marks and naming no speaker ("I wouldn't want to be in the mayor's shoes", "Why I left
    the city"): a column's or personal essay's title, which a report's never is (it quotes:
    "‘I was scared’: …", "I will not resign, says mayor", "Mayor: I am disappointed", or
    words its `text` gives in quotation marks: a slogan, "I can't breathe protests spread")."""
    title = title.strip()
    found = _TITLE_AS_I.match(title)
    return (
        found is not None
        and _TITLE_SPEAKER.search(title) is None
        and not _speaker_after_comma(title)
        and not _quoted_in(text, title[found.start(1) :])
    )


# A title's first words from its "I" on ("I can't breathe …") that its text gives in quotation
# marks are someone's words the title quotes without marks (a slogan, a chant), not the
# writer's: a column's teaser does not quote its own title.
_QUOTED_TITLE_WORDS = 3
_TITLE_WORD = re.compile(r"\w+(?:'\w+)*")


def _quoted_in(text: str, words: str) -> bool:
    """Whether a quotation of `text` holds the first `_QUOTED_TITLE_WORDS` words of `words`
    (a title from its "I" on), whole and in a row, in any case."""
    if not text or not any(mark in text for mark in "“\"‘'"):
        return False
    said = _spaced(_TITLE_WORD.findall(_plain(words))[:_QUOTED_TITLE_WORDS])
    return any(said in _spaced(_TITLE_WORD.findall(_plain(q))) for q in _QUOTED.findall(text))


def _plain(text: str) -> str:
    """`text` in lower case, its apostrophes straight."""
    return text.replace("’", "'").lower()


def _spaced(words: list[str]) -> str:
    """Words joined by spaces, a space at both ends (whole words are found in it)."""
    return f" {' '.join(words)} "


_WRITES = re.compile(r",\s*writes\s+([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})\s*$")
# A name opening a title or text and closed by a colon: "JANE DOE: …", "Jane Doe: …".
_NAME_COLON = re.compile(
    r"^\s*((?:[A-Z][A-Z'’-]+|[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?)"
    r"(?:\s+(?:[A-Z][A-Z'’-]+|[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)?)){1,2})\s*:\s"
)
# Words no person's name holds: labels, kickers, and the desks a feed names as its author
# ("Reuters Staff", "Newsroom Team").
_NOT_A_NAME = frozenset(
    "COMMENT OPINION ANALYSIS EDITORIAL COLUMN COMMENTARY PERSPECTIVE VIEWPOINT REVIEW LIVE "
    "BREAKING NEWS UPDATE WATCH VIDEO EXCLUSIVE THE A AN OF IN ON FOR AND OUR MY YOUR WHY HOW "
    "WHAT WHEN WHO CORONAVIRUS COVID STAFF REPORTER REPORTERS EDITOR EDITORS DESK TEAM "
    "NEWSROOM WIRE WIRES PRESS AGENCY CORRESPONDENT CORRESPONDENTS BOARD CONTRIBUTOR".split()
)
_PERSON = re.compile(r"^[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,3}$")


def _name(words: str) -> str:
    """A byline's name in ordinary case ("DAVID BLUNKETT" → "David Blunkett")."""
    words = " ".join(words.split())
    return words.title() if words.isupper() else words


def _plain_name(candidate: str) -> bool:
    parts = candidate.replace("-", " ").split()
    return not any(part.upper().strip("'’") in _NOT_A_NAME for part in parts)


def byline(author: str | None, title: str, text: str, outlet: str = "") -> str:
    """The writer's name for an opinion piece, or "" when none can be told with confidence:
    the feed's author when it is a person's name (two to four capitalised words, not the
    outlet, not an address); else a title that ends ", writes Jane Doe"; else a name and a
    colon opening the text ("JANE DOE: After …"); else one opening the title ("Jane Doe: Why
    …") when the text never names that person (a column about Jane Doe would)."""
    author = re.sub(r"^[Bb]y\s+", "", " ".join((author or "").split()))
    if (
        author
        and _PERSON.match(author)
        and "@" not in author
        and author.casefold() != outlet.strip().casefold()
        and _plain_name(author)
    ):
        return _name(author)
    writes = _WRITES.search(title)
    if writes and _plain_name(writes.group(1)):
        return _name(writes.group(1))
    opening = _NAME_COLON.match(text)
    if opening and _plain_name(opening.group(1)):
        return _name(opening.group(1))
    heading = _NAME_COLON.match(title)
    if heading and _plain_name(heading.group(1)):
        surname = heading.group(1).split()[-1]
        if not re.search(rf"\b{re.escape(surname)}\b", text, re.IGNORECASE):
            return _name(heading.group(1))
    return ""


_NESTED = {"“": "‘", "”": "’", '"': "’"}


def in_writers_words(sentence: str, writer: str, outlet: str, *, again: bool = False) -> str:
    """A first-person sentence as its writer's words: `Jane Doe writes: “…”`, or, with no
    name known, `Writing for <outlet>, the author says: “…”` ("The author writes" with no
    outlet either); `again` (a bullet above quoted this writer): `Jane Doe also writes: “…”`,
    `The author also says: “…”`. Quotation marks inside become single ones, so the quote
    stays whole."""
    inner = sentence.strip()
    if inner.count('"') % 2 == 0:
        opened = False
        chars = []
        for ch in inner:
            if ch == '"':
                chars.append("’" if opened else "‘")
                opened = not opened
            else:
                chars.append(_NESTED.get(ch, ch))
        inner = "".join(chars)
    else:
        inner = "".join(_NESTED.get(ch, ch) for ch in inner)
    quoted = f"“{inner}”"
    also = " also" if again else ""
    if writer:
        return f"{writer}{also} writes: {quoted}"
    if outlet.strip():
        if again:
            return f"The author also says: {quoted}"
        return f"Writing for {outlet.strip()}, the author says: {quoted}"
    return f"The author{also} writes: {quoted}"
