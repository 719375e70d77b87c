"""MetaModel: a small torch ensemble, plus per-configuration forests, that scores
(dataset, configuration) pairs, and a rule for when to depart from the single best.

What it learns: each dataset's *standardised* scores (raw scores minus the dataset's mean,
over their spread; ``MetaDataset.standardized_scores``), which keep the signal that
residuals on the single best throw away and put every dataset on the same scale.

This class holds what the shipped models use, and its defaults are their settings, so
``autometa evaluate`` measures what users get. The variants measured against it (a
min-max target, a head from neighbours, one joint forest, ...) are subclasses in
``benchmarks/selection_v2_variants.py``.

Components:

- The network (network.py): each member embeds the scaled meta-features and the
  configuration description (id, family, hyperparameters: see encoding.py) in two towers
  and scores every pair as a residual on the configurations' mean target (the prior);
  trained with a listwise objective (ListNet), a pointwise squared error and, with
  ``NetworkSettings.pairwise_weight > 0``, a cost-sensitive pairwise loss over the
  candidate configurations.
- Random forests (forest.py, exported as arrays) of the residuals of the *candidate*
  configurations: the greedy portfolio of ``candidates`` configurations on the training
  datasets (where the single best is first). Restricting the trees, and so the departures
  they drive, to a short complementary set keeps their variance down. One forest per
  candidate, 30 trees each.

The predicted score is ``prior + network`` outside the candidates and ``prior + (1 - w)
network + w trees`` on them. Departure (blend.py): per dataset, the top-1 is the best
predicted configuration only if its predicted margin over the single best exceeds a
threshold; w (and, with ``threshold="auto"``, the threshold) is chosen by inner
cross-validation on the training families. The default threshold is 0. With
``departures="candidates"`` the top-1 is chosen among the candidates only (the rest of the
ranking still covers every configuration); "auto" (the default) is ``DEPARTURES`` of the
metric's task kind.
The uncertainty is the spread of single members (network members and trees, as blended),
never 0.

Short list (``rank`` with ``diversify=k``): after the top-1, each place goes to the
configuration that most raises the mean, over the model's joint samples (network member m
with tree m of every forest), of the best predicted score within the list: the
configuration most likely to be best where the ones before are not, from the model's own
predictions.

Out-of-distribution guard: a dataset whose L1 distance (scaled meta-features) to its
nearest training dataset exceeds the 95th percentile of the training datasets'
nearest-neighbour distances is blended towards the greedy portfolio, with weight
``clip((d - q95) / q95, 0, 1)``; ``ood(meta_features)`` reports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from autometa.device import resolve_device
from autometa.exceptions import BadInputError
from autometa.metadataset.metadata import MetaDataset
from autometa.selectors.base import BaseSelector, greedy_portfolio
from autometa.selectors.blend import THRESHOLD_GRID, TREE_WEIGHT_GRID, blend, choose_departure, pick
from autometa.selectors.encoding import config_matrix
from autometa.selectors.explanation import Explanation, with_ranges
from autometa.selectors.forest import fit_forest, predict_forest
from autometa.selectors.metamodel_file import read_metamodel, write_metamodel
from autometa.selectors.network import NetworkSettings, member_residuals, train_ensemble
from autometa.space.metrics import METRICS, get_metric

__all__ = ["DEPARTURES", "MetaModel"]

#: ``departures="auto"`` by the metric's task kind. Classification: "candidates" (variant
#: K), chosen by the rule written in benchmarks/selection_v2.py (results/selection_v2.md,
#: "The default, by the rule": the highest mean top-1 over WEKA and ours among the variants
#: whose gap closed after racing 5 is at least the portfolio's on both); a metric outside
#: the registry (an ASlib scenario's) is taken as classification, as WEKA's is. Regression:
#: "all" (variant D); K was not run on the regression meta-dataset.
DEPARTURES = {"classification": "candidates", "regression": "all"}
DEPARTURE_CHOICES = ("auto", "all", "candidates")


class MetaModel(BaseSelector):
    """Torch ensemble and per-configuration forests with a departure rule (module docstring).

    Parameters
    ----------
    network : NetworkSettings, optional
        The network ensemble's size, width and training (default: the shipped settings).
    trees : int
        Trees of each random forest; 0: the network alone.
    tree_leaf : int
        Fewest training rows in a leaf of those trees.
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
        "all": the top-1 may be any configuration; "candidates": only a candidate; "auto"
        (default): ``DEPARTURES`` of the metric's task kind (what the shipped models use).
    diversify : int
        Length of the complementary head of the ranking (see ``rank``); 0 or 1: plain order.
    device : str
        "auto" (CUDA if available), "cpu", "cuda", ...
    random_state : int
        Seeds the network members (member m: ``random_state * 1000 + m``) and the forests.
    """

    #: Settings fixed in the product: the target (standardised scores), one forest per
    #: candidate trying half the meta-features at each split, the head from the model's
    #: own predictions, 3 inner folds (of whole families). Every model file records them:
    #: a variant (a subclass in benchmarks/selection_v2_variants.py) overrides them, and
    #: its file is refused by ``load``.
    FIXED: ClassVar[dict[str, Any]] = {"target": "standardized", "forest": "per-candidate",
                                       "head": "predictions", "tree_features": 0.5,
                                       "inner_folds": 3}  # fmt: skip

    def __init__(
        self,
        network: NetworkSettings | None = None,
        trees: int = 30,
        tree_leaf: int = 3,
        candidates: int = 15,
        tree_weight: float | str = "auto",
        threshold: float | str = 0.0,
        departures: str = "auto",
        diversify: int = 10,
        device: str = "auto",
        random_state: int = 0,
    ) -> None:
        self.network = network
        self.trees = trees
        self.tree_leaf = tree_leaf
        self.candidates = candidates
        self.tree_weight = tree_weight
        self.threshold = threshold
        self.departures = departures
        self.diversify = diversify
        self.device = device
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(self, meta: MetaDataset, metric: str = "accuracy") -> MetaModel:
        if self.departures not in DEPARTURE_CHOICES:
            raise BadInputError(
                f"departures must be one of {DEPARTURE_CHOICES}, not {self.departures!r}."
            )
        self.configs_ = meta.configs[["config_id", "family", "params"]].copy()
        super().fit(meta, metric)
        return self

    @property
    def departures_(self) -> str:
        """The departure rule in force: ``departures``, or for "auto" the metric's kind's."""
        if self.departures != "auto":
            return self.departures
        known = self.metric_ in METRICS
        kind = get_metric(self.metric_).task_kinds[0] if known else "classification"
        return DEPARTURES[kind]

    def _fit(self, meta: MetaDataset) -> None:
        # Tiny tensors: one intra-op thread is fastest and leaves the other cores free.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._fit_members(meta)
        finally:
            torch.set_num_threads(threads)

    def _targets(self, meta: MetaDataset) -> np.ndarray:
        """What the members and forests learn, shape (n_datasets, n_configs)."""
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
            X, Y, norm, families.fillna("").to_numpy(), *self._grids(),
            self.FIXED["inner_folds"], self.random_state, self._candidates_of,
            self._network_residuals, self._tree_residuals, self.departures_ == "candidates",
        )  # fmt: skip
        self.single_best_ = int(norm.mean(axis=0).argmax())
        self.candidates_ = self._candidates_of(norm)
        self.prior_ = torch.tensor(Y.mean(axis=0), device=self.device_)
        self.members_ = train_ensemble(
            X, Y, self.prior_, self._C, self._settings, self.device_, self.random_state,
            self.candidates_,
        )  # fmt: skip
        self.forests_ = self._train_forests(X, Y, self.candidates_)

    @property
    def _settings(self) -> NetworkSettings:
        return self.network or NetworkSettings()

    def _grids(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        thresholds = THRESHOLD_GRID if self.threshold == "auto" else (float(self.threshold),)
        if self.trees <= 0:
            weights: tuple[float, ...] = (0.0,)
        else:
            weights = TREE_WEIGHT_GRID if self.tree_weight == "auto" else (float(self.tree_weight),)
        return thresholds, weights

    def _network_residuals(self, X: np.ndarray, Y: np.ndarray, X_test: np.ndarray) -> np.ndarray:
        prior = torch.tensor(Y.mean(axis=0), device=self.device_)
        candidates = self._candidates_of(Y) if self._settings.pairwise_weight > 0 else None
        members = train_ensemble(
            X, Y, prior, self._C, self._settings, self.device_, self.random_state, candidates
        )
        return member_residuals(members, X_test, self._C).mean(axis=0)

    def _tree_residuals(
        self, X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, candidates: np.ndarray
    ) -> np.ndarray:
        forests = self._train_forests(X, Y, candidates)
        return np.concatenate([predict_forest(f, X_test) for f in forests], axis=1)

    def _train_forests(
        self, X: np.ndarray, Y: np.ndarray, candidates: np.ndarray
    ) -> list[dict[str, np.ndarray]]:
        """Random forests of the candidates' residuals around the training mean, one per
        candidate."""
        if self.trees <= 0 or self.tree_weight == 0:
            return []
        residual = Y - Y.mean(axis=0)
        # Bagged CART trees (benchmarks/selection_v2.py compares them with ExtraTrees). 30
        # trees, leaves of 3, half the features per split keep the model file and its
        # training small on the 700 (dataset, size) rows the shipped models learn from.
        return [fit_forest(X, residual[:, [j]], *self._forest_args()) for j in candidates]

    def _forest_args(self) -> tuple[int, int, str, int, float]:
        return (
            self.trees,
            self.random_state,
            "random",
            self.tree_leaf,
            float(self.FIXED["tree_features"]),
        )

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

    def _learned(self, network: np.ndarray, trees: np.ndarray) -> np.ndarray:
        """Network outside the candidates, blended with the trees on them (``blend``)."""
        return blend(network, trees, self.candidates_, self.tree_weight_)

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
        mean = prior + self._learned(network.mean(0), trees.mean(0))
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
            prior + self._learned(network[m % len(network)], trees[m % len(trees)])
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
        allowed = self.candidates_ if self.departures_ == "candidates" else None
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
        model's joint samples, of the best score within the list so far; the rest follow
        by predicted score. Values stay the predicted scores.
        """
        self._check_fitted()
        x = self._features(meta_features)
        # One pass of the members and trees serves the scores, the top-1 and the samples.
        network, trees = self._components(self.scaler_.transform(x.to_frame().T))
        mean = self.prior_.cpu().numpy() + self._learned(network.mean(0), trees.mean(0))
        values = self._towards_portfolio(mean[0], x)
        scores = self._ordered(values)
        first = self._first(values)
        if self.diversify < 2:
            return pd.concat([scores[[first]], scores.drop(first)])
        start = self.config_ids_.index(first)
        head = [self.config_ids_[i] for i in self._head(x, network, trees, start)]
        return pd.concat([scores[head], scores.drop(head)])

    def _head(self, x: pd.Series, network: np.ndarray, trees: np.ndarray, first: int) -> list[int]:
        """The complementary head after the top-1 (column ``first``): the greedy portfolio
        of the model's joint samples (see ``rank``)."""
        samples = self._samples(network, trees)[:, 0, :]
        return greedy_portfolio(samples, self.diversify, start=(first,))

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
        learned = self._learned(network.mean(0), trees.mean(0))
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
        """One self-describing file, readable with ``torch.load(weights_only=True)``
        (``metamodel_file.py``); written atomically."""
        self._check_fitted()
        return write_metamodel(self, path)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> MetaModel:
        """Read a file written by :meth:`save` (no pickle: weights_only=True)."""
        return read_metamodel(cls, path, device)
