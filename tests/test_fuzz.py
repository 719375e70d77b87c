"""Fuzz the whole job: 200 random (table, metric, budget, n_jobs, optimizer) fits (a quarter
with two worker processes; the optimizer past the grid drawn among all), each must give a
fitted model or a documented AutometaError with a message, nothing else.

A quarter of the cases are regression (AutoMetaRegressor, a regression metric), the rest
classification. Tables are corpus datasets (subsampled to at most 3,000 rows; for
regression, the tables the regression meta-dataset kept, so none reserved) or generated
ones with the defects users bring (missing values, text, constant and identifier columns,
infinite values, a class of one row, tiny tables; for regression a missing or infinite
target value, few distinct values). Budgets are log-uniform in [1, 20] s. The cases
run two at a time (one thread each). The outcome counts are written to the file that
``AUTOMETA_FUZZ_REPORT`` names (benchmarks/results/fuzz_search.md was made so, in a
fresh-clone CI run), else to the test's temporary folder: a test run changes no committed
file.
"""

from __future__ import annotations

import collections
import math
import os
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from joblib import Parallel, delayed

N_CASES = 200


def _generated(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, str]:
    n = int(rng.integers(8, 3000))
    p = int(rng.integers(1, 30))
    k = int(rng.integers(2, 6))
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{i}" for i in range(p)])
    y = rng.integers(0, k, n).astype(str)
    y[: min(n, 5)] = [str(c % k) for c in range(min(n, 5))]
    defects = []
    if rng.random() < 0.3:
        X = X.mask(rng.random(X.shape) < 0.1)
        defects.append("missing")
    if rng.random() < 0.3:
        X["text"] = rng.choice(["a", "b", "c", None], n)
        defects.append("text")
    if rng.random() < 0.2:
        X["constant"] = 1.0
        defects.append("constant")
    if rng.random() < 0.2:
        X["id"] = np.arange(n)
        defects.append("id")
    if rng.random() < 0.1:
        X.iloc[0, 0] = np.inf
        defects.append("inf")
    if rng.random() < 0.1:
        y[-1] = "lonely"
        defects.append("one-row class")
    if rng.random() < 0.1:
        X = X[[]].assign(all_missing=np.nan)
        defects.append("no usable column")
    return X, y, "generated " + (",".join(defects) or "clean")


def _generated_regression(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, str]:
    X, _, kind = _generated(rng)
    n = len(X)
    y = rng.normal(size=n) * 10 + rng.normal() * 100
    defects = []
    if rng.random() < 0.15:
        y[0] = np.nan
        defects.append("missing target")
    if rng.random() < 0.1:
        y[-1] = np.inf
        defects.append("inf target")
    if rng.random() < 0.1:
        y = np.round(y / 50.0) * 50.0  # a handful of distinct values
        defects.append("few values")
    return X, y, kind + (" regression " + ",".join(defects) if defects else " regression")


def _corpus_refs(regression: bool) -> list[Any]:
    from autometa.metadataset.sources.pmlb import pmlb_datasets
    from autometa.paths import metadataset_dir, shared_dir

    if not regression:
        corpus = shared_dir() / "corpus" / "pmlb"
        return pmlb_datasets(corpus) if corpus.is_dir() else []
    corpus = shared_dir() / "corpus" / "pmlb_regression"
    if not corpus.is_dir():
        return []
    listing = pd.read_csv(metadataset_dir("regression") / "corpus.csv")
    kept = set(listing.loc[listing["kept"].astype(bool), "name"])
    return [r for r in pmlb_datasets(corpus, task="regression") if r.name in kept]


