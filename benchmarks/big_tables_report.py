"""The report of the big-tables benchmark (``python -m benchmarks.big_tables --report``):
results/big_tables.md from the run files. The protocol, the plan and the rules are in
``benchmarks/big_tables.py``'s docstring; this module only reads the rows and applies them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from autometa.metadataset.builder import read_jsonl
from benchmarks.big_tables import (
    ABLATIONS,
    FIRST,
    MARGIN,
    METHODS,
    ONE_CALL,
    RESULTS,
    RETRY,
    RETRY_SEEDS,
    RETRY_TABLES,
    RUNS,
    UNBUDGETED,
    WITHOUT_CURVES,
)
from benchmarks.budgeted import BOOTSTRAP, adherence, comparison, interval
from benchmarks.rowfiles import shard_paths

SLACK = 1.10  # "within budget + 10 %"
MEMORY = 3.0  # the peak RSS target: at most 3x the table as float64
TARGET_TABLE, TARGET_SCORE, TARGET_SEEDS = "make_classification_1M_50", 0.955, (0, 1, 2)


def read_runs(path: Path) -> pd.DataFrame:
    """Every run recorded in ``path`` and its shards' files (a torn last line is skipped),
    with an ``error`` column (None for a run that ended)."""
    runs = pd.DataFrame([r for p in shard_paths(path) for r in read_jsonl(p)])
    if runs.empty:
        return runs
    if "error" not in runs:
        runs["error"] = None
    runs["seed"] = runs.get("seed", pd.Series(0, index=runs.index)).fillna(0).astype(int)
    return runs


def cell(runs: pd.DataFrame, budget: int) -> str:
    """One table's runs of one method: mean score ± its spread over seeds (the number of
    seeds; the largest wall / budget; the largest peak RSS / the table as float64)."""
    scores = runs["score"].dropna()
    if scores.empty:  # a default stopped at its cap did not fail: it ran out of time
        errors = runs["error"].dropna().astype(str)
        return errors.iloc[0] if errors.str.startswith("stopped after").all() else "failed"
    spread = f" ± {scores.std():.4f}" if len(scores) > 1 else ""
    wall = f"; {runs['wall'].max() / budget:.2f}x" if budget else f"; {runs['wall'].max():.0f} s"
    peak = (runs["peak_mb"] / runs["table_mb"]).max()
    return f"{scores.mean():.4f}{spread} ({len(scores)}{wall}; {peak:.1f}x)"


def budget_section(runs: pd.DataFrame, budget: int) -> list[str]:
    """The table of one budget's runs (the defaults beside them), then its targets."""
    part = runs[(runs["budget"] == budget) | runs["method"].isin(UNBUDGETED)]
    cols = [m for m in METHODS if m in set(part["method"])]
    sizes = runs.groupby("table")["n_train"].first().sort_values()
    lines = [f"## {budget} s", "",
             "A cell: mean score ± standard deviation over seeds (seeds; the largest wall / "
             "budget, or fit seconds for a default; the largest peak RSS / the table as "
             "float64).", "", "| table | rows | " + " | ".join(cols) + " |",
             "|---|---|" + "---|" * len(cols)]  # fmt: skip
    for name, n in sizes.items():
        mine = part[part["table"] == name]
        if mine.empty:
            continue
        cells = [cell(mine[mine["method"] == m], 0 if m in UNBUDGETED else budget)
                 if (mine["method"] == m).any() else "" for m in cols]  # fmt: skip
        lines.append(f"| {name} | {n:,} | " + " | ".join(cells) + " |")
    lines += ["", *adherence(part[part["error"].isna()], cols, [budget], UNBUDGETED), ""]
    lines += targets(part, budget, cols)
    lines += by_size(part, budget)
    fam = family_means(part, cols, budget)
    if "autometa" in cols and len(cols) > 1 and len(fam):
        lines += comparison(fam, "autometa", cols, [budget], UNBUDGETED, "score")
        lines += ["", f"(Over the {len(fam)} families where every method above has a score.)",
                  ""]  # fmt: skip
    return lines


SIZE_BANDS = ((0, 100_000), (100_000, 500_000), (500_000, 2_000_000), (2_000_000, 10**9))


