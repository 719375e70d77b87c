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

Writes results/metamodel_at_size.md (per table, and the mean with a bootstrap interval
over the tables, each its own family here). Two workers; about 15 minutes on two cores.

Run: python -m benchmarks.metamodel_at_size
"""

from __future__ import annotations

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


def one_table(meta: MetaDataset, table: str) -> dict[str, float | str]:
    families = meta.datasets.set_index("name")["family"]
    train = [d for d in meta.dataset_names if families[d] != families[table]]
    top = max(meta.rungs(table))
    measured = meta.scores("accuracy", top).loc[table].dropna()
    small = meta.subset(train)
    small.units = small.units[small.units["rows"] <= BASE_MAX]
    small.performance = small.performance[small.performance["rows"] <= BASE_MAX]
    out: dict[str, float | str] = {"table": table, "rows": top, "measured": len(measured)}
    for name, knowledge in (("without", small), ("with", meta.subset(train))):
        model = train_metamodel(knowledge, "accuracy", random_state=0, device="cpu")
        features = meta.metafeatures.loc[table].copy()
        features[SIZE_FEATURE] = float(top)
        ranked = model.rank(features)
        order = [c for c in ranked.index if c in measured.index]
        out[f"regret_{name}"] = float(measured.max() - measured[order[0]])
        out[f"spearman_{name}"] = float(spearmanr(ranked[measured.index], measured)[0])
        out[f"first_{name}"] = order[0]
    return out


def main() -> None:
    meta = MetaDataset.load(data_dir() / "metadataset")
    tables = sorted(set(meta.units.loc[meta.units["rows"] > BASE_MAX, "dataset"]))
    rows = Parallel(n_jobs=2)(delayed(one_table)(meta, t) for t in tables)
    frame = pd.DataFrame(rows)
    diff = (frame["regret_without"] - frame["regret_with"]).to_numpy()
    rng = np.random.default_rng(0)
    boot = [rng.choice(diff, len(diff)).mean() for _ in range(SEEDS_BOOT)]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    lines = [
        "# The meta-model at size: trained without and with the rungs above 16,000 rows",
        "",
        "From `python -m benchmarks.metamodel_at_size` (see its docstring). Regret: best "
        "measured accuracy at the table's top rung minus that of the ranking's first "
        "measured configuration (lower is better); Spearman: rank correlation of the "
        "ranking with the measured accuracies there.",
        "",
        frame.round(4).to_markdown(index=False),
        "",
        f"Mean regret: without {frame['regret_without'].mean():.4f}, with "
        f"{frame['regret_with'].mean():.4f}; mean Spearman: without "
        f"{frame['spearman_without'].mean():.3f}, with {frame['spearman_with'].mean():.3f}.",
        f"Regret without minus with (positive: the rungs at size help), mean {diff.mean():.4f}, "
        f"95 % bootstrap interval over the {len(diff)} tables (each its own family) "
        f"[{lo:.4f}, {hi:.4f}]; tables better / equal / worse: {(diff > 0).sum()} / "
        f"{(diff == 0).sum()} / {(diff < 0).sum()}.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "metamodel_at_size.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
