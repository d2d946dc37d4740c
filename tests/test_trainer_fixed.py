"""A real ``transformers.Trainer.train()`` with every fixed schedule, on a tiny GPT-2 (CPU, 12 steps).

The logged ``learning_rate`` of step ``s`` (1-based ``global_step``) is the LR that step's update used, i.e.
``peak · f(s - 1)`` with ``t = s - 1`` scheduler steps taken before it. ``f`` is recomputed here from the
formulas, independently of hf_warmup.
"""

from __future__ import annotations

import math

import pytest
from transformers import Trainer, TrainingArguments

from hf_warmup import WarmupDecayLR

PEAK = 1e-3
MAX_STEPS = 12

pytestmark = pytest.mark.usefixtures("single_thread")
BETA2 = 0.8  # untuned length round(2 / (1 - 0.8)) = 10 < MAX_STEPS, so a decay has room


# ---------------------------------------------------------------------------- independent formulas


def untuned_len(beta2: float) -> int:
    return round(2.0 / (1.0 - beta2))


def omega_linear(t, w, s=0.0):
    return 1.0 if w == 0 else s + (1 - s) * min(1.0, (t + 1) / w)


def omega_constant(t, w, a=0.1):
    return a if t < w else 1.0


def omega_exp(t, tau):
    return 1.0 - math.exp(-(t + 1) / tau)


def omega_radam(t, beta2):
    rho_inf = 2.0 / (1.0 - beta2) - 1.0

    def rho(n):
        return rho_inf - 2.0 * n * beta2**n / (1.0 - beta2**n)

    n = 1
    while rho(n) <= 4.0:
        n += 1
    n += t
    r = rho(n)
    return min(1.0, math.sqrt((r - 4) * (r - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * r)))


def decay_factor(t, start, total, kw):
    kind = kw.get("decay", "linear")
    m = kw.get("min_lr_ratio", 0.0)
    if kind == "constant" or t <= start:
        return 1.0
    p = min(1.0, (t - start) / (total - start))
    if kind == "linear":
        return m + (1 - m) * (1 - p)
    if kind == "cosine":
        return m + (1 - m) * 0.5 * (1 + math.cos(2 * math.pi * kw.get("num_cycles", 0.5) * p))
    if kind == "polynomial":
        return m + (1 - m) * (1 - p) ** kw.get("power", 1.0)
    if kind == "inverse_sqrt":
        tau = kw.get("timescale", max(start, 1))
        return m + (1 - m) / math.sqrt(1 + (t - start) / tau)
    if kind == "wsd":
        d = max(start, total - round(kw.get("decay_ratio", 0.1) * total))
        q = min(1.0, max(0.0, (t - d) / (total - d)))
        shape = {"linear": 1 - q, "cosine": 0.5 * (1 + math.cos(math.pi * q)), "sqrt": 1 - math.sqrt(q)}
        return m + (1 - m) * shape[kw.get("decay_shape", "linear")]
    raise AssertionError(kind)


def expected_factor(name, t, w, kw):
    if name == "linear_warmup":
        return omega_linear(t, w, kw.get("start_factor", 0.0)) * decay_factor(t, w, MAX_STEPS, kw)
    if name == "constant_warmup":
        return omega_constant(t, w, kw.get("warmup_factor", 0.1)) * decay_factor(t, w, MAX_STEPS, kw)
    if name == "exponential_warmup":
        return omega_exp(t, w / 2) * decay_factor(t, w, MAX_STEPS, kw)
    big_l = untuned_len(BETA2)
    if name == "untuned_linear_warmup":
        return omega_linear(t, big_l) * decay_factor(t, big_l, MAX_STEPS, kw)
    if name == "untuned_exponential_warmup":
        return omega_exp(t, 1 / (1 - BETA2)) * decay_factor(t, big_l, MAX_STEPS, kw)
    if name == "radam_warmup":
        return omega_radam(t, BETA2) * decay_factor(t, big_l, MAX_STEPS, kw)
    raise AssertionError(name)


CASES = [
    ("linear_warmup", 4, {}),
    ("linear_warmup", 4, {"decay": "cosine", "min_lr_ratio": 0.1}),
    ("linear_warmup", 4, {"start_factor": 0.2, "decay": "wsd", "decay_ratio": 0.5, "decay_shape": "cosine"}),
    ("constant_warmup", 4, {"warmup_factor": 0.25, "decay": "polynomial", "power": 2.0}),
    ("exponential_warmup", 4, {"decay": "inverse_sqrt"}),
    ("untuned_linear_warmup", 0, {}),
    ("untuned_exponential_warmup", 0, {"decay": "cosine", "min_lr_ratio": "0.05"}),
    ("radam_warmup", 0, {"decay": "linear"}),
]


@pytest.mark.parametrize(
    "name, warmup_steps, kwargs", CASES, ids=[f"{n}-{k.get('decay', 'linear')}" for n, _, k in CASES]
)
def test_trainer_logs_expected_lr(name, warmup_steps, kwargs, tiny_lm, tiny_lm_dataset, tmp_path):
    args = TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=MAX_STEPS,
        per_device_train_batch_size=4,
        learning_rate=PEAK,
        adam_beta2=BETA2,
        lr_scheduler_type=name,
        lr_scheduler_kwargs=kwargs,
        warmup_steps=warmup_steps,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
        seed=0,
        dataloader_num_workers=0,
    )
    trainer = Trainer(model=tiny_lm, args=args, train_dataset=tiny_lm_dataset)
    trainer.train()

    assert isinstance(trainer.lr_scheduler, WarmupDecayLR)
    assert trainer.lr_scheduler.name == name
    logged = {e["step"]: e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e}
    assert sorted(logged) == list(range(1, MAX_STEPS + 1))
    coerced = {k: float(v) if k == "min_lr_ratio" else v for k, v in kwargs.items()}
    for step, lr in logged.items():
        want = PEAK * expected_factor(name, step - 1, warmup_steps, coerced)
        assert lr == pytest.approx(want, rel=1e-9, abs=1e-15), (name, step, lr, want)
    # every param group (decay / no-decay) got the same schedule
    groups = trainer.optimizer.param_groups
    assert len({g["lr"] for g in groups}) == 1
    assert groups[0]["lr"] == pytest.approx(PEAK * expected_factor(name, MAX_STEPS, warmup_steps, coerced))
    # no adaptive diagnostics for fixed schedules
    assert not any("warmup_statistic" in e or "warmup_end_step" in e for e in trainer.state.log_history)
    assert all(math.isfinite(e["loss"]) for e in trainer.state.log_history if "loss" in e)


def test_trainer_rejects_bad_kwargs_before_training(tiny_lm, tiny_lm_dataset, tmp_path):
    args = TrainingArguments(
        output_dir=str(tmp_path), max_steps=MAX_STEPS, per_device_train_batch_size=4, learning_rate=PEAK,
        lr_scheduler_type="linear_warmup", lr_scheduler_kwargs={"warmup_ratio": 0.1}, warmup_steps=4,
        report_to=[], use_cpu=True, save_strategy="no", disable_tqdm=True,
    )
    trainer = Trainer(model=tiny_lm, args=args, train_dataset=tiny_lm_dataset)
    with pytest.raises(ValueError, match="warmup_ratio"):
        trainer.train()
    assert trainer.state.global_step == 0
