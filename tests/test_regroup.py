"""Tests of regrouping an item once its article text arrives (`Clusterer.regroup`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from test_article_job import NOW, page, settings, write_opml
from upstream import Upstream

from aggregator.cluster import Clusterer
from aggregator.features import decode, unpack
from aggregator.fetch import Fetcher
from aggregator.grouping import group_pending, regroup_articles
from aggregator.models import Item
from aggregator.service import Service
from aggregator.store import Store

T0 = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)

QUAKE = [
    (
        "Powerful earthquake strikes northern Chile",
        "A magnitude 7.8 earthquake struck off the coast of northern Chile near Iquique on "
        "Monday, triggering a tsunami warning and evacuations along the Pacific shore.",
    ),
    (
        "Chile earthquake: tsunami warning after magnitude 7.8 quake near Iquique",
        "Chilean authorities ordered evacuations along the northern coast after a magnitude "
        "7.8 earthquake near Iquique; a tsunami warning was issued for the Pacific.",
    ),
    (
        "Tsunami warning in Chile after strong earthquake near Iquique",
        "A strong magnitude 7.8 earthquake shook northern Chile near Iquique, and officials "
        "issued a tsunami warning and ordered coastal evacuations.",
    ),
]
RATES = (
    "ECB holds interest rates as inflation cools",
    "The European Central Bank left its deposit rate unchanged on Thursday, with Christine "
    "Lagarde saying inflation in the euro zone is cooling faster than policymakers expected.",
)
# A teaser whose title and first sentence say too little to group, and its article's text.
TEASER = ("Residents flee as sirens sound", "People in the region were told to leave.")
ARTICLE = (
    "People in the region were told to leave. A magnitude 7.8 earthquake struck northern Chile "
    "near Iquique, and a tsunami warning sent residents of the Pacific coast inland as "
    "authorities ordered evacuations along the shore."
)


def _item(item_id: str, outlet: str, title: str, text: str, minutes: int) -> Item:
    return Item(
        id=item_id,
        title=title,
        text=text,
        outlet=outlet,
        published=T0 + timedelta(minutes=minutes),
    )


def _quake(clusterer: Clusterer) -> str:
    ids = []
    for n, (title, text) in enumerate(QUAKE):
        ids.append(clusterer.assign(_item(f"q{n}", f"o{n}.example", title, text, n), T0).story_id)
    assert len(set(ids)) == 1
    return ids[0]


def _consistent(clusterer: Clusterer) -> None:
    """The clusterer's story and item document frequencies agree with its stories' items,
    and each term tally kept (for the stories joined lately) with its story's items."""
    sdf: Counter[str] = Counter()
    df: Counter[str] = Counter()
    for story in clusterer._stories.values():
        tally: Counter[str] = Counter()
        for _, packed, _, _ in story.log:
            tally.update(unpack(packed).unique)
        assert clusterer._tallies.get(story, tally) == tally
        sdf.update(tally.keys())
        df.update(tally)
    assert +clusterer._counts.sdf == sdf
    assert +clusterer._counts.df == df


def test_a_teaser_alone_in_its_story_joins_the_story_its_article_matches() -> None:
    clusterer = Clusterer()
    quake = _quake(clusterer)
    clusterer.assign(_item("r", "fin.example", *RATES, 5), T0)
    teaser = _item("t", "wire.example", *TEASER, 10)
    first = clusterer.assign(teaser, T0)
    assert first.new_story  # its feed text alone does not say which story it belongs to
    later = T0 + timedelta(minutes=30)
    moved = clusterer.regroup(replace(teaser, text=ARTICLE), later)
    assert moved is not None
    assert moved.story_id == quake  # the older story keeps its id
    assert moved.merged == ("t",)
    assert clusterer.story_of("t") == quake
    assert clusterer.story_of("r") != quake
    features = decode(moved.terms, teaser)
    assert features is not None and "iquique" in features.text
    _consistent(clusterer)
    # the regrouped item vouches for later items of the story, with its new terms
    follow = _item("f", "late.example", "Iquique evacuations", ARTICLE, 40)
    assert clusterer.assign(follow, later).story_id == quake


def test_a_merge_keeps_the_id_readers_were_shown_when_the_oldest_was_never_published() -> None:
    """The teaser's story was published and the older quake story not yet (its pages were
    awaited): the merge had kept the quake's id, so readers lost the item they had and got
    its headline again as a new one. The story keeps the oldest's profile and items, under
    the published id."""
    clusterer = Clusterer()
    quake = _quake(clusterer)
    clusterer.assign(_item("r", "fin.example", *RATES, 5), T0)
    teaser = _item("t", "wire.example", *TEASER, 10)
    assert clusterer.assign(teaser, T0).new_story
    clusterer.published = frozenset({"t", "r"})
    later = T0 + timedelta(minutes=30)
    moved = clusterer.regroup(replace(teaser, text=ARTICLE), later)
    assert moved is not None and (moved.story_id, moved.merged) == ("t", (quake,))
    assert {clusterer.story_of(i) for i in ("q0", "q1", "q2", "t")} == {"t"}
    assert quake not in clusterer.story_ids() and clusterer.story_of("r") == "r"
    assert clusterer._stories["t"].age()[0] == T0  # (the quake's founder leads it still)
    _consistent(clusterer)
    follow = _item("f", "late.example", "Iquique evacuations", ARTICLE, 40)
    assert clusterer.assign(follow, later).story_id == "t"


