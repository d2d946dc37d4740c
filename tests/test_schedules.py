"""The fixed schedules: exact values, invariants (hypothesis), param groups, validation and state_dict.

Expected values are written out from the formulas in the README / module docstrings, never taken from the
scheduler under test. Values are read from the LR the optimizer actually carries after ``scheduler.step()``.
"""

from __future__ import annotations

import math
import warnings
from itertools import pairwise

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import get_scheduler

import hf_warmup
from hf_warmup import ScheduleConfigError, WarmupDecayLR, get_warmup_schedule

FIXED = [
    "linear_warmup",
    "constant_warmup",
    "exponential_warmup",
    "untuned_linear_warmup",
    "untuned_exponential_warmup",
    "radam_warmup",
]
BETA2_BASED = {"untuned_linear_warmup", "untuned_exponential_warmup", "radam_warmup"}
DECAYS = ["linear", "cosine", "constant", "inverse_sqrt", "polynomial", "wsd"]


def adamw(lr: float = 1.0, betas: tuple[float, float] = (0.9, 0.99)) -> torch.optim.AdamW:
    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=lr, betas=betas)


def lr_trace(opt: torch.optim.Optimizer, sched, n: int, group: int = 0) -> list[float]:
    """The LR the optimizer holds at steps t = 0..n-1 (the LR step t's update uses)."""
    out = []
    for _ in range(n):
        lr = opt.param_groups[group]["lr"]
        assert sched.get_last_lr()[group] == lr
        out.append(lr)
        opt.step()
        sched.step()
    return out


def build(name, opt, w, t, **kwargs):
    return get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=t, scheduler_specific_kwargs=kwargs)


def test_fixed_names_all_registered():
    assert set(FIXED) | {"adaptive_warmup"} == set(hf_warmup.SCHEDULE_NAMES)
    assert set(DECAYS) == set(hf_warmup.DECAYS)


# --------------------------------------------------------------------------------------------- exact values


def test_untuned_linear_warmup_exact():
    opt = adamw()
    sched = build("untuned_linear_warmup", opt, 0, 300, decay="constant")
    assert isinstance(sched, WarmupDecayLR)
    lrs = lr_trace(opt, sched, 300)
    assert lrs[0] == pytest.approx(0.005, abs=1e-15)
    assert lrs[99] == pytest.approx(0.5, abs=1e-15)
    assert lrs[199] == pytest.approx(1.0, abs=1e-15)
    assert lrs[198] < 1.0
    assert all(x == pytest.approx(1.0) for x in lrs[199:])
    for t, lr in enumerate(lrs):
        assert lr == pytest.approx(min(1.0, (t + 1) / 200), rel=1e-12)


def test_untuned_exponential_warmup_exact():
    opt = adamw()
    sched = build("untuned_exponential_warmup", opt, 0, 400, decay="constant")
    lrs = lr_trace(opt, sched, 400)
    for t, lr in enumerate(lrs):
        assert lr == pytest.approx(1.0 - math.exp(-0.01 * (t + 1)), rel=1e-12), t
    assert lrs[0] == pytest.approx(1.0 - math.exp(-0.01))


def test_linear_warmup_exact():
    opt = adamw()
    sched = build("linear_warmup", opt, 10, 50, decay="constant")
    lrs = lr_trace(opt, sched, 30)
    assert lrs[0] == pytest.approx(0.1, abs=1e-15)
    assert lrs[9] == pytest.approx(1.0, abs=1e-15)
    assert lrs[8] == pytest.approx(0.9, abs=1e-15)
    assert lrs[10:] == pytest.approx([1.0] * 20)


def test_linear_warmup_start_factor_exact():
    opt = adamw(lr=2.0)
    sched = build("linear_warmup", opt, 4, 50, decay="constant", start_factor=0.2)
    lrs = lr_trace(opt, sched, 6)
    expected = [2.0 * (0.2 + 0.8 * min(1.0, (t + 1) / 4)) for t in range(6)]
    assert lrs == pytest.approx(expected, rel=1e-12)


