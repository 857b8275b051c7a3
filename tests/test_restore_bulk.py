"""Restoring into an empty clusterer builds its state in bulk: the same stories, counts,
profiles and index entries, in the same order, as booking the items one by one, and the same
answers afterwards."""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import timedelta
from typing import Any

from test_cluster import T0
from test_cluster_state import _invented_stream
from window_shape import index_entry

from aggregator import story_window
from aggregator.active_story import ActiveStory, ProfileMember
from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.models import Item
from aggregator.profile_index import SMALL, Crowd, ProfileIndex
from aggregator.story_window import _seen_time


def _state(clusterer: Clusterer) -> list[Any]:
    """Everything a restore builds, in the order it is kept (members by id)."""

    out: list[Any] = []
    for story in clusterer._stories.values():
        out.append(
            (story.id, story.last_seen, story.last_when, story.open, story.members, story.log)
        )
        out.append((sorted(story.outlets), story.profile, story.profile_counted))
        for m in story.profile_members():
            head = (m.headline.text, m.headline.first) if m.headline else None
            vectors = (m.terms, m.weights, m.title_terms)
            out.append((m.id, m.story.id, m.when, m.packed, m.outlet, m.indexed, head, vectors))
        out.append([m.id for m in story.recent])
    counts = clusterer._counts
    for name in ("df", "sdf", "names", "uncased", "outlet_n"):
        out.append(sorted(getattr(counts, name).items()))
    outlets = [(o, counts.outlet_counts(o)) for o in sorted(counts.outlet_n)]
    out.append([(o, sorted(c.counts().items()) if c is not None else None) for o, c in outlets])
    assert not counts._later and set(counts.outlet_df) <= set(counts.outlet_n)
    out.append((counts.n_items, counts.n_stories))
    out.append([(term, index_entry(p)) for term, p in clusterer._index.items()])
    out.append([m.id for m in clusterer._index._filed])
    repeats = clusterer._repeats
    out.append(
        (sorted(repeats.counts().items()), repeats._first_title, sorted(repeats._bare.items()))
    )
    out.append(list(clusterer._item_story.items()))
    out.append(list(clusterer._item_score.items()))
    out.append((len(clusterer._tallies), len(clusterer._full), len(clusterer._unpacked)))
    return out


def _stored(settings: ClusterSettings) -> tuple[list[Item], dict[str, str], list[Item]]:
    """A grouped stream as the store holds it (some items without stored terms, a duplicate,
    furniture, a live blog), and the items that come after it."""
    items = _invented_stream(300)
    banner = "Subscribe now to read every story on this site. " * 3
    furniture = [
        Item(
            id=f"ad{n}",
            title=title,
            text=banner,
            outlet="ads.example",
            published=T0 + timedelta(minutes=7 * n + 1),
        )
        for n, title in enumerate(["Markets rally", "Storm nears coast", "Cup final tonight"])
    ]
    live = Item(
        id="live",
        title="Live: updates as they happen",
        text="Rolling coverage.",
        url="https://x.example/live/1",
        published=T0 + timedelta(minutes=33),
    )
    stream = sorted([*items, *furniture, live], key=lambda i: (i.published, i.id))
    head, tail = stream[:240], stream[240:]
    live_clusterer = Clusterer(settings)
    stored: list[Item] = []
    terms: dict[str, str] = {}
    for n, item in enumerate(head):
        answer = live_clusterer.assign(item, item.published or T0)
        stored.append(replace(item, story_id=answer.story_id, first_seen=item.published))
        if n % 11 and answer.terms:  # (every 11th without stored terms: tokenised again)
            terms[item.id] = answer.terms
    stored.append(replace(head[0], id="copy", story_id=stored[0].story_id, duplicate_of="x"))
    stored.append(replace(head[1], id="loose", story_id=None))
    return stored, terms, tail


def _restored(settings: ClusterSettings) -> tuple[Clusterer, Clusterer, list[Item]]:
    """The stored stream restored in bulk and one by one, and the items that come after."""
    stored, terms, tail = _stored(settings)
    bulk = Clusterer(settings)
    bulk.restore(stored, terms)
    one_by_one = Clusterer(settings)
    kept = sorted(
        (i for i in stored if i.story_id and i.duplicate_of is None),
        key=lambda i: (_seen_time(i), i.id),
    )
    one_by_one._restore_each(kept, terms)
    return bulk, one_by_one, tail


def _both(settings: ClusterSettings) -> None:
    bulk, one_by_one, _ = _restored(settings)
    assert bulk._counts._later  # (outlet counts made when first needed)
    assert _state(bulk) == _state(one_by_one)
    assert bulk._index and bulk._stories
    bulk, one_by_one, tail = _restored(settings)  # (its outlets' counts not made yet)
    answers = []
    for clusterer in (bulk, one_by_one):
        got = []
        for item in tail:
            clusterer.expire(item.published or T0)
            a = clusterer.assign(item, item.published or T0)
            got.append((a.story_id, repr(a.score), a.merged, a.furniture))
        answers.append(got)
    assert answers[0] == answers[1]
    assert _state(bulk) == _state(one_by_one)


