"""``WarmupDecayLR``: the ``torch.optim.lr_scheduler.LRScheduler`` behind every fixed schedule.

For param group ``g`` with initial LR ``peak_g``, warmup factor ``ω_g`` (decay start ``L_g``) and decay ``d``::

    lr_g(t) = peak_g · ω_g(t) · d(t; L_g, T)

``t`` is the number of ``scheduler.step()`` calls so far (0 at construction), as in every torch scheduler.
The state is plain numbers and lists, so ``torch.load(..., weights_only=True)`` restores it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from .decays import Decay
from .epochs import WARMUP_EPOCHS

WarmupFn = Callable[[int], float]

#: Scheduler attributes that make up the state (all plain types).
_BASE_STATE_KEYS = ("last_epoch", "base_lrs", "_step_count", "_last_lr", "_is_initial")


class PlainStateLR(LRScheduler):
    """An ``LRScheduler`` whose ``state_dict`` keeps only plain, ``weights_only``-loadable values.

    Subclasses list further attributes in ``extra_state_keys`` and convert them in ``_extra_state``.
    """

    extra_state_keys: tuple[str, ...] = ()

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


class WarmupDecayLR(PlainStateLR):
    """``lr_g(t) = peak_g · ω_g(t) · d(t; L_g, T)`` with one pure warmup ``ω_g`` per param group."""

    def __init__(
        self,
        optimizer: Optimizer,
        warmups: Sequence[Any],
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

    def factor(self, t: int, group: int = 0) -> float:
        """``f_g(t) = ω_g(t) · d(t; L_g, T)``, the multiplier of the group's peak LR at step ``t``."""
        warmup = self.warmups[group]
        total = self.num_training_steps if self.num_training_steps is not None else 0
        return warmup(t) * self.decay(t, warmup.length, total)

    def get_lr(self) -> list[float]:
        t = max(self.last_epoch, 0)
        return [base * self.factor(t, g) for g, base in enumerate(self.base_lrs)]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    # A warmup length resolved from epochs (hf_warmup.epochs) is kept by a resumed run, whatever its steps per epoch.
    def _extra_state(self) -> dict[str, Any]:
        return {"config": self.config} if self.config.get(WARMUP_EPOCHS) is not None else {}

    def _load_extra_state(self, state_dict: dict[str, Any]) -> None:
        config = state_dict.get("config")
        if config is None:
            return
        self.config = dict(config)
        self.warmups = [w if w.length == n else w.shortened(n) for w, n in zip(self.warmups, config["warmup_length"])]
