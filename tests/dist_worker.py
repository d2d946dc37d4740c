"""Worker for the multi-process tests: ``accelerate launch --multi_gpu --num_processes 2 dist_worker.py MODE OUT``.

MODE is ``ddp`` (a real Trainer; Accelerate's DDP over gloo), ``zero`` (ZeroRedundancyOptimizer) or ``fsdp2``
(``fully_shard``). Every rank records the LR it used at every optimizer step and the warmup end; rank 0 gathers
them and writes ``OUT`` as JSON.
"""

from __future__ import annotations

import json
import os
import sys

import torch
import torch.distributed as dist

import hf_warmup  # noqa: F401  (registers the schedules)

KWARGS = {"check_interval": 2, "patience": 1, "threshold": 0.5, "max_warmup_steps": 20}
STEPS = 24


def tiny_lm(seed: int = 0) -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    return GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=32, vocab_size=64, n_positions=32))


def batch(step: int, rank: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1000 * step + rank)
    return torch.randint(0, 64, (4, 16), generator=g)


def run_trainer() -> tuple[list[float], int | None]:
    from datasets import Dataset
    from transformers import Trainer, TrainerCallback, TrainingArguments

    lrs: list[float] = []

    class RecordLR(TrainerCallback):
        def on_optimizer_step(self, args, state, control, optimizer=None, **kwargs):  # type: ignore[no-untyped-def]
            lrs.append(float(optimizer.param_groups[0]["lr"]))

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 64, (256, 16), generator=g).tolist()
    data = Dataset.from_dict({"input_ids": ids, "labels": ids})
    args = TrainingArguments(
        output_dir=os.environ["WORKER_TMP"], max_steps=STEPS, per_device_train_batch_size=4, learning_rate=3e-3,
        lr_scheduler_type="adaptive_warmup", lr_scheduler_kwargs=KWARGS, logging_steps=1, report_to=[],
        save_strategy="no", use_cpu=True, disable_tqdm=True, seed=0,
    )
    trainer = Trainer(model=tiny_lm(), args=args, train_dataset=data, callbacks=[RecordLR()])
    trainer.train()
    return lrs, trainer.lr_scheduler.warmup_end_step


def run_manual(mode: str) -> tuple[list[float], int | None]:
    from transformers import get_scheduler

    rank = dist.get_rank()
    model = tiny_lm()
    if mode == "zero":
        from torch.distributed.optim import ZeroRedundancyOptimizer
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model)
        opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.AdamW, lr=3e-3)
    else:
        from torch.distributed.fsdp import fully_shard

        for block in model.transformer.h:
            fully_shard(block)
        fully_shard(model)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=STEPS * 2,
                          scheduler_specific_kwargs=KWARGS)
    lrs = []
    for step in range(STEPS):
        ids = batch(step, rank)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        lrs.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        opt.zero_grad()
        sched.step()
    assert sched.monitor.location.sharded, "sharded state was not detected"
    return lrs, sched.warmup_end_step


def main() -> None:
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "ddp":
        lrs, end = run_trainer()
    else:
        dist.init_process_group("gloo")
        lrs, end = run_manual(mode)
    rank, world = dist.get_rank(), dist.get_world_size()
    gathered: list = [None] * world
    dist.all_gather_object(gathered, {"rank": rank, "lrs": lrs, "warmup_end_step": end})
    if rank == 0:
        with open(out, "w") as f:
            json.dump(gathered, f)
    dist.barrier()
    # an orderly shutdown: leaving gloo's threads to interpreter exit can abort a rank ("terminate called ...")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
