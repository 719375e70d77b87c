"""A learner configuration as an unfitted scikit-learn Pipeline: :func:`build_pipeline` puts
before the estimator the preprocessing its family needs for a Task's column kinds:

- scale-sensitive families (linear, SVM, k-NN, MLP, SGD, LDA/QDA, naive Bayes): median
  imputation + standard scaling of numbers; constant imputation + one-hot encoding of
  categories (at most 32 levels per column; rarer levels share one "infrequent" column);
- tree families: median imputation of numbers; ordinal-encoded categories;
- histogram gradient boosting: native missing values and native categorical splits.

Regression pipelines standardise the target for the families whose hyperparameters are in
target units (SVR's epsilon, the MLP's and SGD's regularisation and step sizes); a
configuration with ``"transform_target": "power"`` fits on a Yeo-Johnson transform of the
target instead (skewed targets), and predicts back on the original scale.
"""

from __future__ import annotations

from typing import Any

from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, PowerTransformer, StandardScaler

from autometa.space.learners import FAMILIES, LearnerConfig

__all__ = ["build_pipeline"]


def build_pipeline(
    config: LearnerConfig,
    numeric: list[str],
    categorical: list[str],
    random_state: int | None = 0,
) -> Pipeline:
    """Return an unfitted Pipeline (preprocessing + estimator) for the given column kinds.

    Parameters
    ----------
    config : LearnerConfig
    numeric, categorical : list of str
        Column names of each kind (as in ``Task.numeric_columns``).
    random_state : int or None
        Passed to estimators that take one.
    """
    family = FAMILIES[config.family]
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in config.params.items()}
    transform = params.pop("transform_target", None)
    if family.random:
        params["random_state"] = random_state
    if family.max_iter:
        params.setdefault("max_iter", family.max_iter)
    parts: list[tuple[str, Any, list[str]]] = []
    if family.preprocessing == "scaled":
        if numeric:
            num = Pipeline(
                [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
            )
            parts.append(("num", num, numeric))
        if categorical:
            onehot = OneHotEncoder(
                handle_unknown="infrequent_if_exist", max_categories=32, sparse_output=False
            )
            cat = Pipeline([("impute", _constant_imputer()), ("onehot", onehot)])
            parts.append(("cat", cat, categorical))
    else:
        if numeric:
            imputer = (
                "passthrough"
                if family.preprocessing == "native"
                else SimpleImputer(strategy="median")
            )
            parts.append(("num", imputer, numeric))
        if categorical:
            ordinal = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=-1, max_categories=250
            )
            if family.preprocessing == "native":
                # HGB treats NaN and negative codes of categorical features as missing.
                parts.append(("cat", ordinal, categorical))
                params["categorical_features"] = [False] * len(numeric) + [True] * len(categorical)
            else:
                parts.append(
                    (
                        "cat",
                        Pipeline([("impute", _constant_imputer()), ("ordinal", ordinal)]),
                        categorical,
                    )
                )
    prep = ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
    model = family.estimator(**params)
    if transform == "power":
        model = TransformedTargetRegressor(regressor=model, transformer=PowerTransformer())
    elif family.scale_target:
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    return Pipeline([("prep", prep), ("model", model)])


def _constant_imputer() -> SimpleImputer:
    return SimpleImputer(strategy="constant", fill_value="__missing__")
