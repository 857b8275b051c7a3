import dataclasses
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from aggregator.dedupe import content_hash
from aggregator.feed_state import (
    BLANK_AT_MOST,
    after_304_check,
    as_answered,
    body_hash,
    check_304s,
    state_after,
    validators,
)
from aggregator.models import (
    Entry,
    FeedState,
    Fetched,
    FetchFailed,
    Item,
    NotModified,
    ParsedFeed,
    Source,
)
from aggregator.pipeline import (
    MAX_ENTRIES_PER_FEED,
    entries_to_items,
    item_id,
    story_categories,
    summary_inputs,
)
from aggregator.schedule import ScheduleSettings
from aggregator.text import clean_text, line_words, strip_feed_template
from aggregator.tokens import words

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SETTINGS = ScheduleSettings()
SOURCE = Source("https://feeds.outlet.example/world.xml", "Outlet World", "World News")


def parsed(*entries: Entry, title: str | None = "Outlet - World") -> ParsedFeed:
    return ParsedFeed(title=title, link="https://www.outlet.example/", entries=entries)


def test_item_ids_are_stable_and_feed_scoped() -> None:
    assert item_id("https://a/feed", "g1") == item_id("https://a/feed", "g1")
    assert item_id("https://a/feed", "g1") != item_id("https://b/feed", "g1")
    assert len(item_id("https://a/feed", "g1")) == 16


def test_entries_become_items_with_outlet_category_and_canonical_url() -> None:
    entry = Entry(
        guid="g1",
        title=" Quake hits ",
        text="Body text.",
        url="https://www.outlet.example/a?utm_source=rss",
        published=NOW - timedelta(hours=1),
    )
    (item,) = entries_to_items(SOURCE, parsed(entry), NOW)
    assert item.id == item_id(SOURCE.url, "g1")
    assert item.title == "Quake hits"
    assert item.category == "World News"
    assert item.outlet == "outlet.example"
    assert item.outlet_name == "Outlet World"  # the operator's OPML title comes first
    assert item.canonical_url is not None and "utm_source" not in item.canonical_url
    assert item.published == NOW - timedelta(hours=1)
    assert item.first_seen == NOW
    assert item.content_hash


def test_missing_and_future_dates_and_empty_entries() -> None:
    entries = (
        Entry(guid="nodate", title="No date", text=""),
        Entry(guid="future", title="Future", text="", published=NOW + timedelta(days=30)),
        Entry(guid="empty", title="  ", text=""),
        Entry(guid="nodate", title="Duplicate guid", text=""),
        Entry(guid="untitled", title="", text="word " * 60),
    )
    items = entries_to_items(SOURCE, parsed(*entries, title=None), NOW)
    assert [i.guid for i in items] == ["nodate", "future", "untitled"]
    assert all(i.published == NOW for i in items)
    assert items[0].outlet_name == "Outlet World"
    assert items[2].title.endswith("…") and len(items[2].title) <= 121


def test_not_modified_resets_errors_and_schedules() -> None:
    state = FeedState(SOURCE.url, etag='"a"', error_count=3, status="error", error="boom")
    after = state_after(state, NotModified(SOURCE.url), NOW, SETTINGS)
    assert (after.status, after.http_status, after.error, after.error_count) == (
        "not_modified",
        304,
        None,
        0,
    )
    assert after.etag == '"a"'
    assert after.last_success_at == after.last_polled_at == NOW
    assert after.next_poll_at is not None and after.next_poll_at > NOW


def test_failures_count_up_and_back_off() -> None:
    state = FeedState(SOURCE.url)
    first = state_after(state, FetchFailed(SOURCE.url, "HTTP 500", status=500), NOW, SETTINGS)
    second = state_after(first, FetchFailed(SOURCE.url, "HTTP 500", status=500), NOW, SETTINGS)
    assert (first.status, first.error_count, second.error_count) == ("error", 1, 2)
    assert first.error == "HTTP 500" and first.last_success_at is None
    assert second.next_poll_at > first.next_poll_at  # type: ignore[operator]


