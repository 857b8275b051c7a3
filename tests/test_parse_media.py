"""An item's text is its own content or description, never a Media RSS description.

Publishers caption an item's photo with <media:description>, at item level or inside
<media:content>/<media:group>; feedparser reads it like the item's <description>. The feeds
below are generated here, shaped like the ones seen in the wild (a short teaser and a longer
photo caption; a caption typed "plain" after an HTML description; a video whose only text is
its media description). Each is parsed by both paths, which must agree; the plain RSS ones
take the lxml fast path.
"""

from __future__ import annotations

import pytest
from test_fast_parse import takes_fast_path

from aggregator.models import Entry, ParsedFeed
from aggregator.parse import parse_feed

FEED_URL = "https://news.example.com/feeds/main.xml"
MEDIA = "xmlns:media='http://search.yahoo.com/mrss/'"
CONTENT = "xmlns:content='http://purl.org/rss/1.0/modules/content/'"
TEASER = "Council approves the new bridge."
CAPTION = (
    "Workers stand on the old bridge on Tuesday, a day before the council voted on its "
    "replacement, in a photograph taken from the river bank."
)


def rss(item: str) -> bytes:
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0' {MEDIA} {CONTENT}>"
        "<channel><title>T</title><link>https://news.example.com/</link>"
        f"<item><title>Bridge vote</title><link>https://news.example.com/a/1</link>{item}</item>"
        "</channel></rss>"
    ).encode()


def both_paths(body: bytes) -> Entry:
    """The entry, checked to be the same from feedparser and from the fast path."""
    reference = parse_feed(body, FEED_URL, fast=False)
    assert parse_feed(body, FEED_URL) == reference
    assert isinstance(reference, ParsedFeed) and len(reference.entries) == 1
    return reference.entries[0]


ON_THE_FAST_PATH = {
    "item-level caption after the description",
    "item-level caption before the description",
    "caption inside media:content",
}
CAPTION_SHAPES = {
    "item-level caption after the description": (
        f"<description>{TEASER}</description><media:content url='https://img.example/1.jpg'/>"
        f"<media:credit>Ann Photo</media:credit><media:description>{CAPTION}</media:description>"
    ),
    "item-level caption before the description": (
        f"<media:description>{CAPTION}</media:description><description>{TEASER}</description>"
    ),
    "caption inside media:content": (
        f"<description>{TEASER}</description><media:content url='https://img.example/1.jpg'>"
        f"<media:description>{CAPTION}</media:description></media:content>"
    ),
    "caption inside media:group": (
        f"<description>{TEASER}</description><media:group><media:content "
        f"url='https://img.example/1.jpg'/><media:description>{CAPTION}</media:description>"
        "</media:group>"
    ),
}


@pytest.mark.parametrize("shape", CAPTION_SHAPES)
def test_a_longer_photo_caption_is_not_the_item_text(shape: str) -> None:
    body = rss(CAPTION_SHAPES[shape])
    entry = both_paths(body)
    assert entry.text == TEASER
    assert entry.title == "Bridge vote"
    assert takes_fast_path(body) == (shape in ON_THE_FAST_PATH)


def test_two_captions_go_to_feedparser_and_neither_is_the_text() -> None:
    # feedparser keeps the shallowest caption's text but the last one's type: not for lxml.
    item = (
        f"<description>{TEASER}</description><media:description>{CAPTION}</media:description>"
        "<media:content url='https://img.example/2.jpg'><media:description type='html'>"
        f"{CAPTION}</media:description></media:content>"
    )
    assert not takes_fast_path(rss(item))
    assert both_paths(rss(item)).text == TEASER


