#!/usr/bin/env python
"""Regenerate the figure blocks of the docs from the committed results files.

A figure block in a markdown file is everything between two comment lines::

    <!-- figures:NAME -->
    ... generated text: do not edit by hand ...
    <!-- /figures -->

``RENDERERS[NAME]`` (a function registered with ``@figure("NAME")``) builds the text from results json under the
repository root. Each block names the files and the commands that wrote them, so a reader can rerun them.

    python scripts/render_figures.py            # rewrite every block in the docs
    python scripts/render_figures.py --check    # exit 1 and show a diff when a block is stale

``tests/test_docs_figures.py`` asserts that every block equals what its renderer makes from the committed json.
Adding a figure block (e.g. the benchmark tables): write one function ``render_NAME(root) -> str`` that reads the
results json, decorate it with ``@figure("NAME")``, put the two marker lines where the block goes, and run this
script. No torch import here: reading json only.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
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


def render_block(name: str, root: Path = ROOT) -> str:
    if name not in RENDERERS:
        raise KeyError(f"no renderer for figure block {name!r}; known: {sorted(RENDERERS)}")
    body = RENDERERS[name](root).strip("\n")
    return body + "\n"


def render_text(text: str, root: Path = ROOT) -> str:
    """``text`` with every figure block's body replaced by its renderer's output."""
    return BLOCK.sub(lambda m: m.group(1) + render_block(m["name"], root) + m.group(4), text)


def load(root: Path, rel: str) -> dict[str, Any]:
    return json.loads((root / rel).read_text())


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
# overhead (scripts/bench_overhead.py)
# ---------------------------------------------------------------------------------------------------------------
OVERHEAD_DIR = "docs/overhead"
OVERHEAD_MAIN = f"{OVERHEAD_DIR}/cpu_results.json"  # the full run: the README's columns
OVERHEAD_RERUNS = (f"{OVERHEAD_DIR}/cpu_100m_control.json",)  # the same procedure again on some of its models
OVERHEAD_QUICK = f"{OVERHEAD_DIR}/cpu_quick_results.json"
GPU_CHECK_CPU = f"{OVERHEAD_DIR}/gpu_check_cpu.json"


def _sources(root: Path, files: tuple[str, ...]) -> str:
    return "\n".join(f"- `{f}`: `{load(root, f)['command']}`" for f in files)


def _overhead_runs(root: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    return load(root, OVERHEAD_MAIN), [(f, load(root, f)) for f in OVERHEAD_RERUNS]


@figure("overhead")
def render_overhead(root: Path) -> str:
    """The README's overhead summary: full run, its reruns, A/A controls, component estimates, state, RSS."""
    main, reruns = _overhead_runs(root)
    models = [r["model"] for r in main["full_step"]]
    full, mon = by_model(main["full_step"]), by_model(main["monitor"])
    ctl = controls(main)
    from_rerun = set()
    for _, rr in reruns:
        for model, c in controls(rr).items():
            if model not in ctl:
                ctl[model] = c
                from_rerun.add(model)

    def cell_ratio(model: str) -> str:
        text = ratio(full[model]["paired_ratio_median"])
        again = [ratio(by_model(rr["full_step"])[model]["paired_ratio_median"])
                 for _, rr in reruns if model in by_model(rr["full_step"])]
        return text + (f" (rerun: {', '.join(again)})" if again else "")

    def cell_control(model: str) -> str:
        if model not in ctl:
            return "not run"
        c = ctl[model][full[model]["primary_clock"]]
        return (f"{ratio(c['paired_ratio_median'])} [{ratio(min(c['paired_ratios']))}, "
                f"{ratio(max(c['paired_ratios']))}]" + (" (rerun)" if model in from_rerun else ""))

    def cell_check(model: str) -> str:
        m = mon[model]
        return (f"{ms(m['check_s'])} ms / {ms(m['optimizer_step_s'])} ms = "
                f"{100 * m['check_over_optimizer_step']:.2g} %")

    rows = [
        ("full train step, median paired ratio adaptive / `linear`", cell_ratio),
        ("same procedure, `linear` / `linear` (A/A control): median [min, max]", cell_control),
        ("one `check()` / one `optimizer.step()`", cell_check),
        ("full-step ratio from the measured components", lambda m: f"**{full[m]['component_estimate_ratio']:.4f}**"),
        ("host reads (GPU syncs) per check", lambda m: str(mon[m]["host_reads_per_check"])),
    ]
    header = "| | " + " | ".join(f"{m} ({mparams(full[m]['params'])} params)" for m in models) + " |"
    lines = [
        f"Machine: {machine_text(main)}; clock: process CPU time. Results files and the commands that wrote them:",
        "",
        _sources(root, (OVERHEAD_MAIN, *OVERHEAD_RERUNS)),
        "",
        header,
        "|---" * (len(models) + 1) + "|",
    ]
    lines += ["| " + label + " | " + " | ".join(fn(m) for m in models) + " |" for label, fn in rows]
    lines += ["", "Verdicts on the full-step ratio, each from the A/A control of the same run:", ""]
    judged = []
    for f, res in ((OVERHEAD_MAIN, main), *reruns):
        for v in res["noise_verdicts"]:
            lines.append(f"- `{Path(f).name}`, {v['text']}")
            judged.append(v)
    with_control = [v for v in judged if v["position"] != "no_control"]
    if with_control and not any(v["resolves_target"] for v in with_control):
        noise = min(v["aa_noise"] for v in with_control)
        lines += ["", f"No A/A control here is quieter than ±{100 * noise:.2f} %, more than the "
                      f"{100 * (with_control[0]['target_ratio'] - 1):.1f} % target margin, so the target is judged "
                      "on the component estimate `1 + (check / check_interval + Δ scheduler.step) / step`: "
                      + " and ".join(f"{full[m]['component_estimate_ratio']:.4f} ({m})" for m in models) + "."]
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
    ms_ = main.get("memory_summary")
    if ms_:
        reps = main["memory"]
        n = len([r for r in reps if r["arm"] == "linear"])
        spread = max(ms_["spread_within_arm_mib"].values())
        lines.append(
            f"Peak RSS over {reps[0]['steps']} training steps of {reps[0]['model']}, median of {n} child processes "
            f"per arm: `linear` {ms_['linear_mib']:.1f} MiB, adaptive {ms_['adaptive_mib']:.1f} MiB (difference "
            f"{ms_['difference_mib']:+.1f} MiB; spread between repetitions of one arm up to {spread:.1f} MiB)."
        )
    return "\n".join(lines)


