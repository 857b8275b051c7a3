"""Newsboat, a widely used terminal feed reader, reads our Atom and RSS feeds: every item's title,
link and body arrive, and re-reading after a poll that changed nothing upstream shows 0 new and
0 updated items. CI installs the Debian package (see .ci/run); without it this is skipped."""

from __future__ import annotations

import html
import os
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from news_fixture import LIBRARY, QUAKE, _entry, rss
from published import Instance, published_instance

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(
    NEWSBOAT is None, reason="newsboat is not installed (apt-get install newsboat)"
)
METRO_ENTRIES = [_entry(*QUAKE[2], 20), _entry(*LIBRARY, 50)]  # as news_fixture.feeds() has them
FEEDS = ["/feeds/all.atom", "/feeds/all.rss", "/feeds/world-news/top.atom"]


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with published_instance(tmp_path_factory.mktemp("newsboat")) as running:
        yield running


class Newsboat:
    """One newsboat profile (urls, config, cache) subscribed to one feed."""

    def __init__(self, home: Path, url: str) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        (home / "urls").write_text(url + "\n")
        # Readers who want updated items shown again list the feed here.
        (home / "config").write_text(f'reset-unread-on-update "{url}"\n')

    def reload(self) -> None:
        assert NEWSBOAT is not None
        subprocess.run(
            [NEWSBOAT, "-u", "urls", "-c", "cache.db", "-C", "config", "-x", "reload"],
            cwd=self.home,
            env={**os.environ, "HOME": str(self.home)},
            capture_output=True,
            timeout=60,
            check=True,
        )

    def items(self) -> dict[str, tuple[str, str, str, int, int]]:
        """guid → (title, url, content, pubDate, unread) from newsboat's own cache."""
        with sqlite3.connect(self.home / "cache.db") as db:
            rows = db.execute("SELECT guid, title, url, content, pubDate, unread FROM rss_item")
            return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def mark_all_read(self) -> None:
        with sqlite3.connect(self.home / "cache.db") as db:
            db.execute("UPDATE rss_item SET unread = 0")


def served(url: str) -> dict[str, feedparser.FeedParserDict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {e.id: e for e in feedparser.parse(response.read()).entries}


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.mark.parametrize("path", FEEDS)
def test_newsboat_gets_every_item_then_nothing_new_after_an_idle_poll(
    instance: Instance, tmp_path: Path, path: str
) -> None:
    url = instance.root + path
    with urllib.request.urlopen(url, timeout=10) as response:
        published = feedparser.parse(response.read())
    assert published.entries, "the fixture publishes stories"
    reader = Newsboat(tmp_path / "profile", url)
    reader.reload()
    items = reader.items()
    assert set(items) == {e.id for e in published.entries}
    for entry in published.entries:
        title, link, content, _, unread = items[entry.id]
        assert (title, link, unread) == (entry.title, entry.link, 1)
        body = text_of(entry.content[0].value)
        assert "Summary based on" in body and text_of(content) == body
    reader.mark_all_read()
    before = reader.items()

    assert ": 0 new items, 0 updated, 0 stories changed" in instance.poll()  # idle upstream
    reader.reload()
    after = reader.items()
    assert after == before  # no new item, none updated, none unread again


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_a_material_update_reaches_newsboat_with_its_note(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "instance").mkdir()
    with published_instance(tmp_path / "instance") as instance:
        url = instance.root + f"/feeds/all.{fmt}"
        reader = Newsboat(tmp_path / "profile", url)
        reader.reload()
        reader.mark_all_read()
        before = reader.items()
        served_before = served(url)
        # A third outlet covers the interest-rate story.
        extra = _entry(
            "metrotimes.example",
            "Central bank lifts interest rates to 4.5% in its fight against inflation",
            "The central bank lifted its main interest rate by a quarter point to 4.5% on "
            "Thursday to fight inflation, its third increase this year. Mortgage lenders are "
            "expected to pass the rise on to borrowers, economists said.",
            60,
        )
        metro = rss("Metro Times", [*METRO_ENTRIES, extra])
        instance.upstream.add_feed("/metrotimes/news.rss", metro)
        assert ": 1 new item, 0 updated, 1 story changed" in instance.poll()
        reader.reload()
        after = reader.items()
        served_after = served(url)
    assert set(after) == set(before)  # the same items: updated, not duplicated
    changed = {guid for guid in after if after[guid] != before[guid]}
    assert len(changed) == 1
    (guid,) = changed
    title, _, content, date, unread = after[guid]
    assert "rate" in title.lower()
    assert "Updated: 1 new source" in text_of(content)
    assert "Summary based on 3 sources" in text_of(content)
    assert unread == 1  # shown again
    # newsboat keeps the date it first stored for an item; the feed itself kept `published`
    # (the first appearance) and, in Atom, moved `updated` to the new source's time
    assert date == before[guid][3]
    old, new = served_before[guid], served_after[guid]
    assert new.published == old.published
    if fmt == "atom":
        assert new.updated_parsed > old.updated_parsed
