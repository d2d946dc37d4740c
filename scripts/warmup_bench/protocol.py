"""The contract between the benchmark runner and its tasks: arms, how each arm's scheduler is requested, tasks.

Every task module in :mod:`warmup_bench.tasks` is a :class:`Task` (``tasks.TASKS`` is typed so, and a type
checker holds each module to it); most get ``config`` and ``lrs`` from a :class:`Sizes`.

Every scheduler is built through the public API after ``import hf_warmup``::

    transformers.get_scheduler(name, optimizer, num_warmup_steps=W, num_training_steps=T,
                               scheduler_specific_kwargs=kwargs)

(or, for the Trainer task, ``TrainingArguments(lr_scheduler_type=name, warmup_steps=W,
lr_scheduler_kwargs=kwargs)``), so whatever ``adaptive_warmup`` does in the installed ``hf_warmup`` is what is
measured. The adaptive scheduler is read as a black box through :func:`scheduler_info`.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Mode = Literal["smoke", "quick", "full"]
MODES: tuple[Mode, ...] = ("smoke", "quick", "full")

#: Arm kinds, in report order.
KINDS: tuple[str, ...] = (
    "linear_warmup",  # the oracle grid (W = 0 is the no_warmup arm)
    "hf_linear",
    "untuned_linear_warmup",
    "untuned_exponential_warmup",
    "radam_warmup",
    "autowu",
    "adaptive_warmup",
)
#: Arm kinds that decide their own warmup length (their end steps are reported).
ADAPTIVE_KINDS: tuple[str, ...] = ("adaptive_warmup", "autowu")
UNTUNED: tuple[str, ...] = ("untuned_linear_warmup", "untuned_exponential_warmup", "radam_warmup")
#: HF ``linear``: warmup over this fraction of T, then its own linear decay to 0 (not the task's decay).
HF_LINEAR_FRACTION = 0.1


@dataclass(frozen=True)
class Arm:
    """One row of the tables: a schedule and how to request it.

    ``fraction``: ``linear_warmup``'s ``W / T``. ``in_grid``: the row takes part in the oracle.
    ``kwargs``: extra ``scheduler_specific_kwargs`` for ``adaptive_warmup`` (replacing nothing of the task's
    decay kwargs, which are always passed) or the AutoWU options.
    """

    label: str
    kind: str
    fraction: float | None = None
    in_grid: bool = False
    kwargs: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def kwargs_dict(self) -> dict[str, Any]:
        return dict(self.kwargs)

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "fraction": self.fraction, "in_grid": self.in_grid,
                "kwargs": self.kwargs_dict}


class Task(Protocol):
    """A benchmark task: one module of :mod:`warmup_bench.tasks`.

    ``VERSION`` is bumped when the task's training changes, so that old results turn stale. ``config(mode)``
    holds ``T`` (optimizer steps), ``beta2`` and ``decay`` (the kwargs of the task's decay, e.g.
    ``{"decay": "cosine", "min_lr_ratio": 0.1}``); ``describe(cfg)`` is one line for the reports; ``run`` is one
    training run and returns a record made by :func:`warmup_bench.results.make_record`.
    """

    NAME: str
    VERSION: int

    def config(self, mode: str) -> dict[str, Any]: ...

    def lrs(self, mode: str) -> list[float]: ...

    def describe(self, cfg: dict[str, Any]) -> str: ...

    def run(self, arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]: ...


@dataclass(frozen=True)
class Sizes:
    """A task's ``config(mode)`` (``base`` updated by ``modes.get(mode)``) and ``lrs(mode)`` (the sweep's peak
    LRs), for ``mode`` in :data:`MODES`."""

    base: dict[str, Any]
    modes: dict[str, dict[str, Any]]
    peak_lrs: dict[str, list[float]]

    def config(self, mode: str) -> dict[str, Any]:
        _check_mode(mode)
        return copy.deepcopy({**self.base, **self.modes.get(mode, {})})

    def lrs(self, mode: str) -> list[float]:
        _check_mode(mode)
        return list(self.peak_lrs[mode])


def at_length(config: Callable[[str], dict[str, Any]], times: int = 1, per: int = 1) -> Callable[[str], dict[str, Any]]:
    """Another task's ``config`` at ``times / per`` · T, for a pair of the same task at two lengths (check (e)).
    Smoke mode keeps its T: a code check in seconds."""

    def scaled(mode: str) -> dict[str, Any]:
        cfg = config(mode)
        return cfg if mode == "smoke" else {**cfg, "T": cfg["T"] * times // per}

    return scaled


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}; expected one of {', '.join(MODES)}")


def grid_label(fraction: float) -> str:
    return "no_warmup" if fraction == 0 else f"linear_warmup(W={100 * fraction:g}%)"


def adaptive_label(kwargs: dict[str, Any], default: bool) -> str:
    if default:
        return "adaptive_warmup"
    return "adaptive(" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(kwargs.items())) + ")"


def warmup_steps_for(fraction: float, total: int) -> int:
    """``W = round(fraction · T)``."""
    return int(round(fraction * total))


def hf_linear_steps(total: int) -> int:
    """HF ``linear`` with 10 % warmup: ``int(0.1 · T)`` steps."""
    return int(HF_LINEAR_FRACTION * total)


def untuned_steps(beta2: float) -> int:
    from hf_warmup.warmups import untuned_length

    return int(untuned_length(beta2))


def not_applicable(arm: Arm, total: int, beta2: float) -> str | None:
    """Why ``arm`` cannot run in a task with ``T`` steps and ``β2`` (its warmup does not fit), else None."""
    if arm.kind in UNTUNED:
        length = untuned_steps(beta2)
        if length >= total:
            return f"2/(1-β2) = {length} steps >= T = {total}"
    return None


@dataclass(frozen=True)
class SchedulerRequest:
    """What to pass to ``get_scheduler`` (or the Trainer) for one arm."""

    name: str
    num_warmup_steps: int
    kwargs: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "num_warmup_steps": self.num_warmup_steps, "kwargs": self.kwargs}


def scheduler_request(arm: Arm, total: int, decay: dict[str, Any]) -> SchedulerRequest:
    """Resolve ``arm`` into a scheduler name, ``num_warmup_steps`` and ``scheduler_specific_kwargs``.

    The task's ``decay`` kwargs go to every hf_warmup schedule; HF ``linear`` keeps its own linear decay to 0.
    ``autowu`` is not a registered schedule: its request names ``"autowu"`` and carries its options.
    """
    if arm.kind == "linear_warmup":
        assert arm.fraction is not None
        return SchedulerRequest("linear_warmup", warmup_steps_for(arm.fraction, total), dict(decay))
    if arm.kind == "hf_linear":
        return SchedulerRequest("linear", hf_linear_steps(total), {})
    if arm.kind in UNTUNED:
        return SchedulerRequest(arm.kind, 0, dict(decay))
    if arm.kind == "adaptive_warmup":
        return SchedulerRequest("adaptive_warmup", 0, {**decay, **arm.kwargs_dict})
    if arm.kind == "autowu":
        return SchedulerRequest("autowu", 0, {**arm.kwargs_dict, "decay": dict(decay)})
    raise ValueError(f"unknown arm kind {arm.kind!r}; expected one of {KINDS}")


def build_scheduler(request: SchedulerRequest, optimizer: Any, total: int) -> Any:
    """Build the scheduler for a plain training loop, through ``transformers.get_scheduler``."""
    import transformers

    import hf_warmup  # noqa: F401  (registers the schedules)

    if request.name == "autowu":
        from .autowu import AutoWULR

        opts = dict(request.kwargs)
        return AutoWULR(optimizer, total, decay=opts.pop("decay"), **opts)
    return transformers.get_scheduler(
        request.name, optimizer, num_warmup_steps=request.num_warmup_steps, num_training_steps=total,
        scheduler_specific_kwargs=request.kwargs or None,
    )


def scheduler_info(scheduler: Any, request: SchedulerRequest, beta2: float) -> dict[str, Any]:
    """Warmup length used: read from the scheduler where it decides (adaptive, AutoWU), else from the request.

    Attributes are read with ``getattr`` defaults: the adaptive scheduler is a black box whose attributes may
    change; anything JSON-unfriendly is turned into a string.
    """
    def plain(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else str(v)
        try:
            return float(v)
        except (TypeError, ValueError):
            return str(v)

    name = request.name
    if name in ("adaptive_warmup", "autowu"):
        info = {
            "warmup_end_step": plain(getattr(scheduler, "warmup_end_step", None)),
            "end_reason": plain(getattr(scheduler, "end_reason", None)),
            "last_statistic": plain(getattr(scheduler, "last_statistic", None)),
            "max_warmup_steps": plain(getattr(scheduler, "max_warmup_steps", None)),
            "peak_fraction": plain(getattr(scheduler, "peak_fraction", None)),
        }
        if name == "autowu":
            info["lr_after_switch"] = plain(getattr(scheduler, "lr_after_switch", None))
        info["warmup_steps"] = info["warmup_end_step"]
        return info
    if name in UNTUNED:
        return {"warmup_steps": untuned_steps(beta2)}
    return {"warmup_steps": request.num_warmup_steps}
