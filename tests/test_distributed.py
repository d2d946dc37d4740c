"""Real multi-process runs on CPU (gloo), launched with ``torchrun --standalone`` (no port race).

* 2 processes: a real Trainer (DDP), and by hand DDP, ``ZeroRedundancyOptimizer`` and FSDP2 ``fully_shard`` on
  the same model, data and seed. Every rank uses the same LR at every step and ends warmup at the same step,
  because the statistic fired (not the bound); and ``S`` is the same for every layout.
* 4 processes: FSDP2 over 4 ranks and HSDP (a 2 × 2 mesh: replicate × shard, the shape of
  ``configs/accelerate/hsdp.yaml``): the same ``S`` and the same decision.

Tolerances: with 2 ranks a gradient sum ``a + b`` is exact whatever the order, so the layouts train identically
and ``S`` differs only by the order of the float64 sums: 1e-9. With 4 ranks FSDP2 and HSDP add the 4 gradients
in different orders (fp32, 6e-8 relative); ``S`` moves by about that times ``a / c <= 11`` (see
``test_deepspeed.py``): 1e-5 relative at the first two checks, 1e-4 absolute later.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from launchers import CONFIGS, torchrun, worker_env

WORKER = Path(__file__).with_name("dist_worker.py")
STEPS, MAX_WARMUP = 24, 20


def launch(nproc: int, modes: list[str], tmp: Path, **env: str) -> dict[str, Any]:
    out = tmp / "ranks.json"
    cmd = [*torchrun(nproc), str(WORKER), str(out), *modes]
    proc = subprocess.run(cmd, env=worker_env(tmp / "trainer", **env), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


def assert_ranks_agree(ranks: list[dict[str, Any]], world: int) -> dict[str, Any]:
    """Every rank: the same LRs, checks and decision; the statistic (not the bound) ended the warmup."""
    assert [r["rank"] for r in ranks] == list(range(world))
    first = ranks[0]
    assert len(first["lrs"]) == STEPS
    for r in ranks[1:]:
        assert r["lrs"] == first["lrs"], "ranks used different learning rates"
        assert r["checks"] == first["checks"] and r["warmup_end_step"] == first["warmup_end_step"]
    assert first["end_reason"] == "stable" and first["warmup_end_step"] < MAX_WARMUP, first
    assert first["checks"] and all(math.isfinite(s) for _, s in first["checks"])
    lrs, end = first["lrs"], first["warmup_end_step"]
    assert all(b >= a for a, b in zip(lrs[:end], lrs[1:end]))  # the LR ramps during warmup
    assert max(lrs) <= 3e-3 + 1e-12
    return first


def assert_same_s(a: dict[str, Any], b: dict[str, Any], early: float, late: float) -> None:
    """The same S and coherence φ at the same checks (φ: a ratio of sums, to ``late`` relative), the same end."""
    sa, sb = dict(map(tuple, a["checks"])), dict(map(tuple, b["checks"]))
    assert sa.keys() == sb.keys()
    for i, step in enumerate(sorted(sa)):
        if i < 2:
            assert sa[step] == pytest.approx(sb[step], rel=early), step
        else:
            assert sa[step] == pytest.approx(sb[step], abs=late), step
    pa, pb = dict(map(tuple, a["coherence"])), dict(map(tuple, b["coherence"]))
    assert pa and pa.keys() == pb.keys() and all(math.isfinite(x) and x > 0 for x in pa.values())
    assert all(pa[step] == pytest.approx(pb[step], rel=max(early, late)) for step in pa)
    assert a["warmup_end_step"] == b["warmup_end_step"]
    assert a["peak_fraction"] == pytest.approx(b["peak_fraction"], rel=1e-12)


@pytest.mark.slow
def test_two_ranks_every_layout_gives_the_same_s(tmp_path: Path) -> None:
    runs = launch(2, ["ddp", "zero", "fsdp2", "trainer"], tmp_path)
    ref = assert_ranks_agree(runs["ddp"], 2)
    assert ref["engine"] == "torch"
    for mode, engine in (("zero", "ZeroRedundancyOptimizer"), ("fsdp2", "FSDP2")):
        run = assert_ranks_agree(runs[mode], 2)
        assert run["engine"] == engine
        assert_same_s(run, ref, early=1e-9, late=1e-9)
        assert run["lrs"] == pytest.approx(ref["lrs"], rel=1e-12)
    assert_ranks_agree(runs["trainer"], 2)


@pytest.mark.slow
def test_hsdp_equals_fsdp2_over_four_ranks(tmp_path: Path) -> None:
    config = yaml.safe_load((CONFIGS / "accelerate" / "hsdp.yaml").read_text())
    par = config["parallelism_config"]
    mesh = (par["parallelism_config_dp_replicate_size"], par["parallelism_config_dp_shard_size"])
    assert config["fsdp_config"]["fsdp_version"] == 2 and config["num_processes"] == mesh[0] * mesh[1] == 4
    fsdp2 = yaml.safe_load((CONFIGS / "accelerate" / "fsdp2.yaml").read_text())  # FSDP2: one shard dim
    assert fsdp2["fsdp_config"]["fsdp_version"] == 2 and "parallelism_config" not in fsdp2
    runs = launch(4, ["fsdp2:llama", "hsdp:llama"], tmp_path, HSDP_MESH=f"{mesh[0]},{mesh[1]}")
    fsdp = assert_ranks_agree(runs["fsdp2:llama"], 4)
    hsdp = assert_ranks_agree(runs["hsdp:llama"], 4)
    assert fsdp["engine"] == hsdp["engine"] == "FSDP2"
    assert_same_s(hsdp, fsdp, early=1e-5, late=1e-4)