def _case(seed: int) -> dict[str, Any]:
    import autometa
    from autometa.exceptions import AutometaError
    from autometa.search.optimizer import OPTIMIZERS
    from autometa.space.metrics import metric_names

    rng = np.random.default_rng([seed, 2026])
    regression = bool(rng.random() < 0.25)
    refs = _corpus_refs(regression)
    if rng.random() < 0.5 and refs:
        ref = refs[int(rng.integers(len(refs)))]
        task = ref.load()
        if len(task.y) > 3000:
            rows = np.sort(rng.choice(len(task.y), 3000, replace=False))
            task = task.subset(rows)
        X, y, kind = task.X, task.y.to_numpy(), f"corpus {ref.name}"
    else:
        X, y, kind = _generated_regression(rng) if regression else _generated(rng)
    metric = str(rng.choice(metric_names("regression" if regression else "classification")))
    budget = float(math.exp(rng.uniform(0, math.log(20))))
    n_jobs = 2 if rng.random() < 0.25 else 1  # a quarter on two worker processes
    optimizer = str(rng.choice(OPTIMIZERS))  # drawn last: the earlier draws stay the same
    case = {"seed": seed, "table": kind, "metric": metric, "budget": round(budget, 2),
            "n_jobs": n_jobs, "optimizer": optimizer}  # fmt: skip
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator = autometa.AutoMetaRegressor if regression else autometa.AutoMetaClassifier
            clf = estimator(
                time_budget=budget,
                metric=metric,
                n_jobs=n_jobs,
                random_state=seed,
                optimizer=optimizer,
            ).fit(X, y)
            clf.predict(X.iloc[:3] if hasattr(X, "iloc") else X[:3])
        outcome = "fallback model" if clf.fallback_ else "model"
        message = clf.refit_
        # Where a late run's time went: the search's phases, and what fit spent before it.
        case["phases"] = ", ".join(f"{k} {v:.2f}" for k, v in clf.result_.phases.items())
    except AutometaError as exc:
        outcome, message = f"{type(exc).__name__}", str(exc)
        assert message, "an AutometaError without a message"
    except Exception as exc:  # anything else is a bug
        outcome = f"BUG {type(exc).__name__}"
        message = traceback.format_exc(limit=3)
    case.update(
        outcome=outcome, message=message[:200], seconds=round(time.perf_counter() - start, 2)
    )
    return case


@pytest.mark.slow
def test_every_fit_gives_a_model_or_a_documented_error(tmp_path: Path) -> None:
    cases = Parallel(n_jobs=2)(delayed(_case)(seed) for seed in range(N_CASES))
    frame = pd.DataFrame(cases)
    counts = frame["outcome"].value_counts()
    over = frame[frame["outcome"].str.contains("model")]
    ratio = over["seconds"] / over["budget"]
    lines = [
        "# Fuzz: the whole job on random tables, metrics, budgets and thread counts", "",
        f"Generated by `tests/test_fuzz.py` (slow tests): {N_CASES} cases, budgets "
        "log-uniform in [1, 20] s, two cases at a time.", "",
        "| outcome | cases |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in counts.items()], "",
        f"Fit seconds / budget where a model came back: median {ratio.median():.2f}, "
        f"95th percentile {ratio.quantile(0.95):.2f}, max {ratio.max():.2f} (the budget "
        "counts validation, meta-features, search and refit; under two parallel cases; "
        "each worker's first fit loads torch and the shipped knowledge).", "",
        "| budget | models | median | 95th percentile | max | over +10 % |",
        "|---|---|---|---|---|---|",
        *[f"| {label} | {len(r)} | {r.median():.2f} | {r.quantile(0.95):.2f} | {r.max():.2f} "
          f"| {int((r > 1.10).sum())} |"
          for label, r in (("below 5 s", ratio[over["budget"] < 5]),
                           ("5 s and more", ratio[over["budget"] >= 5])) if len(r)],
        "",
        "Runs past +10 % (5 s and more): the fit's seconds, and when each phase of the "
        "search ended (seconds from the search's start, which comes after validation and "
        "the meta-features):", "",
        *([f"- seed {r.seed}, {r.table}, {r.budget} s, n_jobs {r.n_jobs}: {r.seconds} s; "
           f"{r.phases}" for r in over[(ratio > 1.10) & (over["budget"] >= 5)].itertuples()]
          or ["- none"]),
        "",
        "Errors by message (first 80 characters):", "",
        *[f"- {k} ({v})" for k, v in collections.Counter(
            f"{o}: {m[:80]}" for o, m in zip(frame["outcome"], frame["message"], strict=True)
            if o == "BadInputError").most_common(10)],
        "", "Other errors, each with its case:", "",
        *([f"- seed {r.seed}, {r.table}, {r.metric}, {r.budget} s: {r.outcome}: {r.message}"
           for r in frame.itertuples() if "model" not in r.outcome and r.outcome != "BadInputError"]
          or ["- none"]),
        "",
    ]  # fmt: skip
    report = Path(os.environ.get("AUTOMETA_FUZZ_REPORT") or tmp_path / "fuzz_search.md")
    report.write_text("\n".join(lines))
    bugs = frame[frame["outcome"].str.startswith("BUG")]
    assert bugs.empty, bugs.to_string()
