"""Models built from a config (no download), shared by the benchmark tasks, the overhead and GPU measurements and
the pretraining workload (``scripts/pretrain_lm.py``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def llama_config(vocab: int, hidden: int, layers: int, heads: int, intermediate: int, positions: int, *,
                 tie: bool, **extra: Any) -> Any:
    """A ``LlamaConfig`` with as many key/value heads as heads; ``extra`` goes to the config as it is."""
    from transformers import LlamaConfig

    return LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate,
                       num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                       max_position_embeddings=positions, tie_word_embeddings=tie, **extra)


def causal_lm(config: Any, device: str = "cpu", dtype: torch.dtype | None = None) -> Any:
    """A freshly initialised causal LM of ``config``, initialised on ``device`` (a 1 B model initialised on the
    CPU first is slow), in ``dtype`` if given. Seed the RNG before calling for a reproducible initialisation."""
    from transformers import AutoModelForCausalLM

    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config)
    return model if dtype is None else model.to(dtype)


class Logits(nn.Module):
    """A transformers causal LM as ``forward(input_ids) -> logits``, for loops that take a plain logits model."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=x).logits
