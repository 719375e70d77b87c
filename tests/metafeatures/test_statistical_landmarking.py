"""Agreement with scipy and PyMFE on the overlapping features; landmarkers on known data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_iris

from autometa import extract_metafeatures


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True)
    return X, y, extract_metafeatures(X, y)


def test_moments_agree_with_scipy(cancer: tuple[np.ndarray, np.ndarray, pd.Series]) -> None:
    X, _, mf = cancer
    skew, kurt = stats.skew(X), stats.kurtosis(X)
    assert mf["MeanSkewnessOfNumericAtts"] == pytest.approx(skew.mean())
    assert mf["MaxSkewnessOfNumericAtts"] == pytest.approx(skew.max())
    assert mf["Quartile2KurtosisOfNumericAtts"] == pytest.approx(np.median(kurt))
    assert mf["MinStdDevOfNumericAtts"] == pytest.approx(X.std(axis=0, ddof=1).min())


def test_overlap_agrees_with_pymfe(cancer: tuple[np.ndarray, np.ndarray, pd.Series]) -> None:
    pymfe = pytest.importorskip("pymfe.mfe")
    X, y, mf = cancer
    ref = pymfe.MFE(features=["mean", "sd", "cor", "class_ent", "nr_inst", "nr_attr"],
                    summary=["mean", "max", "min"])  # fmt: skip
    ref.fit(X, y)
    theirs = dict(zip(*ref.extract(), strict=True))
    pairs = {
        "MeanMeansOfNumericAtts": "mean.mean", "MaxMeansOfNumericAtts": "mean.max",
        "MeanStdDevOfNumericAtts": "sd.mean", "MinStdDevOfNumericAtts": "sd.min",
        "MeanAbsCorrelation": "cor.mean", "MaxAbsCorrelation": "cor.max",
        "ClassEntropy": "class_ent", "NumberOfInstances": "nr_inst", "NumberOfFeatures": "nr_attr",
    }  # fmt: skip
    for ours, name in pairs.items():
        assert mf[ours] == pytest.approx(theirs[name], rel=1e-9), ours


def test_pca_features_on_a_rank_one_table() -> None:
    rng = np.random.default_rng(0)
    t = rng.normal(size=300)
    X = np.column_stack([t, 2 * t + 1e-9 * rng.normal(size=300), -t])
    mf = extract_metafeatures(X, (t > 0).astype(int))
    assert mf["PCAFirstComponentVarianceRatio"] == pytest.approx(1.0, abs=1e-6)
    assert mf["PCAFractionOfComponentsFor95PercentVariance"] == pytest.approx(1 / 3)
    assert mf["MaxAbsCorrelation"] == pytest.approx(1.0, abs=1e-6)


def test_landmarkers_on_iris() -> None:
    X, y = load_iris(return_X_y=True)
    mf = extract_metafeatures(X, y)
    # A stump separates one of three balanced classes: error 1/3 at best, kappa 0.5.
    assert mf["DecisionStumpErrRate"] == pytest.approx(1 / 3, abs=0.02)
    assert mf["DecisionStumpKappa"] == pytest.approx(0.5, abs=0.03)
    assert mf["kNN1NErrRate"] < 0.08 and mf["LDAErrRate"] < 0.05
    assert 0.5 < mf["NaiveBayesAUC"] <= 1.0


def test_separable_table_gives_perfect_fisher_and_1nn() -> None:
    x = np.r_[np.linspace(0, 1, 50), np.linspace(10, 11, 50)]
    mf = extract_metafeatures(pd.DataFrame({"x": x + 0.001}), [0] * 50 + [1] * 50)
    assert mf["kNN1NErrRate"] == 0.0 and mf["DecisionStumpErrRate"] == 0.0
    assert mf["MaxFisherDiscriminantRatio"] > 100


def test_rank_sum_auc_equals_sklearn_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    from autometa.metafeatures.landmarking import _macro_auc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    proba = np.round(rng.random((300, 3)), 1)  # many ties
    expected = np.mean([roc_auc_score(y == k, proba[:, k]) for k in range(3)])
    assert _macro_auc(y, proba) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stump_from_the_depth3_root_equals_a_fitted_stump(seed: int) -> None:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from autometa.metafeatures.landmarking import LANDMARKERS, _stump_and_depth3

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 6))
    y = (X[:, seed] + 0.5 * rng.normal(size=300) > 0).astype(int) + (X[:, 5] > 1)
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    both = _stump_and_depth3(X, y, cv, seed)
    for name in ("DecisionStump", "DecisionTreeDepth3"):
        direct = cross_val_predict(LANDMARKERS[name](seed), X, y, cv=cv, method="predict_proba")
        np.testing.assert_allclose(both[name], direct, atol=1e-12)
