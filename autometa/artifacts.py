"""The one reader of versioned files autometa writes and ships.

Four kinds of artifact carry a header ``{"kind": ..., "schema_version": ...}``:

========================  ==========================  =======================================
kind                      file                        written by
========================  ==========================  =======================================
``autometa.metadataset``  ``manifest.json`` in folder ``MetaDataset.save``
``autometa.metamodel``    ``.pt`` (torch, weights)    ``MetaModel.save``
``autometa.maml``         ``.pt`` (torch, weights)    ``MAMLRegressor.save_initialisation``
``autometa.model``        ``.skops``                  ``AutoMetaClassifier.save``
========================  ==========================  =======================================

Every failure has one error type and one message style:

- :class:`MissingArtifactError`: "<What> '<path>' does not exist."
- :class:`WrongArtifactError`: "'<path>' is not an autometa <what> (<detail>)."
- :class:`ArtifactVersionError`: "<What> '<path>' has schema version X; this autometa
  reads Y. <How to remake it>."

All three are :class:`IncompatibleArtifactError`, so callers can catch one type.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from autometa.exceptions import IncompatibleArtifactError

__all__ = [
    "KINDS",
    "VERSION",
    "ArtifactKind",
    "ArtifactVersionError",
    "MissingArtifactError",
    "WrongArtifactError",
    "atomic_write",
    "check_header",
    "header",
    "read_json",
    "read_torch",
    "require",
    "write_torch",
]

try:  # the release writing the files (autometa.__version__ names it too)
    VERSION = version("autometa")
except PackageNotFoundError:  # a source checkout that is not installed
    VERSION = "0.0.0+unknown"


class MissingArtifactError(IncompatibleArtifactError):
    """The file is not there."""


class WrongArtifactError(IncompatibleArtifactError):
    """The file is not an artifact of the expected kind (or cannot be read)."""


class ArtifactVersionError(IncompatibleArtifactError):
    """The file's schema version is not the one this autometa reads."""


@dataclass(frozen=True)
class ArtifactKind:
    """One kind of artifact: its header name, version, wording and remedy."""

    kind: str
    version: int
    what: str
    remedy: str

    @property
    def title(self) -> str:
        """The wording with a capital first letter, to start a sentence."""
        return self.what[:1].upper() + self.what[1:]


KINDS: dict[str, ArtifactKind] = {
    k.kind: k
    for k in (
        ArtifactKind("autometa.metadataset", 2, "meta-dataset",
                     "Rebuild it with `autometa build-metadata`."),
        ArtifactKind("autometa.metamodel", 4, "meta-model",
                     "Retrain it with `autometa train-metamodel`."),
        ArtifactKind("autometa.maml", 1, "MAML initialisation",
                     "Meta-train it again with `autometa maml train`."),
        ArtifactKind("autometa.model", 2, "model file", "Refit and save the model again."),
    )
}  # fmt: skip


def header(kind: str) -> dict[str, Any]:
    """The header to write at the top of an artifact of ``kind``."""
    spec = KINDS[kind]
    return {"kind": spec.kind, "schema_version": spec.version, "autometa_version": VERSION}


def require(path: str | Path, kind: str) -> Path:
    """``path`` as a Path; :class:`MissingArtifactError` when it does not exist."""
    path = Path(path)
    if not path.exists():
        raise MissingArtifactError(f"{KINDS[kind].title} '{path}' does not exist.")
    return path


def check_header(payload: Any, path: str | Path, kind: str) -> None:
    """Raise the matching error unless ``payload`` has the header of ``kind``."""
    spec = KINDS[kind]
    if not isinstance(payload, dict) or payload.get("kind") != spec.kind:
        found = payload.get("kind") if isinstance(payload, dict) else type(payload).__name__
        raise WrongArtifactError(f"'{path}' is not an autometa {spec.what} (kind: {found}).")
    if payload.get("schema_version") != spec.version:
        raise ArtifactVersionError(
            f"{spec.title} '{path}' has schema version "
            f"{payload.get('schema_version')}; this autometa reads {spec.version}. {spec.remedy}"
        )


def read_json(path: str | Path, kind: str) -> dict[str, Any]:
    """A JSON artifact (e.g. a meta-dataset's manifest), header checked."""
    path = require(path, kind)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WrongArtifactError(
            f"'{path}' is not an autometa {KINDS[kind].what} ({exc})."
        ) from exc
    check_header(payload, path, kind)
    return payload


def read_torch(path: str | Path, kind: str) -> dict[str, Any]:
    """A torch artifact read with ``weights_only=True`` (no pickle), header checked."""
    import torch

    path = require(path, kind)
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises many types for a file that is not its format
        raise WrongArtifactError(
            f"'{path}' is not an autometa {KINDS[kind].what} ({exc})."
        ) from exc
    check_header(payload, path, kind)
    return payload


def _open_mode() -> int:
    """The permission bits ``open(path, "w")`` gives a new file: 0o666 less the umask
    (which can only be read by setting it, so it is set back at once)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write a file through ``write(temporary_path)``, then move it over ``path``.

    The temporary file sits in the same folder, is flushed to disk before the rename, and
    the rename is atomic: a crash at any moment leaves the old file or the new one, never
    a broken one; a failed write leaves no temporary file behind.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        # mkstemp makes the file private (0600); the result gets the old file's mode, or
        # what a plain open() would give under the umask.
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else _open_mode())
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_torch(path: str | Path, kind: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` under the header of ``kind`` as a torch file that :func:`read_torch`
    reads back (tensors, numbers, strings, lists and dicts only: no pickle); atomically."""
    import torch

    return atomic_write(path, lambda temporary: torch.save({**header(kind), **payload}, temporary))
