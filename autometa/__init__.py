"""autometa: learn from many datasets which scikit-learn learner to use on a new one."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from autometa.exceptions import (
    AutometaError,
    AutometaWarning,
    BadInputError,
    IncompatibleArtifactError,
    NotFittedError,
)
from autometa.metadata import MetaDataset
from autometa.metafeatures import extract_metafeatures
from autometa.tabular import Task, load_table

try:
    __version__ = version("autometa")
except PackageNotFoundError:  # a source checkout that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "AutometaError",
    "AutometaWarning",
    "BadInputError",
    "IncompatibleArtifactError",
    "MetaDataset",
    "NotFittedError",
    "Task",
    "__version__",
    "extract_metafeatures",
    "load_table",
]
