"""The clusterer's state stays the size of the active window: what leaves it leaves no counts
behind, and restored items share their term strings."""

from __future__ import annotations

import io
import pickle
import random
import sys
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from sys import intern
from typing import Any

from test_cluster import ARTICLES, T0, _items

from aggregator import story_window
from aggregator.active_story import ActiveStory, ProfileMember, index_terms, log_tally
from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.features import Features, decode, encode, item_features, pack, unpack
from aggregator.headline_route import Headline
from aggregator.models import Item
from aggregator.profile_index import SMALL, Crowd, ProfileIndex
from aggregator.story_window import Waiting
from aggregator.window_counts import Counts, unpack_vector


def _story_of_many() -> list[Item]:
    """One event written up sixteen times: more items than a story's profile holds."""
    quake = [a for a in ARTICLES if a[2] == "quake"]
    return [
        Item(
            id=f"quake-{n}",
            title=quake[n % len(quake)][3],
            text=quake[n % len(quake)][4],
            outlet=f"o{n}.example",
            published=T0 + timedelta(minutes=n),
        )
        for n in range(16)
    ]


def _empty(clusterer: Clusterer) -> None:
    counts = clusterer._counts
    assert counts.n_items == 0 and counts.n_stories == 0
    assert not (counts.df or counts.sdf or counts.names or counts.uncased)
    assert not (counts.outlet_df or counts.outlet_n or counts._later)
    assert not (clusterer._index or clusterer._item_story or clusterer._stories)
    assert not clusterer._item_score
    assert not (clusterer._repeats._first_title or clusterer._repeats._more)
    assert not (clusterer._full or clusterer._unpacked or clusterer._pending)
    assert not clusterer._tallies


def test_packed_features_unpack_to_equal_features() -> None:
    items = [
        *_items(),
        Item(id="tc", title="Powerful Earthquake Strikes Northern Chile", text="Iquique coast."),
        Item(id="live", title="Live: earthquake in Chile", text="Updates from Iquique."),
        Item(id="bare", title="", text=""),
    ]
    for item in items:
        features = item_features(item, 250)
        assert unpack(pack(features)) == features
        assert unpack(pack(replace(features, multi=True))) == replace(features, multi=True)


def test_expiry_leaves_no_counts_behind() -> None:
    """Stories grouped live, restored, grown past their profile and regrouped all take every
    count of their items with them when they leave the window."""
    settings = ClusterSettings(active_window=timedelta(days=1))
    live = Clusterer(settings)
    placed = []
    for item in sorted(_items() + _story_of_many(), key=lambda i: i.published or T0):
        answer = live.assign(item, item.published or T0)
        placed.append((replace(item, story_id=answer.story_id, first_seen=T0), answer.terms))
    assert max(len(s.log) for s in live._stories.values()) > settings.profile_recent + 1
    grown = replace(placed[0][0], text=placed[0][0].text + " Aftershocks rattled Iquique.")
    assert live.regroup(grown, T0) is not None
    restored = Clusterer(settings)
    restored.restore([i for i, _ in placed], {i.id: terms for i, terms in placed})
    assert restored.active_stories == live.active_stories
    for clusterer in (live, restored):
        clusterer.observe([Item(id="dup", title="A copy", text="Of a stored item.", outlet="x")])
        clusterer.forget(Item(id="dup", title="A copy", text="Of a stored item.", outlet="x"))
        clusterer.expire(T0 + timedelta(days=3))
        _empty(clusterer)


def test_restored_items_share_their_term_strings() -> None:
    """A term held by many restored items is one string, not one per item."""
    items = _story_of_many()
    terms = {i.id: Clusterer().assign(i, T0).terms for i in items}
    restored = Clusterer()
    restored.restore([replace(i, story_id="quake", first_seen=T0) for i in items], terms)
    story = restored._stories["quake"]
    members = [m for m in [story.founder, *story.recent] if m is not None]
    copies = {id(t) for m in members for t in m.packed[0] if t == "chile"}
    assert len(members) > 2 and len(copies) == 1


