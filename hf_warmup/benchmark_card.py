"""A model-card section comparing warmup schedules, from the results files of ``scripts/benchmark_warmup.py``.

:func:`benchmark_section` reads ``<results_dir>/*_results.json`` and shows, for each file whose task
(``meta.task``, default the KJV character LM) matches the card's task, the gap of each schedule's mean final eval
loss to the tuned-W oracle. With no matching file it says which tasks were benchmarked, or how to run the
benchmark: no number is ever made up here.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCHMARK_HINT = "run `python scripts/benchmark_warmup.py` to produce docs/benchmark/*_results.json"
#: The task of a results file without ``meta.task``: scripts/benchmark_warmup.py benchmarks the KJV char LM.
DEFAULT_BENCHMARK_TASK = "kjv-char-lm"


def _rel(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root or os.getcwd()).resolve()))
    except ValueError:
        return str(path)


def benchmark_task(data: Any) -> str:
    meta = data.get("meta", {}) if isinstance(data, dict) else {}
    return str(meta.get("task") or (meta.get("setup") or {}).get("task") or DEFAULT_BENCHMARK_TASK)


def benchmark_files(results_dir: str) -> list[tuple[str, Any]]:
    found = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*_results.json"))):
        try:
            with open(path) as fh:
                found.append((path, json.load(fh)))
        except (OSError, ValueError):
            continue
    return found


def _gap(x: Any) -> str:
    return "–" if x is None else f"{x:+.2f}%"


def benchmark_table(path: str, data: dict[str, Any], root: str | None = None) -> str:
    """The per-schedule summary (gap of the mean final eval loss to the tuned-W oracle) of one results file."""
    meta = data.get("meta", {})
    setup = meta.get("setup", {})
    grid = meta.get("grid", [])
    beta2s = sorted({g["beta2"] for g in grid}, reverse=True)
    lrs = sorted({g["lr"] for g in grid})
    md = path[: -len(".json")] + ".md"
    head = (
        f"From `{_rel(path, root)}` ({meta.get('mode', '?')} mode; {setup.get('arch', '?')} with "
        f"{setup.get('n_layer', '?')} layers, width {setup.get('n_embd', '?')}, T = {setup.get('max_steps', '?')} "
        f"steps, batch {setup.get('batch_size', '?')}; β2 in {{{', '.join(f'{b:g}' for b in beta2s)}}}, peak LR in "
        f"{{{', '.join(f'{lr:g}' for lr in lrs)}}}, {len(meta.get('seeds', []))} seed(s); "
        f"{meta.get('n_runs_done', '?')} runs). The benchmark model and budget are its own, not this card's run. "
        "Gap = mean final eval loss relative to the oracle, the best fixed `linear_warmup` length of the grid "
        "for each (β2, LR) cell (negative: better than the oracle)"
    )
    if os.path.isfile(md):
        head += f"; all tables in `{_rel(md, root)}`"
    lines = [head + ".", "", "| schedule | max gap | mean gap | cells | cells with a divergence |",
             "|---|---|---|---|---|"]
    labels = [s["label"] for s in meta.get("schedules", [])] or list(data.get("summary", {}))
    for label in labels:
        summ = (data.get("summary", {}).get(label) or {}).get("all")
        if not summ:
            continue
        bold = "**" if label.startswith("adaptive") else ""
        lines.append(f"| {bold}`{label}`{bold} | {_gap(summ.get('max_gap_pct'))} | {_gap(summ.get('mean_gap_pct'))} | "
                     f"{summ.get('n_cells', '–')} | {summ.get('n_diverged_cells', '–')} |")
    for label, row in (data.get("adaptive_vs") or {}).items():
        versus = [f"`{o}` in {r['wins']}/{r['compared']}" for o, r in row.items()
                  if o != "all_untuned_and_radam" and r.get("compared")]
        if versus:
            lines.append(f"\n`{label}` has a lower mean eval loss than " + ", ".join(versus) + " cells.")
    return "\n".join(lines) + "\n"


def benchmark_section(results_dir: str, task_keywords: Sequence[str], task_label: str,
                      root: str | None = None, heading: str = "### Benchmark comparison for this task") -> str:
    """Markdown: the warmup benchmark for this card's task, from ``<results_dir>/*_results.json``.

    A results file belongs to the task named in its ``meta.task``; only files whose task contains one of
    ``task_keywords`` are shown. Paths are written relative to ``root`` (default: the working directory).
    """
    files = benchmark_files(results_dir)
    mine = [(p, d) for p, d in files if any(k in benchmark_task(d).lower() for k in task_keywords)]
    if mine:
        parts = []
        for path, data in mine:
            try:
                parts.append(benchmark_table(path, data, root))
            except (KeyError, TypeError, AttributeError, ValueError) as err:
                parts.append(f"`{_rel(path, root)}` has an unexpected layout ({type(err).__name__}: {err}).\n")
        body = "\n".join(parts)
    elif files:
        others = sorted({benchmark_task(d) for _, d in files})
        where = ", ".join(f"`{_rel(p, root)}`" for p, _ in files)
        body = (f"The warmup benchmark has not been run on {task_label}: the results in `{_rel(results_dir, root)}` "
                f"({where}) are for another task ({', '.join(others)}). To compare schedules here, run the training "
                "script with several `--lr_scheduler_type` values, or see `scripts/benchmark_warmup.py`.\n")
    else:
        body = (f"No benchmark results were found in `{_rel(results_dir, root)}`: {BENCHMARK_HINT}, then "
                "regenerate this card.\n")
    return f"{heading}\n\n{body}"
