"""``adaptive_warmup``: the LR rises only as fast as Adam's second moments keep up with it.

The LR of param group ``g`` at scheduler step ``t`` is ``peak_g · ω(t) · d(t; L, T)`` with, for a start factor
``s``, ``ω(t) = s + (1 - s) · r(t)``. The ramp's progress ``r`` is piecewise linear in ``t``::

    r(0) = 1 / R,   slope of r between two checks:   max( g / R + (1 - g) / M ,  (1 - r) / (M - 1 - t) )
    g = g(Ŝ) = clip(1 - (max(Ŝ, 0) + λ · max(-Ŝ, 0)) / τ, 0, 1)

* ``R`` = ``min_warmup_steps``: the fastest ramp, taken while the second moments keep up (``g = 1``); the
  slowest is the linear ramp over ``M`` (``g = 0``), so the LR keeps rising and never stalls at a small value.
* ``Ŝ`` = the **excess innovation** of the latest check (:mod:`hf_warmup.statistic`): how much the mean squared
  gradient of the last ``k`` real optimizer steps exceeded what ``v̂`` predicted, with the part that estimation
  noise explains taken out. When raising the LR makes the gradients grow faster than the EMA follows, ``Ŝ``
  rises and the ramp slows down, down to its slowest pace at ``Ŝ >= τ`` (``threshold``); it speeds up again
  once ``v̂`` has caught up. Second moments that *shrink* faster than the EMA follows (``Ŝ < 0``: the fast early phase of
  training) slow it down too, weighted by ``λ`` (``decrease_weight``): ``v̂`` is then not stable either, and
  Adam's steps grow as it catches up. The ramp never goes down, so the LR never decreases during warmup and
  never exceeds the peak.
* ``M`` = ``max_warmup_steps``: the bound (by default ``0.5 · T``, capped at ``max_warmup_horizons / (1 - β2)``
  when that is > 0: :func:`default_max_warmup`). The second term of the slope makes ``r`` reach 1 at ``t = M - 1``
  at the latest, without a jump.

**The end** ``L`` (``warmup_end_step``, where the decay begins) is the first of:

* **the edge** (``end_reason = "edge"``): a check at which the coherence of the gradients the momentum averages
  (:func:`hf_warmup.statistic.coherence`, from Adam's ``m̂`` and the window's mean squared gradient)

      φ = Σ_i f · m̂_i² / Σ_i ḡ²_i          (1 for independent noise, 19 for β1 = 0.9 when all agree)

  has fallen below ``φ*`` (``coherence_threshold``): successive gradients *alternate*, i.e. every step
  overshoots, **and** the second moments shrink faster than their EMA follows, ``Ŝ < -δ``
  (``shrink_threshold``): the optimizer bounces while the gradients collapse, the signature of a peak the
  model cannot take (the loss stalls while the gradients shrink). Overshooting with steady second moments is
  ordinary noise-dominated training at a usable LR and does not end the warmup. The LR reached,
  ``ω(L) · peak``, then takes the place of the peak: the LR never rises further,
  and the decay starts from it, ``lr(t) = peak · ω(L) · d(t; L, T)`` (``peak_fraction = ω(L)``, logged and
  reported). A peak LR beyond the edge is where a long fixed warmup wins only because it spends less time at
  the peak; here the ramp stops where the optimizer state says the steps stopped helping.
  ``coherence_threshold = 0`` turns this off (the LR always reaches the peak); without a first moment
  (RMSprop, Adafactor) ``φ`` is NaN and never ends the warmup;
* **stable** (``"stable"``): ``r = 1`` *and* each of the last ``patience`` checks had ``g(Ŝ) > 0``, i.e. the
  second moments keep up **at the peak LR**. Stability at a small LR never ends the warmup, since the ramp must
  have reached the peak first;
* **the bound** ``M`` (``"bound"``).

If ``g`` stays 1 and the edge is not met, the schedule is ``linear_warmup`` over ``R``; if ``g`` stays 0, the
ramp is (about) linear over ``M``.

Checks happen every ``check_interval`` *real* optimizer steps (default ``clip(round(T / 50), 1, 10)``: the
peak is held for at most ``patience`` intervals while stability there is confirmed; skipped fp16 steps and
repeated ``scheduler.step()`` calls do not count); every rank computes the same ``Ŝ`` and ``φ`` (the monitor reduces
over ranks), so every rank takes the same decisions. A NaN ``Ŝ`` (non-finite optimizer state) counts as
``Ŝ >= τ``; a NaN ``φ`` never ends the warmup.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from torch.optim import Optimizer

from .decays import Decay
from .epochs import EPOCH_OPTIONS, resolve_warmup_epochs
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
from .statistic import Window, effective_samples, excess
from .warmups import untuned_length

NAME = "adaptive_warmup"

#: Defaults chosen on the benchmark suite ``scripts/benchmark_warmup.py`` (README, "How the defaults were chosen").
DEFAULT_THRESHOLD = 0.25
DEFAULT_CHECK_INTERVAL = 10  # the most: with T known, round(T / CHECKS_PER_RUN) clipped to [1, 10]
CHECKS_PER_RUN = 50
DEFAULT_PATIENCE = 2
DEFAULT_DECREASE_WEIGHT = 0.0
DEFAULT_MAX_FRACTION = 0.5  # M = 0.5 · T when num_warmup_steps is 0 ...
DEFAULT_MAX_HORIZONS = 0.0  # ... capped at this many second-moment horizons 1/(1-β2) when > 0
DEFAULT_MIN_FRACTION = 0.4  # R = 0.4 · M
DEFAULT_COHERENCE_THRESHOLD = 0.7
DEFAULT_SHRINK_THRESHOLD = 0.3  # 3x the ±0.1 band of Ŝ for stationary gradients
MAX_SAMPLE_SIZE = 8192  # 8192 float32 = 32 KiB, within the 64 KiB budget together with the header
MAX_HISTORY = 512  # check_history keeps at most this many entries (halved in resolution when full)
MAX_RAMP_KNOTS = 512  # ramp_knots keeps at most this many segments (every other one merged when full)

ADAPTIVE_OPTIONS: dict[str, Option] = {
    "threshold": Option("float", DEFAULT_THRESHOLD, "a float > 0", lambda v: v > 0),
    "min_warmup_steps": Option("int", None, "an int >= 1", lambda v: v >= 1),
    "max_warmup_steps": Option("int", None, "an int >= 1", lambda v: v >= 1),
    "check_interval": Option("int", None, "an int >= 1", lambda v: v >= 1),
    "patience": Option("int", DEFAULT_PATIENCE, "an int >= 1", lambda v: v >= 1),
    "decrease_weight": Option("float", DEFAULT_DECREASE_WEIGHT, "a float >= 0", lambda v: v >= 0),
    "coherence_threshold": Option("float", DEFAULT_COHERENCE_THRESHOLD, "a float in [0, 1] (0: never end at the "
                                  "edge, always reach the peak LR)", lambda v: 0 <= v <= 1),
    "shrink_threshold": Option("float", DEFAULT_SHRINK_THRESHOLD, "a float >= 0", lambda v: v >= 0),
    "max_warmup_horizons": Option("float", DEFAULT_MAX_HORIZONS, "a float >= 0 (0: the bound is 0.5 · T alone)",
                                  lambda v: v >= 0),
    "start_factor": START_FACTOR,
    "sample_size": Option("int", 4096, f"an int in [1, {MAX_SAMPLE_SIZE}]", lambda v: 1 <= v <= MAX_SAMPLE_SIZE),
    **EPOCH_OPTIONS,  # warmup_epochs: the bound M in epochs (hf_warmup.epochs)
}


def default_check_interval(num_training_steps: int | None) -> tuple[int, str]:
    """``check_interval`` when not given, and where it came from: ``clip(round(T / 50), 1, 10)``, or 10 without ``T``.

    The warmup ends at a check, so the peak is held for up to ``patience`` intervals while stability at the
    peak is confirmed; tying the interval to ``T`` keeps that hold a few percent of short runs (a 40-step
    fine-tune checks every step) and costs one host sync per 10 steps on long ones.
    """
    if num_training_steps is None:
        return DEFAULT_CHECK_INTERVAL, "default"
    value = min(DEFAULT_CHECK_INTERVAL, max(1, round(num_training_steps / CHECKS_PER_RUN)))
    return value, f"round(num_training_steps={num_training_steps} / {CHECKS_PER_RUN}) in [1, {DEFAULT_CHECK_INTERVAL}]"


def default_max_warmup(
    num_warmup_steps: int, num_training_steps: int | None, beta2: float | None, horizons: float = DEFAULT_MAX_HORIZONS,
) -> tuple[int, str]:
    """``M`` when ``max_warmup_steps`` is not given, and where it came from.

    ``num_warmup_steps`` if > 0; else ``round(0.5 · T)``, capped at ``round(horizons / (1 - β2))`` when
    ``horizons`` (``max_warmup_horizons``) > 0 and β2 is known: the second moments' EMA forgets over
    ``1 / (1 - β2)`` steps, so what warmup needs is set by the optimizer, not by the run's length (a
    100,000-step run with β2 0.95 would otherwise warm up for at least 0.4 · 0.5 · T = 20,000 steps). Without
    ``T``, ``2 · round(2 / (1 - β2))`` (twice the untuned warmup of Ma & Yarats 2019).
    """
    if num_warmup_steps > 0:
        return num_warmup_steps, f"num_warmup_steps={num_warmup_steps}"
    if num_training_steps is not None:
        half = max(1, round(DEFAULT_MAX_FRACTION * num_training_steps))
        if horizons > 0 and beta2 is not None and beta2 < 1:
            cap = max(1, round(horizons / (1.0 - beta2)))
            if cap < half:
                return cap, f"{horizons:g} / (1-β2) with β2={beta2:g} (< {DEFAULT_MAX_FRACTION:g} × num_training_steps)"
        return half, f"{DEFAULT_MAX_FRACTION:g} × num_training_steps={num_training_steps}"
    if beta2 is not None:
        return 2 * untuned_length(beta2), f"2 × 2/(1-β2) with β2={beta2:g}"
    raise ScheduleConfigError(
        f"{NAME}: cannot derive max_warmup_steps without num_training_steps or β2; pass "
        f"lr_scheduler_kwargs={{'max_warmup_steps': N}}."
    )


class AdaptiveWarmupLR(PlainStateLR):
    """Variance-aware warmup; see the module docstring for the formula.

    Public diagnostics: ``warmup_end_step`` (None while warming up, then ``L``), ``end_reason`` (``"edge"``,
    ``"stable"`` or ``"bound"``), ``peak_fraction`` (``ω(L)``: 1 unless it ended at the edge),
    ``last_statistic`` (the latest ``Ŝ``), ``statistic_at_end``, ``last_coherence`` (the latest ``φ``),
    ``coherence_at_end``, ``last_window`` (the latest raw :class:`~hf_warmup.statistic.Window`),
    ``check_history`` (``[scheduler step, Ŝ, ω, φ]`` per check, at most ``MAX_HISTORY`` entries),
    ``ramp_knots`` (the ramp's path, below) and :meth:`describe_config`.

    **The ramp's path.** ``r`` is kept as its knots ``[t_k, r_k, slope_k]``: ``r(t) = min(1, r_k + slope_k ·
    (t - t_k))`` on ``[t_k, t_{k+1})``. A check that changes the slope adds a knot, the end adds one of slope 0,
    and the LR at every step, past ones included, is evaluated from them, so :meth:`factor` gives the LR the
    optimizer used at any step of the run (the report draws it) and a resumed run restores the whole path from
    ``state_dict``. At most ``MAX_RAMP_KNOTS`` knots (about 13 KiB): when full, every other past knot is
    dropped and the segments between the ones kept become straight lines between them (``ramp_thinned``
    counts these halvings; the report then says ``lr_exact: false``); the open segment, and so the LR from
    now on, never changes.
    """

    extra_state_keys = (
        "ramp_knots",
        "ramp_thinned",
        "warmup_end_step",
        "end_reason",
        "last_statistic",
        "statistic_at_end",
        "last_coherence",
        "coherence_at_end",
        "recent_statistics",
        "check_history",
        "history_stride",
        "checks_done",
        "max_warmup_steps",
        "min_warmup_steps",
    )

    def __init__(
        self,
        optimizer: Optimizer,
        decay: Decay,
        num_training_steps: int | None,
        max_warmup_steps: int,
        min_warmup_steps: int | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        check_interval: int = DEFAULT_CHECK_INTERVAL,
        patience: int = DEFAULT_PATIENCE,
        decrease_weight: float = DEFAULT_DECREASE_WEIGHT,
        coherence_threshold: float = DEFAULT_COHERENCE_THRESHOLD,
        shrink_threshold: float = DEFAULT_SHRINK_THRESHOLD,
        start_factor: float = 0.0,
        sample_size: int = 4096,
        monitor: SecondMomentMonitor | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        self.monitor = monitor or SecondMomentMonitor(optimizer, check_interval, sample_size)
        self.decay = decay
        self.num_training_steps = num_training_steps
        self.max_warmup_steps = max(0, int(max_warmup_steps))
        if min_warmup_steps is None:
            min_warmup_steps = round(DEFAULT_MIN_FRACTION * self.max_warmup_steps)
        self.min_warmup_steps = min(max(1, int(min_warmup_steps)), max(self.max_warmup_steps, 1))
        self.threshold = float(threshold)
        self.patience = int(patience)
        self.decrease_weight = float(decrease_weight)
        self.coherence_threshold = float(coherence_threshold)
        self.shrink_threshold = float(shrink_threshold)
        self.start_factor = float(start_factor)
        self.provenance = dict(provenance or {})
        # the ramp's knots [t_k, r_k, slope_k]: r(0) = 1/R at the fastest pace (see the class docstring)
        start = 1.0 / self.min_warmup_steps if self.max_warmup_steps > 0 else 1.0
        self.ramp_knots: list[list[float]] = [[0, start, 1.0 / self.min_warmup_steps]]
        self.ramp_thinned = 0
        self.warmup_end_step: int | None = 0 if self.max_warmup_steps == 0 else None
        self.end_reason: str | None = "bound" if self.max_warmup_steps == 0 else None
        self.last_statistic: float | None = None
        self.statistic_at_end: float | None = None
        self.last_coherence: float | None = None
        self.coherence_at_end: float | None = None
        self.last_window: Window | None = None
        self.recent_statistics: list[float] = []
        self.check_history: list[list[float]] = []
        self.history_stride = 1
        self.checks_done = 0
        self.name = NAME
        super().__init__(optimizer)
        if self.warmup_end_step is not None:
            self.monitor.close()

    @property
    def check_interval(self) -> int:
        """Real optimizer steps between checks (the monitor's)."""
        return self.monitor.check_interval

    @property
    def sample_size(self) -> int:
        """Coordinates the monitor samples."""
        return self.monitor.sample_size

    # -- the pure part: the LR at any step, from the ramp's knots ----------------------------------------------
    @property
    def decision_step(self) -> int | None:
        """The step of the end decision (same as ``warmup_end_step``: the decay starts where the ramp ended)."""
        return self.warmup_end_step

    def progress(self, t: int) -> float:
        """``r(t)`` from the knot at or before ``t``; after the end, ``r(L)`` (1 unless it ended at the edge)."""
        knots = self.ramp_knots
        start, value, slope = knots[max(bisect.bisect_right(knots, t, key=lambda k: k[0]) - 1, 0)]
        return min(1.0, value + slope * (t - start))

    @property
    def peak_fraction(self) -> float | None:
        """``ω(L)``, the fraction of the peak LR the decay starts from (None while warming up)."""
        return None if self.warmup_end_step is None else self.warmup_factor(self.warmup_end_step)

    def warmup_factor(self, t: int) -> float:
        """``ω(t) = s + (1 - s) · r(t)``."""
        return self.start_factor + (1.0 - self.start_factor) * self.progress(t)

    def factor(self, t: int, group: int = 0) -> float:
        end = self.warmup_end_step if self.warmup_end_step is not None else self.max_warmup_steps
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
            self._end(self.max_warmup_steps, "bound")
            return
        if not self.monitor.due:
            return
        window = self.monitor.check()
        if window is None:
            return
        stat = self._excess(window)
        phi = float(window.coherence)
        self.last_window = window
        self.last_statistic = stat
        self.last_coherence = phi if math.isfinite(phi) else None
        self.recent_statistics = [*self.recent_statistics, stat][-self.patience :]
        self._record(t, stat, phi)
        if self.at_edge(phi, stat):
            self._end(t, "edge", self.progress(t))
            return
        if self.progress(t) >= 1.0 and self.is_stable():
            self._end(t, "stable")
            return
        self._reanchor(t, stat)

    def at_edge(self, phi: float, stat: float) -> bool:
        """``φ < φ*`` and ``Ŝ < -δ``: the steps overshoot while the second moments collapse (NaN: never)."""
        return math.isfinite(phi) and phi < self.coherence_threshold and math.isfinite(stat) \
            and stat < -self.shrink_threshold

    def _excess(self, window: Window) -> float:
        location = self.monitor.location
        old_steps = max(self.monitor.real_steps - self.check_interval, 1)
        n_eff = effective_samples(location.rule, beta2_hint(location), old_steps)
        value = excess(window, self.check_interval, n_eff)
        return float(value) if math.isfinite(value) else float("nan")

    def pace(self, stat: float) -> float:
        """``g(Ŝ) = clip(1 - (max(Ŝ, 0) + λ · max(-Ŝ, 0)) / τ, 0, 1)``; NaN gives 0 (the slowest pace)."""
        if not math.isfinite(stat):
            return 0.0
        change = max(stat, 0.0) + self.decrease_weight * max(-stat, 0.0)
        return min(1.0, max(0.0, 1.0 - change / self.threshold))

    def _reanchor(self, t: int, stat: float) -> None:
        progress = self.progress(t)
        left = self.max_warmup_steps - 1 - t
        catch_up = (1.0 - progress) / left if left > 0 else 1.0
        g = self.pace(stat)
        self._add_knot(t, progress, max(g / self.min_warmup_steps + (1.0 - g) / max(self.max_warmup_steps, 1),
                                        catch_up))

    def _add_knot(self, t: int, progress: float, slope: float) -> None:
        """Continue the ramp from ``(t, progress)`` with ``slope``: a new knot unless the line stays the same (the
        slope is unchanged, or ``r`` is already 1 and will stay there, which only the end's knot records)."""
        last = self.ramp_knots[-1]
        if last[2] == slope or (progress >= 1.0 and slope > 0):
            return
        self.ramp_knots.append([int(t), progress, slope])
        if len(self.ramp_knots) > MAX_RAMP_KNOTS:
            self.ramp_knots = thin_knots(self.ramp_knots)
            self.ramp_thinned += 1

    def is_stable(self) -> bool:
        """Each of the last ``patience`` checks let the ramp move (``g(Ŝ) > 0``): the second moments keep up."""
        recent = self.recent_statistics
        return len(recent) >= self.patience and all(self.pace(x) > 0.0 for x in recent)

    def _record(self, t: int, stat: float, phi: float) -> None:
        """Keep ``[t, Ŝ, ω(t), φ]`` of every ``history_stride``-th check; halve the resolution when full."""
        self.checks_done += 1
        if self.checks_done % self.history_stride:
            return
        self.check_history.append([float(t), stat, self.warmup_factor(t), phi])
        if len(self.check_history) > MAX_HISTORY:
            self.check_history = self.check_history[1::2]
            self.history_stride *= 2

    def _end(self, end: int, reason: str, progress: float = 1.0) -> None:
        self._add_knot(end, min(1.0, progress), 0.0)
        self.warmup_end_step = int(end)
        self.end_reason = reason
        self.statistic_at_end = self.last_statistic
        self.coherence_at_end = self.last_coherence
        self.monitor.close()  # nothing more to watch

    def describe_config(self) -> dict[str, Any]:
        """The resolved settings, with where the derived ones came from (for logs, reports and cards)."""
        return {
            "schedule": NAME,
            "max_warmup_steps": self.max_warmup_steps,
            "min_warmup_steps": self.min_warmup_steps,
            "threshold": self.threshold,
            "check_interval": self.check_interval,
            "patience": self.patience,
            "decrease_weight": self.decrease_weight,
            "coherence_threshold": self.coherence_threshold,
            "shrink_threshold": self.shrink_threshold,
            "start_factor": self.start_factor,
            "sample_size": self.sample_size,
            "decay": self.decay.kind,
            "min_lr_ratio": self.decay.min_lr_ratio,
            "num_training_steps": self.num_training_steps,
            "optimizer_rule": self.monitor.location.rule,
            "beta2": beta2_hint(self.monitor.location),
            **self.provenance,
        }

    # -- checkpoints ------------------------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        state = super()._extra_state()
        state["monitor"] = self.monitor.state_dict()
        return state

    def _load_extra_state(self, state_dict: dict[str, Any]) -> None:
        super()._load_extra_state(state_dict)
        if "anchor_step" in state_dict:  # a checkpoint of hf_warmup <= 0.1.0 kept only the current segment
            self.ramp_knots = [[state_dict["anchor_step"], state_dict["anchor_progress"], state_dict["slope"]]]
            self.ramp_thinned = 1
        if "monitor" in state_dict:
            self.monitor.load_state_dict(state_dict["monitor"])
        if self.warmup_end_step is not None:
            self.monitor.close()


def thin_knots(knots: list[list[float]]) -> list[list[float]]:
    """Every other past knot of a ramp path, with the slopes between the ones kept made straight lines between
    them (the values at the kept knots are unchanged); the open, last segment is kept as it is."""
    kept = [list(k) for k in knots[:-1:2]] + [list(knots[-1])]
    for a, b in zip(kept, kept[1:]):
        a[2] = (b[1] - a[1]) / (b[0] - a[0])
    return kept


def get_adaptive_warmup_schedule(
    optimizer: Optimizer,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **kwargs: Any,
) -> AdaptiveWarmupLR:
    """Build ``adaptive_warmup`` with validated kwargs; see :class:`AdaptiveWarmupLR` for the formula.

    ``num_warmup_steps`` (HF's ``warmup_steps``), if > 0, is the bound ``M``: the warmup is never longer. So is
    ``warmup_epochs``, in epochs of the Trainer's optimizer steps (:mod:`hf_warmup.epochs`).
    """
    opts = parse_kwargs(NAME, kwargs, {**DECAY_OPTIONS, **ADAPTIVE_OPTIONS})
    warmup_steps, total = check_steps(NAME, num_warmup_steps, num_training_steps, opts["decay"], False)
    interval, interval_from = (opts["check_interval"], "lr_scheduler_kwargs") if opts["check_interval"] is not None \
        else default_check_interval(total)
    provenance: dict[str, Any] = {"check_interval_from": interval_from}
    monitor = SecondMomentMonitor(optimizer, interval, opts["sample_size"])
    max_warmup = opts["max_warmup_steps"]
    epochs = resolve_warmup_epochs(NAME, opts, {"warmup_steps": warmup_steps,
                                                "lr_scheduler_kwargs['max_warmup_steps']": max_warmup})
    if epochs is not None:
        max_warmup, provenance["max_warmup_steps_from"] = epochs.steps, epochs.source
    elif max_warmup is None:
        max_warmup, source = default_max_warmup(warmup_steps, total, beta2_hint(monitor.location),
                                                opts["max_warmup_horizons"])
        # "num_warmup_steps" is made readable by the report (e.g. "warmup_steps=0.1 of 300")
        provenance["max_warmup_steps_from"] = "num_warmup_steps" if warmup_steps > 0 else source
    else:
        provenance["max_warmup_steps_from"] = "lr_scheduler_kwargs"
    min_warmup = opts["min_warmup_steps"]
    if min_warmup is not None and opts["max_warmup_steps"] is not None and min_warmup > max_warmup:
        raise ScheduleConfigError(
            f"{NAME}: lr_scheduler_kwargs['min_warmup_steps']={min_warmup} is not allowed; "
            f"expected an int <= max_warmup_steps={max_warmup}."
        )
    requested, notes = max_warmup, []
    max_warmup = fitted_length(opts["decay"], total, requested)  # a warmup that does not fit is shortened
    if max_warmup != requested:
        notes.append(fit_note("max_warmup_steps", requested, max_warmup, total, opts["decay"]))
    if min_warmup is not None and min_warmup > max(max_warmup, 1):
        notes.append(f"min_warmup_steps={min_warmup} was lowered to max_warmup_steps={max(max_warmup, 1)}")
        min_warmup = max(max_warmup, 1)
    warn_once(NAME, notes, stacklevel=3)
    provenance.update(
        requested_max_warmup_steps=requested,
        fitted_to_num_training_steps=max_warmup != requested,
        num_warmup_steps=warmup_steps,
        max_warmup_horizons=opts["max_warmup_horizons"],
        min_warmup_steps_from="lr_scheduler_kwargs" if min_warmup is not None
        else f"{DEFAULT_MIN_FRACTION:g} × max_warmup_steps",
        **relevant_options(opts, DECAY_OPTIONS),
    )
    return AdaptiveWarmupLR(
        optimizer,
        make_decay(opts),
        total,
        max_warmup_steps=max_warmup,
        min_warmup_steps=min_warmup,
        threshold=opts["threshold"],
        check_interval=interval,
        patience=opts["patience"],
        decrease_weight=opts["decrease_weight"],
        coherence_threshold=opts["coherence_threshold"],
        shrink_threshold=opts["shrink_threshold"],
        start_factor=opts["start_factor"],
        sample_size=opts["sample_size"],
        monitor=monitor,
        provenance=provenance,
    )


SCHEDULES[NAME] = ScheduleSpec(
    NAME,
    "ω ramps toward 1 no faster than over min_warmup_steps and no slower than over max_warmup_steps, slower "
    "while Adam's second moments change faster than their EMA follows (|excess innovation| vs threshold); the decay "
    "starts once the second moments are stable at the peak LR, or earlier, from the LR reached, where the momentum "
    "shows the steps overshooting (coherence < coherence_threshold) while the second moments shrink (S < "
    "-shrink_threshold)",
    ADAPTIVE_OPTIONS,
    get_adaptive_warmup_schedule,
)
