"""An outlet's term counts in two tiers (window_counts.OutletCounts) count as a Counter does."""

from __future__ import annotations

import random
from collections import Counter

from aggregator.cluster_settings import ClusterSettings
from aggregator.features import Features
from aggregator.window_counts import OutletCounts, WindowCounts, unit


def _reference(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted((t, n) for t, n in counts.items() if n > 0))


def test_adds_and_removes_count_as_a_counter_does() -> None:
    """Items come and go in any order: every count, the tier a term is in, the terms
    held once (sorted in as they pile up, or all at once by `settle`) and the terms over a
    furniture limit (`over`, kept in step between asks) agree with a plain Counter at every
    step."""
    rng = random.Random(3)
    vocabulary = [f"t{n}" for n in range(400)]
    counts, reference = OutletCounts(), Counter[str]()
    held: list[frozenset[str]] = []
    share = 0.25
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
        if step % 3 == 0:  # (a share of the items held, as a furniture limit is; at times
            # another share, so that the limit moves both ways far and near)
            if step % 600 == 0:
                share = rng.choice([0.05, 0.1, 0.25, 0.5])
            limit = max(1, share * len(held))
            over = {t for t, n in reference.items() if n > limit}
            assert sorted(counts.over(limit)) == sorted(over)
            assert sorted(counts.over(limit)) == sorted(over)  # (asked again: the same)
        if counts._heavy is not None:  # (kept in step: exactly the terms over its bar)
            assert counts._heavy == {t for t, n in reference.items() if n > counts._bar}
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


def _reference_vectors(
    counts: WindowCounts, title_terms: tuple[str, ...], text_terms: tuple[str, ...], outlet: str
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """`vectors_of` as it was worked out token by token: each token of the title and text
    read in the outlet's counts, 1.0 added for each text token, `idf` asked term by term."""
    s = counts.settings
    n_outlet = counts.outlet_n.get(outlet, 0)
    title, text = list(title_terms), list(text_terms)
    held = counts.outlet_counts(outlet) if n_outlet >= s.outlet_min_items else None
    if held is not None:
        limit = max(s.outlet_min_repeats - 1, s.outlet_share * n_outlet)
        title = [t for t in title if held.get(t) <= limit]
        text = [t for t in text if held.get(t) <= limit]
    title_tf = Counter(title)
    tf = {t: c * s.title_weight for t, c in title_tf.items()}
    for term in text:
        tf[term] = tf.get(term, 0.0) + 1.0
    vector = {t: w * counts.idf(t) for t, w in tf.items() if counts.idf(t) > 0}
    if len(vector) > s.vector_terms:
        vector = dict(sorted(vector.items(), key=lambda tv: (-tv[1], tv[0]))[: s.vector_terms])
    heads = {t: c * counts.idf(t) for t, c in title_tf.items() if counts.idf(t) > 0}
    return list(unit(vector).items()), list(unit(heads).items())


def test_vectors_leave_out_furniture_as_counts_change() -> None:
    """Items of a few outlets come and go (counted at once, or booked to be counted when
    first asked, as a restore books them) and items are weighed between changes, once or
    several times running: every vector holds the terms, weights and order the
    token-by-token reading gives, to the last bit (what a faster reading must keep)."""
    settings = ClusterSettings(
        outlet_min_items=3,
        outlet_share=0.3,
        outlet_min_repeats=2,
        common_min_stories=4,
        common_share=0.5,
        vector_terms=12,
    )
    rng = random.Random(5)
    vocabulary = [f"t{n}" for n in range(60)]
    outlets = ["a.example", "b.example", "c.example"]
    counts = WindowCounts(settings)
    held: list[tuple[Features, str]] = []
    for step in range(600):
        if held and rng.random() < 0.4:
            features, outlet = held.pop(rng.randrange(len(held)))
            counts.count(features, -1)
            counts.count_outlet(outlet, features.unique, -1)
            counts.remove_story_terms(features.unique)
        else:
            title = tuple(rng.choices(vocabulary[:20], k=rng.randint(0, 4)))
            features = _features(title, tuple(rng.choices(vocabulary, k=rng.randint(0, 30))))
            outlet = rng.choice(outlets)
            held.append((features, outlet))
            counts.count(features)
            counts.add_story_terms(features.unique)
            if step < 40:  # (booked as a restore books them: counted when first asked)
                counts.count_outlet_later(outlet, (features.title, features.text))  # type: ignore[arg-type]
            else:
                counts.count_outlet(outlet, features.unique, 1)
        counts.n_stories = len(held)
        for _ in range(rng.choice([1, 1, 2, 3])):
            features, _ = rng.choice(held) if held else (_features((), ()), "")
            outlet = rng.choice(outlets)
            found = counts.vectors_of(features.title, features.text, outlet)
            assert [list(v.items()) for v in found] == list(
                _reference_vectors(counts, features.title, features.text, outlet)
            )


def test_a_checks_terms_are_read_as_each_term_asked_alone() -> None:
    """`distinct`, `names_among` and `events_among` (a check's terms in one call) answer what
    `distinctive` and `is_name` answer term by term, as the counts and the number of stories
    change (terms counted nowhere included)."""
    rng = random.Random(11)
    counts = WindowCounts(ClusterSettings(distinctive_min=3, distinctive_share=0.05))
    vocabulary = [f"t{n}" for n in range(80)]
    for step in range(400):
        term = rng.choice(vocabulary)
        counts.df[term] += rng.randint(0, 3)
        counts.names[term] += rng.randint(0, 2)
        counts.uncased[term] += rng.randint(0, 1)
        counts.sdf[term] += rng.randint(0, 2)
        counts.n_stories = rng.randint(0, 300)
        terms = rng.sample([*vocabulary, "nowhere"], rng.randint(0, 30))
        assert counts.distinct(terms) == [t for t in terms if counts.distinctive(t)]
        assert counts.names_among(terms) == [t for t in terms if counts.is_name(t)]
        events = sum(counts.distinctive(t) and not counts.is_name(t) for t in terms)
        assert counts.events_among(iter(terms)) == events, step
