"""Whether a sentence's opening leans on a sentence the reader may not see. Pure.

"He said…", "This means…", "Its shares…" point back; a bullet that opens so is refused. Some
openings only look like it: a dummy "it" ("It is unclear whether…", "It was reported that…"),
a "this" of time ("This week, …"), a "this"/"here" that points ahead to what follows a colon
("Here is what happened: …"), a pair ("Both X and Y …", "Neither X nor Y …"), a generic
"those who …", and a pronoun inside an opening quote whose attribution names who is meant
("“He needs a lawyer,” she said of Mr. Smith.").
"""

from __future__ import annotations

import re

__all__ = ["CONTEXT_WORDS", "first_word", "leans_back"]

OPEN_QUOTES = "\"“‘'("
# Openings that point back at a sentence the reader may not see. ("Former" and "latter" are
# not here: opening a sentence, without "the", they are adjectives: "Former senator X said".)
CONTEXT_WORDS = frozenset(
    """he she it they him her his its their them this that these those here such both either
    neither another other others""".split()
)
_BE = (
    r"(?:['’]s|\s+(?:is|was|isn['’]t|wasn['’]t|will\s+be|would\s+be|could\s+be|may\s+be|"
    r"might\s+be|has\s+been|had\s+been|remains|remained|seems|seemed|appears|appeared))"
)
_ADVERBS = (
    r"(?:\s+(?:not|also|still|now|therefore|thus|immediately|yet|already|widely|generally|"
    r"increasingly|clearly|certainly|previously|later|long|never|always|just|entirely|quite|"
    r"equally|hardly|far\s+from))*"
)
# A predicate that takes a clause: "it" stands for the clause after it, not for a thing.
_OPEN_QUESTION = (
    r"(?:unclear|unknown|uncertain|clear|known|certain|not\s+known|not\s+clear)\s+"
    r"(?:whether|if|when|how|what|why|who|where|which)"
)
_THAT_ADJECTIVE = (
    r"(?:unclear|clear|certain|true|false|possible|impossible|likely|unlikely|probable|"
    r"obvious|apparent|evident|plain|important|essential|crucial|vital|necessary|significant|"
    r"notable|remarkable|striking|surprising|unsurprising|ironic|telling|fitting|fortunate|"
    r"unfortunate|sad|tragic|strange|odd|curious|interesting|correct|incorrect|doubtful|"
    r"undeniable|inevitable|conceivable|rare|unusual|worth\s+\w+ing)"
)
_REPORTED = (
    r"(?:reported|claimed|alleged|announced|confirmed|suggested|argued|agreed|decided|revealed|"
    r"assumed|predicted|expected|believed|thought|understood|estimated|feared|hoped|said|"
    r"rumou?red|known|noted|learned|learnt|determined|established|discovered|found|proposed|"
    r"recommended|stated|acknowledged|admitted|accepted|recogni[sz]ed|conceded|speculated|"
    r"suspected|indicated|shown|proven|proved|demonstrated|deemed|ruled)"
)
_ASIDE = r"(?:\s*,[^,]{1,60},)?"  # "It's possible, the sources said, that …"
_DUMMY_IT = re.compile(
    rf"^it{_BE}{_ADVERBS}\s+(?:{_OPEN_QUESTION}\b|(?:{_THAT_ADJECTIVE}|{_REPORTED}){_ASIDE}"
    r"\s+that\b|the\s+first\s+time\b[^.;:]{0,60}?\bthat\b|too\s+early|time\s+to\b|"
    r"\d{1,2}(?::\d\d)?\s*(?:a\.m\.|p\.m\.|o['’]clock))|"
    r"^it\s+(?:remains|remained)\s+to\s+be\s+seen\s+(?:whether|if|how|what|who|when)\b|"
    r"^it\s+(?:seems|seemed|appears|appeared|emerged|turns\s+out|turned\s+out)"
    rf"{_ASIDE}\s+(?:that|as\s+if|as\s+though|likely|unlikely)\b|"
    r"^it(?:['’]s|\s+has|\s+had)\s+been\s+(?:\w+\s+)?(?:\w+\s+)?(?:days?|weeks?|months?|"
    r"years?|decades?|hours?|time)\s+since\b",
    re.IGNORECASE,
)
# "This week, …", "This past summer …", "These days …": the time of writing, not a thing.
_NOW = re.compile(
    r"^(?:this\s+(?:past\s+|coming\s+)?(?:morning|afternoon|evening|week|weekend|month|year|"
    r"spring|summer|fall|autumn|winter|season|(?:mon|tues|wednes|thurs|fri|satur|sun)day)|"
    r"these\s+days)\b(?!-)",
    re.IGNORECASE,
)
# "Here is what happened: Police …", "This was the plan: He would …": points at what follows
# the colon, a sentence of its own (a capital after the colon).
_POINTS_AHEAD = re.compile(
    r"^(?i:here(?:['’]s|\s+(?:is|are|was|were))|(?:this|these)\s+(?:is|are|was|were))\b"
    r"[^:;.!?]{0,160}:\s+[\"“]?[A-Z0-9]"
)
# "Both the House and the Senate …", "Neither police nor …", "Either X or Y …".
_PAIR = re.compile(
    r"^(?:[Bb]oth\s+(?:the\s+)?(?:[A-Z][\w.'’-]*\s+){1,3}and\s|"
    r"[Nn]either\s.{1,80}?\snor\s|[Ee]ither\s.{1,80}?\sor\s)"
)
_THOSE_WHO = re.compile(r"^those\s+(?:who|whose|aged|\d+)\b", re.IGNORECASE)
# An opening quote, then its attribution naming who or what is meant: "… ," X said of Y.
_NAMED_IN_ATTRIBUTION = re.compile(
    r"^[\"“‘][^\"“”]+[\"”’],?\s+[^\"“”]{1,60}?\b(?:said|says|wrote|writes|added|told\s+\S+)\s+"
    r"(?:of|about)\s+(?:the\s+)?[A-Z]"
)


def first_word(text: str) -> str:
    """The sentence's first word, lower-cased, past opening quotes and without "'s"."""
    parts = text.lstrip(OPEN_QUOTES).split(None, 1)
    return re.sub(r"['’]\w*$", "", parts[0]).strip(",;:").lower() if parts else ""


def leans_back(text: str) -> bool:
    """Whether the sentence opens with a word that refers to something said before it (and is
    not one of the look-alikes above)."""
    word = first_word(text)
    if word not in CONTEXT_WORDS:
        return False
    if text[:1] in '"“‘' and _NAMED_IN_ATTRIBUTION.search(text):
        return False
    body = text.lstrip(OPEN_QUOTES)
    if word == "it":
        dummy = _DUMMY_IT.search(body)
        # (what follows a dummy "it", or a "this" of time, may lean back itself: "It is
        # unclear whether he …", "These days, he …")
        return dummy is None or leans_back(body[dummy.end() :].lstrip(" ,"))
    if word in ("this", "these", "here"):
        now = _NOW.search(body)
        if now is not None:
            return leans_back(body[now.end() :].lstrip(" ,"))
        return _POINTS_AHEAD.search(body) is None
    if word in ("both", "either", "neither"):
        return _PAIR.search(body) is None
    if word == "those":
        return _THOSE_WHO.search(body) is None
    return True
