"""Helpers shared by ``finetune_classification.py`` and ``pretrain_lm.py``.

* :func:`parse_args`: ``HfArgumentParser`` over the script's dataclasses and ``TrainingArguments``, with
  script-level defaults (``--lr_scheduler_type adaptive_warmup`` and friends) that show in ``--help`` and that
  any flag on the command line overrides;
* :class:`SubsetArguments`, :class:`OutputArguments`: arguments both scripts take;
* :func:`finish_run`: on the main process, the run's warmup report (``warmup.json``, ``warmup.png``), its
  ``summary.json`` and its ``README.md`` model card, all through the package (:mod:`hf_warmup.report`,
  :mod:`hf_warmup.card`, :mod:`warmup_bench.benchmark_card`): the same code that gives any user's Trainer run
  its report and card section.

Only hf_warmup's public API and public transformers/accelerate objects are used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEDULE = "adaptive_warmup"


# -- arguments ------------------------------------------------------------------------------------------------
@dataclass
class SubsetArguments:
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Keep at most this many training examples (after shuffling with --seed)."}
    )
    max_eval_samples: int | None = field(
        default=None, metadata={"help": "Keep at most this many held-out evaluation examples."}
    )


@dataclass
class OutputArguments:
    model_card_name: str | None = field(
        default=None,
        metadata={"help": "Model name in the model card and its model-index (default: the output_dir's name)."},
    )
    benchmark_dir: str = field(
        default=str(REPO_ROOT / "docs" / "benchmark"),
        metadata={"help": "Folder with the *_results.json of scripts/benchmark_warmup.py, cited in the card."},
    )
    no_plot: bool = field(default=False, metadata={"help": "Do not draw warmup.png."})


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _has_accelerator() -> bool:
    import torch

    acc = getattr(torch, "accelerator", None)
    if acc is not None and hasattr(acc, "is_available"):
        return bool(acc.is_available())
    return torch.cuda.is_available()


def launched_on_cpu_processes() -> bool:
    """Several processes (``accelerate launch``/``torchrun``) on a machine without an accelerator."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and not _has_accelerator()


def parse_args(
    dataclass_types: Sequence[type],
    argv: Sequence[str] | None,
    defaults: dict[str, Any],
    description: str | None = None,
) -> tuple[Any, ...]:
    """Parse ``argv`` (default ``sys.argv[1:]``) into the dataclasses; ``defaults`` replace field defaults.

    The defaults are set on the parser (``parser.set_defaults``), so ``--help`` shows them and any flag given
    on the command line wins. A single ``.json`` argument is read as a dict of arguments (defaults applied too).
    Launched as several processes on a machine without GPU (``accelerate launch --multi_gpu --num_processes 2``
    on CPU), ``use_cpu`` defaults to True: without it the Trainer would run each process on its own instead of
    data-parallel over gloo.
    """
    from transformers import HfArgumentParser

    import hf_warmup  # noqa: F401  (registers the schedule names before the parser reads the enum)

    if not _has_accelerator():
        defaults = {"dataloader_pin_memory": False, **defaults}  # nothing to pin for; avoids a warning
    if launched_on_cpu_processes():
        defaults = {**defaults, "use_cpu": True}
    parser = HfArgumentParser(dataclass_types, description=description, formatter_class=_HelpFormatter)
    parser.set_defaults(**defaults)
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 1 and args[0].endswith(".json"):
        with open(args[0]) as fh:
            return parser.parse_dict({**defaults, **json.load(fh)})
    return parser.parse_args_into_dataclasses(args=args)


# -- the end of a run -----------------------------------------------------------------------------------------
def schedule_name(training_args: Any) -> str:
    kind = training_args.lr_scheduler_type
    return str(getattr(kind, "value", kind))


def train_and_evaluate(trainer: Any, resume_from_checkpoint: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train, save the model, evaluate, and save metrics and ``trainer_state.json``."""
    train_result = trainer.train(resume_from_checkpoint=resume_from_checkpoint)
    trainer.save_model()
    train_metrics = dict(train_result.metrics)
    trainer.log_metrics("train", train_metrics)
    trainer.save_metrics("train", train_metrics)
    eval_metrics = trainer.evaluate()
    trainer.log_metrics("eval", eval_metrics)
    trainer.save_metrics("eval", eval_metrics)
    trainer.save_state()
    return train_metrics, eval_metrics


def shutdown_distributed() -> None:
    """Tear the process group down before exit (left to interpreter exit, gloo can abort a rank)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def warmup_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The report's headline fields, for ``summary.json`` (the full report is ``warmup.json``)."""
    keys = ("adaptive", "warmup_end_step", "end_reason", "statistic_at_end", "threshold",
            "num_training_steps", "global_step", "lr_scheduler_kwargs", "warmup_steps_arg")
    return {"lr_scheduler_type": report["schedule"], **{k: report.get(k) for k in keys},
            "warmup_config": report.get("config"), "n_checks": len(report.get("checks") or [])}


def run_report(trainer: Any, plot: bool = True) -> tuple[dict[str, Any], dict[str, str | None]]:
    """The run's warmup report (``hf_warmup.report``), written to the output_dir on the main process."""
    from hf_warmup.report import build_report, write_report

    report = build_report(trainer.lr_scheduler, trainer.args, trainer.state)
    paths: dict[str, str | None] = {"json": None, "png": None}
    if trainer.is_world_process_zero():
        try:
            paths = write_report(trainer.args.output_dir, report, plot=plot)
        except ImportError as err:
            print(f"[plot skipped: {err}]", file=sys.stderr)
    return report, paths


def finish_run(trainer: Any, summary: dict[str, Any], card: Any, report_paths: dict[str, str | None]) -> dict[str, Any]:
    """Main process only: ``summary.json`` and the ``README.md`` model card (:mod:`hf_warmup.card`)."""
    from warmup_bench.model_card import write_model_card

    from hf_warmup.report import json_safe

    out = trainer.args.output_dir
    paths: dict[str, Any] = {"plot": report_paths.get("png"), "report": report_paths.get("json"), "card": None,
                             "summary": None}
    if not trainer.is_world_process_zero():
        return paths
    os.makedirs(out, exist_ok=True)
    paths["summary"] = os.path.join(out, "summary.json")
    with open(paths["summary"], "w") as fh:
        json.dump(json_safe({**summary, "plot": paths["plot"]}), fh, indent=2)
    if card is not None:
        if paths["plot"] is None:
            card.plot_file = None
        paths["card"] = write_model_card(out, card)
    return paths


def print_run_end(headline: str, report: dict[str, Any], paths: dict[str, Any]) -> None:
    """The closing lines of a script: the headline metric, when warmup ended, and the output paths."""
    from hf_warmup.report import end_line

    print()
    print(headline)
    print(end_line(report))
    for label in ("plot", "report", "card", "summary"):
        print(f"{label + ':':<8} {paths.get(label)}")


def benchmark_section(benchmark_dir: str, keywords: Sequence[str], label: str) -> str:
    """The card's benchmark comparison (``warmup_bench.benchmark_card``), paths relative to the repository."""
    from warmup_bench.benchmark_card import benchmark_section as section

    return section(benchmark_dir, keywords, label, root=str(REPO_ROOT))
