"""Task ``lstm_verses``: a recurrent classifier, a two-layer LSTM over word embeddings telling which of the five
parts of the Bible a KJV verse comes from, in a plain loop.

The verses, their words, the held-out verses and the word vocabulary as ``bert_verses``
(:func:`warmup_bench.tasks.bert_verses.encode`: ``[CLS]`` + the first words). A word embedding, ``nn.LSTM``
(``n_layer`` layers) and a linear head on the mean of its outputs over the real words. AdamW β2 0.98, weight
decay 0.01 (not on biases), clipping at 1.0, cosine decay to 0.1·peak, batch 32. Eval: cross-entropy on held-out
verses, accuracy beside; stuck = no better than the class prior. The recurrent family beside ``lstm_charlm`` (an
LSTM char LM, no clipping) and ``gru_tweets`` (a GRU on tweets, Adam β2 0.999, no clipping): a classifier on
verses, with clipping and weight decay. A round-6 test task
(``split.json``: sealed as ``next_test`` until round 6 closed), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from . import bert_verses, seqclass
from .loop import adamw

NAME = "lstm_verses"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=600, embed=64, hidden=128, n_layer=2, words=24, vocab=4000, batch=32, n_eval=1024, beta1=0.9, beta2=0.98,
    weight_decay=0.01, clip=1.0, decay={"decay": "cosine", "min_lr_ratio": 0.1},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, embed=16, hidden=16, n_layer=1, words=12, vocab=500, batch=8, n_eval=64),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [3e-2, 1e-1], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    d = cfg["decay"]
    return (f"LSTM ({cfg['n_layer']} layers, hidden {cfg['hidden']}, {cfg['vocab']} words, first {cfg['words'] - 1} "
            f"words) classifying KJV verses into {len(bert_verses.PARTS)} parts, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, clip {cfg['clip']}, {d['decay']} decay to {d.get('min_lr_ratio', 0.0)}·peak, "
            f"T={cfg['T']}, batch {cfg['batch']}")


class LSTMClassifier(nn.Module):
    """``forward(input_ids, attention_mask) -> .logits``: embedding, ``nn.LSTM``, the head on the mean output over
    the unmasked positions."""

    def __init__(self, cfg: dict[str, Any], n_classes: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(cfg["vocab"], cfg["embed"], padding_idx=seqclass.PAD)
        self.rnn = nn.LSTM(cfg["embed"], cfg["hidden"], cfg["n_layer"], batch_first=True)
        self.head = nn.Linear(cfg["hidden"], n_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        out, _ = self.rnn(self.emb(input_ids))
        mask = attention_mask.unsqueeze(-1).to(out.dtype)
        return SimpleNamespace(logits=self.head((out * mask).sum(1) / mask.sum(1)))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = bert_verses.encode(cfg)
    torch.manual_seed(seed)
    model = LSTMClassifier(cfg, len(bert_verses.PARTS)).to(device)
    opt = adamw(model, lr, cfg, no_decay=())
    return seqclass.train_classifier(model, opt, data, len(bert_verses.PARTS), arm, seed, cfg, device)
