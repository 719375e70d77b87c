"""Where the shipped files under data/ are (from a source checkout or an installed wheel), and
the shared corpus beside a checkout that benchmarks and tests read."""

from __future__ import annotations

from pathlib import Path

from autometa.exceptions import AutometaError

__all__ = ["data_dir", "metadataset_dir", "shared_dir"]

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding demo/, metadataset/ and the trained meta-model.

    A wheel carries it inside the package as ``autometa/_data`` (see pyproject.toml); a
    source checkout (also an editable install) has it beside the package as ``data/``.
    """
    for candidate in (_PACKAGE / "_data", _PACKAGE.parent / "data"):
        if (candidate / "demo").is_dir():
            return candidate
    raise AutometaError(
        "The shipped data folder was not found; reinstall autometa (pip install autometa)."
    )


def metadataset_dir(task_kind: str = "classification") -> Path:
    """The shipped meta-dataset of a task kind ("classification" or "regression")."""
    return data_dir() / (
        "metadataset" if task_kind == "classification" else f"metadataset_{task_kind}"
    )


def shared_dir() -> Path:
    """The ``shared/`` folder beside the checkout (corpus, reserved list, ASlib scenario).

    Benchmarks and tests read real data from there; it is not part of the package. The
    folder may be missing (an installed wheel): callers skip or fail with their own message.
    """
    return _PACKAGE.parent.parent / "shared"
