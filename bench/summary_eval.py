"""Score `aggregator summarize` on Multi-News against baselines, through the whole pipeline, and
lint the published summaries of the real-news dev days, in one run.

    .venv/bin/python bench/summary_eval.py [--data PATH] [--budget 200] [--limit N]
        [--no-pipeline] [--pipeline-limit N] [--pipeline-repeat N] [--no-lint]
        [--save-scores FILE] [--baseline FILE]

Each cluster becomes one input line of the batch command (one publisher per document) and is
summarised on its code path (`summary_batch.run_batch` with `make_summarizer`); the bullets are
joined and cut at the word budget, then scored with ROUGE-1/2/L F (stemming on) against the
reference summary.
In the same run: the lead baseline (first sentences of each document in turn) and, when the
`sumy` package is installed, LexRank, both at the same budget. Redundancy is the highest
pairwise token Jaccard between a summary's units (bullets or sentences), averaged over clusters.
The margin over lead is also given paired per cluster, with its standard error and halves.
`--save-scores` keeps the per-cluster scores of ours and lead (with commit and settings);
`--baseline` pairs this run's ours with such a file, cluster by cluster: far less noise than
comparing two means over the clusters.
The whole-pipeline table scores each cluster by the published story holding most of its
documents (`summary_pipeline`), and, as diagnostics, by the story holding the documents the
batch command's bullets cite, and by its best-scoring piece (a bound); its gap is split by
cause: clusters split over stories, other clusters' reports in the story scored, the rest.

ROUGE comes from the `rouge-score` package when installed (bench only, not a dependency of the
package); otherwise from a small built-in implementation (same tokenizer idea, Porter-less stems).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dataclasses  # noqa: E402
import io  # noqa: E402

from aggregator.config import Settings  # noqa: E402
from aggregator.models import Item  # noqa: E402
from aggregator.sentences import split_sentences  # noqa: E402
from aggregator.summarize import make_summarizer  # noqa: E402
from aggregator.summary_batch import run_batch  # noqa: E402
from aggregator.text import clean_text  # noqa: E402
from aggregator.tokens import STOPWORDS, stem, tokens, words  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import paired  # noqa: E402


def _shared() -> Path:
    """../shared beside the repository (or beside its worktree's parent)."""
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "data").is_dir():
            return base / "shared"
    return REPO.parent / "shared"


DEFAULT_DATA = _shared() / "data" / "dev" / "multinews-dev.jsonl"
_TERMINAL = re.compile(r"""[.!?:]["'”’)\]]*$""")

Scorer = Callable[[str, str], dict[str, float]]
OURS, LEAD = "extractive (ours)", "lead (round robin)"


# --- data -----------------------------------------------------------------------------------


def load(path: Path, limit: int | None) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                break
            if line.strip():
                yield json.loads(line)


def documents(raw: Sequence[str]) -> list[str]:
    """The cluster's documents; some Multi-News versions join them with '|||||' markers."""
    out: list[str] = []
    for doc in raw:
        out.extend(part.strip() for part in doc.split("|||||") if part.strip())
    return out


def to_item(cluster_id: str, index: int, doc: str) -> Item:
    """A document as a feed item: a heading-like first paragraph becomes its title."""
    paragraphs = [p.strip() for p in doc.split("\n") if p.strip()]
    title, body = "", paragraphs
    if paragraphs and len(paragraphs[0].split()) <= 20 and not _TERMINAL.search(paragraphs[0]):
        title, body = paragraphs[0], paragraphs[1:]
    outlet = f"doc{index}"
    return Item(
        id=f"{cluster_id}/{index}",
        title=title,
        text="\n".join(body),
        url=f"https://{outlet}.example/{cluster_id}",
        outlet=outlet,
        outlet_name=outlet,
    )


# --- systems --------------------------------------------------------------------------------


def batch_line(cluster_id: str, items: list[Item]) -> str:
    """One input line of `aggregator summarize`."""
    return json.dumps(
        {
            "id": cluster_id,
            "items": [
                {"title": i.title, "text": i.text, "publisher": i.outlet_name, "url": i.url}
                for i in items
            ],
        }
    )


