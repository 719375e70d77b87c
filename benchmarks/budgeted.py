"""What the two time-to-score benchmarks share (classification: time_to_accuracy.py,
regression: time_to_accuracy_regression.py): the run loop and its run files, and the
tables that compare one of autometa's methods with the others.

The protocol (datasets, split, methods, budgets) is each script's; this module only runs
the methods it is given and writes one JSON line per (dataset, method, budget) as it
finishes, so that a rerun skips what has finished and a stop loses at most the run in
progress.
"""

from __future__ import annotations

import json
import os
import re
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.metadataset.builder import read_jsonl
from autometa.table.tabular import Task

TIE = 1e-12  # a win or a loss differs by more than this
BOOTSTRAP = 2000  # resamples of the families, seed 0

#: ``runner(train, test, budget, knowledge) -> {score columns, "wall", ...}``
Runner = Callable[[Task, Task, int, Any], dict[str, Any]]


def method_names(text: str) -> tuple[str, ...]:
    """The method names of a ``--methods`` argument: comma-separated, where a comma before
    a digit is a thousands separator inside a name ("autometa first rung 10,000")."""
    return tuple(m.strip() for m in re.split(r",(?!\d)", text))


def load_runs(folder: Path, keep_repeats: bool = False) -> pd.DataFrame:
    """Every recorded run (a torn last line of a killed run is skipped). A (dataset,
    method, budget) recorded twice, by two processes that ran it at once, counts once:
    the first recorded (files in name order), unless ``keep_repeats``."""
    rows = [r for path in sorted(folder.glob("runs-*.jsonl")) for r in read_jsonl(path)]
    runs = pd.DataFrame(rows)
    if keep_repeats or runs.empty:
        return runs
    return runs.drop_duplicates(["dataset", "method", "budget"], keep="first")


def run_methods(
    datasets: Iterable[Any],
    shard: int,
    n_shards: int,
    methods: Sequence[str],
    budgets: Sequence[int],
    folder: Path,
    prepare: Callable[[Task], tuple[Task, Task]],
    knowledge_for: Callable[[Any], Any],
    runners: dict[str, Runner],
    unbudgeted: Iterable[str] = (),
) -> None:
    """Run every (method, budget) not yet recorded on every ``n_shards``-th dataset from
    ``shard``, appending one line per run to ``folder/runs-<shard>.jsonl``.

    Parameters
    ----------
    datasets : iterable of dataset references (``.name``, ``.family``, ``.load()``)
    prepare : callable
        A loaded Task -> (train, test).
    knowledge_for : callable
        A dataset reference -> the knowledge its runs use (leave-one-family-out).
    runners : dict
        Method name -> :data:`Runner`. A runner's exception is recorded as the run's
        ``error``: one failure does not stop the benchmark.
    unbudgeted : iterable of str
        Methods run once, with budget 0 (the default learners).
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"runs-{shard}.jsonl"
    runs = load_runs(folder)
    done = set() if runs.empty else set(
        zip(runs["dataset"], runs["method"], runs["budget"].astype(int), strict=True)
    )  # fmt: skip
    once = set(unbudgeted)
    for i, ref in enumerate(datasets):
        if i % n_shards != shard:
            continue
        todo = [(m, b) for m in methods for b in (budgets if m not in once else (0,))
                if (ref.name, m, b) not in done]  # fmt: skip
        if not todo:
            continue
        train, test = prepare(ref.load())
        knowledge = knowledge_for(ref)
        for method, budget in todo:
            record: dict[str, Any] = {"dataset": ref.name, "family": ref.family,
                                      "method": method, "budget": budget,
                                      "n_train": len(train.y), "n_test": len(test.y)}  # fmt: skip
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    record.update(runners[method](train, test, budget, knowledge))
            except Exception as exc:  # recorded: one failure must not stop the benchmark
                record["error"] = traceback.format_exception_only(type(exc), exc)[-1].strip()
            record["load_average"] = round(os.getloadavg()[0], 2)  # other work on the cores
            with out.open("a") as fh:
                fh.write(json.dumps(record) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            print(json.dumps(record), flush=True)


def interval(diff: np.ndarray) -> tuple[float, float]:
    """95 % bootstrap interval of the mean of ``diff`` (one value per family), resampling
    the families (BOOTSTRAP resamples, seed 0)."""
    n = len(diff)
    boot = np.random.default_rng(0).integers(0, n, size=(BOOTSTRAP, n))
    lo, hi = np.quantile(diff[boot].mean(axis=1), [0.025, 0.975])
    return float(lo), float(hi)


def column(
    complete: pd.DataFrame, method: str, budget: int, unbudgeted: Iterable[str]
) -> pd.Series:
    """One method's scores at one budget (budget 0 for an unbudgeted method)."""
    return complete[(method, 0 if method in set(unbudgeted) else budget)]


