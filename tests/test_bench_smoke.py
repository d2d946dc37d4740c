"""Smoke tests of the overhead benchmark and the GPU check script, run as child processes on the CPU.

No timing is asserted (the machine may be shared); only that the scripts run, that the adaptive arm's monitor did
its checks during the timed steps, and the structural results: the scheduler state does not grow with the model
width, one host read (one GPU sync) per check, identical LRs on two gloo ranks.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "OMP_NUM_THREADS": "1",
}


def run_script(args: list[str], timeout: int) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def test_bench_overhead_smoke(tmp_path: Path) -> None:
    proc = run_script([str(SCRIPTS / "bench_overhead.py"), "--smoke", "--output_dir", str(tmp_path)], timeout=300)
    md_path, json_path = tmp_path / "cpu_smoke_results.md", tmp_path / "cpu_smoke_results.json"
    assert md_path.exists() and json_path.exists()
    md = md_path.read_text()
    for heading in ("## Full train step", "## The monitor alone", "## Scheduler state", "## Peak process memory"):
        assert heading in md
    assert "| model | params |" in md and "median paired" in md
    assert "torch" in proc.stdout and "machine:" in proc.stdout

    res = json.loads(json_path.read_text())
    assert res["mode"] == "smoke" and res["machine"]["torch"] and res["machine"]["cpu"]
    (full,) = res["full_step"]
    assert full["checks_timed"] == full["checks_expected"] > 0  # the monitor worked during the timed steps
    assert full["statistics_timed"] == full["checks_timed"]
    assert full["warmup_end_step"] is None  # ... and the warmup was still running
    for clock in ("cpu", "wall"):
        assert len(full[clock]["paired_ratios"]) == full["trials"]
        assert all(math.isfinite(r) and r > 0 for r in full[clock]["paired_ratios"])
    (mon,) = res["monitor"]
    assert mon["check_s"] > 0 and mon["optimizer_step_s"] > 0
    assert mon["host_reads_per_check"] <= 1 and mon["host_reads_linear_scheduler_step"] == 0
    small, wide = res["state"]
    assert wide["width"] > small["width"] and wide["params"] > small["params"]
    assert small["monitor_state_bytes"] == wide["monitor_state_bytes"] > 0
    assert abs(small["adaptive_state_dict_bytes"] - wide["adaptive_state_dict_bytes"]) <= 64
    assert wide["adaptive_total_bytes"] <= 64 * 1024
    assert {r["arm"] for r in res["memory"]} == {"linear", "adaptive"}
    assert all(r["peak_rss_training_bytes"] > 0 for r in res["memory"])
    assert next(r for r in res["memory"] if r["arm"] == "adaptive")["checks"] > 0


@pytest.mark.slow
def test_gpu_check_on_cpu_with_gloo_ranks(tmp_path: Path) -> None:
    accelerate = Path(sys.executable).parent / "accelerate"
    if not accelerate.exists():
        pytest.skip(f"no accelerate launcher next to {sys.executable}")
    proc = run_script(
        [str(SCRIPTS / "gpu_check.py"), "--cpu-ranks", "--cpu-smoke", "--force-cpu", "--output_dir", str(tmp_path)],
        timeout=400,
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
            assert len(per_rank) == 2 and per_rank[0] == per_rank[1]
        assert r["checks"] > 0 and r["end_reason"] == "stable"
        assert r["warmup_end_step"][0] is not None
