"""Tests of aggregator.dedupe: canonical URLs, outlet keys, fingerprints, duplicates."""

from __future__ import annotations

import pytest

from aggregator import dedupe
from aggregator.dedupe import (
    canonical_url,
    clean_link,
    content_hash,
    duplicate_reason,
    find_duplicate,
    is_duplicate,
    outlet_key,
)
from aggregator.models import Item

BODY = (
    "The city council voted on Tuesday to approve a new budget that expands bus service, "
    "adds two hundred teachers and raises the property tax rate by half a percent, after a "
    "six hour debate that ran late into the night and drew hundreds of residents to the hall."
)
WIRE = (
    "WASHINGTON (AP) — The Senate passed a sweeping bill on Thursday that would overhaul the "
    "nation's railway safety rules, require two person crews on freight trains, raise fines for "
    "violations and fund new inspections of hazardous cargo after a string of derailments that "
    "alarmed communities across the Midwest, sending the measure to the House where its fate "
    "remains uncertain amid objections from the industry and several governors."
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a/b", "https://example.com/a/b"),
        ("http://example.com/a/b", "https://example.com/a/b"),
        ("HTTPS://Example.COM/a/B", "https://example.com/a/B"),  # path case is kept
        ("https://www.example.com/a", "https://example.com/a"),
        ("https://m.example.com/a", "https://example.com/a"),
        ("https://amp.example.com/a", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com//a///b//", "https://example.com/a/b"),  # runs of slashes fold
        ("https://example.com/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8080/a", "https://example.com:8080/a"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?fbclid=XYZ", "https://example.com/a"),
        ("https://example.com/a?gclid=1&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?CMP=twt_gu&at_medium=RSS&ns_mchannel=x", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1&ref=home", "https://example.com/a?a=1&b=2"),
        ("https://example.com/news/story-1/amp", "https://example.com/news/story-1"),
        ("https://example.com/news/story-1/amp/", "https://example.com/news/story-1"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("ftp://example.com/a", None),
        ("mailto:someone@example.com", None),
        ("javascript:alert(1)", None),
        ("/relative/path", None),
        ("", None),
        (None, None),
        ("https://example.com:99999/a", None),  # invalid port
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("http://www.Example.com/x/?utm_campaign=a&z=1&y=2#top")
    assert once == "https://example.com/x?y=2&z=1"
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.theguardian.com/world/2024/x", "theguardian.com"),
        ("https://theguardian.com/world", "theguardian.com"),
        ("https://m.theguardian.com/a", "theguardian.com"),
        ("https://edition.cnn.com/2024/x", "cnn.com"),
        ("http://rss.cnn.com/rss/edition.rss", "cnn.com"),
        ("https://feeds.washingtonpost.com/rss/world", "washingtonpost.com"),
        ("https://www.bbc.co.uk/news/world-1", "bbc.co.uk"),
        ("https://news.bbc.co.uk/x", "bbc.co.uk"),
        ("https://feeds.bbci.co.uk/news/rss.xml", "bbci.co.uk"),
        ("https://www.abc.net.au/news/x", "abc.net.au"),
        ("https://www.asahi.co.jp/x", "asahi.co.jp"),
        ("https://someblog.blogspot.com/2024/01/x.html", "someblog.blogspot.com"),
        ("https://alice.substack.com/p/x", "alice.substack.com"),
        ("https://EXAMPLE.com:8443/x", "example.com"),
        ("example.org/path", "example.org"),
        ("http://127.0.0.1:8000/feed", "127.0.0.1"),
        ("http://localhost/feed", "localhost"),
        ("https://cnn.it/2AbCdEf", "cnn.com"),  # a publisher's own short links are its own
        ("https://nyti.ms/3XyZ", "nytimes.com"),
        ("https://bbc.in/x", "bbc.co.uk"),
        ("https://bit.ly/x", "bit.ly"),  # (anyone's: a redirector, see item_outlet)
        ("", ""),
        (None, ""),
    ],
)
def test_outlet_key(url: str | None, expected: str) -> None:
    assert outlet_key(url) == expected


def test_content_hash_normalises_case_punctuation_and_spacing() -> None:
    base = content_hash("Council approves budget", BODY)
    assert base == content_hash("  council APPROVES budget!", BODY.replace(" ", "  ") + "\n")
    assert len(base) == 32 and base == content_hash("Council approves budget", BODY)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Council approves budget", BODY.replace("two hundred", "three hundred")),
        ("Council rejects budget", BODY),
        ("Council approves budget", ""),
    ],
)
def test_content_hash_changes_with_content(title: str, text: str) -> None:
    assert content_hash(title, text) != content_hash("Council approves budget", BODY)


TEMPLATE = (
    "Watch the full episode %s of the programme, only available in the region. For viewers "
    "outside the region, visit our streaming service. To watch more news videos, click the "
    "link below and subscribe to the channel for updates every day of the week."
)


def _item(item_id: str, **kwargs: object) -> Item:
    kwargs.setdefault("title", f"title {item_id}")
    return Item(id=item_id, **kwargs)  # type: ignore[arg-type]


def _cut(text: str) -> str:
    """The title the pipeline gives an entry without one: the opening of its text."""
    return text[:120].rsplit(" ", 1)[0] + "…"


NOTICE = (
    "Since 2009 the Keldon archive has donated its crawl data to the public library. Flowing in "
    "every day, these data are added to the collection after an embargo period, and the crawl "
    "seeds of each month are listed on the collection page for readers who ask for them."
)
HEADLINE = "Senate passes sweeping rail safety bill requiring two person crews on freight trains"
LATER = NOTICE.replace("Since 2009 the", "The")  # a later version of the notice


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (  # same article in two feeds of one outlet, one link with tracking parameters
            _item("1", url="https://www.example.com/story?utm_source=world", feed_url="f1"),
            _item("2", url="http://example.com/story/", feed_url="f2"),
            "url",
        ),
        (  # stored canonical URL is used when present
            _item("1", canonical_url="https://example.com/s", feed_url="f1"),
            _item("2", url="https://example.com/s#x", feed_url="f2"),
            "url",
        ),
        (  # one link in two outlets' feeds is one article, whatever each calls it
            _item("1", url="https://example.com/s", title="Rail bill passes", feed_url="f1"),
            _item("2", url="https://example.com/s", title="Senate acts on trains", feed_url="f2"),
            "url",
        ),
        (  # an article a feed ran again retitled, its text near-identical
            _item("1", url="https://example.com/s", title="Senate passes rail bill", text=WIRE),
            _item(
                "2",
                url="https://example.com/s",
                title="UPDATE: rail safety bill clears the Senate",
                text=WIRE.replace("WASHINGTON (AP) — ", ""),
            ),
            "url",
        ),
        (
            _item("1", guid="https://example.com/?p=123", url="https://a.example/1"),
            _item("2", guid="https://example.com/?p=123", url="https://b.example/2"),
            "guid",
        ),
        (
            _item("1", guid="urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
            _item("2", guid="urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
            "guid",
        ),
        (
            _item("1", title="Council approves budget", text=BODY, url="https://a.example/x"),
            _item("2", title="Council approves budget", text=BODY, url="https://b.example/y"),
            "content",
        ),
        (  # wire copy: same text with a different dateline/ending
            _item("1", title="Senate passes rail bill", text=WIRE),
            _item(
                "2", title="Rail safety bill passes", text=WIRE.replace("WASHINGTON (AP) — ", "")
            ),
            "near",
        ),
        (  # a headline-only feed repeating its title as text: the title is a headline
            _item("1", title=HEADLINE, text=HEADLINE, url="https://a.example/x"),
            _item("2", title=HEADLINE, text=HEADLINE, url="https://b.example/y"),
            "content",
        ),
        (  # a wire copy in a feed without headlines: the other copy's headline vouches
            _item("1", title="Senate passes rail bill", text=WIRE),
            _item("2", title=_cut(WIRE), text=WIRE.replace("WASHINGTON (AP) — ", "")),
            "near",
        ),
    ],
)
def test_duplicates(a: Item, b: Item, reason: str) -> None:
    assert duplicate_reason(a, b) == reason
    assert duplicate_reason(b, a) == reason
    assert is_duplicate(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (  # different articles of one outlet
            _item("1", url="https://example.com/story-1", text=BODY),
            _item("2", url="https://example.com/story-2", text=WIRE),
        ),
        (  # query parameters that select the article are not tracking
            _item("1", url="https://example.com/article?id=1"),
            _item("2", url="https://example.com/article?id=2"),
        ),
        (  # feed-local guids ("123") collide across feeds without meaning anything
            _item("1", guid="123", feed_url="https://a.example/feed"),
            _item("2", guid="123", feed_url="https://b.example/feed"),
        ),
        (  # every entry linking to the home page proves nothing
            _item("1", url="https://example.com/", title="One"),
            _item("2", url="https://example.com/", title="Two"),
        ),
        (  # ...nor does one feed linking its unrelated entries to one section page
            _item("1", url="https://example.com/local", title="Harlow bridge shut", text=BODY),
            _item("2", url="https://example.com/local", title="Harlow clinic opens", text=WIRE),
        ),
        (  # equal headline, no text: too little evidence for "same article"
            _item("1", title="Live updates"),
            _item("2", title="Live updates"),
        ),
        (  # same event, different writing: a story, not a duplicate
            _item("1", title="Senate passes rail bill", text=WIRE),
            _item("2", title="Senate passes rail bill", text=BODY),
        ),
        (  # a channel's template text under unrelated headlines (dates do not count)
            _item("1", title="Morning Desk | Harbour TV (3 September 2024)", text=TEMPLATE % "1"),
            _item(
                "2",
                title="Senate panel backs the rail bill (3 September 2024)",
                text=TEMPLATE % "2",
            ),
        ),
        (  # one text under titles cut from its opening: nothing says it is one article (an
            # archive notice on pages of unrelated articles); the clusterer counts such copies
            _item("1", title=_cut(NOTICE), text=NOTICE, url="https://a.example/storm"),
            _item("2", title=_cut(NOTICE), text=NOTICE, url="https://b.example/election"),
        ),
        (  # the same, near-identical
            _item("1", title=_cut(NOTICE), text=NOTICE),
            _item("2", title=_cut(LATER), text=LATER),
        ),
    ],
)
def test_not_duplicates(a: Item, b: Item) -> None:
    assert duplicate_reason(a, b) is None
    assert not is_duplicate(a, b)


