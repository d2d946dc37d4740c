"""The warmup report of a Trainer run: ``warmup.json``, the start line and the end line.

Everything comes from what survives a resume: the Trainer's ``state.log_history`` (restored from
``trainer_state.json``) and the scheduler's :class:`~hf_warmup.result.WarmupResult` (its ``state_dict`` holds the
adaptive warmup's check history and the knots of its ramp, and every hf_warmup schedule is then a pure function of
the step), so a resumed run's report covers the whole run. ``warmup.json`` holds:

* ``schedule``, ``config`` (the resolved kwargs: ``max_warmup_steps`` / warmup lengths and where they came
  from, threshold, check interval, decay, ...), ``num_training_steps``, ``global_step``, ``peak_lr``;
* ``warmup_end_step``, ``end_reason`` (an :class:`~hf_warmup.result.EndReason`: ``edge``, ``stable``, ``bound``;
  ``fixed`` for fixed schedules; ``null`` while still warming up), ``statistic_at_end``; adaptive only:
  ``peak_fraction`` (the fraction of the peak LR the decay starts from, < 1 after an ``edge`` end),
  ``coherence_at_end``, ``coherence_threshold``, ``peak_step``, ``ramp_slowed_steps`` and ``ramp_account_exact``
  (where the ramp's steps went, :func:`ramp_account`), ``edge_restart_steps`` (the checks at which an edge backed
  the LR off and the ramp climbed again, ``edge_restarts``);
* ``checks``: one ``{"step", "statistic", "lr", "coherence"}`` per check (adaptive only): the scheduler step of
  the check, S, the LR the scheduler set right after it, and the coherence φ (null without a first moment);
* ``lr``: ``[s, lr]``, the LR of the ``s``-th optimizer update (what transformers logs as ``learning_rate`` at
  step ``s``), at every step ``s = 1..global_step`` (``lr_points = "step"``) or, for schedules whose LR path is
  not known, runs with fp16 steps the grad scaler skipped, or runs longer than :data:`MAX_LR_POINTS`, the logged
  ``learning_rate`` at every logged step (``"log"``). ``lr_exact``: every step's LR is the one the optimizer
  used (false for ``"log"``, and for an ``adaptive_warmup`` whose ramp had more knots than it keeps). A check's
  ``lr`` is the LR of the next update: ``checks[i].lr == lr[checks[i].step]`` (0-based index).
* ``loss``: ``[step, loss]`` at every logged step.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .adaptive import ADAPTIVE_OPTIONS, DEFAULT_MIN_FRACTION
from .base import WarmupScheduler
from .result import EndReason, WarmupResult

REPORT_JSON = "warmup.json"
REPORT_PNG = "warmup.png"
FORMAT = "hf_warmup.warmup_report/1"
MAX_LR_POINTS = 20_000
BETA2_SOURCE = "β2"
DEFAULT_MIN_FRACTION_TEXT = f"{DEFAULT_MIN_FRACTION:g} × max_warmup_steps"  # R's origin when derived from M


def unwrap_scheduler(scheduler: Any) -> Any:
    """The scheduler itself, also when wrapped (accelerate's ``AcceleratedScheduler`` keeps it in ``.scheduler``)."""
    for _ in range(5):
        if isinstance(scheduler, WarmupScheduler) or not hasattr(scheduler, "scheduler"):
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
    if isinstance(obj, EndReason):
        return obj.value
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "item") and callable(obj.item):
        return json_safe(obj.item())
    return str(getattr(obj, "value", obj))


def warmup_steps_source(args: Any, total: int | None) -> str:
    """Where ``num_warmup_steps`` came from: ``warmup_steps=0.1 of 300`` or ``warmup_steps=30``."""
    ws = getattr(args, "warmup_steps", 0) or 0
    ratio = getattr(args, "warmup_ratio", 0) or 0
    if 0 < ws < 1:
        return f"warmup_steps={ws:g} of {total}"
    if not ws and ratio:
        return f"warmup_ratio={ratio:g} of {total}"
    return f"warmup_steps={int(ws)}"


