"""parse_feed on real and hand-written fixtures (tests/fixtures/feeds, see NOTICE there)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.errors import ParseError
from aggregator.models import Entry, ParsedFeed
from aggregator.parse import parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEED_URL = "https://news.example.com/feeds/main.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rss(items: str, channel: str = "<title>T</title>") -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"{channel}{items}</channel></rss>"
    ).encode()


def only_entry(feed: ParsedFeed) -> Entry:
    assert len(feed.entries) == 1
    return feed.entries[0]


# --- hand-written RSS 2.0 ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_rss() -> ParsedFeed:
    return parse_feed(fixture("rss2_sample.xml"), FEED_URL)


def test_rss_feed_fields(sample_rss: ParsedFeed) -> None:
    assert sample_rss.title == "Sample & Co News"
    assert sample_rss.link == "https://news.example.com/news/"  # relative, resolved
    assert sample_rss.language == "en-gb"
    assert sample_rss.ttl_minutes == 45
    assert sample_rss.warning is None


def test_rss_full_item(sample_rss: ParsedFeed) -> None:
    first = sample_rss.entries[0]
    assert first.guid == "urn:sample:1"  # whitespace stripped
    assert first.title == "Full item with markup in title"
    assert first.url == "https://news.example.com/news/2024/full-item.html"
    # the longer of content:encoded and description, as plain text; <script> dropped
    assert first.text == "The longer body text.\nSecond paragraph & more."
    assert first.author == "Jane Doe"
    assert first.published == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    assert first.updated is None


def test_rss_unsafe_links_are_dropped(sample_rss: ParsedFeed) -> None:
    by_guid = {e.guid: e for e in sample_rss.entries}
    assert by_guid["urn:sample:2"].url is None  # javascript:
    assert by_guid["urn:sample:6"].url is None  # data:


def test_rss_missing_guid_falls_back_to_link_then_hash(sample_rss: ParsedFeed) -> None:
    titles = {e.title: e for e in sample_rss.entries}
    linked = titles["No guid, only a link"]
    assert linked.guid == linked.url == "https://other.example/story?id=3&x=y"
    bare = titles["No guid, no link, no date"]
    assert bare.guid.startswith("sha1:") and len(bare.guid) == 5 + 40
    assert (bare.url, bare.published, bare.updated) == (None, None, None)
    # the hash is stable across parses
    assert parse_feed(fixture("rss2_sample.xml"), FEED_URL).entries[3].guid == bare.guid


def test_rss_unparseable_dates_become_none(sample_rss: ParsedFeed) -> None:
    by_guid = {e.guid: e for e in sample_rss.entries}
    assert by_guid["urn:sample:2"].published is None
    assert by_guid["urn:sample:6"].published is None


def test_rss_an_item_listed_twice_keeps_the_first_and_empty_item_dropped(
    sample_rss: ParsedFeed,
) -> None:
    guids = [e.guid for e in sample_rss.entries]
    assert len(guids) == len(set(guids)) == 5
    assert sample_rss.entries[0].text == "The longer body text.\nSecond paragraph & more."


def test_one_guid_on_every_item_names_none_of_them() -> None:
    # (feeds that give all their items the site's address, or "1", as their guid)
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.com/{slug}</link>"
        "<guid>https://news.example.com/</guid><description>Text.</description></item>"
        for slug, title in [("bridge", "Bridge closes"), ("strike", "Rail strike called")]
    )
    linkless = "".join(
        f"<item><title>{title}</title><guid isPermaLink='false'>1</guid></item>"
        for title in ("Ferry delayed", "Museum reopens")
    )
    first = parse_feed(rss(items + linkless), FEED_URL)
    assert [(e.guid, e.title) for e in first.entries[:2]] == [
        ("https://news.example.com/bridge", "Bridge closes"),
        ("https://news.example.com/strike", "Rail strike called"),
    ]
    assert [e.title for e in first.entries[2:]] == ["Ferry delayed", "Museum reopens"]
    assert all(e.guid.startswith("sha1:") for e in first.entries[2:])
    # each keeps its guid when the feed's next version puts a new item first
    newer = (
        "<item><title>Harbour reopens</title><link>https://news.example.com/harbour</link>"
        "<guid>https://news.example.com/</guid></item>"
    )
    again = parse_feed(rss(newer + items + linkless), FEED_URL)
    assert {e.guid for e in first.entries} < {e.guid for e in again.entries}
    assert len(again.entries) == 5


def test_feedburners_redirector_link_gives_way_to_the_articles_own() -> None:
    ns = 'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'
    redirector = "http://feeds.paper.example/~r/news/~3/AbC/harbour"
    items = (
        f"<item><title>Harbour bridge closes</title><link>{redirector}</link>"
        "<feedburner:origLink>https://paper.example/news/harbour</feedburner:origLink></item>"
        "<item><title>Ferry delayed</title><link>http://feeds.paper.example/~r/news/~3/D/f</link>"
        "<feedburner:origLink>javascript:alert(1)</feedburner:origLink></item>"
    )
    body = rss(items).replace(b"<rss version='2.0'>", f"<rss version='2.0' {ns}>".encode())
    first, second = parse_feed(body, FEED_URL).entries
    assert first.url == "https://paper.example/news/harbour"
    assert first.guid == redirector  # (its id as before: stored items keep theirs)
    assert second.url == "http://feeds.paper.example/~r/news/~3/D/f"


def test_content_location_header_sets_the_base() -> None:
    body = rss("<item><title>x</title><link>../story.html</link></item>")
    feed = parse_feed(body, FEED_URL, {"Content-Location": "https://cdn.example.net/a/b/feed"})
    assert only_entry(feed).url == "https://cdn.example.net/a/story.html"
    assert only_entry(parse_feed(body, FEED_URL)).url == "https://news.example.com/story.html"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://example.com/a", "https://example.com/a"),
        ("/abs/path?q=1", "https://news.example.com/abs/path?q=1"),
        ("rel/path", "https://news.example.com/feeds/rel/path"),
        ("//proto.example.org/x", "https://proto.example.org/x"),
        ("  http://spaced.example.com/x  ", "http://spaced.example.com/x"),
        ("JavaScript:alert(1)", None),
        ("data:text/html;base64,PHNjcmlwdD4=", None),
        ("mailto:someone@example.com", None),
        ("ftp://example.com/file", None),
        ("http://[broken/", None),
    ],
)
def test_entry_links(link: str, expected: str | None) -> None:
    feed = parse_feed(rss(f"<item><title>x</title><link>{link}</link></item>"), FEED_URL)
    assert only_entry(feed).url == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 05 Mar 2024 10:30:00 +0100", datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
        ("2024-03-05T10:30:00Z", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),
        # feedparser cannot read these; dateutil can (naive → UTC)
        ("March 5, 2024 10:30 AM", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),
        ("5 March 2024, 10:30 +0200", datetime(2024, 3, 5, 8, 30, tzinfo=UTC)),
        ("March 5, 2024 10:30 AM EST", datetime(2024, 3, 5, 15, 30, tzinfo=UTC)),
        ("March 5, 2024 10:30 AM XYZT", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),  # unknown zone
        # feedparser misreads this as year 100; the fallback gets it right
        ("Tue Mar 5 10:30:00 2024 +0100", datetime(2024, 3, 5, 9, 30, tzinfo=UTC)),
        # impossible or incomplete
        ("not a date", None),
        ("12", None),
        ("Mar 2024", None),
        ("0001-01-01T00:00:00Z", None),
        ("Sun, 31 Feb 2024 25:61:00 GMT", None),
        # an ISO week date (feedparser had read December 1) and a leap second (it had been
        # no date in RSS, the next minute in Atom)
        ("2024-W10-2", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-W10-2T10:30:00Z", datetime(2024, 3, 5, 10, 30, tzinfo=UTC)),
        ("Sat, 31 Dec 2016 23:59:60 +0000", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_dates(raw: str, expected: datetime | None) -> None:
    feed = parse_feed(rss(f"<item><title>x</title><pubDate>{raw}</pubDate></item>"), FEED_URL)
    assert only_entry(feed).published == expected


def test_update_date_stands_in_for_missing_publication_date() -> None:
    body = rss(
        "<item xmlns:dc='http://purl.org/dc/elements/1.1/'><title>x</title>"
        "<dc:date>2024-03-05T10:30:00+01:00</dc:date></item>"
    )
    entry = only_entry(parse_feed(body, FEED_URL))
    assert entry.published == entry.updated == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("ttl", "expected"), [("60", 60), (" 30 ", 30), ("0", None), ("1h", None)])
def test_ttl(ttl: str, expected: int | None) -> None:
    assert (
        parse_feed(rss("", f"<title>T</title><ttl>{ttl}</ttl>"), FEED_URL).ttl_minutes == expected
    )


# --- hand-written Atom ------------------------------------------------------------------------


def test_atom_sample() -> None:
    feed = parse_feed(fixture("atom_sample.xml"), FEED_URL)
    assert feed.title == "Beispiel Blog"  # type="html" title as text
    assert feed.link == "https://blog.example.org/de/"  # xml:base
    assert feed.language == "de"
    first, second = feed.entries
    assert first.title == "Use <div> for layout?"  # type="text": literal, not a tag
    assert first.url == "https://blog.example.org/de/posts/div.html"
    assert first.text == "Some linked words, longer than the summary."
    assert first.author == "Erika Mustermann"
    assert first.published == datetime(2024, 3, 4, 6, 0, tzinfo=UTC)
    assert first.updated == datetime(2024, 3, 5, 9, 15, 30, tzinfo=UTC)
    assert second.url == "https://elsewhere.example.com/abs"
    assert second.text == "XHTML content."
    assert second.published == second.updated == datetime(2024, 3, 1, tzinfo=UTC)


# --- real-world fixtures ----------------------------------------------------------------------


def test_heise_atom() -> None:
    feed = parse_feed(fixture("heise.atom"), "https://www.heise.de/developer/rss/news-atom.xml")
    assert feed.title == "heise developer neueste Meldungen"
    assert feed.link == "http://www.heise.de/developer/"
    assert len(feed.entries) == 15
    first = feed.entries[0]
    assert first.title == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    assert first.guid == "http://heise.de/-3088438"
    assert first.url is not None and first.url.startswith("http://www.heise.de/developer/meldung/")
    assert first.published == datetime(2016, 2, 1, 16, 22, tzinfo=UTC)
    assert first.updated == datetime(2016, 2, 1, 16, 54, 50, tzinfo=UTC)
    assert "Enterprise-Java-Servers" in first.text and "<" not in first.text
    assert all(e.url and e.url.startswith("http") for e in feed.entries)


def test_iso_8859_1_without_declaration_uses_the_http_charset() -> None:
    body = fixture("miniflux_no_encoding_ISO-8859-1.xml")
    feed = parse_feed(body, FEED_URL, {"Content-Type": "application/xml; charset=ISO-8859-1"})
    assert feed.entries[2].title == "La criminalité liée surtout à... l'ennui ?"
    assert feed.warning is None
    # an item with empty title, link and description is dropped (9 of 10 kept)
    assert len(feed.entries) == 9


def test_iso_8859_1_without_any_charset_still_decodes_with_a_warning() -> None:
    feed = parse_feed(fixture("miniflux_no_encoding_ISO-8859-1.xml"), FEED_URL)
    assert feed.entries[2].title == "La criminalité liée surtout à... l'ennui ?"
    assert feed.warning is not None and "parsed as" in feed.warning
    assert "\n" not in feed.warning


def test_windows_1251_declared_in_xml_served_as_text_xml() -> None:
    body = fixture("miniflux_encoding_WINDOWS-1251.xml")
    feed = parse_feed(body, FEED_URL, {"content-type": "text/xml"})
    assert feed.title == "iBash.Org.Ru"
    assert feed.language == "ru"
    assert feed.entries[0].title == "Цитата #17703"
    assert feed.entries[0].text.startswith("xxx: есть у кого жаба программер\nxxx:")
    assert feed.entries[0].published == datetime(2018, 3, 21, 7, 27, 32, tzinfo=UTC)


# --- malformed input --------------------------------------------------------------------------


def test_truncated_feed_returns_what_was_found_with_a_warning() -> None:
    body = rss("<item><title>Kept</title><link>/k</link></item><item><title>Cut")[:-20]
    feed = parse_feed(body, FEED_URL)
    assert feed.title == "T"
    assert feed.entries[0].title == "Kept"
    assert feed.warning is not None and "\n" not in feed.warning


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (
            '<link rel="alternate" type="application/rss+xml" href="/rss.xml">',
            "its feed is at https://example.com/rss.xml (this address is a web page: list that "
            "one instead; `aggregator add` finds a page's feed)",
        ),
        # a link that is no http(s) address, or holds a control character, is not repeated
        ('<link rel="alternate" type="application/rss+xml" href="javascript:x()">', None),
        ('<link rel="alternate" type="application/atom+xml" href="/a\x1b[31m">', None),
        ('<link rel="stylesheet" type="text/css" href="/site.css">', None),
    ],
)
def test_a_page_listed_as_a_feed_names_the_feed_it_points_to(head: str, said: str | None) -> None:
    page = f"<!doctype html><html><head><title>Site</title>{head}</head><body></body></html>"
    with pytest.raises(ParseError) as caught:
        parse_feed(page.encode(), "https://example.com/news/")
    assert caught.value.message == "not a feed: " + (said or "looks like an HTML page")


def test_well_formed_empty_feed_is_not_an_error() -> None:
    feed = parse_feed(b"<rss version='2.0'><channel></channel></rss>", FEED_URL)
    assert (feed.title, feed.entries, feed.warning) == (None, (), None)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"  \r\n\t ", "empty body"),
        (fixture("html_page.html"), "this address is a web page"),  # (it names its feed)
        (b"<head><title>Moved</title></head><body>gone</body>", "looks like an HTML page"),
        (b'[{"version": "https://jsonfeed.org/version/1.1", "items": []}]', "looks like JSON"),
        (b"\x00\x01\x02garbage\xff\xfe", "malformed XML"),
        (b"just some words", "malformed XML"),
        (b"<?xml version='1.0'?><note><to>x</to></note>", "no RSS, Atom or RDF elements"),
    ],
)
def test_not_a_feed_raises_parse_error(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(body, FEED_URL)
    assert caught.value.url == FEED_URL
    assert caught.value.message.startswith("not a feed: ")
    assert reason in caught.value.message


def test_body_that_is_a_file_path_is_not_opened(tmp_path: Path) -> None:
    real = tmp_path / "feed.xml"
    real.write_bytes(rss("<item><title>from disk</title></item>"))
    with pytest.raises(ParseError):
        parse_feed(str(real).encode(), FEED_URL)


def test_billion_laughs_is_harmless() -> None:
    # Expanded, lol9 would be 3 GB of text; feedparser drops the DTD and expat refuses it.
    feed = parse_feed(fixture("billion_laughs.xml"), FEED_URL)
    assert len(feed.entries) <= 1
    for entry in feed.entries:
        assert len(entry.title) + len(entry.text) < 1000
    assert feed.title is None or len(feed.title) < 1000


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        f"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY xxe SYSTEM 'file://{secret}'>]>"
        "<rss version='2.0'><channel><title>T &xxe;</title>"
        "<item><title>i &xxe;</title><description>&xxe;</description></item></channel></rss>"
    ).encode()
    try:
        feed = parse_feed(body, FEED_URL)
    except ParseError:
        return
    texts = [feed.title or ""] + [e.title + e.text for e in feed.entries]
    assert not any("TOP-SECRET" in t for t in texts)


def test_links_xml_cannot_carry_are_dropped() -> None:
    body = (
        b"<rss version='2.0'><channel><title>T</title><item><title>Odd</title>"
        b"<link>https://evil.example/a&#xFFFF;b</link><guid isPermaLink='false'>g1</guid>"
        b"</item></channel></rss>"
    )
    (entry,) = parse_feed(body, "https://feed.example/rss").entries
    assert entry.url is None


@pytest.mark.parametrize("ref", ["&#xD800;", "&#55296;", "&#x110000;", "&#99999999;"])
def test_one_impossible_character_reference_does_not_cost_the_feed(ref: str) -> None:
    body = (
        "<rss version='2.0'><channel><title>T</title>"
        f"<item><title>Bad {ref} title</title><guid isPermaLink='false'>g1</guid></item>"
        "<item><title>Good</title><guid isPermaLink='false'>g2</guid></item>"
        "</channel></rss>"
    ).encode()
    entries = parse_feed(body, "https://feed.example/rss").entries
    assert [e.guid for e in entries] == ["g1", "g2"]
    assert entries[0].title == "Bad \ufffd title"


def test_an_entry_keeps_the_publisher_its_source_names() -> None:
    """RSS `<source url>` (a Google News feed's) and Atom `<source>` (a planet's): the page or
    feed and the name; a source address that is no http(s) link is none."""
    rss = b"""<rss version="2.0"><channel><title>World - News digest</title>
    <item><title>Quay reopens - Harbour Gazette</title>
      <link>https://news.google.com/rss/articles/CBMiQ?oc=5</link>
      <source url="https://www.harbourgazette.example">Harbour Gazette</source></item>
    <item><title>Ferry resumes</title><link>https://news.google.com/rss/articles/CBMiF</link>
      <source url="javascript:alert(1)">Marrow &amp; Times</source></item>
    <item><title>No source</title><link>https://marrowtimes.example/n</link></item>
    </channel></rss>"""
    entries = parse_feed(rss, "https://news.google.com/rss", {}).entries
    assert [(e.source_url, e.source_name) for e in entries] == [
        ("https://www.harbourgazette.example", "Harbour Gazette"),
        (None, "Marrow & Times"),
        (None, None),
    ]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Planet</title>
    <entry><title>Post</title><id>urn:p</id><link href="https://blog.example/p"/>
      <updated>2024-03-05T10:00:00Z</updated>
      <source><id>urn:s</id><title>Jane's notes</title>
        <link rel="alternate" href="https://jane.example/"/></source></entry></feed>"""
    (entry,) = parse_feed(atom, "https://planet.example/atom.xml", {}).entries
    assert (entry.source_url, entry.source_name) == ("https://jane.example/", "Jane's notes")