def test_a_plain_caption_does_not_turn_the_html_description_into_literal_tags() -> None:
    # feedparser gave the caption's type="plain" to the description read before it, so the
    # item's HTML teaser came out with "<p>" as words.
    item = (
        f"<description>&lt;p&gt;{TEASER}&lt;/p&gt;</description>"
        f"<content:encoded>&lt;p&gt;{TEASER}&lt;/p&gt;</content:encoded>"
        "<media:content url='https://img.example/1.jpg'>"
        f"<media:description type='plain'>{CAPTION}</media:description></media:content>"
    )
    assert takes_fast_path(rss(item))
    assert both_paths(rss(item)).text == TEASER


def test_content_encoded_is_still_preferred_when_longer() -> None:
    body_text = "Council approves the new bridge. " + "It will open in 2027. " * 5
    item = (
        f"<description>{TEASER}</description><content:encoded>{body_text}</content:encoded>"
        f"<media:description>{CAPTION}</media:description>"
    )
    assert both_paths(rss(item)).text == body_text.strip()


@pytest.mark.parametrize(
    "media",
    [
        "url='https://img.example/1.jpg'",
        "url='https://img.example/1' medium='image'",
        "url='https://img.example/1' type='image/jpeg'",
    ],
)
def test_a_pictures_caption_is_never_the_text_of_an_item_without_its_own(media: str) -> None:
    """A picture's caption had become the text of an item with none ("Vote-by-mail ballots
    in sorting trays at an election office …" a story's only bullet)."""
    item = f"<media:content {media}><media:description>{CAPTION}"
    item += "</media:description><media:credit>Ann Photo</media:credit></media:content>"
    assert takes_fast_path(rss(item))
    assert both_paths(rss(item)).text == ""


def test_an_item_without_text_of_its_own_falls_back_to_its_videos_description() -> None:
    item = "<media:content url='https://video.example/1.mp4' medium='video'><media:description>"
    item += f"{CAPTION}</media:description></media:content>"
    assert both_paths(rss(item)).text == CAPTION


def test_a_video_entry_reads_its_media_group_description() -> None:
    # The shape of a video site's Atom feed: no summary or content, a media:group per entry.
    body = (
        f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' {MEDIA}>"
        "<title>Channel</title><id>urn:channel</id><updated>2024-03-05T10:00:00Z</updated>"
        "<entry><id>urn:video:1</id><title>Bridge vote, explained</title>"
        "<link rel='alternate' href='https://video.example/watch?v=1'/>"
        "<published>2024-03-05T10:00:00Z</published><media:group>"
        "<media:title>Bridge vote, explained</media:title>"
        "<media:description>What the &lt;new&gt; bridge means for commuters.</media:description>"
        "</media:group></entry></feed>"
    ).encode()
    entry = both_paths(body)
    assert entry.text == "What the <new> bridge means for commuters."  # plain text by default
    assert entry.title == "Bridge vote, explained"


def test_an_html_typed_media_description_is_read_as_markup() -> None:
    item = "<media:description type='html'>&lt;b&gt;Workers&lt;/b&gt; on the bridge."
    item += "</media:description>"
    assert takes_fast_path(rss(item))
    assert both_paths(rss(item)).text == "Workers on the bridge."


def test_an_atom_entry_with_a_caption_takes_the_fast_path_and_keeps_its_summary() -> None:
    # Atom does not guess HTML: the untyped caption is plain text.
    body = (
        f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' {MEDIA}>"
        "<title>T</title><id>urn:feed</id><entry><id>urn:item:1</id><title>Bridge vote</title>"
        f"<summary>{TEASER}</summary><media:content url='https://img.example/1.jpg'>"
        f"<media:description>{CAPTION} &lt;b&gt;</media:description></media:content></entry>"
        "<entry><id>urn:item:2</id><title>Photo</title><media:description>A &lt;b&gt;bold"
        "&lt;/b&gt; caption.</media:description></entry></feed>"
    ).encode()
    assert takes_fast_path(body)
    reference = parse_feed(body, FEED_URL, fast=False)
    assert parse_feed(body, FEED_URL) == reference
    assert [e.text for e in reference.entries] == [TEASER, "A <b>bold</b> caption."]
