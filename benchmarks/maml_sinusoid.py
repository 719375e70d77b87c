"""MAML / first-order MAML / Meta-SGD on Finn et al.'s sinusoid regression, and speed.

Protocol (Finn, Abbeel, Levine 2017, section 5.1):
- Tasks y = A sin(x - phase), A ~ U[0.1, 5], phase ~ U[0, pi], x ~ U[-5, 5]; network
  1-40-40-1 ReLU; K support points (K = 5 and 10, one model per K), K query points in
  meta-training; one inner step of size 0.01; meta-batch 25; Adam 1e-3; ITERATIONS
  meta-updates (the paper: 70,000).
- Baseline "pretrained": the same network trained with Adam on the tasks' points with no
  adaptation (joint regression over all tasks), then fine-tuned like the others.
- Test: 600 new tasks (fixed seed), K support points, 100 query points each; mean
  squared error on the query points after 1, 5 and 10 gradient steps of size 0.01
  (Meta-SGD: its learned step sizes), 95 % confidence intervals (1.96 standard errors).
  A task counts as diverged when its error is not finite or above 50 (predicting 0 for
  the largest amplitude gives 12.5).
- Speed: meta-iterations per second, 25 tasks, K = 10, second order, 1 and 5 inner
  steps, one thread: ours (``MetaLearner.meta_step``, Adam update included) against a
  plain per-task loop with ``torch.autograd.grad`` (written here as the reference); next
  to ours with the generic forward (the same MLP nested in a Sequential, which
  ``autometa.maml.batched`` does not take for an MLP: ``vmap`` over ``functional_call``)
  and to a bare ``vmap(grad)`` written here (the way the core worked before, without the
  divergence guard). Median of 3 repeats.

Trained initialisations are kept in results/maml_sinusoid/ so a rerun skips training.

Run: python -m benchmarks.maml_sinusoid [--iterations 70000]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from pathlib import Path

import torch
from torch.func import functional_call, grad, vmap

from autometa.maml import Batch, MetaLearner, SinusoidTasks, mlp
from benchmarks.maml_reference import per_task_query_loss

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = RESULTS / "maml_sinusoid"
METHODS = ("MAML", "first-order MAML", "Meta-SGD", "pretrained")
ALGO = {"MAML": "maml", "first-order MAML": "fomaml", "Meta-SGD": "metasgd", "pretrained": "maml"}
STEPS = (1, 5, 10)
PAPER_K5 = {"MAML": (0.67, 0.38, 0.35), "pretrained": (2.41, 2.23, 2.19)}
N_TEST = 600
DIVERGED = 50.0


def learner(method: str, seed: int = 0, generic: bool = False) -> MetaLearner:
    net = mlp(1, (40, 40), 1)
    return MetaLearner(torch.nn.Sequential(net) if generic else net, algorithm=ALGO[method],
                       inner_lr=0.01, meta_lr=1e-3, device="cpu", random_state=seed)  # fmt: skip


def trained(method: str, k: int, iterations: int) -> tuple[MetaLearner, float]:
    path = CACHE / f"{method.replace(' ', '_')}_K{k}_{iterations}.pt"
    model = learner(method)
    if path.exists():
        saved = torch.load(path, weights_only=True)
        model.load_state(saved["state"])
        return model, float(saved["seconds"])
    start = time.perf_counter()
    model.fit(SinusoidTasks(0, k, k).stream(25), iterations, pretrain=method == "pretrained")
    seconds = time.perf_counter() - start
    CACHE.mkdir(parents=True, exist_ok=True)
    torch.save({"state": model.state(), "seconds": seconds}, path)
    return model, seconds


def accuracy_table(iterations: int) -> tuple[list[str], dict]:
    lines, raw = [], {}
    for k in (5, 10):
        test = SinusoidTasks(12345).sample(N_TEST, k, 100)
        lines += [f"### K = {k} ({N_TEST} test tasks; mean squared error, 95 % CI)", "",
                  "| method | 1 step | 5 steps | 10 steps | diverged tasks | meta-training |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for method in METHODS:
            model, seconds = trained(method, k, iterations)
            errors = model.evaluate(test, list(STEPS))
            cells, diverged = [], 0
            for s in STEPS:
                e = errors[s]
                bad = ~torch.isfinite(e) | (e > DIVERGED)
                diverged = max(diverged, int(bad.sum()))
                ok = e[~bad]
                half = 1.96 * float(ok.std()) / math.sqrt(len(ok))
                cells.append(f"{float(ok.mean()):.3f} ± {half:.3f}")
                raw[f"K{k} {method} {s}"] = float(ok.mean())
            lines.append(
                f"| {method} | " + " | ".join(cells) + f" | {diverged} | {seconds:.0f} s |"
            )
            print(lines[-1], flush=True)
        if k == 5:
            for method, values in PAPER_K5.items():
                lines.append(
                    f"| paper: {method} | " + " | ".join(f"{v:.2f}" for v in values) + " | | |"
                )
        lines.append("")
    return lines, raw


# ---------------------------------------------------------------------- speed references
def loop_iteration(
    model: MetaLearner, batch: Batch, steps: int, opt: torch.optim.Optimizer
) -> None:
    """Plain per-task MAML (benchmarks/maml_reference.py): autograd task by task."""
    opt.zero_grad()
    per_task_query_loss(model, batch, steps).backward()
    opt.step()


def vmap_grad_iteration(
    model: MetaLearner, batch: object, steps: int, opt: torch.optim.Optimizer
) -> None:
    """The same with torch.func.grad nested in vmap over tasks."""

    def loss(p: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((functional_call(model.module, p, (x,)) - y) ** 2).mean()

    def task(
        p: dict, xs: torch.Tensor, ys: torch.Tensor, xq: torch.Tensor, yq: torch.Tensor
    ) -> torch.Tensor:
        for _ in range(steps):
            g = grad(loss)(p, xs, ys)
            p = {k: p[k] - 0.01 * g[k] for k in p}
        return loss(p, xq, yq)

    b = batch
    total = vmap(task, in_dims=(None, 0, 0, 0, 0))(model.params, b.x_support, b.y_support,  # type: ignore[attr-defined]
                                                  b.x_query, b.y_query).mean()  # type: ignore[attr-defined]  # fmt: skip
    opt.zero_grad()
    total.backward()
    opt.step()


def speed_table(n_iter: int = 100) -> list[str]:
    torch.set_num_threads(1)
    lines = ["## Speed: meta-iterations per second (25 tasks, K = 10, second order, 1 thread)", "",
             "| inner steps | autometa | autometa, generic forward | bare vmap(grad) "
             "| per-task loop | autometa / loop |", "|---|---|---|---|---|---|"]  # fmt: skip
    batch = SinusoidTasks(7, 10, 10).sample(25)
    for steps in (1, 5):
        rates: dict[str, list[float]] = {"ours": [], "generic": [], "vmap": [], "loop": []}
        for _ in range(3):
            for name in rates:
                model = learner("MAML", generic=name == "generic")
                model.inner_steps = steps
                model.grad_clip = 1e9  # the references have no guard
                opt = model.optimizer
                start = time.perf_counter()
                for _ in range(n_iter):
                    if name in ("ours", "generic"):
                        model.meta_step(batch)
                    elif name == "vmap":
                        vmap_grad_iteration(model, batch, steps, opt)
                    else:
                        loop_iteration(model, batch, steps, opt)
                rates[name].append(n_iter / (time.perf_counter() - start))
        med = {k: statistics.median(v) for k, v in rates.items()}
        lines.append(f"| {steps} | {med['ours']:.0f} | {med['generic']:.0f} | {med['vmap']:.0f} | "
                     f"{med['loop']:.0f} | "
                     f"{med['ours'] / med['loop']:.1f}x |")  # fmt: skip
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=70_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    speed = speed_table()
    acc, raw = accuracy_table(args.iterations)
    lines = ["# MAML on sinusoid regression", "",
             "Generated by `benchmarks/maml_sinusoid.py` (protocol in its docstring). "
             f"torch {torch.__version__}, Python {platform.python_version()}, "
             f"{args.iterations} meta-updates per model.", "", "## Mean squared error after adaptation", "",
             *acc, *speed, ""]  # fmt: skip
    (RESULTS / "maml_sinusoid.md").write_text("\n".join(lines))
    (CACHE / f"summary_{args.iterations}.json").write_text(json.dumps(raw, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
