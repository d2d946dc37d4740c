"""Shared test setup: offline environment, schedules registered, a tiny GPT-2 and a random-token dataset.

Everything here runs without network access: the model is built from a config (no weights downloaded) and the
data is random token ids.

Also set up here, for every test run (``make test`` and CI alike):

- hypothesis runs under the ``ci`` profile: derandomized (the same examples on every run, so a failure reproduces
  and a pass is not luck), no deadline (a busy 2-core machine makes per-example timings meaningless), no example
  database. ``HYPOTHESIS_PROFILE=dev`` gives random exploration for local bug hunting.
- ``skip_guard``: the session fails when a test skips for any reason but a missing GPU (see ``tests/skip_guard.py``).
- ``accelerate_launch_2proc()``: the 2-process launcher, retried when its port was taken (``tests/launch_2proc.py``).
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_NO_ADVISORY_WARNINGS"] = "1"
os.environ["WANDB_DISABLED"] = "true"

from collections.abc import Callable  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from skip_guard import (  # noqa: E402,F401  (pytest finds these hooks in this module)
    pytest_collectreport,
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_terminal_summary,
)

import hf_warmup  # noqa: E402,F401  (registers the schedules with transformers)

GPU_SKIP_REASON = "gpu marker: torch.cuda.is_available() is false"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.gpu`` tests skip where there is no CUDA device: the one skip ``skip_guard`` allows."""
    if torch.cuda.is_available():
        return
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(pytest.mark.skip(reason=GPU_SKIP_REASON))


settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TINY_VOCAB = 64
TINY_SEQ_LEN = 16
TINY_ROWS = 64


def make_tiny_lm(seed: int = 0) -> torch.nn.Module:
    """A 1-layer GPT-2 (n_embd 32, vocab 64, 32 positions) with weights drawn under ``torch.manual_seed(seed)``."""
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        n_layer=1,
        n_head=2,
        n_embd=32,
        vocab_size=TINY_VOCAB,
        n_positions=32,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(seed)
    return GPT2LMHeadModel(config)


def make_tiny_lm_dataset(rows: int = TINY_ROWS, seq_len: int = TINY_SEQ_LEN, seed: int = 0):
    """A ``datasets.Dataset`` of random token ids with ``input_ids`` and ``labels`` (equal), fixed seed."""
    from datasets import Dataset

    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, TINY_VOCAB, (rows, seq_len), generator=gen).tolist()
    return Dataset.from_dict({"input_ids": ids, "labels": [list(row) for row in ids]})


@pytest.fixture
def single_thread():
    """Run the test with ``torch.set_num_threads(1)`` (restored after).

    Tiny models gain nothing from intra-op threads, and on a loaded 2-core machine they make a 12-step
    Trainer run ~10x slower.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def tiny_lm() -> torch.nn.Module:
    """A fresh tiny GPT2LMHeadModel (seed 0) for each test."""
    return make_tiny_lm(0)


@pytest.fixture
def tiny_lm_factory() -> Callable[..., torch.nn.Module]:
    """``tiny_lm_factory(seed=0)`` builds another tiny GPT2LMHeadModel (for tests that need several)."""
    return make_tiny_lm


@pytest.fixture(scope="session")
def tiny_lm_dataset():
    """64 rows of 16 random token ids (vocab 64), ``input_ids`` == ``labels``; shared, do not modify."""
    return make_tiny_lm_dataset()


@pytest.fixture(scope="session")
def tiny_lm_dataset_factory() -> Callable[..., object]:
    """``tiny_lm_dataset_factory(rows=64, seq_len=16, seed=0)`` builds a fresh dataset."""
    return make_tiny_lm_dataset


LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch_2proc.py")

# Wall-clock limit for a test's child process (a script, a CLI call, a 2-process launch). Measured on the 2-core
# project machine while other jobs shared it: the 2-process DDP test of test_distributed.py took 41 s at load
# average 3; test_bench_smoke.py's two children took 222 s together at load 8, the overhead smoke run alone 79 s at
# load 5. The limit only turns a hang (a rank stuck in a collective) into a failure; it does not measure speed, so
# it is several times the slowest of these. On a slower machine raise HF_WARMUP_TEST_TIMEOUT_SCALE.
SUBPROCESS_TIMEOUT_S = int(600 * float(os.environ.get("HF_WARMUP_TEST_TIMEOUT_SCALE", "1")))


def accelerate_launch_2proc() -> list[str]:
    """Command prefix: ``accelerate launch`` of 2 CPU (gloo) processes, from this interpreter's venv.

    Append the script and its arguments. The prefix runs ``tests/launch_2proc.py``, which picks a free port and
    retries the launch on a new one if the port was taken before the launcher bound it (a port chosen ahead of
    the bind is always a race; a fixed port such as 29500 also collides with a previous launch in TIME_WAIT).
    """
    import sys

    return [sys.executable, LAUNCHER]
