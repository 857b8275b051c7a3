"""A story's language is said alike wherever it is published (its page's and its category
page's `lang`, Atom `xml:lang`, RSS `dc:language`, JSON Feed `language`): an outlet's
stories by the tag it declares, whether or not their text tells the language; a category's by
the OPML's tag for it; a story of outlets declaring different regions by its language alone."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from stories import make_story

from aggregator.lang import agreed_language
from aggregator.models import Bullet, FeedState, Item, Source, SourceRef, Summary
from aggregator.publish import PublishSettings, story_language
from aggregator.site import Site
from aggregator.store import Store

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PLANET = Source("https://planet.example/feed", "Daily Planet", "World")  # says "en-GB"
METRO = Source("https://metro.example/feed", "Metro Ledger", "World")  # says "en-US"
GAZETTE = Source("https://gazette.example/feed", "Gazette", "Home")  # says "en-US"
ENGLISH = (
    "The council said the new bridge over the river will open to traffic in the spring, "
    "and that the work on it is on time and within its budget."
)
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DC_LANGUAGE = "{http://purl.org/dc/elements/1.1/}language"


def item(source: Source, guid: str) -> Item:
    return Item(
        id=f"{source.url}#{guid}",
        title=f"Report {guid}",
        text=ENGLISH,
        feed_url=source.url,
        guid=guid,
        url=f"{source.url.removesuffix('feed')}{guid}",
        published=NOW,
        first_seen=NOW,
        outlet=source.url.split("/")[2],
        outlet_name=source.title or "",
        category=source.category,
        content_hash=f"hash-{source.url}-{guid}",
    )


def store_of(stories: dict[str, tuple[str, list[Item], tuple[str, ...]]]) -> Store:
    """A store of the three outlets' stories: story id → (headline, items, bullets)."""
    store = Store()
    store.sync_sources([PLANET, METRO, GAZETTE], NOW)
    store.set_category_languages({"Home": "en-GB"})
    declared = {PLANET.url: "en-GB", METRO.url: "en-US", GAZETTE.url: "en-US"}
    by_feed: dict[str, list[Item]] = {url: [] for url in declared}
    for _, items, _ in stories.values():
        for one in items:
            by_feed[one.feed_url].append(one)
    for url, items in by_feed.items():
        store.save_poll(FeedState(url, status="ok", language=declared[url]), items)
    for story_id, (headline, items, bullets) in stories.items():
        with store.transaction():
            for one in items:
                store.assign(one, story_id, None, NOW)
        refs = tuple(
            SourceRef(one.outlet_name, one.title, one.url or "", NOW, one.id) for one in items
        )
        summary = Summary(
            headline, tuple(Bullet(b, (0,)) for b in bullets), refs, len({i.outlet for i in items})
        )
        store.save_summary(story_id, summary, f"fp-{story_id}", [(items[0].category, 1.0)], NOW)
    return store


STORIES = {
    # the outlet's story whose text says English, and its story too short to tell
    "told": ("Bridge to open in spring", [item(PLANET, "1")], (ENGLISH,)),
    "short": ("Ceasefire", [item(PLANET, "2")], ()),
    # two outlets declaring English of two regions
    "both": ("Bridge opens", [item(PLANET, "3"), item(METRO, "3")], (ENGLISH,)),
    # a category the OPML says is in "en-GB", its outlet declaring "en-US"
    "home": ("Home bridge opens", [item(GAZETTE, "1")], (ENGLISH,)),
    "home-short": ("Strike", [item(GAZETTE, "2")], ()),
}
WANTED = {"told": "en-GB", "short": "en-GB", "both": "en", "home": "en-GB", "home-short": "en-GB"}


def story_of(uri: str) -> str:
    """The story id an entry's id ("urn:aggregator:story:told") names."""
    return uri.rsplit(":", 1)[1]


def said_in_feeds(site: Site, slug: str) -> list[dict[str, str]]:
    """Each story's language as the category's Atom, RSS and JSON feeds say it."""
    atom = ET.fromstring(site.feed(slug, "atom").body)  # type: ignore[union-attr]
    rss = ET.fromstring(site.feed(slug, "rss").body)  # type: ignore[union-attr]
    doc = json.loads(site.feed(slug, "json").body)  # type: ignore[union-attr]
    return [
        {
            story_of(e.findtext(f"{ATOM}id") or ""): e.get(XML_LANG) or ""
            for e in atom.iter(f"{ATOM}entry")
        },
        {
            story_of(e.findtext("guid") or ""): e.findtext(DC_LANGUAGE) or ""
            for e in rss.iter("item")
        },
        {story_of(i["id"]): i["language"] for i in doc["items"]},
    ]


def page_lang(site: Site, story_id: str) -> str:
    page = site.story(story_id).body.decode()  # type: ignore[union-attr]
    return re.search(r'<article lang="([^"]+)"', page)[1]  # type: ignore[index]


