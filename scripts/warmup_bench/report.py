"""Reports of a benchmark sweep: ``summary.json``, ``summary.md`` and ``warmup_vs_lr.png`` (matplotlib Agg).

Every sentence about settings is built from the sweep's own metadata (task configs, arms, grid, seeds).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import heldout
from .aggregate import PEERS, WITHIN_PCT, aggregate

ADAPTIVE_KINDS = ("adaptive_warmup", "autowu")


def _fmt_gap(c: dict[str, Any]) -> str:
    if c.get("status") == "not_applicable":
        return "n/a"
    if "gap_pct" not in c:
        return "–"
    s = f"{c['gap_pct']:+.1f}%"
    marks = ("D" * c.get("n_diverged", 0)) + ("S" * c.get("n_stuck", 0))
    return s + (f" {marks}" if marks else "")


def _fmt_steps(c: dict[str, Any]) -> str:
    steps = c.get("warmup_steps") or []
    reasons = c.get("end_reasons") or []
    fractions = c.get("peak_fractions") or []
    parts = []
    for i, s in enumerate(steps):
        r = reasons[i] if i < len(reasons) else None
        tag = {"max_warmup_steps": "*", None: ""}.get(r, "" if r in ("stable", "loss_minimum") else f"({r})")
        if r == "edge":
            frac = fractions[i] if i < len(fractions) else None
            tag = f"^{frac:.2f}" if isinstance(frac, (int, float)) else "^"
        parts.append(("–" if s is None else f"{s}") + tag)
    return ", ".join(parts) if parts else "–"


def _lr(x: float) -> str:
    return f"{x:g}"


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
                               "stuck", "warmup_steps", "end_reason", "peak_fraction", "last_statistic", "metrics", "wall_seconds",
                               "reason")}
        for r in runs
    ]
    sets = heldout.evaluate(agg, meta, heldout.load_split())
    return {**agg, "sets": sets, "meta": meta, "timing": per_task_time, "runs": compact}


def terminal_table(summary: dict[str, Any]) -> str:
    """One table over all tasks: rows = arms, columns = (task, LR), values = gap to the oracle."""
    meta = summary["meta"]
    cols = [(t, lr) for t in meta["tasks"] for lr in meta["tasks"][t]["lrs"]]
    head = ["arm"] + [f"{t}@{_lr(lr)}" for t, lr in cols]
    rows = [head]
    for arm in meta["arms"]:
        rows.append([arm["label"]] + [_fmt_gap(summary["cells"][t][f"{_lr(lr)}|{arm['label']}"]) for t, lr in cols])
    rows.append(["oracle W (steps)"] + [
        str(summary["oracle"][t].get(_lr(lr), {}).get("warmup_steps", "–")) for t, lr in cols])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(["gap of the mean eval loss to the per-cell oracle (D = diverged run, S = stuck run):", *lines])


def _md_table(rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return out


def markdown(summary: dict[str, Any]) -> str:
    meta = summary["meta"]
    tasks = list(meta["tasks"])
    arms = meta["arms"]
    grid = ", ".join(f"{100 * f:g}" for f in meta["grid"])
    n_done = sum(1 for r in summary["runs"] if r["status"] == "done")
    total_s = sum(v["total_seconds"] for v in summary["timing"].values())
    total_cpu = sum(v["total_cpu_seconds"] for v in summary["timing"].values())
    lines = [
        f"# Warmup benchmark ({meta['mode']} mode)",
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['machine']}; device {meta['device']}; {meta['jobs']} job(s) × {meta['threads']} torch "
        f"thread(s). Runs: {n_done} finished; summed over runs {total_s / 60:.1f} min of wall time and "
        f"{total_cpu / 60:.1f} min of process CPU time (one thread per run: CPU time / cores ≈ the wall time on "
        f"an otherwise idle machine); this invocation ran {meta['runs_this_invocation']} runs in "
        f"{meta['wall_seconds_this_invocation'] / 60:.1f} min wall. Seeds: {', '.join(map(str, meta['seeds']))}. hf_warmup source hash {meta['code']['hf_warmup']}.",
        "",
        "Cell value: the mean over seeds of the final held-out eval loss (a diverged run counts with "
        "max(eval loss, initial loss)). **Oracle**: per (task, LR), the best `linear_warmup` over W ∈ {"
        f"{grid}}} % of T (W = 0 is `no_warmup`). Gap = (arm − oracle) / oracle; negative = better than the "
        "oracle. `hf_linear(10%)` is transformers' `linear` (its own linear decay to 0); every other arm uses "
        "the task's decay. D = a diverged run, S = a stuck run (no better than the trivial predictor). n/a: "
        "the β2-derived warmups need 2/(1−β2) < T.",
        "",
        "## Tasks",
        "",
    ]
    for t in tasks:
        tm = summary["timing"][t]
        per = (f"{tm['mean_seconds']:.1f} s wall / {tm['mean_cpu_seconds'] or 0:.1f} s CPU per run"
               if tm["mean_seconds"] else "no runs")
        lines.append(f"- `{t}`: {meta['tasks'][t]['describe']}; LRs {', '.join(map(_lr, meta['tasks'][t]['lrs']))}"
                     f"; {tm['runs']} runs, {per}.")
    lines += ["", "## Summary over all tasks (gap to the per-cell oracle)", ""]
    cols = [(t, lr) for t in tasks for lr in meta["tasks"][t]["lrs"]]
    rows = [["arm"] + [f"{t} {_lr(lr)}" for t, lr in cols]]
    for arm in arms:
        rows.append([f"`{arm['label']}`"] + [_fmt_gap(summary["cells"][t][f"{_lr(lr)}|{arm['label']}"])
                                             for t, lr in cols])
    rows.append(["oracle W (steps)"] + [str(summary["oracle"][t].get(_lr(lr), {}).get("warmup_steps", "–"))
                                        for t, lr in cols])
    for arm in arms:
        if arm["kind"] in ADAPTIVE_KINDS:
            rows.append([f"`{arm['label']}` end step"] + [
                _fmt_steps(summary["cells"][t][f"{_lr(lr)}|{arm['label']}"]) for t, lr in cols])
    lines += _md_table(rows)
    lines += ["", "End steps: one per seed; `*` = ended at its bound (`max_warmup_steps`), otherwise by its rule "
              "(adaptive: its own `end_reason`; autowu: the loss test); `^f` = adaptive ended at the edge, and its "
              "decay started from f × the peak LR.", "",
              "## Per task: adaptive rows against the oracle and the β2-derived peers", "",
              f"Peers: the best of {' and '.join(f'`{p}`' for p in PEERS)} per cell (cells where neither applies are "
              f"not counted). Within: cells with gap ≤ {WITHIN_PCT:g} %.", ""]
    rows = [["task", "arm", "max gap", "mean gap", f"within {WITHIN_PCT:g}%", "wins vs peers", "diverged", "stuck"]]
    for t in tasks:
        for arm in arms:
            if arm["kind"] not in ADAPTIVE_KINDS and arm["label"] not in PEERS and arm["kind"] != "hf_linear" \
                    and arm["label"] != "no_warmup":
                continue
            s = summary["summary"][t][arm["label"]]
            if s["n_cells"] == 0:
                rows.append([t, f"`{arm['label']}`", "n/a", "n/a", "n/a", "n/a", "–", "–"])
                continue
            wins = (f"{s['wins_vs_peers']}/{s['cells_vs_peers']}" if "wins_vs_peers" in s and s["cells_vs_peers"]
                    else "n/a" if "wins_vs_peers" in s else "")
            rows.append([t, f"`{arm['label']}`", f"{s['max_gap_pct']:+.1f}%", f"{s['mean_gap_pct']:+.1f}%",
                         f"{s['within_1pct']}/{s['n_cells']}", wins, str(s["n_diverged"]), str(s["n_stuck"])])
    lines += _md_table(rows)
    for t in tasks:
        lines += ["", f"## `{t}`", "", meta["tasks"][t]["describe"] + ".", ""]
        lrs = meta["tasks"][t]["lrs"]
        rows = [["arm"] + [f"lr {_lr(lr)}" for lr in lrs]]
        for arm in arms:
            cells = [summary["cells"][t][f"{_lr(lr)}|{arm['label']}"] for lr in lrs]
            txt = []
            for c in cells:
                if c.get("status") == "not_applicable":
                    txt.append("n/a")
                elif c.get("mean") is None:
                    txt.append("–")
                else:
                    extra = "".join(f", {k} {v:.3f}" for k, v in c["metrics"].items())
                    txt.append(f"{c['mean']:.4f} ± {c['std']:.4f} ({_fmt_gap(c)}{extra}) W {_fmt_steps(c)}")
            rows.append([f"`{arm['label']}`"] + txt)
        rows.append(["oracle"] + [f"`{summary['oracle'][t][_lr(lr)]['arm']}`" if _lr(lr) in summary["oracle"][t]
                                  else "–" for lr in lrs])
        lines += ["Cell: mean ± std over seeds (gap to the oracle; other metrics), W = warmup length used per seed.",
                  ""]
        lines += _md_table(rows)
    lines += heldout.markdown(summary["sets"])
    lines += ["", "Picture: `warmup_vs_lr.png` (top: warmup length against the peak LR, adaptive rows per seed and "
              "the oracle's W; bottom: LR/peak along training, seed 0, adaptive (solid) and oracle (dashed)).", ""]
    return "\n".join(lines)


def picture(summary: dict[str, Any], runs: Sequence[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = summary["meta"]
    tasks = list(meta["tasks"])
    fig, axes = plt.subplots(2, len(tasks), figsize=(4.2 * len(tasks), 7), squeeze=False)
    adaptive = [a for a in meta["arms"] if a["kind"] in ADAPTIVE_KINDS]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    by = {(r["task"], r["arm"], float(r["lr"]), r["seed"]): r for r in runs if r.get("status") == "done"}
    main = next((a["label"] for a in adaptive if a["kind"] == "adaptive_warmup"), adaptive[0]["label"] if adaptive
                else None)
    for j, t in enumerate(tasks):
        ax = axes[0][j]
        lrs = meta["tasks"][t]["lrs"]
        ow = [(lr, summary["oracle"][t].get(_lr(lr), {}).get("warmup_steps")) for lr in lrs]
        ow = [(lr, w) for lr, w in ow if w is not None]
        if ow:
            ax.plot([x for x, _ in ow], [w for _, w in ow], "k--s", label="oracle W")
        for i, arm in enumerate(adaptive):
            xs, ys, means = [], [], []
            for lr in lrs:
                c = summary["cells"][t][f"{_lr(lr)}|{arm['label']}"]
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
        ax = axes[1][j]
        seed = meta["seeds"][0]
        for k, lr in enumerate(lrs):
            color = colors[k % len(colors)]
            for arm_label, style in ((main, "-"), (summary["oracle"][t].get(_lr(lr), {}).get("arm"), "--")):
                r = by.get((t, arm_label, float(lr), seed)) if arm_label else None
                if r and r.get("lr_trace"):
                    ax.plot([p[0] for p in r["lr_trace"]], [p[1] / lr for p in r["lr_trace"]], style, color=color,
                            label=f"lr {_lr(lr)}" if style == "-" else None)
        ax.set_xlabel("step")
        ax.set_ylabel("LR / peak")
        ax.set_title(f"{t}: {main or ''} (solid), oracle (dashed)", fontsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_reports(out: Path, runs: Sequence[dict[str, Any]], meta: dict[str, Any],
                  provenance: dict[str, Any] | None = None) -> tuple[dict[str, Path], dict]:
    """Write ``summary.json``, ``summary.md``, ``warmup_vs_lr.png`` into ``out``; returns (paths, summary).

    ``provenance`` (``scripts/provenance.py``'s stamp) becomes the summary's top-level ``provenance`` key."""
    summary = {"provenance": provenance, **build_summary(runs, meta)}
    paths = {"json": out / "summary.json", "md": out / "summary.md", "png": out / "warmup_vs_lr.png"}
    paths["json"].write_text(json.dumps(summary, indent=1, default=str))
    paths["md"].write_text(markdown(summary))
    picture(summary, runs, paths["png"])
    return paths, summary
