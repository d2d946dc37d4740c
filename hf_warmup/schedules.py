"""The named schedules: one table, one builder per name, composed the same way for every warmup.

Each builder has transformers' scheduler-function signature
``fn(optimizer, num_warmup_steps=None, num_training_steps=None, **lr_scheduler_kwargs)`` and validates
everything before returning, so bad input fails before the first step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from .decays import DECAYS_NEEDING_ROOM, Decay
from .options import DECAY_OPTIONS, START_FACTOR, WARMUP_FACTOR, Option, ScheduleConfigError, parse_kwargs
from .scheduler import WarmupDecayLR
from .warmups import ConstantWarmup, ExponentialWarmup, LinearWarmup, RAdamWarmup, untuned_length


def group_beta2(optimizer: Optimizer, schedule: str, minimum: float = 0.0) -> list[float]:
    """β2 of every param group, read from ``betas``; a clear error for optimizers without it (e.g. SGD)."""
    out = []
    for i, group in enumerate(optimizer.param_groups):
        betas = group.get("betas")
        if betas is None or len(betas) < 2:
            raise ScheduleConfigError(
                f"{schedule} derives its warmup length from Adam's β2, but param group {i} of "
                f"{type(optimizer).__name__} has no 'betas'. Use a fixed warmup instead, e.g. "
                f"lr_scheduler_type='linear_warmup' with num_warmup_steps > 0."
            )
        beta2 = float(betas[1])
        if not minimum < beta2 < 1.0:
            raise ScheduleConfigError(
                f"{schedule}: param group {i} has betas[1]={beta2!r}; this schedule needs {minimum} < β2 < 1."
            )
        out.append(beta2)
    return out


def check_steps(
    schedule: str, num_warmup_steps: Any, num_training_steps: Any, decay: str, required_warmup: bool
) -> tuple[int, int | None]:
    """Validate ``num_warmup_steps`` (int >= 0) and ``num_training_steps`` (int >= 1, or None if unused)."""

    def as_int(label: str, value: Any, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < minimum:
            raise ScheduleConfigError(f"{schedule}: {label}={value!r} is not allowed; expected an int >= {minimum}.")
        return int(value)

    if num_warmup_steps is None:
        if required_warmup:
            raise ScheduleConfigError(f"{schedule}: num_warmup_steps=None is not allowed; expected an int >= 0.")
        warmup = 0
    else:
        warmup = as_int("num_warmup_steps", num_warmup_steps, 0)
    if num_training_steps is None:
        if decay in DECAYS_NEEDING_ROOM:
            raise ScheduleConfigError(
                f"{schedule}: num_training_steps=None is not allowed with decay={decay!r}; expected an int >= 1."
            )
        return warmup, None
    return warmup, as_int("num_training_steps", num_training_steps, 1)


class WarmupFitWarning(UserWarning):
    """A warmup shortened to fit ``num_training_steps``: the run goes on, as with transformers' ``linear``."""


def fitted_length(decay: str, total: int | None, length: int) -> int:
    """The decay start to use: ``length``, or ``T - 1`` when ``decay`` needs room (``T > L``) and ``L >= T``.

    transformers' ``linear`` runs with any warmup and any ``T >= 1`` (its ramp simply never ends when
    ``W >= T``). hf_warmup's decays run from ``L`` to ``T`` and need ``T > L``, so a warmup that does not fit
    is shortened to the longest one that does, ``T - 1`` (``0``: no warmup when ``T = 1``).
    """
    if total is None or decay not in DECAYS_NEEDING_ROOM or length < total:
        return length
    return max(total - 1, 0)


def fit_note(what: str, requested: int, fitted: int, total: int | None, decay: str) -> str:
    """The sentence of the fit warning for one length."""
    return (f"{what}={requested} does not fit in num_training_steps={total} (decay={decay!r} needs at least one "
            f"step after the warmup), so the warmup was shortened to {fitted} step{'s' if fitted != 1 else ''}")


def warn_once(schedule: str, notes: Sequence[str], stacklevel: int = 4) -> None:
    """One :class:`WarmupFitWarning` for everything a builder adjusted (nothing when ``notes`` is empty)."""
    if notes:
        warnings.warn(f"{schedule}: " + "; ".join(notes) + ".", WarmupFitWarning, stacklevel=stacklevel)


def relevant_options(opts: Mapping[str, Any], options: Mapping[str, Option]) -> dict[str, Any]:
    """The resolved kwargs that apply (decay-specific ones only for their decay)."""
    decay = opts.get("decay")
    return {k: v for k, v in opts.items()
            if k in options and (not options[k].applies_to_decay or decay in options[k].applies_to_decay)}


def make_decay(opts: Mapping[str, Any]) -> Decay:
    return Decay(
        kind=opts["decay"],
        min_lr_ratio=opts["min_lr_ratio"],
        num_cycles=opts["num_cycles"],
        timescale=opts["timescale"],
        power=opts["power"],
        decay_ratio=opts["decay_ratio"],
        decay_shape=opts["decay_shape"],
    )


@dataclass(frozen=True)
class ScheduleSpec:
    """A registered schedule: its name, one-line formula, extra kwargs and builder."""

    name: str
    formula: str
    options: Mapping[str, Option]
    builder: Callable[..., LRScheduler]
    uses_beta2: bool = False  # the warmup length comes from β2; num_warmup_steps is ignored

    @property
    def all_options(self) -> dict[str, Option]:
        return {**DECAY_OPTIONS, **self.options}


SCHEDULES: dict[str, ScheduleSpec] = {}


