"""Few-shot classification on held-out classes of real corpus tables: MAML and Meta-SGD
initialisations against training from scratch, against pretraining and against
prototypical networks, with the MAML v2 variants measured one at a time.

Protocol:
- Tables (PMLB corpus): optdigits, mfeat_pixel (digits), vowel, movement_libras. The
  classes are split in two by sorted label: the first part for meta-training, the last
  N_WAY classes held out for testing (never seen in meta-training or pretraining).
  Features are standardised with the meta-training rows' statistics.
- Episodes: 5-way, K-shot (K = 1 and 5), 10 query rows per class, labels shuffled per
  episode (``EpisodeTasks``).
- Network: MLP features -> 64 -> 64 -> 5 (ReLU).
- MAML / Meta-SGD: ITERATIONS meta-updates, meta-batch 16, 3 inner steps of 0.1 (Meta-SGD:
  initial value), Adam 1e-3.
- Scratch: the same network, freshly initialised (seed), adapted like the others.
- Pretrained: the hidden layers trained (Adam 1e-3, 20 epochs, batch 64) as a plain
  classifier of all meta-training classes, a fresh 5-way output layer, then adapted like
  the others.
- Prototypical networks (Snell et al. 2017): the hidden layers as the embedding, trained on
  the same episodes for the same number of updates (Adam 1e-3); no adaptation steps.
- Test: 600 episodes of the held-out classes (seed 1), mean query accuracy with a 95 %
  confidence interval over episodes.

Variants (``VARIANTS``), each one change from ``v1`` (the protocol above, with 10 test
steps of 0.1 for every gradient method; Meta-SGD: its learned step sizes):
- ``matched``: the models of v1, tested with the 3 steps meta-training used (baselines:
  10, as in v1). No training of its own.
- ``validated``: a fifth of each meta-training class's rows (at least K + 2) is kept out
  for meta-validation episodes (500 of them, seed 2; as many query rows per class as the
  smallest class leaves, at most 10): the state with the lowest validation
  loss (every 100 updates) is kept, and each method's test steps are chosen among 1, 3, 5
  and 10 on those episodes (pretrained and scratch too).
- ``noise``: meta-training episodes with Gaussian feature noise of ``NOISE`` (standardised
  units) as augmentation; tested as v1.
Prototypical networks are trained once per (table, shots, seed) with the v1 episodes and
reported beside every variant.

Rows go to results/maml_tabular/rows-<shard>.csv (one per table, shots, seed, variant and
method) as they finish; a rerun skips the finished ones of every shard. ``--seeds`` runs
seeds 0..n-1 (the network's initialisation, the training episodes); ``--report`` writes
results/maml_tabular.md: per variant and seed, and the means over seeds with their spread.

Run: python -m benchmarks.maml_tabular [--variants v1,validated] [--seeds 5]
     [--iterations 10000] [--shard 0/2];  python -m benchmarks.maml_tabular --report
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from autometa.maml import EpisodeTasks, MetaLearner, PrototypicalNetwork, cross_entropy_loss, mlp
from autometa.paths import shared_dir
from benchmarks.rowfiles import append_rows, parse_shard, read_rows

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ROWS = RESULTS / "maml_tabular" / "rows.csv"
CORPUS = shared_dir() / "corpus" / "pmlb"
TABLES = ("optdigits", "mfeat_pixel", "vowel", "movement_libras")
N_WAY, N_QUERY, HIDDEN, STEPS, LR, N_TEST = 5, 10, (64, 64), 10, 0.1, 600
INNER_STEPS, N_VALIDATION, EVERY, NOISE = 3, 500, 100, 0.3
STEP_CHOICES = [1, 3, 5, 10]
VARIANTS = ("v1", "matched", "validated", "noise")
METHODS = ("MAML", "Meta-SGD", "pretrained", "scratch", "protonet")


def load(name: str) -> tuple[np.ndarray, np.ndarray, list, list]:
    frame = pd.read_csv(CORPUS / f"{name}.tsv.gz", sep="\t")
    y = frame.pop("target").to_numpy()
    X = frame.to_numpy(dtype=float)
    classes = sorted(np.unique(y).tolist())
    train, test = classes[:-N_WAY], classes[-N_WAY:]
    rows = np.isin(y, train)
    mean, std = X[rows].mean(axis=0), X[rows].std(axis=0)
    std[std == 0] = 1.0
    return (X - mean) / std, y, train, test


def learner(n_features: int, seed: int, algorithm: str = "maml") -> MetaLearner:
    return MetaLearner(mlp(n_features, HIDDEN, N_WAY), loss=cross_entropy_loss,
                       algorithm=algorithm, inner_steps=INNER_STEPS, inner_lr=LR, meta_lr=1e-3,
                       device="cpu", random_state=seed)  # fmt: skip


def pretrained(X: np.ndarray, y: np.ndarray, classes: list, seed: int) -> MetaLearner:
    """Hidden layers from a plain classifier of the training classes; a fresh head."""
    n_features = X.shape[1]
    rows = np.isin(y, classes)
    codes = torch.as_tensor(np.searchsorted(classes, y[rows]))
    net = mlp(n_features, HIDDEN, len(classes), random_state=seed)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    Xt = torch.as_tensor(X[rows], dtype=torch.float32)
    for _ in range(20):
        for idx in torch.randperm(len(Xt), generator=gen).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(Xt[idx]), codes[idx]).backward()
            opt.step()
    model = learner(n_features, seed)
    trained = dict(net.named_parameters())
    last = f"{len(HIDDEN) * 2}."  # the output layer keeps its fresh initialisation
    with torch.no_grad():
        for k, p in model.params.items():
            if not k.startswith(last):
                p.copy_(trained[k])
    return model


def accuracy(
    model: MetaLearner | PrototypicalNetwork, tasks: EpisodeTasks, steps: int
) -> tuple[float, float]:
    """Mean query accuracy over N_TEST episodes after ``steps`` steps, and its 95 % CI."""
    batch = tasks.sample(N_TEST)
    with model.one_thread():
        weights = model.adapt(batch.x_support, batch.y_support, steps, create_graph=False)
        with torch.no_grad():
            logits = model.forward(weights, batch.x_query)
    acc = (logits.argmax(dim=2) == batch.y_query).float().mean(dim=1).numpy()
    return float(acc.mean()), 1.96 * float(acc.std()) / math.sqrt(len(acc))


def split_rows(y: np.ndarray, classes: list, seed: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Meta-training and meta-validation rows of the training classes: a fifth of each
    class's rows for validation, at least ``k + 2`` (``k`` shots and two query rows)."""
    rng = np.random.default_rng(seed)
    fit, val = [], []
    for c in classes:
        rows = rng.permutation(np.flatnonzero(y == c))
        cut = max(len(rows) // 5, k + 2)
        val.append(rows[:cut])
        fit.append(rows[cut:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(val))


def one_setting(
    name: str, k: int, seed: int, variants: list[str], iterations: int
) -> list[dict[str, Any]]:
    """Every requested variant of one (table, shots, seed): one row per method."""
    X, y, train, test = load(name)
    d = X.shape[1]

    def held_out() -> EpisodeTasks:  # the same test episodes for every method
        return EpisodeTasks(X, y, test, N_WAY, k, N_QUERY, random_state=1)

    out: list[dict[str, Any]] = []

    def row(variant: str, method: str, result: tuple[float, float], seconds: float = math.nan,
            steps: int | None = None) -> None:  # fmt: skip
        out.append({"table": name, "shots": k, "seed": seed, "variant": variant, "method": method,
                    "accuracy": result[0], "ci": result[1], "seconds": seconds,
                    "steps": steps, "iterations": iterations})  # fmt: skip

    start = time.perf_counter()
    proto = PrototypicalNetwork(mlp(d, HIDDEN, N_WAY), N_WAY, 1e-3, "cpu", seed)
    proto.fit(
        EpisodeTasks(X, y, train, N_WAY, k, N_QUERY, random_state=seed).stream(16), iterations
    )
    proto_result = accuracy(proto, held_out(), 0), time.perf_counter() - start
    base = {"pretrained": pretrained(X, y, train, seed), "scratch": learner(d, seed)}
    trained: dict[str, tuple[MetaLearner, float]] = {}  # v1's models and their seconds
    for variant in variants:
        if variant in ("v1", "matched") and not trained:
            for method, algorithm in (("MAML", "maml"), ("Meta-SGD", "metasgd")):
                model = learner(d, seed, algorithm)
                t0 = time.perf_counter()
                episodes = EpisodeTasks(X, y, train, N_WAY, k, N_QUERY, random_state=seed)
                model.fit(episodes.stream(16), iterations)
                trained[method] = model, time.perf_counter() - t0
        if variant in ("v1", "matched"):
            steps = STEPS if variant == "v1" else INNER_STEPS
            for method, (model, seconds) in trained.items():
                row(variant, method, accuracy(model, held_out(), steps), seconds, steps)
            for method, model in base.items():
                row(variant, method, accuracy(model, held_out(), STEPS), steps=STEPS)
        elif variant == "validated":
            fit_rows, val_rows = split_rows(y, train, seed, k)
            # As many query rows as the smallest class's validation rows leave.
            fewest = int(pd.Series(y[val_rows]).value_counts().min())
            validation = EpisodeTasks(X[val_rows], y[val_rows], train, N_WAY, k,
                                      min(N_QUERY, fewest - k), random_state=2).sample(N_VALIDATION)  # fmt: skip
            for method, algorithm in (("MAML", "maml"), ("Meta-SGD", "metasgd")):
                model = learner(d, seed, algorithm)
                t0 = time.perf_counter()
                model.fit(EpisodeTasks(X[fit_rows], y[fit_rows], train, N_WAY, k, N_QUERY,
                                       random_state=seed).stream(16), iterations,
                          validation=validation, every=EVERY)  # fmt: skip
                steps = model.best_steps(validation, STEP_CHOICES)
                row(
                    variant,
                    method,
                    accuracy(model, held_out(), steps),
                    time.perf_counter() - t0,
                    steps,
                )
            # The pretrained baseline learns from the meta-training rows only, as the others.
            kept = {"pretrained": pretrained(X[fit_rows], y[fit_rows], train, seed),
                    "scratch": base["scratch"]}  # fmt: skip
            for method, model in kept.items():
                steps = model.best_steps(validation, STEP_CHOICES)
                row(variant, method, accuracy(model, held_out(), steps), steps=steps)
        elif variant == "noise":
            for method, algorithm in (("MAML", "maml"), ("Meta-SGD", "metasgd")):
                model = learner(d, seed, algorithm)
                t0 = time.perf_counter()
                model.fit(EpisodeTasks(X, y, train, N_WAY, k, N_QUERY, random_state=seed,
                                       noise=NOISE).stream(16), iterations)  # fmt: skip
                row(
                    variant,
                    method,
                    accuracy(model, held_out(), STEPS),
                    time.perf_counter() - t0,
                    STEPS,
                )
            for method, model in base.items():
                row(variant, method, accuracy(model, held_out(), STEPS), steps=STEPS)
        row(variant, "protonet", proto_result[0], proto_result[1], 0)
    return out


def run(variants: list[str], seeds: int, iterations: int, shard: int, n_shards: int) -> None:
    torch.set_num_threads(1)
    done = read_rows(ROWS, ["table", "shots", "seed", "variant", "iterations"])
    have = set(
        zip(
            done["table"],
            done["shots"],
            done["seed"],
            done["variant"],
            done["iterations"],
            strict=True,
        )
    )
    settings = [(name, k, seed) for seed in range(seeds) for name in TABLES for k in (1, 5)]
    for i, (name, k, seed) in enumerate(settings):
        todo = [v for v in variants if (name, k, seed, v, iterations) not in have]
        if i % n_shards != shard or not todo:
            continue
        rows = one_setting(name, k, seed, todo, iterations)
        append_rows(ROWS, shard, rows)
        print(
            pd.DataFrame(rows)[
                ["table", "shots", "seed", "variant", "method", "accuracy"]
            ].to_string(),
            flush=True,
        )


def report(iterations: int) -> None:
    rows = read_rows(ROWS)
    rows = rows[rows["iterations"] == iterations]
    seeds = sorted(rows["seed"].unique())
    lines = ["# Few-shot classification on held-out classes (MAML / Meta-SGD / prototypical)", "",
             f"Generated by `benchmarks/maml_tabular.py --report` (protocol and variants in its "
             f"docstring). torch {torch.__version__}, Python {platform.python_version()}, "
             f"{iterations} meta-updates per model, {N_TEST} test episodes; seeds run: "
             f"{', '.join(map(str, seeds))}. A cell is the mean query accuracy over the seeds "
             "(± its standard deviation over seeds; with one seed, ± the 95 % CI over "
             "episodes); in brackets the test steps (validated: chosen per seed).", ""]  # fmt: skip
    for variant in [v for v in VARIANTS if v in set(rows["variant"])]:
        part = rows[rows["variant"] == variant]
        lines += [f"## {variant}", "", "| table | shots | seeds | " + " | ".join(METHODS)
                  + " | a meta-learner beats pretrained and scratch |",
                  "|---|---|---|" + "---|" * (len(METHODS) + 1)]  # fmt: skip
        wins = 0
        for (name, k), g in part.groupby(["table", "shots"], sort=False):
            mean = g.groupby("method")["accuracy"].mean()
            spread = (
                g.groupby("method")["accuracy"].std()
                if g["seed"].nunique() > 1
                else g.groupby("method")["ci"].first()
            )
            steps = g.groupby("method")["steps"].agg(
                lambda s: "/".join(str(int(v)) for v in sorted(set(s.dropna())))
            )
            cells = [f"{mean[m]:.3f} ± {spread[m]:.3f} ({steps[m]})" if m in mean else ""
                     for m in METHODS]  # fmt: skip
            meta = max(mean.get(m, -1.0) for m in ("MAML", "Meta-SGD", "protonet"))
            beat = bool(meta > mean.get("pretrained", 1.0) and meta > mean.get("scratch", 1.0))
            wins += beat
            lines.append(f"| {name} | {k} | {g['seed'].nunique()} | " + " | ".join(cells)
                         + f" | {'yes' if beat else 'no'} |")  # fmt: skip
        lines += ["", f"A meta-learner (MAML, Meta-SGD or prototypical) beats both baselines on "
                  f"{wins} of {part.groupby(['table', 'shots']).ngroups} rows.", ""]  # fmt: skip
    (RESULTS / "maml_tabular.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10000)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--shard", default="0/1")
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--rows", default=None, help="the rows file (smoke tests)")
    args = parser.parse_args()
    if args.rows:
        global ROWS
        ROWS = Path(args.rows)
    if args.report:
        report(args.iterations)
        return
    variants = [v.strip() for v in args.variants.split(",")]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
    i, n = parse_shard(args.shard)
    run(variants, args.seeds, args.iterations, i, n)


if __name__ == "__main__":
    main()
