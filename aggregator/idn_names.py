"""A domain as a reader is shown it: in Unicode where it cannot pass for another domain, in
its ASCII (IDNA) form where it could, as browsers show addresses. Pure."""

from __future__ import annotations

import unicodedata

__all__ = ["shown_domain"]

# Scripts that may share a label (Chrome's rule: Japanese and Korean names mix them with Latin)
_TOGETHER = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
)
# Lower-case Cyrillic and Greek letters that read as Latin ones: a label made of them alone
# ("аррӏе") passes for a Latin name under a top-level domain that is not in their script.
_LOOK_LATIN = frozenset("асԁеһіјӏорԛѕԝхуъьҽпгѵѡ" + "αβεικνορτυχ")
# ... except under the ASCII top-level domains of the countries that write in that script
# ("пресса.ru", "ερτ.gr" are their own names, as browsers show them)
_OWN_TLDS = {
    "CYRILLIC": frozenset("bg by kg kz mk mn rs ru su tj ua uz".split()),
    "GREEK": frozenset({"gr", "cy"}),
}


def _script(ch: str) -> str:
    """The script a letter is written in, as its Unicode name begins ("" for no letter)."""
    if not ch.isalpha():
        return ""
    name = unicodedata.name(ch, "")
    return "KATAKANA" if name.startswith("KATAKANA-HIRAGANA") else name.split(" ", 1)[0]


def _unseen(label: str) -> bool:
    """Whether `label` holds a character that is no letter, digit, mark or hyphen: one that
    reads as nothing or as another ("pay\u200dpal", a zero-width joiner; "ex\u2024ample", a
    dot leader), but the middle dots IDNA lets be ("col·legi", "ニュース・速報")."""
    for at, ch in enumerate(label):
        if ch.isalnum() or ch == "-" or unicodedata.category(ch).startswith("M"):
            continue
        if ch == "\u00b7" and label[at - 1 : at] == "l" and label[at + 1 : at + 2] == "l":
            continue
        if ch == "\u30fb" and {"HIRAGANA", "KATAKANA", "CJK"} & set(map(_script, label)):
            continue
        return True
    return False


def _confusable(label: str, tld: str) -> bool:
    """Whether `label` (Unicode) could pass for another: letters of scripts that do not go
    together, or Cyrillic or Greek letters that all read as Latin, under an ASCII `tld` not
    of a country that writes in their script."""
    if _unseen(label):
        return True
    scripts = {s for s in map(_script, label) if s}
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in _TOGETHER):
        return True
    own = [_OWN_TLDS[s] for s in scripts if s in _OWN_TLDS]
    letters = [ch for ch in label if ch.isalpha()]
    return (
        bool(own)
        and tld.isascii()
        and tld.lower() not in own[0]
        and all(ch in _LOOK_LATIN for ch in letters)
    )


def _forms(label: str) -> tuple[str, str]:
    """A label's ASCII form and its Unicode text, each letter as written (IDNA 2003's
    mapping, Python's "idna" codec, made "straße" "strasse" and a final sigma σ: another
    domain's name); UnicodeError when it is no label Punycode can write or read."""
    if label.isascii():
        ace = label.lower()
        return ace, ace[4:].encode("ascii").decode("punycode") if ace.startswith("xn--") else label
    return "xn--" + label.lower().encode("punycode").decode("ascii"), label


def shown_domain(domain: str) -> str:
    """`domain` in Unicode, each label that could pass for another's in its ASCII form
    ("xn--…"); as given when it is no domain IDNA can write."""
    try:
        forms = [_forms(label) for label in domain.split(".")]
    except UnicodeError:
        return domain
    tld = forms[-1][1]
    return ".".join(ace if _confusable(text, tld) else text for ace, text in forms)
