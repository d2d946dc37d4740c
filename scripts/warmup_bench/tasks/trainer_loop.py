"""Training through the real ``transformers.Trainer``, shared by the tasks that measure what Trainer users get.

The schedule is passed as users pass it: ``TrainingArguments(lr_scheduler_type=NAME, warmup_steps=W,
lr_scheduler_kwargs=KWARGS)``; only the AutoWU peer, which is not a registered schedule, is built in
``Trainer.create_scheduler``. The optimizer is the Trainer's default (``adamw_torch``) with the task's β1, β2,
weight decay and ``max_grad_norm``; one epoch of ``train_ds`` may be shorter than ``T`` (``max_steps`` rules).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from typing import Any

import torch

from ..protocol import SchedulerRequest, build_scheduler, scheduler_info
from ..results import make_record

#: Keys of ``Trainer.evaluate()`` that are timings, not metrics.
TIMING_KEYS = ("runtime", "samples_per_second", "steps_per_second", "model_preparation_time")


class DictDataset(torch.utils.data.Dataset):
    """Rows of equally long tensors, item ``i`` = ``{name: tensor[i]}`` (what the Trainer's default collator takes)."""

    def __init__(self, columns: dict[str, torch.Tensor]) -> None:
        self.columns = columns
        self.n = len(next(iter(columns.values())))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {k: v[i] for k, v in self.columns.items()}


def train(
    *, model: torch.nn.Module, train_ds: torch.utils.data.Dataset, eval_ds: torch.utils.data.Dataset,
    request: SchedulerRequest, cfg: dict[str, Any], lr: float, seed: int, device: str, stuck_level: float | None,
    compute_metrics: Callable[[Any], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """``cfg["T"]`` Trainer steps at batch ``cfg["batch"]``; the record of :func:`warmup_bench.results.make_record`.

    ``cfg`` holds ``T``, ``batch``, ``beta1``, ``beta2``, ``weight_decay`` and ``clip`` (the Trainer's
    ``max_grad_norm``). The eval loss is the Trainer's ``eval_loss``; ``compute_metrics``' values (prefixed
    ``eval_`` by the Trainer) are reported beside it without the prefix.
    """
    import transformers
    from transformers import Trainer, TrainerCallback, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    import hf_warmup  # noqa: F401  (registers the schedules)

    transformers.logging.set_verbosity_error()
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

    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, max_steps=total, per_device_train_batch_size=cfg["batch"], per_device_eval_batch_size=64,
            learning_rate=lr, adam_beta1=cfg["beta1"], adam_beta2=cfg["beta2"], weight_decay=cfg["weight_decay"],
            max_grad_norm=cfg["clip"], optim="adamw_torch",
            lr_scheduler_type="linear" if request.name == "autowu" else request.name,
            warmup_steps=request.num_warmup_steps,
            lr_scheduler_kwargs={} if request.name == "autowu" else request.kwargs,
            eval_strategy="no", logging_steps=max(1, total // 4), save_strategy="no", report_to=[],
            use_cpu=device == "cpu", disable_tqdm=True, log_level="error", dataloader_num_workers=0, seed=seed,
            data_seed=seed,
        )
        trainer = BenchTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                               compute_metrics=compute_metrics, callbacks=[Trace()])
        trainer.remove_callback(PrinterCallback)
        initial = trainer.evaluate()
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        final = trainer.evaluate()
    metrics = {k.removeprefix("eval_"): float(v) for k, v in final.items()
               if k.startswith("eval_") and k != "eval_loss" and k.removeprefix("eval_") not in TIMING_KEYS}
    return make_record(
        eval_loss=float(final["eval_loss"]), initial_loss=float(initial["eval_loss"]), stuck_level=stuck_level,
        lr_trace=lr_trace, train_losses=loss_trace, info=scheduler_info(trainer.lr_scheduler, request, cfg["beta2"]),
        seconds=seconds, steps_done=int(trainer.state.global_step), error=None, metrics=metrics,
        final_train_loss=sum(recent) / len(recent) if recent else None,
    )

