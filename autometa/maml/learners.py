"""Neural base learners with a meta-learned initialisation, in scikit-learn's API.

``meta_fit(tasks)`` learns the initialisation of a small MLP (and, for Meta-SGD, its
per-parameter step sizes) from a family of same-schema tasks; ``fit(X, y)`` adapts it to
one new task with a few gradient steps; ``predict`` uses the adapted weights. Features
are standardised with statistics of the meta-training rows, so that a new task's few
rows are scaled as the initialisation expects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from autometa.artifacts import header, read_torch
from autometa.exceptions import BadInputError, NotFittedError
from autometa.maml.core import MetaLearner, cross_entropy_loss, mse_loss
from autometa.maml.tasks import TableTasks

__all__ = ["MAMLClassifier", "MAMLRegressor", "load_initialisation", "mlp"]

KIND = "autometa.maml"


def mlp(n_in: int, hidden: tuple[int, ...], n_out: int) -> nn.Sequential:
    """ReLU MLP n_in -> hidden... -> n_out (Finn et al.'s sinusoid net: 1-40-40-1)."""
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


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

    # ------------------------------------------------------------------ meta-training
    def meta_fit(
        self,
        tasks: list[tuple[Any, Any]],
        callback: Any = None,
    ) -> _MAMLBase:
        """Learn the initialisation from a family of tasks.

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
        if hasattr(first, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in first.columns], dtype=object)
        arrays = [(_as_float(X), np.asarray(y)) for X, y in tasks]
        stacked = np.vstack([X for X, _ in arrays])
        self.mean_ = np.nanmean(stacked, axis=0)
        self.scale_ = np.nanstd(stacked, axis=0)
        self.scale_[~(self.scale_ > 0)] = 1.0
        self.n_features_in_ = stacked.shape[1]
        if self._classification:
            self.classes_ = np.unique(np.concatenate([y for _, y in arrays]))
            targets = [np.searchsorted(self.classes_, y) for _, y in arrays]
            n_out = len(self.classes_)
        else:
            targets = [y.astype(np.float32) for _, y in arrays]
            n_out = 1
        table_tasks = TableTasks(
            [(self._scale(X), t) for (X, _), t in zip(arrays, targets, strict=True)],
            self._classification, self.k_shot, self.k_query, self.random_state,
        )  # fmt: skip
        self.learner_ = self._new_learner(n_out)
        self.learner_.fit(table_tasks.stream(self.meta_batch), self.meta_iterations, callback)
        self.n_out_ = n_out
        return self

    def _new_learner(self, n_out: int) -> MetaLearner:
        return MetaLearner(
            mlp(self.n_features_in_, tuple(self.hidden), n_out),
            loss=cross_entropy_loss if self._classification else mse_loss,
            algorithm=self.algorithm, inner_steps=self.inner_steps, inner_lr=self.inner_lr,
            meta_lr=self.meta_lr, grad_clip=self.grad_clip, device=self.device,
            random_state=self.random_state,
        )  # fmt: skip

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return np.nan_to_num((X - self.mean_) / self.scale_).astype(np.float32)

    # ------------------------------------------------------------------ adaptation
    def fit(self, X: Any, y: Any) -> _MAMLBase:
        """Adapt the meta-learned initialisation to (X, y) with ``adapt_steps`` steps."""
        if not hasattr(self, "learner_"):
            raise NotFittedError("Call meta_fit(tasks) (or load an initialisation) before fit.")
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
            target = torch.as_tensor(y.astype(np.float32)).reshape(1, -1, 1)
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
        if not hasattr(self, "learner_"):
            raise NotFittedError("Nothing to save: call meta_fit first.")
        params = {k: getattr(self, k) for k in ("algorithm", "inner_steps", "inner_lr", "meta_lr",
                  "meta_batch", "meta_iterations", "k_shot", "k_query", "adapt_steps",
                  "grad_clip", "random_state")}  # fmt: skip
        payload = {
            **header(KIND),
            "estimator": type(self).__name__,
            "params": params,
            "hidden": list(self.hidden),
            "n_features": self.n_features_in_,
            "n_out": self.n_out_,
            "feature_names": [str(c) for c in getattr(self, "feature_names_in_", [])],
            "mean": torch.as_tensor(self.mean_),
            "scale": torch.as_tensor(self.scale_),
            "classes": [
                c.item() if isinstance(c, np.generic) else c for c in getattr(self, "classes_", [])
            ],
            "state": self.learner_.state(),
        }
        path = Path(path)
        torch.save(payload, path)
        return path


class MAMLRegressor(RegressorMixin, _MAMLBase):
    """MLP regressor adapted from a MAML / Meta-SGD initialisation.

    Parameters
    ----------
    hidden : tuple of int
        Hidden layer widths.
    algorithm : str
        "maml", "fomaml" or "metasgd".
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
        """Predictions, shape (n_rows,)."""
        return self._outputs(X)[:, 0].numpy()


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
    est = cls(hidden=tuple(payload["hidden"]), device=device, **payload["params"])
    est.n_features_in_ = int(payload["n_features"])
    est.n_out_ = int(payload["n_out"])
    if payload.get("feature_names"):
        est.feature_names_in_ = np.asarray(payload["feature_names"], dtype=object)
    est.mean_ = payload["mean"].numpy()
    est.scale_ = payload["scale"].numpy()
    if isinstance(est, MAMLClassifier):
        est.classes_ = np.asarray(payload["classes"])
    est.learner_ = est._new_learner(est.n_out_)
    est.learner_.load_state(payload["state"])
    return est


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