def test_a_redirectors_link_that_carries_the_articles_address_links_the_article() -> None:
    """Bing News and Google Alerts link every entry through their own host, the article's
    address in the query: the entry links the article (its outlet, page and duplicates are
    the article's); the guid stays the link as written, so stored items keep their ids."""
    bing = (
        "https://www.bing.com/news/apiclick.aspx?ref=FexRss&amp;aid=&amp;tid=7a"
        "&amp;url=https%3a%2f%2fwww.harbourgazette.example%2f2026%2fdam&amp;c=11&amp;mkt=en-gb"
    )
    alert = (
        "https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://marrowtimes.example/a%3Fp%3D2"
    )
    odd = "https://www.google.com/url?q=javascript:alert(1)"
    regional = "https://news.google.co.uk/news/url?sa=t&amp;url=https://calder.example/b"
    body = (
        "<rss version='2.0'><channel><title>Digest</title>"
        + "".join(
            f"<item><title>Story {n}</title><link>{link}</link></item>"
            for n, link in enumerate((bing, alert, odd, regional))
        )
        + "</channel></rss>"
    ).encode()
    entries = parse_feed(body, "https://www.bing.com/news/search?format=rss", {}).entries
    assert [e.url for e in entries] == [
        "https://www.harbourgazette.example/2026/dam",
        "https://marrowtimes.example/a?p=2",
        "https://www.google.com/url?q=javascript:alert(1)",
        "https://calder.example/b",  # (Google News's old regional hosts wrap so too)
    ]
    assert entries[0].guid == bing.replace("&amp;", "&")


