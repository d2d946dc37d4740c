"""Decay factors d(t; L, T): pure functions of the step, the decay start ``L`` and the total ``T``.

Every decay is 1 for ``t <= L`` and ends at the floor ``m = min_lr_ratio`` (those that reach it do so at
``t = T`` and stay there). With progress ``p = clip((t - L) / (T - L), 0, 1)``:

=============== =========================================================================================
``linear``      ``m + (1 - m)(1 - p)``
``cosine``      ``m + (1 - m) · ½(1 + cos(2π c p))``, ``c = num_cycles`` (default 0.5: one half wave)
``constant``    ``1``
``inverse_sqrt````m + (1 - m) / sqrt(1 + max(0, t - L) / τ)``, ``τ = timescale`` (default ``max(L, 1)``)
``polynomial``  ``m + (1 - m)(1 - p)^power`` (default power 1)
``wsd``         stable at 1 until ``D = max(L, T - round(decay_ratio · T))``, then with
                ``q = clip((t - D) / (T - D), 0, 1)``: ``m + (1 - m) · shape(q)`` where shape is
                ``1 - q`` (linear), ``½(1 + cos πq)`` (cosine) or ``1 - sqrt(q)`` (sqrt)
=============== =========================================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DECAYS: tuple[str, ...] = ("linear", "cosine", "constant", "inverse_sqrt", "polynomial", "wsd")
WSD_SHAPES: tuple[str, ...] = ("linear", "cosine", "sqrt")
#: Decays that need ``T > L`` to have room to decay.
DECAYS_NEEDING_ROOM: frozenset[str] = frozenset({"linear", "cosine", "polynomial", "wsd"})


def _progress(t: int, start: int, end: int) -> float:
    if end <= start:
        return 1.0 if t >= end else 0.0
    return min(1.0, max(0.0, (t - start) / (end - start)))


@dataclass(frozen=True)
class Decay:
    """A decay factor ``d(t; L, T)``; see the module docstring for each kind's formula."""

    kind: str = "linear"
    min_lr_ratio: float = 0.0
    num_cycles: float = 0.5
    timescale: float | None = None
    power: float = 1.0
    decay_ratio: float = 0.1
    decay_shape: str = "linear"

    def wsd_start(self, start: int, total: int) -> int:
        """First step of the WSD decay phase: ``max(L, T - round(decay_ratio · T))``."""
        return max(start, total - round(self.decay_ratio * total))

    def __call__(self, t: int, start: int, total: int) -> float:
        m = self.min_lr_ratio
        kind = self.kind
        if kind == "constant" or t <= start:
            return 1.0
        if kind == "inverse_sqrt":
            tau = self.timescale if self.timescale is not None else max(start, 1)
            return m + (1.0 - m) / math.sqrt(1.0 + (t - start) / tau)
        if kind == "wsd":
            q = _progress(t, self.wsd_start(start, total), total)
            if self.decay_shape == "cosine":
                shape = 0.5 * (1.0 + math.cos(math.pi * q))
            elif self.decay_shape == "sqrt":
                shape = 1.0 - math.sqrt(q)
            else:
                shape = 1.0 - q
            return m + (1.0 - m) * shape
        p = _progress(t, start, total)
        if kind == "cosine":
            return m + (1.0 - m) * 0.5 * (1.0 + math.cos(2.0 * math.pi * self.num_cycles * p))
        if kind == "polynomial":
            return m + (1.0 - m) * (1.0 - p) ** self.power
        return m + (1.0 - m) * (1.0 - p)  # linear
