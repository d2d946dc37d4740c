"""Shared test setup: offline environment, schedules registered, a tiny GPT-2 and a random-token dataset.

Everything here runs without network access: the model is built from a config (no weights downloaded) and the
data is random token ids.
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

import hf_warmup  # noqa: E402,F401  (registers the schedules with transformers)

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


def accelerate_launch_2proc() -> list[str]:
    """``accelerate launch`` of 2 CPU (gloo) processes on a free port, from this interpreter's venv.

    A fixed port (29500) can still be in TIME_WAIT from the previous launch, so each launch gets its own.
    """
    import socket
    import sys
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return [str(Path(sys.executable).parent / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2",
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", str(port)]
