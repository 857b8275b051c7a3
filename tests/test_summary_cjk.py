"""Stories in Chinese and Japanese get bullets: length is counted by characters where a
script is written without spaces.

Invented fixtures: a harbour bridge closed after cracks are found, reported by two outlets in
Chinese and by two in Japanese.
"""

from __future__ import annotations

from invented_items import source_item as item

from aggregator.summarize import ExtractiveSummarizer, SummarySettings
from aggregator.tokens import tokens, word_count

ZH = (
    item(
        1,
        "港口大桥主跨发现裂缝后封闭",
        "工程师周一在港口大桥主跨发现多处裂缝，大桥随即对所有车辆封闭。"
        "市议会表示，封闭将至少持续两周。通勤者被告知改乘渡轮，渡轮将每十分钟开出一班。"
        "市议会还表示，维修费用预计超过三千万元。",
        "ribao.example",
    ),
    item(
        2,
        "裂缝导致港口大桥封闭两周",
        "工程师在例行检查中发现港口大桥主跨出现裂缝，市议会随即下令封闭大桥。"
        "这是大桥自一九六二年通车以来首次封闭，市议会在声明中说。"
        "交通部门已在沿线增开公交线路。",
        "xinwen.example",
    ),
)
JA = (
    item(
        3,
        "港の大橋、主径間にひび割れ　通行止めに",
        "港の大橋で月曜日、技術者が主径間に複数のひび割れを見つけ、すべての車両が通行止めとなった。"
        "市議会によると、通行止めは少なくとも二週間続く見通しだ。"
        "通勤客にはフェリーの利用が呼びかけられ、フェリーは十分ごとに運航する。",
        "asahi.example",
    ),
    item(
        4,
        "ひび割れで港の大橋が二週間通行止め",
        "定期点検で港の大橋の主径間にひび割れが見つかり、市議会は橋を通行止めにした。"
        "橋が一九六二年に開通して以来、初めての通行止めだと市議会は声明で明らかにした。"
        "交通局は沿線のバスを増便している。",
        "nhk.example",
    ),
)


def test_word_count_counts_cjk_characters_two_to_a_word() -> None:
    assert word_count("市议会表示，封闭将至少持续两周。") == 7  # 14 characters
    assert word_count("通行止めは二週間続く。") == 5  # 10 characters, kana included
    assert word_count("大桥于1962年通车 CNN 报道。") == 4 + 2  # 8 characters, "1962", "CNN"
    assert word_count("The bridge — closed again.") == 5  # spaced text: as before
    assert word_count("서울시는 다리를 폐쇄했다.") == 3  # Hangul is spaced: words


def test_cjk_tokens_are_character_pairs_and_other_text_is_unchanged() -> None:
    assert tokens("港口大桥封闭") == ["港口", "口大", "大桥", "桥封", "封闭"]
    assert tokens("CNN报道") == ["cnn", "报道"]
    assert tokens("Cracks shut the U.S. harbour bridge") == [
        "crack",
        "shut",
        "us",
        "harbour",
        "bridge",
    ]
    # Two sentences on the same closure share terms, so they can be compared.
    assert set(tokens("港口大桥封闭两周。")) & set(tokens("市议会下令封闭港口大桥。"))


def test_two_source_chinese_and_japanese_stories_get_whole_sentence_bullets() -> None:
    for story in (ZH, JA):
        summary = ExtractiveSummarizer().summarize(story)
        assert summary.headline in {it.title for it in story}  # a title, not a body sentence
        assert len(summary.bullets) >= 3
        bodies = " ".join(it.text for it in story)
        for bullet in summary.bullets:
            assert bullet.text.endswith("。")
            assert bullet.text in bodies  # a whole sentence of a source, not a fragment
        assert {s for b in summary.bullets for s in b.sources} == {0, 1}


def test_cjk_summary_respects_the_words_budget() -> None:
    settings = SummarySettings(max_words=40)
    for story in (ZH, JA):
        summary = ExtractiveSummarizer(settings).summarize(story)
        assert summary.bullets
        assert sum(word_count(b.text) for b in summary.bullets) <= 40
        wide = ExtractiveSummarizer().summarize(story)
        assert len(summary.bullets) < len(wide.bullets)
