"""Predicted fit seconds of every configuration, learned from the meta-dataset's timings.

One small log-log model per configuration (ridge least squares):

    log(fit seconds) ~ 1 + log(training rows) + log(features + 1) + log(classes)

fitted on the per-fold fit times the builder recorded on every dataset (a fold trains on
``(folds - 1) / folds`` of the rows used). The search plans with the upper end of the
prediction (mean + one residual standard deviation) times a machine factor it measures as
it goes. Beyond the largest training table (the shipped meta-dataset caps datasets at
2,000 rows) the slope in rows is at least 1 (2 for kernel SVMs): small tables flatten the
fitted slope with fixed costs. A guide, not a promise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadata import MetaDataset

__all__ = ["FitTimeModel"]

RIDGE = 1e-2
MIN_SECONDS = 1e-3
# Beyond the largest training table the fitted slope in rows (flattened by fixed costs on
# small tables) is raised to at least this exponent: fit time grows at least linearly in
# rows, and about quadratically for kernel SVMs.
MIN_EXPONENT = {"svc_rbf": 2.0}
DEFAULT_MIN_EXPONENT = 1.0


def _design(rows: np.ndarray, features: np.ndarray, classes: np.ndarray) -> np.ndarray:
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


class FitTimeModel:
    """Per-configuration model of fit seconds vs rows, features and classes.

    Attributes (after ``fit``)
    --------------------------
    coef_ : DataFrame, shape (n_configs, 4)
        Intercept and slopes on log rows, log(features + 1), log classes.
    sigma_ : Series, shape (n_configs,)
        Residual standard deviation of log seconds.
    """

    def fit(self, meta: MetaDataset, folds: int | None = None) -> FitTimeModel:
        """Learn from ``meta``'s fit_seconds (needs the builder's ``datasets`` table)."""
        if "fit_seconds" not in meta.metrics:
            raise BadInputError(
                "This meta-dataset has no fit_seconds; it cannot predict fit times."
            )
        folds = folds or int(meta.info.get("settings", {}).get("folds", 3))
        times = meta.scores("fit_seconds")  # datasets x configs, mean over folds
        info = meta.datasets.set_index("name").reindex(times.index)
        rows = info["n_rows_used"].to_numpy(float) * (folds - 1) / folds
        A = _design(rows, info["n_features"].to_numpy(float), info["n_classes"].to_numpy(float))
        coef, sigma = {}, {}
        for config in times.columns:
            t = times[config].to_numpy(float)
            ok = np.isfinite(t) & (t > 0)
            if ok.sum() < A.shape[1] + 2:  # too few timings: the median configuration's model
                continue
            Ao, yo = A[ok], np.log(np.maximum(t[ok], MIN_SECONDS))
            beta = np.linalg.solve(Ao.T @ Ao + RIDGE * np.eye(A.shape[1]), Ao.T @ yo)
            coef[config] = beta
            sigma[config] = float(np.std(yo - Ao @ beta))
        if not coef:
            raise BadInputError("Too few fit timings in the meta-dataset to model fit times.")
        fallback = np.median(np.array(list(coef.values())), axis=0)
        fallback_sigma = float(np.median(list(sigma.values())))
        for config in times.columns:
            coef.setdefault(config, fallback)
            sigma.setdefault(config, fallback_sigma)
        families = meta.configs.set_index("config_id")["family"]
        self.min_exponent_ = pd.Series(
            {c: MIN_EXPONENT.get(str(families.get(c)), DEFAULT_MIN_EXPONENT) for c in times.columns}
        )
        self.max_rows_ = float(np.max(rows))
        self.coef_ = pd.DataFrame(
            coef, index=["intercept", "log_rows", "log_features", "log_classes"]
        ).T
        self.sigma_ = pd.Series(sigma)
        return self

    def predict(
        self, rows: float, features: float, classes: float, upper: bool = False
    ) -> pd.Series:
        """Predicted fit seconds of every configuration, shape (n_configs,).

        ``upper=True`` gives the mean plus one residual standard deviation (in log space).
        """
        if not hasattr(self, "coef_"):
            raise BadInputError("FitTimeModel is not fitted; call fit(meta) first.")
        inside = min(float(rows), self.max_rows_)
        x = _design(np.array([inside]), np.array([features]), np.array([classes]))[0]
        log_t = self.coef_.to_numpy() @ x + (self.sigma_.to_numpy() if upper else 0.0)
        if rows > self.max_rows_:
            slope = np.maximum(self.coef_["log_rows"].to_numpy(), self.min_exponent_.to_numpy())
            log_t = log_t + slope * np.log(rows / self.max_rows_)
        return pd.Series(np.exp(log_t), index=self.coef_.index, name="fit_seconds")
