"""Item and article texts crafted (or broken) to make summarising slow: each is read in time
linear in its size.

The sentence splitter tried its pattern at every stop of a run ("!!!…", "……", dots then
quotes), and each try backtracked through the rest of the run: 20,000 "!" took 3 s to split,
an article's 100,000 over a minute, and a story job waited on every body holding one. An alarm
guards each test (`linear_time`), so a quadratic reading fails after two minutes instead of
hanging the suite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from linear_time import SIZE, finishes

from aggregator.articles import MAX_ARTICLE_CHARS
from aggregator.models import Item
from aggregator.sentences import split_sentences
from aggregator.summarize import ExtractiveSummarizer

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("unit", ["!", ".", "?", "…", "!?", '."', "!)'"])
def test_a_run_of_stops_with_no_space_after_it_ends_no_sentence(unit: str) -> None:
    run = unit * (SIZE // len(unit))
    text = f"Flood waters rose overnight{run}and crews waited. They reopened the bridge."
    assert finishes(lambda: split_sentences(text)) == [
        f"Flood waters rose overnight{run}and crews waited.",
        "They reopened the bridge.",
    ]


def test_a_run_of_stops_then_closers_with_no_space_ends_nothing() -> None:
    text = "Flood waters rose" + "." * (SIZE // 2) + '"' * (SIZE // 2) + "overnight"
    assert finishes(lambda: split_sentences(text)) == [text]


def test_runs_of_each_scripts_stops_split_as_before() -> None:
    # (after a failed try the scan goes on after the run: a run of the other script's stops
    # right after it is still tried)
    assert split_sentences("Rates rose..。Sie fielen!!! Dann？？x") == [
        "Rates rose..。",
        "Sie fielen!!!",
        "Dann？？",
        "x",
    ]
    assert split_sentences("Rates rose...x. Then fell.") == ["Rates rose...x.", "Then fell."]


def test_a_story_whose_articles_are_runs_of_stops_is_summarised() -> None:
    lead = "Crews reopened the Dunmore bridge on Tuesday after the flood waters fell by two metres."
    items = [
        Item(
            id=f"i{k}",
            title="Dunmore bridge reopens after flood",
            text=(f"{lead} Then" + "!" * MAX_ARTICLE_CHARS)[:MAX_ARTICLE_CHARS],
            url=f"https://outlet{k}.example/bridge",
            published=NOW - timedelta(hours=k),
            outlet=f"outlet{k}.example",
            outlet_name=f"Outlet {k}",
            content_hash=f"h{k}",
        )
        for k in range(3)
    ]
    summary = finishes(lambda: ExtractiveSummarizer().summarize(items))
    assert summary.headline == "Dunmore bridge reopens after flood"


@pytest.mark.parametrize("unit", ["#a ", "@a ", "https://a.example "])
def test_a_post_of_tags_or_links_ending_in_a_word_reads_in_linear_time(unit: str) -> None:
    from aggregator.text import post_text

    run = unit * (SIZE // len(unit))
    assert finishes(lambda: post_text(run + "end")) == (run + "end").replace("#a", "a").strip()
    assert finishes(lambda: post_text("Start " + run)) == "Start"


@pytest.mark.parametrize(("host", "is_link"), [("b.org", True), ("b", False)])
def test_a_word_of_many_at_signs_is_read_for_an_address_in_linear_time(
    host: str, is_link: bool
) -> None:
    from aggregator.bullets import body_sentences

    word = "a@" * (SIZE // 20) + host  # (cubic before: 3,000 characters took 8 s)
    opening = "Crews reopened the Dunmore bridge on Tuesday and wrote to"
    text = f"{opening} {word} about it. The river fell by two metres overnight, officials said."
    sentences = finishes(lambda: body_sentences(text, []))
    assert sentences[-1] == "The river fell by two metres overnight, officials said."
    assert any(s.startswith(opening) for s in sentences) is not is_link


@pytest.mark.parametrize("unit", ["‘couldn’t ", "“flood "])
def test_unclosed_quotation_marks_are_read_in_linear_time(unit: str) -> None:
    from aggregator.lang import quoted

    quote = '"We will reopen the bridge,"'
    run = unit * (SIZE // len(unit))  # (quadratic before: 100,000 characters of ‘ took minutes)
    quotes, rest = finishes(lambda: quoted(f"{quote} she said. {run}and then"))
    assert quotes == quote  # (an apostrophe inside a word closes no quotation)
    assert rest == f"  she said. {run}and then"
