"""The report of the time-to-accuracy benchmark (``python -m benchmarks.time_to_accuracy
--report``): results/time_to_accuracy.md and .png from the run files. The protocol, the
methods and the rules written before the runs are in ``benchmarks/time_to_accuracy.py``'s
docstring; this module reads the rows and applies them.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.budgeted import (
    TIE,
    adherence,
    column,
    comparison,
    failures,
    interval,
    load_runs,
    plot_means,
)
from benchmarks.time_to_accuracy import (
    COMBINED,
    DASK,
    DEFAULTS,
    INLINE,
    METHODS,
    ONE,
    RESULTS,
    RUNS,
    TWO,
    WORKERS,
    datasets,
)

PEERS = ("FLAML", "AutoGluon", "random search", "RF(300)", "HGB")
#: The README's rule (written before the run) per option: the method that measures it.
OPTIONS = {"ensemble": "autometa ensemble", "curve_halving": "autometa curve halving"}


def defaults_and_targets(complete: pd.DataFrame, ok: pd.DataFrame, budgets: list[int]) -> list[str]:
    """Markdown: the classifier's defaults by the README's rules, then the search v2
    issue's targets for the default they give (both written before the run).

    Rule: an option becomes the default if, at 30 s, its method's mean accuracy is at
    least the plain search's ("autometa") and its wins exceed its losses. When both pass,
    the pair (``COMBINED``) must pass the same rule to make both the default; otherwise
    the passing option with the higher 30 s mean alone becomes it. Targets: at 30 s
    a mean accuracy above every peer's, with the bootstrap interval of the difference to
    FLAML above 0; at 10 s, above FLAML's and AutoGluon's 30 s means; every run of the
    default within its budget + 10 %.
    """
    if not {10, 30} <= set(budgets) or ("autometa", 30) not in complete:
        return []
    single = complete[("autometa", 30)]
    lines = ["", "## The defaults by the rules, and the targets", "",
             "Rule (README, written before the run): an option becomes the classifier's "
             "default if, at 30 s, its mean accuracy is at least the plain search's and its "
             "wins exceed its losses.", ""]  # fmt: skip

    def passes(method: str) -> tuple[bool, str]:
        other = complete[(method, 30)]
        diff = other - single
        wins, losses = int((diff > TIE).sum()), int((diff < -TIE).sum())
        adopt = bool(other.mean() >= single.mean() and wins > losses)
        return adopt, (f"mean {other.mean():.4f} against {single.mean():.4f}, wins {wins}, "
                       f"losses {losses}")  # fmt: skip

    adopted = []
    for option, method in OPTIONS.items():
        if (method, 30) not in complete:
            continue
        adopt, figures = passes(method)
        adopted += [method] if adopt else []
        lines.append(f"- `{option}=True` ({method}): {figures}: "
                     f"{'passes' if adopt else 'stays off'}.")  # fmt: skip
    if len(adopted) > 1 and (COMBINED, 30) in complete:
        # The pair's rule (README, written before the pair's run): both options become the
        # default if the pair passes the same rule; otherwise the passing option with the
        # higher 30 s mean alone.
        adopt, figures = passes(COMBINED)
        alone = max(adopted, key=lambda m: complete[(m, 30)].mean())
        lines.append(f"- Both pass, so both together ({COMBINED}): {figures}: "
                     + ("both become the default." if adopt else
                        f"the pair fails; {alone} alone becomes the default."))  # fmt: skip
        adopted = [COMBINED if adopt else alone]
    elif len(adopted) > 1:
        lines.append(f"- Both pass; the rule for the pair needs {COMBINED}, not run yet: the "
                     "targets below are for each of them.")  # fmt: skip
    for default in adopted or ["autometa"]:
        ours = complete[(default, 30)]
        lines += ["", f"Targets for the default as run, {default}:", ""]
        peers = {m: column(complete, m, 30, DEFAULTS).mean() for m in PEERS
                 if (m, 30) in complete or (m, 0) in complete}  # fmt: skip
        below = ", ".join(f"{m} ({v:.4f})" for m, v in peers.items() if ours.mean() <= v)
        verdict = f"missed, at or below {below}" if below else "met"
        lines.append(f"- 30 s, mean accuracy above every peer's ({', '.join(peers)}): "
                     f"{ours.mean():.4f}; {verdict}.")  # fmt: skip
        if ("FLAML", 30) in complete:
            lo, hi = interval((ours - complete[("FLAML", 30)]).to_numpy())
            lines.append(f"- 30 s, bootstrap interval of the difference to FLAML above 0: "
                         f"[{lo:+.4f}, {hi:+.4f}]: {'met' if lo > 0 else 'missed'}.")  # fmt: skip
        at10 = complete[(default, 10)].mean()
        marks = {m: complete[(m, 30)].mean() for m in ("FLAML", "AutoGluon") if (m, 30) in complete}
        lines.append(f"- 10 s mean {at10:.4f} above the 30 s means of "
                     + ", ".join(f"{m} ({v:.4f})" for m, v in marks.items()) + ": "
                     + ("met" if all(at10 > v for v in marks.values()) else "missed") + ".")  # fmt: skip
        runs = ok[ok["method"] == default]
        over = runs["wall"] / runs["budget"] - 1
        worst = runs.loc[over.idxmax()]
        lines.append(f"- every run within its budget + 10 %: {int((over <= 0.10).sum())} of "
                     f"{len(runs)}, worst {over.max():+.1%} ({worst['dataset']}, "
                     f"{int(worst['budget'])} s): {'met' if (over <= 0.10).all() else 'missed'}.")  # fmt: skip
    return lines


def workers_rule(runs: pd.DataFrame, others: pd.DataFrame) -> list[str]:
    """Markdown: the default with 1 and 2 workers and on Dask, and ``n_jobs``'s default by
    the README's rule (written before the run): ``n_jobs=-1`` becomes the default if, at
    30 s, the mean accuracy with 2 workers is higher than with 1, the family-bootstrap
    interval of the difference is above 0 and the 95th percentile of wall / budget with 2
    workers is at most 1.10; and at 10 s its mean is at least that of 1 worker.

    Parameters
    ----------
    runs : DataFrame
        The finished runs of the ``WORKERS`` methods.
    others : DataFrame
        The other methods' finished runs (the same default run in an earlier session,
        ``COMBINED``, is shown beside the 1-worker rerun).
    """
    if runs.empty:
        return []
    acc = runs.pivot_table(index="dataset", columns=["method", "budget"], values="accuracy")
    evals = runs.pivot_table(index="dataset", columns=["method", "budget"], values="evaluations")
    columns = [c for c in acc.columns if c[1] in (10, 30)]
    complete = acc[columns].dropna()
    lines = ["", "## Workers: the default with 1 and 2 workers and on Dask", "",
             f"Datasets where every worker method finished every budget it runs: "
             f"{len(complete)} of {len(datasets())}. Each run alone on the machine (2 cores).",
             "", "| method | budget | mean accuracy | median evaluations | evaluations per "
             "second (median) | runs within +10 % | 95th pct wall / budget | lost rows |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for method, budget in columns:
        rows = runs[(runs["method"] == method) & (runs["budget"] == budget)
                    & runs["dataset"].isin(complete.index)]  # fmt: skip
        ratio = rows["wall"] / budget
        rate = (rows["evaluations"] / rows["wall"]).median()
        lines.append(f"| {method} | {budget} s | {complete[(method, budget)].mean():.4f} | "
                     f"{evals.loc[complete.index, (method, budget)].median():.0f} | {rate:.2f} | "
                     f"{(ratio <= 1.10).mean():.0%} ({len(rows)}) | {ratio.quantile(0.95):.3f} | "
                     f"{int(rows['lost'].sum())} |")  # fmt: skip
    past = others[(others["method"] == COMBINED) & others["dataset"].isin(complete.index)]
    for budget in (10, 30):
        old = past[past["budget"] == budget].set_index("dataset")["accuracy"]
        if (ONE, budget) in complete and len(old) == len(complete):
            lines.append(f"| {COMBINED} (an earlier session's run of the same default, "
                         f"1 worker) | {budget} s | {old.mean():.4f} | | | | | |")  # fmt: skip
    lines += ["", "Rule (README, written before the run): `n_jobs=-1` becomes the default "
              "if, at 30 s, 2 workers have a higher mean accuracy than 1, the "
              "family-bootstrap interval of the difference is above 0 and the 95th "
              "percentile of wall / budget is at most 1.10; and at 10 s the mean with 2 "
              "workers is at least that with 1.", ""]  # fmt: skip
    needed = [(ONE, 30), (TWO, 30), (ONE, 10), (TWO, 10)]
    if not all(c in acc for c in needed):
        return [*lines, "Not decided: a method or budget has not run yet."]
    # The rule needs only the 1- and 2-worker runs (not Dask's): all datasets where they ran.
    complete = acc[needed].dropna()
    lines.append(f"On the {len(complete)} datasets where 1 and 2 workers ran both budgets:")
    lines.append("")
    checks = []
    for budget in (30, 10):
        diff = (complete[(TWO, budget)] - complete[(ONE, budget)]).to_numpy()
        lo, hi = interval(diff)
        lines.append(f"- {budget} s: 2 workers minus 1 worker, mean {diff.mean():+.4f} "
                     f"[{lo:+.4f}, {hi:+.4f}] (95 % family bootstrap).")  # fmt: skip
        checks += [diff.mean() > 0, lo > 0] if budget == 30 else [diff.mean() >= 0]
    rows = runs[(runs["method"] == TWO) & (runs["budget"] == 30)]
    p95 = float((rows["wall"] / 30).quantile(0.95))
    checks.append(p95 <= 1.10)
    lines.append(f"- 30 s, 2 workers: 95th percentile of wall / budget {p95:.3f}.")
    if (DASK, 30) in acc:  # beside the rule, which is about this machine's workers
        both = acc[[(DASK, 30), (ONE, 30)]].dropna()
        diff = (both[(DASK, 30)] - both[(ONE, 30)]).to_numpy()
        lo, hi = interval(diff)
        lines.append(f"- (Beside the rule) 30 s, Dask 2 workers minus 1 worker, on {len(both)} "
                     f"datasets: mean {diff.mean():+.4f} [{lo:+.4f}, {hi:+.4f}].")  # fmt: skip
    outcome = "`n_jobs=-1` becomes the default." if all(checks) else "`n_jobs` stays 1."
    if len(complete) < len(datasets()):  # the rule is for every dataset
        lines.append(f"- Not decided yet ({len(complete)} of {len(datasets())} datasets); "
                     f"on these so far: {outcome}")  # fmt: skip
    else:
        lines.append(f"- Verdict: {outcome}")
    return lines


def inline_rule(runs: pd.DataFrame) -> list[str]:
    """Markdown: the inline start against "default 2 workers" at 10 s, by its rule (module
    docstring), on the datasets where both ran."""
    part = runs[runs["method"].isin([TWO, INLINE]) & (runs["budget"] == 10)]
    if INLINE not in set(part["method"]):
        return []
    wide = part.pivot_table(index="dataset", columns="method", values="accuracy").dropna()
    lines = ["", "## The inline start (2 workers, 10 s)", "",
             "| method | mean accuracy | evaluations per second (median) | 95th pct wall / "
             "budget |", "|---|---|---|---|"]  # fmt: skip
    checks: dict[str, tuple[float, float, float]] = {}
    for method in (TWO, INLINE):
        rows = part[(part["method"] == method) & part["dataset"].isin(wide.index)]
        rate = float((rows["evaluations"] / rows["wall"]).median())
        p95 = float((rows["wall"] / 10).quantile(0.95))
        checks[method] = (float(wide[method].mean()), rate, p95)
        lines.append(f"| {method} | {wide[method].mean():.4f} | {rate:.2f} | {p95:.3f} |")
    diff = (wide[INLINE] - wide[TWO]).to_numpy()
    lo, hi = interval(diff)
    lines += ["", f"Inline start minus without, on {len(wide)} datasets: {diff.mean():+.4f} "
              f"[{lo:+.4f}, {hi:+.4f}] (95 % family bootstrap)."]  # fmt: skip
    keeps = (checks[INLINE][0] >= checks[TWO][0] and checks[INLINE][1] > checks[TWO][1]
             and checks[INLINE][2] <= 1.10)  # fmt: skip
    outcome = "the inline start becomes the default" if keeps else "the inline start stays off"
    if len(wide) < len(datasets()):
        lines.append(f"Not decided yet ({len(wide)} of {len(datasets())} datasets); on these "
                     f"so far: {outcome}.")  # fmt: skip
    else:
        lines.append(f"Verdict (the rule in the module docstring): {outcome}.")
    return lines


def speed_at_30(runs: pd.DataFrame) -> list[str]:
    """Markdown: the issue's targets at 30 s beside the 1-worker run: evaluations per second
    (2 workers >= 1.8x as many as 1) and every run within budget + 10 %, for 2 workers,
    2 workers with the inline start (its 30 s runs came after its rule decided it at
    10 s: they decide nothing) and Dask, on the datasets where all of them ran."""
    part = runs[runs["budget"] == 30].assign(ratio=lambda r: r["wall"] / 30)
    part = part.assign(rate=part["evaluations"] / part["wall"])
    methods = [m for m in (TWO, INLINE, DASK) if m in set(part["method"])]
    if ONE not in set(part["method"]) or not methods:
        return []
    rate = part.pivot_table(index="dataset", columns="method", values="rate")
    rate = rate[[ONE, *methods]].dropna()
    part = part[part["dataset"].isin(rate.index)]
    median = rate.median()
    lines = ["", "## At 30 s: evaluations per second and budget, against 1 worker", "",
             f"On the {len(rate)} datasets where every method below ran; the inline start's "
             "30 s runs came after its rule, at 10 s, decided it.", "",
             "| method | mean accuracy | evaluations per second (median) | / 1 worker (the "
             "issue's target: 1.8x) | runs within +10 % | largest wall / budget |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for method in [ONE, *methods]:
        rows = part[part["method"] == method]
        ratio = median[method] / median[ONE]
        target = "" if method == ONE else f"{ratio:.3f}x ({'met' if ratio >= 1.8 else 'missed'})"
        lines.append(f"| {method} | {rows['accuracy'].mean():.4f} | {median[method]:.2f} | "
                     f"{target} | {int((rows['ratio'] <= 1.10).sum())} of {len(rows)} | "
                     f"{rows['ratio'].max():.3f} |")  # fmt: skip
    over = part[part["ratio"] > 1.10]
    for _, row in over.iterrows():
        lines.append(f"\nPast budget + 10 %: {row['method']} on {row['dataset']}, wall / budget "
                     f"{row['ratio']:.2f}, final model: {row['refit']}.")  # fmt: skip
    return lines


def report(folder: Path = RUNS) -> None:
    runs = load_runs(folder)
    if runs.empty:
        print("no runs yet")
        return
    if "error" not in runs:
        runs["error"] = np.nan
    errors, ok = runs[runs["error"].notna()], runs[runs["error"].isna()]
    methods = [m for m in METHODS if m in set(ok["method"])]  # the methods that ran
    budgets = sorted(int(b) for b in set(ok["budget"]) if b > 0)  # the budgets run
    defaults = [m for m in DEFAULTS if m in methods]
    searched = [m for m in methods if m not in DEFAULTS]
    inline_part = ok[ok["method"].isin([TWO, INLINE])]
    speed_part = ok[ok["method"].isin([*WORKERS, INLINE])]
    workers_part = ok[ok["method"].isin(list(WORKERS))]
    ok = ok[~ok["method"].isin([*WORKERS, INLINE])]  # the workers' section has its own datasets
    acc = ok.pivot_table(index="dataset", columns=["method", "budget"], values="accuracy")
    complete = acc.dropna()  # only datasets on which every method finished every budget
    n = len(complete)
    lines = [
        "# Time to accuracy",
        "",
        "Generated by `benchmarks/time_to_accuracy.py --report` (protocol in its docstring).",
        f"Python {platform.python_version()}, {platform.machine()}, single-threaded runs.",
        "",
        f"Datasets compared: {n} of {len(datasets())} (one per family; every method and "
        f"budget finished), runs recorded: {len(runs)}, failed runs: {len(errors)}.",
        "",
    ]
    if n == 0:
        lines += ["No complete dataset yet.", *workers_rule(workers_part, ok)]
        lines += inline_rule(inline_part)
        (RESULTS / "time_to_accuracy.md").write_text("\n".join(lines) + "\n")
        return
    lines += ["## Mean test accuracy and mean rank (1 = best)", "",
              "| budget | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]  # fmt: skip
    means = {}
    for b in budgets:
        table = pd.DataFrame({m: column(complete, m, b, DEFAULTS) for m in methods})
        ranks = table.rank(axis=1, ascending=False, method="average").mean()
        means[b] = table.mean()
        cells = [f"{table[m].mean():.4f} ({ranks[m]:.2f})" for m in methods]
        lines.append(f"| {b} s | " + " | ".join(cells) + " |")
    for ours in [m for m in ("autometa", "autometa ensemble", COMBINED) if m in methods]:
        lines += comparison(complete, ours, methods, budgets, DEFAULTS, "accuracy")
    if 30 in budgets and defaults == list(DEFAULTS):
        ours = COMBINED if (COMBINED, 30) in complete else "autometa"  # the default as run
        ours30 = complete[(ours, 30)]
        rf, hgb = complete[("RF(300)", 0)], complete[("HGB", 0)]
        beat_both = ((ours30 > rf) & (ours30 > hgb)).mean()
        at_least = ((ours30 >= rf) & (ours30 >= hgb)).mean()
        lines += ["", f"At 30 s {ours} beats both defaults (RF(300), HGB) on {beat_both:.0%} "
                  f"of the datasets (at least ties both on {at_least:.0%})."]  # fmt: skip
    lines += defaults_and_targets(complete, ok, budgets)
    lines += workers_rule(workers_part, ok)
    lines += inline_rule(inline_part)
    lines += speed_at_30(speed_part)
    lines += ["", *adherence(ok, methods, budgets, DEFAULTS)]
    if "load_average" in ok:
        load = ok["load_average"].dropna()
        lines += ["", f"Load average (1 min) at the end of the {len(load)} runs that recorded it "
                  f"(2 cores): median {load.median():.2f}, max {load.max():.2f}."]  # fmt: skip
        if COMBINED in methods:  # run in a later session than the rest: same conditions?
            pair = ok["method"] == COMBINED
            lines.append(f"{COMBINED} (run after the others): median "
                         f"{ok.loc[pair, 'load_average'].median():.2f}, max "
                         f"{ok.loc[pair, 'load_average'].max():.2f}; the other methods: median "
                         f"{ok.loc[~pair, 'load_average'].median():.2f}, max "
                         f"{ok.loc[~pair, 'load_average'].max():.2f}.")  # fmt: skip
    lines += failures(errors)
    lines += ["", "## Per dataset (test accuracy)", "",
              "| dataset | n_train | " + " | ".join(f"{m} {b}" for m in searched[:3] for b in budgets)
              + "".join(f" | {m}" for m in defaults) + " |",
              "|---|---|" + "---|" * (len(searched[:3]) * len(budgets) + len(defaults))]  # fmt: skip
    sizes = ok.groupby("dataset")["n_train"].first()
    for name, row in complete.iterrows():
        cells = [f"{row[(m, b)]:.3f}" for m in searched[:3] for b in budgets]
        cells += [f"{row[(m, 0)]:.3f}" for m in defaults]
        lines.append(f"| {name} | {sizes[name]} | " + " | ".join(cells) + " |")
    (RESULTS / "time_to_accuracy.md").write_text("\n".join(lines) + "\n")

    plot_means(means, searched, complete, defaults, "accuracy", n, RESULTS / "time_to_accuracy.png")
    print((RESULTS / "time_to_accuracy.md").read_text())
