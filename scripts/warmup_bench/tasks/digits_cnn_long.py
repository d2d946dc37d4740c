"""Task ``digits_cnn_long``: ``digits_cnn`` at 10·T (T = 3,000), the same model, data, optimizer and LRs.

A test task and the issue's check (e): the same task at T and 10·T.
"""

from __future__ import annotations

from typing import Any

from . import digits_cnn
from .digits_cnn import describe, lrs, run

NAME = "digits_cnn_long"
VERSION = 1
LENGTH_FACTOR = 10
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]


def config(mode: str) -> dict[str, Any]:
    """``digits_cnn``'s config at ``LENGTH_FACTOR`` · T (smoke mode: its T, a code check in seconds)."""
    cfg = digits_cnn.config(mode)
    return {**cfg, "T": cfg["T"] * (1 if mode == "smoke" else LENGTH_FACTOR)}
