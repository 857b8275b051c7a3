"""A window rebuilt from the stored rows after a restart books a pass's items as the process
that kept running did: in the order the pass grouped them (publication time, then guid and
feed, not item id), so its stories keep the same founders and latest members, and the copies
of a repeated text found to be furniture are not furnished again."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aggregator.cluster import Clusterer
from aggregator.cluster_settings import ClusterSettings
from aggregator.grouping import publication_runs
from aggregator.models import Item

SEEN = datetime(2025, 5, 6, 9, 0, tzinfo=UTC)  # the pass's start: every item's first seen
SETTINGS = ClusterSettings(active_window=timedelta(hours=12))


def _report(n: int, title: str, text: str, *, published: datetime = SEEN) -> Item:
    outlet = f"o{n % 5}.example"
    feed = f"https://{outlet}/feed"
    guid = f"g{n:02d}"
    # ids hash the feed's address: sorted by id, the reports come in another order
    item_id = hashlib.sha1(f"{feed}{guid}".encode()).hexdigest()[:16]
    return Item(
        id=item_id,
        title=title,
        text=text,
        url=f"https://{outlet}/{guid}",
        guid=guid,
        outlet=outlet,
        feed_url=feed,
        published=published,
        first_seen=SEEN,
    )


def _pass(items: list[Item]) -> tuple[Clusterer, list[Item]]:
    """The running process's pass (in `publication_runs` order); the items as stored."""
    running = Clusterer(SETTINGS)
    stored = []
    for clock, run in publication_runs(items, SEEN, SETTINGS.expire_every):
        running.observe(run)
        for item in run:
            stored.append(replace(item, story_id=running.assign(item, clock).story_id))
    return running, stored


def _stories(clusterer: Clusterer) -> dict[str, tuple[list[str], str | None, list[str]]]:
    """Each story's log (item ids, booking order), founder and latest members."""
    return {
        sid: (
            [entry[0] for entry in story.log],
            story.founder.id if story.founder else None,
            [m.id for m in story.recent],
        )
        for sid, story in clusterer._stories.items()
    }


def test_a_rebuild_books_a_pass_in_the_order_it_was_grouped() -> None:
    # Twenty reports of one event, all dated alike (undated, or dated after the pass): a
    # story longer than its founder and latest members, so the booking order picks them.
    words = "river dam flood valdora evacuation rescue rain levee bridge town".split()
    items = [
        _report(
            n,
            f"Valdora flood: river breaks levee near bridge ({words[n % 10]} update {n})",
            f"The river in Valdora broke its levee overnight near the old bridge. Rescue "
            f"teams evacuated the town as rain kept falling. Report {words[(n * 3) % 10]} "
            f"number {n} from the {words[(n * 7) % 10]} desk.",
        )
        for n in range(20)
    ]
    assert [i.id for i in sorted(items, key=lambda i: i.id)] != [i.id for i in items]
    running, stored = _pass(items)
    assert max(len(s.log) for s in running._stories.values()) > SETTINGS.profile_recent + 1

    rebuilt = Clusterer(SETTINGS)
    rebuilt.restore(list(reversed(stored)))
    assert _stories(rebuilt) == _stories(running)


def test_a_rebuild_does_not_furnish_again_the_copies_already_furnished() -> None:
    # The same text, twice under a headline cut from it (a feed without headlines), then
    # under a headline of its own: the third copy shows it to be furniture, and the first
    # two with it (the running process furnished them then).
    text = (
        "Subscribe to our newsletter for the latest headlines, weather, traffic, sport, "
        "business and entertainment news delivered to your inbox every morning before work."
    )
    items = [
        _report(n, title, text, published=SEEN - timedelta(minutes=10 - n))
        for n, title in enumerate([text.split(",")[0]] * 2 + ["Contact us"])
    ]
    running, stored = _pass(items)
    rebuilt = Clusterer(SETTINGS)
    rebuilt.restore(stored)
    assert rebuilt._repeats._bare == running._repeats._bare == {}
