"""Issues of a dated series ("Your Daily Horoscope for Thursday, September 3" and "… for
Friday, September 4"; "What happened in New Zealand on 2 September" and "… on 3 September")
report different days: never one story, however alike their words. Found by grouping two
real days' feeds as if one came a day after the other: each such pair became a story."""

from __future__ import annotations

from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.series import issue_key, other_issues


def test_two_issues_of_a_dated_series_a_day_apart_stay_apart() -> None:
    recap = (
        "The Ministry of Health reported two new cases in managed isolation, and the Harbour "
        "City council confirmed the bus lanes reopen. Here is what happened across the country."
    )
    items = [
        item("d1", "Covid-19: What happened in Aotearoa on 2 September", recap, "rnz", 0),
        item("d2", "Covid-19: What happened in Aotearoa on 3 September", recap, "rnz", 24 * 60),
        item("q1", "Target and superquiz, Thursday, September 3", "Today's puzzles.", "smh", 5),
        item("q2", "Target and superquiz, Friday, September 4", "Today's puzzles.", "smh", 1445),
    ]  # fmt: skip
    result = cluster_stream([*filler(12), *items], ClusterSettings())
    assert result["d1"] != result["d2"] and result["q1"] != result["q2"]


def test_one_issue_reported_twice_is_still_one_story() -> None:
    text = (
        "The Ministry of Health reported two new cases in managed isolation on Wednesday, and "
        "the Harbour City council confirmed that the bus lanes reopen next week."
    )
    items = [
        item("a", "Covid-19: What happened in Aotearoa on 2 September", text, "rnz", 0),
        item("b", "Covid-19: What happened in Aotearoa on 2 September", text, "nzherald", 30),
    ]
    result = cluster_stream([*filler(12), *items], ClusterSettings())
    assert result["a"] == result["b"]


def test_which_headlines_are_other_issues() -> None:
    key = issue_key("Your Daily Horoscope for Thursday, September 3")
    assert other_issues(key, "Your Daily Horoscope for Wednesday, April 29")
    assert other_issues(
        issue_key("Best of cartoons, September 3, 2020"), "Best of cartoons, April 29, 2020"
    )
    assert not other_issues(key, "Your Daily Horoscope for Thursday, September 3")  # the same
    assert not other_issues(key, "Your weekly horoscope for Friday, September 4")  # other words
    trial = issue_key("Trump to visit Kenosha on Tuesday")
    assert not other_issues(trial, "Trump visits Kenosha")
    # other languages' dates, the day beside the month
    horoscope = issue_key("Horóscopo de hoy, jueves 3 de septiembre")
    assert other_issues(horoscope, "Horóscopo de hoy, viernes 4 de septiembre")
    assert other_issues(issue_key("Corona-Zahlen am 3. September"), "Corona-Zahlen am 4. September")
    # a figure beside the date is no part of it: one day's toll, updated, is one story
    toll = issue_key("Death toll rises to 12, September 3")
    assert not other_issues(toll, "Death toll rises to 15, September 3")
    assert issue_key("Hurricane Laura makes landfall in Louisiana") is None  # no date
    assert issue_key("Friday, September 4") is None  # a date and nothing else
