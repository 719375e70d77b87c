"""The plain per-task MAML loop: the reference ``core`` is tested against (exact
meta-gradients, tests/maml/test_core.py) and timed against (benchmarks/maml_sinusoid.py).

Written without torch.func's vmap/grad on purpose: task by task, ``torch.autograd.grad``
for the inner steps (``create_graph=True`` for second order), squared error.
"""

from __future__ import annotations

import torch
from torch.func import functional_call

from autometa.maml.core import Batch, MetaLearner

__all__ = ["per_task_query_loss"]


def per_task_query_loss(
    learner: MetaLearner, batch: Batch, steps: int, first_order: bool = False
) -> torch.Tensor:
    """Mean query MSE over the batch's tasks after ``steps`` inner SGD steps of size
    ``learner.inner_lr`` from ``learner.params``; differentiable in the params."""
    names = list(learner.params)
    params = list(learner.params.values())
    total = torch.zeros(())
    n = batch.x_support.shape[0]
    for b in range(n):
        w = params
        for _ in range(steps):
            pred = functional_call(learner.module, dict(zip(names, w, strict=True)),
                                   (batch.x_support[b],))  # fmt: skip
            loss = ((pred - batch.y_support[b]) ** 2).mean()
            g = torch.autograd.grad(loss, w, create_graph=not first_order)
            w = [p - learner.inner_lr * gi for p, gi in zip(w, g, strict=True)]
        pred = functional_call(learner.module, dict(zip(names, w, strict=True)),
                               (batch.x_query[b],))  # fmt: skip
        total = total + ((pred - batch.y_query[b]) ** 2).mean()
    return total / n
