"""``adaptive_warmup``: the LR rises only as fast as Adam's second moments keep up with it.

The LR of param group ``g`` at scheduler step ``t``, with ``s`` = ``start_factor`` and the ramp's progress ``r``::

    lr_g(t) = peak_g · ω(t) · d(t; L, T),    ω(t) = s + (1 - s) · r(t),    r(0) = 1 / R

``r`` is piecewise linear: every ``check_interval`` real optimizer steps the second-moment monitor
(:mod:`hf_warmup.monitor`) measures the excess innovation ``Ŝ`` and the coherence ``φ``, and the rule
(:mod:`hf_warmup.policy`) sets the slope up to the next check, between ``1/M`` and ``1/R``, or ends the warmup
(at the edge, stable at the peak, or at the bound ``M``). The decay starts at the end ``L`` from the LR reached.
:class:`AdaptiveWarmupLR` keeps the state: the ramp's knots, the checks, the end. The design and its reasons are
in ``docs/adaptive_warmup.md``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import asdict, fields, replace
from typing import Any

from torch.optim import Optimizer

from .base import WarmupScheduler, check_steps, fit_note, fitted_length, warn_once
from .decays import Decay
from .epochs import EPOCH_OPTIONS, resolve_warmup_epochs
from .monitor import SecondMomentMonitor
from .optim_state import beta1_hint, beta2_hint
from .options import (
    DECAY_OPTIONS,
    START_FACTOR,
    Option,
    ScheduleConfigError,
    every,
    make_decay,
    parse_kwargs,
    relevant_options,
)
from .policy import AdaptivePolicy, edge_checks
from .result import Check, EndReason, WarmupResult
from .statistic import Window, effective_samples, excess
from .warmups import untuned_length

NAME = "adaptive_warmup"

#: Defaults chosen on the benchmark suite (docs/adaptive_warmup.md, "How the defaults were chosen").
DEFAULT_CHECK_INTERVAL = 10  # the most: with T known, round(T / CHECKS_PER_RUN) clipped to [1, 10]
CHECKS_PER_RUN = 50
DEFAULT_MAX_FRACTION = 0.5  # M = 0.5 · T when num_warmup_steps is 0 ...
DEFAULT_MIN_FRACTION = 0.4  # R = 0.4 · M
MAX_SAMPLE_SIZE = 8192  # 8192 float32 = 32 KiB, within the 64 KiB budget together with the header
MAX_HISTORY = 512  # check_history keeps at most this many entries (halved in resolution when full)
MAX_RAMP_KNOTS = 512  # ramp_knots keeps at most this many segments (every other one merged when full)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float))


def _edge_checks(config: Mapping[str, Any]) -> int | None:
    """``E'``, the checks in a row the edge needs (:func:`hf_warmup.policy.edge_checks`); None while unresolved."""
    values = [config.get(k) for k in ("edge_patience", "edge_min_steps", "check_interval")]
    numbers = [int(v) for v in values if isinstance(v, (int, float))]
    return edge_checks(*numbers) if len(numbers) == len(values) else None


def _edge_over_checks(config: Mapping[str, Any]) -> bool:
    """The edge rule is on and needs more than one check in a row (``edge_patience`` and ``edge_wait`` apply)."""
    checks = _edge_checks(config)
    return bool(config.get("coherence_threshold")) and checks is not None and checks > 1


def _edge_phrase(value: Any, config: Mapping[str, Any]) -> str:
    if not _number(value):
        return ""
    if value <= 0:
        return ", always reaches the peak"
    shrink = config.get("shrink_threshold")
    return f", ends at the edge if coherence < {value:g}" + (f" and S < -{shrink:g}" if shrink else "")


