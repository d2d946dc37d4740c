"""Task ``digits_mlp``: a non-transformer, a deep MLP on scikit-learn's bundled 8×8 digits (no download), noisy inputs.

Adam with β2 0.999 (the default), no weight decay, no clipping, cosine decay to 0; 80 % of the 1,797 images
for training (standardised features), 20 % held out. Main metric: held-out cross-entropy; accuracy beside.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .loop import train
from .protocol import Arm, scheduler_request

NAME = "digits_mlp"
VERSION = 1

_BASE: dict[str, Any] = dict(T=400, width=256, depth=4, batch=64, noise=1.0, eval_copies=8, beta1=0.9,
                             beta2=0.999, clip=None, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, width=32, depth=2), "quick": {}, "full": {}}
_LRS = {"smoke": [1e-2], "quick": [1e-2, 3e-2], "full": [3e-3, 1e-2, 3e-2, 6e-2]}


def config(mode: str) -> dict[str, Any]:
    return {**copy.deepcopy(_BASE), **_MODES[mode]}


def lrs(mode: str) -> list[float]:
    return list(_LRS[mode])


def describe(cfg: dict[str, Any]) -> str:
    return (f"MLP ({cfg['depth']} hidden layers of {cfg['width']}, ReLU) on sklearn digits with input noise "
            f"{cfg['noise']}, Adam β2 {cfg['beta2']}, "
            f"no clipping, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def _data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order].astype(np.float32), y[order]
    cut = int(0.8 * len(x))
    mu, sd = x[:cut].mean(0), x[:cut].std(0) + 1e-3
    x = (x - mu) / sd
    return torch.from_numpy(x[:cut]), torch.from_numpy(y[:cut]), torch.from_numpy(x[cut:]), torch.from_numpy(y[cut:])


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    xt, yt, xe, ye = _data()
    # inputs corrupted by Gaussian noise (std ``noise`` on standardised pixels): fresh noise per training batch,
    # a fixed noisy set of ``eval_copies`` copies of each held-out image, so the eval loss is an average over
    # thousands of examples instead of a few confident mistakes
    gen = torch.Generator().manual_seed(1234)
    xe = (xe.repeat(cfg["eval_copies"], 1) + cfg["noise"] * torch.randn(len(xe) * cfg["eval_copies"], xe.shape[1],
                                                                        generator=gen))
    ye = ye.repeat(cfg["eval_copies"])
    xt, yt, xe, ye = (t.to(device) for t in (xt, yt, xe, ye))
    noise_gen = torch.Generator().manual_seed(30_000 + seed)
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    width_in = xt.shape[1]
    for _ in range(cfg["depth"]):
        layers += [nn.Linear(width_in, cfg["width"]), nn.ReLU()]
        width_in = cfg["width"]
    model = nn.Sequential(*layers, nn.Linear(width_in, 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]))
    rng = np.random.default_rng(20_000 + seed)
    idx = torch.from_numpy(rng.integers(0, len(xt), size=(cfg["T"], cfg["batch"])))

    def loss_fn(step: int) -> torch.Tensor:
        b = idx[step].to(device)
        x = xt[b] + cfg["noise"] * torch.randn(len(b), xt.shape[1], generator=noise_gen).to(device)
        return F.cross_entropy(model(x), yt[b])

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        logits = model(xe)
        return {"eval_loss": float(F.cross_entropy(logits, ye)),
                "accuracy": float((logits.argmax(-1) == ye).float().mean())}

    prior = np.bincount(yt.cpu().numpy(), minlength=10) / len(yt)
    stuck = float(-np.log(prior[ye.cpu().numpy()]).mean()) - 0.05
    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate,
                 stuck_level=stuck if math.isfinite(stuck) else None, clip=cfg["clip"])
