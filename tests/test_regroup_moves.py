"""Tests of an item leaving a story once its article text shows it belongs elsewhere
(`Clusterer.regroup`, `grouping.regroup_articles`, `Store.move_item`). Invented events."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from invented_items import T0, filler, item
from test_regroup import _consistent

from aggregator.cluster import Clusterer, moved_story_id
from aggregator.grouping import group_pending, regroup_articles
from aggregator.models import Item
from aggregator.store import Store

# Two stabbings in two towns: the teasers share only what kind of event it was.
TEASER_A = "A man was charged with second-degree murder on Saturday after a fatal stabbing."
TEASER_B = "A woman faces a second-degree murder count over a fatal stabbing, police said."
ARTICLE_A = (
    TEASER_A + " Keldon police named the accused as Bram Ostrava, 29, a warehouse worker detained "
    "by door staff outside the Anchor bar. The man who died, Piet Calloway, had been celebrating "
    "a birthday with friends from the Aster rowing club. Ostrava is held in custody and is due "
    "before the Oldmere crown court later this month. Witnesses told detectives that an argument "
    "about a spilled drink had spilled onto the pavement shortly before closing time, and that "
    "Calloway tried to walk away. The Anchor's owner said the bar would stay shut for a week and "
    "that its cameras had recorded the whole fight, which the prosecution intends to show."
)
PELLOW = (
    " Officers in Pellow were called to a flat on Tavin Road where Greta Lindqvist, 52, was found "
    "with her partner, Jonas Lindqvist, who later died in hospital. Neighbours had reported "
    "shouting for weeks. Lindqvist appeared before magistrates in Brona on Monday and was "
    "remanded until a hearing in the spring. Social workers had visited the couple twice since "
    "January, a council spokesman confirmed, and a review of those visits has been ordered. "
    "Relatives described Jonas as a retired ferry engineer who loved sailing, and asked for "
    "privacy while the family comes to terms with what happened inside the flat."
)
ARTICLE_B = TEASER_B + PELLOW


def _a() -> Item:
    return item("a", "Man charged with second-degree murder", TEASER_A, minutes=20)


def _b() -> Item:
    return item("b", "Woman faces second-degree murder count", TEASER_B, minutes=25)


def _clusterer(*items: Item) -> Clusterer:
    clusterer = Clusterer()
    for one in [*filler(12), *items]:
        clusterer.assign(one, one.published or T0)
    return clusterer


def test_a_teaser_joined_on_what_kind_of_event_leaves_once_its_article_names_another() -> None:
    clusterer = _clusterer(_a(), _b())
    assert clusterer.story_of("b") == "a"  # the teasers joined: both say "second-degree murder"
    clusterer.regroup(replace(_a(), text=ARTICLE_A), T0 + timedelta(minutes=50))
    assert clusterer.story_of("b") == "a"  # judged by a teaser, A's article changes nothing
    moved = clusterer.regroup(replace(_b(), text=ARTICLE_B), T0 + timedelta(minutes=60))
    assert moved is not None and moved.new_story and moved.merged == ()
    # B's article names other people in another town: it leaves; A's story keeps its id
    assert moved.story_id == moved_story_id("b", "a") != "a"
    assert clusterer.story_of("b") == moved.story_id
    assert clusterer.story_of("a") == "a"
    _consistent(clusterer)
    # B founded its story: a later report of the Pellow case joins it, not A's
    follow = item("c", "Pellow flat death: partner remanded", TEASER_B + PELLOW, minutes=70)
    assert clusterer.assign(follow, T0 + timedelta(minutes=70)).story_id == moved.story_id


def test_an_item_naming_its_storys_people_stays() -> None:
    clusterer = _clusterer(_a(), _b())
    clusterer.regroup(replace(_a(), text=ARTICLE_A), T0 + timedelta(minutes=50))
    # B's article is another angle, but it names the accused of A's story: not another event
    text = ARTICLE_B.replace("Greta Lindqvist", "Bram Ostrava's aunt")
    stayed = clusterer.regroup(replace(_b(), text=text), T0 + timedelta(minutes=60))
    assert stayed is not None and stayed.story_id == "a" and not stayed.new_story
    assert clusterer.story_of("b") == "a"
    _consistent(clusterer)


def test_a_founder_that_leaves_leaves_its_story_id_to_the_others() -> None:
    b = replace(_b(), published=T0 + timedelta(minutes=15))
    clusterer = _clusterer(b, _a())
    assert clusterer.story_of("a") == "b"  # B founded the story (its id is B's)
    clusterer.regroup(replace(_a(), text=ARTICLE_A), T0 + timedelta(minutes=50))
    moved = clusterer.regroup(replace(b, text=ARTICLE_B), T0 + timedelta(minutes=60))
    assert moved is not None and moved.story_id == moved_story_id("b", "b")
    assert clusterer.story_of("a") == "b"  # the story keeps its id, now A's alone
    _consistent(clusterer)
    # A stands for the story now: a later report of the Keldon case joins it
    follow = item("k", "Anchor bar stabbing: Ostrava in court", ARTICLE_A, minutes=80)
    assert clusterer.assign(follow, T0 + timedelta(minutes=80)).story_id == "b"


def test_grouping_moves_the_item_and_its_copies_in_the_store() -> None:
    store = Store(":memory:")
    try:
        clusterer = Clusterer()
        link = "https://b.example/pellow"
        b = replace(_b(), canonical_url=link)
        copy = replace(b, id="b2", guid="b2", outlet="b2.example")  # the same page, syndicated
        store.insert_items([*filler(12), _a(), b, copy])
        group_pending(store, clusterer, T0 + timedelta(minutes=30))
        ids = store.story_ids(["a", "b", "b2"])
        assert ids["b"] == ids["a"] == "a"
        duplicate = store.db.execute("SELECT duplicate_of FROM items WHERE id = 'b2'")
        assert duplicate.fetchone()[0] == "b"
        store.save_articles(
            [
                ("a", "http://a.example/a", "ok", None, ARTICLE_A),
                ("b", "http://b.example/b", "ok", None, ARTICLE_B),
            ],
            T0,
        )
        store.db.execute("UPDATE stories SET dirty = 0")
        regroup_articles(store, clusterer, T0 + timedelta(minutes=60))
        ids = store.story_ids(["a", "b", "b2"])
        moved = moved_story_id("b", "a")
        assert ids == {"a": "a", "b": moved, "b2": moved}  # its copy goes with it
        assert set(store.dirty_stories()) >= {"a", moved}  # both are summarised again
        assert store.reader().merged_into("a") is None  # the story it left is not merged away
        # a restarted clusterer finds the same stories, and B's story stands for the Pellow case
        restarted = Clusterer()
        restarted.restore(*store.grouping_state(T0 - timedelta(days=1)))
        assert restarted.story_of("b") == moved and restarted.story_of("a") == "a"
        follow = item("c", "Pellow flat death: partner remanded", TEASER_B + PELLOW, minutes=70)
        assert restarted.assign(follow, T0 + timedelta(minutes=70)).story_id == moved
    finally:
        store.close()
