"""Errors and warnings raised by autometa.

Every error a user can cause is an :class:`AutometaError`; the CLI turns it into one red
line and exit code 2. Anything else escaping the library is a bug.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "AutometaError",
    "AutometaWarning",
    "BadInputError",
    "IncompatibleArtifactError",
    "NotFittedError",
]


class AutometaError(Exception):
    """Base class of every error autometa raises on purpose."""


class BadInputError(AutometaError, ValueError):
    """The data or arguments a user gave cannot be used (the message says why and what to do)."""


class IncompatibleArtifactError(AutometaError):
    """A saved file (meta-dataset, meta-model, model file) does not match this version."""


class NotFittedError(AutometaError, _SklearnNotFittedError):
    """An estimator or selector was used before ``fit``; also a scikit-learn NotFittedError."""


class AutometaWarning(UserWarning):
    """A documented fallback was applied (e.g. latin-1 decoding, rare rows dropped)."""
