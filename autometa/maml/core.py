"""Functional MAML, first-order MAML and Meta-SGD over any ``torch.nn.Module``.

A meta-batch of tasks is one batched computation. The module's parameters are expanded
to one copy per task (``(n_tasks, *shape)``, a view, no copy) and the forward pass is
``vmap(functional_call)`` over tasks. Because the tasks' losses are independent, the
gradient of their sum with respect to the per-task copies is every task's own gradient,
so one ``torch.autograd.grad(..., create_graph=True)`` call gives all inner-loop
gradients at once and keeps the graph for the second-order meta-gradient. (Nesting
``torch.func.grad`` inside ``vmap`` gives the same numbers; on the CPU here it is several
times slower for small networks: ``benchmarks/maml_sinusoid.py`` measures both.)

Algorithms (Finn et al. 2017; Li et al. 2017):
- "maml": inner steps ``w <- w - alpha * g``; meta-gradient through the inner steps.
- "fomaml": the same with the inner gradients treated as constants (first order).
- "metasgd": ``w <- w - alpha_k * g`` with a learned step size per parameter entry
  (initialised at ``inner_lr``, meta-learned with the weights, kept in [0, max_lr]).

Guard against divergence: each task's inner gradient is rescaled to a norm of at most
``max_grad_norm`` before the step, at meta-training and at adaptation time alike, so
ten test-time steps cannot blow up where one step was trained.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, vmap

from autometa.exceptions import BadInputError

__all__ = ["ALGORITHMS", "Batch", "MetaLearner", "cross_entropy_loss", "mse_loss"]

ALGORITHMS = ("maml", "fomaml", "metasgd")
Params = dict[str, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mse_loss(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-task mean squared error; pred, y of shape (n_tasks, n, 1) -> (n_tasks,)."""
    return ((pred - y) ** 2).mean(dim=(1, 2))


