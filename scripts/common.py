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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEDULE = "adaptive_warmup"
CARD_SPEC_FILE = "model_card.json"  # the card's inputs, to re-render it (python scripts/common.py card RUN_DIR)
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


def train_and_evaluate(trainer: Any, resume_from_checkpoint: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train, save the model, evaluate, and save metrics and ``trainer_state.json`` (read by the plot)."""
    train_result = trainer.train(resume_from_checkpoint=resume_from_checkpoint)
    trainer.save_model()
    train_metrics = dict(train_result.metrics)
    trainer.log_metrics("train", train_metrics)
    trainer.save_metrics("train", train_metrics)
    eval_metrics = trainer.evaluate()
    trainer.log_metrics("eval", eval_metrics)
    trainer.save_metrics("eval", eval_metrics)
    trainer.save_state()  # trainer_state.json (with the final evaluation) for the plot
    return train_metrics, eval_metrics


def shutdown_distributed() -> None:
    """Tear the process group down before exit (left to interpreter exit, gloo can abort a rank)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def print_run_end(headline: str, warmup: dict[str, Any], paths: dict[str, Any]) -> None:
    """The closing lines of a script: the headline metric, when warmup ended, and the output paths."""
    print()
    print(headline)
    print(describe_warmup_end(warmup))
    print(f"plot:       {paths['plot']}")
    print(f"model card: {paths['card']}")
    print(f"summary:    {paths['summary']}")


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
            recent_statistics=recent,
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
        stat_txt = (f"mean S over the last {len(w.get('recent_statistics') or [])} checks = {stat:.4g}"
                    if stat is not None else "S")
        return (f"warmup ended at step {end} of {total}: second moments stable ({stat_txt} <= threshold "
                f"{w['threshold']:g}; decided at step {w['decision_step']})")
    last, mean = w.get("statistic_at_end"), w.get("mean_recent_statistics")
    last_txt = f", last S = {last:.4g}" if last is not None else ""
    if mean is not None:
        last_txt += (f", mean of the last {len(w.get('recent_statistics') or [])} S = {mean:.4g} > threshold "
                     f"{w['threshold']:g}")
    return f"warmup ended at step {end} of {total}: reached max_warmup_steps={w['max_warmup_steps']}{last_txt}"


# -- benchmark results (scripts/benchmark_warmup.py) -----------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return "" if v is None else str(v)


#: The task of a results file without ``meta.task``: scripts/benchmark_warmup.py benchmarks the KJV char LM.
DEFAULT_BENCHMARK_TASK = "kjv-char-lm"


def _benchmark_task(data: Any) -> str:
    meta = data.get("meta", {}) if isinstance(data, dict) else {}
    return str(meta.get("task") or (meta.get("setup") or {}).get("task") or DEFAULT_BENCHMARK_TASK)


def _benchmark_files(benchmark_dir: str) -> list[tuple[str, Any]]:
    found = []
    for path in sorted(glob.glob(os.path.join(benchmark_dir, "*_results.json"))):
        try:
            with open(path) as fh:
                found.append((path, json.load(fh)))
        except (OSError, ValueError):
            continue
    return found


def _gap(x: Any) -> str:
    return "–" if x is None else f"{x:+.2f}%"


def _benchmark_table(path: str, data: dict[str, Any]) -> str:
    """The per-schedule summary (gap of the mean final eval loss to the tuned-W oracle) of one results file."""
    meta = data.get("meta", {})
    setup = meta.get("setup", {})
    grid = meta.get("grid", [])
    beta2s = sorted({g["beta2"] for g in grid}, reverse=True)
    lrs = sorted({g["lr"] for g in grid})
    md = path[: -len(".json")] + ".md"
    head = (
        f"From `{_rel(path)}` ({meta.get('mode', '?')} mode; {setup.get('arch', '?')} with {setup.get('n_layer', '?')} "
        f"layers, width {setup.get('n_embd', '?')}, T = {setup.get('max_steps', '?')} steps, batch "
        f"{setup.get('batch_size', '?')}; β2 in {{{', '.join(f'{b:g}' for b in beta2s)}}}, peak LR in "
        f"{{{', '.join(f'{lr:g}' for lr in lrs)}}}, {len(meta.get('seeds', []))} seed(s); "
        f"{meta.get('n_runs_done', '?')} runs). The benchmark model and budget are its own, not this card's run. "
        "Gap = mean final eval loss relative to the oracle, the best fixed `linear_warmup` length of the grid "
        "for each (β2, LR) cell (negative: better than the oracle)"
    )
    if os.path.isfile(md):
        head += f"; all tables in `{_rel(md)}`"
    lines = [head + ".", "", "| schedule | max gap | mean gap | cells | cells with a divergence |", "|---|---|---|---|---|"]
    labels = [s["label"] for s in meta.get("schedules", [])] or list(data.get("summary", {}))
    for label in labels:
        summ = (data.get("summary", {}).get(label) or {}).get("all")
        if not summ:
            continue
        bold = "**" if label.startswith("adaptive") else ""
        lines.append(f"| {bold}`{label}`{bold} | {_gap(summ.get('max_gap_pct'))} | {_gap(summ.get('mean_gap_pct'))} | "
                     f"{summ.get('n_cells', '–')} | {summ.get('n_diverged_cells', '–')} |")
    for label, row in (data.get("adaptive_vs") or {}).items():
        versus = [f"`{o}` in {r['wins']}/{r['compared']}" for o, r in row.items()
                  if o != "all_untuned_and_radam" and r.get("compared")]
        if versus:
            lines.append(f"\n`{label}` has a lower mean eval loss than " + ", ".join(versus) + " cells.")
    return "\n".join(lines) + "\n"


def benchmark_section(benchmark_dir: str, task_keywords: Sequence[str], task_label: str) -> str:
    """Markdown: the warmup benchmark for this card's task, from ``<benchmark_dir>/*_results.json``.

    A results file belongs to the task named in its ``meta.task`` (default: the KJV char LM of
    ``scripts/benchmark_warmup.py``); only files whose task contains one of ``task_keywords`` are shown. With none,
    the text says which tasks were benchmarked, or how to run the benchmark; no number is ever made up here.
    """
    files = _benchmark_files(benchmark_dir)
    mine = [(p, d) for p, d in files if any(k in _benchmark_task(d).lower() for k in task_keywords)]
    if mine:
        parts = []
        for path, data in mine:
            try:
                parts.append(_benchmark_table(path, data))
            except (KeyError, TypeError, AttributeError, ValueError) as err:
                parts.append(f"`{_rel(path)}` has an unexpected layout ({type(err).__name__}: {err}).\n")
        return "\n".join(parts)
    if files:
        others = sorted({_benchmark_task(d) for _, d in files})
        where = ", ".join(f"`{_rel(p)}`" for p, _ in files)
        return (f"The warmup benchmark has not been run on {task_label}: the results in `{_rel(benchmark_dir)}` "
                f"({where}) are for another task ({', '.join(others)}). To compare schedules here, run this script "
                "with several `--lr_scheduler_type` values, or see `scripts/benchmark_warmup.py`.\n")
    return (f"No benchmark results were found in `{_rel(benchmark_dir)}`: {BENCHMARK_HINT}, then regenerate this "
            "card (`python scripts/common.py card RUN_DIR`).\n")


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
    task_label: str = "this task"
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


def _num(x: Any) -> str:
    """``40.0`` -> ``40``; other values unchanged."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _every(n: int) -> str:
    return "every optimizer step" if n == 1 else f"every {n} optimizer steps"


def warmup_markdown(w: dict[str, Any]) -> str:
    name = w["lr_scheduler_type"]
    kwargs = json.dumps(w.get("lr_scheduler_kwargs") or {}, sort_keys=True)
    total, end = w.get("num_training_steps"), w.get("warmup_end_step")
    lines = [f"- Schedule: `{name}` with `lr_scheduler_kwargs={kwargs}` "
             f"(`--warmup_steps {_num(w.get('warmup_steps_arg'))}`)."]
    if not w.get("adaptive"):
        lines.append(f"- Fixed warmup: the LR reached its peak after {end} of {total} optimizer steps, "
                     "then decayed; no stability statistic is computed for fixed schedules.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"- Rule: {_every(w['check_interval'])} the second-moment monitor measured the stability "
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
            n = len(w.get("recent_statistics") or [])
            detail.append(f"mean of the last {n} S values {mean:.4g} <= threshold {w['threshold']:g}")
        if at is not None:
            detail.append(f"S at the decision = {at:.4g}")
        lines.append(
            f"- **Warmup ended at step {end}** of {total} (end_reason `stable`): the second moments were declared "
            f"stable at step {w['decision_step']} ({'; '.join(detail)}), then the LR was handed off to its peak over "
            f"{end - w['decision_step']} steps and the decay began at step {end}."
        )
    else:
        at, mean = w.get("statistic_at_end"), w.get("mean_recent_statistics")
        bits = []
        if mean is not None:
            bits.append(f"mean of the last {len(w.get('recent_statistics') or [])} S values {mean:.4g}")
        if at is not None:
            bits.append(f"last S = {at:.4g}")
        at_txt = f" ({', '.join(bits)}; threshold {w['threshold']:g})" if bits else ""
        lines.append(
            f"- **Warmup ended at step {end}** of {total} (end_reason `{w.get('end_reason')}`): the stability rule "
            f"was not met before max_warmup_steps{at_txt}, so the warmup ran its full length, like "
            "`linear_warmup` over that many steps."
        )
    return "\n".join(lines) + "\n"


def render_model_card(spec: CardSpec) -> str:
    import yaml

    meta = yaml.safe_dump(front_matter(spec), sort_keys=False, allow_unicode=True, width=1000)
    hp_lines = "\n".join(f"- {k}: {_num(v) if isinstance(v, float) else _fmt(v)}"
                         for k, v in spec.hyperparameters.items())
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
        f"Measured by this run on {spec.dataset_name}, split: {spec.dataset_split}.\n",
        "\n".join(res_rows) + "\n",
        "## Warmup\n",
        warmup_markdown(spec.warmup),
    ]
    if spec.plot_file:
        parts.append(f"![learning rate and second-moment statistic]({spec.plot_file})\n")
    parts += [
        "### Benchmark comparison for this task\n",
        benchmark_section(spec.benchmark_dir, spec.benchmark_keywords, spec.task_label),
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
        with open(os.path.join(out, CARD_SPEC_FILE), "w") as fh:
            json.dump(json_safe(asdict(card)), fh, indent=2)
    return paths


def regenerate_card(run_dir: str, benchmark_dir: str | None = None, plot_file: str | None = None,
                    output: str | None = None) -> str:
    """Re-render a run's card from its saved ``model_card.json`` (e.g. once benchmark results exist).

    The measured numbers come from the saved spec (written at the end of the run); only the benchmark section
    (and, if given, the plot link) is read anew.
    """
    with open(os.path.join(run_dir, CARD_SPEC_FILE)) as fh:
        raw = json.load(fh)
    raw["metrics"] = [CardMetric(**m) for m in raw["metrics"]]
    spec = CardSpec(**raw)
    if benchmark_dir is not None:
        spec.benchmark_dir = benchmark_dir
    elif not os.path.isdir(spec.benchmark_dir):
        spec.benchmark_dir = str(REPO_ROOT / "docs" / "benchmark")
    if plot_file is not None:
        spec.plot_file = plot_file
    path = output or os.path.join(run_dir, "README.md")
    Path(path).write_text(render_model_card(spec), encoding="utf-8")
    return path


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


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-render a run's README.md model card from its model_card.json "
                                                 "(with the current docs/benchmark results).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("card", help="re-render RUN_DIR/README.md")
    p.add_argument("run_dir")
    p.add_argument("--benchmark_dir", default=None)
    p.add_argument("--plot_file", default=None, help="image link in the card (default: as saved, warmup.png)")
    p.add_argument("-o", "--output", default=None, help="write here instead of RUN_DIR/README.md")
    ns = parser.parse_args(argv)
    print(regenerate_card(ns.run_dir, ns.benchmark_dir, ns.plot_file, ns.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
