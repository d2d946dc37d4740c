"""DeepSpeed's own optimizer on a GPU: what a config with an ``optimizer`` block builds there, ``FusedAdam``.

On the CPU the same ``FusedAdam`` class runs with DeepSpeed's CPU kernel (``tests/test_deepspeed.py``, every ZeRO
stage, 2 processes); its state (``exp_avg``, ``exp_avg_sq``, ``step`` per param) is laid out by the Python class,
the same on both. What only a GPU shows is the CUDA kernel (``multi_tensor_adam``, compiled by DeepSpeed on first
use, which needs ``nvcc``), NCCL, and ZeRO's bf16 path. One process, one GPU:

* ``FusedAdam`` against torch's AdamW, same model, same batches: the monitor's snapshot is ``FusedAdam``'s
  ``exp_avg_sq`` at the sampled coordinates, exactly, and ``S`` and ``φ`` equal AdamW's within kernel rounding
  (``S``: 0.02, ``φ``: 1e-3 relative; ``tests/test_deepspeed.py`` gives the reason);
* ``deepspeed.initialize`` with each ``configs/deepspeed/zero*_optimizer.json`` ("auto" filled in, as the Trainer
  does) and the scheduler built by DeepSpeed's callable, as the Trainer's ``DummyScheduler`` has it: ZeRO-1/2/3
  give ZeRO-0's ``S`` in fp32, and in bf16 (stage 0 with bf16 is refused) ZeRO-2/3 give ZeRO-1's.

Run on a CUDA machine with deepspeed installed: ``python -m pytest tests/test_deepspeed_gpu.py -m gpu``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from conftest import TINY_SEQ_LEN, TINY_VOCAB, make_tiny_lm
from launch_2proc import free_port
from launchers import CONFIGS
from transformers import get_scheduler

pytestmark = pytest.mark.gpu  # skipped without CUDA (tests/conftest.py)

LR, STEPS, BATCH = 3e-3, 12, 8
# no end before step 12 (no edge; "stable" needs the peak, reached at 12): the last check sees the final state
KWARGS = {"check_interval": 2, "max_warmup_steps": 20, "min_warmup_steps": 12, "sample_size": 4096,
          "coherence_threshold": 0.0}
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # the CPU only to try the code out


def batches(device: torch.device) -> Iterator[torch.Tensor]:
    """``STEPS`` batches of random token ids, the same for every run."""
    for step in range(STEPS):
        gen = torch.Generator().manual_seed(step)
        yield torch.randint(0, TINY_VOCAB, (BATCH, TINY_SEQ_LEN), generator=gen).to(device)


def adaptive(optimizer: Any) -> Any:
    return get_scheduler("adaptive_warmup", optimizer, num_warmup_steps=0, num_training_steps=2 * STEPS,
                         scheduler_specific_kwargs=KWARGS)


def record_check(sched: Any, found: dict[int, tuple[float, float]]) -> None:
    """``found[real step] = (S, φ)`` when the scheduler's last step ran a check."""
    mon = sched.monitor
    if mon.snapshot_step == mon.real_steps and sched.last_window is not None:
        found[mon.real_steps] = (sched.last_window.S, sched.last_coherence)


def train_plain(make_optimizer: Callable[[Any], torch.optim.Optimizer]) -> tuple[dict[int, tuple[float, float]], Any]:
    """12 steps of the tiny LM on the GPU with ``make_optimizer``; the checks and the scheduler."""
    model = make_tiny_lm(0).to(DEVICE)
    opt = make_optimizer(model.parameters())
    sched = adaptive(opt)
    found: dict[int, tuple[float, float]] = {}
    for ids in batches(DEVICE):
        model(input_ids=ids, labels=ids).loss.backward()
        opt.step()
        opt.zero_grad()
        sched.step()
        record_check(sched, found)
    return found, sched


def assert_close_checks(got: dict[int, tuple[float, float]], ref: dict[int, tuple[float, float]], s_abs: float,
                        phi_rel: float) -> None:
    assert got.keys() == ref.keys() and len(got) >= 4, (got, ref)
    for step, (s, phi) in got.items():
        assert math.isfinite(s) and s == pytest.approx(ref[step][0], abs=s_abs), (step, got, ref)
        assert phi == pytest.approx(ref[step][1], rel=phi_rel), (step, got, ref)


