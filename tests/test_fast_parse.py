"""The lxml fast path gives exactly what feedparser gives (ids, links, titles, dates, text).

Every comparison parses the same bytes twice, `parse_feed(..., fast=False)` being the
reference; any difference fails. The files in tests/fixtures/feeds always run; the 2,100+ real
feed files of ../shared/data/dev/feeds run when that folder is present (or named by
AGGREGATOR_DEV_FEEDS).
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedparser.datetimes import _parse_date as feedparser_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import _HTMLSanitizer
from feedparser.urls import _urljoin as feedparser_urljoin

from aggregator import fast_parse as fast_parse_module
from aggregator import parse as parse_module
from aggregator.errors import ParseError
from aggregator.fast_parse import fast_parse
from aggregator.models import ParsedFeed
from aggregator.parse import parse_feed

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
DEV_FEEDS = Path(os.environ.get("AGGREGATOR_DEV_FEEDS", ROOT.parent / "shared/data/dev/feeds"))
URL = "http://feeds.example/news/feed.xml"


def reference_and_fast(body: bytes, headers: dict[str, str] | None = None) -> tuple[object, object]:
    results = []
    for fast in (False, True):
        try:
            results.append(parse_feed(body, URL, headers, fast=fast))
        except ParseError as exc:
            results.append(("ParseError", exc.message))
    return results[0], results[1]


def takes_fast_path(body: bytes, headers: dict[str, str] | None = None) -> bool:
    base, lowered = parse_module._response_headers(URL, headers)
    body = parse_module._CHAR_REF.sub(parse_module._fix_char_ref, body)
    found = fast_parse(body, base, lowered, parse_module.feed_date, parse_module.feed_urljoin)
    return found is not None


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in {".xml", ".atom", ".rss", ".html"})


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_fast_path_equals_feedparser_on_fixture(path: Path) -> None:
    reference, fast = reference_and_fast(path.read_bytes())
    assert fast == reference


@pytest.mark.parametrize(
    "name",
    [
        "heise.atom",
        "miniflux_small_atom.xml",
        "miniflux_urdu_UTF8.xml",
        "gulp-atom.atom",
        "feedparser/encoding_demoronize-2.xml",
        "feedparser/wellformed_rss_item_description_escaped_markup.xml",
    ],
)
def test_real_plain_feeds_take_the_fast_path(name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    assert takes_fast_path(body)
    reference, fast = reference_and_fast(body)
    assert isinstance(fast, ParsedFeed) and fast.entries and fast == reference


@pytest.mark.parametrize(
    "name",
    [
        "miniflux_encoding_WINDOWS-1251.xml",  # not UTF-8
        "billion_laughs.xml",  # a DOCTYPE
        "html_page.html",  # not a feed
        "rss2_sample.xml",  # a <script> in its content
        "feedparser/wellformed_rss_item_category_image.xml",  # markup where text belongs
    ],
)
def test_anything_unusual_goes_to_feedparser(name: str) -> None:
    assert not takes_fast_path((FIXTURES / name).read_bytes())


ODD_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Q&amp;A Daily</title><link>/home?a=1&amp;b=2</link><language>en-gb</language><ttl>30</ttl>
<item><title>M&amp;amp;S &lt;b&gt;profits&lt;/b&gt; up</title><guid>12345</guid>
<dc:date>2024-03-05T10:00:00+01:00</dc:date><dc:creator>Ann Other</dc:creator>
<description>&lt;p&gt;Fish &amp;amp; chips &amp;mdash; “fresh” &lt;!-- x --&gt;&lt;br/&gt;
\u0092quoted\u0093 Caf\u00c3\u00a9 &amp; more&lt;/p&gt;</description></item>
<item><title>Plain &lt; title</title><link>story/2?x=1&amp;amp;y=2</link>
<guid isPermaLink="false">tag:example.org,2024:2</guid>
<pubDate>Tue, 05 Mar 2024 10:00:00 EST</pubDate></item>
</channel></rss>
"""


@pytest.mark.parametrize(
    "headers",
    [None, {"content-type": "application/rss+xml; charset=utf-8"}, {"content-location": "/x/"}],
)
def test_entities_guessed_types_relative_links_and_repaired_characters(
    headers: dict[str, str] | None,
) -> None:
    body = ODD_RSS.encode()
    assert takes_fast_path(body, headers)
    reference, fast = reference_and_fast(body, headers)
    assert fast == reference
    assert isinstance(fast, ParsedFeed) and len(fast.entries) == 2