def test_constant_warmup_exact():
    opt = adamw()
    sched = build("constant_warmup", opt, 10, 50, decay="constant")
    lrs = lr_trace(opt, sched, 20)
    assert lrs[:10] == pytest.approx([0.1] * 10, abs=1e-15)
    assert lrs[9] == pytest.approx(0.1, abs=1e-15)
    assert lrs[10] == pytest.approx(1.0, abs=1e-15)
    assert lrs[10:] == pytest.approx([1.0] * 10)


def test_exponential_warmup_exact():
    opt = adamw()
    sched = build("exponential_warmup", opt, 10, 50, decay="constant")
    lrs = lr_trace(opt, sched, 50)
    # tau = W / 2 = 5
    assert lrs == pytest.approx([1.0 - math.exp(-(t + 1) / 5.0) for t in range(50)], rel=1e-12)


def test_linear_warmup_linear_decay_exact():
    opt = adamw()
    sched = build("linear_warmup", opt, 10, 110, decay="linear")
    lrs = lr_trace(opt, sched, 121)
    assert lrs[9] == pytest.approx(1.0, abs=1e-15)
    assert lrs[10] == pytest.approx(1.0, abs=1e-15)
    assert lrs[60] == pytest.approx(0.5, abs=1e-15)
    assert lrs[110] == pytest.approx(0.0, abs=1e-15)
    assert lrs[111:] == pytest.approx([0.0] * 10, abs=1e-15)
    for t in range(10, 111):
        assert lrs[t] == pytest.approx(1.0 - (t - 10) / 100, abs=1e-12)


def test_peak_scales_and_default_decay_is_linear():
    opt = adamw(lr=3e-4)
    sched = build("linear_warmup", opt, 10, 110)  # no kwargs: decay linear, floor 0
    lrs = lr_trace(opt, sched, 111)
    assert lrs[0] == pytest.approx(3e-5, rel=1e-12)
    assert lrs[60] == pytest.approx(1.5e-4, rel=1e-12)
    assert lrs[110] == pytest.approx(0.0, abs=1e-18)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        # W=10, T=110; progress p = (t - 10) / 100
        ({"decay": "cosine"}, lambda t: 0.5 * (1 + math.cos(math.pi * min(1.0, max(0, t - 10) / 100)))),
        (
            {"decay": "cosine", "min_lr_ratio": 0.1, "num_cycles": 1.0},
            lambda t: 0.1 + 0.9 * 0.5 * (1 + math.cos(2 * math.pi * min(1.0, max(0, t - 10) / 100))),
        ),
        ({"decay": "polynomial", "power": 2.0}, lambda t: (1 - min(1.0, max(0, t - 10) / 100)) ** 2),
        ({"decay": "inverse_sqrt"}, lambda t: 1 / math.sqrt(1 + max(0, t - 10) / 10)),
        ({"decay": "inverse_sqrt", "timescale": 4}, lambda t: 1 / math.sqrt(1 + max(0, t - 10) / 4)),
        # wsd: D = max(10, 110 - round(0.1 * 110)) = 99
        ({"decay": "wsd"}, lambda t: 1 - min(1.0, max(0, t - 99) / 11)),
        (
            {"decay": "wsd", "decay_ratio": 0.5, "decay_shape": "sqrt", "min_lr_ratio": 0.2},
            lambda t: 0.2 + 0.8 * (1 - math.sqrt(min(1.0, max(0, t - 55) / 55))),
        ),
        (
            {"decay": "wsd", "decay_ratio": 0.5, "decay_shape": "cosine"},
            lambda t: 0.5 * (1 + math.cos(math.pi * min(1.0, max(0, t - 55) / 55))),
        ),
    ],
    ids=["cosine", "cosine-1cycle-floor", "poly2", "isqrt", "isqrt-tau4", "wsd", "wsd-sqrt", "wsd-cosine"],
)
def test_decays_exact(kwargs, expected):
    opt = adamw()
    sched = build("linear_warmup", opt, 10, 110, **kwargs)
    lrs = lr_trace(opt, sched, 120)
    for t in range(10, 120):
        assert lrs[t] == pytest.approx(expected(t), rel=1e-9, abs=1e-12), (t, kwargs)


