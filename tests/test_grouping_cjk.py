"""Story grouping for Chinese and Japanese feeds (generated fixture: tests/cjk_news.py)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cjk_news
import pytest
from cjk_news import COPY, ENGLISH, ORIGINAL, event_of

from aggregator.batch import cluster_file
from aggregator.cjk_script import writes_japanese
from aggregator.cjk_terms import piece_count, shared_pieces
from aggregator.cluster import ClusterSettings, cluster_stream
from aggregator.dedupe import duplicate_reason, find_duplicate, near_keys
from aggregator.models import Item
from aggregator.terms import capitalised_terms, grouping_terms

_ZH_BRIDGE = {"bridge-xinhua", "bridge-people", "bridge-chinanews", "bridge-copy", "bridge-brief"}
# Reports of one event in one language join; across Chinese and Japanese they may or may not
# (their characters differ: 大桥 ‖ 大橋), and across English and either they cannot.
_TOGETHER = [
    _ZH_BRIDGE,
    {"bridge-nhk", "bridge-asahi"},
    {"bridge-en-wire", "bridge-en-daily"},
    {"quake-nhk", "quake-asahi", "quake-yomiuri", "quake-brief"},
    {"quake-xinhua", "quake-chinanews"},
    {"recall-people", "recall-chinanews", "recall-sina"},
]


def _stories(result: dict[str, str]) -> list[set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for item_id, story in result.items():
        groups[story].add(item_id)
    return list(groups.values())


def test_chinese_runs_become_character_pairs_without_function_characters_and_common_pairs() -> None:
    title, text = grouping_terms(
        "中国港城港口大桥发现裂缝",
        "新华社港城３月２日电 交通运输局表示，大桥的主跨将封闭两周。",
        250,
    )
    assert title == ["港城", "城港", "港口", "口大", "大桥", "桥发", "发现", "现裂", "裂缝"]
    assert grouping_terms("在北京的会议", "", 0)[0] == ["北京", "会议"]
    assert "中国" not in title  # a country every report names
    assert {"表示", "记者"}.isdisjoint(text)  # reporting words
    assert "大桥" in text and "主跨" in text and "封闭" in text
    assert not any("的" in t or "将" in t for t in text)  # cut at function characters
    assert not any(t.isdigit() for t in text)  # "３月２日": a date, full-width or not


def test_japanese_keeps_kanji_pairs_and_katakana_words_and_drops_hiragana() -> None:
    title, text = grouping_terms(
        "ゼレンスキー大統領が来日",
        "ウクライナのゼレンスキー大統領は2日、東京で記者会見を開き、約120億円の支援に感謝した。",
        250,
    )
    assert title == ["ゼレンスキー", "大統", "統領", "来日"]
    assert "ウクライナ" in text and "120" in text and "支援" in text
    assert not any(c in t for t in text for c in "のはで")  # particles
    assert "記者" not in text and "2" not in text  # newsroom word; "2日" is a date


def test_japanese_kanji_words_are_not_cut_at_chinese_function_characters() -> None:
    """Japanese writes its particles in kana; in its Han runs 被, 一, 都, 和, 将, 就 are parts of
    words (被害, 一部, 首都, 平和, 将来, 就任), which the Chinese cuts left in pieces: this
    sentence had no term at all."""
    assert grouping_terms("", "政府は被害状況の確認を急いでいます。", 250)[1] == ["被害"]
    title, text = grouping_terms(
        "首都で停電 一部地域で被害",
        "首都の一部で停電が起き、平和記念式典は将来に延期されました。新しい大臣が就任しました。",
        250,
    )
    assert {"首都", "一部", "被害", "停電"} <= set(title)
    assert {"首都", "一部", "平和", "将来", "就任", "停電"} <= set(text)
    assert "政府" not in text and "状況" not in text  # common pairs are still left out
    # a headline without kana is cut as its Japanese text is
    title = grouping_terms("被害拡大 一部地域", "堤防が決壊しました。", 250)[0]
    assert title == ["被害", "害拡", "拡大", "一部"]


def test_a_span_of_hours_or_days_keeps_its_number_and_makes_no_pair() -> None:
    """ "3時間" is three hours, a count: not "3時", a time, followed by a pair "間通" that
    any "…時間通行止め" shares."""
    text = grouping_terms(
        "", "国道は約3時間通行止めとなり、会議は5日間開かれた。10時に再開。", 250
    )[1]
    assert text == ["国道", "3", "通行", "行止", "会議", "5", "再開"]


def test_chinese_runs_are_still_cut_at_function_characters_beside_a_middle_dot() -> None:
    """Chinese writes "・" between a foreign name's parts too: that is no kana."""
    assert not writes_japanese("唐纳德・史密斯在会上的讲话")
    assert writes_japanese("ゼレンスキー大統領") and writes_japanese("被害が出た")
    assert grouping_terms("唐纳德・史密斯在会上的讲话", "", 0)[0] == [
        "唐纳", "纳德", "史密", "密斯", "会上", "讲话"
    ]  # fmt: skip


