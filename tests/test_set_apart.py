"""An article the operator sets apart (`apart URL` in the withheld list) leaves the story
grouping put it in, with other feeds' copies of it, for a story of its own that is published
and that nothing joins; the story it left keeps its id. A restart, a later report and its
article page's text keep it there. Stories the operator joins (`join STORY STORY`) become one
under the older id, and later reports of either join it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from news_fixture import SOURCE_URLS, serve_feeds
from test_furniture_leaves import FLOOD_TITLE, LATER_FLOOD, _filler_entries, _window
from test_furniture_publish import FLOOD, NOW, _entry_item, _job, _published
from test_service import poll_new
from test_withheld import _quake
from upstream import Upstream

from aggregator.cli import main
from aggregator.cluster import Clusterer, moved_story_id
from aggregator.dedupe import canonical_url
from aggregator.errors import ConfigError
from aggregator.grouping import join_stories
from aggregator.models import Item
from aggregator.store import Store
from aggregator.withheld import Withheld, parse_withheld

# A third report of the levee's breach, in words of its own.
THIRD = (
    "Arne levee fails at Tolsby; boats reach trapped families",
    "Boats reached families trapped on rooftops in Tolsby after the levee on the river Arne "
    "gave way on Thursday; about 2,000 residents left their homes, the regional governor said.",
)

LATER_REPORT = (
    "Arne floods Tolsby after levee gives way",
    "Some 2,000 people left Tolsby for shelters when the levee on the river Arne gave way on "
    "Thursday; the regional governor called in the army, and rescue crews in boats worked "
    "through the night.",
)


def test_the_list_takes_articles_set_apart() -> None:
    withheld = parse_withheld(
        "apart https://www.paper.example/2025/02/piece.html?utm_source=rss  # a wrong merge\n"
        "APART \t https://wire.example/a\n"
        "https://paper.example/other\n"
    )
    assert withheld.apart == {"https://paper.example/2025/02/piece.html", "https://wire.example/a"}
    assert withheld.articles == {"https://paper.example/other"}
    assert Withheld.from_lines(withheld.to_lines()) == withheld
    assert Withheld.from_stored(withheld.stored()) == withheld
    assert bool(Withheld(apart=frozenset({"https://wire.example/a"})))
    # an article set apart is published: only the withheld are left out
    piece = Item("a", "Piece", url="https://paper.example/2025/02/piece.html")
    assert withheld.published("s", [piece]) == [piece]
    with pytest.raises(ConfigError, match="line 2: 'apart' takes one article's http"):
        parse_withheld("https://paper.example/x\napart\n")
    with pytest.raises(ConfigError, match="line 1: 'apart' takes one article's http"):
        parse_withheld("apart ftp://paper.example/piece\n")
    with pytest.raises(ConfigError, match="line 1: 'apart' takes one article's http"):
        parse_withheld("apart https://news.example.org/stories/0123456789abcdef\n")
    with pytest.raises(ConfigError, match="line 1: 'apart' takes one article's http"):
        parse_withheld("apart https://paper.example/a https://paper.example/b\n")


def _flood_items() -> tuple[Item, Item, Item, Item]:
    """Three outlets' reports of one flood, and a fourth feed's copy of the second."""
    first = _entry_item(1, FLOOD_TITLE, FLOOD, 0)
    second = _entry_item(2, *LATER_FLOOD, 10)
    third = _entry_item(3, *THIRD, 20)
    copy = _entry_item(4, *LATER_FLOOD, 15)
    return first, second, third, copy


@pytest.mark.parametrize("restart", [False, True])
def test_an_article_set_apart_is_published_alone_and_nothing_joins_it(
    tmp_path: Path, restart: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    first, second, third, copy = _flood_items()
    store = Store(db)
    try:
        store.insert_items([*_filler_entries(), first, second, third, copy])
        job = _job(store)
        job.run()
        story = store.story_ids([first.id])[first.id]
        assert set(store.story_ids([second.id, third.id, copy.id]).values()) == {story}
        stored_copy = store.items_by_id([copy.id])[0]
        assert stored_copy.duplicate_of == second.id
        assert sorted(_published(store)[story]) == sorted(i.id for i in _flood_items())

        apart = Withheld(apart=frozenset({canonical_url(second.url or "") or ""}))
        assert store.set_withheld(apart) == []  # (nothing is summarised again for it alone)
        job.run()
        own = moved_story_id(second.id, story)
        where = store.story_ids([first.id, second.id, third.id, copy.id])
        assert where == {first.id: story, second.id: own, third.id: story, copy.id: own}
        published = _published(store)
        assert sorted(published[story]) == sorted([first.id, third.id])  # it keeps its id
        assert sorted(published[own]) == sorted([second.id, copy.id])  # a story of its own
        assert job.clusterer.profile_ids(second.id) == []  # it stands for nothing
        job.run()  # a later pass changes nothing
        assert store.story_ids([second.id])[second.id] == own

        if restart:  # a restarted service restores the window the service kept
            restored = Clusterer()
            restored.restore(*store.grouping_state(NOW - timedelta(days=3)))
            assert _window(restored) == _window(job.clusterer)
            for suffix in (".grouping",):  # (from the items, not a snapshot)
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            job = _job(store)
        # a later report of the flood joins the flood's story; a copy of the article set
        # apart (a word changed) joins that article, as its copy
        later = _entry_item(5, *LATER_REPORT, 30)
        wire = _entry_item(6, LATER_FLOOD[0], LATER_FLOOD[1].replace("about", "some"), 35)
        store.insert_items([later, wire])
        job.run()
        assert store.story_ids([later.id, wire.id]) == {later.id: story, wire.id: own}
        assert store.items_by_id([wire.id])[0].duplicate_of == second.id
        # its article page arrives: it is not weighed again, and stays where it was put
        store.save_articles([(second.id, second.url or "", "ok", None, THIRD[1])], NOW)
        assert store.articles_to_regroup() == []
        job.run()
        assert store.story_ids([second.id])[second.id] == own
    finally:
        store.close()
    assert main(["story", second.url or "", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"STORY {own}: published")
    assert re.search(r"Outlet 2: Tolsby levee.*\(set apart\)", shown)
    assert re.search(r"Outlet 4: Tolsby levee.*\(copy of \[1\]\)", shown)


def test_the_service_reads_apart_from_the_withheld_file_and_status_counts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="World">'
        '<outline type="rss" text="A" xmlUrl="https://a.example/feed"/>'
        "</outline></body></opml>"
    )
    (tmp_path / "withheld.txt").write_text(
        "https://paper.example/gone\napart https://paper.example/wrong-merge\n"
    )
    assert main(["check", "--opml", str(opml)]) == 0
    said = capsys.readouterr().out
    assert "1 article withheld; 1 article set apart" in said
    db = tmp_path / "agg.db"
    store = Store(db)
    try:
        store.set_withheld(parse_withheld((tmp_path / "withheld.txt").read_text()))
    finally:
        store.close()
    assert main(["status", "--db", str(db)]) == 0
    assert "WITHHELD 0 stories and 1 article, 1 article set apart" in capsys.readouterr().out


def test_a_pass_with_nothing_new_carries_out_apart_and_join_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """… and a story id the database does not hold (mistyped) is left out, and said."""
    typo = "0123456789abcdef"
    sources, db = tmp_path / "feeds.opml", tmp_path / "agg.db"
    planet = SOURCE_URLS["quake"][0]  # Daily Planet's report, in the earthquake's story

    async def scenario() -> None:
        async with Upstream() as up:
            serve_feeds(up, sources)
            await poll_new(sources, db, everything=True)
            story, links, _ = _quake(db)
            assert planet in links and len(links) == 3
            (tmp_path / "withheld.txt").write_text(f"apart {planet}\n")
            report = await poll_new(sources, db, everything=True)  # (every feed unchanged)
            assert report.items_new == 0
            store = Store(db)
            try:
                reader = store.reader()
                left = reader.story(story)
                own = reader.story(reader.story_of_article(canonical_url(planet) or "") or "")
            finally:
                store.close()
            assert left is not None and left.summary is not None
            assert planet not in [s.url for s in left.summary.sources]
            assert len(left.summary.sources) == 2  # it keeps its id and its other reports
            assert own is not None and own.id != story and own.summary is not None
            assert [s.url for s in own.summary.sources] == [planet]
            # and a `join` line: the two stories are one at the next pass, with nothing new
            line = f"join https://news.example.org/stories/{story} {own.id} {typo}\n"
            (tmp_path / "withheld.txt").write_text(f"apart {planet}\n{line}")
            with caplog.at_level(logging.WARNING, logger="aggregator"):
                await poll_new(sources, db, everything=True)
            warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert any(
                "names 1 story the database does not hold" in m and m.endswith(typo) for m in warned
            )
            store = Store(db)
            try:  # (one goes into the other: the one whose first report is older)
                reader = store.reader()
                merged = {reader.merged_into(own.id), reader.merged_into(story)} - {None}
                kept = merged.pop() if len(merged) == 1 else ""
                joined = reader.story(kept)
            finally:
                store.close()
            assert kept in (story, own.id) and joined is not None and joined.summary is not None
            assert len(joined.summary.sources) == 3 and planet in [
                s.url for s in joined.summary.sources
            ]

    asyncio.run(scenario())
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    said = capsys.readouterr().out
    held = "WITHHELD names 1 story the database does not hold (mistyped, or pruned since)"
    assert f"{held}: {typo}" in said
    assert main(["status", "--json", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["withheld"]["not_held"] == [typo]
    # `check` says it too when given the database (read only), before a reload
    assert main(["check", "--opml", str(sources), "--db", str(db)]) == 0
    said = capsys.readouterr().err
    assert f"names 1 story {db} does not hold (mistyped, or pruned since): {typo}" in said
    assert main(["check", "--opml", str(sources)]) == 0  # (without it, no database is read)
    assert "does not hold" not in capsys.readouterr().err
    missing = tmp_path / "nowhere.db"
    assert main(["check", "--opml", str(sources), "--db", str(missing)]) != 0
    assert "no database there" in capsys.readouterr().err and not missing.exists()


# Two reports of the flood that grouping keeps apart (they share only the river's name), and
# a later one in the second's words.
ARMY = (
    "Army called in as Arne rises",
    "Soldiers were sent to the valley on Thursday to help rescue crews, the regional governor "
    "said, as the river kept rising after days of rain.",
)
ARMY_LATER = (
    "Soldiers join rescue crews as the Arne keeps rising",
    "Soldiers joined rescue crews in the valley on Thursday, the regional governor said, as "
    "the river kept rising after days of heavy rain.",
)


def test_the_list_takes_stories_to_join() -> None:
    withheld = parse_withheld(
        "join 0123456789abcdef https://news.example.org/stories/fedcba9876543210  # one event\n"
        "JOIN fedcba9876543210 0123456789abcdef 0123456789abcdef\n"
    )
    assert withheld.joins == {("0123456789abcdef", "fedcba9876543210")}
    assert Withheld.from_stored(withheld.stored()) == withheld
    assert withheld.mends() == ["1 join of stories"]
    with pytest.raises(ConfigError, match=r"line 1: 'join' takes two or more stories .*, 1 given"):
        parse_withheld("join 0123456789abcdef 0123456789abcdef\n")
    with pytest.raises(ConfigError, match=r"line 1: 'join' takes two or more .*not 'https://p"):
        parse_withheld("join 0123456789abcdef https://paper.example/piece\n")


@pytest.mark.parametrize("restart", [False, True])
def test_stories_joined_are_one_under_the_older_id_and_take_the_others_reports(
    tmp_path: Path, restart: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    flood = _entry_item(1, FLOOD_TITLE, FLOOD, 0)
    army = _entry_item(2, *ARMY, 10)
    store = Store(db)
    try:
        store.insert_items([*_filler_entries(), flood, army])
        job = _job(store)
        job.run()
        stories = store.story_ids([flood.id, army.id])
        assert stories[flood.id] != stories[army.id]  # two stories to grouping
        older, younger = stories[flood.id], stories[army.id]
        store.set_withheld(Withheld(joins=frozenset({tuple(sorted([younger, older]))})))
        job.run()
        assert store.story_ids([flood.id, army.id]) == {flood.id: older, army.id: older}
        assert sorted(_published(store)[older]) == sorted([flood.id, army.id])
        assert younger not in _published(store)
        assert store.reader().merged_into(younger) == older  # its page leads there
        assert store.stories_to_join(store.withheld().joins) == []  # done: no more to do
        if restart:
            restored = Clusterer()
            restored.restore(*store.grouping_state(NOW - timedelta(days=3)))
            assert _window(restored) == _window(job.clusterer)
            Path(f"{db}.grouping").unlink(missing_ok=True)
            job = _job(store)
        # a later report of the story merged away joins the story kept
        later = _entry_item(3, *ARMY_LATER, 40)
        store.insert_items([later])
        job.run()
        assert store.story_ids([later.id])[later.id] == older
    finally:
        store.close()
    assert main(["status", "--db", str(db)]) == 0
    assert "WITHHELD 0 stories and 0 articles, 1 join of stories" in capsys.readouterr().out


def test_stories_no_longer_taking_items_are_joined_in_the_store(tmp_path: Path) -> None:
    flood = _entry_item(1, FLOOD_TITLE, FLOOD, 0)
    army = _entry_item(2, *ARMY, 10)
    store = Store(tmp_path / "agg.db")
    try:
        store.insert_items([*_filler_entries(), flood, army])
        _job(store).run()
        stories = store.story_ids([flood.id, army.id])
        ids = tuple(sorted(stories.values()))
        merged = join_stories(store, Clusterer(), store.stories_to_join({ids}), NOW)
        assert merged == 1  # (an empty window: none active) into the one that began first
        assert store.story_ids([flood.id, army.id]) == {flood.id: stories[flood.id]} | {
            army.id: stories[flood.id]
        }
    finally:
        store.close()
