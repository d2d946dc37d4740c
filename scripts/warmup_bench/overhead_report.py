"""The overhead benchmark's report: the machine it ran on, the verdicts against the targets (the full-step ratio
against this run's A/A control, the state size, the host reads) and the markdown of ``scripts/bench_overhead.py``'s
results (:mod:`warmup_bench.overhead` measures them). No torch work here beyond naming the installed versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import torch

import hf_warmup

#: the targets the report judges against: the full-step ratio adaptive / linear and the scheduler state's size
TARGET_RATIO = 1.005
TARGET_STATE_BYTES = 64 * 1024
#: the two arms every measurement compares
ARMS = ("linear", "adaptive")


def machine_info(threads: int) -> dict[str, Any]:
    import transformers

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": threads,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "hf_warmup": hf_warmup.__version__,
        "platform": platform.platform(),
        "cuda": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    try:
        info["load_average_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def ms_text(x: float) -> str:
    return f"{x * 1e3:.3f}" if x < 0.1 else f"{x * 1e3:.1f}"


def _controls(res: dict[str, Any]) -> list[dict[str, Any]]:
    return list(res.get("controls", [])) + ([res["control"]] if res.get("control") else [])


def noise_verdict(model: str, clock: str, ratio: float, control_ratios: list[float] | None) -> dict[str, Any]:
    """Judge a full-step ratio against the A/A control of the same run (``None``: no control for this model).

    Two identical ``linear`` arms have a true ratio of 1, so every deviation of an A/A paired ratio from 1 is noise
    (or position bias, which the adaptive/linear pairs share). ``aa_noise`` is the largest such deviation, and a
    difference is resolved only beyond it. ``position`` is where ``ratio`` lies: ``inside`` [1 - noise, 1 + noise]
    (the run cannot tell the arms apart), ``above`` it (a cost larger than any A/A difference), ``below`` it
    (adaptive faster than identical arms ever differed: drift, since adaptive does strictly more work), or
    ``no_control``. ``resolves_target``: is the noise within the target margin (``TARGET_RATIO - 1``)?
    """
    out: dict[str, Any] = {"model": model, "clock": clock, "ratio": ratio, "target_ratio": TARGET_RATIO}
    if not control_ratios:
        out.update(position="no_control", aa_min=None, aa_max=None, aa_noise=None, resolves_target=None)
        out["text"] = (f"{model}: full-step ratio {ratio:.4f} ({clock} clock); this run has no A/A control for "
                       "this model, so its noise is unknown (rerun with --control).")
        return out
    lo, hi = min(control_ratios), max(control_ratios)
    noise = max(abs(r - 1.0) for r in control_ratios)
    position = "inside" if abs(ratio - 1.0) <= noise else ("above" if ratio > 1.0 else "below")
    resolves = noise <= TARGET_RATIO - 1.0
    out.update(position=position, aa_min=lo, aa_max=hi, aa_noise=noise, resolves_target=resolves)
    aa = (f"the A/A control's paired ratios (two identical `linear` arms, {len(control_ratios)} blocks) lie in "
          f"[{lo:.4f}, {hi:.4f}]: identical arms differ by up to ±{100 * noise:.2f} %")
    if len(control_ratios) < 5:
        aa += f" (only {len(control_ratios)} blocks: a rough estimate of the noise)"
    if position == "inside":
        what = (f"{ratio:.4f} lies inside ±{100 * noise:.2f} %: this run cannot tell adaptive from linear by the "
                "full step.")
    elif position == "above":
        what = (f"{ratio:.4f} lies above +{100 * noise:.2f} %: a cost of {100 * (ratio - 1):+.2f} %, larger than any "
                "difference between the identical arms.")
    else:
        what = (f"{ratio:.4f} lies below -{100 * noise:.2f} %: adaptive ran faster than identical arms ever "
                "differed. Adaptive does strictly more work, so this is drift, not a speed-up.")
    target = (f"That noise is within the {100 * (TARGET_RATIO - 1):.1f} % target margin, so the full step judges "
              "the target." if resolves else
              f"That noise exceeds the {100 * (TARGET_RATIO - 1):.1f} % target margin, so the target is judged on "
              "the component estimate.")
    out["text"] = f"{model}: {aa}; the adaptive/linear ratio {what} {target}"
    return out


def noise_verdicts(res: dict[str, Any]) -> list[dict[str, Any]]:
    """:func:`noise_verdict` for every full-step row of a results dict, with the control of the same model."""
    controls = {c["model"]: c for c in _controls(res)}
    out = []
    for r in res.get("full_step", []):
        clock = r["primary_clock"]
        ctl = controls.get(r["model"])
        out.append(noise_verdict(r["model"] + run_text(r), clock, r[clock]["paired_ratio_median"],
                                 ctl[clock]["paired_ratios"] if ctl else None))
    return out


def verdicts(res: dict[str, Any]) -> dict[str, Any]:
    full = res.get("full_step", [])
    state = res.get("state", [])
    mon = res.get("monitor", [])
    v: dict[str, Any] = {}
    v["full_step_ratio_le_1.005"] = {r["model"] + run_text(r): r["paired_ratio_median"] <= TARGET_RATIO for r in full}
    v["component_estimate_le_1.005"] = {r["model"] + run_text(r): r.get("component_estimate_ratio", 0) <= TARGET_RATIO
                                        for r in full}
    for nv in noise_verdicts(res):
        if nv["position"] != "no_control":
            # is the adaptive/linear median within the A/A control's noise (see noise_verdict)?
            v.setdefault("full_step_ratio_within_aa_noise", {})[nv["model"]] = nv["position"] == "inside"
    v["checks_ran_during_timed_steps"] = all(r["checks_timed"] == r["checks_expected"] > 0 for r in full)
    if state:
        v["state_le_64KiB"] = all(r["adaptive_total_bytes"] <= TARGET_STATE_BYTES for r in state)
        v["state_independent_of_width"] = len({r["monitor_state_bytes"] for r in state}) == 1 and (
            max(r["adaptive_state_dict_bytes"] for r in state) - min(r["adaptive_state_dict_bytes"] for r in state)
            <= 64
        )
    if mon:
        v["host_reads_per_check_le_1"] = all(r["host_reads_per_check"] <= 1 for r in mon)
    return v


def _arms_text(res: dict[str, Any]) -> str:
    """The arms as this run configured them (from ``res``, not from the script's current constants)."""
    kw = res.get("adaptive_kwargs", {})
    intervals = sorted({r["check_interval"] for r in res.get("full_step", []) if "check_interval" in r})
    kw_text = ", ".join(f"{k} = {v:g}" if isinstance(v, float | int) else f"{k} = {v}" for k, v in kw.items())
    opt = res.get("optimizer", "AdamW (settings not recorded in this results file)")
    return (
        f"Arms: transformers `linear` vs `adaptive_warmup` with its default kwargs except {kw_text or 'none'}"
        + (f"; check_interval = {', '.join(map(str, intervals))}" if intervals else "")
        + f". Same model and batches; each arm its own {opt} and its own scheduler; timed blocks alternate "
        "linear, adaptive, linear, ..."
    )


def run_text(row: dict[str, Any]) -> str:
    """``, T=300 (check_interval 6)`` for a full-step row timed at the default interval of a T-step run."""
    return f", T={row['run_steps']} (check_interval {row['check_interval']})" if row.get("run_steps") else ""


def to_markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        f"# adaptive_warmup overhead ({res['mode']} run, {res['device']})",
        "",
        f"Machine: {m['cpu']}, {m['usable_cores']} usable cores, torch {m['torch']} ({m['torch_threads']} intra-op "
        f"thread(s)), transformers {m['transformers']}, Python {m['python']}"
        + (f", GPU {m['gpu']}" if m.get("gpu") else "")
        + f". Load average at start {tuple(round(x, 2) for x in m.get('load_average_start', ()))}, at end "
        f"{tuple(round(x, 2) for x in res.get('load_average_end', ()))}.",
        "",
        f"Command: `{res['command']}`",
        "",
        _arms_text(res),
        "",
        "## Full train step (forward + backward + optimizer.step + scheduler.step)",
        "",
        "| model | params | batch x seq | trials x steps | clock | linear ms/step | adaptive ms/step | median paired "
        "ratio [q25, q75] | ratio of medians | ratio of minimums | component estimate | checks timed (expected) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["full_step"]:
        for clock in (r["primary_clock"], "wall" if r["primary_clock"] == "cpu" else "cpu"):
            c = r[clock]
            q = c["paired_ratio_quantiles"]
            bold = "**" if clock == r["primary_clock"] else ""
            lines.append(
                f"| {r['model']}{run_text(r)} | {r['params'] / 1e6:.2f} M | {r['batch']} x {r['seq']} | "
                f"{r['trials']} x {r['steps_per_trial']} | {clock} | {ms_text(c['linear_step_s'])} | "
                f"{ms_text(c['adaptive_step_s'])} | "
                f"{bold}{c['paired_ratio_median']:.4f}{bold} [{q['q25']:.4f}, {q['q75']:.4f}] | "
                f"{c['ratio_of_medians']:.4f} | {c['ratio_of_minimums']:.4f} | "
                f"{r.get('component_estimate_ratio', float('nan')):.5f} | "
                f"{r['checks_timed']} ({r['checks_expected']}) |"
            )
    for ctl in _controls(res):
        c, w = ctl["cpu"], ctl["wall"]
        q = c["paired_ratio_quantiles"]
        lines += [
            "",
            f"A/A control on {ctl['model']} (two `linear` arms, same procedure, {ctl['trials']} x "
            f"{ctl['steps_per_trial']} steps): median paired ratio second/first **{c['paired_ratio_median']:.4f}** "
            f"[{q['q25']:.4f}, {q['q75']:.4f}], range [{q['min']:.4f}, {q['max']:.4f}] (cpu), ratio of medians "
            f"{c['ratio_of_medians']:.4f}, ratio of minimums {c['ratio_of_minimums']:.4f}; wall clock "
            f"{w['paired_ratio_median']:.4f}.",
        ]
    lines += ["", "Verdict on the full-step ratio, from this run's A/A control:", ""]
    lines += [f"- {v['text']}" for v in res.get("noise_verdicts") or noise_verdicts(res)]
    lines += [
        "",
        "Clocks: `cpu` = CPU time of the process (all threads), `wall` = wall clock. On a shared CPU machine the "
        "wall clock also counts the time other processes hold the cores; the CPU time does not (the primary clock "
        "on CPU, in bold). Component estimate = 1 + (check / check_interval + scheduler.step_adaptive - "
        "scheduler.step_linear) / linear step, from the low-noise timings below (primary clock).",
        "",
        "## The monitor alone",
        "",
        "| model | params | sources | optimizer.step ms | check() ms | check / optimizer.step | "
        "scheduler.step() linear µs | adaptive (no check) µs | torch calls per check | host reads per check |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["monitor"]:
        s = r["scheduler_step_no_check_s"]
        lines.append(
            f"| {r['model']} | {r['params'] / 1e6:.2f} M | {r['sources']} | {ms_text(r['optimizer_step_s'])} | "
            f"{ms_text(r['check_s'])} | {100 * r['check_over_optimizer_step']:.2f} % | {s['linear'] * 1e6:.1f} | "
            f"{s['adaptive'] * 1e6:.1f} | {r['torch_calls_per_check']} | {r['host_reads_per_check']} "
            f"({', '.join(r['host_reads_per_check_ops'])}) |"
        )
    lines += [
        "",
        "Host reads = tensor ops that read a value back to the host (`item`, `tolist`, `__bool__`, ...): on a GPU "
        "each is one host-device synchronisation. Linear's scheduler.step(): "
        + ", ".join(str(r["host_reads_linear_scheduler_step"]) for r in res["monitor"])
        + "; adaptive scheduler.step() with a check: "
        + ", ".join(str(r["host_reads_adaptive_scheduler_step_with_check"]) for r in res["monitor"])
        + ".",
        "",
        "## Scheduler state (same depth, two widths)",
        "",
        "| width | depth | params | optimizer state | monitor.state_bytes() | torch.save(adaptive state_dict) | "
        "total | torch.save(linear state_dict) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in res["state"]:
        lines.append(
            f"| {r['width']} | {r['depth']} | {r['params'] / 1e6:.2f} M | {r['optimizer_state_bytes'] / 2**20:.1f} MiB"
            f" | {r['monitor_state_bytes']} B | {r['adaptive_state_dict_bytes']} B | {r['adaptive_total_bytes']} B "
            f"({r['adaptive_total_bytes'] / 1024:.1f} KiB) | {r['linear_state_dict_bytes']} B |"
        )
    lines += [
        "",
        "## Peak process memory (one child process per arm)",
        "",
        ("Peak RSS = the child's `VmHWM` (Linux), reset after model, optimizer and scheduler are built, then "
         "read after the training steps (`ru_maxrss` is not used: a child inherits its parent's peak)."
         if all(r.get("peak_reset") for r in res["memory"]) else
         "Peak RSS = the child's `VmHWM` or `ru_maxrss`; the peak could not be reset after setup in some children "
         "(`peak_reset` false in the json), so their training peak includes the setup."),
        "",
        "| rep | arm | model | steps | checks | RSS after setup | peak RSS while training | peak RSS whole process |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in res["memory"]:
        lines.append(
            f"| {r['rep']} | {r['arm']} | {r['model']} | {r['steps']} | {r['checks']} | "
            f"{(r['rss_after_setup_bytes'] or 0) / 2**20:.1f} MiB | {r['peak_rss_training_bytes'] / 2**20:.1f} MiB | "
            f"{r['peak_rss_bytes'] / 2**20:.1f} MiB |"
        )
    if res.get("memory_summary"):
        ms = res["memory_summary"]
        lines += ["", f"Median peak RSS while training: linear {ms['linear_mib']:.1f} MiB, adaptive "
                      f"{ms['adaptive_mib']:.1f} MiB, difference {ms['difference_mib']:+.2f} MiB "
                      f"({ms['difference_percent']:+.2f} %); spread between repetitions of one arm: linear "
                      f"{ms['spread_within_arm_mib']['linear']:.2f} MiB, adaptive "
                      f"{ms['spread_within_arm_mib']['adaptive']:.2f} MiB."]
    prof = res.get("profile")
    if prof:
        lines += [
            "",
            f"## Profile (torch.profiler, CPU, {prof.get('model') or res['full_step'][0]['model']}, ms per step by "
            "region)",
            "",
            "| arm | forward+backward | optimizer.step | scheduler.step | zero_grad |",
            "|---|---|---|---|---|",
        ]
        for arm in ARMS:
            t = prof[arm]["ms_per_step"]
            lines.append(f"| {arm} | " + " | ".join(f"{t.get('bench::' + k, float('nan')):.3f}" for k in
                                                    ("fwd_bwd", "optimizer.step", "scheduler.step", "zero_grad"))
                         + " |")
        lines += ["", "The profiler's per-op overhead inflates small regions (scheduler.step) more than large ones."]
    lines += ["", "## Targets", ""]
    for k, v in res["verdicts"].items():
        lines.append(f"- {k}: {v}")
    lines.append("")
    return "\n".join(lines)
