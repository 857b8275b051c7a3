"""Per-cluster scores of a bench run, saved and compared pair by pair.

A mean over 250 clusters moves by about a third of a point between summarisers that differ
only by noise; the difference cluster by cluster against a saved run of the same clusters is
far tighter. `paired` is the pure statistic; `save_scores` / `load_scores` / `incompatible`
keep the saved run honest (same clusters, same budget).
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

METRICS = ("rouge1", "rouge2", "rougeL")
LABELS = {"rouge1": "R1", "rouge2": "R2", "rougeL": "RL"}
FORMAT = 1
Z95 = 1.959964

Scores = dict[str, dict[str, float]]  # cluster id -> metric -> F (0..1)


@dataclass(frozen=True)
class Paired:
    """Differences new - old over the same clusters, in ROUGE points (0..100)."""

    n: int
    mean: float
    se: float
    changed: int
    improved: int
    worsened: int
    first_half: float
    second_half: float

    @property
    def low(self) -> float:
        return self.mean - Z95 * self.se

    @property
    def high(self) -> float:
        return self.mean + Z95 * self.se


def paired(new: Sequence[float], old: Sequence[float], tolerance: float = 1e-9) -> Paired:
    """Mean and standard error of new - old (pairs in order), scaled to points; the 95% interval
    is the normal one (mean +- 1.96 s.e.); halves are the clusters in order, split in two."""
    if len(new) != len(old):
        raise ValueError(f"{len(new)} new scores against {len(old)} old ones")
    diffs = [100 * (a - b) for a, b in zip(new, old, strict=True)]
    n = len(diffs)
    if n == 0:
        return Paired(0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0)
    mean = _mean(diffs)
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1) if n > 1 else 0.0
    improved = sum(1 for d in diffs if d > 100 * tolerance)
    worsened = sum(1 for d in diffs if d < -100 * tolerance)
    half = n // 2
    return Paired(
        n=n,
        mean=mean,
        se=math.sqrt(var / n),
        changed=improved + worsened,
        improved=improved,
        worsened=worsened,
        first_half=_mean(diffs[:half]),
        second_half=_mean(diffs[half:]),
    )


def _mean(values: Sequence[float]) -> float:
    """The mean, with float dust (sums of differences that cancel) printed as 0."""
    mean = sum(values) / len(values) if values else 0.0
    return 0.0 if abs(mean) < 1e-9 else mean


def compare(new: Scores, old: Scores, order: Sequence[str]) -> dict[str, Paired]:
    """`paired` per metric over the clusters in `order` (each must be in both runs)."""
    return {m: paired([new[c][m] for c in order], [old[c][m] for c in order]) for m in METRICS}


def table(rows: Mapping[str, Paired], counts: bool) -> str:
    """A Markdown table, one row per metric; `counts` adds changed / improved / worsened."""
    head = "| metric | mean diff |   s.e. | 95% interval    | 1st half | 2nd half |"
    rule = "|--------|-----------|--------|-----------------|----------|----------|"
    if counts:
        head += " changed | improved | worsened |"
        rule += "---------|----------|----------|"
    lines = [head, rule]
    for metric, p in rows.items():
        interval = f"{p.low:+.2f}..{p.high:+.2f}"
        line = (
            f"| {LABELS.get(metric, metric):<6} | {p.mean:+9.2f} | {p.se:6.2f} | {interval:<15} | "
            f"{p.first_half:+8.2f} | {p.second_half:+8.2f} |"
        )
        if counts:
            line += f" {p.changed:7d} | {p.improved:8d} | {p.worsened:8d} |"
        lines.append(line)
    return "\n".join(lines)


# --- saved runs -----------------------------------------------------------------------------


def commit(repo: Path) -> str | None:
    """`git rev-parse HEAD` of the repository (with "+dirty" for uncommitted changes), if any."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def save_scores(
    path: Path,
    order: Sequence[str],
    systems: Mapping[str, Scores],
    settings: Mapping[str, object],
    revision: str | None,
) -> None:
    record = {
        "format": FORMAT,
        "commit": revision,
        "settings": dict(settings),
        "clusters": list(order),
        "scores": {name: {c: scores[c] for c in order} for name, scores in systems.items()},
    }
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def load_scores(path: Path) -> dict[str, object]:
    """A saved run; ValueError with a readable reason when it is not one."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read baseline {path}: {exc}") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path} is not a scores file of this bench (format {FORMAT})")
    return record


def incompatible(
    baseline: Mapping[str, object], order: Sequence[str], budget: int, system: str
) -> str | None:
    """Why this run cannot be paired with `baseline`, or None when it can."""
    settings = baseline.get("settings") or {}
    old_budget = settings.get("budget") if isinstance(settings, dict) else None
    if old_budget != budget:
        return f"baseline budget {old_budget} words, this run {budget}"
    old = list(baseline.get("clusters") or [])  # type: ignore[call-overload]
    if len(old) != len(order) or set(old) != set(order):
        missing = len(set(old) - set(order))
        extra = len(set(order) - set(old))
        return (
            f"baseline has {len(old)} clusters, this run {len(order)} "
            f"({missing} only in the baseline, {extra} only in this run)"
        )
    scores = baseline.get("scores")
    if not isinstance(scores, dict) or system not in scores:
        return f"baseline holds no scores of {system!r}"
    return None
