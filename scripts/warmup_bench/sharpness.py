"""Adam's preconditioned sharpness, the curvature that the theory of warmup names (Cohen et al. 2022, "Adaptive
Gradient Methods at the Edge of Stability"; Kalra & Barkeshli 2024).

Adam with momentum ``β1`` and preconditioner ``P = diag(√v̂ + ε)`` is stable on a quadratic only while the largest
eigenvalue of ``P⁻¹H`` stays below ``2 (1 + β1) / ((1 - β1) η)`` (38/η for β1 = 0.9). Warmup, in that account, is
the time the network needs to reach a region whose preconditioned sharpness tolerates the peak LR.
:func:`preconditioned_sharpness` estimates ``λ_max(P⁻¹H)`` of one minibatch's loss by power iteration on the
symmetric ``P^-½ H P^-½`` (the same eigenvalues), one Hessian-vector product per iteration;
:func:`stability_fraction` is ``η · λ / (2 (1 + β1) / (1 - β1))``: 1 at the edge, > 1 beyond it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

#: power iterations per estimate (the Rayleigh quotient moves by < 1 % after about 15 on the benchmark's tasks)
ITERATIONS = 20


def preconditioned_sharpness(loss: torch.Tensor, params: Sequence[torch.Tensor], precond: Sequence[torch.Tensor],
                             iterations: int = ITERATIONS, seed: int = 0) -> float:
    """The largest eigenvalue of ``P⁻¹H`` for ``loss`` (its graph kept, so the caller can still run its backward)
    with respect to ``params``, ``P = diag(precond)`` (one positive tensor per parameter).

    Power iteration from a seeded random start finds the eigenvalue of largest magnitude; when that one is negative
    (a saddle's direction), a second run on ``P^-½ H P^-½ + |λ| I`` finds the largest one. Each run gives its
    Rayleigh quotient after ``iterations`` steps (a lower bound, close when the top eigenvalue stands apart)."""
    grads = torch.autograd.grad(loss, list(params), create_graph=True, allow_unused=True)
    pairs = [(p, g, q.rsqrt()) for p, g, q in zip(params, grads, precond) if g is not None]
    inputs, outputs, scale = [p for p, _, _ in pairs], [g for _, g, _ in pairs], [s for _, _, s in pairs]

    def top(shift: float) -> float:
        gen = torch.Generator().manual_seed(seed)
        vec = [torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device) for p in inputs]
        value = float("nan")
        for _ in range(iterations):
            norm = torch.sqrt(sum((v * v).sum() for v in vec))
            vec = [v / norm for v in vec]
            hvp = torch.autograd.grad(outputs, inputs, grad_outputs=[v * s for v, s in zip(vec, scale)],
                                      retain_graph=True, allow_unused=True)
            image = [(h.detach() if h is not None else torch.zeros_like(v)) * s + shift * v
                     for h, s, v in zip(hvp, scale, vec)]
            value = float(sum((v * w).sum() for v, w in zip(vec, image)))
            vec = image
        return value - shift

    largest = top(0.0)
    return top(-largest) if largest < 0 else largest


def stability_fraction(lr: float, sharpness: float, beta1: float) -> float:
    """``η · λ / (2 (1 + β1) / (1 - β1))``: how much of Adam's stability limit the step size ``lr`` uses at
    preconditioned sharpness ``sharpness``."""
    return lr * sharpness * (1 - beta1) / (2 * (1 + beta1))
