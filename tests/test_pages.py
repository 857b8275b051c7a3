"""The front page, category and story pages: ranking, metadata, the daily email line, extras."""

from __future__ import annotations

import dataclasses
import re
import struct
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from stories import T0, make_story

from aggregator.models import Story
from aggregator.pages import (
    FAVICON_SVG,
    favicon_ico,
    render_category_html,
    render_index_html,
    render_story_html,
    robots_txt,
)
from aggregator.publish import PublishSettings, story_url

BASE = "https://news.example.org/agg/"
SETTINGS = PublishSettings(base_url=BASE, site_title="Daily", front_page_stories=2)
NOW = T0 + timedelta(hours=12)


class Head(HTMLParser):
    """<meta> and <link> tags, and every href."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "meta":
            key = found.get("property") or found.get("name")
            if key:
                self.meta[key] = found.get("content", "")
        if tag == "link":
            self.links.append(found)
        if "href" in found and tag == "a":
            self.hrefs.append(found["href"])


def covered(
    story_id: str, headline: str, outlets: int, hours: int, category: str = "World News"
) -> Story:
    story = make_story(story_id, headline, hours=hours, category=category)
    assert story.summary is not None
    summary = dataclasses.replace(story.summary, outlet_count=outlets)
    return dataclasses.replace(story, summary=summary)


def test_front_page_ranks_by_outlets_and_recency_with_time_count_and_lead() -> None:
    stories = [
        covered("a", "Fresh single", 1, 11),
        covered("b", "Widely covered", 6, 4),
        covered("c", "Old pair", 2, -20),
    ]
    page = render_index_html([("World News", "world-news", stories)], SETTINGS, NOW)
    assert page.index("Widely covered") < page.index("Fresh single")
    assert "Old pair" not in page  # two per category here
    assert "6 sources" in page and "1 source<" in page
    assert "Widely covered: first fact" in page  # the lead bullet
    assert "Widely covered: second fact" not in page
    assert '<time datetime="2025-02-12T12:30:00+00:00">February 12, 2025, 12:30 UTC</time>' in page
    assert "<script" not in page
    body = page.split("<body>")[1]
    assert body.count("Daily") == 1 and "<h1>Daily</h1>" in body  # the site's title once
    category = render_category_html("World News", "world-news", stories, SETTINGS, NOW)
    assert category is not None and f'<header><a href="{BASE}">Daily</a><form' in category


def test_a_story_in_two_categories_is_on_the_front_page_once_under_its_main_one() -> None:
    shared = covered("s", "Port strike spreads", 6, 10)  # main category: World News
    final = covered("f", "Cup final tonight", 2, 9, "Sport")  # its main one is not on the page
    asia = [
        shared,
        covered("a1", "Typhoon nears coast", 3, 9, "Asia"),
        final,
        covered("a2", "Rail line opens", 1, 8, "Asia"),
    ]
    world = [shared, final, covered("w1", "Summit ends", 2, 9)]
    page = render_index_html(
        [("Asia", "asia", asia), ("World News", "world-news", world)],
        dataclasses.replace(SETTINGS, front_page_stories=3),
        NOW,
    )
    asia_part, world_part = page.split("<h2>")[1:3]
    assert "Port strike spreads" not in asia_part
    assert world_part.count(f'href="{BASE}stories/s/"') == 1
    # the place it leaves goes to the next story by rank (three per category here)
    assert "Typhoon nears coast" in asia_part and "Rail line opens" in asia_part
    # under the first category that lists it, then not again
    assert "Cup final tonight" in asia_part and "Cup final tonight" not in world_part
    assert "Summit ends" in world_part


def test_by_default_the_front_page_fills_a_page_over_its_categories() -> None:
    settings = PublishSettings(base_url=BASE, page_size=12)  # (front_page_stories: 0)

    def shown(count: int) -> list[int]:
        names = [f"Desk {n}" for n in range(count)]
        categories = [
            (
                name,
                f"desk-{n}",
                [covered(f"{n}-{i}", f"{name} item {i}", 1, i, name) for i in range(20)],
            )
            for n, name in enumerate(names)
        ]
        page = render_index_html(categories, settings, NOW)
        return [part.count(f'href="{BASE}stories/') for part in page.split("<h2>")[1:]]

    assert shown(1) == [12]  # a site of one category: a page's length
    assert shown(2) == [6, 6]
    assert shown(4) == [5, 5, 5, 5]  # five at least
    fixed = dataclasses.replace(settings, front_page_stories=3)
    assert fixed.front_page_share(1) == fixed.front_page_share(9) == 3  # as the operator says
    with pytest.raises(ValueError, match="front_page_stories"):
        PublishSettings(front_page_stories=-1)


def test_pages_have_canonical_description_opengraph_and_icon() -> None:
    story = make_story("s1", "Ceasefire agreed")
    pages = {
        BASE: render_index_html([("World News", "world-news", [story])], SETTINGS, NOW),
        f"{BASE}world-news/": render_category_html(
            "World News", "world-news", [story], SETTINGS, NOW
        )
        or "",
        f"{BASE}stories/s1/": render_story_html(story, SETTINGS, []),
    }
    for url, page in pages.items():
        head = Head(page)
        assert {"rel": "canonical", "href": url} in head.links
        assert head.meta["og:url"] == url
        assert head.meta["description"] and head.meta["og:title"] and head.meta["og:type"]
        assert any(ln.get("rel") == "icon" for ln in head.links)
        assert "viewport" in head.meta
    story_head = Head(pages[f"{BASE}stories/s1/"])
    assert story_head.meta["og:type"] == "article"
    assert story_head.meta["og:description"].startswith("Ceasefire agreed: first fact")
    assert story_head.meta["article:published_time"] == "2025-02-12T08:00:00+00:00"


def test_daily_email_line_only_for_categories_with_digests() -> None:
    story = make_story("s1", "Ceasefire agreed")
    more = [make_story("s2", "Storm warning", hours=1)]
    line = "Get a daily email with more World News stories"
    assert line not in render_story_html(story, SETTINGS, more)
    page = render_story_html(story, SETTINGS, more, {"World News"})
    assert f'<a href="{BASE}world-news/subscribe/">{line}</a>' in page
    order = ["Summary based on 2 sources", line, "More stories", "Storm warning"]
    assert [page.index(p) for p in order] == sorted(page.index(p) for p in order)
    assert line not in render_story_html(story, SETTINGS, more, {"Business"})
    rows = [("World News", "world-news", [story]), ("Business", "business", [])]
    index = render_index_html(rows, SETTINGS, NOW, {"Business"})
    assert "more Business stories" in index and line not in index
    category = render_category_html("World News", "world-news", [story], SETTINGS, NOW)
    assert category is not None and line not in category


def test_story_page_speaks_its_language() -> None:
    story = make_story("s1", "Der Bundestag hat das Gesetz mit der Mehrheit beschlossen")
    assert '<html lang="de">' in render_story_html(story, SETTINGS, [])


@pytest.mark.parametrize(
    ("headline", "lang", "way"),
    [
        ("الرئيس يفتتح جسرا جديدا في المدينة", "ar", "rtl"),
        ("شہر میں نیا پل کھل گیا", "ur", "rtl"),
        ("北京举办国际科技博览会", "zh", "auto"),
        ("東京都で新しい地下鉄路線が開業", "ja", "auto"),
    ],
)
def test_a_story_in_a_script_one_language_writes_says_that_language(
    headline: str, lang: str, way: str
) -> None:
    """Where the common-word count has nothing to go on and no feed declared a language,
    such a story had been `lang="en"` (read with an English voice, Han drawn as Japanese's
    or the other way round). (Generated text.)"""
    story = make_story("s1", headline)
    page = render_story_html(story, SETTINGS, [])
    assert f'<html lang="{lang}">' in page and f'<article lang="{lang}" dir="{way}">' in page


@pytest.mark.parametrize(
    ("lang", "font"),
    [
        ("ur", '"Noto Nastaliq Urdu"'),
        ("ar", '"Noto Naskh Arabic"'),
        ("zh-CN", '"Noto Sans CJK SC"'),
        ("zh-TW", '"Noto Sans CJK TC"'),
        ("ja", '"Noto Sans CJK JP"'),
    ],
)
def test_the_pages_name_fonts_for_the_scripts_stories_are_written_in(lang: str, font: str) -> None:
    """Urdu letters showed as boxes on a machine without an Urdu font: the system's own font
    for a language is named for its `lang` (common ones of each system), and the generic
    family last."""
    page = render_story_html(make_story("s1", "شہر میں نیا پل کھل گیا"), SETTINGS, [])
    css = page.split("<style>", 1)[1].split("</style>", 1)[0]
    rules = dict(re.findall(r"((?::lang\([\w-]+\),?)+)\{font-family:([^;}]+)", css))
    # (the last rule whose `:lang` the tag matches, as a browser's cascade picks it)
    families = [
        [family.strip() for family in fonts.split(",")]
        for selectors, fonts in rules.items()
        for name in re.findall(r":lang\(([\w-]+)\)", selectors)
        if lang == name or lang.startswith(f"{name}-")
    ]
    assert families and font in families[-1]
    assert families[-1][-1] in ("sans-serif", "serif")


def test_robots_and_favicons() -> None:
    # (search results and proxied pictures are not for crawlers; the site lives under /agg/)
    assert robots_txt(SETTINGS).startswith(
        "User-agent: *\nDisallow: /agg/search\nDisallow: /agg/pictures/\nAllow: /\n"
    )
    static = dataclasses.replace(SETTINGS, search=False, picture_proxy="off")  # (an export)
    assert robots_txt(static).startswith("User-agent: *\nAllow: /\n")
    assert f"{BASE}feeds.opml" in robots_txt(SETTINGS)
    assert FAVICON_SVG.startswith(b"<svg")
    ico = favicon_ico()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    width, height, _, _, _, bits, size, offset = struct.unpack("<BBBBHHII", ico[6:22])
    assert (reserved, kind, count, width, height, bits) == (0, 1, 1, 16, 16, 32)
    assert offset == 22 and len(ico) == offset + size


def test_a_story_page_says_when_the_story_was_first_seen_and_when_it_last_changed() -> None:
    story = make_story("t1", "Ceasefire agreed")  # first seen 08:00, changed 08:30
    page = render_story_html(story, SETTINGS, [])
    first = '<time datetime="2025-02-12T08:00:00+00:00">February 12, 2025, 08:00 UTC</time>'
    later = '<time datetime="2025-02-12T08:30:00+00:00">08:30 UTC</time>'
    assert f"{first} · updated {later}" in page
    next_day = dataclasses.replace(story, updated=story.first_seen + timedelta(hours=20))
    page = render_story_html(next_day, SETTINGS, [])
    assert '· updated <time datetime="2025-02-13T04:00:00+00:00">February 13, 2025, 04:00' in page
    same = dataclasses.replace(story, updated=story.first_seen)
    page = render_story_html(same, SETTINGS, [])
    assert "updated" not in page.split("<h1>")[1].split("</p>")[0]


def test_an_update_across_a_change_of_the_clocks_is_shown() -> None:
    """01:30 EDT and, an hour later, 01:30 EST (3 November 2024, New York): the two local
    times had subtracted to nothing, and the update was not shown."""
    york = dataclasses.replace(SETTINGS, timezone="America/New_York")
    first = datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    story = dataclasses.replace(
        make_story("t2", "Ceasefire agreed"), first_seen=first, updated=first + timedelta(hours=1)
    )
    page = render_story_html(story, york, [])
    assert "November 3, 2024, 01:30 EDT</time> · updated <time" in page
    assert '<time datetime="2024-11-03T06:30:00+00:00">01:30 EST</time>' in page


def test_pages_show_times_in_the_operators_zone() -> None:
    """`[publish] timezone`: a subscriber in Auckland had read a story first seen at 20:00 on
    their day's evening as "08:00 UTC" on the day before."""
    auckland = dataclasses.replace(SETTINGS, timezone="Pacific/Auckland")
    story = make_story("t1", "Ceasefire agreed")  # 08:00-08:30 UTC: 21:00-21:30 NZDT
    page = render_story_html(story, auckland, [])
    first = '<time datetime="2025-02-12T08:00:00+00:00">February 12, 2025, 21:00 NZDT</time>'
    later = '<time datetime="2025-02-12T08:30:00+00:00">21:30 NZDT</time>'
    assert f"{first} · updated {later}" in page
    # 11:30 UTC is the next day in Auckland: the update is dated, not "updated 00:30"
    late = dataclasses.replace(story, updated=story.first_seen + timedelta(hours=3, minutes=30))
    page = render_story_html(late, auckland, [])
    assert (
        "· updated <time " + 'datetime="2025-02-12T11:30:00+00:00">February 13, 2025, 00:30 NZDT'
        in page
    )
    front = render_index_html([("World News", "world-news", [story])], auckland, NOW)
    assert (
        '<time datetime="2025-02-12T08:30:00+00:00">February 12, 2025, 21:30 NZDT</time>' in front
    )
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        PublishSettings(timezone="Mars/Olympus")


