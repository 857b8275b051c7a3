"""The paired statistics of bench/summary_eval.py (`bench/paired.py`, pure apart from the file)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "paired.py"
_SPEC = importlib.util.spec_from_file_location("bench_paired", _PATH)
assert _SPEC and _SPEC.loader
paired = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = paired  # dataclasses look their module up
_SPEC.loader.exec_module(paired)


def test_mean_standard_error_and_counts_in_points() -> None:
    result = paired.paired([0.50, 0.60, 0.70, 0.40], [0.40, 0.60, 0.80, 0.40])
    # differences 10, 0, -10, 0 points: mean 0, sample sd sqrt(200 / 3)
    assert result.n == 4
    assert result.mean == 0.0
    assert result.se == pytest.approx(math.sqrt(200 / 3) / 2)
    assert (result.changed, result.improved, result.worsened) == (2, 1, 1)
    assert (result.first_half, result.second_half) == pytest.approx((5.0, -5.0))
    assert result.low == pytest.approx(-1.959964 * result.se)
    assert result.high == pytest.approx(1.959964 * result.se)


def test_identical_runs_differ_by_nothing() -> None:
    scores = [0.1234, 0.5, 0.987]
    result = paired.paired(scores, list(scores))
    assert (result.mean, result.se, result.changed) == (0.0, 0.0, 0)
    assert "+0.00.." in paired.table({"rouge1": result}, True)


def test_a_constant_lift_has_no_spread() -> None:
    result = paired.paired([0.31, 0.42, 0.53], [0.30, 0.41, 0.52])
    assert result.mean == pytest.approx(1.0)
    assert result.se == pytest.approx(0.0, abs=1e-9)
    assert result.improved == 3


def test_unequal_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        paired.paired([0.1, 0.2], [0.1])


def test_saved_run_round_trips_and_mismatches_are_named(tmp_path: Path) -> None:
    order = ["a", "b"]
    ours = {
        "a": {"rouge1": 0.4, "rouge2": 0.1, "rougeL": 0.2},
        "b": dict.fromkeys(paired.METRICS, 0.3),
    }
    path = tmp_path / "scores.json"
    paired.save_scores(path, order, {"ours": ours}, {"budget": 200}, "abc123")
    saved = paired.load_scores(path)
    assert saved["commit"] == "abc123"
    assert saved["scores"]["ours"] == ours
    assert paired.incompatible(saved, ["b", "a"], 200, "ours") is None
    assert "budget 200" in (paired.incompatible(saved, order, 100, "ours") or "")
    assert "1 only in the baseline" in (paired.incompatible(saved, ["a"], 200, "ours") or "")
    assert "no scores" in (paired.incompatible(saved, order, 200, "lead") or "")
    compared = paired.compare(ours, saved["scores"]["ours"], ["b", "a"])
    assert set(compared) == set(paired.METRICS)
    assert all(p.changed == 0 for p in compared.values())


def test_a_file_that_is_not_a_saved_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"clusters": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a scores file"):
        paired.load_scores(path)
    with pytest.raises(ValueError, match="cannot read"):
        paired.load_scores(tmp_path / "missing.json")
