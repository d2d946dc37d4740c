"""Task ``cnn_bn_short``: ``cnn_bn_long`` at T/10 (T = 300), the same model, data, optimizer and LRs.

Round 4's pair for check (e), the same task at T and 10·T: added to round 4's sealed test set with it, before any
``adaptive_warmup`` run of either.
"""

from __future__ import annotations

from ..protocol import at_length
from . import cnn_bn_long
from .cnn_bn_long import describe, lrs, run

NAME = "cnn_bn_short"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

config = at_length(cnn_bn_long.config, per=10)
