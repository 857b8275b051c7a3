"""An item found to be a page's furniture after it joined a story leaves that story: the
earlier copies of a notice once its third copy shows what it is, and a teaser whose article
page turns out to be the notice. The story it left keeps its id and its other items; the
item is kept, in a story of its own that nothing joins and that is never published. The
same holds in the batch command, in the poller, and after a restart. All texts invented."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from invented_items import FILLER_TOPICS, T0, filler, item
from test_furniture_publish import FLOOD, NOW, _entry_item, _job, _published
from test_regroup import _consistent

from aggregator import cluster
from aggregator.cli import main
from aggregator.cluster import Clusterer, ClusterSettings, cluster_stream, moved_story_id
from aggregator.models import Item
from aggregator.store import Store

# An archive's notice that pages of several outlets carry instead of (or above) an article:
# 34 content terms, so its copies open alike whatever follows them (a title cut from a copy
# is its first line).
NOTICE = (
    "Since 2009 the Keldon archive has donated its crawl data to the public library.\nFlowing "
    "in every day, these data are added to the collection after an embargo period, and the "
    "crawl seeds of each month are listed on the collection page for readers who ask for "
    "them. Researchers may request access to older crawls through the reading room of the "
    "library in Brona."
)
MILL = (
    "A fire destroyed the Vantor paper mill in Brisk on Sunday night, and forty firefighters "
    "fought the blaze for six hours before it was under control, the fire brigade said."
)
FLOOD_TITLE = "Levee breaks near Tolsby, 2,000 flee the Arne"
LATER_FLOOD = (
    "Tolsby levee: residents flee as the Arne floods",
    "Rescue crews in Tolsby worked through the night along the river Arne after the levee "
    "broke, and the regional governor asked the army to shore up the defences before more "
    "heavy rain reaches the valley; about 2,000 residents remain in shelters.",
)
LATER_MILL = ("Fire destroys Vantor paper mill in Brisk", MILL.replace("night, and", "night;"))


@pytest.fixture
def through_the_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The state these tests start from: a notice's second copy joined the story its first
    copy joined, through the notice alone. A member now stands for its story only through what
    it shares with the rest of the story (`event_links.stands_for_story`), which keeps the
    second copy out in the first place (`test_a_second_copy_does_not_join_through_the_first`);
    it is switched off here to check how copies that did join leave."""
    monkeypatch.setattr(cluster, "stands_for_story", lambda *args: True)


def _window(clusterer: Clusterer) -> dict[str, tuple[list[str], bool, list[str], list[bool]]]:
    """Each active story: its items, whether it is open, its profile, its items' multi flags."""
    return {
        sid: (
            sorted(story.members),
            story.open,
            sorted(m.id for m in story.profile_members()),
            [entry[1][4] for entry in sorted(story.log, key=lambda e: e[0])],
        )
        for sid, story in clusterer._stories.items()
    }


@pytest.mark.usefixtures("through_the_notice")
def test_earlier_copies_of_a_notice_leave_the_news_story_they_joined() -> None:
    clusterer = Clusterer()
    for one in filler(12):
        clusterer.assign(one, one.published or T0)
    flood = item("flood", FLOOD_TITLE, FLOOD, minutes=20)
    first = item("n1", "", NOTICE + "\n" + FLOOD, minutes=30)  # notice above a flood report
    second = item("n2", "", NOTICE + "\n" + MILL, minutes=40)  # … and above a mill's news
    for one in (flood, first, second):
        clusterer.assign(one, one.published or T0)
    # the notice tied a mill's news to the flood's story
    assert [clusterer.story_of(i) for i in ("n1", "n2")] == ["flood", "flood"]
    third = clusterer.assign(item("n3", "", NOTICE, minutes=50), T0 + timedelta(minutes=50))
    assert third.furniture and third.new_story
    assert third.earlier_furniture == ("n1", "n2")
    # both leave, each for a story of its own; the flood's story keeps its id and its item
    assert clusterer.story_of("n1") == moved_story_id("n1", "flood")
    assert clusterer.story_of("n2") == moved_story_id("n2", "flood")
    assert clusterer.story_of("flood") == "flood"
    assert clusterer.profile_ids("flood") == ["flood"]
    assert clusterer.profile_ids("n1") == clusterer.profile_ids("n2") == []
    _consistent(clusterer)
    # later reports join what they report on, never a story of furniture
    later = item("flood2", *LATER_FLOOD, minutes=60)
    assert clusterer.assign(later, T0 + timedelta(minutes=60)).story_id == "flood"
    mill = item("mill", *LATER_MILL, minutes=70)
    placed = clusterer.assign(mill, T0 + timedelta(minutes=70))
    assert placed.new_story and placed.story_id == "mill"
    # a later copy changes nothing more
    fourth = clusterer.assign(item("n4", "", NOTICE, minutes=80), T0 + timedelta(minutes=80))
    assert fourth.furniture and fourth.earlier_furniture == ()
    assert clusterer.story_of("n1") == moved_story_id("n1", "flood")
    _consistent(clusterer)


