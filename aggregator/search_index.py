"""Full-text search over published stories: SQLite's FTS5, kept by triggers on `summaries`.

The index holds, per summary, its headline and the text of its bullets and of its sources'
titles, folded as `unicode61` folds (case and diacritics: "Zürich" is found by "zurich"). It is
contentless (`content=''`) and keeps which stories hold a term, not where (`detail=none`):
about 2% of a store's size, where a copy of the text with positions took 18%. A story's row
in it is numbered by `story_search_rows` (an INTEGER PRIMARY KEY, which VACUUM keeps), and
the triggers give a contentless table's deletions the exact text it indexed, from the old row.

`match_expression` (pure) makes a user's words into an FTS5 query; the rest takes a
connection. Without FTS5 in the SQLite at hand the migration creates nothing, and search is
not offered.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Callable
from typing import Any

__all__ = [
    "INDEX",
    "ROWS",
    "create",
    "is_index_table",
    "match_expression",
    "rebuild",
    "searchable",
]

INDEX = "story_search"
ROWS = "story_search_rows"
MAX_TERMS = 10  # words of a query that count; the rest are left out
MAX_TERM = 64  # characters of one word

# A summary's indexed text from its row (`new` or `old` in a trigger, `s` in a backfill).
_BODY = (
    "COALESCE((SELECT group_concat(json_extract(value, '$.text'), ' ') "
    "FROM json_each({row}.bullets)), '') || ' ' || "
    "COALESCE((SELECT group_concat(json_extract(value, '$.title'), ' ') "
    "FROM json_each({row}.sources)), '')"
)
_ADD = (
    f"INSERT INTO {INDEX}(rowid, headline, body) "
    f"SELECT row, {{row}}.headline, {_BODY} FROM {ROWS} WHERE story_id = {{row}}.story_id;"
)
_DROP = (
    f"INSERT INTO {INDEX}({INDEX}, rowid, headline, body) "
    f"SELECT 'delete', row, {{row}}.headline, {_BODY} FROM {ROWS} "
    "WHERE story_id = {row}.story_id;"
)
_SCHEMA = (
    f"CREATE TABLE {ROWS} (row INTEGER PRIMARY KEY, story_id TEXT NOT NULL UNIQUE)",
    f"CREATE VIRTUAL TABLE {INDEX} USING fts5(headline, body, content='', detail=none, "
    "tokenize = 'unicode61 remove_diacritics 2')",
)
_TRIGGERS = (
    "CREATE TRIGGER summaries_search_insert AFTER INSERT ON summaries BEGIN "
    f"INSERT OR IGNORE INTO {ROWS}(story_id) VALUES (new.story_id); "
    + _ADD.format(row="new")
    + " END",
    "CREATE TRIGGER summaries_search_update AFTER UPDATE OF headline, bullets, sources "
    "ON summaries BEGIN " + _DROP.format(row="old") + " " + _ADD.format(row="new") + " END",
    "CREATE TRIGGER summaries_search_delete AFTER DELETE ON summaries BEGIN "
    + _DROP.format(row="old")
    + f" DELETE FROM {ROWS} WHERE story_id = old.story_id; END",
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
    """The index, its row numbers and the triggers that keep them, filled from the stored
    summaries; False (nothing made) when this SQLite has no FTS5."""
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
    execute(f"INSERT OR IGNORE INTO {ROWS}(story_id) SELECT story_id FROM summaries")
    execute(
        f"INSERT INTO {INDEX}(rowid, headline, body) SELECT r.row, s.headline, "
        f"{_BODY.format(row='s')} FROM summaries s JOIN {ROWS} r ON r.story_id = s.story_id"
    )


def rebuild(execute: Execute) -> None:
    """The index made anew from the summaries (a recovered copy's: its rows were not
    copied, as an index read past damage could not be trusted)."""
    if not searchable(execute):
        return
    execute(f"INSERT INTO {INDEX}({INDEX}) VALUES ('delete-all')")
    execute(f"DELETE FROM {ROWS}")
    _fill(execute)


def is_index_table(name: str) -> bool:
    """Whether `name` is the index, its row numbers or one of FTS5's own tables behind it."""
    return name in (INDEX, ROWS) or any(name == INDEX + s for s in _SHADOWS)


def _words(query: str) -> list[str]:
    """The words of `query` as the index's tokenizer (`unicode61`) splits text: runs of
    letters, digits and private-use characters (categories L*, N*, Co); all else separates,
    marks too. Folding case and diacritics is left to the tokenizer, which reads the quoted
    words as it read the stories."""
    words, word = [], []
    for char in query:
        kind = unicodedata.category(char)
        if kind[0] in "LN" or kind == "Co":
            word.append(char)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return words


def match_expression(query: str) -> str | None:
    """A user's query as an FTS5 expression: each word must be in the story, a word of three
    letters or more as the start of one ("vaccin" finds "vaccination"); at most `MAX_TERMS`
    words. None when the query has no word. Nothing of FTS5's own syntax is passed on: every
    word is quoted (and is one token, so no phrase, which `detail=none` cannot answer)."""
    terms = []
    for word in dict.fromkeys(w[:MAX_TERM] for w in _words(query)):  # (each once, in order)
        terms.append(f'"{word}"*' if len(word) >= 3 else f'"{word}"')
        if len(terms) == MAX_TERMS:
            break
    return " AND ".join(terms) if terms else None
