"""Warmup lengths in epochs: ``lr_scheduler_kwargs={"warmup_epochs": 1}``, resolved to optimizer steps.

The steps per epoch are the Trainer's own count (``num_update_steps_per_epoch``: after gradient accumulation, per
process under Accelerate). :mod:`hf_warmup.registry` records it when the Trainer measures its train dataloader
and hands it to the schedule builders while the Trainer builds the scheduler (:func:`trainer_steps_per_epoch`),
so the length is known before the first step and every step's LR follows it. Outside the Trainer, or with a train
dataloader without a length, ``lr_scheduler_kwargs['steps_per_epoch']`` gives the count; without it the builder
raises, naming both ways out.

``W = ceil(warmup_epochs · steps_per_epoch)`` (at least 1), rounded up like transformers' ``warmup_ratio``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from .options import Option, ScheduleConfigError

WARMUP_EPOCHS = "warmup_epochs"
STEPS_PER_EPOCH = "steps_per_epoch"

EPOCH_OPTIONS: dict[str, Option] = {
    WARMUP_EPOCHS: Option("float", None, "a float > 0 (epochs of optimizer steps; fractions allowed)",
                          lambda v: v > 0),
    STEPS_PER_EPOCH: Option("int", None, "an int >= 1 (optimizer steps per epoch, after gradient accumulation, "
                            "per process)", lambda v: v >= 1),
}

OUTSIDE_TRAINER = "the scheduler was not built by the Trainer's train() (e.g. transformers.get_scheduler in a loop)"
NO_LENGTH = "the Trainer's train dataloader has no length (e.g. an IterableDataset without __len__)"
NOT_MEASURED = "the Trainer had not measured its train dataloader yet (create_scheduler() called before train())"


@dataclass(frozen=True)
class TrainerCount:
    """The Trainer's optimizer steps per epoch, or why it has none."""

    steps_per_epoch: int | None
    why_unknown: str = ""


_TRAINER_COUNT: ContextVar[TrainerCount | None] = ContextVar("hf_warmup_trainer_steps_per_epoch", default=None)


@contextmanager
def trainer_steps_per_epoch(count: TrainerCount) -> Iterator[None]:
    """While the Trainer builds its scheduler, ``count`` is the steps per epoch the builders use."""
    token = _TRAINER_COUNT.set(count)
    try:
        yield
    finally:
        _TRAINER_COUNT.reset(token)


@dataclass(frozen=True)
class EpochLength:
    """A warmup length resolved from epochs and the text saying where it came from."""

    steps: int
    steps_per_epoch: int
    source: str  # e.g. "warmup_epochs=1 × 125 steps per epoch"


def resolve_warmup_epochs(
    schedule: str, opts: Mapping[str, Any], competing: Mapping[str, Any]
) -> EpochLength | None:
    """``warmup_epochs`` of the parsed ``opts`` in optimizer steps, or None when it is not given.

    ``competing``: the other settings of the same length (e.g. ``{"warmup_steps": 30}``); one that is set
    together with ``warmup_epochs`` is an error naming both.
    """
    epochs, given = opts.get(WARMUP_EPOCHS), opts.get(STEPS_PER_EPOCH)
    if epochs is None:
        if given is not None:
            raise ScheduleConfigError(
                f"{schedule}: lr_scheduler_kwargs[{STEPS_PER_EPOCH!r}]={given!r} applies only with "
                f"{WARMUP_EPOCHS!r}; give lr_scheduler_kwargs[{WARMUP_EPOCHS!r}] too, or leave it out."
            )
        return None
    for name, value in competing.items():
        if value:
            raise ScheduleConfigError(
                f"{schedule}: {name}={value!r} and lr_scheduler_kwargs[{WARMUP_EPOCHS!r}]={epochs:g} both set the "
                "warmup length; give only one of them."
            )
    if given is not None:
        per_epoch, where = given, f"{STEPS_PER_EPOCH}={given}"
    else:
        count = _TRAINER_COUNT.get()
        why = OUTSIDE_TRAINER if count is None else count.why_unknown
        if count is None or count.steps_per_epoch is None:
            raise ScheduleConfigError(
                f"{schedule}: lr_scheduler_kwargs[{WARMUP_EPOCHS!r}]={epochs:g} needs the number of optimizer steps "
                f"per epoch, which is not known here: {why}. Either set the warmup in steps (warmup_steps / "
                f"num_warmup_steps) instead, or pass lr_scheduler_kwargs[{STEPS_PER_EPOCH!r}] (optimizer steps per "
                "epoch, after gradient accumulation, per process)."
            )
        per_epoch, where = count.steps_per_epoch, f"{count.steps_per_epoch} steps per epoch"
    steps = max(1, math.ceil(round(epochs * per_epoch, 9)))  # round(): 0.1 × 30 is 3, not 3.0000000000000004
    return EpochLength(steps, per_epoch, f"{WARMUP_EPOCHS}={epochs:g} × {where}")
