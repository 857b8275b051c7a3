"""A text many items repeat word for word (an archive notice, a site's banner) is a page's
furniture, not an article: it does not tie the stories of unrelated headlines together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.cluster import Clusterer, ClusterSettings, cluster_stream
from aggregator.models import Item

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
NOTICE = (
    "Starting in 2009 the Keldon archive has been donating its crawl data to the public "
    "library. Flowing in every day, these data are added to the archive's collection after "
    "an embargo period, and the crawl seeds are listed on the collection's page for readers."
)
HEADLINES = [
    "Sailors from Pellow win the coastal regatta in strong winds",
    "The Aster museum reopens its fossil hall after repairs",
    "Teenager Ivo Marek takes the national chess title in Brona",
    "A family bakery in Oldmere is praised for its rye bread",
    "Commuters face delays as signal works close the Tavin line",
]


def item(item_id: str, title: str, text: str, minutes: int) -> Item:
    when = T0 + timedelta(minutes=minutes)
    return Item(
        id=item_id,
        title=title,
        text=text,
        outlet=f"{item_id}.example",
        published=when,
        first_seen=when,
    )


def notices() -> list[Item]:
    return [item(f"n{k}", title, NOTICE, 10 * k) for k, title in enumerate(HEADLINES)]


def test_a_text_repeated_under_unrelated_headlines_joins_nothing() -> None:
    result = cluster_stream(notices(), ClusterSettings())
    # The first two copies may pass for one wire story; from the third on, each is alone.
    assert len({result[f"n{k}"] for k in range(5)}) >= 4
    assert [result[f"n{k}"] for k in range(2, 5)] == ["n2", "n3", "n4"]
    # Without the rule, the notice glues all five unrelated headlines into one story.
    glued = cluster_stream(notices(), ClusterSettings(boilerplate_copies=10**6))
    assert len({glued[f"n{k}"] for k in range(5)}) == 1


def test_copies_under_headlines_that_agree_are_one_article() -> None:
    """A wire brief too short for dedupe's near-duplicate test is one story, not furniture."""
    titles = ["Keldon archive opens its crawl data", "Crawl data of Keldon archive opened"]
    titles.append("Keldon archive now lends crawl data")
    copies = [item(f"w{k}", title, NOTICE, k) for k, title in enumerate(titles)]
    result = cluster_stream(copies, ClusterSettings())
    assert set(result.values()) == {"w0"}


def test_later_items_do_not_join_a_furniture_item_and_copies_leave_with_their_stories() -> None:
    settings = ClusterSettings(active_window=timedelta(hours=2))
    clusterer = Clusterer(settings)
    for copy in notices()[:3]:
        clusterer.assign(copy, copy.published or T0)
    fourth = item("late", HEADLINES[1] + " again", NOTICE, 35)
    assert clusterer.assign(fourth, T0 + timedelta(minutes=35)).story_id == "late"
    # Once the copies have left the window, the text is an article's again: two fresh items
    # with it are one story.
    later = T0 + timedelta(days=1)
    clusterer.expire(later)
    first = item("w1", "Keldon archive opens its crawl data to readers", NOTICE, 24 * 60)
    second = item("w2", "Keldon archive crawl data now open", NOTICE, 24 * 60 + 5)
    clusterer.assign(first, later)
    assert clusterer.assign(second, later + timedelta(minutes=5)).story_id == "w1"
