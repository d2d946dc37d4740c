"""A plain PyTorch training loop shared by the tasks that do not use the Trainer (much faster for tiny models)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..protocol import SchedulerRequest, build_scheduler, scheduler_info
from ..results import make_record

#: a probe's view of each step's loss before its backward pass, ``inspect_loss(step, loss, model)`` (the graph is
#: still there; ``scripts/probe_sharpness.py`` measures the curvature from it); None in the benchmark
inspect_loss: Callable[[int, torch.Tensor, torch.nn.Module], None] | None = None


def classification_scores(logits: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """A classifier's held-out ``eval_loss`` (cross-entropy) and ``accuracy``."""
    return {"eval_loss": float(torch.nn.functional.cross_entropy(logits, target)),
            "accuracy": float((logits.argmax(-1) == target).float().mean())}


def prior_loss(train_labels: torch.Tensor, eval_labels: torch.Tensor, n_classes: int) -> float:
    """The held-out cross-entropy of predicting the training labels' class frequencies: a stuck classifier's loss."""
    prior = np.bincount(train_labels.cpu().numpy(), minlength=n_classes) / len(train_labels)
    return float(-np.log(prior[eval_labels.cpu().numpy()]).mean())


def adamw(model: torch.nn.Module, lr: float, cfg: dict[str, Any], no_decay: tuple[str, ...]) -> torch.optim.AdamW:
    """AdamW with ``cfg``'s β1, β2, weight decay (and ``eps`` if given), the decay off for biases, other 1-d
    parameters and every parameter whose name contains one of ``no_decay`` (norms, special tokens)."""
    groups: tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]] = ([], [])
    for name, p in model.named_parameters():
        groups[p.ndim < 2 or any(part in name for part in no_decay)].append(p)
    return torch.optim.AdamW(
        [{"params": groups[0], "weight_decay": cfg["weight_decay"]}, {"params": groups[1], "weight_decay": 0.0}],
        lr=lr, betas=(cfg["beta1"], cfg["beta2"]), eps=cfg.get("eps", 1e-8),
    )


def set_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(int(threads))


def train(
    *, model: torch.nn.Module, optimizer: torch.optim.Optimizer, request: SchedulerRequest, total: int,
    beta2: float, loss_fn: Callable[[int], torch.Tensor], evaluate: Callable[[], dict[str, float]],
    stuck_level: float | None, clip: float | None = None, trace_every: int = 5,
) -> dict[str, Any]:
    """``total`` steps of ``loss_fn(step) → backward → (clip) → optimizer.step → scheduler.step``.

    ``evaluate()`` returns ``{"eval_loss": ..., other metrics}`` and is called on the untrained model (the
    initial loss) and at the end. A non-finite training loss stops the run (diverged). The LR used at step
    ``t`` and the training loss are recorded every ``trace_every`` steps.
    """
    initial = evaluate()
    scheduler = build_scheduler(request, optimizer, total)
    observe = getattr(scheduler, "observe_loss", None)
    lr_trace: list[list[float]] = []
    loss_trace: list[list[float]] = []
    recent: list[float] = []
    error = None
    started = time.perf_counter()
    step = 0
    for step in range(total):
        model.train()
        loss = loss_fn(step)
        value = float(loss.detach())
        if not math.isfinite(value):
            error = f"non-finite training loss at step {step}"
            break
        if observe is not None:
            observe(value)
        if inspect_loss is not None:
            inspect_loss(step, loss, model)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        if step % trace_every == 0 or step == total - 1:
            lr_trace.append([step, optimizer.param_groups[0]["lr"]])
            loss_trace.append([step, value])
        optimizer.step()
        scheduler.step()
        recent = [*recent, value][-max(10, total // 20):]
    else:
        step = total
    final = evaluate() if error is None else {"eval_loss": float("nan")}
    metrics = {k: v for k, v in final.items() if k != "eval_loss"}
    return make_record(
        eval_loss=final["eval_loss"], initial_loss=initial["eval_loss"], stuck_level=stuck_level,
        lr_trace=lr_trace, train_losses=loss_trace, info=scheduler_info(scheduler, request, beta2),
        seconds=time.perf_counter() - started, steps_done=step, error=error, metrics=metrics,
        final_train_loss=(sum(recent) / len(recent) if recent and error is None
                          else None if error is None else float("nan")),
    )
