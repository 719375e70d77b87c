"""Model files: a fitted pipeline and its input schema, saved with skops (no pickle).

skops rebuilds objects from a description of their types and refuses types it does not
trust, so loading a model file cannot run arbitrary code. Beyond skops's defaults
(scikit-learn estimators, numpy arrays, builtins), autometa's learners need the few types
in ``TRUSTED``; a file asking for any other type is refused with its name.

A save writes a temporary file beside the target and renames it over the target once it
is on disk (``artifacts.atomic_write``): a crash leaves the old model or the new one. A
load refuses, with one :class:`WrongArtifactError` and a one-line reason, whatever is not
a model file it can read: before anything is built, an archive that unpacks to more than
``MAX_UNPACKED_RATIO`` times its size (and more than ``MIN_UNPACKED_LIMIT`` bytes) and a
description nested deeper than ``MAX_DEPTH``; while building, any error of the reader.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.neighbors import BallTree, KDTree
from sklearn.neighbors._base import NeighborsBase
from sklearn.pipeline import Pipeline

from autometa.artifacts import (
    WrongArtifactError,
    atomic_write,
    check_header,
    header,
    require,
)
from autometa.exceptions import AutometaError, BadInputError
from autometa.search.ensemble import EnsembleModel, RegressionEnsemble
from autometa.space.metrics import on_classes
from autometa.table.schema import InputSchema

__all__ = ["SavedModel", "load_model", "save_model"]

KIND = "autometa.model"
# Types autometa's pipelines contain that skops does not trust by default (tree
# structures, optimiser state, numpy dtypes, the validation function MLP keeps in a partial,
# and autometa's own ensemble of pipelines). tests/estimators/test_model_file.py fits every
# configuration of both spaces and checks that this list covers them. A k-NN's search
# tree (KDTree, BallTree) is not written at all: a crafted one crashes the process as it
# is built, so the tree is rebuilt from the k-NN's training rows on loading (the same rows
# and leaf size give the same tree).
TRUSTED = [
    "autometa.search.ensemble.EnsembleModel",
    "autometa.search.ensemble.RegressionEnsemble",
    "functools.partial",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
    "sklearn.utils.validation.check_array",
]
#: A file that unpacks to more than this many times its size (and more than
#: MIN_UNPACKED_LIMIT) is refused before it is unpacked: autometa writes them uncompressed.
MAX_UNPACKED_RATIO = 20
MIN_UNPACKED_LIMIT = 64 * 2**20
#: Deepest nesting of the file's description (autometa's own files stay under 40).
MAX_DEPTH = 200


@dataclass
class SavedModel:
    """A fitted model as read from a file: predicts from raw tables.

    Attributes
    ----------
    pipeline : Pipeline
        Fitted on label codes 0..n_classes-1 (classification) or the target's values.
    schema : InputSchema
    classes : ndarray, shape (n_classes,), or None for a regression model
    info : dict
        config_id, metric, score, autometa version, ...
    """

    pipeline: Any
    schema: InputSchema
    classes: np.ndarray | None
    info: dict[str, Any]

    @property
    def kind(self) -> str:
        """The task kind: "classification" or "regression"."""
        return "regression" if self.classes is None else "classification"

    def predict(self, X: Any, label: str = "the input") -> np.ndarray:
        """Class labels or predicted values, shape (n_rows,); ``X`` is checked against the
        schema first."""
        out = self.pipeline.predict(self.schema.transform(X, label))
        if self.classes is None:
            return np.asarray(out, dtype=float)
        return self.classes[np.asarray(out, dtype=int)]

    def predict_proba(self, X: Any, label: str = "the input") -> pd.DataFrame:
        """Probabilities, shape (n_rows, n_classes), one column per class."""
        if self.classes is None:
            raise BadInputError("This is a regression model: it predicts values, not classes.")
        if not hasattr(self.pipeline, "predict_proba"):
            raise BadInputError(
                f"The saved model ({self.info.get('config_id', 'unknown')}) gives no class "
                "probabilities; predict labels only."
            )
        frame = self.schema.transform(X, label)
        # The pipeline predicts label codes 0..n_classes-1 (a CV-fold model may miss some).
        codes = np.arange(len(self.classes))
        proba = on_classes(self.pipeline.predict_proba(frame), self.pipeline.classes_, codes)
        return pd.DataFrame(proba, columns=[str(c) for c in self.classes], index=frame.index)


def save_model(
    path: str | Path,
    pipeline: Any,
    schema: InputSchema,
    classes: np.ndarray | None,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write a model file (skops format; ``.skops`` by convention); ``classes`` None for a
    regression model."""
    import skops.io as sio

    payload = {
        **header(KIND),
        "pipeline": pipeline,
        "schema": schema.to_dict(),
        "classes": None
        if classes is None
        else [c.item() if isinstance(c, np.generic) else c for c in classes],
        "info": dict(info or {}),
    }
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise BadInputError(f"Folder '{path.parent}' does not exist; cannot write '{path}'.")
    searches = [
        (m, m._tree) for m in _neighbour_models(pipeline) if getattr(m, "_tree", None) is not None
    ]
    try:  # the trees are left out of the file (see TRUSTED), then put back
        for model, _ in searches:
            model._tree = None
        return atomic_write(path, lambda temporary: sio.dump(payload, temporary))
    finally:
        for model, tree in searches:
            model._tree = tree


