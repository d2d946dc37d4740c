"""The "Warmup" section of a model card, and model cards written from a run's own results.

* :func:`warmup_section`: markdown for a report (:mod:`hf_warmup.report`): the schedule, when and why the
  warmup ended, and the picture; between two HTML comments, so that :func:`add_warmup_section` replaces it
  instead of adding a second one (running it twice leaves one section);
* :func:`add_warmup_section`: put that section into an existing card, keeping everything else in it (front
  matter, metrics, hyperparameters);
* :func:`update_trainer_card`: what ``import hf_warmup`` runs after ``Trainer.create_model_card()`` (and so
  after ``push_to_hub``), and what ``hf-warmup card OUTPUT_DIR`` runs;
* :class:`CardSpec` / :func:`render_model_card`: a complete card (YAML front matter with a model-index, the
  description, data, hyperparameters, results, the warmup section) for scripts that know their task, as the
  bundled ``scripts/finetune_classification.py`` and ``scripts/pretrain_lm.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .report import REPORT_JSON, REPORT_PNG, build_report, json_safe, load_report, start_line, write_report

SECTION_START = "<!-- hf_warmup: warmup section (start) -->"
SECTION_END = "<!-- hf_warmup: warmup section (end) -->"
CARD_FILE = "README.md"
CARD_SPEC_FILE = "model_card.json"


def _every(n: Any) -> str:
    return "every optimizer step" if n == 1 else f"every {n} optimizer steps"


def _num(x: Any) -> str:
    """``40.0`` -> ``40``; other values unchanged."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _recent(report: dict[str, Any]) -> list[float]:
    """The statistics the last decision averaged (the last ``patience`` checks up to the decision)."""
    c = report.get("config") or {}
    upto = report.get("decision_step")
    checks = [x for x in report.get("checks") or [] if x.get("statistic") is not None
              and (upto is None or x["step"] <= upto)]
    n = int(c.get("patience") or 1)
    return [x["statistic"] for x in checks[-n:]]


def warmup_markdown(report: dict[str, Any]) -> str:
    """The bullet list of the warmup section (no heading, no picture)."""
    c = report.get("config") or {}
    kwargs = json.dumps(report.get("lr_scheduler_kwargs") or {}, sort_keys=True)
    total, end, name = report.get("num_training_steps"), report.get("warmup_end_step"), report.get("schedule")
    lines = [f"- Schedule: `{name}` with `lr_scheduler_kwargs={kwargs}` "
             f"(`warmup_steps={_num(report.get('warmup_steps_arg'))}`). Resolved: {start_line(report)}."]
    if not report.get("adaptive"):
        lines.append(f"- Fixed warmup: the decay started at step {end} of {total}; no stability statistic is "
                     "computed for fixed schedules.")
        return "\n".join(lines) + "\n"
    thr = report.get("threshold")
    thr_txt = f"threshold {thr:g}" if isinstance(thr, (int, float)) else "the scheduler's stability rule"
    lines.append(
        f"- Rule: {_every(c.get('check_interval'))} the second-moment monitor measured the statistic S of "
        f"Adam's second moments; warmup ends once the mean of the last {c.get('patience', '?')} values of S is "
        f"<= {thr_txt} (not before step {c.get('min_warmup_steps') or 0}), and at the latest at "
        f"max_warmup_steps = {c.get('max_warmup_steps')}."
    )
    recent = _recent(report)
    mean = sum(recent) / len(recent) if recent else None
    mean_txt = f"mean of the last {len(recent)} S values {mean:.4g}" if mean is not None else "no S measured"
    reason = report.get("end_reason")
    if end is None:
        lines.append(f"- Warmup had **not ended** when training stopped at step {report.get('global_step')} of "
                     f"{total} ({mean_txt}).")
    elif reason == "stable":
        d = report.get("decision_step")
        lines.append(
            f"- **Warmup ended at step {end}** of {total} (end_reason `stable`): the second moments were declared "
            f"stable at step {d} ({mean_txt} <= {thr_txt}), then the LR was handed off to its peak over "
            f"{end - d if isinstance(d, int) else '?'} steps and the decay began at step {end}."
        )
    else:
        lines.append(
            f"- **Warmup ended at step {end}** of {total} (end_reason `{reason}`): the stability rule was not met "
            f"before the bound ({mean_txt}; {thr_txt}), so the warmup ran its full length, like `linear_warmup` "
            "over that many steps."
        )
    checks = report.get("checks") or []
    if checks:
        lines.append(f"- {len(checks)} checks, at steps {checks[0]['step']}..{checks[-1]['step']}; every value "
                     f"with its step and LR is in `{REPORT_JSON}`.")
    return "\n".join(lines) + "\n"


def warmup_section(report: dict[str, Any], image: str | None = REPORT_PNG) -> str:
    """The whole ``## Warmup`` section, between its markers."""
    parts = [SECTION_START, "## Warmup", "", warmup_markdown(report)]
    if image:
        parts.append(f"![learning rate and warmup statistic S against the step]({image})\n")
    parts.append(SECTION_END)
    return "\n".join(parts) + "\n"


def replace_section(text: str, section: str) -> str:
    """``text`` with its warmup section replaced by ``section`` (appended when there is none)."""
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start >= 0 and end > start:
        return text[:start] + section.rstrip("\n") + text[end + len(SECTION_END):]
    return text.rstrip("\n") + "\n\n" + section


def add_warmup_section(card_path: str, report: dict[str, Any], image: str | None = REPORT_PNG) -> str:
    """Put the warmup section into the card at ``card_path`` (replacing an earlier one); return the path."""
    path = Path(card_path)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.write_text(replace_section(text, warmup_section(report, image)), encoding="utf-8")
    return str(path)


