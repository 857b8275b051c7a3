"""A news programme's rundown lists several reports, one a line, in whatever language: it is a
multi-topic item, so it neither joins the story of one of its reports nor founds a story a
report then joins. Invented fixtures."""

from __future__ import annotations

from dataclasses import replace

from invented_items import filler, item

from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.features import decode, encode, item_features
from aggregator.terms import is_multi_topic, lists_reports

RUNDOWN = (
    "Here are the reports we are following this evening:\n"
    "- Ferry Marisol runs aground off Corvin Point; coastguard rescues 42 passengers\n"
    "- Keldon council approves budget for new library\n"
    "- Brona farmers warn of poor wheat harvest after dry spring\n"
    "- Tavin line commuters face delays as signal works continue\n"
    "- Singer Ada Vell announces farewell tour\n"
    "- Oldmere hospital opens new children's ward\n"
    "Watch the full newscast on our channel: https://tv.example/evening"
)
FERRY = (
    "The Veltrian coastguard rescued 42 passengers from the ferry Marisol after it ran "
    "aground off Corvin Point in a storm. The captain was treated for hypothermia."
)
REPORT = "Ferry Marisol runs aground off Corvin Point, coastguard rescues 42"
EXPRESS = "Evening Express: the day's reports"


def test_a_rundown_in_any_language_lists_reports() -> None:
    assert lists_reports(RUNDOWN)
    tagalog = "Narito ang mga balita:\n" + "\n".join(
        f"• Ulat {n}: sunog sa bayan ng Malvara, {n} pamilya lumikas" for n in range(1, 6)
    )
    assert lists_reports(tagalog)
    assert is_multi_topic(EXPRESS, "https://tv.example/watch?v=1", RUNDOWN)
    assert not is_multi_topic(EXPRESS, "https://tv.example/watch?v=1")


def test_key_points_and_a_channels_links_are_no_rundown() -> None:
    key_points = "Key points:\n- 42 rescued\n- Captain in hospital\n- Ferry towed to Pellow\n"
    assert not lists_reports(key_points + FERRY)
    furniture = "\n".join(
        f"- Follow us on {site}: https://{site}.example/evening"
        for site in ("video", "photos", "chat", "news", "radio", "podcast")
    )
    assert not lists_reports(FERRY + "\n" + furniture)
    # a full report may hold a list, among more lines of its own
    paragraphs = "\n".join(f"{FERRY} Paragraph {n} of the report." for n in range(8))
    films = "\n".join(f"- The film number {n} of Ada Vell" for n in range(1, 7))
    assert not lists_reports(f"{paragraphs}\n{films}\n{paragraphs}")
    assert lists_reports(f"Tonight:\n{films}")
    # a numbered list is one thing in order: a timeline, steps, a ranking
    timeline = "\n".join(f"{n}. At 9.{n}0pm the envelope is opened again" for n in range(1, 7))
    assert not lists_reports(f"How the evening went:\n{timeline}")


def test_a_rundown_neither_joins_nor_founds_a_reports_story() -> None:
    settings = ClusterSettings()
    items = [item("news", REPORT, FERRY, "one", 0), item("rundown", EXPRESS, RUNDOWN, "tv", 60)]
    result = cluster_stream([*filler(12), *items], settings)
    assert result["news"] != result["rundown"]
    items = [item("rundown", EXPRESS, RUNDOWN, "tv", 0), item("news", REPORT, FERRY, "one", 60)]
    result = cluster_stream([*filler(12), *items], settings)
    assert result["news"] != result["rundown"]


def test_a_restore_without_texts_keeps_a_rundown_multi_topic() -> None:
    rundown = item("rundown", EXPRESS, RUNDOWN, "tv", 0)
    features = item_features(rundown, 250)
    assert features.multi
    # a restore reads no text where terms are stored: the flag comes with them
    restored = decode(encode(features), replace(rundown, text=""))
    assert restored is not None and restored.multi
    report = item_features(item("news", REPORT, FERRY, "one", 0), 250)
    assert not report.multi
    assert decode(encode(report), item("news", REPORT, "", "one", 0)) == report
