"""Tests of a group of items leaving a story together once their article texts hold each other
but nothing else of it (`aggregator.group_leave`, `Clusterer.regroup`, `regroup_articles`).
Invented events: two stabbings in two towns, two reports of each."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta

from invented_items import T0, filler, item
from test_regroup import _consistent
from test_regroup_moves import ARTICLE_A, PELLOW, TEASER_A, TEASER_B

from aggregator.active_story import ActiveStory
from aggregator.cluster import Clusterer, moved_story_id
from aggregator.features import Features
from aggregator.grouping import group_pending, regroup_articles
from aggregator.models import Item
from aggregator.store import Store

TEASER_A2 = "Police charged a man with second-degree murder after a stabbing outside a bar."
ARTICLE_A2 = ARTICLE_A.replace(TEASER_A, TEASER_A2)
TEASER_B2 = "A second-degree murder count follows a fatal stabbing in a flat, police say."
ARTICLE_B = TEASER_B + PELLOW
ARTICLE_B2 = TEASER_B2 + PELLOW.replace("Officers in Pellow", "Pellow police officers")


def _teasers() -> list[Item]:
    return [
        item("a", "Man charged with second-degree murder", TEASER_A, minutes=20),
        item("a2", "Anchor bar stabbing: man held", TEASER_A2, minutes=22),
        item("b", "Woman faces second-degree murder count", TEASER_B, minutes=25),
        item("b2", "Tavin Road flat death: woman held", TEASER_B2, minutes=27),
    ]


ARTICLES = {"a": ARTICLE_A, "a2": ARTICLE_A2, "b": ARTICLE_B, "b2": ARTICLE_B2}


def _joined() -> tuple[Clusterer, dict[str, Item]]:
    clusterer = Clusterer()
    teasers = _teasers()
    for one in [*filler(12), *teasers]:
        clusterer.assign(one, one.published or T0)
    # the four teasers say only what kind of event it was, and joined one story
    assert {clusterer.story_of(t.id) for t in teasers} == {"a"}
    return clusterer, {t.id: replace(t, text=ARTICLES[t.id]) for t in teasers}


def _all_in(clusterer: Clusterer, full: dict[str, Item], when: timedelta) -> None:
    """Each page arrives while the others are still to come: nobody judges it, all stay."""
    for item_id, one in full.items():
        clusterer.regroup(one, T0 + when, set(full) - {item_id})
    assert {clusterer.story_of(i) for i in full} == {"a"}


def test_two_reports_that_hold_each_other_but_not_their_story_leave_it_together() -> None:
    clusterer, full = _joined()
    _all_in(clusterer, full, timedelta(minutes=50))
    # asked again with every text in: B is held by B2 alone (and B2 by B), A's reports hold
    # neither, and the two cases share no name: B leaves, and B2 goes with it
    moved = clusterer.regroup(full["b"], T0 + timedelta(minutes=60))
    assert moved is not None and moved.new_story
    assert moved.story_id == moved_story_id("b", "a") != "a"
    assert moved.moved_with == ("b2",)
    assert clusterer.story_of("b") == clusterer.story_of("b2") == moved.story_id
    assert clusterer.story_of("a") == clusterer.story_of("a2") == "a"  # it keeps its id
    _consistent(clusterer)
    # the new story stands for the Pellow case, the old one for the Keldon case
    follow = item("c", "Pellow flat death: partner remanded", TEASER_B + PELLOW, minutes=70)
    assert clusterer.assign(follow, T0 + timedelta(minutes=70)).story_id == moved.story_id
    keldon = item("k", "Anchor bar stabbing: Ostrava in court", ARTICLE_A, minutes=75)
    assert clusterer.assign(keldon, T0 + timedelta(minutes=75)).story_id == "a"
    # judging the others again changes nothing more
    for item_id in ("a", "a2", "b2"):
        again = clusterer.regroup(full[item_id], T0 + timedelta(minutes=80))
        assert again is not None and again.moved_with == ()
    assert clusterer.story_of("b2") == moved.story_id and clusterer.story_of("a2") == "a"


class _AHoldsB2(Clusterer):
    """A clusterer whose judging says A's report holds B2's article (as a third case's report
    on the same court might): everything else is judged as ever."""

    def _holds(
        self,
        story: ActiveStory,
        aside: Collection[str],
        features: Features,
        outlet: str,
        when: datetime,
        now: datetime,
    ) -> bool:
        if outlet == "b2.example" and "a" not in aside:
            return True
        return super()._holds(story, aside, features, outlet, when, now)


def test_a_group_another_judge_holds_stays() -> None:
    clusterer = _AHoldsB2()
    for one in [*filler(12), *_teasers()]:
        clusterer.assign(one, one.published or T0)
    full = {t.id: replace(t, text=ARTICLES[t.id]) for t in _teasers()}
    _all_in(clusterer, full, timedelta(minutes=50))
    # B2 holds B, and nothing else does; but A, left behind, holds B2: the group stays
    stayed = clusterer.regroup(full["b"], T0 + timedelta(minutes=60))
    assert stayed is not None and stayed.story_id == "a" and stayed.moved_with == ()
    assert {clusterer.story_of(i) for i in full} == {"a"}


def test_a_group_naming_someone_of_its_story_stays() -> None:
    clusterer, full = _joined()
    # B2's article names the accused of the Keldon case: the two groups may be one event
    full["b2"] = replace(full["b2"], text=ARTICLE_B2.replace("Greta Lindqvist", "Bram Ostrava"))
    _all_in(clusterer, full, timedelta(minutes=50))
    stayed = clusterer.regroup(full["b"], T0 + timedelta(minutes=60))
    assert stayed is not None and stayed.story_id == "a" and stayed.moved_with == ()
    assert {clusterer.story_of(i) for i in full} == {"a"}
    _consistent(clusterer)


def test_a_group_with_nothing_else_to_judge_it_stays() -> None:
    clusterer, full = _joined()
    _all_in(clusterer, full, timedelta(minutes=50))
    # A's and A2's pages are still to come: nothing but B's own group judges B
    stayed = clusterer.regroup(full["b"], T0 + timedelta(minutes=60), {"a", "a2"})
    assert stayed is not None and stayed.story_id == "a" and stayed.moved_with == ()
    assert {clusterer.story_of(i) for i in full} == {"a"}


def test_grouping_moves_the_group_in_the_store_and_a_restart_finds_it() -> None:
    store = Store(":memory:")
    try:
        clusterer = Clusterer()
        store.insert_items([*filler(12), *_teasers()])
        group_pending(store, clusterer, T0 + timedelta(minutes=30))
        assert set(store.story_ids(list(ARTICLES)).values()) == {"a"}
        store.save_articles(
            [(i, f"http://{i}.example/{i}", "ok", None, text) for i, text in ARTICLES.items()],
            T0,
        )
        store.db.execute("UPDATE stories SET dirty = 0")
        regroup_articles(store, clusterer, T0 + timedelta(minutes=60))
        ids = store.story_ids(list(ARTICLES))
        assert ids["a"] == ids["a2"] == "a"
        assert ids["b"] == ids["b2"] != "a"  # the Pellow reports left together
        assert set(store.dirty_stories()) >= {"a", ids["b"]}  # both are summarised again
        assert store.reader().merged_into("a") is None
        restarted = Clusterer()
        restarted.restore(*store.grouping_state(T0 - timedelta(days=1)))
        assert restarted.story_of("b2") == ids["b"] and restarted.story_of("a2") == "a"
    finally:
        store.close()


def test_copies_of_a_member_that_goes_along_follow_it_in_the_store() -> None:
    store = Store(":memory:")
    try:
        clusterer = Clusterer()
        teasers = _teasers()
        b2 = next(t for t in teasers if t.id == "b2")
        copy = replace(b2, id="b2-copy", outlet="copy.example", guid="b2-copy")
        store.insert_items([*filler(12), *teasers, copy])
        group_pending(store, clusterer, T0 + timedelta(minutes=30))
        assert store.items_by_id(["b2-copy"])[0].duplicate_of == "b2"  # a copy, not grouped
        store.save_articles(
            [(i, f"http://{i}.example/{i}", "ok", None, text) for i, text in ARTICLES.items()],
            T0,
        )
        regroup_articles(store, clusterer, T0 + timedelta(minutes=60))
        ids = store.story_ids(["b", "b2", "b2-copy"])
        assert ids["b"] != "a" and ids["b2"] == ids["b"]  # B2 went along with B
        assert ids["b2-copy"] == ids["b2"]  # and its copy with it
    finally:
        store.close()
