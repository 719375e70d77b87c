"""MetaDataset: meta-features of many datasets plus the performance of many configurations.

On disk a meta-dataset is a folder of plain files, read by :meth:`MetaDataset.load` only:

- ``manifest.json``: schema_version, name, metrics (and whether each is maximised),
  meta-feature names, build settings, file format;
- ``metafeatures.csv``: one row per dataset (index ``dataset``), one column per feature;
- ``performance.csv.gz`` (or ``.parquet``): long form ``dataset, config_id, fold, metric,
  value``;
- ``units.csv``: ``dataset, config_id, status, message, seconds`` for every unit;
- ``configs.csv``: ``config_id, family, params`` (params as JSON text);
- ``datasets.csv``: ``name, family, source, n_rows, n_rows_used, n_features, n_classes...``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError, IncompatibleArtifactError

__all__ = ["SCHEMA_VERSION", "MetaDataset"]

SCHEMA_VERSION = 1
MAXIMIZE = {
    "accuracy": True,
    "balanced_accuracy": True,
    "roc_auc": True,
    "log_loss": False,
    "fit_seconds": False,
    "predict_seconds": False,
}


class MetaDataset:
    """Meta-features F (datasets x features) and performance P (datasets x configs x metric).

    Parameters
    ----------
    metafeatures : DataFrame, shape (n_datasets, n_features)
        Index: dataset names.
    performance : DataFrame
        Long form with columns dataset, config_id, fold, metric, value.
    configs : DataFrame
        config_id, family, params (JSON text).
    datasets : DataFrame
        name, family, source and sizes; one row per dataset.
    units : DataFrame, optional
        dataset, config_id, status, message, seconds.
    maximize : dict, optional
        metric -> True when larger is better (defaults to MAXIMIZE).
    info : dict, optional
        Free-form provenance (build settings, source scenario...).
    """

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
        self.units = (
            units
            if units is not None
            else pd.DataFrame(columns=["dataset", "config_id", "status", "message", "seconds"])
        )
        self.maximize = dict(MAXIMIZE if maximize is None else maximize)
        self.info = dict(info or {})

    def __repr__(self) -> str:
        return (
            f"MetaDataset({len(self.dataset_names)} datasets x {len(self.config_ids)} configs, "
            f"{self.metafeatures.shape[1]} meta-features, metrics: {', '.join(self.metrics)})"
        )

    @property
    def dataset_names(self) -> list[str]:
        return list(self.datasets["name"])

    @property
    def config_ids(self) -> list[str]:
        return list(self.configs["config_id"])

    @property
    def metrics(self) -> list[str]:
        return sorted(self.performance["metric"].unique())

    def scores(self, metric: str = "accuracy") -> pd.DataFrame:
        """Mean over folds, shape (n_datasets, n_configs); NaN where a unit failed."""
        if metric not in self.metrics:
            raise BadInputError(f"Unknown metric '{metric}'; this meta-dataset has {self.metrics}.")
        perf = self.performance[self.performance["metric"] == metric]
        table = perf.groupby(["dataset", "config_id"])["value"].mean().unstack("config_id")
        return table.reindex(index=self.dataset_names, columns=self.config_ids)

    def normalized_scores(self, metric: str = "accuracy") -> pd.DataFrame:
        """Per dataset, 1 for the best config and 0 for the worst; failed units score 0."""
        raw = self.scores(metric)
        if not self.maximize.get(metric, True):
            raw = -raw
        lo, hi = raw.min(axis=1), raw.max(axis=1)
        span = (hi - lo).replace(0, np.nan)
        norm = raw.sub(lo, axis=0).div(span, axis=0)
        norm = norm.mask(raw.notna() & norm.isna(), 1.0)  # every config scored the same
        return norm.fillna(0.0)  # failed units

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
            "schema_version": SCHEMA_VERSION,
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
    def load(cls, path: str | Path) -> MetaDataset:
        """Read a folder written by :meth:`save`; raise a clear error on any mismatch."""
        root = Path(path)
        manifest_path = root / "manifest.json"
        if not manifest_path.exists():
            raise IncompatibleArtifactError(
                f"'{root}' is not a meta-dataset folder (no manifest.json). Build one with "
                "`autometa build-metadata`."
            )
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise IncompatibleArtifactError(
                f"Meta-dataset '{root}' has schema version {manifest.get('schema_version')}; "
                f"this autometa reads version {SCHEMA_VERSION}. Rebuild it."
            )
        perf_path = root / manifest["performance_file"]
        if perf_path.suffix == ".parquet":
            performance = pd.read_parquet(perf_path)
        else:
            performance = pd.read_csv(perf_path, dtype={"dataset": str, "config_id": str})
        metafeatures = pd.read_csv(root / "metafeatures.csv", index_col="dataset")
        metafeatures.index = metafeatures.index.astype(str)
        if list(metafeatures.columns) != manifest["metafeature_names"]:
            raise IncompatibleArtifactError(
                f"Meta-dataset '{root}': metafeatures.csv columns differ from the manifest."
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
        root = Path(scenario)
        needed = ["feature_values.arff", "algorithm_runs.arff"]
        missing = [f for f in needed if not (root / f).exists()]
        if missing:
            raise BadInputError(
                f"'{root}' is not an ASlib scenario (missing {', '.join(missing)})."
            )
        features = _read_arff(root / "feature_values.arff")
        features = features.groupby("instance_id").first().drop(columns=["repetition"])
        features = features.apply(pd.to_numeric, errors="coerce")
        runs = _read_arff(root / "algorithm_runs.arff")
        fixed = ("instance_id", "repetition", "algorithm", "runstatus")
        measure = next(c for c in runs.columns if c not in fixed)
        runs[measure] = pd.to_numeric(runs[measure], errors="coerce")
        ok = runs["runstatus"] == "ok"
        performance = pd.DataFrame(
            {"dataset": runs["instance_id"], "config_id": runs["algorithm"],
             "fold": runs["repetition"].astype(float).astype(int) - 1, "metric": measure,
             "value": runs[measure].where(ok)}
        )  # fmt: skip
        algorithms = sorted(runs["algorithm"].unique())
        configs = pd.DataFrame(
            {
                "config_id": algorithms,
                "family": [a.split("_", 1)[-1] for a in algorithms],
                "params": "{}",
            }
        )
        names = sorted(features.index)
        folds = {}
        if (root / "cv.arff").exists():
            cv = _read_arff(root / "cv.arff")
            folds = dict(zip(cv["instance_id"], cv["fold"].astype(float).astype(int), strict=True))
        datasets = pd.DataFrame(
            {"name": names, "family": [f"fold{folds.get(n, 0)}" for n in names],
             "source": "aslib", "cv_fold": [folds.get(n, 0) for n in names]}
        )  # fmt: skip
        units = pd.DataFrame(
            {"dataset": runs["instance_id"], "config_id": runs["algorithm"],
             "status": runs["runstatus"], "message": "", "seconds": np.nan}
        )  # fmt: skip
        return cls(
            features.loc[names],
            performance,
            configs,
            datasets,
            units,
            {measure: True},
            {"source": "aslib", "scenario": root.name},
        )


def _read_arff(path: Path) -> pd.DataFrame:
    """Minimal ARFF reader (numeric, string and nominal attributes; '?' is missing)."""
    names: list[str] = []
    rows: list[list[str]] = []
    in_data = False
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            text = line.strip()
            if not text or text.startswith("%"):
                continue
            if in_data:
                rows.append(next(csv.reader([text], quotechar="'", skipinitialspace=True)))
            elif text.lower().startswith("@attribute"):
                names.append(text.split()[1].strip("'\""))
            elif text.lower().startswith("@data"):
                in_data = True
    frame = pd.DataFrame(rows, columns=names).replace("?", np.nan)
    frame["instance_id"] = frame["instance_id"].astype(str)
    return frame