def test_a_410_stops_polling_only_when_it_persists() -> None:
    """One 410 Gone is an error, backed off as any (a server misconfigured for a minute must
    not stop a feed for a year); three failed polls in a row, the last two 410, stop it."""
    gone_answer = FetchFailed(SOURCE.url, "HTTP 410 Gone", status=410)
    first = state_after(FeedState(SOURCE.url), gone_answer, NOW, SETTINGS)
    assert (first.status, first.error_count) == ("error", 1)
    assert first.next_poll_at < NOW + timedelta(days=1)  # type: ignore[operator]
    second = state_after(first, gone_answer, NOW, SETTINGS)
    assert (second.status, second.error_count) == ("error", 2)
    third = state_after(second, gone_answer, NOW, SETTINGS)
    assert third.status == "gone" and third.error == "HTTP 410 Gone"
    assert third.next_poll_at > NOW + timedelta(days=30)  # type: ignore[operator]
    # Errors of another kind before do not count as 410s: 500, 500, 410 is not gone.
    failing = FetchFailed(SOURCE.url, "HTTP 500", status=500)
    state = state_after(
        state_after(FeedState(SOURCE.url), failing, NOW, SETTINGS), failing, NOW, SETTINGS
    )
    assert state_after(state, gone_answer, NOW, SETTINGS).status == "error"
    # A feed stopped as gone that answers again is polled as before.
    back = state_after(third, NotModified(SOURCE.url), NOW, SETTINGS)
    assert (back.status, back.error_count) == ("not_modified", 0)


def test_a_200_records_validators_hash_and_feed_metadata() -> None:
    fetched = Fetched(
        SOURCE.url,
        SOURCE.url,
        200,
        b"<rss/>",
        etag='"v2"',
        last_modified="yesterday",
        permanent_redirect="https://new.example/feed",
    )
    after = state_after(
        FeedState(SOURCE.url, error_count=2), fetched, NOW, SETTINGS, parsed=parsed()
    )
    assert (after.status, after.etag, after.last_modified) == ("ok", '"v2"', "yesterday")
    assert after.body_hash == body_hash(b"<rss/>")
    assert after.moved_to == "https://new.example/feed"
    assert (after.error_count, after.title) == (0, "Outlet - World")


def test_an_identical_body_is_unchanged() -> None:
    fetched = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss/>")
    state = FeedState(SOURCE.url, body_hash=body_hash(b"<rss/>"))
    assert state_after(state, fetched, NOW, SETTINGS).status == "unchanged"


def test_a_feed_parsed_only_in_part_says_so_while_its_body_stays_the_same() -> None:
    """Its warning had gone at its next poll: the same body is not parsed again, and the
    feed read "unchanged", its error cleared, though it was as broken as before."""
    fetched = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss><item>")
    warned = dataclasses.replace(parsed(), warning="malformed XML at line 1: no element found")
    first = state_after(FeedState(SOURCE.url), fetched, NOW, SETTINGS, parsed=warned)
    assert (first.status, first.error) == ("ok", "malformed XML at line 1: no element found")
    again = state_after(first, fetched, NOW, SETTINGS)  # (the same body, not parsed)
    assert (again.status, again.error) == ("unchanged", first.error)
    mended = state_after(again, Fetched(SOURCE.url, SOURCE.url, 200, b"<rss/>"), NOW,
                         SETTINGS, parsed=parsed())  # fmt: skip
    assert (mended.status, mended.error) == ("ok", None)
    failed = dataclasses.replace(first, status="error", error="timed out")
    assert state_after(failed, fetched, NOW, SETTINGS).error is None  # (not an old failure's)


def test_a_parse_error_is_recorded_and_forgets_the_body() -> None:
    fetched = Fetched(SOURCE.url, SOURCE.url, 200, b"<html>", etag='"x"')
    state = FeedState(SOURCE.url, body_hash="old")
    after = state_after(state, fetched, NOW, SETTINGS, parse_error="not a feed: HTML page")
    assert (after.status, after.error, after.error_count) == ("error", "not a feed: HTML page", 1)
    assert after.body_hash is None


