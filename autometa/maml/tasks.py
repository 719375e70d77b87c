"""Task samplers: where the meta-batches of MAML / Meta-SGD come from.

- :class:`SinusoidTasks`: regression on y = A sin(x - phase), exactly as Finn et al. 2017
  (A ~ U[0.1, 5], phase ~ U[0, pi], x ~ U[-5, 5]).
- :class:`EpisodeTasks`: N-way K-shot classification episodes drawn from one multi-class
  table (a class subset per episode, labels shuffled per episode).
- :class:`TableTasks`: a family of same-schema tables (a folder of CSVs, or one table
  split by a group column); each table is one task.

Every sampler follows :class:`TaskSampler` (``sample(n_tasks)``, ``stream(n_tasks)``) and
draws with its own generator seeded by ``random_state`` (a ``torch.Generator`` or a
``numpy.random.Generator``; never a global one): the same seed gives the same batches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np
import torch

from autometa.exceptions import BadInputError
from autometa.maml.core import Batch

__all__ = ["EpisodeTasks", "SinusoidTasks", "TableTasks", "TaskSampler"]


class TaskSampler(Protocol):
    """Where meta-batches come from."""

    def sample(self, n_tasks: int) -> Batch: ...

    def stream(self, n_tasks: int) -> Iterator[Batch]: ...


class SinusoidTasks:
    """Finn et al.'s sinusoid regression tasks, ``k_support`` + ``k_query`` points each."""

    amplitude = (0.1, 5.0)
    phase = (0.0, math.pi)
    x_range = (-5.0, 5.0)

    def __init__(self, random_state: int = 0, k_support: int = 10, k_query: int = 10) -> None:
        self.generator = torch.Generator().manual_seed(random_state)
        self.k_support = k_support
        self.k_query = k_query

    def _uniform(self, shape: tuple[int, ...], bounds: tuple[float, float]) -> torch.Tensor:
        lo, hi = bounds
        return lo + (hi - lo) * torch.rand(shape, generator=self.generator)

    def sample(
        self, n_tasks: int, k_support: int | None = None, k_query: int | None = None
    ) -> Batch:
        """A meta-batch; x (n_tasks, k, 1), y (n_tasks, k, 1) (k: the constructor's unless
        given here)."""
        k_support = self.k_support if k_support is None else k_support
        k_query = self.k_query if k_query is None else k_query
        amp = self._uniform((n_tasks, 1, 1), self.amplitude)
        phase = self._uniform((n_tasks, 1, 1), self.phase)
        xs = self._uniform((n_tasks, k_support, 1), self.x_range)
        xq = self._uniform((n_tasks, k_query, 1), self.x_range)
        return Batch(xs, amp * torch.sin(xs - phase), xq, amp * torch.sin(xq - phase))

    def stream(self, n_tasks: int) -> Iterator[Batch]:
        while True:
            yield self.sample(n_tasks)


