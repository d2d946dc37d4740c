"""Task ``resmlp_short``: ``resmlp_long`` at T/10 (T = 300), the same model, data, optimizer and LRs.

Round 3's pair for check (e), the same task at T and 10·T: added to round 3's test set while its runs were going,
before any result of them was read, and after the default was fixed (746032c).
"""

from __future__ import annotations

from ..protocol import at_length
from . import resmlp_long
from .resmlp_long import describe, lrs, run

NAME = "resmlp_short"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

config = at_length(resmlp_long.config, per=10)