def batch_summaries(lines: list[str], settings: Settings) -> dict[str, list[str]]:
    """Bullets per story id, from the batch command's code path."""
    written = batch_bullets(lines, settings)
    return {key: [b["text"] for b in bullets] for key, bullets in written.items()}


def batch_bullets(lines: list[str], settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """The bullets the batch command writes per story id (text and cited item indexes)."""
    out, err = io.StringIO(), io.StringIO()
    run_batch(lines, out, err, make_summarizer(settings))
    if err.getvalue():
        print(err.getvalue(), file=sys.stderr)
    result = {}
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        result[record["id"]] = record["bullets"]
    return result


def cited(bullets: list[dict[str, Any]]) -> Counter[int]:
    """How many bullets cite each item index."""
    return Counter(n for b in bullets for n in b["sources"])


def lead_baseline(docs: list[str], budget: int) -> list[str]:
    """First sentences of each document in turn (round robin) until the budget is full."""
    per_doc = [split_sentences(clean_text(d)) for d in docs]
    out: list[str] = []
    n_words = 0
    for depth in range(max((len(s) for s in per_doc), default=0)):
        for sentences in per_doc:
            if depth < len(sentences) and n_words < budget:
                out.append(sentences[depth])
                n_words += len(sentences[depth].split())
    return out


def lexrank_baseline() -> Callable[[list[str], int], list[str]] | None:
    """LexRank from `sumy` fed with our sentences and tokens (no NLTK data needed), or None."""
    try:
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
        from sumy.summarizers.lex_rank import LexRankSummarizer
    except ImportError:
        return None

    class _Tokenizer:
        language = "english"

        def to_sentences(self, paragraph: str) -> list[str]:
            return split_sentences(paragraph)

        def to_words(self, sentence: str) -> list[str]:
            return words(sentence)

    tokenizer = _Tokenizer()
    summarizer = LexRankSummarizer(stem)
    summarizer.stop_words = STOPWORDS

    def run(docs: list[str], budget: int) -> list[str]:
        paragraphs = [
            Paragraph([Sentence(s, tokenizer) for s in split_sentences(clean_text(d))])
            for d in docs
        ]
        document = ObjectDocumentModel(paragraphs)

        def fill(infos: list[object]) -> list[object]:
            picked, n_words = [], 0
            for info in infos:
                if n_words >= budget:
                    break
                picked.append(info)
                n_words += len(str(info.sentence).split())  # type: ignore[attr-defined]
            return picked

        return [str(s) for s in summarizer(document, fill)]

    return run


# --- scoring --------------------------------------------------------------------------------


def truncate(units: list[str], budget: int) -> str:
    return " ".join(" ".join(units).split()[:budget])


def make_scorer() -> tuple[Scorer, str]:
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        return _own_rouge, "built-in ROUGE (rouge-score not installed)"
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)

    def score(reference: str, candidate: str) -> dict[str, float]:
        result = scorer.score(reference, candidate)
        return {k: v.fmeasure for k, v in result.items()}

    return score, "rouge-score package, stemming on"


def _own_rouge(reference: str, candidate: str) -> dict[str, float]:
    ref = [stem(w) for w in words(reference)]
    cand = [stem(w) for w in words(candidate)]

    def f1(overlap: int, n_ref: int, n_cand: int) -> float:
        if not overlap:
            return 0.0
        p, r = overlap / n_cand, overlap / n_ref
        return 2 * p * r / (p + r)

    out = {}
    for n in (1, 2):
        r = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
        c = Counter(tuple(cand[i : i + n]) for i in range(len(cand) - n + 1))
        out[f"rouge{n}"] = f1(sum((r & c).values()), sum(r.values()), sum(c.values()))
    prev = [0] * (len(cand) + 1)
    for a in ref:
        cur = [0]
        for j, b in enumerate(cand):
            cur.append(prev[j] + 1 if a == b else max(prev[j + 1], cur[j]))
        prev = cur
    out["rougeL"] = f1(prev[-1], len(ref), len(cand))
    return out


