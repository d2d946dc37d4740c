"""adaptive_warmup on real torch optimizers: when it ends, what it refuses, what it survives."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from types import SimpleNamespace

import pytest
import torch
from transformers import get_scheduler

import hf_warmup
from hf_warmup.adaptive import AdaptiveWarmupLR, get_adaptive_warmup_schedule
from hf_warmup.options import ScheduleConfigError
from hf_warmup.report import end_clause, start_info, start_line


def regression_run(
    drift: bool = False,
    scale: float = 1.0,
    calls_per_step: int = 1,
    beta2: float = 0.999,
    steps: int = 2000,
    optimizer: str = "adamw",
    lr_dependent: bool = False,
    lrs: list[float] | None = None,
    total: int = 10**6,
    after_step: Callable[[AdaptiveWarmupLR], None] | None = None,
    **kwargs: object,
) -> AdaptiveWarmupLR:
    """A stationary regression: targets are pure noise and the weights start at the optimum (0), so the
    gradient distribution does not change over training (1024 coordinates).

    * ``drift``: the loss is multiplied by ``exp(step / 200)`` until step 1000: the second moments grow
      steadily, faster than the EMA follows;
    * ``lr_dependent``: the gradients are stationary while the LR factor ω is below 0.5 and grow as ``(2ω)³``
      above it (squared gradients ``(2ω)⁶``): a model that is calm at a small LR and not at the peak.
    """
    torch.manual_seed(0)
    x = torch.randn(4096, 64)
    y = torch.randn(4096, 16)
    model = torch.nn.Linear(64, 16, bias=False)
    torch.nn.init.zeros_(model.weight)  # at the optimum already: the gradient is pure, stationary noise
    if optimizer == "adamw":
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, beta2))
    elif optimizer == "rmsprop":
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=beta2)
    else:
        from transformers.optimization import Adafactor

        opt = Adafactor(model.parameters(), lr=1e-3, relative_step=False, scale_parameter=False)
    kwargs.setdefault("max_warmup_steps", 2000 * calls_per_step)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total,
                          scheduler_specific_kwargs=kwargs)
    peak = opt.param_groups[0]["initial_lr"]
    gen = torch.Generator().manual_seed(0)
    for step in range(steps):
        idx = torch.randint(0, 4096, (64,), generator=gen)
        loss = ((model(x[idx]) - y[idx]) ** 2).mean() * scale
        if drift and step < 1000:
            loss = loss * math.exp(step / 200)
        omega = opt.param_groups[0]["lr"] / peak
        if lr_dependent:
            loss = loss * max(1.0, 2.0 * omega) ** 3
        if lrs is not None:
            lrs.append(omega)
        opt.zero_grad()
        loss.backward()
        opt.step()
        for _ in range(calls_per_step):
            sched.step()
        if after_step is not None:
            after_step(sched)
        if sched.warmup_end_step is not None:
            break
    return sched


def real_end(sched: AdaptiveWarmupLR) -> int:
    """The optimizer step at which the end was decided."""
    return sched.monitor.real_steps


# The numbers below are the ones docs/adaptive_warmup.md quotes ("What the tests pin down").
STATIONARY_END = 840  # R = 800 (0.4 · M, M = 2000): the ramp at (nearly) full pace, then stable at the peak


def test_stationary_runs_the_fastest_ramp_and_ends_at_the_peak() -> None:
    lrs: list[float] = []
    sched = regression_run(lrs=lrs)
    assert sched.min_warmup_steps == 800 and sched.max_warmup_steps == 2000
    assert sched.end_reason == "stable"
    assert sched.warmup_end_step == STATIONARY_END
    # the noise floor is taken out: the excess innovation of pure noise is ~0 at every check
    # (the first check, with v̂ from only 10 gradients, is beyond the first-order approximation: it reads < 0)
    assert all(abs(stat) < 0.1 for _, stat, *_ in sched.check_history[1:]), sched.check_history
    assert sched.check_history[0][1] < 0
    assert lrs[-1] > 0.99 and sched.warmup_factor(sched.warmup_end_step) == 1.0


def test_raw_innovation_of_pure_noise_is_its_noise_floor() -> None:
    """S ≈ 2/n_eff for Gaussian noise (Jensen), and the excess Ŝ = S - V·k/(k+n_eff) ≈ 0 at every n_eff."""
    from hf_warmup.statistic import coordinate_sums, effective_samples, excess, finish

    gen = torch.Generator().manual_seed(0)
    beta2, k, n = 0.99, 10, 100_000
    for steps in (40, 100, 400):
        v = torch.zeros(n, dtype=torch.float64)
        for _ in range(steps - k):
            v = beta2 * v + (1 - beta2) * torch.randn(n, generator=gen, dtype=torch.float64) ** 2
        old = v.clone()
        for _ in range(k):
            v = beta2 * v + (1 - beta2) * torch.randn(n, generator=gen, dtype=torch.float64) ** 2
        a, b, c = 1 - beta2 ** (steps - k), 1 - beta2**steps, 1 - beta2**k
        ones = torch.ones(n, dtype=torch.float64)
        window = finish(coordinate_sums(old, v, a * ones, b * ones, c * ones).tolist())
        n_eff = effective_samples("adam", beta2, steps - k)
        assert window.S == pytest.approx(2 / n_eff, rel=0.25), (steps, window.S, n_eff)
        assert abs(excess(window, k, n_eff)) < 0.2 * window.S


def test_lr_dependent_gradients_hold_the_ramp_until_they_settle() -> None:
    """Calm at a small LR, growing above half the peak: the ramp must slow down there, and end only once the
    second moments have settled at the peak. (The rule before this design ended at the first possible check,
    at a small fraction of the peak, on this problem.)"""
    kwargs = {"max_warmup_steps": 2000, "min_warmup_steps": 200}
    calm: list[float] = []
    regression_run(beta2=0.99, lrs=calm, **kwargs)
    lrs: list[float] = []
    sched = regression_run(beta2=0.99, lr_dependent=True, lrs=lrs, **kwargs)
    half = next(i for i, w in enumerate(lrs) if w > 0.5)
    assert sched.end_reason == "stable"
    assert sched.warmup_end_step is not None and sched.warmup_end_step >= 2 * len(calm)
    # the second half of the ramp, where the gradients grow, took at least three times as long as when calm
    calm_half = next(i for i, w in enumerate(calm) if w > 0.5)
    assert len(lrs) - half >= 3 * (len(calm) - calm_half)
    assert sched.statistic_at_end is not None and sched.statistic_at_end <= sched.policy.threshold


def test_the_ramp_account_counts_the_steps_the_checks_held_the_ramp() -> None:
    """``ramp_account`` (the report's "what set the length") against the LR the optimizer used: the calm problem
    climbs at the fastest pace R = 200, so the checks held nothing; the LR-dependent one reaches the peak hundreds of
    steps later, and those steps are the ones the account gives the checks. An edge end counts its whole climb."""
    from hf_warmup.report import ramp_account

    kwargs = {"max_warmup_steps": 2000, "min_warmup_steps": 200}
    for lr_dependent in (False, True):
        lrs: list[float] = []
        sched = regression_run(beta2=0.99, lr_dependent=lr_dependent, lrs=lrs, **kwargs)
        lrs.append(sched.warmup_factor(len(lrs)))  # the LR of the step after the last one trained
        first_peak = next(i for i, w in enumerate(lrs) if w >= 1 - 1e-9)
        account = ramp_account(sched, sched.warmup_end_step, len(lrs))
        assert account == {"peak_step": first_peak, "ramp_slowed_steps": first_peak + 1 - 200,
                           "ramp_account_exact": True}
        assert (account["ramp_slowed_steps"] >= 300) is lr_dependent, account
    edge, edge_lrs = bowl_run(1.0)
    end = edge.warmup_end_step
    assert edge.end_reason == "edge" and end is not None
    assert ramp_account(edge, end, 300) == {"peak_step": None, "ramp_account_exact": True,
                                            "ramp_slowed_steps": round(end + 1 - edge_lrs[end] * edge.min_warmup_steps)}


def test_drifting_second_moments_keep_the_warmup_going() -> None:
    sched = regression_run(drift=True)
    assert real_end(sched) >= 1000, f"warmup ended at optimizer step {real_end(sched)} during the drift"
    assert sched.end_reason == "stable"


def test_duplicate_scheduler_calls_do_not_look_stable() -> None:
    single = regression_run(drift=True)
    sched = regression_run(drift=True, calls_per_step=4)
    assert real_end(sched) == real_end(single)
    # the ramp is in scheduler steps, the checks in optimizer steps
    assert sched.warmup_end_step is not None and sched.warmup_end_step >= 4000


def test_loss_scale_does_not_change_the_end() -> None:
    base = regression_run()
    scaled = regression_run(scale=1000.0)
    assert base.warmup_end_step == scaled.warmup_end_step == STATIONARY_END


@pytest.mark.parametrize("optimizer", ["rmsprop", "adafactor"])
def test_other_second_moment_optimizers(optimizer: str) -> None:
    sched = regression_run(optimizer=optimizer, beta2=0.99, steps=600, max_warmup_steps=2000)
    assert sched.monitor.location.rule in {"ema", "adafactor"}
    stats = [stat for _, stat, *_ in sched.check_history]
    assert len(stats) >= 20 and all(math.isfinite(x) for x in stats)
    if optimizer == "rmsprop":
        # RMSprop has no bias correction: v starts at 0, so early v̂ is too small, its steps too large, and
        # Ŝ ≈ 1/(1 - α^t) - 1 > 0 holds the ramp until the EMA has filled
        assert stats[0] > 1.0 and stats[-1] < 0.1 and stats[0] > stats[10] > stats[-1]
    else:  # stationary gradients: once the noise floor is taken out, the excess innovation is near 0
        assert abs(sum(stats[5:]) / len(stats[5:])) < 0.1, stats


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
    assert sched.last_statistic is not None and math.isfinite(sched.last_statistic)
    assert sched.last_window is not None and sched.last_window.count == 16 + 32 + 16  # row, col, bias


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
    # never stable (second moments drifting): the ramp still reaches 1 at M - 1 and the warmup ends at M
    lrs: list[float] = []
    sched = regression_run(drift=True, steps=300, max_warmup_steps=120, min_warmup_steps=60, threshold=0.02, lrs=lrs)
    assert sched.end_reason == "bound" and sched.warmup_end_step == 120
    assert lrs[119] == pytest.approx(1.0) and lrs[0] < 0.02  # reached the peak by M - 1, from 1/R
    # stationary but R = min_warmup_steps: never ends before the fastest ramp has reached the peak
    sched = regression_run(steps=400, max_warmup_steps=300, min_warmup_steps=150)
    assert sched.end_reason == "stable"
    assert 150 <= sched.warmup_end_step <= 150 + 2 * sched.check_interval


def test_check_interval_follows_the_run_length() -> None:
    opt = torch.optim.AdamW(torch.nn.Linear(4, 4).parameters(), lr=1e-3)
    for total, want in [(40, 1), (60, 1), (250, 5), (400, 8), (600, 10), (10**6, 10)]:
        sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total)
        assert sched.check_interval == want, total
        assert "round(num_training_steps" in sched.describe_config()["check_interval_from"]
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=40,
                          scheduler_specific_kwargs={"check_interval": 7})
    assert sched.check_interval == 7 and sched.describe_config()["check_interval_from"] == "lr_scheduler_kwargs"
    sched = get_adaptive_warmup_schedule(opt, num_warmup_steps=0, num_training_steps=None, decay="constant")
    assert sched.check_interval == 10
    # a 40-step fine-tune (M = 20, R = 8): stable right after the fastest ramp, not held at the peak until M
    short = regression_run(steps=40, total=40, max_warmup_steps=20)
    assert short.end_reason == "stable" and 7 <= short.warmup_end_step <= 10  # r = 1 at R - 1 = 7


def test_lr_ramps_without_jumps_and_never_exceeds_the_peak() -> None:
    lrs: list[float] = []
    sched = regression_run(beta2=0.99, lr_dependent=True, lrs=lrs, max_warmup_steps=1500, min_warmup_steps=100)
    assert sched.warmup_end_step is not None
    assert all(0 < w <= 1 for w in lrs)
    assert all(b >= a for a, b in zip(lrs, lrs[1:])), "LR decreased during warmup"
    # no jump: the ramp never moves faster than its fastest pace 1/R (or the catch-up toward M)
    assert max(b - a for a, b in zip(lrs, lrs[1:])) <= 1.0 / 100 + 1e-9
    assert lrs[-1] == 1.0


def test_check_history_is_bounded() -> None:
    sched = regression_run(drift=True, steps=1500, check_interval=1, max_warmup_steps=1400)
    history = sched.check_history
    assert 256 <= len(history) <= 512 and sched.history_stride >= 2
    steps = [h[0] for h in history]
    assert steps == sorted(steps) and all(b - a == sched.history_stride for a, b in zip(steps, steps[1:]))


def test_every_check_is_logged_after_the_history_is_thinned() -> None:
    """The callback logs S at the first log after each check, counted from the checks made: the kept history
    records every ``history_stride``-th check and halves when full, so its length is no count of checks."""
    from hf_warmup.callback import WarmupDiagnosticsCallback

    callback = WarmupDiagnosticsCallback()
    state = SimpleNamespace(log_history=[], global_step=0, is_world_process_zero=True)
    logged: list[bool] = []

    def log_every_step(sched: AdaptiveWarmupLR) -> None:
        state.global_step += 1
        logs: dict[str, float] = {"loss": 1.0}
        callback.on_log(None, state, None, logs=logs, lr_scheduler=sched)
        logged.append("warmup_statistic" in logs)

    sched = regression_run(drift=True, steps=1500, check_interval=1, max_warmup_steps=1400,
                           after_step=log_every_step)
    assert sched.history_stride >= 2 and len(sched.check_history) < sched.checks_done
    assert sum(logged) == sched.checks_done


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


Setup = tuple[torch.nn.Module, torch.optim.Optimizer, AdaptiveWarmupLR]


def train_steps(setup: Setup, loss_at: object, start: int, stop: int) -> list[float]:
    """Optimizer steps ``start..stop-1`` with ``loss_at(model, step)``; the LR each step used."""
    model, opt, sched = setup
    lrs = []
    for s in range(start, stop):
        loss_at(model, s).backward()  # type: ignore[operator]
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        opt.zero_grad()
        sched.step()
    return lrs


def resumed_path(make: object, loss_at: object, cut: int, stop: int, path: str) -> tuple[list[float], Setup]:
    """The LR path of a run checkpointed after ``cut`` steps (model, optimizer and scheduler ``state_dict``
    through ``torch.save`` / ``torch.load(weights_only=True)``, as the Trainer does), rebuilt by ``make()`` and
    resumed to ``stop``; and the resumed setup."""
    setup = make()  # type: ignore[operator]
    first = train_steps(setup, loss_at, 0, cut)
    torch.save({k: part.state_dict() for k, part in zip(("model", "opt", "sched"), setup)}, path)
    setup = make()  # type: ignore[operator]
    ckpt = torch.load(path, weights_only=True)
    for k, part in zip(("model", "opt", "sched"), setup):
        part.load_state_dict(ckpt[k])
    return first + train_steps(setup, loss_at, cut, stop), setup


def test_state_dict_is_plain_and_resumes_exactly(tmp_path: object) -> None:
    def make() -> Setup:
        torch.manual_seed(0)
        model = torch.nn.Linear(16, 1)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=300,
                              scheduler_specific_kwargs={"check_interval": 3, "max_warmup_steps": 60})
        return model, opt, sched

    def loss_at(model: torch.nn.Module, step: int) -> torch.Tensor:
        x = torch.randn(8, 16, generator=torch.Generator().manual_seed(step))
        return model(x).pow(2).mean()

    setup = make()
    full = train_steps(setup, loss_at, 0, 120)
    end = setup[2].warmup_end_step
    assert end is not None
    for cut in (10, 25, end, 90):
        resumed, _ = resumed_path(make, loss_at, cut, 120, f"{tmp_path}/ckpt.pt")
        assert resumed == full, f"LR path differs after resuming at step {cut}"


def test_public_surface() -> None:
    assert "adaptive_warmup" in hf_warmup.SCHEDULE_NAMES
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99))
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=1000)
    assert isinstance(sched, AdaptiveWarmupLR) and isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert sched.warmup_end_step is None and sched.last_statistic is None
    assert (sched.max_warmup_steps, sched.min_warmup_steps) == (500, 200)  # 0.5 · T, 0.4 · M
    assert sched.describe_config()["max_warmup_steps_from"] == "0.5 × num_training_steps=1000"
    given = get_scheduler("adaptive_warmup", opt, num_warmup_steps=40, num_training_steps=300)
    assert (given.max_warmup_steps, given.min_warmup_steps) == (40, 16)
    no_total = get_adaptive_warmup_schedule(opt, num_warmup_steps=0, num_training_steps=None, decay="constant")
    assert no_total.max_warmup_steps == 400  # 2 · 2/(1 - 0.99)
    assert sched.get_last_lr()[0] == pytest.approx(1e-3 / 200)


@pytest.mark.parametrize(("beta2", "total", "horizons", "bound"), [
    (0.95, 100_000, 10.0, 200),    # 10 horizons of 1/(1-β2) = 20 steps, whatever T
    (0.95, 300, 10.0, 150),        # a short run keeps 0.5 · T
    (0.999, 100_000, 10.0, 10_000),
    (0.95, 100_000, 0.0, 50_000),  # the switch off: 0.5 · T
])
def test_bound_from_beta2_horizons(beta2: float, total: int, horizons: float, bound: int) -> None:
    opt = torch.optim.AdamW(torch.nn.Linear(4, 1).parameters(), lr=1e-3, betas=(0.9, beta2))
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total,
                          scheduler_specific_kwargs={"max_warmup_horizons": horizons})
    assert (sched.max_warmup_steps, sched.min_warmup_steps) == (bound, round(0.4 * bound))
    assert ("1-β2" in sched.describe_config()["max_warmup_steps_from"]) is (bound < total // 2)
    given = get_scheduler("adaptive_warmup", opt, num_warmup_steps=40, num_training_steps=total,
                          scheduler_specific_kwargs={"max_warmup_horizons": horizons})
    assert given.max_warmup_steps == 40  # warmup_steps given: the bound is the user's


@pytest.mark.parametrize(("beta2", "total", "horizons", "fastest"), [
    (0.95, 100_000, 2.0, 40),        # Ma & Yarats' 2/(1-β2), whatever T
    (0.99, 3000, 2.0, 200),          # 200 < 0.4 · 1500
    (0.99, 300, 2.0, 60),            # a short run keeps 0.4 · M = 60 < 200
    (0.95, 100_000, 0.0, 20_000),    # the switch off: 0.4 · 0.5 · T
])
def test_fastest_ramp_from_beta2_horizons(beta2: float, total: int, horizons: float, fastest: int) -> None:
    opt = torch.optim.AdamW(torch.nn.Linear(4, 1).parameters(), lr=1e-3, betas=(0.9, beta2))
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total,
                          scheduler_specific_kwargs={"min_warmup_horizons": horizons})
    assert (sched.max_warmup_steps, sched.min_warmup_steps) == (round(0.5 * total), fastest)
    source = sched.describe_config()["min_warmup_steps_from"]
    assert ("1-β2" in source) is (fastest < round(0.2 * total)), source
    assert sched.get_last_lr()[0] == pytest.approx(1e-3 / fastest)  # r(0) = 1/R
    given = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total,
                          scheduler_specific_kwargs={"min_warmup_horizons": horizons, "min_warmup_steps": 7})
    assert given.min_warmup_steps == 7  # min_warmup_steps given: the user's


# -- the edge: the momentum's coherence ------------------------------------------------------------------------
def bowl_run(peak: float, steps: int = 300, total: int = 600,
             **kwargs: object) -> tuple[AdaptiveWarmupLR, list[float]]:
    """Adam on a quadratic bowl ``0.5·|w|²`` (4096 coordinates, w₀ ~ N(0, 1), slight gradient noise), T = ``total``.

    Adam's steps are about the LR in size, so once the LR exceeds ``|w|`` every step overshoots the minimum and
    the next gradient points back: the gradients alternate. At a small peak LR they all agree until the end.
    """
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4096))
    opt = torch.optim.Adam([w], lr=peak, betas=(0.9, 0.99))
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total,
                          scheduler_specific_kwargs=kwargs)
    gen = torch.Generator().manual_seed(1)
    lrs = []
    for _ in range(steps):
        loss = 0.5 * (w * w).sum() + 0.01 * (torch.randn(4096, generator=gen) * w).sum()
        opt.zero_grad()
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return sched, lrs


def test_overshooting_steps_end_the_warmup_at_the_edge() -> None:
    sched, lrs = bowl_run(1.0)
    assert sched.end_reason == "edge"
    end, fraction = sched.warmup_end_step, sched.peak_fraction
    assert end is not None and fraction is not None and 0.3 < fraction < 0.95
    assert sched.coherence_at_end is not None and sched.coherence_at_end < sched.policy.coherence_threshold
    # the coherence fell as the LR rose: ~15-19 while the steps all agreed, below the threshold at the end
    phis = [h[3] for h in sched.check_history]
    assert phis[0] > 10 and all(b < a for a, b in zip(phis[1:], phis[2:]))
    # the LR reached takes the peak's place: no jump at the end, never above it afterwards, then it decays
    assert lrs[end] == pytest.approx(fraction * 1.0)
    assert abs(lrs[end] - lrs[end - 1]) <= 1.0 / sched.min_warmup_steps + 1e-9
    assert max(lrs[end:]) <= fraction + 1e-12 and lrs[-1] < lrs[end]


def test_after_edge_hold_keeps_the_lr_reached_until_the_bound() -> None:
    ends, _ = bowl_run(1.0)
    sched, lrs = bowl_run(1.0, steps=400, after_edge="hold")
    assert sched.end_reason == "edge" and sched.warmup_end_step == sched.max_warmup_steps == 300
    fraction, edge = sched.peak_fraction, ends.warmup_end_step
    assert edge is not None and fraction == pytest.approx(ends.peak_fraction)  # the same edge, the same LR
    # the ramp up to the edge is unchanged; from there the LR reached is held until M, then the decay starts
    assert lrs[:edge] == pytest.approx(bowl_run(1.0, steps=edge)[1])
    assert lrs[edge:300] == pytest.approx([fraction] * (300 - edge)) and lrs[-1] < lrs[299]
    assert "held until M after the edge" in start_line(start_info(sched))


def test_a_small_peak_lr_is_reached_and_the_edge_rule_can_be_turned_off() -> None:
    calm, lrs = bowl_run(0.01)
    assert calm.end_reason == "stable" and calm.peak_fraction == 1.0 and max(lrs) == pytest.approx(0.01)
    assert min(h[3] for h in calm.check_history) > 10  # the gradients kept agreeing
    forced, lrs = bowl_run(1.0, coherence_threshold=0)
    assert forced.end_reason != "edge" and forced.peak_fraction == 1.0 and max(lrs) == pytest.approx(1.0)
    assert forced.describe_config()["coherence_threshold"] == 0.0


def test_coherence_reads_noise_agreement_and_alternation() -> None:
    """φ from Adam's EMAs: ≈ 1 for independent noise, ≈ (1+β1)/(1-β1) = 19 for a constant gradient and
    ≈ (1-β1)/(1+β1) = 1/19 for a gradient that flips sign every step."""
    from hf_warmup.statistic import coherence, coherence_sums, white_noise_factor

    beta1, beta2, k, steps, n = 0.9, 0.99, 10, 200, 50_000
    gen = torch.Generator().manual_seed(0)
    streams = {
        "noise": lambda t: torch.randn(n, generator=gen, dtype=torch.float64),
        "constant": lambda t: torch.full((n,), 0.3, dtype=torch.float64),
        "alternating": lambda t: (-1.0) ** t * torch.full((n,), 0.3, dtype=torch.float64),
    }
    found = {}
    for name, grad in streams.items():
        m = torch.zeros(n, dtype=torch.float64)
        v = torch.zeros(n, dtype=torch.float64)
        old = v
        for t in range(1, steps + 1):
            g = grad(t)
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            if t == steps - k:
                old = v.clone()
        a, b, c = 1 - beta2 ** (steps - k), 1 - beta2**steps, 1 - beta2**k
        scale = white_noise_factor(beta1, steps) / (1 - beta1**steps) ** 2
        ones = torch.ones(n, dtype=torch.float64)
        found[name] = coherence(coherence_sums(m, old, v, a * ones, b * ones, c * ones, scale * ones).tolist())
    assert found["noise"] == pytest.approx(1.0, abs=0.03)
    assert found["constant"] == pytest.approx(19.0, rel=0.01)
    assert found["alternating"] == pytest.approx(1 / 19, rel=0.01)


@pytest.mark.parametrize(("betas", "total", "span", "checks"), [
    ((0.9, 0.999), 600, 10, 2),    # k = 10: E = 2 checks already span 10 steps
    ((0.9, 0.999), 300, 10, 2),    # k = 6
    ((0.9, 0.999), 100, 10, 5),    # k = 2: 5 checks
    ((0.95, 0.999), 100, 20, 10),  # a slower momentum spans more steps
    ((0.0, 0.999), 100, 1, 2),     # no momentum (and so no φ): E alone
])
def test_edge_min_steps_defaults_to_the_momentum_horizon(betas: tuple[float, float], total: int, span: int,
                                                         checks: int) -> None:
    opt = torch.optim.AdamW(torch.nn.Linear(4, 1).parameters(), lr=1e-3, betas=betas)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total)
    cfg = sched.describe_config()
    assert (cfg["edge_min_steps"], sched.policy.edge_checks) == (span, checks)
    assert ("1/(1-β1)" in cfg["edge_min_steps_from"]) is (betas[0] > 0)
    assert (f"on {checks} checks in a row" in start_line(start_info(sched))) is (checks > 1)
    off = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total,
                        scheduler_specific_kwargs={"edge_min_steps": 1})
    assert off.policy.edge_checks == 2 and off.describe_config()["edge_min_steps_from"] == "lr_scheduler_kwargs"
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match=r"edge_min_steps'\]=.*an int >= 1"):
            get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=total,
                          scheduler_specific_kwargs={"edge_min_steps": bad})


def test_a_short_run_confirms_the_edge_over_the_momentum_horizon() -> None:
    """T = 100 (checks every 2 steps), peak 3: on the bowl the overshoot lasts, so the default still ends at the
    edge, at the same LR, held while the 5 checks of H = 10 steps confirm it instead of the 2 of E alone."""
    old, old_lrs = bowl_run(3.0, steps=100, total=100, edge_min_steps=1)
    new, new_lrs = bowl_run(3.0, steps=100, total=100)
    assert old.end_reason == new.end_reason == "edge" and new.policy.edge_checks == 5
    assert old.warmup_end_step is not None and new.warmup_end_step == old.warmup_end_step + 2 * 3
    assert new.peak_fraction == pytest.approx(old.peak_fraction)
    assert new_lrs[:old.warmup_end_step] == pytest.approx(old_lrs[:old.warmup_end_step])


def test_coherence_threshold_is_validated() -> None:
    opt = torch.optim.AdamW(torch.nn.Linear(4, 4).parameters(), lr=1e-3)
    for bad in (1.5, -0.1, "high"):
        with pytest.raises(ValueError, match=r"coherence_threshold.*\[0, 1\]"):
            get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100,
                          scheduler_specific_kwargs={"coherence_threshold": bad})
    with pytest.raises(ValueError, match=r"shrink_threshold'\]=-1.*a float >= 0"):
        get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100,
                      scheduler_specific_kwargs={"shrink_threshold": -1})
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100)
    assert (sched.describe_config()["coherence_threshold"], sched.describe_config()["shrink_threshold"]) == (0.7, 0.3)


def test_overshooting_with_steady_second_moments_is_not_the_edge() -> None:
    """The edge needs both: alternating gradients *and* shrinking second moments. With ``shrink_threshold``
    out of reach, the overshooting bowl is not stopped: the LR reaches the peak."""
    sched, lrs = bowl_run(1.0, shrink_threshold=1e9)
    assert sched.end_reason != "edge" and max(lrs) == pytest.approx(1.0)
    assert min(h[3] for h in sched.check_history) < sched.policy.coherence_threshold  # it did overshoot


def overshooting_bowl(**kwargs: object) -> Setup:
    """Adam at LR 1 on the bowl of :func:`bowl_loss_at` (2048 coordinates), ``adaptive_warmup`` with ``kwargs``,
    T = 600: the steps overshoot once the LR passes ``|w|``, so the warmup ends at the edge."""
    torch.manual_seed(0)
    model = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(2048))])
    opt = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.99))
    return model, opt, get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=600,
                                     scheduler_specific_kwargs=kwargs)


def bowl_loss_at(model: torch.nn.Module, step: int) -> torch.Tensor:
    """``0.5·|w|²`` plus slight gradient noise, the same at a step whatever ran before (a resumed run sees it too)."""
    w = model[0]  # type: ignore[index]
    noise = torch.randn(2048, generator=torch.Generator().manual_seed(step))
    return 0.5 * (w * w).sum() + 0.01 * (noise * w).sum()


def test_an_edge_end_resumes_exactly(tmp_path: object) -> None:
    """A checkpoint taken before or after an ``edge`` end resumes on the same LR path (the reached fraction is
    part of the plain state)."""
    def make() -> Setup:
        return overshooting_bowl(check_interval=4)

    setup = make()
    full = train_steps(setup, bowl_loss_at, 0, 160)
    sched = setup[2]
    assert sched.end_reason == "edge" and sched.peak_fraction is not None and sched.peak_fraction < 1
    end = sched.warmup_end_step
    assert end is not None
    for cut in (end - 3, end + 5):
        resumed, (_, _, sched) = resumed_path(make, bowl_loss_at, cut, 160, f"{tmp_path}/edge.pt")
        assert resumed == full, f"LR path differs after resuming at step {cut}"
        assert sched.end_reason == "edge" and sched.warmup_end_step == end


def test_edge_restarts_back_off_climb_again_and_resume_exactly(tmp_path: object) -> None:
    """``edge_restarts=1``: the path is the default's up to its edge; there the LR falls to ``edge_backoff`` × the
    LR reached and climbs again, and the next confirmed edge ends the warmup. The report and its end line say
    where it backed off, and a checkpoint taken after the back-off resumes on the same path."""
    default, plain = bowl_run(1.0)
    sched, lrs = bowl_run(1.0, edge_restarts=1, edge_backoff=0.5)
    edge = default.warmup_end_step
    assert edge is not None and sched.edge_restart_steps == [edge]
    assert lrs[:edge] == plain[:edge]
    assert lrs[edge] == pytest.approx(0.5 * default.peak_fraction)
    assert lrs[edge + 1] > lrs[edge]  # climbing again
    assert sched.end_reason == "edge" and sched.warmup_end_step is not None and sched.warmup_end_step > edge
    assert sched.result().edge_restart_steps == [edge]
    assert [h[2] for h in sched.check_history if h[0] == edge] == [pytest.approx(lrs[edge])]  # ω after the check
    report = {"end_reason": "edge", "edge_restart_steps": [edge], "config": {"edge_backoff": 0.5},
              "coherence_at_end": 0.5, "statistic_at_end": -0.4, "peak_fraction": sched.peak_fraction}
    assert f"backed the LR off to 0.5× the LR reached at step {edge}" in end_clause(report)
    assert "backs the LR off to 0.5× at the first edge," in start_line(start_info(sched))
    with pytest.raises(ScheduleConfigError, match=r"edge_restarts.*-1.*an int >= 0"):
        get_scheduler("adaptive_warmup", torch.optim.Adam([torch.nn.Parameter(torch.ones(2))]), num_warmup_steps=0,
                      num_training_steps=10, scheduler_specific_kwargs={"edge_restarts": -1})
    with pytest.raises(ScheduleConfigError, match=r"edge_backoff.*0.*in \(0, 1\]"):
        get_scheduler("adaptive_warmup", torch.optim.Adam([torch.nn.Parameter(torch.ones(2))]), num_warmup_steps=0,
                      num_training_steps=10, scheduler_specific_kwargs={"edge_backoff": 0})

    def make() -> Setup:
        return overshooting_bowl(check_interval=4, edge_restarts=1)

    setup = make()
    full = train_steps(setup, bowl_loss_at, 0, 200)
    restarts = list(setup[2].edge_restart_steps)
    assert len(restarts) == 1 and setup[2].end_reason == "edge"
    resumed, (_, _, again) = resumed_path(make, bowl_loss_at, restarts[0] + 3, 200, f"{tmp_path}/restart.pt")
    assert resumed == full and again.edge_restart_steps == restarts
