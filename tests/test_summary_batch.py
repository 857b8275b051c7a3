"""The batch command: `aggregator summarize INPUT.jsonl [--max-words W]`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from aggregator.summarize import ExtractiveSummarizer, SummarySettings
from aggregator.summary_batch import parse_story, run_batch

DAM = {
    "id": "dam",
    "items": [
        {
            "title": "Tisza dam breaks after storm",
            "text": (
                "The Tisza dam broke on Monday night after days of heavy rain, flooding villages. "
                "Rescue teams evacuated more than 2,000 residents from the valley overnight. "
                "The regional governor declared a state of emergency and asked for army help."
            ),
            "publisher": "Daily Planet",
            "url": "https://dailyplanet.example/dam",
            "published": "2024-05-01T10:00:00Z",
        },
        {
            "title": "Hungary declares emergency after dam failure",
            "text": (
                "Hungary declared a state of emergency after the Tisza dam failed on Monday. "
                "Engineers said the dam had not been inspected since its renovation in 2009."
            ),
            "publisher": "Globe Wire",
            "url": "https://globewire.example/dam",
            "published": 1714557600,
        },
        {
            "title": "Dam copy",
            "text": "The Tisza dam broke on Monday.",
            "publisher": "daily planet",
        },
    ],
}


def test_output_cites_input_item_indexes_and_counts_publishers() -> None:
    out, err = io.StringIO(), io.StringIO()
    result = run_batch([json.dumps(DAM)], out, err, ExtractiveSummarizer())
    assert (result.written, result.failed) == (1, 0)
    record = json.loads(out.getvalue())
    assert set(record) == {"id", "headline", "bullets", "sources"}
    assert record["id"] == "dam"
    assert record["sources"] == 2  # "Daily Planet" and "daily planet" are one publisher
    assert record["bullets"]
    for bullet in record["bullets"]:
        assert bullet["sources"] and all(0 <= i < 3 for i in bullet["sources"])
        item_texts = [DAM["items"][i]["text"] for i in bullet["sources"]]  # type: ignore[index]
        assert any(bullet["text"].rstrip(".") in t for t in item_texts)


def test_max_words_caps_the_bullets() -> None:
    out = io.StringIO()
    run_batch(
        [json.dumps(DAM)], out, io.StringIO(), ExtractiveSummarizer(SummarySettings(max_words=20))
    )
    words = sum(len(b["text"].split()) for b in json.loads(out.getvalue())["bullets"])
    assert 0 < words <= 20


def test_bad_lines_are_reported_with_their_number_and_the_rest_still_run() -> None:
    lines = [
        "{not json",
        json.dumps({"id": "x", "items": []}),
        json.dumps({"id": "y", "items": [{"title": 5}]}),
        json.dumps({"id": "z", "items": [{"title": "A", "published": "not a date"}]}),
        json.dumps({"id": "w", "items": [{"title": "A", "published": 1e20}]}),  # (no year)
        '{"id": "d", "items": ' + "[" * 100_000 + "]" * 100_000 + "}",  # (had been a traceback)
        "",
        json.dumps(DAM),
    ]
    out, err = io.StringIO(), io.StringIO()
    result = run_batch(lines, out, err, ExtractiveSummarizer())
    assert (result.written, result.failed) == (1, 6)
    messages = err.getvalue().splitlines()
    assert [m.split(":")[0] for m in messages] == [f"line {n}" for n in range(1, 7)]
    assert "unreadable 'published' time 1e+20" in messages[4]
    assert messages[5] == "line 6: invalid JSON: nested too deeply"
    assert "'items' must be a non-empty list" in messages[1]
    assert json.loads(out.getvalue())["id"] == "dam"


def test_items_without_publisher_fall_back_to_the_link_host() -> None:
    _, items = parse_story({"id": 7, "items": [{"title": "T", "url": "https://www.a.example/x"}]})
    assert items[0].outlet == "a.example"


def _summarize(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aggregator", "summarize", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(DAM) + "\n")
    done = _summarize(str(source), "--max-words", "40")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["id"] == "dam" and record["headline"]
    bad = _summarize(str(tmp_path / "missing.jsonl"))
    assert bad.returncode == 2 and "cannot summarize: " in bad.stderr
    assert "missing.jsonl: No such file or directory" in bad.stderr
    # bytes that are not UTF-8 are said so, as `cluster` says them (a traceback before)
    (tmp_path / "latin1.jsonl").write_bytes(b'{"id": "\xe9"}\n')
    latin = _summarize(str(tmp_path / "latin1.jsonl"))
    assert latin.returncode == 2 and "latin1.jsonl: not UTF-8 text" in latin.stderr
    assert "Traceback" not in latin.stderr


def test_unpaired_surrogates_are_replaced_in_text_and_refused_in_ids() -> None:
    """JSON can escape half a surrogate pair ("\\ud800"), which no file or hash takes: it had
    crashed the command (UnicodeEncodeError). In a title or text it reads as U+FFFD and an
    escaped pair as its character; in an id it is a bad line, as `cluster` says."""
    story = json.loads(json.dumps(DAM))
    story["items"][0]["title"] += " \ud83c\udf0a \ud800"
    story["items"][1]["text"] = "\udfff" + story["items"][1]["text"]
    lines = [json.dumps(story), json.dumps({"id": "\ud800", "items": [{"title": "A b c"}]})]
    out, err = io.StringIO(), io.StringIO()
    result = run_batch(lines, out, err, ExtractiveSummarizer())
    assert (result.written, result.failed) == (1, 1)
    assert "line 2: 'id' holds an unpaired surrogate escape" in err.getvalue()
    json.dumps(json.loads(out.getvalue()), ensure_ascii=False).encode()  # (all of it text)
    _, items = parse_story(story)
    assert items[0].title.endswith(" \N{WATER WAVE} \N{REPLACEMENT CHARACTER}")
    assert items[1].text.startswith("\N{REPLACEMENT CHARACTER}Hungary")


# An invented blackout story in Japanese under a headline of kanji alone: read as Japanese,
# the headline says 首都 and 一部, so a sentence saying them again tells nothing new.
REPEAT = "首都機能の一部が停止した。"
BLACKOUT = {
    "id": "blackout",
    "items": [
        {
            "title": "首都機能一部停止",
            "text": REPEAT + "都内では大規模な停電が起き、約三十万戸で電気が止まった。"
            "電力会社は変電所の火災が原因とみて調べている。"
            "復旧には少なくとも半日かかる見通しだ。",
            "publisher": "Asahi Example",
            "url": "https://asahi.example/1",
        },
        {
            "title": "都心一時停電 首都機能被害",
            "text": "都心で大規模な停電が発生し、約三十万戸が影響を受けた。"
            "変電所で火災が起きたことが原因とみられる。"
            "鉄道も一部の区間で運転を見合わせた。",
            "publisher": "NHK Example",
            "url": "https://nhk.example/1",
        },
    ],
}


def _declared(record: dict[str, object], language: str | None) -> str:
    items = [{**item, "language": language} for item in record["items"]]  # type: ignore[attr-defined]
    return json.dumps({**record, "items": items})


def test_a_declared_language_reads_a_kanji_only_story_as_the_service_does() -> None:
    for language, repeated in ((None, True), ("ja", False), ("ja-jp", False)):
        out = io.StringIO()
        run_batch([_declared(BLACKOUT, language)], out, io.StringIO(), ExtractiveSummarizer())
        record = json.loads(out.getvalue())
        assert record["headline"] == "首都機能一部停止"
        assert (REPEAT in [b["text"] for b in record["bullets"]]) is repeated, language
    _, items = parse_story(json.loads(_declared(BLACKOUT, "ja-jp")))
    assert [item.language for item in items] == ["ja-JP", "ja-JP"]  # (as `cluster` reads it)


def test_a_language_that_is_no_tag_is_refused_with_its_line() -> None:
    lines = [
        _declared(BLACKOUT, "Japanese!"),
        json.dumps({"id": "n", "items": [{"title": "A", "language": 5}]}),
        _declared(BLACKOUT, ""),  # (none given: read by its script, as an undeclared feed's)
    ]
    out, err = io.StringIO(), io.StringIO()
    result = run_batch(lines, out, err, ExtractiveSummarizer())
    assert (result.written, result.failed) == (1, 2)
    assert err.getvalue().splitlines() == [
        "line 1: item 0: 'language' 'Japanese!' is no language tag (\"ja\", \"zh-CN\")",
        "line 2: item 'language' must be text",
    ]
