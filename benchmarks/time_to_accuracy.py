"""Time to accuracy: autometa against FLAML, AutoGluon, random search and two default
learners, with ablations of autometa (ensemble; the order the search races in).

Protocol (one run per dataset, method and budget):
- Datasets: the PMLB corpus, one dataset per near-duplicate family (the first name of the
  family), families in a fixed shuffled order (seed 0) so that a partial run is a random
  subset. Tables above MAX_ROWS rows are stratified-subsampled to MAX_ROWS (a documented
  cap: RandomForest(300) alone would take minutes on the 494,020 rows of kddcup); classes
  with fewer than 4 rows are dropped so that both sides of the split keep each class.
- Split: 75 / 25 stratified, random_state=0. Accuracy on the 25 %.
- Leave-one-family-out: autometa's meta-model and fit-time model are retrained on the
  meta-dataset without the held-out dataset's family (its meta-features and performance
  never reach the model).
- Methods, all single-threaded (OMP / MKL / OpenBLAS threads 1, n_jobs=1):
  autometa       AutoMetaClassifier(time_budget=B, random_state=0)
  autometa ensemble           the same with ensemble=True
  autometa portfolio order    the same search, racing the greedy portfolio's order
                              instead of the meta-model's ranking (no meta-features)
  autometa random order       the same search, racing a random order (seed 0)
  autometa curve halving      the same with curve_halving=True (promotion by scores
                              corrected with the predicted learning curves)
  random search  the same search engine with the grid's configurations in a random order
                 (seed 0), no portfolio, no halving and no local search off the grid
  FLAML          flaml.AutoML(time_budget=B, metric="accuracy", n_jobs=1, seed=0)
  AutoGluon      TabularPredictor(presets="medium_quality", time_limit=B, num_cpus=1) in
                 its own venv (benchmarks/peers/install_autogluon.sh; fit time measured
                 inside it, imports excluded as for FLAML)
  RF(300), HGB   RandomForest(n_estimators=300) and HistGradientBoosting defaults, with
                 autometa's preprocessing (no budget)
- Budgets B = 10, 30, 60 s. Wall time is measured around ``fit`` (autometa's includes
  its meta-features); overrun = wall / B - 1.

Results go to results/time_to_accuracy/runs-<shard>.jsonl as they finish; a rerun skips
finished runs. results/time_to_accuracy/v1/ keeps the runs of the first version (five
methods, the search before the search v2 changes) that results/time_to_accuracy.md showed
until the search v2 run replaces it. ``--report`` writes results/time_to_accuracy.md and .png from whatever has
finished.

Run: python benchmarks/time_to_accuracy.py [--shard 0/2] [--max-datasets N]
     python benchmarks/time_to_accuracy.py --report
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import autometa  # noqa: E402
from autometa.builder import BuildSettings, prepare_task, read_jsonl  # noqa: E402
from autometa.learners import LearnerConfig  # noqa: E402
from autometa.metadata import MetaDataset  # noqa: E402
from autometa.paths import data_dir, shared_dir  # noqa: E402
from autometa.pipelines import build_pipeline  # noqa: E402
from autometa.recommend import Knowledge, Recommendation  # noqa: E402
from autometa.search import SearchSettings, search  # noqa: E402
from autometa.sources.pmlb import pmlb_datasets  # noqa: E402
from autometa.tabular import Task  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
RUNS = RESULTS / "time_to_accuracy"
CORPUS = shared_dir() / "corpus" / "pmlb"
BUDGETS = (10, 30, 60)
MAX_ROWS = 20_000
METHODS = ("autometa", "autometa ensemble", "autometa portfolio order", "autometa random order",
           "autometa curve halving", "random search", "FLAML", "AutoGluon", "RF(300)",
           "HGB")  # fmt: skip
AUTOGLUON_PYTHON = HERE / "peers" / ".venv-autogluon" / "bin" / "python"
DEFAULTS = {
    "RF(300)": LearnerConfig("rf_300", "random_forest", {"n_estimators": 300}),
    "HGB": LearnerConfig("hgb_default", "hist_gradient_boosting", {}),
}


def datasets() -> list[Any]:
    """One dataset per family, families in a seeded shuffled order."""
    first: dict[str, Any] = {}
    for ref in pmlb_datasets(CORPUS):
        first.setdefault(ref.family, ref)
    families = sorted(first)
    order = np.random.default_rng(0).permutation(len(families))
    return [first[families[i]] for i in order]


def prepare(task: Task) -> tuple[Task, Task]:
    """The builder's row cap (rare classes out, at most MAX_ROWS rows), 75 / 25 split."""
    task, _ = prepare_task(task, BuildSettings(max_rows=MAX_ROWS))
    train, test = train_test_split(
        np.arange(len(task.y)), test_size=0.25, stratify=task.y, random_state=0
    )
    return task.subset(np.sort(train)), task.subset(np.sort(test))


