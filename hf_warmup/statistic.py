"""The window statistic, computed from per-coordinate sums so that it does not depend on how state is split.

The monitor (:mod:`hf_warmup.monitor`) hands this module, for the coordinates it sampled on one rank, the old
and new second-moment samples and the EMA-window coefficients ``(a, b, c)`` (see
:func:`hf_warmup.optim_state.window_coefficients`). :func:`coordinate_sums` turns them into a short vector of
*sums over coordinates*. Sums over disjoint sets of coordinates add up, so the monitor reduces them with one
``SUM`` across the ranks that hold disjoint parts of the state, and :func:`finish` turns the reduced sums into
the statistic. Whatever the layout (one rank, ZeRO partitions, FSDP2 shards), the same coordinates give the
same numbers, up to float rounding.

Per coordinate ``i`` the *innovation* is ``e_i = (a · v_t,i / v_{t-k},i - b) / c = m_i / v̂_{t-k},i - 1``,
clamped to ``[-1, INNOVATION_CAP]``: how far the old estimate was from the mean squared gradient ``m_i`` of the
``k`` steps that followed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

#: Innovations are capped at this value so that a few coordinates that were ~0 cannot dominate the mean.
INNOVATION_CAP = 9.0

#: Number of entries :func:`coordinate_sums` returns.
NUM_SUMS = 2


@dataclass(frozen=True)
class Window:
    """What one check measured, on every rank the same.

    ``S``: the mean capped innovation over the valid sampled coordinates (NaN if none); ``count``: how many.
    """

    S: float
    count: int


def coordinate_sums(
    old: torch.Tensor, new: torch.Tensor, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor
) -> torch.Tensor:
    """``[Σ e_i, n]`` over the coordinates with a finite, positive old value, as float64 on ``old``'s device."""
    valid = torch.isfinite(old) & (old > 0)
    ratio = torch.where(valid, new / torch.where(valid, old, torch.ones_like(old)), torch.zeros_like(new))
    innovation = ((a * ratio - b) / c).clamp(min=-1.0, max=INNOVATION_CAP)
    return torch.stack(
        [torch.where(valid, innovation, torch.zeros_like(innovation)).sum(), valid.sum().float()]
    ).double()


def finish(sums: Sequence[float]) -> Window:
    """The statistic from the sums of :func:`coordinate_sums` reduced over all coordinates."""
    total, count = float(sums[0]), float(sums[1])
    if count <= 0 or not math.isfinite(total):
        return Window(float("nan"), int(count))
    return Window(total / count, int(count))
