"""``adaptive_warmup``: a warmup that ends once Adam's second moments are stable.

The LR of param group ``g`` at scheduler step ``t`` is ``peak_g · ω(t) · d(t; L, T)`` where, with ``M`` the
largest warmup length (``max_warmup_steps``) and ``s`` the ``start_factor``::

    ramp(t) = s + (1 - s) · min(1, (t + 1) / M)              while the second moments are not yet stable
    ω(t)    = ramp(D) + (1 - ramp(D)) · (t - D) / (L - D)     hand-off, for D <= t < L
    ω(t)    = 1                                               for t >= L

``D`` is the step at which the monitor declared stability, ``L = min(D + handoff_steps, M)`` the step at which
the decay begins (``warmup_end_step``). If stability never comes, ``ω`` reaches 1 at ``t = M - 1`` and
``L = M``: the schedule is then exactly ``linear_warmup`` over ``M`` steps. The LR never exceeds the peak and
never decreases during warmup (the hand-off is at least as steep as the ramp).

Stability: every ``check_interval`` real optimizer steps the :class:`~hf_warmup.monitor.SecondMomentMonitor`
computes ``S`` (see its docstring). Once the mean of the last ``patience`` values of ``S`` is ``<= threshold``
(averaging damps the batch-to-batch noise of a short window), and not before ``min_warmup_steps``, the ramp
ends. Any NaN among them (non-finite optimizer state) keeps the warmup going. Every rank reduces ``S`` the same way, so every rank ends together.
"""

from __future__ import annotations

import math
from typing import Any

from torch.optim import Optimizer

from .decays import Decay
from .monitor import SecondMomentMonitor
from .optim_state import beta2_hint
from .options import DECAY_OPTIONS, START_FACTOR, Option, ScheduleConfigError, parse_kwargs
from .scheduler import PlainStateLR
from .schedules import (
    SCHEDULES,
    ScheduleSpec,
    check_steps,
    fit_note,
    fitted_length,
    make_decay,
    relevant_options,
    warn_once,
)
from .warmups import untuned_length

NAME = "adaptive_warmup"

#: Defaults chosen on ``scripts/benchmark_warmup.py`` (see the README, "How the defaults were chosen").
DEFAULT_THRESHOLD = 0.05
DEFAULT_CHECK_INTERVAL = 10
DEFAULT_PATIENCE = 3
DEFAULT_MAX_FRACTION = 0.5
MAX_SAMPLE_SIZE = 8192  # 8192 float32 = 32 KiB, within the 64 KiB budget together with the header

ADAPTIVE_OPTIONS: dict[str, Option] = {
    "threshold": Option("float", DEFAULT_THRESHOLD, "a float > 0", lambda v: v > 0),
    "min_warmup_steps": Option("int", 0, "an int >= 0", lambda v: v >= 0),
    "max_warmup_steps": Option("int", None, "an int >= 1", lambda v: v >= 1),
    "check_interval": Option("int", DEFAULT_CHECK_INTERVAL, "an int >= 1", lambda v: v >= 1),
    "patience": Option("int", DEFAULT_PATIENCE, "an int >= 1", lambda v: v >= 1),
    "handoff_steps": Option("int", None, "an int >= 1", lambda v: v >= 1),
    "start_factor": START_FACTOR,
    "sample_size": Option("int", 4096, f"an int in [1, {MAX_SAMPLE_SIZE}]", lambda v: 1 <= v <= MAX_SAMPLE_SIZE),
}


def default_max_warmup(num_warmup_steps: int, num_training_steps: int | None, beta2: float | None) -> int:
    """``M`` when ``max_warmup_steps`` is not given.

    ``num_warmup_steps`` if > 0; otherwise ``min(round(2 / (1 - β2)), round(0.5 · T))`` (at least 1): the
    untuned warmup length (Ma & Yarats 2019), capped at half the run. The cap was chosen on
    ``scripts/benchmark_warmup.py``: with 0.2 · T the bound, not the statistic, ended most warmups and the
    longest warmups won; with 0.5 · T the statistic ends them, earlier at higher LRs (README, "Benchmark").
    Without β2 (Adafactor) or without ``T``, whichever of the two is known.
    """
    if num_warmup_steps > 0:
        return num_warmup_steps
    candidates = []
    if beta2 is not None:
        candidates.append(untuned_length(beta2))
    if num_training_steps is not None:
        candidates.append(max(1, round(DEFAULT_MAX_FRACTION * num_training_steps)))
    if not candidates:
        raise ScheduleConfigError(
            f"{NAME}: cannot derive max_warmup_steps without β2 or num_training_steps; pass "
            f"lr_scheduler_kwargs={{'max_warmup_steps': N}}."
        )
    return min(candidates)


