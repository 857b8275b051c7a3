"""Full-text search over published stories: SQLite's FTS5, kept by triggers on `summaries`.

The index holds, per summary, its headline and the text of its bullets and of its sources'
titles, folded as `unicode61` folds (case and diacritics: "Zürich" is found by "zurich"). It is
contentless (`content=''`) and keeps which stories hold a term, not where (`detail=none`):
about 2% of a store's size, where a copy of the text with positions took 18%.

Each version of a summary is a new document of the index, numbered by `story_search_rows`
(AUTOINCREMENT: a number is never given twice, and VACUUM keeps it), which maps each
story to its current one. A search joins through that map, so a story's former versions and
pruned stories are never found. They are left in the index rather than deleted, because a
contentless index deletes a document only when handed its exact text again, which cost five
times an insertion (274 µs against 50 on the soak's summaries). `tidy` makes the index anew
from the summaries once such stale documents outnumber the current ones.

The triggers on `summaries` only give a saved summary its new number (and drop a deleted
one's); `index_pending` then indexes every number given since it last ran, a statement a
batch of 2,000 (`_index`), at the end of each pass of the story job. One statement per story
was four times dearer: FTS5 writes its pending terms out as a new segment whenever a
statement opens a savepoint, as a statement with triggers does, so each story became a
segment of its own to merge.

`search_query` (pure) makes a user's words into an FTS5 query; this module takes a
connection. Without FTS5 in the SQLite at hand the migration creates nothing, and search is
not offered.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from .arabic_script import bare_arabic, has_arabic
from .cjk_script import cjk_pairs, has_cjk

__all__ = [
    "INDEX",
    "ROWS",
    "create",
    "has_cjk_documents",
    "index_pending",
    "is_index_table",
    "is_shadow",
    "rebuild",
    "searchable",
    "tidy",
]

INDEX = "story_search"
ROWS = "story_search_rows"
_BASE = "search_base"  # meta: numbers given before the current documents (`_stale`)
_INDEXED = "search_indexed"  # meta: the last number indexed (`index_pending`)

# A summary's indexed text from its row (`new` in a trigger, `s` in a backfill).
_BODY = (
    "COALESCE((SELECT group_concat(json_extract(value, '$.text'), ' ') "
    "FROM json_each({row}.bullets)), '') || ' ' || "
    "COALESCE((SELECT group_concat(json_extract(value, '$.title'), ' ') "
    "FROM json_each({row}.sources)), '')"
)
# A story's current version: a new number in the map (`index_pending` indexes it).
_RENUMBER = (
    f"DELETE FROM {ROWS} WHERE story_id = new.story_id; "
    f"INSERT INTO {ROWS}(story_id) VALUES (new.story_id);"
)
_SCHEMA = (
    f"CREATE TABLE {ROWS} (row INTEGER PRIMARY KEY AUTOINCREMENT, story_id TEXT NOT NULL UNIQUE)",
    f"CREATE VIRTUAL TABLE {INDEX} USING fts5(headline, body, content='', detail=none, "
    "tokenize = 'unicode61 remove_diacritics 2')",
)
_TRIGGERS = (
    f"CREATE TRIGGER summaries_search_insert AFTER INSERT ON summaries BEGIN {_RENUMBER} END",
    "CREATE TRIGGER summaries_search_update AFTER UPDATE OF headline, bullets, sources "
    "ON summaries WHEN old.headline IS NOT new.headline OR old.bullets IS NOT new.bullets "
    f"OR old.sources IS NOT new.sources BEGIN {_RENUMBER} END",
    "CREATE TRIGGER summaries_search_delete AFTER DELETE ON summaries BEGIN "
    f"DELETE FROM {ROWS} WHERE story_id = old.story_id; END",
)
_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")

Execute = Callable[..., Any]


def searchable(execute: Execute) -> bool:
    """Whether the database has the search index (its SQLite had FTS5 when it was made)."""
    found = execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [INDEX]
    ).fetchone()
    return found is not None


def create(execute: Execute) -> bool:
    """The index, its map and the triggers that keep them, filled from the stored summaries;
    False (nothing made) when this SQLite has no FTS5."""
    try:
        execute(_SCHEMA[1])
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        return False
    execute(_SCHEMA[0])
    for trigger in _TRIGGERS:
        execute(trigger)
    _fill(execute)
    return True


def _fill(execute: Execute) -> None:
    """Every summary as a document, after the numbers given so far; the count of those
    kept in meta, so stale documents can be told (`_stale`)."""
    execute(f"DELETE FROM {ROWS}")
    execute(f"INSERT INTO {ROWS}(story_id) SELECT story_id FROM summaries ORDER BY story_id")
    _index(execute, 0)
    given = _given(execute)
    (live,) = execute(f"SELECT COUNT(*) FROM {ROWS}").fetchone()
    _set(execute, _BASE, given - live)
    _set(execute, _INDEXED, given)


_BATCH = 2000  # documents handed to the index in one statement


def _index(execute: Execute, after: int) -> None:
    """The current summaries numbered after `after`, as documents: Chinese and Japanese
    written as pairs of characters (`cjk_pairs`), so a word inside a sentence is found
    ("北京" in "北京举办…": the tokenizer reads an unspaced run as one word, and only a search
    for its start had found it), and Arabic words without the article written onto them
    (`bare_arabic`: "الزلزال" and "للزلزال" are found by "زلزال", and by each other). A
    statement a batch (one a story was four times dearer: module docstring)."""
    rows = execute(
        f"SELECT r.row, s.headline, {_BODY.format(row='s')} FROM {ROWS} r "
        "JOIN summaries s ON s.story_id = r.story_id WHERE r.row > ? ORDER BY r.row",
        [after],
    )
    while batch := rows.fetchmany(_BATCH):
        documents = [(row, _searchable(head), _searchable(body)) for row, head, body in batch]
        execute(
            f"INSERT INTO {INDEX}(rowid, headline, body) SELECT json_extract(value, '$[0]'), "
            "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)",
            [json.dumps(documents, ensure_ascii=False)],
        )


def _searchable(text: str | None) -> str:
    """A document's text as the index holds it: Chinese and Japanese as pairs of characters
    (`cjk_pairs`), Arabic words without their article (`bare_arabic`)."""
    return cjk_pairs(bare_arabic(text or ""))


def _set(execute: Execute, key: str, value: int) -> None:
    execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, str(value)],
    )


def _meta(execute: Execute, key: str) -> int:
    row = execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return int(row[0]) if row else 0


def index_pending(execute: Execute) -> int:
    """Index the summaries saved since the last call (numbered after the last one indexed);
    how many numbers were given since (0: nothing to do, one read)."""
    given = _given(execute)
    done = _meta(execute, _INDEXED)
    if given <= done:
        return 0
    _index(execute, done)
    _set(execute, _INDEXED, given)
    return given - done


def _given(execute: Execute) -> int:
    """How many document numbers the map has given (AUTOINCREMENT's counter)."""
    row = execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [ROWS]).fetchone()
    return int(row[0]) if row else 0


