"""Task ``prenorm_long``: a long run (T = 3,000) of a small pre-LN char LM, LLM-style optimizer settings.

The loop of ``postln_lm`` (:func:`warmup_bench.tasks.postln_lm.run`) with a pre-LN model (``norm_first``, a final
LayerNorm), AdamW β2 0.95, gradient clipping at 1.0, cosine decay to a 0.1 floor, on a slice of the KJV text
from its second quarter. A test task: pre-LN with β2 0.95 needs a short warmup, so the oracle's W is expected
to be a small fraction of T, which the T-proportional default bound cannot give.
"""

from __future__ import annotations

from typing import Any

from ..protocol import Sizes
from .postln_lm import describe, run

NAME = "prenorm_long"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

_BASE: dict[str, Any] = dict(
    T=3000, d_model=32, n_layer=2, n_head=4, d_ff=128, block=32, batch=16, chars=1_000_000, text_start=0.3,
    eval_blocks=128, beta1=0.9, beta2=0.95, weight_decay=0.0, clip=1.0, norm_first=True,
    decay={"decay": "cosine", "min_lr_ratio": 0.1},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, d_model=16, n_layer=1, d_ff=32, batch=4, chars=100_000, eval_blocks=8),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [3e-3, 1e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs
