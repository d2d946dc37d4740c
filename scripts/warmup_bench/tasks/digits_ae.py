"""Task ``digits_ae``: ``digits_ae_long`` at T / 10 (T = 300), the same model, data, optimizer, decay and LRs.

With ``digits_ae_long`` it is the test set's pair for the issue's check (e), the same task at T and 10·T. Added
for round 2 (``split.json``: ``next_test``) before any ``adaptive_warmup`` run of either.
"""

from __future__ import annotations

from ..protocol import at_length
from . import digits_ae_long
from .digits_ae_long import describe, lrs, run

NAME = "digits_ae"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

config = at_length(digits_ae_long.config, per=10)
