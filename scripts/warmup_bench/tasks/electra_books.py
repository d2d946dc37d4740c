"""Task ``electra_books``: a long run (T = 3,000) of a tiny ELECTRA (``ElectraForSequenceClassification`` from an
``ElectraConfig``, post-LN, a factorised embedding) trained from scratch to tell Old from New Testament verses.

The KJV verses, their words, the held-out verses and the word vocabulary as ``bert_verses``
(:func:`warmup_bench.tasks.bert_verses.encode`: ``[CLS]`` + the first words), but a binary label: whether a verse
is from the New Testament (about a quarter of them). ELECTRA's embeddings are narrower than its hidden width
(``embed`` → ``hidden`` by a projection) and its head is a GELU layer on ``[CLS]``. AdamW β2 0.999, weight decay
0.01 (not on biases and LayerNorms), clipping at 1.0, linear decay to 0, in the plain loop
(:mod:`warmup_bench.tasks.seqclass`). Eval: cross-entropy on held-out verses, accuracy beside; stuck = no better
than the class prior. The encoder family beside ``bert_verses`` (5 parts, β2 0.98, T = 400) and ``roberta_long``
(tweets, β2 0.98, cosine decay to a floor): another encoder, a binary label, Adam's default β2 over a long run. A
round-5 test task (``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import torch

from ..protocol import Arm, Sizes
from . import bert_verses, seqclass
from .loop import adamw

NAME = "electra_books"
VERSION = 1
#: The label: a verse's part (:data:`bert_verses.PARTS`) is the New Testament, the last one.
NEW_TESTAMENT = len(bert_verses.PARTS) - 1

_BASE: dict[str, Any] = dict(
    T=3000, embed=32, hidden=64, n_layer=2, n_head=4, intermediate=128, words=24, vocab=4000, batch=16,
    n_eval=1024, beta1=0.9, beta2=0.999, weight_decay=0.01, clip=1.0, decay={"decay": "linear"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, embed=16, hidden=32, n_layer=1, intermediate=64, words=16, vocab=500, n_eval=64),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-3], "quick": [1e-3, 3e-3], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"ELECTRA from scratch ({cfg['n_layer']} layers, width {cfg['hidden']}, embeddings {cfg['embed']}, "
            f"{cfg['vocab']} words, first {cfg['words'] - 1} words) telling Old from New Testament KJV verses, AdamW "
            f"β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, "
            f"T={cfg['T']}, batch {cfg['batch']}")


def encode(cfg: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``bert_verses``' ``(train ids, train labels, eval ids, eval labels)`` with the label 1 for the New
    Testament, 0 for the Old."""
    xt, parts_t, xe, parts_e = bert_verses.encode(cfg)
    return xt, (parts_t == NEW_TESTAMENT).long(), xe, (parts_e == NEW_TESTAMENT).long()


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import ElectraConfig, ElectraForSequenceClassification

    data = encode(cfg)
    conf = ElectraConfig(vocab_size=cfg["vocab"], embedding_size=cfg["embed"], hidden_size=cfg["hidden"],
                         num_hidden_layers=cfg["n_layer"], num_attention_heads=cfg["n_head"],
                         intermediate_size=cfg["intermediate"], max_position_embeddings=cfg["words"],
                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0,
                         type_vocab_size=1, pad_token_id=seqclass.PAD)
    conf.num_labels = 2
    torch.manual_seed(seed)
    model: torch.nn.Module = ElectraForSequenceClassification(conf)
    model.to(device)
    opt = adamw(model, lr, cfg, no_decay=("LayerNorm",))
    return seqclass.train_classifier(model, opt, data, 2, arm, seed, cfg, device)
