"""The warmup benchmark's tasks, one module each, and the shared pieces (see :mod:`warmup_bench.protocol`)."""

from __future__ import annotations

import importlib
from types import ModuleType

#: Task names in report order; each is a module of this package with the interface of ``protocol``.
TASK_NAMES: tuple[str, ...] = (
    "postln_lm", "llama_lm", "minilm_finetune", "digits_mlp", "postln_trainer", "t5_trainer", "postln_long",
    "bert_verses", "digits_cnn", "digits_cnn_long", "prenorm_long",
)


def load_task(name: str) -> ModuleType:
    if name not in TASK_NAMES:
        raise ValueError(f"unknown task {name!r}; expected some of {', '.join(TASK_NAMES)}")
    return importlib.import_module(f"{__name__}.{name}")
