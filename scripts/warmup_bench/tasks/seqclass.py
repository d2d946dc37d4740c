"""Shared pieces of the from-scratch sequence classifiers (``bert_verses``, ``roberta_long``): word ids from a
vocabulary of the training texts and the plain-loop training run."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import torch

from ..protocol import Arm, scheduler_request
from .loop import classification_scores, prior_loss, train

PAD, UNK, CLS = 0, 1, 2


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def word_ids(words: list[list[str]], fit: np.ndarray, vocab: int, length: int) -> torch.Tensor:
    """``[len(words), length]`` ids, ``PAD``-padded, ``CLS`` first, then the first ``length - 1`` words; the
    vocabulary is the ``vocab - 3`` commonest words of the rows ``fit`` (any other word is ``UNK``)."""
    common = Counter(w for i in fit for w in words[i]).most_common(vocab - 3)
    table = {w: k + 3 for k, (w, _) in enumerate(common)}
    ids = torch.full((len(words), length), PAD)
    ids[:, 0] = CLS
    for i, ws in enumerate(words):
        row = [table.get(w, UNK) for w in ws[: length - 1]]
        ids[i, 1: 1 + len(row)] = torch.tensor(row, dtype=torch.long)
    return ids


def train_classifier(model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: tuple[torch.Tensor, ...],
                     n_classes: int, arm: Arm, seed: int, cfg: dict[str, Any], device: str) -> dict[str, Any]:
    """``cfg["T"]`` steps of ``cfg["batch"]`` random training rows of ``data = (train ids, train labels, eval
    ids, eval labels)`` (the same draw for every arm), cross-entropy, clipping at ``cfg["clip"]``. Eval:
    cross-entropy on the eval rows, accuracy beside; stuck = no better than the class prior - 0.05."""
    xt, yt, xe, ye = data
    idx = torch.from_numpy(np.random.default_rng(20_000 + seed).integers(0, len(xt), size=(cfg["T"], cfg["batch"])))

    def forward(x: torch.Tensor) -> torch.Tensor:
        x = x.to(device)
        return model(input_ids=x, attention_mask=(x != PAD).long()).logits

    def loss_fn(step: int) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(forward(xt[idx[step]]), yt[idx[step]].to(device))

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        logits = torch.cat([forward(xe[i: i + 256]) for i in range(0, len(xe), 256)])
        return classification_scores(logits, ye.to(device))

    return train(model=model, optimizer=optimizer, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate,
                 stuck_level=prior_loss(yt, ye, n_classes) - 0.05, clip=cfg["clip"])
