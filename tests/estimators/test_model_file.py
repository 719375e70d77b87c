"""Model files: every configuration saves and loads, saves survive a kill, hostile files
are refused with one clear error."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa import IncompatibleArtifactError, load_model
from autometa.estimators.model_file import MAX_DEPTH, SavedModel, save_model
from autometa.search.ensemble import EnsembleModel, RegressionEnsemble
from autometa.space.learners import FAMILIES, LearnerConfig, get_config, neighbours, space
from autometa.space.pipelines import build_pipeline
from autometa.table.schema import InputSchema
from autometa.table.tabular import task_from_xy

# Fewer trees and iterations than the grid's: the fitted objects are of the same types
# (what a file holds and the loader must trust), at a fraction of the time.
CHEAP = {"n_estimators": 5, "max_iter": 20}


def _table(n_columns: int, kind: str, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(120, n_columns)), columns=[f"x{i}" for i in range(n_columns)])
    X["colour"] = rng.choice(["red", "green", "blue"], len(X))
    signal_ = X["x0"].to_numpy() + (X["colour"] == "red")
    y = (
        (signal_ > 0.5).astype(int) + (X["x1"].to_numpy() > 1)
        if kind == "classification"
        else signal_
    )
    return X, np.asarray(y)


def _cheap(config: LearnerConfig) -> LearnerConfig:
    defaults = FAMILIES[config.family].estimator().get_params()
    params = {**config.params, **{k: v for k, v in CHEAP.items() if k in defaults}}
    return replace(config, params=params)


def _round_trip(pipe: object, X: pd.DataFrame, kind: str, path: Path) -> None:
    task = task_from_xy(X, pd.Series(np.arange(len(X), dtype=float)), task="regression")
    schema = InputSchema.from_task(task, False)
    classes = np.array(["a", "b", "c"]) if kind == "classification" else None
    save_model(path, pipe, schema, classes)
    model = load_model(path)
    np.testing.assert_array_equal(model.pipeline.predict(X), pipe.predict(X))  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["classification", "regression"])
@pytest.mark.parametrize("n_columns", [2, 40])
def test_every_configuration_saves_and_loads(kind: str, n_columns: int, tmp_path: Path) -> None:
    # Every configuration on 2 columns (+ a one-hot category: scikit-learn's k-NN builds a
    # kd-tree there); the k-NN ones again on 40 (brute force: no tree).
    X, y = _table(n_columns, kind)
    numeric = [c for c in X.columns if c != "colour"]
    configs = [c for c in space(task=kind) if n_columns == 2 or c.family.startswith("knn")]
    # Off-grid points the local search makes, one per tunable family.
    configs += [neighbours(c)[0][0] for c in configs if neighbours(c)][
        :: max(len(configs) // 10, 1)
    ]
    failed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for config in configs:
            pipe = build_pipeline(_cheap(config), numeric, ["colour"], 0).fit(X, y)
            try:
                _round_trip(pipe, X, kind, tmp_path / "m.skops")
            except Exception as exc:  # collect them all, to see every failure at once
                failed.append(f"{config.config_id}: {exc}")
    assert not failed, "\n".join(failed)


def test_ensembles_with_neighbours_save_and_load(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in ("classification", "regression"):
            X, y = _table(2, kind)
            ids = (
                ["knn_03", "lr_02", "hgb_01"]
                if kind == "classification"
                else ["knnr_02", "ridge_03"]
            )
            fitted = [
                build_pipeline(_cheap(get_config(c)), ["x0", "x1"], ["colour"], 0).fit(X, y)
                for c in ids
            ]
            members = [(c, 1 / len(ids), [m], "all rows") for c, m in zip(ids, fitted, strict=True)]
            ensemble = (
                EnsembleModel(np.unique(y), members) if kind == "classification"
                else RegressionEnsemble(members)
            )  # fmt: skip
            _round_trip(ensemble, X, kind, tmp_path / f"{kind}.skops")


def _valid_file(tmp_path: Path) -> Path:
    """A model file of an ensemble of a k-NN and a decision tree."""
    X, y = _table(2, "classification")
    fitted = [
        build_pipeline(get_config(c), ["x0", "x1"], ["colour"], 0).fit(X, y)
        for c in ("knn_03", "dt_01")
    ]
    ensemble = EnsembleModel(np.unique(y), [("knn_03", 0.5, [fitted[0]], "all rows"),
                                            ("dt_01", 0.5, [fitted[1]], "all rows")])  # fmt: skip
    path = tmp_path / "valid.skops"
    _round_trip(ensemble, X, "classification", path)
    return path


def _rewrite(source: Path, target: Path, change: object) -> None:
    """Copy the archive, with ``change(name, bytes) -> bytes | None`` applied per entry
    (None drops the entry)."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for info in archive.infolist():
            data = change(info.filename, archive.read(info))  # type: ignore[operator]
            if data is not None:
                out.writestr(info.filename, data)


def _nodes(node: object) -> list[dict]:
    out, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def _outcome(path: Path) -> str:
    try:
        model = load_model(path)
    except IncompatibleArtifactError as exc:
        assert "\n" not in str(exc), str(exc)  # one line
        return "refused"
    assert isinstance(model, SavedModel)
    return "model"


