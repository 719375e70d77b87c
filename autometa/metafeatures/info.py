"""Information-theoretic meta-features (entropies in bits).

OpenML computes attribute entropy and mutual information over nominal attributes only;
the OpenML-named features here do the same, so values can be compared. The ``AllAtts``
variants also include numeric columns discretised into 10 equal-frequency bins.
"""

from __future__ import annotations

import numpy as np

from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import BOTH, MetaFeature, summaries

__all__ = ["FEATURES"]

OPENML = "OpenML data quality (Michie et al. 1994, StatLog)"
NO_CAT = "the table has no categorical column"


def _class_entropy(p: Pieces) -> float:
    q = p.class_counts[p.class_counts > 0] / p.n
    return float(-(q * np.log2(q)).sum())


def _nominal(p: Pieces, key: str) -> np.ndarray:
    return p.entropy_pieces[key][len(p.task.numeric_columns) :]


def _equivalent_atts(p: Pieces, mi: np.ndarray) -> float:
    mi = mi[np.isfinite(mi)]
    if len(mi) == 0 or mi.mean() <= 0:
        return float("nan")
    return _class_entropy(p) / float(mi.mean())


def _noise_to_signal(ent: np.ndarray, mi: np.ndarray) -> float:
    ok = np.isfinite(ent) & np.isfinite(mi)
    if not ok.any() or mi[ok].mean() <= 0:
        return float("nan")
    return float((ent[ok].mean() - mi[ok].mean()) / mi[ok].mean())


ZERO_MI = "no categorical column, or none shares information with the class"
ZERO_MI_ALL = "no column shares information with the class"

FEATURES: list[MetaFeature] = [
    MetaFeature("ClassEntropy", "info", _class_entropy, OPENML),
    MetaFeature("NormalizedClassEntropy", "info",
                lambda p: _class_entropy(p) / np.log2(p.n_classes), "class entropy / log2(classes)"),
    *summaries("{}AttributeEntropy", "info", lambda p: _nominal(p, "entropy"), OPENML, NO_CAT,
               BOTH),
    *summaries("{}MutualInformation", "info", lambda p: _nominal(p, "mi"), OPENML, NO_CAT),
    MetaFeature("EquivalentNumberOfAtts", "info", lambda p: _equivalent_atts(p, _nominal(p, "mi")),
                OPENML, ZERO_MI),
    MetaFeature("NoiseToSignalRatio", "info",
                lambda p: _noise_to_signal(_nominal(p, "entropy"), _nominal(p, "mi")), OPENML, ZERO_MI),
    MetaFeature("MeanAttributeEntropyAllAtts", "info",
                lambda p: float(np.nanmean(p.entropy_pieces["entropy"])),
                "mean entropy over all columns (numbers in 10 equal-frequency bins)", "", BOTH),
    MetaFeature("MeanMutualInformationAllAtts", "info",
                lambda p: float(np.nanmean(p.entropy_pieces["mi"])),
                "mean class mutual information over all columns (binned numbers)"),
    MetaFeature("MaxMutualInformationAllAtts", "info",
                lambda p: float(np.nanmax(p.entropy_pieces["mi"])),
                "max class mutual information over all columns (binned numbers)"),
    MetaFeature("EquivalentNumberOfAttsAllAtts", "info",
                lambda p: _equivalent_atts(p, p.entropy_pieces["mi"]),
                "class entropy / mean mutual information, all columns", ZERO_MI_ALL),
    MetaFeature("NoiseToSignalRatioAllAtts", "info",
                lambda p: _noise_to_signal(p.entropy_pieces["entropy"], p.entropy_pieces["mi"]),
                "(mean entropy - mean MI) / mean MI, all columns", ZERO_MI_ALL),
]  # fmt: skip