def test_radam_warmup_values():
    beta2 = 0.999
    opt = adamw(betas=(0.9, beta2))
    sched = build("radam_warmup", opt, 0, 30000, decay="constant")
    f = [sched.factor(t) for t in range(30000)]
    assert f[0] > 0
    assert all(0 < x <= 1 for x in f)
    assert all(b > a for a, b in pairwise(f[:5001])), "radam_warmup must increase during warmup"
    assert all(b >= a for a, b in pairwise(f))
    assert f[-1] > 0.9999
    assert f[2000] < f[10000] < 1.0

    # Independent restatement of RAdam's rectification r_n, offset to the first n with rho_n > 4.
    rho_inf = 2 / (1 - beta2) - 1

    def rho(n):
        return rho_inf - 2 * n * beta2**n / (1 - beta2**n)

    n0 = next(n for n in range(1, 100) if rho(n) > 4)
    for t in (0, 1, 10, 100, 1999, 10000):
        n = t + n0
        r = math.sqrt((rho(n) - 4) * (rho(n) - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho(n)))
        assert f[t] == pytest.approx(r, rel=1e-9)
    # ... and it is what the optimizer receives
    assert lr_trace(opt, sched, 50) == pytest.approx(f[:50], rel=1e-12)


# ------------------------------------------------------------------------------------ invariants (hypothesis)


def warmup_length(name: str, w: int, beta2: float) -> int:
    return round(2 / (1 - beta2)) if name in BETA2_BASED else w


@st.composite
def schedule_cases(draw):
    name = draw(st.sampled_from(FIXED))
    decay = draw(st.sampled_from(DECAYS))
    beta2 = draw(st.sampled_from([0.8, 0.9, 0.95, 0.98, 0.99, 0.995]))
    w = draw(st.integers(1, 300))
    length = warmup_length(name, w, beta2)
    total = length + draw(st.integers(1, 400))
    kwargs = {"decay": decay, "min_lr_ratio": draw(st.one_of(st.just(0.0), st.floats(0.0, 0.95)))}
    if name == "linear_warmup":
        kwargs["start_factor"] = draw(st.one_of(st.just(0.0), st.floats(0.0, 0.99)))
    if name == "constant_warmup":
        kwargs["warmup_factor"] = draw(st.floats(1e-3, 1.0))
    if decay == "polynomial":
        kwargs["power"] = draw(st.floats(0.25, 4.0))
    if decay == "inverse_sqrt" and draw(st.booleans()):
        kwargs["timescale"] = draw(st.floats(0.5, 500.0))
    if decay == "wsd":
        kwargs["decay_ratio"] = draw(st.floats(0.01, 1.0))
        kwargs["decay_shape"] = draw(st.sampled_from(["linear", "cosine", "sqrt"]))
    return name, beta2, (0 if name in BETA2_BASED else w), length, total, kwargs


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule_cases())
def test_invariants(case):
    name, beta2, w, length, total, kwargs = case
    opt = adamw(betas=(0.9, beta2))
    sched = get_warmup_schedule(name, opt, w, total, **kwargs)
    warmup = sched.warmups[0]
    decay = sched.decay
    floor = kwargs["min_lr_ratio"]
    assert warmup.length == length
    ts = range(total + 6)
    f = [sched.factor(t) for t in ts]
    omega = [warmup(t) for t in ts]
    d = [decay(t, length, total) for t in ts]
    for t in ts:
        assert 0.0 <= f[t] <= 1.0 + 1e-12, (t, f[t])
        if t < total or floor > 0:
            assert f[t] > 0.0, (t, f[t])
        assert 0.0 < omega[t] <= 1.0
        assert f[t] == pytest.approx(omega[t] * d[t], rel=1e-12, abs=1e-300)
    # omega never decreases
    assert all(b >= a for a, b in pairwise(omega))
    # no decay before / at L: f continuous at L
    assert all(x == 1.0 for x in d[: length + 1])
    assert f[length] == omega[length]
    assert f[: length + 1] == omega[: length + 1]
    # every decay here is non-increasing from L on (cosine with the default half wave)
    assert all(b <= a + 1e-15 for a, b in pairwise(d[length:])), kwargs["decay"]
    if kwargs["decay"] in ("linear", "polynomial", "wsd", "cosine"):
        # reaches the floor at T and stays there
        for t in range(total, total + 6):
            assert d[t] == pytest.approx(floor, abs=1e-12)
            assert f[t] == pytest.approx(omega[t] * floor, abs=1e-12)
        if omega[total] == 1.0 or floor == 0.0:
            assert f[total] == pytest.approx(floor, abs=1e-12)
        assert d[total - 1] >= floor
    if kwargs["decay"] == "constant":
        assert f == omega
    if kwargs["decay"] == "inverse_sqrt":
        assert all(x > floor for x in d)
    if name in ("linear_warmup", "constant_warmup", "untuned_linear_warmup"):
        # omega is 1 from L on, so f itself never increases after L
        assert all(x == 1.0 for x in omega[length:])
        assert all(b <= a + 1e-15 for a, b in pairwise(f[length:]))


@pytest.mark.parametrize("name", FIXED)
@pytest.mark.parametrize("decay", DECAYS)
def test_optimizer_lr_matches_factor(name, decay):
    """What ``get_scheduler`` puts into the optimizer is ``peak * factor(t)`` at every step."""
    opt = adamw(lr=0.5, betas=(0.9, 0.9))
    sched = build(name, opt, 0 if name in BETA2_BASED else 7, 40, decay=decay)
    lrs = lr_trace(opt, sched, 45)
    assert lrs == pytest.approx([0.5 * sched.factor(t) for t in range(45)], rel=1e-12, abs=1e-15)


# ------------------------------------------------------------------------------------------------ param groups


def two_group_adamw():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    return torch.optim.AdamW(
        [{"params": [a], "lr": 1.0, "betas": (0.9, 0.99)}, {"params": [b], "lr": 0.5, "betas": (0.9, 0.999)}]
    )


def test_param_groups_get_their_own_untuned_length():
    opt = two_group_adamw()
    sched = build("untuned_linear_warmup", opt, 0, 3000, decay="constant")
    assert [w.length for w in sched.warmups] == [200, 2000]
    lrs0, lrs1 = [], []
    for _ in range(2001):
        lrs0.append(opt.param_groups[0]["lr"])
        lrs1.append(opt.param_groups[1]["lr"])
        opt.step()
        sched.step()
    assert lrs0[0] == pytest.approx(1.0 / 200)
    assert lrs1[0] == pytest.approx(0.5 / 2000)
    assert lrs0[199] == pytest.approx(1.0)
    assert lrs1[199] == pytest.approx(0.5 * 200 / 2000)
    assert lrs1[1999] == pytest.approx(0.5)
    assert lrs1[1998] < 0.5


@pytest.mark.parametrize("name", ["untuned_exponential_warmup", "radam_warmup"])
def test_param_groups_other_beta2_schedules(name):
    opt = two_group_adamw()
    sched = build(name, opt, 0, 3000, decay="linear")
    assert [w.length for w in sched.warmups] == [200, 2000]
    # group 1 (beta2 0.999) warms up more slowly than group 0 (beta2 0.99)
    assert sched.factor(50, 1) < sched.factor(50, 0)
    # each group's decay starts at its own L
    assert sched.factor(2500, 0) < sched.warmups[0](2500)
    assert sched.factor(1999, 1) == sched.warmups[1](1999)


def test_untuned_exponential_param_groups_time_constants():
    opt = two_group_adamw()
    sched = build("untuned_exponential_warmup", opt, 0, 3000, decay="constant")
    for t in (0, 10, 150):
        assert sched.factor(t, 0) == pytest.approx(1 - math.exp(-0.01 * (t + 1)), rel=1e-12)
        assert sched.factor(t, 1) == pytest.approx(1 - math.exp(-0.001 * (t + 1)), rel=1e-9)


