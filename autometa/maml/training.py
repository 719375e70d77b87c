"""The training loop's helpers shared by the meta-learners (:mod:`autometa.maml.core`,
:mod:`autometa.maml.protonet`): early stopping on meta-validation, and one CPU thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import torch

__all__ = ["EarlyStopping", "State", "one_thread"]

B = TypeVar("B")  # a meta-batch, whatever the learner's step takes

State = dict[str, dict[str, torch.Tensor]]


class EarlyStopping:
    """Keeps the state of the lowest validation loss, measured every ``every`` updates and
    after the last (``every=0``: never); ``curve`` holds (update, loss) pairs."""

    def __init__(self, every: int, iterations: int) -> None:
        self.every, self.iterations = every, iterations
        self.curve: list[tuple[int, float]] = []
        self._best: tuple[float, State] | None = None

    def after(self, update: int, loss: Callable[[], float], state: Callable[[], State]) -> None:
        """Measure after ``update`` if it is due; keep the state if it is the best."""
        if not self.every or (update % self.every and update != self.iterations):
            return
        value = loss()
        self.curve.append((update, value))
        if self._best is None or value < self._best[0]:
            self._best = (value, state())

    def train(
        self,
        step: Callable[[B], float],
        batches: Iterator[B],
        callback: Callable[[int, float], None] | None,
        loss: Callable[[], float],
        state: Callable[[], State],
    ) -> None:
        """Run ``step`` on ``iterations`` batches, telling ``callback`` each loss and
        measuring the validation ``loss`` when it is due."""
        for i in range(self.iterations):
            value = step(next(batches))
            if callback is not None:
                callback(i + 1, value)
            self.after(i + 1, loss, state)

    def restore(self, load: Callable[[State], None]) -> None:
        """Load the best state kept (nothing when nothing was measured)."""
        if self._best is not None:
            load(self._best[1])


@contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """Small tensors: one intra-op thread is fastest on the CPU and leaves cores free
    (with the default thread count, meta-training here ran about ten times slower)."""
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