def _item(outlet: str, category: str, hours_ago: int = 1) -> Item:
    when = NOW - timedelta(hours=hours_ago)
    return Item(id=outlet + category, title="t", outlet=outlet, category=category, published=when)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], []),
        ([_item("a", "World")], [("World", 1.0)]),
        (
            [_item("a", "World"), _item("b", "World"), _item("c", "Business")],
            [("World", 2 / 3), ("Business", 1 / 3)],
        ),
        (
            # one outlet with two feeds in one category counts once (and, as many outlets,
            # the category with more of the story's items leads)
            [_item("a", "World"), _item("a", "World"), _item("b", "Business")],
            [("World", 0.5), ("Business", 0.5)],
        ),
        (
            # as many outlets and items: the category that had it first leads, not the name
            [_item("a", "US", 3), _item("b", "Australia", 2)],
            [("US", 0.5), ("Australia", 0.5)],
        ),
        (
            [_item("a", "US", 2), _item("b", "Australia", 3)],
            [("Australia", 0.5), ("US", 0.5)],
        ),
        (
            [_item(x, "World") for x in "abcde"] + [_item("f", "Sports")],
            [("World", 5 / 6)],
        ),
    ],
)
def test_story_categories(items: list[Item], expected: list[tuple[str, float]]) -> None:
    result = story_categories(items)
    assert [name for name, _ in result] == [name for name, _ in expected]
    assert [w for _, w in result] == pytest.approx([w for _, w in expected])


def test_boilerplate_and_feed_templates_are_cleaned_before_storing() -> None:
    entries = tuple(
        Entry(
            guid=f"g{n}",
            title=f"Post {n}",
            text=(f"Real words number {n}.\n" if n == 0 else "")
            + f"submitted by user{n} to forum{n}\n[link] [{n * 7} comments]\nContinue reading...",
        )
        for n in range(5)
    )
    items = entries_to_items(SOURCE, parsed(*entries), NOW)
    assert [i.text for i in items] == ["Real words number 0.", "", "", "", ""]
    assert len({i.content_hash for i in items}) == 5  # titles still tell them apart


def test_summary_inputs_keep_every_outlet_and_the_newest_items() -> None:
    items = [Item(id=f"i{n}", title=f"t{n}", outlet=f"o{n}" if n < 3 else "o0") for n in range(10)]
    assert summary_inputs(items, limit=20) == items
    chosen = summary_inputs(items, limit=5)
    assert [i.id for i in chosen] == ["i0", "i1", "i2", "i8", "i9"]


def test_an_outlets_repeated_headline_is_one_source_its_fuller_item() -> None:
    collection = Item(id="c", title="Senator to endorse rival", outlet="cnn.com", text="")
    article = Item(
        id="a", title="Senator  to endorse rival", outlet="cnn.com", text="The senator will..."
    )
    other = Item(id="o", title="Senator to endorse rival", outlet="nytimes.com", text="Live.")
    follow_up = Item(id="f", title="Rival thanks senator", outlet="cnn.com", text="Thanks.")
    chosen = summary_inputs([collection, article, other, follow_up])
    assert [i.id for i in chosen] == ["a", "o", "f"]


