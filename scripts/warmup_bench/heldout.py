"""The held-out view of a sweep: every adaptive cell against the oracle and HF ``linear`` 10 %, and the issue's
targets (a)–(e) computed per set of the committed split (``docs/benchmark/split.json``: tuning vs test tasks).

Pure functions of :func:`warmup_bench.aggregate.aggregate`'s output and the sweep's meta (no torch), so the docs'
renderer (:mod:`warmup_bench.render`, which also makes their tables) can use them too.

* cell class: the gap to the per-LR oracle, two-sided: ``within`` (|gap| ≤ 1 %), ``better`` (< -1 %), ``worse``;
* (a) no adaptive run stuck or diverged on a seed on which some grid warmup trained (counted per seed: a fixed
  warmup that fails on another seed still counts as training on this one);
* (b) no cell more than 1 % worse than ``hf_linear(10%)``;
* (c) at least 80 % of cells within 1 % of the oracle or better;
* (d) per task, at its best LR (the LR of the best fixed (LR, W)), within 1 % of that best fixed run;
* (e) per pair of the split's ``same_task_as`` (T and ``length_factor``·T): (a)–(c) at both lengths, and the
  warmup lengths with the end reasons that set them.

Only the ``test`` and ``tuning`` sets are aggregated. Tasks of any other set (``next_test``: the next round's
test tasks, kept unseen; or a task missing from the split, ``unassigned``) keep their cells, labelled with their
set, but count in no aggregate. The runner refuses adaptive arms on ``next_test`` tasks unless told otherwise
(:func:`sealed_tasks`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warmup_bench.aggregate import WITHIN_PCT
from warmup_bench.results import cell_key, lr_key

SPLIT_PATH = Path(__file__).resolve().parents[2] / "docs" / "benchmark" / "split.json"
TARGET_C_SHARE = 0.8
HF_LABEL = "hf_linear(10%)"
SETS = ("test", "tuning")
#: The next round's test tasks: no adaptive result of them may exist before the round that unseals them.
SEALED_SET = "next_test"
#: Probes of a seen task at a length too costly for every sweep (30,000 steps): in neither set, run when named.
PROBE_SET = "probe"


def load_split(path: Path = SPLIT_PATH) -> dict[str, Any]:
    return json.loads(path.read_text())


def sealed_tasks(split: dict[str, Any]) -> list[str]:
    """The tasks of :data:`SEALED_SET` in ``split``, in its order."""
    return [t for t, info in split["tasks"].items() if info.get("set") == SEALED_SET]


def named_only_tasks(split: dict[str, Any]) -> list[str]:
    """The tasks a sweep runs only when ``--tasks`` names them: the sealed ones and the probes."""
    return [t for t, info in split["tasks"].items() if info.get("set") in (SEALED_SET, PROBE_SET)]


#: a gap's classes against a reference (:func:`gap_class`), in the order the tables print them
GAP_CLASSES = ("within", "better", "worse")


def gap_class(gap: float) -> str:
    return "within" if abs(gap) <= WITHIN_PCT else "better" if gap < 0 else "worse"


def pct_gap(a: float, b: float) -> float:
    """The gap of ``a`` to ``b`` in percent of ``b``."""
    return 100.0 * (a - b) / b


def failed_where_grid_trains(cell: dict[str, Any], grid_cells: Sequence[dict[str, Any]]) -> list[int]:
    """The seeds on which ``cell``'s run got stuck or diverged while some grid warmup's run of that seed trained."""
    trained = {s for g in grid_cells for s, bad in zip(g.get("seeds", []), g.get("failed", [])) if not bad}
    return sorted(s for s, bad in zip(cell.get("seeds", []), cell.get("failed", [])) if bad and s in trained)


def grid_labels(meta: dict[str, Any]) -> list[str]:
    """The labels of a sweep's oracle grid arms (``meta["arms"]`` with ``in_grid``), shortest warmup first."""
    return [a["label"] for a in meta["arms"] if a["in_grid"]]


def oracle_name(meta: dict[str, Any]) -> str:
    """What a sweep's report calls the per-cell best grid arm: ``oracle``, or, where the grid has one arm (a sweep
    that sets a single fixed warmup against the default), that arm's label: the best of one arm is that arm."""
    grid = grid_labels(meta)
    return grid[0] if len(grid) == 1 else "oracle"