def update_card_dir(output_dir: str, report: dict[str, Any] | None = None) -> str:
    """Add the warmup section to ``output_dir/README.md`` from ``report`` or ``output_dir/warmup.json``."""
    card = os.path.join(output_dir, CARD_FILE)
    if not os.path.isfile(card):
        raise FileNotFoundError(f"no {CARD_FILE} in {output_dir!r}: write the card first "
                                "(trainer.create_model_card() or trainer.push_to_hub())")
    if report is None:
        report = load_report(output_dir)
    image = REPORT_PNG if os.path.isfile(os.path.join(output_dir, REPORT_PNG)) else None
    return add_warmup_section(card, report, image)


def update_trainer_card(trainer: Any) -> str | None:
    """After ``Trainer.create_model_card()``: the warmup section in ``output_dir/README.md`` (main process).

    The report is rebuilt from the trainer when it has trained (and written, if the end-of-training report
    was off), else read from ``warmup.json``. Returns the card's path, or ``None`` when there is nothing to add.
    """
    if not trainer.is_world_process_zero():
        return None
    out = trainer.args.output_dir
    report = None
    if getattr(trainer, "lr_scheduler", None) is not None and trainer.state.global_step > 0:
        report = build_report(trainer.lr_scheduler, trainer.args, trainer.state)
        if not os.path.isfile(os.path.join(out, REPORT_JSON)):
            write_report(out, report, plot=True)
    elif not os.path.isfile(os.path.join(out, REPORT_JSON)):
        return None
    return update_card_dir(out, report)


# -- complete cards for scripts that know their task --------------------------------------------------------------
@dataclass
class CardMetric:
    type: str  # metric id, e.g. "accuracy"
    name: str  # display name
    value: float  # measured by this run
    args: dict[str, Any] | None = None


@dataclass
class CardSpec:
    """Everything :func:`render_model_card` needs; every number in it must come from the run.

    ``warmup`` is the run's report (``warmup.json``); ``extra_sections`` are markdown blocks appended after
    the warmup section (e.g. a benchmark comparison).
    """

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
    base_model: str | None = None
    license_note: str | None = None
    extra_tags: Sequence[str] = ()
    datasets: Sequence[str] = ()
    results_extra: dict[str, Any] = field(default_factory=dict)
    plot_file: str | None = REPORT_PNG
    usage: str | None = None
    extra_sections: Sequence[str] = ()


def card_value(x: float) -> float:
    """The value written to the card: 4 decimals (the run's summary keeps the full value)."""
    return round(float(x), 4)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return _num(v) if v.is_integer() else f"{v:.4g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return "" if v is None else str(v)


def front_matter(spec: CardSpec) -> dict[str, Any]:
    """The card's YAML metadata: license, tags, and a model-index with exactly the measured metrics."""
    tags = ["hf_warmup", spec.warmup.get("schedule"), "learning-rate-warmup", *spec.extra_tags]
    meta: dict[str, Any] = {
        "license": spec.license,
        "library_name": "transformers",
        "pipeline_tag": spec.pipeline_tag,
        "tags": [t for t in dict.fromkeys(tags) if t],
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


def render_model_card(spec: CardSpec) -> str:
    """The card's markdown, with the same warmup section as :func:`add_warmup_section` writes."""
    import yaml

    meta = yaml.safe_dump(front_matter(spec), sort_keys=False, allow_unicode=True, width=1000)
    hp_lines = "\n".join(f"- {k}: {_fmt(v)}" for k, v in spec.hyperparameters.items())
    res_rows = ["| metric | value |", "|---|---|"]
    res_rows += [f"| {m.name} (`{m.type}`) | {card_value(m.value)} |" for m in spec.metrics]
    res_rows += [f"| {k} | {_fmt(v)} |" for k, v in spec.results_extra.items()]
    parts = [f"---\n{meta}---\n", f"# {spec.model_name}\n", "## Model description\n", spec.description.strip() + "\n"]
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
        warmup_section(spec.warmup, spec.plot_file),
    ]
    parts += [s.rstrip("\n") + "\n" for s in spec.extra_sections]
    if spec.license_note:
        parts += ["## License\n", spec.license_note.strip() + "\n"]
    return "\n".join(parts)


def write_model_card(output_dir: str, spec: CardSpec) -> str:
    """``output_dir/README.md`` from ``spec``, and ``model_card.json`` (the spec, to re-render it later)."""
    path = os.path.join(output_dir, CARD_FILE)
    Path(path).write_text(render_model_card(spec), encoding="utf-8")
    with open(os.path.join(output_dir, CARD_SPEC_FILE), "w") as fh:
        json.dump(json_safe(asdict(spec)), fh, indent=1)
    return path


def load_card_spec(run_dir: str) -> CardSpec:
    """The :class:`CardSpec` saved by :func:`write_model_card`."""
    with open(os.path.join(run_dir, CARD_SPEC_FILE)) as fh:
        raw = json.load(fh)
    raw["metrics"] = [CardMetric(**m) for m in raw["metrics"]]
    return CardSpec(**raw)


def read_front_matter(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The YAML front matter of a model card (``yaml.safe_load`` of the block between the ``---`` lines)."""
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path}: no YAML front matter")
    return yaml.safe_load(text[4:].split("\n---\n", 1)[0])


def training_hyperparameters(trainer: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The hyperparameters a Trainer run actually used, from ``trainer.args`` and ``trainer.state``."""
    a = trainer.args
    world = int(a.world_size)
    kind = a.lr_scheduler_type
    hp: dict[str, Any] = {
        "learning_rate (peak)": a.learning_rate,
        "lr_scheduler_type": str(getattr(kind, "value", kind)),
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
