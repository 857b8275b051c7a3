"""Feeds and pages: structure, stable ids, absolute links, escaping of hostile upstream text."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from stories import make_story

import aggregator.publish as publish
from aggregator.feeds import render_feed
from aggregator.lang import detect_language
from aggregator.models import Bullet, SourceRef, Story, Summary
from aggregator.pages import render_category_html, render_index_html, render_story_html
from aggregator.publish import PublishSettings, excerpt, safe_url, story_html_body
from aggregator.slugs import slugify

BASE = "https://news.example.org/agg/"
SETTINGS = PublishSettings(base_url=BASE, site_title="Daily", max_items=50)
NOW = datetime(2025, 3, 1, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
HOSTILE = "<script>alert(1)</script> ]]> &bogus; \"q' <img src=x onerror=alert(2)>"


def hostile_story() -> Story:
    summary = Summary(
        headline=HOSTILE,
        bullets=(Bullet(HOSTILE, (0, 1)), Bullet("plain & simple\x00\x0b", (1, 5))),
        sources=(
            SourceRef(HOSTILE, HOSTILE, "javascript:alert(1)"),
            SourceRef("Good Outlet", "Fine", 'https://good.example/x?a=1&b="2"'),
            SourceRef("Data", "Uri", "data:text/html,<script>alert(3)</script>"),
            SourceRef("Rel", "Ative", "/relative/junk"),
        ),
        outlet_count=4,
    )
    return make_story("evil", HOSTILE, summary=summary)


class _Html(HTMLParser):
    """Collects start tags, hrefs and visible text."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attrs.append((tag, name, value))
            if name in ("href", "src"):
                self.hrefs.append(value or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def entry_bodies(xml: bytes, fmt: str) -> list[str]:
    """The HTML body of each item, as the XML carries it (unescaped once)."""
    root = ET.fromstring(xml)
    if fmt == "atom":
        return [e.findtext(f"{ATOM}content") or "" for e in root.iter(f"{ATOM}entry")]
    return [i.findtext(f"{CONTENT}encoded") or "" for i in root.iter("item")]


def entry_titles(xml: bytes, fmt: str) -> list[str]:
    root = ET.fromstring(xml)
    if fmt == "atom":
        return [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]
    return [i.findtext("title") or "" for i in root.iter("item")]


def assert_safe_html(markup: str) -> _Html:
    parsed = _Html(markup)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert not [a for a in parsed.attrs if a[1].startswith("on")]
    for href in parsed.hrefs:
        assert href.startswith(("http://", "https://")), href
    return parsed


# --- slugs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("World News", "world-news"),
        ("Science & Tech", "science-tech"),
        ("  Économie  ", "economie"),
        ("Straße/Verkehr", "strae-verkehr"),
        ("UK--Politics!!", "uk-politics"),
        ("Sport 2025", "sport-2025"),
        ("東京", "category-130016b2"),  # a name without ASCII letters: its own slug
        ("東京 ", "category-130016b2"),
        ("大阪", "category-6df97746"),
        ("Новости", "category-b936c407"),
        ("", "category"),
        ("///", "category"),
        ("../../etc/passwd", "etc-passwd"),
        ("All", "all-category"),  # /feeds/all.atom is every category's feed
        ("Stories", "stories-category"),  # /stories/<id> are the story pages
        ("All Stories", "all-stories"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_settings_base_url_gets_trailing_slash_and_must_be_http() -> None:
    assert PublishSettings(base_url="https://x.example/news").base_url == "https://x.example/news/"
    with pytest.raises(ValueError):
        PublishSettings(base_url="javascript:alert(1)")


# --- feeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_feed_parses_with_absolute_links_titles_and_ids(fmt: str) -> None:
    stories = [make_story("s1", "Ceasefire agreed", hours=1), make_story("s2", "Storm", hours=2)]
    xml = render_feed("World News", "world-news", stories, fmt, SETTINGS, NOW)  # type: ignore[arg-type]
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Daily: World News"
    assert parsed.feed.link == f"{BASE}world-news/"
    self_links = [ln.href for ln in parsed.feed.links if ln.rel == "self"]
    assert self_links == [f"{BASE}feeds/world-news.{fmt}"]
    assert [e.title for e in parsed.entries] == ["Storm", "Ceasefire agreed"]
    assert [e.link for e in parsed.entries] == [f"{BASE}stories/s2/", f"{BASE}stories/s1/"]
    assert [e.id for e in parsed.entries] == ["urn:aggregator:story:s2", "urn:aggregator:story:s1"]
    first = parsed.entries[1]
    assert first.published_parsed[:5] == (2025, 2, 12, 9, 0)
    assert [t.term for t in first.tags] == ["World News"]


def test_rss_guid_is_not_a_permalink() -> None:
    xml = render_feed("World", "world", [make_story("s1")], "rss", SETTINGS, NOW)
    guid = ET.fromstring(xml).find("channel/item/guid")
    assert guid is not None
    assert guid.text == "urn:aggregator:story:s1"
    assert guid.get("isPermaLink") == "false"


def test_atom_entry_has_published_and_updated_feed_updated_is_newest() -> None:
    stories = [make_story("old", hours=0), make_story("new", hours=5)]
    root = ET.fromstring(render_feed("World", "world", stories, "atom", SETTINGS, NOW))
    assert root.findtext(f"{ATOM}updated") == "2025-02-12T13:30:00+00:00"
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}published") == "2025-02-12T13:00:00+00:00"
    assert entry.findtext(f"{ATOM}updated") == "2025-02-12T13:30:00+00:00"
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_entry_ids_stable_across_renders(fmt: str) -> None:
    story = make_story("s1")
    first = feedparser.parse(render_feed("W", "w", [story], fmt, SETTINGS, NOW))  # type: ignore[arg-type]
    changed = dataclasses.replace(story, headline="New headline", version=2, updated=NOW)
    later = NOW + timedelta(days=3)
    second = feedparser.parse(
        render_feed("W", "w", [make_story("s9", hours=9), changed], fmt, SETTINGS, later)  # type: ignore[arg-type]
    )
    ids = {e.title: e.id for e in second.entries}
    assert first.entries[0].id == ids["New headline"] == "urn:aggregator:story:s1"


def test_same_input_renders_identical_bytes() -> None:
    stories = [make_story("a", hours=1), make_story("b", hours=2)]
    render = render_feed("W", "w", stories, "atom", SETTINGS, NOW)
    assert render == render_feed("W", "w", stories, "atom", SETTINGS, NOW + timedelta(days=1))


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_body_has_bullets_source_links_and_source_count(fmt: str) -> None:
    xml = render_feed("W", "w", [make_story("s1", "Storm")], fmt, SETTINGS, NOW)  # type: ignore[arg-type]
    (body,) = entry_bodies(xml, fmt)
    parsed = assert_safe_html(body)
    text = "".join(parsed.text)
    for fact in ("Storm: first fact", "Storm: second fact", "Storm: third fact"):
        assert fact in text
    assert "Summary based on 2 sources" in text
    assert "https://times.example/s1" in parsed.hrefs
    assert "http://wire.example/s1?a=1&b=2" in parsed.hrefs
    assert "Example Times — Talks end" in text
    assert f"{BASE}world-news/" in parsed.hrefs  # "More stories": the story's category page
    assert parsed.tags.count("li") == 3 + 2


def test_newest_first_and_max_items() -> None:
    settings = PublishSettings(base_url=BASE, max_items=3)
    stories = [make_story(f"s{h}", f"Story {h}", hours=h) for h in (4, 1, 7, 3, 9, 2)]
    for fmt in ("atom", "rss"):
        titles = entry_titles(render_feed("W", "w", stories, fmt, settings, NOW), fmt)  # type: ignore[arg-type]
        assert titles == ["Story 9", "Story 7", "Story 4"]


def test_empty_feed_is_valid_and_dated_now() -> None:
    atom = ET.fromstring(render_feed("W", "w", [], "atom", SETTINGS, NOW))
    assert atom.findtext(f"{ATOM}updated") == NOW.isoformat()
    assert feedparser.parse(render_feed("W", "w", [], "rss", SETTINGS, NOW)).bozo == 0


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_hostile_text_in_feed_is_escaped_and_never_a_link(fmt: str) -> None:
    xml = render_feed(HOSTILE, "w", [hostile_story()], fmt, SETTINGS, NOW)  # type: ignore[arg-type]
    assert b"<script" not in xml and b"<img" not in xml
    assert b"javascript:" not in xml and b"data:text" not in xml  # unsafe URLs are dropped
    (title,) = entry_titles(xml, fmt)
    assert title == HOSTILE  # round-trips exactly: escaped once, not mangled
    (body,) = entry_bodies(xml, fmt)
    parsed = assert_safe_html(body)
    text = "".join(parsed.text)
    assert HOSTILE in text  # the hostile string is shown as text
    assert "plain & simple" in text  # XML-invalid control characters were dropped
    assert parsed.hrefs.count("https://good.example/x?a=1&b=%222%22") == 1  # the list's row
    assert "[1]" in text and "[2]" in text and "[3]" not in text  # cited refs numbered only
    assert "Summary based on 4 sources" in text


def test_hostile_text_in_pages_is_escaped_and_never_a_link() -> None:
    evil = hostile_story()
    pages = [
        render_story_html(evil, SETTINGS, [make_story("ok")]),
        render_category_html(HOSTILE, "w", [evil], SETTINGS, NOW) or "",
        render_index_html([(HOSTILE, "w", [evil])], SETTINGS, NOW),
    ]
    for page in pages:
        assert "<script" not in page and "<img" not in page
        parsed = assert_safe_html(page)
        assert HOSTILE in "".join(parsed.text)
        # Attribute values are escaped too: the title of the autodiscovery link holds the text.
        titles = [v for tag, name, v in parsed.attrs if tag == "link" and name == "title"]
        known = (HOSTILE, "World News", "All stories", "Top stories", "Daily")  # (OpenSearch)
        assert titles and all(any(k in (t or "") for k in known) for t in titles)


# --- item body and pages --------------------------------------------------------------------


def test_body_singular_source_and_bad_indexes_ignored() -> None:
    summary = Summary(
        headline="H",
        bullets=(Bullet("Only fact", (0, 3, 0)),),
        sources=(SourceRef("Solo", "One", "https://solo.example/1"),),
        outlet_count=1,
    )
    body = story_html_body(make_story("x", summary=summary), SETTINGS)
    assert "Summary based on 1 source:" in body
    assert body.count("[1]") == 1  # duplicate index shown once
    assert "[4]" not in body
    page = render_story_html(make_story("x", summary=summary), SETTINGS, [])
    assert page.count(">[1]</a>") == 1  # on a page the citation links its source


def test_a_story_without_bullets_says_who_reported_it_not_what_a_summary_is_based_on() -> None:
    summary = Summary(
        headline="Quake hits coast",
        bullets=(),
        sources=(SourceRef("Daily Planet", "Quake hits coast", "https://planet.example/q"),),
        outlet_count=1,
    )
    body = story_html_body(make_story("bare", summary=summary), SETTINGS)
    assert "Reported by 1 source:" in body and "Summary based on" not in body
    # the feed's plain excerpt says who reported it instead of repeating the headline
    assert excerpt(make_story("bare", "Quake hits coast", summary=summary)) == (
        "Reported by Daily Planet."
    )
    wider = dataclasses.replace(
        summary,
        sources=tuple(
            SourceRef(name, "Quake", f"https://{n}.example/q")
            for n, name in enumerate(["Planet", "Wire", "Planet", "Times", "Herald", "Post"])
        ),
        outlet_count=5,
    )
    assert excerpt(make_story("b2", summary=wider)) == "Reported by Planet, Wire, Times and 2 more."
    two = dataclasses.replace(summary, sources=wider.sources[:2], outlet_count=2)
    assert excerpt(make_story("b3", summary=two)) == "Reported by Planet and Wire."
    assert "<ul>" not in body.split("More stories")[0]  # no empty bullet list
    assert 'href="https://planet.example/q"' in body


def test_feed_citations_are_plain_so_text_readers_number_only_the_source_links() -> None:
    """newsboat and other text readers append their own number to every link: a linked
    "[2]" would read "[2][1]". In feeds the bullet's "[2]" is text; the list's rows are the
    links, so the reader's link numbers are the list's numbers."""
    body = story_html_body(make_story("cite"), SETTINGS)
    parsed = _Html(body)
    assert "[1][2]" in body and ">[1]</a>" not in body and ">[2]</a>" not in body
    assert parsed.hrefs[:2] == ["https://times.example/cite", "http://wire.example/cite?a=1&b=2"]


def test_body_without_summary() -> None:
    body = story_html_body(make_story("x", no_summary=True), SETTINGS)
    assert "Summary not available yet" in body
    assert "Summary based on" not in body
    page = render_story_html(make_story("x", "Quiet day", no_summary=True), SETTINGS, [])
    assert "<h1>Quiet day</h1>" in page and "Summary not available yet" in page


def test_more_stories_excludes_self_and_caps_at_five() -> None:
    story = make_story("me", "Me")
    more = [story] + [make_story(f"o{i}", f"Other {i}", hours=i) for i in range(8)]
    parsed = _Html(story_html_body(story, SETTINGS, more))
    linked = [h for h in parsed.hrefs if h.startswith(f"{BASE}stories/")]
    assert linked == [f"{BASE}stories/o{i}/" for i in range(5)]


def test_story_page_layout() -> None:
    story = make_story("s1", "Ceasefire agreed")
    page = render_story_html(story, SETTINGS, [make_story("s2", "Storm warning", hours=1)])
    assert '<meta name="viewport"' in page
    assert "<h1>Ceasefire agreed</h1>" in page
    assert "February 12, 2025" in page
    parts = [
        "Ceasefire agreed: first fact",
        "Summary based on 2 sources",
        ">Example Times — Talks end</a>",
        "More stories",
        "Storm warning",
    ]
    positions = [page.index(p) for p in parts]
    assert positions == sorted(positions)  # laid out in the target order
    # a bullet's "[2]" says whose it is when pointed at (its title); feeds keep plain numbers
    assert (
        'href="http://wire.example/s1?a=1&amp;b=2" title="Wire Co — Deal reached">[2]</a>' in page
    )
    parsed = _Html(page)
    assert f"{BASE}stories/s2/" in parsed.hrefs
    assert f"{BASE}feeds/world-news.atom" in parsed.hrefs
    assert f"{BASE}feeds/world-news.rss" in parsed.hrefs


def test_index_lists_categories_feeds_and_headlines() -> None:
    page = render_index_html(
        [
            ("World News", "world-news", [make_story("s1", "Ceasefire agreed")]),
            ("Science & Tech", "science-tech", []),
        ],
        SETTINGS,
        NOW,
    )
    parsed = _Html(page)
    for slug in ("world-news", "science-tech"):
        assert f"{BASE}{slug}/" in parsed.hrefs
        assert f"{BASE}feeds/{slug}.atom" in parsed.hrefs
        assert f"{BASE}feeds/{slug}.rss" in parsed.hrefs
    assert f"{BASE}stories/s1/" in parsed.hrefs
    assert "Science &amp; Tech" in page


def test_category_page_pages_through_its_stories() -> None:
    settings = PublishSettings(base_url=BASE, page_size=2)
    stories = [make_story(f"s{h}", f"Story {h}", hours=h) for h in (1, 3, 2)]
    first = render_category_html("World News", "world-news", stories, settings, NOW)
    second = render_category_html("World News", "world-news", stories, settings, NOW, page=2)
    assert first is not None and second is not None
    assert first.index("Story 3") < first.index("Story 2")  # equal coverage: the newer first
    assert "Story 1" not in first and "Story 1" in second and "Story 3" not in second
    assert f'href="{BASE}world-news/page/2/"' in first
    assert f'href="{BASE}world-news/"' in second
    assert f'<link rel="canonical" href="{BASE}world-news/page/2/">' in second
    assert render_category_html("World News", "world-news", stories, settings, NOW, page=3) is None


@pytest.mark.parametrize(
    ("given", "published"),
    [
        (
            "https://media.example/a.jpg?id=16|caption=The%20fire",
            "https://media.example/a.jpg?id=16%7Ccaption=The%20fire",
        ),
        ('https://a.example/{x}^"y"<z>`', "https://a.example/%7Bx%7D%5E%22y%22%3Cz%3E%60"),
        ("https://a.example/M\u0101ngere?q=%7C", "https://a.example/M%C4%81ngere?q=%7C"),
        ("https://b\u00fccher.example:8080/x", "https://xn--bcher-kva.example:8080/x"),
        # (the host a browser and our own fetcher reach, IDNA 2008: IDNA 2003 had sent "straße"
        # to "strasse", another site, and a final sigma to a middle one)
        ("https://stra\u00dfe.example/x", "https://xn--strae-oqa.example/x"),
        ("https://\u03ba\u03b1\u03b9\u03c1\u03bf\u03c2.example/", "https://xn--mxaqbwjh.example/"),
        ("https://B\u00dcCHER.example/x", "https://xn--bcher-kva.example/x"),
        ("https://ex\u00e4 mple.example/x", None),  # (no host holds a space)
        ("https://a|b.example/x", None),  # (no host holds "|")
        ("https://a.example/plain?x=1&y=(2)#f", "https://a.example/plain?x=1&y=(2)#f"),
    ],
)
def test_a_published_address_holds_no_character_a_uri_may_not(
    given: str, published: str | None
) -> None:
    # (a feed validator refused a feed whose picture's address held "|")
    assert safe_url(given) == published


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_a_link_xml_cannot_carry_never_breaks_the_feed(fmt: str) -> None:
    bad = "https://evil.example/a\uffffb"
    summary = Summary(
        headline="Odd link",
        bullets=(Bullet("A fact.", (0, 1)),),
        sources=(
            SourceRef("Evil", "Title \ufffe", bad),
            SourceRef("Good", "Fine", "https://good.example/x"),
        ),
        outlet_count=2,
    )
    doc = render_feed("World", "world", [make_story("odd", summary=summary)], fmt, SETTINGS, NOW)
    parsed = feedparser.parse(doc)
    assert not parsed.bozo
    body = parsed.entries[0].content[0].value
    assert "https://good.example/x" in body
    assert "evil.example" not in body


def _many_sources(outlets: int, items: int) -> Summary:
    return Summary(
        headline="Summit ends",
        bullets=(Bullet("Leaders agreed a plan.", (0,)), Bullet("A late fact.", (22, 3))),
        sources=tuple(
            SourceRef(f"Outlet <{n % outlets}>", f"Report {n}", f"https://o{n}.example/s")
            for n in range(items)
        ),
        outlet_count=outlets,
    )


def test_a_long_source_list_shows_the_first_ones_the_cited_ones_and_how_many_more() -> None:
    summary = _many_sources(outlets=115, items=40)
    body = story_html_body(make_story("big", summary=summary), SETTINGS)
    assert "Summary based on 115 sources:" in body
    assert_safe_html(body)
    listed = [h for h in _Html(body.split("Summary based on")[1]).hrefs if h.endswith("/s")]
    # the first ten, and source 23 that a bullet cites, keeping its number
    assert listed == [f"https://o{n}.example/s" for n in (*range(10), 22)]
    assert '<li value="23"><a href="https://o22.example/s">' in body
    assert "… and 104 more sources." in body  # 115 outlets, 11 listed
    assert "Outlet &lt;3&gt;" in body and "Outlet <3>" not in body


def test_every_outlet_listed_but_reports_left_out_says_so() -> None:
    summary = _many_sources(outlets=4, items=30)
    body = story_html_body(make_story("few", summary=summary), SETTINGS)
    assert "Summary based on 4 sources (30 reports):" in body
    assert "… and 19 more reports from these sources." in body  # 30 items, 11 listed


def test_an_outlet_with_two_reports_is_counted_once_and_the_reports_are_told() -> None:
    """N counts outlets; when the list has more rows than outlets, the heading says how
    many reports it lists, so "4 sources" never sits above five rows unexplained."""
    summary = _many_sources(outlets=4, items=5)
    body = story_html_body(make_story("two-from-one", summary=summary), SETTINGS)
    assert "Summary based on 4 sources (5 reports):" in body
    listed = [h for h in _Html(body.split("Summary based on")[1]).hrefs if h.endswith("/s")]
    assert len(listed) == 5
    one = Summary(
        headline="Markets rally",
        bullets=(Bullet("Shares rose.", (0,)),),
        sources=(
            SourceRef("Daily Planet", "Markets rally", "https://planet.example/a"),
            SourceRef("Daily Planet", "Shares set to rise", "https://planet.example/b"),
        ),
        outlet_count=1,
    )
    body = story_html_body(make_story("one-outlet", summary=one), SETTINGS)
    assert "Summary based on 1 source (2 reports):" in body
    plain = story_html_body(make_story("plain"), SETTINGS)
    assert "Summary based on 2 sources:" in plain and "reports)" not in plain


def test_a_short_source_list_is_listed_whole() -> None:
    body = story_html_body(make_story("small"), SETTINGS)
    assert "more sources" not in body and "more reports" not in body
    assert "value=" not in body


def test_a_storys_language_is_detected_once_for_all_its_listings() -> None:
    settings = PublishSettings(language="fr")
    english = make_story("s1", "Ceasefire agreed as the talks were said to have ended")
    other = make_story("s2", "Talks")
    publish._text_language.cache_clear()
    answers = [publish.story_language(s, settings) for s in (english, english, other, english)]
    assert answers == ["en", "en", "fr", "en"]
    assert detect_language(publish.story_text(english)) == "en"
    assert detect_language(publish.story_text(other)) is None  # (the configured language)
    info = publish._text_language.cache_info()
    assert (info.misses, info.hits) == (2, 2)
    # Another text (the story changed) is detected afresh.
    changed = make_story("s1", "Ceasefire agreed as the talks were said to have ended at last")
    assert publish.story_language(changed, settings) == "en"
    assert publish._text_language.cache_info().misses == 3


def _outputs(story_id: str, headline: str, bullet: str, outlet: str) -> list[str]:
    """A one-source story's page, Atom feed and JSON Feed (as JSON text: escapes shown)."""
    import json

    from aggregator.models import Bullet, SourceRef, Summary
    from aggregator.pages import render_story_html

    summary = Summary(
        headline=headline,
        bullets=(Bullet(bullet, (0,)),),
        sources=(SourceRef(outlet, headline, f"https://{story_id}.example/1"),),
        outlet_count=1,
    )
    story = make_story(story_id, headline, summary=summary)
    atom = render_feed("World News", "world-news", [story], "atom", SETTINGS, NOW)
    doc = json.loads(render_feed("World News", "world-news", [story], "json", SETTINGS, NOW))
    return [render_story_html(story, SETTINGS, []), atom.decode(), json.dumps(doc)]


def test_bidirectional_overrides_are_not_published() -> None:
    """U+202E makes a reader show what follows reversed ("\u202egnp.exe" reads "exe.png"):
    a feed could make a headline or a source title say what it does not."""
    spoof = "Ship sinks off coast \u202egnp.exe"
    bullet = "A cargo ship sank off the coast on Tuesday \u202dnight."
    for output in _outputs("rlo1", spoof, bullet, "Evil \u202eOutlet"):
        assert "gnp.exe" in output and "Tuesday night" in output
        assert "\u202e" not in output and "\u202d" not in output
        assert "\\u202e" not in output and "\\u202d" not in output  # (JSON escapes)
    # What right-to-left text needs stays: embeddings, isolates, marks.
    rtl = "\u202b\u0639\u0631\u0628\u064a\u202c \u2067x\u2069 \u200f"
    assert publish.clean(rtl) == rtl


def test_c1_control_characters_are_not_published() -> None:
    """U+0080-U+009F (a JSON Feed's "\\u009b" among them, the 8-bit CSI that starts a
    terminal's escape sequence) had reached headlines, bullets, pages and feeds."""
    title = "Hamar \x81\x8d\x9b2J cathedral gets a glass roof\x90"
    bullet = "The roof opened on Saturday\x9b, the museum said."
    for output in _outputs("c1", title, bullet, "Fjord \x85Post"):
        assert "Hamar 2J cathedral gets a glass roof" in output and "Saturday, the" in output
        assert not any("\x80" <= ch <= "\x9f" for ch in output)
        assert "\\u009b" not in output and "\\u0081" not in output  # (JSON escapes)
    assert publish.clean("Caf\xe9 \xa0 \xff") == "Caf\xe9 \xa0 \xff"  # (Latin-1 letters stay)


def test_one_outlets_report_at_two_addresses_is_listed_once() -> None:
    """The same outlet under the same title twice (its article and a section's collection
    page of it) reads as one line listed twice: the cited one is listed, the other is left
    to the "more reports" line, numbers kept."""
    summary = Summary(
        headline="Senator to endorse the governor",
        bullets=(Bullet("The senator will endorse the governor on Tuesday.", (1, 2)),),
        sources=(
            SourceRef("Courier", "Senator to endorse the governor", "https://courier.example/c"),
            SourceRef("Courier", "Senator to endorse  the Governor", "https://courier.example/a"),
            SourceRef("Planet", "Senator to endorse the governor", "https://planet.example/p"),
        ),
        outlet_count=2,
    )
    body = story_html_body(make_story("twice", summary=summary), SETTINGS)
    assert "Summary based on 2 sources (3 reports):" in body
    listed = [h for h in _Html(body.split("Summary based on")[1]).hrefs if "example/" in h]
    assert listed == ["https://courier.example/a", "https://planet.example/p"]
    assert '<li value="2"><a href="https://courier.example/a">' in body
    assert "… and 1 more report from these sources." in body
    # both cited: both listed, as the bullets' numbers must find them
    both = dataclasses.replace(
        summary, bullets=(Bullet("The senator will endorse the governor.", (0, 1, 2)),)
    )
    body = story_html_body(make_story("both", summary=both), SETTINGS)
    listed = [h for h in _Html(body.split("Summary based on")[1]).hrefs if "example/" in h]
    assert len(listed) == 3 and "more report" not in body


def test_an_excerpt_puts_no_space_after_a_chinese_or_japanese_stop() -> None:
    summary = Summary(
        headline="港口新桥通车",
        bullets=(
            Bullet("港口新桥周一通车。", (0,)),
            Bullet("市政府表示，每天约有两万辆车经过。", (0,)),
            Bullet("The bridge cost $2 million.", (0,)),
            Bullet("Tolls start in May.", (0,)),
        ),
        sources=(SourceRef("Harbour Daily", "港口新桥通车", "https://harbour.example/b"),),
        outlet_count=1,
    )
    assert excerpt(make_story("zh", summary=summary)) == (
        "港口新桥周一通车。市政府表示，每天约有两万辆车经过。The bridge cost $2 million. "
        "Tolls start in May."
    )


def test_an_outlet_named_two_ways_is_listed_once_as_the_stories_author() -> None:
    """An outlet's channel and its site's feed may write its name in different cases: the
    byline of "Summary based on 2 sources (3 reports)" lists two outlets, not three."""
    sources = (
        SourceRef("Harbour News", "Clip of the vote", "https://video.example/1"),
        SourceRef("HARBOUR NEWS", "Council votes", "https://harbour.example/a"),
        SourceRef("Wire Co", "Vote passes", "https://wire.example/b"),
    )
    summary = Summary("Council votes", (Bullet("The council voted.", (1,)),), sources, 2)
    story = make_story("s1", "Council votes", summary=summary)
    assert publish.outlet_names(story) == "Harbour News and Wire Co"
    entry = feedparser.parse(render_feed("World", "world", [story], "atom", SETTINGS, NOW))
    assert entry.entries[0].author == "Harbour News and Wire Co"


def test_a_sites_channel_beside_its_site_is_listed_once_when_counted_once() -> None:
    """ "GMA-like" names for one outlet (its channel, "Valley News", and its site's feed,
    "Valley News Online") under "Summary based on 2 sources": one name in the byline; two
    outlets whose names are alike but counted apart keep both."""
    sources = (
        SourceRef("Valley News", "Clip of the flood", "https://video.example/1"),
        SourceRef("Valley News Online", "Flood hits valley", "https://valleynetwork.example/a"),
        SourceRef("Wire Co", "Valley flooded", "https://wire.example/b"),
    )
    bullets = (Bullet("The valley flooded.", (1,)),)
    story = make_story("s1", "Flood", summary=Summary("Flood", bullets, sources, 2))
    assert publish.outlet_names(story) == "Valley News and Wire Co"
    apart = make_story("s2", "Flood", summary=Summary("Flood", bullets, sources, 3))
    assert publish.outlet_names(apart) == "Valley News, Valley News Online and Wire Co"


def test_outlets_named_alike_are_listed_apart_when_counted_apart() -> None:
    """Two outlets whose names differ in case only, or but for what a channel adds, under
    "Summary based on 3 sources": no name is dropped from the byline but to match the count."""
    sources = (
        SourceRef("THE HARBOUR", "Vote passes", "https://harbour.example/a"),
        SourceRef("The Harbour", "Council votes", "https://theharbour.example/b"),
        SourceRef("Wire Co", "Vote passes", "https://wire.example/c"),
    )
    bullets = (Bullet("The council voted.", (1,)),)
    story = make_story("s1", "Vote", summary=Summary("Vote", bullets, sources, 3))
    assert publish.outlet_names(story) == "THE HARBOUR, The Harbour and Wire Co"
    sources = (
        SourceRef("Valley News", "Clip of the flood", "https://video.example/1"),
        SourceRef("Ridge News", "Flood", "https://ridge.example/b"),
        SourceRef("VALLEY NEWS", "Flood hits valley", "https://valley.example/a"),
        SourceRef("Ridge", "Flood", "https://ridge.example.org/c"),
    )
    story = make_story("s2", "Flood", summary=Summary("Flood", bullets, sources, 3))
    assert publish.outlet_names(story) == "Valley News, Ridge News and Ridge"
