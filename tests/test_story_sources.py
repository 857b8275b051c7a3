"""Source counting (every distinct outlet, no cap) and naming, through the service."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.config import Settings
from aggregator.models import FeedState, Item
from aggregator.pipeline import MAX_SUMMARY_INPUTS
from aggregator.service import Service
from aggregator.story_sources import outlet_count, outlet_keys, source_ref
from aggregator.summarize import summarize

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def dam_item(n: int) -> Item:
    return Item(
        id=f"i{n:03d}",
        title="Tisza dam breaks after storm, flooding villages",
        text=(
            "The Tisza dam broke after a storm on Monday, flooding villages in the valley. "
            f"Outlet {n} reports that {n + 100} residents were moved to shelters overnight."
        ),
        url=f"https://www.outlet{n}.example/dam",
        feed_url=f"https://outlet{n}.example/feed.xml",
        guid=f"g{n}",
        published=NOW - timedelta(minutes=n),
        first_seen=NOW,
        outlet=f"outlet{n}.example",
        outlet_name=f"Outlet {n}",
        category="World News",
        content_hash=f"h{n}",
    )


def test_every_distinct_outlet_is_counted_past_the_input_cap(tmp_path: Path) -> None:
    n = MAX_SUMMARY_INPUTS + 75
    service = Service(tmp_path / "feeds.opml", ":memory:", Settings(), clock=lambda: NOW)
    try:
        for k in range(n):
            state = FeedState(url=f"https://outlet{k}.example/feed.xml", status="ok")
            service._writer.submit(service.store.save_poll, state, [dam_item(k)]).result()
        service.stories.restored = True
        service._writer.submit(service._group_and_summarize).result()
        (story,) = service.store.reader().stories(None, 10)
    finally:
        service.close()
    assert story.summary is not None
    assert story.summary.outlet_count == n
    assert len(story.summary.sources) <= MAX_SUMMARY_INPUTS


def test_outlets_count_once_across_their_feeds() -> None:
    a = dam_item(1)
    b = Item(id="x", title="Other", outlet="outlet1.example", url="https://outlet1.example/b")
    assert outlet_count([a, b, dam_item(2)]) == 2


def test_source_names_come_from_the_item_outlet_name() -> None:
    ref = source_ref(dam_item(7), "live")
    assert ref.outlet == "Outlet 7"
    assert ref.label == "Live"
    assert source_ref(dam_item(7)).label == ""


def test_published_sources_carry_their_label() -> None:
    from dataclasses import replace

    from stories import make_story

    from aggregator.publish import PublishSettings, story_html_body

    story = make_story("s1")
    assert story.summary is not None
    opinion = replace(story.summary.sources[1], label="Opinion")
    story = replace(
        story, summary=replace(story.summary, sources=(story.summary.sources[0], opinion))
    )
    body = story_html_body(story, PublishSettings())
    assert "Wire Co (Opinion)" in body
    assert "Example Times (" not in body


def test_one_name_over_two_outlets_names_the_other_by_its_host() -> None:
    """A feed that carries its sister site's report names it after itself: the story counts
    two outlets, so the list names two, the sister by its host."""
    from dataclasses import replace

    from aggregator.summarize import ExtractiveSummarizer

    own = replace(dam_item(1), outlet_name="Example Times")
    sister = replace(
        dam_item(2),
        outlet="examplepost.example",
        outlet_name="Example Times",
        url="https://www.examplepost.example/dam",
        feed_url="https://outlet1.example/feed.xml",  # (the sister's report in the own feed)
    )
    other = dam_item(3)
    summary = ExtractiveSummarizer().summarize([own, sister, other])
    assert summary.outlet_count == 3
    names = {ref.item_id: ref.outlet for ref in summary.sources}
    assert names == {"i001": "Example Times", "i002": "examplepost.example", "i003": "Outlet 3"}


def test_a_report_named_by_its_domain_takes_its_outlets_own_name() -> None:
    """A collecting feed's entry is named by its publisher's domain; in a story that also
    holds the publisher's own report, it goes by the name the publisher's feed gives."""
    from dataclasses import replace

    from aggregator.story_sources import distinct_names

    own = source_ref(replace(dam_item(1), outlet_name="Harbour Gazette"))
    collected = source_ref(replace(dam_item(2), outlet_name="outlet1.example"))
    alone = source_ref(replace(dam_item(3), outlet_name="outlet3.example"))
    keys = ["outlet1.example", "outlet1.example", "outlet3.example"]
    named = distinct_names([collected, own, alone], keys)
    assert [ref.outlet for ref in named] == [
        "Harbour Gazette",
        "Harbour Gazette",
        "outlet3.example",
    ]
    assert named[0].title == collected.title and named[0].url == collected.url


def test_a_report_named_by_its_domain_takes_no_other_outlets_domain() -> None:
    """A section's feed named by its site's domain, one of whose reports links to a sister
    site (one outlet by `outlet_keys`): the site's own report does not read as the sister's."""
    from dataclasses import replace

    from aggregator.story_sources import distinct_names

    own = source_ref(replace(dam_item(1), outlet_name="outlet1.example"))
    sister = source_ref(replace(dam_item(2), outlet_name="sister.example"))
    named = distinct_names([own, sister], ["outlet1.example", "outlet1.example"])
    assert [ref.outlet for ref in named] == ["outlet1.example", "sister.example"]


def test_one_outlets_several_reports_keep_its_name() -> None:
    from dataclasses import replace

    from aggregator.story_sources import distinct_names

    refs = [source_ref(dam_item(1)), source_ref(replace(dam_item(2), outlet_name="Outlet 1"))]
    assert distinct_names(refs, ["outlet1.example", "outlet1.example"]) == refs
    # the outlet with most reports under the name keeps it, whatever the order
    refs.append(source_ref(replace(dam_item(4), outlet_name="Outlet 1")))
    named = distinct_names(refs, ["other.example", "outlet1.example", "outlet1.example"])
    assert [ref.outlet for ref in named] == ["other.example", "Outlet 1", "Outlet 1"]


def test_one_feeds_copies_of_one_report_count_as_one_outlet() -> None:
    # A feed carries its own report and a sister site's copy of it (the same title, its text
    # the start of the report's): one outlet (its own), two reports. Another outlet with that
    # title, another title on the same feed, or another report under the same title on the
    # same feed (`test_one_name_over_two_outlets_names_the_other_by_its_host`) count apart.
    own = dam_item(1)
    copy = dataclasses.replace(
        own, id="copy", url="https://www.sisterpaper.example/dam", outlet="sisterpaper.example",
        guid="g-copy", text=own.text.split(". ")[0] + ".", content_hash="h-copy",
    )  # fmt: skip
    other = dam_item(2)
    sister_news = dataclasses.replace(
        copy, id="sister-news", title="Sister paper reports rescue at the Tisza dam",
        guid="g-sister", content_hash="h-sister",
    )  # fmt: skip
    assert outlet_keys([copy, own, other]) == ["outlet1.example"] * 2 + ["outlet2.example"]
    assert outlet_count([own, copy]) == 1
    assert outlet_count([own, copy, other]) == 2
    assert outlet_count([own, copy, sister_news]) == 2
    summary = summarize([own, copy])
    assert summary.outlet_count == 1 and len(summary.sources) == 2
    assert {s.outlet for s in summary.sources} == {"Outlet 1"}


def test_an_outlets_own_video_channel_counts_as_the_outlet() -> None:
    # A news site's report and the same outlet's channel on a video platform, both named by
    # the operator (or their feeds) "Outlet 1": one outlet, two reports, one name. A channel
    # under another name, or under a name two other outlets share, stays an outlet of its own.
    site = dam_item(1)
    channel = dataclasses.replace(
        dam_item(2), id="video", outlet="youtube.com/channel/uc0utlet1", outlet_name="Outlet 1",
        url="https://www.youtube.com/watch?v=abc", feed_url="https://www.youtube.com/feeds/x",
    )  # fmt: skip
    assert outlet_keys([site, channel]) == ["outlet1.example"] * 2
    summary = summarize([site, channel])
    assert summary.outlet_count == 1 and len(summary.sources) == 2
    assert {s.outlet for s in summary.sources} == {"Outlet 1"}
    other_channel = dataclasses.replace(channel, outlet_name="Outlet 1 Clips")
    assert outlet_count([site, other_channel]) == 2
    namesake = dataclasses.replace(dam_item(3), outlet_name="Outlet 1")  # a second "Outlet 1"
    assert outlet_count([site, namesake, channel]) == 3
    # Two sites under one name stay two outlets, as before (a sister site's report).
    assert outlet_count([site, namesake]) == 2
    # The channel under its site's name with what tells a channel apart ("(video)", "TV",
    # "News"): the outlet's own (they had counted as two, "Summary based on 2 sources", and
    # put a one-outlet story in the "top stories" feeds)
    for named in ("Outlet 1 (video)", "Outlet 1 TV", "Outlet 1 News Video", "OUTLET 1 YouTube"):
        assert outlet_count([site, dataclasses.replace(channel, outlet_name=named)]) == 1
    assert (
        outlet_count([site, namesake, dataclasses.replace(channel, outlet_name="Outlet 1 TV")]) == 3
    )


def test_a_channel_is_its_site_under_the_name_the_sites_own_feed_title_gives() -> None:
    # Feeds added without a title of the operator's are named by their own titles, where a
    # site's feed names its section too ("Harbour Gazette - Top Stories", "HarbourGazette.com
    # - RSS Channel - World Edition", "Breaking News | Harbour Gazette Online") and its channel
    # is "Harbour Gazette": one outlet ("Summary based on 2 sources" before).
    site = dataclasses.replace(
        dam_item(1), outlet="harbourgazette.example", url="https://harbourgazette.example/dam"
    )
    channel = dataclasses.replace(
        dam_item(2), id="video", outlet="youtube.com/channel/uchg", outlet_name="Harbour Gazette",
        url="https://www.youtube.com/watch?v=abc", feed_url="https://www.youtube.com/feeds/x",
    )  # fmt: skip
    for title in (
        "Harbour Gazette - Top Stories",
        "HarbourGazette.com - RSS Channel - World Edition",
        "Breaking News | Harbour Gazette Online",
        "Latest",  # (named by its domain: harbourgazette.example)
    ):
        named = dataclasses.replace(site, outlet_name=title)
        assert outlet_keys([named, channel]) == ["harbourgazette.example"] * 2, title
        summary = summarize([named, channel])
        assert summary.outlet_count == 1 and len(summary.sources) == 2
        assert "https://www.youtube.com/watch?v=abc" in {s.url for s in summary.sources}
    # another channel, a channel under a section's name, or one that two sites could own, stays
    # an outlet of its own
    site = dataclasses.replace(site, outlet_name="Harbour Gazette - Top Stories - Coast")
    for other in ("Coast Review", "Top Stories", "Harbour Gazette Sport"):
        assert outlet_count([site, dataclasses.replace(channel, outlet_name=other)]) == 2, other
    sister = dataclasses.replace(dam_item(3), outlet_name="Harbour Gazette | Evening Edition")
    assert outlet_count([site, sister, channel]) == 3


def _site_and_channel(outlet: str, title: str, channel: str) -> list[Item]:
    site = dataclasses.replace(
        dam_item(1), outlet=outlet, outlet_name=title, url=f"https://{outlet}/dam"
    )
    clip = dataclasses.replace(
        dam_item(2), id="video", outlet="youtube.com/channel/ucx", outlet_name=channel,
        url="https://www.youtube.com/watch?v=abc", feed_url="https://www.youtube.com/feeds/x",
    )  # fmt: skip
    return [site, clip]


def test_a_section_named_first_or_last_in_a_sites_feed_title_names_no_channel() -> None:
    # A feed title names a section first or last as often as the outlet ("Breaking News |
    # Harbour Gazette", "Harbour Gazette - World", "Latest News - Harbour Gazette"): a channel
    # of that section's name ("Breaking News", "World News", "LIVE") is another outlet.
    for title, channel in (
        ("Breaking News | Harbour Gazette", "Breaking News"),
        ("Harbour Gazette - World", "World News"),
        ("Harbour Gazette: World News", "WORLD"),
        ("Latest News - Harbour Gazette", "Latest News"),
        ("Harbour Gazette - Live", "LIVE"),
        ("Harbour Gazette - Politics", "Politics"),
        ("港湾日报 - 国际", "国际"),
    ):
        items = _site_and_channel("harbourgazette.example", title, channel)
        assert outlet_count(items) == 2, (title, channel)
    # the part its domain bears out still names it
    for title, channel in (
        ("Breaking News | Harbour Gazette", "Harbour Gazette"),
        ("Harbour Online / World", "Harbour News"),  # (harbourgazette.example)
        ("HarbourGazette.com - RSS Channel - World", "Harbour Gazette"),
    ):
        items = _site_and_channel("harbourgazette.example", title, channel)
        assert outlet_count(items) == 1, (title, channel)


def test_a_channel_is_a_site_by_its_domain_only_under_the_whole_name() -> None:
    # "ABC News" written as a domain's label is "abcnews", not "abc": beside abc.example (a
    # paper called "ABC", its feed titled by a section) the channel is another outlet;
    # "Harbour News TV" is not harbour.example's, nor "News" news.example's. Under its whole
    # name it is the site's.
    for outlet, channel in (
        ("abc.example", "ABC News"),
        ("harbour.example", "Harbour News TV"),
        ("news.example", "News"),  # (a channel's word only names no site)
    ):
        assert outlet_count(_site_and_channel(outlet, "Just In", channel)) == 2, outlet
    for outlet, channel in (("abcnews.example", "ABC News"), ("harbour.example", "Harbour")):
        assert outlet_count(_site_and_channel(outlet, "Just In", channel)) == 1, outlet


def test_a_story_is_dated_by_the_sources_it_lists(tmp_path: Path) -> None:
    """An outlet's collection page under its article's headline stands behind the article
    in the summary (the fuller one is listed): the story is first reported when its listed
    source is, not at the unlisted page's earlier time, in its page and its feed item."""
    from aggregator.feeds import render_feed
    from aggregator.pages import render_story_html
    from aggregator.publish import PublishSettings

    article = dataclasses.replace(dam_item(1), published=NOW - timedelta(minutes=5))
    hub = dataclasses.replace(
        article,
        id="hub",
        guid="hub",
        text="",
        url="https://www.outlet1.example/collections/dam/",
        published=NOW - timedelta(hours=2),
        content_hash="hub",
    )
    service = Service(tmp_path / "feeds.opml", ":memory:", Settings(), clock=lambda: NOW)
    try:
        state = FeedState(url=article.feed_url, status="ok")
        service._writer.submit(service.store.save_poll, state, [hub, article]).result()
        service.stories.restored = True
        service._writer.submit(service._group_and_summarize).result()
        (story,) = service.store.reader().stories(None, 10)
    finally:
        service.close()
    assert story.summary is not None
    assert [ref.item_id for ref in story.summary.sources] == [article.id]
    assert story.first_seen == article.published
    page = render_story_html(story, PublishSettings(), [])
    assert page.count("<time ") == 2  # (the story's one time and its source's)
    assert "updated" not in page
    assert "10:00 UTC" not in page  # (the hub page's time)
    feed = render_feed("World News", "world-news", [story], "atom", PublishSettings(), NOW)
    assert b"<published>2024-05-01T11:55:00+00:00</published>" in feed
