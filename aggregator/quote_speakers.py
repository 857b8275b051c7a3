"""Whose words a quotation is, when its own sentence does not say. Pure.

News writes a speaker's quote over several paragraphs and names the speaker once:

    “It is a dismaying event,” Seibert said. “The German government condemns this attack.”

The second sentence, shown alone as a bullet, is a quotation from no one. `attribute` gives
such a bare quotation to the speaker the sentence before it names ("Steffen Seibert said:
“The German government condemns this attack.”"), with the full name when the text gives one.
A quote given to a pronoun ("…,” he said.") or to someone unnamed ("…,” the attorney said.")
gives nothing: its speaker is not known, and the quotation stays as it is. So does one after an
asked question: what follows is as often the answer, in another's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .tokens import STOPWORDS

__all__ = ["attribute", "full_name", "is_bare_quote", "speaker_of"]

# A sentence that is all one quotation ("“We will not back down.”").
_BARE = re.compile(r"""(?:“[^“”]+”|"[^"]+")""")
# A quote closed by a comma, "?" or "!" and the words after it: "…,” Seibert said."
_TAIL = re.compile(r"""[,!?]\s?["”]\s+(?P<tail>[^"“”]{3,200})$""")
# Reporting verbs, and the form a bullet gives them: a past tense says "said", a present one
# "says", writing stays writing. ("asked" is not one: the next quote is as often the answer.)
_VERBS = {
    "said": "said", "added": "said", "told": "said", "explained": "said", "noted": "said",
    "continued": "said", "warned": "said", "insisted": "said", "stated": "said",
    "declared": "said", "argued": "said", "recalled": "said", "acknowledged": "said",
    "says": "says", "adds": "says", "tells": "says", "explains": "says", "notes": "says",
    "continues": "says", "warns": "says", "insists": "says", "argues": "says",
    "wrote": "wrote", "writes": "writes", "tweeted": "tweeted",
}  # fmt: skip
_VERB_ALT = "|".join(_VERBS)
_VERB = re.compile(r"\b(" + _VERB_ALT + r")\b")
# Words after the speaker that are not their name: "said Jane Doe in a statement", "… on Monday"
_AFTER_WORD = re.compile(
    r"\s+(?:who|in|on|at|during|after|before|as|when|while|according|to|from|via|for|"
    r"shortly|told|last|this|earlier|later)\b"
)
# A sentence that introduces its quote: "Seibert said in a statement: “…”"
_INTRO = re.compile(r"""(?P<head>[^"“”:]{3,200}):\s*(?:“[^“”]+”|"[^"]+")""")
_HONORIFIC = frozenset("mr mr. mrs mrs. ms ms. dr dr. miss sir dame".split())
_NOT_NAME = (
    STOPWORDS
    | _HONORIFIC
    | frozenset(
        """monday tuesday wednesday thursday friday saturday sunday january february march
        april june july august september october november december today yesterday tonight
        police officials authorities scientists researchers experts doctors neighbors
        neighbours witnesses residents investigators prosecutors analysts critics officers
        sources lawmakers studies reports""".split()
    )
)
# A word of a name: "Seibert", "Jean-Pierre", "O'Connell", "McCain" (not "Argentine-born",
# not a possessive "Merkel's")
_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)*|[A-Z]['’][A-Z][a-z]+|Ma?c[A-Z][a-z]+")


_INITIAL = re.compile(r"[A-Z]\.")  # a middle initial: "Alan E. Kazdin"
_WORD_CHAR = re.compile(r"\w")
_NEXT_WORD = re.compile(r"[ \t]+([\w'’-]+)")
_POSSESSIVE = re.compile(r"['’]s\b")
_BEFORE = re.compile(r"(?:[\w'’.-]+[ \t]+){1,3}$")  # the words before a surname, on its line
# Words before a surname that are a title, not a first name ("President Trump", "Judge Ito")
_TITLES = frozenset(
    """president minister senator sen rep representative gov governor judge justice chief
    officer deputy attorney leader host secretary chairman chairwoman chair director
    professor prof doctor sheriff mayor pope king queen prince princess general gen captain
    capt sergeant sgt lieutenant lt colonel col commander coach councillor councilman
    councilwoman congressman congresswoman speaker ambassador chancellor premier detective
    inspector constable bishop cardinal rabbi father sister brother dean lord lady""".split()
)


# A sentence that reports someone's words, named by surname: "Avenatti said …", "…, Holt said."
_SURNAME = r"(?P<name>(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[A-Z][\w'’-]+)"
_REPORTER_OPENS = re.compile(_SURNAME + r"\s+(?:" + _VERB_ALT + r")\b")
_VERB_ENDS = tuple(f" {verb}." for verb in _VERBS)
_REPORTER_CLOSES = re.compile(r",\s+" + _SURNAME + r"\s+(?:" + _VERB_ALT + r")\.$")


def is_bare_quote(sentence: str) -> bool:
    """Whether the sentence is one quotation and nothing else: no speaker in it."""
    return _BARE.fullmatch(sentence.strip()) is not None


def _is_name(word: str) -> bool:
    """Whether a word reads as (part of) a person's name: "Seibert", "O'Connell", "McCain"."""
    return _NAME_WORD.fullmatch(word) is not None and word.lower() not in _NOT_NAME


def _speaker(phrase: str) -> str | None:
    """The phrase as a named speaker ("GOP strategist Ford O'Connell", "Mr. Buell"), or None
    when it names no one ("the attorney", "he", "a top House Republican")."""
    words = phrase.split()
    if not words or len(words) > 8 or words[0].lower() in _NOT_NAME - _HONORIFIC:
        return None
    name_end = len(words)
    if "of" in words:  # ("Petty Officer Cynthia Oldham of the Coast Guard")
        name_end = words.index("of")
    if not name_end or not _is_name(words[name_end - 1]):
        return None
    if any(w.lower() in STOPWORDS and w != "and" for w in words[:name_end]):
        return None  # (a clause, not a name: "Asked about Navalny", "Speaking to Jane Doe")
    return phrase[0].upper() + phrase[1:]


def _attribution(text: str) -> tuple[int, int, bool] | None:
    """Where a sentence (stripped) names whose its quote is: the span of the clause after the
    closing quote ("…,” Seibert said.", its full stop left out; `True`) or of the one that
    introduces the quote ("Seibert said: “…”"; `False`); None when it has neither."""
    found = _TAIL.search(text)
    if found is not None:
        clause = found.group("tail").rstrip().removesuffix(".").rstrip()
        return found.start("tail"), found.start("tail") + len(clause), True
    intro = _INTRO.fullmatch(text)
    return None if intro is None else (0, intro.end("head"), False)


def speaker_of(sentence: str) -> tuple[str, str] | None:
    """The named speaker a sentence gives its quote to, and the reporting verb as a bullet puts
    it: ("Seibert", "said") for "“…,” Seibert said." and for "In a statement, Seibert said:
    “…”"; ("Harvard law professor Jack Goldsmith", "said") for "“…,” said Harvard law
    professor Jack Goldsmith, a former …". None when the quote's speaker is unnamed or the
    sentence gives no quote."""
    text = sentence.strip()
    found = _attribution(text)
    if found is None:
        return None
    start, end, after = found
    return _named(text[start:end], after=after)


def _named(clause: str, *, after: bool) -> tuple[str, str] | None:
    """The speaker and verb of an attribution: the clause after a quote (`after`: "Seibert
    said on Monday", "said Jane Doe, the …") or one that introduces it ("Seibert said:").
    The speaker is the first comma-separated part that names someone ("Chancellor Angela
    Merkel's spokesman, Steffen Seibert, said" → "Steffen Seibert")."""
    verb = _VERB.search(clause)
    if verb is None:
        return None
    before = clause[: verb.start()].strip()
    if before:  # "Seibert said", "Representative Ted Deutch, Democrat of Florida, wrote"
        parts = before.split(",")
    elif not after or verb.group(1) in ("told", "tells"):  # (a listener, not a speaker)
        return None
    else:  # "said Jane Doe, the …", "said Jane Doe in a statement"
        parts = []
        for part in clause[verb.end() :].split(","):
            cut = _AFTER_WORD.search(part)
            parts.append(part[: cut.start()] if cut else part)
    for n, part in enumerate(p.strip() for p in parts):
        if n and not part[:1].isupper():  # (an apposition names: ", Jane Doe"; ", citing …")
            continue
        speaker = _speaker(part)
        if speaker is not None:
            return speaker, _VERBS[verb.group(1)]
    return None


def full_name(speaker: str, text: str) -> str:
    """The speaker's full name when they are given by surname alone ("Seibert", "Mr
    Seibert") and the text gives their first name ("… spokesman, Steffen Seibert, said"):
    "Steffen Seibert" ("Alan E. Kazdin" with an initial). A title is no first name
    ("President Trump", "Prime Minister David Cameron" → "David Cameron"). Else, or when the
    text names two people so ("Bernie Sanders", "Sarah Sanders"), the speaker as given."""
    words = speaker.split()
    if len(words) > 2 or (len(words) == 2 and words[0].lower() not in _HONORIFIC):
        return speaker
    surname = words[-1]
    forms: set[tuple[str, ...]] = set()
    at = text.find(surname)
    while at >= 0:
        end = at + len(surname)
        if (at and _WORD_CHAR.match(text, at - 1)) or _WORD_CHAR.match(text, end):
            at = text.find(surname, end)  # (inside another word)
            continue
        after = _NEXT_WORD.match(text, end)
        if after is not None and _is_name(after.group(1)):
            return speaker  # (a first name itself: "Monica said …" beside "Monica Conyers")
        if not _POSSESSIVE.match(text, end):  # ("Related Universal's …" names no one)
            before = _BEFORE.search(text, max(0, at - 60), at)
            given = before.group().split() if before is not None else []
            run = len(given)
            while run and _INITIAL.fullmatch(given[run - 1]):
                run -= 1
            first = given[run - 1] if run else ""
            if _is_name(first) and first.lower() not in _TITLES:
                forms.add(tuple(given[run - 1 :]))
        at = text.find(surname, end)
    if len(forms) != 1:
        return speaker  # (none, or two people of one surname)
    return " ".join([*forms.pop(), surname])


def attribute(sentences: Sequence[str], text: str) -> list[str]:
    """The sentences with each bare quotation that follows a quote given to a named speaker
    (directly, or through bare quotations between) as that speaker's words:
    "Steffen Seibert said: “…”". `text` is the whole text, where a full name is looked for."""
    out: list[str] = []
    speaker: tuple[str, str] | None = None  # of the sentence before, carried over bare quotes
    names: dict[str, str] = {}

    def in_full(name: str) -> str:  # (each name looked up once a text)
        if name not in names:
            names[name] = full_name(name, text)
        return names[name]

    for sentence in sentences:
        if speaker is not None and is_bare_quote(sentence):
            name, said = speaker
            out.append(f"{in_full(name)} {said}: {sentence.strip()}")
            continue
        speaker = speaker_of(sentence) if ('"' in sentence or "”" in sentence) else None
        if speaker is not None and _surname_only(speaker[0]):
            if in_full(speaker[0]) != speaker[0]:
                sentence = _in_full(sentence, speaker[0], in_full(speaker[0]))
        elif speaker is None:
            sentence = _reporter_in_full(sentence, in_full)
        out.append(sentence)
    return out


def _reporter_in_full(sentence: str, in_full: Callable[[str], str]) -> str:
    """A sentence that reports someone's words by surname alone, opening or closing it
    ("Avenatti said she was not …", "…, Holt said."), with their full name, as `in_full`
    gives it ("Michael Avenatti said …")."""
    found = _REPORTER_OPENS.match(sentence) if sentence[:1].isupper() else None
    if found is None and sentence.endswith(_VERB_ENDS):
        found = _REPORTER_CLOSES.search(sentence)
    if found is None:
        return sentence
    name = found.group("name")
    if not _is_name(name.split()[-1]) or not _surname_only(name):
        return sentence
    full = in_full(name)
    if full == name:
        return sentence
    return sentence[: found.start("name")] + full + sentence[found.end("name") :]


def _surname_only(name: str) -> bool:
    """Whether a speaker is named by surname alone ("Seibert", "Mr. Seibert")."""
    words = name.split()
    return len(words) == 1 or (len(words) == 2 and words[0].lower() in _HONORIFIC)


def _in_full(sentence: str, name: str, full: str) -> str:
    """The sentence with its attribution's `name` ("Seibert", "Mr. Seibert") written `full`
    ("Steffen Seibert"); the quote itself is left as it is."""
    text = sentence.strip()
    found = _attribution(text)
    if found is None:
        return sentence
    at = re.compile(r"\b" + re.escape(name) + r"\b").search(text, found[0], found[1])
    return sentence if at is None else text[: at.start()] + full + text[at.end() :]
