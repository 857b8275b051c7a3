"""Tests of aggregator.cluster: incremental story grouping with stable ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import Assignment, Clusterer, ClusterSettings, cluster_stream
from aggregator.models import Item

T0 = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)

# (id, outlet, event, title, text): three outlets per event, events that share no subject.
ARTICLES = [
    (
        "quake-bbc",
        "bbc.co.uk",
        "quake",
        "Powerful earthquake strikes northern Chile",
        "A magnitude 7.8 earthquake struck off the coast of northern Chile near Iquique on "
        "Monday, triggering a tsunami warning and evacuations along the Pacific shore.",
    ),
    (
        "rates-ft",
        "ft.com",
        "rates",
        "ECB holds interest rates as inflation cools",
        "The European Central Bank left its deposit rate unchanged on Thursday, with Christine "
        "Lagarde saying inflation in the euro zone is cooling faster than policymakers expected.",
    ),
    (
        "final-espn",
        "espn.com",
        "final",
        "Real Madrid beat Dortmund to win Champions League final",
        "Real Madrid won the Champions League final at Wembley, beating Borussia Dortmund two "
        "nil with late goals from Carvajal and Vinicius to lift a fifteenth European Cup.",
    ),
    (
        "quake-reuters",
        "reuters.com",
        "quake",
        "Chile earthquake: tsunami warning after magnitude 7.8 quake near Iquique",
        "Chilean authorities ordered evacuations along the northern coast after a magnitude "
        "7.8 earthquake near Iquique; a tsunami warning was issued for the Pacific.",
    ),
    (
        "rates-reuters",
        "reuters.com",
        "rates",
        "ECB keeps rates on hold, Lagarde says inflation cooling",
        "The European Central Bank held interest rates steady and President Christine Lagarde "
        "said euro zone inflation was cooling, leaving the door open to cuts.",
    ),
    (
        "final-guardian",
        "theguardian.com",
        "final",
        "Champions League final: Carvajal and Vinicius give Real Madrid win over Dortmund",
        "Dani Carvajal headed Real Madrid in front and Vinicius Junior sealed the Champions "
        "League final against Borussia Dortmund at Wembley, a fifteenth European Cup for Madrid.",
    ),
    (
        "quake-ap",
        "apnews.com",
        "quake",
        "Tsunami warning in Chile after strong earthquake near Iquique",
        "A strong magnitude 7.8 earthquake shook northern Chile near Iquique, and officials "
        "issued a tsunami warning and ordered coastal evacuations.",
    ),
    (
        "rates-bbc",
        "bbc.co.uk",
        "rates",
        "European Central Bank holds rates, Lagarde sees inflation cooling",
        "Interest rates in the euro zone were left on hold by the European Central Bank, as "
        "Christine Lagarde said inflation was cooling.",
    ),
    (
        "final-bbc",
        "bbc.co.uk",
        "final",
        "Real Madrid win Champions League final against Dortmund at Wembley",
        "Goals from Carvajal and Vinicius gave Real Madrid victory over Borussia Dortmund in "
        "the Champions League final at Wembley.",
    ),
]
# Unrelated one-off items: they must each stay alone.
OTHERS = [
    ("bake", "Village bakery wins national sourdough prize", "A family bakery in Devon won."),
    ("moon", "Space agency delays lunar lander launch to autumn", "Engineers found a valve leak."),
    ("film", "Director announces sequel to animated hit", "The studio confirmed a release date."),
]


def _items(headline_only: bool = False) -> list[Item]:
    items = []
    for n, (item_id, outlet, _, title, text) in enumerate(ARTICLES):
        items.append(
            Item(
                id=item_id,
                title=title,
                text="" if headline_only else text,
                outlet=outlet,
                published=T0 + timedelta(minutes=10 * n),
            )
        )
    for n, (item_id, title, text) in enumerate(OTHERS):
        items.append(
            Item(
                id=item_id,
                title=title,
                text="" if headline_only else text,
                outlet="local.example",
                published=T0 + timedelta(minutes=5 + 20 * n),
            )
        )
    return items


def _event(item_id: str) -> str:
    return next((a[2] for a in ARTICLES if a[0] == item_id), item_id)


def _groups(mapping: dict[str, str]) -> set[frozenset[str]]:
    stories: dict[str, set[str]] = {}
    for item_id, story in mapping.items():
        stories.setdefault(story, set()).add(item_id)
    return {frozenset(members) for members in stories.values()}


def _gold_groups(items: list[Item]) -> set[frozenset[str]]:
    return _groups({i.id: _event(i.id) for i in items})


def test_same_event_items_join_and_unrelated_items_stay_apart() -> None:
    items = _items()
    result = cluster_stream(items, ClusterSettings())
    assert _groups(result) == _gold_groups(items)
    # A story's id is its founding (earliest) item's id.
    assert result["quake-reuters"] == result["quake-ap"] == "quake-bbc"
    assert result["rates-bbc"] == "rates-ft"
    assert result["bake"] == "bake"


def test_headline_only_items_never_join_across_events() -> None:
    """Headlines alone: precision first. Every story is pure; paraphrases that share the
    event's names and terms still join."""
    items = _items(headline_only=True)
    result = cluster_stream(items, ClusterSettings())
    for group in _groups(result):
        assert len({_event(i) for i in group}) == 1, group
    assert result["rates-reuters"] == result["rates-bbc"] == "rates-ft"
    assert result["final-guardian"] == result["final-bbc"] == "final-espn"
    assert result["quake-ap"] == result["quake-reuters"]


