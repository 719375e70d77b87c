"""Prototypical networks (Snell et al., NeurIPS 2017): the metric-based baseline of few-shot
classification, with the interface of :class:`~autometa.maml.core.MetaLearner`.

An embedding network (the MLP's hidden layers: its last linear layer is dropped) is
trained on episodes: each class's prototype is the mean embedding of its support rows, and
a query row's logits are minus its squared distances to the prototypes (cross-entropy on
the query rows). A new task is not adapted by gradient steps: ``adapt`` computes its
prototypes from the support rows, and ``forward`` scores rows against them. A class with no
support row in a task has no prototype (its logit is ``ABSENT``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import torch
from torch import nn

from autometa.maml.core import Batch, Params
from autometa.maml.training import EarlyStopping, one_thread

__all__ = ["ABSENT", "PrototypicalNetwork"]

ABSENT = -1e9  # the logit of a class that has no support row in the task


class PrototypicalNetwork:
    """Episodic training of an embedding; prototypes per task.

    Parameters
    ----------
    module : nn.Sequential
        An MLP as :func:`autometa.maml.learners.mlp` builds it; the embedding is all its
        layers but the last (so its width is the last hidden layer's).
    n_classes : int
        Outputs: the classes (episodes: ``n_way``).
    meta_lr : float
        Adam step size.
    device : str
        "auto" (CUDA when present), "cpu", ...
    random_state : int
        Seeds the embedding's initialisation.
    """

    algorithm = "protonet"

    def __init__(
        self,
        module: nn.Sequential,
        n_classes: int,
        meta_lr: float = 1e-3,
        device: str = "auto",
        random_state: int = 0,
    ) -> None:
        from autometa.device import resolve_device

        self.device = resolve_device(device)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(random_state)
            self.embedding = nn.Sequential(*list(module.children())[:-1]).to(self.device)
            self.embedding = copy.deepcopy(self.embedding)
            for layer in self.embedding.children():
                if isinstance(layer, nn.Linear):
                    layer.reset_parameters()
        self.n_classes = n_classes
        self.params: Params = dict(self.embedding.named_parameters())
        self.optimizer = torch.optim.Adam(self.embedding.parameters(), lr=meta_lr)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        """x (n_tasks, n, features) -> (n_tasks, n, width)."""
        return self.embedding(x)

    def prototypes(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean support embedding per class, shape (n_tasks, n_classes, width) (zeros for
        a class without support rows), and which classes have rows, (n_tasks, n_classes)."""
        onehot = nn.functional.one_hot(y, self.n_classes).to(x.dtype)  # (T, n, C)
        sums = onehot.transpose(1, 2) @ self._embed(x)  # (T, C, width)
        counts = onehot.sum(dim=1)  # (T, C)
        # Clamped, not divided by zero: a NaN would reach the gradient even where unused.
        return sums / counts.clamp(min=1).unsqueeze(-1), counts > 0

    def _logits(
        self, prototypes: torch.Tensor, present: torch.Tensor, x: torch.Tensor
    ) -> torch.Tensor:
        distances = torch.cdist(self._embed(x), prototypes) ** 2  # (T, n, C)
        return torch.where(present.unsqueeze(1), -distances, torch.full_like(distances, ABSENT))

    def adapt(
        self, batch_x: torch.Tensor, batch_y: torch.Tensor, steps: int, create_graph: bool
    ) -> Params:
        """The tasks' prototypes from their support rows (``steps`` is not used: there are
        no gradient steps): ``{"prototypes": (n_tasks, n_classes, width), "present":
        (n_tasks, n_classes)}``."""
        with torch.set_grad_enabled(create_graph):
            prototypes, present = self.prototypes(batch_x, batch_y)
        return {"prototypes": prototypes, "present": present}

    def forward(self, weights: Params, x: torch.Tensor) -> torch.Tensor:
        """Logits (n_tasks, n, n_classes) of rows x (n_tasks, n, features)."""
        return self._logits(weights["prototypes"], weights["present"], x)

    def meta_step(self, batch: Batch) -> float:
        """One Adam step on the query cross-entropy of a meta-batch of episodes."""
        loss = self._query_loss(batch)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def fit(
        self,
        batches: Iterator[Batch],
        iterations: int,
        callback: Callable[[int, float], None] | None = None,
        validation: Batch | None = None,
        every: int = 500,
    ) -> PrototypicalNetwork:
        """Run ``iterations`` episodic updates on batches drawn from ``batches``; with
        ``validation``, keep the state of the lowest validation query loss, measured every
        ``every`` updates and at the end (as ``MetaLearner.fit``)."""

        def validation_loss() -> float:
            assert validation is not None  # measured only with validation tasks
            return self.query_loss(validation)

        stopping = EarlyStopping(every if validation is not None else 0, iterations)
        with self.one_thread():
            stopping.train(self.meta_step, batches, callback, validation_loss, self.state)
        stopping.restore(self.load_state)
        self.validation_curve_ = stopping.curve
        return self

    def _query_loss(self, batch: Batch) -> torch.Tensor:
        """Mean query cross-entropy of ``batch``. A query row whose class has no support row
        in its task (tasks of a table drawn at random can miss a class) cannot be placed:
        it is left out."""
        b = batch.to(self.device)
        prototypes, present = self.prototypes(b.x_support, b.y_support)
        logits = self._logits(prototypes, present, b.x_query).flatten(0, 1)
        placed = present.gather(1, b.y_query).flatten()
        losses = nn.functional.cross_entropy(logits, b.y_query.flatten(), reduction="none")
        return losses[placed].mean() if placed.any() else losses.sum() * 0.0

    def query_loss(self, batch: Batch) -> float:
        """Mean query cross-entropy of ``batch`` (rows of classes with prototypes)."""
        with torch.no_grad():
            return float(self._query_loss(batch))

    def one_thread(self) -> AbstractContextManager[None]:
        """One intra-op thread on the CPU (``training.one_thread``)."""
        return one_thread(self.device)

    def state(self) -> dict[str, dict[str, torch.Tensor]]:
        """The embedding's weights, detached, on the CPU."""
        return {"params": {k: v.detach().cpu().clone() for k, v in self.params.items()}}

    def load_state(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        with torch.no_grad():
            for k, v in state["params"].items():
                self.params[k].copy_(v.to(self.device))
