"""Aggregation of benchmark runs: cells (task, LR, arm) over seeds, the per-cell oracle, gaps, task summaries.

Pure functions of the run records (no training), so they are tested on hand-made records.

* cell value: mean over seeds of ``scored_eval_loss`` (a diverged run counts with its penalised loss);
* **oracle** of a (task, LR) cell: the grid arm (``linear_warmup`` over the W grid, W = 0 included) with the
  lowest cell value; arms are compared to it by ``gap = (arm − oracle) / oracle`` in % (negative = better);
* per task and adaptive-kind row: max and mean gap, cells within 1 %, wins against the best of
  ``untuned_exponential_warmup`` and ``radam_warmup`` (cells where neither applies are not counted).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from warmup_bench.results import cell_key, lr_key

WITHIN_PCT = 1.0
PEERS = ("untuned_exponential_warmup", "radam_warmup")


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _std(xs: Sequence[float]) -> float | None:
    if not xs:
        return None
    if len(xs) < 2:
        return 0.0
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def cell_stats(records: Sequence[dict[str, Any]], n_seeds: int) -> dict[str, Any]:
    """Statistics of one (task, LR, arm) cell from its runs' records; the per-seed lists are in seed order, whatever
    order the records come in (runs of another source stand in after the current source's)."""
    na = [r for r in records if r.get("status") == "not_applicable"]
    done = sorted((r for r in records if r.get("status") == "done"), key=lambda r: int(r.get("seed", 0)))
    if na:
        return {"status": "not_applicable", "reason": na[0].get("reason")}
    if not done:
        return {"status": "missing"}
    scored = [float(r["scored_eval_loss"]) for r in done]
    lengths = [r.get("warmup_steps") for r in done]
    metrics: dict[str, float] = {}
    for key in sorted({k for r in done for k in (r.get("metrics") or {})}):
        vals = [float(r["metrics"][key]) for r in done if key in (r.get("metrics") or {})]
        if vals:
            metrics[key] = sum(vals) / len(vals)
    return {
        "status": "done" if len(done) >= n_seeds else "partial",
        "n_seeds": len(done),
        "mean": _mean(scored),
        "std": _std(scored),
        "values": scored,
        "n_diverged": sum(bool(r.get("diverged")) for r in done),
        "n_stuck": sum(bool(r.get("stuck")) for r in done),
        "seeds": [r.get("seed") for r in done],
        "failed": [bool(r.get("stuck") or r.get("diverged")) for r in done],
        "warmup_steps": lengths,
        "end_reasons": [r.get("end_reason") for r in done],
        "peak_fractions": [r.get("peak_fraction") for r in done],
        "metrics": metrics,
        "seconds_mean": _mean([float(r.get("seconds", 0.0)) for r in done]),
    }


def aggregate(
    runs: Iterable[dict[str, Any]], tasks: Sequence[str], lrs: dict[str, Sequence[float]],
    arms: Sequence[dict[str, Any]], n_seeds: int,
) -> dict[str, Any]:
    """Cells, oracles, gaps and per-task summaries.

    ``runs``: records carrying ``task``, ``arm`` (label), ``lr``, ``seed``; ``arms``: ``Arm.to_json()`` rows
    in report order; ``lrs``: per task, the LRs to report.
    """
    by_cell: dict[tuple[str, float, str], list[dict[str, Any]]] = {}
    for r in runs:
        by_cell.setdefault((r["task"], float(r["lr"]), r["arm"]), []).append(r)
    cells: dict[str, dict[str, dict[str, Any]]] = {}  # task -> "lr|arm" -> stats (keys: results.cell_key)
    oracle: dict[str, dict[str, Any]] = {}
    for task in tasks:
        cells[task] = {}
        oracle[task] = {}
        for lr in lrs[task]:
            row = {a["label"]: cell_stats(by_cell.get((task, float(lr), a["label"]), []), n_seeds) for a in arms}
            grid = [(a, row[a["label"]]) for a in arms if a["in_grid"] and row[a["label"]].get("mean") is not None]
            best = min(grid, key=lambda p: p[1]["mean"]) if grid else None
            if best is not None:
                arm, stats = best
                steps = [s for s in stats["warmup_steps"] if s is not None]
                oracle[task][lr_key(lr)] = {"arm": arm["label"], "fraction": arm["fraction"], "mean": stats["mean"],
                                            "warmup_steps": steps[0] if steps else None}
                for st in row.values():
                    if st.get("mean") is not None:
                        st["gap_pct"] = 100.0 * (st["mean"] - stats["mean"]) / stats["mean"]
            for label, st in row.items():
                cells[task][cell_key(lr, label)] = st
    summary = {task: task_summary(cells[task], lrs[task], arms) for task in tasks}
    return {"cells": cells, "oracle": oracle, "summary": summary}


def task_summary(cells: dict[str, dict[str, Any]], lrs: Sequence[float], arms: Sequence[dict[str, Any]]
                 ) -> dict[str, Any]:
    """Per arm: max/mean gap, cells within 1 %, divergences; for adaptive-kind arms, wins against the peers."""
    out: dict[str, Any] = {}
    for arm in arms:
        label = arm["label"]
        cs = [cells[cell_key(lr, label)] for lr in lrs]
        gaps = [c["gap_pct"] for c in cs if "gap_pct" in c]
        entry: dict[str, Any] = {
            "n_cells": len(gaps),
            "n_not_applicable": sum(c["status"] == "not_applicable" for c in cs),
            "max_gap_pct": max(gaps) if gaps else None,
            "mean_gap_pct": _mean(gaps),
            "within_1pct": sum(g <= WITHIN_PCT for g in gaps),
            "n_diverged": sum(c.get("n_diverged", 0) for c in cs),
            "n_stuck": sum(c.get("n_stuck", 0) for c in cs),
        }
        if arm["kind"] in ("adaptive_warmup", "autowu"):
            wins = losses = 0
            for lr in lrs:
                mine = cells[cell_key(lr, label)].get("mean")
                means = [cells.get(cell_key(lr, p), {}).get("mean") for p in PEERS]
                peers = [m for m in means if m is not None]
                if mine is None or not peers:
                    continue
                if mine < min(peers):
                    wins += 1
                else:
                    losses += 1
            entry["wins_vs_peers"] = wins
            entry["cells_vs_peers"] = wins + losses
        out[label] = entry
    return out
