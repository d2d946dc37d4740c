"""Helpers shared by ``finetune_classification.py`` and ``pretrain_lm.py``.

* :func:`parse_args`: ``HfArgumentParser`` over the script's dataclasses and ``TrainingArguments``, with
  script-level defaults (``--lr_scheduler_type adaptive_warmup`` and friends) that show in ``--help`` and that
  any flag on the command line overrides;
* :class:`SubsetArguments`, :class:`OutputArguments`: arguments both scripts take;
* :func:`warmup_report`: when and why the warmup ended, read from the Trainer's ``lr_scheduler``;
* :func:`finish_run`: on the main process, ``warmup.png`` (``hf_warmup.plotting.plot_run``), ``summary.json``
  and the ``README.md`` model card, all from the run's own results.

Only hf_warmup's public API and public transformers/accelerate objects are used.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEDULE = "adaptive_warmup"
BENCHMARK_HINT = "run `python scripts/benchmark_warmup.py` to produce docs/benchmark/*_results.json"


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


def parse_args(
    dataclass_types: Sequence[type],
    argv: Sequence[str] | None,
    defaults: dict[str, Any],
    description: str | None = None,
) -> tuple[Any, ...]:
    """Parse ``argv`` (default ``sys.argv[1:]``) into the dataclasses; ``defaults`` replace field defaults.

    The defaults are set on the parser (``parser.set_defaults``), so ``--help`` shows them and any flag given
    on the command line wins. A single ``.json`` argument is read as a dict of arguments (defaults applied too).
    """
    import hf_warmup  # noqa: F401  (registers the schedule names before the parser reads the enum)
    from transformers import HfArgumentParser

    parser = HfArgumentParser(dataclass_types, description=description, formatter_class=_HelpFormatter)
    parser.set_defaults(**defaults)
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 1 and args[0].endswith(".json"):
        with open(args[0]) as fh:
            return parser.parse_dict({**defaults, **json.load(fh)})
    return parser.parse_args_into_dataclasses(args=args)


# -- what happened during warmup ------------------------------------------------------------------------------
def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def unwrap_scheduler(scheduler: Any) -> Any:
    """The scheduler itself, also when wrapped (accelerate's ``AcceleratedScheduler`` keeps it in ``.scheduler``)."""
    from hf_warmup import AdaptiveWarmupLR, WarmupDecayLR

    seen = 0
    while not isinstance(scheduler, (AdaptiveWarmupLR, WarmupDecayLR)) and hasattr(scheduler, "scheduler"):
        scheduler, seen = scheduler.scheduler, seen + 1
        if seen > 4:
            break
    return scheduler


def schedule_name(training_args: Any) -> str:
    kind = training_args.lr_scheduler_type
    return str(getattr(kind, "value", kind))


def warmup_report(trainer: Any) -> dict[str, Any]:
    """Schedule name and kwargs, and when/why the warmup ended, from ``trainer.lr_scheduler`` after training."""
    from hf_warmup import AdaptiveWarmupLR, WarmupDecayLR

    args = trainer.args
    total = int(trainer.state.max_steps)
    sched = unwrap_scheduler(trainer.lr_scheduler)
    report: dict[str, Any] = {
        "lr_scheduler_type": schedule_name(args),
        "lr_scheduler_kwargs": dict(args.lr_scheduler_kwargs or {}),
        "warmup_steps_arg": args.warmup_steps,
        "num_training_steps": total,
        "global_step": int(trainer.state.global_step),
    }
    if isinstance(sched, AdaptiveWarmupLR):
        recent = [s for s in (getattr(sched, "recent_statistics", None) or []) if _finite(s) is not None]
        report.update(
            adaptive=True,
            warmup_end_step=sched.warmup_end_step,
            decision_step=sched.decision_step,
            end_reason=sched.end_reason,
            statistic_at_end=_finite(sched.statistic_at_end),
            last_statistic=_finite(sched.last_statistic),
            mean_recent_statistics=(sum(recent) / len(recent)) if recent else None,
            threshold=sched.threshold,
            max_warmup_steps=sched.max_warmup_steps,
            min_warmup_steps=getattr(sched, "min_warmup_steps", None),
            check_interval=sched.monitor.check_interval,
            patience=getattr(sched, "patience", None),
            handoff_steps=getattr(sched, "handoff_steps", None),
            start_factor=getattr(sched, "start_factor", None),
        )
    else:
        if isinstance(sched, WarmupDecayLR):
            end = int(sched.warmups[0].length)
        else:
            end = int(args.get_warmup_steps(total))
        report.update(adaptive=False, warmup_end_step=end, decision_step=None, end_reason="fixed",
                      statistic_at_end=None, last_statistic=None)
    return report


def describe_warmup_end(w: dict[str, Any]) -> str:
    """One line: when the warmup ended and why (for the console)."""
    end, total = w.get("warmup_end_step"), w.get("num_training_steps")
    if not w.get("adaptive"):
        return f"{w['lr_scheduler_type']}: fixed warmup of {end} steps (of {total})"
    if end is None:
        return f"warmup had not ended when training stopped at step {w.get('global_step')} (max {w['max_warmup_steps']})"
    if w.get("end_reason") == "stable":
        stat = w.get("mean_recent_statistics")
        stat_txt = f"mean S over the last {w.get('patience')} checks = {stat:.4g}" if stat is not None else "S"
        return (f"warmup ended at step {end} of {total}: second moments stable ({stat_txt} <= threshold "
                f"{w['threshold']:g}; decided at step {w['decision_step']})")
    last = w.get("statistic_at_end")
    last_txt = f", last S = {last:.4g} > threshold {w['threshold']:g}" if last is not None else ""
    return f"warmup ended at step {end} of {total}: reached max_warmup_steps={w['max_warmup_steps']}{last_txt}"


# -- benchmark results (scripts/benchmark_warmup.py) -----------------------------------------------------------
def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool)) or v is None


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return "" if v is None else str(v)


