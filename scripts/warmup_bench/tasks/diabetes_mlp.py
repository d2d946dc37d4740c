"""Task ``diabetes_mlp``: a regression on tabular data, an MLP predicting disease progression from scikit-learn's
bundled diabetes data (442 patients, 10 features; no download).

Features and target standardised on the training rows (80 %, a fixed shuffle); Gaussian input noise of std
``noise`` on every training batch (fresh), none on the held-out rows. ``n_layer`` GELU layers of ``hidden`` units
with LayerNorm, a linear output, mean squared error. AdamW β2 0.999, weight decay 0.01 (not on norms and
biases), clipping at 1.0, cosine decay to 0, batch 32. Eval: MSE on the held-out 20 %; stuck = not below 0.95 ×
the error of predicting the training mean. The regression family beside the denoising autoencoders on the digits
(``digits_ae*``, ``conv_ae``): other data, a scalar target, many epochs over few rows. A round-6 test task
(``split.json``: sealed as ``next_test`` until round 6 closed), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..protocol import Arm, Sizes, scheduler_request
from .loop import adamw, train

NAME = "diabetes_mlp"
VERSION = 1

_BASE: dict[str, Any] = dict(T=400, hidden=256, n_layer=3, batch=32, noise=0.3, beta1=0.9, beta2=0.999,
                             weight_decay=0.01, clip=1.0, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, hidden=16, n_layer=1), "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [1e-1, 3e-1], "full": [3e-2, 1e-1, 3e-1, 1.0]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"MLP regression ({cfg['n_layer']} GELU layers of {cfg['hidden']}, LayerNorm) on sklearn diabetes with "
            f"input noise {cfg['noise']}, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(train x, train y, eval x, eval y)``, standardised with the training rows' statistics."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.float32)
    cut = int(0.8 * len(x))
    x = (x - x[:cut].mean(0)) / x[:cut].std(0)
    y = (y - y[:cut].mean()) / y[:cut].std()
    return torch.from_numpy(x[:cut]), torch.from_numpy(y[:cut]), torch.from_numpy(x[cut:]), torch.from_numpy(y[cut:])


def mlp(cfg: dict[str, Any], features: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = features
    for _ in range(cfg["n_layer"]):
        layers += [nn.Linear(width, cfg["hidden"]), nn.LayerNorm(cfg["hidden"]), nn.GELU()]
        width = cfg["hidden"]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    xt, yt, xe, ye = (t.to(device) for t in data())
    noise_gen = torch.Generator().manual_seed(30_000 + seed)
    torch.manual_seed(seed)
    model = mlp(cfg, xt.shape[1]).to(device)
    opt = adamw(model, lr, cfg, no_decay=())  # LayerNorm weights and biases are 1-d: never decayed
    idx = torch.from_numpy(np.random.default_rng(20_000 + seed).integers(0, len(xt), size=(cfg["T"], cfg["batch"])))

    def loss_fn(step: int) -> torch.Tensor:
        b = idx[step].to(device)
        x = xt[b] + cfg["noise"] * torch.randn(len(b), xt.shape[1], generator=noise_gen).to(device)
        return F.mse_loss(model(x).squeeze(-1), yt[b])

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        return {"eval_loss": float(F.mse_loss(model(xe).squeeze(-1), ye))}

    stuck = float(F.mse_loss(yt.mean().expand_as(ye), ye))
    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate, stuck_level=stuck * 0.95,
                 clip=cfg["clip"])
