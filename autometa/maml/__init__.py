"""Meta-learned neural initialisations: MAML, first-order MAML and Meta-SGD (torch.func).

``core`` holds the functional algorithms, ``tasks`` the task samplers and ``learners``
the scikit-learn-style neural base learners built on them.

The names below are imported from their modules on first use (PEP 562 ``__getattr__``),
so that importing this package, as the command line does for ``ALGORITHMS``, does not
import torch (about 2 s on this project's machines) until a meta-learner is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: The meta-learning algorithms (``MAMLClassifier(algorithm=...)``, ``--algorithm``): the
#: gradient-based ones of ``MetaLearner``, and prototypical networks (``protonet``,
#: classification only).
GRADIENT_ALGORITHMS = ("maml", "fomaml", "metasgd")
ALGORITHMS = (*GRADIENT_ALGORITHMS, "protonet")

if TYPE_CHECKING:
    from autometa.maml.core import Batch, MetaLearner, cross_entropy_loss, mse_loss
    from autometa.maml.learners import (
        MAMLClassifier,
        MAMLRegressor,
        MetaInit,
        load_initialisation,
        mlp,
    )
    from autometa.maml.protonet import PrototypicalNetwork
    from autometa.maml.tasks import EpisodeTasks, SinusoidTasks, TableTasks

_HOMES = {
    "Batch": "core",
    "MetaLearner": "core",
    "cross_entropy_loss": "core",
    "mse_loss": "core",
    "MAMLClassifier": "learners",
    "MAMLRegressor": "learners",
    "MetaInit": "learners",
    "load_initialisation": "learners",
    "mlp": "learners",
    "PrototypicalNetwork": "protonet",
    "EpisodeTasks": "tasks",
    "SinusoidTasks": "tasks",
    "TableTasks": "tasks",
}

__all__ = [
    "ALGORITHMS",
    "GRADIENT_ALGORITHMS",
    "Batch",
    "EpisodeTasks",
    "MAMLClassifier",
    "MAMLRegressor",
    "MetaInit",
    "MetaLearner",
    "PrototypicalNetwork",
    "SinusoidTasks",
    "TableTasks",
    "cross_entropy_loss",
    "load_initialisation",
    "mlp",
    "mse_loss",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'autometa.maml' has no attribute {name!r}")
    return getattr(importlib.import_module(f"autometa.maml.{home}"), name)
