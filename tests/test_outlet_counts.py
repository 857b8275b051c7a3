"""An outlet's term counts answer the furniture question exactly like a plain `Counter` of its
items' terms, small or compact, through joins, leaves, restores and merges."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from aggregator import outlet_counts
from aggregator.features import Packed
from aggregator.outlet_counts import OutletCounts

VOCABULARY = [f"term{n}" for n in range(60)]


def _item(rng: random.Random) -> frozenset[str]:
    # a few terms most items hold, and a long tail
    common = [t for t in VOCABULARY[:6] if rng.random() < 0.7]
    return frozenset(common + rng.sample(VOCABULARY[6:], rng.randint(0, 12)))


def _packed(unique: frozenset[str]) -> Packed:
    terms = sorted(unique)
    return (tuple(terms[:2]), tuple(terms[2:]), (), (), False)  # type: ignore[return-value]


def _check(counts: OutletCounts, model: Counter[str], limit: float) -> None:
    top = counts.furniture(limit)
    for term in VOCABULARY:
        assert (top.get(term, 0) > limit) == (model[term] > limit), (term, limit)
    assert counts.by_hash() == {hash(t): c for t, c in model.items() if c}


@pytest.mark.parametrize("seed", range(12))
def test_the_furniture_read_agrees_with_a_plain_counter(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outlet_counts, "COMPACT_ITEMS", 8)
    monkeypatch.setattr(outlet_counts, "_WAITING", 5 + seed)
    rng = random.Random(seed)
    counts, model = OutletCounts(floor=2), Counter[str]()
    held: list[frozenset[str]] = []
    for _ in range(600):
        roll = rng.random()
        if held and roll < 0.3:
            gone = held.pop(rng.randrange(len(held)))
            counts.remove(gone)
            model.subtract(gone)
        else:
            item = _item(rng)
            held.append(item)
            model.update(item)
            if roll > 0.9:
                counts.add_later(_packed(item))
            else:
                counts.add(item)
        assert counts.n == len(held)
        if rng.random() < 0.4:
            _check(counts, model, max(2, 0.25 * len(held)) + rng.choice((0, 0, 0.5, 3)))
    assert counts.compact


def test_a_restored_outlet_is_counted_when_first_read_and_compact_after_as_many_joins() -> None:
    rng = random.Random(7)
    items = [_item(rng) for _ in range(outlet_counts.COMPACT_ITEMS + 5)]
    counts, model = OutletCounts(floor=2), Counter[str]()
    for item in items:
        counts.add_later(_packed(item))
        model.update(item)
    for gone in items[:3]:  # (gone before anything was counted)
        counts.remove(gone)
        model.subtract(gone)
    assert counts._later and not counts.top
    _check(counts, model, 0.25 * counts.n)
    assert not counts.compact and not counts._later  # (a merge's worth of joins first)
    for _ in range(outlet_counts.COMPACT_ITEMS):
        item = _item(rng)
        counts.add(item)
        model.update(item)
    _check(counts, model, 0.25 * counts.n)
    assert counts.compact


def test_a_small_outlet_keeps_every_count_and_forgets_terms_no_item_holds() -> None:
    counts = OutletCounts(floor=2)
    counts.add(frozenset({"a", "b"}))
    counts.add(frozenset({"a", "c"}))
    counts.remove(frozenset({"a", "b"}))
    assert not counts.compact and counts.furniture(2) == {"a": 1, "c": 1}


def test_between_merges_only_the_terms_over_the_floor_are_kept_as_strings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outlet_counts, "COMPACT_ITEMS", 4)
    counts = OutletCounts(floor=2)
    for n in range(40):
        counts.add(frozenset({"daily", f"story{n}", f"other{n}"}))
    top = counts.furniture(10)
    assert counts.compact and set(top) == {"daily"} and top["daily"] == 40
    assert len(counts.by_hash()) == 81  # (every count is still there, in the arrays)
