"""Task ``pegasus_reverse``: an encoder-decoder, a tiny Pegasus (``PegasusForConditionalGeneration`` from a
``PegasusConfig``: pre-LN, sinusoidal positions, scaled embeddings, GELU, tied embeddings) trained from scratch to
reverse the order of words, character by character, in a plain loop.

The data are KJV verses (:func:`warmup_bench.text.verses`), lower-cased and cut into words of ``[a-z']``
(:func:`warmup_bench.tasks.seqclass.tokenize`; any other character is dropped); a verse's snippet is its first
words that fit in ``src`` characters, joined by spaces. The encoder reads the snippet's characters, the decoder
writes the same words in reverse order (each word's characters unchanged), then EOS (teacher forcing, the loss on
every target token, padding ignored). ``n_eval`` verses held out at random (fixed seed), the rest to train on, a
fixed-seed draw of ``batch`` of them per step (the same for every arm). AdamW β2 0.98, weight decay 0.01 (not on
biases and LayerNorms), clipping at 1.0, cosine decay to 0; the eval loss on the held-out verses, the
teacher-forced character accuracy beside; stuck = no better than the unigram model of the target tokens. The
encoder-decoder family beside ``t5_trainer`` (T5, next-chars seq2seq, the Trainer's defaults), ``bart_denoise``
(post-LN BART, learned positions, text infilling) and ``t5_tweets`` (T5 span corruption of tweets, no clipping): a
pre-LN encoder-decoder with fixed sinusoidal positions, on an algorithmic transduction whose output is a
permutation of its input, with a long-range alignment (the first word goes last). A round-9 test task
(``split.json``: sealed as ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch

from ..protocol import Arm, Sizes, scheduler_request
from ..text import unigram_loss, verses
from . import seqclass
from .loop import adamw, train

NAME = "pegasus_reverse"
VERSION = 1

#: Special ids (``START`` is the decoder's first input); a character ``ALPHABET[k]`` is ``k + SPECIALS``.
PAD, EOS, START = 0, 1, 2
SPECIALS = 3
#: The characters the snippets keep (:func:`seqclass.tokenize`'s words and the spaces between them).
ALPHABET = " '" + "abcdefghijklmnopqrstuvwxyz"
#: A label the loss ignores (``PegasusForConditionalGeneration``'s cross-entropy).
IGNORE = -100

_BASE: dict[str, Any] = dict(
    T=400, d_model=64, d_ff=128, n_layer=2, n_head=4, src=32, batch=32, n_eval=256, beta1=0.9, beta2=0.98,
    weight_decay=0.01, clip=1.0, decay={"decay": "cosine"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=20, d_model=32, d_ff=64, n_layer=1, src=24, batch=8, n_eval=32),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [3e-3, 3e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"Pegasus encoder-decoder from scratch ({cfg['n_layer']}+{cfg['n_layer']} pre-LN layers, width "
            f"{cfg['d_model']}, sinusoidal positions), a KJV verse's first {cfg['src']} chars → its words in reverse "
            f"order, AdamW β2 {cfg['beta2']}, wd {cfg['weight_decay']}, clip {cfg['clip']}, "
            f"{cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}, {cfg['n_eval']} eval verses")


def snippet(text: str, src: int) -> list[str]:
    """The first words of ``text`` (:func:`seqclass.tokenize`) that fit in ``src`` characters with a space between
    each two (at least one word, cut to ``src`` characters)."""
    words = seqclass.tokenize(text)
    kept: list[str] = []
    for w in words:
        if len(" ".join([*kept, w])) > src:
            break
        kept.append(w)
    if not kept and words:
        kept = [words[0][:src]]
    return kept


def _ids(chars: str) -> list[int]:
    return [ALPHABET.index(c) + SPECIALS for c in chars]


def encode(texts: list[str], src: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(input_ids, labels)``, each ``[len(texts), src + 1]``: a snippet's characters then ``EOS``, ``PAD``-padded;
    its words reversed then ``EOS``, padded with ``IGNORE``."""
    inputs, labels = [], []
    for text in texts:
        words = snippet(text, src)
        pad = src - len(" ".join(words))
        inputs.append(_ids(" ".join(words)) + [EOS] + [PAD] * pad)
        labels.append(_ids(" ".join(reversed(words))) + [EOS] + [IGNORE] * pad)
    return torch.tensor(inputs), torch.tensor(labels)


@lru_cache(maxsize=2)
def load(src: int, n_eval: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(train ids, train labels, eval ids, eval labels)`` (:func:`encode`): ``n_eval`` verses held out at random
    (fixed seed), the rest to train on. Cached: read-only."""
    rows = verses()
    perm = np.random.default_rng(0).permutation(len(rows))
    held, kept = perm[:n_eval], perm[n_eval:]
    return (*encode([rows[i][1] for i in kept], src), *encode([rows[i][1] for i in held], src))


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import PegasusConfig, PegasusForConditionalGeneration

    xt, yt, xe, ye = load(cfg["src"], cfg["n_eval"])
    vocab = len(ALPHABET) + SPECIALS
    stuck = unigram_loss(yt[yt != IGNORE].numpy(), ye[ye != IGNORE].numpy(), vocab)  # the target tokens only
    conf = PegasusConfig(vocab_size=vocab, d_model=cfg["d_model"], encoder_layers=cfg["n_layer"],
                         decoder_layers=cfg["n_layer"], encoder_attention_heads=cfg["n_head"],
                         decoder_attention_heads=cfg["n_head"], encoder_ffn_dim=cfg["d_ff"],
                         decoder_ffn_dim=cfg["d_ff"], max_position_embeddings=cfg["src"] + 1, scale_embedding=True,
                         activation_function="gelu", dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
                         pad_token_id=PAD, eos_token_id=EOS, decoder_start_token_id=START, forced_eos_token_id=None,
                         tie_word_embeddings=True, use_cache=False)
    torch.manual_seed(seed)
    model = PegasusForConditionalGeneration(conf).to(device)
    opt = adamw(model, lr, cfg, no_decay=("layer_norm",))
    idx = torch.from_numpy(np.random.default_rng(20_000 + seed).integers(0, len(xt), size=(cfg["T"], cfg["batch"])))

    def forward(ids: torch.Tensor, labels: torch.Tensor) -> Any:
        return model(input_ids=ids.to(device), attention_mask=(ids != PAD).long().to(device), labels=labels.to(device))

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        out = forward(xe, ye)
        target = ye.to(device)
        real = target != IGNORE
        return {"eval_loss": float(out.loss),
                "char_accuracy": float((out.logits.argmax(-1) == target)[real].float().mean())}

    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]), total=cfg["T"],
                 beta2=cfg["beta2"], evaluate=evaluate, stuck_level=stuck - 0.05,
                 clip=cfg["clip"], loss_fn=lambda step: forward(xt[idx[step]], yt[idx[step]]).loss)
