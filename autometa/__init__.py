"""autometa: learn from many datasets which scikit-learn learner to use on a new one.

The public names are imported on first use (PEP 562), so that ``import autometa`` and the
``autometa`` command start in a fraction of a second and a Ctrl-C at start-up is a clean
exit; ``from autometa import AutoMetaClassifier`` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autometa.artifacts import VERSION as __version__
    from autometa.estimators.classifier import AutoMetaClassifier
    from autometa.estimators.model_file import SavedModel, load_model
    from autometa.estimators.regressor import AutoMetaRegressor
    from autometa.exceptions import (
        AutometaError,
        AutometaWarning,
        BadInputError,
        IncompatibleArtifactError,
        NotFittedError,
    )
    from autometa.metadataset.metadata import MetaDataset
    from autometa.metafeatures import extract_metafeatures
    from autometa.selectors.recommend import Knowledge, Recommendation, recommend
    from autometa.table.tabular import Task, load_table

#: Public name -> the module that defines it.
_HOMES = {
    "__version__": "autometa.artifacts",
    "AutometaError": "autometa.exceptions",
    "AutometaWarning": "autometa.exceptions",
    "BadInputError": "autometa.exceptions",
    "IncompatibleArtifactError": "autometa.exceptions",
    "NotFittedError": "autometa.exceptions",
    "AutoMetaClassifier": "autometa.estimators.classifier",
    "AutoMetaRegressor": "autometa.estimators.regressor",
    "SavedModel": "autometa.estimators.model_file",
    "load_model": "autometa.estimators.model_file",
    "MetaDataset": "autometa.metadataset.metadata",
    "extract_metafeatures": "autometa.metafeatures",
    "Knowledge": "autometa.selectors.recommend",
    "Recommendation": "autometa.selectors.recommend",
    "recommend": "autometa.selectors.recommend",
    "Task": "autometa.table.tabular",
    "load_table": "autometa.table.tabular",
}

__all__ = [
    "AutoMetaClassifier",
    "AutoMetaRegressor",
    "AutometaError",
    "AutometaWarning",
    "BadInputError",
    "IncompatibleArtifactError",
    "Knowledge",
    "MetaDataset",
    "NotFittedError",
    "Recommendation",
    "SavedModel",
    "Task",
    "__version__",
    "extract_metafeatures",
    "load_model",
    "load_table",
    "recommend",
]


#: Subpackages (and the public module ``learners``) reachable as attributes, e.g.
#: ``autometa.learners.space()`` after ``import autometa``.
_SUBMODULES = ("estimators", "learners", "maml", "metadataset", "metafeatures", "reporting",
               "search", "selectors", "space", "table")  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"autometa.{name}")
    if name not in _HOMES:
        raise AttributeError(f"module 'autometa' has no attribute {name!r}")
    module = importlib.import_module(_HOMES[name])
    value = module.VERSION if name == "__version__" else getattr(module, name)
    globals()[name] = value  # imported once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES, *_SUBMODULES])