def scheduler_result(scheduler: Any, args: Any = None, total: int | None = None) -> WarmupResult:
    """The scheduler's :class:`WarmupResult`, with the sources in its config made readable (the Trainer turns
    ``warmup_steps=0.1`` into ``ceil(0.1·T)``); for another scheduler (transformers' own), a fixed warmup of the
    Trainer's ``num_warmup_steps``."""
    if isinstance(scheduler, WarmupScheduler):
        result = scheduler.result()
    else:
        kind = getattr(args, "lr_scheduler_type", None)
        name = str(getattr(kind, "value", kind)) if kind is not None else type(scheduler).__name__
        length = int(args.get_warmup_steps(total)) if args is not None and total else None
        config = {} if length is None else {"warmup_length": [length], "warmup_length_from": ["num_warmup_steps"]}
        result = WarmupResult(name, adaptive=False, config=config, warmup_end_step=length,
                              end_reason=EndReason.FIXED)
    config = dict(result.config)
    if args is not None:
        src = warmup_steps_source(args, total)
        if config.get("max_warmup_steps_from") == "num_warmup_steps":
            config["max_warmup_steps_from"] = src
        froms = config.get("warmup_length_from")
        if isinstance(froms, list):
            config["warmup_length_from"] = [src if f == "num_warmup_steps" else f for f in froms]
    return replace(result, config=json_safe(config))


def start_info(scheduler: Any, args: Any = None, total: int | None = None) -> dict[str, Any]:
    """What :func:`start_line` needs, before the run: schedule, adaptive, config, num_training_steps."""
    result = scheduler_result(unwrap_scheduler(scheduler), args, total)
    return {"schedule": result.schedule, "adaptive": result.adaptive, "config": result.config,
            "num_training_steps": total}


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
    if isinstance(scheduler, WarmupScheduler):
        fn = scheduler.factor
    elif hasattr(scheduler, "lr_lambdas"):
        fn = scheduler.lr_lambdas[0]
    else:
        return None
    try:
        return [[step, peak * float(fn(per_step * (step - 1)))] for step in range(1, last_step + 1)]
    except Exception:  # noqa: BLE001 - an exotic lambda: fall back to the logged LR
        return None


def ramp_account(scheduler: Any, end: int | None, global_step: int) -> dict[str, int | None]:
    """Where an adaptive ramp's steps went, read from its path ``progress(t)`` (the ramp ``r``, 0..1).

    The fastest ramp ``R`` (``min_warmup_steps``) has ``r(t) = (t + 1) / R``, so it reaches ``r`` after ``r · R - 1``
    steps. ``peak_step``: the first step with ``r = 1`` (``None`` when the ramp never got there: an ``edge`` end, or
    still climbing). ``ramp_slowed_steps``: how far the climb, up to the peak or to where it stopped, lagged the
    fastest ramp, ``t + 1 - r(t) · R``: the steps the checks slowed or held it. ``ramp_account_exact``: false once
    past knots of the path were merged (``ramp_thinned``: more than ``MAX_RAMP_KNOTS`` pace changes, or a checkpoint
    of hf_warmup <= 0.1.0), where the path between kept knots is a straight line and both counts are approximate.
    Empty for a scheduler without a ramp path.
    """
    progress = getattr(scheduler, "progress", None)
    fastest = getattr(scheduler, "min_warmup_steps", None)
    if not callable(progress) or not isinstance(fastest, int):
        return {}
    last = end if end is not None else global_step
    # the first t in [0, last] with r(t) = 1, last + 1 when none: r never decreases after the last restart
    lo, hi = max([0, *(getattr(scheduler, "edge_restart_steps", None) or [])]), last + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if progress(mid) >= 1.0 - 1e-9:
            hi = mid
        else:
            lo = mid + 1
    peak_step = lo if lo <= last else None
    climbed = last if peak_step is None else peak_step
    reached = 1.0 if peak_step is not None else float(progress(climbed))
    return {"peak_step": peak_step, "ramp_slowed_steps": max(0, round(climbed + 1 - reached * fastest)),
            "ramp_account_exact": not getattr(scheduler, "ramp_thinned", 0)}


