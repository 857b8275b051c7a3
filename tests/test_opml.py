import re
from pathlib import Path

import pytest

from aggregator.errors import ConfigError
from aggregator.opml import DEFAULT_CATEGORY, load_opml, parse_opml

GOOD = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My sources</title></head><body>
  <outline text="World News">
    <outline type="rss" text="Outlet A" xmlUrl="https://a.example/world.xml" htmlUrl="https://a.example/"/>
    <outline type="rss" text="Outlet B" xmlUrl="http://b.example/rss"/>
  </outline>
  <outline title="Business">
    <outline text="Markets">
      <outline type="rss" text="Outlet C" xmlUrl="https://c.example/markets"/>
    </outline>
    <outline type="rss" text="Outlet A again" xmlUrl="https://a.example/world.xml"/>
  </outline>
  <outline type="rss" text="Loose" XMLURL="https://d.example/feed"/>
</body></opml>"""


def test_categories_and_feeds_in_document_order() -> None:
    opml = parse_opml(GOOD, "feeds.opml")
    assert opml.title == "My sources"
    assert [(s.url, s.category, s.title) for s in opml.sources] == [
        ("https://a.example/world.xml", "World News", "Outlet A"),
        ("http://b.example/rss", "World News", "Outlet B"),
        ("https://c.example/markets", "Markets", "Outlet C"),
        ("https://d.example/feed", DEFAULT_CATEGORY, "Loose"),
    ]
    assert opml.categories == ("World News", "Markets", DEFAULT_CATEGORY)
    assert opml.sources[0].html_url == "https://a.example/"


def test_a_feed_listed_twice_is_kept_once_with_a_warning() -> None:
    opml = parse_opml(GOOD, "feeds.opml")
    assert sum(s.url == "https://a.example/world.xml" for s in opml.sources) == 1
    assert any("listed again" in w for w in opml.warnings)


@pytest.mark.parametrize(
    "again",
    [
        "HTTPS://A.Example/world.xml",
        "https://a.example:443/world.xml",
        "https://a.example/world.xml#latest",
        " https://a.example/world.xml ",
    ],
)
def test_a_feed_listed_again_in_another_spelling_is_kept_once(again: str) -> None:
    """A hand-edited OPML that lists a feed twice, spelt two ways, had polled it twice (`add`
    and `import` refuse such a spelling already)."""
    data = (
        '<opml version="2.0"><body><outline text="World">'
        '<outline text="A" xmlUrl="https://a.example/world.xml"/></outline>'
        f'<outline text="Markets"><outline text="A again" xmlUrl="{again}"/>'
        '<outline text="B" xmlUrl="https://a.example/world.xml?page=2"/></outline></body></opml>'
    )
    opml = parse_opml(data.encode(), "feeds.opml")
    assert [(s.url, s.category) for s in opml.sources] == [
        ("https://a.example/world.xml", "World"),
        ("https://a.example/world.xml?page=2", "Markets"),  # (another query: another feed)
    ]
    [warning] = opml.warnings
    assert "is listed again" in warning and warning.endswith("kept in 'World'")
    assert "(as https://a.example/world.xml)" in warning or again.strip() == opml.sources[0].url


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"this is not xml", "not valid XML at line 1"),
        (b"<opml><body><outline text='x'", "not valid XML"),
        (b"<rss><channel/></rss>", "not an OPML file"),
        (b"<opml version='2.0'><body></body></opml>", "no <outline> elements"),
        (
            b"<opml><body><outline text='World'>\n<outline type='rss' text='No URL'/>"
            b"</outline></body></opml>",
            "line 2: feed outline 'No URL' has no xmlUrl",
        ),
        (
            b"<opml><body><outline text='World'><outline text='Bad' "
            b"xmlUrl='javascript:alert(1)'/></outline></body></opml>",
            "not an http(s) URL",
        ),
        (
            b"<opml><body><outline text='Empty'/></body></opml>",
            "neither an xmlUrl nor children",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaa">]>'
            b"<opml><body><outline text='&a;' xmlUrl='https://x.example/'/></body></opml>",
            "entity declarations are not allowed",
        ),
        (  # a generated file gone wrong: refused, not a RecursionError
            b"<opml><body>"
            + b"<outline text='c'>\n" * 5000
            + b"<outline xmlUrl='https://x.example/'/>"
            + b"</outline>" * 5000
            + b"</body></opml>",
            "line 51: outlines nested more than 50 deep",
        ),
    ],
)
def test_bad_opml_names_the_file_and_the_problem(data: bytes, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_opml(data, "/etc/aggregator/feeds.opml")
    message = str(info.value)
    assert message.startswith("/etc/aggregator/feeds.opml: ")
    assert expected in message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.opml"
    with pytest.raises(ConfigError) as info:
        load_opml(missing)
    assert str(info.value) == (
        f"{missing}: no sources file there (check --opml; the feeds.opml that comes with "
        "aggregator is one to start from)"
    )
    with pytest.raises(ConfigError, match="cannot read OPML: Is a directory"):
        load_opml(tmp_path)


def test_shipped_default_opml_is_real() -> None:
    opml = load_opml(Path(__file__).parent.parent / "feeds.opml")
    assert len(opml.sources) >= 20
    assert len(opml.categories) >= 5
    assert "World News" in opml.categories
    assert all(s.url.startswith("https://") for s in opml.sources)


def test_a_feed_outline_can_turn_article_pages_off() -> None:
    data = b"""<opml version="2.0" xmlns:agg="https://aggregator.example/opml">
    <body><outline text="News">
      <outline text="Plain" xmlUrl="https://a.example/feed" articles="off"/>
      <outline text="Spaced" xmlUrl="https://b.example/feed" agg:articles="Off"/>
      <outline text="On" xmlUrl="https://c.example/feed" articles="on"/>
      <outline text="Default" xmlUrl="https://d.example/feed"/>
      <outline text="Odd" xmlUrl="https://e.example/feed" articles="sometimes"/>
    </outline></body></opml>"""
    opml = parse_opml(data)
    switches = {s.title: s.articles for s in opml.sources}
    assert switches == {"Plain": False, "Spaced": False, "On": True, "Default": True, "Odd": True}
    (warning,) = opml.warnings
    assert "'sometimes'" in warning and "stay on" in warning


def test_a_category_outline_turns_its_feeds_article_pages_off_unless_one_says_on() -> None:
    data = b"""<opml version="2.0"><body>
    <outline text="Paywalled" articles="off">
      <outline text="A" xmlUrl="https://a.example/feed"/>
      <outline text="B" xmlUrl="https://b.example/feed" articles="on"/>
      <outline text="C" xmlUrl="https://c.example/feed" articles="maybe"/>
    </outline>
    <outline text="Open"><outline text="D" xmlUrl="https://d.example/feed"/></outline>
    </body></opml>"""
    opml = parse_opml(data)
    switches = {s.title: s.articles for s in opml.sources}
    assert switches == {"A": False, "B": True, "C": False, "D": True}
    (warning,) = opml.warnings
    assert warning.endswith("article pages stay off, as the outline around it says")


def test_the_article_switch_survives_an_export() -> None:
    from aggregator.models import Source
    from aggregator.opml_edit import render_opml

    sources = [
        Source("https://a.example/feed", "A", "News", None, False),
        Source("https://b.example/feed", "B", "News"),
    ]
    again = parse_opml(render_opml("mine", sources))
    assert [s.articles for s in again.sources] == [False, True]


def test_the_space_or_control_check_matches_isspace_and_control_characters() -> None:
    from aggregator.opml import SPACE_OR_CONTROL

    for code in range(0x110000):
        c = chr(code)
        assert bool(SPACE_OR_CONTROL.search(c)) == (c.isspace() or code < 32), hex(code)


def test_an_unchanged_file_is_parsed_once_and_an_edit_is_read(tmp_path: Path) -> None:
    import aggregator.opml as opml_module

    path = tmp_path / "feeds.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="World">'
        '<outline type="rss" xmlUrl="https://a.example/feed"/></outline></body></opml>'
    )
    first = opml_module.load_opml(path)
    assert opml_module.load_opml(path) is first
    path.write_text(path.read_text().replace("a.example", "b.example"))
    edited = opml_module.load_opml(path)
    assert [s.url for s in edited.sources] == ["https://b.example/feed"]


@pytest.mark.parametrize(
    "url",
    [
        "http://a.example/feed.xml",
        "HTTPS://A.example:8443/feed?x=1&y=%20#top",
        "https://a.example",
        "http://127.0.0.1:65535/",
        "http://127.0.0.1:65536/",
        "http://127.0.0.1:99999/",
        "http://127.0.0.1:00080/",
        "http://a.example:/feed",
        "http://a.example:x/feed",
        "http://:80/feed",
        "http:///feed",
        "ftp://a.example/feed",
        "http//a.example/feed",
        "http://a.example/fe ed",
        "http://a.example/feed\t",
        "http://user:pw@a.example/feed",
        "http://[::1]:8080/feed",
        "http://[::1/feed",
        "http://a.example/\x7f",
        "http://exämple.example/feed",
        "http://a.example\\b/feed",
        "http://a_b.example/feed",
        "http://-.example/",
        "http://a.example/p@th/..;/x",
    ],
)
def test_the_plain_url_shortcut_agrees_with_the_full_check(url: str) -> None:
    """`url_problem` answers plain URLs without `urlsplit`: the same answer as the full check."""
    import aggregator.opml as opml_module

    fast = opml_module.url_problem(url)
    plain = opml_module._PLAIN_URL
    try:
        opml_module._PLAIN_URL = re.compile(r"(?!)")  # matches nothing: every URL checked in full
        full = opml_module.url_problem(url)
    finally:
        opml_module._PLAIN_URL = plain
    assert fast == full


def test_attribute_names_forgive_case_and_the_first_of_two_spellings_wins() -> None:
    data = (
        b'<opml version="2.0"><body><outline text="World">'
        b'<outline TYPE="RSS" xmlurl=" https://a.example/feed " XMLURL="https://b.example/feed"'
        b' HTMLURL="https://a.example/"/></outline></body></opml>'
    )
    (source,) = parse_opml(data).sources
    assert (source.url, source.html_url) == ("https://a.example/feed", "https://a.example/")


def test_a_name_is_one_line() -> None:
    """A line break written as `&#10;` had reached the category's name: `status` and the
    pages broke their lines there, and a digest's subject would have carried it."""
    data = (
        b'<opml version="2.0"><body><outline text="World&#10;Bcc: x@example.org  news">'
        b'<outline type="rss" text=" Outlet&#9;A " xmlUrl="https://a.example/rss"/>'
        b"</outline></body></opml>"
    )
    opml = parse_opml(data)
    assert opml.categories == ("World Bcc: x@example.org news",)
    assert opml.sources[0].title == "Outlet A"


