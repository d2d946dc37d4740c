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
This module is the machinery (the registry, the blocks, staleness, the shared formatting and a sweep's tables); the
blocks themselves live by subject in ``render_results`` (the benchmark: headline, rounds, seeds, probes),
``render_overhead`` (the overhead page) and ``render_cards`` (the demo and the model cards), imported at the end
of this module so that importing it registers every block. Adding a figure block: write one function
``render_NAME(root) -> str`` in the module of its subject that reads the results json, decorate it with
``@figure("NAME")``, put the two marker lines where the block goes, and run this script. No torch import here:
reading json only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from warmup_bench import ROOT, heldout
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


def hosts_text(hosts: dict[str, Any] | None) -> str:
    """The hosts the finished runs were made on, and the cells that mix them (a report of older runs: none)."""
    if not hosts or not hosts["runs"]:
        return "Hosts of the runs: none recorded."
    named = "; ".join(f"{h} ({n} runs)" for h, n in sorted(hosts["runs"].items(), key=lambda kv: -kv[1]))
    mixed = hosts["mixed_cells"]
    return (f"Hosts of the runs: {named}. " + (f"**Cells whose runs come from more than one host** (their gaps "
            f"mix machines): {', '.join(mixed)}." if mixed else "No cell mixes recorded hosts."))


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


def grid_text(grid: Sequence[float]) -> str:
    """A W grid as percentages of T: ``0, 2.5, 10, 25``."""
    return ", ".join(f"{100 * g:g}" for g in grid)


def libraries_text(meta: dict[str, Any]) -> str:
    """``, torch 2.13.0+cpu, transformers 5.25.0, accelerate 1.16.0``: the libraries of the invocation that ran the
    report's last runs (empty for older files and for reports of earlier runs only)."""
    return "".join(f", {name} {v}" for name, v in meta.get("libraries", {}).items())


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


def one_arm_grid_lines(meta: dict[str, Any]) -> list[str]:
    """For a sweep whose W grid is one fixed warmup: that the oracle of its tables is that arm, so every gap is to
    it (nothing is picked per cell); no lines otherwise."""
    name = heldout.oracle_name(meta)
    if name == "oracle":
        return []
    return ["", f"This sweep's W grid is one arm, so its oracle is `{name}` in every cell: each gap below is to "
                "that fixed warmup, not to the best of several."]


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
        hosts_text(summary.get("hosts")),
        "",
        "Cell value: the mean over seeds of the final held-out eval loss (a diverged run counts with "
        "max(eval loss, initial loss)). **Oracle**: per (task, LR), the best `linear_warmup` over W ∈ {"
        f"{grid}}} % of T (W = 0 is `no_warmup`). Gap = (arm − oracle) / oracle; negative = better than the "
        "oracle. `hf_linear(10%)` is transformers' `linear` (its own linear decay to 0); every other arm uses "
        "the task's decay. D = a diverged run, S = a stuck run (no better than the trivial predictor). n/a: "
        "the β2-derived warmups need 2/(1−β2) < T.",
        *one_arm_grid_lines(meta),
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


def list_text(xs: Sequence[str]) -> str:
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
         lambda x: f"{_yes(x['a_met'])} (violations: {list_text(x['a_violations'])})")
    line("(b) never >1 % worse than HF `linear` 10 %",
         lambda x: f"{_yes(x['b_met'])} (violations: {list_text(x['b_violations'])})")
    line("(c) ≥ 80 % of cells within 1 % of the oracle or better",
         lambda x: f"{_yes(x['c_met'])} ({100 * (x['c_share'] or 0):.0f} %)")
    line("(d) at each task's best LR, within 1 % of the best fixed (LR, W)",
         lambda x: f"{_yes(x['d_met'])} ({len(x['d_met_tasks'])}/{x['d_tasks']} tasks)")
    line("(e) the same task at T and 10·T: (a)–(c) at both", lambda x: (
        "; ".join(f"{_yes(all(p['abc_met'].values()))}: {p['short']} / {p['long']}, mean warmup "
                  f"{_steps(p['mean_warmup'][p['short']])} → {_steps(p['mean_warmup'][p['long']])} steps "
                  f"(×{p['warmup_ratio'] or float('nan'):.1f}), end reasons {'/'.join(p['end_reasons'][p['short']])} "
                  f"→ {'/'.join(p['end_reasons'][p['long']])}" for p in x["e_pairs"]) or "no pair in this set"))
    line("families / long runs", lambda x: f"{', '.join(x['families'])} / {list_text(x['long_tasks'])}")
    return rows


def _steps(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}"


def cells_table(view: dict[str, Any], set_name: str) -> list[str]:
    return cells_lines([r for r in view["cells"] if r["set"] == set_name])


def warmup_ends_text(cell: dict[str, Any]) -> str:
    """``690 (stable), 700 (edge)``: a cell's warmup length and end reason per seed."""
    pairs = zip(cell["warmup_steps"], cell["end_reasons"])
    return ", ".join(f"{'–' if s is None else s} ({e or '–'})" for s, e in pairs)


def hf_gap_text(cell: dict[str, Any]) -> str:
    """``+1.2 %``: a cell's gap to HF `linear` 10 % (``–`` where the cell has no HF run)."""
    return "–" if cell["gap_hf_pct"] is None else f"{cell['gap_hf_pct']:+.1f} %"


def cells_lines(cells: Sequence[dict[str, Any]]) -> list[str]:
    """A table of held-out cell rows (:func:`warmup_bench.heldout.cell_rows`), one line each."""
    rows = ["| task | T | LR | oracle W | gap to oracle | vs HF 10 % | seed spread | D/S | warmup (end) | LR reached |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in cells:
        ends = warmup_ends_text(r)
        reached = ", ".join("–" if x is None else f"{x:.2g}" for x in r["lr_reached"])
        rows.append(f"| {r['task']} | {r['T']} | {r['lr']:g} | {r['oracle_W']} | {r['gap_pct']:+.1f} % ({r['class']}) "
                    f"| {hf_gap_text(r)} | ±{r['spread_pct']:.1f} % | {r['n_diverged']}/{r['n_stuck']} | {ends} "
                    f"| {reached} |")
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


# The blocks of the benchmark, the overhead page and the demo and cards register themselves when imported.
from warmup_bench import render_baseline, render_cards, render_overhead, render_results  # noqa: E402, F401