def build_report(scheduler: Any, args: Any, state: Any) -> dict[str, Any]:
    """The report dict of a run, from its scheduler, ``TrainingArguments`` and ``TrainerState``."""
    from . import __version__

    sched = unwrap_scheduler(scheduler)
    total = int(getattr(state, "max_steps", 0) or 0) or None
    gstep = int(getattr(state, "global_step", 0) or 0)
    history = list(getattr(state, "log_history", None) or [])
    result = scheduler_result(sched, args, total)
    config = result.config
    peak_lr = [float(x) for x in getattr(sched, "base_lrs", [])]
    report: dict[str, Any] = {
        "format": FORMAT,
        "hf_warmup_version": __version__,
        "schedule": result.schedule,
        "adaptive": result.adaptive,
        "config": config,
        "lr_scheduler_kwargs": dict(getattr(args, "lr_scheduler_kwargs", None) or {}),
        "warmup_steps_arg": getattr(args, "warmup_steps", None),
        "num_training_steps": total,
        "global_step": gstep,
        "peak_lr": peak_lr,
        "warmup_end_step": result.warmup_end_step,
        "end_reason": result.end_reason,
        "statistic_at_end": _finite(result.statistic_at_end),
    }
    if result.adaptive:
        peak = peak_lr[0] if peak_lr else 1.0
        report.update(ramp_account(sched, result.warmup_end_step, gstep))
        report.update(
            threshold=_finite(config.get("threshold")),
            peak_fraction=_finite(result.peak_fraction),
            coherence_at_end=_finite(result.coherence_at_end),
            coherence_threshold=_finite(config.get("coherence_threshold")),
            edge_restart_steps=list(result.edge_restart_steps),
            checks=[{"step": c.step, "statistic": _finite(c.statistic), "lr": peak * float(c.warmup_factor),
                     "coherence": _finite(c.coherence)} for c in result.checks],
        )
    else:
        report.update(threshold=None, checks=[])
    per_step = lr_at_steps(sched, gstep)
    if per_step is not None:
        report.update(lr=per_step, lr_points="step", lr_exact=result.lr_exact)
    else:
        report.update(lr=[[e["step"], e["learning_rate"]] for e in history if "learning_rate" in e], lr_points="log",
                      lr_exact=False)
    report["loss"] = [[e["step"], e["loss"]] for e in history if "loss" in e and "step" in e]
    return json_safe(report)


def write_report(output_dir: str, report: dict[str, Any], plot: bool = True) -> dict[str, str | None]:
    """Write ``warmup.json`` and (with matplotlib) ``warmup.png`` to ``output_dir``; return their paths."""
    os.makedirs(output_dir, exist_ok=True)
    report_json = os.path.join(output_dir, REPORT_JSON)
    paths: dict[str, str | None] = {"json": report_json, "png": None}
    with open(report_json, "w") as fh:
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
    0.25, checks every 6 steps, fastest ramp 12 steps, ends at the edge if coherence < 0.7 and S < -0.3 on 2 checks
    in a row (the LR held meanwhile), decay cosine to 0.1, T=300`` (each kwarg's phrase is declared with it,
    :data:`~hf_warmup.adaptive.ADAPTIVE_OPTIONS`); for fixed schedules ``W``/``L`` and where they came from."""
    c = report.get("config") or {}
    name, total = report.get("schedule"), report.get("num_training_steps")
    if report.get("adaptive"):
        src = c.get("max_warmup_steps_from")
        text = f"{name}: M={c.get('max_warmup_steps')}" + (f" (from {src})" if src else "")
        if c.get("fitted_to_num_training_steps"):
            text += f", shortened from {c.get('requested_max_warmup_steps')} to fit T={total}"
        text += "".join(opt.shown(c.get(key), c) for key, opt in ADAPTIVE_OPTIONS.items() if opt.shown)
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


def _threshold_text(report: Mapping[str, Any]) -> str:
    thr = report.get("threshold")
    return f"threshold {thr:g}" if isinstance(thr, (int, float)) else "no threshold"


def _last_statistics(report: Mapping[str, Any]) -> list[float]:
    """``Ŝ`` of the last ``patience`` checks up to the end: what the stability rule looked at."""
    end = report.get("warmup_end_step")
    values = [x["statistic"] for x in report.get("checks") or []
              if x.get("statistic") is not None and (end is None or x["step"] <= end)]
    return values[-int((report.get("config") or {}).get("patience") or 1):]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def length_clause(report: Mapping[str, Any]) -> str:
    """What set an adaptive warmup's length: how many of its steps the fastest ramp ``R`` took (and where ``R``
    came from, saying so when that is a share of ``T``), how many the checks slowed or held the ramp, and how many
    it then stayed at the peak; empty for a report without :func:`ramp_account`'s numbers."""
    c = report.get("config") or {}
    end, fastest, slowed = report.get("warmup_end_step"), c.get("min_warmup_steps"), report.get("ramp_slowed_steps")
    if not isinstance(end, int) or not isinstance(fastest, int) or not isinstance(slowed, int) or not end:
        return ""
    peak_step = report.get("peak_step")
    climbed: int = peak_step if isinstance(peak_step, int) and peak_step <= end else end
    origin = str(c.get("min_warmup_steps_from") or "")
    share_of_t = False
    if origin.startswith(DEFAULT_MIN_FRACTION_TEXT) and c.get("max_warmup_steps_from"):  # R = 0.4 · M
        m_origin = str(c["max_warmup_steps_from"])
        origin += f", max_warmup_steps from {m_origin}"
        # M = 0.5 · num_training_steps, or a fractional warmup_steps made readable as "warmup_steps=0.1 of 300";
        # not a bound capped at max_warmup_horizons / (1-β2), which is set by the optimizer
        share_of_t = ("num_training_steps" in m_origin or " of " in m_origin) and "1-β2" not in m_origin
    why = f", from {origin}" + (": a share of T, not set by the statistic" if share_of_t else "") if origin else ""
    parts = [f"{climbed - slowed:,} at the fastest ramp's pace (min_warmup_steps={fastest}{why})",
             f"{slowed:,} slowed or held by the checks"]
    if climbed < end:
        bound = report.get("end_reason") == EndReason.BOUND.value
        until = "until the bound" if bound else "while the checks confirmed it"
        parts.append(f"{end - climbed:,} at the peak {until}")
    approximate = " (approximate: past pace changes were merged to keep the ramp's path bounded)"
    return (f"of its {_plural(end, 'step')}, " + ", ".join(parts[:-1]) + " and " + parts[-1]
            + (approximate if report.get("ramp_account_exact") is False else ""))


