"""Task ``gpt2_long``: ``gpt2_short`` at 10·T (T = 1500), the same model, data, optimizer and LRs.

Round 11's pair for check (e), the same task at T and 10·T: AdamW β2 0.95, so the bound that
``max_warmup_horizons`` 10 (off by default) sets, 10/(1-β2) = 200 steps, is below 0.5·T here and above it in
``gpt2_short``. A round-11 test task (``split.json``: sealed as ``next_test`` until round 11 closed without a
candidate), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from ..protocol import at_length
from . import gpt2_short
from .gpt2_short import describe, lrs, run

NAME = "gpt2_long"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

config = at_length(gpt2_short.config, times=10)