def cross_entropy_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-task cross-entropy; logits (n_tasks, n, n_classes), y (n_tasks, n) -> (n_tasks,)."""
    n_tasks, n, c = logits.shape
    flat = nn.functional.cross_entropy(logits.reshape(-1, c), y.reshape(-1), reduction="none")
    return flat.reshape(n_tasks, n).mean(dim=1)


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
        Per-task loss ``(pred, y) -> (n_tasks,)``: :func:`mse_loss` or
        :func:`cross_entropy_loss`.
    algorithm : str
        "maml", "fomaml" or "metasgd".
    inner_steps : int
        Inner steps during meta-training.
    inner_lr : float
        Inner step size (Meta-SGD: its initial value).
    meta_lr : float
        Adam step size of the meta-update.
    max_grad_norm : float
        Per-task cap on the inner gradient norm (the divergence guard).
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
        max_grad_norm: float = 10.0,
        max_lr: float = 1.0,
        device: str = "auto",
        random_state: int = 0,
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise BadInputError(f"Unknown algorithm '{algorithm}'; choose one of {ALGORITHMS}.")
        if inner_steps < 1 or inner_lr <= 0 or meta_lr <= 0 or max_grad_norm <= 0:
            raise BadInputError("inner_steps, inner_lr, meta_lr and max_grad_norm must be > 0.")
        from autometa.selectors.metamodel import resolve_device

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
        self.max_grad_norm = max_grad_norm
        self.max_lr = max_lr
        self.params: Params = {
            k: v.detach().clone().requires_grad_(True) for k, v in self.module.named_parameters()
        }
        self.lrs: Params = {}
        if algorithm == "metasgd":
            self.lrs = {k: torch.full_like(v, inner_lr).requires_grad_(True)
                        for k, v in self.params.items()}  # fmt: skip
        self.optimizer = torch.optim.Adam([*self.params.values(), *self.lrs.values()], lr=meta_lr)
        self._forward = vmap(lambda p, x: functional_call(self.module, p, (x,)))

    # ------------------------------------------------------------------ the functional core
    def forward(self, weights: Params, x: torch.Tensor) -> torch.Tensor:
        """Predictions of per-task weights (n_tasks, ...) on x (n_tasks, n, features)."""
        return self._forward(weights, x)

    def adapt(
        self, batch_x: torch.Tensor, batch_y: torch.Tensor, steps: int, create_graph: bool
    ) -> Params:
        """Per-task weights after ``steps`` inner steps on the support sets.

        Parameters
        ----------
        batch_x, batch_y : support sets, shape (n_tasks, n_rows, ...)
        steps : int
        create_graph : bool
            Keep the graph for a second-order meta-gradient (else first order).

        Returns
        -------
        dict of tensors, each (n_tasks, *parameter shape)
        """
        n_tasks = batch_x.shape[0]
        weights = {k: v.unsqueeze(0).expand(n_tasks, *v.shape) for k, v in self.params.items()}
        lrs = {k: v.clamp(0.0, self.max_lr) for k, v in self.lrs.items()}
        for _ in range(steps):
            if not create_graph:  # first order: the inner path is a constant
                weights = {k: v.detach().requires_grad_(True) for k, v in weights.items()}
            losses = self.loss(self.forward(weights, batch_x), batch_y)
            grads = torch.autograd.grad(losses.sum(), list(weights.values()),
                                        create_graph=create_graph)  # fmt: skip
            norm = torch.stack([g.pow(2).flatten(1).sum(dim=1) for g in grads]).sum(0).sqrt()
            scale = (self.max_grad_norm / (norm + 1e-12)).clamp(max=1.0)
            new = {}
            for (k, w), g in zip(weights.items(), grads, strict=True):
                g = g * scale.view(-1, *([1] * (g.dim() - 1)))
                step = lrs[k] * g if self.lrs else self.inner_lr * g
                new[k] = w - step
            weights = new
        if not create_graph and self.algorithm == "fomaml":
            # First-order MAML: the meta-gradient at the adapted weights applies to the
            # initialisation unchanged (d adapted / d init taken as the identity).
            base = {k: v.unsqueeze(0).expand(n_tasks, *v.shape) for k, v in self.params.items()}
            weights = {k: base[k] + (w.detach() - base[k].detach()) for k, w in weights.items()}
        return weights

    def meta_step(self, batch: Batch) -> float:
        """One meta-update on a meta-batch; returns the mean query loss (before the update)."""
        batch = batch.to(self.device)
        second_order = self.algorithm != "fomaml"
        weights = self.adapt(batch.x_support, batch.y_support, self.inner_steps, second_order)
        query = self.loss(self.forward(weights, batch.x_query), batch.y_query).mean()
        self.optimizer.zero_grad()
        query.backward()
        self.optimizer.step()
        return float(query.detach())

    def joint_step(self, batch: Batch) -> float:
        """One step of plain training on support and query of every task (no adaptation):
        the "pretrained on all tasks" baseline of Finn et al."""
        batch = batch.to(self.device)
        n_tasks = batch.x_support.shape[0]
        weights = {k: v.unsqueeze(0).expand(n_tasks, *v.shape) for k, v in self.params.items()}
        x = torch.cat([batch.x_support, batch.x_query], dim=1)
        y = torch.cat([batch.y_support, batch.y_query], dim=1)
        loss = self.loss(self.forward(weights, x), y).mean()
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
    ) -> MetaLearner:
        """Run ``iterations`` meta-updates on batches drawn from ``batches``.

        ``pretrain=True`` runs :meth:`joint_step` instead (the non-meta baseline).
        """
        step = self.joint_step if pretrain else self.meta_step
        with self.one_thread():
            for i in range(iterations):
                loss = step(next(batches))
                if callback is not None:
                    callback(i + 1, loss)
        return self

    @contextmanager
    def one_thread(self) -> Iterator[None]:
        """Small tensors: one intra-op thread is fastest on the CPU and leaves cores free
        (with the default thread count, meta-training here ran about ten times slower)."""
        threads = torch.get_num_threads()
        if self.device.type == "cpu":
            torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)

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
                else {
                    k: v.unsqueeze(0).expand(batch.x_support.shape[0], *v.shape)
                    for k, v in self.params.items()
                }
            )
            with torch.no_grad():
                out[s] = self.loss(self.forward(weights, batch.x_query), batch.y_query).cpu()
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