def cell_rows(agg: dict[str, Any], meta: dict[str, Any], label: str, split: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (task, LR) where ``label`` finished: gaps, class, spread, failures, warmup, LR reached."""
    rows = []
    grid = grid_labels(meta)
    for task, tmeta in meta["tasks"].items():
        info = split["tasks"].get(task, {})
        for lr in tmeta["lrs"]:
            cells = agg["cells"][task]
            cell = cells.get(cell_key(lr, label), {})
            oracle = agg["oracle"][task].get(lr_key(lr))
            if cell.get("mean") is None or oracle is None:
                continue
            hf = cells.get(cell_key(lr, HF_LABEL), {}).get("mean")
            failed = failed_where_grid_trains(cell, [cells.get(cell_key(lr, g), {}) for g in grid])
            fractions = cell.get("peak_fractions") or []
            rows.append({
                "task": task, "set": info.get("set", "unassigned"), "family": info.get("family"),
                "long": bool(info.get("long")), "T": tmeta["cfg"]["T"], "lr": lr,
                "oracle_arm": oracle["arm"], "oracle_W": oracle["warmup_steps"], "gap_pct": cell["gap_pct"],
                "class": gap_class(cell["gap_pct"]), "gap_hf_pct": None if hf is None else pct_gap(cell["mean"], hf),
                "spread_pct": 100.0 * (cell["std"] or 0.0) / cell["mean"], "n_seeds": cell["n_seeds"],
                "n_stuck": cell["n_stuck"], "n_diverged": cell["n_diverged"], "a_seeds": failed,
                "warmup_steps": cell["warmup_steps"], "end_reasons": cell["end_reasons"],
                "lr_reached": [None if f is None else f * lr for f in fractions],
            })
    return rows


def best_lr_rows(agg: dict[str, Any], meta: dict[str, Any], label: str, split: dict[str, Any]) -> list[dict[str, Any]]:
    """Per task: the best fixed (LR, W) overall, ``label`` at that LR and at its own best LR, gaps to it."""
    out = []
    for task, tmeta in meta["tasks"].items():
        oracles = {lr: agg["oracle"][task].get(lr_key(lr)) for lr in tmeta["lrs"]}
        oracles = {lr: o for lr, o in oracles.items() if o is not None}
        mine = {lr: agg["cells"][task].get(cell_key(lr, label), {}).get("mean") for lr in tmeta["lrs"]}
        mine = {lr: m for lr, m in mine.items() if m is not None}
        if not oracles or not mine:
            continue
        lr_best = min(oracles, key=lambda lr: oracles[lr]["mean"])
        best = oracles[lr_best]
        own = min(mine, key=lambda lr: mine[lr])
        out.append({
            "task": task, "set": split["tasks"].get(task, {}).get("set", "unassigned"), "best_lr": lr_best,
            "best_arm": best["arm"], "best_mean": best["mean"],
            "gap_at_best_lr_pct": pct_gap(mine[lr_best], best["mean"]) if lr_best in mine else None,
            "own_best_lr": own, "gap_own_best_pct": pct_gap(mine[own], best["mean"]),
        })
    return out


def cell_name(task: str, lr: float) -> str:
    """``task@lr``: how a cell is named in the targets' lists and the docs."""
    return f"{task}@{lr:g}"


def abc_targets(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Targets (a)–(c) over cell rows, whatever their set: the counts a decision rule compares."""
    a = [r for r in rows if r["a_seeds"]]
    b = [r for r in rows if r["gap_hf_pct"] is not None and r["gap_hf_pct"] > WITHIN_PCT]
    c = [r for r in rows if r["gap_pct"] <= WITHIN_PCT]
    return {
        "cells": len(rows),
        "classes": {k: sum(r["class"] == k for r in rows) for k in GAP_CLASSES},
        "a_violations": [cell_name(r["task"], r["lr"]) for r in a], "a_met": not a,
        "b_violations": [cell_name(r["task"], r["lr"]) for r in b], "b_met": not b,
        "c_share": len(c) / len(rows) if rows else None, "c_met": bool(rows) and len(c) >= TARGET_C_SHARE * len(rows),
    }


def targets(rows: Sequence[dict[str, Any]], best: Sequence[dict[str, Any]], split: dict[str, Any],
            set_name: str) -> dict[str, Any]:
    """Targets (a)–(e) over the tasks of ``set_name`` that the sweep ran."""
    mine = [r for r in rows if r["set"] == set_name]
    tasks = sorted({r["task"] for r in mine})
    d = [b for b in best if b["set"] == set_name]
    d_ok = [b["task"] for b in d if b["gap_at_best_lr_pct"] is not None and b["gap_at_best_lr_pct"] <= WITHIN_PCT]
    pairs = []
    for task, info in split["tasks"].items():
        short = info.get("same_task_as")
        if info.get("set") != set_name or short is None or task not in tasks or short not in tasks:
            continue
        per = {name: [r for r in mine if r["task"] == name] for name in (short, task)}
        checks = {name: abc_targets(rs) for name, rs in per.items()}
        steps = {name: [s for r in rs for s in r["warmup_steps"] if s is not None] for name, rs in per.items()}
        mean: dict[str, float | None] = {name: sum(v) / len(v) if v else None for name, v in steps.items()}
        short_mean, long_mean = mean[short], mean[task]
        pairs.append({
            "short": short, "long": task, "factor": info.get("length_factor"),
            "abc_met": {name: c["a_met"] and c["b_met"] and c["c_met"] for name, c in checks.items()},
            "mean_warmup": mean,
            "warmup_ratio": long_mean / short_mean if short_mean and long_mean is not None else None,
            "end_reasons": {name: sorted({e for r in rs for e in r["end_reasons"] if e}) for name, rs in per.items()},
        })
    families = sorted({r["family"] for r in mine if r["family"]})
    return {**abc_targets(mine), "tasks": tasks, "families": families, "long_tasks": sorted({r["task"] for r in mine
                                                                                      if r["long"]}),
            "d_met_tasks": d_ok, "d_tasks": len(d), "d_met": bool(d) and len(d_ok) == len(d),
            "e_pairs": pairs, "e_met": bool(pairs) and all(all(p["abc_met"].values()) for p in pairs)}


def evaluate(agg: dict[str, Any], meta: dict[str, Any], split: dict[str, Any]) -> dict[str, Any]:
    """Per adaptive row: its cells, best-LR rows and the targets per set."""
    out = {}
    for arm in meta["arms"]:
        if arm["kind"] != "adaptive_warmup":
            continue
        rows = cell_rows(agg, meta, arm["label"], split)
        best = best_lr_rows(agg, meta, arm["label"], split)
        out[arm["label"]] = {"cells": rows, "best_lr": best,
                             "targets": {s: targets(rows, best, split, s) for s in SETS}}
    return out
