"""How many profile members an item is compared with exactly (`ClusterSettings.max_candidates`):
the few filed under most of its terms, however many share a term or three with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.models import Item

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def _words(prefix: str, n: int) -> list[str]:
    """`n` made-up words no other helper call makes (letters only, so each is one term)."""
    letters = "bcdfghjklmnprstvz"
    out = []
    for i in range(n):
        a, b = divmod(i, len(letters))
        out.append(f"{prefix}{letters[a]}o{letters[b]}ath")
    return out


def _item(item_id: str, outlet: str, title: list[str], text: list[str], minutes: int) -> Item:
    return Item(
        id=item_id,
        title=" ".join(title).capitalize(),
        text=" ".join(text) + ".",
        url=f"https://{outlet}/{item_id}",
        outlet=outlet,
        published=T0 + timedelta(minutes=minutes),
    )


def _window(settings: ClusterSettings) -> tuple[Clusterer, Item]:
    """Eight decoy stories, each sharing three terms of its own with the new item, and one
    story of the item's event, sharing a dozen."""
    clusterer = Clusterer(settings)
    event = _words("vel", 12)
    decoys = [_words(f"dec{chr(97 + d)}", 3) for d in range(8)]
    for d, shared in enumerate(decoys):
        filler = _words(f"fil{chr(97 + d)}", 20)
        item = _item(f"decoy-{d}", f"d{d}.example", filler[:6], shared + filler, d)
        clusterer.assign(item, item.published)  # type: ignore[arg-type]
    founder = _item("event-1", "a.example", event[:6], event + _words("own", 10), 10)
    clusterer.assign(founder, founder.published)  # type: ignore[arg-type]
    text = event + [w for shared in decoys for w in shared] + _words("new", 6)
    new = _item("event-2", "b.example", event[:6], text, 20)
    return clusterer, new


def test_an_item_is_compared_with_the_members_sharing_most_of_its_terms_only() -> None:
    settings = ClusterSettings(max_candidates=2)
    clusterer, new = _window(settings)
    compared: list[str] = []
    real = clusterer._member_vectors

    def spy(member):  # type: ignore[no-untyped-def]
        compared.append(member.story.id)
        return real(member)

    clusterer._member_vectors = spy  # type: ignore[method-assign]
    assignment = clusterer.assign(new, new.published)  # type: ignore[arg-type]
    assert assignment.story_id == "event-1" and not assignment.new_story
    assert "event-1" in compared
    assert len(set(compared)) <= 2  # of eight decoys sharing three terms each, one at most


def test_more_candidates_compare_more_members_with_the_same_story_found() -> None:
    wide = ClusterSettings(max_candidates=40)
    clusterer, new = _window(wide)
    compared: set[str] = set()
    real = clusterer._member_vectors

    def spy(member):  # type: ignore[no-untyped-def]
        compared.add(member.story.id)
        return real(member)

    clusterer._member_vectors = spy  # type: ignore[method-assign]
    assignment = clusterer.assign(new, new.published)  # type: ignore[arg-type]
    assert assignment.story_id == "event-1"
    assert len(compared) > 2  # the decoys are compared too when the bound allows
