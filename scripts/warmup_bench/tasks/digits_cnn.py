"""Task ``digits_cnn``: a vision model, a small CNN (no normalisation layers) on the noisy 8×8 digits.

Three 3×3 convolutions (16, 32, 32 channels, ReLU, one 2×2 max-pool) and a 2-layer head, AdamW β2 0.99 with
weight decay 0.01, no clipping, cosine decay to 0; data, noise and metrics in :mod:`warmup_bench.tasks.digits`. A test
task; ``digits_cnn_long`` is the same task at 10·T.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier

NAME = "digits_cnn"
VERSION = 1

_BASE: dict[str, Any] = dict(T=300, channels=(16, 32, 32), hidden=64, batch=64, noise=1.0, eval_copies=8,
                             beta1=0.9, beta2=0.99, weight_decay=0.01, clip=None, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, channels=(8, 8, 8), hidden=16), "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [3e-3, 1e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"CNN (3×3 convs {'/'.join(map(str, cfg['channels']))}, head {cfg['hidden']}, no norm layers) on sklearn "
            f"digits with input noise {cfg['noise']}, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, no clipping, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


class CNN(nn.Module):
    def __init__(self, channels: tuple[int, int, int], hidden: int) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(16 * c3, hidden), nn.ReLU(),
            nn.Linear(hidden, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.view(-1, 1, 8, 8))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.AdamW(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]),
                                 weight_decay=cfg["weight_decay"])

    return run_classifier(arm, lr, seed, cfg, device, lambda: CNN(tuple(cfg["channels"]), cfg["hidden"]), optimizer)