@pytest.mark.parametrize("form", ["rss", "rss-feedparser", "atom", "json"])
def test_a_document_of_a_flood_of_entries_is_read_as_far_as_its_first_thousands(form: str) -> None:
    """300,000 tiny items (16 MB, within the size limit) had taken 15 s and 650 MB to parse,
    every entry built, to keep 500. (Generated items.)"""
    from aggregator.fast_parse import MAX_ENTRIES_READ
    from aggregator.parse import parse_feed

    count = MAX_ENTRIES_READ + 100
    if form == "json":
        items = [{"id": f"g{n}", "title": f"t{n}", "url": f"https://x.example/{n}"}
                 for n in range(count)]  # fmt: skip
        body = json.dumps(
            {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": items}
        ).encode()
    elif form == "atom":
        entries = "".join(f"<entry><id>g{n}</id><title>t{n}</title></entry>" for n in range(count))
        body = (
            f"<feed xmlns='http://www.w3.org/2005/Atom'><title>T</title>{entries}</feed>".encode()
        )
    else:
        items_xml = "".join(
            f"<item><title>t{n}</title><guid>g{n}</guid></item>" for n in range(count)
        )
        body = f"<rss version='2.0'><channel><title>T</title>{items_xml}</channel></rss>".encode()
    read = parse_feed(body, "https://x.example/feed", fast=form != "rss-feedparser")
    assert [e.title for e in read.entries] == [f"t{n}" for n in range(MAX_ENTRIES_READ)]


def test_a_flooding_feed_contributes_its_newest_entries_only() -> None:
    count = MAX_ENTRIES_PER_FEED + 50
    entries = tuple(
        Entry(guid=f"g{n}", title=f"Item {n}", text="", published=NOW - timedelta(minutes=n))
        for n in range(count)
    )
    items = entries_to_items(SOURCE, parsed(*entries), NOW)
    assert len(items) == MAX_ENTRIES_PER_FEED
    assert {i.guid for i in items} == {f"g{n}" for n in range(MAX_ENTRIES_PER_FEED)}


def test_an_unchanged_entry_keeps_its_hash_when_the_feed_template_shifts() -> None:
    def entry(n: int, tagged: bool) -> Entry:
        text = f"Story number {n} about subject {n}."
        if tagged:
            text += "\nFiled under world news and politics"
        return Entry(guid=f"g{n}", title=f"Title {n}", text=text)

    first = [entry(n, tagged=n < 3) for n in range(6)]
    later = first + [entry(n, tagged=False) for n in range(6, 12)]
    before = {i.guid: i.content_hash for i in entries_to_items(SOURCE, parsed(*first), NOW)}
    after = {i.guid: i.content_hash for i in entries_to_items(SOURCE, parsed(*later), NOW)}
    assert all(after[guid] == digest for guid, digest in before.items())


def test_feed_title_names_the_outlet_when_the_opml_gives_none() -> None:
    entry = Entry(guid="g1", title="Quake hits", text="Body text.")
    for title in ("", SOURCE.url):
        source = replace(SOURCE, title=title)
        (item,) = entries_to_items(source, parsed(entry), NOW)
        assert item.outlet_name == "Outlet"  # its site's name, without the section's
    (item,) = entries_to_items(source, parsed(entry, title="Latest | Outlet Online"), NOW)
    assert item.outlet_name == "Outlet Online"
    # the operator's own title is taken as written
    source = replace(SOURCE, title="Outlet - World")
    (item,) = entries_to_items(source, parsed(entry), NOW)
    assert item.outlet_name == "Outlet - World"


def test_adverts_never_become_items() -> None:
    entries = (
        Entry(guid="ad", title="Sponsored: Lock in today's mortgage rate", text="Offer."),
        Entry(guid="ad2", title="Refinance now", text="", url="https://ads.outlet.example/x"),
        Entry(guid="news", title="Quake hits the coast", text="A quake hit the coast."),
    )
    items = entries_to_items(SOURCE, parsed(*entries), NOW)
    assert [i.guid for i in items] == ["news"]


def test_a_feeds_declared_language_is_remembered_across_polls() -> None:
    fetched = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss/>")
    tagged = replace(parsed(), language="pt-br")
    first = state_after(FeedState(SOURCE.url), fetched, NOW, SETTINGS, parsed=tagged)
    assert first.language == "pt-BR"
    untagged = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss>2</rss>")
    assert state_after(first, untagged, NOW, SETTINGS, parsed=parsed()).language == "pt-BR"
    assert state_after(first, NotModified(SOURCE.url), NOW, SETTINGS).language == "pt-BR"
    junk = replace(parsed(), language="Portuguese")
    assert state_after(FeedState(SOURCE.url), fetched, NOW, SETTINGS, parsed=junk).language is None


def test_a_text_split_into_words_once_hashes_and_strips_as_when_split_twice() -> None:
    """The words of each line, worked out once for the template check, make the content
    hash: the same hashes and texts as tokenising the whole text for the hash."""
    long_line = "The council’s plan, the mayor's view: " + "a ΣΟΦΙΑΣ word Ünïcode " * 40
    entries = tuple(
        Entry(
            guid=f"g{n}",
            title=f"Post {n} isn't it",
            text=f"Line {n} of the report's text.\n{long_line if n % 2 else ''}\n"
            f"Follow us on Twitter\nRock’n’roll ÉTÉ {n}\r\nlast\u2028line",
        )
        for n in range(6)
    )
    items = entries_to_items(SOURCE, parsed(*entries), NOW)
    cleaned = [clean_text(e.text) for e in entries]
    assert [i.text for i in items] == strip_feed_template(cleaned)
    assert all("Follow us" not in i.text for i in items)  # (the template was found)
    for item, own in zip(items, cleaned, strict=True):
        assert item.content_hash == content_hash(item.title, own)
        assert [w for line in line_words(own) for w in line] == words(own)


def test_not_modified_keeps_every_other_field_of_the_state() -> None:
    """A 304's state is built field by field: whatever it does not set is the old state's."""
    state = FeedState(
        SOURCE.url,
        etag='"a"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        body_hash="h",
        status="error",
        http_status=500,
        error="boom",
        error_count=2,
        last_polled_at=NOW - timedelta(hours=2),
        last_success_at=NOW - timedelta(hours=3),
        next_poll_at=NOW - timedelta(hours=1),
        moved_to="https://moved.example/feed",
        title="T",
        link="https://home.example/",
        language="fr",
        fetched_at=NOW - timedelta(hours=5),
        false_304_at=NOW - timedelta(days=3),
    )
    after = state_after(state, NotModified(SOURCE.url), NOW, SETTINGS)
    expected = replace(
        state,
        status="not_modified",
        http_status=304,
        error=None,
        error_count=0,
        last_polled_at=NOW,
        last_success_at=NOW,
        next_poll_at=after.next_poll_at,
    )
    assert after == expected


def test_the_validators_sent_are_the_stored_ones_until_a_day_passes_without_a_body() -> None:
    state = FeedState(SOURCE.url, etag='"a"', last_modified="Wed, 21 Oct 2015 07:28:00 GMT")
    fresh = replace(state, fetched_at=NOW - timedelta(hours=23))
    assert validators(fresh, NOW) == ('"a"', "Wed, 21 Oct 2015 07:28:00 GMT")
    for stale in (replace(state, fetched_at=NOW - timedelta(days=1)), state):  # (or unknown)
        assert validators(stale, NOW) == (None, None)
    # a body, changed, unchanged or unreadable, restarts the day; a 304 or a failure does not
    fetched = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss/>", etag='"b"')
    after = state_after(stale, fetched, NOW, SETTINGS)
    assert after.fetched_at == NOW and validators(after, NOW) == ('"b"', None)
    # (an unreadable body's validators are not kept: a 304 to them would hide its error)
    unread = state_after(stale, fetched, NOW, SETTINGS, parse_error="not a feed")
    assert unread.fetched_at == NOW and (unread.etag, unread.last_modified) == (None, None)
    for outcome in (NotModified(SOURCE.url), FetchFailed(SOURCE.url, "boom", 500)):
        assert state_after(fresh, outcome, NOW, SETTINGS).fetched_at == fresh.fetched_at


def test_a_feed_polled_daily_is_asked_without_validators_after_four_of_its_polls() -> None:
    """Not at every poll: the day is stretched to four of the feed's polls, read from the time
    since its last one."""
    state = FeedState(SOURCE.url, etag='"a"', fetched_at=NOW - timedelta(days=3))
    daily = replace(state, last_polled_at=NOW - timedelta(days=1))
    assert validators(daily, NOW) == ('"a"', None)
    assert validators(replace(daily, fetched_at=NOW - timedelta(days=4)), NOW) == (None, None)
    hourly = replace(state, last_polled_at=NOW - timedelta(hours=1))
    assert validators(hourly, NOW) == (None, None)


def test_a_feed_whose_304s_hid_new_entries_is_asked_without_validators_and_checked_again() -> None:
    """`check_304s` asks again with the old validators only after a day of nothing but 304s
    (or a month after its 304s were found false); `after_304_check` reads the answer."""
    day = NOW - timedelta(days=1, hours=1)
    quiet = FeedState(SOURCE.url, etag='"a"', status="not_modified", fetched_at=day)
    assert check_304s(quiet, (None, None), NOW)
    assert not check_304s(quiet, ('"a"', None), NOW)  # (sent: its 304s were never asked)
    assert not check_304s(replace(quiet, etag=None), (None, None), NOW)  # nothing to check
    assert not check_304s(replace(quiet, status="ok"), (None, None), NOW)  # a body came
    assert not check_304s(replace(quiet, fetched_at=None), (None, None), NOW)  # unknown
    false = after_304_check(quiet, NotModified(SOURCE.url), NOW)
    assert false.false_304_at == NOW
    assert validators(replace(false, fetched_at=NOW), NOW) == (None, None)
    fetched = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss/>", etag='"b"')
    asked = state_after(false, fetched, NOW + timedelta(days=2), SETTINGS)
    assert asked.false_304_at == NOW  # (a body keeps it)
    assert not check_304s(asked, (None, None), NOW + timedelta(days=29))
    assert check_304s(asked, (None, None), NOW + timedelta(days=30))
    month = NOW + timedelta(days=30)
    right = after_304_check(state_after(asked, fetched, month, SETTINGS), fetched, month)
    assert right.false_304_at is None and validators(right, month) == ('"b"', None)
    failed = FetchFailed(SOURCE.url, "boom", 500)
    assert after_304_check(asked, failed, NOW + timedelta(days=30)) == asked  # tells nothing


def test_a_last_modified_in_the_future_is_not_sent_back() -> None:
    """A Last-Modified from 2041 (a server's configuration) would make every If-Modified-Since
    a 304: kept as none. A day ahead is a clock, kept; a value that is no date is kept."""
    state = FeedState(SOURCE.url)
    for value, kept in (
        ("Sat, 16 Nov 2041 19:11:00 GMT", None),
        (format_datetime(NOW + timedelta(days=2), usegmt=True), None),
        (format_datetime(NOW + timedelta(hours=20), usegmt=True), "same"),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "same"),
        ("Wed, 21 Oct 2015 07:28:00", "same"),  # (no zone: read as UTC)
        ("yesterday", "same"),
    ):
        fetched = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss/>", last_modified=value)
        after = state_after(state, fetched, NOW, SETTINGS)
        assert after.last_modified == (value if kept else None), value


