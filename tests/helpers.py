"""Helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import autometa
from autometa.estimators.base import search_inputs
from autometa.search import SearchResult, SearchSettings, search

ROOT = Path(__file__).resolve().parents[1]  # the repository
DEMO = ROOT / "data" / "demo"
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"  # the shared corpus, beside the repository


def worker_processes(pid: int | None = None) -> list[Any]:
    """The search's worker processes below process ``pid`` (default: this one): loky's
    process context names them in their command line (its resource tracker is left out)."""
    import psutil

    def loky(p: Any) -> bool:
        try:
            return any("popen_loky" in part for part in p.cmdline())
        except (psutil.ZombieProcess, psutil.NoSuchProcess):  # ended: not a worker now
            return False

    return [p for p in psutil.Process(pid).children(recursive=True) if loky(p)]


def race(
    task: autometa.Task,
    rec: autometa.Recommendation,
    settings: SearchSettings,
    **kwargs: Any,
) -> SearchResult:
    """The search on what the estimator hands it from ``rec`` (its proposals, timing model
    and curve predictor)."""
    proposals, costs, curves = search_inputs(rec)
    return search(task, proposals, costs, settings, curves=curves, **kwargs)
