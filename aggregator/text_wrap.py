"""Plain text wrapped to a width in columns, as a monospaced screen shows it. Pure.

`textwrap` counts characters and breaks only at spaces: a Chinese or Japanese line (its
characters two columns wide, no spaces between words) ran to twice the width, and a sentence
without spaces was one line however long. Here a wide character counts two columns and a
line may break before any of them, never before a closing mark (，。」) nor after an opening
one (「（), as CJK line-breaking rules have it. Text with no wide character is wrapped by
`textwrap`, as before.
"""

from __future__ import annotations

import textwrap
import unicodedata

__all__ = ["columns", "wrap"]

# no line starts with these (closing marks, small kana's marks), nor ends with the openers
_CLOSING = frozenset("，。、．・：；！？）」』】〕〉》〗〙〛”’ヽヾゝゞ々ー～…‥,.:;!?)]}%")
_OPENING = frozenset("（「『【〔〈《〖〘〚“‘([{")
_ZWJ = "\u200d"  # (joins the emoji either side of it into one: 👨‍👩‍👧)


def _joins(ch: str) -> bool:
    """Whether `ch` is drawn with the character before it: a mark (a decomposed が's ゙), a
    joiner or a variation selector, a skin tone (👍🏽): no line breaks before it."""
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf") or "\U0001f3fb" <= ch <= "\U0001f3ff"
    )


def _width(ch: str) -> int:
    if unicodedata.combining(ch) or (_joins(ch) and unicodedata.category(ch) != "Mc"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def columns(text: str) -> int:
    """How many columns `text` takes on a monospaced screen."""
    return sum(_width(ch) for ch in text)


def _pieces(text: str) -> list[str]:
    """The text cut where a line may break: before a space run, before a wide character
    (unless it closes), and after a space run; an opener goes with what follows it."""
    pieces: list[str] = []
    for ch in text:
        last = pieces[-1][-1] if pieces else ""
        if not last:
            pieces.append(ch)
        elif (ch == " ") != (last == " "):
            pieces.append(ch)  # (a space run starts or ends)
        elif (
            ch != " "
            and ch not in _CLOSING
            and last not in _OPENING
            and last != _ZWJ
            and not _joins(ch)
            and (_width(ch) == 2 or _width(last) == 2)
        ):
            pieces.append(ch)  # (before or after a wide character)
        else:
            pieces[-1] += ch
    return pieces


def wrap(
    text: str, width: int, *, initial_indent: str = "", subsequent_indent: str = ""
) -> list[str]:
    """`text`'s lines of at most `width` columns (a piece wider than a line has one of its
    own), the first starting with `initial_indent`, the others with `subsequent_indent`."""
    if all(_width(ch) < 2 for ch in text):
        return textwrap.wrap(
            text, width, initial_indent=initial_indent, subsequent_indent=subsequent_indent
        )
    lines: list[str] = []
    line, used, empty, spaced = initial_indent, columns(initial_indent), True, False
    for piece in _pieces(" ".join(text.split())):
        if piece.isspace():
            spaced = True
            continue
        gap = " " if spaced and not empty else ""
        need = columns(gap + piece)
        if not empty and used + need > width:
            lines.append(line)
            line, used, empty = subsequent_indent, columns(subsequent_indent), True
            gap, need = "", columns(piece)
        line, used, empty, spaced = line + gap + piece, used + need, False, False
    if not empty:
        lines.append(line)
    return lines