def test_an_empty_body_in_reply_to_validators_is_read_as_not_modified() -> None:
    """A PHP site behind a cache answers "not modified" as a 200 with `Content-Length: 0`:
    no error, no backoff, the stored body's hash kept. Without validators sent, an empty body
    stays a body (parsing refuses it)."""
    sent = ('"a"', None)
    for status, body in ((200, b""), (200, b" \r\n"), (204, b"")):
        empty = Fetched(SOURCE.url, SOURCE.url, status, body, headers={"x": "y"})
        read = as_answered(empty, sent)
        assert read == NotModified(SOURCE.url, {"x": "y"}, status)
        assert as_answered(empty, (None, None)) is empty
        state = FeedState(SOURCE.url, etag='"a"', body_hash="h", status="ok")
        after = state_after(state, read, NOW, SETTINGS)
        assert (after.status, after.http_status, after.body_hash) == ("not_modified", status, "h")
    feed = Fetched(SOURCE.url, SOURCE.url, 200, b"<rss/>")
    assert as_answered(feed, sent) is feed
    blank = Fetched(SOURCE.url, SOURCE.url, 200, b" " * (BLANK_AT_MOST + 1))
    assert as_answered(blank, sent) is blank  # (never copied to be stripped)


def test_a_programme_name_the_feed_sets_before_most_titles_is_left_out_of_them() -> None:
    def entry(n: int, title: str, text: str) -> Entry:
        return Entry(guid=f"g{n}", title=title, text=text)

    programme = [
        entry(0, "Night Desk: Harbour ferry runs aground off Keldon", "A ferry ran aground."),
        entry(1, "Night Desk: Keldon council votes to close two libraries", "Two will close."),
        entry(2, "Night Desk: Storm cuts power to 4,000 homes", "Crews are out tonight."),
        entry(3, "Night Desk: Hi", "Too short a title to stand alone."),
        entry(4, "Mayor opens the new bridge to traffic", "The bridge opened today."),
        entry(5, "Ferry operator apologises to passengers", "The operator said sorry."),
    ]
    items = entries_to_items(SOURCE, parsed(*programme), NOW)
    assert [i.title for i in items[:4]] == [
        "Harbour ferry runs aground off Keldon",
        "Keldon council votes to close two libraries",
        "Storm cuts power to 4,000 homes",
        "Night Desk: Hi",  # (what would be left says too little)
    ]
    # the hash takes the feed's own title: an entry is not edited when the prefix stops counting
    assert items[0].content_hash == content_hash(programme[0].title, programme[0].text)

    # a topic's kicker is what its reports are about, and they say so; a kind's label stays
    topic = [
        entry(0, "Flooding: Keldon rivers rise again", "Flooding closed two roads overnight."),
        entry(1, "Flooding: Marrow school shut", "The school is shut after flooding."),
        entry(2, "Flooding: Stent farmers count losses", "Crops lie under water."),
        entry(3, "Mayor opens the new bridge to traffic", "The bridge opened today."),
    ]
    labels = [entry(n, f"Opinion: the council has lost its way {n}", "A view.") for n in range(4)]
    for feed in (topic, labels):
        items = entries_to_items(SOURCE, parsed(*feed), NOW)
        assert [i.title for i in items] == [e.title for e in feed]

    # on fewer than a third of the feed's titles, a prefix is the headline's own
    few = programme[:2] + [entry(n, f"Ordinary headline number {n}", "Text.") for n in range(6, 12)]
    assert entries_to_items(SOURCE, parsed(*few), NOW)[0].title == programme[0].title


