"""Task ``gru_digits_long``: a long run (T = 3,000) of a recurrent classifier, a GRU reading each noisy 8×8 digit
row by row, in a plain loop.

Each image is a sequence of 8 steps (its rows) of 8 features (the row's standardised, noisy pixels); ``nn.GRU``
(``n_layer`` layers, hidden ``hidden``) and a linear head on its output at the last step, 10 classes. Adam (not
AdamW) β2 0.99, no weight decay, **no gradient clipping**, linear decay to 0, batch 64 (the same fixed-seed draw of
training rows for every arm); data, noise and metrics as the other digits tasks (:mod:`warmup_bench.tasks.digits`):
eval cross-entropy on the noisy held-out digits, accuracy beside; stuck = no better than the class prior. The
recurrent family beside ``lstm_charlm`` (an LSTM char LM, Adam β2 0.98, T = 400), ``gru_tweets`` (a GRU on tweet
words, Adam β2 0.999, T = 600) and ``lstm_verses`` (an LSTM on verse words, AdamW, clipping): a long run, on
images instead of text, with short sequences (8 steps) and β2 0.99. A round-9 test task (``split.json``: sealed as
``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier

NAME = "gru_digits_long"
VERSION = 1

_BASE: dict[str, Any] = dict(T=3000, hidden=64, n_layer=2, batch=64, noise=1.0, eval_copies=8, beta1=0.9,
                             beta2=0.99, clip=None, decay={"decay": "linear"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, hidden=8, batch=8), "quick": {}, "full": {}}
_LRS = {"smoke": [1e-2], "quick": [3e-3, 3e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    clip = "no gradient clipping" if cfg["clip"] is None else f"clip {cfg['clip']}"
    return (f"GRU ({cfg['n_layer']} layers, hidden {cfg['hidden']}) reading sklearn digits row by row (8 steps of 8 "
            f"pixels) with input noise {cfg['noise']}, Adam β2 {cfg['beta2']}, {clip}, {cfg['decay']['decay']} "
            f"decay, T={cfg['T']}, batch {cfg['batch']}")


class RowGRU(nn.Module):
    """``forward(x) -> logits`` for flat 64-pixel inputs: the 8 rows as 8 steps, ``nn.GRU``, the head on the last
    step's output."""

    def __init__(self, hidden: int, n_layer: int) -> None:
        super().__init__()
        self.rnn = nn.GRU(8, hidden, n_layer, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x.view(-1, 8, 8))
        return self.head(out[:, -1])


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]))

    return run_classifier(arm, lr, seed, cfg, device, lambda: RowGRU(cfg["hidden"], cfg["n_layer"]), optimizer)
