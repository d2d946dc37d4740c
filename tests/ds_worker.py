"""Worker for the DeepSpeed tests: ``torchrun --standalone --nproc_per_node 2 ds_worker.py OUT CONFIG...``.

For each DeepSpeed config file (``configs/deepspeed/*.json``, the files docs/engines.md tells users to copy), and for
``ddp`` (plain DDP, for comparison), it runs a real Trainer (``DS_ACCELERATOR=cpu``, gloo) with ``adaptive_warmup``
for ``STEPS`` steps, saving a checkpoint at step ``SAVE``, then a second Trainer that resumes from that checkpoint
and trains to ``STEPS``.
A config with an ``optimizer`` block has DeepSpeed build the optimizer (and the scheduler, through the Trainer's
callable), the others hand it the Trainer's. Every rank records the LR of every optimizer step, ``S`` and ``φ``
at every check, the decision, the optimizer the monitor reads and any "S is NaN" warning; rank 0 writes all of it
to ``OUT`` as JSON: ``{config_name: [{"rank": r, "full": ..., "resumed": ...} per rank]}``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent))
from conftest import make_tiny_lm, make_tiny_lm_dataset  # noqa: E402
from launchers import finish_worker  # noqa: E402

import hf_warmup  # noqa: E402,F401  (registers the schedules)
from hf_warmup.report import unwrap_scheduler  # noqa: E402

STEPS = 24
SAVE = 8
LR = 3e-3
DDP = "ddp"  # in place of a config file: plain DDP (no DeepSpeed), the Trainer's AdamW
# 15.8k coordinates, 4096 sampled (stride 4): the layouts must agree on which coordinates, not just cover all
KWARGS = {"check_interval": 2, "patience": 2, "threshold": 0.3, "max_warmup_steps": 20, "min_warmup_steps": 12,
          "sample_size": 4096}  # the ramp reaches the peak at step 11: the decision comes after the step-8 checkpoint


def run(config: str, out_dir: str, resume: str | None) -> dict[str, Any]:
    from transformers import Trainer, TrainerCallback, TrainingArguments

    record: dict[str, Any] = {"lrs": {}, "checks": [], "coherence": []}

    class Record(TrainerCallback):
        def on_step_end(self, args, state, control, lr_scheduler=None, **kwargs):  # type: ignore[no-untyped-def]
            sched = unwrap_scheduler(lr_scheduler)  # DeepSpeed-built optimizer: accelerate's DeepSpeedSchedulerWrapper
            record["lrs"][state.global_step] = float(sched.get_last_lr()[0])
            mon = sched.monitor
            if mon.snapshot_step == mon.real_steps and sched.last_statistic is not None and (
                not record["checks"] or record["checks"][-1][0] != mon.real_steps
            ):
                record["checks"].append((mon.real_steps, sched.last_statistic))
                record["coherence"].append((mon.real_steps, sched.last_coherence))

    model = make_tiny_lm(0)
    args = TrainingArguments(
        output_dir=out_dir, max_steps=STEPS, per_device_train_batch_size=4, learning_rate=LR,
        lr_scheduler_type="adaptive_warmup", lr_scheduler_kwargs=KWARGS, logging_steps=1, report_to=[],
        save_strategy="steps", save_steps=SAVE, save_only_model=False, use_cpu=True, disable_tqdm=True, seed=0,
        deepspeed=None if config == DDP else config, data_seed=0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=make_tiny_lm_dataset(rows=256), callbacks=[Record()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.train(resume_from_checkpoint=resume)
    sched = unwrap_scheduler(trainer.lr_scheduler)
    record.update(
        warmup_end_step=sched.warmup_end_step, end_reason=sched.end_reason,
        engine=getattr(sched.monitor, "engine", "?"),
        optimizer=type(sched.monitor.location.optimizer).__name__, real_steps=sched.monitor.real_steps,
        loss=[h["loss"] for h in trainer.state.log_history if "loss" in h],
        nan_warnings=[str(w.message) for w in caught if "statistic S is NaN" in str(w.message)],
    )
    trainer.accelerator.free_memory()
    del trainer
    return record


def main() -> None:
    out, configs = sys.argv[1], sys.argv[2:]
    results: dict[str, Any] = {}
    tmp = Path(os.environ["WORKER_TMP"])
    for config in configs:
        name = Path(config).stem
        full = run(config, str(tmp / name), None)
        resumed = run(config, str(tmp / name), str(tmp / name / f"checkpoint-{SAVE}"))
        rank = dist.get_rank()
        gathered: list = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, {"rank": rank, "full": full, "resumed": resumed})
        results[name] = gathered
    if dist.get_rank() == 0:
        Path(out).write_text(json.dumps(results))
    finish_worker()  # see launchers.finish_worker: no teardown of gloo's threads at interpreter exit


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
