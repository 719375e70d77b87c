"""Curve-informed promotion, offline: does correcting a rung's scores with the meta-model's
predicted learning curves promote the configurations that win at the larger size?

Protocol (the search's promotion rule, ``autometa.search.halving.promotion_scores``, on
the shipped meta-dataset's real learning curves; no search is run):

- Pairs of sizes: on each dataset, every two consecutive ladder sizes (small, large) at
  which at least 8 configurations were measured (above 1,000 rows those are the ones the
  builder promoted). Scores are the means over validation parts.
- Brackets: 8 configurations drawn at random from those measured at both sizes, 20 draws
  per pair and seed; the promotion keeps the best 3 (``ceil(8 / eta)``, eta = 3) by
  "observed": the score at the small size (what the search does now), or
  "curve": ``promotion_scores`` of those scores with the meta-model's predictions at the
  small and the large size.
- Outcome per bracket: the regret at the large size, (best large score in the bracket -
  best large score among the promoted) / (range of the large scores of all configurations
  measured there); and whether the bracket's best at the large size was promoted.
- The meta-model: ``autometa.selectors.recommend.train_metamodel`` (the shipped defaults) on the
  training families only, 10 folds of whole families (as selection_v2.py on ours); seeds
  0-4 are the models' random states and the bracket draws.
- Summary: per seed, the mean over pairs (each pair's mean over its draws); the 5-seed
  mean [min, max]; the 95 % family bootstrap interval of the mean difference curve minus
  observed (all seeds' pairs of a family resampled together, 2,000 resamples).

What it decides, written before the run: nothing about the default by itself. The default
of ``curve_halving`` is decided by the time-to-accuracy benchmark (README.md, "Curve
halving"); this is the offline evidence that the rule moves regret in the right direction.

Per-pair rows are cached in results/curve_halving/seed<k>.csv. Writes
results/curve_halving.md.

Run: python -m benchmarks.curve_halving [--seeds 0 1 2 3 4] [--metric accuracy]
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from autometa.metadataset.metadata import SIZE_FEATURE, MetaDataset
from autometa.paths import metadataset_dir
from autometa.search.halving import promotion_scores
from autometa.selectors.evaluation import family_groups
from autometa.selectors.recommend import train_metamodel

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "curve_halving"
SEEDS = (0, 1, 2, 3, 4)
FOLDS = 10
BRACKET = 8
KEEP = math.ceil(BRACKET / 3)
DRAWS = 20
MIN_CONFIGS = 8
LADDER = (250, 1000, 4000, 16000)


def size_pairs(meta: MetaDataset, metric: str) -> dict[str, list[tuple[int, int, pd.DataFrame]]]:
    """dataset -> [(small, large, scores)], scores: configurations x [small, large]."""
    perf = meta.performance[meta.performance["metric"] == metric]
    means = perf.groupby(["dataset", "rows", "config_id"])["value"].mean()
    sign = 1.0 if meta.maximize.get(metric, True) else -1.0
    out: dict[str, list[tuple[int, int, pd.DataFrame]]] = {}
    for dataset, block in means.groupby(level="dataset"):
        table = sign * block.droplevel("dataset").unstack("rows")
        sizes = sorted(int(s) for s in table.columns)
        for small, large in itertools.pairwise(sizes):
            both = table[[small, large]].dropna()
            if len(both) >= MIN_CONFIGS:
                out.setdefault(str(dataset), []).append((small, large, both))
    return out


def run_seed(meta: MetaDataset, metric: str, seed: int) -> pd.DataFrame:
    pairs = size_pairs(meta, metric)
    families = meta.datasets.set_index("name")["family"]
    rng = np.random.default_rng(seed)
    rows = []
    for group in family_groups(list(dict.fromkeys(families)), FOLDS):
        test = [d for d in meta.dataset_names if families[d] in group and d in pairs]
        if not test:
            continue
        train = meta.subset([d for d in meta.dataset_names if families[d] not in group])
        model = train_metamodel(train, metric, random_state=seed)
        for dataset in test:
            features = meta.metafeatures.loc[dataset].copy()
            for small, large, both in pairs[dataset]:
                features[SIZE_FEATURE] = float(small)
                at_small = model.rank(features)
                features[SIZE_FEATURE] = float(large)
                at_large = model.rank(features)
                spread = float(both[large].max() - both[large].min()) or 1.0
                regret = {"observed": [], "curve": []}
                hit = {"observed": [], "curve": []}
                for _ in range(DRAWS):
                    ids = list(rng.choice(both.index, size=min(BRACKET, len(both)), replace=False))
                    observed = {c: float(both.loc[c, small]) for c in ids}
                    truth = both.loc[ids, large]
                    rules = {
                        "observed": observed,
                        "curve": promotion_scores(observed, at_small, at_large),
                    }
                    for rule, scores in rules.items():
                        kept = sorted(scores, key=lambda c: -scores[c])[:KEEP]
                        regret[rule].append((truth.max() - truth[kept].max()) / spread)
                        hit[rule].append(float(truth.idxmax() in kept))
                rows.append({
                    "dataset": dataset, "family": families[dataset], "small": small,
                    "large": large, "configs": len(both),
                    **{f"regret {r}": float(np.mean(v)) for r, v in regret.items()},
                    **{f"best promoted {r}": float(np.mean(v)) for r, v in hit.items()},
                })  # fmt: skip
    return pd.DataFrame(rows)


def _ladder(rows: int) -> int:
    """The builder's ladder size nearest to ``rows`` (log scale)."""
    return min(LADDER, key=lambda size: abs(math.log(rows / size)))


