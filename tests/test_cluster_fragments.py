"""Two stories of one event come together through a report of both (aggregator.cluster)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.models import Item

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)

# One recall, told first as the recall (and its deaths), then as the carmakers' parts shortage:
# the two pairs of reports share too little to form one story as they arrive.
_RECALL = [
    (
        "Acme recalls airbag inflators after rupture deaths in Texas",
        "Acme Safety recalled two million airbag inflators on Monday after ruptures killed two "
        "drivers in Texas, regulators said, and told owners to book free repairs at dealers.",
    ),
    (
        "Texas deaths push Acme into airbag inflator recall",
        "Regulators said Acme Safety will recall two million airbag inflators whose ruptures "
        "killed two drivers in Texas; dealers will replace them free of charge.",
    ),
]
_PARTS = [
    (
        "Carmakers scramble for replacement parts as Acme recall widens",
        "Ford, Honda and Toyota said replacement parts for the Acme inflators would take months, "
        "leaving owners of affected sedans waiting; the carmakers urged drivers to avoid "
        "passengers in front seats.",
    ),
    (
        "Owners face months of waiting for Acme replacement parts, carmakers say",
        "Ford, Honda and Toyota warned that replacement inflators from Acme would take months to "
        "arrive, so owners of affected sedans were told to keep passengers out of front seats.",
    ),
]
# A report of both: it matches the parts story best and the recall story by about 0.12.
_BOTH = (
    "Acme airbag inflator recall: carmakers warn replacement parts will take months",
    "Acme Safety recalled two million airbag inflators; Ford, Honda and Toyota said "
    "replacement parts would take months.",
)


def _item(item_id: str, minutes: int, title: str, text: str) -> Item:
    published = T0 + timedelta(minutes=minutes)
    return Item(
        id=item_id, title=title, text=text, outlet=f"{item_id}.example", published=published
    )


@pytest.mark.parametrize(("merge_margin", "merged"), [(None, True), (0.15, False)])
def test_a_report_clearly_of_both_fragments_merges_them(
    merge_margin: float | None, merged: bool
) -> None:
    settings = ClusterSettings()
    if merge_margin is not None:
        settings = replace(settings, merge_margin=merge_margin)
    clusterer = Clusterer(settings)
    stories = []
    for n, (title, text) in enumerate([*_RECALL, *_PARTS]):
        stories.append(clusterer.assign(_item(f"r{n}", 10 * n, title, text), T0).story_id)
    assert stories == ["r0", "r0", "r2", "r2"]
    both = clusterer.assign(_item("both", 60, *_BOTH), T0)
    if merged:  # the older story keeps its id and records the merge
        assert (both.story_id, both.merged) == ("r0", ("r2",))
        assert clusterer.story_of("r3") == "r0"
    else:
        assert (both.story_id, both.merged) == ("r2", ())
        assert clusterer.story_of("r0") == "r0"
