"""Worker for the multi-process tests. ``torchrun --standalone --nproc_per_node N dist_worker.py OUT MODE...``
(``trainer`` alone also runs under ``accelerate launch``).

Modes, run one after another in the same process group, each on the same model, data and seed:

* ``trainer``: a real Trainer (``use_cpu``): DDP over gloo;
* ``ddp``: ``DistributedDataParallel`` + AdamW (replicated state: only rank 0's copy counts);
* ``zero``: ``ZeroRedundancyOptimizer`` (whole params, each on one rank);
* ``fsdp2``: ``fully_shard`` on a 1-D mesh over all ranks;
* ``hsdp``: ``fully_shard`` on a 2-D mesh (replicate 2 × shard world/2);

A mode ending in ``:llama`` trains a tiny Llama instead of the tiny GPT-2. GPT-2's attention key bias gets a
gradient that is exactly zero in exact arithmetic (softmax ignores a constant shift), so its second moment is
pure round-off (about 1e-40): summing 4 ranks' gradients in another order (FSDP2 over 4 vs HSDP 2 × 2) changes
it completely, and with it ``S`` by up to 1e-2. With 2 ranks the sum is exact (a + b = b + a); with 4 the
comparison uses a model without such parameters, where the two orders agree to 1e-8.

Every rank records the LR of every optimizer step, ``S`` at every check and the decision; rank 0 writes
``{mode: [per rank]}`` to ``OUT`` as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

import hf_warmup  # noqa: F401  (registers the schedules)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from launchers import finish_worker  # noqa: E402

# 15.8k coordinates, 4096 sampled (stride 4): the layouts must agree on which coordinates are sampled
KWARGS = {"check_interval": 2, "patience": 2, "threshold": 0.3, "max_warmup_steps": 20, "sample_size": 4096}
STEPS = 24
LR = 3e-3
# replicate × shard, from the HSDP config users copy (configs/accelerate/hsdp.yaml: parallelism_config)
HSDP_MESH = tuple(int(v) for v in os.environ.get("HSDP_MESH", "2,2").split(","))


def tiny_lm(seed: int = 0) -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(seed)
    return GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=32, vocab_size=64, n_positions=32))


def tiny_llama(seed: int = 0) -> torch.nn.Module:
    """A 1-layer Llama (hidden 32, vocab 64): no biases, so no parameter with an exactly-zero gradient."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                        num_attention_heads=2, num_key_value_heads=2, vocab_size=64,
                                        max_position_embeddings=32))


def blocks(model: torch.nn.Module) -> Any:
    inner = getattr(model, "transformer", None) or model.model
    return getattr(inner, "h", None) or inner.layers


def batch(step: int, rank: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1000 * step + rank)
    return torch.randint(0, 64, (4, 16), generator=g)


class Recorder:
    """LR per optimizer step, ``S`` and the coherence ``φ`` per check, read from the scheduler after each step."""

    def __init__(self) -> None:
        self.lrs: list[float] = []
        self.checks: list[tuple[int, float]] = []
        self.coherence: list[tuple[int, float]] = []

    def after_step(self, lr: float, sched: Any) -> None:
        self.lrs.append(lr)
        mon = sched.monitor
        if sched.last_statistic is not None and mon.snapshot_step == mon.real_steps and (
            not self.checks or self.checks[-1][0] != mon.real_steps
        ):
            self.checks.append((mon.real_steps, float(sched.last_statistic)))
            if sched.last_coherence is not None:
                self.coherence.append((mon.real_steps, float(sched.last_coherence)))

    def result(self, sched: Any) -> dict[str, Any]:
        return {"lrs": self.lrs, "checks": self.checks, "coherence": self.coherence,
                "warmup_end_step": sched.warmup_end_step, "end_reason": sched.end_reason,
                "peak_fraction": sched.peak_fraction, "engine": getattr(sched.monitor, "engine", "?")}


def run_trainer() -> dict[str, Any]:
    from datasets import Dataset
    from transformers import Trainer, TrainerCallback, TrainingArguments

    rec = Recorder()

    class Record(TrainerCallback):
        def on_optimizer_step(self, args, state, control, optimizer=None, **kwargs):  # type: ignore[no-untyped-def]
            self.lr = float(optimizer.param_groups[0]["lr"])

        def on_step_end(self, args, state, control, lr_scheduler=None, **kwargs):  # type: ignore[no-untyped-def]
            rec.after_step(self.lr, lr_scheduler)

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 64, (256, 16), generator=g).tolist()
    data = Dataset.from_dict({"input_ids": ids, "labels": ids})
    args = TrainingArguments(
        output_dir=os.environ["WORKER_TMP"], max_steps=STEPS, per_device_train_batch_size=4, learning_rate=LR,
        lr_scheduler_type="adaptive_warmup", lr_scheduler_kwargs=KWARGS, logging_steps=1, report_to=[],
        save_strategy="no", use_cpu=True, disable_tqdm=True, seed=0,
    )
    trainer = Trainer(model=tiny_lm(), args=args, train_dataset=data, callbacks=[Record()])
    trainer.train()
    return rec.result(trainer.lr_scheduler)


def shard(model: torch.nn.Module, mesh: Any) -> None:
    from torch.distributed.fsdp import fully_shard

    for block in blocks(model):
        fully_shard(block, mesh=mesh)
    fully_shard(model, mesh=mesh)


def run_manual(mode: str) -> dict[str, Any]:
    from torch.distributed.device_mesh import init_device_mesh
    from transformers import get_scheduler

    rank, world = dist.get_rank(), dist.get_world_size()
    mode, _, arch = mode.partition(":")
    model = tiny_llama() if arch == "llama" else tiny_lm()
    if mode == "zero":
        from torch.distributed.optim import ZeroRedundancyOptimizer
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model)
        opt: Any = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.AdamW, lr=LR)
    elif mode == "ddp":
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model)
        opt = torch.optim.AdamW(model.parameters(), lr=LR)
    else:
        shape, names = ((world,), ("shard",)) if mode == "fsdp2" else (HSDP_MESH, ("replicate", "shard"))
        shard(model, init_device_mesh("cpu", shape, mesh_dim_names=names))
        opt = torch.optim.AdamW(model.parameters(), lr=LR)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=STEPS * 2,
                          scheduler_specific_kwargs=KWARGS)
    rec = Recorder()
    for step in range(STEPS):
        ids = batch(step, rank)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        lr = float(opt.param_groups[0]["lr"])
        opt.step()
        opt.zero_grad()
        sched.step()
        rec.after_step(lr, sched)
    return rec.result(sched)


def main() -> None:
    out, modes = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(1)
    if modes != ["trainer"]:  # alone, the Trainer (Accelerate) sets up the process group itself
        dist.init_process_group("gloo")
    results: dict[str, Any] = {}
    for mode in modes:
        result = run_trainer() if mode == "trainer" else run_manual(mode)
        gathered: list = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, {"rank": dist.get_rank(), **result})
        results[mode] = gathered
    if dist.get_rank() == 0:
        Path(out).write_text(json.dumps(results))
    finish_worker()  # see launchers.finish_worker: no teardown of gloo's threads at interpreter exit


if __name__ == "__main__":
    main()
