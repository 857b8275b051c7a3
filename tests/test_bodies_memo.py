"""The bodies' memo of summary candidates (`bullets`): which entries it evicts first."""

from __future__ import annotations

import pytest

from aggregator import bullets
from aggregator.bullets import body_sentences, clear_memo


def body(n: int) -> str:
    return f"The council approved budget number {n} on Monday evening after a debate."


def held() -> set[int]:
    """Which of the bodies 0-99 the memo holds."""
    keys = bullets.memo_entries()
    return {n for n in range(100) if bullets.memo_key(body(n)) in keys}


@pytest.fixture
def four_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_memo()
    monkeypatch.setattr(bullets, "MEMO_ITEMS", 4)
    monkeypatch.setattr(bullets, "KEPT_SHARE", 0.5)  # (two entries asked for again, at most)
    yield
    clear_memo()


def test_an_entry_asked_for_again_outlives_newer_ones_never_asked_for(four_entries: None) -> None:
    for n in range(4):
        body_sentences(body(n), [])
    body_sentences(body(0), [])  # the oldest, asked for again: its story gained an item
    for n in range(4, 20):
        body_sentences(body(n), [])
    # What goes first are the entries made and never asked for since, oldest first: sixteen
    # new bodies later (plain LRU would have dropped it after four), 0 is still held.
    assert held() == {0, 17, 18, 19}


def test_lending_an_entry_to_a_worker_counts_as_asking_for_it(four_entries: None) -> None:
    for n in range(4):
        body_sentences(body(n), [])
    lent = bullets.packed_entries([body(1)], 45, 6)
    assert list(lent) == [bullets.memo_key(body(1))]
    for n in range(4, 10):
        body_sentences(body(n), [])
    assert 1 in held()


def test_the_entries_asked_for_again_keep_to_their_share(four_entries: None) -> None:
    for n in range(4):
        body_sentences(body(n), [])
    for n in (0, 1, 2):  # three asked again: only two stay among those kept
        body_sentences(body(n), [])
    assert len(bullets._kept) == 2 and len(bullets._memo) == 2
    # The least recently asked of them (0) went back with the newly made, and goes first.
    for n in range(4, 6):
        body_sentences(body(n), [])
    assert held() == {1, 2, 4, 5}


def test_the_byte_bound_counts_both_kinds_of_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_memo()
    body_sentences(body(0), [])
    one = bullets._memo_size
    monkeypatch.setattr(bullets, "MEMO_BYTES", 3 * one + one // 2)
    monkeypatch.setattr(bullets, "KEPT_SHARE", 0.5)
    for n in range(12):
        body_sentences(body(n), [])
        body_sentences(body(n), [])  # (each asked for again at once)
    entries = bullets.memo_entries()
    assert len(entries) == 3
    assert bullets._memo_size == sum(map(len, entries.values())) <= 3.5 * one
    assert bullets._kept_size == sum(map(len, bullets._kept.values())) <= 1.75 * one
    # What the memo gives back is what the body yields worked out again.
    remembered = body_sentences(body(11), ["Council approves budget number 11"])
    clear_memo()
    assert body_sentences(body(11), ["Council approves budget number 11"]) == remembered
