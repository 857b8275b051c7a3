"""Whether a sentence is a photo caption or a credit line rather than a fact. Pure.

Feeds and pages carry the captions of their pictures as sentences: "A Dongfeng Honda factory
in Wuhan, China.", "Protesters in Kenosha, Wis., on Tuesday.", and credit lines: "Analysis
from Axios national political reporter Jonathan Swan." A caption names what a photo shows
and where; it has no verb. The test is deliberately narrow, since a fact must never be taken
for a caption: a short sentence with no word that may be a finite verb (a form of "be" or
"have", a modal, a common irregular verb, a word in -ed, -n't or -s: a plural noun counts as a
possible verb, to be safe), shaped as a noun phrase followed by prepositional phrases that end
on a named place or date; or opening with "Photo by", "Analysis from", "Image from", ….
Wider, and as careful: a sentence with no such word that opens with an article, with a
name and an age or with where the picture is ("Above, "), or names a place in a picture
(", left,"), is a noun phrase, not a fact ("The cabin of a passenger plane.", "Sam Example,
26, with his sister Jo Example, 27.", "Above, a phone shop in Example City."), unless a
plain verb shows (a word before "the" or, in its opening phrase, before a name; a plural
without "-s" before a word: "The children attend …", "people support …").
A wire photo's caption has verbs but a shape of its own: what the picture shows, in the
present tense, then where and the day it was taken ("Senator Sam Example speaks to reporters
at the Capitol in Washington, Tuesday, Feb. 6, 2018."; "… in Paris, April 22, 2015."). It is
one when it ends on a full date that follows a place with no preposition (a fact says "on
Feb. 6, 2018"), or ends on a full date and shows someone in the present tense ("smiles",
"poses", "is seen"), or ends on a weekday with the full date and then the place (AP's "…,
Tuesday, Feb. 19, 2013, in Sun Lakes, Ariz."); and so is a sentence that points at its
picture (", in this photo provided by …", "… in this March 24, 2014 handout photo.", ", this
photo released by the coast guard shows.", "A file image from the probe shows …", "is
pictured at …") or carries a gallery's labels ("Hide Caption 7 of 43", "Photos: …", "CREDIT:
…", "Enlarge Image Close …", an agency's "JUNE 18: " opening).
The test reads English by design (its verbs, prepositions and capitalised names), so it finds
no caption written in Chinese or Japanese; a sentence's length is counted by `word_count`
(their characters two to a word), as bullets count it.
"""

from __future__ import annotations

import itertools
import re

from .tokens import word_count

__all__ = ["is_caption", "is_noun_phrase", "is_wire_caption"]

