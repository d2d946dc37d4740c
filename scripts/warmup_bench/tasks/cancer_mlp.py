"""Task ``cancer_mlp``: a binary classification on tabular data, an MLP telling malignant from benign tumours in
scikit-learn's bundled breast-cancer data (569 patients, 30 features; no download).

Features standardised on the training rows (75 %, a fixed shuffle), the other 25 % held out. ``n_layer`` GELU
layers of ``hidden`` units, **no LayerNorm**, dropout ``dropout`` after each (off at eval), a 2-way linear head,
cross-entropy. AdamW β2 0.99, no weight decay, **no gradient clipping**, linear decay to 0, batch 16. Eval:
cross-entropy on the held-out 25 %, accuracy beside; stuck = not below 0.95 × the loss of predicting the training
class prior. The MLP family beside ``digits_mlp`` (a deep ReLU MLP on noisy digits, Adam β2 0.999, cosine decay),
``resmlp_*`` and ``mixer_digits`` (residual and mixer blocks on the digits), and the tabular ``diabetes_mlp``
(regression, LayerNorm, input noise, clipping): tabular data, two classes, few rows, plain unnormalised layers
without clipping. A round-10 test task (``split.json``: sealed as ``next_test``), added before any
``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..protocol import Arm, Sizes, scheduler_request
from .loop import adamw, classification_scores, prior_loss, train

NAME = "cancer_mlp"
VERSION = 1

_BASE: dict[str, Any] = dict(T=200, hidden=128, n_layer=3, dropout=0.1, batch=16, beta1=0.9, beta2=0.99,
                             weight_decay=0.0, clip=None, decay={"decay": "linear"})
_MODES: dict[str, dict[str, Any]] = {"smoke": dict(T=30, hidden=16, n_layer=1), "quick": {}, "full": {}}
_LRS = {"smoke": [3e-3], "quick": [3e-3, 3e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    clip = "no clipping" if cfg["clip"] is None else f"clip {cfg['clip']}"
    return (f"MLP binary classifier ({cfg['n_layer']} GELU layers of {cfg['hidden']}, no LayerNorm, dropout "
            f"{cfg['dropout']}) on sklearn breast cancer, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, {clip}, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def data() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(train x, train y, eval x, eval y)``, features standardised with the training rows' statistics."""
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.int64)
    cut = int(0.75 * len(x))
    x = (x - x[:cut].mean(0)) / x[:cut].std(0)
    return torch.from_numpy(x[:cut]), torch.from_numpy(y[:cut]), torch.from_numpy(x[cut:]), torch.from_numpy(y[cut:])


def mlp(cfg: dict[str, Any], features: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = features
    for _ in range(cfg["n_layer"]):
        layers += [nn.Linear(width, cfg["hidden"]), nn.GELU(), nn.Dropout(cfg["dropout"])]
        width = cfg["hidden"]
    return nn.Sequential(*layers, nn.Linear(width, 2))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    xt, yt, xe, ye = (t.to(device) for t in data())
    torch.manual_seed(seed)
    model = mlp(cfg, xt.shape[1]).to(device)
    opt = adamw(model, lr, cfg, no_decay=())
    idx = torch.from_numpy(np.random.default_rng(20_000 + seed).integers(0, len(xt), size=(cfg["T"], cfg["batch"])))

    def loss_fn(step: int) -> torch.Tensor:
        b = idx[step].to(device)
        return F.cross_entropy(model(xt[b]), yt[b])

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        return classification_scores(model(xe), ye)

    stuck = prior_loss(yt, ye, 2)
    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate, stuck_level=stuck * 0.95,
                 clip=cfg["clip"])
