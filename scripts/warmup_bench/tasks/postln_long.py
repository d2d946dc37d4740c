"""Task ``postln_long``: a long run (T = 3,000) of a small post-LN char LM in a plain loop.

The model and loop of ``postln_lm`` (:func:`warmup_bench.tasks.postln_lm.run`), narrower and 7.5× longer, AdamW β2
0.99 without clipping, cosine decay to 0, on a slice of the KJV text from its middle. A tuning task: the issue
measured a run like it (the T-proportional bound did not hurt at 3,000 steps).
"""

from __future__ import annotations

from typing import Any

from ..protocol import Sizes
from .postln_lm import describe, run

NAME = "postln_long"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

_BASE: dict[str, Any] = dict(
    T=3000, d_model=32, n_layer=2, n_head=4, d_ff=128, block=32, batch=16, chars=1_000_000, text_start=0.5,
    eval_blocks=128, beta1=0.9, beta2=0.99, weight_decay=0.0, clip=None, decay={"decay": "cosine"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, d_model=16, n_layer=1, d_ff=32, batch=4, chars=100_000, eval_blocks=8),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-2], "quick": [1e-2, 3e-2], "full": [3e-3, 1e-2, 3e-2, 6e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs
