"""``make cards``: regenerate ``model_cards/`` (and the README's user-script figure) from real runs, offline.

Runs, each as its own process with its log kept:

* ``scripts/pretrain_lm.py``: the KJV character-level GPT-2 (``kjv-char-gpt2-adaptive-warmup``);
* ``scripts/finetune_classification.py``: all-MiniLM-L6-v2 on tweet sentiment
  (``minilm-tweet-sentiment-adaptive-warmup``);
* ``examples/user_script.py``: a user's own 20-line Trainer script (its ``warmup.png`` becomes
  ``docs/img/user_script_warmup.png``).

For each card it writes, side by side in ``model_cards/``: ``NAME.md`` (the run's ``README.md``, image link
renamed), ``NAME.png`` (``warmup.png``), ``NAME.summary.json``, ``NAME.warmup.json`` and ``NAME.log`` (the
command and its output); for the user-script figure, ``docs/img/user_script_warmup.json`` (the run's
``warmup.json``). Each summary (and that report) records the command, its wall time and ``provenance``
(``scripts/warmup_bench/provenance.py``), stamped when the run started, so the README's ``cards`` block says by
itself when the code changed since. ``tests/test_model_cards.py`` checks that every number a card claims equals its
summary. ``OMP_NUM_THREADS`` defaults to 1 (these models are small). ``--only NAME`` runs one of them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from warmup_bench.provenance import stamp

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "model_cards"
OUT = ROOT / "outputs" / "cards"

RUNS: dict[str, list[str]] = {
    "kjv-char-gpt2-adaptive-warmup": [
        "scripts/pretrain_lm.py", "--n_layer", "3", "--n_embd", "128", "--n_head", "4", "--block_size", "128",
        "--learning_rate", "3e-3", "--max_steps", "600", "--per_device_train_batch_size", "32",
        "--max_eval_samples", "256", "--logging_steps", "10", "--save_strategy", "no", "--report_to", "none",
        "--seed", "42",
    ],
    "minilm-tweet-sentiment-adaptive-warmup": [
        "scripts/finetune_classification.py", "--max_train_samples", "4000", "--max_eval_samples", "1000",
        "--max_seq_length", "64", "--per_device_train_batch_size", "32", "--per_device_eval_batch_size", "64",
        "--num_train_epochs", "1", "--learning_rate", "1e-4",
        "--logging_steps", "5", "--save_strategy", "no", "--report_to", "none", "--seed", "42",
    ],
}
USER_SCRIPT = ["examples/user_script.py"]  # output_dir and steps appended
USER_FIGURE = ROOT / "docs" / "img" / "user_script_warmup.png"
USER_REPORT = USER_FIGURE.with_suffix(".json")


def _env() -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1",
           "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.setdefault("OMP_NUM_THREADS", "1")  # small models: threads only contend (set it to use more)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _command(cmd: list[str]) -> str:
    return " ".join(["python", *cmd[1:]])


def _run(cmd: list[str], log: Path) -> float:
    started = time.time()
    with open(log, "w") as fh:
        fh.write("$ " + _command(cmd) + "\n\n")
        fh.flush()
        proc = subprocess.run(cmd, cwd=ROOT, env=_env(), stdout=fh, stderr=subprocess.STDOUT, text=True)
    took = time.time() - started
    with open(log, "a") as fh:
        fh.write(f"\n[exit {proc.returncode} after {took:.0f} s]\n")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log}")
    return took


def _tidy_log(log: Path) -> None:
    """Keep the last state of each progress-bar line (tqdm writes ``\\r`` updates)."""
    lines = [line.split("\r")[-1] for line in log.read_text(errors="replace").split("\n")]
    log.write_text("\n".join(lines))


def _stamped(src: Path, dest: Path, command: str, provenance: dict[str, Any], took: float) -> None:
    """``src`` (a run's json) copied to ``dest`` with the command, its wall time and the provenance added."""
    data = json.loads(src.read_text())
    data.update(command=command, make_cards_wall_s=round(took, 1), provenance=provenance)
    dest.write_text(json.dumps(data, indent=2) + "\n")


def make_card(name: str) -> float:
    out = OUT / name
    shutil.rmtree(out, ignore_errors=True)
    CARDS.mkdir(exist_ok=True)
    log = CARDS / f"{name}.log"
    cmd = [sys.executable, *RUNS[name], "--output_dir", str(out.relative_to(ROOT)), "--model_card_name", name]
    provenance = stamp(_command(cmd), ROOT)
    took = _run(cmd, log)
    _tidy_log(log)
    card = (out / "README.md").read_text().replace("](warmup.png)", f"]({name}.png)")
    (CARDS / f"{name}.md").write_text(card)
    shutil.copyfile(out / "warmup.png", CARDS / f"{name}.png")
    _stamped(out / "summary.json", CARDS / f"{name}.summary.json", _command(cmd), provenance, took)
    shutil.copyfile(out / "warmup.json", CARDS / f"{name}.warmup.json")
    return took


def make_user_figure() -> float:
    out = OUT / "user_script"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [sys.executable, *USER_SCRIPT, str(out.relative_to(ROOT)), "120"]
    provenance = stamp(_command(cmd), ROOT)
    took = _run(cmd, out / "run.log")
    USER_FIGURE.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "warmup.png", USER_FIGURE)
    _stamped(out / "warmup.json", USER_REPORT, _command(cmd), provenance, took)
    return took


def main(argv: list[str] | None = None) -> int:
    from tqdm.auto import tqdm

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=[*RUNS, "user_script"], action="append",
                        help="run only these (repeatable); default: all")
    ns = parser.parse_args(argv)
    jobs = ns.only or [*RUNS, "user_script"]
    bar = tqdm(jobs, desc="model cards", unit="run")
    for job in bar:
        bar.set_postfix_str(job)
        took = make_user_figure() if job == "user_script" else make_card(job)
        where = USER_FIGURE if job == "user_script" else CARDS / f"{job}.md"
        tqdm.write(f"{job}: {took:.0f} s -> {where.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
