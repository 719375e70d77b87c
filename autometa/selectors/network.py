"""The MetaModel's network: two-tower scorers trained as one vmapped ensemble.

Each member embeds the scaled meta-features and the configuration description (see
encoding.py) in two towers and scores every (dataset, configuration) pair by their scaled
dot product, as a residual on a prior (the configurations' mean training score). Members
are trained together on all training datasets with a listwise objective (ListNet:
cross-entropy between the softmax of the target and of the predicted scores) plus a
pointwise squared error that keeps predictions on the target's scale, and optionally a
pairwise term over a set of candidate configurations: for each pair, a logistic loss on
the predicted difference, weighted by the size of the true one (cost-sensitive: a pair
that differs by a hair costs little to get wrong).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

__all__ = ["NetworkSettings", "Scorer", "member_residuals", "train_ensemble"]


class Scorer(nn.Module):
    """Two towers: a dataset embedding and a configuration embedding; their scaled dot
    product is the residual score of the pair (cheap: no (datasets x configs x hidden)
    tensor, so a whole meta-dataset is one small matrix product)."""

    def __init__(self, d_in: int, q_in: int, hidden: int) -> None:
        super().__init__()
        self.dataset = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.config = nn.Sequential(nn.Linear(q_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.scale = 1.0 / float(np.sqrt(hidden))

    def forward(self, X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
        """X (B, d_in), C (n_configs, q_in) -> scores (B, n_configs)."""
        return self.scale * self.dataset(X) @ self.config(C).T


def _init(module: nn.Module, generator: torch.Generator) -> None:
    """Seeded initialisation (PyTorch's default scheme) without touching the global RNG."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / np.sqrt(layer.in_features)
            nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


@dataclass(frozen=True)
class NetworkSettings:
    """How the MetaModel's network ensemble is built and trained; the defaults are the
    shipped models' settings.

    Attributes
    ----------
    n_members : int
        Ensemble size; each member has its own seed.
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
        Weight of the cost-sensitive pairwise loss over the candidates (0: none;
        benchmarks/selection_v2.py measures 1 as variant E).
    """

    n_members: int = 5
    hidden: int = 64
    epochs: int = 300
    lr: float = 3e-3
    weight_decay: float = 1e-4
    temperature: float = 0.1
    mse_weight: float = 1.0
    noise: float = 0.1
    pairwise_weight: float = 0.0


def train_ensemble(
    X: np.ndarray,
    Y: np.ndarray,
    prior: torch.Tensor,
    C: torch.Tensor,
    settings: NetworkSettings,
    device: torch.device,
    random_state: int,
    candidates: np.ndarray | None = None,
) -> list[Scorer]:
    """Train all members at once: their parameters are stacked and the forward pass is
    vmapped over members (torch.func), so an ensemble costs about one model's steps.

    Parameters
    ----------
    X : array, shape (n_datasets, n_scaled_features)
    Y : array, shape (n_datasets, n_configs)
        Targets.
    prior : tensor, shape (n_configs,)
    C : tensor, shape (n_configs, n_config_features)
    random_state : int
        Member m is seeded with ``random_state * 1000 + m``.
    candidates : array of int, optional
        Columns whose pairs enter the pairwise term (with ``settings.pairwise_weight``).
    """
    s = settings
    gens = [torch.Generator().manual_seed(int(random_state) * 1000 + m) for m in range(s.n_members)]
    members = []
    for g in gens:
        model = Scorer(X.shape[1], C.shape[1], s.hidden)
        _init(model, g)
        members.append(model.to(device))
    params, buffers = stack_module_state(members)
    base = copy.deepcopy(members[0]).to("meta")

    def forward(p: dict, b: dict, x: torch.Tensor) -> torch.Tensor:
        return functional_call(base, (p, b), (x, C))

    batched = vmap(forward, in_dims=(0, 0, 0))
    Xt, Yt = torch.tensor(X, device=device), torch.tensor(Y, device=device)
    target = torch.softmax(Yt / s.temperature, dim=1)
    pair_i, pair_j = _pairs(candidates if s.pairwise_weight > 0 else None, device)
    true_diff = Yt[:, pair_i] - Yt[:, pair_j]  # (B, n_pairs)
    opt = torch.optim.Adam(list(params.values()), lr=s.lr, weight_decay=s.weight_decay)
    for _ in range(s.epochs):
        noise = torch.stack([torch.randn(Xt.shape, generator=g) for g in gens]).to(device)
        pred = prior + batched(params, buffers, Xt + s.noise * noise)  # (M, B, n)
        log_p = torch.log_softmax(pred / s.temperature, dim=2)
        listnet = -(target * log_p).sum(dim=2).mean(dim=1)
        # Summing the members' losses keeps their gradients independent.
        loss = listnet + s.mse_weight * ((pred - Yt) ** 2).mean(dim=(1, 2))
        if len(pair_i):
            diff = pred[:, :, pair_i] - pred[:, :, pair_j]
            wrong = nn.functional.softplus(-torch.sign(true_diff) * diff / s.temperature)
            loss = loss + s.pairwise_weight * (true_diff.abs() * wrong).mean(dim=(1, 2))
        loss = loss.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for m, model in enumerate(members):
        model.load_state_dict({name: value[m].detach() for name, value in params.items()})
        model.eval()
    return members


def _pairs(candidates: np.ndarray | None, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Index tensors (i, j) of every pair i < j of the candidate columns (none: empty)."""
    if candidates is None or len(candidates) < 2:
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return empty, empty
    i, j = np.triu_indices(len(candidates), k=1)
    cand = np.asarray(candidates)
    return (torch.tensor(cand[i], device=device), torch.tensor(cand[j], device=device))


def member_residuals(members: list[Scorer], Z: np.ndarray, C: torch.Tensor) -> np.ndarray:
    """Residual scores of each member, shape (n_members, n_datasets, n_configs), for scaled
    meta-features Z (n_datasets, n_scaled_features)."""
    device = C.device
    with torch.no_grad():
        Zt = torch.as_tensor(Z, device=device)
        return torch.stack([m(Zt, C) for m in members]).cpu().numpy()
