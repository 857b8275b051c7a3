"""Two pieces of one event, each of several reports, merge when together they share terms no
third story holds (`aggregator.story_links`), though no single pair of their items shares
enough to link. Invented event and invented filler; each test also shows the outcome with the
link off (`story_link_terms` 0)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from invented_items import T0, item

from aggregator.cluster import Clusterer, ClusterSettings, cluster_stream
from aggregator.grouping import group_pending, regroup_articles
from aggregator.models import Item
from aggregator.store import Store

ON = ClusterSettings()
OFF = replace(ON, story_link_terms=0)
_SYLLABLES = ("ba", "ko", "ru", "mi", "te", "zo", "lu", "pa", "fi", "go")


def _word(n: int) -> str:
    return "q" + "".join(_SYLLABLES[int(d)] for d in f"{n:04d}")


def filler(n: int = 110) -> list[Item]:
    """`n` headlines of made-up words, no two sharing one: `n` stories (enough for terms held
    by two of them to be rare)."""
    return [
        item(f"f{k}", " ".join(_word(4 * k + j) for j in range(4)), "", "", k // 2)
        for k in range(n)
    ]


# Each piece's two reports share their own words; across the pieces every pair of reports
# shares at most two terms, but the pieces together share six that no other story holds:
# slots 0-3 are what happened, 4-5 who and where.
EVENT = ("landslide", "quarry", "gymnasium", "boulders", "Brannock", "Dornbach")


def _pieces(s: tuple[str, ...] = EVENT) -> list[Item]:
    a1 = item(
        "a1",
        f"{s[0].capitalize()} buries cottages below Kessel Ridge",
        f"A {s[0]} buried fourteen cottages below Kessel Ridge on Tuesday evening, and crews "
        f"worked under floodlights near the {s[1]} at {s[4]}. Firefighters pulled two "
        "shepherds from mud and rubble while helicopters circled the ridge overnight.",
        "a.example",
        120,
    )
    b1 = item(
        "b1",
        "Villagers flee as hillside collapses",
        "Villagers fled on foot when the hillside collapsed after torrential rain, and a "
        f"{s[0]} warning had been ignored, according to {s[5]}. Teachers opened the {s[2]} "
        "to evacuees, and volunteers brought blankets, soup and lanterns.",
        "b.example",
        125,
    )
    a2 = item(
        "a2",
        "Kessel Ridge cottages: firefighters search the rubble",
        "Firefighters searched the rubble of the fourteen cottages below Kessel Ridge on "
        f"Wednesday as {s[3]} blocked the lane. Families spent the night in the {s[2]}, and "
        f"Mayor {s[5]} thanked the shepherds and the helicopter crews for their courage.",
        "c.example",
        130,
    )
    b2 = item(
        "b2",
        "Hillside collapse: villagers blame blasting",
        f"Angry villagers blamed blasting at the {s[1]} for the collapse of the hillside, "
        f"saying {s[3]} had rolled toward {s[4]} for months. Volunteers and teachers demanded "
        "an inquiry, while evacuees queued for blankets and soup.",
        "d.example",
        135,
    )
    return [a1, b1, a2, b2]


def _stories(result: dict[str, str]) -> list[str]:
    return [result[i] for i in ("a1", "b1", "a2", "b2")]


def test_two_pieces_sharing_their_events_own_terms_merge_into_the_older() -> None:
    stream = [*filler(), *_pieces()]
    assert _stories(cluster_stream(stream, OFF)) == ["a1", "b1", "a1", "b1"]
    assert _stories(cluster_stream(stream, ON)) == ["a1"] * 4


def test_the_merge_is_reported_as_a_merge_and_keeps_the_older_id() -> None:
    clusterer = Clusterer(ON)
    for one in [*filler(), *_pieces()[:3]]:
        clusterer.assign(one, one.published or T0)
    b2 = _pieces()[3]
    assignment = clusterer.assign(b2, b2.published or T0)
    assert (assignment.story_id, assignment.merged) == ("a1", ("b1",))
    assert clusterer.story_of("b1") == "a1"


def test_names_alone_do_not_merge_two_pieces() -> None:
    """The same pieces, with what happened told in words of each piece's own: they share
    only who and where (six names), as two events of the same people do."""
    names = ("Halvard", "Oskarsson", "Lindqvist", "Marrow", "Brannock", "Dornbach")
    stream = [*filler(), *_pieces(names)]
    counting_names = replace(ON, story_link_event_terms=0, story_link_anchor=False)
    assert _stories(cluster_stream(stream, counting_names)) == ["a1"] * 4
    assert _stories(cluster_stream(stream, ON)) == ["a1", "b1", "a1", "b1"]


def test_a_live_blog_does_not_bridge_two_pieces() -> None:
    """A live page holding the second piece's share of the event's terms founds a story of
    its own, which is never linked, and its terms count for no piece."""
    pieces = _pieces()
    live = replace(pieces[3], title="Live: landslide and storm updates from the valley")
    stream = [*filler(), *pieces[:3], live]
    result = cluster_stream(stream, ON)
    assert result["b1"] == "b1" and result["b2"] == "b2"
    assert _stories(cluster_stream([*filler(), *pieces], ON)) == ["a1"] * 4


def test_pieces_further_apart_than_max_gap_stay_apart() -> None:
    pieces = _pieces()
    later = timedelta(hours=60)  # (max_gap is 2 days: within the active window of 3)
    late = [replace(p, published=(p.published or T0) + later) for p in pieces[1::2]]
    result = cluster_stream([*filler(), pieces[0], pieces[2], *late], ON)
    assert (result["a1"], result["b1"], result["b2"]) == ("a1", "b1", "b1")
    assert _stories(cluster_stream([*filler(), *pieces], ON)) == ["a1"] * 4


def test_an_article_arriving_links_its_story_and_the_store_keeps_the_merge() -> None:
    """A teaser's page arrives and regrouping it links its story to the other piece: the
    store records the merge, and a restarted clusterer finds the same stories."""
    a1, b1, a2, b2 = _pieces()
    teaser = replace(b2, text="Angry villagers blamed blasting for the collapse.")
    for settings, merged in ((OFF, False), (ON, True)):
        store = Store(":memory:")
        try:
            clusterer = Clusterer(settings)
            store.insert_items([*filler(), a1, b1, a2, teaser])
            group_pending(store, clusterer, T0 + timedelta(minutes=140))
            assert store.story_ids(["a1", "b1", "b2"]) == {"a1": "a1", "b1": "b1", "b2": "b1"}
            store.save_articles([("b2", "http://d.example/b2", "ok", None, b2.text)], T0)
            regroup_articles(store, clusterer, T0 + timedelta(minutes=150))
            ids = store.story_ids(["a1", "b1", "a2", "b2"])
            want = "a1" if merged else "b1"
            assert ids == {"a1": "a1", "a2": "a1", "b1": want, "b2": want}
            assert store.reader().merged_into("b1") == ("a1" if merged else None)
            restarted = Clusterer(settings)
            restarted.restore(*store.grouping_state(T0 - timedelta(days=1)))
            for one in ("a1", "a2", "b1", "b2"):
                assert restarted.story_of(one) == clusterer.story_of(one) == ids[one]
        finally:
            store.close()
