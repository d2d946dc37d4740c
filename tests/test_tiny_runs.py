"""Tiny and odd runs behave like transformers' ``linear``: wherever it runs, every hf_warmup schedule runs.

Every schedule x decay x T in {1, 2, 3, 5, 10} x W in {0, 1, ceil(0.1·T), T, 2T + 3}: transformers' ``linear``
runs all T steps; so does each hf_warmup schedule, with finite LRs in [0, peak], and a warmup that does not fit
is shortened to T - 1 with exactly one ``WarmupFitWarning`` that says so. Real errors still raise: an unknown
kwarg, an out-of-range value, a β2-derived schedule on SGD. Two real Trainer runs with ``max_steps=1``.
"""

from __future__ import annotations

import json
import math
import warnings

import pytest
import torch
from transformers import get_scheduler

from hf_warmup import DECAYS, SCHEDULE_NAMES, ScheduleConfigError, WarmupFitWarning

TS = (1, 2, 3, 5, 10)
PEAK = 0.5


def _warmups(total: int) -> list[int]:
    return sorted({0, 1, math.ceil(0.1 * total), total, 2 * total + 3})


def _lrs(name: str, w: int, total: int, decay: str | None) -> tuple[list[float], list[warnings.WarningMessage], object]:
    param = torch.nn.Parameter(torch.ones(8))
    opt = torch.optim.AdamW([param], lr=PEAK, betas=(0.9, 0.99))
    kwargs = {} if decay is None else {"decay": decay}
    if name == "adaptive_warmup":
        kwargs["check_interval"] = 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched = get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=total,
                              scheduler_specific_kwargs=kwargs)
        out = []
        gen = torch.Generator().manual_seed(total)
        for _ in range(total):
            out.append(opt.param_groups[0]["lr"])
            param.grad = torch.randn(8, generator=gen)
            opt.step()
            sched.step()
    return out, [c for c in caught if issubclass(c.category, UserWarning)], sched


@pytest.mark.parametrize("decay", DECAYS)
@pytest.mark.parametrize("name", SCHEDULE_NAMES)
def test_runs_wherever_linear_runs(name: str, decay: str) -> None:
    for total in TS:
        for w in _warmups(total):
            reference, _, _ = _lrs("linear", w, total, None)  # transformers' own: it runs
            assert len(reference) == total
            lrs, caught, sched = _lrs(name, w, total, decay)
            case = f"{name} decay={decay} W={w} T={total}"
            assert len(lrs) == total and all(math.isfinite(x) and 0.0 <= x <= PEAK * (1 + 1e-12) for x in lrs), \
                f"{case}: {lrs}"
            fits = [c for c in caught if issubclass(c.category, WarmupFitWarning)]
            assert len(fits) <= 1, f"{case}: {[str(c.message) for c in fits]}"
            config = sched.describe_config()
            fitted = config["fitted_to_num_training_steps"]
            assert bool(fits) == (fitted or (name.startswith(("untuned", "radam")) and w > 0)), case
            if fitted:
                message = str(fits[0].message)
                assert f"num_training_steps={total}" in message and f"shortened to {total - 1} step" in message, \
                    message
                length = config.get("max_warmup_steps", (config.get("warmup_length") or [None])[0])
                assert length == total - 1, f"{case}: {config}"
            else:
                assert "shortened" not in " ".join(str(c.message) for c in fits), case
            if total == 1 and decay in ("linear", "cosine", "polynomial", "wsd"):
                assert lrs == [pytest.approx(PEAK)], f"{case}: no room for a warmup: one step at the peak"


def _adamw() -> torch.optim.AdamW:
    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=1.0)


@pytest.mark.parametrize("call, needle", [
    (lambda: get_scheduler("adaptive_warmup", _adamw(), num_warmup_steps=0, num_training_steps=1,
                           scheduler_specific_kwargs={"treshold": 0.1}), "treshold"),
    (lambda: get_scheduler("linear_warmup", _adamw(), num_warmup_steps=5, num_training_steps=1,
                           scheduler_specific_kwargs={"min_lr_ratio": 1.5}), "min_lr_ratio"),
    (lambda: get_scheduler("radam_warmup", torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0),
                           num_warmup_steps=0, num_training_steps=1), "betas"),
    (lambda: get_scheduler("adaptive_warmup", _adamw(), num_warmup_steps=0, num_training_steps=3,
                           scheduler_specific_kwargs={"max_warmup_steps": 2, "min_warmup_steps": 3}),
     "min_warmup_steps"),
])
def test_real_errors_still_raise_on_tiny_runs(call, needle: str) -> None:
    with pytest.raises(ScheduleConfigError, match=needle):
        call()


@pytest.mark.parametrize("name", ["adaptive_warmup", "untuned_linear_warmup"])
def test_trainer_max_steps_1(name, tmp_path, tiny_lm, tiny_lm_dataset, single_thread) -> None:
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(output_dir=str(tmp_path), max_steps=1, warmup_steps=0.1, lr_scheduler_type=name,
                             per_device_train_batch_size=4, report_to="none", save_strategy="no", use_cpu=True,
                             dataloader_pin_memory=False, logging_steps=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = Trainer(model=tiny_lm, args=args, train_dataset=tiny_lm_dataset)
        trainer.train()
    fits = [str(c.message) for c in caught if issubclass(c.category, WarmupFitWarning)]
    assert len(fits) == 1 and "shortened to 0 steps" in fits[0], fits
    assert trainer.state.global_step == 1
    report = json.loads((tmp_path / "warmup.json").read_text())
    assert report["config"]["fitted_to_num_training_steps"] is True
    assert report["lr"] == [[1, pytest.approx(args.learning_rate)]]  # no room for a warmup: the peak, as linear W=0
