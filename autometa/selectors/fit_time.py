"""Predicted fit seconds of every configuration, learned from the meta-dataset's timings.

One small log-log model per configuration (ridge least squares):

    log(fit seconds) ~ 1 + log(training rows) + log(features + 1) + log(classes)

fitted on the fit times the builder recorded at every point of every learning curve
(``units``: training rows, fit seconds). The search plans with the upper end of the
prediction (mean + one residual standard deviation) times a machine factor it measures as
it goes. Beyond the largest training table (the shipped meta-dataset caps datasets at
2,000 rows) the slope in rows is at least 1 (2 for kernel SVMs): small tables flatten the
fitted slope with fixed costs. A guide, not a promise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autometa.exceptions import BadInputError
from autometa.metadataset.metadata import MetaDataset

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

    def fit(self, meta: MetaDataset) -> FitTimeModel:
        """Learn from ``meta``'s curve points (``units``: rows, fit_seconds; the sizes come
        from the ``datasets`` table)."""
        if "fit_seconds" not in meta.metrics:
            raise BadInputError(
                "This meta-dataset has no fit_seconds; it cannot predict fit times."
            )
        units = meta.units[meta.units["status"] == "ok"]
        info = meta.datasets.set_index("name")
        points = units.join(info[["n_features", "n_classes"]], on="dataset")
        coef, sigma = {}, {}
        all_rows: list[float] = []
        by_config = dict(tuple(points.groupby("config_id")))
        for config in meta.config_ids:
            own = by_config.get(config, points.iloc[:0])
            t = own["fit_seconds"].to_numpy(float)
            ok = np.isfinite(t) & (t > 0)
            A = _design(own["rows"].to_numpy(float), own["n_features"].to_numpy(float),
                        own["n_classes"].to_numpy(float))  # fmt: skip
            all_rows.extend(own["rows"].to_numpy(float)[ok])
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
        for config in meta.config_ids:
            coef.setdefault(config, fallback)
            sigma.setdefault(config, fallback_sigma)
        families = meta.configs.set_index("config_id")["family"]
        self.min_exponent_ = pd.Series(
            {
                c: MIN_EXPONENT.get(str(families.get(c)), DEFAULT_MIN_EXPONENT)
                for c in meta.config_ids
            }
        )
        self.max_rows_ = float(np.max(all_rows))
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
            slope = self.exponents().to_numpy()
            log_t = log_t + slope * np.log(rows / self.max_rows_)
        return pd.Series(np.exp(log_t), index=self.coef_.index, name="fit_seconds")

    def exponents(self) -> pd.Series:
        """Per configuration, how fit time grows with rows beyond the training tables:
        the fitted slope in log rows, at least 1 (2 for kernel SVMs). The search scales
        a measured fit time to more rows with the same exponent."""
        if not hasattr(self, "coef_"):
            raise BadInputError("FitTimeModel is not fitted; call fit(meta) first.")
        slope = self.coef_["log_rows"]
        return pd.Series(
            np.maximum(slope, self.min_exponent_.reindex(slope.index)), name="exponent"
        )
