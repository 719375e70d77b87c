"""Describe a built meta-dataset: sources, curve points, failures and censoring, which
families win, and how the winner changes with the training size.

Writes results/metadataset.md (per learner family: how often it is the best on a dataset,
median normalised score, median fit seconds, errors and censored fits; the best family at
the smallest and the largest training size of each dataset and how many datasets change
winner; the best family per size; flagged tables) and results/metadataset_heatmap.png
(normalised accuracy, or R2 for a regression meta-dataset; datasets x configurations, both axes ordered by hierarchical
clustering).

Run: python -m benchmarks.metadataset_report [META_DIR] [--runs RUNS]   (default: the shipped
one, with the build store in builds/metadataset-v2)
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

from autometa.metadataset.metadata import MetaDataset
from autometa.paths import data_dir
from autometa.space.metrics import PRIMARY

RESULTS = Path(__file__).resolve().parent / "results"
BUILDS = Path(__file__).resolve().parent.parent / "builds"
AT_SIZE_RUNS = BUILDS / "at-size-v1" / "runs.jsonl"


IDLE = 600.0  # seconds between two recorded points that count as an interruption


def wall_time_lines(runs: Path) -> list[str]:
    """Wall time of a build from its store's ``finished_at`` stamps (plain or .gz file):
    first to last point, and the same without the gaps longer than ``IDLE`` (the build
    was stopped between sessions)."""
    if not runs.exists() and runs.with_suffix(".jsonl.gz").exists():
        runs = runs.with_suffix(".jsonl.gz")
    if not runs.exists():
        return []
    opener = gzip.open if runs.suffix == ".gz" else open
    with opener(runs, "rt") as handle:
        finished = np.sort([json.loads(line)["finished_at"] for line in handle
                            if line.strip().endswith("}")])  # fmt: skip
    gaps = np.diff(finished)
    return [
        f"- Wall time from the first to the last recorded point: "
        f"{(finished[-1] - finished[0]) / 3600:.2f} h (interruptions included); without "
        f"the {int((gaps > IDLE).sum())} gaps over {IDLE:.0f} s (the build stopped between "
        f"sessions): {gaps[gaps <= IDLE].sum() / 3600:.2f} h on 2 workers.",
    ]


def primary(meta: MetaDataset) -> str:
    """The metric the report ranks by: the task kind's primary one (metrics.PRIMARY)."""
    return PRIMARY[meta.task_kind]


def family_table(meta: MetaDataset) -> pd.DataFrame:
    norm = meta.normalized_scores(primary(meta))
    family = meta.configs.set_index("config_id")["family"]
    fit = meta.scores("fit_seconds")
    units = meta.units.assign(family=meta.units["config_id"].map(family))
    best_family = norm.idxmax(axis=1).map(family)
    rows = {}
    for fam, ids in family.groupby(family).groups.items():
        ids = list(ids)
        fam_units = units[units["family"] == fam]
        rows[fam] = {
            "configs": len(ids),
            "best on datasets": int((best_family == fam).sum()),
            f"median normalised {primary(meta)}": float(np.nanmedian(norm[ids].to_numpy())),
            "best config of family, median normalised": float(norm[ids].max(axis=1).median()),
            "median fit s": float(np.nanmedian(fit[ids].to_numpy())),
            "units": len(fam_units),
            "errors": int((fam_units["status"] == "error").sum()),
            "censored": int((fam_units["status"] == "censored").sum()),
        }
    table = pd.DataFrame(rows).T.sort_values("best on datasets", ascending=False)
    counts = ("configs", "best on datasets", "units", "errors", "censored")
    for col in table.columns:  # counts as integers, measurements to three digits
        table[col] = [f"{int(v)}" if col in counts else f"{v:.3g}" for v in table[col]]
    return table


def winners_by_size(meta: MetaDataset) -> pd.DataFrame:
    """Per dataset with two or more training sizes: the best configuration and family at
    the smallest and at the largest size (at the largest, among the configurations
    promoted there), and whether the family changed."""
    perf = meta.performance[meta.performance["metric"] == primary(meta)]
    means = perf.groupby(["dataset", "rows", "config_id"])["value"].mean().dropna()
    family = meta.configs.set_index("config_id")["family"]
    rows = []
    for dataset in meta.dataset_names:
        if dataset not in means.index.get_level_values(0):
            continue
        curve = means.loc[dataset]
        sizes = sorted(curve.index.get_level_values(0).unique())
        if len(sizes) < 2:
            continue
        small, large = curve.loc[sizes[0]], curve.loc[sizes[-1]]
        best_small, best_large = str(small.idxmax()), str(large.idxmax())
        rows.append({
            "dataset": dataset, "rows small": sizes[0], "rows large": sizes[-1],
            "best small": best_small, "family small": family[best_small],
            "best large": best_large, "family large": family[best_large],
            "changed": family[best_small] != family[best_large],
        })  # fmt: skip
    return pd.DataFrame(rows)


