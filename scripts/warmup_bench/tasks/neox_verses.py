"""Task ``neox_verses``: a tiny GPT-NeoX (``GPTNeoXConfig`` + ``AutoModelForCausalLM.from_config``) trained from
scratch as a character-level LM on the KJV verses, LLM-style, in a plain loop.

GPT-NeoX: pre-LN with a **parallel residual** (``x + attn(ln1(x)) + mlp(ln2(x))``), rotary position embeddings on
a quarter of each head's dimensions, GELU, untied embeddings, no dropout. Random ``block``-character windows of
the KJV text from its 10 % point (a slice no other task starts at), held-out blocks of the rest
(:mod:`warmup_bench.tasks.charlm`). AdamW β2 0.95, weight decay 0.1 (not on biases and LayerNorms), clipping at
1.0, cosine decay to 0.1 · peak. Stuck = no better than the unigram model. The decoder family beside
``llama_lm`` and ``prenorm_long`` (sequential residual, RMSNorm or LayerNorm, learned or full rotary positions):
a parallel-residual block. A round-4 test task (``split.json``: ``next_test``), added before any
``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch

from ..models import Logits, causal_lm
from ..protocol import Arm, Sizes
from . import charlm
from .loop import adamw

NAME = "neox_verses"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=400, hidden=64, n_layer=2, n_head=4, intermediate=256, block=48, batch=16, chars=1_000_000,
    text_start=0.1, eval_blocks=128, beta1=0.9, beta2=0.95, weight_decay=0.1, clip=1.0,
    decay={"decay": "cosine", "min_lr_ratio": 0.1},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, hidden=32, n_layer=1, intermediate=64, block=32, batch=8, chars=100_000, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [3e-2, 1e-1], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    d = cfg["decay"]
    return (f"GPT-NeoX char LM ({cfg['n_layer']} parallel-residual layers, width {cfg['hidden']}, rotary, block "
            f"{cfg['block']}) on KJV verses, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, "
            f"{d['decay']} decay to {d.get('min_lr_ratio', 0.0)}·peak, T={cfg['T']}, batch {cfg['batch']}")


def neox_config(vocab: int, cfg: dict[str, Any]) -> Any:
    from transformers import GPTNeoXConfig

    return GPTNeoXConfig(vocab_size=vocab, hidden_size=cfg["hidden"], num_hidden_layers=cfg["n_layer"],
                         num_attention_heads=cfg["n_head"], intermediate_size=cfg["intermediate"],
                         max_position_embeddings=cfg["block"], use_parallel_residual=True, hidden_dropout=0.0,
                         attention_dropout=0.0, tie_word_embeddings=False, bos_token_id=0, eos_token_id=0,
                         use_cache=False)


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = charlm.load(cfg["text_start"], cfg["chars"], cfg["block"], cfg["eval_blocks"])
    torch.manual_seed(seed)
    model = causal_lm(neox_config(data.vocab_size, cfg)).to(device)
    opt = adamw(model, lr, cfg, no_decay=("layernorm", "layer_norm"))
    return charlm.train_lm(Logits(model), opt, data, arm, seed, cfg, device)
