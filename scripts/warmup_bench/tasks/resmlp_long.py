"""Task ``resmlp_long``: a long run (T = 3,000) of a residual MLP with pre-norm blocks on the noisy 8×8 digits.

``64 → width``, then ``depth`` blocks ``h + W2·GELU(W1·LayerNorm(h))`` (hidden ``expand · width``) and the 10-way
head on the residual stream: the transformer's MLP half without attention. No final LayerNorm: with one, every
weight but the head's is scale-invariant and W = 25 % was no better than W = 0 (eval loss at LR 0.1, 0.3, 1.0: 0.235
vs 0.234, 0.287 vs 0.265, 0.303 vs 0.298). AdamW β2 0.95, weight decay 0.1, clipping at 1.0, cosine decay to 0,
batch 64 (LLM-style settings, unlike ``digits_mlp``'s plain ReLU MLP with Adam β2 0.999 and no clipping). Data,
noise and metrics as the other digits tasks (:mod:`warmup_bench.tasks.digits`; on sklearn's ``load_breast_cancer``
every warmup gave the same loss). A round-3 test task (``split.json``: ``next_test``), added before any
``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier

NAME = "resmlp_long"
VERSION = 1

_BASE: dict[str, Any] = dict(T=3000, width=128, depth=4, expand=2, batch=64, noise=1.0, eval_copies=8, beta1=0.9,
                             beta2=0.95, weight_decay=0.1, clip=1.0, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, width=32, depth=2), "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [1e-1, 3e-1], "full": [1e-2, 3e-2, 1e-1, 3e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"residual MLP ({cfg['depth']} pre-LayerNorm GELU blocks of width {cfg['width']}, hidden "
            f"{cfg['expand'] * cfg['width']}, no final norm) on sklearn digits with input noise {cfg['noise']}, "
            f"AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, "
            f"T={cfg['T']}, batch {cfg['batch']}")


class Block(nn.Module):
    """``h + W2·GELU(W1·LayerNorm(h))``."""

    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.up = nn.Linear(width, hidden)
        self.down = nn.Linear(hidden, width)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.down(F.gelu(self.up(self.norm(h))))


def build(cfg: dict[str, Any]) -> nn.Module:
    width = cfg["width"]
    blocks = [Block(width, cfg["expand"] * width) for _ in range(cfg["depth"])]
    return nn.Sequential(nn.Linear(64, width), *blocks, nn.Linear(width, 10))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.AdamW(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]),
                                 weight_decay=cfg["weight_decay"])

    return run_classifier(arm, lr, seed, cfg, device, lambda: build(cfg), optimizer)