def end_clause(report: Mapping[str, Any]) -> str:
    """Why an adaptive warmup ended, in words, and what set its length (the end line and the card both say it)."""
    reason = EndReason(report["end_reason"])
    length = length_clause(report)
    restarts = report.get("edge_restart_steps") or []
    backoff = (report.get("config") or {}).get("edge_backoff")
    backed = (f"; before that the edge backed the LR off to {backoff:g}× the LR reached at step"
              f"{'s' if len(restarts) > 1 else ''} {', '.join(str(x) for x in restarts)}, and the ramp climbed again"
              if restarts and isinstance(backoff, (int, float)) else "")
    return _reason_clause(report, reason) + backed + (f"; {length}" if length else "")


def _reason_clause(report: Mapping[str, Any], reason: EndReason) -> str:
    at = report.get("statistic_at_end")
    s_txt = f"S = {at:.4g}" if isinstance(at, (int, float)) else "S not measured"
    if reason is EndReason.STABLE:
        recent = _last_statistics(report)
        values = ", ".join(f"{x:.4g}" for x in recent) if recent else "none measured"
        return (f"the ramp had reached the peak LR and the second moments kept up with it (the last {len(recent)} "
                f"S values {values}, each letting the ramp move; {_threshold_text(report)})")
    if reason is EndReason.BOUND:
        bound = (report.get("config") or {}).get("max_warmup_steps")
        return (f"reached the bound max_warmup_steps={bound} before the second moments were stable at the peak "
                f"(last {s_txt}, {_threshold_text(report)}), like `linear_warmup` over that many steps")
    if reason is EndReason.EDGE:
        return (f"the momentum showed the steps overshooting ({coherence_text(report)}) while the second moments "
                f"shrank ({s_txt}), so the LR stopped at {fraction_text(report)} of the peak and the decay starts "
                "from there (coherence_threshold=0 always reaches the peak)")
    return f"{reason.label} (last {s_txt})"


def end_line(report: Mapping[str, Any]) -> str:
    """When and why the warmup ended, in one line."""
    end, total, name = report.get("warmup_end_step"), report.get("num_training_steps"), report.get("schedule")
    if not report.get("adaptive"):
        return f"{name}: fixed warmup, decay from step {end} (of {total})"
    if end is None:
        return (f"{name}: warmup had not ended when training stopped at step {report.get('global_step')} "
                f"(bound M={(report.get('config') or {}).get('max_warmup_steps')})")
    return f"{name}: warmup ended at step {end} of {total} ({report.get('end_reason')}): {end_clause(report)}"
