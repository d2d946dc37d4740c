"""Task ``digits_ae_long``: a long run (T = 3,000) of a regression, a denoising MLP autoencoder on the 8×8 digits.

Noisy images in (pixels scaled to [0, 1], Gaussian noise of std ``noise``, fresh per training batch), the clean
image out, through an MLP with a bottleneck (``64 → width × depth → bottleneck → width × depth → 64``, GELU),
mean squared error. AdamW β2 0.99, weight decay 0.01, no clipping, a warmup-stable-decay schedule (``wsd``: the
peak LR held until the last 20 % of T, then linear decay to 0). Eval: MSE on a fixed noisy copy set of the held-out
images (20 %); stuck = no better than predicting the mean training image. The only regression task and the only
``wsd`` decay; a long run where a short warmup is expected to be enough. A next-round test task
(``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..protocol import Arm, Sizes, scheduler_request
from .loop import train

NAME = "digits_ae_long"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=3000, width=256, depth=2, bottleneck=16, batch=128, noise=0.5, eval_copies=4, beta1=0.9, beta2=0.99,
    weight_decay=0.01, clip=None, decay={"decay": "wsd", "decay_ratio": 0.2},
)
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, width=32, depth=1, batch=32), "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [3e-3, 1e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    d = cfg["decay"]
    return (f"denoising MLP autoencoder ({cfg['depth']}+{cfg['depth']} GELU layers of {cfg['width']}, bottleneck "
            f"{cfg['bottleneck']}, MSE) on sklearn digits with input noise {cfg['noise']}, AdamW β2 {cfg['beta2']}, "
            f"wd {cfg['weight_decay']}, no clipping, {d['decay']} decay (last {100 * d['decay_ratio']:g} % of T), "
            f"T={cfg['T']}, batch {cfg['batch']}")


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    x = load_digits().data.astype(np.float32) / 16.0
    x = x[np.random.default_rng(0).permutation(len(x))]
    cut = int(0.8 * len(x))
    return torch.from_numpy(x[:cut]), torch.from_numpy(x[cut:])


def build(cfg: dict[str, Any]) -> nn.Module:
    widths = [64] + [cfg["width"]] * cfg["depth"] + [cfg["bottleneck"]] + [cfg["width"]] * cfg["depth"]
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.GELU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], 64))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    def optimizer(model: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.AdamW(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]),
                                 weight_decay=cfg["weight_decay"])

    return run_denoiser(arm, seed, cfg, device, lambda: build(cfg), optimizer)


def run_denoiser(arm: Arm, seed: int, cfg: dict[str, Any], device: str, build: Callable[[], nn.Module],
                 optimizer: Callable[[nn.Module], torch.optim.Optimizer]) -> dict[str, Any]:
    """``cfg["T"]`` steps of ``build()`` (made after ``torch.manual_seed(seed)``) mapping noisy flat 64-pixel
    images to the clean ones, MSE; stuck = not below 0.95 × the error of the mean training image."""
    xt, xe = _data()
    gen = torch.Generator().manual_seed(1234)
    xe = xe.repeat(cfg["eval_copies"], 1)
    xe_in = xe + cfg["noise"] * torch.randn(xe.shape, generator=gen)
    xt, xe, xe_in = (t.to(device) for t in (xt, xe, xe_in))
    noise_gen = torch.Generator().manual_seed(30_000 + seed)
    torch.manual_seed(seed)
    model = build().to(device)
    opt = optimizer(model)
    idx = torch.from_numpy(np.random.default_rng(20_000 + seed).integers(0, len(xt), size=(cfg["T"], cfg["batch"])))

    def loss_fn(step: int) -> torch.Tensor:
        x = xt[idx[step].to(device)]
        noisy = x + cfg["noise"] * torch.randn(x.shape, generator=noise_gen).to(device)
        return F.mse_loss(model(noisy), x)

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        return {"eval_loss": float(F.mse_loss(model(xe_in), xe))}

    stuck = float(F.mse_loss(xt.mean(0, keepdim=True).expand_as(xe), xe))
    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate,
                 stuck_level=stuck * 0.95, clip=cfg["clip"])
