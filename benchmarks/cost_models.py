"""How well the cost models (``autometa/selectors/costs.py``) predict fit seconds, predict
seconds and peak memory, on tables they did not see.

Two tests, on the shipped classification meta-dataset extended with the learning curves at
size (``builds/at-size-v1``, ``autometa/metadataset/at_size.py``):

- **At size.** Each of the 18 tables with rungs above 16,000 rows is held out in turn (all
  its points); the models learn from the other tables and predict its points above 16,000
  rows (64,000 to 1,000,000 rows). Peak memory is measured on these tables only.
- **Small.** The datasets sorted by name, every second one held out; the models learn from
  the others and predict the held-out points of at most 16,000 rows (5,000 of them, drawn
  with seed 0).

- **From one size to the next.** How the search scales a measured fit to more rows
  (``search.cost.CostModel``: the measured seconds times the rows' ratio to the power of
  the model's exponent): for each held-out table and configuration, each pair of
  consecutive training sizes of at least 16,000 rows whose fits both took at least
  ``MIN_SCALED_SECONDS`` (shorter ones are mostly fixed costs and timer noise; the final
  fits that run out of time take seconds), the exponent's error: log(t2 / t1) /
  log(r2 / r1) minus the exponent of the model learned without the table. Its 90th
  percentile was the final fit's margin of a change to the search that its rule reverted
  (``REFIT_EXPONENT_MARGIN``, big_tables.py's docstring; the rule that chose the
  percentile, written before it was computed, 2026-12-07: a final fit that runs out of
  time is thrown away with the seconds it took, so the final fit is planned to fit 9
  times in 10).

Each model is scored three ways: the line fitted on all points, the line fitted on the
points of at least ``LARGE_ROWS`` rows, and the larger of the two (what the search uses).
Per variant: points, the median factor between predicted and measured (exp of the median
absolute log ratio), the share within a factor of 2, the median ratio predicted / measured
(below 1: too low) and the share of measured values at or below the upper prediction
(mean + one spread).

Writes results/cost_models.md and results/cost_models.png (predicted against measured at
size, the search's variant).

Run: python -m benchmarks.cost_models
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from autometa.metadataset.at_size import extend
from autometa.metadataset.metadata import MetaDataset
from autometa.paths import data_dir
from autometa.selectors.costs import LARGE_ROWS, QUANTITIES, LearnedCostModel, design

RESULTS = Path(__file__).resolve().parent / "results"
STORE = Path(__file__).resolve().parent.parent / "builds" / "at-size-v1"
SMALL_POINTS = 5000
MIN_SCALED_SECONDS = 1.0
VARIANTS = ("all points", f"points of >= {LARGE_ROWS:,} rows", "larger of both (used)")


def extended() -> MetaDataset:
    """The shipped meta-dataset with the at-size rungs (unpacking the store's runs)."""
    runs = STORE / "runs.jsonl"
    if not runs.exists():
        with gzip.open(STORE / "runs.jsonl.gz", "rb") as src, open(runs, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return extend(MetaDataset.load(data_dir() / "metadataset"), STORE)


def predictions(model: LearnedCostModel, points: pd.DataFrame) -> pd.DataFrame:
    """Per point: the log predictions of the three variants and their upper ends."""
    X = design(*(points[c].to_numpy(float) for c in ("rows", "n_features", "n_classes")))
    ids = points["config_id"].to_numpy()
    out = {}
    for name, coef, sigma in (("all", model.coef_, model.sigma_),
                              ("large", model.coef_large_, model.sigma_large_)):  # fmt: skip
        out[name] = np.einsum("ij,ij->i", X, coef.loc[ids].to_numpy())
        out[f"{name}_upper"] = out[name] + sigma.loc[ids].to_numpy()
    out["both"] = np.maximum(out["all"], out["large"])
    out["both_upper"] = np.maximum(out["all_upper"], out["large_upper"])
    out["measured"] = np.log(points["value"].to_numpy(float))
    return pd.DataFrame(out, index=points.index).assign(config_id=ids)


def held_out_models(meta: MetaDataset, quantity: str) -> dict[str, LearnedCostModel]:
    """Per table with points above 16,000 rows: the model of ``quantity`` learned
    without it (both at-size tests use them)."""
    points = LearnedCostModel(quantity).points(meta)  # type: ignore[arg-type]
    tables = sorted(points.loc[points["rows"] > 16_000, "dataset"].unique())
    return {
        table: LearnedCostModel(quantity).fit(  # type: ignore[arg-type]
            meta.subset([d for d in meta.dataset_names if d != table])
        )
        for table in tables
    }


def held_out(
    meta: MetaDataset, quantity: str, models: dict[str, LearnedCostModel]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions of the at-size points (each table held out: ``models``, from
    :func:`held_out_models`) and of small points (half of the datasets held out)."""
    points = LearnedCostModel(quantity).points(meta)  # type: ignore[arg-type]
    big = points[points["rows"] > 16_000]
    at_size = [predictions(fitted, big[big["dataset"] == table])
               for table, fitted in models.items()]  # fmt: skip
    names = sorted(meta.dataset_names)
    small = points[points["dataset"].isin(names[1::2]) & (points["rows"] <= 16_000)]
    if quantity == "peak_mb" or small.empty:  # memory: measured at size only
        return pd.concat(at_size), pd.DataFrame()
    fitted = LearnedCostModel(quantity).fit(meta.subset(names[::2]))  # type: ignore[arg-type]
    small = small.sample(min(SMALL_POINTS, len(small)), random_state=0)
    return pd.concat(at_size), predictions(fitted, small)


def exponent_errors(meta: MetaDataset, models: dict[str, LearnedCostModel]) -> pd.DataFrame:
    """Per held-out table, configuration and pair of consecutive training sizes of at
    least 16,000 rows (fits of at least ``MIN_SCALED_SECONDS`` each): the sizes and the
    error of the exponent of the fit-time model learned without the table (``models``,
    from :func:`held_out_models`; see the module docstring)."""
    points = LearnedCostModel("fit_seconds").points(meta)
    big = points[(points["rows"] >= 16_000) & (points["value"] >= MIN_SCALED_SECONDS)]
    out = []
    for table, fitted in models.items():
        exponents = fitted.exponents()
        mine = big[big["dataset"] == table].sort_values("rows")
        for config, g in mine.groupby("config_id"):
            r, t = g["rows"].to_numpy(float), g["value"].to_numpy(float)
            for i in range(len(r) - 1):
                slope = np.log(t[i + 1] / t[i]) / np.log(r[i + 1] / r[i])
                out.append((table, config, r[i], r[i + 1], slope - exponents[config]))
    return pd.DataFrame(out, columns=["dataset", "config_id", "rows", "next_rows", "error"])


def score_lines(quantity: str, where: str, pred: pd.DataFrame) -> list[str]:
    lines = []
    for variant, key in zip(VARIANTS, ("all", "large", "both"), strict=True):
        err = pred[key] - pred["measured"]
        covered = (pred["measured"] <= pred[f"{key}_upper"]).mean()
        over = np.exp((pred["measured"] - pred[f"{key}_upper"]).quantile([0.9, 0.95, 0.99]))
        lines.append(
            f"| {quantity} | {where} | {variant} | {len(pred)} | "
            f"{np.exp(np.median(np.abs(err))):.2f} | {np.mean(np.abs(err) < np.log(2)):.2f} | "
            f"{np.exp(np.median(err)):.2f} | {covered:.2f} | "
            f"{over[0.9]:.2f} / {over[0.95]:.2f} / {over[0.99]:.2f} |"
        )
    return lines


def plot(at_size: dict[str, pd.DataFrame], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    units = {"fit_seconds": "s", "predict_seconds": "s per 1,000 rows", "peak_mb": "MiB"}
    fig, axes = plt.subplots(1, len(at_size), figsize=(4.2 * len(at_size), 4))
    for ax, (quantity, pred) in zip(np.atleast_1d(axes), at_size.items(), strict=True):
        measured, predicted = np.exp(pred["measured"]), np.exp(pred["both"])
        ax.loglog(measured, predicted, ".", alpha=0.5)
        lo, hi = min(measured.min(), predicted.min()), max(measured.max(), predicted.max())
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
        ax.plot([lo, hi], [2 * lo, 2 * hi], "k:", lw=0.8)
        ax.plot([lo, hi], [lo / 2, hi / 2], "k:", lw=0.8)
        ax.set(title=quantity, xlabel=f"measured ({units[quantity]})", ylabel="predicted")
    fig.suptitle("Cost models at size (64,000-1,000,000 rows), each table held out")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    meta = extended()
    lines = [
        "# Cost models: predicted against measured",
        "",
        "From `python -m benchmarks.cost_models` (see its docstring for the two tests). "
        "Factor: exp of the median absolute log ratio; ratio: median predicted / measured "
        "(below 1: too low); covered: share of measured values at or below the upper "
        "prediction (mean + one spread), which the search plans with; measured / upper: "
        "its 90th, 95th and 99th percentiles (how far past its upper prediction a fit runs).",
        "",
        "| quantity | held out | model | points | median factor | within 2x | median ratio "
        "| covered by upper | measured / upper (p90 / p95 / p99) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    at_size_all, models = {}, {}
    for quantity in QUANTITIES:
        models[quantity] = held_out_models(meta, quantity)
        at_size, small = held_out(meta, quantity, models[quantity])
        at_size_all[quantity] = at_size
        lines += score_lines(quantity, "at size, each table", at_size)
        if not small.empty:
            lines += score_lines(quantity, "<= 16,000 rows, half the datasets", small)
    units, info = meta.units, meta.datasets.set_index("name")
    peaks = units.dropna(subset=["peak_mb"]).join(info[["n_features"]], on="dataset")
    table_mb = peaks["rows"] * peaks["n_features"] * 8 / 2**20
    ratio = peaks["peak_mb"] / table_mb
    q = ratio.quantile([0.5, 0.9, 1.0])
    lines += [
        "",
        f"Peak memory of a fit over the training table's size as float64 (rows x features x "
        f"8 bytes), {len(ratio)} points of 16,000 rows and more: median {q[0.5]:.1f}, "
        f"90th percentile {q[0.9]:.1f}, max {q[1.0]:.1f}.",
    ]
    pairs = exponent_errors(meta, models["fit_seconds"])
    errors = pairs["error"]
    q = errors.quantile([0.5, 0.75, 0.9, 0.95])
    lines += [
        "",
        f"From one size to the next: the exponent's error (measured slope minus the "
        f"model's, table held out), {len(errors)} pairs of consecutive sizes of at least "
        f"16,000 rows on {pairs['dataset'].nunique()} tables, fits of at least "
        f"{MIN_SCALED_SECONDS:g} s: median {q[0.5]:+.2f}, 75th percentile {q[0.75]:+.2f}, "
        f"90th percentile {q[0.9]:+.2f} (the reverted refit margin), 95th percentile "
        f"{q[0.95]:+.2f}; share above 0 (the model's exponent too low) "
        f"{(errors > 0).mean():.2f}.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cost_models.md").write_text("\n".join(lines) + "\n")
    plot(at_size_all, RESULTS / "cost_models.png")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
