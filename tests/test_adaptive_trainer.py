"""adaptive_warmup inside a real Trainer: diagnostics in the logs, and bit-exact resume from checkpoints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from datasets import Dataset
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

KWARGS = {"check_interval": 2, "patience": 2, "threshold": 0.3, "max_warmup_steps": 30}
STEPS = 40


def make_trainer(out: Path, **overrides: object) -> Trainer:
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=32, vocab_size=64, n_positions=32))
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 64, (512, 16), generator=g)
    ids[:, 1::2] = (ids[:, 0::2] * 7 + 3) % 64  # something learnable
    data = Dataset.from_dict({"input_ids": ids.tolist(), "labels": ids.tolist()})
    options: dict = dict(
        output_dir=str(out), max_steps=STEPS, per_device_train_batch_size=8, learning_rate=3e-3,
        lr_scheduler_type="adaptive_warmup", lr_scheduler_kwargs=dict(KWARGS), logging_steps=1,
        report_to=[], use_cpu=True, disable_tqdm=True, seed=0, save_strategy="steps", save_steps=5,
    )
    args = TrainingArguments(**{**options, **overrides})
    return Trainer(model=model, args=args, train_dataset=data)


def logged(trainer: Trainer) -> dict[int, float]:
    return {e["step"]: e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Trainer, Path]:
    out = tmp_path_factory.mktemp("full")
    trainer = make_trainer(out)
    trainer.train()
    return trainer, out


def test_logs_carry_the_statistic_and_the_warmup_end(full_run: tuple[Trainer, Path]) -> None:
    trainer, out = full_run
    sched = trainer.lr_scheduler
    assert sched.warmup_end_step is not None and 0 < sched.warmup_end_step <= 30
    history = trainer.state.log_history
    stats = [e for e in history if "warmup_statistic" in e]
    ends = [e for e in history if "warmup_end_step" in e]
    assert stats, "no warmup_statistic in the logs"
    assert len(ends) == 1 and ends[0]["warmup_end_step"] == sched.warmup_end_step
    assert ends[0]["warmup_peak_fraction"] == pytest.approx(sched.peak_fraction)
    assert all(e["warmup_coherence"] > 0 for e in stats)  # AdamW keeps a first moment: φ beside every S
    # the same entries reach trainer_state.json of the last checkpoint
    state = json.loads((out / f"checkpoint-{STEPS}" / "trainer_state.json").read_text())
    assert any("warmup_end_step" in e for e in state["log_history"])
    # learning rates: ramp, peak at the end of warmup, then linear decay to 0 at T
    lrs = logged(trainer)
    end = sched.warmup_end_step
    # (transformers >= 5 logs the LR an update used, older versions the LR after the scheduler step)
    peak_step = max(lrs, key=lambda s: lrs[s])
    assert lrs[peak_step] == pytest.approx(3e-3) and peak_step in (end - 1, end, end + 1)
    assert all(lrs[s + 1] >= lrs[s] for s in range(1, end))
    assert all(lrs[s + 1] <= lrs[s] for s in range(end + 1, STEPS))


def test_other_schedules_get_no_diagnostics(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, save_strategy="no", lr_scheduler_type="linear_warmup",
                           lr_scheduler_kwargs={}, warmup_steps=5, max_steps=6)
    trainer.train()
    assert not any("warmup_statistic" in e or "warmup_end_step" in e for e in trainer.state.log_history)


@pytest.mark.slow
def test_resume_gives_bit_identical_learning_rates(full_run: tuple[Trainer, Path], tmp_path: Path) -> None:
    trainer, out = full_run
    reference = logged(trainer)
    end = trainer.lr_scheduler.warmup_end_step
    checkpoints = sorted(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*"))
    before = [c for c in checkpoints if c < end][:1]
    around = [min(checkpoints, key=lambda c: abs(c - end))]
    after = [c for c in checkpoints if c > end + 5][:1]
    chosen = sorted(set(before + around + after))
    assert before and after, f"checkpoints {checkpoints} do not straddle the warmup end {end}"
    for ckpt in chosen:
        resumed = make_trainer(tmp_path / f"r{ckpt}", save_strategy="no")
        resumed.train(resume_from_checkpoint=os.fspath(out / f"checkpoint-{ckpt}"))
        got = logged(resumed)
        for step in range(ckpt + 1, STEPS + 1):
            assert got[step] == reference[step], \
                f"resumed from {ckpt}: step {step} {got[step]!r} != {reference[step]!r}"
        assert resumed.lr_scheduler.warmup_end_step == end
