"""Learning curves at size: the corpus tables of at least ``MIN_ROWS`` rows, climbed past the
shipped build's top rung (16,000 rows) to 64,000 and 256,000 rows and to all rows up to
1,000,000, with fit and predict seconds and peak memory.

It is a build of its own (a folder, ``SIZE_SETTINGS``, resumable as every build is), run by
the same builder:

- **Rows.** A table is capped at 1,000,000 rows plus the holdout (5,000 rows of the whole
  table, so not the shipped build's holdout, which was drawn from its 21,000-row sample).
  Rungs: 16,000, 64,000, 256,000 and the pool (at most 1,000,000; ``curves.rungs_for``).
- **Configurations.** Per table, those that reached 16,000 rows "ok" in the shipped build
  (the builder's promotions there), except kernel SVMs (``NOT_AT_SIZE``): one libsvm solve
  is one C call the per-fit alarm cannot stop, and its cost grows with the square of the
  rows (16,000 rows: 4.7 s to fit and 2.1 s to predict, median over these tables; 256,000
  rows would take hours). All of them climb the 16,000 rung again, on this build's holdout;
  then the ``promote_top`` best by accuracy (R2) plus each family's best within ``reach``
  climb each next rung (``builder.promoted``).
- **Limits.** ``time_limit`` seconds per fit; a longer one is recorded as censored and the
  configuration climbs no further.

:func:`estimate` writes the arithmetic down before a run: per table and rung, the
predicted CPU seconds, from each configuration's fit and predict seconds at 16,000 rows in
the shipped build scaled by rows to the power ``SCALING`` (1.15; k-NN 1.0), capped at the
time limit, for the configurations the same promotion rule keeps (by their shipped scores
at 16,000 rows, which stand in for the unknown scores above). :func:`extend` adds the
rungs above the shipped top to the shipped meta-dataset (``autometa extend-metadata``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadataset.build_store import BuildSettings, read_settings, settings_json
from autometa.metadataset.builder import build, promoted, runs_frames
from autometa.metadataset.curves import MAX_HOLDOUT, pool_rows, rungs_for
from autometa.metadataset.metadata import MetaDataset
from autometa.metadataset.sources import DatasetRef
from autometa.space.learners import get_config
from autometa.space.metrics import PRIMARY

__all__ = ["MIN_ROWS", "NOT_AT_SIZE", "SIZE_SETTINGS", "build_at_size", "estimate", "extend",
           "size_plan"]  # fmt: skip

MIN_ROWS = 50_000
TOP_ROWS = 1_000_000
SIZE_SETTINGS = BuildSettings(
    ladder=(16_000, 64_000, 256_000, TOP_ROWS),
    base_max=16_000,
    promote_top=8,
    reach=0.02,
    time_limit=600.0,
    max_rows=TOP_ROWS + MAX_HOLDOUT,
    random_state=0,
)
NOT_AT_SIZE = ("svc_rbf", "svr_rbf")  # kernel SVMs (families): see the module docstring
SCALING = {"knn": 1.0}  # exponent of rows in the cost estimate; 1.15 otherwise
DEFAULT_SCALING = 1.15


def _shipped_top(shipped: MetaDataset, name: str, settings: BuildSettings) -> int:
    """The table's largest shipped rung of at most ``settings.base_max`` rows (an extended
    meta-dataset has larger ones: those are this build's own)."""
    rows = shipped.units.loc[shipped.units["dataset"] == name, "rows"]
    return int(rows[rows <= settings.base_max].max())


def size_plan(
    shipped: MetaDataset, min_rows: int = MIN_ROWS, settings: BuildSettings = SIZE_SETTINGS
) -> dict[str, list[str]]:
    """Per table of at least ``min_rows`` rows (before the row cap), the configurations
    that reached the shipped build's top rung "ok", kernel SVMs left out."""
    n_rows = dict(zip(shipped.datasets["name"], shipped.datasets["n_rows"], strict=True))
    units = shipped.units
    plan: dict[str, list[str]] = {}
    for name in shipped.dataset_names:
        if int(n_rows[name]) < min_rows:
            continue
        top = _shipped_top(shipped, name, settings)
        mine = units[(units["dataset"] == name) & (units["rows"] == top)]
        ok = mine.loc[mine["status"] == "ok", "config_id"]
        plan[name] = [c for c in ok if get_config(c).family not in NOT_AT_SIZE]
    return plan