# --------------------------------------------------------------------------------------------------- validation

BAD_KWARGS = [
    # (name, W, T, kwargs, substrings the message must contain)
    ("adaptive_warmup", 0, 100, {"treshold": 0.1}, ["treshold", "0.1", "threshold"]),
    ("linear_warmup", 10, 100, {"warmup_ratio": 0.1}, ["warmup_ratio", "0.1"]),
    ("radam_warmup", 0, 3000, {"warmup_steps": 5}, ["warmup_steps", "5"]),
    ("linear_warmup", 10, 100, {"decay": "exponential"}, ["decay", "'exponential'", "cosine"]),
    ("untuned_linear_warmup", 0, 300, {"decay": "cosine_with_restarts"}, ["decay", "'cosine_with_restarts'"]),
    ("linear_warmup", 10, 100, {"min_lr_ratio": 1.0}, ["min_lr_ratio", "1.0"]),
    ("linear_warmup", 10, 100, {"min_lr_ratio": -0.1}, ["min_lr_ratio", "-0.1"]),
    ("adaptive_warmup", 0, 100, {"min_lr_ratio": 1.0}, ["min_lr_ratio", "1.0"]),
    ("constant_warmup", 10, 100, {"warmup_factor": 0}, ["warmup_factor", "=0"]),
    ("constant_warmup", 10, 100, {"warmup_factor": 1.5}, ["warmup_factor", "1.5"]),
    ("linear_warmup", 10, 100, {"start_factor": 1.0}, ["start_factor", "1.0"]),
    ("adaptive_warmup", 0, 100, {"start_factor": 1.0}, ["start_factor", "1.0"]),
    ("linear_warmup", 10, 100, {"num_cycles": 2}, ["num_cycles", "2", "linear"]),
    ("linear_warmup", 10, 100, {"decay": "cosine", "power": 2}, ["power", "2", "cosine"]),
    ("linear_warmup", 10, 100, {"decay_shape": "cosine"}, ["decay_shape", "'cosine'"]),
    ("linear_warmup", 10, 100, {"timescale": 5}, ["timescale", "5"]),
    ("linear_warmup", 10, 100, {"decay": "cosine", "num_cycles": 0}, ["num_cycles", "0"]),
    ("linear_warmup", 10, 100, {"decay": "polynomial", "power": -1}, ["power", "-1"]),
    ("linear_warmup", 10, 100, {"decay": "wsd", "decay_ratio": 0}, ["decay_ratio", "0"]),
    ("linear_warmup", 10, 100, {"decay": "wsd", "decay_ratio": 1.5}, ["decay_ratio", "1.5"]),
    ("linear_warmup", 10, 100, {"decay": "wsd", "decay_shape": "exp"}, ["decay_shape", "'exp'"]),
    ("linear_warmup", 10, 100, {"decay": "inverse_sqrt", "timescale": 0}, ["timescale", "0"]),
    ("linear_warmup", 10, 100, {"min_lr_ratio": "abc"}, ["min_lr_ratio", "'abc'"]),
    ("constant_warmup", 10, 100, {"warmup_factor": "abc"}, ["warmup_factor", "'abc'"]),
    ("linear_warmup", 10, 100, {"decay": "cosine", "num_cycles": "abc"}, ["num_cycles", "'abc'"]),
    ("adaptive_warmup", 0, 100, {"threshold": "abc"}, ["threshold", "'abc'"]),
    ("linear_warmup", 10, 100, {"min_lr_ratio": "nan"}, ["min_lr_ratio", "'nan'"]),
    ("linear_warmup", 10, 100, {"min_lr_ratio": True}, ["min_lr_ratio", "True"]),
    ("linear_warmup", 10, 100, {"min_lr_ratio": [0.1]}, ["min_lr_ratio", "[0.1]"]),
    ("linear_warmup", 10, 100, {"decay": 3}, ["decay", "3"]),
    ("adaptive_warmup", 0, 100, {"check_interval": 2.5}, ["check_interval", "2.5"]),
]

