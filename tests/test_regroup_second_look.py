"""Article pages arriving in one batch, or in two batches in a row, are weighed both ways
(`grouping.regroup_articles`).

Two reports of one landslide: one opens with a long preamble, so its lead (what the
clusterer files it under) says nothing of the event, while the other's page names the event
at once. The second can find the first only through the first's lead; the first finds the
second through its own heaviest terms. When both pages arrive in one batch, the first is
judged while the second is still a teaser, so only a second look joins them (and the place
both name keeps the second there when it is judged again); when the second page comes in
the next batch, the first is asked again. The texts are invented for this test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import Clusterer
from aggregator.grouping import group_pending, regroup_articles
from aggregator.models import Item
from aggregator.store import Store

T0 = datetime(2024, 5, 14, 9, 0, tzinfo=UTC)

EVENT = (
    "the landslide buried the quarry road above Kessel gorge after the spillway overflowed, "
    "bulldozers cleared the culvert while sandbags lined the embankment and the ferry "
    "stopped running, so villagers waited for the landslide crews and the quarry reopened "
    "only when the gorge road was safe from the spillway again"
)
PREAMBLE = (
    "Our weekly almanac looks back at seven days of orchards, choirs, chess tournaments, "
    "bakeries, lighthouse tours, beekeeping lessons, pottery fairs, violin recitals, "
    "marathon training, library readings, vintage tractors, kite festivals, cheese tastings, "
    "rowing regattas, glassblowing demonstrations, puppet theatres and telescope nights. "
)
FIRST = (  # a page whose lead is a preamble
    "Seven days in the valley",
    "Our weekly almanac looks back at seven days in the valley.",
    PREAMBLE + "Then, midweek, " + EVENT + ".",
)
SECOND = (  # a page naming the event at once
    "Residents stranded overnight",
    "Residents were stranded overnight.",
    "Residents were stranded overnight: " + EVENT + ".",
)


def _teaser(item_id: str, outlet: str, title: str, teaser: str, minutes: int) -> Item:
    return Item(
        id=item_id,
        title=title,
        text=teaser,
        url=f"https://{outlet}/{item_id}",
        feed_url=f"https://{outlet}/feed.xml",
        guid=item_id,
        outlet=outlet,
        published=T0 + timedelta(minutes=minutes),
        first_seen=T0 + timedelta(minutes=minutes),
    )


OTHER = (  # an unrelated report, for a batch between the two pages
    "Choir wins regional title",
    "The Aster choir won the regional title.",
    "The Aster choir won the regional title on Sunday with a programme of folk songs, its "
    "first win since the conductor Ivo Marek took over the choir in Brona five years ago.",
)


def _regrouped(batches: list[list[str]], restart: bool = False) -> dict[str, str]:
    """Where the two reports end up when their pages arrive in these batches (by item id),
    each batch regrouped before the next arrives; `restart`: the clusterer is restored from
    the store before each batch, as after a restart of the service."""
    store = Store(":memory:")
    try:
        clusterer = Clusterer()
        teasers = {
            "first": _teaser("first", "almanac.example", *FIRST[:2], 0),
            "second": _teaser("second", "valley.example", *SECOND[:2], 5),
            "other": _teaser("other", "aster.example", *OTHER[:2], 7),
        }
        store.insert_items(list(teasers.values()))
        group_pending(store, clusterer, T0 + timedelta(hours=1))
        apart = store.story_ids(["first", "second"])
        assert apart["first"] != apart["second"]  # the teasers say too little to group
        texts = {"first": FIRST[2], "second": SECOND[2], "other": OTHER[2]}
        for batch in batches:
            if restart:
                clusterer = Clusterer()
                clusterer.restore(*store.grouping_state(T0 - timedelta(days=1)))
            pages = [(i, teasers[i].url or "", "ok", None, texts[i]) for i in batch]
            store.save_articles(pages, T0)
            regroup_articles(store, clusterer, T0 + timedelta(hours=1))
        # what is carried to the next batch is the last batch's items
        carried = store.db.execute("SELECT item_id FROM articles WHERE regrouped = 2")
        assert sorted(r[0] for r in carried) == sorted(batches[-1])
        return store.story_ids(["first", "second"])
    finally:
        store.close()


def test_pages_of_one_batch_are_weighed_both_ways() -> None:
    together = _regrouped([["first", "second"]])
    assert together["first"] == together["second"]


@pytest.mark.parametrize("restart", [False, True])
def test_pages_of_two_batches_in_a_row_are_weighed_both_ways(restart: bool) -> None:
    # The first page is judged against the second's teaser; the second page cannot find the
    # first through its preamble; asked again once the next batch is in, the first finds it.
    together = _regrouped([["first"], ["second"]], restart)
    assert together["first"] == together["second"]


def test_only_the_batch_before_is_asked_again() -> None:
    # Two batches apart, the pair is weighed one way only, and stays apart.
    apart = _regrouped([["first"], ["other"], ["second"]])
    assert apart["first"] != apart["second"]