#: Every kwarg of ``adaptive_warmup`` (besides the decay's), declared once: the builder parses with it, the
#: scheduler resolves and describes its settings from it, the start line (and so the card) shows its phrase.
ADAPTIVE_OPTIONS: dict[str, Option] = {
    "threshold": Option(
        "float", 0.25, "a float > 0", lambda v: v > 0, doc="τ: the ramp is at its slowest once |Ŝ| reaches it",
        shown=lambda v, c: f", threshold {v:g}" if _number(v) else ", no threshold"),
    "check_interval": Option(
        "int", None, "an int >= 1", lambda v: v >= 1,
        doc="real optimizer steps between checks (default clip(round(T / 50), 1, 10))",
        shown=lambda v, c: f", checks {every(v)}" if v else ""),
    "min_warmup_steps": Option(
        "int", None, "an int >= 1", lambda v: v >= 1, doc="R: the fastest ramp (default 0.4 · M)",
        shown=lambda v, c: f", fastest ramp {v} step{'s' if v != 1 else ''}" if v else ""),
    "coherence_threshold": Option(
        "float", 0.7, "a float in [0, 1] (0: never end at the edge, always reach the peak LR)",
        lambda v: 0 <= v <= 1, doc="φ*: the edge needs the coherence φ below it", shown=_edge_phrase),
    "shrink_threshold": Option(
        "float", 0.3, "a float >= 0", lambda v: v >= 0, doc="δ: the edge needs Ŝ < -δ"),
    "edge_patience": Option(
        "int", 2, "an int >= 1", lambda v: v >= 1, doc="E: checks in a row that must be at the edge to end there",
        shown=lambda v, c: f" on {_edge_checks(c)} checks in a row" if _edge_over_checks(c) else ""),
    "edge_min_steps": Option(
        "int", None, "an int >= 1 (1: edge_patience checks alone)", lambda v: v >= 1,
        doc="H: the edge must hold over at least H optimizer steps, max(E, ceil(H / check_interval)) checks "
            "(default ceil(1 / (1 - β1)), the momentum's horizon, which φ compares with the window)"),
    "edge_wait": Option(
        "choice", "hold", "one of ['ramp', 'hold']", choices=("ramp", "hold"),
        doc="while fewer than E checks in a row are at the edge: the ramp climbs on, or holds the LR reached",
        shown=lambda v, c: " (the LR held meanwhile)" if v == "hold" and _edge_over_checks(c) else ""),
    "edge_restarts": Option(
        "int", 0, "an int >= 0 (0: the first confirmed edge ends the warmup)", lambda v: v >= 0,
        doc="K: confirmed edges that back the LR off to edge_backoff × the LR reached and resume the ramp",
        shown=lambda v, c: (f", backs the LR off to {c.get('edge_backoff'):g}× at the first "
                            + ("edge" if v == 1 else f"{v} edges")) if _number(v) and v > 0
        and c.get("coherence_threshold") else ""),
    "edge_backoff": Option(
        "float", 0.5, "a float in (0, 1]", lambda v: 0 < v <= 1,
        doc="b: at a restart (edge_restarts) the LR falls to b × the LR reached"),
    "after_edge": Option(
        "choice", "decay", "one of ['decay', 'hold']", choices=("decay", "hold"),
        doc="at the edge: the decay starts from the LR reached, or that LR is held until M and the decay starts there",
        shown=lambda v, c: ", held until M after the edge" if v == "hold" and c.get("coherence_threshold") else ""),
    "max_warmup_steps": Option(
        "int", None, "an int >= 1", lambda v: v >= 1,
        doc="M: the bound (default num_warmup_steps if > 0, else 0.5 · T)"),
    "patience": Option(
        "int", 2, "an int >= 1", lambda v: v >= 1, doc="checks in a row that must let the ramp move at the peak"),
    "decrease_weight": Option(
        "float", 0.0, "a float >= 0", lambda v: v >= 0, doc="λ: how much shrinking second moments slow the ramp"),
    "max_warmup_horizons": Option(
        "float", 0.0, "a float >= 0 (0: the bound is 0.5 · T alone)", lambda v: v >= 0,
        doc="caps the default M at this many 1/(1-β2) when > 0"),
    "min_warmup_horizons": Option(
        "float", 0.0, "a float >= 0 (0: the fastest ramp is 0.4 · M alone)", lambda v: v >= 0,
        doc="caps the default R at this many 1/(1-β2) when > 0"),
    "start_factor": START_FACTOR,
    "sample_size": Option(
        "int", 4096, f"an int in [1, {MAX_SAMPLE_SIZE}]", lambda v: 1 <= v <= MAX_SAMPLE_SIZE,
        doc="second-moment coordinates the monitor samples"),
    **EPOCH_OPTIONS,  # warmup_epochs: the bound M in epochs (hf_warmup.epochs)
}


