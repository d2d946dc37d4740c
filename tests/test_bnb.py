"""bitsandbytes optimizers (CPU backend): the 8-bit state is read right, and every 8-bit / paged variant the
Trainer offers either works with ``adaptive_warmup`` or is refused with a clear error."""

from __future__ import annotations

import math
from pathlib import Path

import bitsandbytes as bnb  # a missing or broken bitsandbytes fails the file (tests/skip_guard.py)
import torch
from conftest import make_tiny_lm, make_tiny_lm_dataset
from transformers import get_scheduler

from hf_warmup.options import ScheduleConfigError


def test_state2_sample_matches_bitsandbytes_dequantisation() -> None:
    """The monitor's snapshot holds, at every sampled coordinate, the value bitsandbytes itself dequantises."""
    torch.manual_seed(0)
    # 90,000 values: 8-bit, block-wise, the last block of 256 partly filled; 2,550 values: 32-bit (< 4096)
    model = torch.nn.Sequential(torch.nn.Linear(300, 300), torch.nn.Linear(50, 50))
    opt = bnb.optim.AdamW8bit(model.parameters(), lr=1e-3)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100,
                          scheduler_specific_kwargs={"check_interval": 2, "sample_size": 4096})
    for _ in range(4):
        x = torch.randn(8, 300)
        (model[0](x).pow(2).mean() + model[1](x[:, :50]).pow(2).mean()).backward()
        opt.step()
        opt.zero_grad()
        sched.step()
    mon = sched.monitor
    assert mon.snapshot is not None and math.isfinite(sched.last_statistic)
    full = []
    for p in (q for g in opt.param_groups for q in g["params"]):
        state = opt.state[p]
        if state["state2"].dtype == torch.uint8:
            assert state["absmax2"].numel() == math.ceil(p.numel() / 256)
            deq = bnb.functional.dequantize_blockwise(state["state2"], absmax=state["absmax2"],
                                                      code=state["qmap2"], blocksize=256)
        else:
            deq = state["state2"]
        full.append(deq.reshape(-1).float())
    everything = torch.cat(full)
    layout = mon.layout
    expected = everything[layout.offset :: layout.stride][: layout.slots]
    assert layout.slots == expected.numel() and layout.stride == math.ceil(everything.numel() / 4096)
    got = mon.snapshot[: layout.slots]
    # the same dequantisation (code value × block absmax): equal up to float rounding, far below the 8-bit
    # quantisation step (about 1 % of the block's largest value)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=0.0)
    assert (got > 0).sum() > 0.9 * layout.slots


def test_trainer_adamw_bnb_8bit_decides_and_logs(tmp_path: Path, single_thread: None) -> None:
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=str(tmp_path), optim="adamw_bnb_8bit", max_steps=24, per_device_train_batch_size=8,
        learning_rate=3e-3, lr_scheduler_type="adaptive_warmup",
        lr_scheduler_kwargs={"check_interval": 2, "patience": 2, "threshold": 0.3, "max_warmup_steps": 20},
        logging_steps=1, report_to=[], save_strategy="no", use_cpu=True, disable_tqdm=True, seed=0,
    )
    trainer = Trainer(model=make_tiny_lm(), args=args, train_dataset=make_tiny_lm_dataset(rows=256))
    trainer.train()
    sched = trainer.lr_scheduler
    opt = sched.monitor.location.optimizer
    assert type(opt).__module__.startswith("bitsandbytes")
    assert any(s["state2"].dtype == torch.uint8 for s in opt.state.values())  # 8-bit state was read
    assert sched.end_reason == "stable" and sched.warmup_end_step < 20  # the statistic decided, not the bound
    logged = [h for h in trainer.state.log_history if "warmup_end_step" in h]
    assert len(logged) == 1 and logged[0]["warmup_end_step"] == sched.warmup_end_step
    stats = [h["warmup_statistic"] for h in trainer.state.log_history if "warmup_statistic" in h]
    assert stats and all(math.isfinite(s) for s in stats)


def _bnb_optim_names() -> list[str]:
    from transformers.training_args import OptimizerNames

    keys = ("8bit", "paged", "bnb", "lion", "ademamix")
    return [n.value for n in OptimizerNames if any(k in n.value for k in keys)]


#: What each bitsandbytes-backed (or other 8-bit) Trainer optimizer does with adaptive_warmup.
EXPECTED = {
    "adamw_bnb_8bit": "works", "adamw_8bit": "works", "paged_adamw_8bit": "works", "paged_adamw_32bit": "works",
    "ademamix": "works", "ademamix_8bit": "works", "paged_ademamix_32bit": "works", "paged_ademamix_8bit": "works",
    "rmsprop_bnb": "works", "rmsprop_bnb_8bit": "works", "rmsprop_bnb_32bit": "works",
    # Lion keeps no second moment: refused before step 1, with a hint to use a fixed warmup
    "lion_8bit": "refused", "lion_32bit": "refused", "paged_lion_8bit": "refused", "paged_lion_32bit": "refused",
    # need packages outside this project's extras (torchao, galore_torch): the Trainer itself says which
    "adamw_torch_8bit": "needs package", "galore_adamw_8bit": "needs package",
    "galore_adamw_8bit_layerwise": "needs package",
}


def test_every_8bit_and_paged_variant_works_or_is_refused(tmp_path: Path, single_thread: None) -> None:
    from transformers import Trainer, TrainingArguments

    names = _bnb_optim_names()
    assert set(names) <= set(EXPECTED), f"new Trainer optimizers to classify: {set(names) - set(EXPECTED)}"
    outcome: dict[str, str] = {}
    for name in names:
        args = TrainingArguments(
            output_dir=str(tmp_path / name), optim=name, max_steps=6, per_device_train_batch_size=8,
            learning_rate=1e-3, lr_scheduler_type="adaptive_warmup",
            lr_scheduler_kwargs={"check_interval": 2, "max_warmup_steps": 5}, report_to=[], save_strategy="no",
            use_cpu=True, disable_tqdm=True, seed=0,
        )
        try:
            trainer = Trainer(model=make_tiny_lm(), args=args, train_dataset=make_tiny_lm_dataset())
            trainer.train()
        except ScheduleConfigError as err:
            assert "fixed warmup" in str(err) and "Lion" in str(err), err
            outcome[name] = "refused"
            continue
        except ImportError as err:
            assert "install" in str(err).lower(), err
            outcome[name] = "needs package"
            continue
        stat = trainer.lr_scheduler.last_statistic
        assert stat is not None and math.isfinite(stat), (name, stat)
        outcome[name] = "works"
    assert outcome == {n: EXPECTED[n] for n in names}
