"""Task ``digits_cnn_long``: ``digits_cnn`` at 10·T (T = 3,000), the same model, data, optimizer and LRs.

A test task and the issue's check (e): the same task at T and 10·T.
"""

from __future__ import annotations

from ..protocol import at_length
from . import digits_cnn
from .digits_cnn import describe, lrs, run

NAME = "digits_cnn_long"
VERSION = 1
__all__ = ["NAME", "VERSION", "config", "describe", "lrs", "run"]

config = at_length(digits_cnn.config, times=10)