def _interned(term: str) -> bool:
    """Whether `term` is the interpreter's one string of its characters (asked with an equal
    string made apart: interning that gives `term` back only if `term` is the one)."""
    return intern(term[:1] + term[1:]) is term


def test_restored_and_tokenised_terms_are_the_interned_strings() -> None:
    """Terms decoded by a restore and terms of an item tokenised here are the interned strings
    (as the term worker's answers are): the window's counts then hold the very strings a new
    item brings, and find them by identity."""
    items = _story_of_many()
    terms = {i.id: Clusterer().assign(i, T0).terms for i in items}
    restored = Clusterer()
    restored.restore([replace(i, story_id="quake", first_seen=T0) for i in items], terms)
    assert len(restored._counts.df) > 5 and all(map(_interned, restored._counts.df))
    item = Item(id="n", title="Quake rescuers reach Valparaiso", text="Aftershocks rattled Chile.")
    features = item_features(item, 250)
    stored = decode(encode(features), item)
    assert stored == features
    for found in (features, stored):
        held = [*found.title, *found.text, *found.names]
        assert len(held) > 4 and all(map(_interned, held))


def test_a_term_is_in_no_more_stories_than_items_and_weights_read_so() -> None:
    """A term is in no more active stories than active items (each story holding it has an
    item that does), through joins, merges, a regroup and expiry: `_idfs` reads a term's
    story count only when its item count could make it common, and gives `idf`'s figures."""
    settings = ClusterSettings(common_min_stories=2, common_share=0.2)
    clusterer = Clusterer(settings)
    items = [*_items(), *_story_of_many()]
    items.sort(key=lambda i: (i.published, i.id))

    def check() -> None:
        counts = clusterer._counts
        assert all(n <= counts.df[t] for t, n in counts.sdf.items())
        terms = [*counts.df, "unheard"]
        idfs = counts._idfs(terms)
        assert idfs == {t: counts.idf(t) for t in terms}
        assert counts.n_stories < 2 or 0.0 in idfs.values()  # (common terms weigh nothing)

    for item in items:
        clusterer.assign(item, item.published or T0)
        check()
    grown = replace(items[0], text=items[0].text + " Aftershocks rattled the coast overnight.")
    clusterer.regroup(grown, T0 + timedelta(hours=6))
    check()
    clusterer.expire(T0 + timedelta(days=3, minutes=30))
    check()


def test_idf_figures_of_two_windows_of_other_sizes_asked_in_turn() -> None:
    """`_idfs` takes its logarithms from a table kept for the last window size asked (once
    the same size is asked twice in a row; in place the first time): two windows of other
    sizes asked in turn and twice running, and one that grows between asks, get `idf`'s
    figures every time."""
    small, large = Clusterer(ClusterSettings()), Clusterer(ClusterSettings())
    items = _items()
    for item in items[:3]:
        small.assign(item, item.published or T0)
    for item in items:
        large.assign(item, item.published or T0)
    grown = Clusterer(ClusterSettings())
    for item in items:
        for clusterer in (small, small, large, grown, grown, small):
            counts = clusterer._counts
            terms = [*counts.df, "unheard"]
            assert counts._idfs(terms) == {t: counts.idf(t) for t in terms}
        grown.assign(item, item.published or T0)
    assert small._counts.n_items < large._counts.n_items


class _Filed:
    def __init__(self, name: str) -> None:
        self.name = name
        self.indexed: tuple[str, ...] = ()


def test_index_entry_is_a_lone_member_then_a_tuple_then_a_set_and_back() -> None:
    index: ProfileIndex[_Filed] = ProfileIndex()
    members = [_Filed(str(n)) for n in range(SMALL + 2)]
    index.file(members[0], ("quake", "chile"))
    index.file(members[0], ("quake", "chile"))  # filing again changes nothing
    assert index["quake"] is members[0] and index.members("quake") == (members[0],)
    for member in members[1:]:
        index.file(member, ("quake",))
        assert list(index.members("quake"))[-1] is member or type(index["quake"]) is set
    assert type(index["quake"]) is set and len(index.members("quake")) == SMALL + 2
    for member in members[2:]:
        index.unfile(member)
    assert set(index.members("quake")) == set(members[:2])
    index.unfile(members[1])
    assert index.members("quake") in ({members[0]}, (members[0],))
    index.unfile(members[0])
    assert not index and index.members("quake") == () and members[0].indexed == ()
    index.file(members[0], ("a",))
    index.file(members[1], ("a",))
    assert index["a"] == (members[0], members[1])  # filing order is kept
    index.unfile(members[0])
    assert index["a"] is members[1]