@figure("overhead-files")
def render_overhead_files(root: Path) -> str:
    """docs/overhead/README.md: one row per results file, with its command, machine and run time."""
    lines = ["| file | command | models (A/A control) | machine | load average at start | run time |",
             "|---|---|---|---|---|---|"]
    for f in (OVERHEAD_MAIN, *OVERHEAD_RERUNS, OVERHEAD_QUICK):
        res = load(root, f)
        ctl = controls(res)
        models = ", ".join(f"{r['model']} ({mparams(r['params'])}{', A/A' if r['model'] in ctl else ''})"
                           for r in res["full_step"])
        load_avg = res["machine"].get("load_average_start")
        load_text = f"{load_avg[0]:.1f}" if load_avg else "n/a"
        lines.append(f"| `{Path(f).stem}.*` | `{res['command']}` | {models} | {machine_text(res)} | {load_text} | "
                     f"{res['wall_s'] / 60:.1f} min |")
    g = load(root, GPU_CHECK_CPU)
    lines.append(f"| `{Path(GPU_CHECK_CPU).stem}.*` | `{g['command']}` | gpu_check without CUDA: 2 gloo ranks, a tiny "
                 f"smoke run of parts 1 and 2 | {machine_text(g)} | n/a | n/a |")
    return "\n".join(lines)


