"""Tests of aggregator.captions: a photo caption or credit line is no bullet; a fact is never
taken for one."""

from __future__ import annotations

import pytest

from aggregator.bullets import body_sentences
from aggregator.captions import is_caption, is_noun_phrase
from aggregator.text import clean_text


@pytest.mark.parametrize(
    "sentence",
    [
        "A paper mill in Tampere, Finland.",
        "A flood volunteer in Carlisle, Cumbria, on Sunday.",
        "Supporters of the mayor in Leeds on Monday.",
        "Prime Minister Jane Doe at Government House in Wellington on Tuesday.",
        "A hospital porter in the Bronx.",
        "General view of the main entrance to the city hospital in Paris April 22, 2015.",
        "Analysis from our regional political reporter Sam Example.",
        'Commentary by Sam Example, host of "Example Across America."',
        "Photo by Sam Example for the Daily Example.",
        "Image from the Example Energy campaign.",
        "Example TV's Sam Example reports from Lyon.",
        "Example News’ Jo Sample reports from the seaside town of Brest, France.",
        "Example TV's Sam Example has more from the capital, Nairobi.",
        "In the third of our reports on river towns, Example TV's Jo Sample reports from Kent.",
        "Morning Show reporter Sam Example has this report from Example Golf Club.",
    ],
)
def test_captions_and_credits(sentence: str) -> None:
    assert is_caption(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The paper mill in Tampere, Finland, closed on Monday.",
        "Flood volunteers worked through the night in Carlisle.",
        "The company cut 200 jobs at its plant in Ohio.",
        "The team beat the visitors 2-0 in Leeds.",
        "The Smith children attend Valley Christian Academy in Neenah.",
        "Councillors warn Walker against leaning on one achievement in Madison.",
        "Klein and his wife, Melissa, own a bakery in Gresham.",
        "Rose underwent surgery at Detroit Receiving Hospital.",
        "In 2016, the singer had heart surgery at a hospital in New York.",
        "The minister's visit to Wellington on Tuesday.",  # possessive: may be a verb, kept
        "Fighting continued overnight near the border.",
        "Austin Custodio, 21, of Pine Bush, New York, was charged with theft.",
        "It’s now between No. 250 and No. 500 on that list in the U.S.",
        "Jen and Diana regularly attend the Winter Equestrian Festival, in Palm Beach.",
        "Jen and Diana attend the Winter Equestrian Festival in Palm Beach.",
        "Example TV's Sam Example reports from Lyon, where the strike closed three plants.",
        "Example TV's Sam Example, reporting from Lyon, said the strike would spread.",
        "The Example Times reports from Kabul that the talks failed.",
        "Police Chief Sam Example reports from the scene were grim.",
        "Acme Corp reports record profits in Europe.",
        "Sam Example has the details of the deal with Iran.",
    ],
)
def test_facts_are_not_captions(sentence: str) -> None:
    assert not is_caption(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # the date right after the place, with no "on"
        "Senator Sam Example smiles as he meets reporters at the Capitol in Washington, Tuesday,"
        " Feb. 6, 2018.",
        "A woman kneels with her children outside the church in Exampleton, Connecticut"
        " December 14, 2014.",
        "The minister (R) speaks with her deputy at the end of the cabinet meeting in Paris,"
        " April 22, 2015.",
        "Activist Jo Sample (L) is greeted by her sister after her release from prison in"
        " Exampleton, west of Sampleburg, February 16, 2014.",
        # someone shown in the present tense, on a full date
        "Adviser Jo Sample speaks in support of a candidate at an event in Wayne, N.J., on Oct."
        " 22, 2018.",
        "Candidate Sam Example speaks with the editorial board in Phoenix on Wednesday, October"
        " 17, 2018.",
        "Former Congresswoman Jo Sample throws out the first pitch at the softball game on"
        " Capitol Hill Wednesday evening June 18, 2014.",
        # AP's: a weekday with the full date, then the place
        "Senator Sam Example speaks during a town hall, Tuesday, Feb. 19, 2013, in Exampleton,"
        " Ariz.",
        "A truck makes its way down a snow covered road, Thursday, Dec. 20, 2012, in Sampleburg,"
        " Iowa.",
        "The actor exits the stage after announcing the award on Sunday, Feb. 26, 2017, at the"
        " Example Theatre in Los Angeles.",
        # pointing at the picture, a gallery's labels
        "The car is pictured at the school in Exampleton, in this evidence photo released by"
        " the state police.",
        "Jo Sample, in this photograph provided by the city hall, is seen at a sporting event.",
        "Hide Caption 7 of 43 Photos: The search for the ship Divers prepare to go down.",
        "Photos: Sinking of the Example The battleship under attack in the Example Sea.",
        "Culture The Comedian’s Answer CREDIT: Sam Example The comedian performs in Denver.",
        "JUNE 18: Former Congresswoman Jo Sample throws out the first pitch at the game.",
        "Two pilots fly a patrol plane during a search mission in this March 24, 2014 handout"
        " photo.",
        "Damage to the cargo ship is seen after the collision off the cape, this photo released"
        " by the coast guard shows.",
        "A file image from the probe shows the frozen surface of the moon Example.",
        "Enlarge Image Close Example Images Sam Example celebrated late in the fourth quarter.",
    ],
)
def test_wire_photo_captions(sentence: str) -> None:
    assert is_caption(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The treaty was signed in Paris on December 12, 2015.",
        "The final report is due December 1, 2025.",
        "The law takes effect on January 1, 2020.",
        "The trial begins on Monday, March 3, 2021.",
        "The officer was sentenced to death on December 15, 1961.",
        "The band's last concert at the venue was on July 9, 1995.",
        "Sam appeared to get on well with him, with the two of them pictured laughing together.",
        "The rule, signed into law Friday, March 27, 2020, expands benefits.",
        "He speaks fluent French and has lived in Paris since 2015.",
        "Readers can see the damage in this photo of the bridge, he said, pointing to it.",
        "The aide discussed the seat with him on December 7, 2008 in Sam Example's car.",
        "The bill was signed on March 27, 2020, in Washington.",
        "Talks resume on Monday, March 3, 2021, and the envoys meet again in Geneva.",
        "In this year's photo competition, a picture of a heron won first prize.",
        "The agency filed a handout of its photo archive with the court.",
        "The file photo agency Example Images was sold to a rival on Monday.",
    ],
)
def test_facts_with_dates_and_pictures_are_not_captions(sentence: str) -> None:
    assert not is_caption(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The cabin of a Sample Airways plane.",
        "The captain of Sample Airlines flight SA370, Sam Example.",
        "A remembrance of an Exampleton County deputy.",
        "The latest work by Daily Example editorial cartoonist Jo Sample.",
        "Sen. Sam Example, left, and Gov. Jo Sample.",
        "Sam Example, 26, with his sister Jo Example, 27, and mother Ann Example.",
        "An unreliable trace of DNA on a glove clasp.",
        "A lot of anger out there.",
        "Above, a phone shop in Example City.",
    ],
)
def test_a_noun_phrase_with_no_verb_states_no_fact(sentence: str) -> None:
    assert is_noun_phrase(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        # a plain verb after a subject with no "-s", or before an object or a name
        "The dead include 33-year-old Sam Example of Exampleton and his daughter.",
        "The Example children attend Valley Christian Academy in Exampleton.",
        "The people of Exampleton support the plan.",
        "A group of men gather outside the town hall each Friday.",
        "The two men exchange a handshake at the border.",
        "Sam Example, 26, and his sister Jo, 27, own the bakery.",
        # a verb of the list, or a possessive that may be one
        "The cabin of the plane was empty.",
        "The minister's visit to Wellington on Tuesday.",
        # not English: Portuguese and Spanish open with "A" and name ages too
        "A polícia prendeu o suspeito ontem à noite.",
        "A medida entra em vigor na segunda-feira.",
        # no article, no age, no place in a picture
        "Councillors and the mayor in Exampleton.",
        "Above, the mayor said, the clouds were gathering.",
    ],
)
def test_a_sentence_with_a_plain_verb_is_no_noun_phrase(sentence: str) -> None:
    assert not is_noun_phrase(sentence)