def test_restored_items_share_one_string_per_term_and_keep_no_table() -> None:
    """Equal terms of the restored items are one string, also those of a second restore
    into the window (the window's own); the table that shares them is not kept after."""
    items = [
        Item(
            id=f"i{n}",
            title=f"Storm floods valley{n} town{n}",
            text=f"River burst banks{n} overnight in town{n}.",
            story_id=f"s{n}",
            first_seen=T0,
        )
        for n in range(300)
    ]
    terms = {i.id: Clusterer().assign(replace(i, story_id=None), T0).terms for i in items}
    restored = Clusterer()
    restored.restore(items[:200], terms)
    restored.restore(items[200:], terms)
    assert not hasattr(restored, "_terms")
    strings: dict[str, set[int]] = {}
    for story in restored._stories.values():
        for _, packed, _, _ in story.log:
            for term in (*packed[0], *packed[1]):
                strings.setdefault(term, set()).add(id(term))
    assert len(strings) > 600 and len(strings["storm"]) == 1 and len(strings["river"]) == 1
    assert all(len(ids) == 1 for ids in strings.values())
    df = restored._counts.df
    assert all(next(iter(strings[t])) == id(t) for t in df)  # (the counts' own strings)
    restored.expire(T0 + timedelta(days=30))
    _empty(restored)


def test_the_full_features_kept_stay_within_their_bound(monkeypatch: Any) -> None:
    """A member's full features are kept when it enters a profile and when it is compared,
    but never more than `_FULL_KEPT` of them: the rest are rebuilt from the packed ones."""
    monkeypatch.setattr(story_window, "_FULL_KEPT", 3)
    items = _items()
    kept, free = Clusterer(ClusterSettings()), Clusterer(ClusterSettings())
    for one in items:
        kept.observe([one])
        free.observe([one])
    with_bound = [kept.assign(one, one.published or T0).story_id for one in items]
    assert 0 < len(kept._full) <= 3
    monkeypatch.setattr(story_window, "_FULL_KEPT", 10_000)
    assert [free.assign(one, one.published or T0).story_id for one in items] == with_bound


def test_vectors_are_kept_packed_and_their_dicts_for_a_bounded_few(monkeypatch: Any) -> None:
    """Members' vectors are kept as terms and the item counts their weights were worked out
    with, story profiles' as terms and an array of weights; the dicts of the
    `_VECTORS_KEPT` compared most lately are kept beside them. Rebuilt dicts are
    the same to the last bit: the same stories and the same scores as with every dict kept."""
    monkeypatch.setattr(story_window, "_VECTORS_KEPT", 3)
    items = [*_items(), *_story_of_many()]
    items.sort(key=lambda i: (i.published or T0, i.id))
    bounded, free = Clusterer(ClusterSettings()), Clusterer(ClusterSettings())
    got = [bounded.assign(one, one.published or T0) for one in items]
    assert 0 < len(bounded._unpacked) <= 3
    members = [
        m for s in bounded._stories.values() for m in [s.founder, *s.recent] if m is not None
    ]
    assert len(members) > 3
    for member in members:
        vector, title = bounded._member_vectors(member)  # (computed again if stale)
        assert type(member.weights) is bytes
        # (2 bytes an item count: the vector's terms', the title vector's when not its
        # first terms; the window's count, the title vector's length and a kind byte)
        kept = len(vector) + (0 if member.title_terms is None else len(title))
        assert len(member.weights) == 2 * kept + 7
        assert member.weights[-7:-3] == member.counted.to_bytes(4, sys.byteorder)
        own = tuple(dict.fromkeys([*member.packed[0], *member.packed[1]]))
        assert type(member.terms) is bytes  # (its terms' places among its own terms)
        assert tuple(own[n] for n in member.terms) == tuple(vector)
        back = member.vectors(ClusterSettings().title_weight)
        assert [list(v.items()) for v in back] == [list(vector.items()), list(title.items())]
    story = max(bounded._stories.values(), key=lambda s: len(s.members))
    profile = bounded._profile_vector(story)
    assert story.profile is not None and type(story.profile[0]) is tuple
    assert bounded._profile_vector(story) == profile == unpack_vector(story.profile)
    monkeypatch.setattr(story_window, "_VECTORS_KEPT", 10_000)
    want = [free.assign(one, one.published or T0) for one in items]
    assert [(a.story_id, repr(a.score), a.merged) for a in got] == [
        (a.story_id, repr(a.score), a.merged) for a in want
    ]


