"""The fixed schedules: ``WarmupDecayLR`` and one public builder per name.

For param group ``g`` with initial LR ``peak_g``, warmup factor ``ω_g`` (decay start ``L_g``) and decay ``d``
(:mod:`hf_warmup.decays`)::

    lr_g(t) = peak_g · ω_g(t) · d(t; L_g, T)

Every builder has transformers' scheduler-function signature ``fn(optimizer, num_warmup_steps=None,
num_training_steps=None, **lr_scheduler_kwargs)``, takes the decay kwargs (``decay``, ``min_lr_ratio``, ...) and
validates everything before returning, so bad input fails before the first step. A warmup that does not fit in
``T`` is shortened to ``T - 1`` with one :class:`~hf_warmup.base.WarmupFitWarning`. A schedule with a ``W``
(not derived from β2) also takes it in epochs, ``warmup_epochs`` (:mod:`hf_warmup.epochs`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from torch.optim import Optimizer

from .base import WarmupScheduler, check_steps, fit_note, fitted_length, warn_once
from .decays import Decay
from .epochs import EPOCH_OPTIONS, STEPS_PER_EPOCH, WARMUP_EPOCHS, resolve_warmup_epochs
from .options import (
    DECAY_OPTIONS,
    START_FACTOR,
    WARMUP_FACTOR,
    Option,
    ScheduleConfigError,
    make_decay,
    parse_kwargs,
    relevant_options,
)
from .result import EndReason, WarmupResult
from .warmups import ConstantWarmup, ExponentialWarmup, LinearWarmup, RAdamWarmup, Warmup, untuned_length


class WarmupDecayLR(WarmupScheduler):
    """``lr_g(t) = peak_g · ω_g(t) · d(t; L_g, T)`` with one pure warmup ``ω_g`` per param group."""

    def __init__(
        self,
        optimizer: Optimizer,
        warmups: Sequence[Warmup],
        decay: Decay,
        num_training_steps: int | None,
        name: str = "warmup",
        last_epoch: int = -1,
        config: dict[str, Any] | None = None,
    ) -> None:
        if len(warmups) != len(optimizer.param_groups):
            raise ValueError(f"{name}: got {len(warmups)} warmups for {len(optimizer.param_groups)} param groups")
        self.warmups = list(warmups)
        self.config = dict(config or {})
        self.decay = decay
        self.num_training_steps = num_training_steps
        self.name = name
        super().__init__(optimizer, last_epoch)

    def describe_config(self) -> dict[str, Any]:
        """The resolved kwargs: warmup length per group and where it came from, decay and its kwargs, ``T``."""
        return {"schedule": self.name, "warmup_length": [int(w.length) for w in self.warmups],
                "num_training_steps": self.num_training_steps, **self.config}

    # A warmup length resolved from epochs (hf_warmup.epochs) is kept by a resumed run, whatever its steps per epoch.
    def _extra_state(self) -> dict[str, Any]:
        return {"config": self.config} if self.config.get(WARMUP_EPOCHS) is not None else {}

    def _load_extra_state(self, state_dict: dict[str, Any]) -> None:
        config = state_dict.get("config")
        if config is None:
            return
        self.config = dict(config)
        self.warmups = [w if w.length == n else w.shortened(n) for w, n in zip(self.warmups, config["warmup_length"])]

    def result(self) -> WarmupResult:
        return WarmupResult(self.name, adaptive=False, config=self.describe_config(),
                            warmup_end_step=int(self.warmups[0].length), end_reason=EndReason.FIXED)

    def factor(self, t: int, group: int = 0) -> float:
        """``f_g(t) = ω_g(t) · d(t; L_g, T)``, the multiplier of the group's peak LR at step ``t``."""
        warmup = self.warmups[group]
        total = self.num_training_steps if self.num_training_steps is not None else 0
        return warmup(t) * self.decay(t, warmup.length, total)


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


MakeWarmups = Callable[[Optimizer, int, Mapping[str, Any]], list[Warmup]]


def _build(
    name: str,
    options: Mapping[str, Option],
    make_warmups: MakeWarmups,
    optimizer: Optimizer,
    num_warmup_steps: int | None,
    num_training_steps: int | None,
    kwargs: Mapping[str, Any],
    *,
    uses_beta2: bool,
) -> WarmupDecayLR:
    """A fixed schedule from ``make_warmups(optimizer, W, opts)`` (one warmup per param group).

    ``uses_beta2``: the warmup length comes from β2, ``num_warmup_steps`` is ignored (and may be None).
    """
    all_options = {**DECAY_OPTIONS, **options}
    opts = parse_kwargs(name, kwargs, all_options)
    epochs = resolve_warmup_epochs(name, opts, {"warmup_steps": num_warmup_steps})
    if epochs is not None:
        num_warmup_steps = epochs.steps
    warmup_steps, total = check_steps(name, num_warmup_steps, num_training_steps, opts["decay"],
                                      warmup_required=not uses_beta2)
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
    warn_once(name, notes, stacklevel=5)
    config = {
        "num_warmup_steps": warmup_steps,
        "warmup_length": fitted,
        "warmup_length_from": (
            [f"β2={b:g}: round(2/(1-β2))" for b in group_beta2(optimizer, name)] if uses_beta2
            else [epochs.source if epochs else "num_warmup_steps"] * len(fitted)
        ),
        "requested_warmup_length": requested,
        "fitted_to_num_training_steps": fitted != requested,
        "num_training_steps": total,
        **relevant_options(opts, all_options),
    }
    if epochs is not None:
        config[STEPS_PER_EPOCH] = epochs.steps_per_epoch
    return WarmupDecayLR(optimizer, warmups, make_decay(opts), total, name=name, config=config)


