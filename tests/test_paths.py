"""Shipped data is found from a source checkout and from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autometa.paths import data_dir
from tests.helpers import ROOT


def test_source_checkout_finds_data() -> None:
    assert data_dir() == ROOT / "data"
    assert (data_dir() / "demo" / "penguins.csv").is_file()


@pytest.mark.slow
def test_wheel_carries_data_and_finds_it(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
    )  # fmt: skip
    wheel = next(tmp_path.glob("autometa-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "autometa/_data/demo/penguins.csv" in names
        # The CLI travels inside the package: no top-level "cli" in a user's environment.
        assert "autometa/cli/main.py" in names
        assert not [n for n in names if n.startswith("cli/")]
        archive.extractall(tmp_path / "site")
    code = "from autometa.paths import data_dir; print(data_dir())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""},
    )  # fmt: skip
    assert Path(out.stdout.strip()) == tmp_path / "site" / "autometa" / "_data"
    version = subprocess.run(
        [sys.executable, "-m", "autometa", "--version"], cwd=tmp_path, capture_output=True,
        text=True, check=True, env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""},
    )  # fmt: skip
    assert version.stdout.startswith("autometa ")
