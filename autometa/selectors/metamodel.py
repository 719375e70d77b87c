"""MetaModel: a small torch ensemble, plus a tree component, that scores (dataset,
configuration) pairs.

Each member embeds the scaled meta-features and the configuration description (id,
family, hyperparameters: see encoding.py) in two towers and scores every pair (their dot
product) as a residual on top of
the configuration's mean normalised score in training (the single-best prior, so the
model departs from the single best only where the data supports it); it is trained on all
training datasets at once with a listwise objective (ListNet: cross-entropy between the
softmax of the normalised scores and of the predicted scores, temperature 0.1) plus a
pointwise squared error that keeps predictions on the normalised-score scale. Beside it,
an optional multi-output ExtraTrees regressor of the same residuals (forest.py). The
prediction is

    prior + shrinkage * ((1 - tree_weight) * network + tree_weight * trees)

with ``shrinkage`` (and, with ``tree_weight="auto"``, the tree weight) chosen by inner
cross-validation on the training datasets (see ``_choose_blend``). The uncertainty is the
spread of single members (network members and trees, weighted as in the blend).

The default is the network alone (``tree_weight=0``): the blend with the weight chosen by
inner CV was evaluated once, on both meta-datasets, and did not do better (see
benchmarks/results/selection_variants.md), so it is an option, not the default.

Out-of-distribution guard: a dataset whose L1 distance (scaled meta-features) to its
nearest training dataset exceeds the 95th percentile of the training datasets'
nearest-neighbour distances is blended towards the greedy portfolio, with weight
``clip((d - q95) / q95, 0, 1)``; ``ood(meta_features)`` reports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from autometa.artifacts import header, read_torch
from autometa.device import resolve_device
from autometa.metadata import MetaDataset
from autometa.selectors.base import BaseSelector, greedy_portfolio
from autometa.selectors.blend import SHRINKAGE_GRID, TREE_WEIGHT_GRID, choose_blend
from autometa.selectors.encoding import FeatureScaler, config_matrix
from autometa.selectors.explanation import Explanation
from autometa.selectors.forest import fit_forest, predict_forest
from autometa.selectors.network import (
    NetworkSettings,
    Scorer,
    member_residuals,
    train_ensemble,
)

__all__ = ["Explanation", "MetaModel", "resolve_device"]

KIND = "autometa.metamodel"
NETWORK_PARAMS = ("n_members", "hidden", "epochs", "lr", "weight_decay", "temperature",
                  "mse_weight", "noise", "random_state")  # fmt: skip


class MetaModel(BaseSelector):
    """Torch ensemble ranking model (see module docstring).

    Parameters
    ----------
    n_members : int
        Ensemble size; each member has its own seed.
    hidden : int
        Width of the embeddings.
    epochs, lr, weight_decay : training of each member (full batch, Adam).
    temperature : float
        ListNet softmax temperature on normalised scores.
    mse_weight : float
        Weight of the pointwise squared error.
    noise : float
        Standard deviation of Gaussian noise added to scaled meta-features in training.
    shrinkage : float or "auto"
        Weight of the learned residual on top of the single-best prior; "auto" chooses it
        from (0, 0.25, 0.5, 1, 2) by inner cross-validation on the training datasets.
    trees : int
        Number of ExtraTrees in the tree component; 0: network only.
    tree_weight : float or "auto"
        Share of the tree component in the residual; "auto" chooses it from (0, 0.5, 1)
        together with the shrinkage; 0 (default): no trees are trained.
    inner_folds : int
        Folds (of whole families) of the inner cross-validation.
    diversify : int
        Length of the diversified head of the ranking (see ``rank``); 0 or 1: plain order.
    device : str
        "auto" (CUDA if available), "cpu", "cuda", ...
    random_state : int
    """

    def __init__(
        self,
        n_members: int = 5,
        hidden: int = 64,
        epochs: int = 300,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        temperature: float = 0.1,
        mse_weight: float = 1.0,
        noise: float = 0.1,
        shrinkage: float | str = "auto",
        trees: int = 100,
        tree_weight: float | str = 0.0,
        inner_folds: int = 3,
        diversify: int = 10,
        device: str = "auto",
        random_state: int = 0,
    ) -> None:
        self.n_members = n_members
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.mse_weight = mse_weight
        self.noise = noise
        self.shrinkage = shrinkage
        self.trees = trees
        self.tree_weight = tree_weight
        self.inner_folds = inner_folds
        self.diversify = diversify
        self.device = device
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def _fit(self, meta: MetaDataset) -> None:
        # Tiny tensors: one intra-op thread is fastest and leaves the other cores free.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._fit_members(meta)
        finally:
            torch.set_num_threads(threads)

    def _fit_members(self, meta: MetaDataset) -> None:
        self.device_ = resolve_device(self.device)
        X = self.scaler_.transform(self.train_features_)
        C, self.config_columns_ = config_matrix(
            meta.configs.set_index("config_id").loc[self.config_ids_].reset_index()
        )
        Y = self.train_scores_.to_numpy(dtype=np.float32)
        self._C = torch.tensor(C, device=self.device_)
        families = meta.datasets.set_index("name")["family"].reindex(self.train_features_.index)
        alphas, betas = self._grids()
        (self.shrinkage_, self.tree_weight_), self.inner_cv_ = choose_blend(
            X, Y, families.fillna("").to_numpy(), alphas, betas, self.inner_folds,
            self.random_state, self._network_residuals, self._tree_residuals,
        )  # fmt: skip
        self.prior_ = torch.tensor(Y.mean(axis=0), device=self.device_)
        self.members_ = train_ensemble(X, Y, self.prior_, self._C, self._settings, self.device_)
        self.forest_ = self._train_forest(X, Y)

    @property
    def _settings(self) -> NetworkSettings:
        return NetworkSettings(**{k: getattr(self, k) for k in NETWORK_PARAMS})

    def _grids(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        alphas = SHRINKAGE_GRID if self.shrinkage == "auto" else (float(self.shrinkage),)
        if not self._with_trees:
            betas: tuple[float, ...] = (0.0,)
        else:
            betas = TREE_WEIGHT_GRID if self.tree_weight == "auto" else (float(self.tree_weight),)
        return alphas, betas

    def _network_residuals(self, X: np.ndarray, Y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        prior = torch.tensor(Y.mean(axis=0), device=self.device_)
        members = train_ensemble(X, Y, prior, self._C, self._settings, self.device_)
        return member_residuals(members, X_test, self._C).mean(axis=0)

    def _tree_residuals(self, X: np.ndarray, Y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        return predict_forest(self._train_forest(X, Y), X_test)

    @property
    def _with_trees(self) -> bool:
        return self.trees > 0 and self.tree_weight != 0

    def _train_forest(self, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        """The tree component: ExtraTrees of the residuals around the training means."""
        if not self._with_trees:
            return {}
        return fit_forest(X, Y - Y.mean(axis=0), self.trees, self.random_state)

    # ------------------------------------------------------------------ prediction
    def predict(self, meta_features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and standard deviation of the predicted normalised scores.

        Returns
        -------
        mean, std : arrays, shape (n_datasets, n_configs)
        """
        self._check_fitted()
        network, trees = self._residuals(self.scaler_.transform(meta_features))
        a, b = self.shrinkage_, self.tree_weight_
        mean = self.prior_.cpu().numpy() + a * ((1 - b) * network.mean(0) + b * trees.mean(0))
        # Spread of single members: network members and trees, weighted as in the blend.
        std = a * np.sqrt(((1 - b) * network.std(0)) ** 2 + (b * trees.std(0)) ** 2)
        return mean, std

    def _residuals(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residuals of each network member (M, B, n_configs) and of each tree
        (T, B, n_configs; zeros (1, B, n_configs) without trees) for scaled meta-features
        Z (B, n_scaled)."""
        network = member_residuals(self.members_, Z, self._C)
        if not self.forest_:
            return network, np.zeros_like(network[:1])
        return network, predict_forest(self.forest_, Z, per_tree=True)

    def uncertainty(self, meta_features: pd.Series) -> pd.Series:
        """Spread of single members per configuration (network and trees, as blended)."""
        _, std = self.predict(self._features(meta_features).to_frame().T)
        return pd.Series(std[0], index=self.config_ids_, name="uncertainty")

    def _scores(self, x: pd.Series) -> np.ndarray:
        mean, _ = self.predict(x.to_frame().T)
        w = self.ood(x)["weight"]
        return (1.0 - w) * mean[0] + w * self.portfolio_scores_

    def rank(self, meta_features: pd.Series) -> pd.Series:
        """Predicted scores of every configuration, in recommended order.

        The first configuration is the best predicted one. With ``diversify=k``, places 2..k
        then go greedily to the configuration that most raises the similarity-weighted mean
        over training datasets of the best normalised score within the list so far (what
        best-of-top-k regret measures: near-identical configurations add nothing); the rest
        follow by predicted score. Values stay the predicted scores.
        """
        scores = super().rank(meta_features)
        if self.diversify < 2:
            return scores
        dist = self._distances(meta_features)
        weights = np.exp(-dist / max(float(np.median(dist)), 1e-12))
        index = {c: i for i, c in enumerate(self.config_ids_)}
        order = greedy_portfolio(
            self.train_scores_.to_numpy(), self.diversify, weights / weights.sum(),
            start=(index[scores.index[0]],),
        )  # fmt: skip
        head = [self.config_ids_[i] for i in order]
        return pd.concat([scores[head], scores.drop(head)])

    def explain(
        self, meta_features: pd.Series, n_neighbours: int = 3, n_features: int = 5
    ) -> Explanation:
        """Nearest training datasets and the meta-features that drove the top score
        (occlusion of the learned part: each feature set to its training median)."""
        base = super().explain(meta_features, n_neighbours, n_features)
        x = self._features(meta_features)
        z = self.scaler_.transform(x.to_frame().T)
        top = self.config_ids_.index(self.rank(x).index[0])
        # Row 0 is the dataset, row i + 1 the dataset with feature i at its training
        # median (0 after scaling; 0 = "not missing" for an indicator).
        occluded = np.repeat(z, z.shape[1] + 1, axis=0)
        occluded[np.arange(1, z.shape[1] + 1), np.arange(z.shape[1])] = 0.0
        network, trees = self._residuals(occluded)
        b = self.tree_weight_
        learned = self.shrinkage_ * ((1 - b) * network.mean(0) + b * trees.mean(0))[:, top]
        contrib = learned[0] - learned[1:]
        names = self.scaler_.output_names
        order = np.argsort(-np.abs(contrib), kind="stable")[:n_features]
        base.attributions = pd.DataFrame({
            "feature": [names[i] for i in order],
            "value": [x.get(names[i], np.nan) for i in order],
            "attribution": contrib[order],
        })  # fmt: skip
        return base

    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> MetaModel:
        self._configs = meta.configs[["config_id", "family", "params"]].copy()
        super().fit(meta, metric)
        return self

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> Path:
        """One self-describing file, readable with ``torch.load(weights_only=True)``."""
        self._check_fitted()
        payload: dict[str, Any] = {
            **header(KIND),
            "params": {k: getattr(self, k) for k in ("n_members", "hidden", "epochs", "lr",
                       "weight_decay", "temperature", "mse_weight", "noise", "shrinkage",
                       "trees", "tree_weight", "inner_folds", "diversify", "random_state")},
            "metric": self.metric_,
            "shrinkage_": self.shrinkage_,
            "tree_weight_": self.tree_weight_,
            "inner_cv": {c: self.inner_cv_[c].tolist() for c in self.inner_cv_.columns},
            "metafeature_names": list(self.train_features_.columns),
            "scaler": self.scaler_.to_dict(),
            "configs": {c: self._configs[c].tolist() for c in ("config_id", "family", "params")},
            "config_columns": self.config_columns_,
            "training_datasets": list(self.train_features_.index),
            "train_features": torch.tensor(self.train_features_.to_numpy(dtype=np.float64)),
            "train_scores": torch.tensor(self.train_scores_.to_numpy(dtype=np.float64)),
            "members": [{k: v.cpu() for k, v in m.state_dict().items()} for m in self.members_],
            "forest": {k: torch.from_numpy(v) for k, v in self.forest_.items()},
        }  # fmt: skip
        path = Path(path)
        torch.save(payload, path)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> MetaModel:
        """Read a file written by :meth:`save` (no pickle: weights_only=True)."""
        payload = read_torch(path, KIND)
        model = cls(**payload["params"], device=device)
        model.device_ = resolve_device(device)
        model.metric_ = payload["metric"]
        model.shrinkage_ = float(payload["shrinkage_"])
        model.tree_weight_ = float(payload["tree_weight_"])
        model.inner_cv_ = pd.DataFrame(payload["inner_cv"])
        model.forest_ = {k: v.numpy() for k, v in payload["forest"].items()}
        model._configs = pd.DataFrame(payload["configs"])
        model.config_ids_ = list(model._configs["config_id"])
        model.config_families_ = list(model._configs["family"])
        names, datasets = payload["metafeature_names"], payload["training_datasets"]
        model.train_features_ = pd.DataFrame(
            payload["train_features"].numpy(), index=datasets, columns=names
        )
        model.train_scores_ = pd.DataFrame(
            payload["train_scores"].numpy(), index=datasets, columns=model.config_ids_
        )
        model.scaler_ = FeatureScaler.from_dict(payload["scaler"])
        C, model.config_columns_ = config_matrix(model._configs)
        model._C = torch.tensor(C, device=model.device_)
        model.members_ = []
        for state in payload["members"]:
            member = Scorer(len(model.scaler_.output_names), C.shape[1], model.hidden)
            member.load_state_dict(state)
            model.members_.append(member.to(model.device_).eval())
        scores = model.train_scores_.to_numpy(dtype=np.float32)
        model.prior_ = torch.tensor(scores.mean(axis=0), device=model.device_)
        model._fit_guard(model.scaler_.transform(model.train_features_))
        return model
