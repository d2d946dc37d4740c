"""The warmup report of a Trainer run: ``warmup.json``, the start line and the end line.

Everything comes from what survives a resume: the Trainer's ``state.log_history`` (restored from
``trainer_state.json``) and the scheduler itself (its ``state_dict`` holds the adaptive warmup's check history
and the knots of its ramp, and every hf_warmup schedule is then a pure function of the step), so a resumed run's
report covers the whole run. ``warmup.json`` holds:

* ``schedule``, ``config`` (the resolved kwargs: ``max_warmup_steps`` / warmup lengths and where they came
  from, threshold, check interval, decay, ...), ``num_training_steps``, ``global_step``, ``peak_lr``;
* ``warmup_end_step``, ``end_reason`` (``edge``, ``stable``, ``bound``, ``min_steps``; ``fixed`` for fixed
  schedules; ``null`` while still warming up), ``decision_step``, ``statistic_at_end``; adaptive only:
  ``peak_fraction`` (the fraction of the peak LR the decay starts from, < 1 after an ``edge`` end),
  ``coherence_at_end``, ``coherence_threshold``;
* ``checks``: one ``{"step", "statistic", "lr", "coherence"}`` per stability check (adaptive only): the global
  step of the check, S, the LR the scheduler set right after it, and the coherence φ (null without a first
  moment);
* ``lr``: ``[s, lr]``, the LR of the ``s``-th optimizer update (what transformers logs as ``learning_rate`` at
  step ``s``), at every step ``s = 1..global_step`` (``lr_points = "step"``) or, for schedules whose LR path is
  not known, runs with fp16 steps the grad scaler skipped, or runs longer than :data:`MAX_LR_POINTS`, the logged
  ``learning_rate`` at every logged step (``"log"``). ``lr_exact``: every step's LR is the one the optimizer used (false for ``"log"``, and for an
  ``adaptive_warmup`` whose ramp had more knots than it keeps, see :class:`~hf_warmup.adaptive.AdaptiveWarmupLR`).
  Fixed schedules (and transformers' ``LambdaLR`` ones) are pure functions of the step; ``adaptive_warmup``
  keeps its ramp's knots in its ``state_dict``, so its path is evaluated the same way, after a resume too. A
  check's ``lr`` is the LR of the next update: ``checks[i].lr == lr[checks[i].step]`` (0-based index).
* ``loss``: ``[step, loss]`` at every logged step.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

REPORT_JSON = "warmup.json"
REPORT_PNG = "warmup.png"
FORMAT = "hf_warmup.warmup_report/1"
MAX_LR_POINTS = 20_000
#: ``end_reason`` values as written to the report (older schedulers say ``max_warmup_steps`` for the bound)
END_REASONS = {"stable": "stable", "bound": "bound", "max_warmup_steps": "bound", "min_steps": "min_steps",
               "edge": "edge"}
BETA2_SOURCE = "β2"


def unwrap_scheduler(scheduler: Any) -> Any:
    """The scheduler itself, also when wrapped (accelerate's ``AcceleratedScheduler`` keeps it in ``.scheduler``)."""
    for _ in range(5):
        if hasattr(scheduler, "factor") or not hasattr(scheduler, "scheduler"):
            break
        scheduler = scheduler.scheduler
    return scheduler


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def json_safe(obj: Any) -> Any:
    """Plain JSON values: tensors and numpy scalars as numbers, NaN/inf as ``None``, enums as their value."""
    if isinstance(obj, Mapping):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "item") and callable(obj.item):
        return json_safe(obj.item())
    return str(getattr(obj, "value", obj))


def is_adaptive(scheduler: Any) -> bool:
    return hasattr(scheduler, "check_history") or hasattr(scheduler, "monitor")


def schedule_name(scheduler: Any, args: Any = None) -> str:
    name = getattr(scheduler, "name", None)
    if isinstance(name, str) and hasattr(scheduler, "factor"):
        return name
    kind = getattr(args, "lr_scheduler_type", None)
    if kind is not None:
        return str(getattr(kind, "value", kind))
    return type(scheduler).__name__


def warmup_steps_source(args: Any, total: int | None) -> str:
    """Where ``num_warmup_steps`` came from: ``warmup_steps=0.1 of 300`` or ``warmup_steps=30``."""
    ws = getattr(args, "warmup_steps", 0) or 0
    ratio = getattr(args, "warmup_ratio", 0) or 0
    if 0 < ws < 1:
        return f"warmup_steps={ws:g} of {total}"
    if not ws and ratio:
        return f"warmup_ratio={ratio:g} of {total}"
    return f"warmup_steps={int(ws)}"