def test_categories_with_one_address_are_one_category_named_as_first_written() -> None:
    data = b"""<opml version="2.0"><body>
  <outline text="World News"><outline text="A" xmlUrl="https://a.example/rss"/></outline>
  <outline text="Sci/Tech"><outline text="B" xmlUrl="https://b.example/rss"/></outline>
  <outline text="World  news"><outline text="C" xmlUrl="https://c.example/rss"/></outline>
  <outline text="Sci-Tech"><outline text="D" xmlUrl="https://d.example/rss"/></outline>
  <outline text="World News"><outline text="E" xmlUrl="https://e.example/rss"/></outline>
</body></opml>"""
    opml = parse_opml(data, "feeds.opml")
    assert [s.category for s in opml.sources] == ["World News", "Sci/Tech"] * 2 + ["World News"]
    assert opml.categories == ("World News", "Sci/Tech")
    assert opml.warnings == (
        "line 4: category 'World news' has the address of 'World News' (/world-news/); "
        "its feeds are filed under 'World News'",
        "line 5: category 'Sci-Tech' has the address of 'Sci/Tech' (/sci-tech/); "
        "its feeds are filed under 'Sci/Tech'",
    )  # the same name written twice is no clash


def test_a_category_named_as_an_address_the_site_keeps_is_told_where_it_is() -> None:
    data = b"""<opml version="2.0"><body>
  <outline text="All"><outline text="A" xmlUrl="https://a.example/rss"/></outline>
  <outline text="Stories"><outline text="B" xmlUrl="https://b.example/rss"/></outline>
  <outline text="All"><outline text="C" xmlUrl="https://c.example/rss"/></outline>
</body></opml>"""
    opml = parse_opml(data, "feeds.opml")
    assert opml.categories == ("All", "Stories")
    assert opml.warnings == (
        "line 2: category 'All' has the address /all-category/: /all/ is taken by the site itself",
        "line 3: category 'Stories' has the address /stories-category/: /stories/ is taken by "
        "the site itself",
    )


