"""autometa: learn from many datasets which scikit-learn learner to use on a new one."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from autometa.classifier import AutoMetaClassifier
from autometa.exceptions import (
    AutometaError,
    AutometaWarning,
    BadInputError,
    IncompatibleArtifactError,
    NotFittedError,
)
from autometa.metadata import MetaDataset
from autometa.metafeatures import extract_metafeatures
from autometa.model_file import SavedModel, load_model
from autometa.recommend import Knowledge, Recommendation, recommend
from autometa.regressor import AutoMetaRegressor
from autometa.tabular import Task, load_table

try:
    __version__ = version("autometa")
except PackageNotFoundError:  # a source checkout that is not installed
    __version__ = "0.0.0+unknown"

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
