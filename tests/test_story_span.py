"""A story takes items for `max_span` from its first: an event reported day after day goes
on in a new story, and the old one leaves the window, live and when restored from the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_cluster import ARTICLES

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.config import ConfigError, Settings, build_settings
from aggregator.models import Item
from aggregator.store import Store
from aggregator.story_job import StoryJob

T0 = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)

# One strike, written up twice a day for twelve days (by other outlets each day: an outlet's
# own repeated words are its furniture, see aggregator.window_counts): each day's reports
# share its distinctive words with the day before's, so nothing but its span ends the story.
_TITLES = [
    "Antwerp dockworkers extend strike over pension reform",
    "Antwerp port strike: ships queue as dockworkers hold out",
]
_BODY = (  # (with a day's opening, under the 40 words a near-identical text needs: a wire
    # copy joins its original's story as a duplicate, however old)
    "The Antwerp dockworkers' strike over the pension reform went on as container ships "
    "queued in the Scheldt estuary and talks with the Belgian labour ministry stalled."
)
_NEWS = [  # (a day's own opening: texts that open alike are taken for a page's furniture)
    "Pickets blocked the main container terminal gates at dawn.",
    "Shipping lines began diverting vessels to Rotterdam and Zeebrugge.",
    "Supermarkets warned of empty shelves within a week.",
    "The mayor called on both sides to accept mediation.",
    "Farmers said perishable exports were rotting on the quays.",
    "Police escorted a convoy of fuel tankers through the picket line.",
    "Economists put the daily cost to the economy at tens of millions.",
    "A court refused the employers' request to ban the pickets.",
    "Crane operators from Ghent joined the walkout in solidarity.",
    "Chemical plants near the harbour cut production for lack of supplies.",
    "The prime minister met union leaders late into the night.",
    "Insurers raised premiums for cargo held at anchor offshore.",
]


def _strike(days: int = 12) -> list[Item]:
    items = []
    for day in range(days):
        for n, title in enumerate(_TITLES):
            items.append(
                Item(
                    id=f"strike-{day}-{n}",
                    title=title,
                    text=f"{_NEWS[(day + 5 * n) % len(_NEWS)]} {_BODY}",
                    url=f"https://o{day}-{n}.example/strike",
                    outlet=f"o{day}-{n}.example",
                    published=T0 + timedelta(days=day, hours=6 * n),
                )
            )
    return items


def _group(clusterer: Clusterer, items: list[Item]) -> dict[str, str]:
    stories = {}
    for item in items:
        when = item.published or T0
        clusterer.expire(when)
        stories[item.id] = clusterer.assign(item, when).story_id
    return stories


def test_a_story_takes_items_for_its_span_then_a_new_one_begins() -> None:
    items = _strike()
    endless = _group(Clusterer(ClusterSettings(max_span=timedelta(days=365))), items)
    assert len(set(endless.values())) == 1  # (the reports chain day to day)

    clusterer = Clusterer(ClusterSettings())  # (a week)
    stories = _group(clusterer, items)
    first = stories["strike-0-0"]
    week = [i.id for i in items if (i.published or T0) - T0 <= timedelta(days=7)]
    later = [i.id for i in items if i.id not in week]
    assert {stories[i] for i in week} == {first}
    assert first not in {stories[i] for i in later}
    assert len({stories[i] for i in later}) == 1  # (the next week's reports: one new story)
    # The story that ended left the window with its items: only the new one's are held.
    assert clusterer.active_items == len(later)
    assert first not in clusterer._stories


def test_a_merged_story_began_when_the_older_of_the_two_began() -> None:
    clusterer = Clusterer(ClusterSettings())
    quake, rates = ARTICLES[0], ARTICLES[1]
    for n, (item_id, outlet, _, title, text) in enumerate((quake, rates)):
        when = T0 + timedelta(days=2 * n)
        clusterer.assign(Item(id=item_id, title=title, text=text, outlet=outlet), when)
    older, younger = clusterer._stories[quake[0]], clusterer._stories[rates[0]]
    assert (older.began, younger.began) == (T0, T0 + timedelta(days=2))
    clusterer._absorb(older, younger)
    assert older.began == T0


def _stored(tmp_path: Path, items: list[Item], stories: dict[str, str]) -> Store:
    """A store holding the items as a poller would have grouped them, each first seen when it
    was published."""
    store = Store(tmp_path / "span.db")
    for item in items:
        seen = item.published or T0
        placed = replace(item, first_seen=seen, feed_url=f"https://{item.outlet}/feed")
        store.insert_items([placed])
        store.assign(placed, stories[item.id], None, seen)
    return store


def test_a_window_restored_from_the_store_ends_its_stories_when_the_live_one_did(
    tmp_path: Path,
) -> None:
    settings = ClusterSettings()
    items = _strike()
    endless = Clusterer(ClusterSettings(max_span=timedelta(days=365)))
    stories = _group(endless, items[:14])  # (seven days: one story, still open)
    store = _stored(tmp_path, items[:14], stories)

    # Restored on day 6 from the last three days' rows: the story began six days before,
    # with items the window no longer reads, and takes the next day's reports...
    day6 = T0 + timedelta(days=6, hours=7)
    state = store.grouping_state(day6 - settings.active_window)
    assert state[2] == {stories["strike-0-0"]: T0}
    restored = Clusterer(settings)
    restored.restore(*state)
    assert restored._stories[stories["strike-0-0"]].began == T0
    answer = restored.assign(items[14], items[14].published or T0)  # (day 7)
    assert answer.story_id == stories["strike-0-0"]
    # ... and none of day eight's, as the live window would.
    day8 = items[16].published or T0
    assert restored.assign(items[16], day8).new_story

    # Restored after the week, the ended story leaves at the window's first expiry.
    later = T0 + timedelta(days=8)
    restored = Clusterer(settings)
    restored.restore(*store.grouping_state(later - settings.active_window))
    assert restored.active_items > 0
    restored.expire(later)
    assert restored.active_items == 0
    store.close()


def _job_stories(path: Path, restart: bool) -> dict[str, str]:
    """The strike polled a day at a time by a story job (no snapshot): the stories its items
    are stored in, with the job restarted from the rows before every pass or kept running."""
    settings = replace(Settings(), cluster=replace(ClusterSettings(), snapshot=False))
    store = Store(path)
    job = None
    items = _strike()
    for day in range(12):
        clock = T0 + timedelta(days=day, hours=12)
        new = [i for i in items if i.id.startswith(f"strike-{day}-")]
        store.insert_items(
            [replace(i, first_seen=clock, feed_url=f"https://{i.outlet}/f") for i in new]
        )
        if job is None or restart:
            job = StoryJob(store, settings, lambda clock=clock: clock)  # type: ignore[misc]
        job.clock = lambda clock=clock: clock  # type: ignore[misc]
        job.run()
    found = store.story_ids([i.id for i in items])
    store.close()
    return found


def test_a_service_ends_a_story_after_its_span_restarted_or_not(tmp_path: Path) -> None:
    kept = _job_stories(tmp_path / "kept.db", restart=False)
    assert _job_stories(tmp_path / "restarted.db", restart=True) == kept
    first = kept["strike-0-0"]
    week = [i.id for i in _strike() if (i.published or T0) - T0 <= timedelta(days=7)]
    assert {kept[i] for i in week} == {first}
    assert first not in {story for i, story in kept.items() if i not in week}


def test_max_span_is_a_setting_with_a_range() -> None:
    settings = build_settings({"cluster": {"max_span": "2d"}}, {}, "settings.toml")
    assert settings.cluster.max_span == timedelta(days=2)
    with pytest.raises(ConfigError, match="'max_span': 10 s is out of range"):
        build_settings({"cluster": {"max_span": "10s"}}, {}, "settings.toml")
