"""Summarising cheaply changes no summary: the one-source fast path, the per-body memo of
candidate sentences, and the story job's batched writes."""

from __future__ import annotations

import math
import random
import sqlite3
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from test_summarize import QUAKE

from aggregator import bullets, novelty, sentence_scoring, story_job, summarize
from aggregator.bullets import MAX_SENTENCES, body_sentences, clear_memo
from aggregator.config import Settings
from aggregator.models import FeedState, Item, Summary
from aggregator.store import Store
from aggregator.summarize import ExtractiveSummarizer

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def one_item_stories() -> list[list[Item]]:
    return [[it] for it in QUAKE] + [
        [QUAKE[0]],
        [Item(id="bare", title="", text=QUAKE[1].text, outlet="x.example")],
        [Item(id="title-only", title="Chile lifts its tsunami warning", outlet="y.example")],
    ]


@pytest.mark.parametrize("story", one_item_stories(), ids=lambda s: s[0].id)
def test_the_one_source_fast_path_equals_the_general_path(
    story: list[Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = ExtractiveSummarizer().summarize(story)
    monkeypatch.setattr(summarize, "_one_source", lambda units: False)
    clear_memo()
    general = ExtractiveSummarizer().summarize(story)
    assert fast == general
    if story[0].text:
        assert fast.bullets, "the story should have bullets for the comparison to mean much"


def test_the_fast_path_is_taken_for_one_item_only() -> None:
    seen: list[bool] = []
    original = summarize._one_source

    def spy(units: list) -> bool:  # type: ignore[type-arg]
        seen.append(original(units))
        return seen[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(summarize, "_one_source", spy)
        ExtractiveSummarizer().summarize(QUAKE[:1])
        ExtractiveSummarizer().summarize(QUAKE)
    assert seen[0] is True and seen[-1] is False


def test_summaries_are_the_same_with_the_memo_empty_or_warm() -> None:
    stories = [QUAKE, QUAKE[:2], QUAKE[1:], *one_item_stories()]
    cold = []
    for story in stories:
        clear_memo()
        cold.append(ExtractiveSummarizer().summarize(story))
    warm = [ExtractiveSummarizer().summarize(story) for story in stories]
    again = [ExtractiveSummarizer().summarize(story) for story in stories]
    assert cold == warm == again


def test_a_body_is_split_once_however_many_stories_it_is_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_memo()
    calls: list[str] = []
    original = bullets.clean_text

    def counting(text: str) -> str:
        calls.append(text)
        return original(text)

    monkeypatch.setattr(bullets, "clean_text", counting)
    ExtractiveSummarizer().summarize(QUAKE[:1])
    ExtractiveSummarizer().summarize(QUAKE[:2])  # the story gained an item
    assert len(calls) == len(set(calls)) == 2


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_memo()
    monkeypatch.setattr(bullets, "MEMO_ITEMS", 3)
    for n in range(10):
        body_sentences(f"The council approved budget number {n} on Monday evening.", [])
    assert len(bullets.memo_entries()) == 3


def test_the_memo_is_bounded_by_its_packed_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_memo()
    texts = [f"The council approved budget number {n} on Monday evening." for n in range(10)]
    body_sentences(texts[0], [])
    one = bullets._memo_size
    monkeypatch.setattr(bullets, "MEMO_BYTES", 3 * one + one // 2)
    for text in texts:
        body_sentences(text, [])
    entries = bullets.memo_entries()
    assert len(entries) == 3
    assert bullets._memo_size == sum(len(v) for v in entries.values()) <= 3.5 * one
    # The packed entries read back as what the body yields unmemoised, title check included.
    remembered = body_sentences(texts[-1], ["Council approves budget number 9"])
    clear_memo()
    assert body_sentences(texts[-1], ["Council approves budget number 9"]) == remembered


def test_a_long_body_whose_title_removes_many_sentences_is_read_to_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Over twice MAX_SENTENCES candidates, most of which restate the title: the memo keeps
    # only the first ones, and the rest must be read again to reach MAX_SENTENCES.
    title = "Storm floods coastal towns overnight"
    restating = "The storm floods coastal towns overnight again today."
    text = " ".join(
        [restating] * (2 * MAX_SENTENCES + 5)
        + [f"Rescue crews reached village number {n} before dawn on Friday." for n in range(80)]
    )
    clear_memo()
    memoised = body_sentences(text, [title])
    monkeypatch.setattr(bullets, "_CANDIDATE_LIMIT", 10**6)
    clear_memo()
    whole = body_sentences(text, [title])
    assert memoised == whole
    assert len(whole) == MAX_SENTENCES and whole[0].startswith("Rescue crews")
    assert body_sentences(text, []) == [restating] * MAX_SENTENCES


class FailingOn:
    """The extractive summarizer, failing on one story (by its first item's id) with `error`:
    the database's by default (a fault no story is to blame for)."""

    def __init__(self, bad: str, error: type[Exception] = sqlite3.OperationalError) -> None:
        self.inner = ExtractiveSummarizer()
        self.bad = bad
        self.error = error

    def summarize(
        self, items: list[Item], previous_headline: str | None = None, language: str | None = None
    ) -> Summary:
        if items[0].id == self.bad:
            raise self.error("summarizer broke")
        return self.inner.summarize(items, previous_headline, language)


def test_a_failed_batch_of_summaries_stays_dirty_and_earlier_batches_stay_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(story_job, "SAVE_BATCH", 2)
    store = Store()
    state = FeedState("https://a.example/feed")
    items = [
        Item(
            id=f"i{n}",
            title=f"Council approves budget number {n}",
            text=f"The council approved budget number {n} on Monday after a long debate.",
            feed_url=state.url,
            guid=f"i{n}",
            published=NOW,
            first_seen=NOW,
            outlet="a.example",
            outlet_name="Outlet A",
            content_hash=f"h{n}",
        )
        for n in range(5)
    ]
    store.save_poll(state, items)
    with store.transaction():
        for n, it in enumerate(items):
            store.assign(it, f"s{n}", None, NOW)
    order = store.dirty_stories()
    bad = order[2]  # in the second batch
    job = story_job.StoryJob(store, Settings(), lambda: NOW, FailingOn(f"i{bad[1:]}"))
    with pytest.raises(sqlite3.OperationalError):
        job.run()
    assert store.dirty_stories() == order[2:]  # the first batch saved, the failed one not
    assert store.summary_state(order[0], "")[0] is not None  # (its published headline)
    job.summarizer = ExtractiveSummarizer()
    assert job.run() == 3
    assert store.dirty_stories() == []
    # A defect on that story's input fails it alone: the others of its batch are saved.
    with store.transaction():
        for n, it in enumerate(items):
            store.assign(it, f"s{n}", None, NOW)  # (all dirty again)
    job.summarizer = FailingOn(f"i{bad[1:]}", RuntimeError)
    job.run()
    assert store.dirty_stories() == []  # (the failed one too: tried again when it changes)
    assert store.summary_state(bad, "")[0] is not None  # it keeps what it published


def test_threads_sharing_a_small_memo_get_the_same_summaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bullets, "MEMO_ITEMS", 2)  # constant eviction while others read
    stories = [QUAKE, QUAKE[:2], *one_item_stories()]
    clear_memo()
    expected = [ExtractiveSummarizer().summarize(story) for story in stories]

    def work() -> list[Summary]:
        return [ExtractiveSummarizer().summarize(s) for _ in range(20) for s in stories][
            -len(stories) :
        ]

    with ThreadPoolExecutor(4) as pool:
        results = [f.result() for f in [pool.submit(work) for _ in range(4)]]
    assert all(r == expected for r in results)
    assert len(bullets.memo_entries()) <= 2


_VOCAB = "quake tsunami coast warning chile rescue power bridge port vote court rain".split()
_OUTLETS = ["a", "b", "c", "d"]


def _units(
    seed: int, vocab: list[str] = _VOCAB, longest: int = 4, outlets: list[str] = _OUTLETS
) -> tuple[list[sentence_scoring.Unit], list[str]]:
    """Sentences of four sources over a small vocabulary: some share terms, many share none.
    (Longer sentences repeat words: their terms weigh differently.)"""
    rng = random.Random(seed)
    units = [
        sentence_scoring.Unit(
            " ".join(
                rng.sample(vocab, rng.randint(1, longest))
                if longest <= 4
                else rng.choices(vocab, k=rng.randint(1, longest))
            ),
            rng.randrange(4),
            pos,
            0.0,
            Counter(),
            {},
            0,
        )
        for pos in range(40)
    ]
    units.append(sentence_scoring.Unit("", 0, 40, 0.0, Counter(), {}, 0))  # no terms at all
    sentence_scoring.vectorise(units)
    return units, outlets


_WIDER = [f"w{n}" for n in range(40)]


@pytest.mark.parametrize(
    ("seed", "vocab", "longest", "outlets"),
    [
        *((seed, _VOCAB, 4, _OUTLETS) for seed in range(5)),
        # sums of many shared terms (their order shows in the last bit); one outlet's two sources
        *((seed, _WIDER, 14, ["a", "b", "a", "c"]) for seed in range(5)),
    ],
)
def test_support_skips_sentences_sharing_no_term_with_the_same_scores(
    seed: int, vocab: list[str], longest: int, outlets: list[str]
) -> None:
    units, outlets = _units(seed, vocab, longest, outlets)
    centroid = sentence_scoring.story_centroid(units, 4)
    sentence_scoring.score_units(units, outlets, centroid, {})
    fast = [u.score for u in units]
    cosine = sentence_scoring.cosine
    by_outlet: dict[str, list[sentence_scoring.Unit]] = {}
    for unit in units:
        by_outlet.setdefault(outlets[unit.source], []).append(unit)
    for unit in units:  # the scoring written out: every pair compared
        support = 0.0
        for outlet, group in by_outlet.items():
            if outlet != outlets[unit.source]:
                support += max(cosine(unit.vector, v.vector) for v in group)
        support /= len(by_outlet) - 1
        position = 1.0 if unit.position < 0 else 1.0 / math.sqrt(1.0 + unit.position)
        unit.score = sentence_scoring._quality(unit) * (
            sentence_scoring._W_CENTROID * cosine(unit.vector, centroid)
            + sentence_scoring._W_TITLE * cosine(unit.vector, {})
            + sentence_scoring._W_SUPPORT * support
            + sentence_scoring._W_POSITION * position
        )
    assert fast == [u.score for u in units]  # bit for bit


@pytest.mark.parametrize("seed", range(5))
def test_citing_skips_sentences_sharing_no_term(seed: int) -> None:
    units, _ = _units(seed)
    idf = sentence_scoring.vectorise(units)
    summarizer = ExtractiveSummarizer()
    limit = summarizer.settings.attribution
    for unit in units:
        expected = {unit.source} | {
            o.source
            for o in units
            if sentence_scoring.containment(unit.terms, o.terms, idf) >= limit
            or sentence_scoring.cosine(unit.vector, o.vector) >= summarize._SAME_FACT_COSINE
        }
        assert summarizer._cite(unit, units, idf) == tuple(sorted(expected))


def test_a_sentences_figures_are_read_once_with_its_candidate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A body's candidates keep the fact terms of each sentence that `novelty` rewrites (a
    # figure, a number word), so a story summarised again does not rewrite it again; a plain
    # sentence keeps none, and its fact terms are its tokens' terms.
    text = (
        "The council approved a budget of three million dollars on Monday. "
        "Residents gathered outside the town hall to watch the vote. "
        "The plan funds repairs for nearly 30 years of damaged roads."
    )
    clear_memo()
    found = bullets.body_sentence_facts(text, [])
    assert [s for s, _, _ in found] == body_sentences(text, [])
    for sentence, _, facts in found:
        if "Residents" in sentence:
            assert facts is None
        else:
            assert facts == novelty.fact_terms(sentence)
    assert "3000000" in found[0][2] and "~30:year" in found[2][2]
    calls: list[str] = []
    rewrite = novelty._normalised

    def counted(sentence: str) -> str:
        calls.append(sentence)
        return rewrite(sentence)

    monkeypatch.setattr(novelty, "_normalised", counted)
    novelty.clear_memo()
    story = [
        Item(id="a", title="Council backs road budget", text=text, outlet="a.example"),
        Item(id="b", title="Road repairs approved", text=text.replace("Monday", "Tuesday"),
             outlet="b.example"),
    ]  # fmt: skip
    first = ExtractiveSummarizer().summarize(story)
    assert calls  # (the second body's sentences were read here)
    calls.clear()
    novelty.clear_memo()
    again = ExtractiveSummarizer().summarize(story)
    assert again == first
    assert calls == []  # every sentence's figures came with its memoised candidate