def test_a_members_vectors_come_back_as_equal_dicts_in_their_order() -> None:
    """A member's two vectors are kept as the first one's terms and the bytes of its weights (the
    title vector's terms are the first one's first, unless it was cut to its heaviest terms,
    which puts them in weight order): they come back with the same terms in the same order and
    the same weights to the last bit."""
    story = ActiveStory(id="s", last_seen=T0)
    packed = (("head", "line"), ("body", "text"), (), False, False)
    member = ProfileMember("i", story, T0, packed, "o")
    title = {"head": 2 / 3, "line": 1e-300}
    for vector, shared in (
        ({"head": 0.1 + 0.2, "line": 0.5, "body": 1 / 3, "text": 0.7}, True),
        ({"body": 0.9, "head": 0.1 + 0.2, "line": 0.5}, False),  # (cut: weight order)
        ({"head": 0.25, "body": 0.5}, False),
    ):
        member.keep_vectors(vector, title)  # (no counts: the weights' doubles, a kind byte)
        assert type(member.weights) is bytes
        assert len(member.weights) == 8 * (len(vector) + len(title)) + 1
        assert (member.title_terms is None) is shared
        assert type(member.terms) is bytes and len(member.terms) == len(vector)
        got, got_title = member.vectors()
        assert list(got.items()) == list(vector.items())
        assert list(got_title.items()) == list(title.items())
    member.keep_vectors({}, {})
    assert member.vectors() == ({}, {})


def test_a_members_vector_terms_are_kept_as_places_in_its_own_terms() -> None:
    """A vector's terms are kept as their places among the member's own different title and
    text terms: a byte each, two bytes past 256 such terms; a term that is not the member's
    own (no caller gives one) is kept as it is. Each comes back the same dicts."""
    story = ActiveStory(id="s", last_seen=T0)
    text = (*(f"t{n}" for n in range(300)), "t1", "t2")
    many = ProfileMember("i", story, T0, (("head",), text, (), False, False), "o")
    few = ProfileMember("j", story, T0, (("head",), text[:255], (), False, False), "o")
    for member, vector, title, kind in (
        (many, {"t299": 0.5, "head": 0.25, "t3": 0.125}, {"head": 1.0}, array),
        (many, {"t3": 0.5, "head": 0.25}, {"head": 1.0}, array),
        (few, {"t254": 0.5, "head": 0.25, "t3": 0.125}, {"head": 1.0}, bytes),
        (few, {"t3": 0.5, "elsewhere": 0.25}, {"head": 1.0}, tuple),
    ):
        member.keep_vectors(vector, title)
        assert type(member.terms) is kind
        got, got_title = member.vectors()
        assert list(got.items()) == list(vector.items())
        assert list(got_title.items()) == list(title.items())
    assert pickle.loads(pickle.dumps(member)).vectors() == member.vectors()


