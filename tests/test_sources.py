"""Managing sources: in-place OPML edits, feed discovery, import/export, live pick-up."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from news_fixture import feeds
from upstream import Upstream

from aggregator.cli import main
from aggregator.errors import ConfigError
from aggregator.models import Source
from aggregator.opml import parse_opml, without_feed_scheme
from aggregator.opml_edit import add_feed, remove_feed
from aggregator.sources import add, export_opml, import_opml, remove

FEEDS = feeds()
RSS = FEEDS["/metrotimes/news.rss"]

HAND_WRITTEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- my sources; keep this comment -->
<opml version="2.0">
  <head><title>Mine</title></head>
  <body>
    <outline text="World News" title="World News">
      <!-- wire services first -->
      <outline type="rss" text="Wire" xmlUrl="https://wire.example/rss"
               htmlUrl="https://wire.example/" custom='kept'/>
      <outline xmlUrl="https://b.example/feed" text="B, attrs in my order" type="rss"/>
    </outline>
    <outline text="Science">
      <outline type="rss" text="Lab" xmlUrl="https://lab.example/atom"/>
    </outline>
  </body>
</opml>
"""


def test_adding_to_a_category_changes_nothing_else() -> None:
    source = Source("https://c.example/rss?a=1&b=2", 'C "quoted" & co', "World News", None)
    edited = add_feed(HAND_WRITTEN, source)
    added = (
        b'\n      <outline type="rss" text="C &quot;quoted&quot; &amp; co" '
        b'title="C &quot;quoted&quot; &amp; co" xmlUrl="https://c.example/rss?a=1&amp;b=2"/>'
    )
    anchor = b'type="rss"/>'
    at = HAND_WRITTEN.index(anchor) + len(anchor)
    assert edited == HAND_WRITTEN[:at] + added + HAND_WRITTEN[at:]
    urls = [(s.url, s.category) for s in parse_opml(edited).sources]
    assert urls[2] == ("https://c.example/rss?a=1&b=2", "World News")


def test_adding_to_a_new_category_appends_it() -> None:
    edited = add_feed(HAND_WRITTEN, Source("https://s.example/f", "S", "Sports", None))
    opml = parse_opml(edited)
    assert opml.categories == ("World News", "Science", "Sports")
    assert edited.startswith(HAND_WRITTEN[: HAND_WRITTEN.index(b"  </body>") - 1])
    assert b"<!-- wire services first -->" in edited


def test_adding_a_listed_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="already listed"):
        add_feed(HAND_WRITTEN, Source("https://lab.example/atom", "Lab", "Science", None))


def test_removing_keeps_everything_else_and_drops_a_category_left_empty() -> None:
    edited = remove_feed(HAND_WRITTEN, "https://b.example/feed")
    assert edited == HAND_WRITTEN.replace(
        b'\n      <outline xmlUrl="https://b.example/feed" text="B, attrs in my order" '
        b'type="rss"/>',
        b"",
    )
    emptied = remove_feed(HAND_WRITTEN, "https://lab.example/atom")
    assert parse_opml(emptied).categories == ("World News",)
    assert b"Science" not in emptied and b"custom='kept'" in emptied
    with pytest.raises(ConfigError, match="not listed"):
        remove_feed(HAND_WRITTEN, "https://nope.example/")


def page(feed_href: str | None) -> bytes:
    link = (
        f'<link rel="alternate" type="application/rss+xml" title="News" href="{feed_href}">'
        if feed_href
        else ""
    )
    return (
        f"<!doctype html><html><head><title>Metro Times</title>{link}</head>"
        "<body><p>Welcome</p></body></html>"
    ).encode()


