"""A story none of whose sources is news (a live blog, a column, a review) is published labelled.

Invented items; the summary is the extractive summarizer's, the outputs the real feed and page
renderers, so the label is checked where a subscriber reads it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import feedparser

from aggregator.feeds import render_feed
from aggregator.models import Item, Story, Summary
from aggregator.pages import render_story_html
from aggregator.publish import PublishSettings, headline, kind_label
from aggregator.summarize import ExtractiveSummarizer

SETTINGS = PublishSettings(base_url="https://news.example.org/", site_title="Daily")
NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
LIVE = Item(
    id="live",
    title="Harbour storm: roads closed as the council meets",
    text="The council met on Tuesday to discuss the harbour storm. Roads stay closed until Friday.",
    url="https://planet.example/world/live-news/harbour-storm-03-01/index.html",
    outlet="planet.example",
    outlet_name="Daily Planet",
    published=NOW - timedelta(hours=2),
)
COLUMN = Item(
    id="column",
    title="The harbour plan will sink the city, writes JANE DOE",
    text="The council's harbour plan is a mistake. It will cost far more than anyone admits.",
    url="https://courier.example/news/harbour-plan.html",
    outlet="courier.example",
    outlet_name="Courier",
    published=NOW - timedelta(hours=1),
)
NEWS = Item(
    id="news",
    title="Harbour storm closes roads",
    text="A storm closed the harbour roads on Tuesday. The council will meet on Friday.",
    url="https://wire.example/harbour-storm",
    outlet="wire.example",
    outlet_name="Wire Co",
    published=NOW - timedelta(hours=1),
)


def _story(items: list[Item]) -> Story:
    summary = ExtractiveSummarizer().summarize(items)
    return Story("s1", "World", summary.headline, NOW, NOW, 1, summary)


def _outputs(story: Story) -> tuple[str, str, str, str]:
    """(Atom entry title, RSS item title, JSON Feed item title, page <h1>) as readers get them."""
    titles = []
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse(render_feed("World", "world", [story], fmt, SETTINGS, NOW))
        assert not parsed.bozo
        titles.append(parsed.entries[0].title)
    doc = json.loads(render_feed("World", "world", [story], "json", SETTINGS, NOW))
    titles.append(doc["items"][0]["title"])
    page = render_story_html(story, SETTINGS, [])
    titles.append(page.split("<h1>", 1)[1].split("</h1>", 1)[0])
    return titles[0], titles[1], titles[2], titles[3]


def test_a_live_blog_alone_is_published_as_a_live_page() -> None:
    story = _story([LIVE])
    assert kind_label(story) == "Live"
    want = "Live: Harbour storm: roads closed as the council meets"
    assert _outputs(story) == (want, want, want, want)
    page = render_story_html(story, SETTINGS, [])
    assert "Daily Planet (Live)" in page  # its row is labelled, and links to the page
    assert 'href="https://planet.example/world/live-news/harbour-storm-03-01/index.html"' in page


def test_a_column_alone_is_labelled_opinion() -> None:
    story = _story([COLUMN])
    # (the columnist's name in capitals is written as a name)
    title = "Opinion: The harbour plan will sink the city, writes Jane Doe"
    assert _outputs(story)[0] == title
    assert "Courier (Opinion)" in render_story_html(story, SETTINGS, [])


def test_a_story_with_news_is_not_labelled_and_its_live_source_supplies_no_fact() -> None:
    story = _story([LIVE, COLUMN, NEWS])
    assert kind_label(story) == ""
    assert headline(story) == "Harbour storm closes roads"
    assert story.summary is not None
    live_index = next(n for n, s in enumerate(story.summary.sources) if s.label == "Live")
    assert all(live_index not in b.sources for b in story.summary.bullets)


def test_a_headline_that_says_live_is_not_labelled_twice() -> None:
    title = "Live harbour storm updates for Tuesday"
    story = _story([dataclasses.replace(LIVE, title=title)])
    assert headline(story) == title


def test_a_live_blog_alone_keeps_its_labels_live_and_takes_no_second_label() -> None:
    # Its "LIVE" says what the story is, as the label would: kept, it reads as the blog wrote
    # it, where the label put back before the tagless title read "Live: …: …".
    title = "Harbour storm updates LIVE: roads closed"
    story = _story([dataclasses.replace(LIVE, title=title)])
    assert kind_label(story) == "Live"
    assert _outputs(story) == (title, title, title, title)


def test_a_live_blogs_tag_goes_from_a_headline_beside_another_kind() -> None:
    # (a column beside it: the label may be another kind's, the tag is no part of the news)
    live = dataclasses.replace(
        LIVE,
        title="Harbour storm updates LIVE: roads closed",
        published=NOW - timedelta(hours=3),
    )
    story = _story([live, COLUMN])
    assert story.headline == "Harbour storm updates: roads closed"


def test_mixed_non_news_sources_take_the_label_most_carry() -> None:
    second_column = dataclasses.replace(
        COLUMN,
        id="c2",
        outlet="herald.example",
        outlet_name="Herald",
        url="https://herald.example/opinion/harbour",
    )
    story = _story([LIVE, COLUMN, second_column])
    assert kind_label(story) == "Opinion"
    assert headline(story).startswith("Opinion: ")


def test_a_story_without_summary_has_no_label() -> None:
    story = Story("s2", "World", "Harbour storm", NOW, NOW, 1, None)
    assert kind_label(story) == "" and headline(story) == "Harbour storm"
    empty = Story("s3", "World", "Harbour storm", NOW, NOW, 1, Summary("x", (), (), 0))
    assert headline(empty) == "Harbour storm"


def _tags(story: Story) -> tuple[list[str], list[str], list[str]]:
    """The item's categories in Atom and RSS (as feedparser reads them) and its JSON Feed tags."""
    out = []
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse(render_feed("World", "world", [story], fmt, SETTINGS, NOW))
        out.append([tag.term for tag in parsed.entries[0].get("tags", [])])
    doc = json.loads(render_feed("World", "world", [story], "json", SETTINGS, NOW))
    out.append(doc["items"][0].get("tags", []))
    return out[0], out[1], out[2]


def test_a_labelled_story_carries_its_label_as_a_feed_category() -> None:
    assert _tags(_story([LIVE])) == (["World", "Live"],) * 3
    assert _tags(_story([COLUMN])) == (["World", "Opinion"],) * 3
    assert _tags(_story([LIVE, NEWS])) == (["World"],) * 3  # news joined: no label, no tag
