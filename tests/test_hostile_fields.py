"""One entry's fields at hostile sizes (a guid or link of megabytes, a megabyte title or
byline, thousands of enclosures): what is stored of it is bounded, its feed's other entries
and other feeds are stored as ever, and its id is the same at every poll. A link longer than
`MAX_LINK` is none; a guid longer than it is named by its hash (`parse._bounded_guid`)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from upstream import Upstream, opml

from aggregator.cli import main
from aggregator.parse import MAX_AUTHOR, MAX_LINK, MAX_SOURCE_NAME, parse_feed
from aggregator.pipeline import MAX_TITLE_CHARS

MB = 1_000_000
URL = "http://feeds.example/a.xml"


def item(title: str, more: str = "", text: str = "Crews worked through the night.") -> str:
    return f"<item><title>{title}</title>{more}<description>{text}</description></item>"


def rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>http://site.example/</link>" + "".join(items) + "</channel></rss>"
    ).encode()


HOSTILE = [
    item("Long guid", f"<guid isPermaLink='false'>{'g' * 3 * MB}</guid>"),
    item("Long link", f"<link>http://site.example/{'a' * 3 * MB}</link>"),
    item("T" + " long title" * (MB // 10), "<link>http://site.example/title</link>"),
    item(
        "Long byline", f"<link>http://site.example/by</link><author>{'Jane ' * (MB // 5)}</author>"
    ),
    item(
        "Many enclosures",
        "<link>http://site.example/enc</link>"
        + "".join(
            f"<enclosure url='http://cdn.example/{n}.mp3' type='audio/mpeg'/>" for n in range(5000)
        ),
    ),
    item(
        "Long source",
        "<link>http://site.example/src</link>"
        f"<source url='http://pub.example/{'s' * MB}'>P</source>",
    ),
]
GOOD = item("Harbour bridge to close for repairs", "<link>http://site.example/bridge</link>")


@pytest.mark.parametrize("fast", [True, False])
def test_a_link_or_guid_too_long_is_no_link_and_a_hashed_guid_on_both_parse_paths(
    fast: bool,
) -> None:
    long_guid = "urn:x:" + "g" * (MAX_LINK + 1)
    body = rss(
        item(
            "One", f"<guid isPermaLink='false'>{long_guid}</guid><link>http://site.example/1</link>"
        ),
        item("Two", f"<link>http://site.example/{'a' * MAX_LINK}</link>"),
        item("Three", f"<link>http://site.example/{'b' * (MAX_LINK - 30)}</link>"),
    )
    feed = parse_feed(body, URL, fast=fast)
    one, two, three = feed.entries
    assert one.url == "http://site.example/1" and one.guid.startswith("sha1:")
    assert one.guid == parse_feed(body, URL, fast=not fast).entries[0].guid  # the same at each read
    assert two.url is None and two.guid.startswith("sha1:") and len(two.guid) < 50
    assert three.url is not None and three.guid == three.url  # a long link within the bound stays
    assert feed.warning == (
        f"2 entries with a link or guid over {MAX_LINK} characters (links left out, guids hashed)"
    )


@pytest.mark.parametrize("fast", [True, False])
def test_a_link_whose_spaces_take_it_past_the_bound_is_no_link(fast: bool) -> None:
    """A link is measured as it is stored: its spaces read as "%20" (a CMS's file name), a
    link of 3,000 characters written with 600 spaces is stored as 4,200, over the bound."""
    written = "http://site.example/" + "word " * 600
    body = rss(item("Spaced", f"<link>{written}</link>"))
    feed = parse_feed(body, URL, fast=fast)
    (entry,) = feed.entries
    assert len(written) <= MAX_LINK and entry.url is None
    assert feed.warning is not None and "1 entry with a link or guid over" in feed.warning
    within = "http://site.example/" + "word " * 400  # 2,800 as stored: kept
    assert parse_feed(rss(item("Kept", f"<link>{within}</link>")), URL, fast=fast).entries[0].url


def test_a_json_feeds_long_id_and_link_are_bounded_as_an_xml_feeds() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "items": [
                {
                    "id": "i" * 2 * MAX_LINK,
                    "url": "http://site.example/" + "u" * MAX_LINK,
                    "title": "Long",
                    "content_text": "Words.",
                },
                {
                    "id": "2",
                    "url": "http://site.example/2",
                    "title": "Short",
                    "content_text": "More.",
                },
            ],
        }
    ).encode()
    long, short = parse_feed(body, URL).entries
    assert long.url is None and long.guid.startswith("sha1:") and len(long.guid) < 50
    assert (short.guid, short.url) == ("2", "http://site.example/2")


def test_an_atom_authors_huge_name_is_cut_to_a_byline() -> None:
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        "<id>urn:f</id><updated>2024-03-05T10:00:00Z</updated><entry><title>One</title>"
        '<id>urn:1</id><link href="http://site.example/1"/><updated>2024-03-05T10:00:00Z</updated>'
        f"<author><name>{'Jane Roe ' * (MB // 9)}</name></author>"
        "<summary>Text.</summary></entry></feed>"
    ).encode()
    for fast in (True, False):
        author = parse_feed(body, URL, fast=fast).entries[0].author
        assert author is not None and 0 < len(author) <= MAX_AUTHOR


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_hostile_items_stored_size_is_bounded_and_its_id_stable_across_polls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = rss(
        item("Port strike ends after wage deal", "<link>http://other.example/strike</link>")
    )
    with Upstream().running_in_thread() as up:
        hostile_url = up.add_feed("/hostile.xml", rss(*HOSTILE, GOOD))
        other_url = up.add_feed("/other.xml", other)
        (tmp_path / "feeds.opml").write_text(opml(hostile_url, other_url))
        db = str(tmp_path / "agg.db")
        poll = ("poll", "--once", "--all", "--opml", str(tmp_path / "feeds.opml"), "--db", db)
        code, _, err = run_cli(*poll, capsys=capsys)
        assert code == 0, err
        with sqlite3.connect(db) as conn:
            first = dict(conn.execute("SELECT title, id FROM items"))
        # The feed changes elsewhere: read again, each hostile entry keeps its id.
        up.add_feed(
            "/hostile.xml",
            rss(*HOSTILE, GOOD, item("Ferry returns", "<link>http://site.example/ferry</link>")),
        )
        code, _, err = run_cli(*poll, capsys=capsys)
        assert code == 0, err

    with sqlite3.connect(db) as conn:
        second = dict(conn.execute("SELECT title, id FROM items"))
        widest = conn.execute(
            "SELECT max(length(guid)), max(length(url)), max(length(canonical_url)),"
            " max(length(title)), max(length(author)), max(length(outlet)) FROM items"
        ).fetchone()
        error = conn.execute("SELECT error FROM feeds WHERE url = ?", (hostile_url,)).fetchone()[0]
    assert len(first) == len(HOSTILE) + 2  # every entry of both feeds, none lost
    assert "Harbour bridge to close for repairs" in first
    assert "Port strike ends after wage deal" in first
    assert second == first | {"Ferry returns": second["Ferry returns"]}  # same ids, no copies
    guid, url, canonical, title, author, outlet = widest
    assert guid < 100 and url < 100 and canonical < 100 and outlet < 100
    assert title <= MAX_TITLE_CHARS and author <= MAX_AUTHOR
    assert "2 entries with a link or guid over" in error  # said on the feed, as status shows it
    stored = sum(os.path.getsize(p) for p in tmp_path.glob("agg.db*"))
    assert stored < 2 * MB


def test_a_feeds_huge_title_is_cut_to_an_outlets_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A feed listed without a title is named by its own: its items' outlet name was cut
    already, the feed's stored title was not (a megabyte of it)."""
    name = "Harbour Times " * (MB // 14)
    body = rss(*(item(f"Story {n}", f"<link>http://site.example/{n}</link>") for n in range(3)))
    body = body.replace(b"<title>T</title>", f"<title>{name}</title>".encode(), 1)
    with Upstream().running_in_thread() as up:
        url = up.add_feed("/named.xml", body)
        (tmp_path / "feeds.opml").write_text(
            f'<opml version="2.0"><body><outline text="World News">'
            f'<outline type="rss" xmlUrl="{url}"/></outline></body></opml>'
        )
        db = str(tmp_path / "agg.db")
        poll = ("poll", "--once", "--opml", str(tmp_path / "feeds.opml"), "--db", db)
        code, _, err = run_cli(*poll, capsys=capsys)
        assert code == 0, err
    with sqlite3.connect(db) as conn:
        names = [n for (n,) in conn.execute("SELECT outlet_name FROM items")]
        (title,) = conn.execute("SELECT title FROM feeds").fetchone()
    assert len(names) == 3 and all(n.startswith("Harbour Times") for n in names)
    assert max(map(len, names)) <= MAX_SOURCE_NAME and len(title) <= MAX_SOURCE_NAME