def test_an_opml_in_a_multi_byte_encoding_is_read() -> None:
    """expat reads UTF-8, UTF-16 and single-byte encodings only: a Shift_JIS or Big5 file
    had been a traceback ("multi-byte encodings are not supported")."""
    doc = (
        '<?xml version="1.0" encoding="Shift_JIS"?><opml version="2.0"><body>'
        '<outline text="ニュース"><outline type="rss" text="港の新聞" '
        'xmlUrl="https://minato.example/rss"/></outline></body></opml>'
    )
    (source,) = parse_opml(doc.encode("shift_jis")).sources
    assert (source.category, source.title) == ("ニュース", "港の新聞")
    big5 = doc.replace("Shift_JIS", "Big5").replace("ニュース", "新聞").replace("港の新聞", "港報")
    assert parse_opml(big5.encode("big5")).sources[0].category == "新聞"
    with pytest.raises(ConfigError, match=r"feeds\.opml: unknown encoding 'x-nowhere'"):
        parse_opml(doc.replace("Shift_JIS", "x-nowhere").encode(), "feeds.opml")
    with pytest.raises(ConfigError, match=r"feeds\.opml: not Big5 at byte"):
        parse_opml(big5.replace("港報", "\udcff").encode("utf-8", "surrogateescape"), "feeds.opml")


def test_a_category_whose_address_is_too_long_for_a_file_name_is_refused() -> None:
    """`check` and `poll` took a 5,000-character name; `publish` then failed "File name too
    long" (its feeds' files are named by the address)."""
    name = "Harbour " * 30 + "News"
    doc = (
        f'<opml version="2.0"><body><outline text="{name}">'
        '<outline type="rss" text="A" xmlUrl="https://a.example/rss"/></outline></body></opml>'
    )
    with pytest.raises(ConfigError, match=r"line 1: category 'Harbour .*is too long a name"):
        parse_opml(doc.encode())
    fits = doc.replace(name, "Harbour " * 20 + "News")  # (164 bytes)
    assert parse_opml(fits.encode()).sources[0].category == "Harbour " * 20 + "News"
