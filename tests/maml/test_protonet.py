"""Prototypical networks: episodic training, prototypes, absent classes, the classifier
option and its file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from autometa.exceptions import BadInputError
from autometa.maml import (
    EpisodeTasks,
    MAMLClassifier,
    MAMLRegressor,
    PrototypicalNetwork,
    load_initialisation,
    mlp,
)
from autometa.maml.protonet import ABSENT


def _blobs(n_classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Classes whose rows differ in 2 of 10 features (the other 8 are noise)."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((n_classes, 10))
    centres[:, :2] = rng.normal(scale=3, size=(n_classes, 2))
    y = np.repeat(np.arange(n_classes), 30)
    return centres[y] + rng.normal(size=(len(y), 10)) * np.r_[0.3, 0.3, [3.0] * 8], y


def _accuracy(net: PrototypicalNetwork, tasks: EpisodeTasks) -> float:
    batch = tasks.sample(200)
    with torch.no_grad():
        weights = net.adapt(batch.x_support, batch.y_support, 0, create_graph=False)
        logits = net.forward(weights, batch.x_query)
    return float((logits.argmax(dim=2) == batch.y_query).float().mean())


def test_episodic_training_learns_an_embedding_that_carries_to_new_classes() -> None:
    X, y = _blobs(20)
    train, test = list(range(12)), list(range(12, 20))
    net = PrototypicalNetwork(mlp(10, (32, 32), 5), 5, meta_lr=3e-3, device="cpu")
    held_out = EpisodeTasks(X, y, test, n_way=5, k_shot=1, k_query=5, random_state=1)
    before = _accuracy(net, held_out)
    net.fit(EpisodeTasks(X, y, train, n_way=5, k_shot=1, k_query=5).stream(16), 300)
    after = _accuracy(net, held_out)
    # Trained to ignore the 8 noisy features, it tells new classes apart from one row each.
    assert after > before + 0.1 and after > 0.8, (before, after)


def test_prototypes_are_class_means_and_a_class_without_rows_is_never_predicted() -> None:
    net = PrototypicalNetwork(mlp(3, (4,), 3), 3, device="cpu")
    x = torch.randn(1, 4, 3)
    y = torch.tensor([[0, 0, 1, 1]])  # class 2 has no support row
    protos, present = net.prototypes(x, y)
    with torch.no_grad():
        emb = net.embedding(x)
    torch.testing.assert_close(protos[0, 0], emb[0, :2].mean(dim=0))
    assert present.tolist() == [[True, True, False]]
    logits = net.forward(net.adapt(x, y, 0, create_graph=False), torch.randn(1, 6, 3))
    assert (logits[0, :, 2] == ABSENT).all() and (logits.argmax(dim=2) != 2).all()


def test_classifier_option_adapts_from_prototypes_and_round_trips(tmp_path: Path) -> None:
    X, y = _blobs(3)
    rng = np.random.default_rng(0)
    tasks = [(X[rows], y[rows]) for rows in (rng.permutation(len(y))[:40] for _ in range(6))]
    clf = MAMLClassifier(algorithm="protonet", hidden=(16,), meta_iterations=50, k_shot=5,
                         k_query=5, device="cpu").meta_fit(tasks)  # fmt: skip
    clf.fit(*tasks[0])
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert (clf.predict(X) == y).mean() > 0.8
    path = clf.save_initialisation(tmp_path / "proto.pt")
    again = load_initialisation(path, device="cpu").fit(*tasks[0])
    np.testing.assert_allclose(again.predict_proba(X), proba, rtol=1e-5, atol=1e-6)


def test_protonet_is_for_classification() -> None:
    rng = np.random.default_rng(0)
    tasks = [(rng.normal(size=(30, 2)), rng.normal(size=30)) for _ in range(3)]
    with pytest.raises(BadInputError, match=r"'protonet' .* is for classification"):
        MAMLRegressor(algorithm="protonet", meta_iterations=2).meta_fit(tasks)
