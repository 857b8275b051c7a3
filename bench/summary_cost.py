"""CPU cost of summarising, and a dump of every summary to check that output is unchanged.

Stories are built from Multi-News clusters (one item per document, each from its own outlet)
plus every document alone as a one-item story. Three passes, as the story job meets them:
  cold     every story summarised once (multi-document stories, then the singletons),
  grown    each multi-document story summarised again after gaining its last document
           (first without it, then with it: the second summary re-reads the others),
  singles  every one-item story summarised again (a one-item story re-summarised).
Prints CPU seconds per pass with the per-item memo emptied first ("cold memo") and kept
("warm memo") in the same run, and with --dump writes every summary (headline, bullets with
citations) as JSON lines for a byte-for-byte diff against another build.

    python bench/summary_cost.py --data ../shared/data/dev/multinews-dev.jsonl --dump out.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aggregator.models import Item, Summary
from aggregator.summarize import ExtractiveSummarizer

try:  # the memo arrived with this bench; older builds run without it
    from aggregator.bullets import clear_memo
except ImportError:  # pragma: no cover - comparing against an older build

    def clear_memo() -> None:
        return None


BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _title(document: str) -> str:
    for line in document.splitlines():
        words = line.split()
        if len(words) >= 4:
            return " ".join(words[:14])
    return " ".join(document.split()[:10])


def stories(path: Path, limit: int) -> list[list[Item]]:
    out: list[list[Item]] = []
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if n >= limit:
                break
            record = json.loads(line)
            items = [
                Item(
                    id=f"{n}-{k}",
                    title=_title(doc),
                    text=doc,
                    url=f"https://outlet{k}.example/{n}",
                    published=BASE + timedelta(minutes=n * 10 + k),
                    outlet=f"outlet{k}.example",
                    outlet_name=f"Outlet {k}",
                    content_hash=f"h{n}-{k}",
                )
                for k, doc in enumerate(record["documents"])
                if doc.strip()
            ]
            if items:
                out.append(items)
    return out


def record(label: str, summary: Summary) -> str:
    return json.dumps(
        {
            "story": label,
            "headline": summary.headline,
            "bullets": [[b.text, list(b.sources)] for b in summary.bullets],
        },
        ensure_ascii=False,
    )


def passes(multi: list[list[Item]]) -> Iterator[tuple[str, str, list[Item]]]:
    """(pass, label, items) in the order the bench summarises them."""
    singles = [[item] for story in multi for item in story]
    for n, story in enumerate(multi):
        yield "cold", f"multi-{n}", story
    for n, story in enumerate(singles):
        yield "cold", f"single-{n}", story
    for n, story in enumerate(multi):
        if len(story) > 1:
            yield "grown", f"before-{n}", story[:-1]
            yield "grown", f"after-{n}", story
    for n, story in enumerate(singles):
        yield "singles", f"single-{n}", story


def run(multi: list[list[Item]], warm: bool, dump: list[str] | None) -> dict[str, float]:
    summarizer = ExtractiveSummarizer()
    clear_memo()
    cpu: dict[str, float] = {}
    for name, label, items in passes(multi):
        if not warm:
            clear_memo()
        start = time.process_time()
        summary = summarizer.summarize(items)
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - start
        if dump is not None:
            dump.append(f"{name} {record(label, summary)}")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/dev/multinews-dev.jsonl"))
    parser.add_argument("--stories", type=int, default=250)
    parser.add_argument("--dump", type=Path, help="write every summary here (JSON lines)")
    args = parser.parse_args()
    multi = stories(args.data, args.stories)
    items = sum(len(s) for s in multi)
    print(f"{len(multi)} multi-document stories, {items} items (each also a one-item story)")
    lines: list[str] = []
    warm_lines: list[str] = []
    cold = run(multi, warm=False, dump=lines)
    warm = run(multi, warm=True, dump=warm_lines)
    same = "identical" if lines == warm_lines else "DIFFERENT"
    print(f"summaries with the memo emptied before each story and kept throughout: {same}")
    print(f"{'pass':<8} {'cold memo CPU s':>16} {'warm memo CPU s':>16} {'ratio':>7}")
    for name in cold:
        ratio = cold[name] / warm[name] if warm[name] else float("inf")
        print(f"{name:<8} {cold[name]:>16.2f} {warm[name]:>16.2f} {ratio:>6.1f}x")
    total_cold, total_warm = sum(cold.values()), sum(warm.values())
    print(f"{'total':<8} {total_cold:>16.2f} {total_warm:>16.2f} {total_cold / total_warm:>6.1f}x")
    if args.dump:
        args.dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(lines)} summaries written to {args.dump}")


if __name__ == "__main__":
    main()