def _two_quake_stories(clusterer: Clusterer) -> None:
    """Two reports of the quake in story q0, a third in story q2 of its own (it was placed
    while the clusterer asked more than any pair can give)."""
    for n, (title, text) in enumerate(QUAKE[:2]):
        assert (
            clusterer.assign(_item(f"q{n}", f"o{n}.example", title, text, n), T0).story_id == "q0"
        )
    base = clusterer.settings
    clusterer.settings = replace(
        base, threshold=0.99, headline_threshold=0.99, headline_pair_threshold=0.99
    )
    assert clusterer.assign(_item("q2", "o2.example", *QUAKE[2], 2), T0).new_story
    clusterer.settings = base


def test_a_teaser_alone_goes_where_its_article_arriving_fresh_would() -> None:
    # The article matches q0 clearly and q2 just above the threshold: like a fresh item, it
    # joins the story it matches best and brings the other along only on a clear match.
    for merge, merges in ((0.9, False), (0.0, True)):
        settings = replace(
            Clusterer().settings, threshold=0.2, merge_margin=merge, merge_single_margin=merge
        )
        fresh = Clusterer(settings)
        _two_quake_stories(fresh)
        arriving = fresh.assign(_item("a", "wire.example", TEASER[0], ARTICLE, 10), T0)
        assert arriving.story_id == "q0" and (arriving.merged == ("q2",)) is merges

        clusterer = Clusterer(settings)
        _two_quake_stories(clusterer)
        teaser = _item("t", "wire.example", *TEASER, 10)
        assert clusterer.assign(teaser, T0).new_story
        moved = clusterer.regroup(replace(teaser, text=ARTICLE), T0 + timedelta(minutes=30))
        assert moved is not None and moved.story_id == "q0"
        assert set(moved.merged) == ({"t", "q2"} if merges else {"t"})
        assert (clusterer.story_of("q2") == "q0") is merges
        _consistent(clusterer)


def test_an_article_that_matches_nothing_leaves_the_story_alone() -> None:
    clusterer = Clusterer()
    quake = _quake(clusterer)
    teaser = _item("t", "wire.example", *TEASER, 10)
    alone = clusterer.assign(teaser, T0).story_id
    text = "People in the region were told to leave. " + RATES[1]
    moved = clusterer.regroup(replace(teaser, text=text), T0)
    assert moved is not None and moved.story_id == alone and moved.merged == ()
    assert clusterer.story_of("q0") == quake
    _consistent(clusterer)


def test_a_story_of_several_items_merges_only_on_a_clear_match() -> None:
    for margin, merges in ((0.0, True), (0.9, False)):
        clusterer = Clusterer()
        clusterer.settings = replace(clusterer.settings, merge_margin=margin)
        quake = _quake(clusterer)
        teaser = _item("t", "wire.example", *TEASER, 10)
        own = clusterer.assign(teaser, T0).story_id
        # a second outlet's copy of the teaser joins it (same words)
        copy = _item("t2", "copy.example", TEASER[0], TEASER[1] + " Sirens sound.", 11)
        assert clusterer.assign(copy, T0).story_id == own
        moved = clusterer.regroup(replace(teaser, text=ARTICLE), T0)
        assert moved is not None
        assert (moved.story_id == quake) is merges
        assert (clusterer.story_of("t2") == quake) is merges  # whole stories merge, never split
        _consistent(clusterer)


def test_an_item_outside_the_active_window_is_not_regrouped() -> None:
    clusterer = Clusterer()
    teaser = _item("t", "wire.example", *TEASER, 10)
    assert clusterer.regroup(replace(teaser, text=ARTICLE), T0) is None
    clusterer.assign(teaser, T0)
    clusterer.expire(T0 + timedelta(days=10))
    assert clusterer.regroup(replace(teaser, text=ARTICLE), T0 + timedelta(days=10)) is None


# --- through the service: a teaser's story merges once its page arrives ---------------------

DAM = [
    "The Tisza dam broke on Monday night after days of heavy rain in the valley.",
    "Rescue teams evacuated more than 2,000 residents from three villages below the Tisza dam.",
    "The regional governor declared a state of emergency after the dam broke and asked for army "
    "support.",
]
FLEE_PAGE = [
    "People in the valley were told to leave.",
    "Sirens sounded across three villages after the Tisza dam broke on Monday night following "
    "days of heavy rain, and rescue teams evacuated more than 2,000 residents from the villages "
    "below the dam.",
    "The regional governor declared a state of emergency after the dam broke and asked for army "
    "support.",
]


