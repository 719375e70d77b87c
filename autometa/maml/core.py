"""Functional MAML, first-order MAML and Meta-SGD over any ``torch.nn.Module``.

A meta-batch of tasks is one batched computation: every task gets its own copy of the
weights, shape (n_tasks, ...), the forward runs on all tasks at once
(:mod:`autometa.maml.batched`), and one ``torch.autograd.grad`` of the sum of the tasks'
losses gives each task its own inner gradient (a task's loss depends on its weights
alone). The second-order meta-gradient is ordinary autograd through that computation.
(``benchmarks/maml_sinusoid.py`` measures its speed against a plain per-task loop with
``torch.autograd.grad``, and against ``vmap(grad)``, which this core used before.)

Algorithms (Finn et al. 2017; Li et al. 2017):
- "maml": inner steps ``w <- w - alpha * g``; meta-gradient through the inner steps.
- "fomaml": the same with the inner gradients treated as constants (first order).
- "metasgd": ``w <- w - alpha_k * g`` with a learned step size per parameter entry
  (initialised at ``inner_lr``, meta-learned with the weights, kept in [0, max_lr]).

Guard against divergence: every entry of a task's inner gradient is clipped to
[-grad_clip, grad_clip] before the step, at meta-training and at adaptation time alike,
so one step moves a weight by at most ``lr * grad_clip`` and ten test-time steps cannot
blow up where one step was trained. (An elementwise clip: a per-task norm clip slowed
meta-training by about a third here.)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import vmap

from autometa.exceptions import BadInputError
from autometa.maml import GRADIENT_ALGORITHMS  # listed without importing torch
from autometa.maml.batched import batched_forward
from autometa.maml.training import EarlyStopping, one_thread

__all__ = [
    "Batch",
    "MetaLearner",
    "Params",
    "cross_entropy_loss",
    "mse_loss",
]

Params = dict[str, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mse_loss(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of one task; pred, y of shape (n, 1) -> scalar."""
    return ((pred - y) ** 2).mean()


