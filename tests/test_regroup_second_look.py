"""Article pages arriving in one batch are weighed both ways (`grouping.regroup_articles`).

Two reports of one landslide: one opens with a long preamble, so its lead (what the
clusterer files it under) says nothing of the event, while the other's page names the event
at once. The second can find the first only through the first's lead; the first finds the
second through its own heaviest terms. When both pages arrive in one batch, the first is
judged while the second is still a teaser, so only a second look joins them (and the place
both name keeps the second there when it is judged again). The texts are invented for this
test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
    )


def _regrouped(second_look: bool) -> dict[str, str]:
    store = Store(":memory:")
    try:
        clusterer = Clusterer()
        first = _teaser("first", "almanac.example", *FIRST[:2], 0)
        second = _teaser("second", "valley.example", *SECOND[:2], 5)
        store.insert_items([first, second])
        group_pending(store, clusterer, T0 + timedelta(hours=1))
        apart = store.story_ids(["first", "second"])
        assert apart["first"] != apart["second"]  # the teasers say too little to group
        pages = [
            ("first", first.url or "", "ok", None, FIRST[2]),
            ("second", second.url or "", "ok", None, SECOND[2]),
        ]
        if second_look:
            store.save_articles(pages, T0)  # one batch
            regroup_articles(store, clusterer, T0 + timedelta(hours=1))
        else:  # one page at a time: each is judged once, the first against a teaser
            for page in pages:
                store.save_articles([page], T0)
                regroup_articles(store, clusterer, T0 + timedelta(hours=1))
        return store.story_ids(["first", "second"])
    finally:
        store.close()


def test_pages_of_one_batch_are_weighed_both_ways() -> None:
    together = _regrouped(second_look=True)
    assert together["first"] == together["second"]


def test_a_page_judged_against_a_teaser_alone_stays_apart() -> None:
    # What the second look adds: judged once each, in arrival order, the pair stays apart
    # (the second page cannot find the first through its preamble).
    apart = _regrouped(second_look=False)
    assert apart["first"] != apart["second"]
