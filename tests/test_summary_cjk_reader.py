"""What a subscriber of Chinese and Japanese feeds reads in a story: bullets that do not repeat
one another, without datelines or reporters' credits, quotes whole, headlines without the
outlet's name.

Invented fixtures (`cjk_news`): the harbour bridge day and a reservoir story whose reports
carry agency datelines, a "本报讯" credit, outlet-suffixed titles and a two-sentence quote.
"""

from __future__ import annotations

import re

import pytest
from cjk_news import items, summary_items

from aggregator.bullets import body_sentences, stand_alone
from aggregator.headline import clean
from aggregator.novelty import coverage, fact_terms
from aggregator.sentences import split_sentences
from aggregator.summarize import summarize
from aggregator.tokens import tokens

_BY_ID = {item.id: item for item in items()}
# The Chinese and the Japanese reports of the bridge and the quake, as grouping publishes them.
STORIES = {
    "zh-bridge": ["bridge-xinhua", "bridge-people", "bridge-chinanews", "bridge-copy"],
    "ja-bridge": ["bridge-nhk", "bridge-asahi"],
    "ja-quake": ["quake-nhk", "quake-asahi", "quake-yomiuri", "quake-brief"],
    "zh-quake": ["quake-xinhua", "quake-chinanews"],
    "zh-recall": ["recall-people", "recall-chinanews", "recall-sina"],
}
# What a dateline or a credit leaves in a bullet.
_LEFT_OVER = re.compile(r"\d+日[电電讯訊]|本报讯|记者|記者|[【［].*[=＝共同]")


def _bullets(ids: list[str]) -> list[str]:
    return [b.text for b in summarize([_BY_ID[i] for i in ids]).bullets]


def test_one_fact_is_told_once_in_the_chinese_bridge_story() -> None:
    """Three outlets give the daily traffic and the detour; a subscriber reads each once."""
    bullets = _bullets(STORIES["zh-bridge"])
    assert len(bullets) >= 5
    assert sum("8万辆" in b for b in bullets) == 1
    assert sum("沿江隧道" in b for b in bullets) == 1
    assert sum("桥墩" in b and "沉降" in b and "可能" in b for b in bullets) <= 1


def test_a_short_bullet_that_a_longer_one_holds_is_left_out() -> None:
    """The Chinese quake: "the agency says the depth was 10 km and warns of aftershocks" says
    what the lead and the aftershock bullet say; the Japanese quake keeps its magnitude."""
    zh = _bullets(STORIES["zh-quake"])
    assert sum("10公里" in b for b in zh) == 1
    assert sum("余震" in b for b in zh) == 1
    ja = _bullets(STORIES["ja-quake"])
    assert any("6.1" in b for b in ja)
    assert len(ja) >= 4
    recall = _bullets(STORIES["zh-recall"])
    assert sum("37" in b for b in recall) == 1
    assert sum("120万部" in b for b in recall) == 1


@pytest.mark.parametrize("name", sorted(STORIES))
def test_no_bullet_keeps_a_dateline_or_a_credit(name: str) -> None:
    bullets = _bullets(STORIES[name])
    assert bullets
    assert not [b for b in bullets if _LEFT_OVER.search(b)]