def max_jaccard(units: list[str]) -> float | None:
    sets = [set(tokens(u)) for u in units]
    best: float | None = None
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            union = sets[i] | sets[j]
            if union:
                value = len(sets[i] & sets[j]) / len(union)
                best = value if best is None else max(best, value)
    return best


@dataclass
class Tally:
    rouge: dict[str, float] = field(default_factory=lambda: Counter())
    redundancy: list[float] = field(default_factory=list)
    units: int = 0
    words: int = 0
    n: int = 0

    def add(self, scores: dict[str, float], units: list[str], budget: int) -> None:
        for k, v in scores.items():
            self.rouge[k] += v
        red = max_jaccard(units)
        if red is not None:
            self.redundancy.append(red)
        self.units += len(units)
        self.words += min(budget, sum(len(u.split()) for u in units))
        self.n += 1

    def row(self, name: str) -> str:
        n = max(self.n, 1)
        red = sum(self.redundancy) / len(self.redundancy) if self.redundancy else 0.0
        r = {k: 100 * v / n for k, v in self.rouge.items()}
        return (
            f"| {name:<22} | {r.get('rouge1', 0):6.2f} | {r.get('rouge2', 0):6.2f} | "
            f"{r.get('rougeL', 0):6.2f} | {red:10.3f} | {self.units / n:6.1f} | "
            f"{self.words / n:6.1f} |"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Multi-News JSONL")
    parser.add_argument("--budget", type=int, default=200, help="words scored per summary")
    parser.add_argument("--max-words", type=int, help="summarizer word cap (default: budget)")
    parser.add_argument("--max-bullets", type=int, default=12)
    parser.add_argument("--limit", type=int, help="only the first N clusters")
    parser.add_argument("--no-lexrank", action="store_true", help="skip the sumy baseline")
    parser.add_argument("--show", type=int, default=0, help="print the first N summaries")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the whole-pipeline run")
    parser.add_argument("--pipeline-limit", type=int, help="clusters in the pipeline run")
    parser.add_argument(
        "--pipeline-no-articles", action="store_true", help="pipeline with article fetching off"
    )
    parser.add_argument(
        "--pipeline-full-feeds",
        action="store_true",
        help="pipeline whose feeds carry the whole documents (what grouping alone costs)",
    )
    parser.add_argument(
        "--pipeline-repeat",
        type=int,
        default=1,
        help="run the pipeline N times, run n on port 38170 + n, and average its rows (the "
        "port is in every item id, and ids break ties of grouping order: each run is one draw)",
    )
    parser.add_argument("--no-lint", action="store_true", help="skip the real-news lint")
    parser.add_argument(
        "--save-scores", type=Path, metavar="FILE", help="write per-cluster ROUGE of ours and lead"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="a --save-scores file: compare ours with its ours, paired per cluster",
    )
    args = parser.parse_args(argv)
    baseline = None
    if args.baseline:
        try:
            baseline = paired.load_scores(args.baseline)
        except ValueError as exc:
            parser.error(str(exc))

    base = Settings()
    summary = dataclasses.replace(
        base.summary, max_words=args.max_words or args.budget, max_bullets=args.max_bullets
    )
    settings = dataclasses.replace(base, summary=summary)
    score, rouge_name = make_scorer()
    lexrank = None if args.no_lexrank else lexrank_baseline()
    tallies = {OURS: Tally(), LEAD: Tally()}
    if lexrank:
        tallies["LexRank (sumy)"] = Tally()
    rows = list(load(args.data.resolve(), args.limit))
    clusters = [(str(r["cluster_id"]), documents(r["documents"])) for r in rows]  # type: ignore[arg-type]
    lines = [batch_line(c, [to_item(c, i, d) for i, d in enumerate(docs)]) for c, docs in clusters]
    started = time.perf_counter()
    written = batch_bullets(lines, settings)
    elapsed = time.perf_counter() - started
    ours_by_id = {key: [b["text"] for b in bullets] for key, bullets in written.items()}
    references = {str(r["cluster_id"]): str(r["summary"]) for r in rows}
    order = [c for c, _ in clusters]
    if baseline is not None:
        reason = paired.incompatible(baseline, order, args.budget, OURS)
        if reason:
            parser.error(f"cannot compare with {args.baseline}: {reason}")
    per_cluster: dict[str, paired.Scores] = {OURS: {}, LEAD: {}}

    for cluster_id, docs in clusters:
        reference = references[cluster_id]
        ours = ours_by_id.get(cluster_id, [])
        runs = {OURS: ours, LEAD: lead_baseline(docs, args.budget)}
        if lexrank:
            runs["LexRank (sumy)"] = lexrank(docs, args.budget)
        for name, units in runs.items():
            scores = score(reference, truncate(units, args.budget))
            tallies[name].add(scores, units, args.budget)
            if name in per_cluster:
                per_cluster[name][cluster_id] = dict(scores)
        if args.show > 0:
            args.show -= 1
            print(f"## {cluster_id}\n" + "\n".join(f"- {u}" for u in ours) + "\n")

    n = tallies[OURS].n
    print(f"{n} clusters from {args.data.resolve()}; budget {args.budget} words; {rouge_name}")
    print("`aggregator summarize` code path (summary_batch.run_batch, make_summarizer)")
    print("| system                 |     R1 |     R2 |     RL | redundancy |  units |  words |")
    print("|------------------------|--------|--------|--------|------------|--------|--------|")
    for name, tally in tallies.items():
        print(tally.row(name))
    print("redundancy = highest pairwise token Jaccard between units, mean over clusters")
    print(f"summarizer time: {elapsed / max(n, 1) * 1000:.1f} ms per cluster")
    paired_tables(args, order, per_cluster, baseline)

    if not args.no_pipeline:
        pipeline_table(
            clusters[: args.pipeline_limit],
            references,
            ours_by_id,
            score,
            args.budget,
            not args.pipeline_no_articles,
            args.pipeline_full_feeds,
            max(1, args.pipeline_repeat),
            settings,
            {key: cited(bullets) for key, bullets in written.items()},
        )
    if not args.no_lint:
        lint_table()
    return 0


def paired_tables(
    args: argparse.Namespace,
    order: list[str],
    per_cluster: dict[str, paired.Scores],
    baseline: dict[str, object] | None,
) -> None:
    """The margin over lead with its uncertainty; save this run's scores; pair with a baseline."""
    print()
    print(
        f"margin ours - lead, paired per cluster (points; 95% interval mean +- 1.96 s.e.; "
        f"halves: clusters 1-{len(order) // 2} and {len(order) // 2 + 1}-{len(order)})"
    )
    print(paired.table(paired.compare(per_cluster[OURS], per_cluster[LEAD], order), False))
    settings = {
        "budget": args.budget,
        "max_words": args.max_words or args.budget,
        "max_bullets": args.max_bullets,
        "limit": args.limit,
        "data": str(args.data.resolve()),
    }
    if args.save_scores:
        paired.save_scores(args.save_scores, order, per_cluster, settings, paired.commit(REPO))
        print(f"per-cluster scores of ours and lead saved to {args.save_scores}")
    if baseline is not None:
        saved = baseline["scores"][OURS]  # type: ignore[index]
        old_data = baseline["settings"].get("data", "?")  # type: ignore[attr-defined]
        print()
        print(
            f"ours vs baseline {args.baseline} (commit {baseline.get('commit') or 'unknown'}, "
            f"data {old_data}), paired per cluster: this run - baseline in points; "
            "changed = clusters whose score moved"
        )
        print(paired.table(paired.compare(per_cluster[OURS], saved, order), True))
        moved = [
            f"{k} {baseline['settings'].get(k)} -> {v}"  # type: ignore[attr-defined]
            for k, v in settings.items()
            if baseline["settings"].get(k) != v  # type: ignore[attr-defined]
        ]
        if moved:
            print(f"settings differ from the baseline's: {', '.join(moved)}")


def pipeline_table(
    clusters: list[tuple[str, list[str]]],
    references: dict[str, str],
    batch: dict[str, list[str]],
    score: Scorer,
    budget: int,
    articles: bool = True,
    full_feeds: bool = False,
    repeat: int = 1,
    settings: Settings | None = None,
    batch_cites: dict[str, Counter[int]] | None = None,
) -> None:
    """Multi-News through feeds of first sentences and full article pages, `poll --once --all`;
    with `repeat` > 1 the pipeline runs that many times and its rows are the means. The poll
    and the same-grouping row summarise with `settings`' word cap and bullets, as the batch
    command row does (the service's default cap is 250 words, the budget scored 200).
    `batch_cites`: how many of the batch command's bullets cite each document of a cluster
    (for the diagnostic row scoring the story that holds the documents it drew on)."""
    settings = settings or Settings()
    from summary_pipeline import median_or_zero, run_pipeline

    direct = Tally()
    for cluster_id, _ in clusters:
        ours = batch.get(cluster_id, [])
        direct.add(score(references[cluster_id], truncate(ours, budget)), ours, budget)
    piped, grouped, even = Tally(), Tally(), Tally()
    best, drawn = Tally(), Tally()  # diagnostics: the best published piece; the batch's sources
    foreign = 0.0  # R1 lost in stories scored that hold other clusters' documents
    gaps: list[tuple[float, float]] = []
    seconds, stories, multi = 0.0, 0, []
    grouping: Counter[str] = Counter()
    ports: list[int] = []
    for draw in range(repeat):
        result = run_pipeline(
            clusters,
            to_item,
            articles,
            full_feeds,
            draw,
            settings.summary.max_words,
            settings.summary.max_bullets,
        )
        ports.append(result.port)
        grouping.update(result.grouping)
        seconds, stories, multi = (
            seconds + result.seconds,
            stories + result.stories,
            [
                *multi,
                *result.multi_source_bullets,
            ],
        )
        # The batch command again, on exactly the documents the pipeline grouped into the
        # story scored: separates what grouping costs from what the feed/article path costs.
        docs_of = dict(clusters)
        lines = [
            batch_line(c, [to_item(c, i, docs_of[c][i]) for i in result.grouped[c]])
            for c, _ in clusters
            if result.grouped.get(c)
        ]
        same_grouping = batch_summaries(lines, settings) if lines else {}
        run_piped, run_even = Tally(), Tally()
        for cluster_id, _ in clusters:
            ref = references[cluster_id]
            units = result.summaries.get(cluster_id, [])
            picked = score(ref, truncate(units, budget))
            # Stories holding equally many of the cluster's documents tie; the pick above
            # takes the one holding most of the cluster's text: the mean over the tied ones
            # does not choose.
            tied = [score(ref, truncate(b, budget)) for b in result.tied.get(cluster_id, [])]
            mean = {k: sum(t[k] for t in tied) / len(tied) for k in tied[0]} if tied else {}
            same = same_grouping.get(cluster_id, [])
            same_scores = score(ref, truncate(same, budget))
            if any(p.foreign for p in pieces_scored(result, cluster_id)):
                foreign += same_scores["rouge1"] - picked["rouge1"]
            pieces = result.pieces.get(cluster_id, [])
            each = [score(ref, truncate(p.bullets, budget)) for p in pieces]
            top = max(range(len(each)), key=lambda n: each[n]["rouge1"], default=None)
            if top is None:  # (nothing of it published: scored as the pick, empty)
                best.add(picked, units, budget)
                drawn.add(picked, units, budget)
            else:
                best.add(each[top], pieces[top].bullets, budget)
                on = (batch_cites or {}).get(cluster_id, Counter())
                by = max(
                    range(len(pieces)),
                    key=lambda n: (sum(on[d] for d in pieces[n].docs), len(pieces[n].docs), -n),
                )
                drawn.add(each[by], pieces[by].bullets, budget)
            for tally, scores, text in (
                (piped, picked, units),
                (run_piped, picked, units),
                (even, mean or picked, units),
                (run_even, mean or picked, units),
                (grouped, same_scores, same),
            ):
                tally.add(scores, text, budget)
        gaps.append((_gap(direct, run_piped), _gap(direct, run_even)))
    print()
    print(
        f"whole pipeline: {len(clusters)} clusters, feeds carry "
        f"{'the full documents' if full_feeds else 'first sentences'}, article pages "
        f"the full documents (article fetching {'on' if articles else 'OFF'}; summaries of "
        f"at most {settings.summary.max_words} words, as the batch command's); "
        f"`poll --once --all` took {seconds / repeat:.1f} s"
        + (f" (mean of {repeat} runs)" if repeat > 1 else f" ({result.output})")
        + f"; outlets on port {', '.join(map(str, ports))} (the port fixes the item ids, so"
        " the stories: a run on the same port repeats them)"
    )
    print("| system                 |     R1 |     R2 |     RL | redundancy |  units |  words |")
    print("|------------------------|--------|--------|--------|------------|--------|--------|")
    print(direct.row("batch command"))
    print(grouped.row("batch, same grouping"))
    print(piped.row("published (pipeline)"))
    print(even.row("published, ties mean"))
    print(drawn.row("published, cited docs"))
    print(best.row("published, best piece"))
    spread = ""
    if repeat > 1:
        picks, means = [g[0] for g in gaps], [g[1] for g in gaps]
        spread = (
            f" over {repeat} runs (pick {min(picks):.2f}..{max(picks):.2f}, "
            f"ties mean {min(means):.2f}..{max(means):.2f})"
        )
    print(f"R1 gap batch - published: {_gap(direct, piped):.2f} points (target <= 1){spread}")
    print(f"R1 gap batch on the same grouping - published: {_gap(grouped, piped):.2f} points")
    print(
        f"R1 gap batch - published, ties mean: {_gap(direct, even):.2f} points (the mean over "
        "stories holding equally many of a cluster's documents; the pick above takes the one "
        "holding most of the cluster's text)"
    )
    print(
        f"published stories {stories / repeat:.0f}; multi-source {len(multi) / repeat:.0f}, "
        f"bullets median {median_or_zero(multi):.1f} (target >= 6), min {min(multi, default=0)}, "
        f"max {max(multi, default=0)}"
    )
    print(
        'diagnostic rows: "cited docs" scores the published story holding most of the '
        "documents the batch command's bullets cite (then most of the cluster's documents); "
        '"best piece" the best-scoring published story holding any of the cluster\'s '
        "documents (chosen by the reference: a bound, no rule)"
    )
    split = _gap(direct, grouped)
    wrong = 100 * foreign / max(piped.n, 1)
    print(
        f"R1 gap by cause: clusters split over stories {split:.2f} (batch - batch on the same "
        f"grouping); other clusters' reports in the story scored {wrong:.2f}; the rest "
        f"{_gap(grouped, piped) - wrong:.2f}. Gap to the cited docs row "
        f"{_gap(direct, drawn):.2f}, to the best piece {_gap(direct, best):.2f}"
    )
    g = {k: v / repeat for k, v in grouping.items()}
    print(
        f"grouping vs the clusters (diagnostic): pairwise P {g['p']:.3f} R {g['r']:.3f} "
        f"F1 {g['f1']:.3f}; clusters of 2+ reports all in one story {g['whole']:.3f}"
    )


def pieces_scored(result: Any, cluster: str) -> list[Any]:
    """The published piece the pick scored for `cluster` (its documents and bullets)."""
    docs, bullets = sorted(set(result.grouped.get(cluster, []))), result.summaries.get(cluster)
    return [p for p in result.pieces.get(cluster, []) if p.docs == docs and p.bullets == bullets]


def _gap(base: Tally, other: Tally) -> float:
    """ROUGE-1 points by which `other`'s mean falls short of `base`'s."""
    return 100 * (base.rouge["rouge1"] / max(base.n, 1) - other.rouge["rouge1"] / max(other.n, 1))


def lint_table() -> None:
    """Defect counts over the real-news dev days' published summaries."""
    import asyncio

    from summary_lint import REAL_NEWS, run, table

    if not REAL_NEWS.is_dir():
        print(f"\n(real-news lint skipped: {REAL_NEWS} not found)")
        return
    days = sorted(p for p in REAL_NEWS.iterdir() if p.is_dir())
    counts = asyncio.run(run(days, 0))
    print()
    print(f"real-news lint over {', '.join(d.name for d in days)} (article fetching off)")
    print(table(counts))


if __name__ == "__main__":
    raise SystemExit(main())
