"""Arabic words as search reads them: without the article and the letters written onto it. Pure.

Arabic writes "the" ("ال") and the conjunctions and prepositions before it ("و", "ف", "ب",
"ك", and "ل", which makes "لل") onto the word: "الزلزال", "والزلزال" and "للزلزال" are one
word to a reader, three to a word-splitting index. Search indexes and asks each without
them, both sides alike, as it folds case and accents.
"""

from __future__ import annotations

import re

__all__ = ["bare_arabic", "has_arabic"]

_ARABIC = re.compile("[\u0600-\u06ff]")
# The article, with a conjunction or a preposition before it, at a word's start; at least
# three letters left ("الله", "التي", "والد" stay as written).
_ARTICLE = re.compile(r"(?<![\w])(?:[وفبك]?ال|لل)(?=[\u0620-\u064a\u066e-\u06d3]{3})")


def has_arabic(text: str) -> bool:
    """Whether a text holds a letter of the Arabic script (ASCII text is answered at once)."""
    return not text.isascii() and _ARABIC.search(text) is not None


def bare_arabic(text: str) -> str:
    """`text` with each Arabic word's article (and what is written onto it) taken off:
    "والزلزال القوي" → "زلزال قوي". Text without Arabic script is returned as it is."""
    if not has_arabic(text):
        return text
    return _ARTICLE.sub("", text)