class EpisodeTasks:
    """N-way K-shot episodes from a multi-class table.

    Parameters
    ----------
    X : array, shape (n_rows, n_features)
        Numeric features (scale them first).
    y : array, shape (n_rows,)
        Class labels.
    classes : sequence, optional
        The classes episodes may use (e.g. the meta-training classes); default all.
    n_way, k_shot, k_query : int
        Classes per episode, support rows per class, query rows per class.
    random_state : int
    noise : float
        Augmentation: Gaussian noise of this standard deviation (in the features' units:
        scale them first) added to every row of every episode, so that meta-training
        sees more distinct tasks than its few classes make. 0: none.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        classes: Sequence[object] | None = None,
        n_way: int = 5,
        k_shot: int = 5,
        k_query: int = 15,
        random_state: int = 0,
        noise: float = 0.0,
    ) -> None:
        self.X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        y = np.asarray(y)
        chosen = list(np.unique(y) if classes is None else classes)
        self.rows = {c: np.flatnonzero(y == c) for c in chosen}
        short = [c for c, r in self.rows.items() if len(r) < k_shot + k_query]
        if short:
            raise BadInputError(
                f"Classes {short[:5]} have fewer than k_shot + k_query = {k_shot + k_query} "
                "rows; lower k_query or leave those classes out."
            )
        if len(chosen) < n_way:
            raise BadInputError(f"{len(chosen)} classes available; n_way={n_way} needs more.")
        self.classes = chosen
        self.n_way, self.k_shot, self.k_query = n_way, k_shot, k_query
        if not noise >= 0:
            raise BadInputError(f"noise must be a standard deviation >= 0; got {noise!r}.")
        self.noise = noise
        self.rng = np.random.default_rng(random_state)
        self.generator = torch.Generator().manual_seed(random_state)

    def sample(self, n_tasks: int) -> Batch:
        """x (n_tasks, n_way * k, n_features); y (n_tasks, n_way * k) codes 0..n_way-1."""
        xs, ys, xq, yq = [], [], [], []
        per = self.k_shot + self.k_query
        for _ in range(n_tasks):
            picked = self.rng.choice(len(self.classes), self.n_way, replace=False)
            s_rows, q_rows = [], []
            for c in picked:
                rows = self.rng.choice(self.rows[self.classes[c]], per, replace=False)
                s_rows.append(rows[: self.k_shot])
                q_rows.append(rows[self.k_shot :])
            labels = np.arange(self.n_way)  # position in `picked` is the episode's label
            xs.append(self.X[np.concatenate(s_rows)])
            xq.append(self.X[np.concatenate(q_rows)])
            ys.append(torch.as_tensor(np.repeat(labels, self.k_shot)))
            yq.append(torch.as_tensor(np.repeat(labels, self.k_query)))
        x_support, x_query = torch.stack(xs), torch.stack(xq)
        if self.noise:
            x_support = x_support + self.noise * torch.randn(
                x_support.shape, generator=self.generator
            )
            x_query = x_query + self.noise * torch.randn(x_query.shape, generator=self.generator)
        return Batch(x_support, torch.stack(ys), x_query, torch.stack(yq))

    def stream(self, n_tasks: int) -> Iterator[Batch]:
        while True:
            yield self.sample(n_tasks)


class TableTasks:
    """A family of same-schema tables, one task each.

    Parameters
    ----------
    tables : list of (X, y)
        X float array (n_rows_i, n_features), the same features in every table; y of
        shape (n_rows_i,): numbers (regression) or class codes 0..n_classes-1.
    classification : bool
    k_shot, k_query : int
        Support / query rows drawn from each task.
    random_state : int
    """

    def __init__(
        self,
        tables: list[tuple[np.ndarray, np.ndarray]],
        classification: bool,
        k_shot: int = 10,
        k_query: int = 10,
        random_state: int = 0,
    ) -> None:
        if len(tables) < 2:
            raise BadInputError(f"Meta-learning needs at least 2 tasks; got {len(tables)}.")
        widths = {np.asarray(X).shape[1] for X, _ in tables}
        if len(widths) != 1:
            raise BadInputError(f"The tasks' tables differ in their number of features: {widths}.")
        small = [i for i, (X, _) in enumerate(tables) if len(X) < k_shot + k_query]
        if small:
            raise BadInputError(
                f"{len(small)} task(s) have fewer than k_shot + k_query = {k_shot + k_query} "
                "rows; lower k_shot / k_query or drop those tasks."
            )
        self.tables = [
            (torch.as_tensor(np.asarray(X, dtype=np.float32)),
             torch.as_tensor(np.asarray(y, dtype=np.int64 if classification else np.float32)))
            for X, y in tables
        ]  # fmt: skip
        self.classification = classification
        self.k_shot, self.k_query = k_shot, k_query
        self.rng = np.random.default_rng(random_state)

    def sample(self, n_tasks: int) -> Batch:
        picked = self.rng.choice(len(self.tables), n_tasks, replace=n_tasks > len(self.tables))
        xs, ys, xq, yq = [], [], [], []
        for t in picked:
            X, y = self.tables[t]
            rows = torch.as_tensor(
                self.rng.choice(len(X), self.k_shot + self.k_query, replace=False)
            )
            s, q = rows[: self.k_shot], rows[self.k_shot :]
            xs.append(X[s])
            xq.append(X[q])
            ys.append(y[s] if self.classification else y[s].unsqueeze(-1))
            yq.append(y[q] if self.classification else y[q].unsqueeze(-1))
        return Batch(torch.stack(xs), torch.stack(ys), torch.stack(xq), torch.stack(yq))

    def stream(self, n_tasks: int) -> Iterator[Batch]:
        while True:
            yield self.sample(n_tasks)
