"""``recommend``: rank the learner configurations for a new table, with reasons.

The ranking comes from the torch meta-model (``autometa/selectors/metamodel.py``) applied
to the table's meta-features; predicted fit seconds come from a per-configuration timing
models (``autometa/selectors/costs.py``). Both are learned from a meta-dataset: by default the one
shipped in ``data/`` (loaded once per process), or any :class:`Knowledge` built from a
meta-dataset (for a different metric, or with datasets held out as the benchmarks do).
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from autometa.artifacts import WrongArtifactError
from autometa.exceptions import BadInputError
from autometa.metadataset.metadata import SIZE_FEATURE, MetaDataset
from autometa.metafeatures import extract_metafeatures
from autometa.selectors import metamodel_class
from autometa.selectors.base import Ranker
from autometa.selectors.costs import LearnedCostModel
from autometa.selectors.explanation import ATTRIBUTION_COLUMNS, Explanation
from autometa.space.metrics import METRICS, PRIMARY, get_metric
from autometa.table.tabular import Task, task_from_xy

if TYPE_CHECKING:
    from autometa.selectors.metamodel import MetaModel

__all__ = ["Knowledge", "Recommendation", "cost_models", "recommend", "train_metamodel"]

log = logging.getLogger(__name__)


@dataclass
class Knowledge:
    """What the recommender learned from a meta-dataset.

    Attributes
    ----------
    model : Ranker
        Ranks configurations from meta-features: the MetaModel by default, or any fitted
        selector (``autometa.selectors``).
    fit_time : LearnedCostModel
        Predicts fit seconds per configuration.
    predict_time : LearnedCostModel
        Predicts seconds per 1,000 predicted rows per configuration.
    memory : LearnedCostModel or None
        Predicts the peak memory of a fit per configuration (MiB); None where the
        meta-dataset has no memory measurements (the regression one).
    configs : DataFrame
        config_id, family, params (JSON text).
    """

    model: Ranker
    fit_time: LearnedCostModel
    predict_time: LearnedCostModel
    memory: LearnedCostModel | None
    configs: pd.DataFrame

    @classmethod
    def from_metadataset(
        cls, meta: MetaDataset, metric: str = "accuracy", random_state: int = 0
    ) -> Knowledge:
        """Train the meta-model and the timing model on ``meta`` (tens of seconds on a CPU)."""
        model = train_metamodel(meta, metric, random_state)
        return cls(model, *cost_models(meta), meta.configs.copy())

    @classmethod
    def shipped(cls, metric: str = "accuracy") -> Knowledge:
        """The shipped meta-model of ``metric`` and the meta-dataset of its task kind
        (loaded once per process)."""
        return _shipped(get_metric(metric).name)

    @property
    def portfolio(self) -> list[str]:
        """Greedy portfolio order (dataset-independent), best first."""
        return self.model.portfolio


def train_metamodel(
    meta: MetaDataset, metric: str = "accuracy", random_state: int = 0, device: str = "auto"
) -> MetaModel:
    """The MetaModel of ``metric``, told the size: trained on one row per (dataset,
    training size) of ``meta`` (:meth:`MetaDataset.at_sizes`), asked with the table's
    rows as ``SIZE_FEATURE``, with the MetaModel's defaults (the departure rule of the
    metric's task kind, ``metamodel.DEPARTURES``). The shipped models are made by this
    function (``autometa train-metamodel``)."""
    get_metric(metric)  # a clear error for a metric outside the registry
    if metric not in meta.metrics:
        raise BadInputError(
            f"The meta-dataset has no '{metric}' scores; it has: {', '.join(meta.metrics)}."
        )
    model = metamodel_class()(device=device, random_state=random_state)
    return model.fit(meta.at_sizes(), metric)


def cost_models(
    meta: MetaDataset,
) -> tuple[LearnedCostModel, LearnedCostModel, LearnedCostModel | None]:
    """The fit seconds, predict seconds and (where ``meta`` measured it) peak memory
    models learned from ``meta``."""
    measured = meta.units["peak_mb"].notna().any()
    memory = LearnedCostModel("peak_mb").fit(meta) if measured else None
    return (
        LearnedCostModel("fit_seconds").fit(meta),
        LearnedCostModel("predict_seconds").fit(meta),
        memory,
    )


@functools.cache
def _shipped_data(
    task_kind: str,
) -> tuple[pd.DataFrame, tuple[LearnedCostModel, LearnedCostModel, LearnedCostModel | None]]:
    """The shipped meta-dataset's configurations and cost models of a task kind: read
    and fitted once per process, shared by the meta-models of that kind's metrics."""
    from autometa.paths import metadataset_dir

    meta = MetaDataset.load(metadataset_dir(task_kind), scores=False)
    return meta.configs.copy(), cost_models(meta)


