"""JSON Feed sources (versions 1 and 1.1): read as RSS and Atom are, found by `add`, polled.
The documents are invented for these tests."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from upstream import Upstream

from aggregator.config import Settings
from aggregator.errors import ParseError
from aggregator.fetch import Fetcher
from aggregator.opml import parse_opml
from aggregator.parse import parse_feed
from aggregator.service import Service
from aggregator.sources import add

URL = "https://blog.example/feed.json"


def document(items: list[dict[str, Any]], version: str = "1.1", **feed: Any) -> bytes:
    return json.dumps(
        {"version": f"https://jsonfeed.org/version/{version}", "title": "Harbour Notes",
         "home_page_url": "https://blog.example/", "items": items, **feed}
    ).encode()  # fmt: skip


def test_a_json_feed_reads_as_an_rss_or_atom_feed_would() -> None:
    body = document(
        [
            {
                "id": "post-2",
                "url": "/2026/12/wall",  # relative: resolved against the feed's address
                # a title with markup in it is read as HTML, as an RSS or Atom one is
                "title": "Council approves <b>harbour</b> wall",
                "content_html": "<p>The council approved the <em>new</em> wall.</p><p>Work "
                "starts in spring.</p>",
                "summary": "A short summary.",
                "date_published": "2026-12-04T10:30:00+01:00",
                "date_modified": "2026-12-04T12:00:00Z",
                "authors": [{"name": "Ann Lee"}, {"name": "Bo Ma"}],
                "tags": ["Harbour", 3, " local  news ", "Harbour"],  # (a number is no tag)
            },
            {
                "id": 7,  # version 1 allowed a number
                "external_url": "https://news.example/ferry",
                "content_text": "Ferry <div> times change on Monday.",
                "author": {"name": "Cy Do"},  # version 1's single author
            },
            {"url": "https://blog.example/untitled", "content_text": "A note without id."},
            {"id": True, "url": "javascript:alert(1)", "title": "Bad link"},  # no id, no link
            "not an item",
        ],
        language="en-GB",
    )
    feed = parse_feed(body, URL, {"Content-Type": "application/feed+json"})
    assert (feed.title, feed.link, feed.language) == (
        "Harbour Notes",
        "https://blog.example/",
        "en-GB",
    )
    first, second, third, fourth = feed.entries
    assert first.guid == "post-2" and first.url == "https://blog.example/2026/12/wall"
    assert first.title == "Council approves harbour wall"
    assert "The council approved the new wall." in first.text and "<p>" not in first.text
    assert first.published == datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    assert first.updated == datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert first.author == "Ann Lee" and first.tags == ("Harbour", "local news")
    assert second.tags == ()
    assert (second.guid, second.url, second.author) == ("7", "https://news.example/ferry", "Cy Do")
    assert second.text == "Ferry <div> times change on Monday."
    assert third.guid == "https://blog.example/untitled"
    assert fourth.url is None  # (its guid is the link as written, as an RSS item's would be)
    assert feed.warning is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"title": "x", "items": []}', "JSON, but not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}', "without an items"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "malformed JSON at line 1"),
        (b'\xef\xbb\xbf  {"version": 2, "items": []}', "not a JSON Feed"),
        (b'{"title": "\xff"}', "not UTF-8"),
        (b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ],
)
def test_json_that_is_no_json_feed_is_refused_with_its_reason(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_feed(body, URL)


def test_half_a_surrogate_pair_in_a_json_feed_is_a_replacement_character() -> None:
    """JSON may escape half a pair ("\\ud800"): no database takes it, and storing failed the
    feed at every poll."""
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Fjord Post \\ud800",'
        b' "items": [{"id": "s\\udfff1", "url": "https://fjord.example/a\\ud800",'
        b' "title": "Lone \\udfff surrogate at the \\ud83d\\ude00 bakery",'
        b' "content_text": "A bakery \\ud83d sold bread.", "tags": ["b\\ud800"],'
        b' "authors": [{"name": "Ann \\ud800"}]}]}'
    )
    feed = parse_feed(body, URL)
    (entry,) = feed.entries
    assert feed.title == "Fjord Post \ufffd"
    assert entry.title == "Lone \ufffd surrogate at the \U0001f600 bakery"  # (a whole pair kept)
    assert entry.text == "A bakery \ufffd sold bread." and entry.guid == "s\ufffd1"
    assert entry.tags == ("b\ufffd",) and entry.author == "Ann \ufffd"
    for value in (feed.title, entry.title, entry.text, entry.guid, entry.url or "", entry.author):
        value.encode()  # (what storing needs)


def test_an_empty_json_feed_is_a_feed() -> None:
    assert parse_feed(document([]), URL).entries == ()


def test_add_finds_the_json_feed_a_page_points_to_and_the_poller_reads_it(tmp_path: Path) -> None:
    sources = tmp_path / "feeds.opml"
    sources.write_text(
        "<opml version='2.0'><body><outline text='Blogs'>"
        "<outline text='Other' xmlUrl='https://other.example/rss'/></outline></body></opml>"
    )
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    body = document(
        [{"id": "1", "url": "/wall", "title": "Council approves harbour wall",
          "content_text": "The council approved a new harbour wall on Monday.",
          "date_published": now}]
    )  # fmt: skip
    page = (
        b"<!doctype html><html><head><title>Harbour</title><link rel='alternate' "
        b"type='application/feed+json' href='/feed.json'></head><body></body></html>"
    )

    async def scenario() -> tuple[str, list[tuple[str, str]]]:
        async with Upstream() as up:
            up.add_feed("/feed.json", body, content_type="application/feed+json")
            up.add_feed("/", page, content_type="text/html")
            added = await add(sources, up.url("/"), category="Blogs")
            assert added.source.url == up.url("/feed.json") and added.items == 1
            service = Service(sources, ":memory:", Settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                rows = service.store.db.execute("SELECT title, url FROM items").fetchall()
            finally:
                service.close()
            return up.url("/wall"), rows

    wall, rows = asyncio.run(scenario())
    assert rows == [("Council approves harbour wall", wall)]
    opml = parse_opml(sources.read_bytes())
    assert [s.title for s in opml.sources] == ["Other", "Harbour Notes"]


def test_a_json_feed_with_a_number_of_thousands_of_digits_keeps_its_items(
    tmp_path: Path,
) -> None:
    """One item's number of 5,000 digits (Python reads no integer of over 4,300) had refused
    the whole feed as "not a feed"; it now reads as no value, and every item is stored."""
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    body = document(
        [{"id": "1", "url": "https://harbour.example/wall", "title": "Council approves wall",
          "content_text": "The council approved a new harbour wall on Monday.",
          "date_published": now},
         {"id": "2", "url": "https://harbour.example/ferry", "title": "Ferry resumes",
          "content_text": "The island ferry resumed on Monday.", "date_published": now,
          "_views": 0}]
    ).replace(b'"_views": 0', b'"_views": ' + b"9" * 5000)  # fmt: skip
    sources = tmp_path / "feeds.opml"

    async def scenario() -> tuple[list[str], str]:
        async with Upstream() as up:
            url = up.add_feed("/feed.json", body, content_type="application/feed+json")
            sources.write_text(
                f"<opml version='2.0'><body><outline text='Blogs'><outline text='Harbour' "
                f"xmlUrl='{url}'/></outline></body></opml>"
            )
            service = Service(sources, ":memory:", Settings())
            try:
                await service.load_sources(strict=True)
                async with Fetcher(service.settings.fetch) as fetcher:
                    await service.poll_cycle(fetcher)
                titles = [r[0] for r in service.store.db.execute("SELECT title FROM items")]
                status = service.store.db.execute("SELECT status FROM feeds").fetchone()[0]
            finally:
                service.close()
            return sorted(titles), str(status)

    assert asyncio.run(scenario()) == (["Council approves wall", "Ferry resumes"], "ok")
