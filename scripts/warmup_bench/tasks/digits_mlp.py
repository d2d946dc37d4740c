"""Task ``digits_mlp``: a non-transformer, a deep MLP on scikit-learn's bundled 8×8 digits (no download), noisy inputs.

Adam with β2 0.999 (the default), no weight decay, no clipping, cosine decay to 0; data, noise and metrics in
:mod:`warmup_bench.tasks.digits`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier

NAME = "digits_mlp"
VERSION = 1

_BASE: dict[str, Any] = dict(T=400, width=256, depth=4, batch=64, noise=1.0, eval_copies=8, beta1=0.9,
                             beta2=0.999, clip=None, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, width=32, depth=2), "quick": {}, "full": {}}
_LRS = {"smoke": [1e-2], "quick": [1e-2, 3e-2], "full": [3e-3, 1e-2, 3e-2, 6e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"MLP ({cfg['depth']} hidden layers of {cfg['width']}, ReLU) on sklearn digits with input noise "
            f"{cfg['noise']}, Adam β2 {cfg['beta2']}, "
            f"no clipping, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def build() -> nn.Module:
        layers: list[nn.Module] = []
        width_in = 64
        for _ in range(cfg["depth"]):
            layers += [nn.Linear(width_in, cfg["width"]), nn.ReLU()]
            width_in = cfg["width"]
        return nn.Sequential(*layers, nn.Linear(width_in, 10))

    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]))

    return run_classifier(arm, lr, seed, cfg, device, build, optimizer)