def test_assign_reports_new_and_joined_stories() -> None:
    clusterer = Clusterer()
    first = min(_items(), key=lambda i: i.published or T0)
    founded = clusterer.assign(first, T0)
    assert (founded.story_id, founded.new_story, founded.merged) == (first.id, True, ())
    assert isinstance(founded, Assignment) and founded.terms
    quake = [i for i in _items() if _event(i.id) == "quake"]
    for item in quake[1:]:
        joined = clusterer.assign(item, item.published or T0)
        assert joined.story_id == quake[0].id
        assert not joined.new_story
        assert joined.score >= ClusterSettings().threshold
    assert clusterer.story_of("quake-ap") == "quake-bbc"
    assert clusterer.active_stories == 1


def test_reassign_is_idempotent() -> None:
    clusterer = Clusterer()
    items = _items()
    first = {i.id: clusterer.assign(i, i.published or T0) for i in items}
    stories = clusterer.active_stories
    for item in items:
        again = clusterer.assign(item, T0 + timedelta(hours=5))
        assert again.story_id == first[item.id].story_id
        assert not again.new_story
    assert clusterer.active_stories == stories


def test_item_with_story_id_keeps_it() -> None:
    clusterer = Clusterer()
    item = _items()[0]
    assert clusterer.assign(replace(item, story_id="old-story"), T0).story_id == "old-story"


def test_restore_then_assign_continues_stories_with_same_ids() -> None:
    items = sorted(_items(), key=lambda i: i.published or T0)
    late = {"quake-ap", "rates-bbc", "final-bbc"}
    early = [i for i in items if i.id not in late]
    mapping = cluster_stream(early, ClusterSettings())
    stored = [replace(i, story_id=mapping[i.id]) for i in early]

    restarted = Clusterer()
    restarted.restore(stored)
    assert restarted.active_stories == len(set(mapping.values()))
    for item in (i for i in items if i.id in late):
        assignment = restarted.assign(item, item.published or T0)
        assert not assignment.new_story
        assert assignment.story_id == {"quake": "quake-bbc", "rates": "rates-ft"}.get(
            _event(item.id), "final-espn"
        )
    # Restored items are known: re-assigning them returns their stored story.
    assert restarted.assign(stored[0], T0).story_id == stored[0].story_id


def test_restore_ignores_items_without_story_and_duplicates() -> None:
    items = _items()
    clusterer = Clusterer()
    clusterer.restore(
        [
            items[0],
            replace(items[1], story_id="s1", duplicate_of="x"),
            replace(items[2], story_id="s2"),
        ]
    )
    assert clusterer.active_stories == 1
    assert clusterer.story_of(items[2].id) == "s2"
    assert clusterer.story_of(items[0].id) is None


def test_restore_matches_uninterrupted_run() -> None:
    items = sorted(_items(), key=lambda i: i.published or T0)
    continuous = cluster_stream(items, ClusterSettings())
    half = len(items) // 2
    mapping = cluster_stream(items[:half], ClusterSettings())
    clusterer = Clusterer()
    clusterer.restore(replace(i, story_id=mapping[i.id]) for i in items[:half])
    resumed = dict(mapping)
    for item in items[half:]:
        resumed[item.id] = clusterer.assign(item, item.published or T0).story_id
    assert resumed == continuous


@pytest.mark.parametrize("call_expire", [True, False])
def test_quiet_stories_stop_accepting_items(call_expire: bool) -> None:
    settings = ClusterSettings(active_window=timedelta(days=1))
    clusterer = Clusterer(settings)
    quake = [i for i in _items() if _event(i.id) == "quake"]
    clusterer.assign(quake[0], T0)
    later = T0 + timedelta(days=1, minutes=1)
    if call_expire:
        clusterer.expire(later)
        assert clusterer.active_stories == 0
        assert clusterer.story_of(quake[0].id) is None
    assignment = clusterer.assign(quake[1], later)
    assert assignment.new_story
    assert assignment.story_id == quake[1].id


def test_expire_keeps_stories_inside_the_window() -> None:
    settings = ClusterSettings(active_window=timedelta(days=1))
    clusterer = Clusterer(settings)
    quake = [i for i in _items() if _event(i.id) == "quake"]
    clusterer.assign(quake[0], T0)
    clusterer.assign(quake[1], T0 + timedelta(hours=20))  # activity renews the story
    clusterer.expire(T0 + timedelta(hours=30))
    assert clusterer.active_stories == 1
    assert clusterer.assign(quake[2], T0 + timedelta(hours=31)).story_id == quake[0].id


