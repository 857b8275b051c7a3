"""A window's packed texts keep their terms as ids into its term table (`TermIds`): they read
as the tuples of their terms, pickle with the table, and the window's table is made again
without the terms of the items that left it."""

from __future__ import annotations

import pickle
from datetime import timedelta

from test_cluster import T0, _items

from aggregator import story_window
from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.features import PackedText, TermIds, item_features, pack, unpack


def test_a_packed_text_reads_as_the_tuple_of_its_terms() -> None:
    table = TermIds()
    terms = ("quake", "chile", "coast", "quake", "tsunami")
    text = table.pack(terms)
    assert isinstance(text, PackedText)
    assert tuple(text) == terms and list(text) == list(terms)
    assert len(text) == 5 and text[0] == "quake" and text[-1] == "tsunami"
    assert text[1:4] == ("chile", "coast", "quake") and type(text[1:4]) is tuple
    assert text == terms and terms == text and hash(text) == hash(terms)
    assert text != ("quake",) and text == table.pack(terms)
    assert frozenset(text) == frozenset(terms)
    assert len(table) == 4 and text._ids.itemsize == 2  # (a term once, however often held)


def test_packed_features_with_a_table_unpack_to_equal_features() -> None:
    table = TermIds()
    for item in _items():
        features = item_features(item, 250)
        packed = pack(features, table)
        assert isinstance(packed[1], PackedText)
        assert unpack(packed) == features
        assert type(unpack(packed).text) is tuple


def test_ids_past_two_bytes() -> None:
    table = TermIds()
    many = tuple(f"t{n}" for n in range(70_000))
    text = table.pack(many)
    assert text._ids.typecode == "I" and tuple(text) == many
    assert table.pack(("t1", "t69999")) == ("t1", "t69999")


def test_kept_moves_the_texts_given_and_leaves_the_others_reading_as_before() -> None:
    table = TermIds()
    kept = [table.pack(("storm", "river", "storm")), table.pack(("levee", "storm"))]
    left = table.pack(("flood", "levee", "dam"))
    new = table.kept([*kept, kept[0], ("plain", "tuple")])
    assert len(new) == 3 and set(new.terms) == {"storm", "river", "levee"}
    assert kept == [("storm", "river", "storm"), ("levee", "storm")]
    assert all(text._table is new for text in kept)
    assert left == ("flood", "levee", "dam") and left._table is table and len(table) == 5
    assert new.pack(("dam", "storm")) == ("dam", "storm") and len(new) == 4


def test_a_pickled_table_and_its_texts_load_together() -> None:
    table = TermIds()
    texts = [table.pack(("storm", "river")), table.pack(("river", "flood"))]
    loaded_texts, loaded = pickle.loads(pickle.dumps((texts, table)))
    assert loaded_texts == texts and len(loaded) == 3
    assert all(text._table is loaded for text in loaded_texts)
    assert loaded.pack(("flood", "dam")) == ("flood", "dam") and len(loaded) == 4


def test_the_window_table_forgets_the_terms_of_items_gone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Once the table has grown past its first size (and then twice what it was made with),
    expiry makes it again with exactly the text terms of the items still in the window."""
    monkeypatch.setattr(story_window, "_TERMS_FIRST", 1)
    clusterer = Clusterer(ClusterSettings(active_window=timedelta(days=1)))
    items = sorted(_items(), key=lambda i: i.published or T0)
    for item in items:
        clusterer.assign(item, item.published or T0)
    texts = [e[1][1] for story in clusterer._stories.values() for e in story.log]
    assert texts and all(isinstance(text, PackedText) for text in texts)
    before = {text: tuple(text) for text in texts}
    held = {term for text in texts for term in text}
    first = clusterer._texts
    clusterer.expire(items[-1].published or T0)  # (none leaves: the table is made again)
    assert clusterer._texts is not first and set(clusterer._texts.terms) == held
    assert all(tuple(text) == terms for text, terms in before.items())
    members = [m for s in clusterer._stories.values() for m in s.profile_members()]
    assert all(m.packed[1]._table is clusterer._texts for m in members)
    clusterer.expire(T0 + timedelta(days=30))  # (under twice the terms made with: kept)
    assert not clusterer._stories
    assert len(clusterer._texts) == len(held)
    clusterer._forget_terms()
    assert len(clusterer._texts) == 0
