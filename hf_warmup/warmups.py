"""Warmup factors ω(t): pure functions of the scheduler step ``t`` (0 at construction).

Every warmup is a small frozen dataclass with ``__call__(t) -> float`` and ``length``, the step ``L`` at
which the decay starts. ``f(t) = ω(t) · d(t)`` (see :class:`hf_warmup.WarmupDecayLR`). All factors lie in (0, 1]
for ``t >= 0`` and never decrease.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


def untuned_length(beta2: float) -> int:
    """Ma & Yarats (2019) rule of thumb: warm up for ``round(2 / (1 - β2))`` steps."""
    return max(1, round(2.0 / (1.0 - beta2)))


@dataclass(frozen=True)
class LinearWarmup:
    """``ω(t) = s + (1 - s) · min(1, (t + 1) / W)``; ``ω ≡ 1`` when ``W = 0``. Decay starts at ``L = W``."""

    steps: int
    start_factor: float = 0.0

    @property
    def length(self) -> int:
        return self.steps

    def __call__(self, t: int) -> float:
        if self.steps <= 0:
            return 1.0
        return self.start_factor + (1.0 - self.start_factor) * min(1.0, (t + 1) / self.steps)

    def shortened(self, length: int) -> LinearWarmup:
        """The same ramp over ``length`` steps (used when the warmup does not fit in ``T``)."""
        return replace(self, steps=length)


@dataclass(frozen=True)
class ConstantWarmup:
    """``ω(t) = a`` for ``t < W``, then 1: a very low LR for a set number of steps. ``L = W``."""

    steps: int
    warmup_factor: float = 0.1

    @property
    def length(self) -> int:
        return self.steps

    def __call__(self, t: int) -> float:
        return self.warmup_factor if t < self.steps else 1.0

    def shortened(self, length: int) -> ConstantWarmup:
        return replace(self, steps=length)


@dataclass(frozen=True)
class ExponentialWarmup:
    """``ω(t) = 1 - exp(-(t + 1) / τ)`` with time constant ``τ``; ``ω ≡ 1`` when ``τ = 0``.

    ``exponential_warmup`` uses ``τ = W / 2``: the same total damping ``Σ(1 - ω)`` as a linear warmup of
    ``W`` steps. ``untuned_exponential_warmup`` uses ``τ = 1 / (1 - β2)``. ω keeps approaching 1 after ``L``.
    """

    tau: float
    decay_start: int

    @property
    def length(self) -> int:
        return self.decay_start

    def __call__(self, t: int) -> float:
        if self.tau <= 0:
            return 1.0
        return -math.expm1(-(t + 1) / self.tau)

    def shortened(self, length: int) -> ExponentialWarmup:
        """Decay start ``length``, time constant scaled by the same ratio (same shape, compressed)."""
        scale = length / self.decay_start if self.decay_start > 0 else 0.0
        return replace(self, tau=self.tau * scale, decay_start=length)


def _radam_rho(n: float, beta2: float, rho_inf: float) -> float:
    """Length of RAdam's approximated SMA at (1-based) step ``n``: ``ρ_n = ρ∞ - 2 n β2ⁿ / (1 - β2ⁿ)``."""
    b = beta2**n
    return rho_inf - 2.0 * n * b / (1.0 - b)


@dataclass(frozen=True)
class RAdamWarmup:
    """RAdam's variance rectification used as a warmup multiplier (Liu et al. 2019; Ma & Yarats 2019).

    With ``ρ∞ = 2 / (1 - β2) - 1`` and ``ρ_n = ρ∞ - 2 n β2ⁿ / (1 - β2ⁿ)``::

        r_n = sqrt( (ρ_n - 4)(ρ_n - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_n) )      (defined for ρ_n > 4)
        ω(t) = r_{t + n0},   n0 = min{n >= 1 : ρ_n > 4}

    RAdam itself takes un-adapted (SGD-like) steps while ``ρ_n <= 4``; the offset ``n0`` starts the multiplier
    at the first step where the rectification is defined, so the first update is not at LR 0. ω rises
    monotonically towards 1 and keeps rising after ``L = round(2 / (1 - β2))``. Needs ``β2 > 0.6``.

    ``fitted_length`` (set by :meth:`shortened` when ``L`` does not fit in ``T``) compresses time:
    ``ω(t) = r_{n0 + t·L/L'}`` with decay start ``L'``; ``L' = 0`` means no warmup (``ω ≡ 1``).
    """

    beta2: float
    fitted_length: int | None = None

    @property
    def rho_inf(self) -> float:
        return 2.0 / (1.0 - self.beta2) - 1.0

    @property
    def offset(self) -> int:
        n = 1
        while _radam_rho(n, self.beta2, self.rho_inf) <= 4.0:
            n += 1
        return n

    @property
    def length(self) -> int:
        return untuned_length(self.beta2) if self.fitted_length is None else self.fitted_length

    def shortened(self, length: int) -> RAdamWarmup:
        return replace(self, fitted_length=length)

    def __call__(self, t: int) -> float:
        rho_inf = self.rho_inf
        n: float = t + self.offset
        if self.fitted_length is not None:
            if self.fitted_length <= 0:
                return 1.0
            n = self.offset + t * untuned_length(self.beta2) / self.fitted_length
        rho = _radam_rho(n, self.beta2, rho_inf)
        r2 = (rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)
        return min(1.0, math.sqrt(r2))


#: Any warmup factor: ``__call__(t)``, ``length`` and ``shortened(length)``.
Warmup = LinearWarmup | ConstantWarmup | ExponentialWarmup | RAdamWarmup
