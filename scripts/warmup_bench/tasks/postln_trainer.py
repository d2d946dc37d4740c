"""Task ``postln_trainer``: a decoder-only post-LN char LM trained through the real ``Trainer`` with its defaults.

What a Trainer user gets: AdamW β2 0.999, gradient clipping at 1.0 (``max_grad_norm``), linear decay to 0 (the
schedule via ``lr_scheduler_type``, :mod:`warmup_bench.tasks.trainer_loop`). The model is ``charlm.CharTransformer``
(post-LN, 3 layers, block 64), whose forward returns the loss; a fixed set of ``T · batch`` random windows of
the KJV text from its first quarter. A tuning task: the issue measured this case (stuck at 3e-3).
"""

from __future__ import annotations

from typing import Any

import torch

from ..protocol import Arm, Sizes, scheduler_request
from . import charlm, trainer_loop

NAME = "postln_trainer"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=300, d_model=64, n_layer=3, n_head=4, d_ff=256, block=64, batch=16, chars=1_000_000, text_start=0.2,
    eval_blocks=128, beta1=0.9, beta2=0.999, weight_decay=0.0, clip=1.0, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, d_model=32, n_layer=1, d_ff=64, block=32, batch=8, chars=100_000, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-3], "quick": [1e-3, 3e-3], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"post-LN char transformer LM ({cfg['n_layer']} layers, width {cfg['d_model']}, block {cfg['block']}) "
            f"through the HF Trainer with its defaults: AdamW β2 {cfg['beta2']}, clip {cfg['clip']}, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = charlm.load(cfg["text_start"], cfg["chars"], cfg["block"], cfg["eval_blocks"])
    train = charlm.windows(data, cfg["T"] * cfg["batch"], cfg["block"] + 1, seed)
    torch.manual_seed(seed)
    model = charlm.CausalLM(charlm.CharTransformer(data.vocab_size, cfg))

    def dataset(w: torch.Tensor) -> trainer_loop.DictDataset:
        return trainer_loop.DictDataset({"input_ids": w[:, :-1], "labels": w[:, 1:]})

    return trainer_loop.train(model=model, train_ds=dataset(train), eval_ds=dataset(data.eval_blocks),
                              request=scheduler_request(arm, cfg["T"], cfg["decay"]), cfg=cfg, lr=lr, seed=seed,
                              device=device, stuck_level=data.unigram_loss - 0.05)
