"""Launch commands for the multi-process tests, from this interpreter's venv.

``torchrun --standalone`` lets the rendezvous pick a free port itself (``localhost:0``), so no two launches can
race for a port, and nothing has to be retried.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


def torchrun(nproc: int) -> list[str]:
    """``torchrun --standalone --nproc_per_node NPROC`` on CPU (gloo)."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)]


def worker_env(tmp: Path, **extra: str) -> dict[str, str]:
    """One thread per process (2 shared cores), offline, this checkout's ``hf_warmup`` first on the path."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
            "WORKER_TMP": str(tmp), "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            **extra}
