"""Grouping terms worked out on another core are the terms worked out in place: a pass that
tokenises ahead in a worker gives the same stories, and a worker that dies costs only time."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

import pytest
from test_publication_runs import NOW, busy_hours, grouping_state

import aggregator.grouping as grouping
import aggregator.term_pool as term_pool
import aggregator.term_task as term_task
from aggregator import near_text, tokens
from aggregator.cluster import Clusterer
from aggregator.features import ItemTerms, item_features, item_terms, text_read
from aggregator.models import Item
from aggregator.store import Store
from aggregator.term_pool import TermPool

TEXT_TOKENS = Clusterer().settings.text_tokens


def many_hours() -> list[Item]:
    """`busy_hours` three times over, a day apart (several runs of publication time, each
    with copies of earlier items), plus a text longer than the terms grouping reads."""
    out: list[Item] = []
    for day in range(3):
        shift = timedelta(days=day - 2)
        out += [
            replace(
                i,
                id=f"{i.id}-{day}",
                guid=f"{i.guid}-{day}",
                published=i.published and i.published + shift,
                first_seen=i.first_seen and i.first_seen + shift,
            )
            for i in busy_hours()
        ]
    long_text = " ".join(f"Keldon harbour report {k} said the pier was shut." for k in range(400))
    out.append(replace(out[5], id="long", guid="long", url=None, text=long_text))
    return out


def group(items: list[Item], chunk: int) -> list[list[object]]:
    store = Store()
    try:
        store.insert_items(items)
        assert grouping.group_pending(store, Clusterer(), NOW, chunk=chunk) == len(items)
        return grouping_state(store)
    finally:
        store.close()


def test_a_pass_tokenising_ahead_on_a_worker_groups_as_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = many_hours()
    in_place = group(items, chunk=4)
    monkeypatch.setattr(term_pool, "MIN_ITEMS", 1)
    monkeypatch.setattr(term_pool, "usable_cpus", lambda: 2)  # (whatever this machine has)
    monkeypatch.setattr(term_pool, "TASK", 3)  # tasks smaller than a part, parts of 4
    monkeypatch.setattr(term_pool, "AHEAD", 7)  # the worker runs ahead across parts and runs
    asked: list[int] = []
    real_terms = TermPool.terms
    monkeypatch.setattr(
        TermPool, "terms", lambda self, part: asked.append(len(part)) or real_terms(self, part)
    )
    assert group(items, chunk=4) == in_place
    assert sum(asked) == len(items) and max(asked) == 4  # every part's terms came from the pool
    assert {row[0]: row[2] for row in in_place[0]}["copy-text-1"] == "i00-0"  # copies found
    assert len({row[1] for row in in_place[0]}) > 3


def test_a_pass_no_worker_can_start_for_groups_in_place(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Under a process limit (systemd's TasksMax) the story pass failed with a traceback
    every tick: no worker could start, and nothing was grouped."""
    import aggregator.worker_pool as worker_pool

    items = many_hours()
    in_place = group(items, chunk=4)
    monkeypatch.setattr(term_pool, "MIN_ITEMS", 1)
    monkeypatch.setattr(term_pool, "usable_cpus", lambda: 2)

    def refused(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(worker_pool.subprocess, "Popen", refused)
    assert group(items, chunk=4) == in_place
    assert "no term worker could start (BlockingIOError" in caplog.text


def parts_of(items: list[Item], size: int) -> list[list[str]]:
    ids = [i.id for i in items]
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def read(
    by_id: dict[str, Item],
) -> Callable[[Sequence[str], int], list[tuple[str, str, str, str | None]]]:
    """`Store.item_texts` over items in memory."""
    return lambda ids, chars: [
        (i, by_id[i].title, by_id[i].text[:chars], by_id[i].language) for i in ids
    ]


def in_place_terms(items: list[Item]) -> dict[str, ItemTerms]:
    return {i.id: item_terms(i.title, i.text, TEXT_TOKENS) for i in items}


def test_the_workers_terms_are_the_terms_computed_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = many_hours()
    by_id = {i.id: i for i in items}
    monkeypatch.setattr(term_pool, "TASK", 5)
    pool = TermPool(parts_of(items, 10), read(by_id), TEXT_TOKENS)
    try:
        pool._tasks[0][2].result(timeout=120)  # the worker has answered the first task
        found: dict[str, ItemTerms] = {}
        for part in parts_of(items, 10):
            answer = pool.terms([by_id[i] for i in part])
            assert set(answer) == set(part)
            found.update(answer)
    finally:
        pool.close()
    assert found == in_place_terms(items)
    for item in items:  # the same features, their sets iterated in the same order
        theirs, here = (
            item_features(item, TEXT_TOKENS, found[item.id]),
            item_features(item, TEXT_TOKENS),
        )
        assert theirs == here and list(theirs.names) == list(here.names)
        assert list(theirs.unique) == list(here.unique)
    long = by_id["long"]  # only the start of its text was sent
    assert found["long"] == item_terms(long.title, long.text, TEXT_TOKENS)
    assert found["long"][2] and len(long.text) > 2 * text_read(TEXT_TOKENS)


def test_a_dead_worker_costs_only_time(caplog: pytest.LogCaptureFixture) -> None:
    items = many_hours()
    by_id = {i.id: i for i in items}
    pool = TermPool(parts_of(items, 10), read(by_id), TEXT_TOKENS)
    try:
        executor = pool._pool
        assert executor is not None
        for _ in range(500):  # (until the worker holds a task: sent the moment it starts)
            if any(future.running() for _, _, future in pool._tasks):
                break
            time.sleep(0.01)
        for pid in executor.pids:
            os.kill(pid, signal.SIGKILL)  # killed before it answers (the OOM killer, say)
        found: dict[str, ItemTerms] = {}
        for part in parts_of(items, 10):
            found.update(pool.terms([by_id[i] for i in part]))
    finally:
        pool.close()
    assert "term worker died" in caplog.text  # the tasks it held were tokenised in place
    assert found == in_place_terms(items)


def test_few_items_or_one_core_are_tokenised_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(term_pool, "usable_cpus", lambda: 2)
    assert TermPool.worth_it(term_pool.MIN_ITEMS)
    assert not TermPool.worth_it(term_pool.MIN_ITEMS - 1)
    monkeypatch.setattr(term_pool, "usable_cpus", lambda: 1)
    assert not TermPool.worth_it(10 * term_pool.MIN_ITEMS)


def test_the_store_reads_the_start_of_each_text_in_the_order_asked() -> None:
    items = many_hours()
    items[0] = replace(
        items[0], title="Zürich — «Keldon»", text="Æsop’s café 北京 " * 50, language="ja"
    )
    store = Store()
    try:
        store.insert_items(items)
        ids = ["long", "missing", items[0].id, items[7].id]
        found = store.item_texts(ids, 30)
    finally:
        store.close()
    by_id = {i.id: i for i in items}
    assert found == [
        (i, by_id[i].title, by_id[i].text[:30], by_id[i].language) for i in ids if i != "missing"
    ]


def test_the_workers_shingles_reach_the_near_memo_before_each_part_is_assigned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = many_hours()
    by_id = {i.id: i for i in items}
    runs = [parts_of(items[:30], 10), parts_of(items[30:], 10)]
    monkeypatch.setattr(term_pool, "TASK", 4)
    monkeypatch.setattr(term_pool, "AHEAD", 12)
    near_text.clear_memo()
    computed: list[str] = []
    real = near_text.sorted_hashes
    monkeypatch.setattr(near_text, "sorted_hashes", lambda t: computed.append(t) or real(t))
    pool = TermPool.for_runs(runs, read(by_id), TEXT_TOKENS)
    try:
        for run in runs:
            for part in run:  # counted: terms first ...
                assert set(pool.terms([by_id[i] for i in part])) == set(part)
            for part in run:  # ... then assigned: the part's shingles are in the memo
                for _, _, task in list(pool._tasks):  # (the worker answered what it holds)
                    task.result(timeout=120)
                pool.near([by_id[i] for i in part])
                for i in part:
                    assert near_text._memo[near_text.text_key(by_id[i].text)] == real(by_id[i].text)
                    near_text.near_keys(by_id[i].text)  # answered from the memo
        assert pool._pool is None  # the worker left once the last part was assigned
    finally:
        pool.close()
    assert computed == []  # none hashed on this thread
    # whole texts were hashed, not only the start the terms read
    long = by_id["long"]
    assert near_text._memo[near_text.text_key(long.text)] == real(long.text)


def test_without_the_last_runs_shingles_the_worker_leaves_once_the_last_run_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a grouping pass asks for: its last run's texts are hashed in place as they are
    compared, so the worker is not alive beside the window as it grows to its largest."""
    items = many_hours()
    by_id = {i.id: i for i in items}
    runs = [parts_of(items[:30], 10), parts_of(items[30:], 10)]
    monkeypatch.setattr(term_pool, "TASK", 4)
    near_text.clear_memo()
    pool = TermPool.for_runs(runs, read(by_id), TEXT_TOKENS, last_shingles=False)
    try:
        for part in runs[0]:
            pool.terms([by_id[i] for i in part])
        for part in runs[0]:
            for _, _, task in list(pool._tasks):
                task.result(timeout=120)
            pool.near([by_id[i] for i in part])
        assert all(near_text.text_key(by_id[i].text) in near_text._memo for i in runs[0][0])
        for part in runs[1]:
            assert pool._pool is not None
            found = pool.terms([by_id[i] for i in part])
            assert found == in_place_terms([by_id[i] for i in part])
        assert pool._pool is None  # the worker left once the last run was counted
        for part in runs[1]:
            pool.near([by_id[i] for i in part])  # (nothing: hashed here when compared)
        assert not any(near_text.text_key(by_id[i].text) in near_text._memo for i in runs[1][0])
    finally:
        pool.close()


def test_without_the_last_runs_terms_the_worker_leaves_before_the_last_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pass of several runs: nothing of the last run is sent (the window is at its largest
    there), so the worker leaves once the run before it is assigned, and the last run's terms
    are those worked out in place."""
    items = many_hours()
    by_id = {i.id: i for i in items}
    runs = [parts_of(items[:30], 10), parts_of(items[30:], 10)]
    monkeypatch.setattr(term_pool, "TASK", 4)
    sent: list[str] = []
    reader = read(by_id)

    def read_noted(ids: Sequence[str], chars: int | None) -> list[tuple[str, str, str]]:
        sent.extend(ids)
        return reader(ids, chars)

    pool = TermPool.for_runs(runs, read_noted, TEXT_TOKENS, last_shingles=False, last_terms=False)
    try:
        for part in runs[0]:
            pool.terms([by_id[i] for i in part])
        for part in runs[0]:
            assert pool._pool is not None
            pool.near([by_id[i] for i in part])
        assert pool._pool is None  # the worker left once the first run was assigned
        for part in runs[1]:
            found = pool.terms([by_id[i] for i in part])
            assert found == {}  # (the clusterer tokenises the part itself)
            pool.near([by_id[i] for i in part])
        assert set(sent) == {i for part in runs[0] for i in part}
    finally:
        pool.close()


@pytest.mark.parametrize("big", [True, False])
def test_a_pass_of_several_runs_groups_alike_with_or_without_its_last_runs_terms_ahead(
    big: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = many_hours()
    monkeypatch.setattr(term_pool, "MIN_ITEMS", 1)
    monkeypatch.setattr(term_pool, "usable_cpus", lambda: 2)
    if big:
        monkeypatch.setattr(grouping, "HELPER_ITEMS", len(items) - 1)
    asked: list[tuple[bool, bool]] = []
    real = TermPool.for_runs.__func__  # type: ignore[attr-defined]

    def for_runs(cls: type[TermPool], *args: object, **kwargs: object) -> TermPool:
        asked.append((bool(kwargs["last_terms"]), bool(kwargs["last_shingles"])))
        return real(cls, *args, **kwargs)  # type: ignore[no-any-return]

    ahead = group(items, chunk=7)
    monkeypatch.setattr(TermPool, "for_runs", classmethod(for_runs))
    with_pool = group(items, chunk=7)
    monkeypatch.setattr(term_pool, "MIN_ITEMS", 10**9)
    assert with_pool == group(items, chunk=7) == ahead
    # several runs: a big window's last run is asked nothing ahead, a small one's everything
    assert asked == [(not big, not big)]


def test_a_part_not_asked_for_is_dropped_not_waited_for() -> None:
    items = many_hours()[:20]
    by_id = {i.id: i for i in items}
    runs = [parts_of(items[:10], 5), parts_of(items[10:], 5)]
    pool = TermPool.for_runs(runs, read(by_id), TEXT_TOKENS)
    try:
        for part in runs[0]:
            pool.terms([by_id[i] for i in part])
        # the first run's near parts are never asked for: the next run's terms still come
        found = pool.terms([by_id[i] for i in runs[1][0]])
        assert set(found) == set(runs[1][0])
        assert found == {i: in_place_terms([by_id[i]])[i] for i in runs[1][0]}
    finally:
        pool.close()


def test_the_whole_texts_sent_for_shingles_are_not_kept_while_they_wait() -> None:
    items = many_hours()
    by_id = {i.id: i for i in items}
    runs = [parts_of(items[:30], 10)]
    pool = TermPool.for_runs(runs, read(by_id), TEXT_TOKENS)
    try:
        waiting = {kind: texts for kind, texts, _ in pool._tasks}
        assert waiting[term_pool.NEAR] and waiting[term_pool.TERMS]
        for kind, texts, _ in pool._tasks:  # the worker has them; only their ids wait here
            if kind == term_pool.NEAR:
                assert all(title == text == "" for _, title, text, _ in texts)
            else:  # (the start of the text: tokenised here if the worker has not begun)
                assert any(text for _, _, text, _ in texts)
        for part in runs[0]:
            pool.terms([by_id[i] for i in part])
        for part in runs[0]:
            pool.near([by_id[i] for i in part])
    finally:
        pool.close()


def test_the_worker_hashes_whole_texts_without_filling_the_words_memo() -> None:
    text = " ".join(f"Keldon harbour report {k} said the pier was shut." for k in range(60))
    assert len(text) < tokens._MEMO_MAX_CHARS  # (a text the memo would keep)
    tokens._memo_words.cache_clear()
    answer = term_task.near_in_worker([("a", "Pier shut", text, None)])
    assert tokens._memo_words.cache_info().currsize == 0  # each text is hashed once there
    assert not near_text._memo and near_text.shingles.cache_info().currsize == 0
    assert answer == [(near_text.text_key(text), near_text.sorted_hashes(text))]
    assert len(answer[0][1]) > 0