def test_chinese_text_holding_a_japanese_name_is_still_cut_as_chinese() -> None:
    """A Chinese report may write a Japanese brand in katakana, or a shop's "の": a few kana
    among its Han characters. Read as Japanese, its runs were not cut at function characters
    and gave pairs such as 的一, 将于, 是为, 为了 (and 库在, 在华 in its title)."""
    title = "优衣库在华门店下周起全部关闭"
    text = (
        "据报道，日本快时尚品牌优衣库（ユニクロ）宣布，其在中国的一部分门店将于下周起关闭。"
        "公司表示，此举是为了应对市场变化。"
    )
    assert not writes_japanese(text) and not writes_japanese(f"{title}\n{text}")
    assert not writes_japanese(
        "台北市政府今天宣布，位于信义区的「小林の店」将于下月关闭，市民对此表示遗憾。"
    )
    plain = grouping_terms(title, text.replace("（ユニクロ）", ""), 250)
    titled, terms = grouping_terms(title, text, 250)
    assert titled == plain[0]
    assert [t for t in terms if t != "ユニクロ"] == plain[1]
    assert not {"的一", "将于", "是为", "为了"} & set(terms)
    # Japanese headlines with one particle, and a katakana name with its title, are Japanese
    for japanese in (
        "京都府で大雪",
        "西川市で堤防決壊 浸水被害",
        "ゼレンスキー大統領",
        "首都圏大雪 鉄道一部区間運休 都心積雪12センチ",
    ):
        assert writes_japanese(japanese), japanese


def test_a_japanese_place_with_a_function_character_is_a_name() -> None:
    names = capitalised_terms(
        "京都府で大雪", "京都府の山間部で大雪となり、一部の道路が通行止めに。", 3000
    )
    assert "京都" in names


def test_names_are_katakana_words_and_pairs_before_a_place_or_title() -> None:
    names = capitalised_terms(
        "浙江省杭州市发生地震", "岸田首相は、ゼレンスキー大統領と会談した。港城市の担当者も", 3000
    )
    assert {"浙江", "杭州", "岸田", "ゼレンスキー", "港城"} <= names
    assert "地震" not in names and "会談" not in names


def test_english_terms_are_unchanged() -> None:
    title, text = grouping_terms(
        "Harbour bridge closed after crack", "The city said on Monday the bridge would shut.", 250
    )
    assert title == ["harbor", "bridge", "close", "crack"]  # (American spelling: `_american`)
    assert text == ["city", "bridge", "shut"]  # ("Monday": a date)
    assert capitalised_terms("Crack closes bridge", "Officials in Gangcheng said", 100) == {
        "gangcheng"
    }


def test_overlapping_pairs_of_one_word_are_one_shared_piece() -> None:
    terms = ["新冠", "冠肺", "肺炎", "炎疫", "疫情", "江州", "新增"]
    assert shared_pieces(terms, {"新冠", "冠肺", "肺炎", "炎疫", "疫情"}) == 1
    assert shared_pieces(terms, {"新冠", "冠肺", "江州", "新增"}) == 3
    assert shared_pieces(["bridge", "crack", "港口"], {"bridge", "crack", "港口"}) == 3
    # the same, for a set of terms (two stories' shared terms: `story_links`)
    assert piece_count({"新冠", "冠肺", "肺炎", "炎疫", "疫情"}) == 1
    assert piece_count({"新冠", "冠肺", "江州", "新增", "bridge"}) == 4
    assert piece_count({"bridge", "crack"}) == 2


@pytest.mark.parametrize("spread", [1, 4])  # the day as it is, and spread over 33 hours
def test_same_event_reports_join_and_other_events_stay_apart(spread: int) -> None:
    items = cjk_news.items(spread)
    stories = _stories(cluster_stream(items, ClusterSettings()))
    for together in _TOGETHER:
        assert any(together <= story for story in stories), together
    for story in stories:
        assert len({event_of(i) for i in story}) == 1, story  # no story holds two events


