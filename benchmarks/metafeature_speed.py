"""Meta-feature extraction: autometa against PyMFE (default groups), side by side.

Times both on breast_cancer, digits and synthetic 10,000 x 50 and 100,000 x 20 tables, and
autometa alone on 1,000,000 x 20 and 10,000,000 x 20 (tables of more than ``MAX_ROWS`` rows
are described by a sample; the big-tables issue's target: under 5 s at 10,000,000 x 20);
for a regression target, on diabetes and a synthetic 100,000 x 20 table (the speed guard of
the regression set: under 2 s); counts features and NaNs; measures autometa's peak memory
(tracemalloc, a separate run); checks NumberOfInstances / NumberOfFeatures /
NumberOfClasses against the PMLB corpus index (the OpenML qualities the corpus carries).

Each measurement is cached in results/metafeature_speed.json as soon as it finishes, so an
interrupted run resumes (``--fresh`` recomputes all, ``--redo TEXT`` the tables whose name
holds TEXT): the rows of one report may come from different commits (git log of the json).
Writes results/metafeature_speed.md and results/metafeature_catalogue.md.

Run: python -m benchmarks.metafeature_speed  (needs the bench extra: pymfe)
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_classification,
    make_regression,
)

import autometa
from autometa.metadataset.sources.pmlb import load_pmlb
from autometa.metafeatures import GROUPS, catalogue, extract_metafeatures, feature_names
from autometa.paths import shared_dir

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = RESULTS / "metafeature_speed.json"
CORPUS = shared_dir() / "corpus" / "pmlb"


def tables() -> dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]]:
    def synthetic(n: int, p: int) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
        return lambda: make_classification(
            n_samples=n, n_features=p, n_informative=p // 2, n_classes=3, random_state=0
        )

    return {
        "breast_cancer (569 x 30)": lambda: load_breast_cancer(return_X_y=True),
        "digits (1,797 x 64)": lambda: load_digits(return_X_y=True),
        "synthetic 10,000 x 50": synthetic(10_000, 50),
        "synthetic 100,000 x 20": synthetic(100_000, 20),
        "synthetic 1,000,000 x 20": synthetic(1_000_000, 20),
        "synthetic 10,000,000 x 20": synthetic(10_000_000, 20),
        "regression: diabetes (442 x 10)": lambda: load_diabetes(return_X_y=True),
        "regression: synthetic 100,000 x 20": lambda: make_regression(
            n_samples=100_000, n_features=20, n_informative=10, noise=10.0, random_state=0
        ),
    }


def run_autometa(X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    start = time.perf_counter()
    values = extract_metafeatures(X, y, random_state=0)  # the task kind from the target
    seconds = time.perf_counter() - start
    tracemalloc.start()
    extract_metafeatures(X, y, random_state=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"seconds": seconds, "features": len(values), "nan": int(values.isna().sum()),
            "peak_mb": peak / 2**20}  # fmt: skip


def run_pymfe(X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from pymfe.mfe import MFE

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names, values = MFE(random_state=0).fit(X, y).extract()
    seconds = time.perf_counter() - start
    arr = np.array([np.nan if v is None else v for v in values], dtype=float)
    return {"seconds": seconds, "features": len(names), "nan": int(np.isnan(arr).sum())}


def corpus_agreement() -> pd.DataFrame:
    """Our simple features against the corpus index (n_rows, n_features, n_classes)."""
    index = pd.read_csv(CORPUS / "index.csv")
    rows = []
    for _, row in index.iterrows():
        task = load_pmlb(CORPUS / f"{row['name']}.tsv.gz", row["name"])
        mf = extract_metafeatures(task, groups=["simple"], max_rows=None)  # counts: all rows
        kept = mf["NumberOfFeatures"] + mf["NumberOfDroppedFeatures"]
        rows.append((row["name"], mf["NumberOfInstances"] == row["n_rows"],
                     kept == row["n_features"], mf["NumberOfClasses"] == row["n_classes"]))  # fmt: skip
    return pd.DataFrame(rows, columns=["name", "instances", "features", "classes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="ignore cached measurements")
    parser.add_argument("--redo", metavar="TEXT", help="remeasure the tables whose name holds TEXT")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    cache = {} if args.fresh or not CACHE.exists() else json.loads(CACHE.read_text())
    if args.redo:
        cache = {key: value for key, value in cache.items() if args.redo not in key}
    for name, make in tables().items():
        tools = {"autometa": run_autometa}
        if not name.startswith(("synthetic 1,000,000", "synthetic 10,000,000")):
            tools["pymfe"] = run_pymfe
        X = y = None
        for tool, run in tools.items():
            key = f"{tool} | {name}"
            if key in cache:
                continue
            if X is None:
                X, y = make()
            print(f"running {key} ...", flush=True)
            cache[key] = run(X, y)
            CACHE.write_text(json.dumps(cache, indent=2))
            print(f"  {cache[key]}", flush=True)
    rows = []
    for name in tables():
        ours, theirs = cache[f"autometa | {name}"], cache.get(f"pymfe | {name}")
        rows.append({
            "table": name,
            "autometa s": f"{ours['seconds']:.2f}",
            "PyMFE s": f"{theirs['seconds']:.1f}" if theirs else "not run",
            "speed-up": f"{theirs['seconds'] / ours['seconds']:.0f}x" if theirs else "",
            "autometa features (NaN)": f"{ours['features']} ({ours['nan']})",
            "PyMFE features (NaN)": f"{theirs['features']} ({theirs['nan']})" if theirs else "",
            "autometa peak MB": f"{ours['peak_mb']:.0f}",
        })  # fmt: skip
    speed = pd.DataFrame(rows)
    groups = pd.DataFrame({
        "classification": {g: len(feature_names([g])) for g in GROUPS},
        "regression": {g: len(feature_names([g], task="regression")) for g in GROUPS},
    })  # fmt: skip
    agree = corpus_agreement()
    lines = [
        "# Meta-feature extraction speed: autometa vs PyMFE",
        "",
        f"Generated by `benchmarks/metafeature_speed.py` on {platform.machine()}, "
        f"Python {platform.python_version()}; autometa {autometa.__version__}. "
        "Seconds are wall time of one extraction from arrays (autometa includes validation); "
        "PyMFE runs its default groups. Peak memory: tracemalloc peak during a second run.",
        "",
        speed.to_markdown(index=False),
        "",
        "## Features per group",
        "",
        groups.to_markdown(),
        "",
        f"Total: {groups['classification'].sum()} for a classification target, "
        f"{groups['regression'].sum()} for a regression target.",
        "",
        "## Agreement with the corpus index (OpenML-style qualities)",
        "",
        f"Over the {len(agree)} PMLB datasets: NumberOfInstances equals the index's n_rows on "
        f"{int(agree['instances'].sum())}, NumberOfFeatures + NumberOfDroppedFeatures equals "
        f"n_features on {int(agree['features'].sum())}, NumberOfClasses equals n_classes on "
        f"{int(agree['classes'].sum())}.",
    ]
    mismatches = agree[~agree[["instances", "features", "classes"]].all(axis=1)]
    if len(mismatches):
        lines += ["", "Mismatches:", "", mismatches.to_markdown(index=False)]
    (RESULTS / "metafeature_speed.md").write_text("\n".join(lines) + "\n")
    cat = catalogue()
    (RESULTS / "metafeature_catalogue.md").write_text(
        "# Meta-feature catalogue\n\nGenerated by `benchmarks/metafeature_speed.py` from the "
        "registry: every feature, its group, reference and when it is NaN.\n\n"
        + cat.to_markdown(index=False)
        + "\n"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
