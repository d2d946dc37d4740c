#!/usr/bin/env python
"""What the adaptive warmup costs: ``adaptive_warmup`` against transformers' built-in ``linear`` scheduler.

Four measurements, all on the same machine and in the same run:

1. **Full train step** (forward, backward, ``optimizer.step()``, ``scheduler.step()``, ``zero_grad``) of a Llama
   model built from a config. Both arms train the *same* model on the *same* batches, each with its own AdamW and
   its own scheduler, both built through ``transformers.get_scheduler``. ``adaptive_warmup`` keeps its default
   kwargs except ``max_warmup_steps``/``min_warmup_steps`` (huge, so the warmup is still running) and
   ``threshold=1e-9``: the monitor does its full work (a check every ``check_interval`` optimizer steps) during
   every timed step and the warmup never ends. After a warm-up block per arm, timed *trials* (blocks of
   ``steps_per_trial`` steps, a multiple of ``check_interval``, so every adaptive block holds the same number of
   checks) alternate linear, adaptive, linear, adaptive... The result is the median block-mean step time per arm
   and the median of the paired ratios ``adaptive_i / linear_i``. The monitor's checks are counted during the
   timed blocks and compared with the expected number. An A/A control (two ``linear`` arms, same procedure;
   first model of every mode, every model with ``--control``) shows the noise floor of that ratio: the verdict on
   the full-step ratio (inside the A/A range, above it, below it) is computed from this run's control, never
   assumed.
2. **The monitor alone**: one ``SecondMomentMonitor.check()`` against one ``optimizer.step()`` on the same
   optimizer state (alternating step, check, step, check...), plus ``scheduler.step()`` without a check for both
   schedulers. From these, a low-noise *component estimate* of the full-step ratio:
   ``1 + (check / check_interval + sched_adaptive - sched_linear) / step_linear``.
   Also counted: operations inside one check that read a tensor value back to the host (``item``, ``tolist``,
   ``__bool__``...; on a GPU each is a host-device synchronisation; see ``scripts/gpu_check.py`` for the CUDA count).
3. **Scheduler state**: ``monitor.state_bytes()`` and ``len(torch.save(scheduler.state_dict()))`` at two widths of
   the same depth (must not grow with width).
4. **Peak process memory** of a child process per arm that builds the model and trains it: the peak RSS while
   training (``VmHWM``, reset once the model, optimizer and scheduler are built; not ``ru_maxrss``, which a child
   inherits from its parent).

The full mode times the full step at the default ``check_interval`` of a 300-step run (6) and of a 50-step run
(1: a check, and one host sync, at every step), with one A/A control on the same model, and one check alone on
three model sizes. Every results file records ``provenance`` (:mod:`warmup_bench.provenance`: the command, the commit
and the hash of each ``hf_warmup`` source), so a figure rendered from it says by itself when the code changed.

Timings use one intra-op thread by default (``--threads``): on a shared 2-core machine two OpenMP threads get
preempted and step times vary 5x, which hides a sub-percent effect; one thread is stable.

A ``tqdm`` progress bar (stderr, one tick per timed block, monitor run and memory child) shows how far a run is;
``--no-progress`` turns it off.

Usage::

    python scripts/bench_overhead.py --quick --output_dir /tmp/overhead       # 1 to 5 minutes on 2 cores (load)
    python scripts/bench_overhead.py --output_dir docs/overhead                # full step of ~10 M parameters at
                                                                               # T = 300 and 50, checks up to ~100 M
    python scripts/bench_overhead.py --smoke --output_dir /tmp/x               # seconds; used by the tests

Writes ``<output_dir>/<name>.json`` and ``<output_dir>/<name>.md`` (``--name``, default ``cpu_results`` or
``<device>_results``) and prints the markdown.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402

import hf_warmup  # noqa: E402,F401  (registers adaptive_warmup with transformers)
from hf_warmup.adaptive import DEFAULT_CHECK_INTERVAL, default_check_interval  # noqa: E402
from warmup_bench import SCRIPTS  # noqa: E402
from warmup_bench.models import causal_lm, llama_config  # noqa: E402
from warmup_bench.overhead_report import (  # noqa: E402
    ARMS,
    machine_info,
    ms_text,
    noise_verdicts,
    to_markdown,
    verdicts,
)
from warmup_bench.provenance import stamp  # noqa: E402  (which code this run measured)

HUGE = 10**7  # max_warmup_steps: the warmup is still running at the end of any benchmark
ADAPTIVE_KWARGS = {"max_warmup_steps": HUGE, "min_warmup_steps": HUGE, "threshold": 1e-9}


# ---------------------------------------------------------------------------------------------------------------
# models and schedulers
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSpec:
    """A Llama built from a config (no download) and the batch it trains on."""

    name: str
    hidden: int
    layers: int
    intermediate: int
    vocab: int
    heads: int
    batch: int
    seq: int
    steps_per_trial: int = 10
    trials: int = 4

    def config(self) -> Any:
        return llama_config(self.vocab, self.hidden, self.layers, self.heads, self.intermediate, max(64, self.seq),
                            tie=False, use_cache=False)


@dataclass(frozen=True)
class Plan:
    models: tuple[ModelSpec, ...]
    warm_blocks: int
    monitor_reps: int
    widths: tuple[int, int]
    width_depth: int
    memory_model: str
    memory_reps: int
    sched_reps: int = 200
    control: bool = True  # also run the A/A control (linear vs linear) on the first model
    # the full step at the default check_interval of a run of each of these lengths T (empty: of an unbounded run)
    run_steps: tuple[int, ...] = ()
    monitor_models: tuple[ModelSpec, ...] = ()  # further models whose check alone is timed (cost by model size)


TINY = ModelSpec("tiny-40k", 32, 2, 64, 256, 2, batch=2, seq=16, steps_per_trial=10, trials=2)
SMALL = ModelSpec("small-1.8M", 128, 4, 344, 4096, 4, batch=2, seq=32, steps_per_trial=10, trials=5)
M10_QUICK = ModelSpec("llama-10M-b1", 256, 8, 688, 8192, 4, batch=1, seq=32, steps_per_trial=10, trials=3)
M10 = ModelSpec("llama-10M", 256, 8, 688, 8192, 4, batch=2, seq=32, steps_per_trial=20, trials=10)
M100 = ModelSpec("llama-100M", 768, 12, 2048, 8192, 12, batch=1, seq=32, steps_per_trial=10, trials=10)
ALL_MODELS = {m.name: m for m in (TINY, SMALL, M10_QUICK, M10, M100)}  # memory children look their model up here

PLANS = {
    "smoke": Plan((TINY,), warm_blocks=1, monitor_reps=5, widths=(32, 128), width_depth=2,
                  memory_model=TINY.name, memory_reps=1, sched_reps=50),
    "quick": Plan((SMALL, M10_QUICK), warm_blocks=1, monitor_reps=15, widths=(128, 512), width_depth=2,
                  memory_model=SMALL.name, memory_reps=1),
    "full": Plan((M10,), warm_blocks=1, monitor_reps=30, widths=(256, 1024), width_depth=4,
                 memory_model=M10.name, memory_reps=3, sched_reps=1000, run_steps=(300, 50),
                 monitor_models=(SMALL, M100)),
}


def build_model(spec: ModelSpec, seed: int = 0, device: str = "cpu", dtype: torch.dtype | None = None) -> Any:
    """``spec``'s Llama, seeded with ``seed``, in training mode."""
    torch.manual_seed(seed)
    return causal_lm(spec.config(), device, dtype).train()