def final_model(refit: str) -> str:
    """The kind of a run's final model from its ``refit`` field: all rows, a sample, the
    model of a CV fold, or an ensemble (of models fitted on any of these)."""
    if refit.startswith("ensemble"):
        return "ensemble"
    if refit == "all rows" or refit == "last CV fold":
        return refit
    return "sample" if " of " in refit else refit


def by_size(part: pd.DataFrame, budget: int) -> list[str]:
    """What a user gets from ``autometa`` (1 worker) at this budget, by training rows: the
    runs, the evaluations, the final model's kind, wall / budget, peak RSS and the score
    against HistGradientBoosting's defaults on the same tables."""
    mine = part[(part["method"] == "autometa") & (part["budget"] == budget)]
    mine = mine[mine["score"].notna()]
    if mine.empty or "refit" not in mine:
        return []
    hgb = part[part["method"] == "HGB"].groupby("table")["score"].mean()
    lines = [f"### What a user gets at {budget} s, by training rows (autometa, 1 worker)", "",
             "| training rows (of its tables) | tables | runs | evaluations (median) | all rows / sample / CV "
             "fold's model / ensemble | wall / budget (median, max) | peak RSS MB (median) | "
             "minus HGB's defaults (mean over tables) |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for low, high in SIZE_BANDS:
        band = mine[(mine["n_train"] >= low) & (mine["n_train"] < high)]
        if band.empty:
            continue
        kinds = band["refit"].astype(str).map(final_model).value_counts()
        counts = " / ".join(str(int(kinds.get(k, 0)))
                            for k in ("all rows", "sample", "last CV fold", "ensemble"))  # fmt: skip
        ratio = band["wall"] / budget
        means = band.groupby("table")["score"].mean()
        both = means.index.intersection(hgb.index)
        gap = f"{(means[both] - hgb[both]).mean():+.4f} ({len(both)})" if len(both) else ""
        span = f"{band['n_train'].min():,}-{band['n_train'].max():,}"
        lines.append(f"| {span} | {band['table'].nunique()} | {len(band)} | "
                     f"{band['evaluations'].median():.0f} | {counts} | {ratio.median():.2f}, "
                     f"{ratio.max():.2f} | {band['peak_mb'].median():,.0f} | {gap} |")  # fmt: skip
    return [*lines, ""]


def family_means(part: pd.DataFrame, cols: list[str], budget: int) -> pd.DataFrame:
    """Scores, one row per family (the mean of its tables' means over seeds), columns
    (method, budget); only the tables where every method in ``cols`` has a score."""
    ok = part[part["error"].isna()]
    per_table = ok.pivot_table(index=["family", "table"], columns="method", values="score",
                               aggfunc="mean")[cols].dropna()  # fmt: skip
    per_family = per_table.groupby(level="family").mean()
    per_family.columns = pd.MultiIndex.from_tuples(
        [(m, 0 if m in UNBUDGETED else budget) for m in per_family.columns]
    )
    return per_family


def targets(part: pd.DataFrame, budget: int, cols: list[str]) -> list[str]:
    """The issue's targets that this budget's runs decide (the plan in the docstring)."""
    ours = [m for m in cols if m.startswith("autometa")]
    lines = [f"### Targets at {budget} s", ""]
    for m in ours:
        r = part[part["method"] == m]
        within = int(((r["wall"] <= budget * SLACK) & r["error"].isna()).sum())
        ratio = r["peak_mb"] / r["table_mb"]
        # What the fit added to the process it started in (the interpreter, the libraries
        # and both splits, read): the part of the peak the search is answerable for.
        added = (r["peak_mb"] - r["start_mb"]) / r["table_mb"]
        lines.append(f"- {m}: {within} of {len(r)} runs within budget + 10 % (largest wall / "
                     f"budget {r['wall'].max() / budget:.2f}); peak RSS at most {MEMORY:g}x the "
                     f"table in {int((ratio <= MEMORY).sum())} of {len(r)} runs (median "
                     f"{ratio.median():.1f}x, largest {ratio.max():.1f}x); above the process's "
                     f"start, at most {MEMORY:g}x in {int((added <= MEMORY).sum())} (median "
                     f"{added.median():.1f}x, largest {added.max():.1f}x)")  # fmt: skip
    if {"autometa", "FLAML"} <= set(cols):
        lines.append(versus(family_means(part, ["autometa", "FLAML"], budget), "FLAML", budget))
    if budget == 60 and {"autometa", "HGB"} <= set(cols):
        means = part[part["error"].isna()].pivot_table(
            index="table", columns="method", values="score", aggfunc="mean"
        )[["autometa", "HGB"]].dropna()  # fmt: skip
        above = means[means["autometa"] > means["HGB"]]
        below = ", ".join(means.index[means["autometa"] <= means["HGB"]])
        lines.append(f"- autometa above HistGradientBoosting's defaults on {len(above)} of "
                     f"{len(means)} tables{'; not on: ' + below if below else ''}")  # fmt: skip
    if budget == 60 and {"autometa", "autometa random order"} <= set(cols):
        fam = family_means(part, ["autometa", "autometa random order"], budget)
        lines.append(versus(fam, "autometa random order", budget))
        lines.append("  (the random order keeps the portfolio and the cost models; without "
                     "meta-features it has no learning-curve predictor, so this measures the "
                     "meta-model's order and curve halving together)")  # fmt: skip
    two = part[(part["method"] == "autometa 2 workers") & (part["table"] == TARGET_TABLE)]
    two = two[two["seed"].isin(TARGET_SEEDS)]
    if budget == 60 and len(two):
        scores = ", ".join(f"seed {r.seed}: {r.score:.4f}" for r in two.sort_values("seed")
                           .itertuples())  # fmt: skip
        met = len(two) == len(TARGET_SEEDS) and bool((two["score"] >= TARGET_SCORE).all())
        lines.append(f"- {TARGET_TABLE}, 2 workers, seeds 0-2, every run >= {TARGET_SCORE}: "
                     f"{scores} ({'met' if met else 'missed'})")  # fmt: skip
    return [*lines, ""]


def versus(fam: pd.DataFrame, other: str, budget: int, base: str = "autometa") -> str:
    """``base`` minus ``other``: the mean over families with its bootstrap interval."""
    diff = (fam[(base, budget)] - fam[(other, budget)]).to_numpy()
    if not len(diff):
        return f"- {base} minus {other}: no table has both yet"
    low, high = interval(diff)
    return (f"- {base} minus {other}: {diff.mean():+.4f} [{low:+.4f}, {high:+.4f}] (95 % "
            f"bootstrap over {len(diff)} families, {BOOTSTRAP:,} resamples; above 0: "
            f"{'yes' if low > 0 else 'no'})")  # fmt: skip


def report() -> None:
    runs = read_runs(RUNS)
    lines = ["# Big tables", "", "Generated by `python -m benchmarks.big_tables --report` "
             "(protocol, plan and rules in its docstring). Score: test accuracy "
             "(classification) or R2 (regression).", ""]  # fmt: skip
    if not runs.empty:
        for budget in sorted(b for b in runs["budget"].unique() if b > 0):
            lines += budget_section(runs, int(budget))
        errors = runs[runs["error"].notna()]
        if len(errors):
            lines += ["## Runs that failed", ""]
            lines += [f"- {r.table} / {r.method} / {f'{r.budget} s' if r.budget else 'no budget'}"
                      f" / seed {r.seed}: {r.error}" for r in errors.itertuples()]  # fmt: skip
            lines.append("")
    first = read_runs(FIRST)
    if not first.empty:
        lines += rung_rule(first)
    split = read_runs(WITHOUT_CURVES)
    if not split.empty:
        lines += order_alone(runs, split)
    retry = read_runs(RETRY)
    if not retry.empty:
        lines += rung_retry(retry)
    margin = read_runs(MARGIN)
    if not retry.empty and not margin.empty:
        lines += refit_margin(retry, margin)
    one_call = read_runs(ONE_CALL)
    if not runs.empty and not one_call.empty:
        lines += one_call_fits(runs, one_call)
    (RESULTS / "big_tables.md").write_text("\n".join(lines) + "\n")


def rung_rule(runs: pd.DataFrame) -> list[str]:
    """The rung change's first rule (docstring) on the tables where both ran at 60 s."""
    at = runs[(runs["budget"] == 60) & runs["method"].isin(["autometa", *ABLATIONS])]
    both = at.pivot_table(index="table", columns="method", values="wall", aggfunc="first")
    if ABLATIONS[0] not in both or "autometa" not in both:
        return []
    both = both.dropna()
    part = at[at["table"].isin(both.index)].set_index(["table", "method"])
    out = ["## The rung change's first rule (60 s, 1 worker, 1 seed)", ""]
    verdict = []
    for m in (ABLATIONS[0], "autometa"):
        walls = part.xs(m, level="method")["wall"]
        scores = part.xs(m, level="method")["score"]
        within = int((walls <= 60 * SLACK).sum())
        verdict.append((within, float(scores.mean())))
        out.append(f"- {m}: {within} of {len(walls)} runs within budget + 10 %, mean score "
                   f"{scores.mean():.4f}, largest wall / budget {walls.max() / 60:.2f}")  # fmt: skip
    keeps = verdict[0][0] >= verdict[1][0] and verdict[0][1] >= verdict[1][1]
    out += ["", f"Verdict on {len(both)} tables: the change "
            f"{'is the default' if keeps else 'stays off (the rule is not met)'}.",
            ""]  # fmt: skip
    return out


def rung_retry(runs: pd.DataFrame) -> list[str]:
    """The rung change's retry (docstring), by :func:`before_after`."""
    at = runs[(runs["budget"] == 60) & runs["method"].isin(["autometa", *ABLATIONS])]
    title = ("## The rung change's retry, after the refit's stop margin (60 s, 1 worker, "
             f"{RETRY_SEEDS} seeds)")  # fmt: skip
    return before_after(at, ABLATIONS[0], "autometa", title, ("becomes the default", "stays off"))


def refit_margin(retry: pd.DataFrame, margin: pd.DataFrame) -> list[str]:
    """The refit margin's rule (docstring): its ``autometa`` runs against the retry's, on
    the retry's tables."""
    return against(retry, margin, "the retry's", "the refit margin", tables_of(retry))


def order_alone(full: pd.DataFrame, split: pd.DataFrame) -> list[str]:
    """The order and curve halving apart (big_tables.py's docstring, "The order alone"):
    on the classification tables the arm ran on, at 60 s."""
    arm = ABLATIONS[1]
    tables = sorted(set(split.loc[split["method"] == arm, "table"]))
    part = pd.concat([full[full["method"].isin(["autometa", "autometa random order"])], split])
    part = part[(part["budget"] == 60) & part["table"].isin(tables)]
    fam = family_means(part, ["autometa", arm, "autometa random order"], 60)
    return ["## The order alone (60 s, 1 worker, classification tables)", "",
            f"{arm}: {(split['method'] == arm).sum()} runs on {len(tables)} tables.", "",
            versus(fam, arm, 60) + " (curve halving's share)",
            versus(fam, "autometa random order", 60, base=arm) + " (the order's share)",
            ""]  # fmt: skip


def tables_of(runs: pd.DataFrame) -> list[str]:
    """The tables of ``runs``' 60 s runs: those a change is judged on against them."""
    return sorted(set(runs.loc[runs["budget"] == 60, "table"]))


def against(
    base: pd.DataFrame,
    changed: pd.DataFrame,
    base_name: str,
    change: str,
    tables: list[str],
    method: str = "autometa",
) -> list[str]:
    """A change's 60 s runs of ``method`` (``changed``) against those of the search
    without it (``base``: the retry's, the full run's) on ``tables``, by
    :func:`before_after`."""
    old, new = f"{method} ({base_name})", f"{method} with {change}"
    before = base[(base["budget"] == 60) & (base["method"] == method)]
    after = changed[(changed["budget"] == 60) & (changed["method"] == method)]
    at = pd.concat([before.assign(method=old), after.assign(method=new)], ignore_index=True)
    at = at[at["table"].isin(tables)]
    title = (f"## {change[0].upper()}{change[1:]}: {method} (60 s, 1 worker, {RETRY_SEEDS} "
             f"seeds, {len(tables)} tables)")  # fmt: skip
    return before_after(at, new, old, title, ("is kept", "is reverted"), len(tables))


def one_call_fits(runs: pd.DataFrame, changed: pd.DataFrame) -> list[str]:
    """One-call fits in a killed process (docstring): ``autometa`` and its random order
    with the change against the full run's, each on the full run's tables; kept when
    both verdicts say so."""
    tables, change = tables_of(runs), "one-call fits killed"
    lines = [line for method in ("autometa", "autometa random order")
             for line in against(runs, changed, "the full run's", change, tables, method)]  # fmt: skip
    keys = ["table", "method", "seed"]
    paired = changed[[*keys, "peak_mb"]].merge(runs[runs["budget"] == 60][[*keys, "peak_mb"]],
                                               on=keys, suffixes=("", "_before"))  # fmt: skip
    more = paired["peak_mb"] - paired["peak_mb_before"]
    lines.append(f"Peak RSS, the same table, method and seed with the change minus without: "
                 f"median {more.median():+,.0f} MiB over {len(more)} runs, more than +200 MiB "
                 f"in {int((more > 200).sum())} (the one-call worker's interpreter).")  # fmt: skip
    return [*lines, ""]


def before_after(
    at: pd.DataFrame,
    new: str,
    old: str,
    title: str,
    words: tuple[str, str],
    n_tables: int = RETRY_TABLES,
) -> list[str]:
    """A change (method ``new``) against the search without it (``old``) on the same
    tables and seeds: every seed's run counts towards "within budget + 10 %" (a failed run
    is not within); the score is each table's mean over seeds. The verdict (``words``: kept,
    not kept) once both have their ``RETRY_SEEDS`` x ``n_tables`` runs."""
    expected = 2 * RETRY_SEEDS * n_tables
    out = [title, ""]
    means = at[at["error"].isna()].pivot_table(
        index="table", columns="method", values="score", aggfunc="mean"
    )
    verdict = []
    for m in (new, old):
        mine = at[at["method"] == m]
        within = int(((mine["wall"] <= 60 * SLACK) & mine["error"].isna()).sum())
        score = float(means[m].mean()) if m in means else float("nan")
        verdict.append((within, score))
        largest = mine["wall"].max() / 60 if len(mine) else float("nan")
        out.append(f"- {m}: {within} of {len(mine)} runs within budget + 10 % (largest wall / "
                   f"budget {largest:.3f}), mean score {score:.4f} over "
                   f"{int(means[m].notna().sum()) if m in means else 0} tables")  # fmt: skip
    if new in means and old in means:
        diff = (means[new] - means[old]).dropna().to_numpy()
        low, high = interval(diff)
        out.append(f"- score of {new} minus {old}: {diff.mean():+.4f} [{low:+.4f}, "
                   f"{high:+.4f}] (95 % bootstrap over {len(diff)} tables)")  # fmt: skip
    ratio = at["peak_mb"] / at["table_mb"]
    for m, mine in at.groupby("method"):
        r = ratio[mine.index]
        out.append(f"- {m}: mean wall / budget {mine['wall'].mean() / 60:.3f}; final model "
                   f"\"last CV fold\" in {int((mine['refit'] == 'last CV fold').sum())} runs; "
                   f"peak RSS / table median {r.median():.0f}x, largest {mine['peak_mb'].max():,.0f} "
                   f"MiB ({r[mine['peak_mb'].idxmax()]:.1f}x), at most 3x in {int((r <= MEMORY).sum())}")  # fmt: skip
    per_table = at.pivot_table(index="table", columns="method", values="score",
                               aggfunc=["mean", "std"]).round(4)  # fmt: skip
    per_table.columns = [f"{m} ({stat})" for stat, m in per_table.columns]
    out += ["", "Per table, score over the seeds:", "", per_table.to_markdown(), ""]
    past = at[at["wall"] > 60 * SLACK].sort_values("wall", ascending=False)
    for r in past.itertuples():
        out.append(f"  - past budget + 10 %: {r.method}, {r.table}, seed {r.seed}: wall / "
                   f"budget {r.wall / 60:.2f}, final model {r.refit}")  # fmt: skip
    if len(at) < expected:
        out += ["", f"Not decided yet: {len(at)} of {expected} runs.", ""]
        return out
    keeps = verdict[0][0] >= verdict[1][0] and verdict[0][1] >= verdict[1][1]
    out += ["", f"Verdict: the change {words[0] if keeps else words[1]} "
            "(the rule in the docstring).", ""]  # fmt: skip
    return out
