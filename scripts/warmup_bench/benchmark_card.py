"""A model-card section comparing warmup schedules, from the summary files of ``scripts/benchmark_warmup.py``.

The benchmark suite writes ``docs/benchmark/<name>.json`` (``meta``, ``cells``, ``summary``; ``--docs_prefix``). A
card's task is matched by keywords against each benchmark task's name and one-line description (``meta.tasks``);
for every matching task the section shows the gap of each row's mean final eval loss to the per-cell oracle (the
best fixed ``linear_warmup`` of the grid), per peak LR, plus the adaptive warmup's length. The files are read in
the order of :data:`SUMMARY_FILES`; the first that has a task wins. With no matching task it says which tasks were
benchmarked, or how to run the benchmark: no number is ever made up here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warmup_bench.provenance import stale_note
from warmup_bench.results import cell_key

#: Summary files read, in order of preference (the first that has a task wins for that task): full mode, the files
#: of the current default first (the headline's test and tuning sets), then round 1's for tasks only they have.
SUMMARY_FILES: tuple[str, ...] = ("round11_test.json", "round13_tuning.json", "round5_test.json",
                                  "round4_tuning.json",
                                  "heldout_full_partial.json", "heldout_test_full.json")
BENCHMARK_HINT = ("run `python scripts/benchmark_warmup.py --docs_prefix docs/benchmark/"
                  f"{SUMMARY_FILES[0].removesuffix('.json')}` (docs/benchmark/README.md)")


def _rel(path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root or os.getcwd()).resolve()))
    except ValueError:
        return str(path)


def summary_files(results_dir: str) -> list[tuple[str, dict[str, Any]]]:
    """The readable suite summaries in ``results_dir``, in :data:`SUMMARY_FILES` order."""
    found = []
    for name in SUMMARY_FILES:
        path = os.path.join(results_dir, name)
        try:
            with open(path) as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("meta", {}).get("tasks"), dict):
            found.append((path, data))
    return found


def _gap(x: Any) -> str:
    return "–" if x is None else f"{x:+.1f}%"


def _cell_text(cell: dict[str, Any]) -> str:
    """``+7.2% (S2 D1)``: a cell's gap, and the seeds that got stuck (S) or diverged (D) when any did."""
    failed = " ".join(f"{tag}{n}" for tag, n in (("S", cell.get("n_stuck", 0)), ("D", cell.get("n_diverged", 0))) if n)
    return _gap(cell.get("gap_pct")) + (f" ({failed})" if failed else "")


def task_table(path: str, data: dict[str, Any], task: str, root: str | None = None) -> str:
    """One benchmark task: gap to the oracle per peak LR for every row, and the adaptive warmup's length."""
    meta = data["meta"]
    info = meta["tasks"][task]
    lrs = [float(x) for x in info["lrs"]]
    cells = data["cells"][task]
    labels = [a["label"] for a in meta.get("arms", [])]
    md = path[: -len(".json")] + ".md"
    head = (f"Task `{task}`: {info['describe']}. From `{_rel(path, root)}` ({meta.get('mode', '?')} mode, "
            f"seeds {', '.join(map(str, meta.get('seeds', [])))}, machine {meta.get('machine', '?')}, device "
            f"{meta.get('device', '?')}"
            + (f"; all tables in `{_rel(md, root)}`" if os.path.isfile(md) else "")
            + "). The benchmark's model and budget are its own, not this card's run. Gap = mean final eval loss "
            "relative to the per-LR oracle, the best fixed `linear_warmup` of the grid (negative: better); (S n, "
            "D n): seeds that got stuck (no better than the trivial predictor) or diverged.")
    # the benchmark measured other library code than this card's run; its numbers pass through no RENDERING module
    stale = stale_note(data.get("provenance"), numbers_only=True)
    if stale:
        head += f"\n\n{stale}"
    lines = [head, "", "| schedule | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " |",
             "|---|" + "---|" * len(lrs)]
    for label in labels:
        row = [cells.get(cell_key(lr, label)) for lr in lrs]
        if not any(c and c.get("status") == "done" for c in row):
            continue
        bold = "**" if label.startswith("adaptive") else ""
        vals = [_cell_text(c) if c and c.get("status") == "done" else "n/a" for c in row]
        lines.append(f"| {bold}`{label}`{bold} | " + " | ".join(vals) + " |")
    for label in labels:
        if not label.startswith("adaptive"):
            continue
        row = [cells.get(cell_key(lr, label)) or {} for lr in lrs]
        ends = ["/".join(str(w) for w in c.get("warmup_steps", [])) or "–" for c in row]
        lines.append(f"| `{label}` warmup steps (per seed) | " + " | ".join(ends) + " |")
    return "\n".join(lines) + "\n"


def benchmark_section(results_dir: str, task_keywords: Sequence[str], task_label: str,
                      root: str | None = None, heading: str = "### Benchmark comparison for this task") -> str:
    """Markdown: the warmup benchmark's tasks that match ``task_keywords`` (name or description, any case).

    Paths are written relative to ``root`` (default: the working directory).
    """
    files = summary_files(results_dir)
    keys = [k.lower() for k in task_keywords]
    shown: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, data in files:
        for task, info in data["meta"]["tasks"].items():
            text = f"{task} {info.get('describe', '')}".lower()
            if task not in shown and any(k in text for k in keys):
                shown[task] = (path, data)
    if shown:
        parts = []
        for task, (path, data) in shown.items():
            try:
                parts.append(task_table(path, data, task, root))
            except (KeyError, TypeError, AttributeError, ValueError) as err:
                parts.append(f"`{_rel(path, root)}` has an unexpected layout ({type(err).__name__}: {err}).\n")
        body = "\n".join(parts)
    elif files:
        tasks = sorted({t for _, d in files for t in d["meta"]["tasks"]})
        where = ", ".join(f"`{_rel(p, root)}`" for p, _ in files)
        body = (f"The warmup benchmark has no task like {task_label}: {where} cover {', '.join(tasks)}. To compare "
                "schedules here, run the training script with several `--lr_scheduler_type` values, or see "
                "`scripts/benchmark_warmup.py`.\n")
    else:
        body = (f"No benchmark summary was found in `{_rel(results_dir, root)}`: {BENCHMARK_HINT}, then "
                "regenerate this card.\n")
    return f"{heading}\n\n{body}"
