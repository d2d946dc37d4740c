"""Shared pieces of the digits tasks: scikit-learn's bundled 8×8 digits (no download) with Gaussian input noise.

80 % of the 1,797 images train (standardised features), 20 % are held out. Inputs are corrupted by Gaussian
noise (std ``cfg["noise"]`` on standardised pixels): fresh noise per training batch, a fixed noisy set of
``cfg["eval_copies"]`` copies of each held-out image, so that the eval loss is an average over thousands of
examples instead of a few confident mistakes. Main metric: held-out cross-entropy; accuracy beside; stuck =
no better than the class prior.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..protocol import Arm, scheduler_request
from .loop import classification_scores, prior_loss, train


def _data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order].astype(np.float32), y[order]
    cut = int(0.8 * len(x))
    mu, sd = x[:cut].mean(0), x[:cut].std(0) + 1e-3
    x = (x - mu) / sd
    return torch.from_numpy(x[:cut]), torch.from_numpy(y[:cut]), torch.from_numpy(x[cut:]), torch.from_numpy(y[cut:])


def run_classifier(
    arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str,
    build: Callable[[], torch.nn.Module], optimizer: Callable[[torch.nn.Module], torch.optim.Optimizer],
) -> dict[str, Any]:
    """``cfg["T"]`` steps of ``build()`` (made after ``torch.manual_seed(seed)``) on flat 64-pixel inputs."""
    xt, yt, xe, ye = _data()
    gen = torch.Generator().manual_seed(1234)
    xe = (xe.repeat(cfg["eval_copies"], 1) + cfg["noise"] * torch.randn(len(xe) * cfg["eval_copies"], xe.shape[1],
                                                                        generator=gen))
    ye = ye.repeat(cfg["eval_copies"])
    xt, yt, xe, ye = (t.to(device) for t in (xt, yt, xe, ye))
    noise_gen = torch.Generator().manual_seed(30_000 + seed)
    torch.manual_seed(seed)
    model = build().to(device)
    opt = optimizer(model)
    rng = np.random.default_rng(20_000 + seed)
    idx = torch.from_numpy(rng.integers(0, len(xt), size=(cfg["T"], cfg["batch"])))

    def loss_fn(step: int) -> torch.Tensor:
        b = idx[step].to(device)
        x = xt[b] + cfg["noise"] * torch.randn(len(b), xt.shape[1], generator=noise_gen).to(device)
        return F.cross_entropy(model(x), yt[b])

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        return classification_scores(model(xe), ye)

    stuck = prior_loss(yt, ye, 10) - 0.05
    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate,
                 stuck_level=stuck if math.isfinite(stuck) else None, clip=cfg["clip"])