def _fixed(
    name: str, formula: str, options: Mapping[str, Option], warmup_needed: bool, uses_beta2: bool
) -> Callable[[Callable[..., list[Any]]], Callable[..., LRScheduler]]:
    """Register a fixed schedule whose ``make_warmups(optimizer, W, opts)`` returns one warmup per group."""

    def wrap(make_warmups: Callable[..., list[Any]]) -> Callable[..., LRScheduler]:
        def build(
            optimizer: Optimizer,
            num_warmup_steps: int | None = None,
            num_training_steps: int | None = None,
            **kwargs: Any,
        ) -> WarmupDecayLR:
            opts = parse_kwargs(name, kwargs, {**DECAY_OPTIONS, **options})
            warmup_steps, total = check_steps(name, num_warmup_steps, num_training_steps, opts["decay"], warmup_needed)
            notes = []
            if uses_beta2 and warmup_steps > 0:
                notes.append(f"it derives its warmup length from β2 and ignores num_warmup_steps={warmup_steps}")
            warmups = make_warmups(optimizer, warmup_steps, opts)
            requested = [int(w.length) for w in warmups]
            fitted = [fitted_length(opts["decay"], total, n) for n in requested]
            what = "the β2-derived warmup length L" if uses_beta2 else "num_warmup_steps"
            for req, fit in sorted({(r, f) for r, f in zip(requested, fitted) if r != f}):
                notes.append(fit_note(what, req, fit, total, opts["decay"]))
            warmups = [w if f == r else w.shortened(f) for w, r, f in zip(warmups, requested, fitted)]
            warn_once(name, notes)
            config = {
                "num_warmup_steps": warmup_steps,
                "warmup_length": fitted,
                "warmup_length_from": (
                    [f"β2={b:g}: round(2/(1-β2))" for b in group_beta2(optimizer, name)] if uses_beta2
                    else ["num_warmup_steps"] * len(fitted)
                ),
                "requested_warmup_length": requested,
                "fitted_to_num_training_steps": fitted != requested,
                "num_training_steps": total,
                **relevant_options(opts, {**DECAY_OPTIONS, **options}),
            }
            return WarmupDecayLR(optimizer, warmups, make_decay(opts), total, name=name, config=config)

        build.__name__ = f"get_{name}_schedule"
        build.__doc__ = f"``{name}``: {formula}\n\n{make_warmups.__doc__ or ''}"
        SCHEDULES[name] = ScheduleSpec(name, formula, options, build, uses_beta2)
        return build

    return wrap


@_fixed("linear_warmup", "ω(t) = s + (1-s)·min(1, (t+1)/W), decay from W", {"start_factor": START_FACTOR}, True, False)
def _linear(optimizer: Optimizer, w: int, opts: Mapping[str, Any]) -> list[Any]:
    """Linear ramp from ``start_factor`` to 1 over ``W = num_warmup_steps`` steps."""
    return [LinearWarmup(w, opts["start_factor"]) for _ in optimizer.param_groups]


@_fixed("constant_warmup", "ω(t) = a for t < W, then 1 (a = warmup_factor), decay from W",
        {"warmup_factor": WARMUP_FACTOR}, True, False)
def _constant(optimizer: Optimizer, w: int, opts: Mapping[str, Any]) -> list[Any]:
    """A very low LR (``warmup_factor`` × peak) for ``W`` steps, then the peak."""
    return [ConstantWarmup(w, opts["warmup_factor"]) for _ in optimizer.param_groups]


@_fixed("exponential_warmup", "ω(t) = 1 - exp(-(t+1)/τ), τ = W/2, decay from W", {}, True, False)
def _exponential(optimizer: Optimizer, w: int, opts: Mapping[str, Any]) -> list[Any]:
    """Exponential approach to the peak with ``τ = W/2`` (same total damping as a linear warmup of ``W``)."""
    return [ExponentialWarmup(w / 2.0, w) for _ in optimizer.param_groups]


@_fixed("untuned_linear_warmup", "ω(t) = min(1, (t+1)/W2), W2 = round(2/(1-β2)), decay from W2", {}, False, True)
def _untuned_linear(optimizer: Optimizer, w: int, opts: Mapping[str, Any]) -> list[Any]:
    """Ma & Yarats (2019): linear warmup over ``round(2 / (1 - β2))`` steps, per param group."""
    return [LinearWarmup(untuned_length(b)) for b in group_beta2(optimizer, "untuned_linear_warmup")]


@_fixed("untuned_exponential_warmup", "ω(t) = 1 - exp(-(1-β2)(t+1)), decay from round(2/(1-β2))", {}, False, True)
def _untuned_exponential(optimizer: Optimizer, w: int, opts: Mapping[str, Any]) -> list[Any]:
    """Ma & Yarats (2019): exponential warmup with time constant ``1 / (1 - β2)``, per param group."""
    return [
        ExponentialWarmup(1.0 / (1.0 - b), untuned_length(b))
        for b in group_beta2(optimizer, "untuned_exponential_warmup")
    ]


@_fixed("radam_warmup", "ω(t) = RAdam rectification r_{t+n0} (Liu et al. 2019), decay from round(2/(1-β2))",
        {}, False, True)
def _radam(optimizer: Optimizer, w: int, opts: Mapping[str, Any]) -> list[Any]:
    """RAdam's variance rectification term as an LR multiplier; see :class:`hf_warmup.warmups.RAdamWarmup`."""
    return [RAdamWarmup(b) for b in group_beta2(optimizer, "radam_warmup", minimum=0.6)]


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
