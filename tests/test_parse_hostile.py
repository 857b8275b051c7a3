"""Bodies crafted (or broken) to make a parser slow: each reads in time linear in its size.

feedparser's e-mail search in an author, its sanitizer's search for a comment's end, and
CPython's HTMLParser at the end of unclosed constructs all took time quadratic in what they
read: 40,000 characters cost 0.2–15 s, a 16 MB body days, and the pass waited on that feed.
Each test reads a ~1 MB body (under a second now) and asserts what the reader gets; an alarm
guards each, so a quadratic reading fails the test after two minutes instead of hanging it.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from linear_time import SIZE, finishes

from aggregator.models import Fetched, Item, ParsedFeed, Source
from aggregator.parse import MAX_AUTHOR, MAX_NAMESPACES, parse_feed
from aggregator.parse_task import parse_items
from aggregator.text import html_to_text

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
SOURCE = Source("http://feeds.example/a.xml", "A", "World News")


def rss(item: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
        f"<link>http://site.example/</link><item><title>One</title>"
        f"<link>http://site.example/1</link>{item}</item></channel></rss>"
    ).encode()


def items_of(body: bytes, headers: dict[str, str] | None = None) -> tuple[ParsedFeed, list[Item]]:
    fetched = Fetched(SOURCE.url, SOURCE.url, 200, body, headers or {})
    return finishes(lambda: parse_items(SOURCE, fetched, NOW))


@pytest.mark.parametrize("element", ["author", "dc:creator"])
@pytest.mark.parametrize("unit", ["a.", "1", "1-"])
def test_a_huge_author_is_read_cut_to_a_byline(element: str, unit: str) -> None:
    author = "x@" + unit * (SIZE // len(unit)) + "!"
    _, items = items_of(rss(f"<{element}>{author}</{element}>"))
    assert len(items) == 1
    assert items[0].author is not None and 0 < len(items[0].author) <= MAX_AUTHOR


def test_an_author_with_an_address_still_reads_as_before() -> None:
    feed = parse_feed(rss("<author>Jane Roe &lt;jane@paper.example&gt;</author>"), SOURCE.url)
    assert feed.entries[0].author == "Jane Roe"


def test_a_huge_atom_author_name_of_unclosed_tags_is_read() -> None:
    name = html.escape("<a " * (SIZE // 3))
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        "<id>urn:f</id><updated>2024-03-05T10:00:00Z</updated><entry><title>One</title>"
        '<id>urn:1</id><link href="http://site.example/1"/>'
        f"<updated>2024-03-05T10:00:00Z</updated><author><name>{name}</name></author>"
        "<summary>Text.</summary></entry></feed>"
    ).encode()
    _, items = items_of(body)
    assert len(items) == 1 and items[0].author is not None


def test_a_description_of_unclosed_comments_loses_only_the_comment() -> None:
    # The sanitizer drops an unclosed comment with all that follows it, as feedparser does
    # (the address in the author: feedparser reads this feed, not the fast path).
    text = "Flood waters rose overnight. " + "<!--" * (SIZE // 4)
    body = rss(f"<author>desk@paper.example</author><description>{html.escape(text)}</description>")
    _, items = items_of(body)
    assert items[0].text == "Flood waters rose overnight."


def test_a_closed_comment_is_still_dropped_and_the_rest_kept() -> None:
    text = "Before. <!-- an editor's note --> After, with a > sign."
    item = f"<author>desk@paper.example</author><description>{html.escape(text)}</description>"
    feed = parse_feed(rss(item), SOURCE.url)  # (the address: feedparser reads this feed)
    assert "editor" not in feed.entries[0].text
    assert "Before." in feed.entries[0].text and "After, with a > sign." in feed.entries[0].text


@pytest.mark.parametrize("unit", ["<a ", "<a\n", "<a/", "<a b='", "<!--", "<![", "<?", "<x"])
def test_html_of_unclosed_constructs_is_read_as_text(unit: str) -> None:
    markup = "<p>Lead paragraph.</p>" + unit * (SIZE // len(unit))
    text = finishes(lambda: html_to_text(markup))
    assert text.startswith("Lead paragraph.")


def test_an_unclosed_tag_after_text_is_kept_as_text() -> None:
    assert html_to_text("<p>Rates rose</p> 2 <b <i 3") == "Rates rose\n2 <b <i 3"
    assert html_to_text("<p>Rates rose</p> 2 <b") == "Rates rose\n2 <b"


def test_a_json_feed_of_unclosed_tags_is_read() -> None:
    markup = "<p>Lead paragraph.</p>" + "<a " * (SIZE // 3)
    item = {"id": "1", "url": "http://site.example/1", "title": "One", "content_html": markup}
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [item]}
    body = json.dumps(doc).encode()
    _, items = items_of(body, {"content-type": "application/feed+json"})
    assert len(items) == 1 and items[0].text.startswith("Lead paragraph.")


@pytest.mark.parametrize("unit", ['<a href="', ' href="x', "https://"])
def test_a_posts_huge_text_of_unclosed_links_is_read(unit: str) -> None:
    """A social post's text is searched for the one article it shares (`parse._shared`):
    addresses that never close are read in linear time, and share nothing."""
    post = "https://social.example/@harbour/1130"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://social.example/@harbour</link><item>"
        f"<link>{post}</link><description>{html.escape(unit * (SIZE // len(unit)))}"
        "</description></item></channel></rss>"
    ).encode()
    feed = finishes(lambda: parse_feed(body, SOURCE.url))
    assert feed.entries[0].url == post


@pytest.mark.parametrize("unit", ['<a href="x" ', "<a ", "[link]"])
def test_a_reddit_posts_huge_markup_of_anchors_is_read(unit: str) -> None:
    """A post's "[link]" is searched for in its markup (`parse._submitted`): a JSON Feed's
    `content_html` reaches it unsanitised, and anchors that never close read in linear time."""
    post = "https://www.reddit.com/r/news/comments/1/title/"
    markup = unit * (SIZE // len(unit)) + "[link]"
    item = {"id": "1", "url": post, "content_html": markup}
    body = json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [item]}
    )
    feed = finishes(lambda: parse_feed(body.encode(), SOURCE.url))
    assert feed.entries[0].url == post


def test_a_long_word_inside_a_picture_tag_reads_in_linear_time() -> None:
    from aggregator.entry_images import candidates

    word = "a" * SIZE  # (quadratic before: 30,000 letters took 10 s)
    tag = f'<p>Flood.</p><img {word} src="https://pictures.example/flood.jpg" {word}>'
    assert finishes(lambda: list(candidates({}, [tag]))) == ["https://pictures.example/flood.jpg"]
    assert finishes(lambda: list(candidates({}, ["<p>Flood.</p>" + "<img " * (SIZE // 5)]))) == []


def test_a_page_head_of_long_or_unclosed_meta_tags_reads_in_linear_time() -> None:
    from aggregator.entry_images import page_picture

    picture = b'<meta property="og:image" content="https://pictures.example/flood.jpg">'
    for rest in (b"<meta " + b"a" * SIZE + b">", b"<meta " * (SIZE // 6)):
        found = finishes(lambda rest=rest: page_picture(picture + rest, "https://news.example/"))
        assert found == "https://pictures.example/flood.jpg"


@pytest.mark.parametrize("fast", [True, False])
def test_an_item_of_a_hundred_thousand_categories_reads_in_linear_time(fast: bool) -> None:
    """feedparser (and the fast path, which gives its result) searched an entry's tags for
    each new one: 100,000 <category> elements of one item (2.8 MB) held a pass for 294 s,
    20,000 took 7 s. The first 50 are kept, as before, by either parser."""
    categories = "".join(f"<category>c{n}</category>" for n in range(150_000))
    body = rss(categories)
    headers = {"content-type": "application/rss+xml; charset=utf-8"}
    feed = finishes(lambda: parse_feed(body, SOURCE.url, headers, fast=fast))
    [entry] = feed.entries
    assert entry.tags == tuple(f"c{n}" for n in range(50))


def latin1_atom(entry: str, root: str = "") -> bytes:
    """An Atom document in ISO-8859-1 (which the fast path leaves to feedparser)."""
    return (
        '<?xml version="1.0" encoding="iso-8859-1"?>'
        f'<feed xmlns="http://www.w3.org/2005/Atom"{root}><title>T</title>'
        '<link href="http://site.example/"/><id>urn:t</id><entry><title>One</title>'
        f'<link href="http://site.example/1"/><id>urn:1</id>{entry}</entry></feed>'
    ).encode("latin-1")


def test_an_element_of_a_hundred_thousand_attributes_reads_in_linear_time() -> None:
    """feedparser looked each attribute up by its name in the list of all of them: 20,000
    attributes on one element (0.2 MB) took 17 s, 100,000 would take half an hour."""
    attributes = " ".join(f'a{n}="v"' for n in range(100_000))
    body = latin1_atom(f'<x {attributes}/><summary type="text">Flood.</summary>')
    feed = finishes(lambda: parse_feed(body, SOURCE.url, fast=False))
    [entry] = feed.entries
    assert (entry.title, entry.text) == ("One", "Flood.")


def test_a_feed_of_sixty_thousand_namespaces_reads_in_linear_time() -> None:
    """feedparser looked each element of a namespace it does not know up in every namespace
    the document declared so far: 20,000 elements each in a namespace of its own (1.2 MB)
    took 39 s. Past `MAX_NAMESPACES` the document is read as feedparser reads a malformed
    one, which says so; the entry is read as before."""
    declared = "".join(
        f'<n{n}:x xmlns:n{n}="http://ns{n}.example/">w</n{n}:x>' for n in range(60_000)
    )
    body = latin1_atom(f'{declared}<summary type="text">Flood.</summary>')
    feed = finishes(lambda: parse_feed(body, SOURCE.url, fast=False))
    [entry] = feed.entries
    assert (entry.title, entry.text) == ("One", "Flood.")
    assert feed.warning is not None and f"over {MAX_NAMESPACES} XML namespaces" in feed.warning


def test_a_feed_of_a_few_namespaces_is_read_as_well_formed() -> None:
    declared = "".join(
        f'<n{n}:x xmlns:n{n}="http://ns{n}.example/">w</n{n}:x>' for n in range(MAX_NAMESPACES // 2)
    )
    feed = parse_feed(latin1_atom(declared), SOURCE.url, fast=False)
    assert feed.warning is None and [e.title for e in feed.entries] == ["One"]


def test_feedparser_mended_by_two_threads_at_once_keeps_its_own_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two threads parsing their first feeds at once both mend feedparser: one that looked
    whether the strict reader was mended, then read it again after the other had mended it,
    kept the mend as feedparser's own, which then called itself (every feed failed)."""
    import feedparser.parsers.strict

    from aggregator import parse

    class OtherThreadMends(type):
        """A class whose first look at its reader is followed at once by another thread's
        mend of it."""

        looked = False

        def __getattribute__(cls, name: str) -> Any:
            found = type.__getattribute__(cls, name)
            if name in {"__dict__", "startPrefixMapping"} and not OtherThreadMends.looked:
                OtherThreadMends.looked = True
                found = dict(found) if name == "__dict__" else found
                type.__setattr__(cls, "startPrefixMapping", parse._start_prefix_mapping)
            return found

    parse._feedparser()  # (feedparser's own readers, as kept at its first mend)
    own_reader, own_start = (
        parse._feedparser_start_prefix_mapping,
        parse._feedparser_start_element_ns,
    )
    assert own_reader is not None and own_reader is not parse._start_prefix_mapping

    class Strict(feedparser.parsers.strict._StrictFeedParser, metaclass=OtherThreadMends):  # type: ignore[misc]
        startPrefixMapping = own_reader
        startElementNS = own_start

    monkeypatch.setattr(feedparser.parsers.strict, "_StrictFeedParser", Strict)
    monkeypatch.setattr(parse, "_feedparser_start_prefix_mapping", None)
    monkeypatch.setattr(parse, "_feedparser_start_element_ns", None)
    parse._feedparser()
    assert OtherThreadMends.looked
    assert parse._feedparser_start_prefix_mapping is own_reader


