"""Reports of one event by the people in it share more names than event words: two items
naming the same two people whose headlines both carry what happened ("… sign production deal
with …" ‖ "… deal is a rerun …") are one story even when that is the only event word they
share. Invented fixtures; each test also shows the outcome with the rule off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator import cluster
from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.models import Item

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)

FILLER = [
    "Apple growers in Keldon report a record harvest after a mild spring",
    "Sailors from Pellow win the coastal regatta in strong winds",
    "The Aster museum reopens its fossil hall after repairs",
    "Teenager Ivo Marek takes the national chess title in Brona",
    "Commuters face delays as signal works close the Tavin line",
    "A family bakery in Oldmere wins a prize for its rye bread",
]


def _item(item_id: str, title: str, text: str, minutes: int) -> Item:
    return Item(
        id=item_id,
        title=title,
        text=text,
        outlet=f"{item_id}.example",
        feed_url=f"https://{item_id}.example/feed",
        guid=item_id,
        published=T0 + timedelta(minutes=minutes),
        first_seen=T0 + timedelta(minutes=minutes),
    )


def _stream(second_title: str) -> dict[str, str]:
    filler = [
        _item(f"f{k}", f"{FILLER[k % 6]} ({k})", f"{FILLER[k % 6]}. Story number {k}.", k)
        for k in range(12)
    ]
    first = _item("a", "Why Ardo Vensi and Mila Quorne sign production deal with Stellflix", "", 20)
    second = _item(
        "b",
        second_title,
        "Writer Tom Hale says the couple Ardo Vensi and Mila Quorne follow an old playbook "
        "of public figures who sell their story to Stellflix once they leave public duties, "
        "and warns that viewers tire quickly of such programmes.",
        50,
    )
    return cluster_stream([*filler, first, second], ClusterSettings())


ONE_WHAT = (
    "TOM HALE: Ardo Vensi and Mila Quorne's Stellflix deal is a tired rerun of the glossy "
    "memoir playbook that bored viewers long ago"
)
NO_WHAT = ONE_WHAT.replace("deal", "move")


def test_two_names_and_what_happened_in_both_headlines_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _stream(ONE_WHAT)
    assert result["a"] == result["b"]
    monkeypatch.setattr(cluster, "headlines_share_what", lambda *args: False)
    result = _stream(ONE_WHAT)
    assert result["a"] != result["b"]  # one shared event word was not enough before


def test_the_same_names_without_a_shared_headline_event_stay_apart() -> None:
    result = _stream(NO_WHAT)
    assert result["a"] != result["b"]