def make_batches(spec: ModelSpec, n: int, seed: int = 0, device: str = "cpu") -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, spec.vocab, (spec.batch, spec.seq), generator=g).to(device) for _ in range(n)]


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_scheduler(arm: str, optimizer: torch.optim.Optimizer, check_interval: int | None = None) -> Any:
    """``linear`` (transformers) or ``adaptive_warmup`` (default kwargs, warmup that cannot end), via get_scheduler.

    ``check_interval``: the adaptive one's (default: that of this unbounded run, 10).
    """
    from transformers import get_scheduler

    if arm == "linear":
        return get_scheduler("linear", optimizer, num_warmup_steps=HUGE, num_training_steps=2 * HUGE)
    if arm == "adaptive":
        interval = {} if check_interval is None else {"check_interval": check_interval}
        return get_scheduler(
            "adaptive_warmup",
            optimizer,
            num_warmup_steps=0,
            num_training_steps=2 * HUGE,
            scheduler_specific_kwargs={**ADAPTIVE_KWARGS, **interval},
        )
    raise ValueError(arm)


class CheckCounter:
    """Counts ``monitor.check()`` calls (and those that produced a statistic) by wrapping the bound method."""

    def __init__(self, monitor: Any) -> None:
        self.checks = 0
        self.statistics = 0
        self._inner = monitor.check
        monitor.check = self  # instance attribute shadows the method

    def __call__(self) -> float | None:
        stat = self._inner()
        self.checks += 1
        if stat is not None:
            self.statistics += 1
        return stat


@dataclass
class Arm:
    name: str
    optimizer: torch.optim.Optimizer
    scheduler: Any
    counter: CheckCounter | None = None
    # mean seconds per step, one per timed block: wall clock and CPU time of this process (all threads)
    block_times: dict[str, list[float]] = field(default_factory=lambda: {"wall": [], "cpu": []})
    step_times: list[float] = field(default_factory=list)  # every timed step, wall clock (per-step timing on)


def make_arm(name: str, model: torch.nn.Module, make_optimizer: Callable[[Any], torch.optim.Optimizer],
             check_interval: int | None = None) -> Arm:
    opt = make_optimizer(model.parameters())
    sched = build_scheduler(name, opt, check_interval)
    counter = CheckCounter(sched.monitor) if name == "adaptive" else None
    return Arm(name, opt, sched, counter)


OPTIMIZER_KWARGS: dict[str, Any] = {"lr": 1e-3, "weight_decay": 0.01}


def default_optimizer(params: Any) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, **OPTIMIZER_KWARGS)


def describe_optimizer(make_optimizer: Callable[[Any], torch.optim.Optimizer] = default_optimizer) -> str:
    """``AdamW(lr=0.001, betas=(0.9, 0.999), ...)``: class and defaults of the optimizer a run really builds."""
    opt = make_optimizer([torch.nn.Parameter(torch.zeros(1))])
    keys = ("lr", "betas", "eps", "weight_decay", "fused", "foreach")
    args = ", ".join(f"{k}={opt.defaults[k]!r}" for k in keys if opt.defaults.get(k) is not None)
    return f"{type(opt).__name__}({args})"


