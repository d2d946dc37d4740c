"""Smoke tests of the overhead benchmark and the GPU check script, run as child processes on the CPU.

No timing is compared with a bound (the machine may be shared). What is checked: the numbers in the report are
the ones the run measured (the markdown equals the json, derived values recompute from the raw ones), the run did
the work it claims (step counts from the LRs, checks during the timed steps, three checks in the memory child),
the verdict on the full-step ratio follows from the run's own A/A control, the scheduler state does not grow with
the model width, one host read (one GPU sync) per check, identical LRs on two gloo ranks.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SUBPROCESS_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "OMP_NUM_THREADS": "1",
}


def run_script(args: list[str], timeout: int = SUBPROCESS_TIMEOUT_S) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def bench_overhead():
    sys.path.insert(0, str(SCRIPTS))
    try:
        from warmup_bench import overhead as bench_overhead
    finally:
        sys.path.remove(str(SCRIPTS))
    return bench_overhead


def test_bench_overhead_smoke(tmp_path: Path, bench_overhead) -> None:
    bo = bench_overhead
    from warmup_bench.overhead_report import ms_text
    proc = run_script([str(SCRIPTS / "bench_overhead.py"), "--smoke", "--output_dir", str(tmp_path)])
    md_path, json_path = tmp_path / "cpu_smoke_results.md", tmp_path / "cpu_smoke_results.json"
    md = md_path.read_text()
    res = json.loads(json_path.read_text())
    assert md.strip() in proc.stdout  # the printed report is the written one
    assert "bench_overhead: 100%" in proc.stderr  # the tqdm bar ran to the end
    for heading in ("## Full train step", "## The monitor alone", "## Scheduler state", "## Peak process memory"):
        assert heading in md
    assert res["mode"] == "smoke" and res["machine"]["torch"] and res["machine"]["cpu"]
    assert f"Command: `{res['command']}`" in md and "--smoke" in res["command"]

    # the text describes this run's configuration, read from the results
    kw = res["adaptive_kwargs"]
    assert f"threshold = {kw['threshold']:g}" in md and f"max_warmup_steps = {kw['max_warmup_steps']:g}" in md
    assert res["optimizer"].startswith("AdamW(lr=0.001,") and f"each arm its own {res['optimizer']}" in md

    (full,) = res["full_step"]
    steps_per_arm = (full["warm_blocks"] + full["trials"]) * full["steps_per_trial"]
    # every step really ran: linear's LR after N scheduler steps of a 1e7-step warmup is lr * N / 1e7
    assert full["lr_linear"] == pytest.approx(1e-3 * steps_per_arm / bo.HUGE, rel=1e-9)
    assert full["monitor_real_steps"] == steps_per_arm
    assert full["checks_expected"] == full["trials"] * full["steps_per_trial"] // full["check_interval"]
    assert full["checks_timed"] == full["checks_expected"] > 0  # the monitor worked during the timed steps
    assert full["statistics_timed"] == full["checks_timed"]
    assert full["warmup_end_step"] is None and full["lr_adaptive"] < 1e-3  # ... and the warmup was still running
    for clock in ("cpu", "wall"):
        c = full[clock]
        assert len(c["paired_ratios"]) == full["trials"] == len(c["linear_block_times_s"])
        assert all(t > 0 and math.isfinite(t) for t in c["linear_block_times_s"] + c["adaptive_block_times_s"])
        assert c["paired_ratios"] == pytest.approx(
            [a / b for a, b in zip(c["adaptive_block_times_s"], c["linear_block_times_s"])], rel=1e-12)
        assert c["paired_ratio_median"] == pytest.approx(statistics.median(c["paired_ratios"]), rel=1e-12)
        assert c["linear_step_s"] == pytest.approx(statistics.median(c["linear_block_times_s"]), rel=1e-12)
    assert full["paired_ratio_median"] == full[full["primary_clock"]]["paired_ratio_median"]
    cpu = full["cpu"]
    assert (f"| {full['model']} | {full['params'] / 1e6:.2f} M | {full['batch']} x {full['seq']} | "
            f"{full['trials']} x {full['steps_per_trial']} | cpu | {ms_text(cpu['linear_step_s'])} | "
            f"{ms_text(cpu['adaptive_step_s'])} | **{cpu['paired_ratio_median']:.4f}** ") in md

    # the component estimate recomputes from the monitor's own timings
    (mon,) = res["monitor"]
    s = mon["scheduler_step_no_check_s"]
    assert full["component_estimate_ratio"] == pytest.approx(
        1 + (mon["check_s"] / full["check_interval"] + s["adaptive"] - s["linear"]) / full["linear_step_s"], rel=1e-9)
    assert mon["check_s"] > 0 and mon["optimizer_step_s"] > 0 and mon["statistics_finite"] == mon["reps"]
    # a check must bring its statistic to the host once (to compare it with the threshold), and only once
    assert mon["host_reads_per_check"] == 1 and mon["host_reads_linear_scheduler_step"] == 0

    # the verdict follows from this run's A/A control, not from a fixed sentence
    (ctl,) = res["controls"]
    (verdict,) = res["noise_verdicts"]
    aa = ctl["cpu"]["paired_ratios"]
    noise = max(abs(r - 1) for r in aa)  # identical arms: every deviation from 1 is noise
    ratio = cpu["paired_ratio_median"]
    expected = "inside" if abs(ratio - 1) <= noise else "above" if ratio > 1 else "below"
    assert (verdict["position"], verdict["aa_min"], verdict["aa_max"]) == (expected, min(aa), max(aa))
    assert verdict["aa_noise"] == pytest.approx(noise) and verdict["resolves_target"] == (noise <= 0.005)
    assert f"- {verdict['text']}" in md and f"[{min(aa):.4f}, {max(aa):.4f}]" in verdict["text"]
    assert f"±{100 * noise:.2f} %" in verdict["text"] and f"{ratio:.4f} lies {expected}" in verdict["text"]
    assert res["verdicts"]["full_step_ratio_within_aa_noise"][full["model"]] == (expected == "inside")
    assert "noise or position bias, not cost" not in md

    small, wide = res["state"]
    assert wide["width"] > small["width"] and wide["params"] > small["params"]
    assert small["monitor_state_bytes"] == wide["monitor_state_bytes"] > 0
    assert abs(small["adaptive_state_dict_bytes"] - wide["adaptive_state_dict_bytes"]) <= 64
    assert wide["adaptive_state_dict_bytes"] > wide["monitor_state_bytes"]  # the snapshot is in the state_dict
    assert wide["adaptive_total_bytes"] <= 64 * 1024 and wide["linear_state_dict_bytes"] < 4096
    assert f"| {wide['width']} | {wide['depth']} | {wide['params'] / 1e6:.2f} M |" in md
    mem = {r["arm"]: r for r in res["memory"]}
    assert set(mem) == {"linear", "adaptive"} and all(r["peak_rss_training_bytes"] > 0 for r in mem.values())
    assert mem["adaptive"]["checks"] == 3 and mem["linear"]["checks"] == 0  # 31 steps: checks at 10, 20, 30
    assert res["memory_summary"]["difference_mib"] == pytest.approx(
        (mem["adaptive"]["peak_rss_training_bytes"] - mem["linear"]["peak_rss_training_bytes"]) / 2**20)


@pytest.mark.parametrize(("ratio", "control", "position", "noise"), [
    (1.002, [0.99, 1.01, 1.003], "inside", 0.01),
    (1.05, [0.99, 1.01, 1.003], "above", 0.01),
    (0.97, [0.99, 1.01, 1.003], "below", 0.01),
    (1.001, [0.998, 1.002, 1.0, 0.999, 1.001], "inside", 0.002),
    (1.02, [0.85, 0.90, 0.98], "inside", 0.15),  # all A/A ratios below 1 (position bias): the noise is 15 %
])
def test_noise_verdict_comes_from_the_control(
    bench_overhead, ratio: float, control: list[float], position: str, noise: float,
) -> None:
    from warmup_bench.overhead_report import noise_verdict  # importable once the fixture has put scripts/ on the path

    v = noise_verdict("m", "cpu", ratio, control)
    assert v["position"] == position and v["aa_noise"] == pytest.approx(noise)
    assert v["resolves_target"] is (noise <= 0.005)
    assert f"{ratio:.4f} lies {position}" in v["text"] and f"±{100 * noise:.2f} %" in v["text"]
    assert ("within the 0.5 % target margin" in v["text"]) is (noise <= 0.005)
    assert ("a rough estimate" in v["text"]) is (len(control) < 5)
    none = noise_verdict("m", "cpu", ratio, None)
    assert none["position"] == "no_control" and "noise is unknown" in none["text"]


@pytest.mark.slow
def test_gpu_check_on_cpu_with_gloo_ranks(tmp_path: Path) -> None:
    # accelerate is a dependency of the package: a missing launcher is a failure, not a reason to skip
    assert (Path(sys.executable).parent / "accelerate").exists(), f"no accelerate launcher next to {sys.executable}"
    proc = run_script(
        [str(SCRIPTS / "gpu_check.py"), "--cpu-ranks", "--cpu-smoke", "--force-cpu", "--output_dir", str(tmp_path)],
    )
    res = json.loads((tmp_path / "gpu_check_cpu.json").read_text())
    assert (tmp_path / "gpu_check_cpu.md").exists()
    assert res["cuda"] is False
    assert "CUDA not available: skipped GPU parts" in proc.stdout

    # parts 1 and 2 on a tiny CPU model: the code paths run, the monitor checks, one host read per check
    assert res["full_step"]["checks_timed"] == res["full_step"]["checks_expected"] > 0
    syncs = res["syncs"]
    assert syncs["linear"]["scheduler_syncs_total"] == 0
    assert syncs["adaptive"]["checks_in_window"] > 0
    assert syncs["scheduler_syncs_per_check"] <= 1

    # part 3: two gloo processes under accelerate launch --multi_gpu, identical LR on both ranks at every step
    ranks = res["ranks"]
    assert ranks["ok"] and ranks["world_size"] == 2 and ranks["backend"] == "gloo"
    for mode in ("ddp", "local"):
        r = ranks["modes"][mode]
        assert r["lr_identical"] and r["warmup_end_identical"]
        assert len(r["lr_per_step_per_rank"]) == r["steps"]
        for per_rank in r["lr_per_step_per_rank"]:
            # exact on purpose: every rank computes the LR from the same integer step and the same broadcast
            # statistic, so the floats are bit-identical; any difference means the ranks' schedules diverged
            assert len(per_rank) == 2 and per_rank[0] == per_rank[1]
        assert r["checks"] > 0 and r["end_reason"] == "stable"
        assert r["warmup_end_step"][0] is not None
