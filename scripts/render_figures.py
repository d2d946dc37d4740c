#!/usr/bin/env python
"""Regenerate the figure blocks of the docs from the committed results files.

Usage: ``python scripts/render_figures.py --help``; the code is ``scripts/warmup_bench/render.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from warmup_bench.render import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