def _rows(data: Any) -> list[dict[str, Any]]:
    """The list of result rows inside a results JSON, whatever the nesting (list, or under a key)."""
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return data
    if isinstance(data, dict):
        for key in ("summary", "results", "rows", "schedules", "runs"):
            rows = data.get(key)
            if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
                return rows
            if isinstance(rows, dict) and rows and all(isinstance(r, dict) for r in rows.values()):
                return [{"schedule": k, **v} for k, v in rows.items()]
    return []


def benchmark_section(benchmark_dir: str, keywords: Sequence[str], max_rows: int = 20) -> str:
    """Markdown for the benchmark comparison of this task, read from ``<benchmark_dir>/*_results.json``.

    Only files whose name contains one of ``keywords`` are used; if there are none, the text says how to produce
    them (no number is ever made up here).
    """
    files = sorted(glob.glob(os.path.join(benchmark_dir, "*_results.json")))
    chosen = [f for f in files if any(k in os.path.basename(f).lower() for k in keywords)]
    if not chosen:
        return (f"No benchmark results for this task were found in `{_rel(benchmark_dir)}`: {BENCHMARK_HINT}, "
                "then regenerate this card.\n")
    parts = []
    for path in chosen:
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as err:
            parts.append(f"`{_rel(path)}` could not be read ({err}).\n")
            continue
        rows = _rows(data)
        head = f"From `{_rel(path)}`"
        if isinstance(data, dict):
            meta = {k: v for k, v in data.items() if _is_scalar(v) and k not in ("markdown", "table")}
            if meta:
                head += " (" + ", ".join(f"{k}: {_fmt(v)}" for k, v in list(meta.items())[:8]) + ")"
            if isinstance(data.get("markdown"), str) and not rows:
                parts.append(head + ":\n\n" + data["markdown"].strip() + "\n")
                continue
        if not rows:
            parts.append(head + ": no result rows found in this file.\n")
            continue
        cols: list[str] = []
        for row in rows:
            for k, v in row.items():
                if _is_scalar(v) and k not in cols:
                    cols.append(k)
        cols = cols[:9]
        lines = [head + ":", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for row in rows[:max_rows]:
            lines.append("| " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
        if len(rows) > max_rows:
            lines.append(f"\n({len(rows) - max_rows} more rows in the file.)")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _rel(path: str | os.PathLike[str]) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


# -- model card ------------------------------------------------------------------------------------------------
@dataclass
class CardMetric:
    type: str  # metric id, e.g. "accuracy"
    name: str  # display name
    value: float  # measured by this run
    args: dict[str, Any] | None = None


@dataclass
class CardSpec:
    """Everything :func:`write_model_card` needs; every number in it must come from the run."""

    model_name: str
    license: str
    pipeline_tag: str
    task_type: str
    task_name: str
    dataset_name: str
    dataset_type: str
    dataset_split: str
    description: str
    training_data: str
    metrics: list[CardMetric]
    hyperparameters: dict[str, Any]
    warmup: dict[str, Any]
    benchmark_keywords: Sequence[str]
    benchmark_dir: str
    base_model: str | None = None
    license_note: str | None = None
    extra_tags: Sequence[str] = ()
    datasets: Sequence[str] = ()
    results_extra: dict[str, Any] = field(default_factory=dict)
    plot_file: str | None = "warmup.png"
    usage: str | None = None


def card_value(x: float) -> float:
    """The value written to the card: 4 decimals (summary.json keeps the full value)."""
    return round(float(x), 4)


def front_matter(spec: CardSpec) -> dict[str, Any]:
    tags = ["hf_warmup", spec.warmup["lr_scheduler_type"], "learning-rate-warmup", *spec.extra_tags]
    meta: dict[str, Any] = {
        "license": spec.license,
        "library_name": "transformers",
        "pipeline_tag": spec.pipeline_tag,
        "tags": list(dict.fromkeys(tags)),
    }
    if spec.base_model:
        meta["base_model"] = spec.base_model
    if spec.datasets:
        meta["datasets"] = list(spec.datasets)
    meta["metrics"] = list(dict.fromkeys(m.type for m in spec.metrics))
    metrics = []
    for m in spec.metrics:
        entry: dict[str, Any] = {"type": m.type, "value": card_value(m.value), "name": m.name}
        if m.args:
            entry["args"] = m.args
        metrics.append(entry)
    meta["model-index"] = [{
        "name": spec.model_name,
        "results": [{
            "task": {"type": spec.task_type, "name": spec.task_name},
            "dataset": {"name": spec.dataset_name, "type": spec.dataset_type, "split": spec.dataset_split},
            "metrics": metrics,
        }],
    }]
    return meta


def warmup_markdown(w: dict[str, Any]) -> str:
    name = w["lr_scheduler_type"]
    kwargs = json.dumps(w.get("lr_scheduler_kwargs") or {}, sort_keys=True)
    total, end = w.get("num_training_steps"), w.get("warmup_end_step")
    lines = [f"- Schedule: `{name}` with `lr_scheduler_kwargs={kwargs}` (`--warmup_steps {w.get('warmup_steps_arg')}`)."]
    if not w.get("adaptive"):
        lines.append(f"- Fixed warmup: the LR reached its peak after {end} of {total} optimizer steps, "
                     "then decayed; no stability statistic is computed for fixed schedules.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"- Rule: every {w['check_interval']} optimizer steps the second-moment monitor measured the stability "
        f"statistic S of Adam's second moments; warmup ends once the mean of the last {w['patience']} values of S "
        f"is <= threshold {w['threshold']:g} (not before step {w.get('min_warmup_steps') or 0}), and at the latest "
        f"at max_warmup_steps = {w['max_warmup_steps']}."
    )
    if end is None:
        lines.append(f"- Warmup had **not ended** when training stopped at step {w.get('global_step')} of {total}.")
    elif w.get("end_reason") == "stable":
        mean = w.get("mean_recent_statistics")
        at = w.get("statistic_at_end")
        detail = []
        if mean is not None:
            detail.append(f"mean of the last {w['patience']} S values {mean:.4g} <= threshold {w['threshold']:g}")
        if at is not None:
            detail.append(f"S at the decision = {at:.4g}")
        lines.append(
            f"- **Warmup ended at step {end}** of {total} (end_reason `stable`): the second moments were declared "
            f"stable at step {w['decision_step']} ({'; '.join(detail)}), then the LR was handed off to its peak over "
            f"{end - w['decision_step']} steps and the decay began at step {end}."
        )
    else:
        at = w.get("statistic_at_end")
        at_txt = f" (last S = {at:.4g}, threshold {w['threshold']:g})" if at is not None else ""
        lines.append(
            f"- **Warmup ended at step {end}** of {total} (end_reason `{w.get('end_reason')}`): the stability rule "
            f"was not met before max_warmup_steps{at_txt}, so the warmup ran its full length, like "
            "`linear_warmup` over that many steps."
        )
    return "\n".join(lines) + "\n"


def render_model_card(spec: CardSpec) -> str:
    import yaml

    meta = yaml.safe_dump(front_matter(spec), sort_keys=False, allow_unicode=True, width=1000)
    hp_lines = "\n".join(f"- {k}: {_fmt(v)}" for k, v in spec.hyperparameters.items())
    res_rows = ["| metric | value |", "|---|---|"]
    res_rows += [f"| {m.name} (`{m.type}`) | {card_value(m.value)} |" for m in spec.metrics]
    res_rows += [f"| {k} | {_fmt(v)} |" for k, v in spec.results_extra.items()]
    parts = [
        f"---\n{meta}---\n",
        f"# {spec.model_name}\n",
        "## Model description\n",
        spec.description.strip() + "\n",
    ]
    if spec.usage:
        parts += ["## How to use\n", spec.usage.strip() + "\n"]
    parts += [
        "## Training data\n",
        spec.training_data.strip() + "\n",
        "## Training procedure\n",
        "Trained with the Hugging Face `Trainer` and the `hf_warmup` learning-rate schedules "
        "(`import hf_warmup` registers them as `lr_scheduler_type` names).\n",
        "### Training hyperparameters\n",
        hp_lines + "\n",
        "## Results\n",
        f"Measured by this run on the {spec.dataset_split} split of {spec.dataset_name}:\n",
        "\n".join(res_rows) + "\n",
        "## Warmup\n",
        warmup_markdown(spec.warmup),
    ]
    if spec.plot_file:
        parts.append(f"![learning rate and second-moment statistic]({spec.plot_file})\n")
    parts += [
        "### Benchmark comparison for this task\n",
        benchmark_section(spec.benchmark_dir, spec.benchmark_keywords),
    ]
    if spec.license_note:
        parts += ["## License\n", spec.license_note.strip() + "\n"]
    return "\n".join(parts)


def write_model_card(output_dir: str, spec: CardSpec) -> str:
    path = os.path.join(output_dir, "README.md")
    Path(path).write_text(render_model_card(spec), encoding="utf-8")
    return path


def read_front_matter(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The YAML front matter of a model card (``yaml.safe_load`` of the block between the ``---`` lines)."""
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path}: no YAML front matter")
    block = text[4:].split("\n---\n", 1)[0]
    return yaml.safe_load(block)


# -- end of a run ----------------------------------------------------------------------------------------------
def json_safe(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item") and callable(obj.item):
        return json_safe(obj.item())
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(getattr(obj, "value", obj))


def make_plot(output_dir: str) -> str | None:
    """``warmup.png`` from the run's ``trainer_state.json`` (``trainer.save_state()`` must have run)."""
    from hf_warmup.plotting import plot_run

    try:
        return plot_run(output_dir, os.path.join(output_dir, "warmup.png"))
    except (ImportError, ValueError, FileNotFoundError) as err:
        print(f"[plot skipped: {err}]", file=sys.stderr)
        return None


def finish_run(
    trainer: Any,
    output_args: OutputArguments,
    summary: dict[str, Any],
    card: CardSpec | None,
) -> dict[str, str | None]:
    """Main process only: ``warmup.png``, ``summary.json`` and the ``README.md`` model card; returns their paths."""
    out = trainer.args.output_dir
    paths: dict[str, str | None] = {"plot": None, "card": None, "summary": None}
    if not trainer.is_world_process_zero():
        return paths
    os.makedirs(out, exist_ok=True)
    if not output_args.no_plot:
        paths["plot"] = make_plot(out)
    summary_path = os.path.join(out, "summary.json")
    summary = {**summary, "plot": paths["plot"]}
    with open(summary_path, "w") as fh:
        json.dump(json_safe(summary), fh, indent=2, sort_keys=False)
    paths["summary"] = summary_path
    if card is not None:
        if paths["plot"] is None:
            card.plot_file = None
        paths["card"] = write_model_card(out, card)
    return paths


def training_hyperparameters(trainer: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The hyperparameters actually used, from ``trainer.args`` and ``trainer.state``."""
    a = trainer.args
    world = int(a.world_size)
    hp: dict[str, Any] = {
        "learning_rate (peak)": a.learning_rate,
        "lr_scheduler_type": schedule_name(a),
        "lr_scheduler_kwargs": dict(a.lr_scheduler_kwargs or {}),
        "warmup_steps (argument)": a.warmup_steps,
        "optimizer": str(getattr(a.optim, "value", a.optim)),
        "adam_beta1 / adam_beta2 / adam_epsilon": f"{a.adam_beta1} / {a.adam_beta2} / {a.adam_epsilon}",
        "weight_decay": a.weight_decay,
        "per_device_train_batch_size": a.per_device_train_batch_size,
        "gradient_accumulation_steps": a.gradient_accumulation_steps,
        "processes": world,
        "total_train_batch_size": a.per_device_train_batch_size * a.gradient_accumulation_steps * world,
        "optimizer steps": int(trainer.state.global_step),
        "epochs": round(float(trainer.state.epoch or 0), 3),
        "max_grad_norm": a.max_grad_norm,
        "seed": a.seed,
    }
    hp.update(extra or {})
    return hp