# A warmup with no room for its decay is shortened with one warning (as transformers' linear, it runs):
# tests/test_tiny_runs.py covers every schedule x decay x T.
NO_ROOM = [
    ("linear_warmup", 10, 10, {}, ["num_training_steps=10", "linear", "shortened to 9"]),
    ("linear_warmup", 10, 5, {"decay": "cosine"}, ["num_training_steps=5", "cosine", "shortened to 4"]),
    ("constant_warmup", 10, 10, {"decay": "wsd"}, ["num_training_steps=10", "wsd"]),
    ("untuned_linear_warmup", 0, 200, {}, ["num_training_steps=200", "L=200"]),
    ("radam_warmup", 0, 150, {"decay": "polynomial"}, ["num_training_steps=150", "polynomial"]),
]


@pytest.mark.parametrize("name, w, total, kwargs, needles", NO_ROOM)
def test_no_room_shortens_with_one_warning(name, w, total, kwargs, needles):
    from hf_warmup import WarmupFitWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched = build(name, adamw(), w, total, **kwargs)
    fits = [c for c in caught if issubclass(c.category, WarmupFitWarning)]
    assert len(fits) == 1, [str(c.message) for c in caught]
    for needle in needles:
        assert needle in str(fits[0].message), str(fits[0].message)
    assert sched.warmups[0].length == total - 1


@pytest.mark.parametrize("name, w, total, kwargs, needles", BAD_KWARGS)
def test_bad_kwargs_raise(name, w, total, kwargs, needles):
    opt = adamw()
    with pytest.raises((ValueError, TypeError)) as info:
        build(name, opt, w, total, **kwargs)
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} missing from error message {message!r}"


def test_config_error_is_value_error():
    assert issubclass(ScheduleConfigError, ValueError)
    with pytest.raises(ScheduleConfigError):
        build("linear_warmup", adamw(), 10, 100, treshold=1)


@pytest.mark.parametrize(
    "w, total, needles",
    [
        (-1, 100, ["num_warmup_steps", "-1"]),
        ("abc", 100, ["num_warmup_steps", "'abc'"]),
        (2.5, 100, ["num_warmup_steps", "2.5"]),
        (10, 0, ["num_training_steps", "0"]),
        (10, "abc", ["num_training_steps", "'abc'"]),
    ],
)
def test_bad_step_counts_raise(w, total, needles):
    with pytest.raises((ValueError, TypeError)) as info:
        get_warmup_schedule("linear_warmup", adamw(), w, total)
    for needle in needles:
        assert needle in str(info.value), str(info.value)


def test_decay_needing_room_requires_num_training_steps():
    with pytest.raises(ValueError, match="num_training_steps"):
        get_warmup_schedule("linear_warmup", adamw(), 10, None)
    # a decay that needs no end works without T
    sched = get_warmup_schedule("linear_warmup", adamw(), 10, None, decay="inverse_sqrt")
    assert sched.factor(9) == 1.0


def test_room_is_fine_with_constant_decay():
    sched = build("linear_warmup", adamw(), 10, 10, decay="constant")
    assert sched.factor(9) == 1.0
    sched = build("untuned_linear_warmup", adamw(), 0, 5, decay="constant")
    assert sched.warmups[0].length == 200


@pytest.mark.parametrize("name", sorted(BETA2_BASED))
def test_beta2_schedules_on_sgd_suggest_fixed_warmup(name):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError) as info:
        build(name, opt, 0, 1000)
    message = str(info.value)
    for needle in (name, "SGD", "betas", "linear_warmup"):
        assert needle in message, message


def test_radam_needs_beta2_above_0_6():
    with pytest.raises(ValueError, match=r"0\.5"):
        build("radam_warmup", adamw(betas=(0.9, 0.5)), 0, 1000)