def scheduler_config(scheduler: Any, args: Any = None, total: int | None = None) -> dict[str, Any]:
    """The resolved kwargs from ``describe_config()`` (when the scheduler has it), with readable sources."""
    describe = getattr(scheduler, "describe_config", None)
    config: dict[str, Any] = dict(describe()) if callable(describe) else {}
    if not config and is_adaptive(scheduler):  # a scheduler without describe_config: read its attributes
        monitor = getattr(scheduler, "monitor", None)
        for key in ("max_warmup_steps", "min_warmup_steps", "threshold", "patience"):
            if hasattr(scheduler, key):
                config[key] = getattr(scheduler, key)
        if monitor is not None:
            config["check_interval"] = getattr(monitor, "check_interval", None)
    if not config and not hasattr(scheduler, "factor") and args is not None and total:
        config = {"warmup_length": [int(args.get_warmup_steps(total))], "warmup_length_from": ["num_warmup_steps"]}
    if "decay" not in config:
        decay = getattr(scheduler, "decay", None)
        if decay is not None and hasattr(decay, "kind"):
            config["decay"], config["min_lr_ratio"] = decay.kind, decay.min_lr_ratio
    # say where num_warmup_steps came from (the Trainer turns warmup_steps=0.1 into ceil(0.1·T))
    if args is not None:
        src = warmup_steps_source(args, total)
        if config.get("max_warmup_steps_from") == "num_warmup_steps":
            config["max_warmup_steps_from"] = src
        froms = config.get("warmup_length_from")
        if isinstance(froms, list):
            config["warmup_length_from"] = [src if f == "num_warmup_steps" else f for f in froms]
    return json_safe(config)


def lr_at_steps(scheduler: Any, last_step: int) -> list[list[float]] | None:
    """``[s, lr]`` for ``s = 1..last_step`` (param group 0): the LR of the ``s``-th optimizer update,
    ``peak · f(k · (s - 1))`` (what transformers logs as ``learning_rate`` at step ``s``), when the schedule is a
    pure function of its step count and it was stepped ``k`` times per optimizer step (1; once per process under
    Accelerate's scheduler wrapper).

    hf_warmup schedules (``factor``) and transformers' ``LambdaLR`` schedules qualify; ``None`` otherwise, when
    the run is longer than :data:`MAX_LR_POINTS`, or when the scheduler's step count is not a multiple of the
    optimizer steps: the Trainer does not step the scheduler on a step the fp16 grad scaler skipped, and which
    steps those were is not known afterwards.
    """
    calls = getattr(scheduler, "last_epoch", last_step)  # scheduler.step() calls so far
    if last_step > MAX_LR_POINTS or (last_step and calls % last_step):
        return None
    per_step = calls // last_step if last_step else 1
    base = getattr(scheduler, "base_lrs", None)
    if not base:
        return None
    peak = float(base[0])
    if hasattr(scheduler, "factor"):
        fn = scheduler.factor
    elif hasattr(scheduler, "lr_lambdas"):
        fn = scheduler.lr_lambdas[0]
    else:
        return None
    try:
        return [[step, peak * float(fn(per_step * (step - 1)))] for step in range(1, last_step + 1)]
    except Exception:  # noqa: BLE001 - an exotic lambda: fall back to the logged LR
        return None


