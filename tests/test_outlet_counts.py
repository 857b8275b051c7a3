"""An outlet's term counts in two tiers (window_counts.OutletCounts) count as a Counter does."""

from __future__ import annotations

import random
from collections import Counter

from aggregator.cluster_settings import ClusterSettings
from aggregator.features import Features
from aggregator.window_counts import OutletCounts, WindowCounts


def _reference(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted((t, n) for t, n in counts.items() if n > 0))


def test_adds_and_removes_count_as_a_counter_does() -> None:
    """Items come and go in any order: every count, the tier a term is in and the terms
    held once (sorted in as they pile up, or all at once by `settle`) agree with a plain
    Counter at every step."""
    rng = random.Random(3)
    vocabulary = [f"t{n}" for n in range(400)]
    counts, reference = OutletCounts(), Counter[str]()
    held: list[frozenset[str]] = []
    for step in range(3000):
        if held and rng.random() < 0.45:
            unique = held.pop(rng.randrange(len(held)))
            counts.remove(unique)
            reference.subtract(unique)
        else:
            unique = frozenset(rng.sample(vocabulary, rng.randint(0, 40)))
            held.append(unique)
            counts.add(unique)
            reference.update(unique)
        if step % 50 == 0 or not held:
            assert counts.counts() == _reference(reference)
            assert dict(counts.many) == {t: n for t, n in reference.items() if n > 1}
            assert counts.once == sorted(counts.once)
            assert not set(counts.once) & counts.fresh
            assert len(counts) == len(_reference(reference)) and bool(counts) == bool(held)
        if step % 97 == 0:  # (all held once sorted in: the same counts, none waiting)
            counts.settle()
            assert not counts.fresh and counts.once == sorted(counts.once)
        probe = rng.choice(vocabulary)
        assert counts.get(probe) == max(reference[probe], 0)
    for unique in held:
        counts.remove(unique)
    assert not counts and counts.counts() == {}


def test_made_from_full_counts_as_when_counted_one_by_one() -> None:
    items = [frozenset({"a", "b", "c"}), frozenset({"b", "c"}), frozenset({"c", "d"})]
    one_by_one = OutletCounts()
    for unique in items:
        one_by_one.add(unique)
    made = OutletCounts.of(Counter({"a": 1, "b": 2, "c": 3, "d": 1, "gone": 0}))
    assert made.counts() == one_by_one.counts() == {"a": 1, "b": 2, "c": 3, "d": 1}
    assert dict(made.many) == {"b": 2, "c": 3} and made.once == ["a", "d"]


def _features(title: tuple[str, ...], text: tuple[str, ...]) -> Features:
    return Features(title, text, frozenset(), False, False, frozenset(title).union(text))


def test_a_term_one_item_holds_is_furniture_when_the_limit_is_below_one() -> None:
    """With `outlet_min_repeats` 1 and few items, a term one item of the outlet holds is
    over the limit: its count is read from the terms held once, not taken for 0."""
    settings = ClusterSettings(outlet_min_repeats=1, outlet_min_items=2, outlet_share=0.1)
    counts = WindowCounts(settings)
    others = [_features(("desk",), ("rain", "wind")), _features(("desk",), ("snow", "fog"))]
    for features in others:
        counts.count(features)
        counts.count_outlet("o.example", features.unique, 1)
    item = _features(("desk", "rain"), ("storm",))
    vector, title = counts.vectors(item, "o.example")
    assert set(vector) == {"storm"} and title == {}
    loose = WindowCounts(ClusterSettings(outlet_min_items=2))
    for features in others:
        loose.count(features)
        loose.count_outlet("o.example", features.unique, 1)
    assert set(loose.vectors(item, "o.example")[0]) == {"desk", "rain", "storm"}
