"""Task samplers, MAMLRegressor / MAMLClassifier, initialisation files and the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from autometa.exceptions import BadInputError, IncompatibleArtifactError, NotFittedError
from autometa.maml import (
    EpisodeTasks,
    MAMLClassifier,
    MAMLRegressor,
    SinusoidTasks,
    TableTasks,
    load_initialisation,
)
from cli.main import app


def _linear_family(n_tasks: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    tasks = []
    for _ in range(n_tasks):
        X = rng.normal(size=(40, 3))
        a, b = rng.normal(size=2) * 2
        tasks.append((X, a * X[:, 0] + b))
    return tasks


def test_sinusoid_tasks_follow_the_paper() -> None:
    batch = SinusoidTasks(0).sample(500, 5, 7)
    assert batch.x_support.shape == (500, 5, 1) and batch.x_query.shape == (500, 7, 1)
    assert batch.x_support.min() >= -5 and batch.x_support.max() <= 5
    # |y| <= amplitude <= 5, and the amplitude spread reaches both ends of U[0.1, 5]
    peak = batch.y_query.abs().amax(dim=(1, 2))
    assert peak.max() <= 5 and peak.max() > 4
    again = SinusoidTasks(0).sample(500, 5, 7)
    assert torch.equal(batch.y_support, again.y_support)


def test_episodes_use_the_given_classes_and_relabel() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(600, 4)), np.repeat(np.arange(12), 50)
    tasks = EpisodeTasks(X, y, classes=range(8), n_way=5, k_shot=2, k_query=3)
    batch = tasks.sample(4)
    assert batch.x_support.shape == (4, 10, 4) and batch.y_query.shape == (4, 15)
    assert set(batch.y_support.unique().tolist()) == set(range(5))
    # every support row comes from classes 0..7
    rows = {tuple(np.round(r, 6)) for r in X[y < 8]}
    assert all(tuple(np.round(r, 6)) in rows for r in batch.x_support[0].numpy().astype(float))
    with pytest.raises(BadInputError, match="n_way=5 needs more"):
        EpisodeTasks(X, y, classes=range(3), n_way=5)
    with pytest.raises(BadInputError, match="fewer than k_shot \\+ k_query"):
        EpisodeTasks(X, y, k_shot=30, k_query=30)


def test_table_tasks_check_the_family() -> None:
    tasks = _linear_family(3)
    with pytest.raises(BadInputError, match="at least 2 tasks"):
        TableTasks(tasks[:1], classification=False)
    with pytest.raises(BadInputError, match="differ in their number of features"):
        TableTasks([tasks[0], (tasks[1][0][:, :2], tasks[1][1])], classification=False)
    batch = TableTasks(tasks, classification=False, k_shot=4, k_query=6).sample(5)
    assert batch.y_support.shape == (5, 4, 1)


def test_regressor_adapts_and_round_trips(tmp_path: Path) -> None:
    model = MAMLRegressor(algorithm="metasgd", meta_iterations=300, random_state=0)
    model.meta_fit(_linear_family(30))
    rng = np.random.default_rng(9)
    X, Xt = rng.normal(size=(10, 3)), rng.normal(size=(200, 3))
    y, yt = 1.5 * X[:, 0] - 1, 1.5 * Xt[:, 0] - 1
    mse = np.mean((model.fit(X, y).predict(Xt) - yt) ** 2)
    assert mse < 0.2 * yt.var()
    loaded = load_initialisation(model.save_initialisation(tmp_path / "init.pt"))
    np.testing.assert_allclose(loaded.fit(X, y).predict(Xt), model.predict(Xt), rtol=1e-6)
    with pytest.raises(BadInputError, match="X has 2 features"):
        model.predict(Xt[:, :2])


def test_regressor_learns_targets_in_any_units(tmp_path: Path) -> None:
    # Reaction times in ms, weights in grams: targets around 300 with a spread of 40. Unscaled,
    # the clipped inner steps could not move the output that far in 10 steps.
    family = [(X, 300 + 40 * y) for X, y in _linear_family(30)]
    model = MAMLRegressor(algorithm="metasgd", meta_iterations=300, random_state=0)
    model.meta_fit(family)
    rng = np.random.default_rng(9)
    X, Xt = rng.normal(size=(10, 3)), rng.normal(size=(200, 3))
    y, yt = 300 + 40 * (1.5 * X[:, 0] - 1), 300 + 40 * (1.5 * Xt[:, 0] - 1)
    mse = np.mean((model.fit(X, y).predict(Xt) - yt) ** 2)
    assert mse < 0.2 * yt.var()
    loaded = load_initialisation(model.save_initialisation(tmp_path / "init.pt"))
    np.testing.assert_allclose(loaded.fit(X, y).predict(Xt), model.predict(Xt), rtol=1e-5)


def test_clone_keeps_the_initialisation_and_fit_does_not_change_it() -> None:
    from sklearn.base import clone

    model = MAMLRegressor(meta_iterations=50, random_state=0).meta_fit(_linear_family(10))
    rng = np.random.default_rng(1)
    X, Xt = rng.normal(size=(10, 3)), rng.normal(size=(50, 3))
    y = 2.0 * X[:, 1]
    twin = clone(model)
    assert twin.init is not None and twin.init is not model.init  # a copy, not a share
    np.testing.assert_allclose(twin.fit(X, y).predict(Xt), model.fit(X, y).predict(Xt), rtol=1e-6)
    before = {k: v.clone() for k, v in model.init.state["params"].items()}
    model.fit(X, 3 * y)
    after = model.init.state["params"]
    assert all(torch.equal(before[k], after[k]) for k in before)  # adaptation is not meta-state


def test_classifier_errors(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tasks = [(rng.normal(size=(30, 2)), rng.choice(["a", "b"], 30)) for _ in range(5)]
    with pytest.raises(NotFittedError, match="meta_fit"):
        MAMLClassifier().fit(tasks[0][0], tasks[0][1])
    clf = MAMLClassifier(meta_iterations=5).meta_fit(tasks)
    with pytest.raises(BadInputError, match="were not in the meta-training tasks"):
        clf.fit(tasks[0][0], np.array(["a", "c"] * 15))
    proba = clf.fit(*tasks[0]).predict_proba(tasks[1][0])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"nope")
    with pytest.raises(IncompatibleArtifactError, match="not an autometa MAML initialisation"):
        load_initialisation(junk)


def test_cli_train_then_adapt(tmp_path: Path) -> None:
    rows = []
    for i, (X, y) in enumerate(_linear_family(10)):
        rows.append(pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y, task=f"t{i}"))
    family = pd.concat(rows)
    family.to_csv(tmp_path / "family.csv", index=False)
    new = family[family["task"] == "t0"].drop(columns="task").head(10)
    new.to_csv(tmp_path / "new.csv", index=False)
    init = tmp_path / "init.pt"
    runner = CliRunner()
    result = runner.invoke(app, ["maml", "train", str(tmp_path / "family.csv"), "-t", "y",
                                 "-g", "task", "--out", str(init), "--iterations", "50"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "10 tasks (regression, 3 features)" in result.stdout
    result = runner.invoke(app, ["maml", "adapt", str(init), str(tmp_path / "new.csv"), "-t", "y",
                                 "--predict", str(tmp_path / "new.csv")])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "adapted on 10 rows in 10 steps: MSE" in result.stderr
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 10
    result = runner.invoke(app, ["maml", "train", str(tmp_path / "family.csv"), "-t", "y",
                                 "--out", str(init)])  # fmt: skip
    assert result.exit_code == 2 and "pass --group-column" in result.stderr


def test_episode_noise_is_seeded_augmentation() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 4)), np.repeat(np.arange(5), 20)
    plain = EpisodeTasks(X, y, n_way=3, k_shot=2, k_query=3, random_state=4).sample(50)
    noisy = EpisodeTasks(X, y, n_way=3, k_shot=2, k_query=3, random_state=4, noise=0.5).sample(50)
    assert torch.equal(plain.y_support, noisy.y_support)  # the same rows and labels
    diff = (noisy.x_query - plain.x_query).flatten()
    assert float(diff.std()) == pytest.approx(0.5, rel=0.1)
    again = EpisodeTasks(X, y, n_way=3, k_shot=2, k_query=3, random_state=4, noise=0.5).sample(50)
    assert torch.equal(noisy.x_support, again.x_support)
    with pytest.raises(BadInputError, match="noise must be a standard deviation >= 0"):
        EpisodeTasks(X, y, noise=-1.0)