def test_the_reservoir_story_reads_clean() -> None:
    summary = summarize(summary_items())
    bullets = [b.text for b in summary.bullets]
    assert summary.headline and not re.search(r"[-_]\s*\S*网$", summary.headline)
    assert "网" not in summary.headline
    assert not [b for b in bullets if _LEFT_OVER.search(b) or b.startswith("江城新闻网")]
    # The quote of two sentences is one bullet, whole.
    quote = [b for b in bullets if "「" in b or "」" in b]
    assert quote == [
        "水务局局长孙立在通报会上说：「今年的旱情比往年更严重。我们请每一位市民节约用水。」"
    ]
    # A connective is dropped; a sentence that opens with a pronoun named nowhere is no bullet.
    assert "市水务局将向居民免费发放节水器具5万套。" in bullets
    assert not [b for b in bullets if b.startswith(("此外", "他"))]
    # The record low and the new rules, told by all three, are each one bullet.
    assert sum("1.2亿" in b for b in bullets) <= 1
    assert sum("洗车场" in b for b in bullets) == 1
    assert len(bullets) >= 5


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "新华社港城3月2日电（记者 王明）港城市交通运输局2日通报，大桥发现裂缝。",
            "港城市交通运输局2日通报，大桥发现裂缝。",
        ),
        ("中新网港城3月2日电 港口大桥因主跨发现裂缝封闭。", "港口大桥因主跨发现裂缝封闭。"),
        ("新华社北京３月２日电（记者 王明 李华） 北京市朝阳区发生火灾。", "北京市朝阳区发生火灾。"),
        ("本报讯（记者 张三）港城市昨日召开会议。", "港城市昨日召开会议。"),
        ("本报北京3月2日电 港城市昨日召开会议。", "港城市昨日召开会议。"),
        ("央视网消息：港城市昨日召开会议。", "港城市昨日召开会议。"),
        ("（记者 张三 李四）港城市昨日召开会议。", "港城市昨日召开会议。"),
        ("（中央社記者王明台北2日電）台北市政府2日宣布新规。", "台北市政府2日宣布新规。"),
        ("港城市交通运输局（记者 王明）称，大桥封闭。", "港城市交通运输局称，大桥封闭。"),
        ("【ワシントン=山田太郎】米政府は2日、発表した。", "米政府は2日、発表した。"),
        ("【北京共同】中国政府は2日、発表した。", "中国政府は2日、発表した。"),
        ("［東京 2日 ロイター］ 日経平均株価は反落した。", "日経平均株価は反落した。"),
        # Not datelines: a date in a sentence, a word with 电 after a date, an attribution.
        ("充电桩3月2日起全面开放。", "充电桩3月2日起全面开放。"),
        ("港城3月2日电视直播了开幕式。", "港城3月2日电视直播了开幕式。"),
        ("据新华社报道，大桥封闭。", "据新华社报道，大桥封闭。"),
        ("【速報】地震があった。", "【速報】地震があった。"),
        # Connectives are dropped; openings that point back are no bullet.
        ("此外，港城市还将增开公交线路。", "港城市还将增开公交线路。"),
        ("但是，专家认为大桥安全。", "专家认为大桥安全。"),
        ("但大桥仍将封闭。", "大桥仍将封闭。"),
        ("また、市は避難所を開設した。", "市は避難所を開設した。"),
        ("他表示，大桥将封闭两周。", None),
        ("该公司2日宣布召回手机。", None),
        ("这是大桥首次封闭。", None),
        ("其中2人重伤。", None),
        ("对此，市民表示理解。", None),
        ("彼は「努力する」と述べた。", None),
        ("同社は2日、発表した。", None),
        ("この地震で12人がけがをした。", None),
        # Openings of time, "other", "actually": they point nowhere.
        ("此前，大桥曾多次维修。", "此前，大桥曾多次维修。"),
        ("其实大桥早有裂缝。", "其实大桥早有裂缝。"),
        ("他国也表示关注。", "他国也表示关注。"),
        ("これまでに被害の情報は入っていません。", "これまでに被害の情報は入っていません。"),
        ("それぞれの市が対応した。", "それぞれの市が対応した。"),
        # English is untouched (its own dateline rules apply).
        (
            "[AFP] The ministry said on Monday it would act.",
            "[AFP] The ministry said on Monday it would act.",
        ),
    ],
)
def test_datelines_credits_and_openings(sentence: str, expected: str | None) -> None:
    assert stand_alone(sentence) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("港口大桥发现裂缝 全线封闭两周 - 新华网", "港口大桥发现裂缝 全线封闭两周"),
        ("港口大桥发现裂缝 全线封闭两周_新闻频道_中华网", "港口大桥发现裂缝 全线封闭两周"),
        ("港口大桥发现裂缝 全线封闭两周—新华网", "港口大桥发现裂缝 全线封闭两周"),
        ("港口大橋で亀裂 2週間通行止めに - 日本経済新聞", "港口大橋で亀裂 2週間通行止めに"),
        ("港口大橋で亀裂 2週間通行止めに：朝日新聞デジタル", "港口大橋で亀裂 2週間通行止めに"),
        ("港口大橋で亀裂、通行止め - NHKニュース", "港口大橋で亀裂、通行止め"),
        # A colon after a speaker, a short title, an outlet's name as the subject: kept.
        ("外交部：中美将在日内瓦举行新一轮经贸磋商", "外交部：中美将在日内瓦举行新一轮经贸磋商"),
        ("大桥 - 新华网", "大桥 - 新华网"),
        ("新华网：大桥封闭", "新华网：大桥封闭"),
    ],
)
def test_headlines_lose_a_chinese_or_japanese_outlet_suffix(title: str, expected: str) -> None:
    assert clean(title) == expected


def test_a_quote_of_two_sentences_is_one_sentence() -> None:
    text = "都の担当者は「実際の地震に備える必要がある。訓練を重ねたい」と話した。次の文です。"
    assert split_sentences(text) == [
        "都の担当者は「実際の地震に備える必要がある。訓練を重ねたい」と話した。",
        "次の文です。",
    ]
    # A quote that never closes joins nothing, and its opening sentence is no bullet.
    text = (
        "「開かない引用の長い文です。ここで終わる長い文です。"
        "都の担当者は「実際の地震に備える必要がある。訓練を重ねたい」と話した。"
    )
    assert split_sentences(text)[:2] == ["「開かない引用の長い文です。", "ここで終わる長い文です。"]
    assert body_sentences(text, []) == [
        "ここで終わる長い文です。",
        "都の担当者は「実際の地震に備える必要がある。訓練を重ねたい」と話した。",
    ]


def test_chinese_fact_terms_leave_out_what_says_no_fact() -> None:
    """Pairs across a function character, dates and common pairs are no facts; a figure is
    one term with its point ("6.1"), not "6" and "1"."""
    terms = fact_terms("日本北冈县2日上午发生6.1级地震，震源深度约10公里。")
    assert {"北冈", "地震", "震源", "深度", "61", "10"} <= terms
    assert not {"2", "6", "1", "的", "上午", "日本"} & terms
    # Said in other words by two bullets, a sentence adds nothing; with a new figure it does.
    said = fact_terms("据日本气象厅消息，北冈县发生6.1级地震，震源深度约10公里。")
    said |= fact_terms("日本气象厅提醒，未来一周内可能发生同等强度的余震。")
    assert (
        coverage(fact_terms("日本气象厅表示，震源深度约10公里，未来一周可能发生余震。"), said, {})
        >= 0.75
    )
    assert coverage(fact_terms("日本气象厅表示，震源深度约12公里。"), said, {}) == 0.0


def test_english_fact_terms_are_unchanged() -> None:
    text = "The bridge, closed on Monday after cracks were found, carries cars."
    assert fact_terms(text) == frozenset(t[:6] for t in tokens(text))
    # (figures are one form with their units: `novelty._normalised`)
    figures = "The bridge, closed on Monday after 3 cracks were found, carries 80,000 cars."
    assert fact_terms(figures) == fact_terms(text) | {"3", "80000", "=3:crack", "=80000:car"}