@pytest.mark.usefixtures("through_the_notice")
def test_cluster_stream_follows_the_copies_and_their_duplicates_out() -> None:
    flood = item("flood", FLOOD_TITLE, FLOOD, minutes=20)
    first = item("n1", "", NOTICE + "\n" + FLOOD, minutes=30)
    again = replace(item("n1b", "", first.text, minutes=32), duplicate_of="n1")  # its duplicate
    second = item("n2", "", NOTICE + "\n" + MILL, minutes=40)
    third = item("n3", "", NOTICE, minutes=50)
    stories = cluster_stream([*filler(12), flood, first, again, second, third], ClusterSettings())
    assert [stories[i] for i in ("flood", "n1", "n1b", "n2", "n3")] == [
        "flood",
        moved_story_id("n1", "flood"),
        moved_story_id("n1", "flood"),
        moved_story_id("n2", "flood"),
        "n3",
    ]


def test_a_second_copy_does_not_join_through_the_first() -> None:
    clusterer = Clusterer()
    for one in filler(12):
        clusterer.assign(one, one.published or T0)
    for one in (
        item("flood", FLOOD_TITLE, FLOOD, minutes=20),
        item("n1", "", NOTICE + "\n" + FLOOD, minutes=30),  # joins the flood's story
        item("n2", "", NOTICE + "\n" + MILL, minutes=40),  # the notice is all it shares
    ):
        clusterer.assign(one, one.published or T0)
    assert [clusterer.story_of(i) for i in ("n1", "n2")] == ["flood", "n2"]


def test_a_copy_alone_in_its_story_stays_there_and_stands_for_nothing() -> None:
    clusterer = Clusterer()
    for one in filler(12):
        clusterer.assign(one, one.published or T0)
    alone = item("n1", "", NOTICE + "\n" + FLOOD, minutes=20)
    clusterer.assign(alone, alone.published or T0)
    assert clusterer.profile_ids("n1") == ["n1"]
    for n in (2, 3):  # copies that come days later (never compared with it)
        copy = item(f"n{n}", "", NOTICE, minutes=60 * 49 + n)
        clusterer.assign(copy, copy.published or T0)
    assert clusterer.story_of("n1") == "n1"  # no story empties
    assert clusterer.profile_ids("n1") == []
    _consistent(clusterer)


def test_a_copy_whose_page_is_an_article_joins_the_older_story_it_reports_on() -> None:
    """A bare teaser made furniture where it stood (alone) has no founder to date its story:
    when its page turns out to be a flood report, the flood's older story keeps its id."""
    clusterer = Clusterer()
    for one in [*filler(12), item("flood", FLOOD_TITLE, FLOOD, minutes=20)]:
        clusterer.assign(one, one.published or T0)
    teaser = item("n1", "", NOTICE + "\n" + MILL, minutes=25)
    for one in (teaser, item("n2", "", NOTICE, minutes=30), item("n3", "", NOTICE, minutes=35)):
        clusterer.assign(one, one.published or T0)
    assert clusterer.story_of("n1") == "n1" and clusterer.profile_ids("n1") == []
    page = replace(teaser, text=LATER_FLOOD[1] + " " + FLOOD)
    placed = clusterer.regroup(page, T0 + timedelta(minutes=60))
    assert placed is not None and placed.story_id == "flood" and placed.merged == ("n1",)
    assert clusterer.story_of("flood") == "flood"


