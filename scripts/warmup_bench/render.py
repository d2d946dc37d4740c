#!/usr/bin/env python
"""Regenerate the figure blocks of the docs from the committed results files.

A figure block in a markdown file is everything between two comment lines::

    <!-- figures:NAME -->
    ... generated text: do not edit by hand ...
    <!-- /figures -->

``RENDERERS[NAME]`` (a function registered with ``@figure("NAME")``) builds the text from results json under the
repository root, read through :func:`load`. Each block names the files and the commands that wrote them, so a
reader can rerun them.

**Stale figures say so by themselves.** Every results file a renderer reads through :func:`load` is noted, and
the block starts with one line per file whose ``provenance`` (:mod:`warmup_bench.provenance`: the commit and
the hash of each ``hf_warmup`` source it measured; top level, or under ``meta`` for the benchmark) no longer matches the
sources in the tree, e.g. "**Stale:** measured at commit `abc1234`; `hf_warmup/monitor.py` changed since.", or
that records none. A renderer needs nothing for this.

    python scripts/render_figures.py            # rewrite every block in the docs
    python scripts/render_figures.py --check    # exit 1 and show a diff when a block is stale

The markdown tables of a sweep (its ``summary.md``, the terminal table, the held-out view) are made here too, and
the blocks reuse them: one place that writes benchmark numbers as text.

``tests/test_docs_figures.py`` asserts that every block equals what its renderer makes from the committed json.
Adding a figure block (e.g. the benchmark tables): write one function ``render_NAME(root) -> str`` that reads the
results json, decorate it with ``@figure("NAME")``, put the two marker lines where the block goes, and run this
script. No torch import here: reading json only.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import re
import statistics
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from warmup_bench import ROOT, heldout, noise, resolution, signals
from warmup_bench.aggregate import PEERS, WITHIN_PCT
from warmup_bench.protocol import ADAPTIVE_KINDS
from warmup_bench.provenance import stale_note
from warmup_bench.results import cell_key, lr_key

BLOCK = re.compile(r"(<!-- figures:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /figures -->)", re.DOTALL)
Renderer = Callable[[Path], str]
RENDERERS: dict[str, Renderer] = {}


def figure(name: str) -> Callable[[Renderer], Renderer]:
    """Register ``fn(root) -> markdown`` as the renderer of the blocks named ``name``."""

    def register(fn: Renderer) -> Renderer:
        if name in RENDERERS:
            raise ValueError(f"figure block {name!r} registered twice")
        RENDERERS[name] = fn
        return fn

    return register


def doc_files(root: Path = ROOT) -> list[Path]:
    """The markdown files whose figure blocks are rendered (and tested): README.md, docs/, model_cards/."""
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md")), *sorted((root / "model_cards").glob("*.md"))]
    return [f for f in files if f.exists()]


def blocks(text: str) -> list[tuple[str, str]]:
    """``(name, body)`` of every figure block in ``text``, in order."""
    return [(m["name"], m["body"]) for m in BLOCK.finditer(text)]


#: Results folders whose files hold measured numbers only (no sentence of hf_warmup's report): provenance.RENDERING
#: changes leave them current. The demo's and the model cards' files quote the report and are not here.
NUMBERS_ONLY = ("docs/benchmark/", "docs/overhead/")
_READ: list[dict[str, dict[str, Any]]] = []  # the results files read by the renderers running now, innermost last


@contextmanager
def _reading() -> Iterator[dict[str, dict[str, Any]]]:
    read: dict[str, dict[str, Any]] = {}
    _READ.append(read)
    try:
        yield read
    finally:
        _READ.pop()


def provenance_of(data: dict[str, Any]) -> dict[str, Any] | None:
    """A results file's ``provenance`` (top level, or the benchmark's ``meta``)."""
    return data.get("provenance") or (data.get("meta") or {}).get("provenance")


def stale_lines(read: dict[str, dict[str, Any]], root: Path) -> list[str]:
    """One line per distinct stale note, naming the results files it is about (none when all are current)."""
    by_note: dict[str, list[str]] = {}
    for rel, data in read.items():
        note = stale_note(provenance_of(data), root, numbers_only=rel.startswith(NUMBERS_ONLY))
        if note:
            by_note.setdefault(note, []).append(f"`{rel}`")
    return [f"> {', '.join(files)}: {note}" for note, files in by_note.items()]


def render_block(name: str, root: Path = ROOT) -> str:
    """The block's body: its renderer's text, after a stale line for each results file it read that is stale."""
    if name not in RENDERERS:
        raise KeyError(f"no renderer for figure block {name!r}; known: {sorted(RENDERERS)}")
    with _reading() as read:
        body = RENDERERS[name](root).strip("\n")
    stale = stale_lines(read, root)
    return "\n".join([*stale, *([""] if stale else []), body]) + "\n"


def render_text(text: str, root: Path = ROOT) -> str:
    """``text`` with every figure block's body replaced by its renderer's output."""
    return BLOCK.sub(lambda m: m.group(1) + render_block(m["name"], root) + m.group(4), text)


def load(root: Path, rel: str) -> dict[str, Any]:
    """The results json at ``root / rel``, noted for the stale lines of the block being rendered."""
    data = json.loads((root / rel).read_text())
    for read in _READ:
        read[rel] = data
    return data


# ---------------------------------------------------------------------------------------------------------------
# formatting (one place, so that the README, the docs and the test read numbers the same way)
# ---------------------------------------------------------------------------------------------------------------
def ratio(x: float) -> str:
    return f"{x:.4f}"


def ms(seconds: float) -> str:
    """Milliseconds with 3 significant digits: 1.43 ms, 44.6 ms, 381 ms."""
    v = seconds * 1e3
    return f"{v:.3g}" if v < 1000 else f"{v:,.0f}"


def mparams(n: int) -> str:
    return f"{n / 1e6:.1f} M"


def nbytes(n: int) -> str:
    return f"{n:,} B"


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.1f} MiB"


def machine_text(res: dict[str, Any]) -> str:
    m = res["machine"]
    return (f"{m['cpu']}, {m['usable_cores']} usable cores, torch {m['torch']}, transformers {m['transformers']}, "
            f"{m['torch_threads']} intra-op thread(s)")


def controls(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The A/A controls of a results dict by model (``controls`` list, or the older single ``control``)."""
    out = {c["model"]: c for c in res.get("controls", [])}
    if res.get("control"):
        out[res["control"]["model"]] = res["control"]
    return out


def by_model(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["model"]: r for r in rows}


# ---------------------------------------------------------------------------------------------------------------
# the tables of a sweep: summary.md (scripts/benchmark_warmup.py), the terminal table, the held-out view
# ---------------------------------------------------------------------------------------------------------------
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


def terminal_table(summary: dict[str, Any]) -> str:
    """One table over all tasks: rows = arms, columns = (task, LR), values = gap to the oracle."""
    meta = summary["meta"]
    cols = [(t, lr) for t in meta["tasks"] for lr in meta["tasks"][t]["lrs"]]
    head = ["arm"] + [f"{t}@{lr_key(lr)}" for t, lr in cols]
    rows = [head]
    for arm in meta["arms"]:
        rows.append([arm["label"]] + [_fmt_gap(summary["cells"][t][cell_key(lr, arm["label"])]) for t, lr in cols])
    rows.append(["oracle W (steps)"] + [
        str(summary["oracle"][t].get(lr_key(lr), {}).get("warmup_steps", "–")) for t, lr in cols])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(["gap of the mean eval loss to the per-cell oracle (D = diverged run, S = stuck run):", *lines])


