"""Page furniture and placeholder titles are never published: a story of a page's notice alone
gets no summary (its items stay stored, marked), a furniture item supplies no facts, and a
placeholder title ("Please enable JavaScript …") neither links stories nor heads one.
All texts are invented."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_summarize import QUAKE

from aggregator.cli import main
from aggregator.cluster import Clusterer
from aggregator.config import Settings
from aggregator.headline import choose
from aggregator.item_kinds import is_placeholder_title, item_kind, publishable, supplies_facts
from aggregator.models import Entry, FeedState, Item, ParsedFeed, Source
from aggregator.pipeline import entries_to_items, entry_to_item
from aggregator.store import Store
from aggregator.story_job import StoryJob
from aggregator.summarize import ExtractiveSummarizer
from aggregator.text import clean_text

NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
NOTICE = (
    "Since 2009 the Keldon archive has donated its crawl data to the public library. Flowing in "
    "every day, these data are added to the collection after an embargo period, and the crawl "
    "seeds of each month are listed on the collection page for readers who ask for them."
)
FLOOD = (
    "Floodwater from the river Arne broke through a levee near Tolsby on Thursday, forcing "
    "about 2,000 residents from their homes as rescue crews used boats to reach those trapped. "
    "The regional governor said the levee had been weakened by a week of heavy rain."
)


def _source(n: int) -> Source:
    return Source(
        f"https://o{n}.example/feed.xml", f"Outlet {n}", "World", f"https://o{n}.example/"
    )


def _entry_item(n: int, title: str, text: str, minutes: int) -> Item:
    """An item as the poller stores it (a missing title is cut from the text)."""
    entry = Entry(
        guid=f"g{n}-{minutes}",
        title=title,
        text=text,
        url=f"https://o{n}.example/{minutes}",
        published=NOW + timedelta(minutes=minutes),
    )
    return entry_to_item(_source(n), entry, f"Outlet {n}", NOW + timedelta(hours=1))


def _job(store: Store) -> StoryJob:
    return StoryJob(store, Settings(), lambda: NOW + timedelta(hours=1))


def _published(store: Store) -> dict[str, list[str]]:
    """Published story id → the item ids of its sources."""
    return {
        s.id: [src.item_id or "" for src in s.summary.sources]
        for s in store.reader().stories(None, 100)
        if s.summary is not None
    }


def test_a_story_of_furniture_alone_is_kept_but_never_published() -> None:
    notices = [_entry_item(n, "", NOTICE, n) for n in range(4)]
    news = _entry_item(5, "Levee breaks near Tolsby, 2,000 residents flee the Arne", FLOOD, 9)
    store = Store(":memory:")
    try:
        store.insert_items([*notices, news])
        job = _job(store)
        job.run()
        stored = {i.id: i for i in store.items_since(NOW - timedelta(days=1))}
        # the third copy shows the text to be a page's furniture, the first two with it: all
        # are kept and marked so …
        assert [stored[i.id].furniture for i in notices] == [True] * 4
        assert item_kind(stored[notices[3].id]) == "furniture"
        # … in stories that are never summarised nor published
        published = _published(store)
        for furniture in notices:
            story = stored[furniture.id].story_id
            assert story is not None and story not in published
            assert store.reader().story(story) is None
        assert store.dirty_stories() == []
        assert list(published.values()) == [[news.id]]  # real news is published as before
        assert job.run() == 0  # and nothing is due again
    finally:
        store.close()


@pytest.mark.parametrize("own_first", [False, True])
def test_the_copy_that_shows_furniture_names_the_earlier_bare_copies(own_first: bool) -> None:
    """Only copies that vouch for nothing (titles cut from their text) are furniture in
    hindsight, each named once; a first copy under a headline of its own is an article
    quoting the text, not furniture."""
    headline = "Keldon archive opens its crawl to readers" if own_first else ""
    first = _entry_item(0, headline, NOTICE, 0)
    notices = [first, *(_entry_item(n, "", NOTICE, n) for n in range(1, 5))]
    clusterer = Clusterer()
    done = [clusterer.assign(item, NOW + timedelta(hours=1)) for item in notices]
    assert [a.furniture for a in done] == [False, False, True, True, True]
    expected = (notices[1].id,) if own_first else (notices[0].id, notices[1].id)
    assert [a.earlier_furniture for a in done] == [(), (), expected, (), ()]


def test_status_counts_each_feeds_furniture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    store = Store(db)
    try:
        store.sync_sources([_source(n) for n in range(4)], NOW)
        for n in range(4):
            store.save_poll(FeedState(_source(n).url, status="ok"), [_entry_item(n, "", NOTICE, n)])
        _job(store).run()
        rows = {r["url"]: r for r in store.status_rows()}
        assert [rows[_source(n).url]["furniture"] for n in range(4)] == [1, 1, 1, 1]
    finally:
        store.close()
    assert main(["status", "--db", str(db)]) == 0
    assert "1 (1 furniture)" in capsys.readouterr().out


def test_a_story_whose_page_turns_out_to_be_furniture_is_withdrawn() -> None:
    """A teaser is published from its feed text; its article page is the notice two other
    outlets carry, so grouping marks it furniture (and them) and its story is withdrawn."""
    notices = [_entry_item(n, "", NOTICE, n) for n in range(2)]
    teaser = _entry_item(
        7,
        "Keldon library gets archive",
        "The Keldon library opened its new archive to readers on Monday, the council said.",
        5,
    )
    store = Store(":memory:")
    try:
        store.insert_items([*notices, teaser])
        job = _job(store)
        job.run()
        story = store.story_ids([teaser.id])[teaser.id]
        assert story in _published(store)
        version = store.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        store.save_articles([(teaser.id, teaser.url or "", "ok", None, NOTICE)], NOW)
        assert job.run() == 2  # both withdrawals are changes readers see
        assert story not in _published(store)
        marked = store.db.execute("SELECT id FROM items WHERE furniture = 1 ORDER BY id")
        assert [r[0] for r in marked] == sorted(i.id for i in [*notices, teaser])
        assert _published(store) == {}
        after = store.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        assert after != version  # caches of feeds and pages are invalidated
    finally:
        store.close()


def test_a_furniture_item_supplies_neither_facts_nor_a_source() -> None:
    furniture = Item(
        id="f", title="Keldon archive notice", text=NOTICE, outlet="f.example", furniture=True
    )
    assert item_kind(furniture) == "furniture" and not supplies_facts("furniture")
    assert publishable([QUAKE[0], furniture, QUAKE[1]]) == [QUAKE[0], QUAKE[1]]
    summary = ExtractiveSummarizer().summarize([*QUAKE, furniture])
    assert all(src.item_id != "f" for src in summary.sources)
    assert "Keldon" not in summary.headline
    assert all("Keldon" not in b.text for b in summary.bullets)


@pytest.mark.parametrize(
    ("title", "placeholder"),
    [
        ("Please enable Javascript to watch this video", True),
        ("Enable JavaScript to view this page", True),
        ("You need to enable JavaScript to use SoundCloud", True),
        ("This video requires JavaScript.", True),
        ("Bitte aktivieren Sie JavaScript, um dieses Video zu sehen", True),
        ("Pour voir cette vidéo, activez JavaScript", True),
        ("Para ver este video, habilite JavaScript", True),
        ("Untitled", True),
        ("Tweet with a location", True),
        ("(no title)", True),
        ("Ohne Titel", True),
        ("Sin título", True),
        ("From Wikipedia, the free encyclopedia", True),
        ("Media playback is unsupported on your device", True),
        ("Page not found", True),
        ("JavaScript creator wins engineering award", False),
        ("Browser maker to enable JavaScript blocking by default?", False),
        ("Watch: Governor speaks on the levee break", False),
        ("Video shows levee breaking near Tolsby", False),
        ("404 errors plague the tax office's new website", False),
        ("Please stop: the mayor pleads for calm", False),
    ],
)
def test_placeholder_titles(title: str, placeholder: bool) -> None:
    assert is_placeholder_title(title) is placeholder


def test_a_placeholder_title_is_replaced_by_one_cut_from_the_text() -> None:
    item = _entry_item(1, "Please enable Javascript to watch this video", FLOOD, 0)
    assert item.title.startswith("Floodwater from the river Arne") and item.title.endswith("…")
    kept = _entry_item(2, "Please enable Javascript to watch this video", "", 0)
    assert kept.title == "Please enable Javascript to watch this video"  # nothing better


def test_embedded_players_notices_are_no_text() -> None:
    player = "Rating is available when the video has been rented.\nThis feature is not "
    player += "available right now. Please try again later."
    assert clean_text(player + "\n" + FLOOD) == FLOOD
    tweet = "Tweet with a location\n \n You can add location information to your Tweets, "
    tweet += "such as your city, from the web. You always have the option to delete it. Learn more"
    assert clean_text(tweet + "\n" + FLOOD) == FLOOD


def test_an_entry_of_nothing_but_a_placeholder_is_not_stored() -> None:
    feed = ParsedFeed(
        "Outlet 1",
        "https://o1.example/",
        (
            Entry(guid="t", title="Tweet with a location", text="You can add location "
                  "information to your Tweets, such as your city. Learn more"),
            Entry(guid="u", title="Untitled", text=""),
            Entry(guid="f", title="Please enable Javascript to watch this video", text=FLOOD),
        ),
    )  # fmt: skip
    items = entries_to_items(_source(1), feed, NOW)
    assert [i.guid for i in items] == ["f"]  # (its title is cut from its text)


def test_a_placeholder_title_never_heads_a_story() -> None:
    titles = ["Please enable Javascript to watch this video", "Levee breaks near Tolsby"]
    centroid = {"javascript": 1.0, "video": 1.0}  # even when it looks the most central
    choice = choose(titles, [True, True], centroid, {"javascript": 1.0, "video": 1.0})
    assert choice.index == 1


def test_a_placeholder_title_links_no_stories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two outlets put a video player's notice where the headline goes, over reports of two
    unrelated events: the shared "title" does not make them one story."""
    bakery = (
        "A family bakery in Oldmere won the national prize for its rye bread on Monday, the "
        "third award for the bakery since its founder opened the shop in 1962 beside the mill."
    )
    rows = [
        {"id": "a", "title": "Please enable Javascript to watch this video", "text": FLOOD,
         "url": "https://one.example/a", "publisher": "One", "published": "2024-05-02T10:00:00Z"},
        {"id": "b", "title": "Please enable Javascript to watch this video", "text": bakery,
         "url": "https://two.example/b", "publisher": "Two", "published": "2024-05-02T10:30:00Z"},
    ]  # fmt: skip
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["cluster", str(path)]) == 0
    stories = {r["id"]: r["story"] for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert stories == {"a": "a", "b": "b"}


def test_a_story_with_neither_headline_nor_bullet_is_not_published() -> None:
    """A page that is nothing but a player's script notice, as title and text: no title may
    head the story and no sentence is usable, so it has nothing a reader could see."""
    notice = "You need to enable JavaScript to use Keldon Audio"
    placeholder = _entry_item(0, notice, notice, 0)
    news = _entry_item(1, "Levee breaks near Tolsby", FLOOD, 1)
    store = Store(":memory:")
    try:
        store.insert_items([placeholder, news])
        _job(store).run()
        stories = store.story_ids([placeholder.id, news.id])
        assert stories[placeholder.id] != stories[news.id]
        published = _published(store)
        assert stories[news.id] in published
        assert stories[placeholder.id] not in published
        assert store.story_items(stories[placeholder.id])  # kept in the store
    finally:
        store.close()
