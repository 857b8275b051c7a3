"""Lower-case particles inside a name ("bin", "von der") are part of the name (aggregator.terms):
two reports of one person in two events do not share them as what happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.models import Item
from aggregator.terms import capitalised_terms, grouping_terms

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


def test_particles_between_capitalised_words_are_names_and_elsewhere_are_not() -> None:
    text = (
        "The minister met Crown Prince Mohammed bin Salman in the capital. Officials said "
        "Ursula von der Leyen would follow, and a delivery van blocked the road to the palace."
    )
    names = capitalised_terms("Talks in the capital", text, 400)
    assert {"bin", "salman", "von", "der", "leyen"} <= names
    assert "van" not in names  # a van, not a name
    # still grouping terms: written the same, only learned as part of a name
    _, terms = grouping_terms("Talks in the capital", text, 100)
    assert {"bin", "von", "der", "van"} <= set(terms)


# One person in two events on one day: the wind farm's opening and a vaccine contract. The two
# reports share her name (four terms, two of them particles) and nothing of either event; a
# second report of the contract shares the contract's terms with the first.
_REPORTS = [
    (
        "farm",
        0,
        "Ursula von der Leyen opens offshore wind farm off Denmark",
        "Ursula von der Leyen opened the Nordlys wind farm. Asked about it, Ursula von der "
        "Leyen said the turbines were a model.",
    ),
    (
        "deal",
        180,
        "Ursula von der Leyen signs vaccine supply contract with Pfizer",
        "Ursula von der Leyen signed the Pfizer contract. Asked about it, Ursula von der Leyen "
        "said doses would come in spring.",
    ),
    (
        "deal-2",
        240,
        "Von der Leyen seals Pfizer contract for 300 million vaccine doses",
        "The European Union agreed to buy 300 million doses of the Pfizer vaccine, Ursula von "
        "der Leyen said, with deliveries due to start in spring.",
    ),
]


def grouped(reports: list[tuple[str, int, str, str]]) -> dict[str, str]:
    """Each report (id, minutes after T0, title, text) from an outlet of its own, grouped."""
    items = [
        Item(
            id=item_id,
            title=title,
            text=text,
            outlet=f"{item_id}.example",
            published=T0 + timedelta(minutes=minutes),
        )
        for item_id, minutes, title, text in reports
    ]
    return cluster_stream(items, ClusterSettings())


def test_one_person_in_two_events_does_not_join_on_the_particles_of_their_name() -> None:
    stories = grouped(_REPORTS)
    # (read as event words, "von" and "der" joined the two events, and the contract's second
    # report followed into the wind farm's story)
    assert stories["farm"] != stories["deal"]
    assert stories["deal-2"] == stories["deal"]


def test_the_pieces_of_a_hyphenated_name_are_the_names() -> None:
    text = "The talks with Kim Jong-un's envoy and Moon Jae-in were held at Coca-Cola's offices."
    names = capitalised_terms("Talks in the capital", text, 400)
    assert {"kim", "jong", "un", "moon", "jae", "coca", "cola"} <= names
    backed = capitalised_terms("", "A rebel force, Iran-backed and well armed, held the town.", 400)
    assert "back" in backed  # counted, and outweighed: "backed" is mostly written in lower case


# One person in two events on one day, a hyphenated name: "Ha-eun" gives the term "eun", which
# no lower-case word ever writes; read as what happened, it joined the two events.
_HYPHENATED = [
    (
        "museum",
        0,
        "Seo Ha-eun opens harbour museum in Tongyeong",
        "Seo Ha-eun opened the harbour museum on Monday. Speaking at the opening, Seo Ha-eun "
        "said the ships in it were built in the town.",
    ),
    (
        "chess",
        200,
        "Seo Ha-eun wins national chess final in Daejeon",
        "Seo Ha-eun won the national chess final after eleven rounds. Seo Ha-eun said she had "
        "prepared for a year.",
    ),
]


def test_one_person_in_two_events_does_not_join_on_the_pieces_of_a_hyphenated_name() -> None:
    stories = grouped(_HYPHENATED)
    assert stories["museum"] != stories["chess"]
