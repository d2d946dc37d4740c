"""The table of schedule names: name → builder, its one-line formula and its kwargs.

Like transformers' ``TYPE_TO_SCHEDULER_FUNCTION``, a literal table: :mod:`hf_warmup.registry` adds it to
transformers, ``hf-warmup list`` prints it, :func:`get_warmup_schedule` builds from it. A builder's one-line
formula is the first paragraph of its docstring.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from .adaptive import ADAPTIVE_OPTIONS, get_adaptive_warmup_schedule
from .fixed import (
    CONSTANT_OPTIONS,
    EXPONENTIAL_OPTIONS,
    LINEAR_OPTIONS,
    get_constant_warmup_schedule,
    get_exponential_warmup_schedule,
    get_linear_warmup_schedule,
    get_radam_warmup_schedule,
    get_untuned_exponential_warmup_schedule,
    get_untuned_linear_warmup_schedule,
)
from .options import DECAY_OPTIONS, Option, ScheduleConfigError


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule: its builder, its kwargs besides the decay's, and whether its warmup length comes from β2."""

    builder: Callable[..., LRScheduler]
    options: Mapping[str, Option]
    uses_beta2: bool = False  # the warmup length comes from β2; num_warmup_steps is ignored

    @property
    def formula(self) -> str:
        """The first paragraph of the builder's docstring, on one line."""
        return " ".join((inspect.getdoc(self.builder) or "").split("\n\n")[0].split())

    @property
    def all_options(self) -> dict[str, Option]:
        return {**DECAY_OPTIONS, **self.options}


SCHEDULES: dict[str, ScheduleSpec] = {
    "linear_warmup": ScheduleSpec(get_linear_warmup_schedule, LINEAR_OPTIONS),
    "constant_warmup": ScheduleSpec(get_constant_warmup_schedule, CONSTANT_OPTIONS),
    "exponential_warmup": ScheduleSpec(get_exponential_warmup_schedule, EXPONENTIAL_OPTIONS),
    "untuned_linear_warmup": ScheduleSpec(get_untuned_linear_warmup_schedule, {}, uses_beta2=True),
    "untuned_exponential_warmup": ScheduleSpec(get_untuned_exponential_warmup_schedule, {}, uses_beta2=True),
    "radam_warmup": ScheduleSpec(get_radam_warmup_schedule, {}, uses_beta2=True),
    "adaptive_warmup": ScheduleSpec(get_adaptive_warmup_schedule, ADAPTIVE_OPTIONS),
}


def get_warmup_schedule(
    name: str,
    optimizer: Optimizer,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **kwargs: Any,
) -> LRScheduler:
    """Build a schedule by name without going through transformers (same validation)."""
    if name not in SCHEDULES:
        raise ScheduleConfigError(f"unknown schedule name {name!r}; expected one of {sorted(SCHEDULES)}.")
    return SCHEDULES[name].builder(optimizer, num_warmup_steps, num_training_steps, **kwargs)
