"""Tests of aggregator.openings: an opening that leans on an unseen sentence is refused; its
look-alikes (a dummy "it", a "this" of time, a "this" pointing ahead, a pair) are not."""

from __future__ import annotations

import pytest

from aggregator.bullets import body_sentences
from aggregator.openings import leans_back, unnamed_speaker


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
        # an opening phrase that points back
        "Since then, cases have risen in every county.",
        "If that happens, prices will rise across the region.",
        "Even if that happens, experts say it will be a fraction of the total.",
        "During that meeting, the lawyer offered the witness money.",
        "Without it, the plan cannot go ahead this year.",
        "Like him, the senator voted against the bill.",
        "In this case, the court ruled for the tenants.",
        "At that point, police arrived at the scene.",
        "From then on, the team never lost a game.",
        "To do that, officials say, they must declare an emergency.",
        "“In this study, the dose was high,” the researcher said.",
        "All this means the bridge will stay closed until spring.",
        "All of that changed when the harbour flooded on Monday.",
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


@pytest.mark.parametrize(
    "sentence",
    [
        "Not, at least, in the way the ministers have been hinting at all spring.",
        "Not yet, said a spokesman for the harbour board.",
        "“Not particularly, and I have three kids,” the mayor told the paper.",
        "Not that I'm aware of, the press secretary said.",
        "Not in the capital's grim vision, but in the quiet of the villages.",
        "Nor did the council give any order in its own name.",
        "Which means the ferry will not run again until the spring.",
        "House and Senate committees do, and they need to do their job.",
        "When the driver didn't, one of the officers fired.",
        "In 2013 the band did, setting off on a tour of forty cities.",
        "I don't know if the coach does, either.",
        "There is no way the council can.",
    ],
)
def test_elliptical_openings_are_refused(sentence: str) -> None:
    assert leans_back(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Not long after, the council closed the bridge for a month.",
        "Not only did the river flood, but the dam cracked as well.",
        "Not all hospitals reported a rise in births, however.",
        "Not since 1990 has the city seen such a flood.",
        "Not in decades has the harbour frozen over.",
        "Not every industry is suffering as the pandemic drags on.",
        "Not-for-profit groups raised $2 million for the flood appeal.",
        # a main verb "do", an aside after the auxiliary, a noun, a hedge
        "There is more that the city can do to help the homeless.",
        "The council will, of course, publish the report next week.",
        "The minister did not, famously, attend the summit in Rome.",
        "Against his will, the boy was sent back to the camp.",
        "If you will, the whole town is a museum of the 1950s.",
        "Some of the babies took a nap for an hour and some didn't.",
        "Whatever the council does, the bridge stays shut until May.",
        # an opening phrase that names what it means, or whose "this" is now
        "At this point, nobody knows when the bridge will reopen.",
        "In his speech, the president promised new jobs.",
        "Now that he has won, the party is calm.",
        "Like it or not, the law takes effect in May.",
        "In this year's race, turnout rose by a third.",
        "Despite the rain, crowds came to the parade.",
        "All this week, crews worked on the bridge at night.",
        "All those who live near the harbour were told to leave.",
    ],
)
def test_openings_that_only_look_elliptical_stand(sentence: str) -> None:
    assert not leans_back(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "“We will not back down,” he said.",
        "“We will not back down,” she told reporters in Leeds on Monday.",
        "“We will not back down,” said he.",
        '"Our prayers go out to the family," they said in a statement.',
        "The money came from a garnished bank account, he said.",
        "As the vote drew near, she says, she had no sign of support.",
        "A tax rise would “never pass the House,” he said.",
        "Asked about the flood, he said: “We were not ready.”",
        "“It was a mistake,” he said of the decision to close the bridge.",
        "“I hate this,” she mumbles as the ferry leaves the harbour.",
        "“Get out of the water,” he shouted to the swimmers near the pier.",
    ],
)
def test_a_speaker_given_only_as_a_pronoun_is_refused(sentence: str) -> None:
    assert unnamed_speaker(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Jane Roe, the mayor, was firm: “We will not back down,” she said.",
        "“We will not back down,” the minister said.",
        "“We will not back down,” said Smith.",
        "The minister was firm: “We will not back down,” he said.",
        "Police said he was taken to hospital in Leeds on Monday.",
        "The mayor said she would not resign over the flood.",
        "Officials said they found no trace of the boat.",
        "“We have lost homes,” Smith said, and “we will rebuild,” he added.",
        "A security guard was sacked after he asked a guest out for coffee.",
        # no pronoun speaker at all
        "“He needs a lawyer,” the judge said.",
        "The bridge will reopen in May, the council said.",
    ],
)
def test_a_named_speaker_stands(sentence: str) -> None:
    assert not unnamed_speaker(sentence)


def test_a_pronoun_speakers_quote_is_no_candidate_bullet() -> None:
    text = (
        "The mayor of Leeds spoke to reporters after the flood on Monday. "
        "“We will not back down from rebuilding the city,” she said. "
        "“We will rebuild every home the river took,” Mayor Jane Roe told reporters. "
        "Not, at least, in the way the ministers have been hinting at all spring. "
        "Crews worked through the night to clear the roads in the centre."
    )
    assert body_sentences(text, []) == [
        "The mayor of Leeds spoke to reporters after the flood on Monday.",
        "“We will rebuild every home the river took,” Mayor Jane Roe told reporters.",
        "Crews worked through the night to clear the roads in the centre.",
    ]
