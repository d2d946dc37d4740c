"""Does Adam's preconditioned sharpness, the quantity the theory of warmup names, tell a cell that wants a *longer*
warmup from one that wants a *shorter* one?

The same runs as ``scripts/probe_signals.py``: each (task, peak LR, seed) trains the task's full-mode configuration
with ``adaptive_warmup`` pinned to a linear ramp over ``W = 0.1·T`` (the ramp does not react), stopped at the ramp's
end. At three steps around the ramp's middle (LR ≈ ½ of the peak) and its last three (LR ≈ the peak), it
measures ``λ = λ_max(P⁻¹H)`` of that step's minibatch loss, ``P = diag(√v̂ + ε)`` from the optimizer state before
the step (:func:`warmup_bench.sharpness.preconditioned_sharpness`, power iteration on Hessian-vector products of
the training graph itself, so the run's trajectory is the one it would have had), takes the median of each three
(one minibatch's λ can be ten times its neighbour's) and reports:

* ``q(½)`` and ``q(1)``: ``η_peak · λ / (2 (1 + β1) / (1 - β1))`` at the middle and at the end of the ramp: the
  share of Adam's stability limit (Cohen et al. 2022) the *peak* LR would use there; > 1 where the network has not
  yet reached a region that tolerates the peak (Kalra & Barkeshli 2024), so the ramp should go slower;
* ``λ(1)/λ(½) − 1``: how far the preconditioned sharpness fell (< 0) or rose over the second half of the ramp.

The limit ignores gradient clipping: where a task clips (the Trainer's default 1.0) and the clip is active, the
steps are shorter than ``η · P⁻¹ m`` and the run tolerates a larger ``q``. Attention runs on PyTorch's math kernel
here (the fused CPU kernel has no double backward). Cells are labelled as in ``scripts/probe_signals.py``. The
command that wrote ``docs/benchmark/sharpness_round5.json`` (round 5's tuning tasks that the plain loop trains,
labelled from ``round4_tuning.json`` and ``round4_test.json``)::

    python scripts/probe_sharpness.py --seeds 0,1 --jobs 1 --json docs/benchmark/sharpness_round5.json
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import warmup_bench.tasks.loop as loop  # noqa: E402
from probe_signals import labelled_probe_main, train_with_losses  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from warmup_bench.protocol import Arm  # noqa: E402
from warmup_bench.sharpness import preconditioned_sharpness, stability_fraction  # noqa: E402
from warmup_bench.signals import RAMP_FRACTION, SHARPNESS_STATS  # noqa: E402
from warmup_bench.tasks import load_task  # noqa: E402


class Curvature:
    """An ``inspect_loss`` for the plain loop: ``λ_max(P⁻¹H)`` and the LR at each step of ``steps``, with ``P``
    from the optimizer the probe's scheduler was built with."""

    def __init__(self, steps: set[int]) -> None:
        self.steps = steps
        self.optimizer: torch.optim.Optimizer | None = None
        self.seen: dict[int, tuple[float, float, float]] = {}  # step -> (λ, LR, β1)

    def __call__(self, step: int, loss: torch.Tensor, model: torch.nn.Module) -> None:
        if step not in self.steps or self.optimizer is None:
            return
        params, precond = [], []
        for group in self.optimizer.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.optimizer.state.get(p, {})
                if "exp_avg_sq" in state:
                    v_hat = state["exp_avg_sq"] / (1 - beta2 ** float(state["step"]))
                    params.append(p)
                    precond.append(v_hat.sqrt() + group["eps"])
        self.seen[step] = (preconditioned_sharpness(loss, params, precond, seed=step),
                           float(self.optimizer.param_groups[0]["lr"]), beta1)


def probe(task: str, lr: float, seed: int, fraction: float = RAMP_FRACTION) -> dict[str, Any]:
    """Train one (task, LR, seed) with a pinned linear ramp over ``fraction · T`` up to the ramp's end; the
    preconditioned sharpness at its middle and its end."""
    width = max(6, round(fraction * load_task(task).config("full")["T"]))
    mid, end = (width // 2 - 2, width // 2 - 1, width // 2), (width - 3, width - 2, width - 1)
    arm = Arm("probe", "adaptive_warmup", kwargs=(("coherence_threshold", 0), ("max_warmup_steps", width),
                                                  ("min_warmup_steps", width)))
    curvature = Curvature({*mid, *end})

    def stop(sched: Any, done: int) -> bool:
        curvature.optimizer = sched.optimizer
        return done == width

    loop.inspect_loss = curvature
    try:
        with sdpa_kernel(SDPBackend.MATH):
            train_with_losses(task, lr, seed, arm, stop)
    finally:
        loop.inspect_loss = None
    missing = sorted({*mid, *end} - set(curvature.seen))
    if missing:
        raise ValueError(f"{task}: the run stopped before steps {missing} of the ramp's {width}")

    def sharpness(steps: tuple[int, ...]) -> float:
        return statistics.median(curvature.seen[s][0] for s in steps)

    beta1 = curvature.seen[end[-1]][2]
    return {"task": task, "lr": lr, "seed": seed, "W": width,
            "sharpness": {str(s): list(v[:2]) for s, v in sorted(curvature.seen.items())},
            "q_mid": stability_fraction(lr, sharpness(mid), beta1),
            "q_end": stability_fraction(lr, sharpness(end), beta1),
            "sharp_trend": sharpness(end) / sharpness(mid) - 1}


def main(argv: list[str] | None = None) -> int:
    return labelled_probe_main(probe, __doc__, "probe_sharpness.py", SHARPNESS_STATS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
