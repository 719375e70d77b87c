"""Every kind of artifact fails the same way for the same problem: one error type, one
message style (missing file, wrong kind, wrong version)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import autometa
from autometa import IncompatibleArtifactError, MetaDataset
from autometa.artifacts import (
    KINDS,
    ArtifactVersionError,
    MissingArtifactError,
    WrongArtifactError,
    atomic_write,
    header,
    read_torch,
)
from autometa.maml import load_initialisation
from autometa.selectors import MetaModel


def _metadataset_payload(path: Path, payload: dict[str, Any]) -> Path:
    path.mkdir()
    (path / "manifest.json").write_text(json.dumps(payload))
    return path


def _torch_payload(path: Path, payload: dict[str, Any]) -> Path:
    file = path.with_suffix(".pt")
    torch.save(payload, file)
    return file


LOADERS: dict[str, tuple[Callable[[Path], Any], Callable[[Path, dict[str, Any]], Path], str]] = {
    "autometa.metadataset": (MetaDataset.load, _metadataset_payload, "Meta-dataset"),
    "autometa.metamodel": (MetaModel.load, _torch_payload, "Meta-model"),
    "autometa.maml": (load_initialisation, _torch_payload, "MAML initialisation"),
}


@pytest.mark.parametrize("kind", list(LOADERS))
def test_same_failure_same_error_for_every_kind(kind: str, tmp_path: Path) -> None:
    load, write, what = LOADERS[kind]
    with pytest.raises(MissingArtifactError, match=rf"^{what} '.*nowhere.*' does not exist\.$"):
        load(tmp_path / "nowhere")
    wrong = write(tmp_path / "wrong", {"kind": "something.else", "schema_version": 1})
    with pytest.raises(WrongArtifactError, match=r"is not an autometa .*\(kind: something.else\)"):
        load(wrong)
    old = write(tmp_path / "old", {**header(kind), "schema_version": 0})
    with pytest.raises(
        ArtifactVersionError,
        match=rf"has schema version 0; this autometa reads {KINDS[kind].version}\.",
    ):
        load(old)


def test_model_file_version_and_kind_are_checked(tmp_path: Path) -> None:
    import skops.io as sio

    old = tmp_path / "old.skops"
    sio.dump({**header("autometa.model"), "schema_version": 1}, old)
    with pytest.raises(ArtifactVersionError, match="Refit and save the model again"):
        autometa.load_model(old)


def test_errors_are_incompatible_artifact_errors(tmp_path: Path) -> None:
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(IncompatibleArtifactError, match="is not an autometa meta-model"):
        read_torch(tmp_path / "junk.pt", "autometa.metamodel")


def test_atomic_write_keeps_the_mode_a_plain_write_gives(tmp_path: Path) -> None:
    # mkstemp's temporary file is private (0600): a saved model must not be.
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    fresh = atomic_write(tmp_path / "fresh.bin", lambda p: p.write_bytes(b"y"))
    assert fresh.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    os.chmod(fresh, 0o640)
    atomic_write(fresh, lambda p: p.write_bytes(b"z"))  # an existing file keeps its mode
    assert fresh.stat().st_mode & 0o777 == 0o640 and fresh.read_bytes() == b"z"
