"""Task ``resmlp_30k``: ``resmlp_long`` at 10·T (T = 30,000), the same model, data, optimizer and LRs.

A length probe, not a test task: added after round 3's test set was read, to measure how long the default warms
up on a run of 30,000 steps, where a warmup proportional to T would be long (``resmlp_long`` and ``resmlp_short``
are the same task at 3,000 and 300 steps).
"""

from __future__ import annotations

from ..protocol import at_length
from . import resmlp_long
from .resmlp_long import describe, lrs, run

NAME = "resmlp_30k"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

config = at_length(resmlp_long.config, times=10)
