"""The window statistic, computed from per-coordinate sums so that it does not depend on how state is split.

The monitor (:mod:`hf_warmup.monitor`) hands this module, for the coordinates it sampled on one rank, the old
and new second-moment samples and the EMA-window coefficients ``(a, b, c)`` (see
:func:`hf_warmup.optim_state.window_coefficients`). :func:`coordinate_sums` turns them into a short vector of
*sums over coordinates*. Sums over disjoint sets of coordinates add up, so the monitor reduces them with one
``SUM`` across the ranks that hold disjoint parts of the state, and :func:`finish` turns the reduced sums into
a :class:`Window`. Whatever the layout (one rank, ZeRO partitions, FSDP2 shards), the same coordinates give the
same numbers, up to float rounding. Every coordinate weighs the same.

Per coordinate ``i`` the *innovation* is ``e_i = (a · v_t,i / v_{t-k},i - b) / c = m_i / v̂_{t-k},i - 1``,
clamped to ``[-1, INNOVATION_CAP]``: how far the estimate ``v̂`` at ``t - k`` was from ``m_i``, the mean squared
gradient of the ``k`` steps that followed. The window reports its mean ``S`` and its variance ``V`` over
coordinates.

**Noise and drift.** ``m`` is new data, independent of ``v̂_{t-k}``. If gradients were stationary with kurtosis
``κ``, then ``Var(m_i)/E[m]² = (κ-1)/k`` and ``Var(v̂)/E[v̂]² = (κ-1)/n_eff`` (``n_eff`` the effective number
of gradients in the EMA), so, to first order,

    E[e] ≈ (κ-1) / n_eff            (Jensen: pure estimation noise, no change at all)
    Var(e) ≈ (κ-1) · (1/k + 1/n_eff)

and the noise part of ``S`` can be estimated from the data itself: ``floor = V · k / (k + n_eff)``. The
**excess innovation** :func:`excess` ``Ŝ = S - floor`` is then ≈ 0 for stationary gradients whatever ``n_eff``
(a fixed threshold on the raw ``S`` would be a fixed warmup length in disguise, since ``S ≈ 2/n_eff`` for
Gaussian noise), > 0 when the second moments grow faster than the EMA follows, and < 0 when they shrink.
Every term is a ratio, so scaling the loss changes nothing.

**Coherence.** Where the optimizer also keeps a first moment (Adam's ``exp_avg``, bitsandbytes' ``state1``),
:func:`coherence_sums` returns ``[Σ_i f · m̂_i², Σ_i ḡ²_i]`` over the same coordinates, with ``m̂`` the
bias-corrected first moment at ``t``, ``ḡ²_i = (v_t,i - β2^k v_t-k,i) / (1 - β2^k)`` the (EMA-weighted) mean
squared gradient of the last ``k`` steps, and ``f = (1+β1)(1-β1^t) / ((1-β1)(1+β1^t))`` the inverse of
``E[m̂²]/σ²`` for white noise, so that

    φ = Σ f · m̂² / Σ ḡ²            (:func:`coherence`)

is 1 when successive gradients are independent noise, ``(1+β1)/(1-β1)`` (19 for β1 = 0.9) when they all agree,
and below 1 when they *alternate* (down to ``(1-β1)/(1+β1)`` = 1/19 for a sign flip at every step): each step
overshoots, so the next gradient points back. It is a ratio
of sums over coordinates (no heavy-tail bias), and scaling the loss changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

#: Innovations are capped at this value so that a few coordinates that were ~0 cannot dominate the mean.
INNOVATION_CAP = 9.0

#: Second-moment values at or below this are rounding noise, not gradient statistics (see coordinate_sums).
TINY = 1e-30

#: Number of entries :func:`coordinate_sums` returns: ``[Σ e_i, Σ e_i², n]``.
NUM_SUMS = 3

#: Number of entries :func:`coherence_sums` returns: ``[Σ f · m̂_i², Σ ḡ²_i]``.
NUM_COHERENCE_SUMS = 2


@dataclass(frozen=True)
class Window:
    """What one check measured, the same on every rank.

    ``S``: mean capped innovation over the valid sampled coordinates (NaN if none or if the state was not
    finite); ``variance``: its variance over those coordinates; ``count``: how many coordinates;
    ``coherence``: ``φ`` (:func:`coherence`), NaN where the optimizer keeps no first moment.
    """

    S: float
    variance: float
    count: int
    coherence: float = float("nan")

    @classmethod
    def invalid(cls, count: int = 0) -> Window:
        return cls(float("nan"), float("nan"), count)


def coordinate_sums(
    old: torch.Tensor, new: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor
) -> torch.Tensor:
    """``[Σ e_i, Σ e_i², n]`` over coordinates with a finite old value above ``TINY``, float64 on ``old``'s device.

    Coordinates whose second moment is below ``TINY`` (e.g. GPT-2's attention key bias, whose true gradient is
    exactly 0: its state is rounding noise around 1e-40) carry no signal and do not move Adam's update.
    """
    valid = torch.isfinite(old) & (old > TINY)
    ratio = torch.where(valid, new / torch.where(valid, old, torch.ones_like(old)), torch.zeros_like(new))
    innovation = ((a * ratio - b) / c).clamp(min=-1.0, max=INNOVATION_CAP)
    e = torch.where(valid, innovation, torch.zeros_like(innovation)).double()
    return torch.stack([e.sum(), (e * e).sum(), valid.sum().double()])


def white_noise_factor(beta1: float, step: int) -> float:
    """``f = (1+β1)(1-β1^t) / ((1-β1)(1+β1^t))``: ``σ² / E[m̂_t²]`` for independent zero-mean gradients of
    variance ``σ²``."""
    if beta1 <= 0.0:
        return 1.0
    decay = beta1 ** max(int(step), 1)
    return (1.0 + beta1) * (1.0 - decay) / ((1.0 - beta1) * (1.0 + decay))


def coherence_sums(
    first: torch.Tensor, old: torch.Tensor, new: torch.Tensor, a: torch.Tensor, b: torch.Tensor,
    c: torch.Tensor, scale: torch.Tensor,
) -> torch.Tensor:
    """``[Σ f · m̂_i², Σ ḡ²_i]`` over the coordinates :func:`coordinate_sums` counts whose first moment is finite.

    ``first``: the raw first moment ``m_t``; ``scale``: ``f / (1 - β1^t)²`` per coordinate (bias correction and
    white-noise normalisation in one); ``ḡ² = (a · v_t - (b - c) · v_t-k) / (a · c)``, the mean squared gradient
    of the window in terms of :func:`hf_warmup.optim_state.window_coefficients` (for Adam
    ``(v_t - β2^k v_t-k) / (1 - β2^k)``), clamped at 0 against rounding.
    """
    valid = torch.isfinite(old) & (old > TINY) & torch.isfinite(new) & torch.isfinite(first)
    fresh = ((a * new.double() - (b - c) * old.double()) / (a * c)).clamp(min=0.0)
    signal = scale * first.double() ** 2
    zero = torch.zeros((), dtype=torch.float64, device=fresh.device)
    return torch.stack([torch.where(valid, signal, zero).sum(), torch.where(valid, fresh, zero).sum()])


def coherence(sums: Sequence[float]) -> float:
    """``φ = Σ f · m̂² / Σ ḡ²`` from the reduced :func:`coherence_sums` (NaN when there is nothing to divide)."""
    signal, fresh = float(sums[0]), float(sums[1])
    if not (math.isfinite(signal) and math.isfinite(fresh)) or fresh <= 0.0:
        return float("nan")
    return signal / fresh


def finish(sums: Sequence[float]) -> Window:
    """The :class:`Window` from the sums of :func:`coordinate_sums` reduced over all coordinates."""
    total, squares, count = float(sums[0]), float(sums[1]), float(sums[2])
    if count <= 0 or not (math.isfinite(total) and math.isfinite(squares)):
        return Window.invalid(int(count))
    mean = total / count
    return Window(mean, max(squares / count - mean * mean, 0.0), int(count))


def effective_samples(rule: str, rate: float | None, steps: int) -> float:
    """``n_eff = (Σ w_j)² / Σ w_j²`` of the EMA weights after ``steps`` gradients.

    * ``"adam"``/``"ema"`` with rate ``β``: ``(1-β^n)² (1+β) / ((1-β)(1-β^{2n}))`` (→ ``n`` for small ``n``,
      → ``(1+β)/(1-β)`` for large);
    * ``"adafactor"`` (``rate`` None; the step-dependent ``ρ_n = 1 - n^{-0.8}``): ``min(n, 2 n^{0.8})``.
    """
    n = max(int(steps), 1)
    if rate is None:
        return float(min(n, 2.0 * n**0.8))
    beta = float(rate)
    if beta <= 0.0:
        return 1.0
    if beta >= 1.0:
        return float(n)
    return (1.0 - beta**n) ** 2 * (1.0 + beta) / ((1.0 - beta) * (1.0 - beta ** (2 * n)))


def noise_floor(window: Window, interval: int, n_eff: float) -> float:
    """The part of ``S`` that estimation noise alone explains: ``V · k / (k + n_eff)``."""
    return window.variance * interval / (interval + n_eff)


def excess(window: Window, interval: int, n_eff: float) -> float:
    """``Ŝ = S - V · k / (k + n_eff)``: the innovation left once estimation noise is taken out (NaN stays NaN)."""
    return window.S - noise_floor(window, interval, n_eff)
