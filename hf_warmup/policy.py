"""The adaptive rule of ``adaptive_warmup`` as a policy: from a check's ``Ŝ`` and ``φ``, the ramp's pace or the end.

No optimizer and no state here: :class:`AdaptivePolicy` holds the rule's settings and answers, for a check at
scheduler step ``t`` with ramp progress ``r``, the ``patience`` latest ``Ŝ`` and the coherence ``φ``::

    g(Ŝ)    = clip(1 - (max(Ŝ, 0) + λ · max(-Ŝ, 0)) / τ, 0, 1)             pace (NaN: 0, the slowest)
    slope   = max( g / R + (1 - g) / M ,  (1 - r) / (M - 1 - t) )           the ramp's slope from t on
    edge    : φ < φ* and Ŝ < -δ at each of the last E' checks                end, at the LR reached
              E' = max(E, ceil(H / k)): the edge holds over at least H optimizer steps
    restart : an edge while fewer than K restarts were made                 ω → b · ω, the ramp climbs on
    waiting : at the edge on fewer than E' checks in a row                    slope 0 if edge_wait = "hold"
    stable  : r = 1 and g(Ŝ) > 0 for each of the last ``patience`` checks    end, at the peak LR

``R`` = ``min_warmup_steps``, ``M`` = ``max_warmup_steps``, ``τ`` = ``threshold``, ``λ`` = ``decrease_weight``,
``φ*`` = ``coherence_threshold``, ``δ`` = ``shrink_threshold``, ``E`` = ``edge_patience``, ``H`` =
``edge_min_steps``, ``k`` = ``check_interval``; while a streak of edge checks is shorter than E', ``edge_wait`` says
whether the ramp climbs on (``"ramp"``) or holds the LR reached (``"hold"``). ``K`` = ``edge_restarts`` (0: the
first edge ends the warmup), ``b`` = ``edge_backoff``: the first K confirmed edges back the LR off to ``b`` times
the LR reached, ``ω = s + (1 - s) · r`` with ``s`` = ``start_factor``, and the ramp climbs again from there at the
pace's slope. The bound ``t >= M`` ends it too. Why these, and what ``Ŝ`` and ``φ`` measure:
``docs/adaptive_warmup.md``. The scheduler (:mod:`hf_warmup.adaptive`) keeps the state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .result import EndReason


def edge_checks(patience: int, min_steps: int, interval: int) -> int:
    """``max(E, ceil(H / k))``: ``patience`` checks, and enough of them to span ``min_steps`` optimizer steps at
    ``interval`` steps per check."""
    return max(int(patience), -(-int(min_steps) // max(int(interval), 1)))


@dataclass(frozen=True)
class Decision:
    """What a check decides: the end (``end`` set, ``slope`` 0) or the ramp's slope from the check on, and
    ``edge_streak``, the checks in a row up to this one that were at the edge (the scheduler keeps it)."""

    end: EndReason | None
    slope: float
    edge_streak: int
    restart_progress: float | None = None  # set at a restart: the ramp's progress ``r`` after the back-off


@dataclass(frozen=True)
class AdaptivePolicy:
    """The settings of the rule (see the module docstring) and the rule itself."""

    max_warmup_steps: int
    min_warmup_steps: int
    threshold: float
    patience: int
    decrease_weight: float
    coherence_threshold: float
    shrink_threshold: float
    edge_patience: int
    edge_wait: str
    edge_restarts: int = 0
    edge_backoff: float = 0.5
    start_factor: float = 0.0
    edge_min_steps: int = 1
    check_interval: int = 1

    @property
    def edge_checks(self) -> int:
        """``E' = max(E, ceil(H / k))``: the checks in a row at the edge that end the warmup there."""
        return edge_checks(self.edge_patience, self.edge_min_steps, self.check_interval)

    @property
    def first_knot(self) -> list[float]:
        """The ramp at step 0: ``r(0) = 1/R`` and the fastest slope ``1/R`` (``r = 1`` when ``M = 0``)."""
        start = 1.0 / self.min_warmup_steps if self.max_warmup_steps > 0 else 1.0
        return [0, start, 1.0 / self.min_warmup_steps]

    def reached_bound(self, t: int) -> bool:
        return t >= self.max_warmup_steps

    def pace(self, stat: float) -> float:
        """``g(Ŝ) = clip(1 - (max(Ŝ, 0) + λ · max(-Ŝ, 0)) / τ, 0, 1)``; NaN gives 0 (the slowest pace)."""
        if not math.isfinite(stat):
            return 0.0
        change = max(stat, 0.0) + self.decrease_weight * max(-stat, 0.0)
        return min(1.0, max(0.0, 1.0 - change / self.threshold))

    def at_edge(self, phi: float, stat: float) -> bool:
        """``φ < φ*`` and ``Ŝ < -δ``: the steps overshoot while the second moments collapse (NaN: never)."""
        return (math.isfinite(phi) and phi < self.coherence_threshold
                and math.isfinite(stat) and stat < -self.shrink_threshold)

    def is_stable(self, recent: Sequence[float]) -> bool:
        """Each of the last ``patience`` checks let the ramp move (``g(Ŝ) > 0``): the second moments keep up."""
        return len(recent) >= self.patience and all(self.pace(x) > 0.0 for x in recent[-self.patience:])

    def slope(self, t: int, progress: float, stat: float) -> float:
        """The ramp's slope from a check at ``t`` on: the pace's, but fast enough to reach 1 at ``M - 1``."""
        left = self.max_warmup_steps - 1 - t
        catch_up = (1.0 - progress) / left if left > 0 else 1.0
        g = self.pace(stat)
        return max(g / self.min_warmup_steps + (1.0 - g) / max(self.max_warmup_steps, 1), catch_up)

    def backed_off(self, progress: float) -> float:
        """The progress ``r'`` whose ``ω`` is ``b`` times that of ``progress``: ``max(0, (b · ω - s) / (1 - s))``."""
        s = self.start_factor
        omega = s + (1.0 - s) * progress
        return max(0.0, (self.edge_backoff * omega - s) / (1.0 - s))

    def decide(self, t: int, progress: float, stat: float, phi: float, recent: Sequence[float],
               edge_streak: int = 0, restarts: int = 0) -> Decision:
        """The decision of a check at ``t`` (before the bound) with ramp progress ``progress``, the check's ``Ŝ``
        and ``φ``, ``recent``, the latest ``Ŝ`` values up to this one, ``edge_streak``, the checks in a row
        before this one that were at the edge, and ``restarts``, the restarts made so far."""
        streak = edge_streak + 1 if self.at_edge(phi, stat) else 0
        if streak >= self.edge_checks:
            if restarts < self.edge_restarts:
                after = self.backed_off(progress)
                return Decision(None, self.slope(t, after, stat), 0, restart_progress=after)
            return Decision(EndReason.EDGE, 0.0, streak)
        if progress >= 1.0 and self.is_stable(recent):
            return Decision(EndReason.STABLE, 0.0, streak)
        if streak and self.edge_wait == "hold":
            return Decision(None, 0.0, streak)
        return Decision(None, self.slope(t, progress, stat), streak)
