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
from published import Instance, published_instance

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(
    NEWSBOAT is None, reason="newsboat is not installed (apt-get install newsboat)"
)
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
        (home / "config").write_text("reset-unread-on-update yes\n")  # show updates as unread

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