def estimate(
    shipped: MetaDataset, plan: dict[str, list[str]], settings: BuildSettings = SIZE_SETTINGS
) -> pd.DataFrame:
    """The predicted cost of a build at size (see the module docstring for the rule).

    Returns
    -------
    DataFrame
        One row per (table, rung): table, rows, configs (how many climb it), cpu_seconds.
    """
    primary = PRIMARY[shipped.task_kind]
    units = shipped.units
    seconds_at = dict(zip(
        zip(units["dataset"], units["config_id"], units["rows"], strict=True),
        units["fit_seconds"] + units["predict_seconds"], strict=True,
    ))  # fmt: skip
    n_rows = dict(zip(shipped.datasets["name"], shipped.datasets["n_rows"], strict=True))
    out = []
    for name, config_ids in plan.items():
        base = _shipped_top(shipped, name, settings)
        scores = shipped.scores(primary, base).loc[name].to_dict()
        configs = [get_config(c) for c in config_ids]
        pool = pool_rows(min(int(n_rows[name]), settings.max_rows))
        for rows in rungs_for(pool, settings.ladder):
            cost = 0.0
            for c in configs:
                seconds = float(seconds_at[name, c.config_id, base])
                power = SCALING.get(c.family, DEFAULT_SCALING)
                cost += min(seconds * (rows / base) ** power, settings.time_limit)
            out.append((name, rows, len(configs), cost))
            known = {c.config_id: float(scores[c.config_id]) for c in configs}
            configs = promoted(known, configs, settings)
    return pd.DataFrame(out, columns=["table", "rows", "configs", "cpu_seconds"])


def build_at_size(
    refs: list[DatasetRef],
    plan: dict[str, list[str]],
    out: str | Path,
    settings: BuildSettings = SIZE_SETTINGS,
    n_jobs: int = 1,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> dict[str, int]:
    """Run the build at size, table by table (each with its own configurations), smallest
    table first; resumable. Returns the builder's counts, summed."""
    missing = sorted(set(plan) - {r.name for r in refs})
    if missing:
        raise BadInputError(f"The sources lack tables of the plan: {', '.join(missing)}.")
    by_name = {r.name: r for r in refs}
    totals: dict[str, int] = {}
    for name in sorted(plan, key=lambda n: (len(plan[n]) == 0, n)):
        configs = [get_config(c) for c in plan[name]]
        if not configs:
            continue
        counts = build([by_name[name]], configs, out, settings, n_jobs, progress)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals


def extend(shipped: MetaDataset, out: str | Path) -> MetaDataset:
    """The shipped meta-dataset with the rungs of the build at size in ``out`` above its
    ``base_max`` (their units and performance rows; their scores are on the build at
    size's own holdout), replacing those of an earlier extension. The shipped points that
    the build measured again (its first rung, the shipped top) take its peak memory where
    they have none (the shipped build did not measure memory); their scores and times
    stay. The build's settings are kept in ``info["at_size"]``."""
    settings = read_settings(Path(out))
    performance, all_units = runs_frames(out, set(shipped.dataset_names), set(shipped.config_ids))
    units = all_units[all_units["rows"] > settings.base_max]
    keys = pd.MultiIndex.from_frame(units[["dataset", "config_id", "rows"]])
    performance = performance[
        pd.MultiIndex.from_frame(performance[["dataset", "config_id", "rows"]]).isin(keys)
    ]
    old_units = _with_peaks(shipped.units[shipped.units["rows"] <= settings.base_max], all_units)
    old_performance = shipped.performance[shipped.performance["rows"] <= settings.base_max]
    datasets = shipped.datasets.copy()
    if "rungs" in datasets:  # the training sizes measured, as text
        sizes = pd.concat([old_units, units]).groupby("dataset")["rows"].unique()
        datasets["rungs"] = datasets["name"].map(lambda n: " ".join(map(str, sorted(sizes[n]))))
    return MetaDataset(
        shipped.metafeatures,
        pd.concat([old_performance, performance], ignore_index=True),
        shipped.configs,
        datasets,
        pd.concat([old_units, units], ignore_index=True),
        shipped.maximize,
        {**shipped.info, "at_size": settings_json(settings)},
    )


def _with_peaks(units: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """``units`` with ``peak_mb`` filled from ``measured``'s ok points of the same dataset,
    configuration and rows, where ``units`` has none."""
    key = ["dataset", "config_id", "rows"]
    ok = measured[measured["status"] == "ok"].set_index(key)["peak_mb"]
    found = pd.MultiIndex.from_frame(units[key]).map(ok.to_dict().get)
    filled = units["peak_mb"].fillna(pd.Series(found, index=units.index, dtype=float))
    return units.assign(peak_mb=filled)
