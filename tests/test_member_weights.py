"""A profile member keeps the item counts its vectors were worked out with, not their
weights (`ProfileMember.keep_vectors`): the vectors it gives back must be the ones
`WindowCounts.vectors_of` gave, the same terms in the same order and the same weights to the
last bit, over random windows (furniture left out, vectors cut to their heaviest terms,
counts past 65,535, titles weighed by a fraction, items with many terms)."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace

import pytest
from test_cluster import T0

from aggregator.active_story import ActiveStory, ProfileMember
from aggregator.cluster_settings import ClusterSettings
from aggregator.features import Features
from aggregator.window_counts import WindowCounts


def _features(rng: random.Random, vocab: list[str], title: int, text: int) -> Features:
    heads = tuple(rng.choice(vocab) for _ in range(title))
    body = tuple(rng.choice(vocab) for _ in range(text))
    unique = frozenset(heads).union(body)
    names = frozenset(t for t in unique if rng.random() < 0.1)
    return Features(heads, body, names, rng.random() < 0.3, False, unique)


def _pack(f: Features) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool, bool]:
    return (f.title, f.text, tuple(f.names), f.title_case, f.multi)


@pytest.mark.parametrize("seed", range(6))
def test_a_members_vectors_come_back_from_its_kept_counts_to_the_last_bit(seed: int) -> None:
    rng = random.Random(seed)
    settings = ClusterSettings()
    if seed % 3 == 1:  # (sums of 1.0 onto a fraction: added one by one, as worked out)
        settings = replace(settings, title_weight=1.7)
    if seed % 3 == 2:  # (cut to the heaviest terms: the title vector's terms kept apart)
        settings = replace(settings, vector_terms=6)
    counts = WindowCounts(settings)
    vocab = [f"w{n}" for n in range(rng.choice((40, 400, 3000)))]
    outlets = ["a.example", "b.example", "c.example"]
    if seed == 5:  # (an item count past 65,535: 4-byte counts)
        counts.df[vocab[0]] = 70_000
        counts.n_items = 80_000
    story = ActiveStory(id="s", last_seen=T0)
    kinds = set()
    for n in range(400):
        f = _features(rng, vocab, rng.randint(0, 12), rng.choice((0, 5, 60, 300)))
        outlet = rng.choice(outlets)
        counts.count(f)
        counts.count_outlet(outlet, f.unique, 1)
        vector, title = counts.vectors(f, outlet)
        member = ProfileMember(f"i{n}", story, T0, _pack(f), outlet)
        member.keep_vectors(vector, title, (counts.df, counts.n_items))
        assert member.weights is not None
        kinds.add(member.weights[-1])
        for kept in (member, pickle.loads(pickle.dumps(member))):
            got, got_title = kept.vectors(settings.title_weight)
            assert list(got.items()) == list(vector.items())
            assert list(got_title.items()) == list(title.items())
        kept = len(vector) + (0 if member.title_terms is None else len(title))
        assert len(member.weights) == (2 if member.weights[-1] == 1 else 4) * kept + 7
    assert kinds == ({1, 2} if seed == 5 else {1})


def test_kept_counts_take_a_quarter_of_the_doubles() -> None:
    """80 weighed terms and a title of 10: 167 bytes, where the doubles took 720."""
    story = ActiveStory(id="s", last_seen=T0)
    title = tuple(f"h{n}" for n in range(10))
    text = tuple(f"t{n}" for n in range(200))
    member = ProfileMember("i", story, T0, (title, text, (), False, False), "o")
    vector = dict.fromkeys([*title, *text[:70]], 0.1)
    df = dict.fromkeys([*title, *text], 3)
    member.keep_vectors(vector, dict.fromkeys(title, 0.3), (df, 1_000))
    assert member.title_terms is None and member.weights is not None
    assert len(member.weights) == 2 * 80 + 7