def test_a_member_keeps_how_it_is_filed_not_its_index_terms() -> None:
    """A profile member filed under its own title terms, names and lead keeps only how many
    lead terms those take: the terms it is filed under come again from its packed features,
    the same as it was filed under, and the index takes it out of exactly those."""
    clusterer = Clusterer(ClusterSettings())
    items = [*_items(), *_story_of_many()]
    for one in sorted(items, key=lambda i: (i.published or T0, i.id)):
        clusterer.assign(one, one.published or T0)
    index = clusterer._index
    members = list(index._filed)
    assert members
    for member in members:
        assert member._indexed == ClusterSettings().index_terms
        assert member.indexed == index_terms(member.packed, ClusterSettings().index_terms)
        assert all(member in index.members(term) for term in member.indexed)
    loaded = pickle.loads(pickle.dumps(clusterer, protocol=5))._index
    assert [m.indexed for m in loaded._filed] == [m.indexed for m in members]
    for member in members:
        index.unfile(member)
        assert member.indexed == ()
    assert not index


def test_the_windows_counts_are_pickled_in_place_not_copied() -> None:
    """The window's term counts (items, stories, names, outlets, story tallies) are pickled
    entry by entry: the pickler keeps every object it writes until it ends, and a `Counter`
    writes a dict copy of itself, so writing the window held a second copy of its counts.
    Loaded, they hold the same entries in the same order."""
    clusterer = Clusterer(ClusterSettings())
    items = _items()
    clusterer.observe(items)
    for one in items:
        clusterer.assign(one, one.published or T0)
    counts = clusterer._counts
    kept = [counts.df, counts.sdf, counts.names, counts.outlet_n]
    kept += [c.many for c in counts.outlet_df.values()]
    kept += clusterer._tallies.values()
    assert clusterer._tallies and counts.outlet_df and all(type(c) is Counts for c in kept)
    pickler = pickle.Pickler(io.BytesIO(), protocol=5)
    pickler.dump(clusterer)
    written = [obj for _, obj in pickler.memo.copy().values()]
    assert not [obj for obj in written if type(obj) is dict and obj and obj in kept]
    loaded = pickle.loads(pickle.dumps(clusterer, protocol=5))._counts
    for name in ("df", "sdf", "names", "uncased", "outlet_n"):
        again = getattr(loaded, name)
        assert type(again) is Counts and list(again.items()) == list(getattr(counts, name).items())
    assert {o: list(c.many.items()) for o, c in loaded.outlet_df.items()} == {
        o: list(c.many.items()) for o, c in counts.outlet_df.items()
    }
    assert {o: c.counts() for o, c in loaded.outlet_df.items()} == {
        o: c.counts() for o, c in counts.outlet_df.items()
    }


def test_observed_items_wait_as_term_numbers(monkeypatch: Any) -> None:
    """A pass observes all of a run's items before assigning any: past the first few, they
    wait as numbers into a table of their terms (no tuples, no term sets), and what waited
    is exactly the item's features, its terms the same strings; the table goes with the
    last item taken."""
    monkeypatch.setattr(story_window, "_FEW", 2)
    items = _items()
    observed = Clusterer(ClusterSettings())
    observed.observe(items)
    waiting = observed._pending
    assert len(waiting) == len(items)
    kinds = [type(kept) for kept in waiting._items.values()]
    assert kinds == [tuple, tuple, *[bytes] * (len(items) - 2)]
    for one in items:  # what waited is the item's features, exactly
        features = item_features(one, ClusterSettings().text_tokens)
        again = waiting.take(one.id)
        assert again == features
        assert again is not None and again.title == features.title
        assert all(a is b for a, b in zip(again.text, features.text, strict=True))
    assert not waiting._items and not waiting._terms and not waiting._numbers
    observed.observe(items)
    for one in items:
        observed.assign(one, one.published or T0)
    assert not len(observed._pending)


def test_waiting_items_past_65536_terms_take_4_bytes_a_term(monkeypatch: Any) -> None:
    """Once the table passes 65,536 terms an item's numbers take 4 bytes each, and both
    kinds are taken back exactly."""
    monkeypatch.setattr(story_window, "_FEW", 0)
    waiting = Waiting()
    first = _features_of([f"w{n}" for n in range(200)])
    waiting.put("a", first)
    for n in range(330):
        waiting.put(f"x{n}", _features_of([f"t{n}_{k}" for k in range(200)]))
    last = _features_of(["w3", *(f"z{k}" for k in range(10))], names=frozenset({"w3"}))
    waiting.put("b", last)
    assert len(waiting._items["a"]) == 12 + 2 * (3 + 200)  # (title, text; no names)
    assert len(waiting._items["b"]) == 12 + 4 * (3 + 11 + 1)
    assert waiting.take("a") == first and waiting.take("b") == last


