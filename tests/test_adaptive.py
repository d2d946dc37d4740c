"""adaptive_warmup on real torch optimizers: when it ends, what it refuses, what it survives."""

from __future__ import annotations

import io
import math

import pytest
import torch
from transformers import get_scheduler

import hf_warmup
from hf_warmup.adaptive import AdaptiveWarmupLR


def regression_run(
    drift: bool = False,
    scale: float = 1.0,
    calls_per_step: int = 1,
    beta2: float = 0.999,
    steps: int = 2000,
    optimizer: str = "adamw",
    **kwargs: object,
) -> AdaptiveWarmupLR:
    """A stationary regression: targets are pure noise and the weights start at the optimum (0), so the
    gradient distribution does not change over training.

    With ``drift`` the loss is multiplied by ``exp(step / 200)`` until step 1000: the second moments grow
    steadily, faster than the EMA follows.
    """
    torch.manual_seed(0)
    x = torch.randn(4096, 64)
    y = torch.randn(4096)
    model = torch.nn.Linear(64, 1, bias=False)
    torch.nn.init.zeros_(model.weight)  # at the optimum already: the gradient is pure, stationary noise
    if optimizer == "adamw":
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, beta2))
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=beta2)
    else:
        from transformers.optimization import Adafactor

        opt = Adafactor(model.parameters(), lr=1e-3, relative_step=False, scale_parameter=False)
    kwargs.setdefault("max_warmup_steps", 2000 * calls_per_step)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=10**6,
                          scheduler_specific_kwargs=kwargs)
    gen = torch.Generator().manual_seed(0)
    for step in range(steps):
        idx = torch.randint(0, 4096, (64,), generator=gen)
        loss = ((model(x[idx]).squeeze(-1) - y[idx]) ** 2).mean() * scale
        if drift and step < 1000:
            loss = loss * math.exp(step / 200)
        opt.zero_grad()
        loss.backward()
        opt.step()
        for _ in range(calls_per_step):
            sched.step()
        if sched.warmup_end_step is not None:
            break
    return sched


def real_end(sched: AdaptiveWarmupLR) -> int:
    """The optimizer step at which the stability decision was taken."""
    return sched.monitor.real_steps


def test_stationary_ends_well_before_the_bound() -> None:
    sched = regression_run()
    assert sched.end_reason == "stable"
    assert sched.warmup_end_step is not None and sched.warmup_end_step < 500
    assert sched.last_statistic is not None and sched.last_statistic <= 0.5


def test_drifting_second_moments_keep_the_warmup_going() -> None:
    sched = regression_run(drift=True)
    assert real_end(sched) >= 1000, f"warmup ended at optimizer step {real_end(sched)} during the drift"


def test_duplicate_scheduler_calls_do_not_look_stable() -> None:
    sched = regression_run(drift=True, calls_per_step=4)
    assert real_end(sched) >= 1000
    # the ramp is in scheduler steps, the checks in optimizer steps
    assert sched.warmup_end_step is not None and sched.warmup_end_step >= 4000


def test_loss_scale_does_not_change_the_end() -> None:
    base = regression_run()
    scaled = regression_run(scale=1000.0)
    assert base.warmup_end_step is not None and scaled.warmup_end_step is not None
    assert abs(base.warmup_end_step - scaled.warmup_end_step) <= base.monitor.check_interval


@pytest.mark.parametrize("optimizer", ["rmsprop", "adafactor"])
def test_other_second_moment_optimizers(optimizer: str) -> None:
    sched = regression_run(optimizer=optimizer, beta2=0.99, steps=600, max_warmup_steps=2000)
    assert sched.monitor.location.rule in {"ema", "adafactor"}
    assert sched.last_statistic is not None and math.isfinite(sched.last_statistic)


def test_adafactor_factored_state_is_read() -> None:
    from transformers.optimization import Adafactor

    from hf_warmup.optim_state import iter_sources

    model = torch.nn.Linear(32, 16)
    opt = Adafactor(model.parameters(), lr=1e-3, relative_step=False, scale_parameter=False)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100,
                          scheduler_specific_kwargs={"check_interval": 2})
    for _ in range(6):
        model(torch.randn(8, 32)).pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
        sched.step()
    keys = {src.key for src, _ in iter_sources(sched.monitor.location)}
    assert {"exp_avg_sq_row", "exp_avg_sq_col", "exp_avg_sq"} <= keys
    assert sched.last_statistic is not None


def test_sgd_and_lion_like_optimizers_are_refused() -> None:
    p = torch.nn.Parameter(torch.zeros(3))
    with pytest.raises(ValueError, match="adaptive optimizer.*fixed warmup"):
        get_scheduler("adaptive_warmup", torch.optim.SGD([p], lr=0.1), num_warmup_steps=0, num_training_steps=10)

    class Lion(torch.optim.Optimizer):
        def __init__(self, params: object) -> None:
            super().__init__(params, {"lr": 1e-4, "betas": (0.9, 0.99)})

    with pytest.raises(ValueError, match="Lion"):
        get_scheduler("adaptive_warmup", Lion([p]), num_warmup_steps=0, num_training_steps=10)