def test_hostile_files_are_refused_cleanly(tmp_path: Path) -> None:
    valid = _valid_file(tmp_path)
    bad = tmp_path / "bad.skops"

    def with_schema(edit: object) -> None:
        def change(name: str, data: bytes) -> bytes:
            if name != "schema.json":
                return data
            schema = json.loads(data)
            edit(schema)  # type: ignore[operator]
            return json.dumps(schema).encode()

        _rewrite(valid, bad, change)

    # A trusted type built with other arguments.
    def tree_args(schema: dict) -> None:
        for node in _nodes(schema):
            if node.get("__class__") == "Tree":
                node["__reduce__"]["args"]["content"] = []  # __cinit__ takes 3

    with_schema(tree_args)
    assert _outcome(bad) == "refused"
    # An unknown loader.
    with_schema(lambda s: s.update({"__loader__": "NoSuchNode"}))
    assert _outcome(bad) == "refused"
    # A description nested 50,000 deep.
    deep = "[" * 50_000 + "]" * 50_000
    _rewrite(valid, bad, lambda n, d: deep.encode() if n == "schema.json" else d)
    with pytest.raises(IncompatibleArtifactError, match=f"nested deeper than {MAX_DEPTH}"):
        load_model(bad)
    # A small archive that unpacks to 300 MB: refused before it is unpacked.
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", b"{}")
        archive.writestr("big.npy", b"\0" * 300 * 2**20)
    assert bad.stat().st_size < 2**20
    with pytest.raises(IncompatibleArtifactError, match="unpacks to 314,572,8"):
        load_model(bad)


def test_mutated_files_give_a_model_or_a_clean_refusal(tmp_path: Path) -> None:
    """A fuzz of 150 mutations of a valid file: bytes, JSON nodes and zip entries."""
    valid = _valid_file(tmp_path)
    raw = valid.read_bytes()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(valid) as archive:
        names = archive.namelist()
        schema = json.loads(archive.read("schema.json"))
    outcomes: dict[str, int] = {}
    for case in range(150):
        bad = tmp_path / f"case{case}.skops"
        how = ("bytes", "node", "entry")[case % 3]
        if how == "bytes":  # flip a few bytes anywhere
            data = bytearray(raw)
            for at in rng.integers(0, len(data), int(rng.integers(1, 8))):
                data[at] = int(rng.integers(0, 256))
            bad.write_bytes(bytes(data))
        elif how == "node":  # one field of one node of the description changed
            mutated = json.loads(json.dumps(schema))
            node = _nodes(mutated)[int(rng.integers(len(_nodes(mutated))))]
            key = sorted(node)[int(rng.integers(len(node)))]
            node[key] = [None, 0, -1, "x", [], {}, 1e308, "sklearn.tree._tree.Tree"][case % 8]
            _rewrite(
                valid,
                bad,
                lambda n, d, m=mutated: json.dumps(m).encode() if n == "schema.json" else d,
            )
        else:  # an entry dropped, or its content swapped with another's
            one, other = (names[int(i)] for i in rng.integers(0, len(names), 2))
            with zipfile.ZipFile(valid) as archive:
                swapped = archive.read(other)
            _rewrite(
                valid,
                bad,
                lambda n, d, o=one, s=swapped, c=case: (None if c % 2 else s) if n == o else d,
            )
        outcome = _outcome(bad)  # any other exception fails the test with its case
        outcomes[f"{how} {outcome}"] = outcomes.get(f"{how} {outcome}", 0) + 1
    print(outcomes)  # shown with -s: what the 150 cases gave
    # Every mutation kind ran, and each was caught at least once: a fuzz whose mutations all
    # load as models would test nothing. A flipped byte always breaks the zip (its CRC or its
    # structure), so it is never a model.
    for how in ("bytes", "node", "entry"):
        assert outcomes.get(f"{how} refused", 0) + outcomes.get(f"{how} model", 0) == 50, outcomes
        assert outcomes.get(f"{how} refused", 0) > 0, outcomes
    assert outcomes.get("bytes model", 0) == 0, outcomes


_SAVER = """
import sys
import numpy as np, pandas as pd
from autometa.estimators.model_file import save_model
from autometa.space.learners import get_config
from autometa.space.pipelines import build_pipeline
from autometa.table.schema import InputSchema
from autometa.table.tabular import task_from_xy
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(500, 20))).add_prefix("x")
y = (X["x0"] > 0).astype(int).to_numpy()
schema = InputSchema.from_task(task_from_xy(X, y), False)
models = [build_pipeline(get_config(c), list(X.columns), [], 0).fit(X, y) for c in ("rf_02", "lr_02")]
for i in range(10**6):
    save_model(sys.argv[1], models[i % 2], schema, np.array([0, 1]), {"i": i})
    if i == 0:
        print("saved", flush=True)
"""


@pytest.mark.slow
def test_a_save_killed_at_any_moment_leaves_a_model(tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    rng = np.random.default_rng(0)
    loaded = []
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path)], stdout=subprocess.PIPE, text=True
        )
        # Waiting for the first save to end makes the test as fast or slow as the machine.
        assert proc.stdout is not None and proc.stdout.readline().strip() == "saved"
        time.sleep(float(rng.uniform(0.0, 4.0)))  # a random point of a later save (~1.6 s each)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        loaded.append(load_model(path).info["i"])  # a model every time, whole and loadable
    assert len(loaded) == 12, loaded
    # What a killed save leaves besides: its temporary file, never the target half-written.
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.skops"]
    assert all(p.startswith(".model.skops.") and p.endswith(".tmp") for p in leftovers)


def test_a_failed_save_keeps_the_old_model(tmp_path: Path) -> None:
    path = _valid_file(tmp_path)
    before = path.read_bytes()
    task = task_from_xy(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), pd.Series([0.0, 1.0, 2.5]))
    with pytest.raises(TypeError):
        save_model(path, io.StringIO(), InputSchema.from_task(task, False), None)  # not savable
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["valid.skops"]
