"""The one seam to transformers: adds every hf_warmup schedule to its scheduler factory.

After :func:`register` (run by ``import hf_warmup``):

* ``transformers.trainer_utils.SchedulerType`` has a member per schedule name, so ``TrainingArguments``,
  ``HfArgumentParser`` (``--lr_scheduler_type NAME``) and ``SchedulerType(NAME)`` accept the names;
* ``transformers.optimization.TYPE_TO_SCHEDULER_FUNCTION`` maps each member to its builder, so
  ``get_scheduler(NAME, ...)`` and the ``Trainer`` build it with ``lr_scheduler_kwargs``;
* ``transformers.trainer.DEFAULT_CALLBACKS`` contains :class:`~hf_warmup.callback.WarmupDiagnosticsCallback`,
  which adds the adaptive warmup's diagnostics to the Trainer logs and does nothing for other schedules.

``HfArgumentParser`` reads the enum when the parser is built, so import hf_warmup before building it.
Registering twice is harmless. No other module of hf_warmup touches transformers' internals.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from .schedules import SCHEDULES


def _add_member(enum_cls: type[Enum], value: str) -> Enum:
    """Add ``value`` to a ``str`` Enum (idempotent); the member name is ``value.upper()``."""
    existing = enum_cls._value2member_map_.get(value)
    if existing is not None:
        return existing
    name = value.upper()
    member: Any = str.__new__(enum_cls, value)  # type: ignore[call-overload]
    member._name_ = name
    member._value_ = value
    member.__objclass__ = enum_cls
    if hasattr(enum_cls, "_add_member_"):  # Python >= 3.13
        enum_cls._add_member_(name, member)  # type: ignore[attr-defined]
    else:
        type.__setattr__(enum_cls, name, member)
        enum_cls._member_map_[name] = member
        enum_cls._member_names_.append(name)  # type: ignore[attr-defined]
    enum_cls._value2member_map_[value] = member
    return member


def register() -> list[str]:
    """Register every hf_warmup schedule with transformers; returns the registered names."""
    from transformers import optimization, trainer, trainer_utils

    from .callback import WarmupDiagnosticsCallback

    for name, spec in SCHEDULES.items():
        member = _add_member(trainer_utils.SchedulerType, name)
        optimization.TYPE_TO_SCHEDULER_FUNCTION[member] = spec.builder
    if WarmupDiagnosticsCallback not in trainer.DEFAULT_CALLBACKS:
        trainer.DEFAULT_CALLBACKS.append(WarmupDiagnosticsCallback)
    return list(SCHEDULES)


def is_registered(name: str) -> bool:
    from transformers import optimization, trainer_utils

    member = trainer_utils.SchedulerType._value2member_map_.get(name)
    return member is not None and member in optimization.TYPE_TO_SCHEDULER_FUNCTION
