"""Predicted costs of every configuration, learned from the meta-dataset's curve points:
fit seconds, predict seconds per 1,000 rows, and peak memory of a fit.

Two small log-log models per configuration and quantity (ridge least squares):

    log(quantity) ~ 1 + log(training rows) + log(features + 1) + log(classes)

one on all the points, one on the points of at least ``LARGE_ROWS`` training rows; the
prediction is the larger of the two. Fixed costs (imports, checks, one call of the
learner) flatten a single line's slope in rows: fitted on all points, the fit seconds of
the at-size rungs (64,000 to 1,000,000 rows) were off by a median factor of 6.6 (too low;
each table held out; ``python -m benchmarks.cost_models``), while the line of the large
points alone under-predicts small fits. Both are fitted on what the builder recorded at
every point of every learning curve (``units``: training rows, ``fit_seconds``,
``predict_seconds``, ``peak_mb``). Predict seconds are divided by the rows the point
predicted (``curves.validation_rows``), so the model gives seconds per 1,000 predicted
rows as a function of the training rows: a k-NN's predictions slow down with the rows it
was trained on, a forest's barely do.

A configuration with fewer than ``MIN_POINTS`` points of a quantity (peak memory is
measured only by the at-size build, on 18 tables) takes its family's models, pooled over
the family's points, else the median configuration's. Beyond the largest training size
the slope in rows is that of the large points' model, at least ``MIN_EXPONENT``. The
search plans its time with the upper end of a prediction (mean + one residual standard
deviation). A guide, not a promise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadataset.curves import validation_rows
from autometa.metadataset.metadata import MetaDataset

__all__ = ["QUANTITIES", "LearnedCostModel", "Quantity", "design"]

Quantity = Literal["fit_seconds", "predict_seconds", "peak_mb"]
QUANTITIES: tuple[Quantity, ...] = ("fit_seconds", "predict_seconds", "peak_mb")
RIDGE = 1e-2
FLOOR = {"fit_seconds": 1e-3, "predict_seconds": 1e-4, "peak_mb": 0.1}
# Beyond the largest training size, per quantity and family: how the quantity grows with
# rows at least. A fit's time grows at least linearly (a kernel SVM's about
# quadratically); a k-NN's predictions scan its training rows, other models' barely
# depend on them; a fit holds at least a copy of its rows.
MIN_EXPONENT: dict[str, dict[str, float]] = {
    "fit_seconds": {"svc_rbf": 2.0, "svr_rbf": 2.0},
    "predict_seconds": {"knn": 1.0, "svc_rbf": 1.0, "svr_rbf": 1.0},
    "peak_mb": {},
}
DEFAULT_MIN_EXPONENT = {"fit_seconds": 1.0, "predict_seconds": 0.0, "peak_mb": 1.0}
COEFFICIENTS = ["intercept", "log_rows", "log_features", "log_classes"]
LARGE_ROWS = 4000
# Fewest points for a model of its own: peak memory has a few points per configuration
# (18 tables), too few for four coefficients; its families have 13 to 116.
MIN_POINTS = {"fit_seconds": 6, "predict_seconds": 6, "peak_mb": 30}
Model = tuple[np.ndarray, float]  # coefficients (4,), residual spread of the log quantity


def design(rows: np.ndarray, features: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The regressors of the models, shape (n, 4): 1, log rows, log(features + 1), log classes."""
    rows, features, classes = (
        np.atleast_1d(np.asarray(a, dtype=float)) for a in (rows, features, classes)
    )
    return np.column_stack(
        [
            np.ones_like(rows),
            np.log(np.maximum(rows, 2)),
            np.log1p(features),
            np.log(np.maximum(classes, 2)),
        ]
    )


def per_group(points: pd.DataFrame, column: str, floor: float, min_points: int) -> dict[str, Model]:
    """A ridge model of the log value per group of ``points[column]`` with at least
    ``min_points`` points (and more than the coefficients)."""
    out = {}
    for name, group in points.groupby(column):
        if len(group) < max(min_points, len(COEFFICIENTS) + 2):
            continue
        A = design(*(group[c].to_numpy(float) for c in ("rows", "n_features", "n_classes")))
        y = np.log(np.maximum(group["value"].to_numpy(float), floor))
        beta = np.linalg.solve(A.T @ A + RIDGE * np.eye(A.shape[1]), A.T @ y)
        out[str(name)] = (beta, float(np.std(y - A @ beta)))
    return out


