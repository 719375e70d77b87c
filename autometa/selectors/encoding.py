"""Numeric encodings the meta-model learns from: scaled meta-features, described configs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FeatureScaler", "config_matrix"]


@dataclass
class FeatureScaler:
    """Signed log1p, then robust scaling (median / IQR), clipped to [-5, 5]; NaN -> 0 (the
    median) plus a missing-indicator column for each feature that had NaNs in training.
    Features constant in training are dropped.

    Attributes
    ----------
    names : list of str
        Meta-feature names, in input order.
    keep : array of bool, shape (n_names,)
    median, iqr : arrays, shape (n_kept,)
    indicators : list of str
        Kept features that get a missing-indicator column.
    """

    names: list[str]
    keep: np.ndarray
    median: np.ndarray
    iqr: np.ndarray
    indicators: list[str]

    @classmethod
    def fit(cls, F: pd.DataFrame) -> FeatureScaler:
        z = _signed_log(F.to_numpy(dtype=float))
        with np.errstate(all="ignore"):
            lo, hi = np.nanmin(z, axis=0), np.nanmax(z, axis=0)
        keep = np.isfinite(lo) & (hi > lo)
        zk = z[:, keep]
        median = np.nanmedian(zk, axis=0)
        q1, q3 = np.nanpercentile(zk, [25, 75], axis=0)
        iqr = q3 - q1
        std = np.nanstd(zk, axis=0)
        iqr = np.where(iqr > 0, iqr, np.where(std > 0, std, 1.0))
        names = list(F.columns)
        kept = [n for n, k in zip(names, keep, strict=True) if k]
        indicators = [n for n, col in zip(kept, zk.T, strict=True) if np.isnan(col).any()]
        return cls(names, keep, median, iqr, indicators)

    @property
    def kept_names(self) -> list[str]:
        return [n for n, k in zip(self.names, self.keep, strict=True) if k]

    @property
    def output_names(self) -> list[str]:
        return self.kept_names + [f"{n} is missing" for n in self.indicators]

    def transform(self, F: pd.DataFrame) -> np.ndarray:
        """Shape (n_datasets, n_kept + n_indicators), float32."""
        z = _signed_log(F.reindex(columns=self.names).to_numpy(dtype=float))[:, self.keep]
        scaled = np.clip((z - self.median) / self.iqr, -5.0, 5.0)
        missing = np.isnan(scaled)
        cols = [self.kept_names.index(n) for n in self.indicators]
        out = np.hstack([np.where(missing, 0.0, scaled), missing[:, cols].astype(float)])
        return out.astype(np.float32)

    def to_dict(self) -> dict[str, object]:
        return {"names": self.names, "keep": self.keep.tolist(), "median": self.median.tolist(),
                "iqr": self.iqr.tolist(), "indicators": self.indicators}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> FeatureScaler:
        return cls(list(d["names"]), np.array(d["keep"], dtype=bool), np.array(d["median"]),
                   np.array(d["iqr"]), list(d["indicators"]))  # fmt: skip


def _signed_log(x: np.ndarray) -> np.ndarray:
    """Compress heavy tails (instance counts, ratios) while keeping the sign."""
    return np.sign(x) * np.log1p(np.abs(x))


def config_matrix(configs: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Describe configurations by id, family and hyperparameters.

    Parameters
    ----------
    configs : DataFrame
        config_id, family, params (JSON text), one row per configuration.

    Returns
    -------
    matrix : array, shape (n_configs, n_columns), float32
        One-hot config id and family; each numeric hyperparameter as log10 (positive
        values) in its own column (0 when the config does not set it, with a "set" flag);
        each text / bool hyperparameter value as a one-hot column; list values (layer
        sizes) as their length and log10 of their sum.
    names : list of str
        Column names.
    """
    rows: list[dict[str, float]] = []
    for _, row in configs.iterrows():
        cols = {f"id={row['config_id']}": 1.0, f"family={row['family']}": 1.0}
        for key, value in json.loads(row["params"] or "{}").items():
            if isinstance(value, bool) or isinstance(value, str) or value is None:
                cols[f"{key}={value}"] = 1.0
            elif isinstance(value, list):
                cols[f"{key}:len"] = float(len(value))
                cols[f"{key}:log_sum"] = float(np.log10(max(sum(value), 1)))
            else:
                v = float(value)
                cols[f"{key}:log"] = float(np.log10(v)) if v > 0 else 0.0
                cols[f"{key}:set"] = 1.0
        rows.append(cols)
    frame = pd.DataFrame(rows).fillna(0.0)
    return frame.to_numpy(dtype=np.float32), list(frame.columns)
