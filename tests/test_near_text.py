"""Near-identical texts: the memoised shingles give the answers computed afresh, stay within
their bounds, and are safe to share between threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from aggregator import near_text
from aggregator.dedupe import find_duplicate
from aggregator.models import Item
from aggregator.near_text import (
    MIN_NEAR_WORDS,
    NEAR_KEYS,
    clear_memo,
    near,
    near_keys,
    near_shingles,
    pack_hashes,
    shingles,
    sorted_hashes,
    unpack_hashes,
)
from aggregator.tokens import words

VOCAB = "storm council river budget vote rail bridge school fire police harbour court".split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCAB) + str(rng.randrange(30)) for _ in range(n))


def _reference_near(a: str, b: str, threshold: float) -> bool:
    """The check written out: Jaccard of the full shingle sets of two long-enough texts."""
    if len(words(a)) < MIN_NEAR_WORDS or len(words(b)) < MIN_NEAR_WORDS:
        return False
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y) >= threshold


@pytest.fixture(autouse=True)
def _empty_memo() -> None:
    clear_memo()


def test_near_and_keys_equal_the_check_written_out() -> None:
    rng = random.Random(5)
    texts = [_text(rng, rng.choice([10, 39, 40, 41, 80, 200])) for _ in range(60)]
    # copies with a few words changed: some are near, some are not
    for base in texts[:30]:
        toks = base.split()
        for _ in range(rng.randrange(0, 12)):
            toks[rng.randrange(len(toks))] = "edited"
        texts.append(" ".join(toks))
    for _ in range(2):  # the second round answers from the memo
        for a in texts:
            mine = near_shingles(a)
            expected_keys = (
                [f"{h:08x}" for h in sorted(shingles(a))[:NEAR_KEYS]]
                if len(words(a)) >= MIN_NEAR_WORDS
                else []
            )
            assert near_keys(a) == expected_keys
            for b in texts:
                assert near(mine, b, 0.8) == _reference_near(a, b, 0.8)


def test_a_stored_text_is_tokenised_once_however_often_it_is_a_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = near_text.words
    monkeypatch.setattr(near_text, "words", lambda text: calls.append(text) or real(text))
    rng = random.Random(9)
    stored = Item(id="old", title="Storm hits the coast", text=_text(rng, 120))
    for n in range(5):
        new = Item(id=f"new{n}", title="Storm hits the coast", text=_text(rng, 120))
        find_duplicate(new, [stored])
    assert calls.count(stored.text) == 1


def test_the_item_being_grouped_is_looked_up_once_and_no_other_text_takes_its_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked: list[str] = []
    real = near_text._sorted_hashes
    monkeypatch.setattr(near_text, "_sorted_hashes", lambda text: looked.append(text) or real(text))
    rng = random.Random(11)
    item, other = _text(rng, 120), _text(rng, 120)
    keys, mine = near_keys(item), near_shingles(item)
    assert near(mine, other, 0.8) is False  # (a candidate checked between the item's asks)
    assert near_keys(item) == keys
    assert looked == [item, other]
    equal = "".join(list(item))  # the same text, another object: looked up again, same answer
    assert near_keys(other) != keys and near_shingles(other) != mine
    assert near_keys(equal) == keys and near_shingles(equal) == mine
    assert looked == [item, other, other, equal]
    clear_memo()
    assert near_keys(item) == keys and looked[-1] is item


def test_the_memo_is_bounded_by_texts_and_by_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(near_text, "MEMO_TEXTS", 5)
    monkeypatch.setattr(near_text, "MEMO_HASHES", 400)
    rng = random.Random(2)
    for _ in range(20):
        near_keys(_text(rng, 150))  # ~147 hashes each: at most 2 fit the hash bound
        assert len(near_text._memo) <= 5
        assert near_text._memo_size == sum(len(v) for v in near_text._memo.values()) <= 400
    for _ in range(20):
        near_keys(_text(rng, 20))  # too short: kept empty, bound by count
        assert len(near_text._memo) <= 5


def test_threads_sharing_a_small_memo_get_the_same_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(near_text, "MEMO_TEXTS", 3)
    rng = random.Random(4)
    texts = [_text(rng, 60) for _ in range(12)]
    expected = [near_keys(t) for t in texts]

    def run(seed: int) -> bool:
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        return all(near_keys(texts[i]) == expected[i] for i in order * 20)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(run, range(8)))


def test_kept_hashes_stand_for_the_candidates_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A candidate's kept hashes (`pack_hashes`, as the store keeps them) decide the near
    check as its text would, without hashing that text."""
    rng = random.Random(13)
    base = _text(rng, 120)
    item = Item(id="new", title="Storm hits the coast", text=base + " today")
    copy = Item(id="old", title="Storm hits the coast", text=base)
    other = Item(id="other", title="Storm hits the coast", text=_text(rng, 120))
    kept = {c.id: unpack_hashes(pack_hashes(sorted_hashes(c.text))) for c in (copy, other)}
    assert kept["old"] == sorted_hashes(base) and pack_hashes(kept["old"])[:4] == (
        kept["old"][0].to_bytes(4, "little")
    )
    clear_memo()
    hashed: list[str] = []
    real = near_text.sorted_hashes
    monkeypatch.setattr(near_text, "sorted_hashes", lambda t, o=False: hashed.append(t) or real(t))
    assert find_duplicate(item, [other, copy], hashes=kept) is copy
    assert hashed == [item.text]  # (the item's own text only)
    assert find_duplicate(item, [other], hashes=kept) is None
    swapped = {"old": kept["other"], "other": kept["old"]}  # (the kept hashes decide)
    assert find_duplicate(item, [other, copy], hashes=swapped) is other
    assert find_duplicate(item, [other, copy]) is copy  # (none kept: the texts hashed)