def test_a_noun_phrase_in_an_article_is_no_bullet() -> None:
    text = (
        "The airline grounded its fleet on Monday after a fault was found in one engine. "
        "The cabin of a Sample Airways plane. "
        "Engineers said the checks would take a week."
    )
    assert body_sentences(text, []) == [
        "The airline grounded its fleet on Monday after a fault was found in one engine.",
        "Engineers said the checks would take a week.",
    ]


def test_a_caption_in_a_feed_text_is_no_candidate() -> None:
    text = (
        "A paper mill in Tampere, Finland. "
        "Finnish factories are running again, but buyers are not spending much yet."
    )
    assert body_sentences(text, []) == [
        "Finnish factories are running again, but buyers are not spending much yet."
    ]


def test_a_reporters_sign_off_is_no_bullet() -> None:
    text = (
        "Floods closed the main road into Marseille on Tuesday. "
        "Example TV's Sam Example reports from the port city of Marseille."
    )
    assert body_sentences(text, []) == ["Floods closed the main road into Marseille on Tuesday."]


def test_a_wire_caption_in_an_article_is_no_bullet() -> None:
    text = (
        "Shares of the carmaker fell 12% on Monday after it cut its forecast. "
        "Chief executive Sam Example speaks during a news conference at the company's"
        " headquarters in Detroit, Michigan, March 15, 2016. "
        "The company said demand for its trucks had slowed."
    )
    assert body_sentences(text, []) == [
        "Shares of the carmaker fell 12% on Monday after it cut its forecast.",
        "The company said demand for its trucks had slowed.",
    ]


def test_a_caption_with_its_credit_in_brackets_leaves_the_paragraph() -> None:
    """Al Jazeera's pages run a picture's caption and "[Reuters]" into the paragraph after
    it; the caption goes to the end of the text (as other captions do), the paragraph opens
    on its own first sentence."""
    text = (
        "Soldiers patrol the capital's main square [Reuters] The president appeared on state"
        " television on Monday to reject calls to resign.\nHe spoke for a minute."
    )
    assert clean_text(text).split("\n") == [
        "The president appeared on state television on Monday to reject calls to resign.",
        "He spoke for a minute.",
        "Soldiers patrol the capital's main square",
    ]
    kept = "The study [1] Researchers found a link.\nSee the list [A] Next."
    assert clean_text(kept) == kept


def test_caption_length_counts_chinese_and_japanese_characters() -> None:
    """A caption's shape in English around a long Chinese run is a long sentence (the run is
    counted two characters to a word), not a short caption; a short one still is."""
    assert is_caption("Lanterns at the 元宵节 fair in Beijing, China.")
    long_run = "元宵节灯会上游客们纷纷拍照留念的热闹场景持续了整整一个晚上" * 2
    assert not is_caption(f"Lanterns at the {long_run} fair in Beijing, China.")
    assert not is_caption("港口大桥主跨发现裂缝后封闭。")