def nearest_ladder(meta: MetaDataset, rows: np.ndarray) -> np.ndarray:
    """Each size to the nearest size of the ladder (log scale): a table's full pool counts
    with the ladder size it is nearest to."""
    settings = meta.info.get("settings", {})
    sizes = set(settings.get("ladder", [250, 1000, 4000, 16000]))
    sizes |= set(meta.info.get("at_size", {}).get("ladder", []))  # the rungs at size, merged
    ladder = np.array(sorted(sizes))
    rows = np.asarray(rows, dtype=float)
    return ladder[np.abs(np.log(rows)[:, None] - np.log(ladder)[None, :]).argmin(axis=1)]


def compute_per_rung(meta: MetaDataset) -> pd.DataFrame:
    """Curve points, datasets, points per dataset and CPU hours at each ladder size:
    where the build's compute went (the arithmetic of the datasheet)."""
    units = meta.units.assign(rung=nearest_ladder(meta, meta.units["rows"].to_numpy()))
    grouped = units.groupby("rung")
    table = pd.DataFrame({
        "points": grouped.size(),
        "datasets": grouped["dataset"].nunique(),
        "points per dataset": (grouped.size() / grouped["dataset"].nunique()).round(1),
        "CPU h": (grouped["seconds"].sum() / 3600).round(2),
        "median s per point": grouped["seconds"].median().round(3),
        "max s per point": grouped["seconds"].max().round(1),
    })  # fmt: skip
    table.index.name = "rows (nearest ladder size)"
    return table


def best_family_per_size(meta: MetaDataset) -> pd.DataFrame:
    """How often each family is the best at each training size (datasets measured there)."""
    perf = meta.performance[meta.performance["metric"] == primary(meta)]
    means = perf.groupby(["rows", "dataset", "config_id"])["value"].mean().dropna()
    family = meta.configs.set_index("config_id")["family"]
    best = means.groupby(level=["rows", "dataset"]).idxmax().map(lambda k: family[k[2]])
    rows = best.index.get_level_values("rows").to_numpy(float)
    nearest = nearest_ladder(meta, rows)
    frame = pd.DataFrame({"rows (nearest ladder size)": nearest, "family": best.to_numpy()})
    table = (
        frame.groupby("rows (nearest ladder size)")["family"].value_counts().unstack(fill_value=0)
    )
    return table.loc[:, table.sum().sort_values(ascending=False).index]


