"""Whether a sentence's opening leans on a sentence the reader may not see. Pure.

"He said…", "This means…", "Its shares…" point back; a bullet that opens so is refused. Some
openings only look like it: a dummy "it" ("It is unclear whether…", "It was reported that…"),
a "this" of time ("This week, …"), a "this"/"here" that points ahead to what follows a colon
("Here is what happened: …"), a pair ("Both X and Y …", "Neither X nor Y …"), a generic
"those who …", and a pronoun inside an opening quote whose attribution names who is meant
("“He needs a lawyer,” she said of Mr. Smith.").

Two more kinds of sentence need the one before them. An elliptical opening: "Not, at least,
…", "Nor did …", "Which means …", an answer ("Not yet, said …"), a first clause ending on a bare
auxiliary ("House committees do, and …", "When he didn't, …"). And a quote or a report whose
speaker is only a pronoun with nobody named before it in the sentence ("“We will not back
down,” he said."): `unnamed_speaker`.
"""

from __future__ import annotations

import re

from .text import has_case_special

__all__ = ["CONTEXT_WORDS", "first_word", "leans_back", "unnamed_speaker"]

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
# An opening phrase that points back past the sentence: "Since then, …", "If that happens, …",
# "During that meeting, …", "Without it, …", "Like him, …", "To do that, …". (A "this" of
# time is now: "At this point, …"; a possessive points ahead, to who follows: "In his speech,
# Biden said …"; "that" before a clause joins it: "Now that he has won, …".)
_BACK_PHRASE = re.compile(
    r"^(?:even\s+)?(?:if|when|once|after|before|since|until|till|by|with|without|despite|like|"
    r"unlike|for|from|at|in|on|under|beyond|amid|following|given|during|against|back|even|"
    r"because\s+of|due\s+to|apart\s+from|aside\s+from|along\s+with|on\s+top\s+of|"
    r"in\s+addition\s+to|in\s+spite\s+of|regardless\s+of|thanks\s+to|as\s+part\s+of|"
    r"instead\s+of|other\s+than|prior\s+to|as\s+with|as\s+for|as\s+a\s+result\s+of)\s+"
    r"(?:(?:all\s+)?(?:of\s+)?(?:that|these|those)(?:\s+[a-z][a-z-]*)?|"
    r"this(?:\s+(?!(?:point|stage|moment|time|year|week|month|day|morning|afternoon|evening|"
    r"weekend|season|summer|winter|spring|autumn|fall)\b)[a-z][a-z-]*)?|it|them|him|"
    r"then(?:\s+on)?)\s*,|"
    r"^(?:to\s+do\s+(?:so|that|this|it)|(?:in|by)\s+doing\s+(?:so|that|this|it)|in\s+so\s+doing)\s*,",
    re.IGNORECASE,
)
# "All this means …", "All of that …" (not "All this week, …", a time, now; nor "All those
# who …").
_ALL_THIS = re.compile(
    r"^all\s+(?:of\s+)?(?:this|that|these|those)\b(?!\s+(?:who|whose|week|weekend|month|year|"
    r"season|summer|winter|spring|autumn|fall|morning|afternoon|evening|days|weeks|months|"
    r"years)\b)",
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

_AUX = r"(?:do|does|did|will|would|can|could|should)(?:n['’]t)?|don['’]t|won['’]t|can['’]t"
# Openings that continue the sentence before: "Not, at least, …", an answer ("Not yet, …",
# "Not that I know of"), "Not in X, but …" (unless inverted: "Not in decades has …"), "Nor …",
# a relative "Which …" (a question is refused elsewhere).
_ELLIPTICAL = re.compile(
    r"^(?:not\s*[,;—–]|not\s+-|not\s+(?:yet|really|quite|exactly|necessarily|particularly|anymore|"
    r"any\s+more|so\b[^,]{0,20},|that)\b|not\s+(?:in|at|for|by|with|as|unless|because|if)\b"
    r"(?![^,.;:]{0,60}?\b(?:has|have|had|is|are|was|were|do|does|did|will|would|can|could|"
    r"should|must)\s)|nor\b|which\b)",
    re.IGNORECASE,
)
# A first clause (up to eight words) that ends on a bare auxiliary, its verb left to the sentence
# before: "House committees do, and …", "When he didn't, …", "There is no way I can."
# (Not before an aside: "We will, of course, explore …", "He did not, famously, attend …".)
# ("… what we can do", "to do" end on a main verb; "against his will," "a can" are nouns;
# "If you will," is a hedge.)
_NOT_BEFORE_AUX = "".join(
    rf"(?<!\b{w}\s)"
    for w in "to can will would could should must may might did does do the a his her their its "
    "my our your own free good ill".split()
)
_BARE_AUX = re.compile(
    rf"^(?:[\w'’-]+\s+){{0,7}}?{_NOT_BEFORE_AUX}(?:{_AUX})(?:\s+(?:so|too|either|now|again))?"
    r"\s*(?:[,;—–](?!\s+[^,.;]{1,25},)|\.$)",
    re.IGNORECASE,
)
# Every `_BARE_AUX` match holds an auxiliary's last letters right before its closing comma,
# dash or final stop: on lower-cased text, a search for these (without IGNORECASE) finds each
# sentence the costly pattern may match (the rest it cannot). Lower-casing keeps what
# IGNORECASE matches except "İ", "ı" and "ſ" (`has_case_special`): with those, the pattern runs.
_BARE_AUX_HINT = re.compile(
    r"(?:do|does|did|will|would|can|could|should|n['’]t)(?:\s+(?:so|too|either|now|again))?"
    r"\s*(?:[,;—–]|\.$)"
)
_NOT_ELLIPTICAL = re.compile(
    r"\b(?:what|whatever|which|how|all|anything|everything)\b|^if\s+you\s+will\b", re.IGNORECASE
)

# A pronoun as a quote's or a report's speaker: "…,” he said", "…,” said she", "they told
# AFP". (In "The mayor said he …" the speaker is the mayor.)
_SPEECH = (
    r"(?:said|says|told|tells|added|adds|wrote|writes|explained|explains|noted|notes|stated|"
    r"asked|asks|recalled|recalls|insisted|insists|continued|argued|argues|warned|warns|"
    r"replied|declared|admitted|claimed|claims|conceded|joked|quipped|acknowledged|testified|"
    r"recounted|concluded|continues|replies|declares|admits|concedes|jokes|quips|acknowledges|"
    r"testifies|recounts|concludes|remarked|remarks|observed|observes|stressed|stresses|"
    r"mumbled|mumbles|muttered|mutters|whispered|whispers|shouted|shouts|yelled|yells|"
    r"screamed|screams|cried|cries|sighed|sighs|laughed|laughs|tweeted|tweets)"
)
_PRONOUN_SPEAKER = re.compile(
    rf"\b(?:he|she|they)\s+(?:\w+ly\s+)?{_SPEECH}\b|^\s*,?\s*{_SPEECH}\s+(?:he|she|they)\b",
    re.IGNORECASE,
)
# `_PRONOUN_SPEAKER`'s two alternatives on lower-cased text, without IGNORECASE (the same
# matches, at the same places, for text without `has_case_special`). The first opens with the
# pronoun's letters, its word boundary checked behind them, so that `re` scans for an "h",
# "s" or "t" instead of trying the pattern at every character.
_PRONOUN_FIRST = re.compile(
    rf"(?:he(?<!\w..)|she(?<!\w...)|they(?<!\w....))\s+(?:\w+ly\s+)?{_SPEECH}\b"
)
_SPEECH_FIRST = re.compile(rf"\s*,?\s*{_SPEECH}\s+(?:he|she|they)\b")
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")
# Who a pronoun may stand for: a name (a capital past the first word, or a first word that is
# no function word), or a person's noun ("the minister said", "police said he").
_CAPITAL = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")
_PERSON = re.compile(
    r"\b(?:police|officials?|authorities|spokesperson|minister|president|premier|mayor|governor|"
    r"senator|lawmakers?|judge|prosecutors?|lawyers?|attorneys?|officers?|investigators?|"
    r"witness(?:es)?|residents?|neighbou?rs?|boy|girl|child|children|mother|father|mom|mum|dad|"
    r"parents?|wife|husband|son|daughter|brother|sister|family|friends?|doctors?|nurses?|"
    r"researchers?|scientists?|experts?|analysts?|teachers?|students?|victims?|owners?|chair|"
    r"ceo|executives?|director|manager|coach|players?|founder|author|actor|actress|singer|star|"
    r"leaders?|secretary|ambassador|commissioner|chief|editor|reporter|host|candidate|aide|"
    r"adviser|advisor|couple|suspect|defendant|soldiers?|activists?|protesters?|workers?|"
    r"employees?|members?|voters?|fans?|patients?|survivors?|pilot|driver|sources?|teenagers?|"
    r"farmer|rancher|examiner|veterinarian|guards?|journalists?|economists?|artists?|"
    r"specialists?|psychologists?|(?:congress|business|council|police|fire|gun|chair|spokes|"
    r"sales|camera|news)?(?:wo)?m[ae]n)\b",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    """a an the this that these those there then when while as after before since until if
    although though even but and or so yet for in on at by with from of to into over under
    during despite because once now still also only just asked speaking using i we you it
    monday tuesday wednesday thursday friday saturday sunday""".split()
)


_WORD_TAIL = re.compile(r"['’]\w*$")  # "'s", "’ll" and the like


def first_word(text: str) -> str:
    """The sentence's first word, lower-cased, past opening quotes and without "'s"."""
    parts = text.lstrip(OPEN_QUOTES).split(None, 1)
    return _WORD_TAIL.sub("", parts[0]).strip(",;:").lower() if parts else ""


def _speaker_at(text: str) -> int | None:
    """Where `_PRONOUN_SPEAKER` first matches in `text`, or None."""
    if has_case_special(text):
        found = _PRONOUN_SPEAKER.search(text)
        return None if found is None else found.start()
    low = text.lower()
    if _SPEECH_FIRST.match(low):  # (the second alternative matches at the start only)
        return 0
    found = _PRONOUN_FIRST.search(low)
    return None if found is None else found.start()


def _elliptical(body: str) -> bool:
    """Whether the sentence (past its opening quotes) opens elliptically (see above)."""
    if _ELLIPTICAL.match(body):
        return True
    if not has_case_special(body) and _BARE_AUX_HINT.search(body.lower()) is None:
        return False
    bare = _BARE_AUX.match(body)
    return bare is not None and _NOT_ELLIPTICAL.search(body, 0, bare.end()) is None


def unnamed_speaker(text: str) -> bool:
    """Whether a quote or report is given to "he", "she" or "they" and nobody is named before it
    in the sentence, outside quotes ("“We will not back down,” he said."; "As the vote neared,
    she says, …"). Named: "Smith, 45, said: “…,” he added.", "The minister was firm: “…,” he
    said.", "Police said he …"."""
    if "he" not in text and "He" not in text:  # (nor "she", "they")
        return False
    outside = _QUOTED.sub(" ", text)
    speaker = _speaker_at(outside)
    if speaker is None:
        return False
    before = outside[:speaker]
    if _PERSON.search(before):
        return False
    start = len(before) - len(before.lstrip(OPEN_QUOTES + " "))
    for match in _CAPITAL.finditer(before):
        word = match.group().lower().rstrip(".")
        opener = match.start() == start and word.endswith(("ing", "ly", "ed"))
        if word not in _NOT_NAMES and not opener:
            return False
    return True


def leans_back(text: str) -> bool:
    """Whether the sentence opens with a word that refers to something said before it (and is
    not one of the look-alikes above)."""
    word = first_word(text)
    body = text.lstrip(OPEN_QUOTES)
    if word not in CONTEXT_WORDS:
        return (
            _BACK_PHRASE.match(body) is not None
            or (word == "all" and _ALL_THIS.match(body) is not None)
            or _elliptical(body)
        )
    if text[:1] in '"“‘' and _NAMED_IN_ATTRIBUTION.search(text):
        return False
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
