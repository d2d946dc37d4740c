"""Model cards written from a run's own results, for scripts that know their task.

:class:`CardSpec` / :func:`render_model_card`: YAML front matter with a model-index that claims exactly the
measured metrics, the description, data, hyperparameters, results and the same "Warmup" section as any
Trainer-written card gets (:func:`hf_warmup.card.warmup_section`). The bundled
``scripts/finetune_classification.py`` and ``scripts/pretrain_lm.py`` write their cards with it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hf_warmup.card import CARD_FILE, format_number, warmup_section
from hf_warmup.report import REPORT_PNG, json_safe

CARD_SPEC_FILE = "model_card.json"


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
        return format_number(v) if v.is_integer() else f"{v:.4g}"
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
