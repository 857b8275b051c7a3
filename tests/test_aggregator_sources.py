"""A feed that collects other publishers' entries behind its own links (a Google News topic
feed): each entry counts as, and is named after, the publisher its `<source>` names."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from served_pass import poll_served, published_words
from upstream import opml

NOW = datetime.now(UTC)
PUBLISHERS = [
    ("Harbour Gazette", "https://www.harbourgazette.example", "Corvane dam spillway opened"),
    ("Marrow Times", "https://marrowtimes.example", "Corvane dam gates opened after rain"),
]
REPORT = (
    "Engineers at the Corvane dam opened the spillway gates on Sunday after three days of "
    "heavy rain. Towns in the Lusk valley below the dam were told to prepare for flooding, "
    "and 1,200 residents were moved to shelters. The regional water authority said the "
    "reservoir stood at 98 percent of capacity."
)


def _collected() -> bytes:
    """Google News's shape: Google's link, a description of the title and the publisher,
    the publisher named in the title and in `<source>`."""
    items = ""
    for k, (name, site, title) in enumerate(PUBLISHERS):
        link = f"https://news.google.com/rss/articles/CBMi{k}x?oc=5"
        description = html.escape(f'<a href="{link}">{title}</a>&nbsp;&nbsp;{name}')
        items += (
            f"<item><title>{title} - {name}</title><link>{link}</link>"
            f'<guid isPermaLink="false">CBMi{k}x</guid>'
            f"<pubDate>{format_datetime(NOW - timedelta(minutes=k + 1), usegmt=True)}</pubDate>"
            f'<description>{description}</description><source url="{site}">{name}</source>'
            "</item>"
        )
    return (
        "<rss version='2.0'><channel><title>World - Google News</title>"
        f"<link>https://news.google.com/topics/w</link>{items}</channel></rss>"
    ).encode()


def _own() -> bytes:
    return (
        "<rss version='2.0'><channel><title>Raven Wire</title>"
        "<link>https://www.ravenwire.example/</link><item>"
        "<title>Corvane dam spillway opened after heavy rain</title>"
        "<link>https://www.ravenwire.example/corvane</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(minutes=5), usegmt=True)}</pubDate>"
        f"<description>{REPORT}</description></item></channel></rss>"
    ).encode()


def _linked() -> bytes:
    """A link aggregator's shape (Hacker News, a subreddit, a newsletter's links): each entry
    links straight to the publisher's article, the feed's own site elsewhere."""
    items = ""
    for k, (_, site, title) in enumerate(PUBLISHERS):
        items += (
            f"<item><title>{title}</title><link>{site}/corvane-{k}</link>"
            f"<comments>https://news.linkdigest.example/item?id={k}</comments>"
            f"<pubDate>{format_datetime(NOW - timedelta(minutes=k + 1), usegmt=True)}</pubDate>"
            f"<description>{REPORT}</description></item>"
        )
    return (
        "<rss version='2.0'><channel><title>Link Digest</title>"
        f"<link>https://news.linkdigest.example/</link>{items}</channel></rss>"
    ).encode()


def _published(
    tmp_path: Path, feeds: dict[str, bytes], titles: dict[str, str] | None = None
) -> str:
    """The World News feed's text after one pass over `feeds` (path → body) on loopback,
    each listed under its title in `titles` (path → title), else as F0, F1, …"""

    def listing(urls: list[str]) -> str:
        text = opml(*urls)
        for n, feed in enumerate(feeds):
            if titles and feed in titles:
                text = text.replace(f'text="F{n}"', f'text="{titles[feed]}"')
        return text

    return published_words(poll_served(tmp_path, feeds, listing), tmp_path)


def test_a_collecting_feeds_entries_are_their_publishers_in_a_published_story(
    tmp_path: Path,
) -> None:
    words = _published(tmp_path, {"/own.xml": _own(), "/gn.xml": _collected()})
    # three publishers, each named as its entry names it, its title without the name
    assert "Summary based on 3 sources:" in words
    assert "Harbour Gazette — Corvane dam spillway opened " in words
    assert "Marrow Times — Corvane dam gates opened after rain " in words
    assert "Google News" not in words


def test_a_link_aggregators_entries_are_named_by_their_publishers_domains(
    tmp_path: Path,
) -> None:
    words = _published(tmp_path, {"/own.xml": _own(), "/links.xml": _linked()})
    assert "Summary based on 3 sources:" in words
    # (the entries carry the wire text of the first: listed as its copies, each publisher named)
    assert "F0 — Corvane dam spillway opened after heavy rain " in words
    assert "harbourgazette.example (same text as [1]) — Corvane dam spillway opened " in words
    assert "marrowtimes.example (same text as [1]) — Corvane dam gates opened after rain " in words
    assert "Link Digest" not in words


def _council() -> bytes:
    """The Harbour Gazette's own feed, on another event than the digest's entries."""
    return (
        "<rss version='2.0'><channel><title>Harbour Gazette</title>"
        "<link>https://www.harbourgazette.example/</link><item>"
        "<title>Council votes to close Quay Street to traffic</title>"
        "<link>https://www.harbourgazette.example/quay</link>"
        f"<pubDate>{format_datetime(NOW - timedelta(minutes=5), usegmt=True)}</pubDate>"
        "<description>The city council voted 9 to 4 on Monday to close Quay Street to cars "
        "from June, after two years of complaints from shop owners about traffic."
        "</description></item></channel></rss>"
    ).encode()


def test_a_collected_entry_takes_the_name_of_its_publishers_listed_feed(
    tmp_path: Path,
) -> None:
    """The publisher of a link aggregator's entry has a feed of its own in the sources: the
    entry goes by the name that feed is listed under, in a story the feed's items are not in."""
    words = _published(
        tmp_path,
        {"/own.xml": _council(), "/links.xml": _linked()},
        {"/own.xml": "The Harbour Gazette"},
    )
    assert "The Harbour Gazette (same text as [1]) — Corvane dam spillway opened " in words
    assert "marrowtimes.example — Corvane dam gates opened after rain " in words
    assert "harbourgazette.example" not in words


def test_a_google_news_feeds_entries_alone_are_not_published(tmp_path: Path) -> None:
    # Each is a headline over its publisher's name, its page Google's script: no sentence to
    # summarise, so no story of them alone is published (the operator is told: `check`,
    # `add`, `status`); beside a report with text they are listed and counted (above).
    words = _published(tmp_path, {"/gn.xml": _collected()})
    assert "Corvane" not in words and "Summary based on" not in words
