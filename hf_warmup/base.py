"""What every hf_warmup schedule shares: the scheduler base class and the checks of the step arguments.

* :class:`WarmupScheduler`: an ``LRScheduler`` with ``lr_g(t) = peak_g · factor(t, g)``, whose ``state_dict``
  holds plain, ``weights_only``-loadable values, and which describes itself (``describe_config``, ``result``);
* :func:`check_steps`: ``num_warmup_steps`` and ``num_training_steps``;
* :func:`fitted_length`: a warmup that does not fit in ``T`` is shortened, with one :class:`WarmupFitWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from torch import Tensor
from torch.optim.lr_scheduler import LRScheduler

from .decays import DECAYS_NEEDING_ROOM
from .options import ScheduleConfigError
from .result import WarmupResult

#: Scheduler attributes that make up the state (all plain types).
_BASE_STATE_KEYS = ("last_epoch", "base_lrs", "_step_count", "_last_lr", "_is_initial")


class WarmupScheduler(LRScheduler):
    """The base of every hf_warmup scheduler: ``lr_g(t) = peak_g · factor(t, g)``, ``t`` the number of
    ``scheduler.step()`` calls so far (0 at construction), as in every torch scheduler.

    Subclasses give :meth:`factor`, :meth:`describe_config` and :meth:`result`, and list further state
    attributes in ``extra_state_keys`` (converted to plain values in ``_extra_state``).
    """

    extra_state_keys: tuple[str, ...] = ()
    name: str

    def factor(self, t: int, group: int = 0) -> float:
        """The multiplier of the group's peak LR at step ``t``."""
        raise NotImplementedError

    def describe_config(self) -> dict[str, Any]:
        """The resolved kwargs, with where the derived ones came from."""
        raise NotImplementedError

    def result(self) -> WarmupResult:
        """What the report shows of the warmup so far."""
        raise NotImplementedError

    def get_lr(self) -> list[float | Tensor]:
        t = max(self.last_epoch, 0)
        return [base * self.factor(t, g) for g, base in enumerate(self.base_lrs)]

    def _get_closed_form_lr(self) -> list[float | Tensor]:
        return self.get_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {k: getattr(self, k) for k in _BASE_STATE_KEYS if hasattr(self, k)}
        state["base_lrs"] = [float(x) for x in self.base_lrs]
        state["_last_lr"] = [float(x) for x in getattr(self, "_last_lr", [])]
        state.update(self._extra_state())
        return state

    def _extra_state(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.extra_state_keys}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for key in _BASE_STATE_KEYS:
            if key in state_dict:
                setattr(self, key, state_dict[key])
        self._load_extra_state(state_dict)

    def _load_extra_state(self, state_dict: dict[str, Any]) -> None:
        for key in self.extra_state_keys:
            if key in state_dict:
                setattr(self, key, state_dict[key])


def check_steps(
    schedule: str, num_warmup_steps: Any, num_training_steps: Any, decay: str, *, warmup_required: bool
) -> tuple[int, int | None]:
    """Validate ``num_warmup_steps`` (int >= 0; None only when not ``warmup_required``) and
    ``num_training_steps`` (int >= 1, or None when ``decay`` does not need it)."""

    def as_int(label: str, value: Any, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < minimum:
            raise ScheduleConfigError(f"{schedule}: {label}={value!r} is not allowed; expected an int >= {minimum}.")
        return int(value)

    if num_warmup_steps is None:
        if warmup_required:
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
