"""Plots: a run's warmup report (`warmup.png`), a run from its `trainer_state.json`, and previews of fixed schedules."""

from __future__ import annotations

import glob
import json
import os
from typing import Any

import torch

from .options import every
from .result import EndReason


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - matplotlib is in the dev and plot extras
        raise ImportError("plotting needs matplotlib: pip install 'hf_warmup[plot]'") from err
    return plt


def find_trainer_state(path: str) -> str:
    """``trainer_state.json`` in ``path``, or in its newest ``checkpoint-*``, or ``path`` itself."""
    if os.path.isfile(path):
        return path
    direct = os.path.join(path, "trainer_state.json")
    if os.path.isfile(direct):
        return direct
    found = sorted(glob.glob(os.path.join(path, "checkpoint-*", "trainer_state.json")),
                   key=lambda p: int(p.split("checkpoint-")[-1].split(os.sep)[0]))
    if not found:
        raise FileNotFoundError(f"no trainer_state.json in {path!r} or its checkpoint-* folders")
    return found[-1]


def read_run(path: str) -> dict[str, Any]:
    """Steps, LRs, statistics, losses and the warmup end from a ``trainer_state.json``."""
    with open(find_trainer_state(path)) as f:
        history = json.load(f)["log_history"]
    run: dict[str, Any] = {"lr": [], "stat": [], "loss": [], "eval_loss": [], "warmup_end_step": None}
    for entry in history:
        step = entry.get("step")
        if "learning_rate" in entry:
            run["lr"].append((step, entry["learning_rate"]))
        if "warmup_statistic" in entry:
            run["stat"].append((step, entry["warmup_statistic"]))
        if "loss" in entry:
            run["loss"].append((step, entry["loss"]))
        if "eval_loss" in entry:
            run["eval_loss"].append((step, entry["eval_loss"]))
        if "warmup_end_step" in entry:
            run["warmup_end_step"] = entry["warmup_end_step"]
    return run


REPORT_DPI = 120
LR_COLOUR = "tab:blue"


def report_figure(report: dict[str, Any]) -> Any:
    """The figure of ``warmup.png`` (:func:`plot_report`), not yet saved: ``fig.axes[0].lines[0]`` is the LR curve,
    the report's ``lr`` exactly (what the tests read back)."""
    plt = _pyplot()
    lr = report.get("lr") or []
    if not lr:
        raise ValueError("the report has no learning rates; was logging_steps larger than the run?")
    fig, ax = plt.subplots(figsize=(7.0, 4.0), dpi=REPORT_DPI)
    steps, lrs = zip(*lr)
    ax.plot(steps, lrs, color=LR_COLOUR, linewidth=2, label="learning rate")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("learning rate", color=LR_COLOUR)
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3))
    handles, labels = ax.get_legend_handles_labels()
    checks = [c for c in report.get("checks") or [] if c.get("statistic") is not None]
    if report.get("adaptive") and checks:
        ax2 = ax.twinx()
        xs = [c["step"] for c in checks]
        ys = [c["statistic"] for c in checks]
        ax2.plot(xs, ys, color="tab:orange", linewidth=0.8, alpha=0.6)
        ax2.scatter(xs, ys, color="tab:orange", s=18, zorder=3, label="S (measured at each check)")
        threshold = report.get("threshold")
        phis = [(c["step"], c["coherence"]) for c in checks if c.get("coherence") is not None]
        edge = report.get("coherence_threshold")
        if phis:
            ax2.scatter(*zip(*phis), color="tab:purple", marker="x", s=18, zorder=3,
                        label="coherence φ (steps overshoot below its threshold)")
            if edge:
                ax2.axhline(edge, color="tab:purple", linestyle="--", linewidth=1.0, label=f"φ threshold {edge:g}")
        values = [abs(v) for v in ys] + [abs(v) for _, v in phis] + ([abs(threshold)] if threshold else [])
        spread = max(values) / max(min(v for v in values if v > 0) if any(values) else 1.0, 1e-12)
        if spread > 100:  # values over several decades: symmetric log scale
            ax2.set_yscale("symlog", linthresh=1e-2)
        if threshold is not None:
            ax2.axhline(threshold, color="tab:green", linestyle="--", linewidth=1.2,
                        label=f"threshold {threshold:g}")
        ax2.set_ylabel("S (second-moment statistic)" + (", φ" if phis else ""), color="tab:orange")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    end = report.get("warmup_end_step")
    reason = report.get("end_reason")
    if end is not None:
        why = EndReason(reason).label
        frac = report.get("peak_fraction")
        if reason == "edge" and isinstance(frac, (int, float)):
            why += f", LR stopped at {frac:.2g} of the peak"
        line = ax.axvline(end, color="tab:red", linestyle=":", linewidth=1.5,
                          label=f"warmup end: step {end} ({why})")
        handles.append(line)
        labels.append(line.get_label())
    elif report.get("adaptive"):
        labels.append(f"warmup not ended by step {report.get('global_step')}")
        handles.append(ax.plot([], [], " ")[0])
    # Below the axes, centred on the figure (not on the axes, which the right axis's label pushes left), in the
    # rows the tight layout leaves free: no entry is cut at the picture's edge.
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.01), ncol=2, fontsize=7, frameon=False)
    legend_rows = -(-len(labels) // 2)
    title = str(report.get("schedule"))
    cfg = report.get("config") or {}
    if report.get("adaptive") and cfg.get("max_warmup_steps") is not None:
        title += f" (bound M={cfg['max_warmup_steps']}, checks {every(cfg.get('check_interval'))})"
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0.0, 0.03 + 0.045 * legend_rows, 1.0, 1.0))
    return fig


