"""Tests of aggregator.captions: a photo caption or credit line is no bullet; a fact is never
taken for one."""

from __future__ import annotations

import pytest

from aggregator.bullets import body_sentences
from aggregator.captions import is_caption


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


def test_caption_length_counts_chinese_and_japanese_characters() -> None:
    """A caption's shape in English around a long Chinese run is a long sentence (the run is
    counted two characters to a word), not a short caption; a short one still is."""
    assert is_caption("Lanterns at the 元宵节 fair in Beijing, China.")
    long_run = "元宵节灯会上游客们纷纷拍照留念的热闹场景持续了整整一个晚上" * 2
    assert not is_caption(f"Lanterns at the {long_run} fair in Beijing, China.")
    assert not is_caption("港口大桥主跨发现裂缝后封闭。")
