"""A report of one event that also names the person of another matches the other's report on
that name alone; such a link may not merge the two stories (a Kushner report recounting
Comey's memo once folded the memo story into Kushner's, and the memo's later reports were
lost), unless the item's own headline carries the name. Invented fixtures."""

from __future__ import annotations

from dataclasses import replace

from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.event_links import rests_on_a_name
from aggregator.features import item_features
from aggregator.models import Item
from aggregator.window_counts import WindowCounts

DAM = item(
    "dam",
    "Floodwaters breach the Orlen dam above Kessel",
    "Engineers evacuated three villages below the Orlen dam after floodwaters breached its "
    "eastern wall overnight, and rescue crews in Kessel moved families to the school gym as "
    "the reservoir kept rising.",
    minutes=10,
)
MEMO = item(
    "memo",
    "Senator Varga's memo on pipeline permits leaks",
    "A memo written by Senator Varga shows that Varga pressed regulators to speed the Harlow "
    "pipeline permits. Varga says the memo was routine and that Varga never met the "
    "pipeline's owners.",
    minutes=20,
)
# The dam's report, with a paragraph on the senator's visit that names her again and again.
BRIDGE = item(
    "bridge",
    "Orlen dam breach: Kessel villages evacuated",
    "Engineers evacuated villages below the Orlen dam after floodwaters breached its eastern "
    "wall, and rescue crews in Kessel moved families to the school gym. Varga visited the "
    "reservoir at noon; Varga promised repair funds and Varga's aides said Varga would return. "
    "Varga's leaked memo on permits came up.",
    minutes=60,
)
MEMO_LATER = item(
    "memo-later",
    "Regulators review the Harlow pipeline permits after Varga memo",
    "Regulators said they would review the Harlow pipeline permits once more after the memo "
    "from Senator Varga leaked; the pipeline's owners deny any contact with Varga about the "
    "permits.",
    minutes=90,
)
ON_ONE_NAME = replace(ClusterSettings(), merge_on_one_name=True)


def _stories(items: list[Item], settings: ClusterSettings) -> dict[str, str]:
    return cluster_stream([*filler(12), *items], settings)


def test_a_link_resting_on_one_name_does_not_merge_two_stories() -> None:
    result = _stories([DAM, MEMO, BRIDGE], ClusterSettings())
    assert result["bridge"] == result["dam"]
    assert result["memo"] != result["dam"]
    merged = _stories([DAM, MEMO, BRIDGE], ON_ONE_NAME)
    assert merged["memo"] == merged["dam"]  # without the rule, the name folds the memo in


def test_the_other_events_later_report_finds_its_own_story() -> None:
    result = _stories([DAM, MEMO, BRIDGE, MEMO_LATER], ClusterSettings())
    assert result["memo-later"] == result["memo"] != result["dam"]


def test_a_link_resting_on_one_name_is_told_from_one_sharing_what_happened() -> None:
    counts = WindowCounts(ClusterSettings())
    features = [item_features(i, 250) for i in (*filler(12), DAM, MEMO, BRIDGE)]
    for f in features:
        counts.count(f)
    bridge, memo, dam = features[-1], features[-2], features[-3]
    bridge_vector, _ = counts.vectors(bridge, "")
    assert rests_on_a_name(bridge_vector, counts.vectors(memo, "")[0], counts, 0.27)
    assert not rests_on_a_name(bridge_vector, counts.vectors(dam, "")[0], counts, 0.27)
    # a name in the item's own headline is what the item is about
    memo_vector = counts.vectors(memo, "")[0]
    assert not rests_on_a_name(bridge_vector, memo_vector, counts, 0.27, ("varga", "visit"))
