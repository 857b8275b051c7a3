"""Which characters are Chinese or Japanese script, and whether a text holds them. Pure.

The one place that knows the script ranges: word counts (`tokens`), grouping terms
(`cjk_terms`) and summaries (`novelty`, `summarize`) all ask here.
"""

from __future__ import annotations

import re

__all__ = [
    "CJK_CHAR",
    "CJK_RUN",
    "DATE_CHARS",
    "FULL_WIDTH",
    "FULL_WIDTH_CHAR",
    "HAN",
    "HIRAGANA",
    "KANA_LETTER",
    "KATAKANA",
    "OPENING_CHARS",
    "SPAN_CHARS",
    "cjk_pairs",
    "declared_japanese",
    "has_cjk",
    "opens_cjk",
    "read_as_japanese",
    "writes_japanese",
]

# Character-class ranges (for `[...]` in a pattern). Han holds the iteration mark 々, the
# compatibility ideographs and extensions A-G; katakana its phonetic extensions and the
# half-width forms. Hangul is spaced like English and is left out.
HAN = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HIRAGANA = "\u3040-\u309f"
KATAKANA = "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
CJK_CHAR = re.compile(f"[{HAN}{HIRAGANA}{KATAKANA}]")  # one Han or kana character
CJK_RUN = re.compile(f"[{HAN}{HIRAGANA}{KATAKANA}]+")  # a run of them
# A kana letter: hiragana, or katakana but its middle dot "・", which Chinese text writes too
# (between a foreign name's parts). Only Japanese writes kana.
KANA_LETTER = re.compile(f"[{HIRAGANA}\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# Full-width digits and Latin letters ("２０２６", "ＡＩ") read as their ASCII forms.
FULL_WIDTH = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B))}
    | {chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)}
)
FULL_WIDTH_CHAR = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")  # one `FULL_WIDTH` reads
# Characters after a number that make it a date or a time (3月, 2日, 10時): it says when.
DATE_CHARS = "年月日号時时分秒"
# After a date or time character, these make it a span (3時間 three hours, 5日間, 10年间): how
# much, not when, so its number is a figure.
SPAN_CHARS = "間间"
OPENING_CHARS = 400  # characters `opens_cjk` looks at


def cjk_pairs(text: str) -> str:
    """`text` with each run of Han or kana written as its overlapping pairs of characters,
    spaced ("北京举办" → "北京 京举 举办"; one character alone stays): what a word-splitting
    index (FTS5's `unicode61`, which reads an unspaced run as one word) can find a word inside
    a sentence by. Text without them is returned as it is."""
    if not has_cjk(text):
        return text

    def paired(match: re.Match[str]) -> str:
        run = match.group()
        if len(run) == 1:
            return run
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    return CJK_RUN.sub(paired, text)


def has_cjk(text: str) -> bool:
    """Whether a text holds Han, hiragana or katakana (ASCII text is answered at once)."""
    return not text.isascii() and CJK_CHAR.search(text) is not None


def opens_cjk(text: str) -> bool:
    """Whether Han or kana stand in a text's opening (its first `OPENING_CHARS` characters):
    how grouping tells a Chinese or Japanese text. (A whole long text costs ~10 µs per 1,000
    characters to scan, on every item; a text that turns to Chinese only later keeps its
    runs whole.)"""
    return not text.isascii() and CJK_CHAR.search(text, 0, OPENING_CHARS) is not None


_HAN_CHAR = re.compile(f"[{HAN}]")
_HIRAGANA_CHAR = re.compile(f"[{HIRAGANA}]")


def writes_japanese(text: str) -> bool:
    """Whether a text's opening (its first `OPENING_CHARS` characters) is written as Japanese
    is: with kana for its particles and verb endings, where Chinese writes its function words
    in Han. A few kana among many Han characters are a Chinese text's Japanese name (a brand,
    "优衣库（ユニクロ）", a shop's "の"): Japanese is one hiragana letter in twenty of its Han and
    kana letters (its particles; a headline's one: "京都府で大雪"), or one kana letter in eight
    (a headline of katakana words: "ゼレンスキー大統領", "都心積雪12センチ")."""
    if text.isascii():
        return False
    kana = len(KANA_LETTER.findall(text, 0, OPENING_CHARS))
    if not kana:
        return False
    letters = kana + len(_HAN_CHAR.findall(text, 0, OPENING_CHARS))
    hiragana = len(_HIRAGANA_CHAR.findall(text, 0, OPENING_CHARS))
    return hiragana * 20 >= letters or kana * 8 >= letters


# A declared language's first subtag (BCP 47, ISO 639-2 and -3 codes) that says which of the
# two a Chinese or Japanese text is: Japanese, or Chinese (Mandarin, Cantonese, any script).
# "jp" and "cn", the countries' codes, are written for the languages' by many feeds
# (`<language>jp</language>`); no language has either as its code.
_JAPANESE_TAGS = frozenset({"ja", "jpn", "jp"})
_CHINESE_TAGS = frozenset({"zh", "zho", "chi", "cmn", "yue", "cn"})


def declared_japanese(language: str | None) -> bool | None:
    """Whether a declared language tag ("ja-JP", "zh-Hant") names Japanese (True) or Chinese
    (False); None for any other tag, or none."""
    if not language:
        return None
    primary = language.split("-", 1)[0].split("_", 1)[0].strip().lower()
    if primary in _JAPANESE_TAGS:
        return True
    if primary in _CHINESE_TAGS:
        return False
    return None


def read_as_japanese(text: str, language: str | None = None) -> bool:
    """Whether a text's Han runs are read as Japanese: as its declared `language` (a feed's
    `<language>`, "ja-JP", "zh-Hant") says when it names Japanese or Chinese
    (`declared_japanese`), else as its script does (`writes_japanese`). A headline written in
    kanji alone ("東京都知事選挙結果発表") has no kana to tell it; its feed does."""
    declared = declared_japanese(language)
    return writes_japanese(text) if declared is None else declared
