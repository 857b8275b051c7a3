"""A post of a live page is one report: its link names the post, and its title tells what it
is, so it joins its event's story as any report does. The page itself stays multi-topic.
Invented fixtures."""

from __future__ import annotations

import pytest
from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.item_kinds import item_kind
from aggregator.terms import is_multi_topic

PAGE = "https://daily.example/world/live-news/harbour-storm-03-01"


@pytest.mark.parametrize(
    "url",
    [
        f"{PAGE}/index.html",
        f"{PAGE}/",
        "https://paper.example/world/live/2024/jun/03/harbour-storm-live-news",
        "https://paper.example/world/live/2024/jun/03/harbour-storm?filter=key-events",
        "https://letters.example/newsletters/2024/06/03/evening-edition",
    ],
)
def test_a_live_page_is_multi_topic(url: str) -> None:
    assert is_multi_topic("Harbour storm: rescues along the coast", url)


@pytest.mark.parametrize(
    "url",
    [
        f"{PAGE}/h_5f3a9c01d2e4b6a7c8d9e0f1a2b3c4d5",
        f"{PAGE}/index.html#post-5f3a9c01",
        "https://paper.example/world/live/2024/jun/03/harbour-storm?page=with:block-5f3a9c01",
        "https://paper.example/world/live/2024/jun/03/harbour-storm?post=8821",
    ],
)
def test_a_post_of_a_live_page_is_not(url: str) -> None:
    assert not is_multi_topic("Ferry captain rescued off Corvin Point", url)


def test_a_live_title_stays_multi_topic_at_a_post_link() -> None:
    assert is_multi_topic("Harbour storm live updates", f"{PAGE}/h_5f3a9c01d2e4b6a7c8")


def test_a_post_joins_the_story_of_its_event() -> None:
    text = (
        "The Veltrian coastguard rescued the captain of the ferry Marisol after it ran aground "
        "off Corvin Point during the storm. All 42 passengers were taken ashore at Pellow "
        "harbour, the coastguard said, and the captain was treated for hypothermia."
    )
    items = [
        item("a", "Ferry Marisol runs aground off Corvin Point, 42 rescued", text, "one", 0),
        item(
            "b",
            "Captain of stranded ferry Marisol flown to hospital",
            "Crews winched the Marisol's captain from the bridge as waves broke over the "
            "ferry. He was flown to hospital in Pellow. Earlier, lifeboats took passengers "
            "off the ship, which struck rocks near Corvin Point in the storm overnight.",
            "daily",
            30,
            url=f"{PAGE}/h_5f3a9c01d2e4b6a7c8d9e0f1a2b3c4d5",
        ),
    ]
    settings = ClusterSettings()
    result = cluster_stream([*filler(12), *items], settings)
    assert result["a"] == result["b"]
    # the same post at the page's own link is asked the multi-topic margin and stays apart
    items[1] = item("b", items[1].title, items[1].text, "daily", 30, url=f"{PAGE}/index.html")
    result = cluster_stream([*filler(12), *items], settings)
    assert result["a"] != result["b"]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (f"{PAGE}/h_5f3a9c01d2e4b6a7c8d9e0f1a2b3c4d5", "news"),
        (f"{PAGE}/index.html#post-5f3a9c01", "news"),
        (f"{PAGE}/index.html", "live"),
        (f"{PAGE}/", "live"),
        ("https://paper.example/world/live/2024/jun/03/harbour-storm", "live"),
    ],
)
def test_a_post_of_a_live_page_is_a_report_to_summaries(url: str, kind: str) -> None:
    # a summary quotes a report, and lists a live page as "Live" without quoting it
    post = item("p", "Ferry captain rescued off Corvin Point", "", "daily", 0, url=url)
    assert item_kind(post) == kind
    assert item_kind(item("q", "Harbour storm live updates", "", "daily", 0, url=url)) == "live"