@pytest.mark.parametrize("link", ["<link></link>", "<link/>", "<link>  </link>"])
def test_an_empty_link_is_no_link_on_both_paths(link: str) -> None:
    # (the fast path joined it to the feed's own address: the item linked to its feed)
    body = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        f"<link>http://feeds.example/</link><item><title>A</title>{link}"
        "<guid>http://feeds.example/news/a1</guid></item></channel></rss>"
    ).encode()
    assert takes_fast_path(body)
    reference, fast = reference_and_fast(body)
    assert fast == reference
    assert isinstance(fast, ParsedFeed) and fast.entries[0].url is None


def test_a_text_xml_body_goes_to_feedparser() -> None:
    # feedparser applies RFC 3023's us-ascii default to text/xml and warns; we keep its answer.
    assert not takes_fast_path(ODD_RSS.encode(), {"content-type": "text/xml"})


def test_fast_path_equals_feedparser_on_every_real_feed_file() -> None:
    if not DEV_FEEDS.is_dir():
        pytest.skip(f"{DEV_FEEDS} not present (the shared dev data); fixtures above still ran")
    files = sorted(p for p in DEV_FEEDS.rglob("*") if p.is_file() and "LICENSE" not in p.name)
    assert len(files) > 2000
    differences, lost = [], []
    fast_count = 0
    for path in files:
        body = path.read_bytes()
        fast_count += takes_fast_path(body)
        reference, fast = reference_and_fast(body)
        if fast != reference:
            differences.append(path.relative_to(DEV_FEEDS).as_posix())
        # both paths losing an entry the same way is no agreement: none is lost
        if isinstance(reference, ParsedFeed) and "unreadable entries" in (reference.warning or ""):
            lost.append(path.relative_to(DEV_FEEDS).as_posix())
    assert differences == []
    assert lost == []
    assert fast_count > 500  # the fast path is really taken, not declined everywhere


@pytest.mark.parametrize(
    "value",
    [
        "plain ASCII, as most texts are",
        "cafÃ© au lait",
        "\x93quoted\x94 \x85",
        "Zürich",
        "北京 café",
    ],
)
def test_repairing_characters_skips_only_what_it_would_leave_unchanged(value: str) -> None:
    def every_time(value: str) -> str:  # the repair done on every text
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("iso-8859-1").decode("utf-8")
        return value.translate(_cp1252)

    assert fast_parse_module._repair(value) == every_time(value)


def test_what_is_copied_from_feedparser_is_feedparsers() -> None:
    # (copied so that a process whose feeds take the fast path never imports feedparser)
    assert _HTMLSanitizer.acceptable_elements == fast_parse_module._ACCEPTABLE_ELEMENTS
    assert _cp1252 == fast_parse_module._CP1252
    for value in (
        "plain",
        "AT&T",
        "Q&amp;A",
        "a &bogus; ref",
        "&#8217;s",
        "<b>bold</b>",
        "<B>Bold</B> &amp; more",
        "x </script> y",
        "<p>para",
        "a < b > c",
        "</font>",
        "<event-source>x</event-source>",
        "&nbsp;</i>",
    ):
        assert fast_parse_module._looks_like_html(value) == _FeedParserMixin.looks_like_html(
            value
        ), value
    base = "http://feeds.example/news/feed.xml?x=1"
    for uri in (
        "story/2",
        "/a/b?c=d&e=f",
        "https:///three.example/x",
        "http://a.example//b",
        "//cdn.example/x",
        "",
        "#frag",
        "../up",
        "http://[::1/",
        "mailto:someone@example.org",
        "tag:example.org,2024:2",
    ):
        assert fast_parse_module.urljoin(base, uri) == feedparser_urljoin(base, uri), uri