def _md_table(rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return out


def sweep_markdown(summary: dict[str, Any]) -> str:
    """``summary.md`` of a sweep: settings, tasks, the gaps to the oracle, per-task tables, the held-out view."""
    meta = summary["meta"]
    tasks = list(meta["tasks"])
    arms = meta["arms"]
    grid = grid_text(meta["grid"])
    n_done = sum(1 for r in summary["runs"] if r["status"] == "done")
    total_s = sum(v["total_seconds"] for v in summary["timing"].values())
    total_cpu = sum(v["total_cpu_seconds"] for v in summary["timing"].values())
    lines = [
        f"# Warmup benchmark ({meta['mode']} mode)",
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['machine']}{libraries_text(meta)}; device {meta['device']}; {meta['jobs']} job(s) × "
        f"{meta['threads']} torch thread(s). Runs: {n_done} finished; summed over runs {total_s / 60:.1f} min of "
        f"wall time and {total_cpu / 60:.1f} min of process CPU time (one thread per run: CPU time / cores ≈ "
        f"the wall time on an otherwise idle machine); this invocation ran {meta['runs_this_invocation']} runs in "
        f"{meta['wall_seconds_this_invocation'] / 60:.1f} min wall. Seeds: {', '.join(map(str, meta['seeds']))}. "
        f"hf_warmup source hash {meta['code']['hf_warmup']}.",
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
        lines.append(f"- `{t}`: {meta['tasks'][t]['describe']}; LRs {', '.join(map(lr_key, meta['tasks'][t]['lrs']))}"
                     f"; {tm['runs']} runs, {per}.")
    lines += ["", "## Summary over all tasks (gap to the per-cell oracle)", ""]
    cols = [(t, lr) for t in tasks for lr in meta["tasks"][t]["lrs"]]
    rows = [["arm"] + [f"{t} {lr_key(lr)}" for t, lr in cols]]
    for arm in arms:
        rows.append([f"`{arm['label']}`"] + [_fmt_gap(summary["cells"][t][cell_key(lr, arm["label"])])
                                             for t, lr in cols])
    rows.append(["oracle W (steps)"] + [str(summary["oracle"][t].get(lr_key(lr), {}).get("warmup_steps", "–"))
                                        for t, lr in cols])
    for arm in arms:
        if arm["kind"] in ADAPTIVE_KINDS:
            rows.append([f"`{arm['label']}` end step"] + [
                _fmt_steps(summary["cells"][t][cell_key(lr, arm["label"])]) for t, lr in cols])
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
        rows = [["arm"] + [f"lr {lr_key(lr)}" for lr in lrs]]
        for arm in arms:
            cells = [summary["cells"][t][cell_key(lr, arm["label"])] for lr in lrs]
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
        rows.append(["oracle"] + [f"`{summary['oracle'][t][lr_key(lr)]['arm']}`" if lr_key(lr) in summary["oracle"][t]
                                  else "–" for lr in lrs])
        lines += ["Cell: mean ± std over seeds (gap to the oracle; other metrics), W = warmup length used per seed.",
                  ""]
        lines += _md_table(rows)
    lines += heldout_markdown(summary["sets"])
    lines += ["", "Picture: `warmup_vs_lr.png` (top: warmup length against the peak LR, adaptive rows per seed and "
              "the oracle's W; bottom: LR/peak along training, seed 0, adaptive (solid) and oracle (dashed)).", ""]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "**met**" if flag else "**missed**"


def _list(xs: Sequence[str]) -> str:
    return ", ".join(xs) if xs else "none"


def set_header(set_name: str, targets: dict[str, Any]) -> str:
    """``test set (4 tasks, 32 cells)``."""
    return f"{set_name} set ({len(targets['tasks'])} tasks, {targets['cells']} cells)"


def targets_table(view: dict[str, Any]) -> list[str]:
    """The targets of one adaptive row, test set beside tuning set (the sets the sweep has cells of)."""
    t = view["targets"]
    return targets_columns([(set_header(s, t[s]), t[s]) for s in heldout.SETS if t[s]["cells"]])


def targets_columns(cols: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    """Targets (a)–(e), one column per ``(header, targets)`` (:func:`warmup_bench.heldout.targets`)."""
    rows = ["| target | " + " | ".join(head for head, _ in cols) + " |", "|---" + "|---" * len(cols) + "|"]

    def line(name: str, fn: Any) -> None:
        rows.append(f"| {name} | " + " | ".join(fn(t) for _, t in cols) + " |")

    line("cells within ±1 % / >1 % better / >1 % worse than the oracle",
         lambda x: f"{x['classes']['within']} / {x['classes']['better']} / {x['classes']['worse']}")
    line("(a) never stuck/diverged where a fixed warmup trains",
         lambda x: f"{_yes(x['a_met'])} (violations: {_list(x['a_violations'])})")
    line("(b) never >1 % worse than HF `linear` 10 %",
         lambda x: f"{_yes(x['b_met'])} (violations: {_list(x['b_violations'])})")
    line("(c) ≥ 80 % of cells within 1 % of the oracle or better",
         lambda x: f"{_yes(x['c_met'])} ({100 * (x['c_share'] or 0):.0f} %)")
    line("(d) at each task's best LR, within 1 % of the best fixed (LR, W)",
         lambda x: f"{_yes(x['d_met'])} ({len(x['d_met_tasks'])}/{x['d_tasks']} tasks)")
    line("(e) the same task at T and 10·T: (a)–(c) at both", lambda x: (
        "; ".join(f"{_yes(all(p['abc_met'].values()))}: {p['short']} / {p['long']}, mean warmup "
                  f"{_steps(p['mean_warmup'][p['short']])} → {_steps(p['mean_warmup'][p['long']])} steps "
                  f"(×{p['warmup_ratio'] or float('nan'):.1f}), end reasons {'/'.join(p['end_reasons'][p['short']])} "
                  f"→ {'/'.join(p['end_reasons'][p['long']])}" for p in x["e_pairs"]) or "no pair in this set"))
    line("families / long runs", lambda x: f"{', '.join(x['families'])} / {_list(x['long_tasks'])}")
    return rows


def _steps(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}"


def cells_table(view: dict[str, Any], set_name: str) -> list[str]:
    return cells_lines([r for r in view["cells"] if r["set"] == set_name])


def warmup_ends_text(cell: dict[str, Any]) -> str:
    """``690 (stable), 700 (edge)``: a cell's warmup length and end reason per seed."""
    pairs = zip(cell["warmup_steps"], cell["end_reasons"])
    return ", ".join(f"{'–' if s is None else s} ({e or '–'})" for s, e in pairs)


def cells_lines(cells: Sequence[dict[str, Any]]) -> list[str]:
    """A table of held-out cell rows (:func:`warmup_bench.heldout.cell_rows`), one line each."""
    rows = ["| task | T | LR | oracle W | gap to oracle | vs HF 10 % | seed spread | D/S | warmup (end) | LR reached |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in cells:
        ends = warmup_ends_text(r)
        reached = ", ".join("–" if x is None else f"{x:.2g}" for x in r["lr_reached"])
        hf = "–" if r["gap_hf_pct"] is None else f"{r['gap_hf_pct']:+.1f} %"
        rows.append(f"| {r['task']} | {r['T']} | {r['lr']:g} | {r['oracle_W']} | {r['gap_pct']:+.1f} % ({r['class']}) "
                    f"| {hf} | ±{r['spread_pct']:.1f} % | {r['n_diverged']}/{r['n_stuck']} | {ends} | {reached} |")
    return rows


def best_table(view: dict[str, Any], set_name: str) -> list[str]:
    rows = ["| task | best fixed (LR, W) | gap at that LR | adaptive's own best LR: gap |", "|---|---|---|---|"]
    for b in view["best_lr"]:
        if b["set"] != set_name:
            continue
        at = "–" if b["gap_at_best_lr_pct"] is None else f"{b['gap_at_best_lr_pct']:+.1f} %"
        rows.append(f"| {b['task']} | {b['best_lr']:g}, `{b['best_arm']}` | {at} | {b['own_best_lr']:g}: "
                    f"{b['gap_own_best_pct']:+.1f} % |")
    return rows


def heldout_markdown(sets: dict[str, Any]) -> list[str]:
    """The held-out sections of a report: per adaptive row, the targets and the cells of each set."""
    lines: list[str] = []
    for label, view in sets.items():
        lines += ["", f"## Held-out split: `{label}`, test set beside tuning set", "",
                  "Split: `docs/benchmark/split.json`. Targets of issue 17; D/S = diverged/stuck runs; warmup: "
                  "`warmup_end_step` per seed and its end reason; LR reached = `peak_fraction` × peak LR.", ""]
        lines += targets_table(view)
        for s in heldout.SETS:
            if any(r["set"] == s for r in view["cells"]):
                lines += ["", f"### `{label}`: {s} set, per cell", ""] + cells_table(view, s)
                lines += ["", f"### `{label}`: {s} set, at each task's best LR", ""] + best_table(view, s)
    return lines


# ---------------------------------------------------------------------------------------------------------------
# overhead (scripts/bench_overhead.py)
# ---------------------------------------------------------------------------------------------------------------
OVERHEAD_DIR = "docs/overhead"
OVERHEAD_MAIN = f"{OVERHEAD_DIR}/cpu_results.json"  # today's run: the README's figures
GPU_CHECK_CPU = f"{OVERHEAD_DIR}/gpu_check_cpu.json"


def run_label(row: dict[str, Any]) -> str:
    """``llama-10M, T=300 (check_interval 6)``: a full-step row and the run length whose default interval it used."""
    t = row.get("run_steps")
    return row["model"] + (f", T={t} (check_interval {row['check_interval']})" if t else "")


def control_cell(ctl: dict[str, Any] | None, clock: str) -> str:
    if ctl is None:
        return "not run"
    c = ctl[clock]
    return f"{ratio(c['paired_ratio_median'])} [{ratio(min(c['paired_ratios']))}, {ratio(max(c['paired_ratios']))}]"


def check_cell(m: dict[str, Any]) -> str:
    return f"{ms(m['check_s'])} ms / {ms(m['optimizer_step_s'])} ms = {100 * m['check_over_optimizer_step']:.2g} %"


@figure("overhead")
def render_overhead(root: Path) -> str:
    """The README's overhead summary: the full step at two run lengths with the A/A control, one check by model
    size, the scheduler state and the peak RSS."""
    main = load(root, OVERHEAD_MAIN)
    ctl = controls(main)
    verdict = {v["model"]: v for v in main["noise_verdicts"]}
    load_avg = main["machine"].get("load_average_start")
    lines = [
        f"Machine: {machine_text(main)}; clock: process CPU time"
        + (f"; load average {load_avg[0]:.1f} at the start, {main['load_average_end'][0]:.1f} at the end"
           if load_avg and main.get("load_average_end") else "")
        + f". Results file and the command that wrote it: `{OVERHEAD_MAIN}`: `{main['command']}`",
        "",
        "| run (adaptive arm's default `check_interval`) | full train step, median paired ratio adaptive / `linear` "
        "[q25, q75] | same procedure, `linear` / `linear` (A/A control): median [min, max] | ratio vs the A/A "
        "range | from the measured components |",
        "|---|---|---|---|---|",
    ]
    for r in main["full_step"]:
        q = r[r["primary_clock"]]["paired_ratio_quantiles"]
        lines.append(f"| {run_label(r)} | {ratio(r['paired_ratio_median'])} [{ratio(q['q25'])}, {ratio(q['q75'])}] | "
                     f"{control_cell(ctl.get(r['model']), r['primary_clock'])} | "
                     f"{verdict[run_label(r)]['position']} | **{r['component_estimate_ratio']:.4f}** |")
    lines += ["", "One `check()` against one `optimizer.step()` on the same AdamW state, by model size:", "",
              "| model | one `check()` / one `optimizer.step()` | host reads (GPU syncs) per check |", "|---|---|---|"]
    lines += [f"| {m['model']} ({mparams(m['params'])} params) | {check_cell(m)} | {m['host_reads_per_check']} |"
              for m in main["monitor"]]
    lines += ["", "Verdicts on the full-step ratio, each from the A/A control of the same run:", ""]
    lines += [f"- {v['text']}" for v in main["noise_verdicts"]]
    target = main["verdicts"]["component_estimate_le_1.005"]
    margin = 100 * (main["noise_verdicts"][0]["target_ratio"] - 1)
    lines += ["", f"Target, a full step at most {margin:.1f} % slower than with `linear` (judged on the component "
                  "estimate where the A/A noise is wider than that): " + "; ".join(
                      f"{'met' if target[run_label(r)] else '**missed**'} for {run_label(r)} "
                      f"({r['component_estimate_ratio']:.4f})" for r in main["full_step"]) + "."]
    small, wide = main["state"][0], main["state"][-1]
    same = small["monitor_state_bytes"] == wide["monitor_state_bytes"]
    lines += [
        "",
        f"Scheduler state at two widths of the same depth ({small['depth']} layers, {mparams(small['params'])} and "
        f"{mparams(wide['params'])} params): `monitor.state_bytes()` = {nbytes(small['monitor_state_bytes'])} and "
        f"{nbytes(wide['monitor_state_bytes'])} ({'the same' if same else 'different'}), saved `state_dict` "
        f"{nbytes(small['adaptive_state_dict_bytes'])} and {nbytes(wide['adaptive_state_dict_bytes'])} (`linear`: "
        f"{nbytes(small['linear_state_dict_bytes'])}).",
    ]
    summary = main.get("memory_summary")
    if summary:
        reps = main["memory"]
        n = len([r for r in reps if r["arm"] == "linear"])
        spread = max(summary["spread_within_arm_mib"].values())
        lines.append(
            f"Peak RSS over {reps[0]['steps']} training steps of {reps[0]['model']}, median of {n} child processes "
            f"per arm: `linear` {summary['linear_mib']:.1f} MiB, adaptive {summary['adaptive_mib']:.1f} MiB "
            f"(difference {summary['difference_mib']:+.1f} MiB; spread between repetitions of one arm up to "
            f"{spread:.1f} MiB)."
        )
    return "\n".join(lines)


@figure("overhead-files")
def render_overhead_files(root: Path) -> str:
    """docs/overhead/README.md: one row per results file, with its command, machine and run time."""
    lines = ["| file | command | models (A/A control) | machine | load average at start | run time |",
             "|---|---|---|---|---|---|"]
    res = load(root, OVERHEAD_MAIN)
    ctl = controls(res)
    models = ", ".join(dict.fromkeys(f"{r['model']} ({mparams(r['params'])}{', A/A' if r['model'] in ctl else ''})"
                                     for r in res["full_step"]))
    load_avg = res["machine"].get("load_average_start")
    load_text = f"{load_avg[0]:.1f}" if load_avg else "n/a"
    lines.append(f"| `{Path(OVERHEAD_MAIN).stem}.*` | `{res['command']}` | {models} | {machine_text(res)} | "
                 f"{load_text} | {res['wall_s'] / 60:.1f} min |")
    g = load(root, GPU_CHECK_CPU)
    lines.append(f"| `{Path(GPU_CHECK_CPU).stem}.*` | `{g['command']}` | gpu_check without CUDA: 2 gloo ranks, a tiny "
                 f"smoke run of parts 1 and 2 | {machine_text(g)} | n/a | n/a |")
    return "\n".join(lines)


@figure("overhead-results")
def render_overhead_results(root: Path) -> str:
    """docs/overhead/README.md: every full-step row, with quantiles, control and components; every check timing."""
    lines = ["| run | batch x seq | trials x steps | linear step | adaptive / linear, median paired ratio [q25, q75] | "
             "A/A control [min, max] | `scheduler.step()` linear / adaptive (no check) | component estimate (cost "
             "per step) |", "|---|---|---|---|---|---|---|---|"]
    res = load(root, OVERHEAD_MAIN)
    ctl, mon = controls(res), by_model(res["monitor"])
    for r in res["full_step"]:
        clock, m = r["primary_clock"], mon[r["model"]]
        q = r[clock]["paired_ratio_quantiles"]
        s = m["scheduler_step_no_check_s"]
        lines.append(
            f"| {run_label(r)}, {mparams(r['params'])} | {r['batch']} x {r['seq']} | {r['trials']} x "
            f"{r['steps_per_trial']} | {ms(r['linear_step_s'])} ms | {ratio(r['paired_ratio_median'])} "
            f"[{ratio(q['q25'])}, {ratio(q['q75'])}] | {control_cell(ctl.get(r['model']), clock)} | "
            f"{s['linear'] * 1e6:.1f} / {s['adaptive'] * 1e6:.1f} µs | {r['component_estimate_ratio']:.4f} "
            f"({ms(r['component_overhead_s_per_step'])} ms) |"
        )
    lines += ["", "| model | `check()` / `optimizer.step()` | torch calls per check | host reads per check |",
              "|---|---|---|---|"]
    lines += [f"| {m['model']} ({mparams(m['params'])}) | {check_cell(m)} | {m['torch_calls_per_check']} | "
              f"{m['host_reads_per_check']} ({', '.join(m['host_reads_per_check_ops'])}) |" for m in res["monitor"]]
    lines += ["", "Verdicts, each from the A/A control of the same run (`noise_verdicts` in the json):", ""]
    lines += [f"- {v['text']}" for v in res["noise_verdicts"]]
    return "\n".join(lines)


@figure("overhead-state")
def render_overhead_state(root: Path) -> str:
    main = load(root, OVERHEAD_MAIN)
    lines = [f"From `{OVERHEAD_MAIN}` (`{main['command']}`):", "",
             "| width | depth | params | `monitor.state_bytes()` | `torch.save(state_dict)` adaptive | sum | linear |",
             "|---|---|---|---|---|---|---|"]
    for r in main["state"]:
        lines.append(f"| {r['width']} | {r['depth']} | {mparams(r['params'])} | {nbytes(r['monitor_state_bytes'])} | "
                     f"{nbytes(r['adaptive_state_dict_bytes'])} | {nbytes(r['adaptive_total_bytes'])} "
                     f"({r['adaptive_total_bytes'] / 1024:.1f} KiB) | {nbytes(r['linear_state_dict_bytes'])} |")
    v = main["verdicts"]
    lines += ["", f"Same at both widths: {v['state_independent_of_width']}; under 64 KiB: {v['state_le_64KiB']}."]
    return "\n".join(lines)


@figure("overhead-memory")
def render_overhead_memory(root: Path) -> str:
    res = load(root, OVERHEAD_MAIN)
    s = res["memory_summary"]
    reps = [r for r in res["memory"] if r["arm"] == "linear"]
    spread = s["spread_within_arm_mib"]
    return "\n".join([
        "| run | model, steps, child processes per arm | linear | adaptive | difference | spread within an arm "
        "(linear / adaptive) |", "|---|---|---|---|---|---|",
        f"| `{Path(OVERHEAD_MAIN).stem}` | {reps[0]['model']}, {reps[0]['steps']} steps, {len(reps)} | "
        f"{s['linear_mib']:.1f} MiB | {s['adaptive_mib']:.1f} MiB | {s['difference_mib']:+.1f} MiB | "
        f"{spread['linear']:.1f} / {spread['adaptive']:.1f} MiB |"])


GPU_CHECK = f"{OVERHEAD_DIR}/gpu_check.json"


@figure("overhead-gpu")
def render_overhead_gpu(root: Path) -> str:
    """The CUDA run of ``scripts/gpu_check.py``: full step, one check, host syncs per check."""
    g = load(root, GPU_CHECK)
    f, m, syncs = g["full_step"], g["full_step"]["monitor"], g["syncs"]
    q = f[f["primary_clock"]]["paired_ratio_quantiles"]
    per_step = m["check_s"] / f["check_interval"] / f["linear_step_s"]
    return (f"From `{GPU_CHECK}` (`{g['command']}`; {g['machine']['gpu']}, torch {g['machine']['torch']}, "
            f"transformers {g['machine']['transformers']}): {f['model']} ({f['params'] / 1e9:.2f} B params), "
            f"{f['dtype'].removeprefix('torch.')}, {f['optimizer']}, batch {f['batch']} x {f['seq']}, a check every "
            f"{f['check_interval']} steps. Full step, {f['primary_clock']} clock: `linear` "
            f"{ms(f['linear_step_s'])} ms, "
            f"median paired ratio adaptive / `linear` {ratio(f['paired_ratio_median'])} [{ratio(q['q25'])}, "
            f"{ratio(q['q75'])}] over {f['trials']} blocks (no A/A control in this run). One `check()` "
            f"{ms(m['check_s'])} ms against one `optimizer.step()` {ms(m['optimizer_step_s'])} ms: "
            f"{100 * per_step:.2g} % of a step at this interval. Host-device synchronisations inside "
            f"`scheduler.step()`: {syncs['scheduler_syncs_per_check']:g} per check, "
            f"{syncs['linear']['scheduler_syncs_total']} "
            f"for `linear` (CUDA sync debug mode, {syncs['adaptive']['window_steps']} steps).")


@figure("overhead-gpu-check")
def render_gpu_check(root: Path) -> str:
    g = load(root, GPU_CHECK_CPU)
    rk = g["ranks"]
    lines = [f"From `{GPU_CHECK_CPU}` (`{g['command']}`): `accelerate launch --multi_gpu --num_processes "
             f"{rk['world_size']}` started {rk['world_size']} {rk['backend']} ranks "
             f"({'ok' if rk['ok'] else 'FAILED'}).",
             ""]
    for mode, r in rk["modes"].items():
        lines.append(f"- `{mode}`: {r['steps']} steps; LR identical on every rank at every step: {r['lr_identical']}; "
                     f"warmup end step per rank {r['warmup_end_step']} ({r['end_reason']}), {r['checks']} checks.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# the demo (scripts/demo.py) and the model cards (scripts/make_cards.py)
# ---------------------------------------------------------------------------------------------------------------
DEMO = "docs/demo/results.json"
CARD_NAMES = ("kjv-char-gpt2-adaptive-warmup", "minilm-tweet-sentiment-adaptive-warmup")
USER_REPORT = "docs/img/user_script_warmup.json"


def minutes(seconds: float) -> str:
    """``1 min 39 s`` (or ``23 s``)."""
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s} s" if m else f"{s} s"


def span(values: list[float] | None, digits: int = 2) -> str:
    return "not measured" if not values else f"{values[0]:.{digits}g} to {values[1]:.{digits}g}"


def end_text(run: dict[str, Any], fraction: float | None) -> str:
    """``step 32 of 63 (`bound`, at the peak LR)`` from a run's ``warmup_end_step``, ``num_training_steps`` and
    ``end_reason``; at the edge, the fraction of the peak reached."""
    end, total = run["warmup_end_step"], run["num_training_steps"]
    if end is None:
        return f"not ended by step {total}"
    at = "at the peak LR" if fraction is None or fraction >= 1 else f"at {fraction:.2g} of the peak LR"
    return f"step {end} of {total} (`{run['end_reason']}`, {at})"


@figure("demo")
def render_demo(root: Path) -> str:
    """The README's demo figures: wall time, accuracy, the warmup end and the signals over the checks."""
    d = load(root, DEMO)
    load_avg = d["load_average_start"][0]
    return (f"From `{DEMO}` (`{d['command']}`, commit `{d['provenance']['commit']}`): {minutes(d['wall_time_s'])} "
            f"of wall time for `scripts/demo.py` (venv already built; {d['cpu_count']} CPU cores, load average "
            f"{load_avg:.1f} at the start: the machine was shared); accuracy {d['eval_accuracy']:.3f} (macro-F1 "
            f"{d['eval_f1_macro']:.3f}) on {d['eval_samples']:,} held-out tweets after training on "
            f"{d['train_samples']:,}; warmup ended at "
            f"{end_text(d, d['peak_fraction'])}. "
            f"Over its {d['n_checks']} checks (every {d['check_interval']} step(s)) `Ŝ` ran from "
            f"{span(d['statistic_range'])} and the coherence φ from {span(d['coherence_range'])}. The CPU fine-tune "
            "is not bit-reproducible: a rerun gives a slightly different accuracy, and the warmup can end elsewhere: "
            f"over {d['num_training_steps']} steps `Ŝ` moves around its threshold, so one run reaches the peak and "
            "ends `stable`, another is slowed and ends at the bound.")


@figure("cards")
def render_cards(root: Path) -> str:
    """The README's model cards and user-script figure: each run's command, wall time and warmup end."""
    lines = ["| figure | command | wall time | warmup end | result |", "|---|---|---|---|---|"]
    for name in CARD_NAMES:
        summ = load(root, f"model_cards/{name}.summary.json")
        report = json.loads((root / f"model_cards/{name}.warmup.json").read_text())
        result = (f"accuracy {summ['eval_accuracy']:.3f} on {summ['eval_samples']:,} held-out tweets"
                  if summ.get("eval_accuracy") is not None else f"eval loss {summ['eval_loss']:.3f}")
        lines.append(f"| `model_cards/{name}.png` | `{summ['command']}` | {minutes(summ['make_cards_wall_s'])} | "
                     f"{end_text(summ, report.get('peak_fraction'))} | {result} |")
    user = load(root, USER_REPORT)
    lines.append(f"| `docs/img/user_script_warmup.png` | `{user['command']}` | {minutes(user['make_cards_wall_s'])} | "
                 f"{end_text(user, user.get('peak_fraction'))} | report `{USER_REPORT}` |")
    return "\n".join(["Run by `make cards`; each summary records its command, wall time and provenance:", "", *lines])


# ---------------------------------------------------------------------------------------------------------------
#: the headline: every test task held out from the current default (rounds 4, 5 and 6), full mode
HELDOUT_TEST = "docs/benchmark/round6_test.json"
ROUND5_TEST = "docs/benchmark/round5_test.json"  # rounds 4 and 5's test sets (their runs are in the headline's)
HELDOUT_TUNING = "docs/benchmark/round4_tuning.json"  # round 4's tuning tasks in full mode
ROUND4_TEST = "docs/benchmark/round4_test.json"  # round 4's test set as first measured (its runs are in the headline's)
ROUND3_TEST = "docs/benchmark/round3_test.json"  # round 3's test set (resmlp_short, resmlp_long among them)
HELDOUT_FILES = (HELDOUT_TEST, HELDOUT_TUNING, ROUND5_TEST, ROUND4_TEST, ROUND3_TEST,
                 "docs/benchmark/round3_tuning.json",
                 "docs/benchmark/round3_test_edge_off.json",
                 "docs/benchmark/round2_test.json", "docs/benchmark/round2_tuning.json",
                 "docs/benchmark/heldout_test_full.json",
                 "docs/benchmark/heldout_full_partial.json", "docs/benchmark/heldout_test_edge_off.json",
                 "docs/benchmark/heldout_bound.json")
DEFAULT_ROW = "adaptive_warmup"


@figure("headline")
def render_headline(root: Path) -> str:
    """The README's headline: ``adaptive_warmup`` with its defaults, targets (a)–(e) on the test set (its full-mode
    file) beside the tuning set (the full-mode file of the tuning tasks)."""
    test, tuning = load(root, HELDOUT_TEST), load(root, HELDOUT_TUNING)
    cols = [(f"{set_header(name, t)}: `{Path(rel).name}`", t) for name, rel, t in (
        ("test", HELDOUT_TEST, test["sets"][DEFAULT_ROW]["targets"]["test"]),
        ("tuning", HELDOUT_TUNING, tuning["sets"][DEFAULT_ROW]["targets"]["tuning"]))]
    meta = test["meta"]
    return "\n".join([
        f"`{DEFAULT_ROW}` with its defaults against the per-LR oracle (the best fixed `linear_warmup` of the W grid "
        f"{{{grid_text(meta['grid'])}}} % of T on the test set, "
        f"{{{grid_text(tuning['meta']['grid'])}}} % on the tuning set) and HF `linear` "
        f"10 %, full mode, {seeds_text(meta['seeds'], tuning['meta']['seeds'])}{fewer_seeds_text(test)}"
        f"{fewer_seeds_text(tuning)}; every cell and the method: "
        "[`docs/benchmark/`](docs/benchmark/README.md). Results files and the commands that wrote them:", "",
        *(f"- `{rel}`: `{res['meta']['command']}`{sources_text(res['meta'])}"
          for rel, res in ((HELDOUT_TEST, test), (HELDOUT_TUNING, tuning))),
        "", *targets_columns(cols), "",
        "Against HF `linear` 10 % instead of the oracle, cells >1 % better / within ±1 % / >1 % worse: "
        f"test set {hf_classes(test, 'test')}, tuning set {hf_classes(tuning, 'tuning')}.", "",
        "The test set by the round that added its tasks:", "", *rounds_table(test), "",
        "The test cells more than 1 % worse than the oracle, worst first:", "",
        *cells_lines(sorted((c for c in test["sets"][DEFAULT_ROW]["cells"] if c["set"] == "test"
                             and c["class"] == "worse"), key=lambda c: -c["gap_pct"]))])


def rounds_table(res: dict[str, Any]) -> list[str]:
    """The default's test cells of ``res`` split by the round whose test set each task was added for
    (``split.json``'s ``round``): the classes and (a)–(c) of each round's tasks alone."""
    split = heldout.load_split()
    cells = [c for c in res["sets"][DEFAULT_ROW]["cells"] if c["set"] == "test"]
    rounds = sorted({split["tasks"][c["task"]]["round"] for c in cells})
    lines = ["| round | tasks | cells within ±1 % / >1 % better / >1 % worse | (a) violations | (b) violations | (c) |",
             "|---|---|---|---|---|---|"]
    for r in rounds:
        mine = [c for c in cells if split["tasks"][c["task"]].get("round") == r]
        x = heldout.abc_targets(mine)
        tasks = ", ".join(f"`{t}`" for t in dict.fromkeys(c["task"] for c in mine))
        classes = " / ".join(str(x["classes"][k]) for k in ("within", "better", "worse"))
        lines.append(f"| {r} | {tasks} | {classes} | {_list(x['a_violations'])} | {_list(x['b_violations'])} | "
                     f"{100 * x['c_share']:.0f} % |")
    return lines


def seeds_text(test: Sequence[int], tuning: Sequence[int]) -> str:
    """``seeds 0, 1`` when both sets ran the same seeds, else each set's."""
    if list(test) == list(tuning):
        return f"seeds {', '.join(map(str, test))}"
    return f"seeds {', '.join(map(str, test))} on the test set, {', '.join(map(str, tuning))} on the tuning set"


def fewer_seeds_text(res: dict[str, Any]) -> str:
    """`` (minilm_verses: 2 seeds)``: the tasks of a results file with fewer seeds in every cell than the file
    names (empty when every task has them all)."""
    short = {task: max(c.get("n_seeds", 0) for c in arms.values()) for task, arms in res["cells"].items()}
    short = {task: n for task, n in short.items() if n < len(res["meta"]["seeds"])}
    return f" ({', '.join(f'{t}: {n} seeds' for t, n in short.items())})" if short else ""


def sources_text(meta: dict[str, Any]) -> str:
    """Where a ``--report_only --any_source`` report took its runs from (empty for a report of its own runs)."""
    sources = meta.get("sources_reported")
    if not sources:
        return ""
    return (" (runs reported from " + ", ".join(f"`{s}`" for s in sources)
            + ": a source hash names an hf_warmup source, `from:FILE` a committed results file)")


def hf_classes(res: dict[str, Any], set_name: str) -> str:
    """``14 / 3 / 3``: the default's cells of ``set_name`` by their gap to ``hf_linear(10%)``."""
    gaps = [c["gap_hf_pct"] for c in res["sets"][DEFAULT_ROW]["cells"] if c["set"] == set_name]
    counts = [sum(heldout.gap_class(g) == k for g in gaps) for k in ("better", "within", "worse")]
    return " / ".join(map(str, counts))


EDGE_PATIENCE = "docs/benchmark/edge_patience.json"  # round 1: edge_patience 2 (the ramp climbing) vs 1
EDGE_HOLD = "docs/benchmark/edge_hold.json"  # round 2: edge_patience 2 with the LR held vs 1
ROUND4_VARIANTS = "docs/benchmark/round4_variants.json"  # round 4: edge_patience 4 and 8 (pause at the edge) vs 2


def grid_text(grid: Sequence[float]) -> str:
    """A W grid as percentages of T: ``0, 2.5, 10, 25``."""
    return ", ".join(f"{100 * g:g}" for g in grid)


def file_header(rel: str, res: dict[str, Any]) -> str:
    """The line that names a results file in the docs: mode, seeds (and any task with fewer), W grid, machine and
    libraries, its command."""
    meta = res["meta"]
    return (f"`{rel}` ({meta['mode']} mode, seeds {', '.join(map(str, meta['seeds']))}{fewer_seeds_text(res)}, W grid "
            f"{{{grid_text(meta['grid'])}}} % of T; {meta['machine']}{libraries_text(meta)}): `{meta['command']}`")


def libraries_text(meta: dict[str, Any]) -> str:
    """``, torch 2.13.0+cpu, transformers 5.25.0, accelerate 1.16.0``: the libraries of the invocation that ran the
    report's last runs (empty for older files and for reports of earlier runs only)."""
    return "".join(f", {name} {v}" for name, v in meta.get("libraries", {}).items())


def variants_block(root: Path, rel: str) -> str:
    """Each adaptive row of a tuning-set sweep in its own column, targets (a)–(e) on the tuning set."""
    res = load(root, rel)
    meta = res["meta"]
    cols = [(f"`{label}`: {set_header('tuning', view['targets']['tuning'])}", view["targets"]["tuning"])
            for label, view in res["sets"].items()]
    return "\n".join([f"`{rel}` ({meta['mode']} mode, seeds {', '.join(map(str, meta['seeds']))}; "
                      f"{meta['machine']}): `{meta['command']}`", "", *targets_columns(cols)])


@figure("edge-patience")
def render_edge_patience(root: Path) -> str:
    """docs/benchmark/README.md: ``edge_patience`` 2 beside the then default 1 (round 1's tuning tasks)."""
    return variants_block(root, EDGE_PATIENCE)


@figure("edge-hold")
def render_edge_hold(root: Path) -> str:
    """docs/benchmark/README.md: ``edge_patience`` 2 with ``edge_wait`` hold beside the then default (round 2)."""
    return variants_block(root, EDGE_HOLD)


ROUND5_CANDIDATE = "docs/benchmark/round5_candidate.json"  # round 5: max_warmup_horizons 10 beside the default


def candidate_decision(default: dict[str, Any], candidate: dict[str, Any], *,
                       b_in_all: bool = False) -> tuple[bool, str]:
    """A round's committed rule (``split.json``'s ``rounds``) on the cells the candidate can change: no (a)
    violation the default does not have, strictly more cells within 1 % of the oracle or better, and for (b) no
    violation the default lacks (round 5) or, with ``b_in_all``, no more violations in all (round 6)."""
    new_a = sorted(set(candidate["a_violations"]) - set(default["a_violations"]))
    mine, theirs = (round(t["c_share"] * t["cells"]) for t in (candidate, default))
    if b_in_all:
        b_mine, b_theirs = len(candidate["b_violations"]), len(default["b_violations"])
        b_ok, b_text = b_mine <= b_theirs, f"(b) violations {b_mine} against the default's {b_theirs}"
    else:
        new_b = sorted(set(candidate["b_violations"]) - set(default["b_violations"]))
        b_ok, b_text = not new_b, f"new (b) violations {_list(new_b)}"
    met = not new_a and b_ok and mine > theirs
    return met, (f"rule {'met' if met else 'not met'}: new (a) violations {_list(new_a)}, {b_text}, cells within "
                 f"1 % or better {mine} against the default's {theirs}")


def side_by_side_lines(default: Sequence[dict[str, Any]], candidate: Sequence[dict[str, Any]], label: str) -> list[str]:
    """One row per (task, LR): the default's gap and warmup beside the candidate's."""
    theirs = {(c["task"], c["lr"]): c for c in default}
    rows = [f"| task | LR | oracle W | default: gap to oracle | default: warmup (end) | `{label}`: gap to oracle "
            f"| `{label}`: warmup (end) |", "|---|---|---|---|---|---|---|"]

    def gap(c: dict[str, Any]) -> str:
        return f"{c['gap_pct']:+.1f} % ({c['class']}{', stuck' if c['n_stuck'] else ''})"

    for c in sorted(candidate, key=lambda c: (c["task"], c["lr"])):
        d = theirs[(c["task"], c["lr"])]
        rows.append(f"| {c['task']} | {c['lr']:g} | {c['oracle_W']} | {gap(d)} | {warmup_ends_text(d)} | {gap(c)} "
                    f"| {warmup_ends_text(c)} |")
    return rows


ROUND6_CANDIDATE = "docs/benchmark/round6_candidate.json"  # round 6: edge_restarts 1 beside the default


@figure("round5-candidate")
def render_round5_candidate(root: Path) -> str:
    """docs/benchmark/README.md: round 5's candidate beside the default on the tuning tasks it changes."""
    return candidate_block(root, ROUND5_CANDIDATE, candidate_decision)


@figure("round6-candidate")
def render_round6_candidate(root: Path) -> str:
    """docs/benchmark/README.md: round 6's candidate beside the default in the cells it can change."""
    return candidate_block(root, ROUND6_CANDIDATE, functools.partial(candidate_decision, b_in_all=True))


def candidate_block(root: Path, rel: str,
                    decide: Callable[[dict[str, Any], dict[str, Any]], tuple[bool, str]]) -> str:
    """A candidate beside the default on the cells it can change, both run on one machine, against the committed
    fixed arms: targets (a)–(c) over those cells (whatever set each task is in), the round's rule, each cell."""
    res = load(root, rel)
    views = list(res["sets"].items())
    (_, base), (label, cand) = views[0], views[1]
    totals = [(f"`{name}` ({len(view['cells'])} cells)", heldout.abc_targets(view["cells"])) for name, view in views]
    _, verdict = decide(totals[0][1], totals[1][1])
    rows = ["| target | " + " | ".join(head for head, _ in totals) + " |", "|---" * (len(totals) + 1) + "|"]
    for name, fn in (("cells within ±1 % / >1 % better / >1 % worse than the oracle",
                      lambda t: f"{t['classes']['within']} / {t['classes']['better']} / {t['classes']['worse']}"),
                     ("(a) stuck/diverged where a fixed warmup trains", lambda t: _list(t["a_violations"])),
                     ("(b) >1 % worse than HF `linear` 10 %", lambda t: _list(t["b_violations"])),
                     ("(c) within 1 % of the oracle or better", lambda t: f"{100 * (t['c_share'] or 0):.0f} %")):
        rows.append(f"| {name} | " + " | ".join(fn(t) for _, t in totals) + " |")
    return "\n".join([file_header(rel, res), "", *rows, "", f"**{verdict}.**", "",
                      *side_by_side_lines(base["cells"], cand["cells"], label)])


@figure("round4-variants")
def render_round4_variants(root: Path) -> str:
    """docs/benchmark/README.md: round 4's candidates, ``edge_patience`` 4 and 8, beside the default 2."""
    return variants_block(root, ROUND4_VARIANTS)


#: the length probes: (the probe's results file, the file with the same task at shorter lengths, those tasks)
LENGTH_PROBES = (("docs/benchmark/resmlp_30k.json", ROUND3_TEST, ("resmlp_short", "resmlp_long")),
                 ("docs/benchmark/prenorm_30k.json", HELDOUT_TUNING, ("prenorm_long",)))


def length_probe_lines(root: Path, rel: str, sibling_rel: str, sibling_tasks: Sequence[str]) -> list[str]:
    """One length probe's table: its 30,000-step cells beside the same task's shorter runs at the LRs it ran, then
    each adaptive variant the probe ran (``--extra_adaptive``) in a table of its own."""
    probe, other = load(root, rel), load(root, sibling_rel)
    mine = probe["sets"][DEFAULT_ROW]["cells"]
    lrs = sorted({c["lr"] for c in mine})
    siblings = [c for c in other["sets"][DEFAULT_ROW]["cells"] if c["task"] in sibling_tasks and c["lr"] in lrs]
    lengths = " and ".join(f"{t:,}" for t in sorted({c["T"] for c in siblings}))
    cells = sorted([*siblings, *mine], key=lambda c: (c["lr"], c["T"]))
    variants = [[f"`{label}` on the same {view['cells'][0]['T']:,}-step runs:", "",
                 *cells_lines(sorted(view["cells"], key=lambda c: c["lr"]))]
                for label, view in probe["sets"].items() if label != DEFAULT_ROW]
    return [f"{file_header(rel, probe)}; the {lengths}-step rows from `{sibling_rel}` (its W grid "
            f"{{{grid_text(other['meta']['grid'])}}} % of T, seeds {', '.join(map(str, other['meta']['seeds']))}):",
            "", *cells_lines(cells), *(line for block in variants for line in ["", *block])]


@figure("length-probe")
def render_length_probe(root: Path) -> str:
    """docs/benchmark/README.md: each length probe, the same task at 30,000 steps and shorter, at the LRs the probe
    ran: the default's warmup, its end reason and the LR reached, its gap to that length's oracle and to HF
    `linear` 10 %."""
    blocks = [length_probe_lines(root, *probe) for probe in LENGTH_PROBES]
    return "\n\n".join("\n".join(lines) for lines in blocks)


SIGNALS_ROUND5 = "docs/benchmark/signals_round5.json"  # round 5: the signals probe on its plain-loop tuning tasks


@figure("signals-round5")
def render_signals_round5(root: Path) -> str:
    """docs/benchmark/README.md: eight statistics over the second half of a 10 % ramp, per cell of round 5's
    plain-loop tuning tasks, each cell labelled by the warmups within 1 % of its oracle, and which statistic a
    threshold could read to tell "longer" cells from "shorter" ones."""
    data = load(root, SIGNALS_ROUND5)
    lab = probe_labels(data)
    per_cell, separability = signals.summarize(data["runs"], lab)
    what = f"a linear ramp over W = {100 * data['ramp_fraction']:g} % of T, each run stopped at the ramp's end"
    return "\n".join([probe_header(SIGNALS_ROUND5, data, what), "",
                      f"Cells: {signals.label_counts(lab)}.", "", per_cell, "", separability])


SHARPNESS_ROUND5 = "docs/benchmark/sharpness_round5.json"  # round 5: Adam's preconditioned sharpness during the ramp


@figure("sharpness-round5")
def render_sharpness_round5(root: Path) -> str:
    """docs/benchmark/README.md: the share of Adam's stability limit the peak LR would use at the middle and the end
    of a 10 % ramp, per cell of round 5's plain-loop tuning tasks, and whether it tells "longer" cells from
    "shorter" ones."""
    data = load(root, SHARPNESS_ROUND5)
    lab = probe_labels(data)
    per_cell, separability = signals.summarize(data["runs"], lab, signals.SHARPNESS_STATS)
    what = (f"a linear ramp over W = {100 * data['ramp_fraction']:g} % of T, λ_max(P⁻¹H) at three steps around its "
            "middle and its last three")
    means = signals.cell_means(data["runs"], signals.SHARPNESS_STATS)

    def below_limit(name: str) -> str:
        qs = [m["q_end"] for key, m in means.items() if lab.get(key, {}).get("label") == name]
        return f"{sum(q < 1 for q in qs)} of the {len(qs)} \"{name}\" cells"

    return "\n".join([probe_header(SHARPNESS_ROUND5, data, what), "",
                      f"Cells: {signals.label_counts(lab)}. At the ramp's end the peak LR is within Adam's limit "
                      f"(q(1) < 1) in {below_limit(signals.LONGER)} and {below_limit(signals.SHORTER)}.", "",
                      per_cell, "", separability])


def probe_labels(data: dict[str, Any]) -> dict[tuple[str, float], dict[str, Any]]:
    """A probe results file's labels by (task, LR)."""
    return {(row["task"], float(row["lr"])): row for row in data["labels"]}


def probe_header(rel: str, data: dict[str, Any], what: str) -> str:
    """The line that names a probe results file: its seeds, ``what`` it ran, the label files, its command (and,
    for runs labelled again, the command that trained them)."""
    head = (f"`{rel}` (seeds {', '.join(map(str, data['seeds']))}, {what}; cells labelled from "
            + ", ".join(f"`{f}`" for f in data["labels_from"]) + ")")
    if "runs_from" in data:
        return (f"{head}: runs from `{data['runs_from']['command']}`, labelled again with "
                f"`{data['provenance']['command']}`")
    return f"{head}: `{data['provenance']['command']}`"


EDGE_LOSS_ROUND5 = "docs/benchmark/edge_loss_round5.json"  # round 5: the training loss where the default's edge ends


@figure("edge-loss-round5")
def render_edge_loss_round5(root: Path) -> str:
    """docs/benchmark/README.md: the default's runs that end at the edge on round 5's plain-loop tuning tasks, the
    loss statistics over the checks that found the edge, and whether they tell a cell where the edge paid from one
    where it cost."""
    data = load(root, EDGE_LOSS_ROUND5)
    return "\n".join([probe_header(EDGE_LOSS_ROUND5, data, "the default `adaptive_warmup` up to the end of its warmup"),
                      "", signals.edge_summary(data["runs"], probe_labels(data))])


ROUND5_FIXED = "docs/benchmark/round5_fixed.json"  # round 5's test tasks, fixed arms only, run while sealed


@figure("round5-repeat")
def render_round5_repeat(root: Path) -> str:
    """docs/benchmark/README.md: round 5's fixed arms as run while sealed (another install) against the same arms
    run again beside the default for the headline: how far each cell's mean moved and whether its oracle did."""
    before, after = load(root, ROUND5_FIXED), load(root, ROUND5_TEST)
    lines = ["| task | fixed-arm cells | mean moved by (median, largest) | cells whose oracle W is the same |",
             "|---|---|---|---|"]
    for task, cells in before["cells"].items():
        moved = [abs(heldout.pct_gap(after["cells"][task][key]["mean"], c["mean"])) for key, c in cells.items()
                 if c.get("mean") is not None]
        same = sum(o["arm"] == after["oracle"][task][lr]["arm"] for lr, o in before["oracle"][task].items())
        lines.append(f"| {task} | {len(moved)} | {statistics.median(moved):.2f} %, {max(moved):.1f} % | "
                     f"{same} of {len(before['oracle'][task])} |")
    return "\n".join([f"- {file_header(ROUND5_FIXED, before)}", f"- {file_header(ROUND5_TEST, after)}", "",
                      "Every fixed arm (the grid and HF `linear` 10 %) of the first file against the same arm of the "
                      "second, 4 seeds each:", "", *lines])


#: the held-out results files of the current default whose fixed arms the noise-floor block reads, with their set
NOISE_FILES = ((HELDOUT_TEST, "test"), (HELDOUT_TUNING, "tuning"), (ROUND3_TEST, "test"))


@figure("noise-floor")
def render_noise_floor(root: Path) -> str:
    """docs/benchmark/README.md and the README: what the seeds resolve of target (c), per held-out results file: the
    hindsight pick, the best single fixed W and W = 10 %, the default's (c), the oracle arm's seed spread."""
    lines = ["| results file (set) | cells | seeds | the W best on half of the seeds is within 1 % on the other half | "
             "best single fixed W: within 1 % | W = 10 %: within 1 % | `adaptive_warmup` (c): within 1 % or better | "
             "oracle arm's seed spread (median) |", "|---|---|---|---|---|---|---|---|"]
    for rel, set_name in NOISE_FILES:
        res = load(root, rel)
        floor = noise.seed_noise(res, set_name)
        shares = floor["fixed_within_pct"]
        best = max(shares, key=lambda w: (shares[w], -w))
        c_share = res["sets"][DEFAULT_ROW]["targets"][set_name]["c_share"]
        lines.append(f"| `{Path(rel).name}` ({set_name}) | {floor['cells']} | "
                     f"{len(res['meta']['seeds'])}{fewer_seeds_text(res)} | "
                     f"{floor['hindsight_pct']:.0f} % | "
                     f"W = {100 * best:g} %: {shares[best]:.0f} % (of {floor['fixed_cells'][best]}) | "
                     f"{shares.get(0.1, float('nan')):.0f} % | {100 * c_share:.0f} % | "
                     f"{floor['spread_median_pct']:.1f} % |")
    commands = [f"- `{rel}`: `{load(root, rel)['meta']['command']}`" for rel, _ in NOISE_FILES]
    return "\n".join([*lines, "", "The commands that wrote them:", "", *commands])


#: round 7: every test cell of the headline on seeds 4-7, each with the oracle arm committed in HELDOUT_TEST
FRESH = "docs/benchmark/round7_fresh.json"
#: the files the resolution blocks read: path, set, where the oracle arm was chosen
RESOLUTION_FILES = ((HELDOUT_TEST, "test", "the grid's best on these seeds"),
                    (FRESH, "test", f"`{Path(HELDOUT_TEST).name}`'s, chosen on seeds 0–3"),
                    (HELDOUT_TUNING, "tuning", "the grid's best on these seeds"))


def interval_text(pair: tuple[float, float, int] | None) -> str:
    """``+3.3 % [+1.2, +5.4]``: a paired gap with its 90 % interval."""
    if pair is None:
        return "–"
    gap, half, _ = pair
    return f"{gap:+.1f} % [{gap - half:+.1f}, {gap + half:+.1f}]"


@figure("fresh-seeds")
def render_fresh_seeds(root: Path) -> str:
    """README and docs/benchmark/README.md: per results file of the default, the gap classes by the means beside
    what the seeds resolve (paired 90 % intervals, :mod:`warmup_bench.resolution`), and (b)'s violations both
    ways; the test set on its own seeds and on round 7's fresh ones."""
    lines = ["| results file (set) | seeds | oracle arm | cells | by the means: within / better / worse, (c) | "
             "resolved: within / better / worse / unresolved | (c), the share shown within 1 % or better … not "
             "shown worse | (b) violations by the means | (b) violations resolved |",
             "|---|---|---|---|---|---|---|---|---|"]
    worse: list[str] = []
    for rel, set_name, chosen in RESOLUTION_FILES:
        res = load(root, rel)
        t = res["sets"][DEFAULT_ROW]["targets"][set_name]
        r = resolution.resolution(res, DEFAULT_ROW, set_name)
        by_means, k = t["classes"], r["classes"]
        name = f"`{Path(rel).name}` ({set_name})"
        lines.append(
            f"| {name} | {', '.join(map(str, res['meta']['seeds']))} | {chosen} | {r['cells']} | "
            f"{by_means['within']} / {by_means['better']} / {by_means['worse']}, {100 * t['c_share']:.0f} % | "
            f"{k['within']} / {k['better']} / {k['worse']} / {k['unresolved']} | "
            f"{100 * r['c_shown_share']:.0f} % … {100 * r['c_not_worse_share']:.0f} % | {len(r['b_violations'])} | "
            f"{len(r['b_resolved'])}: {_list(r['b_resolved'])} |")
        worse.append(f"- {name}: {_list(r['resolved_worse'])}")
    both = [{(r["task"], r["lr"]): r for r in resolution.paired_cells(load(root, rel), DEFAULT_ROW, "test")}
            for rel in (HELDOUT_TEST, FRESH)]

    def worse_on_both(ref: str) -> str:
        keys = [k for k, r in both[0].items() if k in both[1]
                and all(b[k][ref] is not None and b[k][ref][0] > WITHIN_PCT for b in both)]
        return _list([f"{task}@{lr:g}" for task, lr in keys])

    commands = [f"- `{rel}`: `{load(root, rel)['meta']['command']}`" for rel, _, _ in RESOLUTION_FILES]
    return "\n".join([*lines, "", "Cells the seeds resolve as more than 1 % worse than the oracle arm:", "", *worse,
                      "", "Test cells more than 1 % worse by the means on both sets of seeds (0–3 and 4–7): than the "
                      f"oracle arm, {worse_on_both('vs_oracle')}; than HF `linear` 10 %, {worse_on_both('vs_hf')}.",
                      "", "The commands that wrote the files:", "", *commands])


@figure("fresh-seeds-cells")
def render_fresh_seeds_cells(root: Path) -> str:
    """docs/benchmark/README.md: every test cell of the headline on its seeds 0-3 and on round 7's seeds 4-7, the
    gaps to the oracle arm and to HF ``linear`` 10 % with their paired 90 % intervals."""
    before = {(r["task"], r["lr"]): r for r in resolution.paired_cells(load(root, HELDOUT_TEST), DEFAULT_ROW, "test")}
    after = {(r["task"], r["lr"]): r for r in resolution.paired_cells(load(root, FRESH), DEFAULT_ROW, "test")}
    lines = ["| task | LR | oracle arm | gap to it, seeds 0–3 | gap to it, seeds 4–7 | vs HF 10 %, seeds 0–3 | "
             "vs HF 10 %, seeds 4–7 | warmup (end), seeds 4–7 |", "|---|---|---|---|---|---|---|---|"]
    for key, b in before.items():
        a = after.get(key)
        lines.append(f"| {b['task']} | {b['lr']:g} | `{b['oracle_arm']}` | {interval_text(b['vs_oracle'])} | "
                     f"{interval_text(a and a['vs_oracle'])} | {interval_text(b['vs_hf'])} | "
                     f"{interval_text(a and a['vs_hf'])} | {'–' if a is None else warmup_ends_text(a)} |")
    return "\n".join(lines)


#: round 7's diagnosis: the edge off beside the default on seeds 4-7, in the test cells where the default met it
EDGE_OFF = "docs/benchmark/round7_edge_off.json"
#: each variant a round measured beside the default, and its results file: the rounds' candidates, then round 7's
#: diagnosis
CANDIDATE_FILES = ((EDGE_HOLD, 'adaptive(edge_patience=2,edge_wait="hold")'),
                   (ROUND4_VARIANTS, "adaptive(edge_patience=4)"), (ROUND4_VARIANTS, "adaptive(edge_patience=8)"),
                   (ROUND5_CANDIDATE, "adaptive(max_warmup_horizons=10)"),
                   (ROUND6_CANDIDATE, "adaptive(edge_restarts=1)"), (EDGE_OFF, "adaptive(coherence_threshold=0)"))


@figure("candidates-paired")
def render_candidates_paired(root: Path) -> str:
    """docs/benchmark/README.md: each round's candidate, and round 7's edge-off diagnosis, against the default it ran
    beside, cell by cell over the same seeds (:func:`warmup_bench.resolution.versus`)."""
    lines = ["| results file | variant | seeds | cells | variant vs default, resolved: within ±1 % / >1 % better / "
             ">1 % worse / unresolved | resolved better | resolved worse |", "|---|---|---|---|---|---|---|"]
    for rel, label in CANDIDATE_FILES:
        res = load(root, rel)
        v = resolution.versus(res, label, DEFAULT_ROW)
        k = v["classes"]
        lines.append(f"| `{Path(rel).name}` | `{label}` | {', '.join(map(str, res['meta']['seeds']))} | {v['cells']} | "
                     f"{k['within']} / {k['better']} / {k['worse']} / {k['unresolved']} | {_list(v['better'])} | "
                     f"{_list(v['worse'])} |")
    files = dict.fromkeys(rel for rel, _ in CANDIDATE_FILES)
    commands = [f"- `{rel}`: `{load(root, rel)['meta']['command']}`" for rel in files]
    return "\n".join([*lines, "", "The commands that wrote the files:", "", *commands])


@figure("heldout")
def render_heldout(root: Path) -> str:
    """docs/benchmark/README.md: per held-out results file and adaptive row, targets (a)–(e) on the test set
    beside the tuning set, and each task at its best LR."""
    lines: list[str] = []
    for rel in HELDOUT_FILES:
        res = load(root, rel)
        lines += [file_header(rel, res), ""]
        for label, view in res["sets"].items():
            lines += [f"`{label}`:", "", *targets_table(view), ""]
            for set_name in ("test", "tuning"):
                if any(b["set"] == set_name for b in view["best_lr"]):
                    lines += [f"{set_name} set, each task at its best LR:", "", *best_table(view, set_name), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="do not write; exit 1 if a block differs")
    p.add_argument("--root", default=str(ROOT), help="repository root (default: this checkout)")
    args = p.parse_args(argv)
    root = Path(args.root)
    stale = 0
    for path in doc_files(root):
        text = path.read_text()
        if not blocks(text):
            continue
        new = render_text(text, root)
        if new == text:
            print(f"up to date: {path.relative_to(root)}")
            continue
        stale += 1
        if args.check:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                       str(path.relative_to(root)), "rendered"))
        else:
            path.write_text(new)
            print(f"rewrote {path.relative_to(root)}")
    return 1 if (args.check and stale) else 0
