"""Shared precomputed pieces that meta-feature functions read (each computed once, lazily).

Sampling (documented, recorded as meta-features): the simple group always sees every row;
the statistical, information, complexity and target groups see a stratified sample of at most
``max_cells / n_columns`` rows (20 million cells: bounded memory on any table), of which
PCA and correlations use a stratified 1,000; the landmarkers see a stratified sample of at
most ``max_rows_landmarking`` rows and at most 256 encoded columns (a seeded random
subset on wider tables). Samples of a regression table are stratified by quantile bins of
the target (``Task.strata``), which also stand in for the class in the information group.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from autometa.table.sampling import stratified_subsample
from autometa.table.tabular import Task

__all__ = ["Pieces"]

N_BINS = 10
_CHUNK = 4  # columns per moment computation: temporaries stay at 4 x n_rows floats
MAX_LANDMARK_COLUMNS = 256


class Pieces:
    """Lazily computed views of one Task shared by all meta-feature functions.

    Parameters
    ----------
    task : Task
    random_state : int
        Seeds the samples and the randomised landmarkers.
    max_cells : int
        Row budget of the statistical groups is ``max_cells // n_columns``.
    max_rows_landmarking : int
    landmark_budget : float
        Seconds the landmarkers may take together; those not started in time are NaN.
    """

    def __init__(
        self,
        task: Task,
        random_state: int = 0,
        max_cells: int = 20_000_000,
        max_rows_landmarking: int = 2000,
        landmark_budget: float = 10.0,
    ) -> None:
        self.task = task
        self.random_state = random_state
        self.max_cells = max_cells
        self.max_rows_landmarking = max_rows_landmarking
        self.landmark_budget = landmark_budget
        self.landmark_results: dict[str, dict[str, float]] = {}

    # ---------------------------------------------------------------- whole table
    @cached_property
    def n(self) -> int:
        return len(self.task.y)

    @cached_property
    def y_codes(self) -> np.ndarray:
        codes, _ = pd.factorize(self.task.y, sort=True)
        return codes.astype(np.int64)

    @cached_property
    def strata(self) -> np.ndarray:
        """Codes to stratify samples by: the class codes, or the target's quantile bins."""
        if self.task.kind == "classification":
            return self.y_codes
        return pd.factorize(self.task.strata, sort=True)[0].astype(np.int64)

    @cached_property
    def y_values(self) -> np.ndarray:
        """The regression target as floats (whole table)."""
        return self.task.y.to_numpy(dtype=float)

    @cached_property
    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y_codes)

    @cached_property
    def n_classes(self) -> int:
        return len(self.class_counts)

    @cached_property
    def missing(self) -> np.ndarray:
        """Boolean (n_rows, n_columns) mask of missing values over the whole table."""
        return self.task.X.isna().to_numpy()

    @cached_property
    def n_unique(self) -> np.ndarray:
        """Distinct non-missing values of every column (whole table)."""
        return self.task.X.nunique(dropna=True).to_numpy()

    @cached_property
    def levels(self) -> np.ndarray:
        """Distinct values of each categorical column (whole table)."""
        is_cat = np.array([k == "categorical" for k in self.task.kinds.values()], dtype=bool)
        return self.n_unique[is_cat].astype(float)

    # ---------------------------------------------------------------- statistical sample
    @cached_property
    def stat_rows(self) -> np.ndarray:
        size = max(1000, self.max_cells // max(1, self.task.X.shape[1]))
        return stratified_subsample(self.strata, size, self.random_state)

    @cached_property
    def n_stat(self) -> int:
        return len(self.stat_rows)

    @cached_property
    def y_stat(self) -> np.ndarray:
        """Class codes (or target bins) of the statistical sample."""
        return self.strata[self.stat_rows]

    @cached_property
    def numeric(self) -> np.ndarray:
        """Numeric columns of the sample, shape (n_stat, n_numeric), NaN where missing."""
        cols = self.task.numeric_columns
        frame = self.task.X[cols].iloc[self.stat_rows]
        return frame.to_numpy(dtype=float) if cols else np.empty((self.n_stat, 0))

    @cached_property
    def categorical_codes(self) -> np.ndarray:
        """Categorical columns of the sample as codes, shape (n_stat, n_cat), -1 missing."""
        cols = self.task.categorical_columns
        out = np.empty((self.n_stat, len(cols)), dtype=np.int32)
        for j, c in enumerate(cols):
            out[:, j] = pd.factorize(self.task.X[c].iloc[self.stat_rows])[0]
        return out

    @cached_property
    def moments(self) -> dict[str, np.ndarray]:
        """Per numeric column: mean, std (ddof=1), skewness, kurtosis (Fisher, biased as in
        scipy.stats defaults), over non-missing values; NaN for constant columns."""
        x = self.numeric
        if x.shape[1] == 0:
            empty = np.zeros(0)
            return {"mean": empty, "std": empty, "skew": empty, "kurt": empty}
        stats = [self._chunk_moments(x[:, j : j + _CHUNK]) for j in range(0, x.shape[1], _CHUNK)]
        count, mean, std, skew, kurt = (np.concatenate(part) for part in zip(*stats, strict=True))
        mean = np.where(count > 0, mean, np.nan)
        return {"mean": mean, "std": std, "skew": skew, "kurt": kurt}

    @staticmethod
    def _chunk_moments(x: np.ndarray) -> tuple[np.ndarray, ...]:
        """count, mean, std, skew, kurt of a few columns (chunks bound the temporaries)."""
        present = ~np.isnan(x)
        count = present.sum(axis=0)
        n = np.maximum(count, 1)
        # Values near the float64 limit overflow here; the result is then NaN (see extract).
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            mean = np.where(present, x, 0.0).sum(axis=0) / n
            d = np.where(present, x - mean, 0.0)
            d2 = d * d
            m2, m3, m4 = d2.sum(axis=0) / n, (d2 * d).sum(axis=0) / n, (d2 * d2).sum(axis=0) / n
            flat = (m2 <= 1e-12 * np.maximum(1.0, mean**2)) | (count == 0)
            std = np.sqrt(m2 * count / np.maximum(count - 1, 1))
            skew = np.where(flat, np.nan, m3 / m2**1.5)
            kurt = np.where(flat, np.nan, m4 / m2**2 - 3.0)
        return count, mean, std, skew, kurt

    @cached_property
    def standardized(self) -> np.ndarray:
        """Numeric sample, mean-imputed and scaled to unit variance (constant columns dropped)."""
        m = self.moments
        keep = np.isfinite(m["skew"])
        z = self.numeric[:, keep]  # a copy; the steps below work in place on it
        z -= m["mean"][keep]
        z /= np.where(m["std"][keep] > 0, m["std"][keep], 1.0)
        return np.nan_to_num(z, nan=0.0, copy=False)

    @cached_property
    def small_rows(self) -> np.ndarray:
        """A stratified sample of at most 1,000 rows of the statistical sample (positions)."""
        return stratified_subsample(self.y_stat, 1000, self.random_state)

    @cached_property
    def abs_correlations(self) -> np.ndarray:
        """|Pearson r| of every pair of non-constant numeric columns (mean-imputed), on the
        small sample."""
        z = self.standardized[self.small_rows]
        if z.shape[1] < 2:
            return np.zeros(0)
        sd = z.std(axis=0)
        z = (z - z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        corr = (z.T @ z) / len(z)
        return np.abs(corr[np.triu_indices_from(corr, k=1)])

    @cached_property
    def target_correlations(self) -> np.ndarray:
        """|Pearson r| of each non-constant numeric column (standardised, mean-imputed) with
        a regression target, on the statistical sample (computed once for its summaries)."""
        z = self.standardized
        if z.shape[1] == 0:
            return np.zeros(0)
        y = self.y_values[self.stat_rows]
        sd = y.std()
        if sd == 0:
            return np.full(z.shape[1], np.nan)
        yz = (y - y.mean()) / sd
        zc = z - z.mean(axis=0)
        zsd = zc.std(axis=0)
        return np.abs((zc * yz[:, None]).mean(axis=0) / np.where(zsd > 0, zsd, np.nan))

    @cached_property
    def pca(self) -> dict[str, np.ndarray]:
        """Eigenvalues (descending) of the standardised numbers' covariance and the scores on
        the first component, from the small sample (an SVD of at most 1,000 rows stays fast
        on wide tables)."""
        z = self.standardized[self.small_rows]
        if z.shape[1] < 2 or len(z) < 3:
            return {"eigenvalues": np.zeros(0), "first": np.zeros(0)}
        z = z - z.mean(axis=0)
        u, s, _ = np.linalg.svd(z, full_matrices=False)
        return {"eigenvalues": s**2 / (len(z) - 1), "first": u[:, 0] * s[0]}

    @cached_property
    def discretized(self) -> np.ndarray:
        """All columns of the sample as small codes: numeric ones in 10 equal-frequency bins,
        categorical ones as they are; -1 where missing. Shape (n_stat, n_columns)."""
        x = self.numeric
        binned = np.full(x.shape, -1, dtype=np.int32)
        for j in range(x.shape[1]):
            col = x[:, j]
            ok = ~np.isnan(col)
            if ok.any():
                edges = np.unique(np.quantile(col[ok], np.linspace(0, 1, N_BINS + 1)[1:-1]))
                binned[ok, j] = np.searchsorted(edges, col[ok], side="right")
        return np.hstack([binned, self.categorical_codes])

    @cached_property
    def entropy_pieces(self) -> dict[str, np.ndarray]:
        """Per column (numeric discretised first, then categorical): attribute entropy and
        mutual information with the class (regression: the target's quantile bins), in
        bits, over rows where the column is present."""
        codes, y = self.discretized, self.y_stat
        k = int(y.max()) + 1 if len(y) else 1
        ent = np.empty(codes.shape[1])
        mi = np.empty(codes.shape[1])
        for j in range(codes.shape[1]):
            ok = codes[:, j] >= 0
            a, c = codes[ok, j].astype(np.int64), y[ok]
            if len(a) == 0:
                ent[j] = mi[j] = np.nan
                continue
            joint = np.bincount(a * k + c, minlength=(a.max() + 1) * k).reshape(-1, k)
            h_a = _entropy(joint.sum(axis=1))
            h_c = _entropy(joint.sum(axis=0))
            ent[j], mi[j] = h_a, max(0.0, h_a + h_c - _entropy(joint.ravel()))
        return {"entropy": ent, "mi": mi}

    # ---------------------------------------------------------------- landmarking sample
    @cached_property
    def landmark_rows(self) -> np.ndarray:
        return stratified_subsample(self.strata, self.max_rows_landmarking, self.random_state)

    @cached_property
    def landmark_matrix(self) -> np.ndarray:
        """Landmarking sample: standardised, median-imputed numbers + one-hot categories
        (the 10 most frequent levels per column), shape (n_landmark, n_encoded); on wide
        tables a seeded random subset of 256 encoded columns."""
        X = self.task.X.iloc[self.landmark_rows]
        blocks = []
        num = X[self.task.numeric_columns].to_numpy(dtype=float)
        if num.shape[1]:
            med = np.nan_to_num(np.nanmedian(num, axis=0)) if len(num) else 0.0
            num = np.where(np.isnan(num), med, num)
            sd = num.std(axis=0)
            blocks.append((num - num.mean(axis=0)) / np.where(sd > 0, sd, 1.0))
        for c in self.task.categorical_columns:
            top = X[c].value_counts().index[:10]
            blocks.append(np.column_stack([(X[c] == v).to_numpy(dtype=float) for v in top]))
        matrix = np.hstack(blocks) if blocks else np.zeros((len(X), 1))
        if matrix.shape[1] > MAX_LANDMARK_COLUMNS:
            rng = np.random.default_rng(self.random_state)
            keep = np.sort(rng.choice(matrix.shape[1], MAX_LANDMARK_COLUMNS, replace=False))
            matrix = matrix[:, keep]
        return matrix


def _entropy(counts: np.ndarray) -> float:
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts[counts > 0] / total
    return float(-(p * np.log2(p)).sum())