def report(metric: str) -> None:
    paths = sorted(OUT.glob("seed*.csv"))
    if not paths:
        print("no runs yet")
        return
    frame = pd.concat([pd.read_csv(p).assign(seed=int(p.stem[4:])) for p in paths])
    cols = ["regret observed", "regret curve", "best promoted observed", "best promoted curve"]
    per_seed = frame.groupby("seed")[cols].mean()
    frame["difference"] = frame["regret curve"] - frame["regret observed"]
    fams = frame.groupby("family")["difference"].agg(["sum", "count"])
    rng = np.random.default_rng(0)
    draws = rng.integers(0, len(fams), size=(2000, len(fams)))
    boot = fams["sum"].to_numpy()[draws].sum(1) / fams["count"].to_numpy()[draws].sum(1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    first = frame[frame["seed"] == frame["seed"].min()]
    lines = [
        "# Curve-informed promotion, offline", "",
        f"Generated by `benchmarks/curve_halving.py` (protocol in its docstring), metric "
        f"{metric}: {len(first)} pairs of sizes on {first['dataset'].nunique()} datasets "
        f"({first['family'].nunique()} families); brackets of {BRACKET}, the best {KEEP} "
        f"promoted, {DRAWS} draws per pair; seeds {sorted(per_seed.index.tolist())}.", "",
        "| rule | regret at the larger size | bracket's best promoted |", "|---|---|---|",
    ]  # fmt: skip
    for rule in ("observed", "curve"):
        r, b = per_seed[f"regret {rule}"], per_seed[f"best promoted {rule}"]
        lines.append(f"| {rule} | {r.mean():.4f} [{r.min():.4f}, {r.max():.4f}] | "
                     f"{b.mean():.3f} [{b.min():.3f}, {b.max():.3f}] |")  # fmt: skip
    lines += ["", f"Mean regret difference, curve minus observed: "
              f"{frame['difference'].mean():+.4f} (95 % family bootstrap [{lo:+.4f}, {hi:+.4f}]).",
              "", "By pair of sizes, each size at its nearest ladder size (all seeds; pairs: "
              "pairs of sizes x seeds):", "",
              frame.assign(sizes=[f"{_ladder(a)} -> {_ladder(b)}" for a, b in
                                  zip(frame["small"], frame["large"], strict=True)])
              .groupby("sizes")[["regret observed", "regret curve", "best promoted observed",
                                 "best promoted curve"]]
              .agg("mean").round(4).assign(pairs=frame.groupby(
                  [f"{_ladder(a)} -> {_ladder(b)}" for a, b in
                   zip(frame["small"], frame["large"], strict=True)]).size())
              .to_markdown(), ""]  # fmt: skip
    (HERE / "results" / "curve_halving.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--metric", default="accuracy")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if not args.report_only:
        meta = MetaDataset.load(metadataset_dir())
        OUT.mkdir(parents=True, exist_ok=True)
        for seed in args.seeds:
            path = OUT / f"seed{seed}.csv"
            if path.exists():
                continue
            start = time.perf_counter()
            run_seed(meta, args.metric, seed).to_csv(path, index=False)
            print(f"seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    report(args.metric)


if __name__ == "__main__":
    main()