def default_check_interval(num_training_steps: int | None) -> tuple[int, str]:
    """``check_interval`` when not given, and where it came from: ``clip(round(T / 50), 1, 10)``, or 10 without ``T``.

    The warmup ends at a check, so the peak is held for up to ``patience`` intervals while stability at the
    peak is confirmed; tying the interval to ``T`` keeps that hold a few percent of short runs.
    """
    if num_training_steps is None:
        return DEFAULT_CHECK_INTERVAL, "default"
    value = min(DEFAULT_CHECK_INTERVAL, max(1, round(num_training_steps / CHECKS_PER_RUN)))
    return value, f"round(num_training_steps={num_training_steps} / {CHECKS_PER_RUN}) in [1, {DEFAULT_CHECK_INTERVAL}]"


def default_max_warmup(
    num_warmup_steps: int, num_training_steps: int | None, beta2: float | None, horizons: float = 0.0,
) -> tuple[int, str]:
    """``M`` when ``max_warmup_steps`` is not given, and where it came from.

    ``num_warmup_steps`` if > 0; else ``round(0.5 · T)``, capped at ``round(horizons / (1 - β2))`` when
    ``horizons`` (``max_warmup_horizons``) > 0 and β2 is known; without ``T``, ``2 · round(2 / (1 - β2))``.
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


def default_min_warmup(max_warmup: int, beta2: float | None, horizons: float) -> tuple[int | None, str]:
    """``R`` when ``min_warmup_steps`` is not given, and where it came from.

    ``round(0.4 · M)`` (``None``: the scheduler derives it from its bound), capped at ``round(horizons / (1 - β2))``
    when ``horizons`` (``min_warmup_horizons``) > 0 and β2 is known: Ma & Yarats' untuned warmup for 2, the time
    Adam's second moments take to settle, whatever T.
    """
    fraction = f"{DEFAULT_MIN_FRACTION:g} × max_warmup_steps"
    if horizons > 0 and beta2 is not None and beta2 < 1:
        cap = max(1, round(horizons / (1.0 - beta2)))
        if cap < round(DEFAULT_MIN_FRACTION * max_warmup):
            return cap, f"{horizons:g} / (1-β2) with β2={beta2:g} (< {fraction})"
    return None, fraction


def default_edge_min_steps(beta1: float | None) -> tuple[int, str]:
    """``H`` when ``edge_min_steps`` is not given, and where it came from: ``ceil(1 / (1 - β1))`` (10 for β1 = 0.9),
    the horizon of the momentum that the coherence φ compares with the window's gradients; 1 without a momentum
    (no φ, so no edge)."""
    if beta1 is None or not 0.0 < beta1 < 1.0:
        return 1, "no first moment"
    return math.ceil(1.0 / (1.0 - beta1) - 1e-9), f"ceil(1/(1-β1)) with β1={beta1:g}"


def _typed(option: Option, value: Any) -> Any:
    if value is None or option.kind == "choice":
        return value
    return float(value) if option.kind == "float" else int(value)


class AdaptiveWarmupLR(WarmupScheduler):
    """Variance-aware warmup; see the module docstring for the formula and :mod:`hf_warmup.policy` for the rule.

    ``settings`` are the kwargs of :data:`ADAPTIVE_OPTIONS` (defaults for those not given). Diagnostics:
    ``warmup_end_step`` (None while warming up, then ``L``), ``end_reason`` (an :class:`EndReason`),
    ``peak_fraction`` (``ω(L)``), ``last_statistic``/``statistic_at_end`` (``Ŝ``), ``last_coherence``/
    ``coherence_at_end`` (``φ``), ``last_window``, ``check_history`` (``[step, Ŝ, ω, φ]`` per check, at most
    ``MAX_HISTORY``), :meth:`result` and :meth:`describe_config`.

    The ramp's path is kept as its knots ``[t_k, r_k, slope_k]``: ``r(t) = min(1, r_k + slope_k · (t - t_k))``
    on ``[t_k, t_{k+1})``, so :meth:`factor` gives the LR of any past step too and a resumed run restores the
    whole path. At most ``MAX_RAMP_KNOTS`` knots: when full, every other past knot is dropped
    (``ramp_thinned`` counts it; the report then says ``lr_exact: false``); the LR from now on never changes.
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
        "edge_streak",
        "edge_restart_steps",
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
        *,
        monitor: SecondMomentMonitor | None = None,
        provenance: dict[str, Any] | None = None,
        **settings: Any,
    ) -> None:
        allowed = set(ADAPTIVE_OPTIONS) - {"max_warmup_steps"}
        if set(settings) - allowed:
            raise TypeError(f"AdaptiveWarmupLR: unexpected settings {sorted(set(settings) - allowed)}; "
                            f"expected some of {sorted(allowed)}")
        resolved = {k: _typed(opt, settings.get(k, opt.default)) for k, opt in ADAPTIVE_OPTIONS.items()}
        bound = max(0, int(max_warmup_steps))
        fastest = resolved["min_warmup_steps"]
        if fastest is None:
            fastest = round(DEFAULT_MIN_FRACTION * bound)
        resolved.update(max_warmup_steps=bound, min_warmup_steps=min(max(1, fastest), max(bound, 1)))
        if resolved["check_interval"] is None:
            resolved["check_interval"] = DEFAULT_CHECK_INTERVAL
        self.monitor = monitor or SecondMomentMonitor(optimizer, resolved["check_interval"], resolved["sample_size"])
        self.provenance = dict(provenance or {})
        if resolved["edge_min_steps"] is None:
            resolved["edge_min_steps"], self.provenance["edge_min_steps_from"] = default_edge_min_steps(
                beta1_hint(self.monitor.location))
        else:
            self.provenance["edge_min_steps_from"] = "lr_scheduler_kwargs"
        resolved["check_interval"] = self.monitor.check_interval
        self.settings = resolved
        self.policy = AdaptivePolicy(**{f.name: resolved[f.name] for f in fields(AdaptivePolicy)})
        self.start_factor = float(resolved["start_factor"])
        self.decay = decay
        self.num_training_steps = num_training_steps
        self.ramp_knots: list[list[float]] = [self.policy.first_knot]
        self.ramp_thinned = 0
        self.warmup_end_step: int | None = 0 if bound == 0 else None
        self.end_reason: EndReason | None = EndReason.BOUND if bound == 0 else None
        self.last_statistic: float | None = None
        self.statistic_at_end: float | None = None
        self.last_coherence: float | None = None
        self.coherence_at_end: float | None = None
        self.last_window: Window | None = None
        self.recent_statistics: list[float] = []
        self.edge_streak = 0
        self.edge_restart_steps: list[int] = []
        self.check_history: list[list[float]] = []
        self.history_stride = 1
        self.checks_done = 0
        self.name = NAME
        super().__init__(optimizer)
        if self.warmup_end_step is not None:
            self.monitor.close()

    @property
    def max_warmup_steps(self) -> int:
        """``M``, the bound."""
        return self.policy.max_warmup_steps

    @max_warmup_steps.setter
    def max_warmup_steps(self, value: int) -> None:  # restored from a checkpoint
        self.policy = replace(self.policy, max_warmup_steps=int(value))

    @property
    def min_warmup_steps(self) -> int:
        """``R``, the fastest ramp."""
        return self.policy.min_warmup_steps

    @min_warmup_steps.setter
    def min_warmup_steps(self, value: int) -> None:
        self.policy = replace(self.policy, min_warmup_steps=int(value))

    @property
    def check_interval(self) -> int:
        """Real optimizer steps between checks (the monitor's)."""
        return self.monitor.check_interval

    @property
    def sample_size(self) -> int:
        """Coordinates the monitor samples."""
        return self.monitor.sample_size

    # -- the pure part: the LR at any step, from the ramp's knots ----------------------------------------------
    def progress(self, t: int) -> float:
        """``r(t)`` from the knot at or before ``t``; after the end, ``r(L)`` (1 unless it ended at the edge)."""
        knots = self.ramp_knots
        start, value, slope = knots[max(bisect.bisect_right(knots, t, key=lambda k: int(k[0])) - 1, 0)]
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

    # -- the stateful part: one check per check_interval real optimizer steps ---------------------------------
    def step(self, epoch: int | None = None) -> None:
        if getattr(self, "_step_count", 0) > 0:  # not the initial step() made by LRScheduler.__init__
            self._observe(self.last_epoch + 1)
        super().step()

    def _observe(self, t: int) -> None:
        if self.warmup_end_step is not None:
            return
        if self.policy.reached_bound(t):
            self._end(self.max_warmup_steps, EndReason.BOUND)
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
        self.recent_statistics = [*self.recent_statistics, stat][-self.policy.patience:]
        progress = self.progress(t)
        decision = self.policy.decide(t, progress, stat, phi, self.recent_statistics, self.edge_streak,
                                      len(self.edge_restart_steps))
        self.edge_streak = decision.edge_streak
        if decision.restart_progress is not None:  # backed off at the edge: the ramp climbs again from there
            self.edge_restart_steps = [*self.edge_restart_steps, int(t)]
            self._add_knot(t, decision.restart_progress, decision.slope)
        elif decision.end is EndReason.EDGE and self.settings["after_edge"] == "hold":
            self._add_knot(t, progress, 0.0)  # the LR reached, held until the bound; the decay starts there
            self._end(self.max_warmup_steps, decision.end, progress)
        elif decision.end is not None:
            self._end(t, decision.end, progress)
        else:
            self._add_knot(t, progress, decision.slope)
        self._record(t, stat, phi)  # after the decision: ω(t) is the LR factor the check set (a restart lowers it)

    def _excess(self, window: Window) -> float:
        location = self.monitor.location
        old_steps = max(self.monitor.real_steps - self.check_interval, 1)
        n_eff = effective_samples(location.rule, beta2_hint(location), old_steps)
        value = excess(window, self.check_interval, n_eff)
        return float(value) if math.isfinite(value) else float("nan")

    def _add_knot(self, t: int, progress: float, slope: float) -> None:
        """Continue the ramp from ``(t, progress)`` with ``slope``: a new knot unless the line stays the same (it
        passes through ``progress`` at ``t`` and the slope is unchanged, or ``r`` is already 1 and will stay there,
        which only the end's knot records)."""
        last = self.ramp_knots[-1]
        on_line = self.progress(t) == progress
        if on_line and (last[2] == slope or (progress >= 1.0 and slope > 0)):
            return
        self.ramp_knots.append([int(t), progress, slope])
        if len(self.ramp_knots) > MAX_RAMP_KNOTS:
            self.ramp_knots = thin_knots(self.ramp_knots)
            self.ramp_thinned += 1

    def _record(self, t: int, stat: float, phi: float) -> None:
        """Keep ``[t, Ŝ, ω(t), φ]`` of every ``history_stride``-th check; halve the resolution when full."""
        self.checks_done += 1
        if self.checks_done % self.history_stride:
            return
        self.check_history.append([float(t), stat, self.warmup_factor(t), phi])
        if len(self.check_history) > MAX_HISTORY:
            self.check_history = self.check_history[1::2]
            self.history_stride *= 2

    def _end(self, end: int, reason: EndReason, progress: float = 1.0) -> None:
        self._add_knot(end, min(1.0, progress), 0.0)
        self.warmup_end_step = int(end)
        self.end_reason = reason
        self.statistic_at_end = self.last_statistic
        self.coherence_at_end = self.last_coherence
        self.monitor.close()  # nothing more to watch

    def describe_config(self) -> dict[str, Any]:
        """The resolved settings, with where the derived ones came from (for logs, reports and cards)."""
        current = {**self.settings, **asdict(self.policy), "check_interval": self.check_interval,
                   "sample_size": self.sample_size}
        return {
            "schedule": NAME,
            **{key: current[key] for key in ADAPTIVE_OPTIONS if key not in EPOCH_OPTIONS},
            "decay": self.decay.kind,
            "min_lr_ratio": self.decay.min_lr_ratio,
            "num_training_steps": self.num_training_steps,
            "optimizer_rule": self.monitor.location.rule,
            "beta2": beta2_hint(self.monitor.location),
            **self.provenance,
        }

    def result(self) -> WarmupResult:
        return WarmupResult(
            NAME, adaptive=True, config=self.describe_config(), warmup_end_step=self.warmup_end_step,
            end_reason=self.end_reason, checks=[Check(int(e[0]), *e[1:]) for e in self.check_history],
            statistic_at_end=self.statistic_at_end, coherence_at_end=self.coherence_at_end,
            peak_fraction=self.peak_fraction, lr_exact=not self.ramp_thinned,
            edge_restart_steps=list(self.edge_restart_steps),
        )

    # -- checkpoints ------------------------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        state = super()._extra_state()
        state["end_reason"] = None if self.end_reason is None else self.end_reason.value
        state["monitor"] = self.monitor.state_dict()
        return state

    def _load_extra_state(self, state_dict: dict[str, Any]) -> None:
        super()._load_extra_state(state_dict)
        if self.end_reason is not None:
            self.end_reason = EndReason(self.end_reason)
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
    """ω ramps toward 1 no faster than over min_warmup_steps and no slower than over max_warmup_steps, slower while
    Adam's second moments change faster than their EMA follows (|excess innovation| vs threshold); the decay starts
    once the second moments are stable at the peak LR, or earlier, from the LR reached, where the momentum shows the
    steps overshooting (coherence < coherence_threshold) while the second moments shrink (S < -shrink_threshold)

    ``adaptive_warmup`` with validated kwargs (:data:`ADAPTIVE_OPTIONS`); ``num_warmup_steps`` (HF's
    ``warmup_steps``), if > 0, is the bound ``M``: the warmup is never longer. So is ``warmup_epochs``, in epochs
    of the Trainer's optimizer steps (:mod:`hf_warmup.epochs`).
    """
    opts = parse_kwargs(NAME, kwargs, {**DECAY_OPTIONS, **ADAPTIVE_OPTIONS})
    warmup_steps, total = check_steps(NAME, num_warmup_steps, num_training_steps, opts["decay"],
                                      warmup_required=False)
    if opts["check_interval"] is not None:
        interval, interval_from = opts["check_interval"], "lr_scheduler_kwargs"
    else:
        interval, interval_from = default_check_interval(total)
    provenance: dict[str, Any] = {"check_interval_from": interval_from}
    max_warmup, min_warmup = opts["max_warmup_steps"], opts["min_warmup_steps"]
    # Every kwarg is checked before the monitor hooks into the optimizer: a refused config leaves no hook behind.
    epochs = resolve_warmup_epochs(NAME, opts, {"warmup_steps": warmup_steps,
                                                "lr_scheduler_kwargs['max_warmup_steps']": max_warmup})
    if min_warmup is not None and max_warmup is not None and min_warmup > max_warmup:
        raise ScheduleConfigError(
            f"{NAME}: lr_scheduler_kwargs['min_warmup_steps']={min_warmup} is not allowed; "
            f"expected an int <= max_warmup_steps={max_warmup}."
        )
    monitor = SecondMomentMonitor(optimizer, interval, opts["sample_size"])
    if epochs is not None:
        max_warmup, provenance["max_warmup_steps_from"] = epochs.steps, epochs.source
    elif max_warmup is None:
        max_warmup, source = default_max_warmup(warmup_steps, total, beta2_hint(monitor.location),
                                                opts["max_warmup_horizons"])
        # "num_warmup_steps" is made readable by the report (e.g. "warmup_steps=0.1 of 300")
        provenance["max_warmup_steps_from"] = "num_warmup_steps" if warmup_steps > 0 else source
    else:
        provenance["max_warmup_steps_from"] = "lr_scheduler_kwargs"
    requested, notes = max_warmup, []
    max_warmup = fitted_length(opts["decay"], total, requested)  # a warmup that does not fit is shortened
    if max_warmup != requested:
        notes.append(fit_note("max_warmup_steps", requested, max_warmup, total, opts["decay"]))
    if min_warmup is not None and min_warmup > max(max_warmup, 1):
        notes.append(f"min_warmup_steps={min_warmup} was lowered to max_warmup_steps={max(max_warmup, 1)}")
        min_warmup = max(max_warmup, 1)
    warn_once(NAME, notes, stacklevel=3)
    if min_warmup is None:
        min_warmup, min_from = default_min_warmup(max_warmup, beta2_hint(monitor.location),
                                                  opts["min_warmup_horizons"])
    else:
        min_from = "lr_scheduler_kwargs"
    provenance.update(
        requested_max_warmup_steps=requested,
        fitted_to_num_training_steps=max_warmup != requested,
        num_warmup_steps=warmup_steps,
        min_warmup_steps_from=min_from,
        **relevant_options(opts, DECAY_OPTIONS),
    )
    settings = {key: opts[key] for key in ADAPTIVE_OPTIONS if key != "max_warmup_steps"}
    settings.update(min_warmup_steps=min_warmup, check_interval=interval)
    return AdaptiveWarmupLR(optimizer, make_decay(opts), total, max_warmup, monitor=monitor, provenance=provenance,
                            **settings)