def run_add(
    tmp_path: Path, start: str, scheme: str = "http", **kwargs: str
) -> tuple[Source, bytes, Upstream]:
    """`add` of `start` on a test server (its address written with `scheme`: "feed" for a
    subscribe button's feed:// link)."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)

    async def scenario() -> tuple[Source, Upstream]:
        async with Upstream() as up:
            up.add_feed("/news/rss.xml", RSS, content_type="application/rss+xml")
            up.add_feed("/home", page("/news/rss.xml"), content_type="text/html")
            up.add_feed("/bare", page(None), content_type="text/html")
            up.add_feed("/feed.xml", RSS, content_type="application/rss+xml")
            url = up.url(start).replace("http", scheme, 1)
            return (await add(path, f" {url} ", **kwargs)).source, up

    source, up = asyncio.run(scenario())
    return source, path.read_bytes(), up


def test_add_discovers_the_feed_a_page_links_to(tmp_path: Path) -> None:
    source, data, up = run_add(tmp_path, "/home", category="Local")
    assert source.url == up.url("/news/rss.xml")
    assert source.category == "Local"
    assert source.title  # the feed's own title
    assert [s.url for s in parse_opml(data).sources][-1] == up.url("/news/rss.xml")
    assert data.startswith(HAND_WRITTEN[: HAND_WRITTEN.index(b"  </body>") - 1])


@pytest.mark.parametrize("category", ["  World\n  News ", "world news", "World-News"])
def test_add_to_a_category_named_with_other_spacing_case_or_marks_finds_it(
    tmp_path: Path, category: str
) -> None:
    source, data, _ = run_add(tmp_path, "/news/rss.xml", category=category)
    assert source.category == "World News"
    assert parse_opml(data).categories == ("World News", "Science")
    assert parse_opml(data).warnings == ()


def test_add_tries_common_paths_when_the_page_names_no_feed(tmp_path: Path) -> None:
    source, _, up = run_add(tmp_path, "/bare", title="Metro")
    assert source.url == up.url("/feed.xml")
    assert (source.title, source.category) == ("Metro", "Uncategorized")


def test_add_of_a_feed_url_adds_it_as_it_is(tmp_path: Path) -> None:
    source, _, up = run_add(tmp_path, "/news/rss.xml", category="World News")
    assert source.url == up.url("/news/rss.xml")


def test_add_of_something_that_is_no_feed_leaves_the_opml_alone(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)

    async def scenario() -> None:
        async with Upstream() as up:
            up.add_feed("/plain", page(None), content_type="text/html")
            with pytest.raises(ConfigError, match="no feed found"):
                await add(path, up.url("/plain"))
            with pytest.raises(ConfigError, match="HTTP 404"):
                await add(path, up.url("/missing"))
            with pytest.raises(ConfigError, match="invalid URL"):
                await add(path, "http://[::1/x")

    asyncio.run(scenario())
    assert path.read_bytes() == HAND_WRITTEN


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("", "no address given (an unset variable?)"),
        ("example.org/feed", "(write it as 'https://example.org/feed')"),
        ("localhost:8080/feed", "(write it as 'https://localhost:8080/feed')"),  # (a port)
        ("javascript:alert(1)", "not an http(s) URL: 'javascript:alert(1)'"),
        ("mailto:news@example.org", "not an http(s) URL: 'mailto:news@example.org'"),
        # (words pasted in its place: 'https://not a url' would be refused as well)
        ("not a url", "not an http(s) URL: 'not a url'"),
    ],
)
def test_add_says_what_is_wrong_with_an_address_that_cannot_be_polled(
    tmp_path: Path, url: str, said: str
) -> None:
    """Only an address written without its scheme is told to have https:// in front: a
    "javascript:" one had been told to be written 'https://javascript:alert(1)'."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    with pytest.raises(ConfigError) as raised:
        asyncio.run(add(path, url))
    assert said in str(raised.value)
    if "write it as" not in said:
        assert "write it as" not in str(raised.value)
    assert path.read_bytes() == HAND_WRITTEN


@pytest.mark.parametrize(
    ("url", "given", "said"),
    [
        ("https://a.example/feed\udcff", {}, "'https://a.example/feed\\udcff': not text"),
        ("https://a.example/feed", {"category": "Welt\udcfc"}, "--category 'Welt\\udcfc': not"),
        ("https://a.example/feed", {"title": "\udcff"}, "--title '\\udcff': not text"),
        ("https://a.example/feed", {"exclude": "\udcff"}, "--exclude '\\udcff': not text"),
        # (a cookie is never shown: it may be a login)
        ("https://a.example/feed", {"cookie": "session=s3cret\udcff"}, "--cookie: not text"),
    ],
)
def test_add_refuses_an_argument_whose_bytes_are_not_utf8(
    tmp_path: Path, url: str, given: dict[str, str], said: str
) -> None:
    """Bytes that are not UTF-8 in an argument (a Latin-1 terminal's "Welt\xfc") are read as
    lone surrogates, which the sources file cannot hold: the edit had been refused as a fault
    of the file ("feeds.opml: not valid XML at line 6"), after the feed was fetched."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    with pytest.raises(ConfigError) as raised:
        asyncio.run(add(path, url, **given))
    assert said in str(raised.value)
    assert "(bytes that are not UTF-8)" in str(raised.value)
    assert "s3cret" not in str(raised.value)
    assert path.read_bytes() == HAND_WRITTEN


def sources_and_export(tmp_path: Path, export: str) -> tuple[Path, Path]:
    """The hand-written sources file and another reader's export beside it."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    other = tmp_path / "reader-export.opml"
    other.write_text(export)
    return path, other