@functools.cache  # one entry per metric of the registry
def _shipped(metric: str) -> Knowledge:
    from autometa.paths import data_dir

    configs, costs = _shipped_data(get_metric(metric).task_kinds[0])
    # One shipped meta-model per metric of the registry: fit never trains one.
    path = data_dir() / "metamodels" / f"{metric}.pt"
    model = metamodel_class().load(path)
    if model.metric_ != metric:
        raise WrongArtifactError(
            f"'{path}' is not an autometa meta-model for {metric} (it ranks by {model.metric_})."
        )
    return Knowledge(model, *costs, configs)


@dataclass
class Recommendation:
    """A ranking of learner configurations for one table.

    Attributes
    ----------
    ranking : DataFrame, shape (n_configs, 7)
        Every configuration in recommended order: rank, config_id, family, params,
        predicted_score (on the selector's scale; for the MetaModel, the score in
        standard deviations above the mean configuration's on this table: a z-score, not
        the metric's value), predicted_fit_seconds (for one fit on all rows),
        uncertainty (spread of the ensemble, same scale).
    top_k : int
        How many rows ``table`` shows.
    metafeatures : Series
        The table's meta-features.
    notes : list of str
        What the user should know (e.g. the table lies outside the training data).
    seconds : float
        Time taken (meta-features + ranking).
    """

    ranking: pd.DataFrame
    top_k: int
    metafeatures: pd.Series
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    knowledge: Knowledge | None = field(default=None, repr=False)
    _explanations: dict[tuple[int, int], Explanation] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def of_order(
        cls, config_ids: list[str], knowledge: Knowledge, top_k: int = 5
    ) -> Recommendation:
        """A recommendation that is only an order (e.g. random or portfolio order, for
        ablations): no predicted scores, no meta-features; the knowledge's timing model."""
        configs = knowledge.configs.set_index("config_id").loc[config_ids]
        ranking = pd.DataFrame({
            "rank": np.arange(1, len(config_ids) + 1),
            "config_id": config_ids,
            "family": configs["family"].to_numpy(),
            "params": configs["params"].to_numpy(),
        })  # fmt: skip
        return cls(ranking, top_k, pd.Series(dtype=float), knowledge=knowledge)

    def scores_at(self, rows: int) -> pd.Series:
        """The model's predicted scores of every configuration for this table trained on
        ``rows`` rows (e.g. a rung of the search), best first."""
        if self.knowledge is None:
            raise BadInputError("This recommendation carries no model to predict with.")
        features = self.metafeatures.copy()
        features[SIZE_FEATURE] = float(rows)
        return self.knowledge.model.rank(features)

    @property
    def table(self) -> pd.DataFrame:
        """The top ``top_k`` rows of ``ranking``."""
        return self.ranking.head(self.top_k).reset_index(drop=True)

    def explain(self, n_neighbours: int = 3, n_features: int = 5) -> Explanation:
        """Nearest training datasets and the meta-features that drove the top score
        (computed once per set of arguments: a report and a saved model share it).

        Returns
        -------
        Explanation
            ``neighbours`` (dataset, distance, best_config, best_family), ``attributions``
            (feature, value, attribution, and the training range: low, median, high) and
            ``ood``.
        """
        if self.knowledge is None:
            raise BadInputError("This recommendation carries no model to explain it with.")
        if self.metafeatures.empty:  # an order given by the caller: nothing to explain
            return Explanation(
                pd.DataFrame(columns=["dataset", "distance", "best_config", "best_family"]),
                pd.DataFrame(columns=ATTRIBUTION_COLUMNS),
                {},
            )
        key = (n_neighbours, n_features)
        if key not in self._explanations:
            self._explanations[key] = self.knowledge.model.explain(
                self.metafeatures, n_neighbours, n_features
            )
        return self._explanations[key]