def test_an_outlets_and_a_categorys_stories_say_their_language_alike_everywhere() -> None:
    store = store_of(STORIES)
    try:
        site = Site(store.reader(), PublishSettings(), clock=lambda: NOW)
        for slug, ids in (("world", {"told", "short", "both"}), ("home", {"home", "home-short"})):
            wanted = {story_id: WANTED[story_id] for story_id in ids}
            assert said_in_feeds(site, slug) == [wanted] * 3, slug
        assert said_in_feeds(site, "all") == [WANTED] * 3  # (the site's settings: the same)
        assert {story_id: page_lang(site, story_id) for story_id in WANTED} == WANTED
        home = site.category("home").body.decode()  # type: ignore[union-attr]
        assert re.findall(r'<article lang="([^"]+)"', home) == ["en-GB", "en-GB"]
        assert '<html lang="en-GB">' in home  # (the category's page: the same tag)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("declared", "agreed"),
    [
        ([], None),
        ([("en-GB", 3)], "en-GB"),
        ([("en-GB", 2), ("en-US", 1)], "en"),  # two regions: the language alone
        ([("en-GB", 1), ("en", 1)], "en"),  # (one says no region: no agreement on one)
        ([("fr", 3), ("en-GB", 1), ("en-US", 1)], "fr"),  # the language most items declare
        ([("en-GB", 2), ("fr-CA", 1)], "en-GB"),  # (those of another language do not differ)
        ([("zh-TW", 2), ("zh-Hant", 1)], "zh-Hant"),  # two regions of one script: the script
        ([("zh-TW", 2), ("zh-HK", 1)], "zh-Hant"),
        ([("zh-CN", 1), ("zh-SG", 1)], "zh-Hans"),
        ([("zh-CN", 2), ("zh-TW", 1)], "zh"),  # two scripts: neither
        ([("zh-Hant", 1), ("zh-hant", 1)], "zh-Hant"),  # (a subtag's case tells nothing)
        ([("sr-Latn", 1), ("sr-Cyrl", 1)], "sr"),
        ([("zh-TW", 1), ("zh", 1)], "zh"),  # (one names no script: no agreement on one)
    ],
)
def test_the_language_a_storys_sources_agree_on(
    declared: list[tuple[str, int]], agreed: str | None
) -> None:
    assert agreed_language(declared) == agreed


@pytest.mark.parametrize(
    ("category", "declared", "said"),
    [
        ("en-GB", None, "en-GB"),
        ("en-GB", "en-US", "en-GB"),  # the category's tag before its sources'
        ("fr", "en-US", "en-US"),  # a category in another language: its sources' own
        ("fr", None, "en"),
        (None, "en-AU", "en-AU"),
        (None, "de-AT", "en"),  # sources declaring another language: what the text says
        (None, None, "en"),
    ],
)
def test_an_english_storys_tag(category: str | None, declared: str | None, said: str) -> None:
    story = make_story("s1", "Council says the bridge will open in the spring")
    story = dataclasses.replace(story, category_language=category, declared_language=declared)
    assert story_language(story, PublishSettings(language="en-US")) == said


def test_a_story_too_short_to_tell_takes_its_category_tag_before_the_pages() -> None:
    bare = make_story("s2", "Ceasefire", no_summary=True)
    settings = PublishSettings(language="de")  # (another category's page listing it)
    assert story_language(bare, settings) == "de"
    assert story_language(dataclasses.replace(bare, category_language="fr-CA"), settings) == "fr-CA"
    told = dataclasses.replace(bare, category_language="fr-CA", declared_language="pt-BR")
    assert story_language(told, settings) == "pt-BR"  # (its sources tell its language)


def test_an_entrys_own_declared_language_counts_as_its_sources() -> None:
    """An entry that declares its own region (`xml:lang="en-IE"`) in a feed saying "en-GB":
    its story with another of the feed's reports agrees on no region."""
    own = dataclasses.replace(item(PLANET, "5"), language="en-IE")
    store = store_of({"mixed": ("Bridge", [item(PLANET, "4"), own], (ENGLISH,))})
    try:
        story = store.reader().story("mixed")
        assert story is not None and story.declared_language == "en"
        assert story_language(story, PublishSettings()) == "en"
    finally:
        store.close()
    store = store_of({"own": ("Bridge", [own], (ENGLISH,))})
    try:
        story = store.reader().story("own")
        assert story is not None and story_language(story, PublishSettings()) == "en-IE"
    finally:
        store.close()


# An invented Chinese headline, its characters alike in both scripts: nothing in the text
# tells Simplified from Traditional; only a tag does.
CHINESE = "台北市長選舉"


@pytest.mark.parametrize(
    ("category", "declared", "said"),
    [
        ("zh-CN", "zh-TW", "zh-TW"),  # a Traditional story in a Simplified category: its own
        ("zh-Hans", "zh-Hant", "zh-Hant"),
        ("zh-TW", "zh-CN", "zh-CN"),
        ("zh", "zh-TW", "zh-TW"),  # (bare "zh" is drawn in Simplified's fonts)
        ("zh-TW", "zh", "zh"),  # sources of both scripts or none: the category's is no guess
        ("zh-TW", "zh-HK", "zh-TW"),  # one script: the category's tag, as for "en-GB"
        ("zh-TW", "zh-Hant", "zh-TW"),
        ("zh-TW", None, "zh-TW"),  # no source says: the category's
        ("sr-Latn", "sr-Cyrl", "sr-Cyrl"),
    ],
)
def test_a_storys_script_is_its_sources_where_its_categorys_differs(
    category: str, declared: str | None, said: str
) -> None:
    story = make_story("s3", CHINESE, no_summary=True)
    story = dataclasses.replace(story, category_language=category, declared_language=declared)
    assert story_language(story, PublishSettings(language="en")) == said
