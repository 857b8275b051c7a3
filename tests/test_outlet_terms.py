"""An outlet's term counts kept as sorted hash arrays say what a Counter of its items' terms
says, however items join (now or restored for later) and leave, and whenever it is read."""

from __future__ import annotations

import random
from collections import Counter

from aggregator.cluster_settings import ClusterSettings
from aggregator.outlet_terms import OutletTerms
from aggregator.window_counts import WindowCounts

WORDS = [f"term{n}" for n in range(60)]


def _item(rng: random.Random) -> frozenset[str]:
    return frozenset(rng.sample(WORDS, rng.randint(0, 25)))


def _expected(counts: Counter[str], limit: float) -> frozenset[int]:
    return frozenset(hash(t) for t, n in counts.items() if n > limit)


def test_counts_and_furniture_follow_items_joining_and_leaving() -> None:
    rng = random.Random(5)
    outlet, model = OutletTerms(), Counter[str]()
    held: list[frozenset[str]] = []
    for step in range(600):
        if held and rng.random() < 0.4:
            item = held.pop(rng.randrange(len(held)))
            outlet.remove(item)
            model.subtract(item)
            model = +model  # (terms no item holds any more leave)
        elif rng.random() < 0.3:
            title, text = rng.sample(WORDS, 3), rng.sample(WORDS, rng.randint(0, 20))
            item = frozenset(title).union(text)
            outlet.add_later((tuple(title), tuple(text), (), False, False))
            held.append(item)
            model.update(item)
        else:
            item = _item(rng)
            outlet.add(item)
            held.append(item)
            model.update(item)
        if step % 7 == 0:  # (read now and then: several changes merged at once)
            limit = max(2, 0.25 * len(held))
            assert outlet.furniture(limit) == _expected(model, limit)
            assert outlet.furniture(1.5) == _expected(model, 1.5)
    assert outlet.counts() == {hash(t): n for t, n in model.items()}
    assert len(outlet) == len(model)
    for item in held:
        outlet.remove(item)
    assert outlet.counts() == {} and outlet.furniture(0) == frozenset()


def test_many_items_at_once_are_merged_before_they_are_read() -> None:
    outlet = OutletTerms()
    for n in range(200):  # enough waiting hashes to merge on their own, then some more
        outlet.add({"common", f"own{n}", f"pair{n // 2}"})
    assert outlet.furniture(150) == {hash("common")}
    assert outlet.furniture(1) == {hash("common"), *(hash(f"pair{n}") for n in range(100))}
    assert outlet.counts()[hash("own7")] == 1


def test_furniture_leaves_the_vectors_and_an_outlet_goes_with_its_items() -> None:
    settings = ClusterSettings()
    counts = WindowCounts(settings)
    items = [frozenset({"menu", "weather", f"story{n}", f"event{n}"}) for n in range(8)]
    for item in items:
        counts.count_outlet("paper.example", item, 1)
    title, text = ("menu", "story0"), ("event0", "weather", "story0")
    vector, title_vector = counts.vectors_of(title, text, "paper.example")
    assert set(vector) == {"story0", "event0"} and set(title_vector) == {"story0"}
    vector, _ = counts.vectors_of(title, text, "other.example")  # (no furniture there)
    assert set(vector) >= {"menu", "weather"}
    for item in items:
        counts.count_outlet("paper.example", item, -1)
    assert not counts.outlets and not counts.outlet_n
