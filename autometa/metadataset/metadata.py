"""MetaDataset: meta-features of many datasets plus learning curves of many configurations.

On disk a meta-dataset is a folder of plain files, read by :meth:`MetaDataset.load` only:

- ``manifest.json``: schema_version, name, metrics (and whether each is maximised),
  meta-feature names, build settings, file format;
- ``metafeatures.csv``: one row per dataset (index ``dataset``), one column per feature;
- ``performance.parquet`` (or ``.csv.gz``): long form ``dataset, config_id, rows, part,
  metric, value``: the raw value of each metric for a configuration trained on ``rows``
  rows, on each validation part (a CV fold or a part of the holdout);
- ``units.csv``: ``dataset, config_id, rows, status, limit, message, seconds, fit_seconds,
  predict_seconds, peak_mb``: one row per learning-curve point, "ok", "error" or
  "censored" (the fit did not finish in ``limit`` seconds at ``rows`` rows); ``peak_mb`` is
  the peak resident memory of the fit and its predictions above their start, in MiB
  (``space.memory``; empty in builds made before it was measured);
- ``configs.csv``: ``config_id, family, params`` (params as JSON text);
- ``datasets.csv``: ``name, family, source, n_rows, n_rows_used, n_features, n_classes...``.

One score per (dataset, configuration), as the selectors read it, is the score at the
dataset's *largest common rung*: the largest training size at which every configuration
has a unit (ok or not). :meth:`scores` takes ``rows`` to read another point of the curves.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.artifacts import KINDS, MissingArtifactError, WrongArtifactError, header, read_json
from autometa.exceptions import BadInputError
from autometa.space.metrics import METRICS, TIMINGS, greater_is_better
from autometa.table.targets import TaskKind, as_task_kind

__all__ = ["SIZE_FEATURE", "MetaDataset"]

#: The training size a score belongs to, as a meta-feature (see :meth:`MetaDataset.at_sizes`).
SIZE_FEATURE = "TrainingRows"

KIND = "autometa.metadataset"


class MetaDataset:
    """Meta-features F (datasets x features) and learning curves P (datasets x configs x
    rows x metric).

    Parameters
    ----------
    metafeatures : DataFrame, shape (n_datasets, n_features)
        Index: dataset names.
    performance : DataFrame
        Long form with columns dataset, config_id, rows, part, metric, value.
    configs : DataFrame
        config_id, family, params (JSON text).
    datasets : DataFrame
        name, family, source and sizes; one row per dataset.
    units : DataFrame, optional
        One row per curve point: ``UNIT_COLUMNS``.
    maximize : dict, optional
        metric -> True when larger is better (default: from the metric registry).
    info : dict, optional
        Free-form provenance (build settings, source scenario...).
    """

    UNIT_COLUMNS = (
        "dataset", "config_id", "rows", "status", "limit", "message", "seconds",
        "fit_seconds", "predict_seconds", "peak_mb",
    )  # fmt: skip
    PERFORMANCE_COLUMNS = ("dataset", "config_id", "rows", "part", "metric", "value")

    def __init__(
        self,
        metafeatures: pd.DataFrame,
        performance: pd.DataFrame,
        configs: pd.DataFrame,
        datasets: pd.DataFrame,
        units: pd.DataFrame | None = None,
        maximize: dict[str, bool] | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.metafeatures = metafeatures
        self.performance = performance
        self.configs = configs
        self.datasets = datasets
        self.units = units if units is not None else pd.DataFrame(columns=list(self.UNIT_COLUMNS))
        if "peak_mb" not in self.units:  # a build made before memory was measured
            self.units["peak_mb"] = np.nan
        default = {m: greater_is_better(m) for m in (*METRICS, *TIMINGS)}
        self.maximize = dict(default if maximize is None else maximize)
        self.info = dict(info or {})

    def __repr__(self) -> str:
        return (
            f"MetaDataset({len(self.dataset_names)} datasets x {len(self.config_ids)} configs, "
            f"{self.metafeatures.shape[1]} meta-features, metrics: {', '.join(self.metrics)})"
        )

    @property
    def task_kind(self) -> TaskKind:
        """The task kind, "classification" or "regression" (a build measures one kind;
        ASlib scenarios and older builds have no ``task`` column: classification)."""
        if "task" in self.datasets and len(self.datasets):
            return as_task_kind(str(self.datasets["task"].iloc[0]))
        return "classification"

    @property
    def dataset_names(self) -> list[str]:
        return list(self.datasets["name"])

    @property
    def config_ids(self) -> list[str]:
        return list(self.configs["config_id"])

    @property
    def metrics(self) -> list[str]:
        found = sorted(self.performance["metric"].unique())
        timed = [t for t in TIMINGS if t in self.units.columns and self.units[t].notna().any()]
        return found + timed

    def common_rows(self) -> pd.Series:
        """Per dataset, the largest training size at which every configuration of the
        dataset has a unit (ok or not; from the performance rows when units are missing,
        where a configuration that never succeeded has none): the single-score view."""
        source = self.units if len(self.units) else self.performance
        per = source.groupby(["dataset", "rows"])["config_id"].nunique().reset_index()
        most = per.groupby("dataset")["config_id"].transform("max")
        full = per[per["config_id"] == most]
        return full.groupby("dataset")["rows"].max().reindex(self.dataset_names)

    def rungs(self, dataset: str) -> list[int]:
        """Training sizes measured on ``dataset``, increasing."""
        source = self.units if len(self.units) else self.performance
        return sorted(int(r) for r in source.loc[source["dataset"] == dataset, "rows"].unique())

    def scores(self, metric: str = "accuracy", rows: int | str | None = None) -> pd.DataFrame:
        """Mean over validation parts, shape (n_datasets, n_configs); NaN where a unit
        failed, was censored or was not run.

        Parameters
        ----------
        metric : str
            A metric of the registry, or "fit_seconds" / "predict_seconds".
        rows : int, "largest" or None
            None: each dataset's largest common rung (see :meth:`common_rows`); an int:
            the measured rung nearest to it on each dataset (on a log scale); "largest":
            each configuration's largest ok rung.
        """
        if metric not in self.metrics:
            raise BadInputError(f"Unknown metric '{metric}'; this meta-dataset has {self.metrics}.")
        if metric in TIMINGS:
            long = self.units.loc[self.units["status"] == "ok", ["dataset", "config_id", "rows"]]
            long = long.assign(value=self.units[metric])
        else:
            perf = self.performance[self.performance["metric"] == metric]
            long = perf.groupby(["dataset", "config_id", "rows"])["value"].mean().reset_index()
        if rows == "largest":
            long = long.dropna(subset=["value"]).sort_values("rows")
            long = long.groupby(["dataset", "config_id"], as_index=False).last()
        else:
            target = self._target_rows(rows)
            long = long[long["rows"].to_numpy() == long["dataset"].map(target).to_numpy()]
        table = long.pivot_table(
            index="dataset", columns="config_id", values="value", aggfunc="mean"
        )
        return table.reindex(index=self.dataset_names, columns=self.config_ids)

    def _target_rows(self, rows: int | str | None) -> pd.Series:
        if rows is None:
            return self.common_rows()
        if not isinstance(rows, (int, np.integer)) or rows <= 0:
            raise BadInputError(
                f"rows must be a positive integer, 'largest' or None; got {rows!r}."
            )
        target = {}
        for d in self.dataset_names:
            measured = np.array(self.rungs(d), dtype=float)
            if len(measured):
                target[d] = int(measured[np.argmin(np.abs(np.log(measured) - np.log(rows)))])
        return pd.Series(target, dtype="float64").reindex(self.dataset_names)

    def curve(self, dataset: str, config_id: str, metric: str = "accuracy") -> pd.Series:
        """The learning curve of one configuration on one dataset: rows -> mean score."""
        perf = self.performance
        sel = perf[(perf["dataset"] == dataset) & (perf["config_id"] == config_id)
                   & (perf["metric"] == metric)]  # fmt: skip
        if dataset not in set(self.dataset_names) or config_id not in set(self.config_ids):
            raise BadInputError(f"No dataset '{dataset}' or configuration '{config_id}' here.")
        return sel.groupby("rows")["value"].mean().rename(metric)

    def normalized_scores(
        self, metric: str = "accuracy", rows: int | str | None = None
    ) -> pd.DataFrame:
        """Per dataset, 1 for the best config and 0 for the worst; failed units score 0."""
        raw = self.scores(metric, rows)
        if not self.maximize.get(metric, True):
            raw = -raw
        lo, hi = raw.min(axis=1), raw.max(axis=1)
        span = (hi - lo).replace(0, np.nan)
        norm = raw.sub(lo, axis=0).div(span, axis=0)
        norm = norm.mask(raw.notna() & norm.isna(), 1.0)  # every config scored the same
        return norm.fillna(0.0)  # failed units

    def filled_scores(
        self, metric: str = "accuracy", rows: int | str | None = None
    ) -> pd.DataFrame:
        """Raw scores, sign-adjusted so larger is better, failed units at the dataset's
        worst value (what the evaluation measures the gap closed on)."""
        raw = self.scores(metric, rows)
        if not self.maximize.get(metric, True):
            raw = -raw
        return raw.apply(lambda row: row.fillna(row.min()), axis=1)

    def standardized_scores(
        self, metric: str = "accuracy", rows: int | str | None = None
    ) -> pd.DataFrame:
        """Per dataset, the :meth:`filled_scores` minus their mean, over their standard
        deviation (0 where every configuration scored the same).

        Unlike :meth:`normalized_scores`, a dataset where configurations differ by 0.1 %
        and one where they differ by 20 % keep their shapes: the scale is the spread, not
        the range, so one weak outlier does not squash the rest (what the selectors learn;
        see ``selectors/metamodel.py``).
        """
        raw = self.filled_scores(metric, rows)
        centred = raw.sub(raw.mean(axis=1), axis=0)
        spread = raw.std(axis=1, ddof=0).replace(0, np.nan)
        return centred.div(spread, axis=0).fillna(0.0)

    def at_sizes(self, min_configs: int = 2) -> MetaDataset:
        """One row per (dataset, training size): what a selector learns from to be told the
        size (the meta-model is asked about a table of n rows with ``SIZE_FEATURE`` = n).

        Each measured size of a dataset with at least ``min_configs`` configurations there
        becomes a dataset ``name@rows`` in the same family, with the dataset's
        meta-features plus ``SIZE_FEATURE``; a configuration not measured at that size
        (not promoted to it) carries its score from the largest smaller size it has (a
        learning curve rises, so this is a pessimistic estimate for a configuration that
        was behind anyway). Scores are the means over validation parts (``part`` 0).
        """
        perf = self.performance
        means = perf.groupby(["dataset", "metric", "rows", "config_id"])["value"].mean()
        rows_out, names, feats, infos = [], [], [], []
        info = self.datasets.set_index("name")
        for dataset in self.dataset_names:
            if dataset not in means.index.get_level_values(0):
                continue
            block = means.loc[dataset]
            counts = block.groupby(level=["metric", "rows"]).size().groupby(level="rows").max()
            sizes = [int(r) for r, c in counts.items() if c >= min_configs]
            for metric, curve in block.groupby(level="metric"):
                table = curve.droplevel("metric").unstack("config_id").sort_index().ffill()
                for size in sizes:
                    if size in table.index:
                        for config, value in table.loc[size].dropna().items():
                            rows_out.append((f"{dataset}@{size}", config, size, 0, metric, value))
            for size in sizes:
                name = f"{dataset}@{size}"
                names.append(name)
                feats.append({**self.metafeatures.loc[dataset].to_dict(), SIZE_FEATURE: size})
                infos.append({**info.loc[dataset].to_dict(), "name": name, "dataset": dataset})
        return MetaDataset(
            pd.DataFrame(feats, index=names),
            pd.DataFrame(rows_out, columns=list(self.PERFORMANCE_COLUMNS)),
            self.configs,
            pd.DataFrame(infos),
            None,
            self.maximize,
            {**self.info, "at_sizes": True},
        )

    def subset(self, datasets: list[str]) -> MetaDataset:
        """The same meta-dataset restricted to some datasets (e.g. training folds)."""
        keep = set(datasets)
        return MetaDataset(
            self.metafeatures.loc[[d for d in self.dataset_names if d in keep]],
            self.performance[self.performance["dataset"].isin(keep)],
            self.configs,
            self.datasets[self.datasets["name"].isin(keep)].reset_index(drop=True),
            self.units[self.units["dataset"].isin(keep)],
            self.maximize,
            self.info,
        )

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path, format: str = "csv") -> Path:
        """Write the folder layout described in the module docstring; return the folder."""
        if format not in ("csv", "parquet"):
            raise BadInputError(f"format must be 'csv' or 'parquet', not '{format}'.")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        perf_file = "performance.csv.gz" if format == "csv" else "performance.parquet"
        if format == "csv":
            self.performance.to_csv(out / perf_file, index=False)
        else:
            self.performance.to_parquet(out / perf_file, index=False)
        self.metafeatures.to_csv(out / "metafeatures.csv", index_label="dataset")
        self.units.to_csv(out / "units.csv", index=False)
        self.configs.to_csv(out / "configs.csv", index=False, quoting=csv.QUOTE_NONNUMERIC)
        self.datasets.to_csv(out / "datasets.csv", index=False)
        manifest = {
            **header(KIND),
            "performance_file": perf_file,
            "maximize": self.maximize,
            "metafeature_names": list(self.metafeatures.columns),
            "n_datasets": len(self.dataset_names),
            "n_configs": len(self.config_ids),
            "info": self.info,
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        return out

    @classmethod
    def load(cls, path: str | Path, scores: bool = True) -> MetaDataset:
        """Read a folder written by :meth:`save`; raise a clear error on any mismatch.

        ``scores=False`` skips the performance table (the largest file; reading it is most
        of the first load's seconds) for callers that need only the configurations, the
        datasets and the timings (the timing model): ``metrics`` then lists the timings.
        """
        root = Path(path)
        if not (root / "manifest.json").exists() and root.is_dir():
            raise WrongArtifactError(
                f"'{root}' is not an autometa {KINDS[KIND].what} (no manifest.json). Build one "
                "with `autometa build-metadata`."
            )
        if not root.exists():
            raise MissingArtifactError(f"Meta-dataset '{root}' does not exist.")
        manifest = read_json(root / "manifest.json", KIND)
        perf_path = root / manifest["performance_file"]
        if not scores:
            performance = pd.DataFrame(columns=list(cls.PERFORMANCE_COLUMNS))
        elif perf_path.suffix == ".parquet":
            performance = pd.read_parquet(perf_path)
        else:
            performance = pd.read_csv(perf_path, dtype={"dataset": str, "config_id": str})
        metafeatures = pd.read_csv(root / "metafeatures.csv", index_col="dataset")
        metafeatures.index = metafeatures.index.astype(str)
        if list(metafeatures.columns) != manifest["metafeature_names"]:
            raise WrongArtifactError(
                f"'{root}' is not an autometa meta-dataset (metafeatures.csv columns differ "
                "from the manifest)."
            )
        return cls(
            metafeatures,
            performance,
            pd.read_csv(root / "configs.csv", dtype=str),
            pd.read_csv(root / "datasets.csv", dtype={"name": str, "family": str}),
            pd.read_csv(root / "units.csv", dtype={"dataset": str, "message": str}),
            manifest["maximize"],
            manifest.get("info", {}),
        )

    @classmethod
    def from_aslib(cls, scenario: str | Path) -> MetaDataset:
        """Read an ASlib scenario folder (feature_values, algorithm_runs, cv .arff files).

        Each algorithm becomes a configuration of its own family; the scenario's
        performance measure becomes the metric; the official CV fold of every instance is
        kept in ``datasets["cv_fold"]`` (and as its family, so fold-wise evaluation is
        family-wise evaluation).
        """
        from autometa.metadataset.aslib import read_scenario

        return cls(*read_scenario(scenario))