def date_forms(when: datetime, zone_minutes: int) -> list[str]:
    """`when` written as feeds write it, in a zone `zone_minutes` east of UTC."""
    local = when + timedelta(minutes=zone_minutes)
    sign = "-" if zone_minutes < 0 else "+"
    hours, minutes = divmod(abs(zone_minutes), 60)
    rfc = local.strftime("%a, %d %b %Y %H:%M:%S")
    iso = local.strftime("%Y-%m-%dT%H:%M:%S")
    return [
        f"{rfc} {sign}{hours:02d}{minutes:02d}",
        f"{rfc} GMT",
        f"{rfc} EST",
        f"{rfc} MEST",
        f"{iso}{sign}{hours:02d}:{minutes:02d}",
        f"{iso}Z",
        f"{iso}.{local.microsecond:06d}{sign}{hours:02d}:{minutes:02d}",
        f"{iso}.5Z",
        rfc.replace(" 0", " ", 1) + " +0000",  # a day of one digit
    ]


def test_the_usual_date_forms_read_as_feedparser_reads_them() -> None:
    rng = random.Random(5)
    start = datetime(1995, 1, 1, tzinfo=UTC)
    values = [
        # odd ones: feedparser's own readers answer them (some with None)
        "Tue, 31 Feb 2024 10:00:00 +0000",
        "Tue, 05 Mar 2024 24:00:00 +0000",
        "Tue, 05 Mar 0000 10:00:00 +0000",
        "Tue, 05 Foo 2024 10:00:00 +0000",
        "tue, 05 mar 2024 10:00:00 +0000",
        "Tue, 05 Mar 2024 10:00:00 EST",
        "Tue, 05 Mar 2024 10:00:00 XYZ",
        "Tue, 05 Mar 2024 10:00:00 GMTX",
        "Tue, 05 Mar 2024 10:00:00 Y",
        "Tue, 05 Mar 2024 10:00 +0000",
        "05 Mar 2024 10:00:00 +0000",
        "2024-02-30T10:00:00Z",
        "2024-03-05T10:00:00",
        "2024-03-05",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "Tue Mar 5 10:30:00 2024",
        "not a date",
    ]
    for _ in range(400):
        when = start + timedelta(seconds=rng.randrange(40 * 365 * 86400))
        when = when.replace(microsecond=rng.randrange(1_000_000))
        values += date_forms(when, rng.choice([0, 60, -300, 330, -570, 765, -720, 840]))
    for value in values:
        assert fast_parse_module.parse_date(value) == feedparser_date(value), value


WORKER_CHECK = """
import sys
from datetime import UTC, datetime
from aggregator.models import Fetched, Source
from aggregator.parse_task import parse_in_worker
url = "http://feeds.example/feed.xml"
source = Source(url=url, title="Example", category="")
now = datetime(2024, 3, 6, tzinfo=UTC)
feed, items = parse_in_worker(source, Fetched(url, url, 200, sys.stdin.buffer.read()), now)
dates = sorted(str(item.published) for item in items)
print(len(items), dates[0], dates[-1])
print(" ".join(sorted(m for m in ("feedparser", "dateutil", "asyncio", "multiprocessing",
      "aggregator.summarize", "aggregator.parse_pool") if m in sys.modules)) or "-")
"""


