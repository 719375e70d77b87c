"""Neural base learners with a meta-learned initialisation, in scikit-learn's API.

``meta_fit(tasks)`` learns the initialisation of a small MLP (and, for Meta-SGD, its
per-parameter step sizes) from a family of same-schema tasks; ``fit(X, y)`` adapts it to
one new task with a few gradient steps; ``predict`` uses the adapted weights. Features
(and a regression target) are standardised with statistics of the meta-training rows, so
that a new task's few rows are scaled as the initialisation expects: a target in the
hundreds would otherwise take the inner steps' clipped gradients hundreds of steps to
reach.

scikit-learn's contract: the learned initialisation is the constructor argument ``init``
(a :class:`MetaInit`). ``meta_fit`` sets it (as ``warm_start``-style estimators set
their state), so ``clone(est).fit(X, y)`` adapts from the same initialisation; an
initialisation read from a file is passed the same way (``load_initialisation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from autometa.artifacts import read_torch, write_torch
from autometa.exceptions import BadInputError, NotFittedError
from autometa.maml.core import MetaLearner, cross_entropy_loss, mse_loss
from autometa.maml.protonet import PrototypicalNetwork
from autometa.maml.tasks import TableTasks

__all__ = [
    "MAMLClassifier",
    "MAMLRegressor",
    "MetaInit",
    "load_initialisation",
    "mlp",
    "standardisation",
]

KIND = "autometa.maml"


def mlp(n_in: int, hidden: tuple[int, ...], n_out: int, random_state: int = 0) -> nn.Sequential:
    """ReLU MLP n_in -> hidden... -> n_out (Finn et al.'s sinusoid net: 1-40-40-1),
    initialised from ``random_state`` (torch's global generator is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        layers: list[nn.Module] = []
        width = n_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, n_out))
        return nn.Sequential(*layers)


