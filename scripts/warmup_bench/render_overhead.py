"""The figure blocks of the overhead page and the README's overhead figures, from ``scripts/bench_overhead.py``'s
and ``scripts/gpu_check.py``'s results (registered in :mod:`warmup_bench.render`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from warmup_bench.render import by_model, controls, figure, load, machine_text, mparams, ms, nbytes, ratio

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
