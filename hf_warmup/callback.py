"""``WarmupDiagnosticsCallback``: what the warmup does, for any Trainer run, with no code beyond ``import hf_warmup``.

Registered as a Trainer default callback by :mod:`hf_warmup.registry`. On the main process only:

* at the first step, one **start line** at the level the Trainer shows by default (WARNING on the
  ``transformers.hf_warmup`` logger, so ``--log_level error`` hides it), e.g.
  ``adaptive_warmup: M=30 (from warmup_steps=0.1 of 300), threshold 0.25, checks every 6 steps, fastest ramp 12
  steps, ends at the edge if coherence < 0.7 and S < -0.3 on 2 checks in a row (the LR held meanwhile), decay
  cosine to 0.1, T=300``; for fixed schedules
  ``W`` and ``L`` and where each came from (hf_warmup schedules only);
* in the logs (console, ``trainer_state.json``, TensorBoard, W&B): ``warmup_statistic`` (and
  ``warmup_coherence`` where the optimizer keeps a first moment) at the first log after each new check of the
  adaptive warmup (never repeated between checks, never after the end), and once ``warmup_end_step`` (with
  ``warmup_statistic_at_end`` and ``warmup_peak_fraction``, the fraction of the peak LR the decay starts from)
  at the step where the end was decided;
* at the end of training, the **report** ``warmup.json`` and ``warmup.png`` in ``output_dir`` for every
  schedule (:mod:`hf_warmup.report`), covering the whole run also after a resume, and one line saying when
  and why the warmup ended. ``HF_WARMUP_REPORT=0`` turns the report off, ``HF_WARMUP_REPORT=json`` skips
  the picture. A failure to write it is logged, never raised.
"""

from __future__ import annotations

import math
import os
from typing import Any

from transformers import TrainerCallback
from transformers.utils import logging

from .adaptive import AdaptiveWarmupLR
from .base import WarmupScheduler
from .report import build_report, end_line, start_info, start_line, unwrap_scheduler, write_report

logger = logging.get_logger("transformers.hf_warmup")

REPORT_ENV = "HF_WARMUP_REPORT"


def report_mode() -> str:
    """``"png"`` (default), ``"json"`` or ``"off"``, from ``HF_WARMUP_REPORT``."""
    value = os.environ.get(REPORT_ENV, "").strip().lower()
    if value in ("0", "off", "false", "no", "none"):
        return "off"
    return "json" if value == "json" else "png"


class WarmupDiagnosticsCallback(TrainerCallback):
    """Start line, ``warmup_statistic``/``warmup_end_step`` logs and the end-of-training report."""

    def __init__(self) -> None:
        self._reported_end = False
        self._started = False
        self._checks_logged = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # A resumed run that already reported the end (it is in the restored log history) does not repeat it.
        self._reported_end = any("warmup_end_step" in entry for entry in state.log_history)
        self._started = False
        sched = unwrap_scheduler(kwargs.get("lr_scheduler"))
        self._checks_logged = sched.checks_done if isinstance(sched, AdaptiveWarmupLR) else 0

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._started:
            return
        self._started = True
        sched = unwrap_scheduler(kwargs.get("lr_scheduler"))
        if not state.is_world_process_zero or not isinstance(sched, WarmupScheduler):
            return
        try:
            info = start_info(sched, args, int(state.max_steps or 0) or None)
            resumed = f" (resumed at step {state.global_step})" if state.global_step else ""
            logger.warning(start_line(info) + resumed)
        except Exception as err:  # noqa: BLE001 - diagnostics never stop training
            logger.warning(f"hf_warmup: could not describe the schedule ({type(err).__name__}: {err})")

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        scheduler = unwrap_scheduler(kwargs.get("lr_scheduler"))
        if logs is None or not isinstance(scheduler, AdaptiveWarmupLR) or "loss" not in logs:
            return
        extra: dict[str, Any] = {}
        stat = scheduler.last_statistic
        end = scheduler.warmup_end_step
        new_check = scheduler.checks_done > self._checks_logged  # checks made, not the (thinned) history kept
        # S only at the first log after a new check, up to and including the end
        if new_check and stat is not None and math.isfinite(stat) and not (end is not None and self._reported_end):
            extra["warmup_statistic"] = round(float(stat), 6)
            phi = scheduler.last_coherence
            if phi is not None and math.isfinite(phi):
                extra["warmup_coherence"] = round(float(phi), 6)
        self._checks_logged = scheduler.checks_done
        if end is not None and not self._reported_end:
            extra["warmup_end_step"] = int(end)
            at_end = scheduler.statistic_at_end
            if at_end is not None and math.isfinite(at_end):
                extra["warmup_statistic_at_end"] = round(float(at_end), 6)
            fraction = scheduler.peak_fraction
            if fraction is not None:
                extra["warmup_peak_fraction"] = round(float(fraction), 6)
            self._reported_end = True
        if not extra:
            return
        logs.update(extra)
        # The Trainer appended a copy of `logs` to the history just before calling on_log.
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(extra)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        mode = report_mode()
        sched = kwargs.get("lr_scheduler")
        if mode == "off" or not state.is_world_process_zero or sched is None or not args.output_dir:
            return
        try:
            report = build_report(sched, args, state)
            paths = write_report(args.output_dir, report, plot=mode == "png")
        except ImportError as err:  # matplotlib missing: the JSON is written first
            logger.warning(f"hf_warmup: warmup.png skipped ({err})")
            return
        except Exception as err:  # noqa: BLE001 - a report never breaks training
            logger.warning(f"hf_warmup: could not write the warmup report ({type(err).__name__}: {err})")
            return
        if isinstance(unwrap_scheduler(sched), WarmupScheduler):
            written = ", ".join(p for p in paths.values() if p)
            logger.warning(f"{end_line(report)}; report: {written}")
