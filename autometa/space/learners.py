"""The learner spaces: 110 scikit-learn classification configurations in 14 families, and
102 regression configurations in 16 families.

Each configuration has a stable ``config_id`` (family abbreviation + index within the
family; index 00 is the scikit-learn default, except qda_00: QDA's default reg_param=0
fails on most collinear tables), its family and JSON-serialisable params.
The lists below are append-only: a new setting gets the next index, so ids stay stable
across versions and old meta-datasets keep their meaning.

The pipelines built from a configuration: ``autometa/space/pipelines.py``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import (
    ElasticNet,
    HuberRegressor,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from autometa.exceptions import BadInputError
from autometa.space.ranges import COST_PARAMS, TUNABLE, integer

__all__ = [
    "FAMILIES",
    "TUNABLE",
    "LearnerConfig",
    "config_table",
    "get_config",
    "neighbours",
    "off_grid",
    "one_call",
    "parse_configs",
    "root_id",
    "space",
]


@dataclass(frozen=True)
class Family:
    """A learner family: its estimator class, id prefix, preprocessing style and task."""

    name: str
    prefix: str
    estimator: type
    preprocessing: str  # "scaled" | "tree" | "native"
    random: bool  # whether the estimator takes random_state
    task: str = "classification"  # or "regression"
    scale_target: bool = False  # regression: hyperparameters in target units
    max_iter: int | None = None  # iterations where the estimator's default stops short
    #: A fit or prediction is one long C call (libsvm, liblinear, a tree, a k-NN search) that
    #: no alarm interrupts: the search runs it in a process killed at its limit (call_within).
    one_call: bool = False


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("logistic_regression", "lr", LogisticRegression, "scaled", False),
        Family("linear_svm", "lsvm", LinearSVC, "scaled", True, max_iter=5000, one_call=True),
        Family("svc_rbf", "svc", SVC, "scaled", True, one_call=True),
        Family("knn", "knn", KNeighborsClassifier, "scaled", False, one_call=True),
        Family("gaussian_nb", "gnb", GaussianNB, "scaled", False),
        Family("lda", "lda", LinearDiscriminantAnalysis, "scaled", False),
        Family("qda", "qda", QuadraticDiscriminantAnalysis, "scaled", False),
        Family("decision_tree", "dt", DecisionTreeClassifier, "tree", True, one_call=True),
        Family("random_forest", "rf", RandomForestClassifier, "tree", True),
        Family("extra_trees", "et", ExtraTreesClassifier, "tree", True),
        Family("hist_gradient_boosting", "hgb", HistGradientBoostingClassifier, "native", True),
        Family("adaboost", "ada", AdaBoostClassifier, "tree", True),
        Family("mlp", "mlp", MLPClassifier, "scaled", True, max_iter=300),
        Family("sgd", "sgd", SGDClassifier, "scaled", True),
        # Regression.
        Family("linear_regression", "ols", LinearRegression, "scaled", False, "regression"),
        Family("ridge", "ridge", Ridge, "scaled", False, "regression"),
        Family("lasso", "lasso", Lasso, "scaled", True, "regression", max_iter=5000),
        Family("elastic_net", "enet", ElasticNet, "scaled", True, "regression", max_iter=5000),
        Family("huber", "huber", HuberRegressor, "scaled", False, "regression", max_iter=1000),
        Family("sgd_regressor", "sgdr", SGDRegressor, "scaled", True, "regression", True),
        Family("knn_regressor", "knnr", KNeighborsRegressor, "scaled", False, "regression",
               one_call=True),
        Family("svr_rbf", "svr", SVR, "scaled", False, "regression", True, one_call=True),
        Family("decision_tree_regressor", "dtr", DecisionTreeRegressor, "tree", True, "regression",
               one_call=True),
        Family("random_forest_regressor", "rfr", RandomForestRegressor, "tree", True, "regression"),
        Family("extra_trees_regressor", "etr", ExtraTreesRegressor, "tree", True, "regression"),
        Family("hist_gradient_boosting_regressor", "hgbr", HistGradientBoostingRegressor,
               "native", True, "regression"),
        Family("gradient_boosting_regressor", "gbr", GradientBoostingRegressor, "tree", True,
               "regression"),
        Family("adaboost_regressor", "adar", AdaBoostRegressor, "tree", True, "regression"),
        Family("mlp_regressor", "mlpr", MLPRegressor, "scaled", True, "regression", True, 300),
        Family("mean_baseline", "mean", DummyRegressor, "scaled", False, "regression"),
    ]
}  # fmt: skip

# Append-only settings per family; the first entry of each family is the default ({}).
_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "logistic_regression": [
        {}, {"C": 0.001}, {"C": 0.01}, {"C": 0.1}, {"C": 10.0}, {"C": 100.0},
        {"C": 1.0, "class_weight": "balanced"}, {"C": 0.1, "class_weight": "balanced"},
    ],
    "linear_svm": [{}, {"C": 0.01}, {"C": 0.1}, {"C": 10.0}, {"C": 1.0, "class_weight": "balanced"}],
    "svc_rbf": [
        {}, {"C": 0.1}, {"C": 10.0}, {"C": 100.0},
        {"C": 1.0, "gamma": 0.01}, {"C": 10.0, "gamma": 0.01}, {"C": 100.0, "gamma": 0.01},
        {"C": 1.0, "gamma": 0.1}, {"C": 10.0, "gamma": 0.1}, {"C": 1.0, "gamma": 1.0},
        {"C": 10.0, "gamma": 0.001}, {"C": 1.0, "class_weight": "balanced"},
    ],
    "knn": [
        {}, {"n_neighbors": 1}, {"n_neighbors": 3}, {"n_neighbors": 10}, {"n_neighbors": 20},
        {"n_neighbors": 50}, {"n_neighbors": 5, "weights": "distance"},
        {"n_neighbors": 10, "weights": "distance"}, {"n_neighbors": 20, "weights": "distance"},
        {"n_neighbors": 5, "p": 1}, {"n_neighbors": 10, "p": 1, "weights": "distance"},
    ],
    "gaussian_nb": [{}, {"var_smoothing": 1e-6}, {"var_smoothing": 1e-3}, {"var_smoothing": 0.1}],
    "lda": [
        {}, {"solver": "lsqr", "shrinkage": "auto"}, {"solver": "lsqr", "shrinkage": 0.1},
        {"solver": "lsqr", "shrinkage": 0.5},
    ],
    "qda": [{"reg_param": 0.01}, {"reg_param": 0.1}, {"reg_param": 0.5}],
    "decision_tree": [
        {}, {"max_depth": 1}, {"max_depth": 3}, {"max_depth": 5}, {"max_depth": 10},
        {"min_samples_leaf": 5}, {"min_samples_leaf": 20}, {"criterion": "entropy"},
        {"criterion": "entropy", "min_samples_leaf": 5}, {"max_depth": 5, "class_weight": "balanced"},
    ],
    "random_forest": [
        {}, {"max_features": 0.5}, {"max_features": 1.0}, {"min_samples_leaf": 5},
        {"max_features": 0.5, "min_samples_leaf": 5}, {"max_depth": 10},
        {"criterion": "entropy"}, {"n_estimators": 300}, {"class_weight": "balanced"},
        {"max_features": "log2"}, {"bootstrap": False},
    ],
    "extra_trees": [
        {}, {"max_features": 0.5}, {"max_features": 1.0}, {"min_samples_leaf": 5},
        {"max_features": 0.5, "min_samples_leaf": 5}, {"n_estimators": 300},
        {"criterion": "entropy"}, {"bootstrap": True},
    ],
    "hist_gradient_boosting": [
        {}, {"learning_rate": 0.03}, {"learning_rate": 0.3}, {"max_leaf_nodes": 7},
        {"max_leaf_nodes": 63}, {"learning_rate": 0.03, "max_iter": 300},
        {"learning_rate": 0.05, "max_leaf_nodes": 15, "max_iter": 200},
        {"l2_regularization": 1.0}, {"min_samples_leaf": 5}, {"min_samples_leaf": 50},
        {"max_depth": 3}, {"learning_rate": 0.1, "max_features": 0.5},
    ],
    "adaboost": [
        {}, {"n_estimators": 200}, {"learning_rate": 0.1}, {"learning_rate": 0.1, "n_estimators": 200},
        {"learning_rate": 0.5, "n_estimators": 100},
    ],
    "mlp": [
        {}, {"hidden_layer_sizes": [50]}, {"hidden_layer_sizes": [100, 100]},
        {"alpha": 0.01}, {"alpha": 1.0}, {"hidden_layer_sizes": [50, 50], "alpha": 0.01},
        {"learning_rate_init": 0.01}, {"early_stopping": True},
    ],
    "sgd": [
        {}, {"loss": "log_loss"}, {"loss": "modified_huber"}, {"alpha": 0.001},
        {"loss": "log_loss", "alpha": 0.001}, {"loss": "modified_huber", "alpha": 0.01},
        {"loss": "hinge", "alpha": 1e-5}, {"penalty": "elasticnet"}, {"loss": "log_loss", "alpha": 1e-5},
    ],
    # Regression.
    "linear_regression": [{}],
    "ridge": [
        {}, {"alpha": 0.01}, {"alpha": 0.1}, {"alpha": 10.0}, {"alpha": 100.0},
        {"alpha": 1000.0}, {"alpha": 1.0, "transform_target": "power"},
    ],
    "lasso": [{}, {"alpha": 0.001}, {"alpha": 0.01}, {"alpha": 0.1}, {"alpha": 10.0}],
    "elastic_net": [
        {}, {"alpha": 0.01, "l1_ratio": 0.5}, {"alpha": 0.1, "l1_ratio": 0.5},
        {"alpha": 0.01, "l1_ratio": 0.2}, {"alpha": 0.1, "l1_ratio": 0.8},
    ],
    "huber": [{}, {"epsilon": 1.1}, {"epsilon": 2.0}, {"alpha": 0.01}, {"alpha": 1.0}],
    "sgd_regressor": [
        {}, {"alpha": 0.001}, {"alpha": 1e-5}, {"loss": "huber"}, {"penalty": "elasticnet"},
    ],
    "knn_regressor": [
        {}, {"n_neighbors": 1}, {"n_neighbors": 3}, {"n_neighbors": 10}, {"n_neighbors": 20},
        {"n_neighbors": 50}, {"n_neighbors": 5, "weights": "distance"},
        {"n_neighbors": 10, "weights": "distance"}, {"n_neighbors": 20, "weights": "distance"},
        {"n_neighbors": 10, "p": 1, "weights": "distance"},
    ],
    "svr_rbf": [
        {}, {"C": 0.1}, {"C": 10.0}, {"C": 100.0}, {"C": 10.0, "gamma": 0.01},
        {"C": 100.0, "gamma": 0.01}, {"C": 1.0, "gamma": 0.1}, {"C": 10.0, "epsilon": 0.01},
        {"C": 1.0, "epsilon": 0.5},
    ],
    "decision_tree_regressor": [
        {}, {"max_depth": 3}, {"max_depth": 5}, {"max_depth": 10}, {"min_samples_leaf": 5},
        {"min_samples_leaf": 20}, {"max_features": 0.5},
        {"max_depth": 5, "min_samples_leaf": 5},
    ],
    "random_forest_regressor": [
        {}, {"max_features": 0.5}, {"max_features": 0.33}, {"min_samples_leaf": 5},
        {"max_depth": 10}, {"n_estimators": 300}, {"max_features": 0.5, "min_samples_leaf": 5},
        {"bootstrap": False, "max_features": 0.5},
    ],
    "extra_trees_regressor": [
        {}, {"max_features": 0.5}, {"min_samples_leaf": 5}, {"n_estimators": 300},
        {"max_features": 0.5, "min_samples_leaf": 5}, {"bootstrap": True},
    ],
    "hist_gradient_boosting_regressor": [
        {}, {"learning_rate": 0.03}, {"learning_rate": 0.3}, {"max_leaf_nodes": 7},
        {"max_leaf_nodes": 63}, {"learning_rate": 0.03, "max_iter": 300},
        {"learning_rate": 0.05, "max_leaf_nodes": 15, "max_iter": 200},
        {"l2_regularization": 1.0}, {"min_samples_leaf": 5}, {"min_samples_leaf": 50},
        {"max_depth": 3}, {"loss": "absolute_error"}, {"transform_target": "power"},
    ],
    "gradient_boosting_regressor": [
        {}, {"n_estimators": 300}, {"learning_rate": 0.03, "n_estimators": 300},
        {"max_depth": 5}, {"subsample": 0.8}, {"loss": "huber"},
    ],
    "adaboost_regressor": [
        {}, {"n_estimators": 200}, {"learning_rate": 0.1}, {"loss": "square"},
        {"loss": "exponential"},
    ],
    "mlp_regressor": [
        {}, {"hidden_layer_sizes": [50]}, {"hidden_layer_sizes": [100, 100]},
        {"alpha": 0.01}, {"alpha": 1.0}, {"hidden_layer_sizes": [50, 50], "alpha": 0.01},
        {"learning_rate_init": 0.01}, {"early_stopping": True},
    ],
    "mean_baseline": [{}],
}  # fmt: skip


@dataclass(frozen=True)
class LearnerConfig:
    """One point of the learner space."""

    config_id: str
    family: str
    params: dict[str, Any]

    @property
    def params_json(self) -> str:
        return json.dumps(self.params, sort_keys=True)


def space(families: list[str] | None = None, task: str = "classification") -> list[LearnerConfig]:
    """Return a learner space: every configuration of the task's families (110 for
    classification, 100 for regression), or those of the given families (any task)."""
    wanted = families or [name for name, f in FAMILIES.items() if f.task == task]
    unknown = sorted(set(wanted) - set(FAMILIES))
    if unknown:
        raise BadInputError(
            f"Unknown learner families: {', '.join(unknown)}; known: {', '.join(FAMILIES)}."
        )
    return [
        LearnerConfig(f"{FAMILIES[fam].prefix}_{i:02d}", fam, params)
        for fam in FAMILIES
        if fam in wanted
        for i, params in enumerate(_SETTINGS[fam])
    ]


def parse_configs(spec: str | None, task: str = "classification") -> list[LearnerConfig]:
    """Configurations named by a comma-separated list of families and config ids
    ("random_forest,lr_00"); every configuration of the task kind when ``spec`` is empty."""
    if not spec:
        return space(task=task)
    chosen: list[LearnerConfig] = []
    for item in (s.strip() for s in spec.split(",")):
        chosen.extend(space([item]) if item in FAMILIES else [get_config(item)])
    if not chosen:
        raise BadInputError(f"'{spec}' selects no configuration.")
    return chosen


def one_call(config_id: str) -> bool:
    """Whether a fit or a prediction of ``config_id`` is one long C call (``Family.one_call``)."""
    return FAMILIES[get_config(config_id).family].one_call


def root_id(config_id: str) -> str:
    """The grid configuration a :func:`neighbours` id was derived from (itself if none)."""
    return config_id.partition("[")[0]


def get_config(config_id: str) -> LearnerConfig:
    """Look up one configuration by its id, including ids made by :func:`neighbours`."""
    root, _, moved = config_id.partition("[")
    for config in space(list(FAMILIES)):
        if config.config_id == root:
            break
    else:
        raise BadInputError(f"Unknown configuration id '{config_id}'.")
    if root == config_id:
        return config
    unknown = BadInputError(f"Unknown configuration id '{config_id}'.")
    if not moved.endswith("]"):
        raise unknown
    params = dict(config.params)
    for item in moved[:-1].split(","):
        name, _, text = item.partition("=")
        if name not in TUNABLE.get(config.family, {}):
            raise unknown
        kind = int if integer(config.family, name) else float
        try:
            params[name] = kind(float(text))
        except ValueError:
            raise unknown from None
    return LearnerConfig(config_id, config.family, params)


def neighbours(config: LearnerConfig) -> list[tuple[LearnerConfig, float]]:
    """Configurations one step away from ``config`` along each tunable parameter.

    The steps of each parameter of :data:`TUNABLE` lie on one grid of half decades,
    10 ** (j / 2) (1, 3.16, 10, 31.6, ...; integers rounded, moving by at least one;
    clipped to the range), so that up then down returns to the same value and two grid
    configurations that differ in one parameter reach the same point between them. The
    new id is the grid configuration's id followed by the values that differ from it,
    e.g. ``lr_05[C=316]``; :func:`get_config` reads it back.

    Returns
    -------
    list of (LearnerConfig, float)
        Each neighbour with its predicted cost relative to ``config`` (the ratio of the
        parameters in ``COST_PARAMS``; 1 for the others).
    """
    root = get_config(root_id(config.config_id))
    defaults = FAMILIES[config.family].estimator().get_params()
    out = []
    for name, (low, high) in TUNABLE.get(config.family, {}).items():
        value = config.params.get(name, defaults[name])
        if not _is_number(value):
            continue
        j = round(2 * math.log10(value))
        for new in (10 ** ((j + 1) / 2), 10 ** ((j - 1) / 2)):
            if _is_int(value):
                new = round(new)
                new = max(new, value + 1) if new > value else min(new, value - 1)
            else:
                new = float(f"{new:.3g}")
            new = type(new)(min(max(new, low), high))
            if new == value:
                continue
            cost = new / value if name in COST_PARAMS else 1.0
            out.append((off_grid(root, {**config.params, name: new}), float(cost)))
    return out


def off_grid(root: LearnerConfig, params: dict[str, Any]) -> LearnerConfig:
    """The configuration of ``root``'s family with ``params``, named by ``root``'s id and
    the values that differ from it, e.g. ``lr_05[C=316]`` (:func:`get_config` reads it
    back); floats are kept to the three significant digits the id shows. A parameter set
    back to the estimator's default is dropped: the same point as the root's."""
    defaults = FAMILIES[root.family].estimator().get_params()
    params = {k: float(f"{v:.3g}") if isinstance(v, float) else v for k, v in params.items()}
    params = {k: v for k, v in params.items() if k in root.params or v != defaults.get(k)}
    moved = {k: v for k, v in params.items() if root.params.get(k) != v}
    if not moved:
        return root
    config_id = (
        root.config_id + "[" + ",".join(f"{k}={v:g}" for k, v in sorted(moved.items())) + "]"
    )
    return LearnerConfig(config_id, root.family, params)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def config_table(configs: list[LearnerConfig] | None = None) -> pd.DataFrame:
    """Configurations as a table: config_id, family, params (JSON text)."""
    rows = [(c.config_id, c.family, c.params_json) for c in configs or space()]
    return pd.DataFrame(rows, columns=["config_id", "family", "params"])
