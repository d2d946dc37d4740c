"""Bundled ``evaluate`` metric modules that work offline.

``evaluate.load(CLASSIFICATION_METRIC)`` loads :mod:`warmup_bench.metrics.classification` from its file (no Hub
access): accuracy and macro-F1 for single-label classification.
"""

from __future__ import annotations

import os

#: Path of the bundled accuracy + F1 metric module, for ``evaluate.load(path)``.
CLASSIFICATION_METRIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "classification.py")

__all__ = ["CLASSIFICATION_METRIC"]
