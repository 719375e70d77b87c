"""The ranges of the numeric hyperparameters the search may move off the grid (see
``learners.neighbours``): per family, name -> (low, high). Integers stay integers. A
parameter whose current value (its own or the estimator's default) is not a positive
number, e.g. max_depth=None, stays put. A classifier family and its regression twin share
their ranges."""

from __future__ import annotations

__all__ = ["COST_PARAMS", "TUNABLE", "Ranges", "integer"]

Ranges = dict[str, tuple[float, float]]
_KNN: Ranges = {"n_neighbors": (1, 100)}
_TREE: Ranges = {"min_samples_leaf": (1, 200), "max_depth": (1, 50)}
_FOREST = {"n_estimators": (10, 1000), "min_samples_leaf": (1, 100), "max_features": (0.05, 1.0)}
_HGB = {
    "learning_rate": (0.005, 1.0),
    "max_iter": (20, 3000),
    "max_leaf_nodes": (4, 512),
    "min_samples_leaf": (1, 500),
    "l2_regularization": (1e-3, 100.0),
}
_ADABOOST = {"n_estimators": (10, 1000), "learning_rate": (0.01, 2.0)}
_MLP = {"alpha": (1e-7, 10.0), "learning_rate_init": (1e-4, 0.1)}
_SGD = {"alpha": (1e-7, 1.0)}
TUNABLE: dict[str, Ranges] = {
    "logistic_regression": {"C": (1e-4, 1e6)},
    "linear_svm": {"C": (1e-4, 1e6)},
    "svc_rbf": {"C": (1e-4, 1e6), "gamma": (1e-4, 1e6)},
    "knn": _KNN,
    "gaussian_nb": {"var_smoothing": (1e-12, 1.0)},
    "qda": {"reg_param": (1e-4, 1.0)},
    "decision_tree": _TREE,
    "random_forest": _FOREST,
    "extra_trees": _FOREST,
    "hist_gradient_boosting": _HGB,
    "adaboost": _ADABOOST,
    "mlp": _MLP,
    "sgd": _SGD,
    "ridge": {"alpha": (1e-4, 1e5)},
    "lasso": {"alpha": (1e-5, 100.0)},
    "elastic_net": {"alpha": (1e-5, 100.0)},
    "huber": {"alpha": (1e-6, 100.0), "epsilon": (1.0, 10.0)},
    "sgd_regressor": _SGD,
    "knn_regressor": _KNN,
    "svr_rbf": {"C": (1e-4, 1e6), "gamma": (1e-4, 1e6), "epsilon": (1e-3, 1.0)},
    "decision_tree_regressor": _TREE,
    "random_forest_regressor": _FOREST,
    "extra_trees_regressor": _FOREST,
    "hist_gradient_boosting_regressor": _HGB,
    "gradient_boosting_regressor": {"n_estimators": (10, 1000), "learning_rate": (0.01, 1.0), "max_depth": (1, 12)},
    "adaboost_regressor": _ADABOOST,
    "mlp_regressor": _MLP,
}  # fmt: skip
# Parameters a fit's cost grows with about linearly (used to predict a neighbour's time).
COST_PARAMS = ("n_estimators", "max_iter", "max_leaf_nodes")


def integer(family: str, name: str) -> bool:
    """Whether a tunable parameter takes integers: its range's bounds are ints."""
    low, high = TUNABLE[family][name]
    return isinstance(low, int) and isinstance(high, int)
