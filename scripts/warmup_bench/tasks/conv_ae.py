"""Task ``conv_ae``: a regression, a convolutional denoising autoencoder on the 8×8 digits.

Noisy images in (pixels scaled to [0, 1], Gaussian noise of std ``noise``, fresh per training batch), the clean
image out: two 3×3 convolutions (the second with stride 2) and a 1×1 one down to a ``4×4×bottleneck`` code, a
stride-2 transposed convolution and a 3×3 convolution back up to 8×8, GELU between, mean squared error. Adam β2
0.99, no weight decay, no clipping, cosine decay to 0. Data and eval as ``digits_ae_long``
(:mod:`warmup_bench.tasks.digits_ae_long`): MSE on a fixed noisy copy set of the held-out images (20 %); stuck = no
better than predicting the mean training image. The regression family beside ``digits_ae``/``digits_ae_long`` (an
MLP with AdamW and a ``wsd`` decay): convolutions, plain Adam, cosine decay. A round-4 test task (``split.json``:
``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from .digits_ae_long import run_denoiser

NAME = "conv_ae"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=400, channels=32, bottleneck=4, batch=64, noise=0.5, eval_copies=4, beta1=0.9, beta2=0.99, clip=None,
    decay={"decay": "cosine"},
)
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, channels=8, batch=32), "quick": {}, "full": {}}
_LRS = {"smoke": [1e-2], "quick": [2e-2, 6e-2], "full": [2e-3, 6e-3, 2e-2, 6e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"convolutional denoising autoencoder ({cfg['channels']} channels, 4×4×{cfg['bottleneck']} code, MSE) "
            f"on sklearn digits with input noise {cfg['noise']}, Adam β2 {cfg['beta2']}, no clipping, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


class ConvAE(nn.Module):
    """``forward(x) -> x̂`` on flat 64-pixel images."""

    def __init__(self, channels: int, bottleneck: int) -> None:
        super().__init__()
        c = channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.GELU(), nn.Conv2d(c, c, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(c, bottleneck, 1), nn.GELU(),
            nn.ConvTranspose2d(bottleneck, c, 4, stride=2, padding=1), nn.GELU(), nn.Conv2d(c, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.view(-1, 1, 8, 8)).view(-1, 64)


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]))

    return run_denoiser(arm, seed, cfg, device, lambda: ConvAE(cfg["channels"], cfg["bottleneck"]), optimizer)
