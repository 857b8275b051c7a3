"""What the operator withholds from publication (`withheld.txt` beside the OPML): an article
left out of its story, a story taken out of every feed, page and export, both given back when
their line goes; a broken edit keeps the last good list. Feeds are the invented fixture
outlets, served on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import pytest
from news_fixture import SOURCE_URLS, serve_feeds
from test_service import poll_new
from upstream import Upstream

from aggregator.cli import main
from aggregator.dedupe import canonical_url
from aggregator.errors import ConfigError
from aggregator.export import export_site
from aggregator.models import Item
from aggregator.publish import PublishSettings
from aggregator.site import Site
from aggregator.store import Store
from aggregator.withheld import Withheld, parse_withheld

STORY = "3f2a9c1e0b7d4a55"


def test_the_list_takes_story_ids_story_addresses_and_article_addresses() -> None:
    withheld = parse_withheld(
        "# taken down on request\n"
        f"{STORY}\n"
        "  https://news.example.org/stories/0123456789abcdef/  # its page\n"
        "https://news.example.org/stories/00112233445566ff   # its page, as linked before\n"
        "https://news.example.org/agg/stories/fedcba9876543210/updates.atom\n"
        "https://www.paper.example/2025/02/piece.html?utm_source=rss#comments\n"
        "\n"
    )
    assert withheld.stories == {STORY, "0123456789abcdef", "00112233445566ff", "fedcba9876543210"}
    assert withheld.articles == {"https://paper.example/2025/02/piece.html"}
    assert Withheld.from_lines(withheld.to_lines()) == withheld
    with pytest.raises(ConfigError, match=r"withheld.txt: line 2: 'not a link' is neither"):
        parse_withheld(f"{STORY}\nnot a link\n")
    with pytest.raises(ConfigError, match="line 1"):
        parse_withheld("ftp://paper.example/piece\n")
    # an id typed or pasted in capitals is that id (the whole list had been refused)
    assert parse_withheld("0123456789ABCDEF\n").stories == {"0123456789abcdef"}


def test_an_article_withheld_takes_its_copies_from_other_feeds_with_it() -> None:
    piece = Item("a", "Piece", url="https://www.paper.example/piece")
    copy = Item("b", "Piece", url="https://paper.example/piece?utm_medium=feed", duplicate_of="a")
    other = Item("c", "Other", url="https://wire.example/other")
    withheld = parse_withheld("https://paper.example/piece\n")
    assert withheld.published("s", [piece, copy, other]) == [other]
    assert Withheld(frozenset({"s"})).published("s", [other]) == []
    assert Withheld().published("s", [piece, other]) == [piece, other]


def _quake(db: Path) -> tuple[str, list[str], int]:
    """The earthquake story as published: its id, its sources' links and its version; an
    empty id when it is not published."""
    store = Store(db)
    try:
        reader = store.reader()
        found = [s for s in reader.stories(None, 50) if "Chile" in s.headline]
        if not found:
            return "", [], 0
        story = found[0]
        assert story.summary is not None
        return story.id, [s.url or "" for s in story.summary.sources], story.version
    finally:
        store.close()


def test_withheld_articles_and_stories_leave_every_output_and_come_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    sources, db, out = tmp_path / "feeds.opml", tmp_path / "agg.db", tmp_path / "site"
    withheld = tmp_path / "withheld.txt"
    planet = SOURCE_URLS["quake"][0]  # Daily Planet's report (its world and top feeds carry it)

    def export() -> int:
        store = Store(db)
        try:
            settings = PublishSettings(base_url="https://news.example.org/", search=False)
            return export_site(Site(store.reader(), settings), out).withdrawn
        finally:
            store.close()

    async def scenario() -> None:
        async with Upstream() as up:
            serve_feeds(up, sources)
            await poll_new(sources, db, everything=True)
            story, links, version = _quake(db)
            assert planet in links and len(links) == 3 and version == 1
            assert export() == 0 and (out / "stories" / story / "index.html").exists()

            withheld.write_text(f"\ufeff# legal request 2026-12-01\n{planet}?utm_source=x\n")
            with caplog.at_level(logging.INFO, logger="aggregator"):
                await poll_new(sources, db, everything=True)
            said = [r.getMessage() for r in caplog.records]
            logged = f"withheld={withheld} stories=0 articles=1 apart=0 joins=0 stories_changed=1"
            assert logged in said
            same, links, version = _quake(db)
            assert same == story and planet not in links and len(links) == 2 and version == 2
            page = (out / "stories" / story / "index.html").read_bytes()
            assert export() == 0
            assert (out / "stories" / story / "index.html").read_bytes() != page
            assert b"dailyplanet" not in (out / "stories" / story / "index.html").read_bytes()
            capsys.readouterr()  # `aggregator story` shows what is withheld, by any reference
            assert main(["story", planet, "--db", str(db)]) == 0
            shown = capsys.readouterr().out
            assert shown.startswith(f"STORY {story}: published, version 2")
            planet_lines = [line for line in shown.splitlines() if "Powerful 7.1" in line]
            assert planet_lines and all("withheld" in line for line in planet_lines)
            assert re.search(r"copy of \[\d\], withheld", shown)  # (its other feed's copy too)
            page = f"https://news.example.org/stories/{story}"
            assert main(["story", page, "--db", str(db), "--json"]) == 0
            record = json.loads(capsys.readouterr().out)
            assert record["id"] == story and record["withheld"] is False
            assert sum(item["withheld"] for item in record["items"]) == 2
            assert main(["story", "https://nowhere.example/x", "--db", str(db)]) == 1
            assert "no story for 'https://nowhere.example/x'" in capsys.readouterr().err
            assert main(["story", " ", "--db", str(db)]) == 1  # (no reference at all)
            assert "no story for ' '" in capsys.readouterr().err
            assert main(["status", "--db", str(db)]) == 0
            said_status = capsys.readouterr().out
            assert "WITHHELD 0 stories and 1 article (the list beside the OPML" in said_status
            assert main(["status", "--db", str(db), "--json"]) == 0
            report = json.loads(capsys.readouterr().out)
            assert report["withheld"] == {
                "stories": [],
                "articles": [canonical_url(planet)],
                "apart": [],
                "joins": [],
                "not_held": [],
            }

            withheld.write_text(f"{planet}\nhttps://news.example.org/stories/{story}\n")
            await poll_new(sources, db, everything=True)
            assert _quake(db)[0] == ""  # in no feed or page
            assert Store(db).reader().story(story) is None
            assert export() == 1 and not (out / "stories" / story).exists()
            assert story.encode() not in (out / "feeds" / "all.atom").read_bytes()

            withheld.write_text(f"{planet}\nnot a line\n")  # a broken edit: the last list holds
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="aggregator"):
                await poll_new(sources, db, everything=True, strict=False)
            assert any(
                "line 2: 'not a line' is neither" in r.getMessage()
                and "keeping the last good list" in r.getMessage()
                for r in caplog.records
            )
            assert _quake(db)[0] == ""
            capsys.readouterr()  # the refused edit is shown until a good one is read
            assert main(["status", "--db", str(db)]) == 0
            assert "WITHHELD LIST EDIT REFUSED " in capsys.readouterr().out
            assert main(["status", "--db", str(db), "--json"]) == 0
            report = json.loads(capsys.readouterr().out)
            assert report["status"] == "warning"
            assert "withheld list edit refused since" in report["warnings"][0]
            assert "line 2: 'not a line'" in report["withheld_refused"]["error"]
            with pytest.raises(ConfigError, match="line 2"):  # at start: stops, as an OPML does
                await poll_new(sources, db, everything=True)

            withheld.unlink()  # every line gone: published again, whole
            await poll_new(sources, db, everything=True)
            again, links, version = _quake(db)
            # (on from the version it had, so its own feed's new entry is news to a reader)
            assert again == story and planet in links and version == 3
            assert export() == 0
            updates = (out / "stories" / story / "updates.atom").read_text()
            assert f"<id>urn:aggregator:story:{story}:v3</id>" in updates
            assert "(update 2)</title>" in updates
            assert main(["status", "--db", str(db), "--json"]) == 0
            report = json.loads(capsys.readouterr().out)
            assert "withheld_refused" not in report and report["status"] == "ok"
            assert (out / "stories" / story / "index.html").exists()

    asyncio.run(scenario())
    # (as a Windows editor saves it: a byte-order mark, CRLF line ends)
    withheld.write_bytes(f"\ufeff{STORY}\r\nhttps://paper.example/piece\r\n".encode())
    capsys.readouterr()
    assert main(["check", "--opml", str(sources)]) == 0
    assert f"{withheld}: 1 story and 1 article withheld" in capsys.readouterr().out
    withheld.write_text("a story\n")
    assert main(["check", "--opml", str(sources)]) == 2
    assert "line 1: 'a story' is neither" in capsys.readouterr().err
