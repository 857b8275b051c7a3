"""A text many items repeat word for word (an archive notice, a site's banner) is a page's
furniture, not an article: it does not tie the stories of unrelated headlines together."""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.boilerplate import RepeatedTexts, opening_key
from aggregator.cluster import Clusterer, ClusterSettings, cluster_stream
from aggregator.features import item_features
from aggregator.models import Item

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
NOTICE = (
    "Starting in 2009 the Keldon archive has been donating its crawl data to the public "
    "library. Flowing in every day, these data are added to the archive's collection after "
    "an embargo period, and the crawl seeds are listed on the collection's page for readers."
)
HEADLINES = [
    "Sailors from Pellow win the coastal regatta in strong winds",
    "The Aster museum reopens its fossil hall after repairs",
    "Teenager Ivo Marek takes the national chess title in Brona",
    "A family bakery in Oldmere is praised for its rye bread",
    "Commuters face delays as signal works close the Tavin line",
]


def item(item_id: str, title: str, text: str, minutes: int) -> Item:
    when = T0 + timedelta(minutes=minutes)
    return Item(
        id=item_id,
        title=title,
        text=text,
        outlet=f"{item_id}.example",
        published=when,
        first_seen=when,
    )


def notices() -> list[Item]:
    return [item(f"n{k}", title, NOTICE, 10 * k) for k, title in enumerate(HEADLINES)]


def test_a_text_repeated_under_unrelated_headlines_joins_nothing() -> None:
    result = cluster_stream(notices(), ClusterSettings())
    # The first two copies may pass for one wire story; from the third on, each is alone.
    assert len({result[f"n{k}"] for k in range(5)}) >= 4
    assert [result[f"n{k}"] for k in range(2, 5)] == ["n2", "n3", "n4"]
    # Without the rule, the notice glues all five unrelated headlines into one story.
    glued = cluster_stream(notices(), ClusterSettings(boilerplate_copies=10**6))
    assert len({glued[f"n{k}"] for k in range(5)}) == 1


def test_copies_under_headlines_that_agree_are_one_article() -> None:
    """A wire brief too short for dedupe's near-duplicate test is one story, not furniture."""
    titles = ["Keldon archive opens its crawl data", "Crawl data of Keldon archive opened"]
    titles.append("Keldon archive now lends crawl data")
    copies = [item(f"w{k}", title, NOTICE, k) for k, title in enumerate(titles)]
    result = cluster_stream(copies, ClusterSettings())
    assert set(result.values()) == {"w0"}


def test_later_items_do_not_join_a_furniture_item_and_copies_leave_with_their_stories() -> None:
    settings = ClusterSettings(active_window=timedelta(hours=2))
    clusterer = Clusterer(settings)
    for copy in notices()[:3]:
        clusterer.assign(copy, copy.published or T0)
    fourth = item("late", HEADLINES[1] + " again", NOTICE, 35)
    assert clusterer.assign(fourth, T0 + timedelta(minutes=35)).story_id == "late"
    # Once the copies have left the window, the text is an article's again: two fresh items
    # with it are one story.
    later = T0 + timedelta(days=1)
    clusterer.expire(later)
    first = item("w1", "Keldon archive opens its crawl data to readers", NOTICE, 24 * 60)
    second = item("w2", "Keldon archive crawl data now open", NOTICE, 24 * 60 + 5)
    clusterer.assign(first, later)
    assert clusterer.assign(second, later + timedelta(minutes=5)).story_id == "w1"


def cut(text: str) -> str:
    """The title a feed without headlines gets: the opening of the text."""
    return text[:120].rsplit(" ", 1)[0] + "…"


def test_copies_under_titles_cut_from_the_text_are_furniture() -> None:
    """A title that only opens its text agrees with every copy of the text, so it does not
    vouch for one article: from the third copy on, each is alone, as under unrelated
    headlines."""
    copies = [item(f"c{k}", cut(NOTICE), NOTICE, 10 * k) for k in range(5)]
    result = cluster_stream(copies, ClusterSettings())
    assert [result[f"c{k}"] for k in range(2, 5)] == ["c2", "c3", "c4"]
    glued = cluster_stream(copies, ClusterSettings(boilerplate_copies=10**6))
    assert len(set(glued.values())) == 1
    # A headline of the item's own still makes copies one article.
    own = [item(f"w{k}", "Keldon archive opens its crawl data", NOTICE, k) for k in range(5)]
    assert set(cluster_stream(own, ClusterSettings()).values()) == {"w0"}


def test_a_short_text_without_a_headline_of_its_own_is_counted_too() -> None:
    """Under its own headline a one-sentence text says too little to be called furniture; as
    the whole of a headline-less item it is all there is to compare."""
    sentence = "Since 2009 the Keldon archive has donated crawl data to the public library."
    title = "Since 2009 the Keldon archive has donated…"
    bare = [item(f"s{k}", title, sentence, 10 * k) for k in range(4)]
    result = cluster_stream(bare, ClusterSettings())
    assert [result[f"s{k}"] for k in (2, 3)] == ["s2", "s3"]
    repeats = RepeatedTexts(copies=3)
    titled = [item_features(item(f"t{k}", HEADLINES[k], sentence, k), 250) for k in range(4)]
    assert not any(repeats.add(features) for features in titled)
    # A text that only repeats its title (a headline-only feed) leaves the item a headline.
    headline = [item_features(item(f"h{k}", sentence, sentence, k), 250) for k in range(4)]
    assert not any(repeats.add(features) for features in headline)


