import dataclasses
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aggregator.errors import StorageError
from aggregator.models import Bullet, FeedState, Item, Source, SourceRef, Summary
from aggregator.store import Store, from_iso, to_iso
from aggregator.store_feeds import SourceChanges
from aggregator.store_read import Reader

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SOURCES = [
    Source("https://a.example/feed", "Outlet A", "World News"),
    Source("https://b.example/feed", "Outlet B", "Business"),
]


def item(id_: str, feed: str = "https://a.example/feed", **kw: object) -> Item:
    base: dict[str, object] = {
        "title": f"Title {id_}",
        "text": "Some text",
        "feed_url": feed,
        "guid": id_,
        "published": NOW,
        "first_seen": NOW,
        "outlet": "a.example",
        "outlet_name": "Outlet A",
        "category": "World News",
        "content_hash": f"hash-{id_}",
    }
    base.update(kw)
    return Item(id=id_, **base)  # type: ignore[arg-type]


def summary(headline: str = "Headline", bullets: tuple[str, ...] = ("Fact one.",)) -> Summary:
    return Summary(
        headline=headline,
        bullets=tuple(Bullet(b, (0,)) for b in bullets),
        sources=(SourceRef("Outlet A", "Title", "https://a.example/1", NOW, "i1"),),
        outlet_count=1,
    )


def test_iso_round_trip_sorts_as_text() -> None:
    earlier = datetime(2026, 1, 1, 0, 0, 0, 500, tzinfo=UTC)
    later = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert to_iso(earlier) < to_iso(later)  # type: ignore[operator]
    assert from_iso(to_iso(later)) == later


def test_sync_sources_adds_deactivates_and_keeps_items() -> None:
    store = Store()
    assert store.sync_sources(SOURCES, NOW) == SourceChanges(2, 0, [])
    assert store.sync_sources(SOURCES, NOW) == SourceChanges(0, 0, [])
    store.save_poll(FeedState("https://b.example/feed"), [item("b1", "https://b.example/feed")])
    assert store.sync_sources(SOURCES[:1], NOW) == SourceChanges(0, 1, [])
    assert [s.url for s in store.sources()] == ["https://a.example/feed"]
    assert [s.url for s, _ in store.feeds_due(NOW)] == ["https://a.example/feed"]
    # the removed feed's items are still stored
    assert store.db["items"].count == 1
    # re-adding it counts as added again
    assert store.sync_sources(SOURCES, NOW) == SourceChanges(1, 0, [])


def test_feeds_due_respects_next_poll_unless_everything() -> None:
    store = Store()
    assert store.next_due() is None
    store.sync_sources(SOURCES, NOW)
    later = FeedState("https://a.example/feed", next_poll_at=NOW + timedelta(minutes=15))
    store.save_poll(later, [])
    assert [s.url for s, _ in store.feeds_due(NOW)] == ["https://b.example/feed"]
    assert len(store.feeds_due(NOW, everything=True)) == 2
    assert store.next_due() == datetime.fromtimestamp(0, UTC)  # b never polled: due now
    store.save_poll(FeedState("https://b.example/feed", next_poll_at=NOW), [])
    assert store.next_due() == NOW


def test_feed_state_round_trip() -> None:
    store = Store()
    state = FeedState(
        "https://a.example/feed",
        etag='W/"abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        body_hash="h",
        status="ok",
        http_status=200,
        error=None,
        error_count=0,
        last_polled_at=NOW,
        last_success_at=NOW,
        next_poll_at=NOW + timedelta(minutes=5),
        moved_to="https://a.example/new",
        title="A",
        link="https://a.example/",
    )
    store.save_poll(state, [])
    assert store.feed_state(state.url) == state
    assert store.feed_state("https://unknown.example/") == FeedState("https://unknown.example/")


def test_repolling_never_duplicates_and_edits_update() -> None:
    store = Store()
    state = FeedState("https://a.example/feed")
    assert store.save_poll(state, [item("i1"), item("i2")]).new == 2
    again = store.save_poll(state, [item("i1"), item("i2")])
    assert (again.new, again.updated) == (0, 0)
    edited = store.save_poll(state, [item("i1", title="Corrected", content_hash="new")])
    assert (edited.new, edited.updated) == (0, 1)
    assert store.db["items"].count == 2
    assert store.db["items"].get("i1")["title"] == "Corrected"


def test_an_entry_given_again_under_a_new_guid_is_not_stored_again() -> None:
    store = Store()
    state = FeedState("https://a.example/feed")
    first = item("g1", url="https://a.example/harbour", content_hash="harbour")
    assert store.save_poll(state, [first]).new == 1
    again = dataclasses.replace(first, id="g2", guid="g2", published=NOW + timedelta(hours=1))
    assert store.save_poll(state, [again]).new == 0
    assert [row["id"] for row in store.db["items"].rows] == ["g1"]
    # twice in one document: the first guid stands for it
    twice = [item(g, url="https://a.example/rail", content_hash="rail") for g in ("g3", "g4")]
    assert store.save_poll(state, twice).new == 1
    assert store.db["items"].count == 2


def test_a_new_guid_with_another_text_link_or_feed_is_a_new_item() -> None:
    store = Store()
    first = item("g1", url="https://a.example/harbour", content_hash="harbour")
    store.save_poll(FeedState("https://a.example/feed"), [first])
    edited = dataclasses.replace(first, id="g2", guid="g2", content_hash="harbour, edited")
    moved = dataclasses.replace(first, id="g3", guid="g3", url="https://a.example/harbour-2")
    linkless = [item(g, content_hash="no link") for g in ("g4", "g5")]
    assert store.save_poll(FeedState("https://a.example/feed"), [edited, moved, *linkless]).new == 4
    elsewhere = dataclasses.replace(first, id="b1", feed_url="https://b.example/feed")
    assert store.save_poll(FeedState("https://b.example/feed"), [elsewhere]).new == 1


