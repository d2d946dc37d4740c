"""Task ``resmlp_short``: ``resmlp_long`` at T/10 (T = 300), the same model, data, optimizer and LRs.

Round 3's pair for check (e), the same task at T and 10·T: added to round 3's test set while its runs were going,
before any result of them was read, and after the default was fixed (746032c).
"""

from __future__ import annotations

from typing import Any

from . import resmlp_long
from .resmlp_long import describe, lrs, run

NAME = "resmlp_short"
VERSION = 1
LENGTH_DIVISOR = 10
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]


def config(mode: str) -> dict[str, Any]:
    """``resmlp_long``'s config at T / ``LENGTH_DIVISOR`` (smoke mode: its T, a code check in seconds)."""
    cfg = resmlp_long.config(mode)
    return {**cfg, "T": cfg["T"] // (1 if mode == "smoke" else LENGTH_DIVISOR)}
