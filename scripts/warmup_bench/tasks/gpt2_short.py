"""Task ``gpt2_short``: a tiny GPT-2 (``GPT2Config`` + ``AutoModelForCausalLM.from_config``) trained from scratch
as a character-level LM on the KJV verses, LLM-style, in a plain loop, for a short run.

GPT-2: pre-LN, learned positions (``n_positions`` = ``block``), GELU, input and output embeddings tied, no dropout.
Random ``block``-character windows of the KJV text from its 35 % point (a slice no other task starts at), held-out
blocks of the rest (:mod:`warmup_bench.tasks.charlm`). AdamW β2 0.95, weight decay 0.1 (not on biases and
LayerNorms), clipping at 1.0, cosine decay to 0, batch 16, T = 150. Stuck = no better than the unigram model. The
decoder family beside ``postln_lm``, ``llama_lm``, ``postln_trainer``, ``prenorm_long``, ``neox_verses`` and
``llama_long`` (character-level KJV, T >= 300), ``gpt2_tweets`` (GPT-2 on tweets through the Trainer's defaults,
β2 0.999, linear decay) and ``opt_words`` (word-level): GPT-2 on verses in the plain loop, the shortest run of the
family, tied embeddings, cosine decay all the way to 0. A round-10 test task (``split.json``: sealed as
``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch

from ..models import Logits, causal_lm
from ..protocol import Arm, Sizes
from . import charlm
from .loop import adamw

NAME = "gpt2_short"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=150, n_embd=64, n_layer=2, n_head=4, block=64, batch=16, chars=1_000_000, text_start=0.35, eval_blocks=128,
    beta1=0.9, beta2=0.95, weight_decay=0.1, clip=1.0, decay={"decay": "cosine"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, n_embd=32, n_layer=1, block=32, batch=8, chars=100_000, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [3e-3, 3e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    d = cfg["decay"]
    return (f"GPT-2 char LM ({cfg['n_layer']} pre-LN layers, width {cfg['n_embd']}, tied embeddings, block "
            f"{cfg['block']}) on KJV verses, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, "
            f"{d['decay']} decay to {d.get('min_lr_ratio', 0.0)}·peak, T={cfg['T']}, batch {cfg['batch']}")


def gpt2_config(vocab: int, cfg: dict[str, Any]) -> Any:
    from transformers import GPT2Config

    return GPT2Config(vocab_size=vocab, n_positions=cfg["block"], n_embd=cfg["n_embd"], n_layer=cfg["n_layer"],
                      n_head=cfg["n_head"], resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=None,
                      eos_token_id=None, use_cache=False)


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = charlm.load(cfg["text_start"], cfg["chars"], cfg["block"], cfg["eval_blocks"])
    torch.manual_seed(seed)
    model = causal_lm(gpt2_config(data.vocab_size, cfg)).to(device)
    opt = adamw(model, lr, cfg, no_decay=("ln_",))
    return charlm.train_lm(Logits(model), opt, data, arm, seed, cfg, device)
