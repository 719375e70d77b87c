"""The functional core: exact meta-gradients, first order, Meta-SGD, guard, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from autometa.exceptions import BadInputError
from autometa.maml import Batch, MetaLearner, SinusoidTasks, mlp
from autometa.maml.batched import _is_mlp, batched_forward
from autometa.maml.training import EarlyStopping
from benchmarks.maml_reference import per_task_query_loss


def _reference_meta_gradient(
    learner: MetaLearner, batch: Batch, steps: int, first_order: bool
) -> list[torch.Tensor]:
    """The gradient of the plain per-task loop (benchmarks/maml_reference.py)."""
    loss = per_task_query_loss(learner, batch, steps, first_order)
    return list(torch.autograd.grad(loss, list(learner.params.values())))


@pytest.mark.parametrize("steps", [1, 3])
def test_second_order_meta_gradient_matches_a_per_task_loop(steps: int) -> None:
    learner = MetaLearner(mlp(1, (40, 40), 1), inner_steps=steps, grad_clip=1e9, device="cpu")
    batch = SinusoidTasks(0).sample(6, 10, 10)
    _, grads = learner.meta_gradient(batch)
    ours = [grads[k] for k in learner.params]
    ref = _reference_meta_gradient(learner, batch, steps, first_order=False)
    for a, b in zip(ours, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_a_module_that_is_not_an_mlp_takes_the_generic_way() -> None:
    module = nn.Sequential(nn.Linear(1, 16), nn.LayerNorm(16), nn.Tanh(), nn.Linear(16, 1))
    learner = MetaLearner(module, inner_steps=2, grad_clip=1e9, device="cpu")
    batch = SinusoidTasks(2).sample(5, 10, 10)
    _, grads = learner.meta_gradient(batch)
    ref = _reference_meta_gradient(learner, batch, 2, first_order=False)
    for a, b in zip([grads[k] for k in learner.params], ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_the_mlp_way_and_the_generic_way_agree() -> None:
    module = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    assert _is_mlp(module) and not _is_mlp(nn.Sequential(nn.Linear(3, 2, bias=False)))
    weights = {k: torch.randn(4, *v.shape) for k, v in module.named_parameters()}
    x = torch.randn(4, 7, 3)
    fast, generic = batched_forward(module)(weights, x), batched_forward(module, True)(weights, x)
    assert fast.shape == (4, 7, 2)
    torch.testing.assert_close(fast, generic, rtol=1e-5, atol=1e-6)


def test_first_order_is_the_gradient_at_the_adapted_weights() -> None:
    learner = MetaLearner(mlp(1, (40, 40), 1), algorithm="fomaml", grad_clip=1e9, device="cpu")
    batch = SinusoidTasks(1).sample(4, 10, 10)
    learner.inner_steps = 2
    _, grads = learner.meta_gradient(batch)
    ours = [grads[k] for k in learner.params]
    second = MetaLearner(mlp(1, (40, 40), 1), grad_clip=1e9, device="cpu")
    exact = _reference_meta_gradient(second, batch, 2, first_order=False)
    fo = _reference_meta_gradient(second, batch, 2, first_order=True)
    for a, b in zip(ours, fo, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    assert any(not torch.allclose(a, b, atol=1e-6) for a, b in zip(ours, exact, strict=True))


def test_meta_training_helps_and_meta_sgd_learns_step_sizes() -> None:
    test = SinusoidTasks(99).sample(200, 10, 50)
    for algorithm in ("maml", "metasgd"):
        learner = MetaLearner(mlp(1, (40, 40), 1), algorithm=algorithm, device="cpu")
        before = learner.evaluate(test, [1])[1].mean()
        learner.fit(SinusoidTasks(0, 10, 10).stream(25), 300)
        after = learner.evaluate(test, [0, 1])
        assert after[1].mean() < 0.8 * before  # adapted MSE falls clearly below the start's
        assert after[1].mean() < after[0].mean()  # one step helps
    lrs = learner.state()["lrs"]
    assert lrs and any(not torch.allclose(v, torch.full_like(v, 0.01)) for v in lrs.values())


def test_same_seed_same_initialisation_and_training() -> None:
    runs = []
    for _ in range(2):
        learner = MetaLearner(mlp(1, (8,), 1), random_state=5, device="cpu")
        learner.fit(SinusoidTasks(3, 5, 5).stream(5), 10)
        runs.append(learner.state()["params"])
    for k in runs[0]:
        torch.testing.assert_close(runs[0][k], runs[1][k], rtol=0, atol=0)


def test_guard_keeps_many_large_steps_finite() -> None:
    learner = MetaLearner(mlp(1, (40, 40), 1), inner_lr=0.5, grad_clip=1.0, device="cpu")
    batch = SinusoidTasks(0).sample(10, 5, 20)
    losses = learner.evaluate(batch, [100])[100]
    assert torch.isfinite(losses).all()
    unguarded = MetaLearner(mlp(1, (40, 40), 1), inner_lr=0.5, grad_clip=1e12, device="cpu")
    wild = unguarded.evaluate(batch, [100])[100]
    assert (~torch.isfinite(wild)).any() or wild.max() > 10 * losses.max()


def test_bad_settings_are_clear_errors() -> None:
    with pytest.raises(BadInputError, match="Unknown algorithm 'reptile'"):
        MetaLearner(nn.Linear(1, 1), algorithm="reptile")
    with pytest.raises(BadInputError, match="must be > 0"):
        MetaLearner(nn.Linear(1, 1), inner_lr=0)
    assert np.isfinite(
        MetaLearner(nn.Linear(2, 1), device="cpu").params["weight"].detach().numpy()
    ).all()


def test_every_public_name_of_the_package_resolves() -> None:
    import autometa.maml

    for name in autometa.maml.__all__:
        assert getattr(autometa.maml, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'meta_fit'"):
        autometa.maml.meta_fit  # noqa: B018


def test_early_stopping_keeps_the_state_of_the_lowest_validation_loss() -> None:
    # An outsized meta step size: the validation loss goes up and down as it trains.
    learner = MetaLearner(mlp(1, (40, 40), 1), meta_lr=0.2, device="cpu")
    validation = SinusoidTasks(7).sample(50, 10, 20)
    learner.fit(SinusoidTasks(0).stream(10), 60, validation=validation, every=10)
    curve = learner.validation_curve_
    assert [u for u, _ in curve] == [10, 20, 30, 40, 50, 60]
    best = min(loss for _, loss in curve)
    # What is kept is the best point, not the last (which was worse here).
    assert curve[-1][1] > best
    assert float(learner.evaluate(validation, [1])[1].mean()) == pytest.approx(best, rel=1e-5)


def test_early_stopping_without_validation_measures_nothing() -> None:
    stopping = EarlyStopping(0, 10)
    stopping.after(10, lambda: 1 / 0, dict)  # never called: nothing is due
    loaded: list[object] = []
    stopping.restore(loaded.append)
    assert stopping.curve == [] and loaded == []


def test_best_steps_are_chosen_on_validation_tasks() -> None:
    learner = MetaLearner(mlp(1, (40, 40), 1), device="cpu")
    learner.fit(SinusoidTasks(0).stream(25), 200)
    validation = SinusoidTasks(5).sample(100, 10, 20)
    losses = learner.evaluate(validation, [1, 3, 10])
    chosen = learner.best_steps(validation, [10, 3, 1])
    assert chosen == min([1, 3, 10], key=lambda s: float(losses[s].mean()))