def plot_report(report: dict[str, Any], output: str) -> str:
    """``warmup.png`` from a report (:mod:`hf_warmup.report`): LR and S against the step; save to ``output``.

    LR on the left axis; S and the coherence φ on the right axis, drawn only at the steps where they were
    measured (one marker per check), with their thresholds as dashed lines; the warmup end as a vertical line
    labelled with its reason (and, at the edge, the fraction of the peak LR the decay started from).
    A fixed schedule draws the LR alone. Sized for a model card (840 x 480 px).
    """
    fig = report_figure(report)
    fig.savefig(output, dpi=REPORT_DPI)
    _pyplot().close(fig)
    return output


def plot_run(path: str, output: str) -> str:
    """Draw a run: from its ``warmup.json`` when there is one (:func:`plot_report`), else from
    ``trainer_state.json``: LR (left axis), the logged statistic S (right axis) and the warmup end."""
    report_file = os.path.join(path, "warmup.json") if os.path.isdir(path) else None
    if report_file and os.path.isfile(report_file):
        with open(report_file) as fh:
            return plot_report(json.load(fh), output)
    plt = _pyplot()
    run = read_run(path)
    if not run["lr"]:
        raise ValueError(f"{path!r} has no logged learning_rate; was logging_steps larger than the run?")
    fig, (ax, ax_loss) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    steps, lrs = zip(*run["lr"])
    ax.plot(steps, lrs, color="tab:blue", label="learning rate")
    ax.set_ylabel("learning rate")
    if run["stat"]:
        ax2 = ax.twinx()
        s_steps, stats = zip(*run["stat"])
        ax2.plot(s_steps, stats, color="tab:orange", marker=".", label="second-moment statistic S")
        spread = max(abs(v) for v in stats) / max(min(abs(v) for v in stats), 1e-12)
        if spread > 100:  # values over several decades (or crossing 0 near 0): symmetric log scale
            ax2.set_yscale("symlog", linthresh=1e-2)
        ax2.axhline(0.0, color="tab:orange", linewidth=0.5, alpha=0.5)
        ax2.set_ylabel("S (innovation of v̂)")
        ax2.legend(loc="lower right")
    if run["warmup_end_step"] is not None:
        for a in (ax, ax_loss):
            a.axvline(run["warmup_end_step"], color="tab:red", linestyle="--",
                      label=f"warmup end (step {run['warmup_end_step']})")
    ax.legend(loc="upper right")
    ax.set_title("hf_warmup: learning rate and second-moment drift")
    if run["loss"]:
        ax_loss.plot(*zip(*run["loss"]), label="train loss")
    if run["eval_loss"]:
        ax_loss.plot(*zip(*run["eval_loss"]), marker="o", label="eval loss")
    ax_loss.set_xlabel("optimizer step")
    ax_loss.set_ylabel("loss")
    ax_loss.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    return output


def _uses_beta2(name: str) -> bool:
    from .schedules import SCHEDULES

    spec = SCHEDULES.get(name)
    return spec is not None and spec.uses_beta2


def preview_steps(names: list[str], num_warmup_steps: int, beta2: float) -> int:
    """A ``T`` that leaves room for every previewed warmup: ``max(1000, 2·L)`` over the names."""
    from .warmups import untuned_length

    longest = max(untuned_length(beta2) if _uses_beta2(n) else num_warmup_steps for n in names)
    return max(1000, 2 * longest)


def schedule_curve(
    name: str, num_training_steps: int, num_warmup_steps: int, beta2: float, kwargs: dict[str, Any]
) -> list[float]:
    """The LR factor ``f(t)`` for ``t = 0..T-1`` of a fixed schedule, through ``transformers.get_scheduler``.

    β2-derived schedules ignore ``num_warmup_steps``; it is passed as 0 to them.
    """
    from transformers import get_scheduler

    import hf_warmup  # noqa: F401

    if name == "adaptive_warmup":
        raise ValueError("adaptive_warmup depends on the training run; plot a run with `hf-warmup plot RUN_DIR`")
    if _uses_beta2(name):
        num_warmup_steps = 0
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=1.0, betas=(0.9, beta2))
    sched = get_scheduler(name, opt, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                          scheduler_specific_kwargs=kwargs)
    out = []
    for _ in range(num_training_steps):
        out.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return out


def plot_preview(
    names: list[str], num_training_steps: int | None, num_warmup_steps: int, beta2: float,
    kwargs: dict[str, Any], output: str,
) -> str:
    """Draw ``f(t)`` of each named fixed schedule; ``T`` defaults to :func:`preview_steps`."""
    plt = _pyplot()
    if num_training_steps is None:
        num_training_steps = preview_steps(names, num_warmup_steps, beta2)
    fig, ax = plt.subplots(figsize=(8, 4))
    for name in names:
        ax.plot(schedule_curve(name, num_training_steps, num_warmup_steps, beta2, kwargs), label=name)
    ax.set_xlabel("step t")
    ax.set_ylabel("f(t) = lr / peak")
    ax.set_title(f"W={num_warmup_steps}, T={num_training_steps}, β2={beta2}, kwargs={kwargs}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    return output
