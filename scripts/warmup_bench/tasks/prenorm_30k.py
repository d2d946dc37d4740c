"""Task ``prenorm_30k``: ``prenorm_long`` at 10·T (T = 30,000), the same model, data, optimizer and LRs.

A length probe, not a test task: added in round 5 (before any run of it) to measure how long the default warms up
on a run of 30,000 steps that its second-moment rule ends (``stable``), where ``resmlp_30k``'s runs all ended at
the edge. With β2 0.95 (1/(1 - β2) = 20 steps) the optimizer's own time scale is short, while the default's
fastest ramp is 0.2·T = 6,000 steps; the oracle's W says whether this task's warmup need grows with T.
"""

from __future__ import annotations

from ..protocol import at_length
from . import prenorm_long
from .prenorm_long import describe, lrs, run

NAME = "prenorm_30k"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

config = at_length(prenorm_long.config, times=10)