def _features_of(text: list[str], names: frozenset[str] = frozenset()) -> Features:
    return Features(
        ("head", *text[:2]), tuple(text), names, True, False, frozenset(("head", *text))
    )


def test_an_index_entry_below_its_crowd_is_a_list_in_filing_order() -> None:
    """With a crowd limit (as the clusterer's index has), an entry past `SMALL` members is a
    list, 8 bytes a member, until it is crowded: no set per term."""
    index: ProfileIndex[_Filed] = ProfileIndex(crowded=3 * SMALL, listed=2 * SMALL)
    members = [_Filed(str(n)) for n in range(3 * SMALL)]
    for n, member in enumerate(members):
        index.file(member, ("quake", member.name))
        assert list(index.members("quake")) == members[: n + 1]
    assert index["quake"] == members and type(index["quake"]) is list
    index.unfile(members[5])
    index.file(members[5], ("quake",))
    assert index["quake"] == [*members[:5], *members[6:], members[5]]
    for member in members[1:]:
        index.unfile(member)
    assert index["quake"] is members[0]
    index.unfile(members[0])
    assert not index


def test_a_term_on_too_many_members_keeps_their_count_until_it_falls_back() -> None:
    index: ProfileIndex[_Filed] = ProfileIndex(crowded=12, listed=9)
    members = [_Filed(str(n)) for n in range(14)]
    for member in members[:13]:
        index.file(member, ("said", member.name))
    crowd = index["said"]
    assert type(crowd) is Crowd and len(crowd) == 13  # longer than any caller reads
    assert set(index.members("said")) == set(members[:13])
    for member in members[:4]:
        index.unfile(member)
        assert type(index["said"]) is Crowd or set(index["said"]) == set(members[4:13])
    assert index["said"] == members[4:13]  # gathered again, whole, in filing order
    for member in [*members[:4], members[13]]:
        index.file(member, ("said",))
    assert type(index["said"]) is Crowd and len(index["said"]) == 14
    index.file(members[13], ("said",))  # filing again changes nothing
    assert len(index["said"]) == 14
    for member in members:
        index.unfile(member)
    assert not index