def train_step(model: torch.nn.Module, batch: torch.Tensor, arm: Arm, autocast: torch.dtype | None = None) -> None:
    if autocast is not None:
        with torch.autocast(batch.device.type, dtype=autocast):
            loss = model(input_ids=batch, labels=batch).loss
    else:
        loss = model(input_ids=batch, labels=batch).loss
    loss.backward()
    arm.optimizer.step()
    arm.scheduler.step()
    arm.optimizer.zero_grad(set_to_none=True)


def run_block(
    model: torch.nn.Module,
    batches: list[torch.Tensor],
    arm: Arm,
    steps: int,
    sync: Callable[[], None],
    per_step: bool,
    record: bool,
    autocast: torch.dtype | None = None,
) -> float:
    """``steps`` train steps; returns the mean wall seconds per step (the device synchronised once at the end).

    Also records the process CPU time per step: on a shared machine, time spent preempted by other processes
    inflates the wall clock but not the CPU time.
    """
    gc.collect()
    sync()
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(steps):
        t0 = time.perf_counter()
        train_step(model, batches[i % len(batches)], arm, autocast)
        if per_step:
            sync()
            if record:
                arm.step_times.append(time.perf_counter() - t0)
    sync()
    mean = (time.perf_counter() - start) / steps
    cpu_mean = (time.process_time() - cpu_start) / steps
    if record:
        arm.block_times["wall"].append(mean)
        arm.block_times["cpu"].append(cpu_mean)
    return mean


