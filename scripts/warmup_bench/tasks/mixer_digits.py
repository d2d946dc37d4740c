"""Task ``mixer_digits``: an all-MLP vision model, a tiny MLP-Mixer on the noisy 8×8 digits.

Each image is cut into 16 patches of 2×2 pixels, each patch embedded linearly to ``width`` channels; ``depth``
Mixer blocks, each a token-mixing MLP (across the 16 patches, hidden ``token_hidden``) and a channel-mixing MLP
(across channels, hidden ``channel_hidden``), both pre-LayerNorm, GELU and residual; a final LayerNorm, the mean
over patches and a linear head. Adam (not AdamW) β2 0.99, no weight decay, no clipping, cosine decay to 0, batch
64; data, noise and metrics in :mod:`warmup_bench.tasks.digits`. The MLP family beside ``digits_mlp`` (a plain
ReLU MLP on the flat pixels, Adam β2 0.999) and ``resmlp_long`` (residual pre-LN blocks on the flat pixels, AdamW
β2 0.95, clipping): MLPs that mix along two axes of a patch grid, with LayerNorms. A round-5 test task
(``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier

NAME = "mixer_digits"
VERSION = 1
PATCHES, PATCH_PIXELS = 16, 4  # 2×2 patches of an 8×8 image

_BASE: dict[str, Any] = dict(T=400, width=64, depth=3, token_hidden=64, channel_hidden=128, batch=64, noise=1.0,
                             eval_copies=8, beta1=0.9, beta2=0.99, clip=None, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, width=16, depth=1, token_hidden=16, channel_hidden=32), "quick": {}, "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [3e-2, 1e-1], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"MLP-Mixer ({cfg['depth']} blocks, 16 patches of 2×2, width {cfg['width']}, token/channel hidden "
            f"{cfg['token_hidden']}/{cfg['channel_hidden']}) on sklearn digits with input noise {cfg['noise']}, Adam "
            f"β2 {cfg['beta2']}, no weight decay, no clipping, {cfg['decay']['decay']} decay, T={cfg['T']}, batch "
            f"{cfg['batch']}")


class MixerBlock(nn.Module):
    """``h + token_mlp(LN(h))ᵀ``, then ``h + channel_mlp(LN(h))``, on ``[batch, patches, width]``."""

    def __init__(self, width: int, token_hidden: int, channel_hidden: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.token_up, self.token_down = nn.Linear(PATCHES, token_hidden), nn.Linear(token_hidden, PATCHES)
        self.channel_up, self.channel_down = nn.Linear(width, channel_hidden), nn.Linear(channel_hidden, width)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        t = self.norm1(h).transpose(1, 2)
        h = h + self.token_down(F.gelu(self.token_up(t))).transpose(1, 2)
        return h + self.channel_down(F.gelu(self.channel_up(self.norm2(h))))


class Mixer(nn.Module):
    """``forward(x) -> logits`` on flat 64-pixel images."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        super().__init__()
        width = cfg["width"]
        self.embed = nn.Linear(PATCH_PIXELS, width)
        self.blocks = nn.Sequential(*[MixerBlock(width, cfg["token_hidden"], cfg["channel_hidden"])
                                      for _ in range(cfg["depth"])])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = x.view(-1, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(-1, PATCHES, PATCH_PIXELS)
        return self.head(self.norm(self.blocks(self.embed(patches))).mean(1))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]))

    return run_classifier(arm, lr, seed, cfg, device, lambda: Mixer(cfg), optimizer)
