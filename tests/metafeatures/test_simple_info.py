"""Exact values of simple and information-theoretic features on hand-checked tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from autometa import extract_metafeatures


@pytest.fixture(scope="module")
def tiny() -> pd.Series:
    # c: categorical (text); x: numeric with one missing value; y: two balanced classes.
    X = pd.DataFrame({"c": ["a", "a", "b", "b"], "x": [0.5, 1.5, 2.5, np.nan]})
    return extract_metafeatures(X, [0, 0, 1, 1])


def test_simple_counts(tiny: pd.Series) -> None:
    expected = {
        "NumberOfInstances": 4, "NumberOfFeatures": 2, "NumberOfClasses": 2,
        "NumberOfNumericFeatures": 1, "NumberOfSymbolicFeatures": 1, "NumberOfBinaryFeatures": 1,
        "NumberOfMissingValues": 1, "PercentageOfMissingValues": 12.5,
        "NumberOfInstancesWithMissingValues": 1, "PercentageOfInstancesWithMissingValues": 25.0,
        "NumberOfFeaturesWithMissingValues": 1, "MajorityClassPercentage": 50.0,
        "MinorityClassSize": 2, "ImbalanceRatio": 1.0, "Dimensionality": 0.5,
        "MaxNominalAttDistinctValues": 2, "TotalNominalAttDistinctValues": 2,
    }  # fmt: skip
    for name, value in expected.items():
        assert tiny[name] == pytest.approx(value), name


def test_moments_of_the_numeric_column(tiny: pd.Series) -> None:
    assert tiny["MeanMeansOfNumericAtts"] == pytest.approx(1.5)  # missing value ignored
    assert tiny["MeanStdDevOfNumericAtts"] == pytest.approx(1.0)  # ddof=1
    assert tiny["MeanSkewnessOfNumericAtts"] == pytest.approx(0.0)
    assert tiny["MeanKurtosisOfNumericAtts"] == pytest.approx(-1.5)  # 3 equally spaced points


def test_perfectly_informative_attribute(tiny: pd.Series) -> None:
    assert tiny["ClassEntropy"] == pytest.approx(1.0)
    assert tiny["MeanAttributeEntropy"] == pytest.approx(1.0)
    assert tiny["MeanMutualInformation"] == pytest.approx(1.0)
    assert tiny["EquivalentNumberOfAtts"] == pytest.approx(1.0)
    assert tiny["NoiseToSignalRatio"] == pytest.approx(0.0)


def test_mutual_information_by_hand() -> None:
    X = pd.DataFrame({"c": ["a", "a", "b", "b", "b", "c"]})
    mf = extract_metafeatures(X, [0, 0, 0, 1, 1, 1])

    def h(*probs: float) -> float:
        return -sum(p * math.log2(p) for p in probs)

    h_c, h_y = h(2 / 6, 3 / 6, 1 / 6), h(0.5, 0.5)
    h_joint = h(2 / 6, 1 / 6, 2 / 6, 1 / 6)  # (a,0) (b,0) (b,1) (c,1)
    assert mf["MeanAttributeEntropy"] == pytest.approx(h_c)
    assert mf["MeanMutualInformation"] == pytest.approx(h_c + h_y - h_joint)
    assert mf["NoiseToSignalRatio"] == pytest.approx(
        (h_c - (h_c + h_y - h_joint)) / (h_c + h_y - h_joint)
    )
    assert mf["MeanNominalAttDistinctValues"] == 3


def test_class_balance_features() -> None:
    X = pd.DataFrame({"x": np.linspace(0, 1, 10) + 0.01})
    mf = extract_metafeatures(X, ["a"] * 7 + ["b"] * 2 + ["c"])
    assert mf["MajorityClassSize"] == 7 and mf["MinorityClassSize"] == 1
    assert mf["MinorityClassPercentage"] == pytest.approx(10.0)
    assert mf["ImbalanceRatio"] == pytest.approx(1 / 7)
    assert mf["ClassEntropy"] == pytest.approx(
        -(0.7 * math.log2(0.7) + 0.2 * math.log2(0.2) + 0.1 * math.log2(0.1))
    )
    assert mf["NormalizedClassEntropy"] == pytest.approx(mf["ClassEntropy"] / math.log2(3))