LINEAR_OPTIONS: dict[str, Option] = {"start_factor": START_FACTOR, **EPOCH_OPTIONS}
CONSTANT_OPTIONS: dict[str, Option] = {"warmup_factor": WARMUP_FACTOR, **EPOCH_OPTIONS}
EXPONENTIAL_OPTIONS: dict[str, Option] = dict(EPOCH_OPTIONS)


def get_linear_warmup_schedule(
    optimizer: Optimizer, num_warmup_steps: int | None = None, num_training_steps: int | None = None, **kwargs: Any
) -> WarmupDecayLR:
    """ω(t) = s + (1-s)·min(1, (t+1)/W), decay from W

    ``linear_warmup``: a linear ramp from ``s = start_factor`` (default 0) to 1 over ``W = num_warmup_steps``
    steps, then the decay from ``L = W``.
    """
    return _build("linear_warmup", LINEAR_OPTIONS,
                  lambda opt, w, o: [LinearWarmup(w, o["start_factor"]) for _ in opt.param_groups],
                  optimizer, num_warmup_steps, num_training_steps, kwargs, uses_beta2=False)


def get_constant_warmup_schedule(
    optimizer: Optimizer, num_warmup_steps: int | None = None, num_training_steps: int | None = None, **kwargs: Any
) -> WarmupDecayLR:
    """ω(t) = a for t < W, then 1 (a = warmup_factor), decay from W

    ``constant_warmup``: a very low LR (``a = warmup_factor`` × peak, default 0.1) for ``W = num_warmup_steps``
    steps, then the peak and the decay from ``L = W``.
    """
    return _build("constant_warmup", CONSTANT_OPTIONS,
                  lambda opt, w, o: [ConstantWarmup(w, o["warmup_factor"]) for _ in opt.param_groups],
                  optimizer, num_warmup_steps, num_training_steps, kwargs, uses_beta2=False)


def get_exponential_warmup_schedule(
    optimizer: Optimizer, num_warmup_steps: int | None = None, num_training_steps: int | None = None, **kwargs: Any
) -> WarmupDecayLR:
    """ω(t) = 1 - exp(-(t+1)/τ), τ = W/2, decay from W

    ``exponential_warmup``: an exponential approach to the peak with ``τ = W/2`` (the same total damping
    ``Σ(1 - ω)`` as a linear warmup of ``W = num_warmup_steps``); the decay starts at ``L = W``.
    """
    return _build("exponential_warmup", EXPONENTIAL_OPTIONS,
                  lambda opt, w, o: [ExponentialWarmup(w / 2.0, w) for _ in opt.param_groups],
                  optimizer, num_warmup_steps, num_training_steps, kwargs, uses_beta2=False)


def get_untuned_linear_warmup_schedule(
    optimizer: Optimizer, num_warmup_steps: int | None = None, num_training_steps: int | None = None, **kwargs: Any
) -> WarmupDecayLR:
    """ω(t) = min(1, (t+1)/W2), W2 = round(2/(1-β2)), decay from W2

    ``untuned_linear_warmup`` (Ma & Yarats 2019): a linear warmup over ``round(2 / (1 - β2))`` steps, per param
    group, from its ``betas``; ``num_warmup_steps`` is ignored.
    """
    def make(opt: Optimizer, w: int, o: Mapping[str, Any]) -> list[Warmup]:
        return [LinearWarmup(untuned_length(b)) for b in group_beta2(opt, "untuned_linear_warmup")]

    return _build("untuned_linear_warmup", {}, make, optimizer, num_warmup_steps, num_training_steps, kwargs,
                  uses_beta2=True)


def get_untuned_exponential_warmup_schedule(
    optimizer: Optimizer, num_warmup_steps: int | None = None, num_training_steps: int | None = None, **kwargs: Any
) -> WarmupDecayLR:
    """ω(t) = 1 - exp(-(1-β2)(t+1)), decay from round(2/(1-β2))

    ``untuned_exponential_warmup`` (Ma & Yarats 2019): an exponential warmup with time constant ``1 / (1 - β2)``,
    per param group; ``num_warmup_steps`` is ignored.
    """
    def make(opt: Optimizer, w: int, o: Mapping[str, Any]) -> list[Warmup]:
        return [ExponentialWarmup(1.0 / (1.0 - b), untuned_length(b))
                for b in group_beta2(opt, "untuned_exponential_warmup")]

    return _build("untuned_exponential_warmup", {}, make, optimizer, num_warmup_steps, num_training_steps, kwargs,
                  uses_beta2=True)


def get_radam_warmup_schedule(
    optimizer: Optimizer, num_warmup_steps: int | None = None, num_training_steps: int | None = None, **kwargs: Any
) -> WarmupDecayLR:
    """ω(t) = RAdam rectification r_{t+n0} (Liu et al. 2019), decay from round(2/(1-β2))

    ``radam_warmup``: RAdam's variance rectification term as an LR multiplier (needs β2 > 0.6); see
    :class:`hf_warmup.warmups.RAdamWarmup` for ``r_n`` and ``n0``. ``num_warmup_steps`` is ignored.
    """
    return _build("radam_warmup", {},
                  lambda opt, w, o: [RAdamWarmup(b) for b in group_beta2(opt, "radam_warmup", minimum=0.6)],
                  optimizer, num_warmup_steps, num_training_steps, kwargs, uses_beta2=True)
