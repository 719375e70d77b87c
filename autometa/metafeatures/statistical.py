"""Statistical meta-features of the numeric columns: moments, correlation, PCA, outliers.

Moments follow scipy.stats defaults (biased skewness, Fisher kurtosis); standard deviation
uses ddof=1 (as OpenML and PyMFE). All are computed on the statistical sample (see
pieces.py) over non-missing values.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import BOTH, MetaFeature, summaries

__all__ = ["FEATURES"]

OPENML = "OpenML data quality"
ASKL = "auto-sklearn meta-feature (Feurer et al. 2015)"
NO_NUM = "the table has no numeric column"
NO_VAR = "no numeric column varies (in the sample)"
FEW_NUM = "fewer than two non-constant numeric columns"


def _pca_fraction_95(p: Pieces) -> float:
    ev = p.pca["eigenvalues"]
    if len(ev) == 0 or ev.sum() == 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(ev) / ev.sum(), 0.95) + 1)
    return min(k, len(ev)) / len(ev)


def _pca_first_ratio(p: Pieces) -> float:
    ev = p.pca["eigenvalues"]
    return float(ev[0] / ev.sum()) if len(ev) and ev.sum() > 0 else float("nan")


def _first_pc_moment(p: Pieces, power: int) -> float:
    s = p.pca["first"]
    if len(s) == 0 or s.std() == 0:
        return float("nan")
    z = (s - s.mean()) / s.std()
    return float(np.mean(z**power) - (3.0 if power == 4 else 0.0))


def _outlier_fractions(p: Pieces) -> np.ndarray:
    x = p.numeric
    out = np.full(x.shape[1], np.nan)
    for j in range(x.shape[1]):
        col = x[~np.isnan(x[:, j]), j]
        if len(col):
            q1, q3 = np.quantile(col, [0.25, 0.75])
            iqr = q3 - q1
            out[j] = np.mean((col < q1 - 1.5 * iqr) | (col > q3 + 1.5 * iqr))
    return out


def _mean_or_nan(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


FEATURES: list[MetaFeature] = [
    *summaries("{}MeansOfNumericAtts", "statistical", lambda p: p.moments["mean"], OPENML, NO_NUM),
    *summaries("{}StdDevOfNumericAtts", "statistical", lambda p: p.moments["std"], OPENML, NO_NUM),
    *summaries("{}SkewnessOfNumericAtts", "statistical", lambda p: p.moments["skew"], OPENML, NO_VAR),
    *summaries("{}KurtosisOfNumericAtts", "statistical", lambda p: p.moments["kurt"], OPENML, NO_VAR),
    MetaFeature("MeanAbsCorrelation", "statistical", lambda p: _mean_or_nan(p.abs_correlations),
                "mean |Pearson r| over numeric column pairs (PyMFE cor, mean)", FEW_NUM),
    MetaFeature("MaxAbsCorrelation", "statistical",
                lambda p: float(p.abs_correlations.max()) if len(p.abs_correlations) else float("nan"),
                "max |Pearson r| over numeric column pairs", FEW_NUM),
    MetaFeature("PCAFractionOfComponentsFor95PercentVariance", "statistical", _pca_fraction_95, ASKL, FEW_NUM),
    MetaFeature("PCAFirstComponentVarianceRatio", "statistical", _pca_first_ratio,
                "share of variance on the first principal component", FEW_NUM),
    MetaFeature("PCASkewnessFirstPC", "statistical", lambda p: _first_pc_moment(p, 3), ASKL, FEW_NUM),
    MetaFeature("PCAKurtosisFirstPC", "statistical", lambda p: _first_pc_moment(p, 4), ASKL, FEW_NUM),
    MetaFeature("MeanOutlierFractionOfNumericAtts", "statistical",
                lambda p: _mean_or_nan(_outlier_fractions(p)),
                "share of values beyond 1.5 IQR of the quartiles (Tukey), mean over columns", NO_NUM),
    MetaFeature("StatisticalSampleSize", "statistical", lambda p: float(p.n_stat),
                "autometa: rows in the statistical sample"),
]  # fmt: skip
# None of these reads the target: defined for regression too.
FEATURES = [replace(f, tasks=BOTH) for f in FEATURES]
