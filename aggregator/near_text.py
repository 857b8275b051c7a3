"""Near-identical texts (wire copies): hashed 4-word shingles, the lookup keys under which
copies meet, and the Jaccard check. Pure. In Chinese and Japanese text each character is a
"word" of the shingles (4-character shingles, as near-duplicate detection for those scripts
usually takes), and two characters count as one word towards `MIN_NEAR_WORDS`.

Grouping checks each new item against stored candidates, and the same stored texts come up
as candidates again and again (every copy of an event meets the others). Their shingles are
memoised compactly (sorted 4-byte hashes, keyed by a digest of the text, bounded), so a
candidate's text is tokenised once instead of once per new item it is compared with.
"""

from __future__ import annotations

import functools
import sys
import threading
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Collection

from .cjk_script import opens_cjk
from .cjk_terms import near_units
from .digests import blake2b
from .tokens import words, words_once

__all__ = [
    "MIN_NEAR_WORDS",
    "NEAR_KEYS",
    "keys_of",
    "near",
    "near_keys",
    "near_shingles",
    "own_hashes",
    "pack_hashes",
    "remember",
    "shingles",
    "sorted_hashes",
    "text_key",
    "unpack_hashes",
]

MIN_NEAR_WORDS = 40  # texts shorter than this never count as near-identical
NEAR_KEYS = 6  # how many of a text's smallest shingle hashes serve as lookup keys
MEMO_TEXTS = 8192  # texts whose shingles are kept ...
MEMO_HASHES = 2_000_000  # ... and at most this many hashes in all (8 MB)

_memo_lock = threading.Lock()  # grouping may run on more than one thread
_memo: OrderedDict[bytes, array[int]] = OrderedDict()
_memo_size = 0


def _hashes(toks: list[str], size: int) -> frozenset[int]:
    if len(toks) <= size:
        return frozenset({_crc(" ".join(toks))}) if toks else frozenset()
    grams = map(" ".join, zip(*(toks[i:] for i in range(size)), strict=False))  # C loops
    return frozenset(map(zlib.crc32, map(str.encode, grams)))


def _units(text: str, once: bool = False) -> tuple[list[str], int]:
    """What a text's shingles are made of, and its length in words: its words, with Chinese
    and Japanese runs cut into characters (a run without spaces is otherwise one "word", and
    two copies of a report differing by one character would share no shingle); such text
    counts two characters to a word (`cjk_terms.near_units`). `once`: see `sorted_hashes`."""
    found = (words_once if once else words)(text)
    return near_units(found) if opens_cjk(text) else (found, len(found))


@functools.lru_cache(maxsize=128)
def shingles(text: str, size: int = 4) -> frozenset[int]:
    """Hashed word `size`-grams of a text (the whole text as one shingle when shorter);
    Chinese and Japanese characters count as words here."""
    return _hashes(_units(text)[0], size)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def text_key(text: str) -> bytes:
    """What the memo knows a text by (a digest: the text itself is not kept)."""
    return blake2b(text.encode(), digest_size=16).digest()


def sorted_hashes(text: str, once: bool = False) -> array[int]:
    """The text's shingle hashes in ascending order; empty when it is too short to compare.
    Worked out afresh (pure: another process may do it, see `remember`). `once`: its words
    are not memoised (a worker hashing each text once would only fill the memo)."""
    toks, length = _units(text, once)
    return array("I", sorted(_hashes(toks, 4))) if length >= MIN_NEAR_WORDS else array("I")


def remember(key: bytes, hashes: array[int]) -> None:
    """Keep the `sorted_hashes` of the text whose `text_key` is `key`, worked out elsewhere
    (a worker process), as the most recently used."""
    global _memo_size
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return
        _memo[key] = hashes
        _memo_size += len(hashes)
        _evict()


def _evict() -> None:
    global _memo_size
    while len(_memo) > MEMO_TEXTS or _memo_size > MEMO_HASHES:
        _memo_size -= len(_memo.popitem(last=False)[1])


def _sorted_hashes(text: str) -> array[int]:
    """`sorted_hashes`, memoised."""
    global _memo_size
    key = text_key(text)
    with _memo_lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
            return found
    found = sorted_hashes(text)
    with _memo_lock:
        if key not in _memo:
            _memo[key] = found
            _memo_size += len(found)
        _evict()
    return found


def clear_memo() -> None:
    """Forget every memoised text (tests and benches)."""
    global _memo_size, _last
    with _memo_lock:
        _memo.clear()
        _memo_size = 0
        _last = ("", array("I"))


# The text `near_keys` or `near_shingles` last looked at (the same object: an item being
# grouped asks three times, for its candidates, its check and its stored keys), its hashes
_last: tuple[str, array[int]] = ("", array("I"))


def own_hashes(text: str) -> array[int]:
    """`sorted_hashes` of the item being grouped (memoised), by identity of the last text
    asked."""
    global _last
    last = _last
    if last[0] is text:
        return last[1]
    found = _sorted_hashes(text)
    _last = (text, found)
    return found


def near_keys(text: str) -> list[str]:
    """Lookup keys under which near-identical texts meet: the smallest shingle hashes (a
    bottom-k sketch). Texts with Jaccard ≥ 0.8 almost always share one; each candidate is then
    checked in full by `near`. Empty for texts too short to compare."""
    return keys_of(own_hashes(text))


def keys_of(hashes: array[int]) -> list[str]:
    """`near_keys` of the text whose `sorted_hashes` are `hashes`."""
    return [f"{h:08x}" for h in hashes[:NEAR_KEYS]]


def near_shingles(text: str) -> frozenset[int]:
    """The shingles the near check compares: empty for texts too short to compare."""
    return frozenset(own_hashes(text))


def near(
    mine: frozenset[int], text: str, threshold: float, hashes: array[int] | None = None
) -> bool:
    """Whether `text` is near-identical to the text whose `near_shingles` are `mine`: the
    Jaccard of their shingles reaches `threshold`. `hashes`: the `sorted_hashes` of `text`,
    when kept already (the store keeps a grouped original's: `pack_hashes`)."""
    found = _sorted_hashes(text) if hashes is None else hashes
    return _jaccard_reaches(mine, found, threshold)


_SWAP = sys.byteorder == "big"  # (kept little-endian, whatever machine wrote them)


def pack_hashes(hashes: array[int]) -> bytes:
    """`sorted_hashes` as bytes to keep (4 a hash, little-endian)."""
    if _SWAP:
        hashes = array("I", hashes)
        hashes.byteswap()
    return hashes.tobytes()


def unpack_hashes(data: bytes) -> array[int]:
    """What `pack_hashes` kept."""
    found = array("I", data)
    if _SWAP:
        found.byteswap()
    return found


def _jaccard_reaches(a: frozenset[int], b: Collection[int], threshold: float) -> bool:
    """`b` holds distinct hashes (a set, or a memoised sorted array)."""
    if not a or not b:
        return False
    small, large = sorted((len(a), len(b)))
    if small < threshold * large:  # Jaccard can't reach the threshold
        return False
    inter = len(a.intersection(b))
    return inter / (len(a) + len(b) - inter) >= threshold