def test_a_section_label_the_feed_sets_before_its_texts_is_left_out_of_them() -> None:
    def entry(n: int, text: str) -> Entry:
        return Entry(guid=f"g{n}", title=f"Headline number {n} of the day", text=text)

    texts = [
        "Harbour: The new ferry terminal opened to passengers on Monday morning.",
        "Harbour: Two tugboats collided near the breakwater, the port said.",
        "Harbour: Dock workers voted to accept the pay offer on Friday.",
        "COMMENT: The council has lost its way on the harbour plan.",
        "COMMENT: Nobody asked the fishers what they think of the plan.",
        "COMMENT: The bridge will sink the city, whatever its backers say.",
        "Credit: Example Photo Agency. The ferry terminal in the morning sun.",
        "Credit: Example Photo Agency. Tugboats in the harbour at dusk.",
        "Credit: Example Photo Agency. Dock workers at the vote on Friday.",
        "Harbour: Mayor opens the bridge.",  # (each text the label opens loses it)
    ]
    items = entries_to_items(SOURCE, parsed(*(entry(n, t) for n, t in enumerate(texts))), NOW)
    assert [i.text for i in items] == [
        "The new ferry terminal opened to passengers on Monday morning.",
        "Two tugboats collided near the breakwater, the port said.",
        "Dock workers voted to accept the pay offer on Friday.",
        *texts[3:9],  # a kind's label in capitals and one the bullets read stay
        "Mayor opens the bridge.",
    ]
    # the hash takes the text as the feed sent it
    assert items[0].content_hash == content_hash(items[0].title, texts[0])