def _invented_stream(count: int) -> list[Item]:
    """Made-up reports of made-up events over a small shared vocabulary (so that common words
    are on many profile members, then fall out of use), a few outlets per event."""
    rng = random.Random(5)
    syllables = "ka lo mi ne ru sa ti vo de ba fi gu ha je ko".split()

    def word(n: int) -> str:
        return "".join(rng.choice(syllables) for _ in range(n))

    common = [word(3) for _ in range(count // 8 + 10)]
    events = [
        ([word(3).capitalize() for _ in range(2)], [word(4) for _ in range(5)]) for _ in range(40)
    ]
    items = []
    for n in range(count):
        names, terms = events[rng.randrange(len(events))]
        now = common[n // 8 : n // 8 + 10]  # words drift in and out of use
        title = [*names, *rng.sample(terms, 3), *rng.sample(now, 3)]
        text = [
            " ".join([*rng.sample(names, 1), *rng.sample(terms, 3), *rng.sample(now, 6)]) + "."
            for _ in range(4)
        ]
        items.append(
            Item(
                id=f"r{n}",
                title=" ".join(title),
                text=" ".join(text).capitalize(),
                outlet=f"o{rng.randrange(12)}.example",
                published=T0 + timedelta(minutes=5 * n),
            )
        )
    return items


def test_crowded_terms_change_no_story(monkeypatch: Any) -> None:
    """Counting a crowded term's members instead of listing them gives the same stories and
    scores, through growth, restore and expiry (a small `max_postings` makes most terms
    crowd)."""
    settings = ClusterSettings(max_postings=SMALL, active_window=timedelta(hours=6))
    items = _invented_stream(240)
    crowding = Clusterer(settings)
    listing = Clusterer(settings)
    listing._index = ProfileIndex()  # every entry listed
    got, want = [], []
    for one in items:  # (the window moves: crowds fall back and are gathered again)
        for clusterer, out in ((crowding, got), (listing, want)):
            clusterer.expire(one.published or T0)
            out.append(clusterer.assign(one, one.published or T0))
    assert [(a.story_id, repr(a.score), a.merged) for a in got] == [
        (a.story_id, repr(a.score), a.merged) for a in want
    ]
    assert any(type(p) is Crowd for p in crowding._index.values())
    restored = Clusterer(settings)
    stored = [
        replace(one, story_id=a.story_id, first_seen=one.published)
        for one, a in zip(items, got, strict=True)
    ]
    restored.restore(stored, {one.id: a.terms for one, a in zip(items, got, strict=True)})
    assert any(type(p) is Crowd for p in restored._index.values())
    for clusterer in (crowding, restored):
        clusterer.expire(T0 + timedelta(days=30))
        _empty(clusterer)


# (its outlets' few items each repeat the drifting common words: with those words their
# furniture, as three repeats made them, the stream's events merge, which the tests need)
_STREAM_SETTINGS = ClusterSettings(active_window=timedelta(hours=6), outlet_min_repeats=3)


def _outcomes(
    clusterer: Clusterer, after: Callable[[Clusterer, int], None] | None = None
) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each assign's and regroup's outcome over the invented stream: every fifth item comes
    short first, then whole (its article arrives: its features change in its story);
    `after(clusterer, n)` runs after the n-th item."""
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for n, one in enumerate(_invented_stream(240)):
        now = one.published or T0
        clusterer.expire(now)
        short = replace(one, text=one.text[:60]) if n % 5 == 0 else one
        a = clusterer.assign(short, now)
        out.append((a.story_id, repr(a.score), a.merged))
        if n % 5 == 0:
            r = clusterer.regroup(one, now)
            out.append((r.story_id, r.terms, r.merged) if r else ("", "", ()))
        if after is not None:
            after(clusterer, n)
    return out


def test_term_tallies_are_kept_for_a_bounded_few_stories(monkeypatch: Any) -> None:
    """A story's term tally is kept only while it is among the `_TALLIES_KEPT` joined most
    lately, and counted from its log when it is needed again: the same stories, scores,
    merges and regroups as with every tally kept, and every tally kept equals its log's."""
    monkeypatch.setattr(story_window, "_TALLIES_KEPT", 2)
    bounded = Clusterer(_STREAM_SETTINGS)
    got = _outcomes(bounded)
    assert 0 < len(bounded._tallies) <= 2
    for story, tf in bounded._tallies.items():
        assert tf == log_tally(story)
    sdf: Counter[str] = Counter()
    for story in bounded._stories.values():
        sdf.update(log_tally(story).keys())
    assert +bounded._counts.sdf == sdf
    monkeypatch.setattr(story_window, "_TALLIES_KEPT", 100_000)
    assert got == _outcomes(Clusterer(_STREAM_SETTINGS))
    assert any(m for _, _, m in got)  # (merges happened)


def test_a_story_keeps_one_outlet_as_its_name_and_its_members_in_its_log() -> None:
    """A story's outlets read as a set whatever it keeps: one outlet as its (interned) name,
    more as a set; its members are its log's item ids, in order, through a merge too."""
    story = ActiveStory(id="s", last_seen=T0)
    assert story.outlets == set() and story.members == []
    packed = (("head",), ("body",), (), False, False)
    story.enter("i1", packed, "".join(["a.", "example"]), T0, T0)
    story.enter("i2", packed, "a.example", T0, T0)
    story.enter("i3", packed, "", T0, T0)
    assert story._outlets == "a.example" and story.log[0][2] is story.log[1][2]
    assert story.outlets == {"a.example"} and story.members == ["i1", "i2", "i3"]
    story.outlets.add("ignored.example")  # (a copy)
    assert story.outlets == {"a.example"}
    story.enter("i4", packed, "b.example", T0, T0)
    assert type(story._outlets) is set and story.outlets == {"a.example", "b.example"}
    story.enter("i5", packed, "c.example", T0, T0)
    assert story.outlets == {"a.example", "b.example", "c.example"}
    story.outlets = {"b.example"}
    assert story._outlets == "b.example"
    story.outlets = set()
    assert story._outlets == "" and story.outlets == set()
    loaded = pickle.loads(pickle.dumps(story))
    assert loaded.members == story.members and loaded.outlets == story.outlets


def test_a_members_plain_headline_is_kept_as_its_text() -> None:
    """A member's headline without embeddings, whose first term is its title's first, is kept
    as its text and read back equal; any other is kept as given."""
    story = ActiveStory(id="s", last_seen=T0)
    member = ProfileMember("i", story, T0, (("mayor", "quits"), ("body",), (), False, False), "o")
    assert member.headline is None
    member.headline = Headline("Mayor quits", "mayor", None)
    assert member._headline == "Mayor quits"
    got = member.headline
    assert got is not None and (got.text, got.first, got.embedder) == ("Mayor quits", "mayor", None)
    odd = Headline("Mayor quits", "other", None)
    member.headline = odd
    assert member.headline is odd
    member.packed = ((), ("body",), (), False, False)
    member.headline = Headline("", "", None)
    assert member._headline == ""
    member.headline = None
    assert member.headline is None


def test_a_window_whose_memos_were_emptied_groups_as_one_that_kept_them() -> None:
    """`forget_memos` (after a last pass's grouping, before the snapshot's write) empties the
    full features, vector dicts and tallies kept; what is asked for later is made again from
    the records: the same stories, scores, merges and regroups."""

    def forget(clusterer: Clusterer, n: int) -> None:
        if n % 7 == 0:
            assert clusterer._full or clusterer._unpacked or clusterer._tallies or n == 0
            clusterer.forget_memos()
            assert not (clusterer._full or clusterer._unpacked or clusterer._tallies)

    want = _outcomes(Clusterer(_STREAM_SETTINGS))
    assert _outcomes(Clusterer(_STREAM_SETTINGS), after=forget) == want


def test_a_window_keeping_fewer_memos_groups_as_one_keeping_them_all(monkeypatch: Any) -> None:
    """`fewer_memos` (a big pass's last run) keeps a quarter of each memo's entries, dropping
    the least lately used at once; `fewer_memos(False)` lets them fill whole again, and a
    pickled window keeps whole memos. The same stories, scores, merges and regroups as
    with every memo whole; the outlets' counts `forget_memos` settles are the same counts."""
    monkeypatch.setattr(story_window, "_FULL_KEPT", 8)
    monkeypatch.setattr(story_window, "_VECTORS_KEPT", 8)
    monkeypatch.setattr(story_window, "_TALLIES_KEPT", 4)

    def fewer(clusterer: Clusterer, n: int) -> None:
        if n == 3:
            clusterer.fewer_memos()
        if n >= 3:
            assert len(clusterer._full) <= 2 and len(clusterer._unpacked) <= 2
            assert len(clusterer._tallies) <= 1
        if n == 5:
            assert pickle.loads(pickle.dumps(clusterer))._fewer == 0
        if n == 200:
            assert any(c.fresh for c in clusterer._counts.outlet_df.values())
            counts = {o: c.counts() for o, c in clusterer._counts.outlet_df.items()}
            clusterer.forget_memos()
            assert not any(c.fresh for c in clusterer._counts.outlet_df.values())
            assert {o: c.counts() for o, c in clusterer._counts.outlet_df.items()} == counts

    want = _outcomes(Clusterer(_STREAM_SETTINGS))
    assert _outcomes(Clusterer(_STREAM_SETTINGS), after=fewer) == want
    clusterer = Clusterer(_STREAM_SETTINGS)
    _outcomes(clusterer, after=fewer)
    clusterer.fewer_memos(False)
    assert clusterer._fewer == 0