def test_nan_state_never_ends_warmup_and_never_crashes() -> None:
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=1000,
                          scheduler_specific_kwargs={"check_interval": 1, "patience": 1, "threshold": 1e9,
                                                     "max_warmup_steps": 100})
    for _ in range(20):
        model(torch.randn(4, 8)).pow(2).mean().backward()
        model.weight.grad[0, 0] = float("nan")
        opt.step()
        opt.zero_grad()
        sched.step()
    assert math.isnan(sched.last_statistic)
    assert sched.warmup_end_step is None
    assert all(math.isfinite(lr) for lr in sched.get_last_lr())


def test_fp16_skipped_steps_are_not_counted() -> None:
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=1000)
    for step in range(6):
        loss = model(torch.randn(4, 8)).pow(2).mean()
        scaler.scale(loss).backward()
        if step % 2 == 0:
            model.weight.grad.fill_(float("inf"))  # overflow: the scaler skips optimizer.step()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        sched.step()
    assert sched.monitor.real_steps == 3


def test_bounds_are_respected() -> None:
    # never stable (second moments drifting): warmup is a linear ramp that ends exactly at max_warmup_steps
    sched = regression_run(drift=True, steps=300, max_warmup_steps=120)
    assert [sched.factor(t) for t in (0, 59, 119)] == [1 / 120, 0.5, 1.0]
    assert sched.end_reason == "max_warmup_steps" and sched.warmup_end_step == 120
    # stable at once (threshold huge) but not before min_warmup_steps
    sched = regression_run(steps=300, threshold=1e9, max_warmup_steps=200, min_warmup_steps=80, patience=1)
    assert sched.end_reason == "stable"
    assert 80 <= sched.decision_step < sched.warmup_end_step <= 200


def test_lr_ramps_hands_off_and_never_exceeds_the_peak() -> None:
    sched = regression_run(steps=400, threshold=1e9, max_warmup_steps=300, min_warmup_steps=50, patience=1,
                           handoff_steps=20)
    d, end = sched.decision_step, sched.warmup_end_step
    factors = [sched.factor(t) for t in range(end + 1)]
    assert all(0 < f <= 1 for f in factors)
    assert all(b >= a for a, b in zip(factors, factors[1:])), "LR decreased during warmup"
    assert factors[end] == 1.0 and factors[d] < 1.0
    assert end - d == 20
    # the hand-off is a ramp, not a jump
    assert max(b - a for a, b in zip(factors[d:], factors[d + 1 :])) <= 1.0 / 20 + 1e-12


def test_memory_does_not_grow_with_width() -> None:
    sizes = []
    for width in (64, 1024):
        model = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.Linear(width, width))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=1000,
                              scheduler_specific_kwargs={"check_interval": 2})
        for _ in range(4):
            model(torch.randn(2, width)).sum().backward()
            opt.step()
            opt.zero_grad()
            sched.step()
        buf = io.BytesIO()
        torch.save(sched.state_dict(), buf)
        sizes.append((sched.monitor.state_bytes(), len(buf.getvalue())))
    assert sizes[0][0] == sizes[1][0] <= 64 * 1024
    assert abs(sizes[0][1] - sizes[1][1]) < 256 and sizes[1][1] <= 64 * 1024


def test_state_dict_is_plain_and_resumes_exactly(tmp_path: object) -> None:
    def make() -> tuple[torch.nn.Module, torch.optim.Optimizer, AdaptiveWarmupLR]:
        torch.manual_seed(0)
        model = torch.nn.Linear(16, 1)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=300,
                              scheduler_specific_kwargs={"check_interval": 3, "max_warmup_steps": 60})
        return model, opt, sched

    def train(model, opt, sched, steps, start):  # type: ignore[no-untyped-def]
        lrs = []
        for s in range(start, start + steps):
            g = torch.Generator().manual_seed(s)
            x = torch.randn(8, 16, generator=g)
            model(x).pow(2).mean().backward()
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            opt.zero_grad()
            sched.step()
        return lrs

    model, opt, sched = make()
    full = train(model, opt, sched, 120, 0)
    assert sched.warmup_end_step is not None
    for cut in (10, 25, sched.warmup_end_step, 90):
        model, opt, sched = make()
        first = train(model, opt, sched, cut, 0)
        path = f"{tmp_path}/ckpt.pt"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, path)
        model, opt, sched = make()
        ckpt = torch.load(path, weights_only=True)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        rest = train(model, opt, sched, 120 - cut, cut)
        assert first + rest == full, f"LR path differs after resuming at step {cut}"


def test_public_surface() -> None:
    assert "adaptive_warmup" in hf_warmup.SCHEDULE_NAMES
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99))
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=1000)
    assert isinstance(sched, AdaptiveWarmupLR) and isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert sched.warmup_end_step is None and sched.last_statistic is None
    assert sched.max_warmup_steps == 200  # min(round(2 / (1 - 0.99)), 0.5 * 1000)
    short = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=300)
    assert short.max_warmup_steps == 150  # min(200, 0.5 * 300)
    given = get_scheduler("adaptive_warmup", opt, num_warmup_steps=40, num_training_steps=300)
    assert given.max_warmup_steps == 40
    assert 0 < sched.get_last_lr()[0] < 1e-3
