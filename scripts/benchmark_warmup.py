"""Warmup benchmark: schedules × peak LRs × seeds × β2 on a small character-level LM, with the real HF Trainer.

Every run trains a tiny GPT-2 (or Llama) on the King James Bible (``scripts/lm_task.py``) with AdamW for ``T``
steps and evaluates on a fixed held-out set. Every schedule decays linearly to 0 at ``T``; only the warmup
differs:

* ``no_warmup``: ``linear_warmup`` with ``W = 0`` (a pure linear decay);
* ``linear_warmup(W=x%)``: a linear warmup over ``x%`` of ``T`` (grid 1, 2.5, 5, 10, 20 %). The best of the
  grid *including* ``no_warmup``, per LR and β2, is the **oracle**: what a tuned fixed warmup reaches;
* ``untuned_linear_warmup``, ``untuned_exponential_warmup``, ``radam_warmup``: lengths from β2 (Ma & Yarats
  2019; Liu et al. 2019), ``2 / (1 - β2)`` steps. They need ``T > 2 / (1 - β2)``; otherwise the cell is
  reported as not applicable (``n/a``) and not run;
* ``hf_linear(warmup=10%)``: transformers' built-in ``linear`` schedule with ``warmup_steps=0.1`` (a ratio),
  what users do today;
* ``adaptive_warmup``: hf_warmup's variance-aware warmup with default kwargs (or ``--adaptive_kwargs``), and
  any number of variants (``--extra_adaptive``), each reported as its own row, e.g. ``adaptive(threshold=0.1)``.

A run *diverged* when its train or eval loss is not finite, or its final train loss (mean of the last logging
window) is above its initial loss. For the means and the gaps a diverged run counts with ``max(eval loss,
initial loss)`` (the initial loss if not finite), so a divergence is penalised but cannot make a mean NaN.

Outputs (``--output_dir``): ``results.json`` (every run, updated after each run; re-running with the same
``--output_dir`` skips finished runs), ``results.md`` (tables) and ``results.png`` (eval loss vs LR and loss/LR
curves). ``--docs_prefix docs/benchmark/quick`` also copies them to ``docs/benchmark/quick_results.{md,json,png}``.

Modes: ``--smoke`` (seconds, for tests), ``--quick`` (a few minutes on 2 cores), default = full. Any flag
overrides the mode's preset. Examples::

    python scripts/benchmark_warmup.py --quick --output_dir runs/bench_quick --docs_prefix docs/benchmark/quick
    python scripts/benchmark_warmup.py --output_dir runs/bench_full --docs_prefix docs/benchmark/full
    python scripts/benchmark_warmup.py --quick --output_dir runs/bench_thr \\
        --extra_adaptive '{"threshold": 0.1}' '{"threshold": 0.2, "patience": 2}'
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lm_task  # noqa: E402

RESULTS_VERSION = 1
TASK = "KJV character-level causal LM (scripts/lm_task.py)"
DEFAULT_FRACTIONS = (0.0, 0.01, 0.025, 0.05, 0.1, 0.2)
BASE_SCHEDULES = (
    "linear_warmup",  # the W grid; W=0 is reported as no_warmup
    "untuned_linear_warmup",
    "untuned_exponential_warmup",
    "radam_warmup",
    "hf_linear",
    "adaptive_warmup",
)
UNTUNED = ("untuned_linear_warmup", "untuned_exponential_warmup", "radam_warmup")
HF_LINEAR_RATIO = 0.1
#: A run is *stuck* when its eval loss is within this many nats of the unigram model's (or above it).
STUCK_MARGIN = 0.05

#: Presets per mode; command-line flags override them.
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": dict(
        lrs=[3e-3], seeds=1, beta2s=[0.999], max_steps=20, n_layer=1, n_embd=32, n_head=2, block_size=32,
        batch_size=8, eval_blocks=32, warmup_fractions=[0.0, 0.1], schedules=["linear_warmup", "adaptive_warmup"],
        eval_points=1, lrs_per_beta2=None,
    ),
    "quick": dict(
        lrs=[3e-3, 1e-2, 3e-2], seeds=1, beta2s=[0.999, 0.99], max_steps=250, n_layer=2, n_embd=64, n_head=4,
        block_size=64, batch_size=16, eval_blocks=256, warmup_fractions=[0.0, 0.025, 0.1, 0.2],
        schedules=list(BASE_SCHEDULES), eval_points=2, lrs_per_beta2={"0.99": [1e-2]},
    ),
    # Scaled down to ~25-30 min on 2 shared cores: 2 seeds (add a third with --seeds 3: finished runs are kept).
    "full": dict(
        lrs=[3e-3, 1e-2, 3e-2, 1e-1], seeds=2, beta2s=[0.999, 0.99], max_steps=300, n_layer=2, n_embd=64,
        n_head=4, block_size=64, batch_size=16, eval_blocks=256, warmup_fractions=list(DEFAULT_FRACTIONS),
        schedules=list(BASE_SCHEDULES), eval_points=3, lrs_per_beta2=None,
    ),
}


# -- cells ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """One row of the tables: how to configure the Trainer for it."""

    label: str
    kind: str  # linear_warmup | untuned_* | radam_warmup | hf_linear | adaptive_warmup
    fraction: float | None = None  # linear_warmup: W / T
    kwargs: tuple[tuple[str, Any], ...] = ()  # adaptive_warmup: lr_scheduler_kwargs
    oracle: bool = True  # linear_warmup: part of the oracle grid (False: an extra row, --extra_fractions)

    @property
    def kwargs_dict(self) -> dict[str, Any]:
        return dict(self.kwargs)

    @property
    def in_grid(self) -> bool:
        return self.kind == "linear_warmup" and self.oracle


def fraction_label(fraction: float) -> str:
    return "no_warmup" if fraction == 0 else f"linear_warmup(W={100 * fraction:g}%)"


def adaptive_label(kwargs: dict[str, Any]) -> str:
    if not kwargs:
        return "adaptive_warmup"
    return "adaptive(" + ",".join(f"{k}={v}" for k, v in sorted(kwargs.items())) + ")"


def build_schedules(
    names: Sequence[str], fractions: Sequence[float], adaptive_kwargs: dict[str, Any],
    extra_adaptive: Sequence[dict[str, Any]], extra_fractions: Sequence[float] = (),
) -> list[Schedule]:
    out: list[Schedule] = []
    for name in names:
        if name == "linear_warmup":
            out += [Schedule(fraction_label(f), "linear_warmup", fraction=f) for f in sorted(set(fractions))]
            out += [Schedule(fraction_label(f), "linear_warmup", fraction=f, oracle=False)
                    for f in sorted(set(extra_fractions) - set(fractions))]
        elif name in UNTUNED:
            out.append(Schedule(name, name))
        elif name == "hf_linear":
            out.append(Schedule(f"hf_linear(warmup={100 * HF_LINEAR_RATIO:g}%)", "hf_linear"))
        elif name == "adaptive_warmup":
            out.append(Schedule(adaptive_label(adaptive_kwargs), name, kwargs=tuple(sorted(adaptive_kwargs.items()))))
        else:
            raise SystemExit(f"unknown schedule {name!r}; expected some of {', '.join(BASE_SCHEDULES)}")
    for kw in extra_adaptive:
        out.append(Schedule(adaptive_label(kw), "adaptive_warmup", kwargs=tuple(sorted(kw.items()))))
    labels = [s.label for s in out]
    dupes = {x for x in labels if labels.count(x) > 1}
    if dupes:
        raise SystemExit(f"duplicate schedule rows: {sorted(dupes)}")
    return out


@dataclass(frozen=True)
class Setup:
    """Everything that makes runs comparable (part of every run key)."""

    max_steps: int
    arch: str
    n_layer: int
    n_embd: int
    n_head: int
    block_size: int
    batch_size: int
    eval_blocks: int

    @property
    def tag(self) -> str:
        return (f"T={self.max_steps}|{self.arch}-L{self.n_layer}-E{self.n_embd}-H{self.n_head}-B{self.block_size}"
                f"|bs={self.batch_size}|eval={self.eval_blocks}")


def run_key(schedule: Schedule, lr: float, seed: int, beta2: float, setup: Setup) -> str:
    return f"{schedule.label}|lr={lr:g}|seed={seed}|beta2={beta2:g}|{setup.tag}"


def fixed_warmup_length(schedule: Schedule, beta2: float, total: int) -> int | None:
    """L for fixed schedules (None for adaptive_warmup: decided during training)."""
    from hf_warmup.warmups import untuned_length

    if schedule.kind == "linear_warmup":
        return int(round(schedule.fraction * total))
    if schedule.kind in UNTUNED:
        return untuned_length(beta2)
    if schedule.kind == "hf_linear":
        return math.ceil(HF_LINEAR_RATIO * total)
    return None


def not_applicable(schedule: Schedule, beta2: float, total: int) -> str | None:
    """Why a cell cannot run (the schedule's warmup does not fit in T), or None."""
    if schedule.kind in UNTUNED:
        length = fixed_warmup_length(schedule, beta2, total)
        if length is not None and length >= total:
            return f"warmup length 2/(1-β2)={length} >= T={total}"
    return None


# -- S trace ---------------------------------------------------------------------------------------------------
TRACE_THRESHOLDS = (0.02, 0.05, 0.1, 0.2, 0.5)
TRACE_PATIENCE = 3


def make_trace_callback(check_interval: int) -> Any:
    """A callback that runs a second :class:`hf_warmup.SecondMomentMonitor` over the *whole* run.

    It records ``(step, S)`` every ``check_interval`` optimizer steps whatever the schedule, so one can see
    when a given ``threshold``/``patience`` would have declared stability (diagnostic only: it does not change
    training; the monitor only reads the optimizer state).
    """
    from transformers import TrainerCallback

    from hf_warmup import SecondMomentMonitor

    class StatisticTrace(TrainerCallback):
        def __init__(self) -> None:
            self.monitor: SecondMomentMonitor | None = None
            self.trace: list[list[float]] = []

        def on_train_begin(self, args: Any, state: Any, control: Any, optimizer: Any = None, **kw: Any) -> None:
            if optimizer is not None:
                self.monitor = SecondMomentMonitor(optimizer, check_interval)

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if self.monitor is not None and self.monitor.due:
                stat = self.monitor.check()
                if stat is not None:
                    self.trace.append([state.global_step, round(float(stat), 6)])

        def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if self.monitor is not None:
                self.monitor.close()

    return StatisticTrace()


def first_stable_step(trace: Sequence[Sequence[float]], threshold: float, patience: int = TRACE_PATIENCE) -> int | None:
    """First traced step at which the mean of the last ``patience`` S values is finite and ``<= threshold``."""
    values: list[float] = []
    for step, stat in trace:
        values = [*values, stat][-patience:]
        if len(values) == patience:
            mean = sum(values) / patience
            if math.isfinite(mean) and mean <= threshold:
                return int(step)
    return None


# -- one run ----------------------------------------------------------------------------------------------------
def _last(history: list[dict[str, Any]], key: str) -> float | None:
    for entry in reversed(history):
        if key in entry:
            return float(entry[key])
    return None


def train_one(
    schedule: Schedule, lr: float, seed: int, beta2: float, setup: Setup, data: lm_task.LMDatasets,
    eval_points: int, logging_steps: int, tmp_dir: str, trace_interval: int = 10,
) -> dict[str, Any]:
    """One Trainer run; returns the record stored in results.json."""
    import torch
    import transformers
    from transformers import Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    import hf_warmup

    total = setup.max_steps
    sched_type, sched_kwargs, warmup_steps = "linear_warmup", {}, 0
    ratio: dict[str, float] = {}
    if schedule.kind == "linear_warmup":
        warmup_steps = int(round(schedule.fraction * total))
    elif schedule.kind in UNTUNED:
        sched_type = schedule.kind
    elif schedule.kind == "hf_linear":
        sched_type = "linear"
        if "warmup_ratio" in TrainingArguments.__dataclass_fields__:  # transformers 4.x
            ratio = {"warmup_ratio": HF_LINEAR_RATIO}
        else:  # transformers 5: a float < 1 in warmup_steps is a ratio of the total steps
            warmup_steps = HF_LINEAR_RATIO
    elif schedule.kind == "adaptive_warmup":
        sched_type, sched_kwargs = "adaptive_warmup", schedule.kwargs_dict

    transformers.set_seed(seed)
    model = lm_task.build_model(
        setup.arch, n_layer=setup.n_layer, n_embd=setup.n_embd, n_head=setup.n_head,
        vocab_size=data.tokenizer.vocab_size, block_size=setup.block_size,
    )
    # initial loss: the untrained model on the first eval blocks
    with torch.no_grad():
        probe = torch.tensor(data.eval[: min(32, len(data.eval))]["input_ids"])
        initial_loss = float(model(input_ids=probe, labels=probe).loss)

    eval_steps = max(1, total // max(1, eval_points))
    args = TrainingArguments(
        output_dir=tmp_dir,
        max_steps=total,
        per_device_train_batch_size=setup.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=lr,
        adam_beta1=0.9,
        adam_beta2=beta2,
        adam_epsilon=1e-8,
        weight_decay=0.0,
        max_grad_norm=1.0,
        optim="adamw_torch",
        lr_scheduler_type=sched_type,
        lr_scheduler_kwargs=sched_kwargs,
        warmup_steps=warmup_steps,
        **ratio,
        eval_strategy="steps",
        eval_steps=eval_steps,
        logging_steps=logging_steps,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        log_level="warning",
        dataloader_num_workers=0,
        seed=seed,
        data_seed=seed,
    )
    trace = make_trace_callback(trace_interval) if trace_interval > 0 else None
    trainer = Trainer(model=model, args=args, train_dataset=data.train, eval_dataset=data.eval,
                      callbacks=[trace] if trace is not None else None)
    trainer.remove_callback(PrinterCallback)
    started = time.perf_counter()
    error = None
    try:
        trainer.train()
    except hf_warmup.ScheduleConfigError:
        raise  # a configuration mistake, not a divergence
    except (RuntimeError, ValueError, FloatingPointError) as err:  # e.g. a NaN check in a kernel
        error = f"{type(err).__name__}: {err}"
    history = trainer.state.log_history
    if not any("eval_loss" in e and e.get("step") == total for e in history) and error is None:
        history.append({**trainer.evaluate(), "step": total})
    seconds = time.perf_counter() - started

    scheduler = trainer.lr_scheduler
    warmup: dict[str, Any] = {}
    if isinstance(scheduler, hf_warmup.AdaptiveWarmupLR):
        warmup = {
            "warmup_steps": scheduler.warmup_end_step,
            "decision_step": scheduler.decision_step,
            "end_reason": scheduler.end_reason,
            "max_warmup_steps": scheduler.max_warmup_steps,
            "statistic_at_end": scheduler.statistic_at_end,
            "statistics": [e["warmup_statistic"] for e in history if "warmup_statistic" in e],
            "adaptive_config": adaptive_config(scheduler),
        }
    elif isinstance(scheduler, hf_warmup.WarmupDecayLR):
        warmup = {"warmup_steps": int(scheduler.warmups[0].length)}
    else:
        warmup = {"warmup_steps": int(args.get_warmup_steps(total))}

    eval_loss = _last(history, "eval_loss")
    final_train = _last(history, "loss")
    diverged = (
        error is not None
        or eval_loss is None or not math.isfinite(eval_loss)
        or final_train is None or not math.isfinite(final_train)
        or final_train > initial_loss
    )
    scored = initial_loss if eval_loss is None or not math.isfinite(eval_loss) else eval_loss
    if diverged:
        scored = max(scored, initial_loss)
    return {
        "status": "done",
        "schedule": schedule.label,
        "kind": schedule.kind,
        "lr": lr,
        "seed": seed,
        "beta2": beta2,
        "setup": asdict(setup),
        "scheduler_type": sched_type,
        "scheduler_kwargs": sched_kwargs,
        "initial_loss": initial_loss,
        "final_train_loss": final_train,
        "eval_loss": eval_loss,
        "scored_eval_loss": scored,
        "diverged": bool(diverged),
        "error": error,
        "seconds": round(seconds, 3),
        "steps_per_second": round(trainer.state.global_step / seconds, 2) if seconds > 0 else None,
        **warmup,
        "curve": [[e["step"], e["loss"], e.get("learning_rate")] for e in history if "loss" in e],
        "eval_curve": [[e["step"], e["eval_loss"]] for e in history if "eval_loss" in e],
        "s_trace": trace.trace if trace is not None else None,
        "s_trace_interval": trace_interval,
    }


def unigram_loss(data: lm_task.LMDatasets) -> float:
    """Cross-entropy (nats/char) of the eval blocks under the train set's character frequencies (add-one).

    A model whose eval loss is not below this has learnt no context at all: it is *stuck* at the unigram
    plateau, the usual failure of a too-large LR on this task (gradient clipping keeps it from diverging).
    """
    import numpy as np

    vocab = data.tokenizer.vocab_size
    train = np.asarray(data.train["input_ids"]).ravel()
    counts = np.bincount(train, minlength=vocab).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    evals = np.asarray(data.eval["input_ids"]).ravel()
    return float(-logp[evals].mean())


# -- aggregation -----------------------------------------------------------------------------------------------
def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _std(xs: Sequence[float]) -> float | None:
    if len(xs) < 2:
        return 0.0 if xs else None
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


@dataclass
class Plan:
    schedules: list[Schedule]
    setup: Setup
    seeds: list[int]
    grid: list[tuple[float, float]]  # (beta2, lr)
    cells: list[tuple[Schedule, float, float, int]] = field(default_factory=list)  # (schedule, beta2, lr, seed)
    trace_interval: int = 10


def aggregate(plan: Plan, runs: dict[str, dict[str, Any]], unigram: float | None = None) -> dict[str, Any]:
    """Per-cell means over seeds, the oracle, gaps and the per-schedule summary.

    ``unigram``: the unigram eval loss; runs whose eval loss is above ``unigram - STUCK_MARGIN`` are *stuck*.
    """
    cells: list[dict[str, Any]] = []
    by_cell: dict[tuple[str, float, float], dict[str, Any]] = {}
    for beta2, lr in plan.grid:
        for sched in plan.schedules:
            recs = [runs.get(run_key(sched, lr, s, beta2, plan.setup)) for s in plan.seeds]
            recs = [r for r in recs if r is not None]
            cell: dict[str, Any] = {"schedule": sched.label, "kind": sched.kind, "beta2": beta2, "lr": lr}
            na = [r for r in recs if r.get("status") == "not_applicable"]
            done = [r for r in recs if r.get("status") == "done"]
            if na:
                cell.update(status="not_applicable", reason=na[0].get("reason"))
            elif not done:
                cell.update(status="missing")
            else:
                scored = [r["scored_eval_loss"] for r in done]
                finite_eval = [r["eval_loss"] for r in done if r["eval_loss"] is not None and math.isfinite(r["eval_loss"])]
                lengths = [r.get("warmup_steps") for r in done]
                cell.update(
                    status="done" if len(done) == len(plan.seeds) else "partial",
                    n_seeds=len(done),
                    eval_loss_mean=_mean(scored),
                    eval_loss_std=_std(scored),
                    eval_losses=[r["eval_loss"] for r in done],
                    raw_eval_loss_mean=_mean(finite_eval),
                    final_train_loss_mean=_mean([r["final_train_loss"] for r in done
                                                 if r["final_train_loss"] is not None
                                                 and math.isfinite(r["final_train_loss"])]),
                    initial_loss_mean=_mean([r["initial_loss"] for r in done]),
                    n_diverged=sum(bool(r["diverged"]) for r in done),
                    diverged=any(r["diverged"] for r in done),
                    n_stuck=sum(unigram is not None and not r["diverged"] and r["eval_loss"] >= unigram - STUCK_MARGIN
                                for r in done),
                    warmup_steps=lengths,
                    warmup_steps_mean=_mean([x for x in lengths if x is not None]),
                )
                traces = [r.get("s_trace") for r in done]
                if all(t is not None for t in traces):
                    cell["first_stable_step"] = {
                        f"{thr:g}": [first_stable_step(t, thr) for t in traces] for thr in TRACE_THRESHOLDS
                    }
                if sched.kind == "adaptive_warmup":
                    cell["end_reasons"] = [r.get("end_reason") for r in done]
                    cell["max_warmup_steps"] = done[0].get("max_warmup_steps")
            cells.append(cell)
            by_cell[(sched.label, beta2, lr)] = cell

    oracle: dict[str, dict[str, Any]] = {}
    for beta2, lr in plan.grid:
        grid_cells = [by_cell[(s.label, beta2, lr)] for s in plan.schedules if s.in_grid]
        grid_cells = [c for c in grid_cells if c.get("eval_loss_mean") is not None]
        if not grid_cells:
            continue
        best = min(grid_cells, key=lambda c: c["eval_loss_mean"])
        oracle.setdefault(f"{beta2:g}", {})[f"{lr:g}"] = {
            "schedule": best["schedule"], "eval_loss_mean": best["eval_loss_mean"],
            "warmup_steps": best["warmup_steps_mean"],
        }
        for sched in plan.schedules:
            c = by_cell[(sched.label, beta2, lr)]
            if c.get("eval_loss_mean") is not None:
                c["gap_to_oracle_pct"] = 100.0 * (c["eval_loss_mean"] - best["eval_loss_mean"]) / best["eval_loss_mean"]

    summary: dict[str, Any] = {}
    beta2s = sorted({b for b, _ in plan.grid}, reverse=True)
    for sched in plan.schedules:
        per_beta2: dict[str, Any] = {}
        for beta2 in beta2s + [None]:
            cs = [by_cell[(sched.label, b, lr)] for b, lr in plan.grid if beta2 is None or b == beta2]
            gaps = [c["gap_to_oracle_pct"] for c in cs if "gap_to_oracle_pct" in c]
            per_beta2["all" if beta2 is None else f"{beta2:g}"] = {
                "n_cells": len(gaps),
                "n_not_applicable": sum(c.get("status") == "not_applicable" for c in cs),
                "max_gap_pct": max(gaps) if gaps else None,
                "mean_gap_pct": _mean(gaps),
                "n_diverged_cells": sum(bool(c.get("diverged")) for c in cs),
                "n_stuck_cells": sum(bool(c.get("n_stuck")) for c in cs),
            }
        summary[sched.label] = per_beta2

    # adaptive rows vs the β2-derived warmups: in how many (β2, LR) cells is the adaptive mean loss lower?
    versus: dict[str, Any] = {}
    others = [s for s in plan.schedules if s.kind in UNTUNED or s.kind == "hf_linear" or s.label == "no_warmup"]
    for sched in plan.schedules:
        if sched.kind != "adaptive_warmup":
            continue
        row: dict[str, Any] = {}
        for other in others:
            wins = ties = compared = 0
            for beta2, lr in plan.grid:
                a, o = by_cell[(sched.label, beta2, lr)], by_cell[(other.label, beta2, lr)]
                if a.get("eval_loss_mean") is None or o.get("eval_loss_mean") is None:
                    continue
                compared += 1
                wins += a["eval_loss_mean"] < o["eval_loss_mean"]
                ties += a["eval_loss_mean"] == o["eval_loss_mean"]
            row[other.label] = {"wins": wins, "ties": ties, "compared": compared}
        all_three = 0
        compared_all = 0
        for beta2, lr in plan.grid:
            a = by_cell[(sched.label, beta2, lr)]
            os_ = [by_cell[(s.label, beta2, lr)] for s in plan.schedules if s.kind in UNTUNED]
            if a.get("eval_loss_mean") is None or not os_ or any(o.get("eval_loss_mean") is None for o in os_):
                continue
            compared_all += 1
            all_three += all(a["eval_loss_mean"] < o["eval_loss_mean"] for o in os_)
        row["all_untuned_and_radam"] = {"wins": all_three, "compared": compared_all}
        versus[sched.label] = row
    return {"cells": cells, "oracle": oracle, "summary": summary, "adaptive_vs": versus}


# -- reporting --------------------------------------------------------------------------------------------------
def _fmt_gap(g: float | None) -> str:
    return "" if g is None else f"{g:+.2f}%"


def render_markdown(plan: Plan, agg: dict[str, Any], meta: dict[str, Any]) -> str:
    by_cell = {(c["schedule"], c["beta2"], c["lr"]): c for c in agg["cells"]}
    beta2s = sorted({b for b, _ in plan.grid}, reverse=True)
    s = plan.setup
    lines = [
        f"# Warmup benchmark ({meta['mode']})",
        "",
        f"Task: character-level causal LM on the KJV Bible (`scripts/lm_task.py`), {s.arch} with {s.n_layer} layers, "
        f"width {s.n_embd}, {s.n_head} heads, block {s.block_size}, batch {s.batch_size} "
        f"({meta.get('n_params', '?'):,} parameters, vocabulary {meta.get('vocab_size')}). AdamW (β1 0.9, ε 1e-8, "
        f"no weight decay, grad-norm clip 1.0), T = {s.max_steps} steps, HF Trainer on CPU. Eval loss (nats/char) "
        f"at step T on {s.eval_blocks} fixed held-out blocks (the last 5 % of the text). "
        f"Seeds: {', '.join(map(str, plan.seeds))}. All schedules decay linearly to 0 at T; only the warmup "
        "differs.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Run time: {meta['run_time_s'] / 60:.1f} min of training+eval over {meta['n_runs_done']} runs "
        f"(sum of per-run wall times; {meta.get('mean_steps_per_second', 0):.1f} steps/s on average; "
        f"{meta['torch_threads']} torch thread(s), {meta['machine']}, shared with other jobs). Wall time: "
        f"{meta['wall_time_s_total'] / 60:.1f} min over {len(meta['invocations'])} invocation(s) that trained "
        "(data loading included; resumed invocations that only re-render are not counted).",
        "",
        "Cells: mean final eval loss over seeds, then the gap to the oracle (the best `linear_warmup` W of the grid "
        "for that β2 and LR, no warmup included). `DIV k/n`: k of n seeds diverged (non-finite loss, or final "
        "train loss above the initial loss); such runs count with max(eval loss, initial loss). `n/a`: the "
        "schedule's warmup, 2/(1-β2) steps, does not fit in T. `STUCK k/n`: k seeds ended with an eval loss "
        f"within {STUCK_MARGIN} nats of the unigram model's ({meta.get('unigram_eval_loss', float('nan')):.4f}) or above: "
        "next to no context "
        "learnt, the usual failure at too high an LR here (gradient clipping prevents outright divergence).",
        "",
    ]
    for beta2 in beta2s:
        lrs = [lr for b, lr in plan.grid if b == beta2]
        lines += [f"## β2 = {beta2:g}", ""]
        header = "| schedule | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " | max gap | mean gap |"
        lines += [header, "|" + "---|" * (len(lrs) + 3)]
        for sched in plan.schedules:
            row = [f"`{sched.label}`" + ("" if sched.in_grid or sched.kind != "linear_warmup" else " (not in grid)")]
            for lr in lrs:
                c = by_cell[(sched.label, beta2, lr)]
                if c.get("status") == "not_applicable":
                    row.append("n/a")
                elif c.get("eval_loss_mean") is None:
                    row.append("–")
                else:
                    txt = f"{c['eval_loss_mean']:.4f} ({_fmt_gap(c.get('gap_to_oracle_pct'))})"
                    if c["n_diverged"]:
                        txt += f" DIV {c['n_diverged']}/{c['n_seeds']}"
                    if c.get("n_stuck"):
                        txt += f" STUCK {c['n_stuck']}/{c['n_seeds']}"
                    row.append(txt)
            summ = agg["summary"][sched.label][f"{beta2:g}"]
            row += [_fmt_gap(summ["max_gap_pct"]) or "–", _fmt_gap(summ["mean_gap_pct"]) or "–"]
            lines.append("| " + " | ".join(row) + " |")
        orc = agg["oracle"].get(f"{beta2:g}", {})
        lines.append("| **oracle** (best W) | " + " | ".join(
            f"{orc[f'{lr:g}']['eval_loss_mean']:.4f} = `{orc[f'{lr:g}']['schedule']}`" if f"{lr:g}" in orc else "–"
            for lr in lrs) + " | | |")
        lines += ["", f"Warmup length used (steps; adaptive: `warmup_end_step` per seed, `*` = ended at "
                      f"`max_warmup_steps`, else the stability test fired), β2 = {beta2:g}:", ""]
        lines += ["| schedule | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " |", "|" + "---|" * (len(lrs) + 1)]
        for sched in plan.schedules:
            if sched.kind == "linear_warmup" and sched.label != "no_warmup":
                continue
            row = [f"`{sched.label}`"]
            for lr in lrs:
                c = by_cell[(sched.label, beta2, lr)]
                if c.get("status") == "not_applicable":
                    row.append(f"n/a ({c.get('reason')})")
                    continue
                steps = c.get("warmup_steps") or []
                if sched.kind == "adaptive_warmup":
                    parts = [f"{x}{'*' if r == 'max_warmup_steps' else ''}"
                             for x, r in zip(steps, c.get("end_reasons") or [])]
                    row.append(", ".join(parts) + f" (M={c.get('max_warmup_steps')})" if parts else "–")
                else:
                    row.append(str(steps[0]) if steps else "–")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        lines += _trace_table(plan, by_cell, beta2, lrs)

    lines += ["## Summary over all (β2, LR) cells", "",
              "| schedule | max gap to oracle | mean gap | cells | n/a | cells with a divergence | cells stuck |",
              "|---|---|---|---|---|---|---|"]
    for sched in plan.schedules:
        summ = agg["summary"][sched.label]["all"]
        lines.append(f"| `{sched.label}` | {_fmt_gap(summ['max_gap_pct']) or '–'} | "
                     f"{_fmt_gap(summ['mean_gap_pct']) or '–'} | {summ['n_cells']} | {summ['n_not_applicable']} | "
                     f"{summ['n_diverged_cells']} | {summ['n_stuck_cells']} |")
    if agg["adaptive_vs"]:
        others = [k for k in next(iter(agg["adaptive_vs"].values())) if k != "all_untuned_and_radam"]
        lines += ["", "Adaptive rows against the other non-tuned warmups: (β2, LR) cells where the adaptive mean eval "
                  "loss is lower / cells compared.", "",
                  "| adaptive row | " + " | ".join(f"vs `{o}`" for o in others) + " | beats all of untuned_* and radam |",
                  "|" + "---|" * (len(others) + 2)]
        for label, row in agg["adaptive_vs"].items():
            cols = [f"{row[o]['wins']}/{row[o]['compared']}" for o in others]
            cols.append(f"{row['all_untuned_and_radam']['wins']}/{row['all_untuned_and_radam']['compared']}")
            lines.append(f"| `{label}` | " + " | ".join(cols) + " |")
    lines.append("")
    return "\n".join(lines)


def _trace_table(plan: Plan, by_cell: dict[Any, dict[str, Any]], beta2: float, lrs: list[float]) -> list[str]:
    """When would the stability test (mean of the last 3 S <= threshold) have fired, along a run's own path?"""
    rows = [s for s in plan.schedules if s.label == "no_warmup" or s.kind == "adaptive_warmup"]
    grid = [s for s in plan.schedules if s.in_grid]
    if grid:
        rows.insert(1, max(grid, key=lambda s: s.fraction or 0.0))
    if not any("first_stable_step" in by_cell[(s.label, beta2, lr)] for s in rows for lr in lrs):
        return []
    out = [f"First step at which the mean of the last {TRACE_PATIENCE} values of S (a diagnostic monitor over the "
           f"whole run, every {plan.trace_interval} steps) was <= the threshold, along that run's own path; "
           f"per seed, `never` = not within T. β2 = {beta2:g}:", "",
           "| run | lr | " + " | ".join(f"S <= {t:g}" for t in TRACE_THRESHOLDS) + " |",
           "|" + "---|" * (len(TRACE_THRESHOLDS) + 2)]
    for sched in rows:
        for lr in lrs:
            c = by_cell[(sched.label, beta2, lr)]
            fs = c.get("first_stable_step")
            if not fs:
                continue
            cols = [", ".join("never" if x is None else str(x) for x in fs[f"{t:g}"]) for t in TRACE_THRESHOLDS]
            out.append(f"| `{sched.label}` | {lr:g} | " + " | ".join(cols) + " |")
    out.append("")
    return out


def render_png(
    plan: Plan, agg: dict[str, Any], runs: dict[str, dict[str, Any]], path: str, unigram: float | None = None
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    beta2s = sorted({b for b, _ in plan.grid}, reverse=True)
    by_cell = {(c["schedule"], c["beta2"], c["lr"]): c for c in agg["cells"]}
    fig, axes = plt.subplots(len(beta2s), 3, figsize=(18, 4.6 * len(beta2s)), squeeze=False)
    cmap = plt.get_cmap("tab20")
    colors = {s.label: cmap(i % 20) for i, s in enumerate(plan.schedules)}
    seed0 = plan.seeds[0]
    for row, beta2 in enumerate(beta2s):
        lrs = [lr for b, lr in plan.grid if b == beta2]
        ax = axes[row][0]
        for sched in plan.schedules:
            pts = [(lr, by_cell[(sched.label, beta2, lr)]) for lr in lrs]
            pts = [(lr, c) for lr, c in pts if c.get("eval_loss_mean") is not None]
            if not pts:
                continue
            style = "-" if sched.kind == "adaptive_warmup" else ("--" if sched.in_grid else ":")
            ax.plot([p[0] for p in pts], [p[1]["eval_loss_mean"] for p in pts], style, marker="o", ms=3,
                    color=colors[sched.label], label=sched.label, lw=2.2 if sched.kind == "adaptive_warmup" else 1.2)
            div = [(lr, c["eval_loss_mean"]) for lr, c in pts if c.get("diverged")]
            if div:
                ax.scatter(*zip(*div), marker="x", color=colors[sched.label], s=60)
        orc = agg["oracle"].get(f"{beta2:g}", {})
        if orc:
            ax.plot(lrs, [orc[f"{lr:g}"]["eval_loss_mean"] if f"{lr:g}" in orc else float("nan") for lr in lrs],
                    color="black", lw=3, alpha=0.25, label="oracle (best W)")
        finite = [c["eval_loss_mean"] for c in agg["cells"] if c["beta2"] == beta2 and c.get("eval_loss_mean")]
        if finite:
            ax.set_ylim(min(finite) - 0.02, max(finite) + 0.03)
        if unigram is not None:
            ax.axhline(unigram, color="grey", ls=":", lw=1)
            ax.text(min(lrs), unigram, " unigram model", va="bottom", fontsize=7, color="grey")
        ax.set_xscale("log")
        ax.set_xlabel("peak learning rate")
        ax.set_ylabel("final eval loss (mean over seeds; x = diverged)")
        ax.set_title(f"β2 = {beta2:g}: eval loss vs LR")
        if row == 0:
            ax.legend(fontsize=7, ncol=2)
        # loss and LR curves at the largest LR, seed 0, for the main rows
        lr = max(lrs)
        ax_loss, ax_lr = axes[row][1], axes[row][2]
        for sched in plan.schedules:
            if sched.in_grid and sched.label not in ("no_warmup", orc.get(f"{lr:g}", {}).get("schedule")):
                continue
            rec = runs.get(run_key(sched, lr, seed0, beta2, plan.setup))
            if not rec or rec.get("status") != "done" or not rec.get("curve"):
                continue
            steps = [p[0] for p in rec["curve"]]
            ax_loss.plot(steps, [p[1] for p in rec["curve"]], color=colors[sched.label], label=sched.label, lw=1)
            if rec.get("eval_curve"):
                ax_loss.plot(*zip(*rec["eval_curve"]), "s", color=colors[sched.label], ms=4)
            ax_lr.plot(steps, [p[2] for p in rec["curve"]], color=colors[sched.label], label=sched.label, lw=1.2)
            if sched.kind == "adaptive_warmup" and rec.get("warmup_steps") is not None:
                ax_lr.axvline(rec["warmup_steps"], color=colors[sched.label], ls=":", lw=1)
        ax_loss.set_yscale("log")
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("train loss (line), eval loss (squares)")
        ax_loss.set_title(f"β2 = {beta2:g}, lr {lr:g}, seed {seed0}: loss curves")
        ax_loss.legend(fontsize=7)
        ax_lr.set_xlabel("step")
        ax_lr.set_ylabel("learning rate")
        ax_lr.set_title(f"β2 = {beta2:g}, lr {lr:g}: schedules (dotted: adaptive warmup end)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def adaptive_config(scheduler: Any) -> dict[str, Any]:
    """The resolved settings of an :class:`hf_warmup.AdaptiveWarmupLR` (defaults filled in)."""
    return {
        "max_warmup_steps": int(scheduler.max_warmup_steps),
        "min_warmup_steps": int(scheduler.min_warmup_steps),
        "threshold": float(scheduler.threshold),
        "check_interval": int(scheduler.monitor.check_interval),
        "patience": int(scheduler.patience),
        "handoff_steps": int(scheduler.handoff_steps),
        "start_factor": float(scheduler.start_factor),
        "sample_size": int(scheduler.monitor.sample_size),
    }


def expected_adaptive_config(sched: Schedule, beta2: float, total: int) -> dict[str, Any]:
    """What the installed hf_warmup resolves an adaptive row to for this (β2, T); exits on bad kwargs.

    Used to validate ``--adaptive_kwargs``/``--extra_adaptive`` before any training, and to re-run cached
    runs whose settings no longer match (e.g. after a change of hf_warmup's defaults).
    """
    import torch

    from hf_warmup import ScheduleConfigError, get_adaptive_warmup_schedule

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=1e-3, betas=(0.9, beta2))
    try:
        scheduler = get_adaptive_warmup_schedule(opt, 0, total, **sched.kwargs_dict)
    except ScheduleConfigError as err:
        raise SystemExit(f"{sched.label}: {err}") from err
    scheduler.monitor.close()
    return adaptive_config(scheduler)


def is_stale(rec: dict[str, Any], sched: Schedule, beta2: float, total: int) -> bool:
    """A cached adaptive run whose resolved settings differ from what the installed hf_warmup would use."""
    if sched.kind != "adaptive_warmup" or rec.get("status") != "done":
        return False
    expected = expected_adaptive_config(sched, beta2, total)
    cached = rec.get("adaptive_config") or {"max_warmup_steps": rec.get("max_warmup_steps")}
    return any(key in expected and cached[key] != expected[key] for key in cached)


# -- driver -----------------------------------------------------------------------------------------------------
def _floats(text: str) -> list[float]:
    return [float(x) for x in text.replace(",", " ").split()]


def _strs(text: str) -> list[str]:
    return [x for x in text.replace(",", " ").split() if x]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a few minutes on 2 CPU cores")
    mode.add_argument("--smoke", action="store_true", help="seconds: for tests")
    p.add_argument("--output_dir", default=None, help="default runs/benchmark_<mode>")
    p.add_argument("--docs_prefix", default=None,
                   help="also copy the results to PREFIX_results.{md,json,png}, e.g. docs/benchmark/quick")
    p.add_argument("--lrs", type=_floats, default=None, help="peak LRs, e.g. 1e-3,3e-3,1e-2")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (0..n-1)")
    p.add_argument("--beta2s", type=_floats, default=None, help="Adam β2 values, e.g. 0.999,0.99")
    p.add_argument("--lrs_per_beta2", type=json.loads, default=None,
                   help='JSON: LRs for some β2 values (a subset), e.g. \'{"0.99": [0.03]}\'; others use --lrs')
    p.add_argument("--max_steps", type=int, default=None, help="T, training steps per run")
    p.add_argument("--schedules", type=_strs, default=None, help=f"some of {','.join(BASE_SCHEDULES)}")
    p.add_argument("--warmup_fractions", type=_floats, default=None, help="linear_warmup grid, fractions of T")
    p.add_argument("--extra_fractions", type=_floats, default=[],
                   help="further linear_warmup rows (fractions of T) that are *not* part of the oracle grid")
    p.add_argument("--adaptive_kwargs", type=json.loads, default={}, help="JSON kwargs of the adaptive_warmup row")
    p.add_argument("--extra_adaptive", nargs="*", type=json.loads, default=[],
                   help="further adaptive_warmup rows, one JSON kwargs dict each")
    p.add_argument("--arch", choices=["gpt2", "llama"], default="gpt2")
    p.add_argument("--n_layer", type=int, default=None)
    p.add_argument("--n_embd", type=int, default=None)
    p.add_argument("--n_head", type=int, default=None)
    p.add_argument("--block_size", type=int, default=None)
    p.add_argument("--batch_size", type=int, default=None)
    p.add_argument("--eval_blocks", type=int, default=None, help="size of the fixed held-out eval set (blocks)")
    p.add_argument("--eval_points", type=int, default=None, help="evaluations per run (the last at step T)")
    p.add_argument("--logging_steps", type=int, default=None, help="default max(1, T // 50)")
    p.add_argument("--trace_interval", type=int, default=10,
                   help="record the second-moment statistic S every N steps in every run (0: off)")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--max_chars", type=int, default=None, help="use only the first characters of the text")
    p.add_argument("--no_plot", action="store_true")
    args = p.parse_args(argv)
    args.mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    for key, value in PRESETS[args.mode].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.output_dir is None:
        args.output_dir = os.path.join("runs", f"benchmark_{args.mode}")
    if args.logging_steps is None:
        args.logging_steps = max(1, args.max_steps // 50)
    for kw in [args.adaptive_kwargs, *args.extra_adaptive]:
        if not isinstance(kw, dict):
            p.error(f"adaptive kwargs must be JSON objects, got {kw!r}")
    return args


def make_plan(args: argparse.Namespace) -> Plan:
    setup = Setup(args.max_steps, args.arch, args.n_layer, args.n_embd, args.n_head, args.block_size,
                  args.batch_size, args.eval_blocks)
    schedules = build_schedules(args.schedules, args.warmup_fractions, args.adaptive_kwargs, args.extra_adaptive,
                                args.extra_fractions)
    per_beta2 = {float(k): [float(x) for x in v] for k, v in (args.lrs_per_beta2 or {}).items()}
    grid = [(b, lr) for b in args.beta2s for lr in sorted(per_beta2.get(b, args.lrs))]
    seeds = list(range(args.seeds))
    plan = Plan(schedules, setup, seeds, grid, trace_interval=args.trace_interval)
    plan.cells = [(s, b, lr, seed) for b, lr in grid for seed in seeds for s in schedules]
    return plan


def _write_json(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, allow_nan=True)
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    import torch
    import transformers
    from tqdm.auto import tqdm

    import hf_warmup  # noqa: F401  (registers the schedules)

    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    plan = make_plan(args)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    state: dict[str, Any] = {"version": RESULTS_VERSION, "runs": {}}
    if json_path.is_file():
        with open(json_path) as f:
            state = json.load(f)
        state.setdefault("runs", {})
    runs: dict[str, dict[str, Any]] = state["runs"]

    for sched in plan.schedules:  # bad adaptive kwargs fail here, before any training
        if sched.kind == "adaptive_warmup":
            for beta2 in {b for b, _ in plan.grid}:
                expected_adaptive_config(sched, beta2, plan.setup.max_steps)
    todo = []
    n_stale = 0
    for sched, beta2, lr, seed in plan.cells:
        key = run_key(sched, lr, seed, beta2, plan.setup)
        if key in runs and runs[key].get("status") in ("done", "not_applicable"):
            if not is_stale(runs[key], sched, beta2, plan.setup.max_steps):
                continue
            n_stale += 1
        reason = not_applicable(sched, beta2, plan.setup.max_steps)
        if reason:
            runs[key] = {"status": "not_applicable", "reason": reason, "schedule": sched.label, "lr": lr,
                         "seed": seed, "beta2": beta2}
            continue
        todo.append((key, sched, beta2, lr, seed))
    n_cached = len(plan.cells) - len(todo)
    print(f"[benchmark] mode={args.mode}: {len(plan.cells)} runs planned, {n_cached} finished or n/a "
          f"(skipped), {len(todo)} to run ({n_stale} of them cached with other adaptive settings) -> {out}",
          flush=True)

    started = time.perf_counter()
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    n_trained = 0
    data = lm_task.build_lm_datasets(args.block_size, max_chars=args.max_chars, max_eval_blocks=args.eval_blocks)
    probe_model = lm_task.build_model(args.arch, args.n_layer, args.n_embd, args.n_head,
                                      data.tokenizer.vocab_size, args.block_size)
    n_params = sum(p.numel() for p in probe_model.parameters())
    del probe_model
    unigram = unigram_loss(data)
    command = "python scripts/benchmark_warmup.py " + shlex.join(sys.argv[1:] if argv is None else argv)

    def meta() -> dict[str, Any]:
        done = [runs.get(run_key(s, lr, seed, b, plan.setup)) for s, b, lr, seed in plan.cells]
        done = [r for r in done if r and r.get("status") == "done"]
        run_time = sum(r["seconds"] for r in done)
        steps = sum(r["setup"]["max_steps"] for r in done)
        return {
            "mode": args.mode,
            "task": TASK,
            "command": command,
            "config": {k: v for k, v in vars(args).items() if k not in ("quick", "smoke")},
            "setup": asdict(plan.setup),
            "seeds": plan.seeds,
            "grid": [{"beta2": b, "lr": lr} for b, lr in plan.grid],
            "schedules": [{"label": s.label, "kind": s.kind, "fraction": s.fraction, "kwargs": s.kwargs_dict}
                          for s in plan.schedules],
            "n_runs_planned": len(plan.cells),
            "n_runs_done": len(done),
            "run_time_s": round(run_time, 1),
            "mean_steps_per_second": round(steps / run_time, 2) if run_time else 0.0,
            "wall_time_s_last_invocation": round(time.perf_counter() - started, 1),
            # every invocation that trained something: wall time (data loading included) and runs trained
            "invocations": invocations(),
            "wall_time_s_total": round(sum(i["wall_s"] for i in invocations()), 1),
            "n_params": n_params,
            "unigram_eval_loss": unigram,
            "vocab_size": data.tokenizer.vocab_size,
            "torch_threads": args.threads,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                         "hf_warmup": hf_warmup.__version__, "python": platform.python_version()},
        }

    def this_invocation() -> dict[str, Any]:
        return {"started": started_at, "wall_s": round(time.perf_counter() - started, 1), "n_runs": n_trained,
                "command": command}

    prior_invocations = list(state.get("invocations", []))

    def invocations() -> list[dict[str, Any]]:
        return prior_invocations + ([this_invocation()] if todo else [])

    def save(final: bool = False) -> dict[str, Any]:
        state["meta"] = meta()
        state["invocations"] = state["meta"]["invocations"]
        agg = aggregate(plan, runs, unigram)
        state.update(agg)
        _write_json(str(json_path), state)
        if final:
            (out / "results.md").write_text(render_markdown(plan, agg, state["meta"]))
            if not args.no_plot:
                render_png(plan, agg, runs, str(out / "results.png"), unigram)
        return state

    with tempfile.TemporaryDirectory(prefix="bench_warmup_") as tmp:
        bar = tqdm(todo, desc="runs", unit="run", dynamic_ncols=True, file=sys.stderr)
        for key, sched, beta2, lr, seed in bar:
            bar.set_postfix_str(f"{sched.label} lr={lr:g} β2={beta2:g} seed={seed}")
            rec = train_one(sched, lr, seed, beta2, plan.setup, data, args.eval_points, args.logging_steps,
                            os.path.join(tmp, "run"), args.trace_interval)
            rec["key"] = key
            runs[key] = rec
            n_trained += 1
            save()
        bar.close()
    result = save(final=True)
    if args.docs_prefix:
        prefix = Path(args.docs_prefix)
        prefix.parent.mkdir(parents=True, exist_ok=True)
        for ext in ("md", "png"):
            src = out / f"results.{ext}"
            if src.is_file():
                shutil.copyfile(src, f"{prefix}_results.{ext}")
        # the committed JSON: every number of the tables, without per-step curves and S traces (in output_dir)
        planned = {run_key(sch, lr, seed, b, plan.setup) for sch, b, lr, seed in plan.cells}
        slim = {**result, "runs": {k: {f: v for f, v in r.items() if f not in ("curve", "statistics", "s_trace")}
                                   for k, r in result["runs"].items() if k in planned}}
        _write_json(f"{prefix}_results.json", slim)
    m = result["meta"]
    print(f"[benchmark] done: {m['n_runs_done']} runs, {m['run_time_s'] / 60:.1f} min of runs, "
          f"{m['wall_time_s_last_invocation']:.0f} s this invocation -> {out / 'results.md'}", flush=True)
    return result


if __name__ == "__main__":
    main()
