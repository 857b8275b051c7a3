"""Which stories feeds and pages show, in what order."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from stories import T0, make_story

from aggregator.models import Story
from aggregator.ranking import for_feed, importance, outlets, rank


def covered(story_id: str, count: int, hours_ago: float) -> Story:
    story = make_story(story_id, story_id)
    assert story.summary is not None
    summary = dataclasses.replace(story.summary, outlet_count=count)
    when = T0 - timedelta(hours=hours_ago)
    return dataclasses.replace(story, summary=summary, updated=when, first_seen=when)


def test_importance_weighs_outlets_against_age() -> None:
    big_old = covered("big-old", 5, 10)
    small_new = covered("small-new", 1, 1)
    pair_recent = covered("pair", 2, 3)
    assert importance(big_old, T0) > importance(small_new, T0)
    ranked = rank([small_new, pair_recent, big_old], T0)
    assert [s.id for s in ranked] == ["big-old", "pair", "small-new"]


def test_ties_go_to_the_newer_change_then_the_id() -> None:
    a, b = covered("a", 2, 2), covered("b", 2, 2)
    assert [s.id for s in rank([b, a], T0)] == ["a", "b"]


def test_a_story_without_summary_counts_one_outlet() -> None:
    assert outlets(make_story("x", no_summary=True)) == 1


def test_for_feed_prefers_shared_stories_only_when_over_the_limit() -> None:
    stories = [covered("s1", 1, 1), covered("m1", 2, 5), covered("s2", 1, 2)]
    assert [s.id for s in for_feed(stories, 10)] == ["s1", "s2", "m1"]
    assert [s.id for s in for_feed(stories, 2)] == ["s1", "m1"]
    assert [s.id for s in for_feed(stories, 10, min_outlets=2)] == ["m1"]
