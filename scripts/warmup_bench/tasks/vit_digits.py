"""Task ``vit_digits``: a vision transformer from scratch, a tiny ViT on the noisy 8×8 digits.

``ViTForImageClassification`` from a ``ViTConfig`` (pre-LN encoder, ``[CLS]`` token, learned position
embeddings): 2×2 patches of the 8×8 image (16 patches + ``[CLS]``), 3 layers, width 64, no dropout. AdamW β2
0.999, weight decay 0.05 (not on biases, LayerNorms, the ``[CLS]`` token and the position embeddings), clipping
at 1.0, cosine decay to 0, in the plain loop; data, noise and metrics in :mod:`warmup_bench.tasks.digits`. The
vision family, but a transformer (the other vision tasks are CNNs). A next-round test task (``split.json``:
``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..protocol import Arm, Sizes
from .digits import run_classifier
from .loop import adamw

NAME = "vit_digits"
VERSION = 1

_BASE: dict[str, Any] = dict(T=400, patch=2, hidden=64, n_layer=3, n_head=4, intermediate=128, batch=64, noise=1.0,
                             eval_copies=8, beta1=0.9, beta2=0.999, weight_decay=0.05, clip=1.0,
                             decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, patch=4, hidden=16, n_layer=1, intermediate=32),
                                     "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [1e-3, 3e-3], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"ViT from scratch ({cfg['n_layer']} pre-LN layers, width {cfg['hidden']}, {cfg['patch']}×{cfg['patch']} "
            f"patches) on sklearn digits with input noise {cfg['noise']}, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch "
            f"{cfg['batch']}")


class ViT(nn.Module):
    """``ViTForImageClassification`` on flat 64-pixel inputs: ``forward(x) -> logits``."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        from transformers import ViTConfig, ViTForImageClassification

        super().__init__()
        conf = ViTConfig(image_size=8, patch_size=cfg["patch"], num_channels=1, hidden_size=cfg["hidden"],
                         num_hidden_layers=cfg["n_layer"], num_attention_heads=cfg["n_head"],
                         intermediate_size=cfg["intermediate"], hidden_dropout_prob=0.0,
                         attention_probs_dropout_prob=0.0, num_labels=10)
        self.vit = ViTForImageClassification(conf)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.vit(pixel_values=x.view(-1, 1, 8, 8)).logits


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return adamw(model, lr, cfg, no_decay=("layernorm", "embeddings.cls_token", "position_embeddings"))

    return run_classifier(arm, lr, seed, cfg, device, lambda: ViT(cfg), optimizer)