def test_unrelated_items_sharing_common_pairs_or_a_topic_stay_apart() -> None:
    """Two statements naming 中国 and 美国 (and 表示, 外交部); two fires and two road
    accidents of one day written alike; a second quake, a drill; another recall."""
    items = cjk_news.items()
    story = cluster_stream(items, ClusterSettings())
    for a, b in [
        ("trade-talks", "climate-talks"),
        ("fire-beijing", "fire-shanghai"),
        ("crash-aichi", "crash-hokkaido"),
        ("quake-small", "quake-nhk"),
        ("quake-drill", "quake-nhk"),
        ("car-recall", "recall-people"),
        ("metro-closure", "bridge-xinhua"),
        ("tunnel-opening", "bridge-xinhua"),
    ]:
        assert story[a] != story[b], (a, b)


def _reports(*rows: tuple[str, str, str]) -> dict[str, str]:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    items = [
        Item(
            id=i,
            title=title,
            text=text,
            url=f"https://{i}.example/news/1",
            outlet=f"{i}.example",
            published=t0 + timedelta(minutes=7 * k),
            first_seen=t0 + timedelta(minutes=7 * k),
        )
        for k, (i, title, text) in enumerate(rows)
    ]
    return cluster_stream(items, ClusterSettings())


def test_japanese_reports_told_in_kanji_words_join_and_common_words_join_nothing() -> None:
    """One appointment told twice (平和, 就任, 首都, 被爆者 and 将来 among its words) joins;
    another appointment, and two government items sharing only 政府, 日本, 発表, do not."""
    story = _reports(
        ("envoy-a", "平和大使に歌手の森川さんが就任",
         "歌手の森川さんが平和大使に就任し、首都で式典が開かれました。森川さんは被爆者の証言を"
         "将来に伝えたいと話しました。"),
        ("envoy-b", "森川さん 平和大使就任の式典",
         "首都で平和大使の就任式典があり、歌手の森川さんが出席しました。被爆者の証言を将来の"
         "世代に伝えたいと述べました。"),
        ("envoy-other", "元選手の山口さん 観光大使に就任",
         "元選手の山口さんが市の観光大使に就任し、式典が開かれました。地元の魅力を伝えたいと"
         "話しました。"),
        ("economy", "政府 日本経済の見通しを発表",
         "政府は日本経済の今後の見通しを発表しました。個人消費の回復が続くとしています。"),
        ("aid", "日本政府 新たな支援策を発表",
         "日本政府は物価高への新たな支援策を発表しました。低所得世帯に給付金を支給します。"),
    )  # fmt: skip
    assert story["envoy-a"] == story["envoy-b"] != story["envoy-other"]
    assert len({story["economy"], story["aid"], story["envoy-a"]}) == 3


def _headlines(*rows: tuple[str, str]) -> dict[str, str]:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    items = [
        Item(id=i, title=title, outlet=f"{i}.example", published=t0 + timedelta(minutes=9 * k))
        for k, (i, title) in enumerate(rows)
    ]
    return cluster_stream(items, ClusterSettings())


def test_headline_only_items_of_one_event_join() -> None:
    story = _headlines(
        ("q1", "北岡県岩見市で震度6弱 新幹線が運転見合わせ"),
        ("q2", "岩見市で震度6弱 住宅の壁崩れる"),
        ("other", "南浜県で震度3 津波の心配なし"),
        ("q3", "北岡県で震度6弱の地震 12人けが"),
        ("t1", "外交部：中美将在日内瓦举行新一轮经贸磋商"),
        ("t2", "中美气候变化工作组在北京举行会议"),
        ("t3", "中美经贸团队下周在日内瓦磋商"),
    )
    assert story["q1"] == story["q2"] == story["q3"] != story["other"]
    assert story["t1"] == story["t3"] != story["t2"]


def test_one_shared_word_never_joins_two_headlines() -> None:
    """ "新冠肺炎疫情" is five character pairs but one word: a topic, not an event."""
    story = _headlines(
        ("d1", "新冠肺炎疫情防控新闻发布会举行"),
        ("d2", "新冠肺炎疫情：江州新增3例本土病例"),
        ("u1", "ウクライナ情勢 ゼレンスキー大統領が演説"),
        ("u2", "ウクライナ情勢 穀物輸出の合意延長"),
    )
    assert story["d1"] != story["d2"]
    assert story["u1"] != story["u2"]


