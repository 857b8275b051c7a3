"""Feed formats beyond the basics: JSON Feed 1.1, RSS content:encoded, feed ids, languages,
the "top stories" flavour, update notes and the OPML of every output feed."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from stories import make_story

from aggregator import feeds, heap
from aggregator.feeds import render_feed, render_outputs_opml
from aggregator.models import Bullet, SourceRef, Story, Summary
from aggregator.publish import ALL_SLUG, ALL_TITLE, PublishSettings
from aggregator.slugs import slugify

BASE = "https://news.example.org/agg/"
SETTINGS = PublishSettings(base_url=BASE, site_title="Daily")
NOW = datetime(2025, 3, 1, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def with_outlets(story: Story, count: int) -> Story:
    assert story.summary is not None
    sources = tuple(
        SourceRef(f"Outlet {n}", f"Title {n}", f"https://o{n}.example/{story.id}")
        for n in range(count)
    )
    summary = dataclasses.replace(story.summary, sources=sources, outlet_count=count)
    return dataclasses.replace(story, summary=summary)


def german_story() -> Story:
    summary = Summary(
        headline="Bundestag beschließt neues Gesetz",
        bullets=(
            Bullet(
                "Der Bundestag hat am Donnerstag das Gesetz mit großer Mehrheit beschlossen.", (0,)
            ),
            Bullet(
                "Die Opposition kritisiert, dass die Kosten für die Länder nicht geklärt sind.",
                (0,),
            ),
        ),
        sources=(SourceRef("Tagesschau", "Gesetz beschlossen", "https://t.example/1"),),
        outlet_count=1,
    )
    return make_story("de1", "Bundestag beschließt neues Gesetz", summary=summary)


def test_json_feed_1_1_has_the_required_fields_and_stable_ids() -> None:
    stories = [make_story("s1", "Ceasefire agreed", hours=1), make_story("s2", "Storm", hours=2)]
    doc = json.loads(render_feed("World News", "world-news", stories, "json", SETTINGS, NOW))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == "Daily: World News"
    assert doc["feed_url"] == f"{BASE}feeds/world-news.json"
    assert doc["home_page_url"] == f"{BASE}world-news/"
    assert [i["id"] for i in doc["items"]] == ["urn:aggregator:story:s2", "urn:aggregator:story:s1"]
    first = doc["items"][1]
    assert first["url"] == f"{BASE}stories/s1/"
    assert first["date_published"] == "2025-02-12T09:00:00+00:00"
    assert first["date_modified"] == "2025-02-12T09:30:00+00:00"
    assert "Summary based on 2 sources" in first["content_html"]
    assert first["summary"].startswith("Ceasefire agreed: first fact")
    assert first["language"] == "en" and first["tags"] == ["World News"]


def test_rss_has_plain_excerpt_in_description_and_html_in_content_encoded() -> None:
    xml = render_feed("W", "w", [make_story("s1", "Storm")], "rss", SETTINGS, NOW)
    item = ET.fromstring(xml).find("channel/item")
    assert item is not None
    description = item.findtext("description") or ""
    assert description.startswith("Storm: first fact") and "<" not in description
    encoded = item.findtext(f"{CONTENT}encoded") or ""
    assert "<ul>" in encoded and "Summary based on 2 sources" in encoded


def test_long_excerpts_are_cut_at_a_word() -> None:
    long = Summary("H", (Bullet("word " * 200, (0,)),), (SourceRef("A", "B", None),), 1)
    xml = render_feed("W", "w", [make_story("s1", summary=long)], "rss", SETTINGS, NOW)
    description = ET.fromstring(xml).findtext("channel/item/description") or ""
    assert len(description) <= 301 and description.endswith("word…")


def test_feed_id_is_a_host_free_tag_uri_unless_a_public_base_url_is_set() -> None:
    ids = set()
    for base in ("http://127.0.0.1:8080/", "http://127.0.0.1:9000/", "http://[::1]:8000/"):
        settings = PublishSettings(base_url=base, listen_base_url=True)
        root = ET.fromstring(render_feed("W", "world", [], "atom", settings, NOW))
        ids.add(root.findtext(f"{ATOM}id"))
    assert ids == {"tag:aggregator,2025:feeds/world"}
    root = ET.fromstring(render_feed("W", "world", [], "atom", SETTINGS, NOW, top=True))
    assert root.findtext(f"{ATOM}id") == f"{BASE}feeds/world/top"


def test_each_entry_carries_its_story_language() -> None:
    stories = [german_story(), make_story("en1", "Storm", hours=1)]
    atom = ET.fromstring(render_feed("W", "w", stories, "atom", SETTINGS, NOW))
    langs = {e.findtext(f"{ATOM}title"): e.get(XML_LANG) for e in atom.iter(f"{ATOM}entry")}
    assert langs == {"Bundestag beschließt neues Gesetz": "de", "Storm": "en"}
    rss = ET.fromstring(render_feed("W", "w", stories, "rss", SETTINGS, NOW))
    assert [i.findtext(f"{DC}language") for i in rss.iter("item")] == ["en", "de"]
    doc = json.loads(render_feed("W", "w", stories, "json", SETTINGS, NOW))
    assert [i["language"] for i in doc["items"]] == ["en", "de"]


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_top_flavour_keeps_only_stories_several_outlets_covered(fmt: str) -> None:
    stories = [
        with_outlets(make_story("one", "Single", hours=3), 1),
        with_outlets(make_story("two", "Pair", hours=2), 2),
        with_outlets(make_story("five", "Big", hours=1), 5),
    ]

    def titles(top: bool) -> list[str]:
        doc = render_feed("W", "w", stories, fmt, SETTINGS, NOW, top=top)
        if fmt == "json":
            return [i["title"] for i in json.loads(doc)["items"]]
        return [e.title for e in feedparser.parse(doc).entries]

    assert titles(top=True) == ["Pair", "Big"]
    assert titles(top=False) == ["Single", "Pair", "Big"]


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_feed_titles_name_the_flavour_once(fmt: str) -> None:
    stories = [with_outlets(make_story("two", "Pair"), 2)]

    def title(name: str, slug: str, top: bool) -> str:
        doc = render_feed(name, slug, stories, fmt, SETTINGS, NOW, top=top)
        if fmt == "json":
            return str(json.loads(doc)["title"])
        return str(feedparser.parse(doc).feed.title)

    assert title("World News", "world-news", top=False) == "Daily: World News"
    assert title("World News", "world-news", top=True) == "Daily: World News, top stories"
    assert title(ALL_TITLE, ALL_SLUG, top=False) == "Daily: All stories"
    assert title(ALL_TITLE, ALL_SLUG, top=True) == "Daily: Top stories"
    opml = ET.fromstring(render_outputs_opml([(ALL_TITLE, ALL_SLUG)], "atom", SETTINGS))
    assert [o.get("title") for o in opml.iter("outline") if o.get("xmlUrl")] == [
        "All stories",
        "Top stories",
    ]


def test_single_outlet_stories_do_not_crowd_out_widely_covered_ones() -> None:
    settings = PublishSettings(base_url=BASE, max_items=3)
    singles = [with_outlets(make_story(f"s{h}", f"Single {h}", hours=h), 1) for h in range(5, 10)]
    shared = [with_outlets(make_story(f"m{h}", f"Shared {h}", hours=h), 3) for h in (1, 2)]
    titles = [
        e.title
        for e in feedparser.parse(
            render_feed("W", "w", singles + shared, "atom", settings, NOW)
        ).entries
    ]
    assert titles == ["Single 9", "Shared 2", "Shared 1"]


def test_entries_of_one_poll_keep_their_own_updated_times() -> None:
    stories = [make_story(f"s{h}", f"Story {h}", hours=h) for h in range(5)]
    root = ET.fromstring(render_feed("W", "w", stories, "atom", SETTINGS, NOW))
    updated = [e.findtext(f"{ATOM}updated") for e in root.iter(f"{ATOM}entry")]
    assert len(set(updated)) == len(updated)


def test_a_material_update_says_what_changed_in_the_body() -> None:
    story = make_story("s1", "Storm")
    first = feedparser.parse(render_feed("W", "w", [story], "atom", SETTINGS, NOW)).entries[0]
    assert "Updated:" not in first.content[0].value
    later = story.updated + timedelta(hours=2)
    updated = dataclasses.replace(story, version=2, added_sources=2, updated=later)
    again = feedparser.parse(render_feed("W", "w", [updated], "atom", SETTINGS, NOW)).entries[0]
    assert again.id == first.id and again.published == first.published
    assert again.updated != first.updated
    assert "Updated: 2 new sources" in again.content[0].value
    edited = dataclasses.replace(story, version=3, added_sources=0)
    body = feedparser.parse(render_feed("W", "w", [edited], "rss", SETTINGS, NOW)).entries[0]
    assert "Updated: new details" in body.content[0].value


@pytest.mark.parametrize(("fmt", "ext"), [("atom", "atom"), ("rss", "rss"), ("json", "json")])
def test_opml_lists_every_feed_of_one_format_by_category(fmt: str, ext: str) -> None:
    rows = [("World News", "world-news"), ("Science & Tech", "science-tech"), ("All", "all")]
    root = ET.fromstring(render_outputs_opml(rows, fmt, SETTINGS))
    assert root.get("version") == "2.0"
    groups = root.findall("body/outline")
    assert [g.get("text") for g in groups] == ["World News", "Science & Tech", "All"]
    urls = [o.get("xmlUrl") for o in groups[1].findall("outline")]
    assert urls == [f"{BASE}feeds/science-tech.{ext}", f"{BASE}feeds/science-tech/top.{ext}"]
    assert {o.get("type") for o in root.iter("outline") if o.get("xmlUrl")} == {"rss"}


def test_rss_description_is_text_escaped_for_readers_that_read_it_as_html() -> None:
    summary = Summary("H", (Bullet("The S&P 500 rose <3% as A&B merged.", (0,)),), (), 1)
    story = make_story("s1", summary=summary)
    rss = feedparser.parse(render_feed("W", "w", [story], "rss", SETTINGS, NOW)).entries[0]
    assert rss.summary == "The S&amp;P 500 rose &lt;3% as A&amp;B merged."  # HTML source
    atom = ET.fromstring(render_feed("W", "w", [story], "atom", SETTINGS, NOW))
    assert atom.findtext(f"{ATOM}entry/{ATOM}summary") == "The S&P 500 rose <3% as A&B merged."
    doc = json.loads(render_feed("W", "w", [story], "json", SETTINGS, NOW))
    assert doc["items"][0]["summary"] == "The S&P 500 rose <3% as A&B merged."


def test_an_entry_falls_back_to_its_sources_declared_language_then_ours() -> None:
    """Text too short to tell: the sources' feeds' declared language, else the configured one."""
    declared = dataclasses.replace(
        make_story("pt1", "Ceasefire", hours=1), declared_language="pt-BR"
    )
    plain = make_story("x1", "Ceasefire", hours=2)
    # the made-up bullets are English; blank them so detection has nothing to go on
    declared = dataclasses.replace(
        declared, summary=dataclasses.replace(declared.summary, bullets=())
    )
    plain = dataclasses.replace(plain, summary=dataclasses.replace(plain.summary, bullets=()))
    atom = ET.fromstring(render_feed("W", "w", [declared, plain], "atom", SETTINGS, NOW))
    langs = {e.findtext(f"{ATOM}id"): e.get(XML_LANG) for e in atom.iter(f"{ATOM}entry")}
    assert langs == {"urn:aggregator:story:pt1": "pt-BR", "urn:aggregator:story:x1": "en"}


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_plain_text_ampersands_are_hex_references_and_read_back_unchanged(fmt: str) -> None:
    story = make_story("amp1", "AT&T and 1&1 Ionos agree a <big> deal", category="Science & Tech")
    xml = render_feed("Science & Tech", "science-tech", [story], fmt, SETTINGS, NOW)
    assert b"AT&#x26;T and 1&#x26;1 Ionos agree a &#x3C;big&gt; deal</title>" in xml
    assert b"AT&amp;T" not in xml
    parsed = feedparser.parse(xml)
    assert parsed.feed.title == "Daily: Science & Tech"
    entry = parsed.entries[0]
    assert entry.title == "AT&T and 1&1 Ionos agree a <big> deal"
    assert [tag.term for tag in entry.tags] == ["Science & Tech"]
    assert "Summary based on 2 sources" in entry.content[0].value  # the HTML body, as before
    root = ET.fromstring(xml)
    titles = [e.text for e in root.iter() if e.tag in ("title", f"{ATOM}title")]
    assert "AT&T and 1&1 Ionos agree a <big> deal" in titles


def test_the_all_stories_feeds_link_the_all_stories_page() -> None:
    """The "All stories" feeds and their OPML entries link /all/, every category's stories
    ranked as a category's page ranks its own (it was no page once, and they linked the front
    page then)."""
    stories = [make_story("s1", "Storm")]
    atom = ET.fromstring(render_feed(ALL_TITLE, ALL_SLUG, stories, "atom", SETTINGS, NOW))
    alternate = [
        link.get("href") for link in atom.findall(f"{ATOM}link") if link.get("rel") == "alternate"
    ]
    assert alternate == [f"{BASE}all/"]
    rss = ET.fromstring(render_feed(ALL_TITLE, ALL_SLUG, stories, "rss", SETTINGS, NOW))
    assert rss.findtext("channel/link") == f"{BASE}all/"
    doc = json.loads(render_feed(ALL_TITLE, ALL_SLUG, stories, "json", SETTINGS, NOW))
    assert doc["home_page_url"] == f"{BASE}all/"
    opml = ET.fromstring(
        render_outputs_opml([("World News", "world-news"), (ALL_TITLE, ALL_SLUG)], "atom", SETTINGS)
    )
    pages = {o.get("xmlUrl"): o.get("htmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")}
    assert pages[f"{BASE}feeds/all.atom"] == pages[f"{BASE}feeds/all/top.atom"] == f"{BASE}all/"
    assert pages[f"{BASE}feeds/world-news.atom"] == f"{BASE}world-news/"
    # A category that is itself called "All" has its own slug, and its page.
    doc = json.loads(render_feed("All", slugify("All"), stories, "json", SETTINGS, NOW))
    assert doc["home_page_url"] == f"{BASE}all-category/"


def test_the_entry_memo_keeps_one_entry_a_story_its_latest_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A story republished in many versions keeps one entry (a memo keyed by the whole story
    kept every old version until thousands filled it); an unchanged story's entry is made
    once for all the feeds that carry it; the memo is bounded by stories, and lets go of the
    entries nobody asked for lately."""
    memo = feeds._EntryMemo(3, timedelta(hours=1))
    monkeypatch.setattr(feeds, "_entries", memo)
    monkeypatch.setattr(feeds, "_entry", memo.get)
    made: list[str] = []
    make = feeds._make_entry
    monkeypatch.setattr(
        feeds, "_make_entry", lambda story, *args: made.append(story.id) or make(story, *args)
    )
    for version in range(20):  # (the story grows a poll at a time)
        story = make_story("s1", f"Ceasefire agreed, talks day {version}")
        for fmt in ("atom", "rss", "json"):
            body = render_feed("World News", "world-news", [story], fmt, SETTINGS, NOW)
            assert f"talks day {version}" in body.decode()
    assert len(memo) == 1 and made == ["s1"] * 20
    for n in range(5):
        render_feed("World News", "world-news", [make_story(f"o{n}")], "atom", SETTINGS, NOW)
    assert len(memo) == 3

    # Two stories asked for every half hour stay; the others, asked for no more, go once an
    # entry is made more than an hour after they were last asked for (room left or not).
    memo = feeds._EntryMemo(10, timedelta(hours=1))
    monkeypatch.setattr(feeds, "_entries", memo)
    monkeypatch.setattr(feeds, "_entry", memo.get)
    others = [make_story(f"o{n}") for n in range(5)]
    render_feed("World News", "world-news", others, "atom", SETTINGS, NOW)
    kept = [make_story("k1", "Storm"), make_story("k2", "Strike")]
    for half_hours in range(1, 5):
        later = NOW + timedelta(minutes=30 * half_hours)
        render_feed("World News", "world-news", kept, "atom", SETTINGS, later)
    made.clear()
    render_feed("World News", "world-news", [*kept, make_story("new")], "atom", SETTINGS, later)
    assert made == ["new"] and len(memo) == 3
    assert heap.forget_memos() and len(memo) == 0


