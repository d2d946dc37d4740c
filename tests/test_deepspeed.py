"""DeepSpeed ZeRO-0/1/2/3 and ZeRO-2 with optimizer offload, through a real Trainer, 2 CPU processes.

One ``torchrun --standalone`` launch (the OS picks the rendezvous port: no port race) runs every config of
``configs/deepspeed/`` (the files the README tells users to copy) with ``DS_ACCELERATOR=cpu``: per config a
24-step run that saves a DeepSpeed checkpoint at step 8, and a run resumed from it (see ``ds_worker.py``).
DeepSpeed builds a shared-memory comm op on its first start (about 60 s); it is cached in the venv
(``TORCH_EXTENSIONS_DIR=<venv>/torch_extensions``), so later runs take about 90 s for all five configs.

Tolerances. The five runs train identically (same losses), so ``S`` may differ only by float rounding:
gradients are reduced in a different order, and the per-coordinate sums in a different order. One fp32
rounding (6e-8) in ``v_t / v_{t-k}`` moves an innovation ``e = (a · v_t / v_{t-k} - b) / c`` by
``6e-8 · a / c``, and ``a / c = (1 - β2^(t-k)) / (1 - β2^k) <= (t - k) / k <= 11`` in these runs: about 1e-6.
So: 1e-5 (relative) at the first two checks, 1e-4 (absolute) later, as rounding can build up over steps.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import deepspeed  # noqa: F401  (a missing or broken DeepSpeed fails the file: tests/skip_guard.py)
import pytest
from launchers import CONFIGS, torchrun, worker_env

NAMES = ["zero0", "zero1", "zero2", "zero3", "zero2_offload"]
WORKER = Path(__file__).with_name("ds_worker.py")
STEPS, SAVE, MAX_WARMUP = 24, 8, 20


def ds_env(tmp: Path) -> dict[str, str]:
    """CPU DeepSpeed, the comm op cached inside the venv (built once, about 60 s)."""
    cache = os.environ.get("TORCH_EXTENSIONS_DIR") or str(Path(sys.prefix) / "torch_extensions")
    return worker_env(tmp, DS_ACCELERATOR="cpu", TORCH_EXTENSIONS_DIR=cache)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("deepspeed")
    out = tmp / "runs.json"
    cmd = [*torchrun(2), str(WORKER), str(out), *(str(CONFIGS / "deepspeed" / f"{n}.json") for n in NAMES)]
    proc = subprocess.run(cmd, env=ds_env(tmp), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


def checks(record: dict[str, Any]) -> dict[int, float]:
    return {int(step): s for step, s in record["checks"]}


def coherences(record: dict[str, Any]) -> dict[int, float]:
    return {int(step): phi for step, phi in record["coherence"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_deepspeed_zero_stage(name: str, runs: dict[str, Any]) -> None:
    ranks = runs[name]
    assert [r["rank"] for r in ranks] == [0, 1]
    first = ranks[0]["full"]
    # every rank: the same LR at every step, the same decision, and it came from the statistic
    for r in ranks:
        assert r["full"]["lrs"] == first["lrs"], f"{name}: ranks used different learning rates"
        assert r["full"]["warmup_end_step"] == first["warmup_end_step"]
        assert r["full"]["checks"] == first["checks"]
    assert len(first["lrs"]) == STEPS
    # decided by the statistics, before the bound (this tiny LM at 3e-3 overshoots: "edge" at step 10)
    assert first["end_reason"] in ("stable", "edge") and first["warmup_end_step"] < MAX_WARMUP, first
    # S is finite at every check, and equals ZeRO-0's
    s, s0 = checks(first), checks(runs["zero0"][0]["full"])
    assert s and all(math.isfinite(v) for v in s.values()), s
    assert s.keys() == s0.keys()
    # one check per 2 real steps (ZeRO calls the inner step() once per param group: counted once), the first a
    # snapshot, until the decision
    assert sorted(s) == list(range(4, first["warmup_end_step"] + 1, 2)), s  # the last check decided: L = its step
    for i, step in enumerate(sorted(s)):
        if i < 2:
            assert s[step] == pytest.approx(s0[step], rel=1e-5), (name, step)
        else:
            assert s[step] == pytest.approx(s0[step], abs=1e-4), (name, step)
    # the coherence φ (first moments read from the same flat fp32 partitions) equals ZeRO-0's too
    phi, phi0 = coherences(first), coherences(runs["zero0"][0]["full"])
    assert phi.keys() == s.keys() and all(math.isfinite(v) and v > 0 for v in phi.values()), phi
    assert all(phi[k] == pytest.approx(phi0[k], rel=1e-4) for k in phi), (name, phi, phi0)
    assert first["warmup_end_step"] == runs["zero0"][0]["full"]["warmup_end_step"]
    assert first["loss"] == pytest.approx(runs["zero0"][0]["full"]["loss"], rel=1e-5)
    # a DeepSpeed checkpoint resumes with the same LR path, the same S and the same decision
    for r in ranks:
        resumed = r["resumed"]
        after = {int(k): v for k, v in resumed["lrs"].items()}
        full = {int(k): v for k, v in first["lrs"].items()}
        assert sorted(after) == list(range(SAVE + 1, STEPS + 1))
        assert all(after[k] == pytest.approx(full[k], rel=1e-9) for k in after), name
        assert resumed["warmup_end_step"] == first["warmup_end_step"]
        assert resumed["end_reason"] == first["end_reason"]
        assert all(v == pytest.approx(s[k], abs=1e-9) for k, v in checks(resumed).items()), name
        assert checks(resumed) and min(checks(resumed)) > SAVE  # the resumed run made the decision itself


@pytest.mark.slow
def test_deepspeed_engines_are_named(runs: dict[str, Any]) -> None:
    engines = {n: runs[n][0]["full"]["engine"] for n in NAMES}
    assert engines == {"zero0": "DeepSpeed ZeRO-0", "zero1": "DeepSpeed ZeRO-1", "zero2": "DeepSpeed ZeRO-2",
                       "zero3": "DeepSpeed ZeRO-3", "zero2_offload": "DeepSpeed ZeRO-2"}
