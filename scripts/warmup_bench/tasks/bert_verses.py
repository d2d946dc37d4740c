"""Task ``bert_verses``: an encoder-only transformer trained from scratch, a tiny BERT classifying KJV verses.

Which of five parts of the Bible a verse comes from (law, history, poetry and wisdom, prophets, New
Testament), from its words: a word vocabulary built from the training verses, ``[CLS]`` + the first words,
``BertForSequenceClassification`` from a ``BertConfig`` (post-LN, as BERT is). AdamW β2 0.98, eps 1e-6, weight
decay 0.01 (not on biases and LayerNorms), clipping at 1.0, linear decay to 0 (RoBERTa-style settings), in the
plain loop (:mod:`warmup_bench.tasks.loop`). Eval: cross-entropy on held-out verses, accuracy beside; stuck = no
better than the class prior. A test task.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import torch

from ..protocol import Arm, Sizes, scheduler_request
from ..text import verses
from .loop import train

NAME = "bert_verses"
VERSION = 1
#: Books per part, in the KJV's order (66 books): law 5, history 12, poetry and wisdom 5, prophets 17, NT 27.
PARTS = (5, 12, 5, 17, 27)
PAD, UNK, CLS = 0, 1, 2

_BASE: dict[str, Any] = dict(
    T=400, hidden=64, n_layer=2, n_head=4, intermediate=256, words=32, vocab=4000, batch=32, n_eval=1024,
    beta1=0.9, beta2=0.98, eps=1e-6, weight_decay=0.01, clip=1.0, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, hidden=32, n_layer=1, intermediate=64, words=16, vocab=500, batch=8, n_eval=64),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [1e-3, 3e-3], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"BERT from scratch ({cfg['n_layer']} layers, width {cfg['hidden']}, {cfg['vocab']} words, first "
            f"{cfg['words'] - 1} words) classifying KJV verses into {len(PARTS)} parts, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch "
            f"{cfg['batch']}")


def part_labels(rows: tuple[tuple[str, str], ...]) -> list[int]:
    """The part (0 … ``len(PARTS) - 1``) of each ``(book, text)`` verse, from its book's place in the KJV's order."""
    order = [b for i, (b, _) in enumerate(rows) if i == 0 or rows[i - 1][0] != b]
    bounds = np.cumsum(PARTS)
    part = {b: int(np.searchsorted(bounds, i, side="right")) for i, b in enumerate(order)}
    return [part[b] for b, _ in rows]


def encode(cfg: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(train ids, train labels, eval ids, eval labels)``; ids ``[n, words]``, ``PAD``-padded, ``CLS`` first."""
    rows = verses()
    words = [re.findall(r"[a-z']+", t.lower()) for _, t in rows]
    labels = torch.tensor(part_labels(rows))
    perm = np.random.default_rng(0).permutation(len(rows))
    held, kept = perm[: cfg["n_eval"]], perm[cfg["n_eval"]:]
    common = Counter(w for i in kept for w in words[i]).most_common(cfg["vocab"] - 3)
    table = {w: k + 3 for k, (w, _) in enumerate(common)}
    ids = torch.full((len(rows), cfg["words"]), PAD)
    ids[:, 0] = CLS
    for i, ws in enumerate(words):
        row = [table.get(w, UNK) for w in ws[: cfg["words"] - 1]]
        ids[i, 1: 1 + len(row)] = torch.tensor(row, dtype=torch.long)
    return ids[kept], labels[kept], ids[held], labels[held]


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import BertConfig, BertForSequenceClassification

    xt, yt, xe, ye = encode(cfg)
    conf = BertConfig(vocab_size=cfg["vocab"], hidden_size=cfg["hidden"], num_hidden_layers=cfg["n_layer"],
                      num_attention_heads=cfg["n_head"], intermediate_size=cfg["intermediate"],
                      max_position_embeddings=cfg["words"], hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0, type_vocab_size=1, num_labels=len(PARTS), pad_token_id=PAD)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(conf).to(device)
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "LayerNorm" in name else decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"],
    )
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
        target = ye.to(device)
        return {"eval_loss": float(torch.nn.functional.cross_entropy(logits, target)),
                "accuracy": float((logits.argmax(-1) == target).float().mean())}

    prior = np.bincount(yt.numpy(), minlength=len(PARTS)) / len(yt)
    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate,
                 stuck_level=float(-np.log(prior[ye.numpy()]).mean()) - 0.05, clip=cfg["clip"])