def _check_kind(knowledge: Knowledge, kind: str) -> None:
    """A clear error when the knowledge ranks by a metric of another task kind (a
    classification meta-model asked about a regression table). A metric outside the
    registry (an ASlib scenario's) is not checked."""
    trained = str(getattr(knowledge.model, "metric_", ""))
    if trained in METRICS and kind not in get_metric(trained).task_kinds:
        raise BadInputError(
            f"The knowledge passed ranks configurations by {trained}, a metric of "
            f"{' and '.join(get_metric(trained).task_kinds)} tables, but this table is a "
            f"{kind} task: pass knowledge trained on a {kind} meta-dataset "
            "(Knowledge.from_metadataset), or none for the shipped one."
        )


def recommend(
    X: object,
    y: object = None,
    top_k: int = 5,
    *,
    metric: str | None = None,
    knowledge: Knowledge | None = None,
    random_state: int = 0,
    task: str = "auto",
) -> Recommendation:
    """Rank every learner configuration for a table.

    Parameters
    ----------
    X : DataFrame or array of shape (n_rows, n_features), or a Task
        Features (or a validated Task, then ``y`` is None).
    y : array-like of shape (n_rows,)
        Class labels or a numeric target.
    top_k : int
        Rows of ``Recommendation.table``.
    metric : str, optional
        A metric of the registry (``autometa.space.metrics``) for the table's task kind; the
        ranking predicts it. Default: accuracy for classification, r2 for regression
        (``metrics.PRIMARY``).
    knowledge : Knowledge, optional
        Default: the shipped meta-model and meta-dataset.
    random_state : int
        Seeds the landmarking meta-features.
    task : str
        With (X, y): "auto" (``load_table``'s rules: integer codes of many classes can look
        like a quantity), "classification" or "regression".

    Returns
    -------
    Recommendation
    """
    start = time.perf_counter()
    if not isinstance(top_k, int | np.integer) or top_k < 1:
        raise BadInputError(f"top_k must be a positive integer; got {top_k!r}.")
    table = X if isinstance(X, Task) and y is None else task_from_xy(X, y, task=task)
    metric = get_metric(metric or PRIMARY[table.kind], table.kind).name
    knowledge = knowledge or Knowledge.shipped(metric)
    _check_kind(knowledge, table.kind)
    mf = extract_metafeatures(table, random_state=random_state)
    mf[SIZE_FEATURE] = float(len(table.y))  # the size the ranking is for
    model = knowledge.model
    ranked = model.rank(mf)
    spread = model.uncertainty(mf)
    times = knowledge.fit_time.predict(len(table.y), table.X.shape[1], table.n_classes)
    configs = knowledge.configs.set_index("config_id")
    ranking = pd.DataFrame({
        "rank": np.arange(1, len(ranked) + 1),
        "config_id": ranked.index,
        "family": configs.loc[ranked.index, "family"].to_numpy(),
        "params": configs.loc[ranked.index, "params"].to_numpy(),
        "predicted_score": ranked.to_numpy(),
        "predicted_fit_seconds": times.reindex(ranked.index).to_numpy(),
        "uncertainty": spread.reindex(ranked.index).to_numpy(),
    })  # fmt: skip
    notes = []
    ood = model.ood(mf)
    if ood["weight"] > 0:
        notes.append(
            f"This table's meta-features lie outside the training datasets (distance "
            f"{ood['distance']:.1f} > threshold {ood['threshold']:.1f}); the ranking is "
            f"blended {ood['weight']:.0%} towards the dataset-independent portfolio."
        )
    return Recommendation(ranking, top_k, mf, notes, time.perf_counter() - start, knowledge)
