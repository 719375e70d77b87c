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

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from autometa.artifacts import header, read_torch
from autometa.metadata import MetaDataset
from autometa.selectors.base import BaseSelector
from autometa.selectors.baselines import greedy_portfolio
from autometa.selectors.encoding import FeatureScaler, config_matrix
from autometa.selectors.forest import fit_forest, predict_forest

__all__ = ["Explanation", "MetaModel", "resolve_device"]

KIND = "autometa.metamodel"
SHRINKAGE_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)
TREE_WEIGHT_GRID = (0.0, 0.5, 1.0)


def resolve_device(device: str) -> torch.device:
    """ "auto" -> CUDA when available, else CPU; anything else is passed to torch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class _Scorer(nn.Module):
    """Two towers: a dataset embedding and a configuration embedding; their scaled dot
    product is the residual score of the pair (cheap: no (datasets x configs x hidden)
    tensor, so a whole meta-dataset is one small matrix product)."""

    def __init__(self, d_in: int, q_in: int, hidden: int) -> None:
        super().__init__()
        self.dataset = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.config = nn.Sequential(nn.Linear(q_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.scale = 1.0 / float(np.sqrt(hidden))

    def forward(self, X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
        """X (B, d_in), C (n_configs, q_in) -> scores (B, n_configs)."""
        return self.scale * self.dataset(X) @ self.config(C).T


def _init(module: nn.Module, generator: torch.Generator) -> None:
    """Seeded initialisation (PyTorch's default scheme) without touching the global RNG."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / np.sqrt(layer.in_features)
            nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


@dataclass
class Explanation:
    """Why a dataset got its ranking.

    Attributes
    ----------
    neighbours : DataFrame
        Nearest training datasets: dataset, distance, best_config, best_family.
    attributions : DataFrame
        Meta-features that moved the top configuration's score most: feature, value,
        attribution (how much the learned part of its score drops when the feature is set
        to its training median, i.e. occlusion; positive: the feature raises the score).
    ood : dict
        distance, threshold, weight of the out-of-distribution blend.
    """

    neighbours: pd.DataFrame
    attributions: pd.DataFrame
    ood: dict[str, float]


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
        self.scaler_ = FeatureScaler.fit(self.train_features_)
        X = self.scaler_.transform(self.train_features_)
        C, self.config_columns_ = config_matrix(
            meta.configs.set_index("config_id").loc[self.config_ids_].reset_index()
        )
        Y = self.train_scores_.to_numpy(dtype=np.float32)
        self._C = torch.tensor(C, device=self.device_)
        families = meta.datasets.set_index("name")["family"].reindex(self.train_features_.index)
        self.shrinkage_, self.tree_weight_ = self._choose_blend(
            X, Y, families.fillna("").to_numpy()
        )
        self.prior_ = torch.tensor(Y.mean(axis=0), device=self.device_)
        self.members_ = self._train_ensemble(X, Y, self.prior_)
        self.forest_ = self._train_forest(X, Y)
        self._fit_guard(X, Y)

    def _grids(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        alphas = SHRINKAGE_GRID if self.shrinkage == "auto" else (float(self.shrinkage),)
        if not self._with_trees:
            betas: tuple[float, ...] = (0.0,)
        else:
            betas = TREE_WEIGHT_GRID if self.tree_weight == "auto" else (float(self.tree_weight),)
        return alphas, betas

    def _choose_blend(
        self, X: np.ndarray, Y: np.ndarray, families: np.ndarray
    ) -> tuple[float, float]:
        """Pick the shrinkage and the tree weight by inner cross-validation over the training
        datasets only (``inner_folds`` folds of whole families): the pair with the best mean
        normalised score of the top-1 pick; ties go to the smaller move, then to the smaller
        tree weight. The table of every pair's score is kept in ``inner_cv_``."""
        alphas, betas = self._grids()
        pairs = [(a, b) for a in alphas for b in betas]
        self.inner_cv_ = pd.DataFrame(
            {"shrinkage": [a for a, _ in pairs], "tree_weight": [b for _, b in pairs]}
        )
        if len(pairs) == 1:
            self.inner_cv_["top1_score"] = np.nan
            return pairs[0]
        rng = np.random.default_rng(self.random_state)
        groups = np.unique(families)
        fold_of = dict(zip(groups, rng.permutation(len(groups)) % self.inner_folds, strict=True))
        folds = np.array([fold_of[f] for f in families])
        picked: dict[tuple[float, float], list[float]] = {pair: [] for pair in pairs}
        for k in range(self.inner_folds):
            train, test = folds != k, folds == k
            if train.sum() < 2 or test.sum() == 0:
                continue
            prior = torch.tensor(Y[train].mean(axis=0), device=self.device_)
            members = self._train_ensemble(X[train], Y[train], prior)
            with torch.no_grad():
                Xt = torch.tensor(X[test], device=self.device_)
                network = torch.stack([m(Xt, self._C) for m in members]).mean(0).cpu().numpy()
            trees = (
                predict_forest(self._train_forest(X[train], Y[train]), X[test])
                if max(betas) > 0
                else 0.0
            )
            for a, b in pairs:
                top = (prior.cpu().numpy() + a * ((1 - b) * network + b * trees)).argmax(axis=1)
                picked[a, b].extend(Y[test][np.arange(test.sum()), top])
        means = [float(np.mean(picked[p])) if picked[p] else -np.inf for p in pairs]
        self.inner_cv_["top1_score"] = means
        best = max(means)
        return min(p for p, m in zip(pairs, means, strict=True) if m >= best - 1e-12)

    @property
    def _with_trees(self) -> bool:
        return self.trees > 0 and self.tree_weight != 0

    def _train_forest(self, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        """The tree component: ExtraTrees of the residuals around the training means."""
        if not self._with_trees:
            return {}
        return fit_forest(X, Y - Y.mean(axis=0), self.trees, self.random_state)

    def _train_ensemble(self, X: np.ndarray, Y: np.ndarray, prior: torch.Tensor) -> list[_Scorer]:
        """Train all members at once: their parameters are stacked and the forward pass is
        vmapped over members (torch.func), so an ensemble costs about one model's steps."""
        gens = [
            torch.Generator().manual_seed(int(self.random_state) * 1000 + m)
            for m in range(self.n_members)
        ]
        members = []
        for g in gens:
            model = _Scorer(X.shape[1], self._C.shape[1], self.hidden)
            _init(model, g)
            members.append(model.to(self.device_))
        params, buffers = stack_module_state(members)
        base = copy.deepcopy(members[0]).to("meta")

        def forward(p: dict, b: dict, x: torch.Tensor) -> torch.Tensor:
            return functional_call(base, (p, b), (x, self._C))

        batched = vmap(forward, in_dims=(0, 0, 0))
        Xt, Yt = torch.tensor(X, device=self.device_), torch.tensor(Y, device=self.device_)
        target = torch.softmax(Yt / self.temperature, dim=1)
        opt = torch.optim.Adam(list(params.values()), lr=self.lr, weight_decay=self.weight_decay)
        for _ in range(self.epochs):
            noise = torch.stack([torch.randn(Xt.shape, generator=g) for g in gens]).to(self.device_)
            pred = prior + batched(params, buffers, Xt + self.noise * noise)  # (M, B, n)
            log_p = torch.log_softmax(pred / self.temperature, dim=2)
            listnet = -(target * log_p).sum(dim=2).mean(dim=1)
            # Summing the members' losses keeps their gradients independent.
            loss = (listnet + self.mse_weight * ((pred - Yt) ** 2).mean(dim=(1, 2))).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        for m, model in enumerate(members):
            model.load_state_dict({name: value[m].detach() for name, value in params.items()})
            model.eval()
        return members

    def _fit_guard(self, X: np.ndarray, Y: np.ndarray) -> None:
        self.train_scaled_ = X
        d = np.abs(X[:, None, :] - X[None, :, :]).sum(axis=2)
        np.fill_diagonal(d, np.inf)
        self.ood_threshold_ = float(np.quantile(d.min(axis=1), 0.95))
        order = greedy_portfolio(Y, len(self.config_ids_))
        portfolio = np.empty(len(order))
        portfolio[order] = np.linspace(1.0, 0.0, len(order))
        self.portfolio_scores_ = portfolio

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
        with torch.no_grad():
            Zt = torch.as_tensor(Z, device=self.device_)
            network = torch.stack([m(Zt, self._C) for m in self.members_]).cpu().numpy()
        if not self.forest_:
            return network, np.zeros_like(network[:1])
        return network, predict_forest(self.forest_, Z, per_tree=True)

    def ood(self, meta_features: pd.Series) -> dict[str, float]:
        """Distance to the nearest training dataset, the threshold and the blend weight."""
        self._check_fitted()
        x = self.scaler_.transform(meta_features.to_frame().T)[0]
        d = float(np.abs(self.train_scaled_ - x).sum(axis=1).min())
        t = self.ood_threshold_
        return {"distance": d, "threshold": t, "weight": float(np.clip((d - t) / t, 0.0, 1.0))}

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
        x = meta_features.reindex(self.train_features_.columns).astype(float)
        z = self.scaler_.transform(x.to_frame().T)[0]
        dist = np.abs(self.train_scaled_ - z).sum(axis=1)
        weights = np.exp(-dist / max(float(np.median(dist)), 1e-12))
        weights /= weights.sum()
        Y = self.train_scores_.to_numpy()
        index = {c: i for i, c in enumerate(self.config_ids_)}
        order = [index[scores.index[0]]]
        best = Y[:, order[0]].copy()
        for _ in range(min(self.diversify, len(index)) - 1):
            gain = weights @ np.maximum(Y, best[:, None])
            gain[order] = -np.inf
            pick = int(np.argmax(gain))
            order.append(pick)
            best = np.maximum(best, Y[:, pick])
        head = [self.config_ids_[i] for i in order]
        return pd.concat([scores[head], scores.drop(head)])

    def explain(
        self, meta_features: pd.Series, n_neighbours: int = 3, n_features: int = 5
    ) -> Explanation:
        """Nearest training datasets and the meta-features that drove the top score."""
        self._check_fitted()
        x = meta_features.reindex(self.train_features_.columns).astype(float)
        z = self.scaler_.transform(x.to_frame().T)
        dist = np.abs(self.train_scaled_ - z[0]).sum(axis=1)
        near = np.argsort(dist, kind="stable")[:n_neighbours]
        best = self.train_scores_.to_numpy().argmax(axis=1)
        families = self._families
        neighbours = pd.DataFrame({
            "dataset": self.train_features_.index[near],
            "distance": dist[near],
            "best_config": [self.config_ids_[best[i]] for i in near],
            "best_family": [families[best[i]] for i in near],
        })  # fmt: skip
        top = int(self.rank(x).index.map(self.config_ids_.index)[0])
        # Occlusion: row 0 is the dataset, row i + 1 the dataset with feature i at its
        # training median (0 after scaling; 0 = "not missing" for an indicator).
        occluded = np.repeat(z, z.shape[1] + 1, axis=0)
        occluded[np.arange(1, z.shape[1] + 1), np.arange(z.shape[1])] = 0.0
        network, trees = self._residuals(occluded)
        b = self.tree_weight_
        learned = self.shrinkage_ * ((1 - b) * network.mean(0) + b * trees.mean(0))[:, top]
        contrib = learned[0] - learned[1:]
        names = self.scaler_.output_names
        order = np.argsort(-np.abs(contrib), kind="stable")[:n_features]
        attributions = pd.DataFrame({
            "feature": [names[i] for i in order],
            "value": [x.get(names[i], np.nan) for i in order],
            "attribution": contrib[order],
        })  # fmt: skip
        return Explanation(neighbours, attributions, self.ood(x))

    @property
    def _families(self) -> list[str]:
        fam = dict(zip(self._configs["config_id"], self._configs["family"], strict=True))
        return [fam[c] for c in self.config_ids_]

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
            member = _Scorer(len(model.scaler_.output_names), C.shape[1], model.hidden)
            member.load_state_dict(state)
            model.members_.append(member.to(model.device_).eval())
        scores = model.train_scores_.to_numpy(dtype=np.float32)
        model.prior_ = torch.tensor(scores.mean(axis=0), device=model.device_)
        model._fit_guard(model.scaler_.transform(model.train_features_), scores)
        return model
