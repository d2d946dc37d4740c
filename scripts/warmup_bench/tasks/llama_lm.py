"""Task ``llama_lm``: a tiny pre-norm Llama (``LlamaConfig`` + ``AutoModelForCausalLM.from_config``), LLM-style.

AdamW β2 0.95, weight decay 0.1, gradient clipping at 1.0, cosine decay to a ``min_lr_ratio`` floor of 0.1,
character-level, on a slice of the KJV text from its last quarter (a different part than ``postln_lm``).
"""

from __future__ import annotations

from typing import Any

import torch

from ..models import Logits, causal_lm, llama_config
from ..protocol import Arm, Sizes
from . import charlm

NAME = "llama_lm"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=400, hidden=64, n_layer=2, n_head=4, intermediate=176, block=32, batch=16, chars=1_000_000,
    text_start=0.75, eval_blocks=128, beta1=0.9, beta2=0.95, weight_decay=0.1, clip=1.0,
    decay={"decay": "cosine", "min_lr_ratio": 0.1},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, hidden=32, n_layer=1, intermediate=64, block=32, batch=8, chars=100_000, eval_blocks=16),
    "quick": dict(T=250),
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [3e-2, 1e-1], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    d = cfg["decay"]
    return (f"pre-norm Llama char LM ({cfg['n_layer']} layers, width {cfg['hidden']}, block {cfg['block']}), "
            f"AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, {d['decay']} decay to "
            f"{d.get('min_lr_ratio', 0.0)}·peak, T={cfg['T']}, batch {cfg['batch']}")


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = charlm.load(cfg["text_start"], cfg["chars"], cfg["block"], cfg["eval_blocks"])
    torch.manual_seed(seed)
    conf = llama_config(data.vocab_size, cfg["hidden"], cfg["n_layer"], cfg["n_head"], cfg["intermediate"],
                        cfg["block"], tie=False)
    model = causal_lm(conf).to(device)
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "norm" in name else decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, betas=(cfg["beta1"], cfg["beta2"]),
    )
    return charlm.train_lm(Logits(model), opt, data, arm, seed, cfg, device)