def test_an_edit_marks_the_story_dirty_and_keeps_membership() -> None:
    store = Store()
    state = FeedState("https://a.example/feed")
    store.save_poll(state, [item("i1")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    store.save_summary("s1", summary(), "fp1", [("World News", 1.0)], NOW)
    assert store.dirty_stories() == []
    store.save_poll(state, [item("i1", text="Updated text", content_hash="changed")])
    assert store.dirty_stories() == ["s1"]
    assert store.story_items("s1")[0].text == "Updated text"


def test_summary_state_is_the_published_headline_and_the_summary_of_the_same_inputs() -> None:
    store = Store()
    store.save_poll(FeedState("https://a.example/feed"), [item("i1")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    assert store.summary_state("s1", "k1") == (None, None)  # never published
    written = summary("Published headline", ("Fact one.", "Fact two."))
    store.save_summary("s1", written, "fp1", [("World News", 1.0)], NOW, "k1")
    headline, stored = store.summary_state("s1", "k1")
    assert headline == "Published headline"
    assert stored is not None and stored.bullets == written.bullets
    assert stored.sources == written.sources and stored.headline == written.headline
    # Other inputs: the headline readers saw, but no summary to reuse.
    assert store.summary_state("s1", "k2") == ("Published headline", None)
    store.save_summary("s1", written, "fp1", [("World News", 1.0)], NOW, None)
    assert store.summary_state("s1", "k1") == ("Published headline", None)


def test_a_story_read_ahead_stays_dirty_and_any_change_takes_its_mark() -> None:
    store = Store()
    state = FeedState("https://a.example/feed")
    store.save_poll(state, [item("i1"), item("i2")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
        store.assign(item("i2"), "s2", None, NOW)
    store.mark_read_ahead("s1")
    store.mark_read_ahead("s2")
    assert store.dirty_stories() == ["s1", "s2"]
    assert store.read_ahead_unchanged() == {"s1", "s2"}
    store.save_poll(state, [item("i1", text="Updated text", content_hash="changed")])
    with store.transaction():
        store.assign(item("i3"), "s2", None, NOW)  # (a later item joins)
    assert store.read_ahead_unchanged() == set()
    assert store.dirty_stories() == ["s1", "s2"]
    store.save_summary("s1", summary(), "fp1", [("World News", 1.0)], NOW)
    store.mark_read_ahead("s1")  # (a story no longer dirty keeps that)
    assert store.dirty_stories() == ["s2"] and store.read_ahead_unchanged() == set()


def test_dirty_stories_are_listed_in_id_order_whatever_order_they_changed_in() -> None:
    store = Store()
    store.save_poll(FeedState("https://a.example/feed"), [item(f"i{n}") for n in range(4)])
    with store.transaction():
        for n, story in enumerate(["s3", "s10", "s1", "s2"]):
            store.assign(item(f"i{n}"), story, None, NOW)
    store.save_summary("s2", summary(), "fp2", [("World News", 1.0)], NOW)
    assert store.dirty_stories() == ["s1", "s10", "s3"]  # (as text, as the ids sort)
    for story in ("s1", "s10", "s3"):
        store.save_summary(story, summary(), f"fp-{story}", [("World News", 1.0)], NOW)
    assert store.dirty_stories() == []


def test_summary_versions_bump_only_on_material_change() -> None:
    store = Store()
    store.save_poll(FeedState("https://a.example/feed"), [item("i1")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    reader = store.reader()
    assert reader.story("s1") is None  # not published before its first summary
    v0 = reader.version()
    assert store.save_summary("s1", summary(), "fp1", [("World News", 1.0)], NOW)
    assert not store.save_summary("s1", summary(), "fp1", [("World News", 1.0)], NOW)
    story = reader.story("s1")
    assert story is not None and story.version == 1
    assert reader.version() != v0
    v1 = reader.version()
    later = NOW + timedelta(hours=1)
    assert store.save_summary(
        "s1",
        summary(bullets=("Fact one.", "Fact two.")),
        "fp2",
        [("World News", 0.6), ("Business", 0.4)],
        later,
    )
    story = reader.story("s1")
    assert story is not None
    assert (story.version, story.updated, story.first_seen) == (2, later, NOW)
    assert story.categories == ("World News", "Business")
    assert [b.text for b in story.summary.bullets] == ["Fact one.", "Fact two."]  # type: ignore[union-attr]
    assert reader.version() != v1
    assert [s.id for s in reader.stories("Business", 10)] == ["s1"]
    assert [s.id for s in reader.stories(None, 10)] == ["s1"]
    assert reader.stories("Sports", 10) == []


def test_duplicate_candidates_match_url_hash_or_guid() -> None:
    store = Store()
    store.save_poll(
        FeedState("https://a.example/feed"),
        [item("i1", canonical_url="https://a.example/story", content_hash="h1")],
    )
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    other = item("i2", "https://b.example/feed", canonical_url="https://a.example/story")
    assert [c.id for c in store.duplicate_candidates(other)] == ["i1"]
    unrelated = item("i3", "https://b.example/feed", canonical_url="https://b.example/x")
    assert store.duplicate_candidates(unrelated) == []


def test_moving_an_item_takes_its_duplicates_and_reads_no_other_item() -> None:
    store = Store()
    store.save_poll(FeedState("https://a.example/feed"), [item(f"i{n}") for n in range(1, 5)])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
        store.assign(item("i2"), "s1", "i1", NOW)  # a copy of i1
        store.assign(item("i3"), "s1", None, NOW)
        store.assign(item("i4"), "s2", None, NOW)
        store.move_item(item("i1"), "s3", NOW)
    stories = dict(store.conn.execute("SELECT id, story_id FROM items"))
    assert stories == {"i1": "s3", "i2": "s3", "i3": "s1", "i4": "s2"}
    # Found through indexes: a move does not read the whole items table (a grown store).
    plan = store.conn.execute(
        "EXPLAIN QUERY PLAN UPDATE items SET story_id = ? WHERE id = ? OR duplicate_of = ?",
        ["s3", "i1", "i1"],
    ).fetchall()
    assert not any(str(row[-1]).startswith("SCAN items") for row in plan), plan


def test_file_database_is_wal_and_readers_do_not_block_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "agg.db"
    store = Store(path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.sync_sources(SOURCES, NOW)
    reader = store.reader()
    errors: list[BaseException] = []

    def read_many() -> None:
        try:
            for _ in range(200):
                reader.categories()
                reader.stories(None, 5)
        except BaseException as exc:  # pragma: no cover - the failure we look for
            errors.append(exc)

    threads = [threading.Thread(target=read_many) for _ in range(3)]
    for t in threads:
        t.start()
    for n in range(100):
        store.save_poll(FeedState("https://a.example/feed"), [item(f"x{n}")])
    for t in threads:
        t.join()
    assert errors == []
    assert reader.categories() == ["World News", "Business"]
    # migrations are recorded and re-opening is a no-op
    store.close()
    reopened = Store(path)
    assert reopened.db["items"].count == 100
    reopened.close()


def test_the_write_ahead_log_is_cut_back_after_a_big_transaction(tmp_path: Path) -> None:
    """A big pass grows `<db>-wal` past WAL_SIZE_LIMIT; once it is checkpointed and the writer
    starts it over, the file is cut back to the limit instead of staying at its largest for
    as long as the service runs."""
    from aggregator.store_db import WAL_SIZE_LIMIT

    path = tmp_path / "agg.db"
    store = Store(path)
    store.sync_sources(SOURCES, NOW)
    wal = Path(f"{path}-wal")
    text = "word " * 4000  # ~20 KB an item: a transaction of ~24 MB
    with store.transaction():
        for n in range(1200):
            store.save_poll(FeedState("https://a.example/feed"), [item(f"b{n}", text=text)])
    assert wal.stat().st_size > WAL_SIZE_LIMIT
    store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    store.save_poll(FeedState("https://a.example/feed"), [item("small")])  # starts the log over
    assert wal.stat().st_size <= WAL_SIZE_LIMIT
    store.close()


def test_unopenable_database_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StorageError):
        Store(tmp_path / "dir.db")


def test_readers_are_read_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "agg.db")
    reader = store.reader()
    with pytest.raises(sqlite3.OperationalError):
        reader._db().execute("DELETE FROM sources")


def test_a_database_from_before_category_aliases_is_read_as_having_none(tmp_path: Path) -> None:
    """`aggregator serve` reads a read-only database as it is, not migrated: no renames."""
    store = Store(tmp_path / "agg.db")
    store.db.execute("DROP TABLE category_aliases")
    store.close()
    assert Reader(str(tmp_path / "agg.db")).category_aliases() == {}


def test_refiling_a_story_changes_categories_but_not_its_version() -> None:
    store = Store()
    store.save_poll(FeedState("https://a.example/feed"), [item("i1")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    store.save_summary("s1", summary(), "fp1", [("World News", 1.0)], NOW)
    reader = store.reader()
    before = reader.version()
    later = NOW + timedelta(hours=2)
    changed = store.save_summary(
        "s1", summary(), "fp1", [("World News", 0.5), ("Business", 0.5)], later
    )
    assert changed is False
    story = reader.story("s1")
    assert story is not None
    assert (story.version, story.updated) == (1, NOW)
    assert set(story.categories) == {"World News", "Business"}
    assert [s.id for s in reader.stories("Business", 5)] == ["s1"]
    assert reader.version() != before


def test_a_re_added_feed_is_due_at_once_whatever_its_backoff() -> None:
    store = Store()
    store.sync_sources(SOURCES, NOW)
    gone = FeedState(
        SOURCES[0].url, status="gone", error_count=4, next_poll_at=NOW + timedelta(days=365)
    )
    store.save_poll(gone, [])
    store.sync_sources(SOURCES[1:], NOW)
    assert store.sync_sources(SOURCES, NOW) == SourceChanges(1, 0, [])
    due = {s.url: state for s, state in store.feeds_due(NOW)}
    assert SOURCES[0].url in due
    assert (due[SOURCES[0].url].error_count, due[SOURCES[0].url].status) == (0, None)


def test_moving_a_feed_to_another_category_refiles_its_stories() -> None:
    store = Store()
    store.sync_sources(SOURCES, NOW)
    store.save_poll(FeedState(SOURCES[0].url), [item("i1")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    store.save_summary("s1", summary(), "fp1", [("World News", 1.0)], NOW)
    reader = store.reader()
    before = reader.version()
    moved = [Source(SOURCES[0].url, "Outlet A", "World"), SOURCES[1]]
    changes = store.sync_sources(moved, NOW)
    assert changes == SourceChanges(
        0, 0, [(SOURCES[0].url, "World News", "World")], (("World News", "World"),)
    )
    assert reader.version() != before
    assert store.story_items("s1")[0].category == "World"
    assert store.dirty_stories() == ["s1"]


def test_a_rename_refiles_the_items_of_the_categorys_feeds_removed_before() -> None:
    """A story with items of a feed removed earlier had shown both names after a rename."""
    store = Store()
    third = Source("https://c.example/feed", "Outlet C", "World News")
    store.sync_sources([*SOURCES, third], NOW)
    store.save_poll(FeedState(SOURCES[0].url), [item("i1")])
    store.save_poll(FeedState(third.url), [item("i2", feed=third.url, outlet="c.example")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
        store.assign(item("i2", feed=third.url, outlet="c.example"), "s1", None, NOW)
    store.save_summary("s1", summary(), "fp1", [("World News", 1.0)], NOW)
    store.sync_sources(SOURCES, NOW)  # outlet C removed; its item stays
    renamed = [Source(SOURCES[0].url, "Outlet A", "International"), SOURCES[1]]
    assert store.sync_sources(renamed, NOW).renamed == (("World News", "International"),)
    assert {i.category for i in store.story_items("s1")} == {"International"}
    assert store.dirty_stories() == ["s1"]
    business = [Source(SOURCES[0].url, "Outlet A", "Business"), SOURCES[1]]
    store.sync_sources(business, NOW)  # (merged into another: the same)
    assert {i.category for i in store.story_items("s1")} == {"Business"}


def test_a_renamed_category_leaves_its_former_slugs_leading_to_its_new_name() -> None:
    store = Store()
    store.sync_sources(SOURCES, NOW)
    reader = store.reader()
    assert reader.category_aliases() == {}
    renamed = [Source(SOURCES[0].url, "Outlet A", "International"), SOURCES[1]]
    assert store.sync_sources(renamed, NOW).renamed == (("World News", "International"),)
    assert reader.category_aliases() == {"world-news": "International"}
    again = [Source(SOURCES[0].url, "Outlet A", "Global"), SOURCES[1]]
    assert store.sync_sources(again, NOW).renamed == (("International", "Global"),)
    assert reader.category_aliases() == {"world-news": "Global", "international": "Global"}
    # the same sources again: nothing renamed, the aliases stay
    assert store.sync_sources(again, NOW).renamed == ()
    assert store.category_aliases() == reader.category_aliases()
    # a category takes a former slug back: it is that category's again
    back = [Source(SOURCES[0].url, "Outlet A", "World News"), SOURCES[1]]
    assert store.sync_sources(back, NOW).renamed == (("Global", "World News"),)
    assert reader.category_aliases() == {"international": "World News", "global": "World News"}
    # a category removed with its feeds leads nowhere new
    assert store.sync_sources([SOURCES[1]], NOW).renamed == ()
    assert reader.category_aliases() == {"international": "World News", "global": "World News"}


def test_reordering_categories_changes_the_published_version() -> None:
    store = Store()
    store.sync_sources(SOURCES, NOW)
    reader = store.reader()
    before = reader.version()
    store.sync_sources(list(reversed(SOURCES)), NOW)
    assert reader.categories() == ["Business", "World News"]
    assert reader.version() != before


def test_updated_is_the_newest_source_time_and_updates_count_new_outlets() -> None:
    store = Store()
    reader = store.reader()
    store.save_poll(FeedState("https://a.example/feed"), [item("i1")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    poll_time = NOW + timedelta(minutes=40)
    one = SourceRef("Outlet A", "Title", "https://a.example/1", NOW - timedelta(minutes=5))
    first = Summary("H", (Bullet("Fact.", (0,)),), (one,), 1)
    store.save_summary("s1", first, "fp1", [("World News", 1.0)], poll_time)
    story = reader.story("s1")
    assert story is not None
    assert (story.updated, story.added_sources) == (NOW - timedelta(minutes=5), 0)
    later = NOW + timedelta(hours=2)
    others = tuple(
        SourceRef(f"Outlet {n}", "T", f"https://{n}.example/", NOW + timedelta(minutes=m))
        for n, m in (("b", 50), ("c", 70))
    )
    second = Summary("H", (Bullet("Fact.", (0, 1, 2)),), (one, *others), 3)
    store.save_summary("s1", second, "fp2", [("World News", 1.0)], later)
    story = reader.story("s1")
    assert story is not None
    assert (story.version, story.added_sources) == (2, 2)
    assert story.updated == NOW + timedelta(minutes=70)  # the newest source, not the poll
    third = Summary("H2", second.bullets, second.sources, 3)  # an edit: no newer source
    store.save_summary("s1", third, "fp3", [("World News", 1.0)], later)
    story = reader.story("s1")
    assert story is not None
    assert (story.version, story.added_sources, story.updated) == (3, 0, later)


def test_stories_changed_in_one_second_get_distinct_updated_times() -> None:
    store = Store()
    undated = SourceRef("Outlet A", "Title", "https://a.example/1", None, "i1")
    for n in range(3):
        store.save_poll(FeedState("https://a.example/feed"), [item(f"i{n}", guid=f"g{n}")])
        with store.transaction():
            store.assign(item(f"i{n}", guid=f"g{n}"), f"s{n}", None, NOW)
        summary = Summary(f"H{n}", (Bullet("Fact.", (0,)),), (undated,), 1)
        store.save_summary(f"s{n}", summary, f"fp{n}", [("World News", 1.0)], NOW)
    stories = store.reader().stories("World News", 10)
    times = [s.updated for s in stories]
    assert len(set(times)) == 3 and all(t.replace(microsecond=0) == NOW for t in times)
    assert [s.id for s in stories] == ["s2", "s1", "s0"]  # the later change sorts first
    since = store.reader().stories_since("World News", NOW)
    assert len(since) == 3
    # s0 changes again (to the next second), and s3 comes in that second: it had taken the
    # count of the others there, s2's time (a feed with two entries of one atom:updated)
    again = Summary("H0 again", (Bullet("Another fact.", (0,)),), (undated,), 1)
    store.save_summary("s0", again, "fp0b", [("World News", 1.0)], NOW)
    store.save_poll(FeedState("https://a.example/feed"), [item("i3", guid="g3")])
    with store.transaction():
        store.assign(item("i3", guid="g3"), "s3", None, NOW)
    summary = Summary("H3", (Bullet("Fact three.", (0,)),), (undated,), 1)
    store.save_summary("s3", summary, "fp3", [("World News", 1.0)], NOW)
    stories = store.reader().stories("World News", 10)
    assert len({s.updated for s in stories}) == 4
    assert [s.id for s in stories] == ["s0", "s3", "s2", "s1"]


def test_a_story_carries_the_language_most_of_its_sources_feeds_declare() -> None:
    store = Store()
    store.sync_sources(SOURCES, NOW)
    store.save_poll(FeedState(SOURCES[0].url, language="de"), [item("a1"), item("a2")])
    store.save_poll(
        FeedState(SOURCES[1].url, language="en"), [item("b1", SOURCES[1].url, outlet="b.example")]
    )
    with store.transaction():
        store.assign(item("a1"), "a1", None, NOW)
        store.assign(item("a2"), "a1", None, NOW)
        store.assign(item("b1", SOURCES[1].url, outlet="b.example"), "a1", None, NOW)
    store.save_summary("a1", summary(), "fp1", [("World News", 1.0)], NOW)
    story = store.reader().story("a1")
    assert story is not None
    assert story.declared_language == "de"


def test_starting_does_not_load_numpy_or_pandas_for_sqlite_utils(tmp_path: Path) -> None:
    """sqlite-utils would import them (when installed) only to map their column types; a
    start (`poll --once` from cron) skips that cost, and they stay importable afterwards."""
    for name in ("numpy", "pandas"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"LOADED = {name!r}\n")
    code = (
        "import sys\n"
        "from aggregator.store import Store\n"
        "Store(':memory:')\n"
        "assert 'numpy' not in sys.modules and 'pandas' not in sys.modules, sys.modules.keys()\n"
        "import numpy, pandas\n"
        "print(numpy.LOADED, pandas.LOADED)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["numpy", "pandas"]


def test_items_read_as_plain_tuples_equal_items_read_as_rows(tmp_path: Path) -> None:
    """The hot reads (an item's duplicate candidates, a part of a run, a story's items) build
    items from tuples of `ITEM_SELECT`: the same items as from whole rows."""
    from aggregator.store_rows import item_from_row

    store = Store(tmp_path / "db.sqlite")
    try:
        store.sync_sources(SOURCES, NOW)
        odd = item("b", url=None, canonical_url=None, author=None, title="", text="")
        store.insert_items([item("a", url="https://a.example/1", author="Jo"), odd])
        store.assign(item("a"), "s1", None, NOW)
        store.assign(odd, "s1", "a", NOW, furniture=True)
        whole = {r["id"]: item_from_row(r) for r in store._rows("SELECT * FROM items ORDER BY id")}
        assert whole["b"].furniture and whole["b"].duplicate_of == "a"
        assert store.items_by_id(["b", "missing", "a"]) == [whole["b"], whole["a"]]
        assert store.story_items("s1") == sorted(
            whole.values(), key=lambda i: (i.published, i.first_seen, i.id)
        )
        copy = item("c", canonical_url=whole["a"].canonical_url, content_hash="hash-a")
        assert store.duplicate_candidates(copy) == [whole["a"]]
    finally:
        store.close()


def test_near_candidates_are_the_first_twenty_in_order_with_their_hashes(tmp_path: Path) -> None:
    """More than 20 grouped texts share a copy's near keys: its candidates are the first 20
    of them by first seen, guid, feed and id (what one statement sorting every match whole
    gave), read whole with their kept hashes; ungrouped ones and the copy itself are not."""
    from aggregator.near_text import sorted_hashes
    from aggregator.store_rows import ITEM_SELECT, item_from_values

    words = " ".join(f"word{n}" for n in range(60))
    store = Store(tmp_path / "db.sqlite")
    try:
        store.sync_sources(SOURCES, NOW)
        feeds = ("https://a.example/feed", "https://b.example/feed")
        wires = [
            item(
                f"w{n:02d}",
                feeds[n % 2],
                text=words,
                guid=f"g{n * 7 % 30:02d}",
                first_seen=NOW + timedelta(minutes=n % 7),
                canonical_url=None,
            )
            for n in range(30)
        ]
        copy = item("copy", text=words, canonical_url=None)
        store.insert_items([*wires, copy])
        for wire in wires[:27]:  # (the last three wait for a story)
            store.assign(wire, f"s-{wire.id}", None, NOW)
        found, hashes = store.duplicate_candidates_hashed(copy)
        rows = store.conn.execute(
            f"SELECT {ITEM_SELECT} FROM items WHERE story_id IS NOT NULL AND id != 'copy' "
            "ORDER BY first_seen, guid, feed_url, id LIMIT 20"
        ).fetchall()
        whole = [item_from_values(r) for r in rows]
        assert [c.id for c in found] == [i.id for i in whole] and len(found) == 20
        assert [c.id for c in found] != sorted(c.id for c in found)  # (not in id order)
        assert hashes == {c.id: sorted_hashes(words) for c in found}
        assert store.duplicate_candidates(copy) == whole
    finally:
        store.close()


def test_duplicate_candidates_are_read_lean_and_their_texts_once_asked(tmp_path: Path) -> None:
    """A duplicate candidate comes with what the check compares first (links, guid, content
    hash) and what grouping takes of an original (story, `duplicate_of`), as stored; its
    title and text are read from the store when first asked, once."""
    store = Store(tmp_path / "db.sqlite")
    try:
        store.sync_sources(SOURCES, NOW)
        link = "https://a.example/story"
        a = item("a", canonical_url=link, url=link + "?ref=x", title="A title", text="A text")
        b = item("b", canonical_url=link, url=None, guid="urn:b")
        store.insert_items([a, b])
        store.assign(a, "s1", None, NOW)
        store.assign(b, "s1", "a", NOW)
        copy = item("c", "https://b.example/feed", canonical_url=link)
        found, hashes = store.duplicate_candidates_hashed(copy)
        whole = store.items_by_id(["a", "b"])
        assert [c.id for c in found] == ["a", "b"] and hashes == {}
        fields = ("canonical_url", "url", "guid", "content_hash", "story_id", "duplicate_of")
        for candidate, stored in zip(found, whole, strict=True):
            assert [getattr(candidate, f) for f in fields] == [getattr(stored, f) for f in fields]
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        assert (found[0].title, found[0].text) == ("A title", "A text")
        assert (found[0].text, found[1].title) == ("A text", "Title b")
        store.conn.set_trace_callback(None)
        assert len(statements) == 2  # (one read for each candidate asked)
    finally:
        store.close()


def test_a_batch_of_polls_stores_every_state_and_items_and_due_reads_them_back() -> None:
    """`save_polls` writes the items of the polls that brought some and every feed's state
    (one statement for all states); `feeds_due` reads each state back whole."""
    store = Store()
    store.sync_sources(SOURCES, NOW)
    a = FeedState(
        "https://a.example/feed",
        etag='"e"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        body_hash="h",
        status="not_modified",
        http_status=304,
        error_count=0,
        last_polled_at=NOW,
        last_success_at=NOW - timedelta(hours=1),
        next_poll_at=NOW + timedelta(minutes=15),
        moved_to="https://a.example/moved",
        title="A",
        link="https://a.example/",
        language="en",
    )
    b = FeedState("https://b.example/feed", status="ok", http_status=200, last_polled_at=NOW)
    written = store.save_polls(
        [(a, []), (b, [item("b1", b.url), item("b2", b.url)]), (b, [item("b2", b.url)])]
    )
    assert [(w.new, w.updated) for w in written] == [(0, 0), (2, 0), (0, 0)]
    due = {state.url: (source, state) for source, state in store.feeds_due(NOW, everything=True)}
    assert due[a.url][1] == a and due[b.url][1] == b
    assert [s.url for s in store.sources()] == [due[a.url][0].url, due[b.url][0].url]
    assert store.db["items"].count == 2


def test_sync_sources_sees_a_changed_field_of_a_kept_source() -> None:
    store = Store()
    store.sync_sources(SOURCES, NOW)
    renamed = [Source(SOURCES[0].url, "Renamed", SOURCES[0].category), *SOURCES[1:]]
    assert store.sync_sources(renamed, NOW) == SourceChanges(0, 0, [])
    assert store.sources()[0].title == "Renamed"
    no_pages = [replace_articles(SOURCES[0]), *SOURCES[1:]]
    assert store.sync_sources(no_pages, NOW) == SourceChanges(0, 0, [])
    assert [s.articles for s in store.sources()] == [False, *(s.articles for s in SOURCES[1:])]


def replace_articles(source: Source) -> Source:
    return Source(source.url, source.title, source.category, source.html_url, False)


def test_a_grouped_originals_shingle_hashes_are_kept_for_later_candidates(tmp_path: Path) -> None:
    """An original's near-duplicate hashes are kept as it is grouped and come back with it as
    a candidate (its text need not be hashed again); a duplicate keeps none, and pruning
    forgets them with the item."""
    from aggregator.near_text import near_keys, sorted_hashes
    from aggregator.store_upkeep import prune

    words = " ".join(f"word{n}" for n in range(60))
    store = Store(tmp_path / "db.sqlite")
    try:
        store.sync_sources(SOURCES, NOW)
        a, b = item("a", text=words), item("b", text=words + " more")
        short = item("c", text="Some text")
        copy = item("d", text=words, canonical_url=None)
        store.insert_items([a, b, short, copy])
        store.assign(a, "s1", None, NOW)
        store.assign(short, "s1", None, NOW)
        store.assign(b, "s1", "a", NOW)  # (a duplicate: none kept)
        found, hashes = store.duplicate_candidates_hashed(copy)
        assert [c.id for c in found] == ["a"]  # (through its near keys)
        assert hashes == {"a": sorted_hashes(words)} and len(hashes["a"]) == 57
        assert store.duplicate_candidates(copy) == store.items_by_id(["a"])
        kept = store.conn.execute("SELECT item_id FROM near_hashes").fetchall()
        assert kept == [("a",)] and near_keys(words)
        report = prune(store, NOW + timedelta(days=40), NOW + timedelta(days=30), NOW, 0)
        assert report.items >= 3
        assert store.conn.execute("SELECT COUNT(*) FROM near_hashes").fetchone() == (0,)
    finally:
        store.close()


def test_originals_past_near_copies_are_found_by_exact_copies_only(tmp_path: Path) -> None:
    """Retention drops the near keys and hashes of originals first seen before its near
    edge, and of no other: a near copy of an older original is no longer found, an exact
    one (same text hash) still is, and a newer original is found by both; stored items,
    their stories and a later prune are untouched."""
    from aggregator.store_upkeep import drop_near, prune

    words = " ".join(f"word{n}" for n in range(60))
    fresh = " ".join(f"term{n}" for n in range(60))
    store = Store(tmp_path / "db.sqlite")
    try:
        store.sync_sources(SOURCES, NOW)
        old = item("old", text=words, first_seen=NOW - timedelta(days=8))
        new = item("new", text=fresh, first_seen=NOW - timedelta(days=2))
        store.insert_items([old, new])
        store.assign(old, "s1", None, NOW - timedelta(days=8))
        store.assign(new, "s2", None, NOW - timedelta(days=2))
        near_old = item("c1", text=words + " more", canonical_url=None, content_hash="x")
        exact_old = item("c2", text=words, canonical_url=None, content_hash="hash-old")
        near_new = item("c3", text=fresh + " more", canonical_url=None, content_hash="y")
        store.insert_items([near_old, exact_old, near_new])

        def found(copy: Item) -> list[str]:
            return [c.id for c in store.duplicate_candidates_hashed(copy)[0]]

        assert (found(near_old), found(exact_old), found(near_new)) == (["old"], ["old"], ["new"])
        report = prune(
            store, NOW, NOW - timedelta(days=30), NOW, 0, near_before=NOW - timedelta(days=7)
        )
        assert (report.stories, report.items, report.near_dropped) == (0, 0, 1)
        assert (found(near_old), found(exact_old), found(near_new)) == ([], ["old"], ["new"])
        kept = store.conn.execute("SELECT DISTINCT item_id FROM near_keys").fetchall()
        assert kept == [("new",)]
        assert store.conn.execute("SELECT item_id FROM near_hashes").fetchall() == [("new",)]
        assert [i.story_id for i in store.items_by_id(["old", "new"])] == ["s1", "s2"]
        assert drop_near(store, NOW - timedelta(days=7)) == 0  # (nothing left to drop)
        assert drop_near(store, NOW, limit=0) == 0  # (a prune drops at most its limit) …
        assert found(near_new) == ["new"]
        assert drop_near(store, NOW, limit=1) == 1 and found(near_new) == []  # … then goes on
        assert prune(store, NOW, NOW - timedelta(days=30), NOW, 0).near_dropped == 0
    finally:
        store.close()


def test_a_rewritten_text_drops_or_replaces_the_near_rows_it_had() -> None:
    """A poll's edit of a grouped original's text replaces its near keys and hashes with its
    new text's, or drops them when the new text is too short to compare; a duplicate (which
    keeps none) and an item not yet grouped gain none."""
    from aggregator.near_text import near_keys, pack_hashes, sorted_hashes

    words = " ".join(f"word{n}" for n in range(60))
    other = " ".join(f"term{n}" for n in range(60))
    store = Store()
    try:
        state = FeedState("https://a.example/feed")
        a, b, c = item("a", text=words), item("b", text=words), item("c", text=words)
        store.save_poll(state, [a, b, c])
        store.assign(a, "s1", None, NOW)
        store.assign(b, "s1", "a", NOW)
        changed = [item(i, text=other, content_hash=f"changed-{i}") for i in ("a", "b", "c")]
        assert store.save_poll(state, changed).updated == 3
        keys = store.conn.execute("SELECT key, item_id FROM near_keys ORDER BY key").fetchall()
        assert keys == [(k, "a") for k in sorted(near_keys(other))]
        hashes = store.conn.execute("SELECT item_id, hashes FROM near_hashes").fetchall()
        assert hashes == [("a", pack_hashes(sorted_hashes(other)))]
        store.save_poll(state, [item("a", text="Too short now", content_hash="short")])
        assert store.conn.execute("SELECT COUNT(*) FROM near_keys").fetchone() == (0,)
        assert store.conn.execute("SELECT COUNT(*) FROM near_hashes").fetchone() == (0,)
    finally:
        store.close()


def test_a_source_is_stored_after_a_full_disk_misled_sqlite_utils_probe(tmp_path: Path) -> None:
    """sqlite-utils probes once whether ON CONFLICT works and, when the probe meets a full disk
    (or a locked database), upserts the key alone ever after: `category NOT NULL` made that a
    silent no-op, and a feed added to the OPML was never polled."""
    store = Store(tmp_path / "agg.db")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    assert store.db.supports_on_conflict is False  # the probe met the full disk, and keeps that
    store.conn.execute("PRAGMA max_page_count = 1000000")
    store.sync_sources(SOURCES, NOW)
    assert [s.url for s in store.sources()] == [s.url for s in SOURCES]
    assert [s.url for s, _ in store.feeds_due(NOW)] == [s.url for s in SOURCES]


def test_a_new_picture_is_saved_alone_and_no_picture_writes_nothing() -> None:
    """A picture is no part of the fingerprint: a new one is written (and the pages made
    again) without a new version; saving the same summary again writes nothing."""
    store = Store()
    store.save_poll(FeedState("https://a.example/feed"), [item("i1")])
    with store.transaction():
        store.assign(item("i1"), "s1", None, NOW)
    reader = store.reader()
    categories = [("World News", 1.0)]
    assert store.save_summary("s1", summary(), "fp1", categories, NOW) is True
    site = reader.version()
    assert store.save_summary("s1", summary(), "fp1", categories, NOW) is False
    assert reader.version() == site  # nothing changed: pages and feeds stand
    pictured = dataclasses.replace(summary(), image="https://a.example/1.jpg", image_source=0)
    assert store.save_summary("s1", pictured, "fp1", categories, NOW) is False
    assert reader.version() != site  # the pages and feeds are made again …
    (story,) = reader.stories(None, 10)
    assert story.version == 1  # … and the story is no newer for it
    assert story.summary is not None and story.summary.image == "https://a.example/1.jpg"
    assert story.summary.image_source == 0
    site = reader.version()
    assert store.save_summary("s1", pictured, "fp1", categories, NOW) is False
    assert reader.version() == site
    # the picture gone (its item's feed dropped it): once, then nothing again
    assert store.save_summary("s1", summary(), "fp1", categories, NOW) is False
    assert reader.version() != site
    (story,) = reader.stories(None, 10)
    assert story.summary is not None and story.summary.image is None
    site = reader.version()
    assert store.save_summary("s1", summary(), "fp1", categories, NOW) is False
    assert reader.version() == site


def test_a_sites_default_picture_is_no_items() -> None:
    """Article pages that give several of one feed's items one picture give the site's
    default: it leaves the items that took it, and no later item takes it."""
    store = Store()
    store.save_poll(FeedState("https://a.example/feed"), [item(f"i{n}") for n in range(1, 6)])
    with store.transaction():
        for n in range(1, 6):
            store.assign(item(f"i{n}"), f"s{n}", None, NOW)
    for n in range(1, 6):
        store.save_summary(f"s{n}", summary(), "fp", [("World News", 1.0)], NOW)
    default, own = "https://a.example/default.png", "https://a.example/photo.jpg"

    def page(item_id: str, picture: str) -> None:
        store.save_articles([(item_id, f"https://a.example/{item_id}", "ok", None, "Text.")],
                            NOW, pictures={item_id: picture})  # fmt: skip

    def images() -> list[str | None]:
        return [store.db["items"].get(f"i{n}")["image"] for n in range(1, 6)]

    page("i1", default)
    page("i2", default)
    page("i5", own)
    assert images() == [default, default, None, None, own]
    for n in range(1, 6):
        store.save_summary(f"s{n}", summary(), "fp", [("World News", 1.0)], NOW)
    page("i3", default)  # the third: the site's default
    assert images() == [None, None, None, None, own]
    # s1 and s2 summarised again (their pictures chosen anew); s3 for its page's text
    assert set(store.dirty_stories()) == {"s1", "s2", "s3"}
    page("i4", default)
    assert images() == [None, None, None, None, own]


def test_a_feed_marked_as_asked_is_unmarked_by_its_stored_answer_and_no_earlier() -> None:
    """`run` marks the feeds a pass left in flight (`status` reads it); the answer's own
    write clears the mark, and a mark that comes after the answer was stored is not made."""
    store = Store()
    before = FeedState("https://a.example/feed", status="ok", last_polled_at=NOW)
    other = FeedState("https://b.example/feed", status="ok", last_polled_at=NOW)
    store.save_polls([(before, []), (other, [])])

    def asking() -> dict[str, str | None]:
        rows = store.conn.execute("SELECT url, asking_since FROM feeds ORDER BY url")
        return dict(rows.fetchall())

    asked = NOW + timedelta(minutes=5)
    store.mark_asking([(before.url, asked, NOW)])
    assert asking() == {before.url: to_iso(asked), other.url: None}
    store.save_poll(dataclasses.replace(before, last_polled_at=asked), [])
    assert asking()[before.url] is None
    # (the other feed answered and was stored before the pass's mark was written)
    store.save_poll(dataclasses.replace(other, last_polled_at=asked), [])
    store.mark_asking([(other.url, asked, NOW)])
    assert asking()[other.url] is None
    # a poll that ended storing nothing is unmarked by name; a start clears every mark
    store.mark_asking([(before.url, asked, asked)])
    store.mark_asking([], [before.url])
    assert asking()[before.url] is None
    store.mark_asking([(before.url, asked, asked)])
    assert store.clear_asking() == 1 and set(asking().values()) == {None}


def test_feed_hosts_are_where_the_feeds_are_read_moved_ones_too() -> None:
    """The picture proxy lets a picture inside the network only at a listed feed's host and
    port: a feed listed at http:// that moved for good to https:// of its host (an
    intranet's usual redirect) is read there, and its pictures there are the operator's
    too, as the service's own fetcher, which follows the move, finds them."""
    store = Store()
    listed = Source("http://intranet.example/feed.xml", "Intranet", "Local")
    gone = Source("http://10.0.0.7/feed.xml", "Gone", "Local")  # (moved to another host)
    store.sync_sources([listed, gone, Source("http://[::1]:1200/rss", "Bridge", "Local")], NOW)
    state = FeedState(listed.url, status="ok", http_status=200, last_polled_at=NOW)
    store.save_poll(dataclasses.replace(state, moved_to="https://intranet.example/feed"), [])
    state = dataclasses.replace(state, url=gone.url, moved_to="http://10.0.0.8:8080/feed.xml")
    store.save_poll(state, [])
    assert Reader(":memory:", shared=store).feed_hosts() == {
        ("intranet.example", 80),
        ("intranet.example", 443),
        ("10.0.0.7", 80),
        ("::1", 1200),
    }
