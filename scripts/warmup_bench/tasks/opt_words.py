"""Task ``opt_words``: a tiny OPT (``OPTConfig`` + ``AutoModelForCausalLM.from_config``) trained from scratch as a
**word-level** LM on the KJV verses, LLM-style, in a plain loop.

OPT: pre-LN (``do_layer_norm_before``), learned positions, ReLU MLP, tied input and output embeddings, no dropout.
The words of each verse (:func:`warmup_bench.tasks.seqclass.tokenize`), a vocabulary of the ``vocab - 3``
commonest words of the training verses (any other word is ``UNK``; :func:`warmup_bench.tasks.seqclass.word_ids`),
the training verses in the KJV's order as one stream of word ids with a verse-separator id before each verse;
random ``block``-word windows of it to train on (the same draw for every arm), non-overlapping blocks of the
``n_eval`` held-out verses (a fixed-seed draw) to evaluate on (:mod:`warmup_bench.tasks.charlm`). AdamW β2 0.95,
weight decay 0.1 (not on biases, LayerNorms and embeddings), clipping at 1.0, cosine decay to 0.1 · peak, batch
16. Eval: cross-entropy per word on the held-out blocks; stuck = no better than the unigram model of the training
words. The decoder family beside ``postln_lm``, ``llama_lm``, ``postln_trainer``, ``prenorm_long``,
``neox_verses`` and ``llama_long`` (character-level KJV) and ``gpt2_tweets`` (character-level tweets): words,
a 3,000-id vocabulary whose tied embedding holds most of the parameters, ReLU. A round-9 test task
(``split.json``: sealed as ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch

from ..models import Logits, causal_lm
from ..protocol import Arm, Sizes
from ..text import unigram_loss, verses
from . import charlm, seqclass
from .loop import adamw

NAME = "opt_words"
VERSION = 1
#: The id before each verse in the stream (``word_ids``' first id of a row).
SEP = seqclass.CLS

_BASE: dict[str, Any] = dict(
    T=400, hidden=128, n_layer=2, n_head=4, ffn=256, block=32, vocab=3000, batch=16, n_eval=512, beta1=0.9,
    beta2=0.95, weight_decay=0.1, clip=1.0, decay={"decay": "cosine", "min_lr_ratio": 0.1},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=20, hidden=32, n_layer=1, ffn=64, block=16, vocab=500, batch=8, n_eval=64),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [1e-3], "quick": [1e-3, 1e-2], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    d = cfg["decay"]
    return (f"OPT word LM ({cfg['n_layer']} pre-LN layers, width {cfg['hidden']}, ReLU, {cfg['vocab']} words, block "
            f"{cfg['block']}) on KJV verses, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, "
            f"{d['decay']} decay to {d.get('min_lr_ratio', 0.0)}·peak, T={cfg['T']}, batch {cfg['batch']}")


@lru_cache(maxsize=2)
def encode(vocab: int, n_eval: int, block: int) -> charlm.CharData:
    """The word streams: the training verses (all but ``n_eval`` drawn with seed 0) in the KJV's order, ``SEP``
    before each verse; the held-out verses likewise, cut into ``[n, block + 1]`` blocks. ``unigram_loss``: the
    add-one unigram model of the training stream, measured on the held-out blocks' targets."""
    words = [seqclass.tokenize(t) for _, t in verses()]
    perm = np.random.default_rng(0).permutation(len(words))
    held, kept = np.sort(perm[:n_eval]), np.sort(perm[n_eval:])
    ids = seqclass.word_ids(words, kept, vocab, 1 + max(map(len, words)))

    def stream(rows: np.ndarray) -> torch.Tensor:
        x = ids[torch.from_numpy(rows)]
        return x[x != seqclass.PAD]  # row by row: SEP, the verse's words, SEP, the next verse's ...

    train, ev = stream(kept), stream(held)
    n = len(ev) // (block + 1)
    ev = ev[: n * (block + 1)].reshape(n, block + 1)
    return charlm.CharData(train, ev, vocab, unigram_loss(train.numpy(), ev[:, 1:].reshape(-1).numpy(), vocab))


def opt_config(cfg: dict[str, Any]) -> Any:
    from transformers import OPTConfig

    return OPTConfig(vocab_size=cfg["vocab"], hidden_size=cfg["hidden"], num_hidden_layers=cfg["n_layer"],
                     num_attention_heads=cfg["n_head"], ffn_dim=cfg["ffn"], word_embed_proj_dim=cfg["hidden"],
                     max_position_embeddings=cfg["block"], do_layer_norm_before=True, activation_function="relu",
                     dropout=0.0, attention_dropout=0.0, tie_word_embeddings=True, pad_token_id=seqclass.PAD,
                     bos_token_id=SEP, eos_token_id=SEP, use_cache=False)


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    data = encode(cfg["vocab"], cfg["n_eval"], cfg["block"])
    torch.manual_seed(seed)
    model = causal_lm(opt_config(cfg)).to(device)
    opt = adamw(model, lr, cfg, no_decay=("layer_norm", "embed"))
    return charlm.train_lm(Logits(model), opt, data, arm, seed, cfg, device)
