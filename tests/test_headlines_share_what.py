"""Reports of one event by the people in it share more names than event words: two items
naming the same two people whose headlines both carry what happened ("… sign production deal
with …" ‖ "… deal is a rerun …") are one story even when that is the only event word they
share. Invented fixtures; each test also shows the outcome with the rule off."""

from __future__ import annotations

from dataclasses import replace

import pytest
from invented_items import filler, item

from aggregator import cluster
from aggregator.cluster import ClusterSettings, cluster_stream


def _stream(second_title: str, settings: ClusterSettings | None = None) -> dict[str, str]:
    first = item(
        "a", "Why Ardo Vensi and Mila Quorne sign production deal with Stellflix", minutes=20
    )
    second = item(
        "b",
        second_title,
        "Writer Tom Hale says the couple Ardo Vensi and Mila Quorne follow an old playbook "
        "of public figures who sell their story to Stellflix once they leave public duties, "
        "and warns that viewers tire quickly of such programmes.",
        minutes=50,
    )
    return cluster_stream([*filler(12), first, second], settings or ClusterSettings())


ONE_WHAT = (
    "TOM HALE: Ardo Vensi and Mila Quorne's Stellflix deal is a tired rerun of the glossy "
    "memoir playbook that bored viewers long ago"
)
# (the second headline names the couple only: with the streamer's name too, three separate
# names in both headlines would link them, see test_separate_names)
NO_WHAT = ONE_WHAT.replace("Stellflix deal", "career move")


def test_two_names_and_what_happened_in_both_headlines_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _stream(ONE_WHAT)
    assert result["a"] == result["b"]
    monkeypatch.setattr(cluster, "headlines_share_what", lambda *args: False)
    result = _stream(ONE_WHAT, replace(ClusterSettings(), separate_names=0))
    assert result["a"] != result["b"]  # one shared event word was not enough before


def test_the_same_names_without_a_shared_headline_event_stay_apart() -> None:
    result = _stream(NO_WHAT)
    assert result["a"] != result["b"]