def test_an_item_names_the_outlets_behind_it_as_its_authors() -> None:
    """Readers show an item's author under its headline: there, the outlets whose words the
    summary is ("Example Times and Wire Co"; the first three and "and N more"), in each format
    as it says authors; the feed itself stays the site's."""
    story = make_story("s1")
    assert story.summary is not None
    many = tuple(
        SourceRef(f"Outlet {n}", f"Report {n}", f"https://o{n}.example/") for n in range(5)
    )
    crowded = dataclasses.replace(
        make_story("s2", hours=1),
        summary=dataclasses.replace(story.summary, sources=many, outlet_count=5),
    )
    stories = [story, crowded, make_story("s3", hours=2, no_summary=True)]
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse(render_feed("W", "w", stories, fmt, SETTINGS, NOW))
        if fmt == "atom":
            assert parsed.feed.author == "Daily"
        by_id = {e.link.rstrip("/").rsplit("/", 1)[-1]: e.get("author") for e in parsed.entries}
        assert by_id["s1"] == "Example Times and Wire Co", fmt
        assert by_id["s2"] == "Outlet 0, Outlet 1, Outlet 2 and 2 more", fmt
        assert by_id.get("s3") in (None, "Daily"), fmt  # (none of its own: the feed's)
    document = json.loads(render_feed("W", "w", stories, "json", SETTINGS, NOW))
    authors = {i["url"].rstrip("/").rsplit("/", 1)[-1]: i.get("authors") for i in document["items"]}
    assert authors["s1"] == [{"name": "Example Times and Wire Co"}] and authors.get("s3") is None
    assert document["authors"] == [{"name": "Daily"}]
