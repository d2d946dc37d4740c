"""Task ``bart_denoise``: an encoder-decoder (a tiny BART from a config) trained from scratch on BART's denoising.

``BartForConditionalGeneration`` from a ``BartConfig`` (post-LN, learned positions, GELU, no dropout), 2+2
layers, width 64. BART's text infilling on characters of the KJV text (from its 90 % point, a slice no other task
starts at): in each ``block``-character window, spans of Poisson(3) characters (at least 1) covering about
``mask_ratio`` of it are each replaced by one mask token; the encoder reads the corrupted window, the decoder
reconstructs the original (teacher forcing, the loss on every character). AdamW β2 0.98, weight decay 0.01 (not on
biases and LayerNorms), clipping at 1.0, cosine decay to 0, in the plain loop; fresh corruption every step; the eval
loss on a fixed corruption of held-out windows; stuck = no better than the unigram model. The encoder-decoder
family beside ``t5_trainer`` (T5, next-chars seq2seq, the Trainer's defaults). A next-round test task
(``split.json``: ``next_test``), added before any ``adaptive_warmup`` run of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..protocol import Arm, Sizes, scheduler_request
from . import charlm
from .loop import adamw, train

NAME = "bart_denoise"
VERSION = 1

#: Special ids; a character ``c`` is ``c + len(SPECIALS)``.
PAD, EOS, MASK = 0, 1, 2
SPECIALS = 3

_BASE: dict[str, Any] = dict(
    T=400, d_model=64, d_ff=256, n_layer=2, n_head=4, block=32, mask_ratio=0.3, span=3.0, batch=16,
    chars=1_000_000, text_start=0.9, eval_blocks=128, beta1=0.9, beta2=0.98, weight_decay=0.01, clip=1.0,
    decay={"decay": "cosine"},
)
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=30, d_model=32, d_ff=64, n_layer=1, block=24, batch=8, chars=100_000, eval_blocks=16),
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-3], "quick": [1e-3, 3e-3], "full": [3e-4, 1e-3, 3e-3, 1e-2]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"BART encoder-decoder from scratch ({cfg['n_layer']}+{cfg['n_layer']} post-LN layers, width "
            f"{cfg['d_model']}), char text infilling ({cfg['mask_ratio']:.0%} of {cfg['block']} chars in Poisson("
            f"{cfg['span']:g}) spans, one mask each) → the original, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, batch "
            f"{cfg['batch']}")


def corrupt(windows: torch.Tensor, mask_ratio: float, span: float,
            rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """BART's text infilling: ``(input_ids, attention_mask)``, each ``[n, length]``, padded with ``PAD``.

    A span starts at a kept position with probability ``mask_ratio / span``; its length is Poisson(``span``), at
    least 1, cut at the window's end; the span becomes one ``MASK``. ``windows`` holds shifted ids (no specials).
    """
    n, length = windows.shape
    starts = rng.random((n, length)) < mask_ratio / span
    lengths = np.maximum(1, rng.poisson(span, size=(n, length)))
    rows = windows.numpy()
    out = np.full((n, length), PAD, dtype=np.int64)
    for r in range(n):
        i = j = 0
        while i < length:
            if starts[r, i]:
                out[r, j] = MASK
                i += int(lengths[r, i])
            else:
                out[r, j] = rows[r, i]
                i += 1
            j += 1
    ids = torch.from_numpy(out)
    return ids, (ids != PAD).long()


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    from transformers import BartConfig, BartForConditionalGeneration

    data = charlm.load(cfg["text_start"], cfg["chars"], cfg["block"] - 1, cfg["eval_blocks"])
    conf = BartConfig(vocab_size=data.vocab_size + SPECIALS, d_model=cfg["d_model"], encoder_layers=cfg["n_layer"],
                      decoder_layers=cfg["n_layer"], encoder_attention_heads=cfg["n_head"],
                      decoder_attention_heads=cfg["n_head"], encoder_ffn_dim=cfg["d_ff"], decoder_ffn_dim=cfg["d_ff"],
                      max_position_embeddings=cfg["block"], activation_function="gelu", dropout=0.0,
                      attention_dropout=0.0, activation_dropout=0.0, pad_token_id=PAD, bos_token_id=EOS,
                      eos_token_id=EOS, decoder_start_token_id=EOS, forced_eos_token_id=None)
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(conf).to(device)
    opt = adamw(model, lr, cfg, no_decay=("layer_norm", "layernorm"))
    get = charlm.batch_sampler(data, cfg["batch"], cfg["block"] - 1, seed, "cpu")
    noise = np.random.default_rng(30_000 + seed)
    eval_labels = data.eval_blocks + SPECIALS
    eval_ids, eval_mask = corrupt(eval_labels, cfg["mask_ratio"], cfg["span"], np.random.default_rng(1234))

    def loss_of(labels: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
        return out.loss

    def loss_fn(step: int) -> torch.Tensor:
        labels = get(step) + SPECIALS
        return loss_of(labels, *corrupt(labels, cfg["mask_ratio"], cfg["span"], noise))

    @torch.no_grad()
    def evaluate() -> dict[str, float]:
        model.eval()
        return {"eval_loss": float(loss_of(eval_labels, eval_ids, eval_mask))}

    return train(model=model, optimizer=opt, request=scheduler_request(arm, cfg["T"], cfg["decay"]),
                 total=cfg["T"], beta2=cfg["beta2"], loss_fn=loss_fn, evaluate=evaluate,
                 stuck_level=data.unigram_loss - 0.05, clip=cfg["clip"])
