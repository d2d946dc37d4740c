"""The sampled coordinates are chosen by their place in the model (one process; the multi-process layouts are in
test_distributed.py and test_deepspeed.py)."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from transformers import get_scheduler

from hf_warmup import optim_state
from hf_warmup.optim_state import window_coefficients
from hf_warmup.options import ScheduleConfigError
from hf_warmup.statistic import coordinate_sums, finish


def _model(hidden: int) -> torch.nn.Module:
    torch.manual_seed(0)
    # uneven sizes: 3,030, 30 · hidden, 2 · hidden, 7 · hidden + 7 and 7 values
    return torch.nn.Sequential(torch.nn.Linear(100, 30), torch.nn.Linear(30, hidden, bias=False),
                               torch.nn.LayerNorm(hidden), torch.nn.Linear(hidden, 7),
                               torch.nn.Linear(7, 1, bias=False))


def _train(sample_size: int, steps: int, hidden: int = 233) -> tuple[torch.optim.Optimizer, object, list[torch.Tensor]]:
    model = _model(hidden)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=1000,
                          scheduler_specific_kwargs={"check_interval": 2, "sample_size": sample_size})
    full = []
    for step in range(steps):
        x = torch.randn(16, 100, generator=torch.Generator().manual_seed(step))
        model(x).pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
        sched.step()
        if step % 2 == 1:  # a check was due after this step
            full.append(torch.cat([opt.state[p]["exp_avg_sq"].reshape(-1) for p in model.parameters()]).clone())
    return opt, sched, full


def test_systematic_sample_over_the_whole_model() -> None:
    opt, sched, full = _train(sample_size=1000, steps=4)
    layout = sched.monitor.layout
    total = sum(p.numel() for g in opt.param_groups for p in g["params"])
    assert layout.total == total and layout.stride == math.ceil(total / 1000)
    assert layout.slots == len(range(layout.offset, total, layout.stride)) <= 1000
    # each slot exactly once, and slot j holds global coordinate offset + j * stride
    covered = torch.zeros(layout.slots)
    for run in layout.runs:
        covered[run.slot : run.slot + run.count] += 1
    assert torch.equal(covered, torch.ones(layout.slots))
    expected = full[-1][layout.offset :: layout.stride].float()
    torch.testing.assert_close(sched.monitor.snapshot[: layout.slots], expected, rtol=0, atol=0)
    # small tensors are sampled in proportion to their size, not given an equal share
    per_param = [sum(r.count for r in layout.runs if r.param is p) for g in opt.param_groups for p in g["params"]]
    sizes = [p.numel() for g in opt.param_groups for p in g["params"]]
    assert all(abs(n - size / layout.stride) <= 1 for n, size in zip(per_param, sizes))


def test_s_is_the_formula_over_the_whole_state_when_every_coordinate_is_sampled() -> None:
    opt, sched, full = _train(sample_size=8192, steps=6, hidden=100)
    assert sched.monitor.layout.stride == 1
    group = opt.param_groups[0]
    a, b, c = window_coefficients("adam", group, 6, 2)
    n = full[-1].numel()
    expected = finish(coordinate_sums(full[-2].float(), full[-1].float(), torch.full((n,), a, dtype=torch.float64),
                                      torch.full((n,), b, dtype=torch.float64),
                                      torch.full((n,), c, dtype=torch.float64)).tolist()).S
    got = sched.last_window.S
    assert got == expected or math.isclose(got, expected, rel_tol=1e-12)


def test_statistic_that_cannot_be_computed_warns_once_naming_the_layout() -> None:
    model = torch.nn.Linear(8, 8)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100,
                          scheduler_specific_kwargs={"check_interval": 2, "max_warmup_steps": 20})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(10):
            (0.0 * model(torch.randn(2, 8)).sum()).backward()  # zero gradients: the second moments stay 0
            opt.step()
            opt.zero_grad()
            sched.step()
    assert sched.last_statistic is not None and math.isnan(sched.last_statistic)
    mine = [w for w in caught if "adaptive_warmup" in str(w.message)]
    assert len(mine) == 1, [str(w.message) for w in mine]
    assert "torch layout" in str(mine[0].message) and "fixed warmup" in str(mine[0].message)


class BF16_Optimizer:  # noqa: N801  (DeepSpeed's class name is what the check looks at)
    """Stands for DeepSpeed's stage-0 bf16 wrapper: holds the optimizer it wraps in ``.optimizer``."""

    def __init__(self, inner: torch.optim.Optimizer) -> None:
        self.optimizer = inner
        self.param_groups = inner.param_groups


class DeepSpeedEngine:
    """Stands for DeepSpeed's engine: the optimizer it built (``basic_optimizer``) and the one it steps."""

    def __init__(self, basic: torch.optim.Optimizer, stepped: object) -> None:
        self.basic_optimizer = basic
        self.optimizer = stepped


def test_unreadable_deepspeed_layout_is_refused_before_step_one() -> None:
    inner = torch.optim.AdamW(torch.nn.Linear(2, 2).parameters(), lr=1e-3)
    with pytest.raises(ScheduleConfigError, match="BF16_Optimizer.*ZeRO stage 1, 2 or 3"):
        get_scheduler("adaptive_warmup", BF16_Optimizer(inner), num_warmup_steps=0, num_training_steps=100)


def test_optimizer_without_parameters_is_refused_before_step_one() -> None:
    """What DeepSpeed ZeRO-3 leaves in the optimizer it built (its param groups are filled only inside step()):
    S could never be computed, so no scheduler is built, rather than a NaN at every check."""
    opt = torch.optim.AdamW(torch.nn.Linear(4, 4).parameters(), lr=1e-3)
    for group in opt.param_groups:
        group["params"] = []
    with pytest.raises(ScheduleConfigError, match="AdamW has no parameters .* torch layout.*fixed warmup"):
        get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100)


def test_deepspeed_built_optimizer_is_read_through_its_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an ``optimizer`` block DeepSpeed hands the scheduler factory its bare ``basic_optimizer``; the monitor
    finds the engine that holds it and reads through the optimizer the engine steps (the 2-process ZeRO-0..3 runs
    are in test_deepspeed.py)."""
    monkeypatch.setattr(optim_state, "_deepspeed_running", lambda: True)
    basic = torch.optim.AdamW(torch.nn.Linear(4, 4).parameters(), lr=1e-3)
    assert optim_state.deepspeed_engine_optimizer(basic) is None  # no engine holds it
    engine = DeepSpeedEngine(basic, BF16_Optimizer(basic))
    with pytest.raises(ScheduleConfigError, match="BF16_Optimizer.*ZeRO stage 1, 2 or 3"):
        get_scheduler("adaptive_warmup", basic, num_warmup_steps=0, num_training_steps=100)
    engine.optimizer = basic  # ZeRO-0 in fp32: the engine steps the optimizer it built
    sched = get_scheduler("adaptive_warmup", basic, num_warmup_steps=0, num_training_steps=100)
    assert sched.monitor.engine == "DeepSpeed ZeRO-0" and sched.monitor.location.wrappers == ("DeepSpeedEngine",)


def test_scheduler_built_late_counts_from_the_largest_step_in_the_state() -> None:
    """DeepSpeed's FusedAdam increments ``step`` only in the state of each group's last param."""
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Linear(4, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(3):
        model(torch.randn(2, 4)).sum().backward()
        opt.step()
    for p in list(model.parameters())[:-1]:
        opt.state[p]["step"] = torch.tensor(0.0)
    sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100)
    assert sched.monitor.real_steps == 3
