"""MetaModel: a small torch ensemble that scores (dataset, configuration) pairs.

Each member embeds the scaled meta-features and the configuration description (id,
family, hyperparameters: see encoding.py) in two towers and scores every pair (their dot
product) as a residual on top of
the configuration's mean normalised score in training (the single-best prior, so the
model departs from the single best only where the data supports it); it is trained on all
training datasets at once with a listwise objective (ListNet: cross-entropy between the
softmax of the normalised scores and of the predicted scores, temperature 0.1) plus a
pointwise squared error that keeps predictions on the normalised-score scale. The
ensemble's mean is the prediction and its spread the uncertainty.

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

from autometa.exceptions import IncompatibleArtifactError
from autometa.metadata import MetaDataset
from autometa.selectors.base import BaseSelector
from autometa.selectors.baselines import greedy_portfolio
from autometa.selectors.encoding import FeatureScaler, config_matrix

__all__ = ["Explanation", "MetaModel", "resolve_device"]

SCHEMA_VERSION = 1
SHRINKAGE_GRID = (0.0, 0.25, 0.5, 1.0, 2.0)


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
        attribution (gradient x scaled input of the learned residual, summed over the
        ensemble and scaled by the chosen shrinkage; positive raises the score).
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
        if self.shrinkage == "auto":
            families = meta.datasets.set_index("name")["family"].reindex(self.train_features_.index)
            self.shrinkage_ = self._choose_shrinkage(X, Y, families.fillna("").to_numpy())
        else:
            self.shrinkage_ = float(self.shrinkage)
        self.prior_ = torch.tensor(Y.mean(axis=0), device=self.device_)
        self.members_ = self._train_ensemble(X, Y, self.prior_)
        self._fit_guard(X, Y)

    def _choose_shrinkage(self, X: np.ndarray, Y: np.ndarray, families: np.ndarray) -> float:
        """Pick how far to move from the single-best prior by inner cross-validation over
        the training datasets only (3 folds of whole families): the candidate with the best
        mean normalised score of the top-1 pick; ties go to the smaller move."""
        rng = np.random.default_rng(self.random_state)
        groups = np.unique(families)
        fold_of = dict(zip(groups, rng.permutation(len(groups)) % 3, strict=True))
        folds = np.array([fold_of[f] for f in families])
        picked: dict[float, list[float]] = {alpha: [] for alpha in SHRINKAGE_GRID}
        for k in range(3):
            train, test = folds != k, folds == k
            if train.sum() < 2 or test.sum() == 0:
                continue
            prior = torch.tensor(Y[train].mean(axis=0), device=self.device_)
            members = self._train_ensemble(X[train], Y[train], prior)
            with torch.no_grad():
                Xt = torch.tensor(X[test], device=self.device_)
                residual = torch.stack([m(Xt, self._C) for m in members]).mean(0).cpu().numpy()
            for alpha in SHRINKAGE_GRID:
                top = (prior.cpu().numpy() + alpha * residual).argmax(axis=1)
                picked[alpha].extend(Y[test][np.arange(test.sum()), top])
        means = {alpha: np.mean(v) if v else -np.inf for alpha, v in picked.items()}
        best = max(means.values())
        return min(alpha for alpha, m in means.items() if m >= best - 1e-12)

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
        X = torch.as_tensor(self.scaler_.transform(meta_features), device=self.device_)
        with torch.no_grad():
            residual = torch.stack([m(X, self._C) for m in self.members_])
            preds = (self.prior_ + self.shrinkage_ * residual).cpu().numpy()
        return preds.mean(axis=0), preds.std(axis=0)

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
        zt = torch.tensor(z, device=self.device_, requires_grad=True)
        total = sum(m(zt, self._C)[0, top] for m in self.members_)  # the prior has no gradient
        (grad,) = torch.autograd.grad(total, zt)
        contrib = self.shrinkage_ * (grad * zt).detach().cpu().numpy()[0]
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
            "schema_version": SCHEMA_VERSION,
            "kind": "autometa.MetaModel",
            "params": {k: getattr(self, k) for k in ("n_members", "hidden", "epochs", "lr",
                       "weight_decay", "temperature", "mse_weight", "noise", "shrinkage",
                       "diversify", "random_state")},
            "metric": self.metric_,
            "shrinkage_": self.shrinkage_,
            "metafeature_names": list(self.train_features_.columns),
            "scaler": self.scaler_.to_dict(),
            "configs": {c: self._configs[c].tolist() for c in ("config_id", "family", "params")},
            "config_columns": self.config_columns_,
            "training_datasets": list(self.train_features_.index),
            "train_features": torch.tensor(self.train_features_.to_numpy(dtype=np.float64)),
            "train_scores": torch.tensor(self.train_scores_.to_numpy(dtype=np.float64)),
            "members": [{k: v.cpu() for k, v in m.state_dict().items()} for m in self.members_],
        }  # fmt: skip
        path = Path(path)
        torch.save(payload, path)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> MetaModel:
        """Read a file written by :meth:`save` (no pickle: weights_only=True)."""
        try:
            payload = torch.load(Path(path), weights_only=True, map_location="cpu")
        except FileNotFoundError as exc:
            raise IncompatibleArtifactError(f"Meta-model file '{path}' does not exist.") from exc
        except Exception as exc:
            raise IncompatibleArtifactError(
                f"'{path}' is not an autometa meta-model ({exc})."
            ) from exc
        if not isinstance(payload, dict) or payload.get("kind") != "autometa.MetaModel":
            raise IncompatibleArtifactError(f"'{path}' is not an autometa meta-model file.")
        if payload["schema_version"] != SCHEMA_VERSION:
            raise IncompatibleArtifactError(
                f"Meta-model '{path}' has schema version {payload['schema_version']}; this "
                f"autometa reads {SCHEMA_VERSION}. Retrain it with `autometa train-metamodel`."
            )
        model = cls(**payload["params"], device=device)
        model.device_ = resolve_device(device)
        model.metric_ = payload["metric"]
        model.shrinkage_ = float(payload["shrinkage_"])
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
