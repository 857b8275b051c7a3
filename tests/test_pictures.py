"""A story's picture as subscribers meet it: polled from loopback fixture feeds (Media RSS in
one, an Atom image enclosure in another), then read from the served site and feeds; and the
escaping and the switch that keep it safe or away."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import urllib.request
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from news_fixture import PICTURES
from published import Instance, published_instance
from stories import make_story

from aggregator.feeds import clear_memo, render_feed
from aggregator.models import Story
from aggregator.pages import render_category_html, render_story_html
from aggregator.publish import PublishSettings

MEDIA = "{http://search.yahoo.com/mrss/}"
ATOM = "{http://www.w3.org/2005/Atom}"
QUAKE_PICTURE = PICTURES["Powerful 7.1"]


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with published_instance(tmp_path_factory.mktemp("pictures")) as running:
        yield running


def get(instance: Instance, path: str) -> str:
    with urllib.request.urlopen(instance.root + path, timeout=10) as response:
        return response.read().decode()


def test_items_keep_their_feeds_pictures_and_the_story_its_first_sources(
    instance: Instance,
) -> None:
    with sqlite3.connect(instance.workdir / "aggregator.db") as db:
        items = dict(db.execute("SELECT title, image FROM items"))
        by_id = dict(db.execute("SELECT id, image FROM items"))
        stories = db.execute(
            "SELECT headline, image, image_source, sources FROM summaries"
        ).fetchall()
    assert items["Powerful 7.1 magnitude earthquake strikes off the coast of Chile"] == (
        QUAKE_PICTURE
    )
    assert (
        items[next(t for t in items if t.startswith("Chile earthquake"))]
        == (PICTURES["Chile earthquake"])
    )
    assert items["City library reopens after two-year renovation"] is None
    pictured = {headline: (image, source, json.loads(s)) for headline, image, source, s in stories}
    headline = next(k for k in pictured if "earthquake" in k.lower())
    image, source, sources = pictured[headline]
    assert image in PICTURES.values()
    assert by_id[sources[source]["item_id"]] == image  # the picture of the source it names
    # the headline's own source's, or (that one without) the first that has one
    assert headline in sources[source]["title"] or all(
        not by_id[s["item_id"]] for s in sources[:source]
    )
    library = next(v for k, v in pictured.items() if "library" in k.lower())
    assert library[:2] == (None, None)


def test_feeds_carry_the_picture_as_media_rss_and_json_feed_image(instance: Instance) -> None:
    for fmt in ("atom", "rss"):  # one `media` prefix, declared once on the root element
        text = get(instance, f"/feeds/world-news.{fmt}")
        root_tag = text.split("<", 3)[2]
        assert 'xmlns:media="http://search.yahoo.com/mrss/"' in root_tag
        assert text.count("xmlns:media=") == 1 and "<media:content " in text
    atom = ElementTree.fromstring(get(instance, "/feeds/world-news.atom"))
    entries = {e.findtext(f"{ATOM}title"): e for e in atom.iter(f"{ATOM}entry")}
    quake = next(e for t, e in entries.items() if "earthquake" in t.lower())
    content = quake.find(f"{MEDIA}content")
    assert content is not None and content.get("medium") == "image"
    assert content.get("url") in PICTURES.values()
    assert quake.find(f"{MEDIA}thumbnail").get("url") == content.get("url")  # type: ignore[union-attr]
    rss = ElementTree.fromstring(get(instance, "/feeds/world-news.rss"))
    pictured = [i.find(f"{MEDIA}content") for i in rss.iter("item")]
    assert any(p is not None and p.get("url") == content.get("url") for p in pictured)
    library = next(
        i
        for i in ElementTree.fromstring(get(instance, "/feeds/all.rss")).iter("item")
        if "library" in (i.findtext("title") or "").lower()
    )
    assert library.find(f"{MEDIA}content") is None
    items = json.loads(get(instance, "/feeds/world-news.json"))["items"]
    quake_item = next(i for i in items if "earthquake" in i["title"].lower())
    assert quake_item["image"] == content.get("url")


def test_pages_show_the_picture_credited_and_name_it_for_link_previews(
    instance: Instance,
) -> None:
    front = get(instance, "/")
    thumb = re.search(r'<img class="thumb" src="([^"]+)" alt="" title="Image: ([^"]+)"', front)
    assert thumb is not None and thumb.group(1) in PICTURES.values()
    story_path = re.search(r'href="http://127\.0\.0\.1:\d+(/stories/[^"]+)"', front)
    assert story_path is not None
    page = get(instance, story_path.group(1))
    figure = re.search(
        r'<figure class="picture"><img src="([^"]+)" alt="" decoding="async" '
        r'referrerpolicy="no-referrer"><figcaption dir="auto">Image: ([^<]+)</figcaption>',
        page,
    )
    assert figure is not None and figure.group(1) == thumb.group(1)
    assert figure.group(2) == thumb.group(2)  # the outlet whose picture it is
    assert f'<meta property="og:image" content="{figure.group(1)}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page


def pictured(story_id: str, image: str, source: int = 0) -> Story:
    """An invented story whose picture is `image`, credited to its source `source`."""
    story = make_story(story_id)
    assert story.summary is not None
    summary = dataclasses.replace(story.summary, image=image, image_source=source)
    return dataclasses.replace(story, summary=summary)


def test_a_story_pages_picture_loads_at_once_and_thumbnails_when_scrolled_to() -> None:
    """The story page's picture sits under its headline, in the first screen at phone width
    (the page's largest element): lazily loaded, it waited for layout (Chromium reports it).
    A list's thumbnails stay lazy: most are below the first screen."""
    story = pictured("s1", "https://img.example/dam.jpg")
    settings = PublishSettings()
    page = render_story_html(story, settings, [])
    figure = re.search(r'<figure class="picture"><img [^>]*>', page)
    assert figure is not None and 'src="https://img.example/dam.jpg"' in figure.group(0)
    assert "loading=" not in figure.group(0)  # eager, the default
    assert 'referrerpolicy="no-referrer"' in figure.group(0)
    listed = render_category_html("World News", "world-news", [story], settings, story.updated)
    assert listed is not None
    thumb = re.search(r'<img class="thumb" [^>]*>', listed)
    assert thumb is not None and 'loading="lazy"' in thumb.group(0)


def test_a_picture_address_cannot_break_out_of_its_attribute() -> None:
    hostile = 'https://img.example/a.jpg?"><script>alert(1)</script>'
    story = pictured("s1", hostile)
    settings = PublishSettings()
    page = render_story_html(story, settings, [])
    assert "<script>alert(1)" not in page
    # (its quote and brackets, which no URI may hold, are sent percent-encoded, as browsers do)
    encoded = "https://img.example/a.jpg?%22%3E%3Cscript%3Ealert(1)%3C/script%3E"
    assert f'src="{encoded}"' in page
    clear_memo()
    atom = render_feed("World News", "world-news", [story], "atom", settings, story.updated)
    url = ElementTree.fromstring(atom).find(f"{ATOM}entry/{MEDIA}content").get("url")  # type: ignore[union-attr]
    assert url == encoded  # (the XML is well-formed: the address is its attribute's value)


@pytest.mark.parametrize("image", ["javascript:alert(1)", "//img.example/a.jpg", "data:,x"])
def test_what_is_no_http_address_is_never_shown(image: str) -> None:
    story = pictured("s2", image)
    settings = PublishSettings()
    assert "<img" not in render_story_html(story, settings, [])
    clear_memo()
    assert b"media:" not in render_feed("W", "w", [story], "rss", settings, story.updated)


def test_a_site_that_shows_no_pictures() -> None:
    story = pictured("s3", "https://img.example/a.jpg", source=1)
    shown, hidden = PublishSettings(), PublishSettings(images=False)
    page = render_category_html("World News", "world-news", [story], shown, story.updated)
    assert 'title="Image: Wire Co"' in (page or "")
    assert "img.example" not in render_story_html(story, hidden, [])
    page = render_category_html("World News", "world-news", [story], hidden, story.updated)
    assert "img.example" not in (page or "")
    clear_memo()
    for fmt in ("atom", "rss", "json"):
        feed = render_feed("World News", "world-news", [story], fmt, hidden, story.updated)
        assert b"img.example" not in feed


def test_feeds_name_a_youtube_videos_picture_without_its_black_bars() -> None:
    """YouTube feeds give a video's 4:3 thumbnail (`hqdefault.jpg`), in which a 16:9 video has
    black bars: pages crop it to 16:9; feeds name the video's 16:9 one (`mqdefault.jpg`)."""
    video = "https://i2.ytimg.com/vi/XatcFDjEKHM/hqdefault.jpg"
    story = pictured("s4", video)
    settings = PublishSettings()
    clear_memo()
    atom = ElementTree.fromstring(render_feed("W", "w", [story], "atom", settings, story.updated))
    entry = atom.find(f"{ATOM}entry")
    assert entry is not None
    named = {e.get("url") for e in entry if e.tag in (f"{MEDIA}content", f"{MEDIA}thumbnail")}
    assert named == {"https://i.ytimg.com/vi/XatcFDjEKHM/mqdefault.jpg"}
    feed = json.loads(render_feed("W", "w", [story], "json", settings, story.updated))
    assert feed["items"][0]["image"] == "https://i.ytimg.com/vi/XatcFDjEKHM/mqdefault.jpg"
    assert f'src="{video}"' in render_story_html(story, settings, [])  # (cropped there)
