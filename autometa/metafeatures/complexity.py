"""Cheap data-complexity measures (Ho & Basu 2002; Lorena et al. 2019) on numeric columns."""

from __future__ import annotations

import numpy as np

from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import MetaFeature

__all__ = ["FEATURES"]

REF = "Fisher's discriminant ratio F1, multi-class form (Orriols-Puig et al. 2010)"
NAN = "no non-constant numeric column"


def _fisher_ratios(p: Pieces) -> np.ndarray:
    """Per standardised numeric column: between-class / within-class variance."""
    z, y = p.standardized, p.y_stat
    if z.shape[1] == 0:
        return np.zeros(0)
    counts = np.bincount(y, minlength=p.n_classes).astype(float)
    sums = np.zeros((p.n_classes, z.shape[1]))
    np.add.at(sums, y, z)
    means = sums / np.maximum(counts, 1)[:, None]
    overall = z.mean(axis=0)
    between = (counts[:, None] * (means - overall) ** 2).sum(axis=0)
    # Within-class sum of squares without an (n_rows x n_columns) temporary.
    within = np.einsum("ij,ij->j", z, z) - (counts[:, None] * means**2).sum(axis=0)
    within = np.maximum(within, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(within > 0, between / within, np.inf)


def _summary(p: Pieces, how: str) -> float:
    r = _fisher_ratios(p)
    if len(r) == 0:
        return float("nan")
    # A perfectly separating column (within = 0) is capped so the value stays finite.
    r = np.minimum(r, 1e6)
    return float(r.max() if how == "max" else r.mean())


FEATURES: list[MetaFeature] = [
    MetaFeature("MaxFisherDiscriminantRatio", "complexity", lambda p: _summary(p, "max"), REF, NAN),
    MetaFeature(
        "MeanFisherDiscriminantRatio", "complexity", lambda p: _summary(p, "mean"), REF, NAN
    ),
]
