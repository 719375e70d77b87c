"""Does the meta-model rank better on big tables when it has learned from the learning curves
at size?

For each of the 18 tables with rungs above 16,000 rows (``builds/at-size-v1``), its family
is held out and two meta-models of accuracy are trained on the other families, as the
shipped ones are (``recommend.train_metamodel``): one on the meta-dataset without the
rungs at size (at most 16,000 rows: the models shipped before), one with them. Each ranks
the held-out table for its top rung's rows (``SIZE_FEATURE``). Only the promoted
configurations were measured there, so each ranking is read among them: the regret is
the best measured accuracy minus that of the ranking's first measured configuration, and
its rank correlation with the measured scores (Spearman) is reported too.

The meta-models are seeded: each table is run with seeds 0-4 (``SEEDS``), one row per
(table, seed) appended to results/metamodel_at_size/rows.csv as it ends, so a run that
stops resumes where it stopped. Writes results/metamodel_at_size.md: per table the mean
over the seeds, per seed the mean regrets, and the mean difference with a bootstrap
interval over the tables (each its own family here), of the per-table means over seeds.
About 15 minutes a seed on two cores (``--workers 2``).

Run: python -m benchmarks.metamodel_at_size [--workers N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import spearmanr

from autometa.metadataset.metadata import SIZE_FEATURE, MetaDataset
from autometa.paths import data_dir
from autometa.selectors.recommend import train_metamodel

RESULTS = Path(__file__).resolve().parent / "results"
BASE_MAX = 16_000
SEEDS_BOOT = 2000
SEEDS = range(5)
ROWS = RESULTS / "metamodel_at_size" / "rows.csv"


def one_table(meta: MetaDataset, table: str, seed: int) -> dict[str, float | str]:
    families = meta.datasets.set_index("name")["family"]
    train = [d for d in meta.dataset_names if families[d] != families[table]]
    top = max(meta.rungs(table))
    measured = meta.scores("accuracy", top).loc[table].dropna()
    small = meta.subset(train)
    small.units = small.units[small.units["rows"] <= BASE_MAX]
    small.performance = small.performance[small.performance["rows"] <= BASE_MAX]
    out: dict[str, float | str] = {
        "table": table, "seed": seed, "rows": top, "measured": len(measured)
    }  # fmt: skip
    for name, knowledge in (("without", small), ("with", meta.subset(train))):
        model = train_metamodel(knowledge, "accuracy", random_state=seed, device="cpu")
        features = meta.metafeatures.loc[table].copy()
        features[SIZE_FEATURE] = float(top)
        ranked = model.rank(features)
        order = [c for c in ranked.index if c in measured.index]
        out[f"regret_{name}"] = float(measured.max() - measured[order[0]])
        out[f"spearman_{name}"] = float(spearmanr(ranked[measured.index], measured)[0])
        out[f"first_{name}"] = order[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    meta = MetaDataset.load(data_dir() / "metadataset")
    tables = sorted(set(meta.units.loc[meta.units["rows"] > BASE_MAX, "dataset"]))
    done = pd.read_csv(ROWS) if ROWS.exists() else pd.DataFrame(columns=["table", "seed"])
    have = set(zip(done["table"], done["seed"], strict=True))
    todo = [(t, s) for s in SEEDS for t in tables if (t, s) not in have]
    ROWS.parent.mkdir(parents=True, exist_ok=True)
    jobs = (delayed(one_table)(meta, t, s) for t, s in todo)
    for row in Parallel(n_jobs=args.workers, return_as="generator_unordered")(jobs):
        pd.DataFrame([row]).to_csv(ROWS, mode="a", header=not ROWS.exists(), index=False)
        print(f"{row['table']} seed {row['seed']}: regret {row['regret_without']:.4f} -> "
              f"{row['regret_with']:.4f}", flush=True)  # fmt: skip
    write(pd.read_csv(ROWS))


def write(frame: pd.DataFrame) -> None:
    """The table of per-table means over seeds, the per-seed means, and the interval."""
    numeric = ["regret_without", "regret_with", "spearman_without", "spearman_with"]
    per_table = frame.groupby("table").agg(
        rows=("rows", "first"), measured=("measured", "first"), seeds=("seed", "nunique"),
        **{c: (c, "mean") for c in numeric},
        first_without=("first_without", lambda s: s.mode().iloc[0]),
        first_with=("first_with", lambda s: s.mode().iloc[0]),
    ).reset_index()  # fmt: skip
    per_seed = frame.groupby("seed")[numeric].mean()
    diff = (per_table["regret_without"] - per_table["regret_with"]).to_numpy()
    rng = np.random.default_rng(0)
    boot = [rng.choice(diff, len(diff)).mean() for _ in range(SEEDS_BOOT)]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    seed_diff = per_seed["regret_without"] - per_seed["regret_with"]
    lines = [
        "# The meta-model at size: trained without and with the rungs above 16,000 rows",
        "",
        "From `python -m benchmarks.metamodel_at_size` (see its docstring). Regret: best "
        "measured accuracy at the table's top rung minus that of the ranking's first "
        "measured configuration (lower is better); Spearman: rank correlation of the "
        "ranking with the measured accuracies there. Per table: the mean over the seeds of "
        "the meta-models (first_*: the most frequent first configuration).",
        "",
        per_table.round(4).to_markdown(index=False),
        "",
        "Per seed of the meta-models (means over the tables):",
        "",
        per_seed.assign(difference=seed_diff).round(4).to_markdown(),
        "",
        f"Mean regret: without {per_table['regret_without'].mean():.4f}, with "
        f"{per_table['regret_with'].mean():.4f}; mean Spearman: without "
        f"{per_table['spearman_without'].mean():.3f}, with "
        f"{per_table['spearman_with'].mean():.3f}.",
        f"Regret without minus with (positive: the rungs at size help), over seeds mean "
        f"{seed_diff.mean():.4f}, spread (sd) {seed_diff.std(ddof=1) if len(seed_diff) > 1 else float('nan'):.4f}; "
        f"95 % bootstrap interval over the {len(diff)} tables (each its own family) of the "
        f"per-table means [{lo:.4f}, {hi:.4f}]; tables better / equal / worse: "
        f"{(diff > 0).sum()} / {(diff == 0).sum()} / {(diff < 0).sum()}.",
    ]
    (RESULTS / "metamodel_at_size.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
