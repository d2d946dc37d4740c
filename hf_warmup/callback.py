"""``WarmupDiagnosticsCallback``: the adaptive warmup's diagnostics in the Trainer logs.

Registered as a Trainer default callback by :mod:`hf_warmup.registry`, so users get, without adding code,
in the console, ``trainer_state.json`` and TensorBoard/W&B:

* ``warmup_statistic``: the latest stability statistic ``S`` of the second-moment monitor, while warming up;
* ``warmup_end_step``: once, the step at which the decay began (and ``warmup_statistic_at_end``).

For schedules other than ``adaptive_warmup`` it does nothing.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback

from .adaptive import AdaptiveWarmupLR


class WarmupDiagnosticsCallback(TrainerCallback):
    """Adds ``warmup_statistic`` and, once, ``warmup_end_step`` to the logs of an adaptive-warmup run."""

    def __init__(self) -> None:
        self._reported_end = False

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # A resumed run that already reported the end (it is in the restored log history) does not repeat it.
        self._reported_end = any("warmup_end_step" in entry for entry in state.log_history)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        scheduler = kwargs.get("lr_scheduler")
        if logs is None or not isinstance(scheduler, AdaptiveWarmupLR) or "loss" not in logs:
            return
        extra: dict[str, Any] = {}
        stat = scheduler.last_statistic
        ended = scheduler.warmup_end_step is not None
        # after the end the statistic is no longer measured: report it up to and including the end only
        if stat is not None and math.isfinite(stat) and not (ended and self._reported_end):
            extra["warmup_statistic"] = round(float(stat), 6)
        if ended and not self._reported_end:
            extra["warmup_end_step"] = int(scheduler.warmup_end_step)
            at_end = scheduler.statistic_at_end
            if at_end is not None and math.isfinite(at_end):
                extra["warmup_statistic_at_end"] = round(float(at_end), 6)
            self._reported_end = True
        if not extra:
            return
        logs.update(extra)
        # The Trainer appended a copy of `logs` to the history just before calling on_log.
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(extra)
