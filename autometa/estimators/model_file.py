"""Model files: a fitted pipeline and its input schema, saved with skops (no pickle).

skops rebuilds objects from a description of their types and refuses types it does not
trust, so loading a model file cannot run arbitrary code. Beyond skops's defaults
(scikit-learn estimators, numpy arrays, builtins), autometa's learners need the few types
in ``TRUSTED``; a file asking for any other type is refused with its name.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa.artifacts import WrongArtifactError, check_header, header, require
from autometa.exceptions import BadInputError
from autometa.space.metrics import on_classes
from autometa.table.schema import InputSchema

__all__ = ["SavedModel", "load_model", "save_model"]

KIND = "autometa.model"
# Types autometa's pipelines contain that skops does not trust by default (tree
# structures, optimiser state, numpy dtypes, the validation function MLP keeps in a partial,
# and autometa's own ensemble of pipelines).
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
    sio.dump(payload, path)
    return path


def load_model(path: str | Path) -> SavedModel:
    """Read a model file written by :func:`save_model`, refusing untrusted types."""
    import skops.io as sio

    path = require(path, KIND)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise WrongArtifactError(f"'{path}' is not an autometa model file ({exc}).") from exc
    refused = [t for t in untrusted if t not in TRUSTED]
    if refused:
        raise WrongArtifactError(
            f"'{path}' is not an autometa model file (it contains types autometa does not "
            f"trust: {', '.join(refused)}); it was not loaded."
        )
    payload = sio.load(path, trusted=untrusted)
    check_header(payload, path, KIND)
    return SavedModel(
        payload["pipeline"],
        InputSchema.from_dict(payload["schema"]),
        None if payload["classes"] is None else np.asarray(payload["classes"]),
        dict(payload["info"]),
    )