def unclosed_elements(size: int) -> bytes:
    """A feed whose one item holds `size` bytes of elements never closed: feedparser's
    slowest shape (a 256 KB body took 22 s here, read in full by both of its readers)."""
    return rss("<description>" + "<x>" * (size // 3))


@pytest.mark.parametrize("shape", ["unclosed", "many entries"])
def test_a_parse_told_to_give_up_stops_within_moments(shape: str) -> None:
    """A parse in a thread cannot be killed as a worker is: it asks `give_up` at each element
    and entry it reads, and stops with ParseTimedOut once told (a thread had parsed a
    hostile 512 KB body for ~23 s with nothing to stop it)."""
    from aggregator.errors import ParseTimedOut

    if shape == "unclosed":
        body = unclosed_elements(256 * 1024)
    else:  # (the fast path reads it; the entries are then each cleaned)
        body = rss("").replace(b"<item>", b"<item></item><item>" * 20_000, 1)
    asked = 0

    def give_up() -> bool:
        nonlocal asked
        asked += 1
        return asked > 200

    with pytest.raises(ParseTimedOut, match="given up"):
        finishes(lambda: parse_feed(body, SOURCE.url, {}, give_up=give_up))
    assert asked == 201


def test_a_parse_never_told_to_give_up_reads_as_one_without() -> None:
    body = rss("<description>" + "<p>Flood <b>waters</b> rose.</p>" * 50 + "</description>")
    read = parse_feed(body, SOURCE.url, {}, fast=False, give_up=lambda: False)
    assert read == parse_feed(body, SOURCE.url, {}, fast=False)
    assert "Flood waters rose." in read.entries[0].text