def test_near_check_can_be_disabled() -> None:
    a = _item("1", text=WIRE)
    b = _item("2", text=WIRE.replace("WASHINGTON (AP) — ", ""))
    assert is_duplicate(a, b)
    assert not is_duplicate(a, b, near_threshold=None)


def test_find_duplicate_prefers_strong_evidence_and_originals() -> None:
    item = _item("new", url="https://example.com/s?utm_source=x", text=WIRE, feed_url="f0")
    near = _item("near", text=WIRE.replace("WASHINGTON (AP) — ", ""))
    copy = _item("copy", url="https://example.com/s", duplicate_of="orig", feed_url="f1")
    orig = _item("orig", url="http://www.example.com/s/", feed_url="f2")
    unrelated = _item("other", url="https://example.com/t", text=BODY)
    assert find_duplicate(item, [near, copy, orig, unrelated]) is orig
    assert find_duplicate(item, [near, copy, unrelated]) is copy
    assert find_duplicate(item, [unrelated, near]) is near
    assert find_duplicate(item, [unrelated]) is None
    assert find_duplicate(item, []) is None


def test_a_candidates_links_and_guid_are_compared_as_their_keys_worked_out_would_be() -> None:
    """The duplicate check compares a candidate's stored canonical URL as it is, and works
    its guid's key out only where that key can equal the item's: over links (cases, AMP
    suffixes, doubled and trailing slashes, queries, a tab, home pages), urns and plain
    guids, each pair is decided as comparing the worked-out keys decides it."""
    links = [
        "https://example.com/news/story-1",
        "http://www.example.com/news/story-1/",
        "https://EXAMPLE.com/news//story-1/amp",
        "https://example.com/news/story-1.amp?utm_source=x",
        "https://example.com/news/story-1?id=2",
        "https://example.com/news/sto\try-1",
        "https://example.com/news/story-10",
        "https://example.com/other/story-1",
        "https://example.com/",
        "https://example.com/?p=7",
        " https://example.com/news/Story-1 ",
    ]
    others = [
        "urn:uuid:1234",
        "URN:uuid:1234",
        " urn:uuid:1234",
        "tag:a.example,2024:1",
        "plain-1",
        "",
    ]
    guids = [*links, *others]
    urls: list[str | None] = [*links, None, ""]
    for mine in guids:
        item = _item("new", guid=mine, url=mine or None)
        keys = dedupe._strong_keys(item)
        url, guid, _, tail = keys
        for theirs in guids:
            for canonical in urls:
                other = _item("old", guid=theirs, url=theirs or None, canonical_url=canonical)
                worked_out = dedupe._guid_key(other)
                assert (guid is not None and dedupe._same_guid(guid, tail, other)) == (
                    guid is not None and guid == worked_out
                ), (mine, theirs)
                assert (url is not None and dedupe._same_url(url, other)) == (
                    url is not None and url == dedupe._canonical(other)
                ), (mine, theirs, canonical)