def test_a_worker_parsing_plain_feeds_loads_neither_feedparser_nor_the_pool() -> None:
    """What a parse worker imports for feeds the fast path takes: not feedparser, dateutil,
    nor the pool's own machinery (each a few MB in every worker)."""
    body = ODD_RSS.encode()
    assert takes_fast_path(body)
    result = subprocess.run(
        [sys.executable, "-c", WORKER_CHECK],
        input=body,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
    counted, loaded = result.stdout.decode().splitlines()
    assert counted == "2 2024-03-05 09:00:00+00:00 2024-03-05 15:00:00+00:00"
    assert loaded == "-"


TAGGED_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>http://feeds.example/</link>
<category>Channel-level, not an entry's</category>
<item><title>One</title><link>http://feeds.example/1</link>
  <category>Politics</category>
  <category domain="http://feeds.example/taxonomy">news/world/europe</category>
  <category domain="http://feeds.example/type">video</category>
  <category domain="http://feeds.example/empty"></category>
  <category>  Brexit   talks </category>
  <category>Politics</category>
</item>
<item><title>Two</title><link>http://feeds.example/2</link>
  <category domain="http://feeds.example/type"></category><category>after an empty one</category>
</item>
<item><title>Three</title><link>http://feeds.example/3</link></item>
</channel></rss>"""

TAGGED_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<updated>2024-03-05T09:00:00Z</updated>
<entry><title>One</title><id>urn:1</id><link href="http://feeds.example/1"/>
  <updated>2024-03-05T09:00:00Z</updated>
  <category term="sport" label="Sport and games"/>
  <category term="opinion" scheme="http://feeds.example/kinds"/>
  <category scheme="http://feeds.example/kinds">Text of its own</category>
  <category term="sport" label="Sport and games"/>
</entry>
</feed>"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            TAGGED_RSS,
            [
                ("Politics", "news/world/europe", "video", "Brexit talks"),
                ("after an empty one",),
                (),
            ],
        ),
        (TAGGED_ATOM, [("sport", "Sport and games", "opinion", "Text of its own")]),
    ],
    ids=["rss", "atom"],
)
def test_categories_read_alike_on_both_paths(body: str, expected: list[tuple[str, ...]]) -> None:
    assert takes_fast_path(body.encode())
    reference, fast = reference_and_fast(body.encode())
    assert isinstance(fast, ParsedFeed) and fast == reference
    assert [e.tags for e in fast.entries] == expected


SITE_FIELDS_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:media="http://search.yahoo.com/mrss/" xmlns:ledger="http://ledger.example/rss/"
  xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
<title>Harbour Ledger</title><link>http://feeds.example/</link>
<atom:link rel="self" href="http://feeds.example/rss"/>
<atom:link rel="hub" href="http://hub.example/"/>
<feedburner:info xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0" uri="ledger"/>
<ledger:edition>Late</ledger:edition>
<item><title>Quay reopens</title><link>http://feedproxy.example/~r/ledger/1</link>
  <nid>84412</nid><ledger:articletype>News</ledger:articletype>
  <atom:link rel="standout" href="http://feeds.example/1"/>
  <feedburner:origLink>http://feeds.example/world/quay-reopens</feedburner:origLink>
  <media:group>
    <media:content url="http://img.example/quay-wide.jpg" medium="image" width="1100"/>
    <media:content url="http://img.example/quay-square.jpg" medium="image" width="300"/>
  </media:group>
  <media:thumbnail url="http://img.example/quay-thumb.jpg" width="60"/>
  <description>The quay reopened on Monday after repairs.</description></item>
</channel></rss>"""


def test_a_sites_own_fields_and_picture_groups_take_the_fast_path_and_read_alike() -> None:
    """A site's own fields (`<nid>`, a namespace of its own, FeedBurner's `info` declaring
    its namespace on itself), a hub link, a "standout" link, FeedBurner's original link and
    a `<media:group>` of pictures: the fast path reads the document as feedparser does."""
    body = SITE_FIELDS_RSS.encode()
    assert takes_fast_path(body)
    reference, fast = reference_and_fast(body)
    assert isinstance(fast, ParsedFeed) and fast == reference
    (entry,) = fast.entries
    assert entry.url == "http://feeds.example/world/quay-reopens"
    assert entry.image == "http://img.example/quay-wide.jpg"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a field under a key `parse` reads (feedparser keeps `<links>` as the entry's links)
        ("<nid>84412</nid>", "<links>3</links>"),
        # a known prefix bound again on the field (Daily Mail's mistyped Media RSS namespace)
        (
            "<nid>84412</nid>",
            '<media:description xmlns:media="//mrss.example/">C</media:description>',
        ),
        # a site's field with elements inside it
        ("<nid>84412</nid>", "<nid><part>8</part></nid>"),
        # a field declaring a namespace other than its own
        ("<nid>84412</nid>", '<nid xmlns:x="http://x.example/">84412</nid>'),
        # an item's alternate link is its link
        ('rel="standout"', 'rel="alternate"'),
        # a group holding more than pictures
        ('<media:thumbnail url="http://img.example/quay-thumb.jpg" width="60"/>', ""),
    ],
)
def test_what_the_fast_path_cannot_be_sure_of_still_goes_to_feedparser(old: str, new: str) -> None:
    if not new:  # (the last case: a title inside the group)
        old, new = "<media:group>", "<media:group><media:title>Quay</media:title>"
    body = SITE_FIELDS_RSS.replace(old, new, 1).encode()
    assert not takes_fast_path(body)
    reference, fast = reference_and_fast(body)
    assert fast == reference