def heatmap(meta: MetaDataset, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import leaves_list, linkage

    norm = meta.normalized_scores(primary(meta))
    rows = (
        leaves_list(linkage(norm.to_numpy(), "average")) if len(norm) > 2 else np.arange(len(norm))
    )
    cols = leaves_list(linkage(norm.to_numpy().T, "average"))
    data = norm.iloc[rows, cols]
    fig, ax = plt.subplots(figsize=(16, max(6, 0.13 * len(data))))
    image = ax.imshow(data.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(data)), data.index, fontsize=5)
    ax.set_xticks(range(data.shape[1]), data.columns, fontsize=4, rotation=90)
    ax.set_xlabel("configuration (clustered)")
    ax.set_ylabel("dataset (clustered)")
    ax.set_title(f"Normalised {primary(meta)} (1 = best configuration of the dataset)")
    fig.colorbar(image, ax=ax, fraction=0.02)
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("meta_dir", nargs="?", default=str(data_dir() / "metadataset"))
    parser.add_argument(
        "--runs",
        help="the build store's runs.jsonl(.gz), for the wall time "
        "(default: the one in META_DIR, or ../builds/metadataset-v2's for the "
        "shipped meta-dataset)",
    )
    parser.add_argument(
        "--name",
        default="metadataset",
        help="report file name: results/NAME.md and NAME_heatmap.png",
    )
    args = parser.parse_args()
    root = Path(args.meta_dir)
    runs_file = Path(args.runs) if args.runs else None
    if runs_file is None and not (root / "runs.jsonl").exists():
        runs_file = BUILDS / "metadataset-v2" / "runs.jsonl"
    meta = MetaDataset.load(root)
    RESULTS.mkdir(exist_ok=True)
    status = meta.units["status"].value_counts()
    settings = meta.info.get("settings", {})
    table = family_table(meta)
    sources = meta.datasets.groupby("source").size()
    lines = [
        "# The meta-dataset",
        "",
        f"Generated by `benchmarks/metadataset_report.py` from `{root.name}/`.",
        "",
        f"- {len(meta.dataset_names)} datasets ({meta.datasets['family'].nunique()} families; "
        + ", ".join(f"{k}: {v}" for k, v in sources.items())
        + f"), {len(meta.config_ids)} "
        f"configurations, {len(meta.units)} curve points "
        f"({', '.join(f'{k}: {v}' for k, v in status.items())}).",
        f"- Build settings: {settings}.",
        *(
            [f"- Rungs at size merged from another build (its settings): {meta.info['at_size']}."]
            if "at_size" in meta.info
            else []
        ),
        f"- Sum of point seconds (CPU time of the fits and predictions): "
        f"{meta.units['seconds'].sum() / 3600:.2f} h.",
        f"- {meta.metafeatures.shape[1]} meta-features per dataset.",
    ]
    lines += wall_time_lines(runs_file or root / "runs.jsonl")
    if "at_size" in meta.info:
        above = meta.units[meta.units["rows"] > meta.info["at_size"]["base_max"]]
        counts = above["status"].value_counts()
        lines.append(
            f"- The rungs at size, merged (above {meta.info['at_size']['base_max']:,} rows): "
            f"{len(above)} points on {above['dataset'].nunique()} tables "
            f"({', '.join(f'{k}: {v}' for k, v in counts.items())}), "
            f"{above['seconds'].sum() / 3600:.2f} CPU-hours."
        )
        store = pd.read_json(AT_SIZE_RUNS, lines=True) if AT_SIZE_RUNS.exists() else None
        if store is not None:
            lines.append(
                f"- The store at size (its {meta.info['at_size']['base_max']:,}-row rerun "
                f"included): {len(store)} points, {store['seconds'].sum() / 3600:.2f} CPU-hours."
            )
        lines += [f"- The rungs at size: {line[2:]}" for line in wall_time_lines(AT_SIZE_RUNS)]
        peaks = meta.units["peak_mb"].dropna()
        lines.append(
            f"- Peak memory measured on {len(peaks)} points (the build at size, its 16,000-row "
            f"rung included): median {peaks.median():.0f} MiB, max {peaks.max():.0f} MiB."
        )
    for flag in ("trivial", "small"):
        if flag in meta.datasets:
            lines.append(f"- Flagged {flag}: {int(meta.datasets[flag].sum())} datasets.")
    lines += ["", "## Compute per rung", "", compute_per_rung(meta).to_markdown(), ""]
    lines += ["", "## Per learner family", "", table.to_markdown(disable_numparse=True), ""]
    winners = winners_by_size(meta)
    if len(winners):
        changed = int(winners["changed"].sum())
        lines += [
            "## Does the winner change with the training size?",
            "",
            f"On {len(winners)} datasets measured at two or more sizes, the best family at the "
            f"smallest size differs from the best at the largest on {changed} "
            f"({changed / len(winners):.0%}).",
            "",
            pd.crosstab(winners["family small"], winners["family large"]).to_markdown(),
            "",
            "Rows: best family at the smallest size; columns: at the largest.",
            "",
            "### Best family per training size (datasets measured at that size)",
            "",
            best_family_per_size(meta).to_markdown(),
            "",
        ]
    lines += [f"![heatmap]({args.name}_heatmap.png)"]
    errors = meta.units[meta.units["status"] != "ok"]
    if len(errors):
        common = errors.assign(message=errors["message"].str.slice(0, 90)).groupby(
            ["config_id", "message"]).size().sort_values(ascending=False).head(10)  # fmt: skip
        lines += [
            "",
            "## Most frequent failures",
            "",
            common.rename("points").to_frame().to_markdown(),
        ]
    heatmap(meta, RESULTS / f"{args.name}_heatmap.png")
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
