"""hf_warmup: learning-rate warmup schedules for the Hugging Face Trainer.

``import hf_warmup`` registers every schedule with transformers, so ``TrainingArguments(lr_scheduler_type=...)``,
``--lr_scheduler_type`` and ``transformers.get_scheduler`` accept the names listed by ``hf-warmup list``.
"""

from __future__ import annotations

from . import adaptive as _adaptive  # noqa: F401  (adds adaptive_warmup to the table)
from .adaptive import AdaptiveWarmupLR, get_adaptive_warmup_schedule
from .card import add_warmup_section, warmup_section
from .decays import DECAYS, Decay
from .monitor import SecondMomentMonitor
from .options import ScheduleConfigError
from .registry import register
from .report import build_report, load_report, start_line
from .scheduler import WarmupDecayLR
from .schedules import SCHEDULES, WarmupFitWarning, get_warmup_schedule

__version__ = "0.1.0"  # the package version (pyproject.toml reads it from here)

SCHEDULE_NAMES: list[str] = register()

__all__ = [
    "DECAYS",
    "SCHEDULES",
    "SCHEDULE_NAMES",
    "AdaptiveWarmupLR",
    "Decay",
    "ScheduleConfigError",
    "SecondMomentMonitor",
    "WarmupDecayLR",
    "WarmupFitWarning",
    "__version__",
    "add_warmup_section",
    "build_report",
    "get_adaptive_warmup_schedule",
    "get_warmup_schedule",
    "load_report",
    "register",
    "start_line",
    "warmup_section",
]