def test_an_article_page_that_turns_out_to_be_furniture_merges_no_stories() -> None:
    """Teasers grouped apart whose article pages all hand over the same notice: the pages of
    the first two may pass for one wire story, the third copy merges nothing."""
    teasers = [
        item("r0", HEADLINES[0], "Crews from Pellow sailed past the breakwater first.", 0),
        item("r1", HEADLINES[1], "The Aster hall shows new fossils from the quarry.", 5),
        item("r2", HEADLINES[2], "Ivo Marek won with a late rook sacrifice in Brona.", 10),
    ]
    clusterer = Clusterer(ClusterSettings())
    for teaser in teasers:
        assert clusterer.assign(teaser, T0 + timedelta(minutes=10)).story_id == teaser.id
    now = T0 + timedelta(hours=1)
    for teaser in teasers[:2]:
        clusterer.regroup(replace(teaser, text=NOTICE), now)
    third = clusterer.regroup(replace(teasers[2], text=NOTICE), now)
    assert third is not None and third.story_id == "r2" and third.merged == ()
    assert clusterer.story_of("r2") == "r2"


def test_an_opening_is_known_by_a_hash_of_its_terms() -> None:
    """The counts hold a hash per opening, not the opening's terms: the same opening (whatever
    follows it) is one key, a different one another, and a removed item's opening is
    forgotten."""
    text = f"{NOTICE} The archive adds more than a hundred new sites every week to its crawl."
    longer = f"{text} Readers may ask for their own site to be left out of the collection."
    features = [
        item_features(item("a", HEADLINES[0], text, 0), 250),
        item_features(item("b", HEADLINES[1], longer, 1), 250),
        item_features(item("c", HEADLINES[2], "Other words open this one. " + text, 2), 250),
    ]
    assert len(features[0].text) >= 30 and features[0].text[:30] == features[1].text[:30]
    repeats = RepeatedTexts(copies=3)
    for one in features:
        repeats.add(one)
    assert sorted(repeats.counts().values()) == [1, 2]
    assert all(type(key) is int for key in repeats._first_title)
    assert list(repeats._more.values()) == [2]  # (an opening of one copy has no count kept)
    for one in features:
        repeats.remove(one)
    assert not repeats._first_title and not repeats._more and not repeats._bare


def test_repeated_texts_count_as_a_counter_would_through_pickling() -> None:
    """Random adds and removes of a few openings: each answer, the copies counted and the
    first headlines are those of a plain count of each opening kept beside them, also after
    a pickling round trip (the grouping snapshot)."""
    rng = random.Random(7)
    texts = [f"{word} edition. {NOTICE}" for word in ("Harbour", "Orchard", "Granite")]
    features = [
        item_features(item(f"i{k}", HEADLINES[k % 5], texts[k % 3], k), 250) for k in range(15)
    ]
    assert len({hash(one.text[:30]) for one in features}) == 3
    repeats, held, counted = RepeatedTexts(copies=3), [], Counter()
    answers = Counter()
    firsts: dict[int, tuple[str, ...]] = {}
    for step in range(400):
        if held and rng.random() < 0.45:
            one = held.pop(rng.randrange(len(held)))
            repeats.remove(one)
            key = opening_key(one.text[:30])
            counted[key] -= 1
            if not counted[key]:
                del counted[key], firsts[key]
        else:
            one = rng.choice(features)
            key = opening_key(one.text[:30])
            counted[key] += 1
            first = firsts.setdefault(key, one.title)
            expected = counted[key] >= 3 and frozenset(one.title).isdisjoint(first)
            assert repeats.add(one) == expected
            answers[expected] += 1
            held.append(one)
        if step % 50 == 49:
            repeats = pickle.loads(pickle.dumps(repeats))
        assert repeats.counts() == dict(counted)
        assert repeats._first_title == firsts
        assert all(n > 1 for n in repeats._more.values())
    assert answers[True] and answers[False]


_COPIES_ELSEWHERE = """
import pickle, sys
from aggregator.boilerplate import RepeatedTexts
from aggregator.features import item_features
sys.path.insert(0, sys.argv[1])
import test_boilerplate as t
copies = [item_features(t.item(f"c{k}", t.HEADLINES[k], t.NOTICE, k), 250) for k in range(3)]
if sys.argv[2] == "write":
    repeats = RepeatedTexts()
    said = [repeats.add(f) for f in copies[:2]]
    sys.stdout.buffer.write(pickle.dumps(repeats))
else:
    repeats = pickle.loads(sys.stdin.buffer.read())
    said = [repeats.add(copies[2])]
    for f in copies:
        repeats.remove(f)
    said.append(repeats.counts())
print(said, file=sys.stderr)
"""


def test_openings_counted_in_one_process_are_found_in_another() -> None:
    # As the grouping snapshot carries a window to the next process, whose string hashes are
    # keyed otherwise: the third copy is furniture there too, and every copy leaves.
    here = str(Path(__file__).parent)
    root = str(Path(__file__).parent.parent)

    def run(seed: str, *args: str, given: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": root}
        command = [sys.executable, "-c", _COPIES_ELSEWHERE, here, *args]
        return subprocess.run(command, input=given, env=env, capture_output=True, check=True)

    written = run("7", "write")
    assert written.stderr.strip() == b"[False, False]"
    loaded = run("8", "load", given=written.stdout)
    assert loaded.stderr.strip() == b"[True, {}]"
