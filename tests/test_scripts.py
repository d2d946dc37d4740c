"""The user-facing scripts through their real command lines, on tiny config models and tiny data subsets.

* ``finetune_classification.py --tiny`` (single process) and ``pretrain_lm.py`` under
  ``accelerate launch --multi_gpu --num_processes 2`` (2 gloo CPU processes): each writes its model card,
  ``warmup.png`` and ``summary.json``; the card's YAML front matter claims exactly the measured metrics;
* the bundled ``evaluate`` metric gives the right accuracy and macro-F1 offline;
* the script default ``--lr_scheduler_type adaptive_warmup`` shows in ``--help`` and can be overridden.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import accelerate_launch_2proc

from hf_warmup.card import SECTION_START

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))
from warmup_bench.model_card import load_card_spec, read_front_matter, render_model_card  # noqa: E402


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
            "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def _run(cmd: list[str], timeout: int = 240) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (f"{' '.join(cmd)}\n--- stdout\n{proc.stdout[-4000:]}\n"
                                  f"--- stderr\n{proc.stderr[-4000:]}")
    return proc


def _card_metrics(card: Path) -> dict[str, float]:
    meta = read_front_matter(card)
    assert meta["license"] == "apache-2.0"
    assert "hf_warmup" in meta["tags"] and "adaptive_warmup" in meta["tags"]
    [entry] = meta["model-index"]
    [result] = entry["results"]
    assert result["task"]["type"] and result["dataset"]["name"]
    claimed = {m["type"]: m["value"] for m in result["metrics"]}
    assert set(meta["metrics"]) == set(claimed)
    return claimed


def _check_outputs(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    assert (out / "warmup.png").stat().st_size > 1000
    assert (out / "trainer_state.json").is_file()
    card = (out / "README.md").read_text()
    assert "## Warmup" in card and "## Results" in card and "## Training data" in card
    assert summary["lr_scheduler_type"] == "adaptive_warmup"
    assert summary["end_reason"] in ("stable", "bound")
    report = json.loads((out / "warmup.json").read_text())  # written by the package, as for any Trainer run
    assert report["warmup_end_step"] == summary["warmup_end_step"] and report["checks"]
    assert card.count(SECTION_START) == 1
    assert summary["warmup_end_step"] is not None and 1 <= summary["warmup_end_step"] <= summary["num_training_steps"]
    assert f"Warmup ended at step {summary['warmup_end_step']}**" in card
    return summary


def _finetune_tiny(out: Path) -> subprocess.CompletedProcess[str]:
    return _run([
        sys.executable, str(SCRIPTS / "finetune_classification.py"), "--tiny", "--output_dir", str(out),
        "--max_train_samples", "96", "--max_eval_samples", "48", "--max_seq_length", "32",
        "--per_device_train_batch_size", "16", "--per_device_eval_batch_size", "48", "--max_steps", "12",
        "--learning_rate", "1e-3", "--logging_steps", "2", "--save_strategy", "no", "--report_to", "none",
        "--lr_scheduler_kwargs", '{"check_interval": 2, "patience": 2, "max_warmup_steps": 6}',
        "--model_card_name", "tiny-tweet-test", "--benchmark_dir", str(out / "no-benchmark"),
    ])


@pytest.fixture(scope="module")
def finetune_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("finetune")
    return out, _finetune_tiny(out)


def test_finetune_cli_writes_card_plot_summary(finetune_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, proc = finetune_run
    summary = _check_outputs(out)
    assert summary["num_training_steps"] == 12 and summary["global_step"] == 12
    assert summary["train_samples"] == 96 and summary["eval_samples"] == 48
    assert summary["labels"] == ["negative", "neutral", "positive"]
    assert "bundled" in summary["metric_source"]  # offline: the packaged evaluate module
    assert 0.0 <= summary["eval_accuracy"] <= 1.0 and 0.0 <= summary["eval_f1_macro"] <= 1.0
    assert summary["warmup_end_step"] <= 6
    assert "accuracy:" in proc.stdout and "card:" in proc.stdout and "warmup ended at step" in proc.stdout
    card = (out / "README.md").read_text()
    assert "scripts/benchmark_warmup.py" in card  # no benchmark file: the card says how to make one
    # the model folder loads back as a classifier
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["id2label"] == {"0": "negative", "1": "neutral", "2": "positive"}


def test_finetune_card_claims_exactly_the_measured_metrics(
    finetune_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    out, _ = finetune_run
    summary = json.loads((out / "summary.json").read_text())
    claimed = _card_metrics(out / "README.md")
    assert set(claimed) == {"accuracy", "f1"}
    assert claimed["accuracy"] == pytest.approx(summary["eval_accuracy"], abs=6e-5)
    assert claimed["f1"] == pytest.approx(summary["eval_f1_macro"], abs=6e-5)
    # the same numbers as the Trainer's own eval_results.json
    evals = json.loads((out / "eval_results.json").read_text())
    assert evals["eval_accuracy"] == summary["eval_accuracy"]


def test_finetune_repeats_exactly_with_its_seed(finetune_run: tuple[Path, subprocess.CompletedProcess[str]],
                                                tmp_path: Path) -> None:
    """The same command twice gives the same run: the model (here a --tiny one; by default MiniLM's new classifier
    head) is initialised from --seed, not from whatever the RNG held (the demo's accuracy and end used to vary)."""
    first, _ = finetune_run
    _finetune_tiny(tmp_path / "again")
    a, b = (json.loads((d / "summary.json").read_text()) for d in (first, tmp_path / "again"))
    for key in ("train_loss", "eval_loss", "eval_accuracy", "warmup_end_step", "end_reason"):
        assert a[key] == b[key], key
    checks = [json.loads((d / "warmup.json").read_text())["checks"] for d in (first, tmp_path / "again")]
    assert checks[0] == checks[1]


@pytest.mark.slow
def test_pretrain_lm_under_accelerate_two_processes(tmp_path: Path) -> None:
    out = tmp_path / "lm"
    proc = _run([
        *accelerate_launch_2proc(),
        str(SCRIPTS / "pretrain_lm.py"), "--output_dir", str(out), "--max_chars", "60000",
        "--n_layer", "1", "--n_embd", "32", "--n_head", "2", "--block_size", "32",
        "--per_device_train_batch_size", "8", "--max_steps", "16", "--max_eval_samples", "32",
        "--logging_steps", "2", "--eval_steps", "8", "--save_strategy", "no", "--learning_rate", "3e-3",
        "--lr_scheduler_kwargs", '{"check_interval": 2, "patience": 2, "max_warmup_steps": 8}',
        "--model_card_name", "tiny-kjv-test",
    ], timeout=300)
    summary = _check_outputs(out)
    assert summary["num_training_steps"] == 16
    assert "processes: 2" in (out / "README.md").read_text()
    assert summary["warmup_end_step"] <= 8
    assert summary["eval_perplexity"] == pytest.approx(math.exp(summary["eval_loss"]), rel=1e-9)
    claimed = _card_metrics(out / "README.md")
    assert claimed["perplexity"] == pytest.approx(summary["eval_perplexity"], abs=6e-5)
    assert claimed["loss"] == pytest.approx(summary["eval_loss"], abs=6e-5)
    # perplexity is logged at every evaluation, also the ones during training
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    evals = [e for e in history if "eval_loss" in e]
    assert len(evals) >= 2 and all(e["eval_perplexity"] == pytest.approx(math.exp(e["eval_loss"])) for e in evals)
    assert (out / "char_tokenizer.json").is_file()
    assert proc.stdout.count("perplexity (per character)") == 1  # printed by the main process only
    # the report is written once, by the main process (its end line is logged once)
    assert proc.stderr.count("report: ") == 1 and (out / "warmup.json").is_file()


def test_bundled_metric_offline() -> None:
    import evaluate
    from warmup_bench.metrics import CLASSIFICATION_METRIC

    metric = evaluate.load(CLASSIFICATION_METRIC, keep_in_memory=True)
    preds = [0, 1, 1, 2, 2, 0]
    refs = [0, 1, 2, 2, 1, 1]
    out = metric.compute(predictions=preds, references=refs)
    assert out["accuracy"] == pytest.approx(3 / 6)
    # per class F1 = 2TP / (2TP + FP + FN): class 0: 2/(2+1+0), class 1: 2/(2+1+2), class 2: 2/(2+1+1)
    assert out["f1"] == pytest.approx((2 / 3 + 2 / 5 + 2 / 4) / 3)
    # incremental use, as the Trainer-free evaluate API allows
    metric.add_batch(predictions=preds[:3], references=refs[:3])
    metric.add_batch(predictions=preds[3:], references=refs[3:])
    assert metric.compute() == out
    assert metric.compute(predictions=[1, 1], references=[1, 1]) == {"accuracy": 1.0, "f1": 1.0}


def test_finetune_metric_loader_uses_bundled_module_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import finetune_classification as fc

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    compute, source = fc.load_metrics()
    assert "bundled" in source
    assert compute([0, 2, 1], [0, 2, 2]) == pytest.approx({"accuracy": 2 / 3, "f1": (1 + 2 / 3 + 0) / 3})


def test_default_schedule_is_adaptive_and_overridable() -> None:
    import common
    import finetune_classification as fc
    from transformers import TrainingArguments

    types = (fc.ModelArguments, fc.DataArguments, common.OutputArguments, TrainingArguments)
    *_, args = common.parse_args(types, ["--output_dir", "x"], fc.DEFAULTS)
    assert common.schedule_name(args) == "adaptive_warmup"
    *_, args = common.parse_args(types, ["--lr_scheduler_type", "cosine", "--logging_steps", "7"], fc.DEFAULTS)
    assert common.schedule_name(args) == "cosine" and args.logging_steps == 7
    proc = _run([sys.executable, str(SCRIPTS / "finetune_classification.py"), "--help"], timeout=120)
    assert "adaptive_warmup" in proc.stdout and "--tiny" in proc.stdout and "--lr_scheduler_kwargs" in proc.stdout


def _fake_benchmark(folder: Path, name: str = "heldout_full_partial.json", shift: float = 0.0) -> Path:
    """A summary in the layout of scripts/benchmark_warmup.py (numbers made up for the test only; ``shift`` moves
    the adaptive gaps, to tell two files apart)."""
    folder.mkdir(parents=True, exist_ok=True)
    cell = {"status": "done", "n_seeds": 2}
    data = {
        "meta": {"mode": "quick", "seeds": [0, 1], "machine": "vm", "device": "cpu",
                 "tasks": {"postln_lm": {"describe": "post-LN char transformer LM", "lrs": [0.01, 0.03]}},
                 "arms": [{"label": "no_warmup"}, {"label": "adaptive_warmup"}]},
        "cells": {"postln_lm": {
            "0.01|no_warmup": {**cell, "gap_pct": 1.5, "warmup_steps": [0, 0]},
            "0.03|no_warmup": {**cell, "gap_pct": 27.25, "warmup_steps": [0, 0], "n_stuck": 1, "n_diverged": 1},
            "0.01|adaptive_warmup": {**cell, "gap_pct": 0.25 + shift, "warmup_steps": [30, 40]},
            "0.03|adaptive_warmup": {**cell, "gap_pct": -0.5 + shift, "warmup_steps": [60, 70]}}},
    }
    path = folder / name
    path.write_text(json.dumps(data))
    return path


def test_benchmark_section_cites_only_results_of_the_task(tmp_path: Path) -> None:
    import common

    assert "scripts/benchmark_warmup.py" in common.benchmark_section(str(tmp_path / "none"), ("kjv",), "x")
    _fake_benchmark(tmp_path)
    lm = common.benchmark_section(str(tmp_path), ("kjv", "char"), "the KJV LM")
    # a cell whose seeds got stuck or diverged says how many, beside its gap
    assert "| **`adaptive_warmup`** | +0.2% | -0.5% |" in lm and "| `no_warmup` | +1.5% | +27.2% (S1 D1) |" in lm
    assert "| `adaptive_warmup` warmup steps (per seed) | 30/40 | 60/70 |" in lm
    tweets = common.benchmark_section(str(tmp_path), ("tweet",), "tweet sentiment classification")
    assert "no task like tweet sentiment classification" in tweets and "%" not in tweets
    # a file of the current default (the headline's tuning set) wins over round 1's for the same task
    _fake_benchmark(tmp_path, "round4_tuning.json", shift=2.0)
    lm = common.benchmark_section(str(tmp_path), ("char",), "the KJV LM")
    assert "| **`adaptive_warmup`** | +2.2% | +1.5% |" in lm and "round4_tuning.json" in lm
    assert "heldout_full_partial" not in lm


def test_benchmark_section_says_when_the_benchmark_measured_other_code(tmp_path: Path) -> None:
    """A card's benchmark numbers measured at other ``hf_warmup`` sources than today's say so (a results file
    without a stamp too); with a stamp of today's sources they do not."""
    import common
    from warmup_bench.provenance import stamp

    path = _fake_benchmark(tmp_path)
    assert "**Stale:** this results file records no commit" in common.benchmark_section(str(tmp_path), ("char",), "x")
    data = json.loads(path.read_text())
    data["provenance"] = stamp("python scripts/benchmark_warmup.py")
    path.write_text(json.dumps(data))
    assert "**Stale:**" not in common.benchmark_section(str(tmp_path), ("char",), "x")
    data["provenance"]["source_files"]["hf_warmup/policy.py"] = "0" * 12
    path.write_text(json.dumps(data))
    assert "`hf_warmup/policy.py` changed since" in common.benchmark_section(str(tmp_path), ("char",), "x")


def test_card_spec_rerenders_to_the_same_card(finetune_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = finetune_run
    assert render_model_card(load_card_spec(str(out))) == (out / "README.md").read_text()