def comparison(
    complete: pd.DataFrame,
    ours: str,
    methods: Sequence[str],
    budgets: Sequence[int],
    unbudgeted: Iterable[str],
    score: str,
) -> list[str]:
    """Markdown: ``ours``'s win / tie / loss against every other method, then the mean
    difference with its 95 % bootstrap interval over families (one dataset per family, so
    resampling datasets is resampling families).

    Parameters
    ----------
    complete : DataFrame, shape (n_datasets, n_method_budgets)
        Scores (larger is better), columns (method, budget); no missing value.
    score : str
        What the scores are ("R2", "accuracy").
    """
    others = [m for m in methods if m != ours]
    head = ["| budget | " + " | ".join(others) + " |", "|---|" + "---|" * len(others)]
    lines = ["", f"## {ours} win / tie / loss (test {score}, per dataset)", "", *head]
    for b in budgets:
        ours_b = complete[(ours, b)]
        cells = []
        for m in others:
            diff = ours_b - column(complete, m, b, unbudgeted)
            wins, ties = (diff > TIE).sum(), (diff.abs() <= TIE).sum()
            cells.append(f"{wins} / {ties} / {(diff < -TIE).sum()}")
        lines.append(f"| {b} s | " + " | ".join(cells) + " |")
    lines += ["", f"Mean {score} difference, {ours} minus each (95 % bootstrap interval "
              f"over families, {BOOTSTRAP:,} resamples, seed 0):", "", *head]  # fmt: skip
    for b in budgets:
        ours_values = complete[(ours, b)].to_numpy()
        cells = []
        for m in others:
            diff = ours_values - column(complete, m, b, unbudgeted).to_numpy()
            lo, hi = interval(diff)
            cells.append(f"{diff.mean():+.4f} [{lo:+.4f}, {hi:+.4f}]")
        lines.append(f"| {b} s | " + " | ".join(cells) + " |")
    return lines


def adherence(
    ok: pd.DataFrame, methods: Sequence[str], budgets: Sequence[int], unbudgeted: Iterable[str]
) -> list[str]:
    """Markdown: wall time over budget per budgeted method and budget, and the fit
    seconds of the unbudgeted ones."""
    once = [m for m in unbudgeted if m in methods]
    lines = ["## Budget adherence (wall time / budget - 1, over all runs)", "",
             "| method | budget | median overrun | max overrun | runs within +10 % |",
             "|---|---|---|---|---|"]  # fmt: skip
    for m in [m for m in methods if m not in once]:
        for b in budgets:
            r = ok[(ok["method"] == m) & (ok["budget"] == b)]
            if len(r):
                over = r["wall"] / b - 1
                lines.append(f"| {m} | {b} s | {over.median():+.1%} | {over.max():+.1%} | "
                             f"{(over <= 0.10).mean():.0%} ({len(r)}) |")  # fmt: skip
    for m in once:
        r = ok[ok["method"] == m]
        lines.append(
            f"| {m} | none | median fit {r['wall'].median():.1f} s | max {r['wall'].max():.1f} s | |"
        )
    return lines


def failures(errors: pd.DataFrame) -> list[str]:
    """Markdown: the failed runs, or nothing."""
    if errors.empty:
        return []
    lines = ["", "## Failed runs", "", "| dataset | method | budget | error |", "|---|---|---|---|"]
    for r in errors.itertuples():
        lines.append(f"| {r.dataset} | {r.method} | {r.budget} | {str(r.error)[:120]} |")
    return lines


def plot_means(
    means: dict[int, pd.Series], searched: Sequence[str], complete: pd.DataFrame,
    defaults: Sequence[str], score: str, n: int, path: Path,
) -> None:  # fmt: skip
    """The plot of both time-to-score benchmarks: each searched method's mean score per
    budget, the unbudgeted ``defaults`` as horizontal lines; written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = list(means)  # in the order the report made them
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in searched:
        ax.plot(budgets, [means[b][m] for b in budgets], marker="o", label=m)
    for m, style in zip(defaults, ("--", ":"), strict=False):
        ax.axhline(complete[(m, 0)].mean(), linestyle=style, color="grey", label=f"{m} (no budget)")
    ax.set_xlabel("time budget (s)")
    ax.set_ylabel(f"mean test {score} ({n} datasets)")
    ax.set_xticks(budgets)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