def test_a_bulk_restore_builds_what_booking_items_one_by_one_builds(monkeypatch: Any) -> None:
    _both(ClusterSettings(active_window=timedelta(hours=6)))
    monkeypatch.setattr(story_window, "_RESTORE_BATCH", 7)  # (counted a few items at a time)
    _both(ClusterSettings(active_window=timedelta(hours=6)))


def test_terms_handed_over_leave_as_they_are_read_and_build_the_same_window() -> None:
    """`restore(..., take=True)` empties the caller's dict of the items it restores (their
    strings are freed as the window is built), and builds what a restore that leaves them
    builds, item by item too; a restored story's id is its founder's own string."""
    settings = ClusterSettings(active_window=timedelta(hours=6))
    stored, terms, _ = _stored(settings)
    kept = {i.id for i in stored if i.story_id and i.duplicate_of is None}
    assert kept & terms.keys()
    left = Clusterer(settings)
    left.restore(stored, terms)
    handed = dict(terms)
    taken = Clusterer(settings)
    taken.restore(stored, handed, take=True)
    assert not kept & handed.keys() and handed == {k: terms[k] for k in terms.keys() - kept}
    assert _state(taken) == _state(left)
    each, handed = Clusterer(settings), dict(terms)
    each.restore(stored[:5], terms)  # (a window that holds stories: restored item by item)
    each.restore(stored, handed, take=True)
    assert not (kept - {i.id for i in stored[:5]}) & handed.keys()  # (the others: not read)
    for clusterer in (taken, each):
        firsts = [s for s in clusterer._stories.values() if s.log[0][0] == s.id]
        assert len(firsts) > 3 and all(s.id is s.log[0][0] for s in firsts)


def test_a_bulk_restore_crowds_terms_as_filing_one_by_one_does() -> None:
    settings = ClusterSettings(max_postings=SMALL, active_window=timedelta(hours=6))
    stored, terms, _ = _stored(settings)
    restored = Clusterer(settings)
    restored.restore(stored, terms)
    assert any(type(p) is Crowd for p in restored._index.values())
    assert any(type(p) is list for p in restored._index.values())
    _both(settings)


class _Filed:
    def __init__(self, name: str) -> None:
        self.name = name
        self.indexed: tuple[str, ...] = ()


def _entries(index: ProfileIndex[_Filed]) -> list[tuple[str, object]]:
    return [(t, ("crowd", p.n) if type(p) is Crowd else p) for t, p in index.items()]


def test_filing_many_at_once_equals_filing_them_in_turn() -> None:
    """Every kind of entry (lone, tuple, list, crowd; a set without a crowd limit), in filing
    order, and into an index that holds members already."""
    filings = [
        (
            _Filed(f"m{n}"),
            tuple(t for t, every in (("a", 1), ("b", 3), ("c", 7), ("z", 40)) if n % every == 0),
        )
        for n in range(40)
    ]
    for make in (lambda: ProfileIndex(20, 10), ProfileIndex):
        at_once, in_turn = make(), make()
        at_once.file_many(filings)
        for member, terms in filings:
            in_turn.file(member, terms)
        assert _entries(at_once) == _entries(in_turn)
        assert list(at_once._filed) == list(in_turn._filed)
    kinds = {type(p) for p in at_once.values()}
    assert kinds == {_Filed, tuple, set}
    crowd = ProfileIndex(20, 10)
    crowd.file_many(filings)
    assert type(crowd["a"]) is Crowd and type(crowd["b"]) is list and type(crowd["c"]) is tuple
    late = _Filed("late")
    crowd.file_many([(late, ("c", "d"))])  # (not empty: filed in turn)
    assert crowd["d"] is late and crowd["c"][-1] is late  # type: ignore[index]


def _alive() -> int:
    """How many stories and profile members the collector can see (frozen ones aside)."""
    return sum(isinstance(o, (ActiveStory, ProfileMember)) for o in gc.get_objects())


def test_a_restored_window_is_left_out_of_the_collector_and_freed_without_it() -> None:
    """Restore freezes what it built (no collector pass goes over the window); stories that
    leave it later, dropped or merged away, and their profile members are freed by their
    reference counts alone: no cycle of them is left frozen for ever."""
    settings = ClusterSettings(active_window=timedelta(hours=6))
    stored, terms, tail = _stored(settings)
    collecting = gc.isenabled()
    gc.disable()  # (a collection would hide a cycle left among the stories made later)
    try:
        gc.unfreeze()  # (what earlier restores in this process froze)
        gc.collect()
        before = _alive()
        clusterer = Clusterer(settings)
        clusterer.restore(stored, terms)
        assert not gc.isenabled()  # (restore leaves the collector as it found it)
        assert clusterer._stories and _alive() == before  # all frozen
        first, second = list(clusterer._stories.values())[:2]
        merged = clusterer._fold([first, second])[1]  # (as a matching item would)
        del first, second
        assert merged and merged[0] not in clusterer._stories
        for item in tail:
            clusterer.expire(item.published or T0)
            clusterer.assign(item, item.published or T0)
        clusterer.expire(T0 + timedelta(days=30))
        assert not clusterer._stories
        gc.unfreeze()
        assert _alive() == before
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()