def test_max_active_caps_the_number_of_stories() -> None:
    clusterer = Clusterer(ClusterSettings(max_active=2))
    for item in _items():
        clusterer.assign(item, item.published or T0)
    assert 1 <= clusterer.active_stories <= 2


def test_stream_is_deterministic_and_order_independent_for_equal_input() -> None:
    items = _items()
    first = cluster_stream(items, ClusterSettings())
    assert cluster_stream(list(reversed(items)), ClusterSettings()) == first
    assert cluster_stream(items, ClusterSettings()) == first


def test_stream_gives_duplicates_their_originals_story() -> None:
    items = _items()
    copy = Item(
        id="quake-copy",
        title="Unrelated words entirely",
        duplicate_of="quake-bbc",
        published=T0 + timedelta(hours=2),
    )
    result = cluster_stream([*items, copy], ClusterSettings())
    assert result["quake-copy"] == result["quake-bbc"] == "quake-bbc"


def test_stricter_threshold_splits_stories() -> None:
    items = _items()
    strict = cluster_stream(
        items,
        ClusterSettings(threshold=0.99, headline_threshold=0.99, headline_pair_threshold=0.99),
    )
    assert len(set(strict.values())) == len(items)


def test_expired_items_no_longer_weigh_on_document_frequencies() -> None:
    settings = ClusterSettings(active_window=timedelta(days=1))
    old, fresh = Clusterer(settings), Clusterer(settings)
    for item in _items():
        old.assign(item, T0)
    later = T0 + timedelta(days=2)
    old.expire(later)
    for item in _items():
        moved = replace(item, id=f"new-{item.id}")
        assert old.assign(moved, later) == fresh.assign(moved, later)


def _one(item_id: str, outlet: str, title: str, text: str) -> Item:
    return Item(id=item_id, title=title, text=text, outlet=outlet, published=T0)


# Two different pieces by one outlet that share some vocabulary (the same festival).
_FESTIVAL_A = (
    "Film festival opens with a premiere of a new director's drama about war refugees",
    "The film festival opened on Wednesday with the premiere of a drama following refugees "
    "crossing the mountains, which the director said took ten years to finance and shoot.",
)
_FESTIVAL_B = (
    "Film festival jury names veteran actor as president for the festival awards",
    "The film festival said on Wednesday that a veteran actor will preside over the jury "
    "awarding prizes, a role previously held by several directors and screenwriters.",
)


@pytest.mark.parametrize(("margin", "joined"), [(0.0, True), (0.4, False)])
def test_single_outlet_stories_ask_more_of_that_outlet(margin: float, joined: bool) -> None:
    settings = replace(ClusterSettings(), same_outlet_margin=margin, threshold=0.1)
    clusterer = Clusterer(settings)
    first = clusterer.assign(_one("a", "paper.example", *_FESTIVAL_A), T0)
    second = clusterer.assign(_one("b", "paper.example", *_FESTIVAL_B), T0)
    assert (second.story_id == first.story_id) is joined
    # another outlet is not held to the margin
    clusterer = Clusterer(settings)
    first = clusterer.assign(_one("a", "paper.example", *_FESTIVAL_A), T0)
    other = clusterer.assign(_one("c", "wire.example", *_FESTIVAL_B), T0)
    assert other.story_id == first.story_id


def test_items_with_text_must_share_more_than_one_term() -> None:
    text = "word " * 20
    lone = replace(
        ClusterSettings(),
        threshold=0.0,
        headline_threshold=0.0,
        same_outlet_margin=0.0,
        min_event_terms=1,
    )
    for needed, joined in ((1, True), (2, False)):
        clusterer = Clusterer(replace(lone, min_shared_terms=needed))
        a = clusterer.assign(_one("a", "x.example", "Volcano", text.replace("word", "lava")), T0)
        b = clusterer.assign(_one("b", "y.example", "Volcano", text.replace("word", "ash")), T0)
        assert (a.story_id == b.story_id) is joined


def test_index_entries_grow_and_shrink_with_profile_members() -> None:
    """Index entries grow past a few members, and once their stories leave the window
    nothing of them is left in the index (no memory kept)."""
    clusterer = Clusterer()
    items = sorted(_items(), key=lambda i: i.published or T0)
    copies = [
        replace(item, id=f"{item.id}-{n}", story_id=f"s{n}-{_event(item.id)}")
        for n in range(9)  # nine stories per event: index entries of up to 27 members
        for item in items
    ]
    clusterer.restore(copies)
    assert clusterer.active_stories == 9 * len({_event(i.id) for i in items})
    assert max(len(clusterer._index.members(term)) for term in clusterer._index) > 8
    clusterer.expire(T0 + timedelta(days=30))
    assert clusterer.active_stories == 0 and not clusterer._index
