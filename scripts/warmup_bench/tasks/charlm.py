"""Shared pieces of the character-LM tasks: batches from a char corpus, the eval loss, a small transformer LM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..protocol import Arm, scheduler_request
from ..text import char_corpus
from .loop import train


@dataclass
class CharData:
    train: torch.Tensor  # 1-D ids, first 90 %
    eval_blocks: torch.Tensor  # [n, block + 1]
    vocab_size: int
    unigram_loss: float


def load(start: float, chars: int, block: int, eval_blocks: int) -> CharData:
    """``chars`` characters of the KJV text from relative position ``start`` (:func:`split`)."""
    return split(*char_corpus(start, chars), block, eval_blocks)


def split(ids: np.ndarray, vocab: int, unigram: float, block: int, eval_blocks: int) -> CharData:
    """An encoded text (:func:`warmup_bench.text.encode_chars`): the first 90 % to train on, up to
    ``eval_blocks`` held-out blocks of ``block + 1`` ids from the rest."""
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


def windows(data: CharData, n: int, length: int, seed: int) -> torch.Tensor:
    """``[n, length]`` random windows of the train text (a fixed set, for the Trainer's datasets)."""
    rng = np.random.default_rng(10_000 + seed)
    starts = torch.from_numpy(rng.integers(0, len(data.train) - length, size=(n,)))
    return data.train[starts[:, None] + torch.arange(length)[None, :]]


class CausalLM(nn.Module):
    """``forward(input_ids, labels) -> {"loss", "logits"}`` around a ``ids -> logits`` model, for the Trainer."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        logits = self.body(input_ids)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = lm_loss(logits, labels)
        return out


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


class CharTransformer(nn.Module):
    """A causal char transformer from ``nn.TransformerEncoderLayer``: post-LN (Xiong et al. 2020's case for
    warmup) unless ``cfg["norm_first"]`` (pre-LN, with a final LayerNorm). ``forward(ids) -> logits``."""

    def __init__(self, vocab: int, cfg: dict[str, Any]) -> None:
        super().__init__()
        d, pre = cfg["d_model"], bool(cfg.get("norm_first", False))
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(cfg["block"], d)
        layer = nn.TransformerEncoderLayer(d, cfg["n_head"], cfg["d_ff"], dropout=0.0, batch_first=True,
                                           norm_first=pre)
        self.body = nn.TransformerEncoder(layer, cfg["n_layer"], norm=nn.LayerNorm(d) if pre else None,
                                          enable_nested_tensor=False)
        self.head = nn.Linear(d, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        h = self.tok(x) + self.pos(torch.arange(n, device=x.device))[None]
        mask = nn.Transformer.generate_square_subsequent_mask(n, device=x.device)
        return self.head(self.body(h, mask=mask, is_causal=True))


def train_lm(model: nn.Module, optimizer: torch.optim.Optimizer, data: CharData, arm: Arm, seed: int,
             cfg: dict[str, Any], device: str) -> dict[str, Any]:
    """One char-LM run in the plain loop: ``cfg["batch"]`` windows of ``cfg["block"] + 1`` chars a step, the
    next-char loss, the eval loss on ``data``'s held-out windows; stuck = not below the unigram loss - 0.05."""
    get = batch_sampler(data, cfg["batch"], cfg["block"], seed, device)

    def loss_fn(step: int) -> torch.Tensor:
        b = get(step)
        return lm_loss(model(b[:, :-1]), b[:, 1:])

    def evaluate() -> dict[str, float]:
        model.eval()
        return {"eval_loss": eval_loss(model, data, device)}

    return train(model=model, optimizer=optimizer, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate,
                 stuck_level=data.unigram_loss - 0.05, clip=cfg["clip"])
