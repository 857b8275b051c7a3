"""The "top stories" feeds and the front page read widely covered stories from the store
however many single-outlet stories came since (invented stories in a real store)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from digest_fixture import NOW, add_story

from aggregator.models import Source
from aggregator.publish import PublishSettings
from aggregator.site import INDEX_CANDIDATES, Site
from aggregator.store import Store

SETTINGS = PublishSettings(base_url="https://news.example.org/", max_items=2)


def story_ids(body: bytes) -> list[str]:
    return re.findall(r"urn:aggregator:story:([\w-]+)", body.decode())


@pytest.fixture
def store() -> Store:
    """An older story three outlets covered, then more single-outlet stories than any
    newest-first window the feeds or the front page read."""
    store = Store()
    store.sync_sources([Source("https://a.example/feed", "A", "World News")], NOW)
    add_story(store, "pair-old", "Talks resume", outlets=3, at=NOW - timedelta(hours=10))
    add_story(store, "pair-older", "Bridge opens", outlets=2, at=NOW - timedelta(hours=11))
    add_story(store, "pair-oldest", "Harbour closed", outlets=2, at=NOW - timedelta(hours=12))
    for n in range(INDEX_CANDIDATES + 1):
        at = NOW - timedelta(hours=2) + timedelta(minutes=n)
        add_story(store, f"single-{n}", f"Local note {n}", outlets=1, at=at)
    return store


def site(store: Store, **changes: object) -> Site:
    settings = PublishSettings(**{**SETTINGS.__dict__, **changes})
    return Site(store.reader(), settings, clock=lambda: NOW)


@pytest.mark.parametrize("slug", ["all", "world-news"])
@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_a_top_feed_keeps_older_widely_covered_stories(store: Store, slug: str, fmt: str) -> None:
    output = site(store).feed(slug, fmt, top=True)
    assert output is not None
    assert story_ids(output.body) == ["pair-old", "pair-older"]  # newest first, max_items
    assert output.last_modified == NOW - timedelta(hours=10)
    plain = site(store).feed(slug, fmt)
    assert plain is not None and "pair-old" not in story_ids(plain.body)


def test_a_top_feed_counts_outlets_as_configured(store: Store) -> None:
    output = site(store, top_min_outlets=3).feed("all", "atom", top=True)
    assert output is not None and story_ids(output.body) == ["pair-old"]


def test_the_front_page_ranks_older_widely_covered_stories(store: Store) -> None:
    page = site(store, front_page_stories=1).index().body.decode()
    assert "Talks resume" in page and "Local note" not in page


def test_the_export_writes_the_pages_a_top_feed_links(store: Store) -> None:
    files = dict(site(store, page_size=1).files())  # category pages list 20 stories
    assert story_ids(files["feeds/all/top.atom"].body) == ["pair-old", "pair-older"]
    assert "stories/pair-older/index.html" in files