def _articles(markup: str) -> list[dict[str, str]]:
    """The attributes of every <article> in a page, in order."""
    found: list[dict[str, str]] = []

    class Articles(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "article":
                found.append({k: v or "" for k, v in attrs})

    Articles().feed(markup)
    return found


def test_each_story_block_carries_its_own_language_and_direction() -> None:
    """A category mixing an Urdu and an English story: the Urdu one reads right to left (its
    bullets and punctuation in order), each in its own language; bullets take their direction
    from their own text. (Generated Urdu text.)"""
    urdu = dataclasses.replace(
        covered("ur1", "شہر میں نیا پل کھل گیا", outlets=3, hours=1), declared_language="ur"
    )
    english = covered("en1", "Bridge opens in the city", outlets=2, hours=2)
    page = render_category_html("World", "world", [urdu, english], SETTINGS, NOW)
    assert page is not None
    assert _articles(page) == [{"lang": "ur", "dir": "rtl"}, {"lang": "en", "dir": "auto"}]
    assert '<p class="lead" dir="auto">' in page
    story_page = render_story_html(urdu, SETTINGS, [english])
    assert _articles(story_page) == [{"lang": "ur", "dir": "rtl"}]
    assert '<li dir="auto">شہر میں نیا پل کھل گیا: first fact <a href=' in story_page
    # "More stories": each its own direction, and its own language (it had read as Urdu)
    assert f'<li dir="auto" lang="en"><a href="{story_url(english, SETTINGS)}">' in story_page
    assert '<li dir="auto" lang="ur">' in render_story_html(english, SETTINGS, [urdu])
    other = covered("en2", "Harbour reopens after the storm", outlets=2, hours=3)
    assert '<li dir="auto"><a href="' in render_story_html(english, SETTINGS, [other])
    # our own lines ending in a colon keep it at their end inside the right-to-left block, and
    # say they are in the site's language (English), not the story's
    # (left to right: the meta line's category name ends with its own marks at its end)
    assert '<p lang="en" dir="ltr">Summary based on 3 sources:</p>' in story_page
    assert '<p class="meta" lang="en" dir="ltr"><time' in story_page
    assert '<footer lang="en" dir="ltr">' in story_page and '<footer lang="en"' not in page
    assert '<p class="meta"><time' in page.split('lang="en"')[-1]  # (the English story's own)


def test_a_story_page_lists_when_each_source_published_and_feeds_do_not() -> None:
    from aggregator.feeds import clear_memo, render_feed
    from aggregator.models import SourceRef

    story = make_story("s1")
    assert story.summary is not None
    sources = (
        SourceRef("Example Times", "Talks end", "https://times.example/1", T0),
        SourceRef("Wire Co", "Deal reached", "https://wire.example/1", None),
    )
    story = dataclasses.replace(story, summary=dataclasses.replace(story.summary, sources=sources))
    page = render_story_html(story, PublishSettings(timezone="Europe/London"), [])
    times = page.split("<ol>")[1].split("</ol>")[0]
    # in the page's zone, with the moment in the attribute; a source with no date says none
    assert 'Talks end</a> · <time datetime="2025-02-12T08:00:00+00:00">Feb 12, 08:00</time>' in (
        times
    )
    assert "Deal reached</a></li>" in times
    clear_memo()
    assert b"Feb 12, 08:00" not in render_feed("W", "w", [story], "atom", PublishSettings(), T0)


def test_a_story_page_links_each_of_its_categories_its_main_one_first() -> None:
    story = dataclasses.replace(
        make_story("s1", category="World News"), categories=("Business", "World News")
    )
    page = render_story_html(story, SETTINGS, [])
    meta = page.split("<h1>")[1].split("</p>")[0]
    assert meta.endswith(
        f'<a href="{BASE}world-news/">World News</a> · <a href="{BASE}business/">Business</a>'
    )
