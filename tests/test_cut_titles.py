"""Titles cut from their own text (feeds without headlines) are no headlines for summaries
(`titles.cut_from_text`, `summarize`). Invented reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.models import Item
from aggregator.summarize import summarize
from aggregator.titles import cut_from_text, title_from_text, without_prefix

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

LEAD = (
    "The Keldon city council voted on Tuesday to close the Aster bridge to lorries after "
    "inspectors found cracks in two of its supports."
)
MORE = (
    " Repairs are expected to take at least six months, the council's engineer said. "
    "Lorry drivers will be sent over the Oldmere ring road, which adds about twenty minutes. "
    "Shop owners near the bridge said they feared losing trade during the works."
)
LEAD_2 = (
    "Inspectors who examined the Aster bridge in Keldon this spring found cracks in two "
    "supports, and the council has now banned lorries from crossing it."
)
MORE_2 = (
    " The council's engineer said repairs would take at least six months. "
    "A diversion over the Oldmere ring road will add about twenty minutes to lorry journeys."
)


def _cut(sentence: str) -> str:
    return " ".join(sentence.split()[:12])  # what a feed without headlines offers as a title


@pytest.mark.parametrize(
    ("title", "text", "cut"),
    [
        (_cut(LEAD), LEAD + MORE, True),  # the opening words of the first sentence
        (_cut(LEAD), _cut(LEAD) + "\n" + LEAD + MORE, True),  # after a page's heading line
        (title_from_text(LEAD + MORE, 60), LEAD + MORE, True),  # the pipeline's own cut, "…"
        ("Keldon closes Aster bridge to lorries", LEAD + MORE, False),  # a headline
        (
            "Keldon closes Aster bridge to lorries",
            "Keldon closes Aster bridge to lorries\n" + LEAD + MORE,
            False,
        ),  # a page's heading line, then the lede
        ("Keldon closes Aster bridge", "Keldon closes Aster bridge. " + LEAD, False),
        (LEAD, LEAD, False),  # the whole sentence: a headline-only feed
        ("Keldon council", "Keldon council members met on Tuesday to vote.", False),  # 2 words
    ],
)
def test_a_title_cut_from_its_text_is_told_from_a_headline(
    title: str, text: str, cut: bool
) -> None:
    assert cut_from_text(title, text) is cut


def _item(n: int, title: str, text: str) -> Item:
    return Item(
        id=f"item-{n}",
        title=title,
        text=text,
        url=f"https://o{n}.example/{n}",
        outlet=f"o{n}.example",
        outlet_name=f"Outlet {n}",
        published=T0 + timedelta(minutes=n),
    )


def test_sentences_a_cut_title_was_taken_from_are_bullets_and_no_fragment_leads() -> None:
    items = [_item(1, _cut(LEAD), LEAD + MORE), _item(2, _cut(LEAD_2), LEAD_2 + MORE_2)]
    summary = summarize(items)
    bullets = [b.text for b in summary.bullets]
    # the lead sentences are what the reports say first: they are not dropped as restating
    # a title, and the headline is a whole sentence, not the twelve words cut from one
    assert LEAD in bullets or LEAD_2 in bullets or summary.headline in (LEAD, LEAD_2)
    assert summary.headline not in (_cut(LEAD), _cut(LEAD_2))
    assert summary.headline.endswith(".")


def test_a_real_headline_still_leads() -> None:
    items = [
        _item(1, "Keldon closes Aster bridge to lorries", LEAD + MORE),
        _item(2, _cut(LEAD_2), LEAD_2 + MORE_2),
    ]
    assert summarize(items).headline == "Keldon closes Aster bridge to lorries"


SHORT = "Keldon has closed a bridge. "


@pytest.mark.parametrize(
    ("title", "text", "cut"),
    [
        (title_from_text(SHORT + LEAD + MORE), SHORT + LEAD + MORE, True),  # the pipeline's cut
        (_cut(SHORT + LEAD), SHORT + LEAD + MORE, True),
        (SHORT + LEAD, SHORT + LEAD + MORE, False),  # whole sentences: the feed's headlines
        ("Keldon has closed a bridge", SHORT + LEAD + MORE, False),
    ],
)
def test_a_title_cut_past_a_short_first_sentence_is_cut_from_its_text(
    title: str, text: str, cut: bool
) -> None:
    assert cut_from_text(title, text) is cut


def test_a_cut_title_holding_a_short_first_sentence_does_not_lead_as_a_fragment() -> None:
    texts = [SHORT + LEAD + MORE, "Lorries are banned. " + LEAD_2 + MORE_2]
    items = [_item(n, title_from_text(text), text) for n, text in enumerate(texts, 1)]
    headline = summarize(items).headline
    assert headline.endswith(".")  # a whole sentence, not a title cut off mid-sentence
    assert headline not in {item.title.rstrip("…") for item in items}


ZH = (
    "凯尔登市议会周二投票决定禁止货车通过阿斯特大桥，检查人员此前在大桥的两个桥墩上发现了裂缝，"
    "维修工程预计至少需要六个月。市议会工程师表示，货车将改道奥尔德米尔环路。"
)
JA = (
    "ケルドン市議会は火曜日、点検でアスター橋の二本の支柱にひびが見つかったことを受け、"
    "大型トラックの通行を禁止することを決めた。修理には少なくとも半年かかる見通しだ。"
)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            ZH,
            "凯尔登市议会周二投票决定禁止货车通过阿斯特大桥…",  # (the next mark is the 43rd)
        ),
        (JA, "ケルドン市議会は火曜日、点検でアスター橋の二本の支柱にひびが見つかったことを受け…"),
        # no mark that fits: cut at the width (a character counts three of the limit)
        (
            "凯尔登市议会周二投票决定禁止货车通过阿斯特大桥" * 3,
            ("凯尔登市议会周二投票决定禁止货车通过阿斯特大桥" * 2)[:40] + "…",
        ),
        ("凯尔登大桥今起禁行货车。", "凯尔登大桥今起禁行货车。"),  # (short: whole)
    ],
)
def test_a_chinese_or_japanese_title_is_cut_at_a_mark_within_its_width(
    text: str, title: str
) -> None:
    """A character carries about what an English word does: 120 of them, with no space to cut
    at, made a title of a whole paragraph. The title now ends before the last sentence or
    clause mark of a fitting width (a character counts three of the limit), and is still a
    prefix of the text."""
    cut = title_from_text(text)
    assert cut == title
    assert text.startswith(cut.removesuffix("…"))
    assert title_from_text(LEAD + MORE) == title_from_text(LEAD + MORE, 120)  # (English as before)
    assert len(title_from_text(LEAD + MORE)) <= 121


def test_a_programme_prefix_goes_before_a_headline_of_three_words_in_any_script() -> None:
    """A feed's programme prefix is dropped when a headline of three words or more follows;
    a Chinese or Japanese one counts by its characters (two to a word), not as one word."""
    prefixes = frozenset({"NHKニュース", "Saksi"})
    assert without_prefix("NHKニュース: 東京で大雨警報が出る", prefixes) == "東京で大雨警報が出る"
    assert without_prefix("NHKニュース: 大雨", prefixes) == "NHKニュース: 大雨"
    assert without_prefix("NHKニュース: 大雨警報", prefixes) == "NHKニュース: 大雨警報"
    assert without_prefix("Saksi: Fire in Keldon port", prefixes) == "Fire in Keldon port"
    assert without_prefix("Saksi: Big fire", prefixes) == "Saksi: Big fire"


JA_LEAD = "港城市の港湾局によると、港口大橋は来週の月曜日から三か月間、補修のために閉鎖されます。"
JA_MORE = "期間中、渡し船の便は倍に増えます。市民は無料の連絡バスを使えます。"
ZH_RUN = "港城市交通运输局今天宣布港口大桥将从下周一起封闭三个月进行维修期间渡轮班次将增加一倍。"


@pytest.mark.parametrize(
    ("title", "text", "cut"),
    [
        (title_from_text(JA_LEAD + JA_MORE, 60), JA_LEAD + JA_MORE, True),  # cut at "、"
        (title_from_text(ZH_RUN + JA_MORE, 60), ZH_RUN + JA_MORE, True),  # cut at the width
        ("港口大橋を三か月閉鎖へ", JA_LEAD + JA_MORE, False),  # a headline
        ("港口大橋を三か月閉鎖へ", "港口大橋を三か月閉鎖へ\n" + JA_LEAD + JA_MORE, False),
        (JA_LEAD, JA_LEAD + JA_MORE, False),  # a whole first sentence
        (JA_LEAD.rstrip("。"), JA_LEAD + JA_MORE, False),  # … without its stop
        ("港城市の", JA_LEAD + JA_MORE, False),  # under three words: too short to tell
        # a Latin title naming someone in Chinese characters, whole as its first sentence
        ("Keldon mayor Li Wei (李伟) resigns", "Keldon mayor Li Wei (李伟) resigns. More.", False),
        ("Keldon mayor Li Wei (李伟)", "Keldon mayor Li Wei (李伟) resigns. More.", True),
    ],
)
def test_a_chinese_or_japanese_title_cut_from_its_text_is_told_by_its_characters(
    title: str, text: str, cut: bool
) -> None:
    """An unspaced run is one of `words`: a cut title of two such runs had passed for a
    headline, and one cut inside a run never matched its text."""
    assert cut_from_text(title, text) is cut


def test_a_japanese_items_cut_title_gives_way_to_its_whole_lead_sentence() -> None:
    text = JA_LEAD + JA_MORE
    summary = summarize([_item(1, title_from_text(text, 60), text)])
    assert summary.headline == JA_LEAD


def test_a_japanese_heading_line_of_a_few_words_is_an_untitled_items_title() -> None:
    """A first paragraph of four words or more, counted by characters, is the title; a
    shorter one ("速報") is a label and the title runs on, as in English."""
    assert title_from_text("港口大橋を三か月閉鎖へ\n" + JA_LEAD) == "港口大橋を三か月閉鎖へ"
    assert title_from_text("速報\n" + JA_LEAD).startswith("速報\n港城市の港湾局によると")


@pytest.mark.parametrize(
    "text",
    [
        JA_LEAD.rstrip("。"),  # one sentence without its stop
        "The harbour authority said on Monday that the bridge " * 12 + "would close. More later.",
    ],
)
def test_an_untitled_items_cut_title_heads_its_story_when_no_lead_sentence_can(
    text: str,
) -> None:
    """A cut title gives way to the lead sentence; when no sentence of the text can head the
    story (unstopped, too long), the cut title does, with its "…", not an empty headline."""
    title = title_from_text(text, 60)
    assert cut_from_text(title, text)
    assert summarize([_item(1, title, text)]).headline == title
