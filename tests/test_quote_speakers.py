"""Tests of aggregator.quote_speakers: a quotation shown alone says whose words it is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregator.bullets import body_sentences
from aggregator.models import Item
from aggregator.quote_speakers import attribute, full_name, is_bare_quote, speaker_of
from aggregator.summarize import ExtractiveSummarizer

# An invented report in the usual shape: the speaker named in full once, quoted by surname,
# the quote going on in the next paragraph with no attribution of its own.
REPORT = (
    "Tests at a military laboratory showed the river was poisoned with a banned pesticide, "
    "the government of Lorania said on Wednesday.\n\n"
    "The government's spokeswoman, Marta Kovalenko, said the results left no doubt.\n\n"
    "“It is a deeply troubling discovery for every farmer along the valley,” Kovalenko "
    "said. “The government condemns this poisoning in the strongest terms. Those "
    "responsible will be found and brought before a court.”\n\n"
    "The mill's owners said they had not been told of the tests."
)


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("“It is a troubling discovery,” Kovalenko said.", ("Kovalenko", "said")),
        ('"We will rebuild the bridge," said Mayor Ana Ruiz.', ("Mayor Ana Ruiz", "said")),
        ('"The bridge will reopen," adds Mr. Petrov.', ("Mr. Petrov", "says")),
        ('"Prices will rise," said Jo Lund, chief economist at a bank.', ("Jo Lund", "said")),
        ('"No one was hurt," said Officer Kim Ode of the harbour police.',
         ("Officer Kim Ode of the harbour police", "said")),
        ('"It was a mistake," Representative Al Ray, Democrat of Ohio, wrote on Monday.',
         ("Representative Al Ray", "wrote")),
        ('"We saw it coming," fire chief Dan Ivers told reporters on Friday.',
         ("Fire chief Dan Ivers", "said")),
        ('"Markets are calm," Lund tweeted.', ("Lund", "tweeted")),
        # the first part that names someone: an apposition after a title
        ('"We are ready," said Acme founder and CEO, Kim Lee.', ("Kim Lee", "said")),
        ("“It is troubling,” Lorania's government spokeswoman, Marta Kovalenko, said.",
         ("Marta Kovalenko", "said")),
        # a sentence that introduces its quote
        ('Kovalenko said in a statement: "It is troubling."', ("Kovalenko", "said")),
        ("In a statement, Marta Kovalenko said: “It is troubling.”",
         ("Marta Kovalenko", "said")),
    ],
)  # fmt: skip
def test_a_quote_given_to_a_named_speaker_names_them(
    sentence: str, speaker: tuple[str, str]
) -> None:
    assert speaker_of(sentence) == speaker


@pytest.mark.parametrize(
    "sentence",
    [
        '"We will not back down," he said.',  # a pronoun: who, the sentence does not say
        '"We will not back down," the attorney said.',  # someone unnamed
        '"We will not back down," said a senior official, who asked not to be named.',
        '"We will not back down," officials said Tuesday.',
        '"We will not back down," said Tuesday.',  # a day is no speaker
        '"Is it safe?" resident Ola Berg asked.',  # the next quote may be the answer
        '"We will not back down," told CNN.',  # a listener, not a speaker
        '"We will not back down," said the report, citing Kim Lee.',  # (no apposition)
        'Asked about Kim Lee, the minister said: "We will not back down."',  # (no name)
        'He said: "We will not back down."',
        "Kovalenko said the results left no doubt.",  # no quote
    ],
)
def test_no_named_speaker_gives_nothing(sentence: str) -> None:
    assert speaker_of(sentence) is None


def test_a_surname_takes_the_full_name_the_text_gives() -> None:
    assert full_name("Kovalenko", REPORT) == "Marta Kovalenko"
    assert full_name("Ms Kovalenko", REPORT) == "Marta Kovalenko"
    text = "President Jon Bright spoke. Jon Bright later left."
    assert full_name("Bright", text) == "Jon Bright"  # (a title is no first name)
    assert full_name("Bright", "Prime Minister Jon Bright.") == "Jon Bright"
    assert full_name("Bright", "President Bright spoke.") == "Bright"
    # (a word that opens a sentence is no first name either: "Mountaineer Jon Bright")
    assert full_name("Bright", "Yesterday Bright spoke.") == "Bright"
    # two people of one surname: the name stays as the quote gave it
    assert full_name("Sanders", "Bernie Sanders met Sarah Sanders.") == "Sanders"
    assert full_name("Jo Lund", REPORT) == "Jo Lund"  # (a full name already)
    assert full_name("Ivers", REPORT) == "Ivers"  # (nowhere in the text)
    assert full_name("Dr. Kazdin", "said Alan E. Kazdin, a psychologist.") == "Alan E. Kazdin"
    # (a name opens with a given name)
    assert full_name("Kazdin", "the work of E. Kazdin") == "Kazdin"
    # a first name is no surname; a heading on the line above is no first name
    assert full_name("Monica", "said Monica Conyers. Her son Carl Monica") == "Monica"
    assert full_name("Universal", "Related\nUniversal said") == "Universal"
    assert full_name("Universal", "Related Universal's films") == "Universal"  # (a possessive)
    assert full_name("Oppenheim", "NBC News President Noah Oppenheim") == "Noah Oppenheim"


def test_a_bare_quote_after_its_speakers_quote_is_given_to_them() -> None:
    sentences = [
        "“It is troubling,” Kovalenko said.",
        "“The government condemns this.”",
        "“Those responsible will be found.”",  # (the quote goes on: still hers)
        "The mill's owners said they had not been told.",
        "“We knew nothing.”",  # (after a sentence that quotes no one: no speaker known)
    ]
    assert attribute(sentences, REPORT) == [
        "“It is troubling,” Marta Kovalenko said.",  # (see below)
        "Marta Kovalenko said: “The government condemns this.”",
        "Marta Kovalenko said: “Those responsible will be found.”",
        "The mill's owners said they had not been told.",
        "“We knew nothing.”",
    ]


def test_an_attribution_by_surname_gives_the_full_name() -> None:
    # a bullet stands alone: the first mention, where the name was given, is not beside it
    assert attribute(['"Fine," Mr. Kovalenko said.'], REPORT) == ['"Fine," Marta Kovalenko said.']
    assert attribute(['"Fine," said Kovalenko.'], REPORT) == ['"Fine," said Marta Kovalenko.']
    assert attribute(['Kovalenko said: "Fine."'], REPORT) == ['Marta Kovalenko said: "Fine."']
    # only the attribution: the quote and other sentences keep their words
    assert attribute(['"Kovalenko is fine," Kovalenko said.'], REPORT) == [
        '"Kovalenko is fine," Marta Kovalenko said.'
    ]
    # a report of her words names her in full too, opening or closing the sentence
    assert attribute(["Kovalenko said the tests were final."], REPORT) == [
        "Marta Kovalenko said the tests were final."
    ]
    assert attribute(["The tests were final, Kovalenko said."], REPORT) == [
        "The tests were final, Marta Kovalenko said."
    ]
    assert attribute(["Kovalenko visited the mill."], REPORT) == ["Kovalenko visited the mill."]
    assert attribute(["Police said the tests were final."], REPORT) == [
        "Police said the tests were final."
    ]
    assert attribute(['"Fine," Ivers said.'], REPORT) == ['"Fine," Ivers said.']  # (not given)


def test_a_gap_breaks_the_speakers_turn() -> None:
    assert attribute(['"Fine," Lund said.', "", '"Later."'], "") == [
        '"Fine," Lund said.',
        "",
        '"Later."',
    ]


def test_is_bare_quote() -> None:
    assert is_bare_quote("“The government condemns this.”")
    assert is_bare_quote('"The government condemns this."')
    assert not is_bare_quote("“It is troubling,” Kovalenko said.")
    assert not is_bare_quote("“One.” And “two.”")


def test_a_body_bullet_of_a_carried_on_quote_names_its_speaker() -> None:
    bullets = body_sentences(REPORT, ["Lorania says river was poisoned"])
    assert (
        "Marta Kovalenko said: “The government condemns this poisoning in the strongest "
        "terms. Those responsible will be found and brought before a court.”"
    ) in bullets
    assert not any(is_bare_quote(b) for b in bullets)


def test_a_published_summary_names_the_speaker_of_a_carried_on_quote() -> None:
    when = datetime(2026, 3, 4, 12, tzinfo=UTC)
    items = [
        Item(
            id="a",
            title="Lorania says river was poisoned with banned pesticide",
            text=REPORT,
            url="https://north.example/a",
            outlet="north.example",
            outlet_name="North",
            published=when,
        ),
        Item(
            id="b",
            title="Banned pesticide found in Lorania's valley river",
            text="A banned pesticide poisoned the river that waters the valley's farms, "
            "Lorania's government said on Wednesday after tests at a military laboratory.",
            url="https://south.example/b",
            outlet="south.example",
            outlet_name="South",
            published=when,
        ),
    ]
    bullets = [b.text for b in ExtractiveSummarizer().summarize(items).bullets]
    quoted = [b for b in bullets if "strongest terms" in b]
    assert quoted == [
        "Marta Kovalenko said: “The government condemns this poisoning in the strongest "
        "terms. Those responsible will be found and brought before a court.”"
    ]


def test_a_body_without_quotes_names_a_reporter_in_full() -> None:
    text = (
        "Sheriff's spokesman Tom Ivers described the search on Monday. "
        "Divers found the car in the harbour before dawn, Ivers said."
    )
    assert "Divers found the car in the harbour before dawn, Tom Ivers said." in body_sentences(
        text, []
    )