def quantiles(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {}
    s = sorted(xs)

    def q(p: float) -> float:
        pos = p * (len(s) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - lo)

    return {"min": s[0], "q25": q(0.25), "median": q(0.5), "q75": q(0.75), "max": s[-1]}


def compare_full_step(
    model: torch.nn.Module,
    batches: list[torch.Tensor],
    steps_per_trial: int,
    trials: int,
    warm_blocks: int = 1,
    make_optimizer: Callable[[Any], torch.optim.Optimizer] = default_optimizer,
    sync: Callable[[], None] = lambda: None,
    per_step: bool = True,
    autocast: torch.dtype | None = None,
    log: Callable[[str], None] = print,
    primary: str = "cpu",
    tick: Callable[[], Any] = lambda: None,
    check_interval: int | None = None,
) -> dict[str, Any]:
    """Alternate linear/adaptive blocks on one model; see the module docstring.

    ``primary`` is the clock whose numbers are copied to the top level (``cpu`` on a CPU run, ``wall`` on a GPU,
    where the work runs on the device and the wall clock with a synchronisation per block is what counts).
    ``check_interval``: the adaptive arm's (default: :func:`build_scheduler`'s).
    """
    arms = {name: make_arm(name, model, make_optimizer, check_interval) for name in ARMS}
    check_interval = arms["adaptive"].scheduler.monitor.check_interval
    if steps_per_trial % check_interval:
        raise ValueError(f"steps_per_trial={steps_per_trial} must be a multiple of check_interval={check_interval}")
    for _ in range(warm_blocks):
        for arm in arms.values():
            run_block(model, batches, arm, steps_per_trial, sync, per_step, record=False, autocast=autocast)
            tick()
    counter = arms["adaptive"].counter
    assert counter is not None
    checks_before, stats_before = counter.checks, counter.statistics
    for trial in range(trials):
        for arm in arms.values():
            run_block(model, batches, arm, steps_per_trial, sync, per_step, record=True, autocast=autocast)
            tick()
        lw, aw = arms["linear"].block_times["wall"][-1], arms["adaptive"].block_times["wall"][-1]
        lc, ac = arms["linear"].block_times["cpu"][-1], arms["adaptive"].block_times["cpu"][-1]
        log(f"    trial {trial + 1}/{trials}: wall linear {lw * 1e3:.2f} / adaptive {aw * 1e3:.2f} ms/step "
            f"(ratio {aw / lw:.4f}); cpu linear {lc * 1e3:.2f} / adaptive {ac * 1e3:.2f} ms/step (ratio {ac / lc:.4f})")
    sched = arms["adaptive"].scheduler
    result: dict[str, Any] = {
        "steps_per_trial": steps_per_trial,
        "trials": trials,
        "warm_blocks": warm_blocks,
        "check_interval": check_interval,
        "primary_clock": primary,
    }
    for clock in ("wall", "cpu"):
        lin_t, ada_t = arms["linear"].block_times[clock], arms["adaptive"].block_times[clock]
        ratios = [a / b for a, b in zip(ada_t, lin_t, strict=True)]
        result[clock] = {
            "linear_step_s": statistics.median(lin_t),
            "adaptive_step_s": statistics.median(ada_t),
            "linear_block_times_s": lin_t,
            "adaptive_block_times_s": ada_t,
            "paired_ratios": ratios,
            "paired_ratio_median": statistics.median(ratios),
            "paired_ratio_quantiles": quantiles(ratios),
            "ratio_of_medians": statistics.median(ada_t) / statistics.median(lin_t),
            # interference from other processes only ever adds time: the fastest block of each arm is the least
            # disturbed one
            "ratio_of_minimums": min(ada_t) / min(lin_t),
        }
    result.update({k: result[primary][k] for k in ("linear_step_s", "adaptive_step_s", "paired_ratio_median")})
    result.update({
        "checks_timed": counter.checks - checks_before,
        "statistics_timed": counter.statistics - stats_before,
        "checks_expected": trials * steps_per_trial // check_interval,
        "checks_total": counter.checks,
        "monitor_real_steps": sched.monitor.real_steps,
        "warmup_end_step": sched.warmup_end_step,
        "last_statistic": sched.last_statistic,
        "lr_adaptive": sched.get_last_lr()[0],
        "lr_linear": arms["linear"].scheduler.get_last_lr()[0],
    })
    if per_step:
        result["linear_step_quantiles_s"] = quantiles(arms["linear"].step_times)
        result["adaptive_step_quantiles_s"] = quantiles(arms["adaptive"].step_times)
    for arm in arms.values():  # free the optimizer state before the next model
        arm.optimizer.state.clear()
    return result


def control_full_step(
    model: torch.nn.Module,
    batches: list[torch.Tensor],
    steps_per_trial: int,
    trials: int,
    warm_blocks: int = 1,
    log: Callable[[str], None] = print,
    tick: Callable[[], Any] = lambda: None,
) -> dict[str, Any]:
    """A/A control: two ``linear`` arms, same procedure as :func:`compare_full_step`.

    Its paired ratio shows the noise floor and any bias of the arm position (first or second in a pair, optimizer
    state allocated first or second) that the adaptive-vs-linear ratio also contains.
    """
    first = make_arm("linear", model, default_optimizer)
    second = make_arm("linear", model, default_optimizer)
    for _ in range(warm_blocks):
        for arm in (first, second):
            run_block(model, batches, arm, steps_per_trial, lambda: None, True, record=False)
            tick()
    for trial in range(trials):
        for arm in (first, second):
            run_block(model, batches, arm, steps_per_trial, lambda: None, True, record=True)
            tick()
        log(f"    control trial {trial + 1}/{trials}: cpu ratio "
            f"{second.block_times['cpu'][-1] / first.block_times['cpu'][-1]:.4f}")
    out: dict[str, Any] = {"steps_per_trial": steps_per_trial, "trials": trials}
    for clock in ("wall", "cpu"):
        a, b = first.block_times[clock], second.block_times[clock]
        ratios = [y / x for x, y in zip(a, b, strict=True)]
        out[clock] = {
            "first_step_s": statistics.median(a),
            "second_step_s": statistics.median(b),
            "paired_ratios": ratios,
            "paired_ratio_median": statistics.median(ratios),
            "paired_ratio_quantiles": quantiles(ratios),
            "ratio_of_medians": statistics.median(b) / statistics.median(a),
            "ratio_of_minimums": min(b) / min(a),
        }
    for arm in (first, second):
        arm.optimizer.state.clear()
    return out


# ---------------------------------------------------------------------------------------------------------------
# host reads (a CPU proxy for host-device synchronisations)
# ---------------------------------------------------------------------------------------------------------------
_HOST_READS = {"item", "tolist", "__bool__", "__float__", "__int__", "__index__", "numpy", "nonzero",
               "masked_select", "argwhere", "unique"}


class HostReadCounter(TorchFunctionMode):
    """Counts tensor operations that must read a value back to the host (on a GPU: a synchronisation).

    ``item``/``tolist``/``__bool__``/``__float__``/``__int__``/``nonzero``/``masked_select``/boolean-mask
    indexing, and ``.cpu()``/``.to()`` that leave a non-CPU device. On a CPU run these are the calls that *would*
    synchronise on a GPU; ``scripts/gpu_check.py`` counts the real ones with ``torch.cuda.set_sync_debug_mode``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []
        self.ops = 0  # every torch call seen (views included): an upper bound on kernel launches

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        self.ops += 1
        if name in _HOST_READS:
            self.reads.append(name)
        elif name == "__getitem__" and len(args) > 1 and _has_bool_tensor(args[1]):
            self.reads.append("bool-mask __getitem__")
        elif name in ("cpu", "to") and args and isinstance(args[0], torch.Tensor) and args[0].device.type != "cpu":
            out = func(*args, **kwargs)
            if isinstance(out, torch.Tensor) and out.device.type == "cpu":
                self.reads.append(f"{name}(cpu)")
            return out
        return func(*args, **kwargs)


def _has_bool_tensor(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in items)


# ---------------------------------------------------------------------------------------------------------------
# the monitor alone
# ---------------------------------------------------------------------------------------------------------------
def _clock(clock: str) -> float:
    return time.process_time() if clock == "cpu" else time.perf_counter()


def bench_monitor(
    spec: ModelSpec,
    reps: int,
    sched_reps: int,
    log: Callable[[str], None] = print,
    clock: str = "cpu",
    device: str = "cpu",
    dtype: torch.dtype | None = None,
    make_optimizer: Callable[[Any], torch.optim.Optimizer] = default_optimizer,
    sync: Callable[[], None] = lambda: None,
    model: torch.nn.Module | None = None,
) -> dict[str, Any]:
    """One check() against one optimizer.step() (same optimizer state); scheduler.step() alone for both arms.

    ``clock``: ``cpu`` (process CPU time; robust to other processes on a shared machine) or ``wall`` (with
    ``sync`` after each timed call: a GPU). ``model``: reuse a model (its gradients are overwritten).
    """
    if model is None:
        model = build_model(spec, seed=1, device=device, dtype=dtype)
    batch = make_batches(spec, 1, seed=1, device=device)[0]
    model.zero_grad(set_to_none=True)
    loss = model(input_ids=batch, labels=batch).loss
    loss.backward()  # the gradients stay; every optimizer.step() below reuses them
    opt = make_optimizer(model.parameters())
    sched = build_scheduler("adaptive", opt)
    monitor = sched.monitor
    opt.step()
    opt.step()
    monitor.check()  # first snapshot: no statistic yet
    sync()
    times: dict[str, dict[str, list[float]]] = {c: {"opt": [], "check": []} for c in ("wall", "cpu")}
    stats: list[float | None] = []
    for _ in range(reps):
        gc.collect()
        sync()
        w0, c0 = time.perf_counter(), time.process_time()
        opt.step()
        sync()
        w1, c1 = time.perf_counter(), time.process_time()
        stat = monitor.check()  # window of one real step, the same code path as every later check
        sync()
        w2, c2 = time.perf_counter(), time.process_time()
        times["wall"]["opt"].append(w1 - w0)
        times["wall"]["check"].append(w2 - w1)
        times["cpu"]["opt"].append(c1 - c0)
        times["cpu"]["check"].append(c2 - c1)
        stats.append(stat)
    opt_times, check_times = times[clock]["opt"], times[clock]["check"]
    opt.step()
    with HostReadCounter() as reads_check:
        last_stat = monitor.check()
    # scheduler.step() alone. The adaptive one with the monitor not due (no check), the linear one on its own
    # optimizer over the same parameters. Neither optimizer steps here, so only the scheduler's own work is timed.
    lin_opt = make_optimizer(model.parameters())
    lin_sched = build_scheduler("linear", lin_opt)
    lin_opt.step()
    sched_times: dict[str, list[float]] = {"adaptive": [], "linear": []}
    for _ in range(max(1, sched_reps // 20)):
        for name, s in (("linear", lin_sched), ("adaptive", sched)):
            t0 = _clock(clock)
            for _ in range(20):
                s.step()
            sched_times[name].append((_clock(clock) - t0) / 20)
    assert not monitor.due and sched.warmup_end_step is None
    # host reads inside scheduler.step() with a check due, and inside linear's scheduler.step()
    for _ in range(monitor.check_interval):
        opt.step()
    assert monitor.due
    with HostReadCounter() as reads_sched_adaptive:
        sched.step()
    with HostReadCounter() as reads_sched_linear:
        lin_sched.step()
    n_sources = sum(1 for _ in hf_warmup.optim_state.iter_sources(monitor.location))
    sched.monitor.close()
    opt.state.clear()
    lin_opt.state.clear()
    model.zero_grad(set_to_none=True)
    opt_med = statistics.median(opt_times)
    check_med = statistics.median(check_times)
    result = {
        "model": spec.name,
        "params": n_params(model),
        "sources": n_sources,
        "sample_size": monitor.sample_size,
        "check_interval": monitor.check_interval,
        "reps": reps,
        "optimizer_step_s": opt_med,
        "check_s": check_med,
        "check_over_optimizer_step": check_med / opt_med,
        "clock": clock,
        "check_quantiles_s": quantiles(check_times),
        "optimizer_step_quantiles_s": quantiles(opt_times),
        "wall": {k: statistics.median(v) for k, v in times["wall"].items()},
        "cpu": {k: statistics.median(v) for k, v in times["cpu"].items()},
        "scheduler_step_no_check_s": {k: statistics.median(v) for k, v in sched_times.items()},
        "statistics_finite": sum(1 for s in stats if s is not None and s == s),
        "last_statistic": last_stat,
        "host_reads_per_check": len(reads_check.reads),
        "host_reads_per_check_ops": reads_check.reads,
        "torch_calls_per_check": reads_check.ops,
        "host_reads_adaptive_scheduler_step_with_check": len(reads_sched_adaptive.reads),
        "host_reads_linear_scheduler_step": len(reads_sched_linear.reads),
    }
    log(f"    optimizer.step {opt_med * 1e3:.3f} ms, check {check_med * 1e3:.3f} ms "
        f"({100 * check_med / opt_med:.2f} % of a step), host reads per check {len(reads_check.reads)} "
        f"{reads_check.reads}")
    return result


# ---------------------------------------------------------------------------------------------------------------
# scheduler state at two widths
# ---------------------------------------------------------------------------------------------------------------
def serialized_bytes(obj: Any) -> int:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return len(buf.getvalue())


def bench_state(widths: tuple[int, int], depth: int, log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    rows = []
    for width in widths:
        heads = max(1, width // 64)
        spec = ModelSpec(f"w{width}", width, depth, int(width * 8 / 3) // 8 * 8, 4096, heads, batch=1, seq=16)
        model = build_model(spec, seed=2)
        batch = make_batches(spec, 1, seed=2)[0]
        arms = {name: make_arm(name, model, default_optimizer) for name in ARMS}
        steps = 2 * arms["adaptive"].scheduler.monitor.check_interval + 1  # two checks: a snapshot and a statistic
        for _ in range(steps):
            for arm in arms.values():
                train_step(model, batch, arm)
        ada, lin = arms["adaptive"].scheduler, arms["linear"].scheduler
        assert ada.monitor.snapshot is not None and ada.last_statistic is not None
        row = {
            "width": width,
            "depth": depth,
            "params": n_params(model),
            "optimizer_state_bytes": sum(
                t.numel() * t.element_size()
                for s in arms["adaptive"].optimizer.state.values()
                for t in s.values()
                if isinstance(t, torch.Tensor)
            ),
            "monitor_state_bytes": ada.monitor.state_bytes(),
            "adaptive_state_dict_bytes": serialized_bytes(ada.state_dict()),
            "linear_state_dict_bytes": serialized_bytes(lin.state_dict()),
            "checks": arms["adaptive"].counter.checks if arms["adaptive"].counter else None,
        }
        row["adaptive_total_bytes"] = row["monitor_state_bytes"] + row["adaptive_state_dict_bytes"]
        log(f"    width {width}: {row['params'] / 1e6:.1f} M params, monitor {row['monitor_state_bytes']} B, "
            f"state_dict {row['adaptive_state_dict_bytes']} B (linear {row['linear_state_dict_bytes']} B)")
        rows.append(row)
        del model, arms
        gc.collect()
    return rows


# ---------------------------------------------------------------------------------------------------------------
# peak process memory: one child process per arm
# ---------------------------------------------------------------------------------------------------------------
def _proc_status_bytes(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_rss_bytes() -> int:
    """This process's peak RSS: ``VmHWM`` on Linux, else ``ru_maxrss``.

    ``ru_maxrss`` of a child started by a big parent reports the *parent's* peak (the kernel carries it over the
    fork/exec), so on Linux the per-mm high-water mark ``VmHWM`` is used; it can be reset (``clear_refs``).
    """
    hwm = _proc_status_bytes("VmHWM")
    if hwm is not None:
        return hwm
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def memory_child(arm: str, model_name: str, steps: int) -> dict[str, Any]:
    """Build model, optimizer and scheduler; reset the peak; train ``steps`` steps; report the peak RSS."""
    spec = ALL_MODELS[model_name]
    model = build_model(spec)
    batches = make_batches(spec, 4)
    opt = default_optimizer(model.parameters())
    sched = None if arm == "none" else build_scheduler(arm, opt)
    counter = CheckCounter(sched.monitor) if sched is not None and arm == "adaptive" else None
    gc.collect()
    peak_setup = _peak_rss_bytes()
    rss_setup = _proc_status_bytes("VmRSS")
    reset = _reset_peak_rss()
    for i in range(steps):
        loss = model(input_ids=batches[i % 4], labels=batches[i % 4]).loss
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        opt.zero_grad(set_to_none=True)
    peak_training = _peak_rss_bytes()
    return {
        "arm": arm,
        "model": model_name,
        "params": n_params(model),
        "steps": steps,
        "rss_after_setup_bytes": rss_setup,
        "peak_rss_setup_bytes": peak_setup,
        "peak_reset": reset,
        "peak_rss_training_bytes": peak_training,
        "peak_rss_bytes": max(peak_setup, peak_training),
        "checks": counter.checks if counter else 0,
    }


def bench_memory(model_name: str, reps: int, threads: int, log: Callable[[str], None] = print,
                 tick: Callable[[], Any] = lambda: None, check_interval: int = 10) -> list[dict]:
    rows = []
    steps = 3 * check_interval + 1  # three checks (two of them compute a statistic)
    for rep in range(reps):
        for arm in ARMS:
            cmd = [sys.executable, str(SCRIPTS / "bench_overhead.py"), "--memory-child", arm, "--memory-model",
                   model_name, "--memory-steps", str(steps), "--threads", str(threads)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=1800)
            line = next(ln for ln in out.stdout.splitlines() if ln.startswith("MEMORY_RESULT "))
            row = json.loads(line[len("MEMORY_RESULT "):])
            row["rep"] = rep
            log(f"    {arm}: peak RSS while training {row['peak_rss_training_bytes'] / 2**20:.1f} MiB (after setup "
                f"{(row['rss_after_setup_bytes'] or 0) / 2**20:.1f} MiB, whole process "
                f"{row['peak_rss_bytes'] / 2**20:.1f} MiB), checks {row['checks']}")
            rows.append(row)
            tick()
    return rows


# ---------------------------------------------------------------------------------------------------------------
# profiling (optional)
# ---------------------------------------------------------------------------------------------------------------
def profile_arms(spec: ModelSpec, steps: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """torch.profiler over one block per arm: time in forward/backward, optimizer.step, scheduler.step."""
    from torch.profiler import ProfilerActivity, profile, record_function

    model = build_model(spec)
    batches = make_batches(spec, 8)
    arms = {name: make_arm(name, model, default_optimizer) for name in ARMS}
    for arm in arms.values():  # warm-up
        run_block(model, batches, arm, arms["adaptive"].scheduler.monitor.check_interval, lambda: None, False, False)
    out: dict[str, Any] = {}
    for name, arm in arms.items():
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for i in range(steps):
                b = batches[i % len(batches)]
                with record_function("bench::fwd_bwd"):
                    model(input_ids=b, labels=b).loss.backward()
                with record_function("bench::optimizer.step"):
                    arm.optimizer.step()
                with record_function("bench::scheduler.step"):
                    arm.scheduler.step()
                with record_function("bench::zero_grad"):
                    arm.optimizer.zero_grad(set_to_none=True)
        totals = {e.key: e.cpu_time_total / 1e3 / steps for e in prof.key_averages() if e.key.startswith("bench::")}
        out[name] = {"ms_per_step": totals}
        out["model"] = spec.name
        log(f"    profile {name}: " + ", ".join(f"{k[7:]} {v:.3f} ms" for k, v in totals.items()))
        if name == "adaptive":
            table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15)
            out[name]["top_ops"] = table
    return out


# ---------------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true",
                   help="smaller models, fewer trials (1 minute on 2 idle cores, ~5 on busy ones)")
    g.add_argument("--smoke", action="store_true", help="a tiny model, seconds (for the tests)")
    p.add_argument("--output_dir", "--output-dir", default=None, help="write <name>.json and <name>.md here")
    p.add_argument("--name", default=None, help="file stem (default: cpu_results / cpu_quick_results / ...)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1; see the docstring)")
    p.add_argument("--trials", type=int, default=None, help="override the number of timed trials per model")
    p.add_argument("--profile", action="store_true", help="also profile one block per arm with torch.profiler")
    p.add_argument("--control", action="store_true",
                   help="A/A control (linear vs linear) on every model (full mode: on the first one anyway)")
    p.add_argument("--models", default=None,
                   help="comma-separated model names instead of the mode's (e.g. llama-100M)")
    p.add_argument("--run-steps", default=None,
                   help="comma-separated run lengths T: time the full step at the default check_interval of a "
                        "T-step run, clip(round(T/50), 1, 10) (full mode: 300,50; else that of an unbounded run)")
    p.add_argument("--monitor-models", default=None,
                   help="comma-separated models whose check alone is also timed (full mode: small-1.8M,llama-100M)")
    p.add_argument("--skip-memory", action="store_true", help="skip the child-process peak-memory measurement")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bar on stderr")
    p.add_argument("--render", default=None, metavar="JSON",
                   help="only recompute the verdicts and re-render the markdown of a results JSON")
    p.add_argument("--memory-child", choices=("linear", "adaptive", "none"), help=argparse.SUPPRESS)
    p.add_argument("--memory-model", default=None, help=argparse.SUPPRESS)
    p.add_argument("--memory-steps", type=int, default=31, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.render:
        src = Path(args.render)
        stored: dict[str, Any] = json.loads(src.read_text())
        stored["verdicts"] = verdicts(stored)  # derived from the stored numbers only
        stored["noise_verdicts"] = noise_verdicts(stored)
        stored["rendered_with"] = f"python scripts/bench_overhead.py --render {args.render}"
        src.write_text(json.dumps(stored, indent=2, default=str) + "\n")
        md = to_markdown(stored)
        src.with_suffix(".md").write_text(md)
        print(md)
        return None
    if args.memory_child:
        print("MEMORY_RESULT " + json.dumps(memory_child(args.memory_child, args.memory_model, args.memory_steps)))
        return None

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    plan = PLANS[mode]
    t_start = time.perf_counter()
    command = " ".join(["python", *sys.argv]) if argv is None else " ".join(argv)
    res: dict[str, Any] = {
        "mode": mode,
        "device": "cpu",
        "command": command,
        "provenance": stamp(command),
        "machine": machine_info(torch.get_num_threads()),
        "adaptive_kwargs": dict(ADAPTIVE_KWARGS),
        "optimizer": describe_optimizer(),
        "full_step": [],
        "monitor": [],
    }
    m = res["machine"]
    print(f"machine: {m['cpu']} | {m['usable_cores']} usable cores | torch {m['torch']} "
          f"({m['torch_threads']} thread(s)) | transformers {m['transformers']} | mode {mode}", flush=True)

    def model_list(names: str | None, default: tuple[ModelSpec, ...], flag: str) -> tuple[ModelSpec, ...]:
        if names is None:
            return default
        unknown = [w for w in names.split(",") if w not in ALL_MODELS]
        if unknown:
            p.error(f"{flag}: unknown {unknown}; choose from {sorted(ALL_MODELS)}")
        return tuple(ALL_MODELS[w] for w in names.split(","))

    models = model_list(args.models, plan.models, "--models")
    monitor_models = model_list(args.monitor_models, plan.monitor_models, "--monitor-models")
    run_steps = tuple(int(t) for t in args.run_steps.split(",")) if args.run_steps else plan.run_steps
    controlled = {spec.name for spec in models if args.control or (plan.control and spec is models[0])}
    res["plan"] = {"warm_blocks": plan.warm_blocks, "monitor_reps": plan.monitor_reps, "sched_reps": plan.sched_reps,
                   "widths": list(plan.widths), "width_depth": plan.width_depth, "memory_model": plan.memory_model,
                   "memory_reps": 0 if args.skip_memory else plan.memory_reps, "controls": sorted(controlled),
                   "run_steps": list(run_steps), "monitor_models": [m.name for m in monitor_models]}
    from tqdm.auto import tqdm

    lengths = run_steps or (None,)
    blocks = {spec.name: 2 * (plan.warm_blocks + (args.trials or spec.trials)) for spec in models}
    total = (sum(blocks[n] * (len(lengths) + (1 if n in controlled else 0)) + 1 for n in blocks) + 1
             + len(monitor_models) + (0 if args.skip_memory else 2 * plan.memory_reps) + (1 if args.profile else 0))
    bar = tqdm(total=total, desc="bench_overhead", unit="block", file=sys.stderr, dynamic_ncols=True,
               disable=args.no_progress)

    def log(text: str) -> None:
        bar.write(text, file=sys.stdout)
        sys.stdout.flush()

    for spec in models:
        trials = args.trials or spec.trials
        model = build_model(spec)
        batches = make_batches(spec, 8)
        rows = []
        for run_len in lengths:
            interval = default_check_interval(run_len)[0] if run_len else None
            # a multiple of check_interval, so that every adaptive block holds the same number of checks
            steps = spec.steps_per_trial if interval is None else -(-spec.steps_per_trial // interval) * interval
            log(f"[full step] {spec.name}: {trials} trials x {steps} steps, batch {spec.batch} x {spec.seq}"
                + (f", check_interval {interval} (the default for T={run_len})" if run_len else ""))
            bar.set_postfix_str(f"full step {spec.name}" + (f" T={run_len}" if run_len else ""))
            r = compare_full_step(model, batches, steps, trials, plan.warm_blocks, log=log, tick=bar.update,
                                  check_interval=interval)
            r.update({"model": spec.name, "params": n_params(model), "batch": spec.batch, "seq": spec.seq,
                      "run_steps": run_len})
            if r["checks_timed"] != r["checks_expected"] or r["warmup_end_step"] is not None:
                raise RuntimeError(f"the monitor did not do its work during the timed steps: {r}")
            log(f"    => linear {ms_text(r['linear_step_s'])} ms, adaptive {ms_text(r['adaptive_step_s'])} ms, median "
                f"paired ratio {r['paired_ratio_median']:.4f}; checks during timed steps {r['checks_timed']} "
                f"(expected {r['checks_expected']}, {r['statistics_timed']} with a statistic)")
            res["full_step"].append(r)
            rows.append(r)
        if spec.name in controlled:
            log(f"[control] {spec.name}: linear vs linear")
            bar.set_postfix_str(f"A/A control {spec.name}")
            ctl = control_full_step(model, batches, spec.steps_per_trial, trials, plan.warm_blocks, log=log,
                                    tick=bar.update)
            ctl.update({"model": spec.name, "params": n_params(model), "batch": spec.batch, "seq": spec.seq})
            res.setdefault("controls", []).append(ctl)
        del model, batches
        gc.collect()

        log(f"[monitor] {spec.name}")
        bar.set_postfix_str(f"monitor {spec.name}")
        mon = bench_monitor(spec, plan.monitor_reps, plan.sched_reps, log=log)
        bar.update()
        res["monitor"].append(mon)
        s = mon["scheduler_step_no_check_s"]
        for r in rows:
            per_step = mon["check_s"] / r["check_interval"] + s["adaptive"] - s["linear"]
            r["component_overhead_s_per_step"] = per_step
            r["component_estimate_ratio"] = 1 + per_step / r["linear_step_s"]
        gc.collect()

    for spec in monitor_models:  # the check alone, by model size
        log(f"[monitor] {spec.name}")
        bar.set_postfix_str(f"monitor {spec.name}")
        res["monitor"].append(bench_monitor(spec, plan.monitor_reps, plan.sched_reps, log=log))
        bar.update()
        gc.collect()

    log(f"[state] widths {plan.widths}, depth {plan.width_depth}")
    bar.set_postfix_str("state")
    res["state"] = bench_state(plan.widths, plan.width_depth, log=log)
    bar.update()

    res["memory"] = []
    if not args.skip_memory:
        log(f"[memory] {plan.memory_model}, one child process per arm")
        bar.set_postfix_str("memory")
        res["memory"] = bench_memory(plan.memory_model, plan.memory_reps, torch.get_num_threads(), log=log,
                                     tick=bar.update, check_interval=DEFAULT_CHECK_INTERVAL)
        key = "peak_rss_training_bytes"
        lin = statistics.median(r[key] for r in res["memory"] if r["arm"] == "linear") / 2**20
        ada = statistics.median(r[key] for r in res["memory"] if r["arm"] == "adaptive") / 2**20
        spread = {arm: (max(r[key] for r in res["memory"] if r["arm"] == arm)
                        - min(r[key] for r in res["memory"] if r["arm"] == arm)) / 2**20 for arm in ARMS}
        res["memory_summary"] = {"linear_mib": lin, "adaptive_mib": ada, "difference_mib": ada - lin,
                                 "difference_percent": 100 * (ada - lin) / lin, "spread_within_arm_mib": spread}

    if args.profile:
        log("[profile]")
        bar.set_postfix_str("profile")
        res["profile"] = profile_arms(models[0], models[0].steps_per_trial, log=log)
        bar.update()
    bar.close()

    res["verdicts"] = verdicts(res)
    res["noise_verdicts"] = noise_verdicts(res)
    try:
        res["load_average_end"] = os.getloadavg()
    except OSError:
        pass
    res["wall_s"] = time.perf_counter() - t_start
    write_report(res, to_markdown(res), args.output_dir,
                 args.name or ("cpu_results" if mode == "full" else f"cpu_{mode}_results"))
    print(f"total {res['wall_s']:.1f} s")
    return res



def write_report(res: dict, md: str, output_dir: str | None, stem: str) -> None:
    """Print the markdown report; with ``output_dir``, also write ``STEM.json`` and ``STEM.md`` there."""
    print()
    print(md)
    if output_dir:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{stem}.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
        (out / f"{stem}.md").write_text(md)
        print(f"wrote {out / (stem + '.json')} and {out / (stem + '.md')}")