def test_import_merges_another_export_keeping_categories(tmp_path: Path) -> None:
    path, other = sources_and_export(
        tmp_path,
        '<opml version="1.0"><head><title>Reader</title></head><body>'
        '<outline title="Science" text="Science">'
        '<outline type="rss" text="Lab" xmlUrl="https://lab.example/atom"/>'
        '<outline type="rss" text="Stars" xmlUrl="https://stars.example/rss"/></outline>'
        '<outline text="Cooking"><outline type="rss" text="Pan" xmlUrl="https://pan.example/"/>'
        "</outline>"
        '<outline text="world news"><outline type="rss" text="Far" xmlUrl="https://far.example/"/>'
        "</outline></body></opml>",
    )
    added, skipped, _ = import_opml(path, other)
    assert [s.url for s in added] == [
        "https://stars.example/rss",
        "https://pan.example/",
        "https://far.example/",
    ]
    assert [s.url for s in skipped] == ["https://lab.example/atom"]
    opml = parse_opml(path.read_bytes())
    filed = {s.url: s.category for s in opml.sources}
    assert filed["https://stars.example/rss"] == "Science"
    assert filed["https://far.example/"] == "World News"  # its "world news" is ours
    assert opml.categories == ("World News", "Science", "Cooking")
    assert opml.warnings == ()
    assert b"<!-- my sources; keep this comment -->" in path.read_bytes()


FRESHRSS = (  # as FreshRSS exports its feeds (app/views/helpers/export/opml.phtml's attributes)
    '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0" xmlns:frss="https://freshrss.org/opml">'
    "<head><title>FreshRSS</title></head><body>"
    '<outline text="Tech"><outline text="Lab" type="rss" xmlUrl="https://lab.example/rss" '
    'frss:cssFullContent="article .story-body" frss:ttl="3600" frss:cssContentFilter=".ad"/>'
    '<outline text="Paper" type="rss" xmlUrl="https://paper.example/rss" '
    'frss:CURLOPT_USERAGENT="Reader/1.0" frss:CURLOPT_COOKIE="session=s3cr3t" frss:ttl="-3600"/>'
    '<outline text="Odd" type="rss" xmlUrl="https://odd.example/rss" '
    'frss:cssFullContent="div[" frss:ttl="20" exclude="quiz"/>'
    '<outline text="Plain" type="rss" xmlUrl="https://plain.example/rss" frss:ttl="0"/>'
    "</outline></body></opml>"
)


def test_import_keeps_a_freshrss_exports_selectors_headers_intervals_and_mutes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, other = sources_and_export(tmp_path, FRESHRSS)
    assert main(["import", str(other), "--opml", str(path)]) == 0
    said = capsys.readouterr()
    kept = {s.url: s for s in parse_opml(path.read_bytes()).sources}
    lab, paper = kept["https://lab.example/rss"], kept["https://paper.example/rss"]
    assert (lab.selector, lab.remove, lab.interval) == (
        "article .story-body",
        ".ad",
        timedelta(hours=1),
    )
    assert (paper.user_agent, paper.cookie, paper.interval) == (
        "Reader/1.0",
        "session=s3cr3t",
        None,
    )
    assert paper.paused and not lab.paused  # (muted in FreshRSS: listed, not polled)
    odd, plain = kept["https://odd.example/rss"], kept["https://plain.example/rss"]
    assert (odd.selector, odd.interval, odd.exclude) == (None, None, ())  # (checked; ours: not)
    assert (plain.selector, plain.interval) == (None, None)
    lines = said.out.splitlines()
    assert (
        "added https://lab.example/rss to 'Tech' with its selector 'article .story-body', "
        "remove '.ad', interval 1h"
    ) in lines
    assert (
        "added https://paper.example/rss to 'Tech' with its userAgent 'Reader/1.0', cookie, "
        "pause (muted there)"
    ) in lines
    assert "added https://plain.example/rss to 'Tech'" in lines
    assert "s3cr3t" not in said.out + said.err  # a cookie may be a login: never repeated
    warned = said.err
    assert "outline 'Odd': selector='div[': " in warned and "interval='20s': " in warned


def test_import_leaves_out_the_empty_folders_of_an_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reader's export with an empty folder had been refused whole."""
    path, other = sources_and_export(
        tmp_path,
        '<opml version="1.0"><head><title>Reader</title></head><body>'
        '<outline text="Read later"/>'
        '<outline text="Tech"><outline text="Nothing yet"></outline>'
        '<outline type="rss" text="Bits" xmlUrl="https://bits.example/rss"/></outline>'
        "</body></opml>",
    )
    assert main(["import", str(other), "--opml", str(path)]) == 0
    assert "1 feed added, 0 already listed" in capsys.readouterr().out
    opml = parse_opml(path.read_bytes())
    assert {s.url: s.category for s in opml.sources}["https://bits.example/rss"] == "Tech"
    assert opml.categories == ("World News", "Science", "Tech")  # no empty category written
    with pytest.raises(ConfigError, match="'Read later' has neither an xmlUrl nor children"):
        parse_opml(other.read_bytes())  # as the sources file itself, an empty folder is an error


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("feed://news.example/rss", "http://news.example/rss"),
        ("FEED://news.example/rss", "http://news.example/rss"),
        ("feed:https://news.example/rss", "https://news.example/rss"),
        ("feed:http://news.example/rss", "http://news.example/rss"),
        ("https://feed.example/feed://x", "https://feed.example/feed://x"),
        ("feedburner.example/rss", "feedburner.example/rss"),
    ],
)
def test_the_feed_pseudo_scheme_stands_for_http(written: str, read: str) -> None:
    assert without_feed_scheme(written) == read


