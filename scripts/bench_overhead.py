#!/usr/bin/env python
"""What the adaptive warmup costs against transformers' ``linear``.

Usage: ``python scripts/bench_overhead.py --help``; the code is ``scripts/warmup_bench/overhead.py`` (the measurements)
and ``scripts/warmup_bench/overhead_report.py`` (the verdicts and the markdown).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from warmup_bench.overhead import main  # noqa: E402

if __name__ == "__main__":
    main()
