"""autometa: learn from many datasets which scikit-learn learner to use on a new one."""

from __future__ import annotations

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