def _stale(execute: Execute) -> tuple[int, int]:
    """The index's stale documents (former versions, pruned stories) and current ones."""
    (live,) = execute(f"SELECT COUNT(*) FROM {ROWS}").fetchone()
    return _given(execute) - _meta(execute, _BASE) - live, live


def rebuild(execute: Execute) -> None:
    """The index made anew from the summaries: stale documents gone (`tidy`), or a
    recovered copy's, whose index was not copied (one read past damage could not be
    trusted)."""
    if not searchable(execute):
        return
    execute(f"INSERT INTO {INDEX}({INDEX}) VALUES ('delete-all')")
    _fill(execute)


def has_cjk_documents(execute: Execute) -> bool:
    """Whether any summary's headline holds Chinese or Japanese (its index then wants making
    anew when it was made before `cjk_pairs`)."""
    return any(has_cjk(head or "") for (head,) in execute("SELECT headline FROM summaries"))


def has_arabic_documents(execute: Execute) -> bool:
    """Whether any summary's headline, bullets or sources' titles hold Arabic script (its
    index then wants making anew when it was made before `bare_arabic`): an English story's
    Arabic source is indexed under its title too, and had stayed unfindable."""
    rows = execute("SELECT headline, bullets, sources FROM summaries")
    return any(has_arabic(f"{h or ''} {b or ''} {s or ''}") for h, b, s in rows)


def tidy(execute: Execute, least: int = 5000) -> int:
    """Make the index anew when its stale documents are at least `least` and outnumber the
    current ones (its size then at most doubles between two); how many went (0: none)."""
    if not searchable(execute):
        return 0
    stale, live = _stale(execute)
    if stale < max(least, live):
        return 0
    rebuild(execute)
    return stale


def is_shadow(name: str) -> bool:
    """Whether `name` is one of the tables FTS5 makes behind the index (made with it)."""
    return any(name == INDEX + s for s in _SHADOWS)


def is_index_table(name: str) -> bool:
    """Whether `name` is the index, its map or one of FTS5's own tables behind it."""
    return name in (INDEX, ROWS) or is_shadow(name)
