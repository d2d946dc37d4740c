"""Task ``cnn_bn_long``: a long run (T = 3,000) of a CNN with BatchNorm on the noisy 8×8 digits.

Four 3×3 convolutions (24, 24, 48, 48 channels), each followed by ``BatchNorm2d`` and ReLU, a 2×2 max-pool after
the second, global average pooling and a linear head. AdamW β2 0.98, weight decay 0.05 (not on biases and
BatchNorm parameters), clipping at 1.0, cosine decay to 0, batch 64; data, noise and metrics in
:mod:`warmup_bench.tasks.digits` (BatchNorm's running statistics at eval). The vision family beside
``digits_cnn`` (no norm layers, three convolutions and a 2-layer head, β2 0.99, no clipping) and ``vit_digits``:
normalisation makes most weights scale-invariant, which changes what a high LR does early. A round-4 test task
(``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier
from .loop import adamw

NAME = "cnn_bn_long"
VERSION = 1

_BASE: dict[str, Any] = dict(T=3000, channels=(24, 24, 48, 48), batch=64, noise=1.0, eval_copies=8, beta1=0.9,
                             beta2=0.98, weight_decay=0.05, clip=1.0, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, channels=(8, 8, 8, 8)), "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [1e-1, 3e-1], "full": [1e-2, 3e-2, 1e-1, 3e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"CNN with BatchNorm (3×3 convs {'/'.join(map(str, cfg['channels']))}, global average pool) on sklearn "
            f"digits with input noise {cfg['noise']}, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip "
            f"{cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def _conv(a: int, b: int) -> list[nn.Module]:
    return [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]


class BNCNN(nn.Module):
    def __init__(self, channels: tuple[int, int, int, int]) -> None:
        super().__init__()
        c1, c2, c3, c4 = channels
        self.body = nn.Sequential(
            *_conv(1, c1), *_conv(c1, c2), nn.MaxPool2d(2), *_conv(c2, c3), *_conv(c3, c4),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c4, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.view(-1, 1, 8, 8))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return adamw(model, lr, cfg, no_decay=())

    return run_classifier(arm, lr, seed, cfg, device, lambda: BNCNN(tuple(cfg["channels"])), optimizer)
