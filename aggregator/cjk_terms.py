"""Grouping terms, names and near-duplicate units for Chinese and Japanese text. Pure.

Chinese and Japanese are written without spaces, so a run of Han or kana is one "word" to a
whitespace tokeniser, and two reports of one event share no such word. Here a run becomes
terms the way CJK search engines index it (Lucene's CJK bigrams), with what carries no event
left out:
- Han characters: overlapping character pairs, cut first, in Chinese, at function characters
  (的 了 是 在 …, which join words and never name an event) and leaving out pairs that nearly
  every report of any event holds (中国, 表示, 记者, 政府 …: `STOP_PAIRS`). Japanese writes its
  function words in kana, and its Han runs are content words whole (被害, 一時, 首都, 将来):
  they are cut at common pairs only. One Han character alone is no term (a Japanese verb stem
  before its kana, "月" of a date).
- Hiragana: left out. In Japanese news it writes particles and verb endings (の, は, した).
- Katakana: one term per run (ウクライナ, トヨタ): loanwords, foreign people and places.
- Digits: kept as numbers (a toll, a count), except before a date or time character (3月,
  2日, 10時): dates say when, not what, as in `terms`. A span (3時間, 5日間) is a count: its
  number is kept, its characters are no pair. Full-width digits and letters are
  read as their ASCII forms.

There are no capitals to tell a name. Names here are what is written as one: a katakana run,
and the pair of Han characters before a place or body suffix (浙江省, 港城市, 東京都, 華光公司)
or before a Japanese title (岸田首相, 山田氏).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from .cjk_script import (
    CJK_CHAR,
    DATE_CHARS,
    FULL_WIDTH,
    FULL_WIDTH_CHAR,
    HAN,
    HIRAGANA,
    KATAKANA,
    SPAN_CHARS,
    has_cjk,
    read_as_japanese,
)

if TYPE_CHECKING:
    from .features import Features
    from .window_counts import WindowCounts

__all__ = [
    "FUNCTION_CHARS",
    "STOP_PAIRS",
    "cjk_names",
    "cjk_words",
    "enough_pieces",
    "longest_piece",
    "near_units",
    "piece_count",
    "shared_pieces",
    "terms_hold_cjk",
]

# A word as `tokens.words` finds it, cut into script runs: Han, katakana, hiragana, and
# digits and other letters (with the span, "時間", or else the date or time character after
# them, if any). The long vowel mark "ー" is in the katakana block.
_PIECE = re.compile(
    f"(?P<han>[{HAN}]+)|(?P<kata>[{KATAKANA}]+)|(?P<hira>[{HIRAGANA}]+)"
    f"|(?P<other>[^{HAN}{HIRAGANA}{KATAKANA}]+)"
    f"(?:(?P<span>[{DATE_CHARS}][{SPAN_CHARS}])|(?P<date>[{DATE_CHARS}]))?"
)

# Characters that join words and never name an event (Chinese grammar; in Japanese the same
# work is done by hiragana, already left out). A Han run is cut at each, so "在北京的会议" is
# "北京" and "会议". Content words holding one (首都, 和平) lose that pair. On the test fixture
# these cuts and `STOP_PAIRS` raised every same-event pair's margin (one +0.06 → +0.20) and
# lowered the nearest wrong pair's (-0.04 → -0.07).
FUNCTION_CHARS = frozenset(
    "的了着是在和与及或并而但也都又就才被把将对从向于为以之其这那此该等吗呢吧啊个一"
)

# Pairs that reports of any event hold: countries every outlet names, reporting verbs, the
# newsroom's own words, dates and time words. They would glue unrelated same-day reports.
STOP_PAIRS = frozenset(
    """中国 美国 日本 韩国 国家 全国 政府 国际 世界 地区 社会 经济 发展 工作 问题 情况
    表示 指出 认为 介绍 称为 宣布 报道 记者 新闻 消息 来源 据悉 日电 新华 央视 人民 网讯
    今天 昨天 明天 今年 去年 明年 目前 近日 日前 当天 当日 时间 期间 此前 之后 以来 小时
    已经 进行 开展 相关 有关 方面 没有 可以 可能 需要 通过 这些 那些 我们 他们 她们 自己
    因为 所以 如果 虽然 但是 还是 就是 同时 此外 其中 其他 所有 一些 很多 不少 表明 强调
    发生 出现 成为 提供 继续 开始 举行 要求 希望 已有 负责 人员 部门 有限 月份 上午 下午
    晚上 早上 中午 凌晨 今日 昨日 明日 今回 午前 午後 今月 先月 来月 今週 先週 会見 発表
    関係 問題 記者 報道 国内 海外 以上 以下 地域 状況 必要 対応 確認
    説明 予定 方針 一方 結果 影響 現在 当時 昨年 来年 同日 同市 同社 同氏 首相 大臣 最新 快讯 速報
    """.split()
)
# Katakana runs that are the newsroom's words, not a name.
_STOP_KATAKANA = frozenset(
    "ニュース テレビ インターネット ネット サイト ウェブ メディア ページ ビデオ データ".split()
)
# After these, the two Han characters before are a place, a body or a person.
_NAME_SUFFIX = re.compile(
    "公司|集团|集團|银行|銀行|大学|大學|会社|社長|首相|大統領|総理|知事|市長|市长|容疑者|被告|总统"
    "|總統|[省市县縣区區州镇鎮村町県都府岛島港湾灣氏]"
)
_HAN_CHAR = re.compile(f"[{HAN}]")
_KATA_NAME = re.compile(f"[{KATAKANA}]{{2,}}")
# Where a Han run is cut: a function character, else a common pair (tried in that order at
# each character, left to right); in Japanese (`read_as_japanese`) a common pair only.
_CUT = re.compile("[" + "".join(sorted(FUNCTION_CHARS)) + "]|" + "|".join(sorted(STOP_PAIRS)))
_CUT_JAPANESE = re.compile("|".join(sorted(STOP_PAIRS)))
_LOOK_TERMS = 40  # text terms `terms_hold_cjk` looks at
_UNIT = re.compile(f"[{HAN}{HIRAGANA}{KATAKANA}]|[^\\W_{HAN}{HIRAGANA}{KATAKANA}]+")


def _han_pairs(run: str, out: list[str], cut: re.Pattern[str]) -> None:
    """The character pairs of a Han run, cut where `cut` matches."""
    for chunk in cut.split(run):
        out.extend([chunk[i : i + 2] for i in range(len(chunk) - 1)])


def cjk_words(words: Iterable[str], *, japanese: bool) -> list[str]:
    """Lower-cased words (`tokens.words`) with their Chinese and Japanese runs made into
    grouping terms (see the module); other words are kept as they are. `japanese`: the
    words are a Japanese text's (`cjk_script.read_as_japanese`), whose Han runs are not cut at
    Chinese function characters."""
    cut = _CUT_JAPANESE if japanese else _CUT
    out: list[str] = []
    for word in words:
        if not has_cjk(word):
            out.append(word)
            continue
        if FULL_WIDTH_CHAR.search(word):
            word = word.translate(FULL_WIDTH)
        for piece in _PIECE.finditer(word):
            kind = piece.lastgroup
            if kind == "han":
                _han_pairs(piece.group(), out, cut)
            elif kind == "kata":
                run = piece.group()
                if len(run) > 1 and run not in _STOP_KATAKANA:
                    out.append(run)
            elif kind != "hira":  # digits, other letters ("ps2"); a number of a date goes
                other = piece.group("other")
                if not (other.isdigit() and piece.group("date")):
                    out.append(other)
    return out


def cjk_names(text: str, language: str | None = None) -> list[str]:
    """Terms a Chinese or Japanese text writes as names, in order: katakana runs and the Han
    pair before a place, body or title suffix (see the module); in Chinese, not a pair
    holding a function character, which is no term there. `language`: the text's declared
    language, which tells Japanese from Chinese where it names one (`read_as_japanese`)."""
    function_chars = frozenset() if read_as_japanese(text, language) else FUNCTION_CHARS
    found: list[str] = []
    for match in _KATA_NAME.finditer(text):
        run = match.group()
        if run not in _STOP_KATAKANA and not all(c in "・ー" for c in run):
            found.extend(part for part in run.split("・") if len(part) > 1)
    taken = 0  # where the last name's suffix ends ("浙江省杭州市": not "省杭" before "州")
    for match in _NAME_SUFFIX.finditer(text):
        start = match.start() - 2
        pair = text[max(start, 0) : match.start()]
        if start < taken or len(pair) < 2 or not all(map(_HAN_CHAR.match, pair)):
            continue
        if pair in STOP_PAIRS or any(c in function_chars for c in pair):
            continue
        found.append(pair)
        taken = match.end()
    return found


def near_units(words: Sequence[str]) -> tuple[list[str], int]:
    """Words (`tokens.words`) with Chinese and Japanese runs cut into single characters, for
    near-duplicate shingles, and the text's length in words (two such characters to a word,
    as `tokens.word_count` counts)."""
    units: list[str] = []
    cjk = 0
    for word in words:
        if not has_cjk(word):
            units.append(word)
            continue
        for unit in _UNIT.findall(word):
            units.append(unit)
            cjk += len(unit) == 1 and CJK_CHAR.match(unit) is not None
    return units, len(units) - cjk + (cjk + 1) // 2


def shared_pieces(terms: Iterable[str], shared: Iterable[str]) -> int:
    """How many separate pieces the `shared` terms make in `terms` (an item's title and text
    terms, in order): overlapping character pairs of one word ("港口", "口大", "大桥") are
    one piece, so one shared word of four characters counts once, as one shared English word
    does; any other shared term is a piece of its own. A term counts once however often it
    comes."""
    keep = set(shared)
    seen: set[str] = set()
    pieces, last = 0, ""
    for term in terms:
        if term not in keep:
            last = ""
            continue
        chained = len(term) == 2 == len(last) and last[1] == term[0] and has_cjk(term)
        if not chained and term not in seen:
            pieces += 1
        seen.add(term)
        last = term
    return pieces


def piece_count(terms: Collection[str]) -> int:
    """`shared_pieces` of a set of terms whose order is not known: a Chinese or Japanese pair
    continuing another pair of the set ("口大" after "港口") is part of its piece."""
    if all(t.isascii() for t in terms):
        return len(terms)
    pairs = [t for t in terms if len(t) == 2 and has_cjk(t)]
    ends = {t[1] for t in pairs}
    return len(terms) - sum(t[0] in ends and t[0] != t[1] for t in pairs)


def longest_piece(terms: Iterable[str], shared: Iterable[str]) -> int:
    """How many characters the longest piece of overlapping shared pairs spans ("港口",
    "口大", "大桥": 4); 0 when no shared pair is Chinese or Japanese."""
    keep = set(shared)
    longest, length, last = 0, 0, ""
    for term in terms:
        if term not in keep or len(term) != 2 or not has_cjk(term):
            length, last = 0, ""
            continue
        length = length + 1 if last and last[1] == term[0] else 2
        longest = max(longest, length)
        last = term
    return longest


def terms_hold_cjk(features: Features) -> bool:
    """Whether an item's terms hold Chinese or Japanese (its title's, or its text's first)."""
    head = "".join(features.title) + "".join(features.text[:_LOOK_TERMS])
    return has_cjk(head)


def enough_pieces(item: Features, member: Features, counts: WindowCounts, least: int) -> bool:
    """Whether the distinctive terms two items share make `least` separate pieces
    (`shared_pieces`): the clusterer's "shared terms" asked of Chinese and Japanese, whose
    terms are overlapping pairs. Two reports on one topic share its word ("新冠肺炎疫情": five
    pairs); two reports of one event share several words."""
    shared = [t for t in item.unique & member.unique if counts.distinctive(t)]
    if len(shared) < least:
        return False
    return shared_pieces(chain(item.title, item.text), shared) >= least
