"""Task ``convnext_digits``: a tiny ConvNeXt-style CNN on the noisy 8×8 digits.

A 2×2 patchifying stem (stride 2: 8×8 → 4×4, ``width`` channels) and a LayerNorm, then ``depth`` blocks, each a
depthwise 3×3 convolution, a LayerNorm over channels, a pointwise MLP (4× wider, GELU) and a learned per-channel
scale (initial 0.1) on the residual branch; global average pooling, a LayerNorm and a linear head. AdamW β2 0.999,
weight decay 0.05 (not on norms, biases and scales), no clipping, cosine decay to 0, batch 64; data, noise and
metrics in :mod:`warmup_bench.tasks.digits`. The vision family beside ``digits_cnn`` (plain convolutions, no
norm), ``cnn_bn_*`` (BatchNorm) and ``vit_digits`` (attention): depthwise convolutions, LayerNorms and layer
scale, Adam's default β2. A round-6 test task
(``split.json``: sealed as ``next_test`` until round 6 closed), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier
from .loop import adamw

NAME = "convnext_digits"
VERSION = 1

_BASE: dict[str, Any] = dict(T=400, width=48, depth=3, batch=64, noise=1.0, eval_copies=8, beta1=0.9,
                             beta2=0.999, weight_decay=0.05, clip=None, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, width=16, depth=1), "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [3e-2, 1e-1], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"ConvNeXt-style CNN ({cfg['depth']} blocks, width {cfg['width']}, depthwise 3×3, LayerNorm, layer "
            f"scale) on sklearn digits with input noise {cfg['noise']}, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, no clipping, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


class ChannelNorm(nn.LayerNorm):
    """A LayerNorm over the channels of ``[batch, channels, h, w]``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Block(nn.Module):
    """``x + scale · mlp(norm(dwconv(x)))``."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.dw = nn.Conv2d(width, width, 3, padding=1, groups=width)
        self.norm = ChannelNorm(width)
        self.up, self.down = nn.Conv2d(width, 4 * width, 1), nn.Conv2d(4 * width, width, 1)
        self.scale = nn.Parameter(torch.full((width, 1, 1), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.scale * self.down(F.gelu(self.up(self.norm(self.dw(x)))))


class ConvNeXt(nn.Module):
    """``forward(x) -> logits`` on flat 64-pixel images."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        super().__init__()
        width = cfg["width"]
        self.stem = nn.Sequential(nn.Conv2d(1, width, 2, stride=2), ChannelNorm(width))
        self.blocks = nn.Sequential(*[Block(width) for _ in range(cfg["depth"])])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(x.view(-1, 1, 8, 8)))
        return self.head(self.norm(h.mean((2, 3))))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    return run_classifier(arm, lr, seed, cfg, device, lambda: ConvNeXt(cfg),
                          lambda model: adamw(model, lr, cfg, no_decay=("norm", "scale")))
