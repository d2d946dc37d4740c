"""DeepSpeed ZeRO-0/1/2/3 and ZeRO-2 with optimizer offload, through a real Trainer, 2 CPU processes.

One ``torchrun --standalone`` launch (the OS picks the rendezvous port: no port race) runs every config of
``configs/deepspeed/`` (the files docs/engines.md tells users to copy) with ``DS_ACCELERATOR=cpu``: per config a
24-step run that saves a DeepSpeed checkpoint at step 8, and a run resumed from it (see ``ds_worker.py``). Both
forms are run at every stage: without an ``optimizer`` block (the Trainer's torch AdamW, handed to DeepSpeed) and
with one (``*_optimizer.json``: DeepSpeed builds the optimizer, ``FusedAdam``, or ``DeepSpeedCPUAdam`` under
``offload_optimizer``, and calls the Trainer's scheduler factory with it), plus ZeRO-3 with ``"type": "Adam"`` and
explicit values (written here from ``zero3_optimizer.json``), and plain DDP, which trains as ZeRO-0 with the
Trainer's AdamW does. DeepSpeed builds a shared-memory comm op and the CPU
``FusedAdam`` and ``DeepSpeedCPUAdam`` ops on their first start (about 60 s each on 2 cores); they are cached in
the venv (``TORCH_EXTENSIONS_DIR=<venv>/torch_extensions``), so later runs take about 70 s for all twelve.

Tolerances. Within one form, the runs train identically (same losses), so ``S`` may differ only by float
rounding: gradients are reduced in a different order, and the per-coordinate sums in a different order. One
fp32 rounding (6e-8) in ``v_t / v_{t-k}`` moves an innovation ``e = (a · v_t / v_{t-k} - b) / c`` by
``6e-8 · a / c``, and ``a / c = (1 - β2^(t-k)) / (1 - β2^k) <= (t - k) / k <= 11`` in these runs: about 1e-6.
So: 1e-5 (relative) at the first two checks, 1e-4 (absolute) later, as rounding can build up over steps. Each
form is compared with its own ZeRO-0.

Across the two forms the training is not the same to the bit: DeepSpeed's ``FusedAdam`` and torch's AdamW round
differently (their ``exp_avg_sq`` differ by about 1e-5, relative, after a few steps). For almost every coordinate
that moves ``e`` by about 1e-5, but about 30 of the 15.8k coordinates (GPT-2's attention key bias, whose true
gradient is 0) hold pure rounding noise (``v`` of 1e-28 to 1e-26) and their ``e`` can move across its whole range
``[-1, 9]``. About 8 of them fall in the ~3,950 sampled coordinates (stride 4), so ``S`` may differ by up to
8 · 10 / 3950 ≈ 0.02 (measured: 0.003); ``φ`` is a ratio of sums, to which those coordinates add nothing
(measured: 1.4e-5, relative 1e-5): 1e-3 relative.
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
from ds_worker import DDP, KWARGS, LR, SAVE, STEPS
from launchers import CONFIGS, torchrun, worker_env

TRAINER_SIDE = ["zero0", "zero1", "zero2", "zero3", "zero2_offload"]  # the Trainer builds the optimizer
CONFIG_SIDE = [f"{name}_optimizer" for name in TRAINER_SIDE]  # DeepSpeed builds it from the config
EXPLICIT = "zero3_adam_explicit"  # zero3_optimizer.json with "type": "Adam" and explicit values
NAMES = [DDP, *TRAINER_SIDE, *CONFIG_SIDE, EXPLICIT]
MAX_WARMUP = KWARGS["max_warmup_steps"]
WORKER = Path(__file__).with_name("ds_worker.py")


def ds_env(tmp: Path) -> dict[str, str]:
    """CPU DeepSpeed, the comm and optimizer ops cached inside the venv (built once, about 60 s each)."""
    cache = os.environ.get("TORCH_EXTENSIONS_DIR") or str(Path(sys.prefix) / "torch_extensions")
    return worker_env(tmp, DS_ACCELERATOR="cpu", TORCH_EXTENSIONS_DIR=cache)


def explicit_adam_config(tmp: Path) -> Path:
    """``zero3_optimizer.json`` with ``"type": "Adam"`` and explicit values: the worker's TrainingArguments' (the
    Trainer refuses a config value that contradicts them)."""
    config = json.loads((CONFIGS / "deepspeed" / "zero3_optimizer.json").read_text())
    config["optimizer"] = {"type": "Adam", "params": {"lr": LR, "betas": [0.9, 0.999], "eps": 1e-8,
                                                       "weight_decay": 0.0}}
    path = tmp / f"{EXPLICIT}.json"
    path.write_text(json.dumps(config))
    return path


def reference(name: str) -> str:
    """The ZeRO-0 run of the same form (the same training to the bit; DDP too, with the Trainer's AdamW)."""
    return "zero0" if name in (DDP, *TRAINER_SIDE) else "zero0_optimizer"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("deepspeed")
    out = tmp / "runs.json"
    shipped = [CONFIGS / "deepspeed" / f"{name}.json" for name in [*TRAINER_SIDE, *CONFIG_SIDE]]
    configs = [DDP, *shipped, explicit_adam_config(tmp)]
    cmd = [*torchrun(2), str(WORKER), str(out), *map(str, configs)]
    proc = subprocess.run(cmd, env=ds_env(tmp), capture_output=True, text=True, timeout=1500)
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
    ref = runs[reference(name)][0]["full"]
    assert [r["rank"] for r in ranks] == [0, 1]
    first = ranks[0]["full"]
    # every rank: the same LR at every step, the same decision, and it came from the statistic
    for r in ranks:
        assert r["full"]["lrs"] == first["lrs"], f"{name}: ranks used different learning rates"
        assert r["full"]["warmup_end_step"] == first["warmup_end_step"]
        assert r["full"]["checks"] == first["checks"]
        assert not r["full"]["nan_warnings"] and not r["resumed"]["nan_warnings"], r["full"]["nan_warnings"]
    assert len(first["lrs"]) == STEPS
    # decided by the statistics, before the bound (this tiny LM at 3e-3 overshoots: "edge" at step 10)
    assert first["end_reason"] in ("stable", "edge") and first["warmup_end_step"] < MAX_WARMUP, first
    # S is finite at every check, and equals ZeRO-0's
    s, s0 = checks(first), checks(ref)
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
    phi, phi0 = coherences(first), coherences(ref)
    assert phi.keys() == s.keys() and all(math.isfinite(v) and v > 0 for v in phi.values()), phi
    assert all(phi[k] == pytest.approx(phi0[k], rel=1e-4) for k in phi), (name, phi, phi0)
    assert first["warmup_end_step"] == ref["warmup_end_step"]
    assert first["loss"] == pytest.approx(ref["loss"], rel=1e-5)
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
def test_either_side_building_the_optimizer_gives_the_same_s(runs: dict[str, Any]) -> None:
    """ZeRO-0 with the Trainer's AdamW against ZeRO-0 with DeepSpeed's FusedAdam: the same decision, S within
    kernel rounding (see the module docstring for 0.02 and 1e-3)."""
    trainer, config = runs["zero0"][0]["full"], runs["zero0_optimizer"][0]["full"]
    assert (config["warmup_end_step"], config["end_reason"]) == (trainer["warmup_end_step"], trainer["end_reason"])
    assert checks(config).keys() == checks(trainer).keys()
    assert all(v == pytest.approx(checks(trainer)[k], abs=0.02) for k, v in checks(config).items())
    assert all(v == pytest.approx(coherences(trainer)[k], rel=1e-3) for k, v in coherences(config).items())


@pytest.mark.slow
def test_deepspeed_engines_and_optimizers_are_named(runs: dict[str, Any]) -> None:
    stages = ["ZeRO-0", "ZeRO-1", "ZeRO-2", "ZeRO-3", "ZeRO-2"]
    read = {n: (runs[n][0]["full"]["engine"], runs[n][0]["full"]["optimizer"]) for n in NAMES}
    expected = {
        DDP: ("torch", "AdamW"),
        **{n: (f"DeepSpeed {stage}", "AdamW") for n, stage in zip(TRAINER_SIDE, stages)},
        **{n: (f"DeepSpeed {stage}", "FusedAdam") for n, stage in zip(CONFIG_SIDE, stages)},
        "zero2_offload_optimizer": ("DeepSpeed ZeRO-2", "DeepSpeedCPUAdam"),  # offload_optimizer substitutes it
        EXPLICIT: ("DeepSpeed ZeRO-3", "FusedAdam"),
    }
    assert read == expected
