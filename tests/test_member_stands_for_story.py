"""An item reporting two events side by side joins the story of one of them, and stands for
that story only through what it shares with the story's other members: the other event's
reports do not join that story through its other half. Invented fixtures; the test also shows
the outcome with the rule off."""

from __future__ import annotations

import pytest
from invented_items import filler, item

from aggregator import cluster
from aggregator.cluster import ClusterSettings, cluster_stream

ROUND_UP = "Mara Quint backs Hanna Brekke's Rise Up campaign; Zara Velloy performs in her underwear"


def _stream() -> dict[str, str]:
    items = [
        *filler(12),
        item(
            "tour1",
            "Singer Zara Velloy performs in her underwear after a costume mishap",
            "",
            "",
            20,
        ),
        item("tour2", "Zara Velloy performs in her underwear on the Glimmer tour", "", "", 30),
        item("both", ROUND_UP, "", "", 35),
        item(
            "lean1",
            "A year on, Hanna Brekke's Rise Up campaign for girls still inspires",
            "",
            "",
            40,
        ),
        item("lean2", "What pupils think of Hanna Brekke's Rise Up campaign for girls", "", "", 60),
    ]
    return cluster_stream(items, ClusterSettings())


def test_a_member_reporting_two_events_does_not_bring_the_other_event_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _stream()
    assert result["tour1"] == result["tour2"] == result["both"]
    assert result["lean1"] == result["lean2"] != result["tour1"]
    monkeypatch.setattr(cluster, "stands_for_story", lambda *args: True)
    result = _stream()
    assert result["lean1"] == result["tour1"]  # through the round-up's other half, before