def run_autometa(
    train: Task, test: Task, budget: int, knowledge: Knowledge, ensemble: bool = False,
    order: list[str] | None = None, curve_halving: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """autometa, or an ablation: ``ensemble``, a fixed racing ``order``, ``curve_halving``."""
    clf = autometa.AutoMetaClassifier(
        time_budget=budget, knowledge=knowledge, random_state=0, ensemble=ensemble,
        curve_halving=curve_halving,
    )  # fmt: skip
    t0 = time.perf_counter()
    rec = None if order is None else Recommendation.of_order(order, knowledge)
    clf.fit_task(train, recommendation=rec, start=t0)
    wall = time.perf_counter() - t0
    acc = float((clf.predict_task(test) == test.y.to_numpy()).mean())
    return {"accuracy": acc, "wall": wall, "best": clf.best_config_, "refit": clf.refit_,
            "evaluations": int((clf.leaderboard_["status"] != "skipped").sum())}  # fmt: skip


def run_random(train: Task, test: Task, budget: int, knowledge: Knowledge) -> dict[str, Any]:
    t0 = time.perf_counter()
    ids = list(knowledge.configs["config_id"])
    order = np.random.default_rng(0).permutation(len(ids))
    rec = Recommendation.of_order([ids[i] for i in order], knowledge)
    settings = SearchSettings(time_budget=budget, n_portfolio=0, min_rows=10**12,
                              local_search=False, random_state=0)  # fmt: skip
    result = search(train, rec, settings, start=t0)
    wall = time.perf_counter() - t0
    acc = float((result.pipeline.predict(test.X) == test.y.to_numpy()).mean())
    board = result.leaderboard
    return {"accuracy": acc, "wall": wall, "best": result.best_config, "refit": result.refit,
            "evaluations": int((board["status"] != "skipped").sum())}  # fmt: skip


def _flaml_frame(task: Task) -> pd.DataFrame:
    frame = task.X.copy()
    for col in task.categorical_columns:
        frame[col] = frame[col].astype("category")
    return frame


def run_flaml(train: Task, test: Task, budget: int) -> dict[str, Any]:
    from flaml import AutoML  # imported at start-up (main), so not timed here

    automl = AutoML()
    t0 = time.perf_counter()
    automl.fit(_flaml_frame(train), train.y.to_numpy(), task="classification",
               time_budget=budget, metric="accuracy", n_jobs=1, seed=0, verbose=0)  # fmt: skip
    wall = time.perf_counter() - t0
    pred = automl.predict(_flaml_frame(test))
    acc = float((np.asarray(pred) == test.y.to_numpy()).mean())
    return {"accuracy": acc, "wall": wall, "best": str(automl.best_estimator)}


def run_autogluon(train: Task, test: Task, budget: int) -> dict[str, Any]:
    """AutoGluon in its own venv, on the same split (features as autometa kept them)."""
    import subprocess
    import tempfile

    if not AUTOGLUON_PYTHON.exists():
        raise RuntimeError("AutoGluon is not installed: run benchmarks/peers/install_autogluon.sh")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, part in (("train", train), ("test", test)):
            part.X.assign(__target__=part.y.astype(str).to_numpy()).to_parquet(
                folder / f"{name}.parquet"
            )
        out = folder / "out.json"
        subprocess.run(
            [str(AUTOGLUON_PYTHON), str(HERE / "peers" / "autogluon_fit.py"),
             str(folder / "train.parquet"), str(folder / "test.parquet"), "__target__",
             str(budget), str(out)],
            check=True, capture_output=True, timeout=budget * 5 + 300,
        )  # fmt: skip
        return dict(json.loads(out.read_text()))


def run_default(train: Task, test: Task, method: str) -> dict[str, Any]:
    pipe = build_pipeline(DEFAULTS[method], train.numeric_columns, train.categorical_columns, 0)
    t0 = time.perf_counter()
    pipe.fit(train.X, train.y.to_numpy())
    wall = time.perf_counter() - t0
    acc = float((pipe.predict(test.X) == test.y.to_numpy()).mean())
    return {"accuracy": acc, "wall": wall}


def finished() -> set[tuple[str, str, int]]:
    runs = load_runs()
    if runs.empty:
        return set()
    return set(zip(runs["dataset"], runs["method"], runs["budget"].astype(int), strict=True))


def run(
    shard: int,
    n_shards: int,
    max_datasets: int | None,
    budgets: tuple[int, ...],
    methods: tuple[str, ...] = METHODS,
) -> None:
    import flaml.automl  # noqa: F401  (import time must not count against FLAML's budget)

    RUNS.mkdir(parents=True, exist_ok=True)
    out = RUNS / f"runs-{shard}.jsonl"
    meta = MetaDataset.load(data_dir() / "metadataset")
    refs = datasets()[:max_datasets]
    done = finished()
    for i, ref in enumerate(refs):
        if i % n_shards != shard:
            continue
        todo = [(m, b) for m in methods for b in (budgets if m not in DEFAULTS else (0,))
                if (ref.name, m, b) not in done]  # fmt: skip
        if not todo:
            continue
        train, test = prepare(ref.load())
        keep = meta.datasets.loc[meta.datasets["family"] != ref.family, "name"].tolist()
        knowledge = Knowledge.from_metadataset(meta.subset(keep), random_state=0)
        for method, budget in todo:
            record: dict[str, Any] = {"dataset": ref.name, "family": ref.family,
                                      "method": method, "budget": budget,
                                      "n_train": len(train.y), "n_test": len(test.y)}  # fmt: skip
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if method == "autometa":
                        record.update(run_autometa(train, test, budget, knowledge))
                    elif method == "autometa ensemble":
                        record.update(run_autometa(train, test, budget, knowledge, ensemble=True))
                    elif method == "autometa portfolio order":
                        record.update(
                            run_autometa(train, test, budget, knowledge, order=knowledge.portfolio)
                        )
                    elif method == "autometa random order":
                        ids = list(knowledge.configs["config_id"])
                        order = [ids[i] for i in np.random.default_rng(0).permutation(len(ids))]
                        record.update(run_autometa(train, test, budget, knowledge, order=order))
                    elif method == "autometa curve halving":
                        record.update(
                            run_autometa(train, test, budget, knowledge, curve_halving=True)
                        )
                    elif method == "AutoGluon":
                        record.update(run_autogluon(train, test, budget))
                    elif method == "random search":
                        record.update(run_random(train, test, budget, knowledge))
                    elif method == "FLAML":
                        record.update(run_flaml(train, test, budget))
                    else:
                        record.update(run_default(train, test, method))
            except Exception as exc:  # recorded: one failure must not stop the benchmark
                record["error"] = traceback.format_exception_only(type(exc), exc)[-1].strip()
            record["load_average"] = round(os.getloadavg()[0], 2)  # other work on the cores
            with out.open("a") as fh:
                fh.write(json.dumps(record) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            print(json.dumps(record), flush=True)


def load_runs() -> pd.DataFrame:
    """Every recorded run (a torn last line of a killed run is skipped)."""
    rows = [r for path in sorted(RUNS.glob("runs-*.jsonl")) for r in read_jsonl(path)]
    return pd.DataFrame(rows)


def report() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = load_runs()
    if "error" not in runs:
        runs["error"] = np.nan
    errors = runs[runs["error"].notna()]
    ok = runs[runs["error"].isna()]
    global METHODS, BUDGETS
    METHODS = tuple(m for m in METHODS if m in set(ok["method"]))  # the methods that ran
    BUDGETS = tuple(sorted(int(b) for b in set(ok["budget"]) if b > 0))  # the budgets run
    defaults = [m for m in DEFAULTS if m in METHODS]
    searched = [m for m in METHODS if m not in DEFAULTS]
    acc = ok.pivot_table(index="dataset", columns=["method", "budget"], values="accuracy")
    # Only datasets on which every method finished every budget are compared.
    complete = acc.dropna()
    n = len(complete)
    lines = [
        "# Time to accuracy",
        "",
        "Generated by `benchmarks/time_to_accuracy.py --report` (protocol in its docstring).",
        f"Python {platform.python_version()}, {platform.machine()}, single-threaded runs.",
        "",
        f"Datasets compared: {n} (one per family; every method and budget finished), "
        f"runs recorded: {len(runs)}, failed runs: {len(errors)}.",
        "",
    ]
    if n == 0:
        (RESULTS / "time_to_accuracy.md").write_text(
            "\n".join(lines) + "\nNo complete dataset yet.\n"
        )
        return
    lines += ["## Mean test accuracy and mean rank (1 = best)", "",
              "| budget | " + " | ".join(METHODS) + " |", "|---|" + "---|" * len(METHODS)]  # fmt: skip
    rank_rows = []
    for b in BUDGETS:
        cols = {m: complete[(m, b if m not in DEFAULTS else 0)] for m in METHODS}
        table = pd.DataFrame(cols)
        ranks = table.rank(axis=1, ascending=False, method="average").mean()
        rank_rows.append((b, table.mean(), ranks))
        cells = [f"{table[m].mean():.4f} ({ranks[m]:.2f})" for m in METHODS]
        lines.append(f"| {b} s | " + " | ".join(cells) + " |")
    lines += ["", "## autometa win / tie / loss (test accuracy, per dataset)", "",
              "| budget | " + " | ".join(m for m in METHODS if m != "autometa") + " |",
              "|---|" + "---|" * (len(METHODS) - 1)]  # fmt: skip
    for b in BUDGETS:
        ours = complete[("autometa", b)]
        cells = []
        for m in METHODS[1:]:
            other = complete[(m, b if m not in DEFAULTS else 0)]
            diff = ours - other
            cells.append(
                f"{(diff > 1e-12).sum()} / {(diff.abs() <= 1e-12).sum()} / {(diff < -1e-12).sum()}"
            )
        lines.append(f"| {b} s | " + " | ".join(cells) + " |")
    lines += ["", "Mean accuracy difference, autometa minus each (95 % bootstrap interval over "
              "datasets, 2,000 resamples, seed 0):", "",
              "| budget | " + " | ".join(m for m in METHODS if m != "autometa") + " |",
              "|---|" + "---|" * (len(METHODS) - 1)]  # fmt: skip
    rng = np.random.default_rng(0)
    boot = rng.integers(0, n, size=(2000, n))
    for b in BUDGETS:
        ours = complete[("autometa", b)].to_numpy()
        cells = []
        for m in METHODS[1:]:
            diff = ours - complete[(m, b if m not in DEFAULTS else 0)].to_numpy()
            lo, hi = np.quantile(diff[boot].mean(axis=1), [0.025, 0.975])
            cells.append(f"{diff.mean():+.4f} [{lo:+.4f}, {hi:+.4f}]")
        lines.append(f"| {b} s | " + " | ".join(cells) + " |")
    if 30 in BUDGETS and all(m in METHODS for m in DEFAULTS):
        ours30 = complete[("autometa", 30)]
        rf, hgb = complete[("RF(300)", 0)], complete[("HGB", 0)]
        beat_both = ((ours30 > rf) & (ours30 > hgb)).mean()
        at_least = ((ours30 >= rf) & (ours30 >= hgb)).mean()
        lines += ["", f"At 30 s autometa beats both defaults on {beat_both:.0%} of the datasets "
                  f"(at least ties both on {at_least:.0%}).", ""]  # fmt: skip
    lines += ["## Budget adherence (wall time / budget - 1, over all runs)", "",
              "| method | budget | median overrun | max overrun | runs within +10 % |",
              "|---|---|---|---|---|"]  # fmt: skip
    for m in [m for m in METHODS if m not in DEFAULTS]:
        for b in BUDGETS:
            r = ok[(ok["method"] == m) & (ok["budget"] == b)]
            if r.empty:
                continue
            over = r["wall"] / b - 1
            lines.append(f"| {m} | {b} s | {over.median():+.1%} | {over.max():+.1%} | "
                         f"{(over <= 0.10).mean():.0%} ({len(r)}) |")  # fmt: skip
    for m in [m for m in DEFAULTS if m in METHODS]:
        r = ok[ok["method"] == m]
        lines.append(
            f"| {m} | none | median fit {r['wall'].median():.1f} s | max {r['wall'].max():.1f} s | |"
        )
    if "load_average" in ok:
        load = ok["load_average"].dropna()
        lines += ["", f"Load average (1 min) at the end of the {len(load)} runs that recorded it "
                  f"(2 cores): median {load.median():.2f}, max {load.max():.2f}."]  # fmt: skip
    if len(errors):
        lines += [
            "",
            "## Failed runs",
            "",
            "| dataset | method | budget | error |",
            "|---|---|---|---|",
        ]
        for r in errors.itertuples():
            lines.append(f"| {r.dataset} | {r.method} | {r.budget} | {str(r.error)[:120]} |")
    lines += ["", "## Per dataset (test accuracy)", "",
              "| dataset | n_train | " + " | ".join(f"{m} {b}" for m in searched[:3] for b in BUDGETS)
              + "".join(f" | {m}" for m in defaults) + " |",
              "|---|---|" + "---|" * (len(searched[:3]) * len(BUDGETS) + len(defaults))]  # fmt: skip
    sizes = ok.groupby("dataset")["n_train"].first()
    for name, row in complete.iterrows():
        cells = [f"{row[(m, b)]:.3f}" for m in searched[:3] for b in BUDGETS]
        cells += [f"{row[(m, 0)]:.3f}" for m in defaults]
        lines.append(f"| {name} | {sizes[name]} | " + " | ".join(cells) + " |")
    (RESULTS / "time_to_accuracy.md").write_text("\n".join(lines) + "\n")

    fig, ax = plt.subplots(figsize=(6, 4))
    for m in searched:
        ax.plot(BUDGETS, [means[m] for _, means, _ in rank_rows], marker="o", label=m)
    for m, style in zip(defaults, ("--", ":"), strict=False):
        ax.axhline(complete[(m, 0)].mean(), linestyle=style, color="grey", label=f"{m} (no budget)")
    ax.set_xlabel("time budget (s)")
    ax.set_ylabel(f"mean test accuracy ({n} datasets)")
    ax.set_xticks(BUDGETS)
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "time_to_accuracy.png", dpi=120)
    print((RESULTS / "time_to_accuracy.md").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shard", default="0/1", help="i/n: run every n-th dataset from i")
    parser.add_argument("--max-datasets", type=int, default=None)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)), help="e.g. 10,30,60")
    parser.add_argument("--runs", default=None, help="folder of the run files (smoke tests)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    args = parser.parse_args()
    if args.runs:
        global RUNS
        RUNS = Path(args.runs)
    if args.report:
        report()
        return
    i, n = (int(v) for v in args.shard.split("/"))
    methods = tuple(m.strip() for m in args.methods.split(","))
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {METHODS}")
    run(i, n, args.max_datasets, tuple(int(b) for b in args.budgets.split(",")), methods)


if __name__ == "__main__":
    main()
