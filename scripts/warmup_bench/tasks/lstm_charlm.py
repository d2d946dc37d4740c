"""Task ``lstm_charlm``: a recurrent language model, a 2-layer LSTM over characters in a plain loop.

``nn.LSTM`` (2 layers, hidden 128) between a character embedding and a linear head, trained on random
48-character windows of the KJV text (from its 60 % point), Adam β2 0.98, no weight decay, **no gradient
clipping** (LSTMs are usually clipped: without it a too-high LR is left to the warmup), linear decay to 0; eval
loss on held-out blocks (:mod:`warmup_bench.tasks.charlm`), stuck = no better than the unigram model. The
recurrent family. A next-round test task (``split.json``: ``next_test``), added before any ``adaptive_warmup`` run
of it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from . import charlm

NAME = "lstm_charlm"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=400, embed=64, hidden=128, n_layer=2, block=48, batch=32, chars=1_000_000, text_start=0.6, eval_blocks=128,
    beta1=0.9, beta2=0.98, clip=None, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, embed=16, hidden=32, n_layer=1, block=32, batch=8, chars=100_000, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [3e-2, 6e-2], "full": [1e-2, 3e-2, 6e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    clip = "no gradient clipping" if cfg["clip"] is None else f"clip {cfg['clip']}"
    return (f"LSTM char LM ({cfg['n_layer']} layers, hidden {cfg['hidden']}, block {cfg['block']}), Adam β2 "
            f"{cfg['beta2']}, {clip}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


class CharLSTM(nn.Module):
    """``forward(ids) -> logits``: embedding, ``nn.LSTM``, linear head."""

    def __init__(self, vocab: int, cfg: dict[str, Any]) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, cfg["embed"])
        self.rnn = nn.LSTM(cfg["embed"], cfg["hidden"], cfg["n_layer"], batch_first=True)
        self.head = nn.Linear(cfg["hidden"], vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(x))
        return self.head(out)


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = charlm.load(cfg["text_start"], cfg["chars"], cfg["block"], cfg["eval_blocks"])
    torch.manual_seed(seed)
    model = CharLSTM(data.vocab_size, cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]))
    return charlm.train_lm(model, opt, data, arm, seed, cfg, device)
