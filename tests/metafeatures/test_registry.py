"""Every registered feature on a zoo of odd tables: finite, or NaN only where documented."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from autometa import AutometaError, BadInputError, extract_metafeatures
from autometa.exceptions import AutometaWarning
from autometa.metafeatures import GROUPS, REGISTRY, catalogue, feature_names

rng = np.random.default_rng(0)


def _zoo() -> dict[str, tuple[pd.DataFrame, list]]:
    mixed = pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(["u", "v", "w"], 60)})
    nan_heavy = pd.DataFrame(rng.normal(size=(80, 5)), columns=list("abcde"))
    nan_heavy = nan_heavy.mask(rng.random(nan_heavy.shape) < 0.8)
    nan_heavy["c"] = pd.Series(rng.choice(["p", "q"], 80)).mask(rng.random(80) < 0.8)
    return {
        "one row per class": (pd.DataFrame({"x": [0.1, 0.7, 1.3], "c": ["a", "b", "a"]}), [0, 1, 2]),
        "constant column": (mixed.assign(k=1.0), [0, 1] * 30),
        "all categorical": (pd.DataFrame({"c": rng.choice(list("abc"), 50), "d": rng.choice(list("xy"), 50)}), [0, 1] * 25),
        "one feature": (pd.DataFrame({"x": rng.normal(size=40)}), [0, 1] * 20),
        "2000 features": (pd.DataFrame(rng.normal(size=(60, 2000))), [0, 1, 2] * 20),
        "NaN heavy": (nan_heavy, [0, 1] * 40),
        "two rows": (pd.DataFrame({"x": [0.5, 1.5]}), ["a", "b"]),
        "mixed": (mixed, list(rng.choice(["p", "q", "r"], 60))),
    }  # fmt: skip


ZOO = _zoo()
DOCUMENTED_NAN = {f.name for f in REGISTRY if f.nan_when}


def test_registry_size_groups_and_documentation() -> None:
    assert len(REGISTRY) >= 100
    assert {f.group for f in REGISTRY} == set(GROUPS)
    table = catalogue()
    assert table["name"].is_unique
    assert (table["reference"].str.len() > 0).all()
    for name in (
        "NumberOfInstances",
        "ClassEntropy",
        "MajorityClassPercentage",
        "MeanMutualInformation",
        "EquivalentNumberOfAtts",
        "NoiseToSignalRatio",
        "DecisionStumpErrRate",
        "PCAKurtosisFirstPC",
    ):
        assert name in set(table["name"])  # fmt: skip


@pytest.mark.parametrize("case", list(ZOO))
def test_zoo_values_are_finite_or_documented_nan(case: str) -> None:
    X, y = ZOO[case]
    mf = extract_metafeatures(X, y)
    assert list(mf.index) == feature_names()
    undocumented = [n for n, v in mf.items() if np.isnan(v) and n not in DOCUMENTED_NAN]
    assert undocumented == [], case
    assert not np.isinf(mf.to_numpy()).any()


def test_mixed_table_defines_every_feature_but_the_two_class_only_ones() -> None:
    X, y = ZOO["mixed"]
    nan = set(extract_metafeatures(X, y).index[extract_metafeatures(X, y).isna()])
    # One numeric column: correlation and PCA need two.
    assert nan == {"MeanAbsCorrelation", "MaxAbsCorrelation", "PCAFractionOfComponentsFor95PercentVariance",
                   "PCAFirstComponentVarianceRatio", "PCASkewnessFirstPC", "PCAKurtosisFirstPC"}  # fmt: skip


def test_same_seed_same_values_other_seed_other_landmarks() -> None:
    X = pd.DataFrame(rng.normal(size=(3000, 4)))
    y = (X[0] + rng.normal(size=3000) > 0).astype(int)
    a = extract_metafeatures(X, y, random_state=1)
    pd.testing.assert_series_equal(a, extract_metafeatures(X, y, random_state=1))
    b = extract_metafeatures(X, y, random_state=2)  # another landmarking sample of 2,000 rows
    assert a["kNN1NErrRate"] != b["kNN1NErrRate"]
    assert a["LandmarkingSampleSize"] == 2000


def test_groups_and_errors() -> None:
    X, y = ZOO["mixed"]
    simple = extract_metafeatures(X, y, groups=["simple"])
    assert list(simple.index) == feature_names(["simple"])
    with pytest.raises(BadInputError, match="Unknown meta-feature groups: stats"):
        extract_metafeatures(X, y, groups=["stats"])
    with pytest.raises(BadInputError, match="needs y"):
        extract_metafeatures(X)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data_frames(
        [column("a", dtype=float), column("b", elements=st.sampled_from(["u", "v", None])),
         column("y", elements=st.sampled_from(["p", "q", "r"]))],
        index=range_indexes(min_size=2, max_size=30),
    )
)  # fmt: skip
@pytest.mark.filterwarnings("ignore::autometa.exceptions.AutometaWarning")
def test_fixed_length_on_random_tables(frame: pd.DataFrame) -> None:
    try:
        mf = extract_metafeatures(frame[["a", "b"]], frame["y"])
    except AutometaError:
        return
    assert list(mf.index) == feature_names()
    assert not np.isinf(mf.to_numpy()).any()


def test_regression_features_by_hand() -> None:
    from scipy.stats import kurtosis, skew

    X = pd.DataFrame({"x0": rng.normal(size=800), "x1": rng.normal(size=800),
                      "c": rng.choice(["u", "v"], size=800)})  # fmt: skip
    y = 3 * X["x0"] + 0.1 * rng.normal(size=800)
    mf = extract_metafeatures(X, y)
    assert list(mf.index) == feature_names(task="regression")
    assert "NumberOfClasses" not in mf.index and "ClassEntropy" not in mf.index
    assert mf["TargetSkewness"] == pytest.approx(skew(y))
    assert mf["TargetKurtosis"] == pytest.approx(kurtosis(y))
    assert mf["TargetIntegerValuesRatio"] == 0.0 and mf["TargetDistinctValuesRatio"] == 1.0
    assert mf["LandmarkLinearR2"] > 0.99 and mf["MaxAbsCorrelationWithTarget"] > 0.99
    assert mf["MinAbsCorrelationWithTarget"] < 0.1  # x1 is noise
    assert -0.05 < mf["LandmarkMeanR2"] <= 0.0  # the mean of the other folds
    assert mf["LandmarkStumpR2"] < mf["LandmarkTreeDepth3R2"] < mf["LandmarkLinearR2"]
    # The same table with the target cut into classes: the class features instead.
    classes = extract_metafeatures(X, (y > 0).astype(int))
    assert list(classes.index) == feature_names() and "TargetSkewness" not in classes.index
    assert len(feature_names(task="regression")) < len(feature_names())
    with pytest.raises(BadInputError, match="task must be one of"):
        feature_names(task="ranking")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data_frames(
        [column("a", dtype=float), column("b", elements=st.sampled_from(["u", "v", None])),
         column("y", elements=st.floats(-1e6, 1e6))],
        index=range_indexes(min_size=2, max_size=30),
    )
)  # fmt: skip
@pytest.mark.filterwarnings("ignore::autometa.exceptions.AutometaWarning")
def test_fixed_length_on_random_regression_tables(frame: pd.DataFrame) -> None:
    try:
        mf = extract_metafeatures(frame[["a", "b"]], frame["y"], task="regression")
    except AutometaError:
        return
    assert list(mf.index) == feature_names(task="regression")
    assert not np.isinf(mf.to_numpy()).any()


def test_a_spent_landmarking_budget_gives_nan_and_one_warning() -> None:
    X = pd.DataFrame(rng.normal(size=(300, 3)))
    for y, prefix in (((X[0] > 0).astype(int), "DecisionStump"), (X[0] * 2.0, "LandmarkLinear")):
        with pytest.warns(AutometaWarning, match=r"Landmarking budget of 0 s ran out; NaN for"):
            mf = extract_metafeatures(X, y, landmark_budget=0.0)
        assert all(np.isnan(v) for k, v in mf.items() if k.startswith(prefix))
        assert mf["NumberOfInstances"] == 300  # the rest is unaffected


def test_a_big_table_is_described_by_a_sample_of_the_shipped_builds_row_cap() -> None:
    from autometa.metadataset.build_store import BuildSettings
    from autometa.metafeatures import MAX_ROWS

    assert MAX_ROWS == BuildSettings().max_rows  # what the meta-models learned from
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(MAX_ROWS + 5000, 4))).add_prefix("f")
    y = (X["f0"] > 1.0).astype(int)  # about 16 % positive
    sampled = extract_metafeatures(X, y, groups=["simple"])
    assert sampled["NumberOfInstances"] == MAX_ROWS
    # Stratified: the class shares stay those of all rows.
    everything = extract_metafeatures(X, y, groups=["simple"], max_rows=None)
    assert everything["NumberOfInstances"] == len(y)
    assert abs(sampled["MinorityClassPercentage"] - everything["MinorityClassPercentage"]) < 0.01