def test_beta2_schedules_warn_when_num_warmup_steps_is_ignored():
    with pytest.warns(UserWarning, match="num_warmup_steps=100"):
        build("untuned_linear_warmup", adamw(), 100, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build("untuned_linear_warmup", adamw(), 0, 1000)


def test_json_strings_are_coerced():
    opt = adamw()
    sched = build("linear_warmup", opt, 10, 110, min_lr_ratio="0.1")
    assert sched.decay.min_lr_ratio == 0.1
    assert sched.factor(110) == pytest.approx(0.1)
    assert sched.factor(60) == pytest.approx(0.1 + 0.9 * 0.5)

    sched = build("linear_warmup", adamw(), 10, 110, decay="cosine", num_cycles="1e0")
    assert sched.decay.num_cycles == 1.0
    assert sched.factor(60) == pytest.approx(0.0, abs=1e-12)  # one full wave: bottom at mid-decay
    assert sched.factor(110) == pytest.approx(1.0)

    sched = build("linear_warmup", adamw(), 10, 110, decay=" WSD ", decay_ratio="0.5", decay_shape="Cosine")
    assert sched.decay.kind == "wsd" and sched.decay.decay_shape == "cosine"
    assert sched.factor(0) == pytest.approx(0.1)

    sched = build("constant_warmup", adamw(), 10, 110, warmup_factor="0.25", decay="inverse_sqrt", timescale="4")
    assert sched.factor(0) == pytest.approx(0.25)
    assert sched.factor(14) == pytest.approx(1 / math.sqrt(2))


def test_step_counts_as_integral_floats_are_accepted():
    sched = get_warmup_schedule("linear_warmup", adamw(), 10.0, 110.0)
    assert sched.factor(60) == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------------- state_dict


def resume_case(name):
    """(W, T, kwargs, betas) with L = 20 and T = 40 for every fixed schedule."""
    betas = (0.9, 0.9)  # L = round(2 / 0.1) = 20 for the beta2-based ones
    w = 0 if name in BETA2_BASED else 20
    return w, 40, {"decay": "cosine", "min_lr_ratio": 0.05}, betas


@pytest.mark.parametrize("name", FIXED)
def test_state_dict_loads_with_weights_only(name, tmp_path):
    w, total, kwargs, betas = resume_case(name)
    opt = adamw(betas=betas)
    sched = build(name, opt, w, total, **kwargs)
    lr_trace(opt, sched, 7)
    state = sched.state_dict()
    path = tmp_path / "sched.pt"
    torch.save(state, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded == state
    assert loaded["last_epoch"] == 7


@pytest.mark.parametrize("name", FIXED)
@pytest.mark.parametrize("stop", [5, 30], ids=["mid-warmup", "mid-decay"])
def test_resume_gives_same_lr_sequence(name, stop, tmp_path):
    w, total, kwargs, betas = resume_case(name)
    steps = total + 5

    opt = adamw(lr=0.7, betas=betas)
    reference = lr_trace(opt, build(name, opt, w, total, **kwargs), steps)

    opt = adamw(lr=0.7, betas=betas)
    sched = build(name, opt, w, total, **kwargs)
    first = lr_trace(opt, sched, stop)
    path = tmp_path / "ckpt.pt"
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    del opt, sched

    ckpt = torch.load(path, weights_only=True)
    opt = adamw(lr=0.7, betas=betas)
    sched = build(name, opt, w, total, **kwargs)
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    assert sched.get_last_lr() == [reference[stop]]
    rest = lr_trace(opt, sched, steps - stop)
    assert first + rest == reference


def test_resume_scheduler_only_matches_after_next_step(tmp_path):
    """Loading only the scheduler state (fresh optimizer) still continues the sequence from the next step."""
    opt = adamw(betas=(0.9, 0.9))
    reference = lr_trace(opt, build("linear_warmup", opt, 20, 40), 40)
    opt = adamw(betas=(0.9, 0.9))
    sched = build("linear_warmup", opt, 20, 40)
    lr_trace(opt, sched, 12)
    state = sched.state_dict()
    opt2 = adamw(betas=(0.9, 0.9))
    sched2 = build("linear_warmup", opt2, 20, 40)
    sched2.load_state_dict(state)
    opt2.step()
    sched2.step()
    assert opt2.param_groups[0]["lr"] == reference[13]