def test_a_newsletters_weekday_dateline_is_left_out_of_its_one_text() -> None:
    # a daily newsletter heads each edition's teaser with its day: never three times the same
    texts = [
        "Tuesday: The state's health director discusses the week's figures. Also: a ferry.",
        "The council approved the harbour bridge on Tuesday night.",
        "Storm: Tuesday brought the heaviest rain of the year to Keldon.",
        "Tuesday: nothing more.",  # (no sentence after it: a list's line, left alone)
    ]
    items = entries_to_items(
        SOURCE,
        parsed(*(Entry(guid=f"g{n}", title=f"Headline {n}", text=t) for n, t in enumerate(texts))),
        NOW,
    )
    assert [i.text for i in items] == [
        "The state's health director discusses the week's figures. Also: a ferry.",
        *texts[1:],
    ]


@pytest.mark.parametrize(
    ("dateline", "sentence", "subject", "list_line"),
    [
        ("Martes: ", "El consejo aprobó el puente.", "Tormenta: Martes trajo la lluvia.",
         "Martes: cerrado."),
        ("Mardi : ", "Le conseil a voté le pont.", "Orage : Mardi a noyé la ville.",
         "Mardi : fermé."),
        ("Mardi\u202f: ", "Le conseil a voté le pont.", "Orage : Mardi a noyé la ville.",
         "Mardi\u202f: fermé."),
        ("Dienstag: ", "Der Rat stimmte der Brücke zu.", "Sturm: Dienstag brachte Regen.",
         "Dienstag: Ruhetag."),
        ("Martedì: ", "Il consiglio ha approvato il ponte.", "Tempesta: Martedì ha piovuto.",
         "Martedì: chiuso."),
        ("Terça-feira: ", "O conselho aprovou a ponte.", "Tempestade: Terça-feira choveu.",
         "Terça-feira: fechado."),
        ("Dinsdag: ", "De raad keurde de brug goed.", "Storm: Dinsdag bracht veel regen.",
         "Dinsdag: gesloten."),
        ("Tuesday: ", "The council approved the bridge.", "Storm: Tuesday brought rain.",
         "Tuesday: Closed."),
    ],
)  # fmt: skip
def test_a_newsletters_weekday_dateline_is_left_out_in_each_language_read(
    dateline: str, sentence: str, subject: str, list_line: str
) -> None:
    """A day's label before a newsletter's teaser had been dropped in English only ("Martes:",
    "Mardi :" with the French space before its colon, "Dienstag:" … stayed). It goes before a
    sentence in each language; it stays before a lower-case word or a noun alone (a list's
    line: German capitalises "Ruhetag"), in a list of days, and where the day is a
    sentence's subject after another label."""
    texts = [
        dateline + sentence,
        subject,
        list_line,
        f"{dateline}{sentence} {dateline.strip()} {sentence}",  # (a list of days)
    ]
    items = entries_to_items(
        SOURCE,
        parsed(*(Entry(guid=f"g{n}", title=f"Headline {n}", text=t) for n, t in enumerate(texts))),
        NOW,
    )
    assert [i.text for i in items] == [sentence, *texts[1:]]


