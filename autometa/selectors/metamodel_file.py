"""The MetaModel's file: what it writes, and how a file becomes a model again.

One self-describing torch file (``artifacts.write_torch`` / ``read_torch``: tensors,
numbers and text only, no pickle): the parameters, the learned rule, the training
meta-features and scores (for the neighbours and the out-of-distribution guard), the
scaler, the configurations, the network members' weights and the forests as arrays.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from autometa.artifacts import WrongArtifactError, read_torch, write_torch
from autometa.device import resolve_device
from autometa.selectors.encoding import FeatureScaler, config_matrix
from autometa.selectors.network import NetworkSettings, Scorer

__all__ = ["KIND", "PARAMS", "read_metamodel", "write_metamodel"]

# The model is passed in (``MetaModel.save`` / ``MetaModel.load`` call these), so this
# module does not import the MetaModel: no circle.

KIND = "autometa.metamodel"
#: The constructor's parameters a file records (the network's settings join them).
PARAMS = ("trees", "tree_leaf", "candidates", "tree_weight", "threshold", "departures",
          "diversify", "random_state")  # fmt: skip


def write_metamodel(model: Any, path: str | Path) -> Path:
    """Write a fitted MetaModel ``model`` to ``path`` (atomically)."""
    payload: dict[str, Any] = {
        "params": {**{k: getattr(model, k) for k in PARAMS}, **model.FIXED,
                   **asdict(model.network or NetworkSettings())},
        "metric": model.metric_,
        "threshold_": model.threshold_,
        "tree_weight_": model.tree_weight_,
        "single_best_": model.single_best_,
        "candidates_": torch.from_numpy(model.candidates_),
        "inner_cv": {c: model.inner_cv_[c].tolist() for c in model.inner_cv_.columns},
        "metafeature_names": list(model.train_features_.columns),
        "scaler": model.scaler_.to_dict(),
        "configs": {c: model.configs_[c].tolist() for c in ("config_id", "family", "params")},
        "config_columns": model.config_columns_,
        "training_datasets": list(model.train_features_.index),
        "train_features": torch.tensor(model.train_features_.to_numpy(dtype=np.float64)),
        "train_scores": torch.tensor(model.train_scores_.to_numpy(dtype=np.float64)),
        "prior": model.prior_.cpu(),
        "members": [{k: v.cpu() for k, v in m.state_dict().items()} for m in model.members_],
        "forests": [{k: torch.from_numpy(v) for k, v in f.items()} for f in model.forests_],
    }  # fmt: skip
    return write_torch(path, KIND, payload)


def read_metamodel(cls: Any, path: str | Path, device: str = "auto") -> Any:
    """A MetaModel (of class ``cls``) from a file :func:`write_metamodel` wrote; a clear
    error for another file or one a benchmark variant made."""
    payload = read_torch(path, KIND)
    params = dict(payload["params"])
    variant = {k: params[k] for k, v in cls.FIXED.items() if params.get(k, v) != v}
    if variant:
        raise WrongArtifactError(
            f"'{path}' is not an autometa meta-model (it was made by a benchmark variant: "
            f"{variant}); only the benchmarks read it."
        )
    network = NetworkSettings(**{f.name: params[f.name] for f in fields(NetworkSettings)})
    # A file written before departures was a parameter departed from every configuration.
    kwargs = {k: params[k] for k in PARAMS if k != "departures"}
    model = cls(network, departures=params.get("departures", "all"), device=device, **kwargs)
    model.device_ = resolve_device(device)
    model.metric_ = payload["metric"]
    model.threshold_ = float(payload["threshold_"])
    model.tree_weight_ = float(payload["tree_weight_"])
    model.single_best_ = int(payload["single_best_"])
    model.candidates_ = payload["candidates_"].numpy()
    model.inner_cv_ = pd.DataFrame(payload["inner_cv"])
    model.forests_ = [{k: v.numpy() for k, v in f.items()} for f in payload["forests"]]
    # The configuration table and its encoding, as fit leaves them (this module is the
    # MetaModel's own file format: it sets the private encoding too).
    model.configs_ = pd.DataFrame(payload["configs"])
    model.config_ids_ = list(model.configs_["config_id"])
    model.config_families_ = list(model.configs_["family"])
    C, model.config_columns_ = config_matrix(model.configs_)
    model._C = torch.tensor(C, device=model.device_)
    names, datasets = payload["metafeature_names"], payload["training_datasets"]
    model.train_features_ = pd.DataFrame(
        payload["train_features"].numpy(), index=datasets, columns=names
    )
    model.train_scores_ = pd.DataFrame(
        payload["train_scores"].numpy(), index=datasets, columns=model.config_ids_
    )
    model.scaler_ = FeatureScaler.from_dict(payload["scaler"])
    model.members_ = []
    for state in payload["members"]:
        member = Scorer(len(model.scaler_.output_names), model._C.shape[1], network.hidden)
        member.load_state_dict(state)
        model.members_.append(member.to(model.device_).eval())
    model.prior_ = payload["prior"].to(model.device_)
    model._fit_guard(model.scaler_.transform(model.train_features_))
    return model