class LearnedCostModel:
    """Per-configuration model of one cost quantity vs rows, features and classes.

    Parameters
    ----------
    quantity : {"fit_seconds", "predict_seconds", "peak_mb"}
        Seconds of one fit; seconds of predicting 1,000 rows; MiB of memory a fit takes
        above the process's before it.

    Attributes (after ``fit``)
    --------------------------
    coef_, coef_large_ : DataFrame, shape (n_configs, 4)
        Intercept and slopes on log rows, log(features + 1), log classes: fitted on all
        points, and on the points of at least ``LARGE_ROWS`` rows.
    sigma_, sigma_large_ : Series, shape (n_configs,)
        Their residual standard deviations of the log quantity.
    source_ : Series, shape (n_configs,)
        Where each configuration's all-points model comes from: "own", "family" or
        "median".
    """

    def __init__(self, quantity: Quantity = "fit_seconds") -> None:
        if quantity not in QUANTITIES:
            raise BadInputError(f"quantity must be one of {QUANTITIES}, not {quantity!r}.")
        self.quantity = quantity

    def points(self, meta: MetaDataset) -> pd.DataFrame:
        """The curve points this model learns from: dataset, config_id, family, rows,
        n_features, n_classes and ``value`` (the quantity, finite and > 0)."""
        if self.quantity not in meta.units:
            raise BadInputError(f"This meta-dataset has no {self.quantity} column.")
        units = meta.units[meta.units["status"] == "ok"]
        info = meta.datasets.set_index("name")
        points = units.join(info[["n_features", "n_classes"]], on="dataset")
        points = points.join(meta.configs.set_index("config_id")["family"], on="config_id")
        value = points[self.quantity].to_numpy(float)
        if self.quantity == "predict_seconds":  # per 1,000 predicted rows
            table_rows = info["n_rows_used" if "n_rows_used" in info else "n_rows"]
            predicted = points["dataset"].map(table_rows.map(lambda n: validation_rows(int(n))))
            value = value / (predicted.to_numpy(float) / 1000)
        points = points.assign(value=value)
        keep = np.isfinite(value) & (value > 0)
        return points.loc[keep, ["dataset", "config_id", "family", "rows", "n_features",
                                 "n_classes", "value"]]  # fmt: skip

    def fit(self, meta: MetaDataset) -> LearnedCostModel:
        """Learn from ``meta``'s curve points (see :meth:`points`)."""
        points = self.points(meta)
        if points.empty:
            raise BadInputError(f"The meta-dataset has no {self.quantity} to model.")
        families = meta.configs.set_index("config_id")["family"].astype(str)
        pieces = [
            self._models(points, meta.config_ids, families),
            self._models(points[points["rows"] >= LARGE_ROWS], meta.config_ids, families),
        ]
        ids = meta.config_ids
        self.coef_, self.coef_large_ = (
            pd.DataFrame([m[c][0] for c in ids], index=ids, columns=COEFFICIENTS) for m, _ in pieces
        )
        self.sigma_, self.sigma_large_ = (pd.Series([m[c][1] for c in ids], index=ids)
                                          for m, _ in pieces)  # fmt: skip
        self.source_ = pieces[0][1]
        minimum = MIN_EXPONENT[self.quantity]
        default = DEFAULT_MIN_EXPONENT[self.quantity]
        self.min_exponent_ = pd.Series({c: minimum.get(families.get(c, ""), default) for c in ids})
        self.max_rows_ = float(points["rows"].max())
        return self

    def _models(
        self, points: pd.DataFrame, config_ids: list[str], families: pd.Series
    ) -> tuple[dict[str, Model], pd.Series]:
        """One model per configuration (its own, its family's or the median
        configuration's) and where each came from."""
        floor, least = FLOOR[self.quantity], MIN_POINTS[self.quantity]
        own = per_group(points, "config_id", floor, least)
        pooled = per_group(points, "family", floor, least)
        models = list((own or pooled).values())
        if not models:
            raise BadInputError(
                f"Too few {self.quantity} points in the meta-dataset to model them."
            )
        median = (np.median([b for b, _ in models], axis=0),
                  float(np.median([s for _, s in models])))  # fmt: skip
        out, source = {}, {}
        for config in config_ids:
            family = families.get(config, "")
            if config in own:
                out[config], source[config] = own[config], "own"
            elif family in pooled:
                out[config], source[config] = pooled[family], "family"
            else:
                out[config], source[config] = median, "median"
        return out, pd.Series(source)

    def predict(
        self, rows: float, features: float, classes: float, upper: bool = False
    ) -> pd.Series:
        """The predicted quantity of every configuration trained on ``rows`` rows, shape
        (n_configs,): the larger of the two models' predictions.

        ``upper=True`` gives the mean plus one residual standard deviation (in log space).
        """
        self._check_fitted()
        inside = min(float(rows), self.max_rows_)
        x = design(np.array([inside]), np.array([features]), np.array([classes]))[0]
        log_q = np.maximum(
            self.coef_.to_numpy() @ x + (self.sigma_.to_numpy() if upper else 0.0),
            self.coef_large_.to_numpy() @ x + (self.sigma_large_.to_numpy() if upper else 0.0),
        )
        if rows > self.max_rows_:
            log_q = log_q + self.exponents().to_numpy() * np.log(rows / self.max_rows_)
        return pd.Series(np.exp(log_q), index=self.coef_.index, name=self.quantity)

    def exponents(self) -> pd.Series:
        """Per configuration, how the quantity grows with rows on large tables: the slope
        in log rows of the large points' model, at least ``MIN_EXPONENT``. The search
        scales a measured fit time to more rows with the same exponent."""
        self._check_fitted()
        slope = self.coef_large_["log_rows"]
        return pd.Series(
            np.maximum(slope, self.min_exponent_.reindex(slope.index)), name="exponent"
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise BadInputError("LearnedCostModel is not fitted; call fit(meta) first.")
