"""Task ``t5_trainer``: an encoder-decoder (a tiny T5 from a config) trained from scratch through the ``Trainer``.

Char-level seq2seq on the KJV text from its middle: the encoder reads ``src`` characters, the decoder predicts
the ``tgt`` characters that follow (teacher forcing; id 0 is T5's pad / decoder start, a character ``c`` is
``c + 1``). The Trainer's defaults: AdamW β2 0.999, clipping at 1.0, linear decay to 0. A tuning task: the
issue measured this case (the edge ended every run, within 1 % at one LR of three).
"""

from __future__ import annotations

from typing import Any

import torch

from ..protocol import Arm, Sizes, scheduler_request
from . import charlm, trainer_loop

NAME = "t5_trainer"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=300, d_model=64, d_kv=16, d_ff=256, n_layer=2, n_head=4, src=32, tgt=32, batch=16, chars=1_000_000,
    text_start=0.45, eval_blocks=128, beta1=0.9, beta2=0.999, weight_decay=0.0, clip=1.0, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, d_model=32, d_kv=8, d_ff=64, n_layer=1, src=16, tgt=16, batch=8, chars=100_000,
                  eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [1e-3, 1e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"T5 encoder-decoder from scratch ({cfg['n_layer']}+{cfg['n_layer']} layers, width {cfg['d_model']}), "
            f"char seq2seq {cfg['src']} → next {cfg['tgt']} chars, through the HF Trainer with its defaults: AdamW β2 "
            f"{cfg['beta2']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import T5Config, T5ForConditionalGeneration

    length = cfg["src"] + cfg["tgt"]
    data = charlm.load(cfg["text_start"], cfg["chars"], length - 1, cfg["eval_blocks"])
    train = charlm.windows(data, cfg["T"] * cfg["batch"], length, seed)
    conf = T5Config(vocab_size=data.vocab_size + 1, d_model=cfg["d_model"], d_kv=cfg["d_kv"], d_ff=cfg["d_ff"],
                    num_layers=cfg["n_layer"], num_decoder_layers=cfg["n_layer"], num_heads=cfg["n_head"],
                    dropout_rate=0.0, feed_forward_proj="relu", pad_token_id=0, decoder_start_token_id=0,
                    eos_token_id=None, tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(conf)

    def dataset(w: torch.Tensor) -> trainer_loop.DictDataset:
        w = w + 1
        return trainer_loop.DictDataset({"input_ids": w[:, : cfg["src"]], "labels": w[:, cfg["src"]:]})

    return trainer_loop.train(model=model, train_ds=dataset(train), eval_ds=dataset(data.eval_blocks),
                              request=scheduler_request(arm, cfg["T"], cfg["decay"]), cfg=cfg, lr=lr, seed=seed,
                              device=device, stuck_level=data.unigram_loss - 0.05)
