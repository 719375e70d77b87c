"""The big-tables report applies the rules written before the run (big_tables docstring)."""

from __future__ import annotations

import pandas as pd

from benchmarks.big_tables import RETRY_SEEDS, RETRY_TABLES
from benchmarks.big_tables_report import (
    TARGET_TABLE,
    by_size,
    final_model,
    one_call_fits,
    order_alone,
    refit_margin,
    targets,
)


def runs(
    scores: list[float], walls: list[float], method: str = "autometa 2 workers"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": TARGET_TABLE,
            "family": TARGET_TABLE,
            "method": method,
            "budget": 60,
            "seed": range(len(scores)),
            "score": scores,
            "wall": walls,
            "peak_mb": 900.0,
            "start_mb": 500.0,
            "table_mb": 286.0,
            "error": None,
        }
    )


def test_the_1m_table_target_needs_every_one_of_three_seeds() -> None:
    met = "\n".join(targets(runs([0.96, 0.957, 0.99], [60, 61, 62]), 60, ["autometa 2 workers"]))
    assert "(met)" in met
    missed = "\n".join(targets(runs([0.96, 0.95, 0.99], [60, 61, 62]), 60, ["autometa 2 workers"]))
    assert "(missed)" in missed
    short = "\n".join(targets(runs([0.96, 0.97], [60, 61]), 60, ["autometa 2 workers"]))
    assert "(missed)" in short  # two of the three runs are not the target


def test_a_failed_run_is_not_within_the_budget() -> None:
    part = runs([0.9, 0.9, float("nan")], [60.0, 66.5, float("nan")], method="autometa")
    part.loc[2, "error"] = "stopped after 900 s"
    line = next(x for x in targets(part, 60, ["autometa"]) if x.startswith("- autometa:"))
    assert "1 of 3 runs within budget + 10 %" in line
    assert "peak RSS at most 3x the table in 0 of 3 runs" in line
    # 900 MiB at the peak is 3.1x the table; 400 above a start of 500 is 1.4x
    assert "above the process's start, at most 3x in 3 (median 1.4x" in line


def test_a_change_is_kept_only_with_every_run_and_no_lower_score() -> None:
    def full(score: float, wall: float, method: str = "autometa") -> pd.DataFrame:
        one = [runs([score] * RETRY_SEEDS, [wall] * RETRY_SEEDS, method).assign(table=f"t{i}")
               for i in range(RETRY_TABLES)]  # fmt: skip
        return pd.concat(one, ignore_index=True).assign(refit="all rows")

    kept = "\n".join(refit_margin(full(0.90, 62.0), full(0.91, 64.0)))
    assert "Verdict: the change is kept" in kept
    assert "+0.0100" in kept  # the difference, with its interval
    lower = "\n".join(refit_margin(full(0.90, 62.0), full(0.89, 60.0)))
    assert "Verdict: the change is reverted" in lower
    late = full(0.95, 60.0)
    late.loc[0, "wall"] = 66.1  # one run past budget + 10 %: fewer within than before
    assert "Verdict: the change is reverted" in "\n".join(refit_margin(full(0.90, 62.0), late))
    partial = "\n".join(refit_margin(full(0.90, 62.0), full(0.95, 60.0).head(7)))
    assert "Not decided yet: 67 of 120 runs." in partial


def test_what_a_user_gets_counts_final_models_and_compares_with_hgb_by_size() -> None:
    ours = runs([0.90, 0.92, 0.94], [60, 61, 66], method="autometa").assign(
        n_train=750_000,
        evaluations=[3, 5, 7],
        refit=["all rows", "last CV fold", "ensemble of hgb_03 (0.61, all rows)"],
    )
    hgb = runs([0.91], [19], method="HGB").assign(n_train=750_000, budget=0)
    rows = [line for line in by_size(pd.concat([ours, hgb]), 60) if line.startswith("| 750")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[3] == "5"  # the median evaluations
    assert cells[4] == "1 / 0 / 1 / 1"  # all rows / sample / fold's model / ensemble
    assert cells[5] == "1.02, 1.10"
    assert cells[7] == "+0.0100 (1)"  # 0.92 - 0.91
    assert final_model("241618 of 252582 rows") == "sample"


def test_the_order_alone_splits_the_random_order_comparison_in_two() -> None:
    def arm(method: str, scores: list[float]) -> pd.DataFrame:
        out = runs(scores, [60.0] * len(scores), method=method)
        return out.assign(table=[f"t{i}" for i in range(len(scores))], family=out["table"])

    full = pd.concat([arm("autometa", [0.90, 0.80]), arm("autometa random order", [0.85, 0.79])])
    split = arm("autometa without curves", [0.88, 0.79])
    lines = order_alone(full, split)
    assert "2 runs on 2 tables" in lines[2]
    assert lines[4].startswith("- autometa minus autometa without curves: +0.0150")
    assert lines[4].endswith("(curve halving's share)")
    assert lines[5].startswith("- autometa without curves minus autometa random order: +0.0150")


def test_one_call_fits_are_judged_on_both_methods() -> None:
    def table(name: str, method: str, wall: float, score: float) -> pd.DataFrame:
        one = runs([score] * RETRY_SEEDS, [wall] * RETRY_SEEDS, method)
        return one.assign(table=name, refit="all rows")

    both = ("autometa", "autometa random order")
    full = pd.concat([table(t, m, 60.0, 0.9) for t in ("a", "b") for m in both])
    full.loc[(full["table"] == "a") & (full["method"] == both[1]), "wall"] = 104.5  # 1.74x
    kept = "\n".join(one_call_fits(full, full.assign(wall=61.0)))
    assert kept.count("Verdict: the change is kept") == 2
    lower = full.assign(wall=61.0)
    lower.loc[lower["method"] == both[1], "score"] = 0.89
    verdicts = [x for x in one_call_fits(full, lower) if x.startswith("Verdict")]
    assert verdicts == ["Verdict: the change is kept (the rule in the docstring).",
                        "Verdict: the change is reverted (the rule in the docstring)."]  # fmt: skip