def _service_feed(up: Upstream) -> str:
    entries = [
        ("flee", "Residents flee as sirens sound", "People in the valley were told to leave.", 10),
        ("dam", "Tisza dam breaks after heavy rain", " ".join(DAM), 0),
    ]
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{up.url('/' + slug + '.html')}</link>"
        f"<guid>{slug}</guid><pubDate>{format_datetime(NOW - timedelta(minutes=age))}</pubDate>"
        f"<description>{escape(text)}</description></item>"
        for slug, title, text, age in entries
    )
    up.add_feed("/flee.html", page("Residents flee", FLEE_PAGE), content_type="text/html")
    up.add_feed("/dam.html", page("Tisza dam", DAM), content_type="text/html")
    up.add_feed("/robots.txt", b"", content_type="text/plain")
    return up.add_feed(
        "/feed.xml",
        (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>Example News</title>"
            f"<link>{up.url('/')}</link>{items}</channel></rss>"
        ).encode(),
    )


def test_the_service_merges_a_teasers_story_once_its_article_arrives(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Upstream() as up:
            opml = write_opml(tmp_path / "f.opml", _service_feed(up))
            service = Service(opml, tmp_path / "a.db", settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                    stored = service.store.items_since(NOW - timedelta(1))
                    ids = {i.title.split()[0].lower(): i.id for i in stored}
                    before = service.store.story_ids([ids["residents"], ids["tisza"]])
                    await service.fetch_articles(fetcher)
                after = service.store.story_ids([ids["residents"], ids["tisza"]])
                reader = service.store.reader()
                stories = reader.stories(None, 10)
                terms = service.store.grouping_state(NOW - timedelta(1))[1]
            finally:
                service.close()
            # Grouped on the teaser, the two were apart; the article text brings them together.
            assert before[ids["residents"]] != before[ids["tisza"]]
            assert after[ids["residents"]] == after[ids["tisza"]]
            kept = after[ids["residents"]]
            gone = ({before[ids["residents"]], before[ids["tisza"]]} - {kept}).pop()
            assert kept == before[ids["residents"]]  # the older story keeps its id
            assert reader.merged_into(gone) == kept  # links to the other still resolve
            (story,) = stories
            assert story.id == kept and story.summary is not None
            assert len(story.summary.sources) == 2
            assert any("2,000 residents" in b.text for b in story.summary.bullets)
            # the features it now groups by are stored, so a restart restores them
            assert "tisza" in terms[ids["residents"]]

    asyncio.run(scenario())


def test_grouping_reconsiders_each_article_once(tmp_path: Path) -> None:
    store = Store(":memory:")
    try:
        clusterer = Clusterer()
        teaser = _item("t", "wire.example", *TEASER, 10)
        failed = _item("f", "wire.example", "Another teaser", "Short text.", 12)
        store.insert_items([teaser, failed])
        group_pending(store, clusterer, T0)
        store.save_articles(
            [
                ("t", "http://x.example/t", "ok", None, ARTICLE),
                ("f", "http://x.example/f", "failed", "HTTP 500", ""),
            ],
            T0,
        )
        (due,) = store.articles_to_regroup()  # a page without text leaves nothing to reconsider
        assert due.text == ARTICLE
        regroup_articles(store, clusterer, T0)
        assert store.articles_to_regroup() == []
        pending = store.db.execute("SELECT COUNT(*) FROM articles WHERE regrouped = 0")
        assert pending.fetchone()[0] == 0  # nothing lingers in the queue's index
    finally:
        store.close()


def test_the_store_follows_a_merge_that_keeps_the_published_id() -> None:
    """The never-published quake story's items move into the published teaser's story, and
    the quake's id leads there (`StoryJob` asks `published_among` before each pass)."""
    store = Store(":memory:")
    try:
        clusterer = Clusterer()
        quake = [_item(f"q{n}", f"o{n}.example", *text, n) for n, text in enumerate(QUAKE)]
        teaser = _item("t", "wire.example", *TEASER, 10)
        store.insert_items([replace(i, guid=i.id) for i in (*quake, teaser)])
        group_pending(store, clusterer, T0 + timedelta(minutes=20))
        ids = store.story_ids(["q0", "t"])
        assert ids["q0"] != ids["t"]
        store.db.execute("UPDATE stories SET version = 1 WHERE id = ?", [ids["t"]])
        clusterer.published = store.published_among(clusterer.story_ids())
        assert clusterer.published == {ids["t"]}
        store.save_articles([("t", "http://x.example/t", "ok", None, ARTICLE)], T0)
        regroup_articles(store, clusterer, T0 + timedelta(minutes=30))
        after = store.story_ids(["q0", "q1", "q2", "t"])
        assert set(after.values()) == {ids["t"]}
        assert store.reader().merged_into(ids["q0"]) == ids["t"]
    finally:
        store.close()