def test_a_feeds_label_goes_before_a_sentence_that_opens_with_a_figure_or_a_quote() -> None:
    texts = [
        "Harbour: The new ferry terminal opened to passengers on Monday morning.",
        "Harbour: Two tugboats collided near the breakwater, the port said.",
        "Harbour: Dock workers voted to accept the pay offer on Friday.",
        "Harbour: 5,000 people walked the new bridge on its first day.",
        "Harbour: ‘We waited ten years for this,’ says the ferry's captain.",
        "Harbour: nothing more.",  # (a list's line: no sentence after the label)
    ]
    items = entries_to_items(
        SOURCE,
        parsed(*(Entry(guid=f"g{n}", title=f"Headline {n}", text=t) for n, t in enumerate(texts))),
        NOW,
    )
    assert [i.text for i in items][3:] == [
        "5,000 people walked the new bridge on its first day.",
        "‘We waited ten years for this,’ says the ferry's captain.",
        "Harbour: nothing more.",
    ]


def test_a_kicker_over_titles_without_text_stays() -> None:
    # Only a text tells a programme's name from a topic's kicker: a feed of headlines alone
    # never says either, and its topic's kicker had been cut from its titles.
    headlines = [
        Entry(guid=f"g{n}", title=f"Flooding: Keldon river rises at bridge {n}", text="")
        for n in range(4)
    ] + [Entry(guid="g9", title="Mayor opens the new bridge to traffic", text="")]
    items = entries_to_items(SOURCE, parsed(*headlines), NOW)
    assert [i.title for i in items] == [e.title for e in headlines]


def test_a_topics_kicker_of_several_words_its_reports_say_word_by_word_stays() -> None:
    # "Keldon floods: …" over reports of "floods in Keldon": said, though never as one phrase
    said = [
        "The floods in Keldon closed two roads overnight.",
        "Marrow school shut as floods reached Keldon's edge.",
        "Farmers near Keldon count their losses from the floods.",
        "Crews pumped water from homes after Keldon's floods.",
    ]
    topic = [
        Entry(guid=f"g{n}", title=f"Keldon floods: River rises at bridge {n}", text=text)
        for n, text in enumerate(said)
    ] + [Entry(guid="g9", title="Mayor opens the new bridge", text="It opened today.")]
    items = entries_to_items(SOURCE, parsed(*topic), NOW)
    assert [i.title for i in items] == [e.title for e in topic]
