"""What a schedule hands the report: why its warmup ended (:class:`EndReason`) and the :class:`WarmupResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple


class EndReason(str, Enum):
    """Why the warmup ended; the value is what ``warmup.json`` and ``state_dict`` hold."""

    EDGE = "edge"  # adaptive: the steps overshoot while the second moments shrink; the decay starts from the LR reached
    STABLE = "stable"  # adaptive: the ramp reached the peak and the second moments keep up there
    BOUND = "bound"  # adaptive: max_warmup_steps reached
    FIXED = "fixed"  # a fixed schedule: the warmup has its set length

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """A few words for the picture's legend."""
        return {"edge": "edge", "stable": "stable", "bound": "bound reached", "fixed": "fixed length"}[self.value]


class Check(NamedTuple):
    """One check of ``adaptive_warmup``: its scheduler step, ``Ŝ``, ``ω`` right after it and ``φ`` (NaN: none)."""

    step: int
    statistic: float
    warmup_factor: float
    coherence: float


@dataclass(frozen=True)
class WarmupResult:
    """A schedule's account of its warmup so far, for the report (:func:`hf_warmup.report.build_report`)."""

    schedule: str
    adaptive: bool
    config: dict[str, Any]  # the resolved kwargs and where the derived ones came from (``describe_config()``)
    warmup_end_step: int | None  # the step the decay starts at; None while still warming up
    end_reason: EndReason | None
    checks: list[Check] = field(default_factory=list)
    statistic_at_end: float | None = None
    coherence_at_end: float | None = None
    peak_fraction: float | None = None  # ω at the end: the fraction of the peak LR the decay starts from
    lr_exact: bool = True  # factor(t) is the LR the optimizer used at every step
    edge_restart_steps: list[int] = field(default_factory=list)  # adaptive: where an edge backed the LR off