def _neighbour_models(obj: Any) -> Iterator[Any]:
    """The fitted k-NN estimators inside a pipeline, a target transform or an ensemble."""
    if isinstance(obj, NeighborsBase):
        yield obj
    elif isinstance(obj, Pipeline):
        for _, step in obj.steps:
            yield from _neighbour_models(step)
    elif isinstance(obj, TransformedTargetRegressor):
        yield from _neighbour_models(getattr(obj, "regressor_", None))
    elif isinstance(obj, EnsembleModel | RegressionEnsemble):
        for _, _, models, _ in obj.members:
            for model in models:
                yield from _neighbour_models(model)


def _rebuild_searches(pipeline: Any) -> None:
    """Each k-NN's search tree, from its training rows, as scikit-learn's fit builds it."""
    for model in _neighbour_models(pipeline):
        kind = {"kd_tree": KDTree, "ball_tree": BallTree}.get(model._fit_method)
        if kind is not None and getattr(model, "_tree", None) is None:
            model._tree = kind(
                model._fit_X,
                model.leaf_size,
                metric=model.effective_metric_,
                **model.effective_metric_params_,
            )


def load_model(path: str | Path) -> SavedModel:
    """Read a model file written by :func:`save_model`, refusing untrusted types.

    Raises
    ------
    IncompatibleArtifactError
        A missing file, or one that is not a model file this autometa reads (one line
        says why), or one of another schema version.
    """
    import skops.io as sio

    path = require(path, KIND)
    data = _checked_bytes(path)
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # any reader error: the file is not one of ours
        raise _not_a_model(path, exc) from None
    refused = [t for t in untrusted if t not in TRUSTED]
    if refused:
        raise WrongArtifactError(
            f"'{path}' is not an autometa model file (it contains types autometa does not "
            f"trust: {', '.join(refused)}); it was not loaded."
        )
    try:
        payload = sio.loads(data, trusted=untrusted)
        check_header(payload, path, KIND)
        _rebuild_searches(payload["pipeline"])
        return SavedModel(
            payload["pipeline"],
            InputSchema.from_dict(payload["schema"]),
            None if payload["classes"] is None else np.asarray(payload["classes"]),
            dict(payload["info"]),
        )
    except AutometaError:
        raise
    except Exception as exc:  # a trusted type built with other arguments, a missing key...
        raise _not_a_model(path, exc) from None


def _checked_bytes(path: Path) -> bytes:
    """The file's bytes, once its archive's unpacked size and its description's nesting
    are known to be within the limits (nothing is built before)."""
    try:
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            limit = max(MIN_UNPACKED_LIMIT, MAX_UNPACKED_RATIO * len(data))
            if unpacked > limit:
                raise WrongArtifactError(
                    f"'{path}' is not an autometa model file (it unpacks to {unpacked:,} "
                    f"bytes from {len(data):,}; the limit is {limit:,})."
                )
            description = json.loads(archive.read("schema.json"))
    except AutometaError:
        raise
    except RecursionError:
        raise WrongArtifactError(
            f"'{path}' is not an autometa model file (its description is nested deeper "
            f"than {MAX_DEPTH} levels)."
        ) from None
    except Exception as exc:
        raise _not_a_model(path, exc) from None
    if _depth(description) > MAX_DEPTH:
        raise WrongArtifactError(
            f"'{path}' is not an autometa model file (its description is nested deeper "
            f"than {MAX_DEPTH} levels)."
        )
    return data


def _depth(node: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _not_a_model(path: Path, exc: BaseException) -> WrongArtifactError:
    """The one error of an unreadable file: its reason on one line."""
    reason = " ".join(str(exc).split())[:200] or "no detail"
    return WrongArtifactError(
        f"'{path}' is not an autometa model file ({type(exc).__name__}: {reason})."
    )
