"""Real 2-process runs (``accelerate launch --multi_gpu --num_processes 2`` on CPU: gloo).

Every rank must use the same LR at every step and end warmup at the same step, with replicated state (DDP
through a real Trainer) and with sharded state (ZeroRedundancyOptimizer, FSDP2 ``fully_shard``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import accelerate_launch_2proc

WORKER = Path(__file__).with_name("dist_worker.py")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["ddp", "zero", "fsdp2"])
def test_every_rank_sees_the_same_lr(mode: str, tmp_path: Path) -> None:
    out = tmp_path / "ranks.json"
    env = {**os.environ, "WORKER_TMP": str(tmp_path / "trainer"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [*accelerate_launch_2proc(), str(WORKER), mode, str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ranks = json.loads(out.read_text())
    assert [r["rank"] for r in ranks] == [0, 1]
    assert len(ranks[0]["lrs"]) == 24
    assert ranks[0]["lrs"] == ranks[1]["lrs"], "ranks used different learning rates"
    ends = {r["warmup_end_step"] for r in ranks}
    assert len(ends) == 1 and None not in ends, f"warmup ended at different steps on the ranks: {ends}"
    # the LR ramps during warmup and reaches the peak at the warmup end
    lrs = ranks[0]["lrs"]
    end = ends.pop()
    assert all(b >= a for a, b in zip(lrs[:end], lrs[1:end]))
    assert lrs[end - 1] <= 3e-3 + 1e-12 and max(lrs) <= 3e-3 + 1e-12