MAX_WORDS = 20  # in `word_count` words
# Words that are (or may be) finite verbs: forms of be/have/do, modals, common irregular verbs.
_VERBS = frozenset(
    """am is are was were be been being has have had having do does did done will would shall
    should can could may might must said say told tell went go gone came come made make took
    take gave give got get saw see seen found find left leave kept keep ran run won win lost
    lose began begin begun became become held hold brought bring thought think met meet paid
    pay sent send spent spend stood stand fell fall led lead built build sold sell bought buy
    hit put set cut let struck strike rose rise felt feel heard hear meant mean knew know grew
    grow drew draw wrote write spoke speak chose choose broke break fled flee shot shoot fought
    fight sought seek taught teach caught catch threw throw flew fly drove drive rode ride ate
    eat drank drink slept sleep woke wake wore wear tore tear swore bore hung hang dug dig stuck
    stick spun sank sink sang sing rang ring beat bet bid hurt quit shut split spread upset cost
    forecast lay lie laid lain rid sat sit slid bent bend bled bleed bred fed feed sped speed
    swept sweep wept weep dealt deal leapt lent lend lit meant forbade forgave forgot froze
    freeze hid hide shook shake stole steal strode strove swam swim swung thrust trod withdrew
    withdraw withheld wound arose arise awoke overtook undertook underwent undergo understood
    understand misled overcame need want like live face remain seem appear help""".split()
)
_PREPOSITIONS = frozenset(
    """of in at near outside inside on from by with during after before amid across along
    around behind beside between beyond for into onto over under through toward towards
    against above below""".split()
)
_FUNCTION = frozenset("a an the his her their its our my your and or &".split())
_NAME = r"[A-Z][\w.'’&-]*"
_NAMES = rf"(?:the\s+)?{_NAME}(?:\s+(?:of\s+|de\s+|del\s+)?{_NAME})*"
# Ends on a named place or date: "in Wuhan, China.", "at Joint Base Andrews in Maryland on
# Tuesday.", "in Paris April 22, 2015."
_PLACE_END = re.compile(
    rf"\b(?:in|at|near|outside|inside|on|off|from|over)\s+{_NAMES}(?:,\s+{_NAMES})*"
    rf"(?:,?\s+(?:on|in)\s+(?:{_NAME}(?:\s+\d{{1,2}})?(?:,\s+\d{{4}})?|\d{{4}}))?"
    rf"(?:,?\s+(?:on\s+)?{_NAME}\s+\d{{1,2}},\s+\d{{4}})?[.]$"
)
_CREDIT = re.compile(
    r"^(?:Analysis|Commentary|Reporting|Photos?|Photographs?|Pictures?|Images?|Video|Footage|"
    r"Illustrations?|Graphics?)\s+(?:from|by|courtesy)\b"
)
# A reporter's sign-off under a video or broadcast report: who reports and from where, with
# nothing of the news ("Example TV's Sam Example reports from Lyon.", "Sam Example has more
# from the capital, Nairobi.", "Breakfast reporter Sam Example has this report from Kent.", "In
# our series on farming, Example TV's Sam Example reports from Kent."). The place is names and
# a few words of where ("the seaside town of", "the US capital,"), ending on a name: a place
# followed by a clause ("…, where she met …", "… that the talks failed") says more and is kept.
_WHERE_WORDS = (
    r"the|of|in|near|outside|capital|city|town|seaside|county|state|region|province|village|"
    r"district|island|border|coast|port|camp|neighbouring|neighboring|nearby|(?:north|south)"
    r"(?:east|west)?(?:ern)?|(?:east|west)(?:ern)?|central"
)
_SIGN_OFF = re.compile(
    r"^(?:In\s[^,]{1,120},\s+)?(?:[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,3}(?:['’]s?)?\s+)?"
    r"(?:(?:senior|chief|political|diplomatic|economics|foreign|special|regional|local)\s+)?"
    r"(?:(?:correspondent|reporter|editor)\s+)?"
    r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){1,3}\s+"
    r"(?:reports|has\s+(?:more|this\s+report|the\s+(?:details|story|latest|report)))"
    rf"(?:\s+(?:live\s+)?from(?:,?\s+(?:{_WHERE_WORDS}|[A-Z][\w.'’-]*))*?"
    r",?\s+[A-Z][\w.'’-]*)?\.$"
)
_STRIP = ".,;:!?\"'“”‘’()[]—–-"

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
# A caption's closing date: "Tuesday, Feb. 6, 2018.", and in AP's captions the place after it:
# "…, Tuesday, Feb. 19, 2013, in Sun Lakes, Ariz.", "… on Sunday, Feb. 26, 2017, at the Dolby
# Theatre in Los Angeles." (group 1: what comes before; 2: "on", when the date has it; 3: the
# weekday; 4: the place after).
_PLACE_NAME = r"[A-Z][\w'’-]*\.?(?:\s+(?:of\s+)?[A-Z][\w'’-]*\.?)*"
_FULL_DATE_END = re.compile(
    rf"^(.*?)[\s,]+(on\s+)?(?:({_WEEKDAY}){_PART_OF_DAY},?\s+)?{_MONTH}\s+\d{{1,2}},\s+\d{{4}}"
    rf"(,?\s+(?:in|at)\s+(?:the\s+)?{_PLACE_NAME}(?:(?:,\s+|\s+in\s+){_PLACE_NAME})*)?\.?$"
)
# The date right after a place, with no preposition: "… in Newtown, Connecticut December 14,
# 2014.", "… in Washington, Tuesday, Feb. 6, 2018.": what comes before the date ends on a name.
_AFTER_PLACE = re.compile(r"[A-Z][\w.'’-]*\.?,?$")
# What a picture shows someone doing, in the present tense (a fact's verbs are past: "was
# signed in Paris, June 3, 1999" stays a fact; "takes effect", "begins" are not here).
_DEPICTED = re.compile(
    r"\b(?:(?:is|are)\s+(?:\w+\s+)?(?:seen|pictured|shown|greeted|escorted|embraced|"
    r"comforted|hugged|photographed)|speaks|smiles|poses|gestures|waves|kneels|kneel|prays|"
    r"pray|mourns|mourn|weeps|reacts|react|listens|listen|looks\s+on|look\s+on|sits|sit|stands|"
    r"stand|walks|walk|hugs|hug|embraces|embrace|cheers|cheer|celebrates|celebrate|greets|"
    r"laughs|wipes|throws\s+out|shakes\s+hands|holds\s+up|hold\s+up|waits|wait)\b"
)
# Pointing at the picture, or a gallery's labels.
_PICTURE_WORDS = re.compile(
    r"(?:^|\s)[Ii]n\s+this\s+(?:[\w,'’-]+\s+){0,4}(?:photo|photograph|picture|image|still|"
    r"frame\s+grab)s?(?:[,.]|\s+(?:provided|released|taken|made|obtained|distributed|supplied|"
    r"issued|courtesy)\b)"
    r"|,\s+this\s+(?:[\w-]+\s+){0,2}(?:photo|photograph|picture|image)s?\s+(?:provided|"
    r"released|taken|made|obtained|distributed|supplied|issued)\b"
    r"|^(?:An?|The|This)\s+(?:undated\s+)?(?:file|handout)\s+(?:photo|photograph|picture|image)"
    r"\s+(?:from|of|shows|released|provided|taken|made|obtained|distributed|supplied|issued)\b"
    r"|\bEnlarge\s+(?:Image|Photo)\b"
    r"|\b(?:is|are)\s+pictured\s+(?:at|in|on|with|outside|inside|during|after|before)\b"
    r"|\bHide\s+Caption\s+\d+\s+of\s+\d+|^Photos?:\s|\bCREDIT:\s"
    r"|^(?:JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|"
    r"DECEMBER)\s+\d{1,2}:\s"
)
_PICTURE_MARKS = (
    "this", "pictured", "Caption", "Photo", "CREDIT", ": ", "file", "handout", "Enlarge",
)  # fmt: skip


