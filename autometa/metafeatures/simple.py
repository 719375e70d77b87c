"""Simple meta-features: sizes, ratios, missing values, column kinds, class balance.

Computed on every row of the table (no sampling). Names follow OpenML's data qualities
(Vanschoren et al. 2014) and auto-sklearn's meta-features (Feurer et al. 2015).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from autometa.metafeatures.pieces import Pieces
from autometa.metafeatures.registry import BOTH, MetaFeature, summaries

__all__ = ["FEATURES"]

OPENML = "OpenML data quality"
ASKL = "auto-sklearn meta-feature (Feurer et al. 2015)"
NO_CAT = "the table has no categorical column"


def _n_features(p: Pieces) -> float:
    return float(p.task.X.shape[1])


def _n_binary(p: Pieces) -> float:
    return float(np.sum(p.n_unique == 2))


def _pct(count: float, total: float) -> float:
    return 100.0 * count / total if total else 0.0


FEATURES: list[MetaFeature] = [
    MetaFeature("NumberOfInstances", "simple", lambda p: float(p.n), OPENML),
    MetaFeature("NumberOfFeatures", "simple", _n_features, OPENML),
    MetaFeature("NumberOfClasses", "simple", lambda p: float(p.n_classes), OPENML),
    MetaFeature("NumberOfNumericFeatures", "simple", lambda p: float(len(p.task.numeric_columns)), OPENML),
    MetaFeature("NumberOfSymbolicFeatures", "simple", lambda p: float(len(p.task.categorical_columns)), OPENML),
    MetaFeature("NumberOfBinaryFeatures", "simple", _n_binary, OPENML),
    MetaFeature("NumberOfDroppedFeatures", "simple", lambda p: float(len(p.task.dropped)),
                "autometa: columns dropped by load_table (constant, identifier-like...)"),
    MetaFeature("PercentageOfNumericFeatures", "simple",
                lambda p: _pct(len(p.task.numeric_columns), _n_features(p)), OPENML),
    MetaFeature("PercentageOfSymbolicFeatures", "simple",
                lambda p: _pct(len(p.task.categorical_columns), _n_features(p)), OPENML),
    MetaFeature("PercentageOfBinaryFeatures", "simple", lambda p: _pct(_n_binary(p), _n_features(p)), OPENML),
    MetaFeature("Dimensionality", "simple", lambda p: _n_features(p) / p.n, OPENML),
    MetaFeature("LogNumberOfInstances", "simple", lambda p: float(np.log(p.n)), ASKL),
    MetaFeature("LogNumberOfFeatures", "simple", lambda p: float(np.log(_n_features(p))), ASKL),
    MetaFeature("LogDatasetRatio", "simple", lambda p: float(np.log(_n_features(p) / p.n)), ASKL),
    MetaFeature("InverseDatasetRatio", "simple", lambda p: p.n / _n_features(p), ASKL),
    MetaFeature("NumberOfMissingValues", "simple", lambda p: float(p.missing.sum()), OPENML),
    MetaFeature("PercentageOfMissingValues", "simple",
                lambda p: _pct(p.missing.sum(), p.missing.size), OPENML),
    MetaFeature("NumberOfInstancesWithMissingValues", "simple",
                lambda p: float(p.missing.any(axis=1).sum()), OPENML),
    MetaFeature("PercentageOfInstancesWithMissingValues", "simple",
                lambda p: _pct(p.missing.any(axis=1).sum(), p.n), OPENML),
    MetaFeature("NumberOfFeaturesWithMissingValues", "simple",
                lambda p: float(p.missing.any(axis=0).sum()), OPENML),
    MetaFeature("PercentageOfFeaturesWithMissingValues", "simple",
                lambda p: _pct(p.missing.any(axis=0).sum(), _n_features(p)), OPENML),
    MetaFeature("MajorityClassSize", "simple", lambda p: float(p.class_counts.max()), OPENML),
    MetaFeature("MinorityClassSize", "simple", lambda p: float(p.class_counts.min()), OPENML),
    MetaFeature("MajorityClassPercentage", "simple",
                lambda p: _pct(p.class_counts.max(), p.n), OPENML),
    MetaFeature("MinorityClassPercentage", "simple",
                lambda p: _pct(p.class_counts.min(), p.n), OPENML),
    MetaFeature("ClassProbabilityStd", "simple",
                lambda p: float(np.std(p.class_counts / p.n)), ASKL),
    MetaFeature("ImbalanceRatio", "simple",
                lambda p: float(p.class_counts.min() / p.class_counts.max()),
                "minority / majority class size"),
    MetaFeature("TotalNominalAttDistinctValues", "simple", lambda p: float(p.levels.sum()),
                "auto-sklearn SymbolsSum"),
    *summaries("{}NominalAttDistinctValues", "simple", lambda p: p.levels, OPENML, NO_CAT),
]  # fmt: skip
# Everything but the class features ignores the target: defined for regression too.
CLASS_FEATURES = {"NumberOfClasses", "MajorityClassSize", "MinorityClassSize",
                  "MajorityClassPercentage", "MinorityClassPercentage", "ClassProbabilityStd",
                  "ImbalanceRatio"}  # fmt: skip
FEATURES = [f if f.name in CLASS_FEATURES else replace(f, tasks=BOTH) for f in FEATURES]
