"""Titles carrying escaped markup ("&lt;b&gt;Tesla&lt;/b&gt;") come out as clean text on both
parse paths, are decoded once (a literal "&amp;lt;" stays a "<" in words), and reach the
published feeds and pages as text, escaped there."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from upstream import Upstream, opml

from aggregator.cli import main
from aggregator.parse import parse_feed
from aggregator.text import holds_markup
from aggregator.titles import clean_headline

URL = "https://news.example/feed.xml"


def rss(
    title: str,
    channel: str = "Example News",
    host: str = "news.example",
    text: str = "Some words here.",
) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{channel}</title><link>https://{host}/</link>"
        f"<item><title>{title}</title><link>https://{host}/1</link>"
        f"<guid>https://{host}/1</guid><description>{text}</description>"
        "</item></channel></rss>"
    ).encode()


def atom(title: str, kind: str = "") -> bytes:
    attribute = f' type="{kind}"' if kind else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Example News</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>"
        f"<entry><title{attribute}>{title}</title><id>urn:x:1</id>"
        '<link href="https://news.example/1"/><updated>2026-01-01T00:00:00Z</updated>'
        "<summary>Some words here.</summary></entry></feed>"
    ).encode()


def titles(body: bytes) -> tuple[str, str]:
    """The entry's title by the feedparser path and by the fast path (they must agree)."""
    reference = parse_feed(body, URL, fast=False).entries[0].title
    fast = parse_feed(body, URL).entries[0].title
    return reference, fast


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (rss("&lt;b&gt;Tesla&lt;/b&gt; delivers"), "Tesla delivers"),
        (rss("&lt;em&gt;Tesla&lt;/em&gt; delivers"), "Tesla delivers"),
        # a tag feedparser does not take for HTML left the title as text: read as HTML here
        (rss("&lt;script&gt;x()&lt;/script&gt;Flood &amp;amp; fire"), "Flood & fire"),
        (rss('&lt;span class="kicker"&gt;Live&lt;/span&gt; Vote count'), "Live Vote count"),
        (atom("&lt;b&gt;Tesla&lt;/b&gt; delivers"), "Tesla delivers"),
        (atom("&lt;i&gt;Dune&lt;/i&gt; A &amp;amp; B", kind="text"), "Dune A & B"),
        (atom("&lt;b&gt;Tesla&lt;/b&gt; delivers", kind="html"), "Tesla delivers"),
        # decoded once: an escaped "&lt;b&gt;" in an HTML title is words
        (rss("&amp;lt;b&amp;gt; is bold"), "<b> is bold"),
        (atom("Use &amp;lt; for less", kind="text"), "Use &lt; for less"),
        # no markup: words that look like it stay
        (atom("History of the &lt;blink&gt; tag"), "History of the <blink> tag"),
        (rss("1 &lt; 2 and 3 &gt; 2"), "1 < 2 and 3 > 2"),
    ],
)
def test_a_title_comes_out_as_text_on_both_parse_paths(body: bytes, expected: str) -> None:
    assert titles(body) == (expected, expected)


def test_a_feed_title_with_markup_names_the_outlet_in_words() -> None:
    body = rss("Plain title", channel="&lt;b&gt;Example&lt;/b&gt; News")
    assert parse_feed(body, URL).title == parse_feed(body, URL, fast=False).title == "Example News"


def test_what_counts_as_markup() -> None:
    assert holds_markup("<b>Tesla</b> delivers") and holds_markup("Line<br>break")
    assert holds_markup('<a href="x">Tesla</a>')
    assert not holds_markup("History of the <blink> tag")
    assert not holds_markup("1 < 2 and 3 > 2") and not holds_markup("Plain")


def test_a_clean_title_is_not_decoded_again_as_a_headline() -> None:
    assert clean_headline("Use &lt; for less - Example News") == "Use &lt; for less"
    assert clean_headline("Tom &amp; Jerry return") == "Tom &amp; Jerry return"


def test_published_feeds_and_pages_carry_the_title_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Upstream().running_in_thread() as up:
        a_text = (
            "The carmaker handed the first cars from its new plant in Keldon to buyers on "
            "Monday. Buyers waited for hours at the gates."
        )
        b_text = (
            "A short guide to the bold tag for readers new to writing web pages. It covers "
            "where the tag came from and what to use instead."
        )
        up.add_feed("/a.xml", rss("&lt;b&gt;Tesla&lt;/b&gt; delivers its first cars", text=a_text))
        up.add_feed(
            "/b.xml",
            rss("&amp;lt;b&amp;gt; tags explained to new readers", host="b.example", text=b_text),
        )
        (tmp_path / "feeds.opml").write_text(opml(up.url("/a.xml"), up.url("/b.xml")))
        db = str(tmp_path / "agg.db")
        assert main(["poll", "--once", "--db", db, "--opml", str(tmp_path / "feeds.opml")]) == 0
    out = tmp_path / "out"
    assert main(["publish", "--db", db, "--output", str(out)]) == 0
    capsys.readouterr()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    atom_titles = {
        e.text
        for e in ElementTree.parse(out / "feeds" / "world-news.atom").findall("a:entry/a:title", ns)
    }
    rss_titles = {e.text for e in ElementTree.parse(out / "feeds" / "world-news.rss").iter("title")}
    json_titles = {
        i["title"] for i in json.loads((out / "feeds" / "world-news.json").read_text())["items"]
    }
    for found in (atom_titles, rss_titles, json_titles):
        assert "Tesla delivers its first cars" in found
        assert "<b> tags explained to new readers" in found
    page = (out / "world-news" / "index.html").read_text()
    assert "Tesla delivers its first cars" in page and "<b>Tesla" not in page
    assert "&lt;b&gt; tags explained" in page and "<b> tags" not in page