class AdaptiveWarmupLR(PlainStateLR):
    """Variance-aware warmup; see the module docstring for the formula and the stability rule.

    Public diagnostics: ``warmup_end_step`` (None while warming up, then the step ``L`` at which the decay
    began), ``last_statistic`` (the latest ``S``), ``end_reason`` (``"stable"`` or ``"max_warmup_steps"``)
    and ``statistic_at_end``.
    """

    extra_state_keys = (
        "decision_step",
        "warmup_end_step",
        "end_reason",
        "last_statistic",
        "statistic_at_end",
        "recent_statistics",
        "max_warmup_steps",
        "check_history",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        decay: Decay,
        num_training_steps: int | None,
        max_warmup_steps: int,
        min_warmup_steps: int = 0,
        threshold: float = DEFAULT_THRESHOLD,
        check_interval: int = DEFAULT_CHECK_INTERVAL,
        patience: int = DEFAULT_PATIENCE,
        handoff_steps: int | None = None,
        start_factor: float = 0.0,
        sample_size: int = 4096,
        monitor: SecondMomentMonitor | None = None,
    ) -> None:
        self.monitor = monitor or SecondMomentMonitor(optimizer, check_interval, sample_size)
        self.decay = decay
        self.num_training_steps = num_training_steps
        self.max_warmup_steps = int(max_warmup_steps)
        self.min_warmup_steps = int(min_warmup_steps)
        self.threshold = float(threshold)
        self.patience = int(patience)
        self.handoff_steps = int(handoff_steps if handoff_steps is not None else check_interval)
        self.start_factor = float(start_factor)
        self.decision_step: int | None = None
        self.warmup_end_step: int | None = None
        self.end_reason: str | None = None
        self.last_statistic: float | None = None
        self.statistic_at_end: float | None = None
        self.recent_statistics: list[float] = []
        #: one ``[scheduler_step, S, lr_factor]`` per check (plain floats; saved in the state_dict)
        self.check_history: list[list[float]] = []
        #: resolved kwargs and where M came from, set by the builder (see :meth:`describe_config`)
        self.config: dict[str, Any] = {}
        self.name = NAME
        super().__init__(optimizer)

    # -- the pure part: LR factor given the decision --------------------------------------------------------
    def ramp(self, t: int) -> float:
        return self.start_factor + (1.0 - self.start_factor) * min(1.0, (t + 1) / max(self.max_warmup_steps, 1))

    def warmup_factor(self, t: int) -> float:
        """``ω(t)`` given the decision taken so far (pure in ``t``, ``D`` and ``L``)."""
        if self.decision_step is None:
            return self.ramp(t)
        d, end = self.decision_step, self.warmup_end_step
        assert end is not None
        if t >= end:
            return 1.0
        if t < d:
            return self.ramp(t)
        base = self.ramp(d)
        return base + (1.0 - base) * (t - d) / max(end - d, 1)

    def factor(self, t: int, group: int = 0) -> float:
        end = self.warmup_end_step if self.decision_step is not None else self.max_warmup_steps
        total = self.num_training_steps if self.num_training_steps is not None else 0
        return self.warmup_factor(t) * self.decay(t, end, total)

    def get_lr(self) -> list[float]:
        t = max(self.last_epoch, 0)
        return [base * self.factor(t, g) for g, base in enumerate(self.base_lrs)]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    # -- the stateful part: one check per check_interval real optimizer steps ---------------------------------
    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        if getattr(self, "_step_count", 0) > 0:  # not the initial step() made by LRScheduler.__init__
            self._observe(self.last_epoch + 1)
        super().step()

    def _observe(self, t: int) -> None:
        if self.warmup_end_step is not None:
            return
        if t >= self.max_warmup_steps:
            self._end(t, self.max_warmup_steps, "max_warmup_steps")
            return
        if not self.monitor.due:
            return
        stat = self.monitor.check()
        if stat is None:
            return
        self.last_statistic = stat
        self.recent_statistics = [*self.recent_statistics, float(stat)][-self.patience :]
        if self.is_stable() and t >= self.min_warmup_steps:
            self._end(t, min(t + self.handoff_steps, self.max_warmup_steps), "stable")
        self.check_history.append([float(t), float(stat), float(self.factor(t))])

    def describe_config(self) -> dict[str, Any]:
        """The resolved kwargs (``max_warmup_steps`` and where it came from, threshold, check interval, ...)."""
        return {
            "schedule": NAME,
            "max_warmup_steps": self.max_warmup_steps,
            "min_warmup_steps": self.min_warmup_steps,
            "threshold": self.threshold,
            "check_interval": self.monitor.check_interval,
            "patience": self.patience,
            "handoff_steps": self.handoff_steps,
            "start_factor": self.start_factor,
            "sample_size": self.monitor.sample_size,
            "num_training_steps": self.num_training_steps,
            **self.config,
        }

    def is_stable(self) -> bool:
        """The mean of the last ``patience`` statistics is finite and ``<= threshold``."""
        recent = self.recent_statistics
        if len(recent) < self.patience:
            return False
        mean = sum(recent) / len(recent)
        return math.isfinite(mean) and mean <= self.threshold

    def _end(self, t: int, end: int, reason: str) -> None:
        self.decision_step = min(t, end)
        self.warmup_end_step = end
        self.end_reason = reason
        self.statistic_at_end = self.last_statistic
        self.monitor.close()  # nothing more to watch

    # -- checkpoints ------------------------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        state = super()._extra_state()
        state["monitor"] = self.monitor.state_dict()
        return state

    def _load_extra_state(self, state_dict: dict[str, Any]) -> None:
        super()._load_extra_state(state_dict)
        if "monitor" in state_dict:
            self.monitor.load_state_dict(state_dict["monitor"])
        if self.warmup_end_step is not None:
            self.monitor.close()


