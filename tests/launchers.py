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


def finish_worker() -> None:
    """End a worker process after its results are written: barrier, destroy the process group, then ``os._exit``.

    The SIGABRT seen in CI ("terminate called without an active exception") is C++'s ``std::terminate`` from a
    ``std::thread`` destroyed while still joinable. In these workers the threads are torch's gloo/c10d threads,
    and the place they get destroyed is interpreter teardown, where static destructors and garbage collection of
    process groups, device meshes and DTensors (FSDP2 keeps references to its mesh's groups) run in no fixed
    order. ``destroy_process_group`` removes the groups we know of; ``os._exit`` then skips the teardown
    altogether, so no thread object can be destroyed in a bad state. Everything the test reads is on disk by then.
    """
    import gc

    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
    gc.collect()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