def test_a_reddit_post_that_submitted_an_article_links_the_article() -> None:
    """A news subreddit's post links its Reddit page; the "[link]" of its description is the
    article it submitted: the entry links that (its outlet, page and duplicates are the
    article's). A text post, a picture's post and a post of Reddit's own media keep Reddit's
    link; the guid stays Reddit's."""

    def post(n: int, submitted: str) -> str:
        page = f"https://www.reddit.com/r/worldnews/comments/{n}x/post_{n}/"
        description = html.escape(
            f'<table><tr><td>submitted by <a href="https://www.reddit.com/user/u{n}"> /u/u{n} '
            f'</a> <br/> <a href="{submitted}">[link]</a> <a href="{page}">[12 comments]</a>'
            "</td></tr></table>"
        )
        return (
            f"<item><title>Post {n}</title><link>{page}</link><guid>{page}</guid>"
            f"<description>{description}</description></item>"
        )

    submitted = [
        "https://www.harbourgazette.example/world/dam-opened?utm_source=reddit",
        "https://www.reddit.com/r/worldnews/comments/2x/post_2/",
        "https://i.imgur.com/Ab12Cd.jpg",
        "https://v.redd.it/q1w2e3",
    ]
    body = (
        "<rss version='2.0'><channel><title>worldnews</title>"
        + "".join(post(n, link) for n, link in enumerate(submitted, 1))
        + "</channel></rss>"
    ).encode()
    for fast in (True, False):
        feed = parse_feed(body, "https://www.reddit.com/r/worldnews/.rss", {}, fast=fast)
        assert [e.url for e in feed.entries] == [
            "https://www.harbourgazette.example/world/dam-opened?utm_source=reddit",
            "https://www.reddit.com/r/worldnews/comments/2x/post_2/",
            "https://www.reddit.com/r/worldnews/comments/3x/post_3/",
            "https://www.reddit.com/r/worldnews/comments/4x/post_4/",
        ]
        assert feed.entries[0].guid == "https://www.reddit.com/r/worldnews/comments/1x/post_1/"
