"""Stories in Chinese and Japanese get bullets: length is counted by characters where a
script is written without spaces.

Invented fixtures: a harbour bridge closed after cracks are found, reported by two outlets in
Chinese and by two in Japanese.
"""

from __future__ import annotations

from invented_items import source_item as item

from aggregator.bullets import body_sentence_facts, body_sentences
from aggregator.novelty import coverage, fact_terms
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


# Sentences over the 45-word (about 90-character) bullet length.
SEMICOLON = (
    "市议会周二宣布，港口大桥将从下周一起全面封闭，所有车辆和行人都不得通行，直到工程师完成对"
    "主跨裂缝的详细检查为止；维修工程预计耗资超过三千万元，资金将由市政府和省交通厅共同承担，"
    "具体分摊比例尚未确定。"
)
COMMAS = (
    "由于主跨发现的裂缝比最初估计的更长更深，而且在过去一周的强风天气中又出现了新的裂缝，市议会"
    "在听取了三家独立工程公司的评估意见之后，决定将原定两周的封闭期延长至至少一个月，并将在"
    "月底前公布最终维修方案。"
)
QUOTED = (
    "市长在记者会上说「我们必须先保证市民的安全；在工程师确认大桥结构安全之前，任何车辆都不会被"
    "允许上桥」，并承诺市政府将为受影响的沿岸商户和每天依靠这座大桥通勤的数万名市民提供临时"
    "补贴和免费渡轮服务。"
)
JA_COMMAS = (
    "市議会は火曜日、港の大橋を来週月曜日から全面通行止めにすると発表し、技術者が主径間のひび割れ"
    "を詳しく調べ終えるまで、車両も歩行者も橋を渡ることはできないと説明したうえで、市民に公共交通"
    "機関の利用を呼びかけた。"
)


def test_a_long_cjk_sentence_is_cut_at_its_full_width_semicolon_only() -> None:
    for sentence in (SEMICOLON, COMMAS, QUOTED, JA_COMMAS):
        assert word_count(sentence) > 45
    short = "交通部门已在沿线增开十二条公交线路。"
    bullets = body_sentences(" ".join((SEMICOLON, COMMAS, QUOTED, JA_COMMAS, short)), [])
    # Cut at "；", closed with the sentence's own full stop.
    head = SEMICOLON.split("；")[0] + "。"
    assert bullets == [head, short]
    # A comma ("，", "、") is no clause break (what precedes it often needs what follows), and
    # a semicolon inside 「」 leaves the quote open: those sentences are left out, not cut.


def test_a_cjk_sentence_without_fact_terms_is_summarised_without_error() -> None:
    """A Japanese sentence whose words give no fact term (all of it one run the terms leave
    out) had its terms kept as one empty term, and the summary of its story failed on it."""
    text = (
        "気象庁によると、港城市の沖を震源とする地震があり、市内で震度5弱を観測しました。"
        "津波の心配はありません。政府は被害状況の確認を急いでいます。"
    )
    assert all("" not in facts for _, _, facts in body_sentence_facts(text, []) if facts)
    story = [item(1, "港城市の沖で地震、震度5弱", text, "example.jp")]
    summary = ExtractiveSummarizer(SummarySettings()).summarize(story)
    assert summary.headline == "港城市の沖で地震、震度5弱"
    assert summary.bullets


def test_japanese_fact_terms_keep_kanji_words_and_a_retold_fact_is_one_bullet() -> None:
    """A Japanese sentence told in words holding 被, 一, 都 had no fact term and so was always
    new: two sources' "the government is checking the damage" were both bullets."""
    said = fact_terms("政府は被害状況の確認を急いでいます。")
    assert said == {"被害"}
    assert coverage(fact_terms("政府も被害の状況の確認を進めています。"), set(said), {}) == 1.0
    assert fact_terms("首都の一部で停電が起きています。") == {"首都", "一部", "停電"}
    story = [
        item(
            1,
            "白石川の堤防一部決壊 住宅地に浸水被害",
            "西川市を流れる白石川の堤防の一部が4日未明に決壊し、周辺の住宅地で浸水被害が"
            "広がっています。市は約800世帯に避難指示を出しました。"
            "政府は被害状況の確認を急いでいます。",
            "kawa.example",
        ),
        item(
            2,
            "西川市で堤防決壊 浸水被害",
            "4日未明、白石川の堤防が一部決壊して、西川市の住宅地に浸水被害が出ました。"
            "決壊した堤防では、国土交通省が復旧工事を始めています。"
            "政府も被害の状況の確認を進めています。",
            "nishi.example",
        ),
    ]
    bullets = [b.text for b in ExtractiveSummarizer(SummarySettings()).summarize(story).bullets]
    assert len(bullets) >= 3
    assert sum("確認" in b for b in bullets) <= 1
    assert sum("浸水被害" in b for b in bullets) == 1


def test_a_japanese_span_is_a_figure_a_bullet_tells() -> None:
    """Another count of hours is a new fact; the same count told again is not."""
    said = set(fact_terms("国道は約3時間にわたって通行止めとなりました。"))
    assert "3" in said
    assert coverage(fact_terms("通行止めは約3時間続きました。"), said, {}) == 1.0
    assert coverage(fact_terms("通行止めは約5時間続きました。"), said, {}) == 0.0