def _checks(scheduler: Any, history: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    peak = float(getattr(scheduler, "base_lrs", [1.0])[0])
    recorded = getattr(scheduler, "check_history", None)
    if recorded is not None:
        out = []
        for entry in recorded:
            step, stat = int(entry[0]), _finite(entry[1])
            lr = peak * float(entry[2]) if len(entry) > 2 else None
            out.append({"step": step, "statistic": stat, "lr": lr,
                        "coherence": _finite(entry[3]) if len(entry) > 3 else None})
        return out, "scheduler"
    # older schedulers: the values logged by the callback (a log step repeats the latest check)
    out, last = [], None
    for e in history:
        if "warmup_statistic" in e and e["warmup_statistic"] != last:
            last = e["warmup_statistic"]
            out.append({"step": int(e["step"]), "statistic": _finite(last), "lr": e.get("learning_rate")})
    return out, "log_history"


def build_report(scheduler: Any, args: Any, state: Any) -> dict[str, Any]:
    """The report dict of a run, from its scheduler, ``TrainingArguments`` and ``TrainerState``."""
    from . import __version__

    sched = unwrap_scheduler(scheduler)
    total = int(getattr(state, "max_steps", 0) or 0) or None
    gstep = int(getattr(state, "global_step", 0) or 0)
    history = list(getattr(state, "log_history", None) or [])
    config = scheduler_config(sched, args, total)
    adaptive = is_adaptive(sched)
    report: dict[str, Any] = {
        "format": FORMAT,
        "hf_warmup_version": __version__,
        "schedule": schedule_name(sched, args),
        "adaptive": adaptive,
        "config": config,
        "lr_scheduler_kwargs": dict(getattr(args, "lr_scheduler_kwargs", None) or {}),
        "warmup_steps_arg": getattr(args, "warmup_steps", None),
        "num_training_steps": total,
        "global_step": gstep,
        "peak_lr": [float(x) for x in getattr(sched, "base_lrs", [])],
    }
    if adaptive:
        checks, source = _checks(sched, history)
        reason = getattr(sched, "end_reason", None)
        report.update(
            warmup_end_step=getattr(sched, "warmup_end_step", None),
            end_reason=END_REASONS.get(reason, reason) if reason else None,
            decision_step=getattr(sched, "decision_step", None),
            statistic_at_end=_finite(getattr(sched, "statistic_at_end", None)),
            threshold=_finite(config.get("threshold", getattr(sched, "threshold", None))),
            peak_fraction=_finite(getattr(sched, "peak_fraction", None)),
            coherence_at_end=_finite(getattr(sched, "coherence_at_end", None)),
            coherence_threshold=_finite(config.get("coherence_threshold")),
            checks=checks,
            checks_source=source,
        )
    else:
        lengths = config.get("warmup_length") or []
        report.update(warmup_end_step=int(lengths[0]) if lengths else None, end_reason="fixed",
                      decision_step=None, statistic_at_end=None, threshold=None, checks=[], checks_source=None)
    per_step = lr_at_steps(sched, gstep)
    if per_step is not None:
        report.update(lr=per_step, lr_points="step", lr_exact=not getattr(sched, "ramp_thinned", 0))
    else:
        report.update(lr=[[e["step"], e["learning_rate"]] for e in history if "learning_rate" in e], lr_points="log",
                      lr_exact=False)
    report["loss"] = [[e["step"], e["loss"]] for e in history if "loss" in e and "step" in e]
    return json_safe(report)


def write_report(output_dir: str, report: dict[str, Any], plot: bool = True) -> dict[str, str | None]:
    """Write ``warmup.json`` and (with matplotlib) ``warmup.png`` to ``output_dir``; return their paths."""
    os.makedirs(output_dir, exist_ok=True)
    paths: dict[str, str | None] = {"json": os.path.join(output_dir, REPORT_JSON), "png": None}
    with open(paths["json"], "w") as fh:
        json.dump(report, fh, indent=1)
    if plot:
        from .plotting import plot_report

        paths["png"] = plot_report(report, os.path.join(output_dir, REPORT_PNG))
    return paths


def load_report(path: str) -> dict[str, Any]:
    """``warmup.json`` of a run (``path`` is the output_dir or the file)."""
    file = os.path.join(path, REPORT_JSON) if os.path.isdir(path) else path
    with open(file) as fh:
        return json.load(fh)


# -- one-line descriptions ---------------------------------------------------------------------------------------
def _decay_text(config: Mapping[str, Any]) -> str:
    decay = config.get("decay")
    if decay is None:
        return ""
    if decay == "constant":
        return ", no decay"
    floor = config.get("min_lr_ratio") or 0
    return f", decay {decay} to {floor:g}"


def start_line(report: Mapping[str, Any]) -> str:
    """What the run uses, in one line, e.g. ``adaptive_warmup: M=30 (from warmup_steps=0.1 of 300), threshold
    0.25, checks every 10 steps, fastest ramp 12 steps, ends at the edge if coherence < 0.7 and S < -0.3, decay cosine to 0.1``; for fixed schedules ``W``/``L`` and where they came from."""
    c = report.get("config") or {}
    name, total = report.get("schedule"), report.get("num_training_steps")
    fitted = ""
    if report.get("adaptive"):
        m = c.get("max_warmup_steps")
        src = c.get("max_warmup_steps_from")
        text = f"{name}: M={m}" + (f" (from {src})" if src else "")
        if c.get("fitted_to_num_training_steps"):
            fitted = f", shortened from {c.get('requested_max_warmup_steps')} to fit T={total}"
        text += fitted
        thr = c.get("threshold")
        text += f", threshold {thr:g}" if isinstance(thr, (int, float)) else ", no threshold"
        if c.get("check_interval"):
            text += f", checks every {c['check_interval']} steps"
        if c.get("min_warmup_steps"):
            text += f", fastest ramp {c['min_warmup_steps']} steps"
        edge = c.get("coherence_threshold")
        if isinstance(edge, (int, float)):
            shrink = c.get("shrink_threshold")
            text += (f", ends at the edge if coherence < {edge:g}" + (f" and S < -{shrink:g}" if shrink else "")
                     if edge > 0 else ", always reaches the peak")
        return text + _decay_text(c) + (f", T={total}" if total else "")
    lengths = c.get("warmup_length") or []
    froms = c.get("warmup_length_from") or []
    uses_beta2 = any(BETA2_SOURCE in str(f) for f in froms)
    parts = []
    for i, length in enumerate(lengths):
        group = f"group {i}: " if len(lengths) > 1 else ""
        src = froms[i] if i < len(froms) else None
        if uses_beta2:
            parts.append(f"{group}L={length} (from {src})" + (f", W={c.get('num_warmup_steps')} ignored"
                                                             if c.get("num_warmup_steps") else ""))
        else:
            parts.append(f"{group}W={c.get('num_warmup_steps', length)} (from {src}), L={length} (decay start = W)")
    text = f"{name}: " + "; ".join(dict.fromkeys(parts))
    if c.get("fitted_to_num_training_steps"):
        text += f", shortened from {c.get('requested_warmup_length')} to fit T={total}"
    return text + _decay_text(c) + (f", T={total}" if total else "")


def coherence_text(report: Mapping[str, Any]) -> str:
    phi, thr = report.get("coherence_at_end"), report.get("coherence_threshold")
    phi_txt = f"coherence {phi:.3g}" if isinstance(phi, (int, float)) else "coherence not measured"
    return phi_txt + (f" < {thr:g}" if isinstance(thr, (int, float)) else "")


def fraction_text(report: Mapping[str, Any]) -> str:
    frac = report.get("peak_fraction")
    peak = (report.get("peak_lr") or [None])[0]
    if not isinstance(frac, (int, float)):
        return "a fraction"
    return f"{frac:.3g}" + (f" (LR {frac * peak:.3g})" if isinstance(peak, (int, float)) else "")


def end_line(report: Mapping[str, Any]) -> str:
    """When and why the warmup ended, in one line."""
    end, total, name = report.get("warmup_end_step"), report.get("num_training_steps"), report.get("schedule")
    if not report.get("adaptive"):
        return f"{name}: fixed warmup, decay from step {end} (of {total})"
    c = report.get("config") or {}
    if end is None:
        return (f"{name}: warmup had not ended when training stopped at step {report.get('global_step')} "
                f"(bound M={c.get('max_warmup_steps')})")
    reason = report.get("end_reason")
    at = report.get("statistic_at_end")
    s_txt = f"S = {at:.4g}" if isinstance(at, (int, float)) else "S not measured"
    thr = report.get("threshold")
    thr_txt = f"threshold {thr:g}" if isinstance(thr, (int, float)) else "no threshold"
    if reason == "stable":
        return (f"{name}: warmup ended at step {end} of {total}: second moments stable (decided at step "
                f"{report.get('decision_step')}, {s_txt}, {thr_txt})")
    if reason == "bound":
        return (f"{name}: warmup ended at step {end} of {total}: reached the bound max_warmup_steps="
                f"{c.get('max_warmup_steps')} (last {s_txt}, {thr_txt})")
    if reason == "edge":
        return (f"{name}: warmup ended at step {end} of {total} at the edge: the momentum showed the steps "
                f"overshooting ({coherence_text(report)}) while the second moments shrank ({s_txt}), so the LR "
                f"stopped at {fraction_text(report)} of the peak and the decay starts from there "
                "(coherence_threshold=0 always reaches the peak)")
    return f"{name}: warmup ended at step {end} of {total} ({reason}; last {s_txt}, {thr_txt})"
