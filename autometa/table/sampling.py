"""Samples of a table's rows: stratified by class (the search's rungs, the meta-dataset's
curves, the meta-features of big tables) or uniform (a table read with ``max_rows``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["sample_rows", "stratified_subsample"]


def stratified_subsample(
    y: np.ndarray, size: int, random_state: int | None = 0, min_per_class: int = 1
) -> np.ndarray:
    """Sorted row indices of a stratified sample of ``size`` rows.

    Each class keeps a share proportional to its frequency (largest-remainder rounding),
    but at least ``min_per_class`` rows (or all it has), which can add a few rows beyond
    ``size``. Returns every row when ``len(y) <= size``.
    """
    y = np.asarray(y)
    if len(y) <= size:
        return np.arange(len(y))
    rng = np.random.default_rng(random_state)
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    share = counts * size / len(y)
    quota = np.floor(share)
    # Largest remainders get the rows the floors left over, so the sample has `size` rows.
    leftover = int(size - quota.sum())
    quota[np.argsort(quota - share, kind="stable")[:leftover]] += 1
    quota = np.minimum(counts, np.maximum(min_per_class, quota))
    chosen = [
        rng.choice(np.flatnonzero(inverse == k), size=int(q), replace=False)
        for k, q in enumerate(quota)
    ]
    return np.sort(np.concatenate(chosen))


def sample_rows(frame: pd.DataFrame, max_rows: int | None, random_state: int) -> pd.DataFrame:
    """A uniform random sample of ``max_rows`` rows of ``frame`` in their order (all of
    them if it has no more, or for None)."""
    if max_rows is None or len(frame) <= max_rows:
        return frame
    return frame.sample(max_rows, random_state=random_state).sort_index()