@pytest.mark.usefixtures("through_the_notice")
def test_the_batch_command_puts_each_earlier_copy_in_a_story_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        *((f"x{k}", f"{t} ({k})", f"{t}. Story {k}.", f"x{k}", k - 60) for k, t in _topics()),
        ("flood", FLOOD_TITLE, FLOOD, "one", 0),
        ("n1", "", NOTICE + "\n" + FLOOD, "two", 10),
        ("n2", "", NOTICE + "\n" + MILL, "three", 20),
        ("n3", "", NOTICE, "four", 30),
        ("flood2", *LATER_FLOOD, "five", 40),
    ]
    path = tmp_path / "items.jsonl"
    lines = [
        {
            "id": i,
            "title": title,
            "text": text,
            "url": f"https://{site}.example/{i}",
            "publisher": site.title(),
            "published": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
        for i, title, text, site, minutes in rows
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    assert main(["cluster", str(path)]) == 0
    out = {r["id"]: r["story"] for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert {k: v for k, v in out.items() if not k.startswith("x")} == {
        "flood": "flood",
        "n1": moved_story_id("n1", "flood"),
        "n2": moved_story_id("n2", "flood"),
        "n3": "n3",
        "flood2": "flood",
    }


def _topics() -> list[tuple[int, str]]:
    """Unrelated news, so that document frequencies mean something."""
    return list(enumerate(FILLER_TOPICS * 2))


def _filler_entries() -> list[Item]:
    return [_entry_item(20 + k, f"{t} ({k})", f"{t}. Story {k}.", k - 60) for k, t in _topics()]


def _notice_items() -> tuple[Item, Item, Item, Item]:
    """As the poller stores them: a flood report, then two notices above news (their titles
    cut from the text), then the notice alone."""
    return (
        _entry_item(1, FLOOD_TITLE, FLOOD, 0),
        _entry_item(2, "", NOTICE + "\n" + FLOOD, 10),
        _entry_item(3, "", NOTICE + "\n" + MILL, 20),
        _entry_item(4, "", NOTICE, 30),
    )


@pytest.mark.usefixtures("through_the_notice")
@pytest.mark.parametrize("restart", [False, True])
def test_the_poller_moves_earlier_copies_out_and_a_restart_keeps_them_out(
    tmp_path: Path, restart: bool
) -> None:
    flood, first, second, third = _notice_items()
    store = Store(tmp_path / "agg.db")
    try:
        store.insert_items([*_filler_entries(), flood, first, second])
        job = _job(store)
        job.run()
        story = store.story_ids([flood.id])[flood.id]
        assert store.story_ids([first.id, second.id]) == {first.id: story, second.id: story}
        assert sorted(_published(store)[story]) == sorted([flood.id, first.id, second.id])
        moved = [moved_story_id(first.id, story), moved_story_id(second.id, story)]
        store.insert_items([third])
        job.run()
        stories = store.story_ids([flood.id, first.id, second.id])
        assert stories == {flood.id: story, first.id: moved[0], second.id: moved[1]}
        assert [i.id for i in store.story_items(story)] == [flood.id]
        published = _published(store)
        assert published[story] == [flood.id]
        assert not set(moved) & published.keys()  # furniture's stories: never published
        live = _window(job.clusterer)
        if restart:  # the window restored from the store is the one the service kept
            restored = Clusterer()
            restored.restore(*store.grouping_state(NOW - timedelta(days=3)))
            assert _window(restored) == live
            job = _job(store)  # a restarted service restores it when something new comes
        later = [
            _entry_item(5, *LATER_FLOOD, 40),
            _entry_item(6, *LATER_MILL, 50),
            _entry_item(7, "", NOTICE + "\n" + MILL, 60),
        ]
        store.insert_items(later)
        job.run()
        placed = store.story_ids([i.id for i in later])
        assert placed[later[0].id] == story  # the flood's story takes the flood's report
        assert placed[later[1].id] == later[1].id  # the mill's news joins no furniture
        assert placed[later[2].id] == later[2].id  # a fourth copy founds its own, as furniture
        published = _published(store)
        assert published[story] == [flood.id, later[0].id]
        assert published[later[1].id] == [later[1].id]
        assert not set(moved) & published.keys()
    finally:
        store.close()


def test_a_restored_window_takes_stored_furniture_out_of_its_storys_profile() -> None:
    """A store written before furniture left its story: the item stays where the store keeps
    it, but no longer stands for the story."""
    flood, first, _, _ = _notice_items()
    placed = [
        Item(**{**_fields(flood), "story_id": flood.id}),
        Item(**{**_fields(first), "story_id": flood.id, "furniture": True}),
    ]
    clusterer = Clusterer()
    clusterer.restore(placed)
    assert clusterer.story_of(first.id) == flood.id
    assert clusterer.profile_ids(flood.id) == [flood.id]


def _fields(one: Item) -> dict[str, object]:
    return {name: getattr(one, name) for name in one.__slots__}  # type: ignore[attr-defined]


def test_a_teaser_whose_page_is_the_notice_leaves_the_story_it_joined() -> None:
    flood, first, second, _ = _notice_items()
    teaser = _entry_item(8, "Levee breaks at Tolsby as the Arne floods", "Tolsby levee gives.", 5)
    store = Store(":memory:")
    try:
        store.insert_items([*_filler_entries(), flood, teaser, first, second])
        job = _job(store)
        job.run()
        story = store.story_ids([flood.id])[flood.id]
        assert store.story_ids([teaser.id])[teaser.id] == story
        store.save_articles([(teaser.id, teaser.url or "", "ok", None, NOTICE)], NOW)
        job.run()
        stories = store.story_ids([flood.id, teaser.id])
        assert stories == {flood.id: story, teaser.id: moved_story_id(teaser.id, story)}
        assert [i.id for i in store.story_items(story)] == [flood.id]
        published = _published(store)
        assert published[story] == [flood.id] and stories[teaser.id] not in published
    finally:
        store.close()