def test_fused_adam_cuda_state_gives_adamw_s() -> None:
    from deepspeed.ops.adam import FusedAdam

    fused, sched = train_plain(lambda p: FusedAdam(p, lr=LR, weight_decay=0.0, adam_w_mode=True))
    torch_adamw, _ = train_plain(lambda p: torch.optim.AdamW(p, lr=LR, weight_decay=0.0))
    opt, layout = sched.monitor.location.optimizer, sched.monitor.layout
    state = torch.cat([opt.state[p]["exp_avg_sq"].reshape(-1) for g in opt.param_groups for p in g["params"]])
    expected = state[layout.offset :: layout.stride].float().cpu()
    torch.testing.assert_close(sched.monitor.snapshot[: layout.slots].cpu(), expected, rtol=0, atol=0)
    assert_close_checks(fused, torch_adamw, s_abs=0.02, phi_rel=1e-3)


@pytest.fixture(scope="module")
def one_rank() -> Iterator[None]:
    """A one-process group (NCCL on a GPU), as the ``deepspeed`` launcher sets up for one GPU."""
    import deepspeed
    import torch.distributed as dist

    env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "RANK": "0", "LOCAL_RANK": "0",
           "WORLD_SIZE": "1"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        deepspeed.init_distributed(dist_backend="nccl" if DEVICE.type == "cuda" else "gloo", auto_mpi_discovery=False)
        yield
        dist.destroy_process_group()


def filled_config(name: str, bf16: bool) -> dict[str, Any]:
    """``configs/deepspeed/NAME.json`` with the values the Trainer puts in place of "auto"."""
    config = json.loads((CONFIGS / "deepspeed" / f"{name}.json").read_text())
    config["optimizer"]["params"] = {"lr": LR, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}
    config.update(bf16={"enabled": bf16}, fp16={"enabled": False}, gradient_clipping=1.0,
                  train_micro_batch_size_per_gpu=BATCH, gradient_accumulation_steps=1, train_batch_size=BATCH)
    return config


def train_engine(name: str, bf16: bool) -> tuple[dict[int, tuple[float, float]], str, str]:
    """12 steps through ``deepspeed.initialize``; the checks, the engine and the optimizer the monitor read."""
    import deepspeed

    model = make_tiny_lm(0)
    engine, _, _, sched = deepspeed.initialize(model=model, model_parameters=model.parameters(),
                                               config=filled_config(name, bf16), lr_scheduler=adaptive)
    found: dict[int, tuple[float, float]] = {}
    for ids in batches(engine.device):
        engine.backward(engine(input_ids=ids, labels=ids).loss)
        engine.step()  # steps the scheduler too
        record_check(sched, found)
    engine.destroy()
    return found, sched.monitor.engine, type(sched.monitor.location.optimizer).__name__


def stage_runs() -> dict[tuple[str, bool], tuple[dict[int, tuple[float, float]], str, str]]:
    """Every ``zero*_optimizer.json`` in fp32 and, but ZeRO-0 (refused), in bf16."""
    names = [f"zero{stage}_optimizer" for stage in range(4)]
    return {(name, bf16): train_engine(name, bf16) for name in names for bf16 in (False, True)
            if not (bf16 and name == "zero0_optimizer")}


@pytest.mark.usefixtures("one_rank")
def test_deepspeed_built_fused_adam_gives_the_same_s_at_every_stage() -> None:
    """fp32: one rank trains the same at every stage, so S may differ by rounding in the sums only (1e-4, as in
    ``tests/test_deepspeed.py``). bf16: ZeRO-1/2/3 keep bf16 gradients in different buffers, so the training may
    differ by rounding: the cross-kernel tolerance (0.02, ``φ`` 1e-3)."""
    runs = stage_runs()
    for (name, bf16), (_, engine, optimizer) in runs.items():
        assert (engine, optimizer) == (f"DeepSpeed ZeRO-{name[4]}", "FusedAdam"), (name, bf16)
    for stage in (1, 2, 3):
        assert_close_checks(runs[(f"zero{stage}_optimizer", False)][0], runs[("zero0_optimizer", False)][0],
                            s_abs=1e-4, phi_rel=1e-4)
    for stage in (2, 3):
        assert_close_checks(runs[(f"zero{stage}_optimizer", True)][0], runs[("zero1_optimizer", True)][0],
                            s_abs=0.02, phi_rel=1e-3)
