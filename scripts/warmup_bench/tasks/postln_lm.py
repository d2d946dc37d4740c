"""Task ``postln_lm``: a post-LN character-level transformer LM without gradient clipping.

The classic case where warmup matters (Xiong et al. 2020): post-LN layers
(``nn.TransformerEncoderLayer(norm_first=False)`` with a causal mask), AdamW with β2 0.99, no weight decay,
no gradient clipping, cosine decay to 0, on a slice of the KJV text from its beginning.
"""

from __future__ import annotations

from typing import Any

import torch

from ..protocol import Arm, Sizes
from . import charlm

NAME = "postln_lm"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=400, d_model=64, n_layer=2, n_head=4, d_ff=256, block=32, batch=16, chars=1_000_000, text_start=0.0,
    eval_blocks=128, beta1=0.9, beta2=0.99, weight_decay=0.0, clip=None, decay={"decay": "cosine"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, d_model=32, n_layer=1, d_ff=64, block=32, batch=8, chars=100_000, eval_blocks=16),
    "quick": dict(T=250),
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [1e-2, 3e-2], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    clip = "no gradient clipping" if cfg["clip"] is None else f"clip {cfg['clip']}"
    d = cfg["decay"]
    floor = f" to {d['min_lr_ratio']}·peak" if d.get("min_lr_ratio") else ""
    return (f"{'pre-LN' if cfg.get('norm_first') else 'post-LN'} char transformer LM ({cfg['n_layer']} layers, "
            f"width {cfg['d_model']}, block {cfg['block']}), AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, "
            f"{clip}, {d['decay']} decay{floor}, T={cfg['T']}, batch {cfg['batch']}")


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = charlm.load(cfg["text_start"], cfg["chars"], cfg["block"], cfg["eval_blocks"])
    torch.manual_seed(seed)
    model = charlm.CharTransformer(data.vocab_size, cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(cfg["beta1"], cfg["beta2"]),
                            weight_decay=cfg["weight_decay"])
    return charlm.train_lm(model, opt, data, arm, seed, cfg, device)