def cross_entropy_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of one task; logits (n, n_classes), y (n,) int64 -> scalar."""
    return nn.functional.cross_entropy(logits, y)


@dataclass
class Batch:
    """A meta-batch: support (adapt on) and query (evaluate on) sets of every task.

    Shapes: x_* (n_tasks, n_rows, n_features); y_* (n_tasks, n_rows, 1) for regression,
    (n_tasks, n_rows) int64 class codes for classification.
    """

    x_support: torch.Tensor
    y_support: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(*(t.to(device) for t in (self.x_support, self.y_support,
                                              self.x_query, self.y_query)))  # fmt: skip


class MetaLearner:
    """Meta-learns an initialisation (and, for Meta-SGD, step sizes) of ``module``.

    Parameters
    ----------
    module : nn.Module
        The base learner; its parameters are the initialisation being learned.
    loss : callable
        Loss of one task ``(pred, y) -> scalar``: :func:`mse_loss` or
        :func:`cross_entropy_loss`.
    algorithm : str
        "maml", "fomaml" or "metasgd".
    inner_steps : int
        Inner steps during meta-training.
    inner_lr : float
        Inner step size (Meta-SGD: its initial value).
    meta_lr : float
        Adam step size of the meta-update.
    grad_clip : float
        Bound on every inner gradient entry (the divergence guard).
    max_lr : float
        Meta-SGD step sizes are clamped to [0, max_lr].
    device : str
        "auto" (CUDA when present), "cpu", ...
    random_state : int
        Seeds the module's initialisation (re-initialised here) for reproducibility.
    """

    def __init__(
        self,
        module: nn.Module,
        loss: LossFn = mse_loss,
        algorithm: str = "maml",
        inner_steps: int = 1,
        inner_lr: float = 0.01,
        meta_lr: float = 1e-3,
        grad_clip: float = 10.0,
        max_lr: float = 1.0,
        device: str = "auto",
        random_state: int = 0,
    ) -> None:
        if algorithm not in GRADIENT_ALGORITHMS:
            raise BadInputError(
                f"Unknown algorithm '{algorithm}'; choose one of {GRADIENT_ALGORITHMS} "
                "(prototypical networks: autometa.maml.PrototypicalNetwork)."
            )
        if inner_steps < 1 or inner_lr <= 0 or meta_lr <= 0 or grad_clip <= 0:
            raise BadInputError("inner_steps, inner_lr, meta_lr and grad_clip must be > 0.")
        from autometa.device import resolve_device

        self.device = resolve_device(device)
        self.module = copy.deepcopy(module).to(self.device)
        generator = torch.Generator().manual_seed(random_state)
        named = dict(self.module.named_parameters())
        with torch.no_grad():  # a seeded re-initialisation: same seed, same start
            for name, p in named.items():
                prefix = name.rsplit(".", 1)[0] if "." in name else ""
                sibling = named.get(f"{prefix}.weight" if prefix else "weight")
                fan_in = _fan_in(sibling if p.dim() == 1 and sibling is not None else p)
                bound = 1.0 / fan_in**0.5
                p.copy_(((torch.rand(p.shape, generator=generator) * 2 - 1) * bound).to(p.device))
        self.loss = loss
        self.algorithm = algorithm
        self.inner_steps = inner_steps
        self.inner_lr = inner_lr
        self.grad_clip = grad_clip
        self.max_lr = max_lr
        self.params: Params = {
            k: v.detach().clone().requires_grad_(True) for k, v in self.module.named_parameters()
        }
        self.lrs: Params = {}
        if algorithm == "metasgd":
            self.lrs = {k: torch.full_like(v, inner_lr).requires_grad_(True)
                        for k, v in self.params.items()}  # fmt: skip
        self.optimizer = torch.optim.Adam([*self.params.values(), *self.lrs.values()], lr=meta_lr)
        self._forward = batched_forward(self.module)
        self._losses = vmap(self.loss)  # one task's loss, over the tasks

    # ------------------------------------------------------------------ the functional core
    def forward(self, weights: Params, x: torch.Tensor) -> torch.Tensor:
        """Predictions of per-task weights (n_tasks, ...) on x (n_tasks, n, features)."""
        return self._forward(weights, x)

    def _inner(
        self, weights: Params, lrs: Params, x: torch.Tensor, y: torch.Tensor, steps: int,
        create_graph: bool,
    ) -> Params:  # fmt: skip
        """Every task's inner loop at once, from per-task weights (n_tasks, ...)."""
        c = self.grad_clip
        for _ in range(steps):
            if not create_graph:  # a fresh leaf per step: no graph kept across steps
                weights = {k: w.detach().requires_grad_(True) for k, w in weights.items()}
            loss = self.query_losses(weights, x, y).sum()
            g = torch.autograd.grad(loss, list(weights.values()), create_graph=create_graph)
            weights = {k: w - (lrs[k] if lrs else self.inner_lr) * gk.clamp(-c, c)
                       for (k, w), gk in zip(weights.items(), g, strict=True)}  # fmt: skip
        return weights

    def _per_task(self, params: Params, n_tasks: int) -> Params:
        return {k: v.unsqueeze(0).expand(n_tasks, *v.shape) for k, v in params.items()}

    def _lrs(self) -> Params:
        return {k: v.clamp(0.0, self.max_lr) for k, v in self.lrs.items()}

    def adapt(
        self, batch_x: torch.Tensor, batch_y: torch.Tensor, steps: int, create_graph: bool
    ) -> Params:
        """Per-task weights after ``steps`` inner steps on the support sets.

        Parameters
        ----------
        batch_x, batch_y : support sets, shape (n_tasks, n_rows, ...)
        steps : int
        create_graph : bool
            Keep the graph to the initialisation (for a second-order meta-gradient).

        Returns
        -------
        dict of tensors, each (n_tasks, *parameter shape)
        """
        n_tasks = batch_x.shape[0]
        if create_graph:
            start = self._per_task(self.params, n_tasks)
            return self._inner(start, self._lrs(), batch_x, batch_y, steps, True)
        params = {k: v.detach() for k, v in self.params.items()}
        lrs = {k: v.detach() for k, v in self._lrs().items()}
        with torch.enable_grad():  # the inner gradients, even when called under no_grad
            weights = self._inner(self._per_task(params, n_tasks), lrs, batch_x, batch_y,
                                  steps, False)  # fmt: skip
        return {k: v.detach() for k, v in weights.items()}

    def query_losses(self, weights: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-task losses of per-task weights, shape (n_tasks,)."""
        return self._losses(self.forward(weights, x), y)

    def meta_gradient(self, batch: Batch) -> tuple[float, Params]:
        """Mean query loss after adaptation and its gradient for every meta-parameter.

        MAML / Meta-SGD differentiate through the inner steps (second order); first-order
        MAML takes the query gradient at the adapted weights as the initialisation's.
        """
        b = batch.to(self.device)
        meta = {**self.params, **{f"lr:{k}": v for k, v in self.lrs.items()}}
        if self.algorithm == "fomaml":
            adapted = self.adapt(b.x_support, b.y_support, self.inner_steps, create_graph=False)
            adapted = {k: v.requires_grad_(True) for k, v in adapted.items()}
            losses = self.query_losses(adapted, b.x_query, b.y_query)
            per_task = torch.autograd.grad(losses.sum(), list(adapted.values()))
            means = {k: g.mean(dim=0) for k, g in zip(adapted, per_task, strict=True)}
            return float(losses.detach().mean()), means
        adapted = self.adapt(b.x_support, b.y_support, self.inner_steps, create_graph=True)
        query = self.query_losses(adapted, b.x_query, b.y_query).mean()
        grads = torch.autograd.grad(query, list(meta.values()))
        return float(query.detach()), dict(zip(meta, grads, strict=True))

    def meta_step(self, batch: Batch) -> float:
        """One meta-update on a meta-batch; returns the mean query loss (before the update)."""
        loss, grads = self.meta_gradient(batch)
        for k, p in {**self.params, **{f"lr:{k}": v for k, v in self.lrs.items()}}.items():
            p.grad = grads[k]
        self.optimizer.step()
        return loss

    def joint_step(self, batch: Batch) -> float:
        """One step of plain training on support and query of every task (no adaptation):
        the "pretrained on all tasks" baseline of Finn et al."""
        batch = batch.to(self.device)
        weights = self._per_task(self.params, batch.x_support.shape[0])
        x = torch.cat([batch.x_support, batch.x_query], dim=1)
        y = torch.cat([batch.y_support, batch.y_query], dim=1)
        loss = self.query_losses(weights, x, y).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def fit(
        self,
        batches: Iterator[Batch],
        iterations: int,
        callback: Callable[[int, float], None] | None = None,
        pretrain: bool = False,
        validation: Batch | None = None,
        every: int = 500,
    ) -> MetaLearner:
        """Run ``iterations`` meta-updates on batches drawn from ``batches``.

        ``pretrain=True`` runs :meth:`joint_step` instead (the non-meta baseline). With
        ``validation`` (tasks kept out of meta-training), the mean query loss after
        ``inner_steps`` steps on them is measured every ``every`` updates and at the end,
        and the state with the lowest is kept (early stopping); ``validation_curve_``
        holds (update, loss) pairs.
        """
        step = self.joint_step if pretrain else self.meta_step

        def validation_loss() -> float:
            assert validation is not None
            losses = self._evaluate(validation.to(self.device), [self.inner_steps])
            return float(losses[self.inner_steps].mean())

        stopping = EarlyStopping(every if validation is not None else 0, iterations)
        with self.one_thread():
            stopping.train(step, batches, callback, validation_loss, self.state)
        stopping.restore(self.load_state)
        self.validation_curve_ = stopping.curve
        return self

    def best_steps(self, validation: Batch, candidates: list[int]) -> int:
        """The number of adaptation steps, among ``candidates``, with the lowest mean query
        loss on ``validation`` tasks (ties: the fewest steps)."""
        losses = self.evaluate(validation, candidates)
        return min(sorted(candidates), key=lambda s: float(losses[s].mean()))

    def one_thread(self) -> AbstractContextManager[None]:
        """One intra-op thread on the CPU (:func:`one_thread`)."""
        return one_thread(self.device)

    def evaluate(self, batch: Batch, steps: list[int]) -> dict[int, torch.Tensor]:
        """Per-task query loss after each number of adaptation steps in ``steps``.

        Returns
        -------
        dict: steps -> tensor of shape (n_tasks,)
        """
        batch = batch.to(self.device)
        out = {}
        with self.one_thread():
            out = self._evaluate(batch, steps)
        return out

    def _evaluate(self, batch: Batch, steps: list[int]) -> dict[int, torch.Tensor]:
        out = {}
        for s in sorted(steps):
            weights = (
                self.adapt(batch.x_support, batch.y_support, s, create_graph=False)
                if s
                else self._per_task(self.params, batch.x_support.shape[0])
            )
            with torch.no_grad():
                out[s] = self.query_losses(weights, batch.x_query, batch.y_query).cpu()
        return out

    def state(self) -> dict[str, dict[str, torch.Tensor]]:
        """The learned initialisation (and step sizes), detached, on the CPU."""
        return {
            "params": {k: v.detach().cpu().clone() for k, v in self.params.items()},
            "lrs": {k: v.detach().clamp(0.0, self.max_lr).cpu().clone()
                    for k, v in self.lrs.items()},
        }  # fmt: skip

    def load_state(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        with torch.no_grad():
            for k, v in state["params"].items():
                self.params[k].copy_(v.to(self.device))
            for k, v in state.get("lrs", {}).items():
                if k in self.lrs:
                    self.lrs[k].copy_(v.to(self.device))


def _fan_in(p: torch.Tensor) -> int:
    """Fan-in as PyTorch's default Linear / Conv initialisation uses it."""
    if p.dim() < 2:
        return max(p.shape[0], 1)
    return max(int(p[0].numel()), 1)