def test_a_chinese_wire_copy_is_the_same_article() -> None:
    by_id = {i.id: i for i in cjk_news.items()}
    copy, original = by_id[COPY], by_id[ORIGINAL]
    assert duplicate_reason(copy, original) == "near"
    assert set(near_keys(copy.text)) & set(near_keys(original.text))  # the store finds it
    others = [i for i in by_id.values() if i.id not in (COPY, ORIGINAL)]
    assert find_duplicate(copy, others) is None  # other reports of the event are not copies
    assert find_duplicate(copy, [*others, original]) is original
    # an exact copy under its own headline is the same content, however few spaces it has
    exact = replace(original, id="exact", url="https://other.example/a")
    assert duplicate_reason(exact, original) == "content"


def test_a_japanese_wire_copy_is_the_same_article_and_a_short_text_never_is() -> None:
    by_id = {i.id: i for i in cjk_news.items()}
    quake = by_id["quake-nhk"]
    copy = replace(
        quake,
        id="quake-copy",
        url="https://local.example/1",
        title="北岡県で震度6弱、12人けが",
        text=quake.text.replace("呼びかけています。", "呼びかけています。（共同）"),
    )
    assert duplicate_reason(copy, quake) == "near"
    assert duplicate_reason(copy, by_id["quake-asahi"]) is None  # same event, own words
    short = replace(copy, text="岩見市で震度6弱。")
    assert not near_keys(short.text)
    assert duplicate_reason(short, replace(quake, text="岩見市で震度6弱。")) is None


def test_mixed_feeds_group_english_as_before_and_never_across_scripts() -> None:
    items = cjk_news.items()
    mixed = cluster_stream(items, ClusterSettings())
    english = cluster_stream([i for i in items if i.id in ENGLISH], ClusterSettings())
    assert {i: mixed[i] for i in ENGLISH} == english
    for story in _stories(mixed):
        assert story <= ENGLISH or not story & ENGLISH


def test_the_batch_command_groups_a_cjk_file_as_the_stream_does(tmp_path: Path) -> None:
    items = cjk_news.items()
    path = tmp_path / "in.jsonl"
    rows = [
        {
            "id": i.id,
            "title": i.title,
            "text": i.text,
            "url": i.url,
            "publisher": i.outlet_name,
            "published": i.published.isoformat() if i.published else None,
        }
        for i in items
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    out = dict(cluster_file(path, None, ClusterSettings()))
    assert out[COPY] == out[ORIGINAL]
    stories = _stories(out)
    for together in _TOGETHER:
        assert any(together <= story for story in stories), together
    for story in stories:
        assert len({event_of(i) for i in story}) == 1, story


def test_two_stories_of_one_city_sharing_its_place_names_are_not_linked() -> None:
    """A bridge closure and a tunnel's construction in one city share 港城, 沿江隧道 and
    东岸新区: seven character pairs no other story holds, three words. Story links ask for six
    shared terms; counted as pairs, the tunnel story was merged into the bridge story."""
    rng = random.Random(3)
    syllables = "ka lo mi ne ru sa ti vo de ba fi gu ha je ko lu ma no pe ra se to".split()

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(4))

    start = cjk_news.T0 - timedelta(hours=3)
    others = [  # enough active stories for story links to run (`common_min_stories`)
        Item(
            id=f"other-{k}",
            title=" ".join(word() for _ in range(6)),
            text=" ".join(word() for _ in range(40)),
            outlet=f"o{k % 7}.example",
            published=start + timedelta(seconds=k),
        )
        for k in range(150)
    ]
    by_id = {i.id: i for i in cjk_news.items()}
    bridge = [by_id[i] for i in ("bridge-xinhua", "bridge-people", "bridge-chinanews")]
    tunnel = [
        by_id["tunnel-opening"],
        Item(
            id="tunnel-2",
            title="港城沿江隧道二期开建 连通东岸新区与机场",
            text="港城市沿江隧道二期工程2日开工建设，隧道全长6.2公里，建成后东岸新区到机场的车程"
            "将缩短一半。项目总投资约58亿元，计划2028年通车，采用盾构法施工。沿江隧道一期目前"
            "日均通行车辆约5万辆，二期建成后将与一期连通。",
            outlet="sina.example",
            published=cjk_news.T0 + timedelta(minutes=170),
        ),
    ]
    story = cluster_stream(others + bridge + tunnel, ClusterSettings())
    assert len({story[i.id] for i in bridge}) == 1
    assert story["tunnel-2"] == story["tunnel-opening"] != story["bridge-xinhua"]
