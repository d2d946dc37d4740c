"""The one seam to transformers: adds every hf_warmup schedule to its scheduler factory.

After :func:`register` (run by ``import hf_warmup``):

* ``transformers.trainer_utils.SchedulerType`` has a member per schedule name, so ``TrainingArguments``,
  ``HfArgumentParser`` (``--lr_scheduler_type NAME``) and ``SchedulerType(NAME)`` accept the names;
* ``transformers.optimization.TYPE_TO_SCHEDULER_FUNCTION`` maps each member to its builder, so
  ``get_scheduler(NAME, ...)`` and the ``Trainer`` build it with ``lr_scheduler_kwargs``;
* ``transformers.trainer.DEFAULT_CALLBACKS`` contains :class:`~hf_warmup.callback.WarmupDiagnosticsCallback`:
  the start line, the adaptive warmup's diagnostics in the logs, ``warmup.json``/``warmup.png`` at the end;
* ``Trainer.set_initial_training_values`` and ``Trainer.create_scheduler`` are wrapped: the Trainer's own optimizer
  steps per epoch reach the schedule builders, for ``lr_scheduler_kwargs={"warmup_epochs": N}``
  (:mod:`hf_warmup.epochs`);
* ``Trainer.create_model_card`` (and so ``push_to_hub``) is wrapped: after the Trainer has written its card,
  :func:`hf_warmup.card.update_trainer_card` adds the "Warmup" section to it (once, however often it runs).

``HfArgumentParser`` reads the enum when the parser is built, so import hf_warmup before building it.
Registering twice is harmless. No other module of hf_warmup touches transformers' internals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import Enum
from typing import Any, cast

from .epochs import NO_LENGTH, NOT_MEASURED, TrainerCount, trainer_steps_per_epoch
from .schedules import SCHEDULES

#: The Trainer attribute holding its optimizer steps per epoch (a :class:`~hf_warmup.epochs.TrainerCount`).
STEPS_PER_EPOCH_ATTR = "_hf_warmup_steps_per_epoch"


def _add_member(enum_cls: type[Enum], value: str) -> Enum:
    """Add ``value`` to a ``str`` Enum (idempotent); the member name is ``value.upper()``."""
    existing = enum_cls._value2member_map_.get(value)
    if existing is not None:
        return existing
    name = value.upper()
    member: Any = str.__new__(cast(Any, enum_cls), value)
    member._name_ = name
    member._value_ = value
    member.__objclass__ = enum_cls
    add_member = getattr(enum_cls, "_add_member_", None)  # Python >= 3.13
    if add_member is not None:
        add_member(name, member)
    else:
        type.__setattr__(enum_cls, name, member)
        enum_cls._member_map_[name] = member
        enum_cls._member_names_.append(name)
    enum_cls._value2member_map_[value] = member
    return member


def register() -> list[str]:
    """Register every hf_warmup schedule with transformers; returns the registered names."""
    from transformers import optimization, trainer, trainer_utils

    from .callback import WarmupDiagnosticsCallback

    for name, spec in SCHEDULES.items():
        member = _add_member(trainer_utils.SchedulerType, name)
        optimization.TYPE_TO_SCHEDULER_FUNCTION[cast(Any, member)] = spec.builder
    if WarmupDiagnosticsCallback not in trainer.DEFAULT_CALLBACKS:
        cast(list[Any], trainer.DEFAULT_CALLBACKS).append(WarmupDiagnosticsCallback)
    _wrap_create_model_card(trainer.Trainer)
    _wrap_epoch_count(trainer.Trainer)
    return list(SCHEDULES)


Method = Callable[..., Any]


def _wrap_method(cls: type, name: str, make: Callable[[Method], Method]) -> None:
    """Replace ``cls.name`` by ``make(original)`` unless it is already wrapped (or ``cls`` has no such method)."""
    original = getattr(cls, name, None)
    if original is None or getattr(original, "_hf_warmup_wrapped", False):
        return
    wrapper = functools.wraps(original)(make(original))
    wrapper._hf_warmup_wrapped = True  # type: ignore[attr-defined]
    setattr(cls, name, wrapper)


def _wrap_epoch_count(trainer_cls: type) -> None:
    """The Trainer's ``num_update_steps_per_epoch`` (after gradient accumulation, per process), recorded when
    ``set_initial_training_values`` measures the train dataloader, is in force while ``create_scheduler`` builds
    the scheduler (before the first step), for ``warmup_epochs``."""
    from transformers.trainer_utils import has_length

    def make_measure(measure: Method) -> Method:
        def set_initial_training_values(self: Any, *args: Any, **kwargs: Any) -> Any:
            values = measure(self, *args, **kwargs)
            dataloader = kwargs.get("dataloader", args[1] if len(args) > 1 else None)
            # values[1] is num_update_steps_per_epoch (transformers 4.51 to 5.x); max_steps when there is no length
            count = TrainerCount(int(values[1])) if has_length(dataloader) else TrainerCount(None, NO_LENGTH)
            setattr(self, STEPS_PER_EPOCH_ATTR, count)
            return values

        return set_initial_training_values

    def make_create(create: Method) -> Method:
        def create_scheduler(self: Any, *args: Any, **kwargs: Any) -> Any:
            with trainer_steps_per_epoch(getattr(self, STEPS_PER_EPOCH_ATTR, TrainerCount(None, NOT_MEASURED))):
                return create(self, *args, **kwargs)

        return create_scheduler

    _wrap_method(trainer_cls, "set_initial_training_values", make_measure)
    _wrap_method(trainer_cls, "create_scheduler", make_create)


def _wrap_create_model_card(trainer_cls: type) -> None:
    """Make ``trainer_cls.create_model_card`` add the warmup section after writing the card (idempotent)."""

    def make(original: Method) -> Method:
        def create_model_card(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            try:
                from .card import update_trainer_card

                update_trainer_card(self)
            except Exception as err:  # noqa: BLE001 - the Trainer's own card is never lost to ours
                from transformers.utils import logging

                logging.get_logger("transformers.hf_warmup").warning(
                    f"hf_warmup: could not add the warmup section to the model card ({type(err).__name__}: {err})")
            return result

        return create_model_card

    _wrap_method(trainer_cls, "create_model_card", make)


def is_registered(name: str) -> bool:
    from transformers import optimization, trainer_utils

    member = trainer_utils.SchedulerType._value2member_map_.get(name)
    return member is not None and member in optimization.TYPE_TO_SCHEDULER_FUNCTION
