"""A term a few of an outlet's items hold is news it follows, not its furniture.

A video channel's feed carries a dozen clips; three of them on one running event put the
event's own names in a quarter of the channel's items. Furniture (a sign-off, a show's name)
is in most of them. Made-up channel, outlets and event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.features import Features
from aggregator.models import Item
from aggregator.window_counts import WindowCounts

T0 = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
CHANNEL = "video.example/riverside tv"
SIGN_OFF = "Subscribe to Riverside TV for more."

# The channel's clips: three on the quarry collapse, five on other things, four of those
# presented by one reporter, all signed off.
QUARRY_CLIPS = [
    (
        "Halvorsen quarry collapse: inspectors find cracked retaining wall",
        "Inspectors at the Halvorsen quarry in Brekke found a cracked retaining wall after "
        "the collapse buried two excavators.",
    ),
    (
        "Families wait outside Halvorsen quarry after collapse",
        "Relatives waited outside the Halvorsen quarry in Brekke as inspectors kept rescuers "
        "away from the two excavators.",
    ),
    (
        "Halvorsen quarry owner faces questions over collapse",
        "The owner of the Halvorsen quarry in Brekke would not say when inspectors last "
        "checked the slope above the excavators.",
    ),
]
PRESENTER = "Presenter Ingrid Dahl reports from the scene."
OTHER_CLIPS = [
    ("Lantern festival returns to the old harbour", "Thousands lit paper lanterns by the water."),
    ("Ferry fares to rise in the autumn", "The ferry company blamed the price of diesel."),
    ("School choir wins national title", "The choir sang two hymns and a folk song."),
    ("Storm warning for the northern coast", "Forecasters expect gales and heavy rain."),
    ("New cycle lanes open downtown", "The council painted four kilometres of lanes."),
]
# Another outlet's report of the collapse, in the words the channel's clips all use.
REPORT = (
    "Two excavator drivers still missing after Halvorsen quarry collapse",
    "Inspectors said the collapse at the Halvorsen quarry in Brekke buried two excavators "
    "and their drivers on Tuesday night.",
)


def _channel(clusterer: Clusterer) -> tuple[set[str], list[str]]:
    """Assign the channel's clips, an hour apart: the stories of its quarry clips, and
    those of its other clips."""
    clips = [*QUARRY_CLIPS[:1], *OTHER_CLIPS[:3], *QUARRY_CLIPS[1:], *OTHER_CLIPS[3:]]
    quarry: set[str] = set()
    others: list[str] = []
    for n, (title, text) in enumerate(clips):
        when = T0 + timedelta(hours=n)
        presented = f" {PRESENTER}" if (title, text) in OTHER_CLIPS[1:] else ""
        item = Item(
            id=f"clip{n}",
            title=title,
            text=f"{text}{presented} {SIGN_OFF}",
            outlet=CHANNEL,
            published=when,
        )
        story = clusterer.assign(item, when).story_id
        (quarry.add(story) if (title, text) in QUARRY_CLIPS else others.append(story))
    return quarry, others


def _report_joins(settings: ClusterSettings) -> bool:
    """Whether another outlet's report of the collapse joins a story of the channel's clips
    of it."""
    clusterer = Clusterer(settings)
    quarry, _ = _channel(clusterer)
    when = T0 + timedelta(hours=9)
    item = Item(id="r", title=REPORT[0], text=REPORT[1], outlet="paper.example", published=when)
    return clusterer.assign(item, when).story_id in quarry


def test_a_report_joins_the_clips_of_an_event_the_channel_follows() -> None:
    assert _report_joins(ClusterSettings())


def test_as_furniture_the_events_words_kept_the_report_apart() -> None:
    # (three repeats made a term furniture before: the clips' names and event words went)
    assert not _report_joins(replace(ClusterSettings(), outlet_min_repeats=3))


def test_clips_sharing_only_their_presenter_stay_apart() -> None:
    # (her name and "presenter" are in four of the eight clips: terms now, not furniture)
    _, others = _channel(Clusterer(ClusterSettings()))
    assert len(set(others)) == len(OTHER_CLIPS)


def _features(title: tuple[str, ...], text: tuple[str, ...]) -> Features:
    return Features(title, text, frozenset(), False, False, frozenset(title).union(text))


def test_a_sign_off_in_most_items_is_furniture_an_event_in_a_few_is_not() -> None:
    counts = WindowCounts(ClusterSettings())
    signed = ("subscribe", "riverside")
    clips = [_features(("halvorsen", "quarry", f"a{n}"), signed) for n in range(4)]
    clips += [_features((f"b{n}", f"c{n}"), signed) for n in range(8)]
    for clip in clips:
        counts.count(clip)
        counts.count_outlet(CHANNEL, clip.unique, 1)
    vector, _ = counts.vectors(_features(("halvorsen", "quarry", "wall"), signed), CHANNEL)
    assert {"halvorsen", "quarry", "wall"} <= set(vector)  # in 4 of 12: news it follows
    assert not set(signed) & set(vector)  # in all 12: the channel's furniture
