"""A name opening a sentence is still a name: "Boris Johnson said …" votes for "boris" as it
votes for "johnson". Before, only capitalised words inside a sentence counted, so the first
name of a person who leads sentences read as a word of what happened, and two reports of one
person in two events shared it as their event ("Coronavirus UK: Boris Johnson was hardest hit
as overweight" ‖ "PMQs: Boris Johnson accused of 'governing in hindsight'"). Invented items."""

from __future__ import annotations

from invented_items import filler, item

from aggregator.cluster import Clusterer, ClusterSettings
from aggregator.terms import capitalised_terms


def test_a_capitalised_word_opening_a_sentence_before_another_is_a_name() -> None:
    text = (
        "Harlan Voss said he would stay. Former premier Ada Lusk disagreed. "
        '"Prince Edwin agrees," an aide said. BREAKING NEWS from Keldon. Police said little.'
    )
    names = capitalised_terms("Talks in the capital", text, 400)
    assert {"harlan", "voss", "ada", "lusk", "prince", "edwin"} <= names
    assert "breaking" not in names  # a line in capitals says nothing
    assert "polic" not in names and "police" not in names  # not followed by a capital
    assert "former" not in names  # followed by a lower-case word


def test_the_headline_opening_word_is_not_read_as_a_name() -> None:
    assert "harlan" not in capitalised_terms("Harlan Voss steps down", "He resigned.", 400)


def test_one_person_in_two_events_does_not_link_on_a_first_name() -> None:
    pair = [
        item(
            "q1",
            "PMQs: Harlan Voss accused of 'governing in hindsight' over Keldon",
            "Harlan Voss was accused by the opposition of governing in hindsight at question "
            "time, as members asked the Keldon premier why the flood walls were built so late "
            "and who would pay for the repairs.",
            "north.example",
            0,
        ),
        item(
            "q2",
            "Harlan Voss was hardest hit by the virus as he is overweight",
            "Harlan Voss, the Keldon premier, was hardest hit by the virus in the spring "
            "because he is overweight, his doctors said, and he has since lost weight by "
            "walking to question time every day.",
            "south.example",
            120,
        ),
    ]
    clusterer = Clusterer(ClusterSettings())
    placed = {i.id: clusterer.assign(i, i.published).story_id for i in [*filler(12), *pair]}
    assert clusterer._counts.is_name("harlan")  # (both texts open with him)
    assert placed["q2"] != placed["q1"]  # (with "harlan" read as a word, the two joined)
