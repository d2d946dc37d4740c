"""Reports of a benchmark sweep: ``summary.json``, ``summary.md`` (its tables: :mod:`warmup_bench.render`) and
``warmup_vs_lr.png`` (matplotlib Agg).

Every sentence about settings is built from the sweep's own metadata (task configs, arms, grid, seeds).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warmup_bench import heldout
from warmup_bench.aggregate import aggregate
from warmup_bench.protocol import ADAPTIVE_KINDS
from warmup_bench.render import sweep_markdown
from warmup_bench.results import cell_key, lr_key


def build_summary(runs: Sequence[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    tasks = list(meta["tasks"])
    lrs = {t: meta["tasks"][t]["lrs"] for t in tasks}
    agg = aggregate(runs, tasks, lrs, meta["arms"], len(meta["seeds"]))
    done = [r for r in runs if r.get("status") == "done"]
    per_task_time = {}
    for t in tasks:
        secs = [float(r.get("wall_seconds", r.get("seconds", 0.0))) for r in done if r["task"] == t]
        cpu = [float(r["cpu_seconds"]) for r in done if r["task"] == t and r.get("cpu_seconds") is not None]
        per_task_time[t] = {"runs": len(secs), "mean_seconds": sum(secs) / len(secs) if secs else None,
                            "total_seconds": sum(secs), "mean_cpu_seconds": sum(cpu) / len(cpu) if cpu else None,
                            "total_cpu_seconds": sum(cpu)}
    compact = [
        {k: r.get(k) for k in ("task", "arm", "lr", "seed", "status", "eval_loss", "scored_eval_loss", "diverged",
                               "stuck", "warmup_steps", "end_reason", "peak_fraction", "last_statistic", "metrics",
                               "wall_seconds", "reason", "host")}
        for r in runs
    ]
    sets = heldout.evaluate(agg, meta, heldout.load_split())
    return {**agg, "sets": sets, "meta": meta, "timing": per_task_time, "runs": compact, "hosts": hosts(done)}


#: a run made before runs recorded their host (:func:`warmup_bench.runner.host_fingerprint`)
UNRECORDED = "not recorded"


def hosts(done: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The hosts of the finished runs (``runs``: host -> number of runs) and the cells (``task@lr``) whose runs
    come from more than one recorded host: their gaps mix machines, whose numbers may differ run for run."""
    counts: dict[str, int] = {}
    per_cell: dict[str, set[str]] = {}
    for r in done:
        host = r.get("host") or UNRECORDED
        counts[host] = counts.get(host, 0) + 1
        if r.get("host"):
            per_cell.setdefault(heldout.cell_name(r["task"], r["lr"]), set()).add(r["host"])
    return {"runs": counts, "mixed_cells": sorted(c for c, seen in per_cell.items() if len(seen) > 1)}


#: what a lower panel says when none of its runs kept an LR trace (runs reported from a committed results file)
NO_LR_TRACE = "no LR trace stored for these runs\n(reported from a results file)"
#: what a panel says when the report has none of the arms it draws (a sweep of HF linear alone, say)
NO_DRAWN_ARM = "no adaptive or oracle run in this report\n(the picture draws those arms only)"


def picture(summary: dict[str, Any], runs: Sequence[dict[str, Any]], path: Path) -> None:
    """``warmup_vs_lr.png``: :func:`figure` saved to ``path``."""
    import matplotlib.pyplot as plt

    fig = figure(summary, runs)
    fig.savefig(path, dpi=90)
    plt.close(fig)


#: tasks side by side in the sweep picture; more wrap into further bands of two rows
MAX_COLUMNS = 6


