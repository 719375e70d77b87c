"""Where the shipped files under data/ are, from a source checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

from autometa.exceptions import AutometaError

__all__ = ["data_dir"]

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