@figure("overhead-results")
def render_overhead_results(root: Path) -> str:
    """docs/overhead/README.md: every full-step row of every run, with quantiles, controls and components."""
    lines = ["| run | model | batch x seq | trials x steps | linear step | adaptive / linear, median paired ratio "
             "[q25, q75] | A/A control [min, max] | `check()` / `optimizer.step()` | `scheduler.step()` linear / "
             "adaptive (no check) | component estimate (cost per step) | host reads per check |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for f in (OVERHEAD_MAIN, *OVERHEAD_RERUNS, OVERHEAD_QUICK):
        res = load(root, f)
        ctl, mon = controls(res), by_model(res["monitor"])
        for r in res["full_step"]:
            clock, m = r["primary_clock"], mon[r["model"]]
            q = r[clock]["paired_ratio_quantiles"]
            c = ctl.get(r["model"])
            c_text = (f"{ratio(c[clock]['paired_ratio_median'])} [{ratio(min(c[clock]['paired_ratios']))}, "
                      f"{ratio(max(c[clock]['paired_ratios']))}]" if c else "not run")
            s = m["scheduler_step_no_check_s"]
            lines.append(
                f"| `{Path(f).stem}` | {r['model']} ({mparams(r['params'])}) | {r['batch']} x {r['seq']} | "
                f"{r['trials']} x {r['steps_per_trial']} | {ms(r['linear_step_s'])} ms | "
                f"{ratio(r['paired_ratio_median'])} [{ratio(q['q25'])}, {ratio(q['q75'])}] | {c_text} | "
                f"{ms(m['check_s'])} / {ms(m['optimizer_step_s'])} ms = {100 * m['check_over_optimizer_step']:.2g} % | "
                f"{s['linear'] * 1e6:.1f} / {s['adaptive'] * 1e6:.1f} µs | {r['component_estimate_ratio']:.4f} "
                f"({ms(r['component_overhead_s_per_step'])} ms) | {m['host_reads_per_check']} "
                f"({', '.join(m['host_reads_per_check_ops'])}) |"
            )
        verdicts += [f"- `{Path(f).stem}`, {v['text']}" for v in res["noise_verdicts"]]
    lines += ["", "Verdicts, each from the A/A control of the same run (`noise_verdicts` in the json):", "", *verdicts]
    prof_lines = []
    for f in (OVERHEAD_MAIN, *OVERHEAD_RERUNS):
        prof = load(root, f).get("profile")
        if prof:
            model = prof.get("model") or load(root, f)["full_step"][0]["model"]
            lin, ada = (prof[a]["ms_per_step"]["bench::scheduler.step"] for a in ("linear", "adaptive"))
            prof_lines.append(f"- `{Path(f).stem}`, {model}: `scheduler.step` region {ada:.3f} ms per step (adaptive) "
                              f"against {lin:.3f} ms (`linear`).")
    if prof_lines:
        lines += ["", "torch.profiler (`--profile`; the profiler's own per-op cost inflates the many small torch calls "
                      "of a check):", "", *prof_lines]
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
    lines = ["| run | model, steps, child processes per arm | linear | adaptive | difference | spread within an arm "
             "(linear / adaptive) |", "|---|---|---|---|---|---|"]
    for f in (OVERHEAD_MAIN, OVERHEAD_QUICK):
        res = load(root, f)
        s = res.get("memory_summary")
        if not s:
            continue
        reps = [r for r in res["memory"] if r["arm"] == "linear"]
        spread = s["spread_within_arm_mib"]
        lines.append(f"| `{Path(f).stem}` | {reps[0]['model']}, {reps[0]['steps']} steps, {len(reps)} | "
                     f"{s['linear_mib']:.1f} MiB | {s['adaptive_mib']:.1f} MiB | {s['difference_mib']:+.1f} MiB | "
                     + (f"{spread['linear']:.1f} / {spread['adaptive']:.1f} MiB |" if len(reps) > 1 else "n/a (1 rep) |"))
    return "\n".join(lines)


@figure("overhead-gpu-check")
def render_gpu_check(root: Path) -> str:
    g = load(root, GPU_CHECK_CPU)
    rk = g["ranks"]
    lines = [f"From `{GPU_CHECK_CPU}` (`{g['command']}`): `accelerate launch --multi_gpu --num_processes "
             f"{rk['world_size']}` started {rk['world_size']} {rk['backend']} ranks ({'ok' if rk['ok'] else 'FAILED'}).",
             ""]
    for mode, r in rk["modes"].items():
        lines.append(f"- `{mode}`: {r['steps']} steps; LR identical on every rank at every step: {r['lr_identical']}; "
                     f"warmup end step per rank {r['warmup_end_step']} ({r['end_reason']}), {r['checks']} checks.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
BENCH_FILES = ("docs/benchmark/quick.json", "docs/benchmark/quick_v3.json", "docs/benchmark/quick_v2.json",
               "docs/benchmark/quick_before.json", "docs/benchmark/full.json", "docs/benchmark/full_edge_v1.json",
               "docs/benchmark/full_before_edge.json", "docs/benchmark/device_tuning.json")
#: The full-mode row of the edge rule switched off (the ramp alone), run beside the default.
NO_EDGE = "adaptive(coherence_threshold=0)"
#: Reference rows of the full-mode table, beside adaptive_warmup.
FULL_ROWS = ("linear_warmup(W=10%)", "hf_linear(10%)", "untuned_exponential_warmup", "radam_warmup", "autowu")
GAP_HEAD = ["| max / mean gap | within 1 % | wins vs peers | diverged/stuck |", "|---|---|---|---|"]


def _gap_summary(row: dict[str, Any] | None) -> str:
    if not row or not row.get("n_cells"):
        return "n/a | n/a | n/a | –"
    peers = f"{row['wins_vs_peers']}/{row['cells_vs_peers']}" if row.get("cells_vs_peers") else "n/a"
    return (f"{row['max_gap_pct']:+.1f} % / {row['mean_gap_pct']:+.1f} % | {row['within_1pct']}/{row['n_cells']} | "
            f"{peers} | {row['n_diverged']}/{row['n_stuck']}")


def _lrs_per_task(meta: dict[str, Any]) -> str:
    """How many peak LRs each task swept, from the results' own meta ("4", or "2–4" when they differ)."""
    counts = sorted({len(t["lrs"]) for t in meta["tasks"].values()})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def _table(first: str, rows: list[tuple[str, dict[str, Any] | None]]) -> list[str]:
    head = [f"| {first} " + GAP_HEAD[0], "|---" + GAP_HEAD[1]]
    return head + [f"| {name} | {_gap_summary(row)} |" for name, row in rows]


@figure("benchmark")
def render_benchmark(root: Path) -> str:
    """Per task: adaptive_warmup's gaps to the oracle in full mode beside its edge rule switched off, the edge
    rule's first version (φ alone), its version before the edge rule and the fixed rules; its history in quick mode (the old rule, the redesign with checks
    every 10 steps, checks every round(T/50), today); and the device tuning sweep."""
    now, v3, v2, before, full, full_v1, full_before, tune = results = [load(root, f) for f in BENCH_FILES]
    sources = [f"- `{f}`: `{res['meta']['command']}`" for f, res in zip(BENCH_FILES, results)]
    fm = full["meta"]
    lines = ["From the committed results (more in `docs/benchmark/README.md`):", *sources, "",
             "Columns: max / mean gap of the mean final eval loss to the per-cell oracle, cells within 1 %, cells "
             "better than the best of `untuned_exponential_warmup` and `radam_warmup` (where they apply), "
             "diverged/stuck runs.", "",
             f"**Full mode** ({len(fm['seeds'])} seeds, {_lrs_per_task(fm)} LRs per task, W grid "
             f"{{{', '.join(f'{100 * g:g}' for g in fm['grid'])}}} % of T; {fm['machine']}, device {fm['device']}):", ""]
    rows: list[tuple[str, dict[str, Any] | None]] = []
    for task, summ in full["summary"].items():
        rows += [(f"{task}: **`adaptive_warmup`**", summ.get("adaptive_warmup")),
                 (f"{task}: `{NO_EDGE}`, the ramp alone", summ.get(NO_EDGE)),
                 (f"{task}: `adaptive_warmup`, first edge rule (φ alone)",
                  full_v1["summary"].get(task, {}).get("adaptive_warmup")),
                 (f"{task}: `adaptive_warmup` before the edge rule",
                  full_before["summary"].get(task, {}).get("adaptive_warmup"))]
        rows += [(f"{task}: `{arm}`", summ.get(arm)) for arm in FULL_ROWS]
    lines += _table("task: row", rows)
    lines += ["", f"**Quick mode** ({len(now['meta']['seeds'])} seed, {_lrs_per_task(now['meta'])} LRs per task), "
              "`adaptive_warmup` with its defaults of each version:", ""]
    rows = []
    for task in now["summary"]:
        rows += [(f"{task}: before (old rule)", before["summary"].get(task, {}).get("adaptive_warmup")),
                 (f"{task}: redesign, checks every 10 steps", v2["summary"].get(task, {}).get("adaptive_warmup")),
                 (f"{task}: redesign, λ = 1", v2["summary"].get(task, {}).get("adaptive(decrease_weight=1.0)")),
                 (f"{task}: checks every round(T/50)", v3["summary"].get(task, {}).get("adaptive_warmup")),
                 (f"{task}: now (edge rule, R = 0.4·M)", now["summary"].get(task, {}).get("adaptive_warmup"))]
    lines += _table("task: version", rows)
    lines += ["", "Tuning sweep (`postln_lm`, full mode, 2 seeds, 4 LRs; the sweep's default had λ = 1 and checks "
              "every 10 steps):", ""]
    rows = []
    for summ in tune["summary"].values():
        for arm, row in summ.items():
            if arm.startswith("adaptive"):
                rows.append(("λ = 1 (the sweep's default)" if arm == "adaptive_warmup" else f"`{arm}`", row))
    lines += _table("variant", rows)
    return "\n".join(lines)


HELDOUT_FILES = ("docs/benchmark/heldout_quick.json",)


@figure("heldout")
def render_heldout(root: Path) -> str:
    """The held-out suite (issue 17): per results file and adaptive row, targets (a)–(e) on the test set beside
    the tuning set, and each task at its best LR (tables made by ``bench_tasks.heldout``)."""
    sys.path.insert(0, str(root / "scripts"))
    from bench_tasks.heldout import best_table, targets_table

    lines: list[str] = []
    for rel in HELDOUT_FILES:
        res = load(root, rel)
        meta = res["meta"]
        lines += [f"`{rel}` ({meta['mode']} mode, seeds {', '.join(map(str, meta['seeds']))}, W grid "
                  f"{{{', '.join(f'{100 * g:g}' for g in meta['grid'])}}} % of T; {meta['machine']}): "
                  f"`{meta['command']}`", ""]
        for label, view in res["sets"].items():
            lines += [f"`{label}`:", "", *targets_table(view), ""]
            for set_name in ("test", "tuning"):
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


if __name__ == "__main__":
    sys.exit(main())
