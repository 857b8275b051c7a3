"""Count summaries that tell one fact in two bullets, by rules of this bench's own.

Reads summaries written by `bench/summary_cost.py --dump` (JSON lines, "<pass> {json}"; only
the "cold" pass is read) or printed by `bench/summary_lint.py --all` (a "[story] headline" line,
then "    - bullet [sources]" lines), and flags each pair of bullets of one summary that looks like
one fact told twice:
  - they share at least `--share` of the smaller one's content words (stems cut to five
    letters, no stopwords, nothing under three letters), and at least three of them;
  - every number of the smaller one is also the other's (a different number, or a date, is
    another fact);
  - every capitalised name inside the smaller one (not its first word) has a word the other
    holds (a new name is someone else's side of the story).
The rules are written apart from the summarizer's own, so a drop in the count is earned. What
is flagged still needs reading: `--show` prints each pair.

    python bench/repeated_facts.py FILE [--share 0.4] [--show] [--label multi-]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aggregator.tokens import STOPWORDS, stem, tokens

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][\w'’-]*")
_LINT_BULLET = re.compile(r"^    - (.*) \[[\d, ]*\]$")

Summary = tuple[str, str, list[str]]  # (label, headline, bullets)


def content_words(text: str) -> set[str]:
    """Stems cut to five letters, without stopwords, numbers and words under three letters."""
    return {
        stem(w)[:5] for w in tokens(text) if w not in STOPWORDS and len(w) > 2 and not w.isdigit()
    }


def numbers(text: str) -> set[str]:
    return {m.group().replace(",", "") for m in _NUMBER.finditer(text)}


def names(text: str) -> set[str]:
    return {m.group().lower() for m in _NAME.finditer(text) if m.group().lower() not in STOPWORDS}


def same_fact(a: str, b: str, share: float) -> bool:
    """Whether two bullets look like one fact told twice (the rules of the docstring)."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return False
    small, large = (a, b) if len(wa) <= len(wb) else (b, a)
    shared = len(wa & wb)
    if shared < 3 or shared < share * min(len(wa), len(wb)):
        return False
    if not numbers(small) <= numbers(large):
        return False
    held = content_words(large) | {w.lower() for w in tokens(large)}
    return all(any(stem(w)[:5] in held or w in held for w in tokens(n)) for n in names(small))


def read(path: Path) -> Iterator[Summary]:
    """The summaries of a `summary_cost --dump` file (cold pass) or a `summary_lint --all`
    printout."""
    text = path.read_text(encoding="utf-8")
    if text.startswith(("cold ", "grown ", "singles ")):
        for line in text.splitlines():
            kind, _, data = line.partition(" ")
            if kind == "cold":
                row = json.loads(data)
                yield row["story"], row["headline"], [b[0] for b in row["bullets"]]
        return
    current: Summary | None = None
    for line in text.splitlines():
        if line.startswith("[story] "):
            if current is not None:
                yield current
            current = (line[8:], line[8:], [])
        elif current is not None and (m := _LINT_BULLET.match(line)):
            current[2].append(m.group(1))
    if current is not None:
        yield current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--share", type=float, default=0.4)
    parser.add_argument("--show", action="store_true", help="print each flagged pair")
    parser.add_argument("--label", default="", help="only summaries whose label starts so")
    args = parser.parse_args(argv)
    summaries = flagged = pairs = multi = 0
    for label, headline, bullets in read(args.file):
        if not label.startswith(args.label):
            continue
        summaries += 1
        multi += len(bullets) > 1
        found = [(a, b) for a, b in combinations(bullets, 2) if same_fact(a, b, args.share)]
        flagged += bool(found)
        pairs += len(found)
        if args.show:
            for a, b in found:
                print(f"== {label}: {headline}\n   A {a}\n   B {b}")
    print(
        f"{summaries} summaries ({multi} with 2+ bullets): {flagged} with a repeated fact "
        f"({pairs} pairs; share {args.share})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
