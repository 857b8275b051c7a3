"""What the term worker runs (`term_pool`): a task's items tokenised, or their texts hashed.

Kept apart from `term_pool`, whose pool machinery (`concurrent.futures.process` and with it
`multiprocessing`, `worker_pool`'s `subprocess` and `logging`) a worker has no use for: a
worker imports this module when it unpickles its first task, and with it only what
tokenising and hashing need.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import TypeAlias

from .features import ItemTerms, item_terms
from .near_text import clear_memo as forget_near_texts
from .near_text import shingles, sorted_hashes, text_key

__all__ = ["Answer", "NearAnswer", "Text", "near_in_worker", "tokenise", "tokenise_in_worker"]

# an item's id, title, the start of its text and its declared language (`Item.language`)
Text = tuple[str, str, str, str | None]
# a task's answer: the distinct terms, and each item's three lists as indexes into them
Indexes: TypeAlias = "array[int]"  # (array is not subscriptable at run time)
Answer = tuple[list[str], list[tuple[Indexes, Indexes, Indexes]]]
# a near task's answer: each text's key and shingle hashes (`near_text`)
NearAnswer = list[tuple[bytes, Indexes]]


def tokenise(texts: Sequence[Text], text_tokens: int) -> list[ItemTerms]:
    return [
        item_terms(title, text, text_tokens, None, language) for _, title, text, language in texts
    ]


def tokenise_in_worker(texts: Sequence[Text], text_tokens: int) -> Answer:
    """`tokenise`, its answer sent as each distinct term once and indexes (small to send,
    and the writer thread makes one string of each term, not one per item)."""
    vocabulary: dict[str, int] = {}
    index = vocabulary.setdefault

    def indexes(terms: list[str]) -> array[int]:
        return array("I", [index(term, len(vocabulary)) for term in terms])

    rows = [tuple(map(indexes, terms)) for terms in tokenise(texts, text_tokens)]
    return list(vocabulary), rows  # type: ignore[return-value]


def near_in_worker(texts: Sequence[Text]) -> NearAnswer:
    answer = [(text_key(text), sorted_hashes(text, once=True)) for _, _, text, _ in texts]
    # Memos of texts: the next task's texts are others (memos of words are kept: the next
    # task's words are mostly these, and working them out again doubled a term task's CPU).
    forget_near_texts()
    shingles.cache_clear()
    return answer
