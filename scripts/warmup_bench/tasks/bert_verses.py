"""Task ``bert_verses``: an encoder-only transformer trained from scratch, a tiny BERT classifying KJV verses.

Which of five parts of the Bible a verse comes from (law, history, poetry and wisdom, prophets, New
Testament), from its words: a word vocabulary built from the training verses, ``[CLS]`` + the first words,
``BertForSequenceClassification`` from a ``BertConfig`` (post-LN, as BERT is). AdamW β2 0.98, eps 1e-6, weight
decay 0.01 (not on biases and LayerNorms), clipping at 1.0, linear decay to 0 (RoBERTa-style settings), in the
plain loop (:mod:`warmup_bench.tasks.loop`). Eval: cross-entropy on held-out verses, accuracy beside; stuck = no
better than the class prior. A test task.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..protocol import Arm, Sizes
from ..text import verses
from . import seqclass
from .loop import adamw

NAME = "bert_verses"
VERSION = 1
#: Books per part, in the KJV's order (66 books): law 5, history 12, poetry and wisdom 5, prophets 17, NT 27.
PARTS = (5, 12, 5, 17, 27)

_BASE: dict[str, Any] = dict(
    T=400, hidden=64, n_layer=2, n_head=4, intermediate=256, words=32, vocab=4000, batch=32, n_eval=1024,
    beta1=0.9, beta2=0.98, eps=1e-6, weight_decay=0.01, clip=1.0, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, hidden=32, n_layer=1, intermediate=64, words=16, vocab=500, batch=8, n_eval=64),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [1e-3, 3e-3], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"BERT from scratch ({cfg['n_layer']} layers, width {cfg['hidden']}, {cfg['vocab']} words, first "
            f"{cfg['words'] - 1} words) classifying KJV verses into {len(PARTS)} parts, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch "
            f"{cfg['batch']}")


def part_labels(rows: tuple[tuple[str, str], ...]) -> list[int]:
    """The part (0 … ``len(PARTS) - 1``) of each ``(book, text)`` verse, from its book's place in the KJV's order."""
    order = [b for i, (b, _) in enumerate(rows) if i == 0 or rows[i - 1][0] != b]
    bounds = np.cumsum(PARTS)
    part = {b: int(np.searchsorted(bounds, i, side="right")) for i, b in enumerate(order)}
    return [part[b] for b, _ in rows]


def encode(cfg: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(train ids, train labels, eval ids, eval labels)``; ids ``[n, words]`` (:func:`seqclass.word_ids`)."""
    rows = verses()
    labels = torch.tensor(part_labels(rows))
    perm = np.random.default_rng(0).permutation(len(rows))
    held, kept = perm[: cfg["n_eval"]], perm[cfg["n_eval"]:]
    ids = seqclass.word_ids([seqclass.tokenize(t) for _, t in rows], kept, cfg["vocab"], cfg["words"])
    return ids[kept], labels[kept], ids[held], labels[held]


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import BertConfig, BertForSequenceClassification

    data = encode(cfg)
    conf = BertConfig(vocab_size=cfg["vocab"], hidden_size=cfg["hidden"], num_hidden_layers=cfg["n_layer"],
                      num_attention_heads=cfg["n_head"], intermediate_size=cfg["intermediate"],
                      max_position_embeddings=cfg["words"], hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0, type_vocab_size=1, num_labels=len(PARTS),
                      pad_token_id=seqclass.PAD)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(conf).to(device)
    opt = adamw(model, lr, cfg, no_decay=("LayerNorm",))
    return seqclass.train_classifier(model, opt, data, len(PARTS), arm, seed, cfg, device)
