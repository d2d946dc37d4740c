"""Task ``llama_long``: a long run (T = 3,000) of a narrow pre-norm Llama char LM, with the optimizer settings of
Adam's defaults rather than an LLM recipe.

``LlamaConfig`` + ``AutoModelForCausalLM.from_config`` (RMSNorm, rotary, SwiGLU), width 32, character-level, on a
slice of the KJV text from its middle (``llama_lm`` reads its last quarter, ``postln_lm`` its first part). AdamW
β2 0.99, weight decay 0.01 (not on norms and biases), clipping at 1.0, linear decay to 0, batch 16. The decoder
family beside ``llama_lm`` (β2 0.95, wd 0.1, cosine to a floor, T = 400) and ``prenorm_long`` (a GPT-2 pre-LN
block, β2 0.95, T = 3,000): another block, another β2, another decay over a long run. It trains with
``llama_lm``'s ``run``, which reads every setting from the config. A round-6 test task (``split.json``:
sealed as ``next_test`` until round 6 closed), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

from ..protocol import Sizes
from .llama_lm import run

__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

NAME = "llama_long"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=3000, hidden=32, n_layer=2, n_head=4, intermediate=96, block=32, batch=16, chars=1_000_000,
    text_start=0.45, eval_blocks=128, beta1=0.9, beta2=0.99, weight_decay=0.01, clip=1.0, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, hidden=16, n_layer=1, intermediate=32, batch=8, chars=100_000, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [3e-2, 1e-1], "full": [3e-3, 1e-2, 3e-2, 1e-1]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"pre-norm Llama char LM ({cfg['n_layer']} layers, width {cfg['hidden']}, block {cfg['block']}) on "
            f"the middle of the KJV, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")