# A pronoun with a verb run into it: "It's", "There’s", "We're" (a name's "'s" is possessive).
_PRONOUN_VERB = re.compile(
    r"^(?:it|he|she|that|there|here|what|who|where|i|we|you|they)['’](?:s|re|m|ve|ll|d)$",
    re.IGNORECASE,
)


def _may_be_verb(word: str) -> bool:
    """Whether a lower-case word may be a finite verb (a plural noun may: "-s" counts)."""
    if word in _VERBS or word.endswith(("ed", "n't", "n’t")):
        return True
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ous"))


# Where someone stands in a picture, set off by commas: "Sen. Sam Example, left, and …".
_POSITION = re.compile(
    r",\s+(?:(?:far|second\s+from)\s+)?(?:left|right|center|centre|top|bottom)(?=[,.])"
)
# Openings of a noun phrase: an article, or where the picture is ("Above, a shop in …").
_OPENINGS = (
    "The ", "A ", "An ",
    "Above, ", "Below, ", "Top, ", "Bottom, ", "Left, ", "Right, ", "Inset, ",
)  # fmt: skip
_AGED_NAME = re.compile(r"^[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){1,4},\s+\d{1,3},\s")
_DETERMINERS = frozenset("a an the his her their its our my your this that these those".split())
# Plurals without an "-s", which a plain verb may follow ("The children attend …").
_PLURALS = frozenset(
    "people men women children police dead staff public media data crowd team government "
    "folk cattle clergy youth".split()
)
# Words that show the sentence is English (Portuguese and Tagalog open with "A" too).
_ENGLISH = frozenset("the of and with for by from in on at an".split())