def get_adaptive_warmup_schedule(
    optimizer: Optimizer,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **kwargs: Any,
) -> AdaptiveWarmupLR:
    """Build ``adaptive_warmup`` with validated kwargs; see :class:`AdaptiveWarmupLR` for the formula."""
    opts = parse_kwargs(NAME, kwargs, {**DECAY_OPTIONS, **ADAPTIVE_OPTIONS})
    warmup_steps, total = check_steps(NAME, num_warmup_steps, num_training_steps, opts["decay"], False)
    monitor = SecondMomentMonitor(optimizer, opts["check_interval"], opts["sample_size"])
    max_warmup = opts["max_warmup_steps"]
    if max_warmup is None:
        max_warmup = default_max_warmup(warmup_steps, total, beta2_hint(monitor.location))
    given_max = opts["max_warmup_steps"] is not None
    if given_max and opts["min_warmup_steps"] > max_warmup:
        raise ScheduleConfigError(
            f"{NAME}: lr_scheduler_kwargs['min_warmup_steps']={opts['min_warmup_steps']} is not allowed; "
            f"expected an int <= max_warmup_steps={max_warmup}."
        )
    source = ("lr_scheduler_kwargs" if given_max else "num_warmup_steps" if warmup_steps > 0
              else "default min(round(2/(1-β2)), round(0.5·T))")
    requested, notes = max_warmup, []
    max_warmup = fitted_length(opts["decay"], total, requested)
    if max_warmup != requested:
        notes.append(fit_note("max_warmup_steps", requested, max_warmup, total, opts["decay"]))
    min_warmup = min(opts["min_warmup_steps"], max_warmup)
    if min_warmup != opts["min_warmup_steps"]:
        notes.append(f"min_warmup_steps={opts['min_warmup_steps']} was lowered to max_warmup_steps={max_warmup}")
    warn_once(NAME, notes, stacklevel=3)
    sched = AdaptiveWarmupLR(
        optimizer,
        make_decay(opts),
        total,
        max_warmup_steps=max_warmup,
        min_warmup_steps=min_warmup,
        threshold=opts["threshold"],
        check_interval=opts["check_interval"],
        patience=opts["patience"],
        handoff_steps=opts["handoff_steps"],
        start_factor=opts["start_factor"],
        sample_size=opts["sample_size"],
        monitor=monitor,
    )
    sched.config = {
        "max_warmup_steps_from": source,
        "num_warmup_steps": warmup_steps,
        "requested_max_warmup_steps": requested,
        "fitted_to_num_training_steps": max_warmup != requested,
        **relevant_options(opts, DECAY_OPTIONS),
    }
    return sched


SCHEDULES[NAME] = ScheduleSpec(
    NAME,
    "ω ramps linearly toward 1 over M until Adam's second moments are stable (S <= threshold), then hands off "
    "to 1; decay from there",
    ADAPTIVE_OPTIONS,
    get_adaptive_warmup_schedule,
)
