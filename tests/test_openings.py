"""Tests of aggregator.openings: an opening that leans on an unseen sentence is refused; its
look-alikes (a dummy "it", a "this" of time, a "this" pointing ahead, a pair) are not."""

from __future__ import annotations

import pytest

from aggregator.bullets import body_sentences
from aggregator.openings import leans_back


@pytest.mark.parametrize(
    "sentence",
    [
        "He was taken to hospital in Leeds on Monday night.",
        "This is the third such attack this month.",
        "It was sealed off by police after the crash.",
        "It said scholarships are grants, not payments.",
        "It’s been draining on everyone.",
        "It was so smooth that few noticed the change.",
        "Its shares fell 4% in early trading.",
        "Both were wounded in the shelling on Tuesday.",
        "Both churches publish a book of scripture.",
        "Either outcome violates the public trust in the courts.",
        "Neither is backed by the evidence the council gathered.",
        "Those terms prompted her to change her plans.",
        "“They will pay for this,” the president said.",
        "“He was curious to learn,” she recalled on Friday.",
        # what follows a dummy "it" or a "this" of time may lean back itself
        "It is unclear whether he ever served overseas.",
        "It seems that his ability to talk to the dead is a curse.",
        "This week, she told reporters the plan had failed.",
        # a colon after "this is" that does not start a sentence
        "This is as close as he gets to an answer: in an elliptical sort of way.",
        "Here’s why we need it: at this moment nobody is responsible.",
    ],
)
def test_openings_that_point_back_are_refused(sentence: str) -> None:
    assert leans_back(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # a dummy "it": it stands for the clause that follows
        "It is unclear whether talks between the two unions will resume.",
        "It's unclear when the new headset will go on sale.",
        "It wasn't immediately clear whether the driver had a lawyer.",
        "It was previously reported that the group raised $12 million.",
        "It has been claimed that the defence team broke with her.",
        "It’s worth noting that the law was passed in 1998.",
        "It's possible, the sources said, that the motive is never known.",
        "It remains to be seen whether the ceasefire will hold.",
        "It seems that the update broke the phone's camera.",
        "It has been two weeks since the earthquake struck Nepal.",
        "It was 10 p.m. on April Fools' Day, 1990.",
        "It is the first time that Pyongyang has threatened Japan directly.",
        # a "this" of time
        "This week, the central bank chief urged the government to act.",
        "This past summer the embassy's investigator opened a case.",
        "This year's festival has already drawn complaints from the council.",
        "These days, the city's ferries run only twice a day.",
        # a "this"/"here" pointing ahead to the sentence after its colon
        "Here is the chain of events: First, the minister asked the police to drop the case.",
        "This was the plan to move the prisoner: He would wear body armour in a rented car.",
        "Here's one sign of the recovery few will cheer: The cost of a wedding hit a high.",
        # pairs and generic "those"
        "Both the House and the Senate passed the bill on Friday.",
        "Both Israel and the U.S. have called on Poland to halt the bill.",
        "Neither the police nor the council would comment on the case.",
        "Either there is compelling evidence, or the papers were duped.",
        "Those who donated $75 or more will get a printed poster.",
        "Those 21 and older with a valid ID can buy cannabis.",
        # "former" opening a sentence is an adjective
        "Former Senate leader Bob Dole says he could not win a primary today.",
        # a quote whose attribution names who is meant
        "“He really needs a lawyer,” Ms. O'Sullivan said of Mr. Trump.",
        "“They met late in life and became friends,” Kennedy said of Chuck and Nola.",
        # not a context word at all
        "The council voted to close the bridge on Monday night.",
    ],
)
def test_look_alike_openings_stand_alone(sentence: str) -> None:
    assert not leans_back(sentence)


def test_a_standalone_look_alike_becomes_a_candidate_bullet() -> None:
    text = (
        "Former Senate leader Bob Dole says he could not win a Republican primary today. "
        "He spoke at a dinner in Kansas on Saturday evening. "
        "It wasn't immediately clear whether the party would respond to the remarks. "
        "This week, the party's chairman is due to visit the state for three days."
    )
    assert body_sentences(text, []) == [
        "Former Senate leader Bob Dole says he could not win a Republican primary today.",
        "It wasn't immediately clear whether the party would respond to the remarks.",
        "This week, the party's chairman is due to visit the state for three days.",
    ]


def test_the_first_time_is_a_dummy_it_only_with_its_that_clause() -> None:
    assert not leans_back("It was the first time since 1880 that young adults lived at home.")
    assert leans_back("It's the first time deaths have dipped below 100 since March.")
