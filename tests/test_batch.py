"""`aggregator cluster INPUT.jsonl`: the poller's grouping over a file, one answer per item."""

from __future__ import annotations

import fcntl
import io
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregator.batch import group_rows, read_rows
from aggregator.cli import main
from aggregator.cluster import ClusterSettings
from aggregator.lock import lock_path, writer_lock
from aggregator.store import Store

QUAKE = (
    "A magnitude 7.4 earthquake struck off the coast of Norvale near the port of Ikaru on "
    "Monday, and the Norvale disaster agency ordered a tsunami evacuation of the coast."
)
ROWS = [
    {"id": "q1", "title": "Strong earthquake strikes off Norvale, tsunami evacuation ordered",
     "text": QUAKE, "url": "https://one.example/a", "publisher": "One",
     "published": "2024-05-02T10:00:00Z", "category": "World"},
    {"id": "x1", "title": "Village bakery in Oldmere wins national rye bread prize",
     "text": "A family bakery in Oldmere won the national prize for its rye bread on Monday.",
     "url": "https://two.example/b", "publisher": "Two", "published": "2024-05-02T10:30:00Z"},
    {"id": "q2", "title": "Norvale earthquake: magnitude 7.4 quake near Ikaru, coast evacuated",
     "text": QUAKE.replace("Monday", "Monday morning"), "url": "https://three.example/c",
     "publisher": "Three", "published": "2024-05-02T11:00:00+00:00"},
]  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, str]], str]:
    code = main(["cluster", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_cluster_prints_each_items_story_in_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert [r["id"] for r in out] == ["q1", "x1", "q2"]
    stories = {r["id"]: r["story"] for r in out}
    assert stories["q1"] == stories["q2"] == "q1" and stories["x1"] == "x1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.jsonl"]  # no database left


def test_cluster_reads_its_items_from_stdin_given_a_dash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `summarize -` does: it had said "cannot read: No such file or directory"."""
    lines = "\n".join(json.dumps(r) for r in ROWS) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    code, out, _ = run(capsys, "-")
    assert code == 0
    assert [(r["id"], r["story"]) for r in out] == [("q1", "q1"), ("x1", "x1"), ("q2", "q1")]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(ROWS[0]) + "\nnot json\n"))
    code, out, err = run(capsys, "-")
    assert (code, out) == (2, []) and err.startswith("aggregator: cannot cluster: -:2: not JSON")


def test_cluster_keeps_a_database_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    code, out, _ = run(capsys, str(path), "--db", str(tmp_path / "kept.db"))
    assert code == 0 and len(out) == 3
    assert (tmp_path / "kept.db").exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "items.jsonl:2: not JSON"),
        (json.dumps({"title": "no id"}), "items.jsonl:2: `id` is missing"),
        (json.dumps({"id": "q1", "title": "again"}), "items.jsonl:2: duplicate id"),
        (json.dumps({"id": "z", "title": "t", "published": "yesterday"}), "not ISO-8601"),
        (json.dumps({"id": "z"}), "needs a `title` or a `text`"),
        (json.dumps({"id": "z", "title": "t", "language": "日本語"}), "is no language tag"),
        (json.dumps({"id": "z", "title": "t", "language": 7}), "`language` must be a string"),
        ('{"id": "z\\ud800", "title": "t"}', "items.jsonl:2: `id` holds an unpaired surrogate"),
        # (arrays in arrays, thousands deep: had been a traceback)
        ('{"id": "z", "title": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ],
)
def test_a_bad_line_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + line + "\n", encoding="utf-8")
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == []
    assert message in err
    assert err.startswith("aggregator: cannot cluster: ") and "configuration error" not in err


def test_a_declared_japanese_joins_two_kanji_only_headlines_of_one_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without kana, 首都 and 一部 are cut at 都 and 一 as Chinese; told "ja", they are words."""
    headlines = [("a", "都心一時停電 首都機能被害"), ("b", "首都機能一部停止 都心停電")]
    for language, together in (("ja-jp", True), ("", False), ("zh", False)):
        rows = [
            {"id": i, "title": t, "publisher": i, "published": f"2024-05-02T10:0{k}:00Z"}
            | ({"language": language} if language else {})
            for k, (i, t) in enumerate(headlines)
        ]
        path = tmp_path / "items.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
        code, out, _ = run(capsys, str(path))
        assert code == 0
        assert (out[0]["story"] == out[1]["story"]) is together, language


def test_rows_made_without_a_language_group_as_undeclared() -> None:
    """Benches build `group_rows`' rows by hand, without the `language` field `read_rows` adds."""
    when = datetime(2024, 5, 2, 10, tzinfo=UTC)
    rows = [
        ({"id": i, "title": t, "text": "", "url": "", "publisher": i, "category": ""}, when)
        for i, t in (("a", "都心一時停電 首都機能被害"), ("b", "首都機能一部停止 都心停電"))
    ]
    store = Store(":memory:")
    try:
        story = group_rows(rows, store, ClusterSettings())
    finally:
        store.close()
    assert story["a"] != story["b"]  # (cut as Chinese: no kana, nothing declared)


def test_an_input_that_cannot_be_read_is_said_as_that(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing input file had printed "configuration error: …"; settings are still that."""
    missing = tmp_path / "missing.jsonl"
    code, out, err = run(capsys, str(missing))
    assert (code, out) == (2, [])
    assert err == f"aggregator: cannot cluster: {missing}: cannot read: No such file or directory\n"
    (tmp_path / "latin1.jsonl").write_bytes(b'{"id": "a", "title": "caf\xe9"}\n')
    code, _, err = run(capsys, str(tmp_path / "latin1.jsonl"))
    assert code == 2 and err.endswith("latin1.jsonl: not UTF-8 text\n")
    settings = tmp_path / "bad.toml"
    settings.write_text("[cluster\n", encoding="utf-8")
    code, _, err = run(capsys, str(missing), "--config", str(settings))
    assert code == 2 and err.startswith("aggregator: configuration error: ")


def test_unpaired_surrogates_in_text_are_replaced_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON can escape half a surrogate pair ("\\ud800"), which no database or file can hold:
    the item is grouped with U+FFFD in its place; an escaped pair is its character."""
    rows = [dict(ROWS[0]), dict(ROWS[2])]
    rows[1]["title"] += " \ud83c\udf0a \ud800"
    rows[1]["text"] = "\udfff" + rows[1]["text"]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code, out, _ = run(capsys, str(path), "--db", str(tmp_path / "kept.db"))
    assert code == 0
    assert {r["id"]: r["story"] for r in out} == {"q1": "q1", "q2": "q1"}
    with sqlite3.connect(tmp_path / "kept.db") as db:
        (title,) = db.execute("select title from items where id = 'q2'").fetchone()
    assert title.endswith(" \N{WATER WAVE} \N{REPLACEMENT CHARACTER}")


def test_published_dates_are_read_as_the_poller_reads_a_feeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A placeholder date (0001-01-01) had crashed the grouping with an OverflowError: a date
    before 1970 is no date, as in a feed, and one in the future is now."""
    rows = [dict(ROWS[0], published="0001-01-01T00:00:00+05:00"), dict(ROWS[1])]
    rows += [dict(ROWS[2], published="9999-12-31T23:59:59-05:00")]
    rows += [dict(ROWS[0], id="q3", published="0001-01-01T00:00:00Z")]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code, out, err = run(capsys, str(path), "--db", str(tmp_path / "kept.db"))
    assert code == 0, err
    assert [r["id"] for r in out] == ["q1", "x1", "q2", "q3"]
    with sqlite3.connect(tmp_path / "kept.db") as db:
        published = dict(db.execute("select id, published from items").fetchall())
    # no date: the latest date given (x1's; q2's is clamped to the clock, later still)
    assert published["x1"] == "2024-05-02T10:30:00+00:00"
    assert published["q2"] > "2026"
    assert published["q1"] == published["q3"] == published["q2"]


NOTICE = (
    "Since 2009 the Keldon archive has donated its crawl data to the public library. Flowing in "
    "every day, these data are added to the collection after an embargo period, and the crawl "
    "seeds of each month are listed on the collection page for readers who ask for them."
)


def test_a_notice_in_feeds_without_headlines_is_no_wire_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Entries without a title get one cut from their text, which agrees with every copy of
    it: four outlets' identical notices are neither one article (dedupe) nor one story beyond
    the first two copies (the clusterer counts them), while a wire copy under its headline is
    still one article."""
    rows = [
        {"id": f"n{k}", "title": "", "text": NOTICE, "url": f"https://o{k}.example/{k}",
         "publisher": f"O{k}", "published": f"2024-05-02T1{k}:00:00Z"}
        for k in range(4)
    ] + [
        {**ROWS[0], "id": "w1"},
        {**ROWS[0], "id": "w2", "url": "https://four.example/d", "publisher": "Four",
         "published": "2024-05-02T10:20:00Z"},
    ]  # fmt: skip
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code, out, _ = run(capsys, str(path))
    stories = {r["id"]: r["story"] for r in out}
    assert code == 0
    assert stories["n2"] == "n2" and stories["n3"] == "n3"
    assert stories["w2"] == stories["w1"] == "w1"


def test_cluster_with_a_database_holds_its_writer_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import aggregator.batch as batch

    db = tmp_path / "kept.db"
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    grouped = batch.cluster_file
    seen: list[str] = []

    def cluster_file(*args: object, **kwargs: object) -> object:
        handle = os.open(lock_path(db), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append(json.loads(os.read(handle, 4096))["command"])
        finally:
            os.close(handle)
        return grouped(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "cluster_file", cluster_file)
    code, out, _ = run(capsys, str(path), "--db", str(db))
    assert code == 0 and len(out) == 3
    assert seen == ["cluster"]
    with writer_lock(db, "poll --once", wait=0):  # let go when done
        pass


def test_cluster_stops_at_once_while_the_service_writes_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "agg.db"
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    with writer_lock(db, "run"):
        code, out, err = run(capsys, str(path), "--db", str(db))
    assert code == 1 and out == []
    assert "`aggregator run`" in err and "already running on this database" in err
    assert not db.exists()  # nothing was written


@pytest.mark.parametrize(
    "published", ["1970-01-01T00:00:00Z", "1969-12-31T19:00:00-05:00", "1970-01-01T08:00:00"]
)
def test_a_date_on_the_unix_epochs_day_is_no_date_as_in_a_feed(published: str) -> None:
    """A CMS's zero timestamp is no date in a feed (`parse._date`); it had been kept here."""
    [(_, when)] = read_rows([json.dumps(dict(ROWS[0], published=published))])
    assert when is None
    [(_, kept)] = read_rows([json.dumps(dict(ROWS[0], published="1970-01-02T10:00:00Z"))])
    assert kept == datetime(1970, 1, 2, 10, tzinfo=UTC)
