#!/usr/bin/env python
"""The warmup benchmark: tasks × peak LRs × seeds × warmup arms.

Usage: ``python scripts/benchmark_warmup.py --help``; the code is ``scripts/warmup_bench/runner.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from warmup_bench.runner import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
