"""Real servers' parse quirks: false charsets, blank lines before the XML declaration,
placeholder year-0001 dates, dates in the feed's own language or in forms feedparser misreads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregator.parse import parse_feed

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    "<item><title>Caf\u00e9 opens</title><link>http://example.com/1</link>{date}</item>"
    "</channel></rss>"
)


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", '"utf-16"', "utf-32"])
def test_a_utf16_charset_declared_over_an_ascii_body_is_ignored(charset: str) -> None:
    body = RSS.format(date="").encode("utf-8")
    feed = parse_feed(
        body, "http://e.com/f", {"Content-Type": f"application/rss+xml; charset={charset}"}
    )
    assert [e.title for e in feed.entries] == ["Caf\u00e9 opens"]


def test_a_real_utf16_body_is_still_read_as_utf16() -> None:
    body = RSS.format(date="").replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>'
    )
    feed = parse_feed(
        body.encode("utf-16"), "http://e.com/f", {"Content-Type": "text/xml; charset=utf-16"}
    )
    assert [e.title for e in feed.entries] == ["Caf\u00e9 opens"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/xml; charset=iso-8859-1",  # (a server's default)
        'text/xml; charset="windows-1252"',
        "text/xml",  # (no charset: RFC 3023 reads US-ASCII, which ASCII text in UTF-16 passes)
        "application/rss+xml; charset=utf-16be",  # (the other byte order)
    ],
)
@pytest.mark.parametrize(
    ("encoding", "declared"),
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"), ("utf-32", "utf-32")],
)
def test_a_utf16_body_is_read_whatever_charset_the_server_names(
    content_type: str, encoding: str, declared: str
) -> None:
    # (ASCII text in UTF-16 "decodes" byte by byte under a narrow charset, NULs and all; a
    # BOM or the opening "<" shows the body's encoding)
    body = RSS.format(date="").replace("?>", f' encoding="{declared}"?>', 1)
    body = body.replace("Caf\u00e9", "Cafe")
    feed = parse_feed(body.encode(encoding), "http://e.com/f", {"Content-Type": content_type})
    assert [e.title for e in feed.entries] == ["Cafe opens"]


def test_a_narrow_charset_over_a_narrow_body_still_decides() -> None:
    body = RSS.format(date="").encode("iso-8859-1")  # (no declaration: the header says it)
    feed = parse_feed(body, "http://e.com/f", {"Content-Type": "text/xml; charset=iso-8859-1"})
    assert [e.title for e in feed.entries] == ["Caf\u00e9 opens"]


@pytest.mark.parametrize("before", ["\n\n", "   ", "\r\n\t", "\ufeff\n"])
def test_blank_lines_before_the_xml_declaration_are_no_fault(before: str) -> None:
    # (a template's stray newlines, common in WordPress feeds)
    body = RSS.format(date="").replace("?>", ' encoding="utf-8"?>', 1)
    feed = parse_feed((before + body).encode("utf-8"), "http://e.com/f")
    assert [e.title for e in feed.entries] == ["Caf\u00e9 opens"]
    assert feed.warning is None  # (it read as malformed XML, "declaration not at start")


def test_text_before_the_xml_declaration_is_still_said() -> None:
    body = "<!-- cached -->\n" + RSS.format(date="")
    feed = parse_feed(body.encode("utf-8"), "http://e.com/f")
    assert [e.title for e in feed.entries] == ["Caf\u00e9 opens"]
    assert feed.warning is not None and "declaration not at start" in feed.warning


@pytest.mark.parametrize(
    "date",
    [
        "<pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate>",
        "<pubDate>0001-01-01T00:00:00Z</pubDate>",
        "<pubDate>Sat, 01 Jan 0001 00:00:00 +0000</pubDate>",
    ],
)
def test_a_year_0001_placeholder_date_is_no_date_not_2001(date: str) -> None:
    feed = parse_feed(RSS.format(date=date).encode(), "http://e.com/f")
    assert feed.entries[0].published is None


@pytest.mark.parametrize(
    "date",
    [
        "<pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>",
        "<pubDate>Wed, 31 Dec 1969 19:00:00 -0500</pubDate>",  # the same instant, west
        "<pubDate>Thu, 01 Jan 1970 01:00:00 +0100</pubDate>",
        "<pubDate>1970-01-01T00:00:00Z</pubDate>",
        "<pubDate>0</pubDate><dc:date>1970-01-01T00:00:00Z</dc:date>",  # the update date too
    ],
)
def test_a_unix_epoch_placeholder_date_is_no_date(date: str) -> None:
    dublin_core = "<rss xmlns:dc='http://purl.org/dc/elements/1.1/' "
    body = RSS.format(date=date).replace("<rss ", dublin_core)
    feed = parse_feed(body.encode(), "http://e.com/f")
    assert feed.entries[0].published is None


def test_a_date_the_day_after_the_epoch_is_kept() -> None:
    feed = parse_feed(
        RSS.format(date="<pubDate>Fri, 02 Jan 1970 10:00:00 GMT</pubDate>").encode(),
        "http://e.com/f",
    )
    assert feed.entries[0].published == datetime(1970, 1, 2, 10, tzinfo=UTC)


def test_a_two_digit_year_still_parses() -> None:
    feed = parse_feed(
        RSS.format(date="<pubDate>Tue, 05 Mar 24 10:30:00 +0000</pubDate>").encode(),
        "http://e.com/f",
    )
    published = feed.entries[0].published
    assert published is not None and published.year == 2024


@pytest.mark.parametrize(
    ("written", "hour"),
    [
        ("Seg, 24 Set 2018 19:22:00 -0300", (2018, 9, 24, 22, 22)),  # a Brazilian outlet's
        ("mar., 05 mars 2024 10:00:00 +0100", (2024, 3, 5, 9, 0)),
        ("Di, 05 Mär 2024 10:00:00 +0100", (2024, 3, 5, 9, 0)),
        ("martes, 05 de marzo de 2024 10:00", (2024, 3, 5, 10, 0)),
        ("gio, 12 ott 2023 10:00:00 +0200", (2023, 10, 12, 8, 0)),
        ("mer, 04 déc 2024 08:15:00 +0100", (2024, 12, 4, 7, 15)),
        # a day name without its comma, words around the time
        ("di 05 mrt 2024 10:00:00 +0100", (2024, 3, 5, 9, 0)),
        ("Dienstag, 5. März 2024, 10:00 Uhr", (2024, 3, 5, 10, 0)),
        ("mardi 5 mars 2024 à 10h30", (2024, 3, 5, 10, 30)),
        ("terça-feira, 5 de março de 2024 às 10:00", (2024, 3, 5, 10, 0)),
        ("5 de marzo de 2024 a las 10:00", (2024, 3, 5, 10, 0)),
        ("martedì 5 marzo 2024 alle 10:00", (2024, 3, 5, 10, 0)),
    ],
)
@pytest.mark.parametrize("fast", [True, False])
def test_a_date_in_the_feeds_own_language_is_read(
    written: str, hour: tuple[int, ...], fast: bool
) -> None:
    # (it was no date: each entry dated when first seen, old ones as new on a first poll)
    body = RSS.format(date=f"<pubDate>{written}</pubDate>").encode()
    published = parse_feed(body, "http://e.com/f", fast=fast).entries[0].published
    assert published == datetime(*hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026/12/05 10:00", datetime(2026, 12, 5, 10, 0, tzinfo=UTC)),  # (read as 1 December)
        ("1709632800", datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),  # (read as 6 April 2017)
        ("1709632800000", datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),
        ("2024/13/45 10:00", None),
        ("Foo, 05 Bar 2024", None),
    ],
)
def test_dates_feedparser_misreads_are_read_right_or_not_at_all(
    written: str, expected: datetime | None
) -> None:
    body = RSS.format(date=f"<pubDate>{written}</pubDate>").encode()
    assert parse_feed(body, "http://e.com/f").entries[0].published == expected


def _march(hour: int, minute: int, *, day: int = 5, micro: int = 0) -> datetime:
    """A time of March 2024 (the 5th unless said), in UTC."""
    return datetime(2024, 3, day, hour, minute, 0, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # zone names feedparser reads as UTC
        ("Tue, 05 Mar 2024 10:30:00 CET", _march(9, 30)),
        ("Tue, 05 Mar 2024 10:30:00 MESZ", _march(8, 30)),
        ("Di, 05 Mär 2024 10:30:00 MEZ", _march(9, 30)),
        ("Tue, 05 Mar 2024 10:30:00 aedt", _march(23, 30, day=4)),
        ("2024-03-05T10:30:00CET", _march(9, 30)),
        ("Tue Mar 05 10:30:00 CET 2024", _march(9, 30)),  # Java's
        ("Tue Mar 05 10:30:00 EDT 2024", _march(14, 30)),
        # offsets from GMT or UTC (feedparser: no date, or UTC; dateutil: the sign reversed)
        ("Tue, 05 Mar 2024 10:30:00 GMT+1", _march(9, 30)),
        ("Tue, 05 Mar 2024 10:30:00 UTC+2", _march(8, 30)),
        ("Tue, 05 Mar 2024 10:30:00 GMT+5:30", _march(5, 0)),
        ("Tue, 05 Mar 2024 10:30:00 UTC-05:00", _march(15, 30)),
        # a half-hour offset without its colon (feedparser: half an hour off)
        ("2024-03-05T10:30:00+0530", _march(5, 0)),
        ("2024-03-05T10:30:00.123-0330", _march(14, 0, micro=123000)),
        # a Rails time's form, which feedparser reads as midnight
        ("2024-03-05 10:30:00 UTC", _march(10, 30)),
        ("2024-03-05 10:30 EST", _march(15, 30)),
        ("2024-03-05 10:00:00 +1000", _march(0, 0)),  # truly midnight
        ("20240305T103000Z", _march(10, 30)),  # ISO 8601's basic form
        # day first with dots (read month first: 3 May)
        ("05.03.2024 10:30", _march(10, 30)),
        ("Di, 05.03.2024 10:30:00 +0100", _march(9, 30)),
        # unchanged: names feedparser reads right, ambiguous names, numeric offsets
        ("Tue, 05 Mar 2024 10:30:00 EST", _march(15, 30)),
        ("Tue, 05 Mar 2024 10:30:00 IST", _march(10, 30)),
        ("Tue, 05 Mar 2024 10:30:00 GMT+0100", _march(9, 30)),
        ("03/05/2024 10:30", _march(10, 30)),
    ],
)
@pytest.mark.parametrize("fast", [True, False])
def test_a_dates_zone_and_day_order_are_read_as_written(
    written: str, expected: datetime, fast: bool
) -> None:
    # (CET was read as UTC, an hour late; "GMT+1" two hours off; 05.03 as 3 May)
    body = RSS.format(date=f"<pubDate>{written}</pubDate>").encode()
    assert parse_feed(body, "http://e.com/f", fast=fast).entries[0].published == expected


@pytest.mark.parametrize("fast", [True, False])
def test_a_link_written_with_spaces_is_read_as_a_browser_reads_it(fast: bool) -> None:
    # (it was no link: the story listed the outlet without one)
    items = (
        "<item><title>Annual report</title><link>https://e.com/files/Annual report.pdf</link>"
        "</item><item><title>Minutes</title><link>/files/May minutes.pdf?v=a b</link></item>"
        "<item><title>Broken</title><link>https://e com/x</link></item>"
    )
    body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    entries = parse_feed(body, "http://e.com/feed", fast=fast).entries
    assert [e.url for e in entries] == [
        "https://e.com/files/Annual%20report.pdf",
        "http://e.com/files/May%20minutes.pdf?v=a%20b",
        None,  # (a host with a space is none)
    ]
    # ... and each keeps the guid it had before: its link as written
    assert entries[0].guid == "https://e.com/files/Annual report.pdf"
    assert entries[1].guid == "http://e.com/files/May minutes.pdf?v=a b"
