"""One written form for things news writes in several ways, before text becomes grouping
terms. Pure.

- Places and bodies written as dotted initials: "U.K." is "UK", "L.A." "LA", "U.F.O." "UFO"
  (otherwise their letters were one-letter words, and dropped). "U.S." becomes "US", which,
  like "US", stays out of grouping terms (read as the pronoun): measured, a term for the
  country an outlet covers most sat in one headline of a pair and not in the other item, and
  the "names apart" rules then split true pairs (a senator's UFO comments, a mask fraud).
- Quantities: "one million", "$1m", "1mn" and "1,000,000" are written "1 million", the way
  most reports write them; "$6bn" is "6 billion", "3.3tn" "3.3 trillion", "$12k" and "12
  thousand" "12000" (as "12,000" is). A bare "100m" or "5k" stays (metres, a run). A count
  is often what identifies an event ("cases top one million"), and two reports rarely write
  it alike. The common form itself is left as it was: measured, a one-term form ("7bn")
  made a figure weigh more, and a true pair whose two figures differ ("7 billion years",
  "17 billion light years") fell apart.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["canonical_forms"]

_DOTTED = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}(?![A-Za-z])")

_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_NUMBER_WORDS.update(
    {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "a hundred": 100}
)
_SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
}
_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_FIGURE = re.compile(
    rf"(?<![\w.,])(?:(?P<num>{_NUMBER})(?:[\s-]*(?P<word>thousand|million|billion|trillion)s?\b"
    r"|(?P<short>k|mn|m|bn|tn)\b)"
    r"|(?P<grouped>\d{1,3}(?:,\d{3}){2,})(?![\d.,]*\d))",
    re.IGNORECASE,
)
_SPELT = re.compile(
    rf"(?<![\w.,])(?P<spelt>{'|'.join(sorted(_NUMBER_WORDS, key=len, reverse=True))})"
    r"[\s-]+(?P<scale>thousand|million|billion|trillion)\b",
    re.IGNORECASE,
)
_AMBIGUOUS = frozenset({"m", "k"})  # a million or a thousand only after a currency sign
_CURRENCY = frozenset("$£€¥")
_DIGIT = re.compile(r"\d")
_SCALE_WORD = re.compile(r"illion|housand", re.IGNORECASE)
_UNITS = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"))


def _form(value: Decimal) -> str | None:
    """The one form of a quantity, or None when it is not a round figure worth a term."""
    for unit, word in _UNITS:
        if value >= unit:
            mantissa = value / unit
            if mantissa != mantissa.quantize(Decimal("0.01")):
                return None  # "1,234,567": an exact count, kept as its digits
            text = f"{mantissa.normalize():f}"
            return f"{text} {word}"
    if value == value.to_integral_value():
        return str(int(value))
    return None


def _quantity(match: re.Match[str]) -> str:
    try:
        found = match.groupdict()
        if found.get("grouped"):
            value = Decimal(found["grouped"].replace(",", ""))
        elif found.get("spelt"):
            value = Decimal(_NUMBER_WORDS[found["spelt"].lower()]) * _SCALES[found["scale"].lower()]
        else:
            scale = (found["word"] or found["short"]).lower()
            if scale in _AMBIGUOUS and match.string[max(0, match.start() - 1)] not in _CURRENCY:
                return match.group(0)  # "100m": metres as often as millions
            value = Decimal(found["num"].replace(",", "")) * _SCALES[scale]
        # (a figure of more digits than the decimal context's 28 cannot be rounded to cents:
        # "9999…9 thousand" had failed its whole story's summary; it is kept as written)
        form = _form(value)
    except (InvalidOperation, KeyError):
        return match.group(0)
    return form or match.group(0)


def _dotted(match: re.Match[str]) -> str:
    return match.group(0).replace(".", "")


# Cheap tests in front of the patterns, each passing wherever its pattern can match: dotted
# initials need "X.Y."; a figure a scale word ("…illion", "…housand"), a letter of the short
# scales right after a digit or a digit group. On lower-cased text, unless the text holds a
# character that IGNORECASE matches where its lower case would not ("İ", "ı", "ſ", "Σ").
_DOTTED_HINT = re.compile(r"[A-Z]\.[A-Z]\.")
_FIGURE_HINT = re.compile(r"\d[,kmbt]")
_CASE_SPECIAL = ("\u0130", "\u0131", "\u017f", "\u03a3")


def canonical_forms(text: str) -> str:
    """`text` with dotted initials and quantities written one way (see the module)."""
    if "." in text and _DOTTED_HINT.search(text):
        text = _DOTTED.sub(_dotted, text)
    if any(c in text for c in _CASE_SPECIAL):
        if _DIGIT.search(text):
            text = _FIGURE.sub(_quantity, text)
        if _SCALE_WORD.search(text):
            text = _SPELT.sub(_quantity, text)
        return text
    low = text.lower()
    scale = "illion" in low or "housand" in low
    if (scale or _FIGURE_HINT.search(low)) and _DIGIT.search(text):
        text = _FIGURE.sub(_quantity, text)
        scale = scale or _SCALE_WORD.search(text) is not None
    if scale:
        text = _SPELT.sub(_quantity, text)
    return text