def standardisation(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of each column of ``values`` (n_rows, n_columns), missing values
    ignored; shapes (n_columns,). A column without spread gets 1 (it scales to 0)."""
    mean = np.nanmean(values, axis=0)
    scale = np.nanstd(values, axis=0)
    scale[~(scale > 0)] = 1.0
    return mean, scale


@dataclass
class MetaInit:
    """A meta-learned initialisation: what ``fit`` adapts from.

    Attributes
    ----------
    state : dict
        The MetaLearner's state (initial weights; Meta-SGD: also step sizes).
    hidden : tuple of int
    n_features, n_out : int
    mean, scale : arrays, shape (n_features,)
        Standardisation of the meta-training rows.
    classes : array, shape (n_classes,)
        Classification: the classes of the meta-training tasks (empty for regression).
    feature_names : list of str
        Column names of the meta-training tasks (empty when they had none).
    y_mean, y_scale : float
        Regression: standardisation of the meta-training targets (0 and 1 for
        classification, and in files written before it existed).
    """

    state: dict[str, dict[str, torch.Tensor]]
    hidden: tuple[int, ...]
    n_features: int
    n_out: int
    mean: np.ndarray
    scale: np.ndarray
    classes: np.ndarray
    feature_names: list[str]
    y_mean: float = 0.0
    y_scale: float = 1.0


class _MAMLBase(BaseEstimator):
    """Shared by MAMLRegressor and MAMLClassifier (see their docstrings)."""

    _classification = False

    def __init__(
        self,
        hidden: tuple[int, ...] = (40, 40),
        algorithm: str = "maml",
        inner_steps: int = 1,
        inner_lr: float = 0.01,
        meta_lr: float = 1e-3,
        meta_batch: int = 25,
        meta_iterations: int = 2000,
        k_shot: int = 10,
        k_query: int = 10,
        adapt_steps: int = 10,
        grad_clip: float = 10.0,
        device: str = "auto",
        random_state: int = 0,
        init: MetaInit | None = None,
    ) -> None:
        self.hidden = hidden
        self.algorithm = algorithm
        self.inner_steps = inner_steps
        self.inner_lr = inner_lr
        self.meta_lr = meta_lr
        self.meta_batch = meta_batch
        self.meta_iterations = meta_iterations
        self.k_shot = k_shot
        self.k_query = k_query
        self.adapt_steps = adapt_steps
        self.grad_clip = grad_clip
        self.device = device
        self.random_state = random_state
        self.init = init

    # ------------------------------------------------------------------ meta-training
    def meta_fit(
        self,
        tasks: list[tuple[Any, Any]],
        callback: Any = None,
    ) -> _MAMLBase:
        """Learn the initialisation from a family of tasks and set it as ``init``.

        Parameters
        ----------
        tasks : list of (X, y)
            Same features in every task; X (n_rows_i, n_features) numeric, y (n_rows_i,).
            Classification: the same class labels across tasks (``classes_`` is their union).
        callback : callable, optional
            ``callback(iteration, query_loss)`` after each meta-update.
        """
        if not tasks:
            raise BadInputError("meta_fit needs a non-empty list of (X, y) tasks.")
        first = tasks[0][0]
        names = [str(c) for c in first.columns] if hasattr(first, "columns") else []
        arrays = [(_as_float(X), np.asarray(y)) for X, y in tasks]
        stacked = np.vstack([X for X, _ in arrays])
        mean, scale = standardisation(stacked)
        y_mean, y_scale = 0.0, 1.0
        if self._classification:
            classes = np.unique(np.concatenate([y for _, y in arrays]))
            targets = [np.searchsorted(classes, y) for _, y in arrays]
            n_out = len(classes)
        else:
            classes = np.asarray([])
            every_y = np.concatenate([y for _, y in arrays]).astype(np.float64)
            y_means, y_scales = standardisation(every_y[:, None])
            y_mean, y_scale = float(y_means[0]), float(y_scales[0])
            targets = [((y - y_mean) / y_scale).astype(np.float32) for _, y in arrays]
            n_out = 1
        scaled = [
            (np.nan_to_num((X - mean) / scale).astype(np.float32), t)
            for (X, _), t in zip(arrays, targets, strict=True)
        ]
        table_tasks = TableTasks(
            scaled, self._classification, self.k_shot, self.k_query, self.random_state
        )
        learner = self._new_learner(stacked.shape[1], n_out)
        learner.fit(table_tasks.stream(self.meta_batch), self.meta_iterations, callback)
        self.init = MetaInit(
            learner.state(),
            tuple(self.hidden),
            stacked.shape[1],
            n_out,
            mean,
            scale,
            classes,
            names,
            y_mean,
            y_scale,
        )
        return self

    def _new_learner(self, n_features: int, n_out: int) -> MetaLearner | PrototypicalNetwork:
        network = mlp(n_features, tuple(self.hidden), n_out, self.random_state)
        if self.algorithm == "protonet":
            if not self._classification:
                raise BadInputError(
                    "algorithm='protonet' (prototypical networks) is for classification; "
                    "use maml, fomaml or metasgd for regression."
                )
            return PrototypicalNetwork(network, n_out, self.meta_lr, self.device, self.random_state)
        return MetaLearner(
            network,
            loss=cross_entropy_loss if self._classification else mse_loss,
            algorithm=self.algorithm, inner_steps=self.inner_steps, inner_lr=self.inner_lr,
            meta_lr=self.meta_lr, grad_clip=self.grad_clip, device=self.device,
            random_state=self.random_state,
        )  # fmt: skip

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return np.nan_to_num((X - self.mean_) / self.scale_).astype(np.float32)

    # ------------------------------------------------------------------ adaptation
    def fit(self, X: Any, y: Any) -> _MAMLBase:
        """Adapt the initialisation ``init`` to (X, y) with ``adapt_steps`` steps."""
        init = self.init
        if init is None:
            raise NotFittedError(
                "No initialisation: call meta_fit(tasks), or pass init= (e.g. from "
                "load_initialisation) before fit."
            )
        self.n_features_in_, self.n_out_ = init.n_features, init.n_out
        self.mean_, self.scale_ = init.mean, init.scale
        self.y_mean_, self.y_scale_ = init.y_mean, init.y_scale
        if init.feature_names:
            self.feature_names_in_ = np.asarray(init.feature_names, dtype=object)
        if self._classification:
            self.classes_ = init.classes
        self.learner_ = self._new_learner(init.n_features, init.n_out)
        self.learner_.load_state(init.state)
        X = self._check_X(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise BadInputError(f"X has {len(X)} rows but y has {len(y)}.")
        if self._classification:
            unknown = sorted(set(y.tolist()) - set(self.classes_.tolist()))
            if unknown:
                raise BadInputError(
                    f"Classes {unknown[:5]} were not in the meta-training tasks "
                    f"({list(self.classes_)[:10]})."
                )
            target = torch.as_tensor(np.searchsorted(self.classes_, y)).unsqueeze(0)
        else:
            scaled_y = (y.astype(np.float64) - self.y_mean_) / self.y_scale_
            target = torch.as_tensor(scaled_y.astype(np.float32)).reshape(1, -1, 1)
        x = torch.as_tensor(self._scale(X)).unsqueeze(0)
        dev = self.learner_.device
        with self.learner_.one_thread():
            weights = self.learner_.adapt(x.to(dev), target.to(dev), self.adapt_steps, False)
        self.weights_ = {k: v.detach() for k, v in weights.items()}
        return self

    def _check_X(self, X: Any) -> np.ndarray:
        X = _as_float(X)
        if X.shape[1] != self.n_features_in_:
            raise BadInputError(
                f"X has {X.shape[1]} features; the initialisation was meta-trained on "
                f"{self.n_features_in_}."
            )
        return X

    def _outputs(self, X: Any) -> torch.Tensor:
        check_is_fitted(self, "weights_")
        x = torch.as_tensor(self._scale(self._check_X(X))).unsqueeze(0)
        with torch.no_grad():
            return self.learner_.forward(self.weights_, x.to(self.learner_.device))[0].cpu()

    # ------------------------------------------------------------------ files
    def save_initialisation(self, path: str | Path) -> Path:
        """One self-describing file (``torch.load(weights_only=True)`` reads it)."""
        init = self.init
        if init is None:
            raise NotFittedError("Nothing to save: call meta_fit first.")
        params = {k: getattr(self, k) for k in ("algorithm", "inner_steps", "inner_lr", "meta_lr",
                  "meta_batch", "meta_iterations", "k_shot", "k_query", "adapt_steps",
                  "grad_clip", "random_state")}  # fmt: skip
        payload = {
            "estimator": type(self).__name__,
            "params": params,
            "hidden": list(init.hidden),
            "n_features": init.n_features,
            "n_out": init.n_out,
            "feature_names": list(init.feature_names),
            "mean": torch.as_tensor(init.mean),
            "scale": torch.as_tensor(init.scale),
            "classes": [c.item() if isinstance(c, np.generic) else c for c in init.classes],
            "y_mean": init.y_mean,
            "y_scale": init.y_scale,
            "state": init.state,
        }
        return write_torch(path, KIND, payload)


class MAMLRegressor(RegressorMixin, _MAMLBase):
    """MLP regressor adapted from a MAML / Meta-SGD initialisation.

    Parameters
    ----------
    hidden : tuple of int
        Hidden layer widths.
    algorithm : str
        "maml", "fomaml" or "metasgd"; for classification also "protonet" (prototypical
        networks: the embedding is meta-trained, and ``fit`` computes the classes'
        prototypes from the new task's rows instead of taking gradient steps).
    inner_steps, inner_lr : int, float
        Inner loop of meta-training (Meta-SGD: initial step size).
    meta_lr, meta_batch, meta_iterations : float, int, int
        Outer loop: Adam step size, tasks per meta-batch, number of meta-updates.
    k_shot, k_query : int
        Support / query rows drawn from each task in meta-training.
    adapt_steps : int
        Gradient steps of ``fit`` on a new task.
    grad_clip : float
        Bound on every inner gradient entry (divergence guard).
    device : str
    random_state : int
    """

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, shape (n_rows,), in the target's units."""
        return self._outputs(X)[:, 0].numpy() * self.y_scale_ + self.y_mean_


class MAMLClassifier(ClassifierMixin, _MAMLBase):
    """MLP classifier adapted from a MAML / Meta-SGD initialisation (parameters as
    :class:`MAMLRegressor`); the classes are those of the meta-training tasks."""

    _classification = True

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities, shape (n_rows, n_classes)."""
        return torch.softmax(self._outputs(X), dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Class labels, shape (n_rows,)."""
        return self.classes_[self._outputs(X).argmax(dim=1).numpy()]


def load_initialisation(path: str | Path, device: str = "auto") -> MAMLRegressor | MAMLClassifier:
    """Read a file written by ``save_initialisation``; returns a learner ready for ``fit``."""
    payload = read_torch(path, KIND)
    cls = MAMLClassifier if payload["estimator"] == "MAMLClassifier" else MAMLRegressor
    init = MetaInit(
        payload["state"], tuple(payload["hidden"]), int(payload["n_features"]),
        int(payload["n_out"]), payload["mean"].numpy(), payload["scale"].numpy(),
        np.asarray(payload["classes"]), list(payload["feature_names"]),
        float(payload.get("y_mean", 0.0)), float(payload.get("y_scale", 1.0)),
    )  # fmt: skip
    return cls(hidden=init.hidden, device=device, init=init, **payload["params"])


def _as_float(X: Any) -> np.ndarray:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BadInputError(
            f"MAML learners need numeric features ({exc}); encode text columns first."
        ) from exc
    if arr.ndim != 2:
        raise BadInputError(f"X must be 2-dimensional; got shape {arr.shape}.")
    return arr
