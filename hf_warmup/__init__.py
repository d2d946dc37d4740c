"""hf_warmup: learning-rate warmup schedules for the Hugging Face Trainer.

``import hf_warmup`` registers every schedule with transformers, so ``TrainingArguments(lr_scheduler_type=...)``,
``--lr_scheduler_type`` and ``transformers.get_scheduler`` accept the names listed by ``hf-warmup list``.
"""

from __future__ import annotations

from .adaptive import AdaptiveWarmupLR, get_adaptive_warmup_schedule
from .base import WarmupFitWarning, WarmupScheduler
from .card import add_warmup_section, warmup_section
from .decays import DECAYS, Decay
from .fixed import (
    WarmupDecayLR,
    get_constant_warmup_schedule,
    get_exponential_warmup_schedule,
    get_linear_warmup_schedule,
    get_radam_warmup_schedule,
    get_untuned_exponential_warmup_schedule,
    get_untuned_linear_warmup_schedule,
)
from .monitor import SecondMomentMonitor
from .options import ScheduleConfigError
from .policy import AdaptivePolicy
from .registry import register
from .report import build_report, load_report, start_line
from .result import EndReason, WarmupResult
from .schedules import SCHEDULES, get_warmup_schedule

__version__ = "0.1.0"  # the package version (pyproject.toml reads it from here)

SCHEDULE_NAMES: list[str] = register()

__all__ = [
    "DECAYS",
    "SCHEDULES",
    "SCHEDULE_NAMES",
    "AdaptivePolicy",
    "AdaptiveWarmupLR",
    "Decay",
    "EndReason",
    "ScheduleConfigError",
    "SecondMomentMonitor",
    "WarmupDecayLR",
    "WarmupFitWarning",
    "WarmupResult",
    "WarmupScheduler",
    "__version__",
    "add_warmup_section",
    "build_report",
    "get_adaptive_warmup_schedule",
    "get_constant_warmup_schedule",
    "get_exponential_warmup_schedule",
    "get_linear_warmup_schedule",
    "get_radam_warmup_schedule",
    "get_untuned_exponential_warmup_schedule",
    "get_untuned_linear_warmup_schedule",
    "get_warmup_schedule",
    "load_report",
    "register",
    "start_line",
    "warmup_section",
]