def is_noun_phrase(sentence: str) -> bool:
    """Whether the sentence is a noun phrase with no verb: a caption's, a credit's or a list's
    ("The cabin of a passenger plane.", "Sen. Sam Example, left, and Gov. Jo Sample.", "Sam
    Example, 26, with his sister Jo, 27."), which states no fact (see the module docstring)."""
    if not sentence.endswith("."):
        return False
    opens = sentence.startswith(_OPENINGS)
    unplaced = sentence
    if "," in sentence:
        if _POSITION.search(sentence) is not None:
            unplaced = _POSITION.sub("", sentence)
        opens = opens or unplaced != sentence or _AGED_NAME.match(sentence) is not None
    if not opens or word_count(sentence) > MAX_WORDS:
        return False
    words = _verbless_words(unplaced.split())
    if not words or not any(w in _ENGLISH for w in words[1:]):
        return False
    opening = True  # (before the first preposition)
    for word, after in itertools.pairwise(words):
        opening = opening and word not in _PREPOSITIONS
        if _plain(word) and (after in _DETERMINERS or (opening and after[0].isupper())):
            return False  # a verb and its object: "… support the plan", "… warn Walker"
        if word.lower() in _PLURALS and _plain(after):
            return False  # a subject and its verb: "The children attend …"
    return True


def _plain(word: str) -> bool:
    """A lower-case word that is neither a preposition nor a function word."""
    return word[0].islower() and word not in _PREPOSITIONS and word not in _FUNCTION


def _verbless_words(tokens: list[str]) -> list[str] | None:
    """The words of a sentence's `tokens` (punctuation stripped) when none may be a finite
    verb (`_may_be_verb`, a pronoun with one run in: "It's"); None when one may."""
    words = [w for w in (w.strip(_STRIP) for w in tokens) if w]
    if any(_may_be_verb(w.lower()) for w in words if w[0].islower()):
        return None
    if any(_PRONOUN_VERB.match(w) for w in words):
        return None
    return words


def is_wire_caption(sentence: str) -> bool:
    """Whether the sentence is a wire photo's caption or a gallery's label (see the module
    docstring): verbs allowed, so the shape must be a caption's alone."""
    if any(mark in sentence for mark in _PICTURE_MARKS) and _PICTURE_WORDS.search(sentence):
        return True
    if not sentence.endswith(".") or (", 19" not in sentence and ", 20" not in sentence):
        return False
    dated = _FULL_DATE_END.match(sentence)
    if dated is None:
        return False
    before = dated[1]
    if dated[3] is not None and dated[4] is not None:
        return True  # (a weekday with the year, and the place after: AP's caption, not prose)
    if dated[2] is None and _AFTER_PLACE.search(before) is not None:
        return True
    return _DEPICTED.search(before) is not None


def is_caption(sentence: str) -> bool:
    """Whether the sentence is a photo caption or credit line (see the module docstring)."""
    tokens = sentence.split()
    if not tokens:
        return False
    if is_wire_caption(sentence):
        return True
    if ("report" in sentence or "has " in sentence) and _SIGN_OFF.match(sentence) is not None:
        return True
    credit = _CREDIT.match(sentence) is not None
    if not (credit or tokens[-1][:1].isupper() or tokens[-1][:1].isdigit()):
        return False  # (a caption ends on a name or a year)
    if word_count(sentence) > MAX_WORDS:
        return False
    words = _verbless_words(tokens)
    if not words:
        return False
    if credit:
        return True
    if words[0].lower() in _PREPOSITIONS:  # "In 2016, Balin …": an adverbial, then a clause
        return False
    head: list[str] = []  # the noun phrase before the first preposition
    for word in words:
        if word in _PREPOSITIONS:
            break
        head.append(word)
    if len(head) == len(words):
        return False
    common = [i for i, w in enumerate(head) if w[0].islower() and w not in _FUNCTION]
    if len(common) > 3 or any(head[i].endswith("ly") for i in common):  # (an adverb: a verb's)
        return False
    # A lower-case word before a name, past any article, is a verb ("Republicans warn Walker",
    # "… attend the Winter Festival"), not a noun of a compound ("A Dongfeng Honda factory").
    for i in common:
        after = [w for w in head[i + 1 :] if w not in _FUNCTION]
        if after and after[0][:1].isupper():
            return False
    return _PLACE_END.search(sentence) is not None
