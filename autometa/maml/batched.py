"""A module's forward pass with per-task weights: every task of a meta-batch at once.

Weights are a dict of tensors ``(n_tasks, *parameter shape)`` and inputs
``(n_tasks, n_rows, n_features)``. Two ways, the same numbers:

- MLPs (an ``nn.Sequential`` of ``nn.Linear`` layers and parameter-free elementwise
  activations, as :func:`autometa.maml.mlp` builds): one batched matrix product per layer
  (``torch.baddbmm``): fewer, larger operations than the generic way, which maps
  ``functional_call`` over the tasks (``benchmarks/maml_sinusoid.py`` times both on the
  sinusoid network).
- Any other module: ``torch.func.vmap`` over ``functional_call``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, vmap

__all__ = ["BatchedForward", "batched_forward"]

BatchedForward = Callable[[dict[str, torch.Tensor], torch.Tensor], torch.Tensor]

# Parameter-free modules that act on each entry alone: safe on a leading task dimension.
ELEMENTWISE = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.LeakyReLU, nn.ELU, nn.SiLU, nn.Identity)


def batched_forward(module: nn.Module, generic: bool = False) -> BatchedForward:
    """The forward of ``module`` with per-task weights.

    Parameters
    ----------
    module : nn.Module
    generic : bool
        Use the vmap way even where the matrix-product way applies (for comparisons).

    Returns
    -------
    callable (weights, x) -> outputs of shape (n_tasks, n_rows, n_out)
    """
    if not generic and _is_mlp(module):
        layers = list(module.children())
        return lambda weights, x: _mlp_forward(layers, weights, x)
    mapped = vmap(lambda w, x: functional_call(module, w, (x,)))
    return lambda weights, x: mapped(weights, x)


def _is_mlp(module: nn.Module) -> bool:
    if not isinstance(module, nn.Sequential) or len(module) == 0:
        return False
    for layer in module:
        if isinstance(layer, nn.Linear):
            if layer.bias is None:
                return False
        elif not isinstance(layer, ELEMENTWISE):
            return False
    return True


def _mlp_forward(
    layers: list[nn.Module], weights: dict[str, torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    h = x
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            # bias (T, out) -> (T, 1, out); h (T, n, in) @ weight^T (T, in, out)
            h = torch.baddbmm(weights[f"{i}.bias"].unsqueeze(1), h,
                              weights[f"{i}.weight"].transpose(1, 2))  # fmt: skip
        else:
            h = layer(h)
    return h
