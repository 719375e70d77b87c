"""Meta-learned neural initialisations: MAML, first-order MAML and Meta-SGD (torch.func).

``core`` holds the functional algorithms, ``tasks`` the task samplers and ``learners``
the scikit-learn-style neural base learners built on them.
"""

from __future__ import annotations

from autometa.maml.core import ALGORITHMS, Batch, MetaLearner, cross_entropy_loss, mse_loss
from autometa.maml.learners import (
    MAMLClassifier,
    MAMLRegressor,
    MetaInit,
    load_initialisation,
    mlp,
)
from autometa.maml.tasks import EpisodeTasks, SinusoidTasks, TableTasks

__all__ = [
    "ALGORITHMS",
    "Batch",
    "EpisodeTasks",
    "MAMLClassifier",
    "MAMLRegressor",
    "MetaInit",
    "MetaLearner",
    "SinusoidTasks",
    "TableTasks",
    "cross_entropy_loss",
    "load_initialisation",
    "mlp",
    "mse_loss",
]
