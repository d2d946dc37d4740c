#!/usr/bin/env python
"""GPU checks of ``adaptive_warmup``: step cost at ~1B parameters, host-device syncs, LR equality across ranks.

Usage: ``python scripts/gpu_check.py --help``; the code is ``scripts/warmup_bench/gpu_check.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from warmup_bench.gpu_check import main  # noqa: E402

if __name__ == "__main__":
    main()
