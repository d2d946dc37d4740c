"""Shared pieces of the two character-LM tasks: batches from a char corpus and the eval loss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .text import char_corpus


@dataclass
class CharData:
    train: torch.Tensor  # 1-D ids, first 90 %
    eval_blocks: torch.Tensor  # [n, block + 1]
    vocab_size: int
    unigram_loss: float


def load(start: float, chars: int, block: int, eval_blocks: int) -> CharData:
    ids, vocab, unigram = char_corpus(start, chars)
    cut = int(0.9 * len(ids))
    held = ids[cut:]
    n = min(eval_blocks, (len(held) - 1) // (block + 1))
    ev = torch.from_numpy(held[: n * (block + 1)].reshape(n, block + 1).copy())
    return CharData(torch.from_numpy(ids[:cut].copy()), ev, vocab, unigram)


def batch_sampler(data: CharData, batch: int, block: int, seed: int, device: str) -> Callable[[int], torch.Tensor]:
    """``step -> [batch, block + 1]`` random windows of the train text (the same sequence for every arm)."""
    rng = np.random.default_rng(10_000 + seed)
    starts = rng.integers(0, len(data.train) - block - 1, size=(1 << 16,))
    offs = torch.arange(block + 1)

    def get(step: int) -> torch.Tensor:
        s = torch.from_numpy(starts[(step * batch) % len(starts): (step * batch) % len(starts) + batch])
        return data.train[s[:, None] + offs[None, :]].to(device)

    return get


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))


@torch.no_grad()
def eval_loss(forward: Callable[[torch.Tensor], torch.Tensor], data: CharData, device: str, chunk: int = 64) -> float:
    total, n = 0.0, 0
    for i in range(0, len(data.eval_blocks), chunk):
        b = data.eval_blocks[i: i + chunk].to(device)
        logits = forward(b[:, :-1])
        total += float(lm_loss(logits, b[:, 1:])) * len(b)
        n += len(b)
    return total / n