def test_import_reads_an_exports_feed_addresses_and_the_sources_file_says_how_to_write_them(
    tmp_path: Path,
) -> None:
    """An old export's feed:// address had refused the whole import."""
    path, other = sources_and_export(
        tmp_path,
        '<opml version="1.0"><body><outline text="Tech">'
        '<outline type="rss" text="Bits" xmlUrl="feed://bits.example/rss"/>'
        '<outline type="rss" text="Bytes" xmlUrl="feed:https://bytes.example/atom"/>'
        "</outline></body></opml>",
    )
    added, _, _ = import_opml(path, other)
    assert [s.url for s in added] == ["http://bits.example/rss", "https://bytes.example/atom"]
    assert [s.url for s in parse_opml(path.read_bytes()).sources][-2:] == [
        "http://bits.example/rss",
        "https://bytes.example/atom",
    ]
    with pytest.raises(ConfigError, match=r"\(write it as 'http://bits.example/rss'\)"):
        parse_opml(other.read_bytes())  # the sources file itself names one address per feed


def test_import_leaves_out_a_feed_it_cannot_poll_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One relative or malformed address in a 300-feed export had refused all of it."""
    path, other = sources_and_export(
        tmp_path,
        '<opml version="1.0"><body><outline text="Tech">'
        '<outline type="rss" text="Rel" xmlUrl="/relative/feed"/>'
        '<outline type="rss" text="Bits" xmlUrl="https://bits.example/rss"/>'
        '<outline type="rss" text="Nowhere"/>'
        "</outline></body></opml>",
    )
    assert main(["import", str(other), "--opml", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "1 feed added, 0 already listed" in out
    assert err.splitlines() == [  # (the line of the file imported, named: not the sources')
        f"aggregator: warning: {other}: line 1: feed 'Rel': not an http(s) URL: "
        "'/relative/feed'; left out",
        f"aggregator: warning: {other}: line 1: feed outline 'Nowhere' has no xmlUrl; left out",
    ]
    assert [s.url for s in parse_opml(path.read_bytes()).sources][-1] == "https://bits.example/rss"


def test_add_of_a_subscribe_buttons_feed_link(tmp_path: Path) -> None:
    source, _, up = run_add(tmp_path, "/news/rss.xml", category="World News", scheme="feed")
    assert source.url == up.url("/news/rss.xml")


def test_export_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    exported = parse_opml(export_opml(path))
    assert exported.sources == parse_opml(HAND_WRITTEN).sources


def test_remove_and_export_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    assert main(["remove", "https://b.example/feed", "--opml", str(path)]) == 0
    assert "removed https://b.example/feed" in capsys.readouterr().out
    assert main(["remove", "https://b.example/feed", "--opml", str(path)]) == 2
    assert "is not listed" in capsys.readouterr().err
    out = tmp_path / "export.opml"
    assert main(["export", "--opml", str(path), "--output", str(out)]) == 0
    assert [s.url for s in parse_opml(out.read_bytes()).sources] == [
        "https://wire.example/rss",
        "https://lab.example/atom",
    ]


def test_remove_of_the_last_feed_says_so_and_leaves_the_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="World">'
        '<outline type="rss" text="A" xmlUrl="https://a.example/feed"/></outline></body></opml>'
    )
    before = path.read_bytes()
    assert main(["remove", "https://a.example/feed", "--opml", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"aggregator: cannot remove: {path}: https://a.example/feed is its last feed, and the "
        'sources need one: add another first, or pause it (paused="on" on its outline)\n'
    )
    assert path.read_bytes() == before
    assert main(["remove", "https://b.example/feed", "--opml", str(path)]) == 2
    assert capsys.readouterr().err.endswith(
        "https://b.example/feed is not listed (`aggregator export` lists the feeds)\n"
    )


def test_add_of_an_address_typed_without_its_scheme_says_how_to_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    assert main(["add", "news.example.org/feed.xml", "--opml", str(path)]) == 2
    assert capsys.readouterr().err == (
        "aggregator: cannot add: not an http(s) URL: 'news.example.org/feed.xml' "
        "(write it as 'https://news.example.org/feed.xml')\n"
    )
    assert path.read_bytes() == HAND_WRITTEN


def test_export_never_writes_over_the_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The export leaves out each feed's own settings: written over the sources file (or a link
    to it), it had dropped them without a word."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN.replace(b'text="Wire"', b'text="Wire" paused="on"'))
    before = path.read_bytes()
    (tmp_path / "link.opml").symlink_to(path)
    for output in (str(path), str(tmp_path / "link.opml"), f"{tmp_path}/./feeds.opml"):
        assert main(["export", "--opml", str(path), "--output", output]) == 1
        err = capsys.readouterr().err
        assert err == (
            f"aggregator: error: {Path(output)}: is the sources file itself ({path}); export to "
            "another file\n"
        )
        assert path.read_bytes() == before


def test_an_export_is_as_private_as_the_sources_it_copies(tmp_path: Path) -> None:
    """A new export file had been made 0644 whatever the sources' mode and the umask: the
    sources may hold feeds' logins (`https://user:password@…`)."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    path.chmod(0o600)
    old = os.umask(0o022)
    try:
        assert main(["export", "--opml", str(path), "--output", str(tmp_path / "a.opml")]) == 0
        path.chmod(0o644)
        os.umask(0o027)
        assert main(["export", "--opml", str(path), "--output", str(tmp_path / "b.opml")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.opml").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "b.opml").stat().st_mode) == 0o640


def test_an_edit_writes_through_a_linked_sources_file(tmp_path: Path) -> None:
    """A sources file linked from a checkout had been replaced by a plain file, the checkout's
    left as it was."""
    (tmp_path / "repo").mkdir()
    real = tmp_path / "repo" / "feeds.opml"
    real.write_bytes(HAND_WRITTEN)
    link = tmp_path / "feeds.opml"
    link.symlink_to(Path("repo") / "feeds.opml")
    assert main(["remove", "https://b.example/feed", "--opml", str(link)]) == 0
    assert link.is_symlink()
    assert b"https://b.example/feed" not in real.read_bytes()
    assert sorted(p.name for p in (tmp_path / "repo").iterdir()) == ["feeds.opml"]


def test_a_refused_edit_says_what_was_refused_not_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`add` of an address that answers 404 had printed "configuration error: …" about a file
    that was fine; each refusal now names the command, keeps exit 2 and leaves the file alone."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    opml = ["--opml", str(path)]
    with Upstream().running_in_thread() as up:
        up.add_feed("/news/rss.xml", RSS, content_type="application/rss+xml")
        missing, listed = up.url("/missing"), "https://wire.example/rss"
        cases = [
            (["add", missing], f"aggregator: cannot add: {missing}: HTTP 404"),
            (["add", listed], f"aggregator: cannot add: {path}: {listed} is already listed"),
            (["remove", "https://c.example/"], f"aggregator: cannot remove: {path}: https://c"),
        ]
        for args, said in cases:
            assert main([*args, *opml]) == 2
            err = capsys.readouterr().err
            assert err.startswith(said) and "configuration error" not in err
        assert main(["add", up.url("/news/rss.xml"), *opml]) == 0
    assert up.url("/news/rss.xml") in capsys.readouterr().out
    assert [s.url for s in parse_opml(path.read_bytes()).sources][-1] == up.url("/news/rss.xml")
    path.write_text("<opml><body>")  # a broken file: refused, and why
    assert main(["remove", listed, *opml]) == 2
    assert "aggregator: cannot remove: " in capsys.readouterr().err


def test_add_of_a_feed_that_parses_only_in_part_adds_it_and_says_where_it_breaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cut-off feed (malformed XML after a few items) had been added without a word; it is
    added (the poller keeps what it reads) with the poller's own wording of the break."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel><title>Cut</title><link>https://cut.example/</link>',
        *(
            f"<item><title>Report {n}</title><link>https://cut.example/{n}</link></item>"
            for n in range(4)
        ),
        "</channel></rss>",
    ]
    whole = "\n".join(lines).encode()
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    with Upstream().running_in_thread() as up:
        up.add_feed("/cut.xml", whole[: whole.index(b"<item><title>Report 3") + 5])
        up.add_feed("/whole.xml", whole)
        assert main(["add", up.url("/cut.xml"), "--opml", str(path)]) == 0
        out, err = capsys.readouterr()
        assert err == (
            f"aggregator: warning: {up.url('/cut.xml')} parsed only in part (malformed XML at "
            "line 6, column 1: unclosed token); 3 items read; added all the same\n"
        )
        assert f"added {up.url('/cut.xml')} ('Cut')" in out
        assert main(["add", up.url("/whole.xml"), "--opml", str(path)]) == 0
        out, err = capsys.readouterr()
        assert err == "" and f"added {up.url('/whole.xml')}" in out
    listed = [s.url for s in parse_opml(path.read_bytes()).sources]
    assert listed[-2:] == [up.url("/cut.xml"), up.url("/whole.xml")]


def test_a_running_service_picks_up_an_added_feed(tmp_path: Path) -> None:
    from test_service import fast_settings, running, wait_for

    from aggregator.service import Service

    async def scenario() -> None:
        async with Upstream() as up:
            first = up.add_feed("/a.xml", FEEDS["/dailyplanet/world.xml"])
            up.add_feed("/b.xml", RSS, content_type="application/rss+xml")
            path = tmp_path / "feeds.opml"
            path.write_text(
                '<opml version="2.0"><body><outline text="World">'
                f'<outline type="rss" text="A" xmlUrl="{first}"/></outline></body></opml>'
            )
            service = Service(path, tmp_path / "agg.db", fast_settings())
            async with running(service):
                await wait_for(lambda: len(up.requests_for("/a.xml")) == 1)
                await add(path, up.url("/b.xml"), category="World")
                await wait_for(lambda: len(up.requests_for("/b.xml")) >= 2)  # add's check + poll
                remove(path, first)
                await wait_for(
                    lambda: [s.url for s in service.store.sources()] == [up.url("/b.xml")]
                )

    asyncio.run(scenario())


def test_edits_made_at_once_all_land(tmp_path: Path) -> None:
    """Six `add`s at once had each written the file as it read it: two feeds were left, and
    every command said "added"."""
    import threading
    import time

    from aggregator.sources import edit

    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    urls = [f"https://outlet{n}.example/rss" for n in range(8)]

    def slowly_added(url: str) -> None:
        def change(data: bytes) -> bytes:
            time.sleep(0.05)  # (the time an edit takes: another reads the file meanwhile)
            return add_feed(data, Source(url, url, "World News"), str(path))

        edit(path, change)

    threads = [threading.Thread(target=slowly_added, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed = {s.url for s in parse_opml(path.read_bytes()).sources}
    assert set(urls) <= listed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.opml"]  # (no lock file)


def test_export_writes_into_a_pipe_and_says_a_full_output_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--output` naming a FIFO (or /dev/stdout) had replaced it with a plain file (as root,
    /dev/full became one); an output that cannot be written had been a traceback."""
    import threading

    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert main(["export", "--opml", str(path), "--output", str(fifo)]) == 0
    reader.join(10)
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and b"https://b.example/feed" in got[0]
    capsys.readouterr()
    if Path("/dev/full").exists():
        assert main(["export", "--opml", str(path), "--output", "/dev/full"]) == 1
        assert capsys.readouterr().err == (
            "aggregator: error: /dev/full: cannot write: No space left on device\n"
        )
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_listed_feed_spelled_otherwise_is_already_listed(tmp_path: Path) -> None:
    """`add` and `import` compared addresses as written: "HTTPS://B.example:443/feed#top" was
    listed again, one feed polled twice."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    for spelled in ("HTTPS://B.example:443/feed#top", "https://b.example/feed?"):
        with pytest.raises(ConfigError, match="is already listed"):
            asyncio.run(add(path, spelled))
    export = tmp_path / "export.opml"
    export.write_text(
        '<opml version="2.0"><body><outline text="News">'
        '<outline type="rss" text="B" xmlUrl="https://B.EXAMPLE/feed"/>'
        '<outline type="rss" text="New" xmlUrl="https://new.example/rss"/>'
        "</outline></body></opml>"
    )
    imported = import_opml(path, export)
    assert [s.url for s in imported.added] == ["https://new.example/rss"]
    assert [s.url for s in imported.listed] == ["https://B.EXAMPLE/feed"]


def test_feeds_added_in_one_edit_read_as_added_one_by_one() -> None:
    """`import` adds its feeds in one edit (`add_feeds`: a 4,000-feed export, the file read
    whole for each feed, had taken 148 s): the same bytes as adding them one at a time, a
    new category made once, in the order its feeds came."""
    from aggregator.opml_edit import add_feeds

    sources = [
        Source("https://one.example/rss", "One", "Science"),
        Source("https://two.example/rss", "Two", "Sport"),
        Source("https://three.example/rss", "Three", "Science"),
        Source("https://four.example/rss", "Four", "World News"),
    ]
    one_by_one = HAND_WRITTEN
    for source in sources:
        one_by_one = add_feed(one_by_one, source)
    at_once = add_feeds(HAND_WRITTEN, sources)
    assert at_once == one_by_one
    listed = [(s.url, s.category) for s in parse_opml(at_once).sources]
    assert ("https://four.example/rss", "World News") in listed
    assert listed.index(("https://one.example/rss", "Science")) < listed.index(
        ("https://three.example/rss", "Science")
    )
    with pytest.raises(ConfigError, match=r"https://one\.example/rss is already listed"):
        add_feeds(HAND_WRITTEN, [sources[0], sources[0]])


def test_an_edit_keeps_a_file_written_with_windows_line_endings_so() -> None:
    """`add` had ended its new lines, and so the line before them, with a bare LF in a file
    written with CR LF."""
    windows = HAND_WRITTEN.replace(b"\n", b"\r\n")
    edited = add_feed(windows, Source("https://new.example/rss", "New", "Science"))
    edited = add_feed(edited, Source("https://other.example/rss", "Other", "Sport"))
    edited = remove_feed(edited, "https://b.example/feed")
    assert edited.count(b"\n") == edited.count(b"\r\n") > 0
    assert b"https://new.example/rss" in edited and b"https://b.example/feed" not in edited


@pytest.mark.parametrize(
    ("name", "bom"),
    [("UTF-16", b"\xff\xfe"), ("UTF-16", b"\xfe\xff"), ("Shift_JIS", b""), ("Big5", b"")],
)
def test_a_file_in_an_encoding_not_spliced_by_bytes_is_edited_and_kept_in_it(
    name: str, bom: bytes
) -> None:
    """`check` and `run` read it; `add` and `remove` had failed: a traceback ("multi-byte
    encodings are not supported") or, for UTF-16, a file no longer XML (its new lines in
    UTF-8)."""
    codec = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}.get(bom, name)
    text = HAND_WRITTEN.decode().replace('encoding="UTF-8"', f'encoding="{name}"')
    text = text.replace("World News", "港報")  # (a name each of them can write)
    data = bom + text.encode(codec)
    edited = add_feed(data, Source("https://new.example/rss", "New", "港報"))
    edited = add_feed(edited, Source("https://snow.example/rss", "Snow ☃", "Ünïcode"))
    edited = remove_feed(edited, "https://lab.example/atom")
    assert edited.startswith(bom)
    back = edited[len(bom) :].decode(codec)
    assert f'encoding="{name}"' in back and "<!-- wire services first -->" in back
    sources = {s.url: s for s in parse_opml(edited).sources}
    assert sources["https://new.example/rss"].category == "港報"
    assert sources["https://snow.example/rss"].title == "Snow ☃"  # (a reference where need be)
    assert sources["https://snow.example/rss"].category == "Ünïcode"
    assert "https://lab.example/atom" not in sources and "Science" not in back
    assert back.replace("\n", "").startswith(text.split("<outline")[0].replace("\n", ""))


def test_an_option_given_empty_is_refused_not_taken_for_none(tmp_path: Path) -> None:
    """`add --interval ''` (a script's unset variable) had added the feed without one."""
    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    for option in ("interval", "exclude", "category", "selector", "user_agent"):
        with pytest.raises(ConfigError, match=f"--{option.replace('_', '-')} is empty"):
            asyncio.run(add(path, "https://new.example/rss", **{option: " "}))
    assert path.read_bytes() == HAND_WRITTEN


def test_add_waits_its_timeout_in_all_and_says_which_address_did_not_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Discovery had waited the fetch timeout for each address it tried (a page whose feed
    link hangs, then eight common paths: minutes at the default 30 s), then said "no feed
    found". It now waits `--timeout` (default `[fetch] total_timeout`) in all, names the
    address that did not answer, and leaves the sources file as it was."""
    import socket

    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    settings = tmp_path / "settings.toml"
    settings.write_text("[fetch]\ntotal_timeout = 0.5\n")
    silent = socket.socket()  # (listens, never answers: the kernel takes the connection)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    hang = f"http://127.0.0.1:{silent.getsockname()[1]}/feed.xml"
    opml = ["--opml", str(path)]
    with silent, Upstream().running_in_thread() as up:
        up.add_feed("/home", page(hang), content_type="text/html")
        home = up.url("/home")
        assert main(["add", home, "--timeout", "0.5", *opml]) == 2
        assert capsys.readouterr().err == (
            f"aggregator: cannot add: {home}: no feed found within 0.5 s (--timeout): "
            f"{hang} did not answer in time (1 address asked before it)\n"
        )
        assert main(["add", hang, "--config", str(settings), *opml]) == 2
        assert capsys.readouterr().err == (
            f"aggregator: cannot add: {hang}: no answer within 0.5 s ([fetch] total_timeout; "
            "--timeout SECONDS sets another)\n"
        )
        assert up.requests_for("/feed") == []  # (the common paths were not waited for)
    assert path.read_bytes() == HAND_WRITTEN
    with pytest.raises(SystemExit):
        main(["add", home, "--timeout", "0", *opml])
    assert "argument --timeout: 0 is out of range" in capsys.readouterr().err


def test_add_and_remove_say_a_service_picks_the_edit_up_only_when_one_reads_this_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`add` and `remove` had always ended "a running service picks this up", with no service
    running, or one reading another sources file. The service's lock file names the file it
    reads; the commands say what is true."""
    from aggregator.lock import writer_lock

    path, other, db = tmp_path / "feeds.opml", tmp_path / "other.opml", tmp_path / "agg.db"
    path.write_bytes(HAND_WRITTEN)
    other.write_bytes(HAND_WRITTEN)
    feed = "https://wire.example/rss"

    def said(*args: str) -> str:
        assert main([*args, "--db", str(db)]) == 0
        return capsys.readouterr().out.splitlines()[-1]

    assert said("remove", feed, "--opml", str(path)) == (
        f"no database at {db} (--db names the service's): the next `aggregator run` or "
        f"`poll` with --opml {path} reads this"
    )
    db.touch()
    assert said("remove", feed, "--opml", str(other)).startswith(
        f"no service is running on {db} (--db names the service's)"
    )
    with Upstream().running_in_thread() as up, writer_lock(db, "run", opml=path):
        up.add_feed("/news/rss.xml", RSS, content_type="application/rss+xml")
        service = f"`aggregator run` (pid {os.getpid()})"
        assert said("add", up.url("/news/rss.xml"), "--opml", str(path)) == (
            f"{service}, running on {db}, picks this up within one tick"
        )
        assert said("add", up.url("/news/rss.xml"), "--opml", str(other)) == (
            f"{service} runs on {db} with the sources {path}, not this file: it does not see "
            "this change"
        )
    assert said("remove", up.url("/news/rss.xml"), "--opml", str(path)).startswith(
        f"no service is running on {db}"
    )  # (the lock let go: no service)


def test_a_longer_timeout_gets_add_past_a_feed_link_that_never_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A page whose advertised feed hangs, while a common path serves the feed: each fetch
    keeps the `[fetch] total_timeout` bound, so a `--timeout` above it (as the error
    advises) reaches the common path; had each fetch been given the whole wait, the hung
    link used all of it, whatever `--timeout` said."""
    import socket

    path = tmp_path / "feeds.opml"
    path.write_bytes(HAND_WRITTEN)
    settings = tmp_path / "settings.toml"
    settings.write_text("[fetch]\ntotal_timeout = 0.5\n")
    silent = socket.socket()  # (listens, never answers)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    hang = f"http://127.0.0.1:{silent.getsockname()[1]}/feed.xml"
    with silent, Upstream().running_in_thread() as up:
        up.add_feed("/home", page(hang), content_type="text/html")
        up.add_feed("/feed", RSS, content_type="application/rss+xml")
        args = ["add", up.url("/home"), "--opml", str(path), "--config", str(settings)]
        assert main([*args, "--db", str(tmp_path / "none.db")]) == 2
        assert f"{hang} did not answer in time" in capsys.readouterr().err
        assert path.read_bytes() == HAND_WRITTEN
        assert main([*args, "--timeout", "30", "--db", str(tmp_path / "none.db")]) == 0
        assert f"added {up.url('/feed')}" in capsys.readouterr().out
    assert up.url("/feed") in path.read_text()


def test_an_edit_beside_a_database_it_may_not_look_at_ends_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--db` in a directory the user may not read (systemd's `DynamicUser` state directory,
    without sudo): the edit is made, and the command says a service may be running there
    and exits 0; the database's existence, which cannot be told there, had raised
    "Permission denied" after the sources file was written, exit 1."""
    path, private = tmp_path / "feeds.opml", tmp_path / "private"
    path.write_bytes(HAND_WRITTEN)
    db = private / "aggregator.db"

    def denied(real: Any) -> Any:
        def call(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self.parent == private:  # (root reads any directory: denied by hand)
                raise PermissionError(13, "Permission denied", str(self))
            return real(self, *args, **kwargs)

        return call

    monkeypatch.setattr(Path, "stat", denied(Path.stat))
    monkeypatch.setattr(Path, "read_bytes", denied(Path.read_bytes))
    feed = "https://wire.example/rss"
    assert main(["remove", feed, "--opml", str(path), "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(f"a service may be running on {db} (its lock file cannot be read)")
    assert feed not in path.read_text()


def test_a_service_reading_through_a_link_moved_since_it_started_reads_the_new_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service opens its `--opml` path each tick, through links as they are then: after
    the link is moved to another file, an edit of that file is picked up and one of the
    former is not; the lock file had named the file the link led to at start."""
    from aggregator.lock import writer_lock

    first, second, live = tmp_path / "v1.opml", tmp_path / "v2.opml", tmp_path / "feeds.opml"
    first.write_bytes(HAND_WRITTEN)
    second.write_bytes(HAND_WRITTEN)
    live.symlink_to(first)
    db = tmp_path / "agg.db"
    db.touch()
    feed = "https://wire.example/rss"
    with writer_lock(db, "run", opml=live):
        live.unlink()
        live.symlink_to(second)  # (a deployment moves the link)
        for path, picked in ((second, True), (live, True), (first, False)):
            assert main(["remove", feed, "--opml", str(path), "--db", str(db)]) == 0
            said = capsys.readouterr().out.splitlines()[-1]
            assert said.endswith("picks this up within one tick") is picked, said
            path.write_bytes(HAND_WRITTEN)  # (listed again for the next)


def test_an_edit_given_the_data_directory_as_db_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--db` naming the service's data directory, not the file in it: the edit is made and
    the command says which it was given; it had said "no service is running on" the
    directory, while one ran on the database in it."""
    from aggregator.lock import writer_lock

    path, data = tmp_path / "feeds.opml", tmp_path / "data"
    path.write_bytes(HAND_WRITTEN)
    data.mkdir()
    with writer_lock(data / "aggregator.db", "run", opml=path):
        assert (
            main(["remove", "https://wire.example/rss", "--opml", str(path), "--db", str(data)])
            == 0
        )
    said = capsys.readouterr().out.splitlines()[-1]
    assert said.startswith(f"{data} is a directory, not a database file (check --db"), said
    assert "no service is running" not in said
