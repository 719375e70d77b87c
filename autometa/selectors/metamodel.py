"""MetaModel: a small torch ensemble, plus per-configuration forests, that scores
(dataset, configuration) pairs, and a rule for when to depart from the single best.

What it learns (``target``): by default each dataset's *standardised* scores (raw scores
minus the dataset's mean, over their spread; ``MetaDataset.standardized_scores``), which
keep the signal that residuals on the single best throw away and put every dataset on the
same scale (see benchmarks/selection_v2.py for the measurement); "normalised" (min-max per
dataset) is the earlier target.

Components:

- The network (network.py): each member embeds the scaled meta-features and the
  configuration description (id, family, hyperparameters: see encoding.py) in two towers
  and scores every pair as a residual on the configurations' mean target (the prior);
  trained with a listwise objective (ListNet), a pointwise squared error and, with
  ``pairwise_weight > 0``, a cost-sensitive pairwise loss over the candidate
  configurations.
- Random forests (forest.py, exported as arrays) of the residuals of the *candidate*
  configurations: the greedy portfolio of ``candidates`` configurations on the training
  datasets (where the single best is first). Restricting the trees, and so the departures
  they drive, to a short complementary set keeps their variance down. One forest per
  candidate (``forest="per-candidate"``, 30 trees each), or one multi-output forest whose
  trees all candidates share (``forest="joint"``): its size grows with the candidates only
  through the leaf values, so it can afford more and deeper trees in the same model file.

The predicted score is ``prior + network`` outside the candidates and ``prior + (1 - w)
network + w trees`` on them. Departure (blend.py): per dataset, the top-1 is the best
predicted configuration only if its predicted margin over the single best exceeds a
threshold; w (and, with ``threshold="auto"``, the threshold) is chosen by inner
cross-validation on the training families. The default threshold is 0. With
``departures="candidates"`` the top-1 is chosen among the candidates only (the rest of the
ranking still covers every configuration).
The uncertainty is the spread of single members (network members and trees, as blended),
never 0.

Short list (``rank`` with ``diversify=k``, ``head="predictions"``): after the top-1, each
place goes to the configuration that most raises the mean, over the model's joint samples
(network member m with tree m of every forest), of the best predicted score within the
list: the configuration most likely to be best where the ones before are not, from the
model's own predictions. ``head="neighbours"`` is the earlier heuristic (the training
scores of similar datasets).

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
from autometa.exceptions import BadInputError
from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.base import BaseSelector, greedy_portfolio
from autometa.selectors.blend import (
    THRESHOLD_GRID,
    TREE_WEIGHT_GRID,
    blend,
    choose_departure,
    pick,
)
from autometa.selectors.encoding import FeatureScaler, config_matrix
from autometa.selectors.explanation import Explanation, with_ranges
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
                  "mse_weight", "noise", "random_state", "pairwise_weight")  # fmt: skip
PARAMS = (*NETWORK_PARAMS, "target", "trees", "tree_leaf", "tree_features", "forest",
          "candidates", "tree_weight", "threshold", "departures", "inner_folds", "diversify",
          "head")  # fmt: skip
TARGETS = ("standardized", "normalized")
HEADS = ("predictions", "neighbours")
FORESTS = ("per-candidate", "joint")
DEPARTURES = ("all", "candidates")


class MetaModel(BaseSelector):
    """Torch ensemble and per-configuration forests with a departure rule (module docstring).

    Parameters
    ----------
    n_members : int
        Network ensemble size; each member has its own seed.
    hidden : int
        Width of the embeddings.
    epochs, lr, weight_decay : training of each member (full batch, Adam).
    temperature : float
        ListNet softmax temperature (and the pairwise loss's scale).
    mse_weight : float
        Weight of the pointwise squared error.
    noise : float
        Standard deviation of Gaussian noise added to scaled meta-features in training.
    pairwise_weight : float
        Weight of the cost-sensitive pairwise loss over the candidates (0: none).
    target : str
        "standardized" (default) or "normalized" per-dataset scores.
    trees : int
        Trees of each random forest; 0: the network alone.
    tree_leaf : int
        Fewest training rows in a leaf of those trees.
    tree_features : float
        Share of the meta-features tried at each split of those trees.
    forest : str
        "per-candidate" (default): one forest per candidate; "joint": one multi-output
        forest for all candidates.
    candidates : int
        Size of the greedy portfolio the forests (and the pairwise loss) cover.
    tree_weight : float or "auto"
        Share of the forests on the candidates; "auto": chosen from (0, 0.5, 1) by inner CV.
    threshold : float or "auto"
        Predicted margin over the single best needed to depart from it, in target units;
        "auto": chosen from (0, 0.1, 0.25, 0.5, 1, inf) by inner CV. The default, 0 (depart
        whenever the best predicted configuration is another), is what the rule written in
        benchmarks/selection_v2.py chose over "auto" (see its results).
    departures : str
        "all" (default): the top-1 may be any configuration; "candidates": only a candidate.
    inner_folds : int
        Folds (of whole families) of the inner cross-validation.
    diversify : int
        Length of the complementary head of the ranking (see ``rank``); 0 or 1: plain order.
    head : str
        "predictions" (default) or "neighbours": how the head is made complementary.
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
        pairwise_weight: float = 0.0,
        target: str = "standardized",
        trees: int = 30,
        tree_leaf: int = 3,
        tree_features: float = 0.5,
        forest: str = "per-candidate",
        candidates: int = 15,
        tree_weight: float | str = "auto",
        threshold: float | str = 0.0,
        departures: str = "all",
        inner_folds: int = 3,
        diversify: int = 10,
        head: str = "predictions",
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
        self.pairwise_weight = pairwise_weight
        self.target = target
        self.trees = trees
        self.tree_leaf = tree_leaf
        self.tree_features = tree_features
        self.forest = forest
        self.candidates = candidates
        self.tree_weight = tree_weight
        self.threshold = threshold
        self.departures = departures
        self.inner_folds = inner_folds
        self.diversify = diversify
        self.head = head
        self.device = device
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> MetaModel:
        if self.target not in TARGETS:
            raise BadInputError(f"target must be one of {TARGETS}, not {self.target!r}.")
        if self.head not in HEADS:
            raise BadInputError(f"head must be one of {HEADS}, not {self.head!r}.")
        if self.forest not in FORESTS:
            raise BadInputError(f"forest must be one of {FORESTS}, not {self.forest!r}.")
        if self.departures not in DEPARTURES:
            raise BadInputError(f"departures must be one of {DEPARTURES}, not {self.departures!r}.")
        self._configs = meta.configs[["config_id", "family", "params"]].copy()
        super().fit(meta, metric)
        return self

    def _fit(self, meta: MetaDataset) -> None:
        # Tiny tensors: one intra-op thread is fastest and leaves the other cores free.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._fit_members(meta)
        finally:
            torch.set_num_threads(threads)

    def _targets(self, meta: MetaDataset) -> np.ndarray:
        if self.target == "normalized":
            return self.train_scores_.to_numpy(dtype=np.float32)
        z = meta.standardized_scores(self.metric_)
        return z.loc[self.train_scores_.index, self.config_ids_].to_numpy(dtype=np.float32)

    def _candidates_of(self, norm: np.ndarray) -> np.ndarray:
        return np.array(greedy_portfolio(norm, self.candidates), dtype=np.int64)

    def _fit_members(self, meta: MetaDataset) -> None:
        self.device_ = resolve_device(self.device)
        X = self.scaler_.transform(self.train_features_)
        C, self.config_columns_ = config_matrix(
            meta.configs.set_index("config_id").loc[self.config_ids_].reset_index()
        )
        Y, norm = self._targets(meta), self.train_scores_.to_numpy()
        self._C = torch.tensor(C, device=self.device_)
        families = meta.datasets.set_index("name")["family"].reindex(self.train_features_.index)
        (self.threshold_, self.tree_weight_), self.inner_cv_ = choose_departure(
            X, Y, norm, families.fillna("").to_numpy(), *self._grids(), self.inner_folds,
            self.random_state, self._candidates_of, self._network_residuals,
            self._tree_residuals, self.departures == "candidates",
        )  # fmt: skip
        self.single_best_ = int(norm.mean(axis=0).argmax())
        self.candidates_ = self._candidates_of(norm)
        self.prior_ = torch.tensor(Y.mean(axis=0), device=self.device_)
        self.members_ = train_ensemble(
            X, Y, self.prior_, self._C, self._settings, self.device_, self.candidates_
        )
        self.forests_ = self._train_forests(X, Y, self.candidates_)

    @property
    def _settings(self) -> NetworkSettings:
        return NetworkSettings(**{k: getattr(self, k) for k in NETWORK_PARAMS})

    def _grids(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        thresholds = THRESHOLD_GRID if self.threshold == "auto" else (float(self.threshold),)
        if self.trees <= 0:
            weights: tuple[float, ...] = (0.0,)
        else:
            weights = TREE_WEIGHT_GRID if self.tree_weight == "auto" else (float(self.tree_weight),)
        return thresholds, weights

    def _network_residuals(self, X: np.ndarray, Y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        prior = torch.tensor(Y.mean(axis=0), device=self.device_)
        candidates = self._candidates_of(Y) if self.pairwise_weight > 0 else None
        members = train_ensemble(X, Y, prior, self._C, self._settings, self.device_, candidates)
        return member_residuals(members, X_test, self._C).mean(axis=0)

    def _tree_residuals(
        self, X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, candidates: np.ndarray
    ) -> np.ndarray:
        forests = self._train_forests(X, Y, candidates)
        return np.concatenate([predict_forest(f, X_test) for f in forests], axis=1)

    def _train_forests(
        self, X: np.ndarray, Y: np.ndarray, candidates: np.ndarray
    ) -> list[dict[str, np.ndarray]]:
        """Random forests of the candidates' residuals around the training mean: one per
        candidate, or one joint forest (one output per candidate)."""
        if self.trees <= 0 or self.tree_weight == 0:
            return []
        residual = Y - Y.mean(axis=0)
        # Bagged CART trees (benchmarks/selection_v2.py compares them with ExtraTrees). The
        # per-candidate default (30 trees, leaves of 3, half the features per split) keeps
        # the model file and its training small on the 700 (dataset, size) rows the shipped
        # models learn from; a joint forest shares its structure, so it affords more.
        args = (self.trees, self.random_state, "random", self.tree_leaf, self.tree_features)
        if self.forest == "joint":
            return [fit_forest(X, residual[:, candidates], *args)]
        return [fit_forest(X, residual[:, [j]], *args) for j in candidates]

    # ------------------------------------------------------------------ prediction
    def _components(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residuals of each network member (M, B, n_configs) and of each tree of the
        candidates' forests (T, B, n_candidates; the network members' mean without
        forests), for scaled meta-features Z (B, n_scaled)."""
        network = member_residuals(self.members_, Z, self._C)
        if not self.forests_:
            return network, network.mean(axis=0, keepdims=True)[:, :, self.candidates_]
        trees = [predict_forest(f, Z, per_tree=True) for f in self.forests_]
        return network, np.concatenate(trees, axis=2)

    def predict(self, meta_features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread (single members, as blended) of the predicted target scores.

        Returns
        -------
        mean, std : arrays, shape (n_datasets, n_configs)
        """
        self._check_fitted()
        network, trees = self._components(self.scaler_.transform(meta_features))
        w = self.tree_weight_
        prior = self.prior_.cpu().numpy()
        mean = prior + blend(network.mean(0), trees.mean(0), self.candidates_, w)
        std = network.std(0)
        std[:, self.candidates_] = np.sqrt(
            ((1 - w) * std[:, self.candidates_]) ** 2 + (w * trees.std(0)) ** 2
        )
        return mean, std

    def _samples(self, network: np.ndarray, trees: np.ndarray) -> np.ndarray:
        """Joint samples of the predicted scores, shape (n_samples, B, n_configs), from
        :meth:`_components`: network member m % M with tree m of every candidate's forest."""
        prior = self.prior_.cpu().numpy()
        n = max(len(network), len(trees))
        return np.stack([
            prior + blend(network[m % len(network)], trees[m % len(trees)], self.candidates_,
                          self.tree_weight_)
            for m in range(n)
        ])  # fmt: skip

    def uncertainty(self, meta_features: pd.Series) -> pd.Series:
        """Spread of single members per configuration (network and trees, as blended)."""
        _, std = self.predict(self._features(meta_features).to_frame().T)
        return pd.Series(std[0], index=self.config_ids_, name="uncertainty")

    def _scores(self, x: pd.Series) -> np.ndarray:
        mean, _ = self.predict(x.to_frame().T)
        return self._towards_portfolio(mean[0], x)

    def _towards_portfolio(self, mean: np.ndarray, x: pd.Series) -> np.ndarray:
        """Far from every training dataset: ``mean`` (n_configs,) blended towards the
        portfolio order, on the same scale (the out-of-distribution guard)."""
        w = self.ood(x)["weight"]
        if w == 0:
            return mean
        lo, hi = float(mean.min()), float(mean.max())
        return (1.0 - w) * mean + w * (lo + (hi - lo) * self.portfolio_scores_)

    def _first(self, scores: np.ndarray) -> str:
        """The departure rule applied to one dataset's scores (n_configs,)."""
        allowed = self.candidates_ if self.departures == "candidates" else None
        top = pick(scores[None, :], self.single_best_, self.threshold_, allowed)
        return self.config_ids_[int(top[0])]

    def top(self, meta_features: pd.Series) -> str:
        """The top-1 configuration: the departure rule applied to the predicted scores."""
        self._check_fitted()
        return self._first(self._scores(self._features(meta_features)))

    def rank(self, meta_features: pd.Series) -> pd.Series:
        """Predicted scores of every configuration, in recommended order.

        First the departure rule's top-1 (the single best unless the best predicted
        configuration's margin over it exceeds the threshold). With ``diversify=k``, places
        2..k then go greedily to the configuration that most raises the mean, over the
        model's joint samples (``head="predictions"``) or over similar training datasets
        (``head="neighbours"``), of the best score within the list so far; the rest follow
        by predicted score. Values stay the predicted scores.
        """
        self._check_fitted()
        x = self._features(meta_features)
        # One pass of the members and trees serves the scores, the top-1 and the samples.
        network, trees = self._components(self.scaler_.transform(x.to_frame().T))
        mean = self.prior_.cpu().numpy() + blend(
            network.mean(0), trees.mean(0), self.candidates_, self.tree_weight_
        )
        values = self._towards_portfolio(mean[0], x)
        scores = self._ordered(values)
        first = self._first(values)
        index = {c: i for i, c in enumerate(self.config_ids_)}
        if self.diversify < 2:
            return pd.concat([scores[[first]], scores.drop(first)])
        if self.head == "predictions":
            samples = self._samples(network, trees)[:, 0, :]
            order = greedy_portfolio(samples, self.diversify, start=(index[first],))
        else:
            dist = self._distances(x)
            weights = np.exp(-dist / max(float(np.median(dist)), 1e-12))
            order = greedy_portfolio(
                self.train_scores_.to_numpy(), self.diversify, weights / weights.sum(),
                start=(index[first],),
            )  # fmt: skip
        head = [self.config_ids_[i] for i in order]
        return pd.concat([scores[head], scores.drop(head)])

    def explain(
        self, meta_features: pd.Series, n_neighbours: int = 3, n_features: int = 5
    ) -> Explanation:
        """Nearest training datasets and the meta-features that drove the top-1 (occlusion
        of the learned part, each feature set to its training median: of the top-1's
        predicted margin over the single best when the model departs from it, of the top-1's
        score when it does not)."""
        base = super().explain(meta_features, n_neighbours, n_features)
        x = self._features(meta_features)
        z = self.scaler_.transform(x.to_frame().T)
        index = {c: i for i, c in enumerate(self.config_ids_)}
        top = index[self.top(x)]
        # Row 0 is the dataset, row i + 1 the dataset with feature i at its training
        # median (0 after scaling; 0 = "not missing" for an indicator).
        occluded = np.repeat(z, z.shape[1] + 1, axis=0)
        occluded[np.arange(1, z.shape[1] + 1), np.arange(z.shape[1])] = 0.0
        network, trees = self._components(occluded)
        learned = blend(network.mean(0), trees.mean(0), self.candidates_, self.tree_weight_)
        value = learned[:, top]
        if top != self.single_best_:
            value = value - learned[:, self.single_best_]
        contrib = value[0] - value[1:]
        names = self.scaler_.output_names
        order = np.argsort(-np.abs(contrib), kind="stable")[:n_features]
        attributions = pd.DataFrame({
            "feature": [names[i] for i in order],
            "value": [x.get(names[i], np.nan) for i in order],
            "attribution": contrib[order],
        })  # fmt: skip
        base.attributions = with_ranges(attributions, self.train_features_)
        return base

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> Path:
        """One self-describing file, readable with ``torch.load(weights_only=True)``."""
        self._check_fitted()
        payload: dict[str, Any] = {
            **header(KIND),
            "params": {k: getattr(self, k) for k in PARAMS},
            "metric": self.metric_,
            "threshold_": self.threshold_,
            "tree_weight_": self.tree_weight_,
            "single_best_": self.single_best_,
            "candidates_": torch.from_numpy(self.candidates_),
            "inner_cv": {c: self.inner_cv_[c].tolist() for c in self.inner_cv_.columns},
            "metafeature_names": list(self.train_features_.columns),
            "scaler": self.scaler_.to_dict(),
            "configs": {c: self._configs[c].tolist() for c in ("config_id", "family", "params")},
            "config_columns": self.config_columns_,
            "training_datasets": list(self.train_features_.index),
            "train_features": torch.tensor(self.train_features_.to_numpy(dtype=np.float64)),
            "train_scores": torch.tensor(self.train_scores_.to_numpy(dtype=np.float64)),
            "prior": self.prior_.cpu(),
            "members": [{k: v.cpu() for k, v in m.state_dict().items()} for m in self.members_],
            "forests": [{k: torch.from_numpy(v) for k, v in f.items()} for f in self.forests_],
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
        model.threshold_ = float(payload["threshold_"])
        model.tree_weight_ = float(payload["tree_weight_"])
        model.single_best_ = int(payload["single_best_"])
        model.candidates_ = payload["candidates_"].numpy()
        model.inner_cv_ = pd.DataFrame(payload["inner_cv"])
        model.forests_ = [{k: v.numpy() for k, v in f.items()} for f in payload["forests"]]
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
        model.prior_ = payload["prior"].to(model.device_)
        model._fit_guard(model.scaler_.transform(model.train_features_))
        return model
