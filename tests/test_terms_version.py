"""Stored grouping features made by another version of the code are made again before a
window is rebuilt from them (`grouping.reterm_window`), and the version is pinned to what
`item_features` makes of a text."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aggregator.cluster import Clusterer
from aggregator.features import TERMS_VERSION, encode, item_features
from aggregator.grouping import group_pending, reterm_window
from aggregator.models import Item
from aggregator.store import Store
from aggregator.store_grouping import GROUPING_TERMS_VERSION

T0 = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)
TOKENS = 60

# Invented texts touching each rule that makes terms: names inside sentences and at their
# start, Title Case, accents, -ed/-ing forms, numbers, another language, a script without
# spaces, a live page.
TEXTS = [
    ("Sanders says Trump joked about 'taking one for the team'",
     "The president joked to the former press secretary Sarah Sanders about her \"taking one "
     "for the team\" after a wink at a summit in Singapore in 2018."),
    ("Beyoncé Designates Café Owners As Partners",
     "Beyoncé designated three café owners in São Paulo as partners; the designating firm "
     "said 12 more would follow by 2026."),
    ("El Gobierno de España aprueba la reforma",
     "El Consejo de Ministros aprobó el martes la reforma de las pensiones, según La Moncloa."),
    ("東京で地震、震度5弱", "東京都と神奈川県で震度5弱の地震がありました。気象庁が発表しました。"),
    ("Live: Coronavirus updates from around the world",
     "Follow our live coverage: cases rise in Europe; Ligue 1 postpones matches; Covid-19 "
     "vaccine trials begin in Oxford."),
]  # fmt: skip
PINNED = {
    "1": "cdcc96bb8bd15a34",
    "2": "92509bdf3b07154c",
    "3": "1a59ed9fead21155",
    "4": "1a59ed9fead21155",  # (-oes, -uses and -es for -is plurals: none in TEXTS)
    "5": "1a59ed9fead21155",  # (a declared language read: none of TEXTS declares one)
}  # TERMS_VERSION → TEXTS' digest


def _item(n: int, title: str, text: str, minutes: int = 0) -> Item:
    return Item(
        id=f"i{n}",
        title=title,
        text=text,
        url=f"https://o{n}.example/{n}",
        feed_url=f"https://o{n}.example/feed",
        guid=f"https://o{n}.example/{n}",
        outlet=f"o{n}.example",
        published=T0 + timedelta(minutes=minutes),
        first_seen=T0 + timedelta(minutes=minutes),
    )


def test_the_terms_version_changes_with_what_items_are_made_into() -> None:
    """A change to tokenising, names or flags changes this digest: then change
    `features.TERMS_VERSION` too (stored features of the old version are made again after
    an upgrade) and pin the new digest under it."""
    items = [_item(n, title, text) for n, (title, text) in enumerate(TEXTS)]
    made = "\n".join(encode(item_features(item, TOKENS)) for item in items)
    digest = hashlib.sha256(made.encode()).hexdigest()[:16]
    assert PINNED.get(TERMS_VERSION) == digest, (
        f"what item_features makes changed ({digest}): set features.TERMS_VERSION to a new "
        "value and pin this digest under it"
    )


def _stored(store: Store, item_id: str) -> str:
    row = store.db.execute("SELECT terms FROM item_terms WHERE item_id = ?", [item_id])
    return row.fetchone()[0]


def test_features_stored_by_another_version_are_made_again_from_the_text_they_came_from() -> None:
    store = Store(":memory:")
    try:
        items = [_item(n, title, text, n) for n, (title, text) in enumerate(TEXTS)]
        store.insert_items(items)
        group_pending(store, Clusterer(), T0)
        article = "The full report: " + TEXTS[0][1] + " Her book comes out next week."
        store.save_articles([("i0", "https://o0.example/0", "ok", None, article)], T0)
        store.regrouped("i0", None)  # grouping read its article's text
        store.save_articles([("i1", "https://o1.example/1", "ok", None, "Not read yet.")], T0)
        stale = "jok tak\t\t\t0"  # what an older tokeniser stored
        store.db.execute("UPDATE item_terms SET terms = ?", [stale])
        store.db.execute("UPDATE items SET first_seen = ? WHERE id = 'i4'", ["2020-01-01T00:00:00"])
        store.db.execute("DELETE FROM meta WHERE key = ?", [GROUPING_TERMS_VERSION])

        since = T0 - timedelta(days=3)
        assert reterm_window(store, TOKENS, since) == 4  # i4 is outside the window
        read = replace(items[0], text=article)
        assert _stored(store, "i0") == encode(item_features(read, TOKENS))
        assert _stored(store, "i1") == encode(item_features(items[1], TOKENS))  # its feed's text
        assert _stored(store, "i4") == stale
        assert store.grouping_terms_version() == f"{TERMS_VERSION} text_tokens={TOKENS}"
        assert reterm_window(store, TOKENS, since) is None  # this version's already
        # another `text_tokens` setting makes other features: all made again
        assert reterm_window(store, TOKENS // 2, since) == 4
        assert _stored(store, "i1") == encode(item_features(items[1], TOKENS // 2))
    finally:
        store.close()


def test_a_window_stored_with_version_1_stems_gets_this_versions_terms() -> None:
    """Version 1 stemmed an -es plural after a sibilant to its e ("crashes" → "crashe"):
    a database it stamped is made again, so its item meets a new report of the "crash"."""
    store = Store(":memory:")
    try:
        item = _item(0, "Two crashes close the ring road", "Two crashes closed the ring road.")
        store.insert_items([item])
        group_pending(store, Clusterer(), T0)
        store.db.execute("UPDATE item_terms SET terms = ?", ["crashe close ring road\t\t\t0"])
        store.set_meta(GROUPING_TERMS_VERSION, f"1 text_tokens={TOKENS}")

        assert reterm_window(store, TOKENS, T0 - timedelta(days=1)) == 1
        stored = _stored(store, "i0").split("\t")[0].split()
        assert "crash" in stored
        assert "crashe" not in stored
    finally:
        store.close()


def test_a_window_stored_with_version_3_stems_gets_this_versions_terms() -> None:
    """Version 3 kept an -uses plural's e ("viruses" → "viruse"): a database it stamped is made
    again, so its item meets a new report of the "virus"."""
    store = Store(":memory:")
    try:
        item = _item(0, "Two viruses close the clinic", "Two viruses closed the clinic.")
        store.insert_items([item])
        group_pending(store, Clusterer(), T0)
        store.db.execute("UPDATE item_terms SET terms = ?", ["viruse close clinic\t\t\t0"])
        store.set_meta(GROUPING_TERMS_VERSION, f"3 text_tokens={TOKENS}")

        assert reterm_window(store, TOKENS, T0 - timedelta(days=1)) == 1
        stored = _stored(store, "i0").split("\t")[0].split()
        assert "virus" in stored
        assert "viruse" not in stored
    finally:
        store.close()


def test_a_window_stored_with_version_4_reads_a_feeds_declared_japanese() -> None:
    """Version 4 cut a kanji-only headline as Chinese whatever its feed declared (首都 lost to
    都): a database it stamped is made again, its items' declared language read."""
    store = Store(":memory:")
    try:
        item = replace(_item(0, "首都機能一部停止", ""), language="ja")
        store.insert_items([item])
        group_pending(store, Clusterer(), T0)
        store.db.execute("UPDATE item_terms SET terms = ?", ["機能 部停 停止\t\t\t0"])
        store.set_meta(GROUPING_TERMS_VERSION, f"4 text_tokens={TOKENS}")

        assert reterm_window(store, TOKENS, T0 - timedelta(days=1)) == 1
        stored = _stored(store, "i0").split("\t")[0].split()
        assert {"首都", "一部", "機能"} <= set(stored)
    finally:
        store.close()