def test_find_duplicate_skips_the_item_itself() -> None:
    item = _item("same", url="https://example.com/s")
    assert find_duplicate(item, [item]) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, None),
        ("https://Example.com/a?id=3", "https://Example.com/a?id=3"),
        (
            "http://www.x.example/a?utm_source=rss&id=3&fbclid=z#top",
            "http://www.x.example/a?id=3#top",
        ),
        ("https://x.example/a?utm_medium=feed", "https://x.example/a"),
    ],
)
def test_clean_link_only_drops_tracking_parameters(url: str | None, expected: str | None) -> None:
    assert clean_link(url) == expected


def test_what_is_memoised_of_a_candidate_answers_for_its_own_title_and_text() -> None:
    """The same headline over another text (and the same text under another headline) gets
    its own answer, however often either comes up as a candidate."""
    cut = _item("c", title=_cut(NOTICE), text=NOTICE)  # a title that only opens its text
    own = _item("o", title=_cut(NOTICE), text=WIRE)  # the same words as a headline of its own
    wire = _item("w", title="Senate passes rail bill", text=WIRE)
    for _ in range(3):  # the second and third rounds answer from the memos
        assert dedupe._own_headline(cut) is False
        assert dedupe._own_headline(own) is True
        copy = _item("x", title=_cut(WIRE), text=WIRE.replace("WASHINGTON (AP) — ", ""))
        assert duplicate_reason(copy, wire) == "near"  # the wire's headline vouches
        assert duplicate_reason(cut, _item("d", title=_cut(NOTICE), text=NOTICE)) is None
        assert dedupe._canonical(_item("h", url="https://example.com/")) is None
        assert dedupe._canonical(_item("a", url="https://www.example.com/a?utm_source=x")) == (
            "https://example.com/a"
        )
        assert dedupe._guid_key(_item("g", guid=" HTTPS://Example.com/?p=1 ")) == (
            "https://example.com/?p=1"
        )
        assert dedupe._guid_key(_item("g", guid="123")) is None