def figure(summary: dict[str, Any], runs: Sequence[dict[str, Any]]) -> Any:
    """Per task, in bands of at most :data:`MAX_COLUMNS` tasks: the warmup length against the peak LR (top) and
    the LR path of the first seed (bottom), or :data:`NO_LR_TRACE` where none of the panel's runs kept its LR
    trace."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = summary["meta"]
    tasks = list(meta["tasks"])
    cols = min(len(tasks), MAX_COLUMNS)
    bands = -(-len(tasks) // cols)  # a band: a row of warmup panels over a row of LR panels
    fig, axes = plt.subplots(2 * bands, cols, figsize=(4.2 * cols, 7 * bands), squeeze=False)
    places = [(axes[2 * (k // cols)][k % cols], axes[2 * (k // cols) + 1][k % cols]) for k in range(bands * cols)]
    for top, bottom in places[len(tasks):]:  # the last band's empty places
        top.axis("off")
        bottom.axis("off")
    adaptive = [a for a in meta["arms"] if a["kind"] in ADAPTIVE_KINDS]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    by = {(r["task"], r["arm"], float(r["lr"]), r["seed"]): r for r in runs if r.get("status") == "done"}
    main = next((a["label"] for a in adaptive if a["kind"] == "adaptive_warmup"), adaptive[0]["label"] if adaptive
                else None)
    oracle = heldout.oracle_name(meta)
    for j, t in enumerate(tasks):
        ax, bottom = places[j]
        lrs = meta["tasks"][t]["lrs"]
        ow = [(lr, summary["oracle"][t].get(lr_key(lr), {}).get("warmup_steps")) for lr in lrs]
        ow = [(lr, w) for lr, w in ow if w is not None]
        if ow:
            ax.plot([x for x, _ in ow], [w for _, w in ow], "k--s", label=f"W: {oracle}")
        for i, arm in enumerate(adaptive):
            xs, ys, means = [], [], []
            for lr in lrs:
                c = summary["cells"][t][cell_key(lr, arm["label"])]
                vals = [s for s in c.get("warmup_steps") or [] if s is not None]
                xs += [lr] * len(vals)
                ys += vals
                if vals:
                    means.append((lr, sum(vals) / len(vals)))
            color = colors[i % len(colors)]
            shift = 1.0 + 0.06 * (i + 1)  # a small offset along the LR axis so that equal lengths stay visible
            ax.scatter([x * shift for x in xs], ys, color=color, alpha=0.6, s=18)
            if means:
                ax.plot([x * shift for x, _ in means], [y for _, y in means], "-o", color=color, label=arm["label"])
        ax.set_xscale("log")
        ax.set_xticks(lrs, [f"{lr:g}" for lr in lrs])  # the sweep's LRs only: no crowded minor labels
        ax.minorticks_off()
        ax.set_xlabel("peak LR")
        ax.set_ylabel("warmup length (steps)")
        ax.set_title(f"{t} (T={meta['tasks'][t]['cfg']['T']})")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, NO_DRAWN_ARM, transform=ax.transAxes, ha="center", va="center", fontsize=8)
        ax = bottom
        seed = meta["seeds"][0]
        drawn: set[str] = set()
        found: set[str] = set()  # the styles of the arms drawn here that have a run, with or without a trace
        for k, lr in enumerate(lrs):
            color = colors[k % len(colors)]
            for arm_label, style in ((main, "-"), (summary["oracle"][t].get(lr_key(lr), {}).get("arm"), "--")):
                r = by.get((t, arm_label, float(lr), seed)) if arm_label else None
                if r is not None:
                    found.add(style)
                if r and r.get("lr_trace"):
                    first = style == "-" or not main  # one legend entry per LR, on its first line
                    ax.plot([p[0] for p in r["lr_trace"]], [p[1] / lr for p in r["lr_trace"]], style, color=color,
                            label=f"lr {lr_key(lr)}" if first else None)
                    drawn.add(style)
        ax.set_xlabel("step")
        ax.set_ylabel("LR / peak")
        ax.set_title(f"{t}: {trace_title(main, drawn, oracle_run='--' in found, oracle=oracle)}", fontsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:
            ax.text(0.5, 0.5, NO_LR_TRACE if found else NO_DRAWN_ARM, transform=ax.transAxes, ha="center",
                    va="center", fontsize=8)
    fig.tight_layout()
    return fig


def trace_title(main: str | None, drawn: set[str], oracle_run: bool, oracle: str = "oracle") -> str:
    """What the lower panel shows: the adaptive row (solid) and the ``oracle`` (:func:`heldout.oracle_name`,
    dashed) where their traces were drawn; where only the adaptive row's were, that the oracle's runs kept none (fixed
    arms from a summary file) or, without an ``oracle_run``, that the report has no oracle run (no fixed-warmup
    grid)."""
    parts = [f"{main} (solid)"] if "-" in drawn else []
    if "--" in drawn:
        parts.append(f"{oracle} (dashed)")
    elif parts:
        parts.append(f"no LR trace stored for the {oracle}" if oracle_run else "no oracle run in this report")
    return ", ".join(parts) or "LR / peak"


def write_reports(out: Path, runs: Sequence[dict[str, Any]], meta: dict[str, Any],
                  provenance: dict[str, Any] | None = None) -> tuple[dict[str, Path], dict]:
    """Write ``summary.json``, ``summary.md``, ``warmup_vs_lr.png`` into ``out``; returns (paths, summary).

    ``provenance`` (:func:`warmup_bench.provenance.stamp`) becomes the summary's top-level ``provenance`` key."""
    summary = {"provenance": provenance, **build_summary(runs, meta)}
    paths = {"json": out / "summary.json", "md": out / "summary.md", "png": out / "warmup_vs_lr.png"}
    paths["json"].write_text(json.dumps(summary, indent=1, default=str))
    paths["md"].write_text(sweep_markdown(summary))
    picture(summary, runs, paths["png"])
    return paths, summary
