"""A small causal-LM task on the King James Bible, fully offline: the pieces of the pretraining example
(``scripts/pretrain_lm.py``).

* :func:`load_kjv_text` reads the KJV text (31,103 verses, ~4.3 MB; located by :func:`warmup_bench.text.text_path`)
  as one string (verses joined by newlines);
* :class:`CharTokenizer` is a character-level tokenizer whose vocabulary is built from the text and
  saved/loaded as JSON;
* :func:`build_lm_datasets` cuts the encoded text into fixed-length blocks and returns a train and a held-out
  eval :class:`datasets.Dataset` with ``input_ids`` and ``labels``;
* :func:`build_model` builds a small GPT-2 or Llama causal LM from a config (no download).

Nothing here touches the Hugging Face Hub.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from warmup_bench.models import causal_lm, llama_config
from warmup_bench.text import verses

if TYPE_CHECKING:
    from datasets import Dataset
    from transformers import PreTrainedModel

__all__ = [
    "CharTokenizer",
    "LMDatasets",
    "build_lm_datasets",
    "build_model",
    "load_kjv_text",
]

Arch = Literal["gpt2", "llama"]


@lru_cache(maxsize=4)
def load_kjv_text(max_chars: int | None = None, separator: str = "\n") -> str:
    """The KJV verses in canonical order, joined by ``separator``; the first ``max_chars`` characters if given."""
    pieces: list[str] = []
    size = 0
    for _, verse in verses():
        pieces.append(verse)
        size += len(verse) + len(separator)
        if max_chars is not None and size >= max_chars:
            break
    text = separator.join(pieces)
    return text[:max_chars] if max_chars is not None else text


@dataclass
class CharTokenizer:
    """Character-level tokenizer: one id per character seen in the corpus, plus ``<unk>`` (id 0).

    ``encode`` maps unknown characters to ``<unk>``; ``decode`` drops nothing (``<unk>`` decodes to ``"?"``).
    """

    chars: list[str] = field(default_factory=list)
    unk_token: str = "<unk>"

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("CharTokenizer: duplicate characters in the vocabulary")
        if any(len(c) != 1 for c in self.chars):
            raise ValueError("CharTokenizer: every vocabulary entry must be a single character")
        self._index = {c: i + 1 for i, c in enumerate(self.chars)}
        self._lookup = np.array(["?", *self.chars], dtype=object)

    @classmethod
    def from_text(cls, text: str | Iterable[str]) -> CharTokenizer:
        """Vocabulary = the sorted set of characters of ``text`` (a string or an iterable of strings)."""
        seen: set[str] = set()
        if isinstance(text, str):
            seen.update(text)
        else:
            for piece in text:
                seen.update(piece)
        return cls(sorted(seen))

    @property
    def vocab_size(self) -> int:
        return len(self.chars) + 1

    @property
    def unk_token_id(self) -> int:
        return 0

    def encode(self, text: str) -> list[int]:
        index = self._index
        return [index.get(c, 0) for c in text]

    def encode_array(self, text: str) -> np.ndarray:
        """``encode`` as an ``int32`` array, fast for whole corpora."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        table = np.zeros(max(map(ord, self.chars), default=0) + 2, dtype=np.int32)
        for c, i in self._index.items():
            table[ord(c)] = i
        codes = np.where(codes < len(table), codes, len(table) - 1)  # last slot stays 0 = <unk>
        return table[codes]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return "".join(self._lookup[int(i)] if 0 <= int(i) < len(self._lookup) else "?" for i in ids)

    # -- persistence ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, object]:
        return {"type": "char", "unk_token": self.unk_token, "chars": self.chars}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the vocabulary as JSON (``{"type": "char", "chars": [...]}``)."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CharTokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("type") != "char":
            raise ValueError(f"{path}: not a CharTokenizer file (type={data.get('type')!r})")
        return cls(list(data["chars"]), data.get("unk_token", "<unk>"))


@dataclass
class LMDatasets:
    """What :func:`build_lm_datasets` returns: the two splits and the tokenizer that made them."""

    train: Dataset
    eval: Dataset
    tokenizer: CharTokenizer
    block_size: int

    def __iter__(self) -> Iterator[Dataset]:
        """``train_ds, eval_ds = build_lm_datasets(...)``."""
        return iter((self.train, self.eval))


def build_lm_datasets(
    block_size: int,
    max_chars: int | None = None,
    val_fraction: float = 0.05,
    seed: int = 0,
    tokenizer: CharTokenizer | None = None,
    max_train_blocks: int | None = None,
    max_eval_blocks: int | None = None,
) -> LMDatasets:
    """Train and held-out eval sets of ``block_size``-token blocks from the KJV text.

    The text (verses joined by newlines, the first ``max_chars`` characters if given) is encoded with
    ``tokenizer`` (default: a :class:`CharTokenizer` built from the whole text), cut into non-overlapping
    blocks, and split *contiguously*: the last ``val_fraction`` of the blocks form the eval set, so no eval text
    is seen in training. ``labels`` equal ``input_ids`` (the model shifts them). ``seed`` fixes the order of the
    train blocks (eval keeps text order); ``max_train_blocks`` keeps the first train blocks after that shuffle,
    ``max_eval_blocks`` keeps evenly spaced eval blocks. Unpacks as ``train_ds, eval_ds = build_lm_datasets(...)``.
    """
    from datasets import Dataset

    if block_size < 2:
        raise ValueError(f"block_size={block_size} is too small; expected >= 2")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction={val_fraction} must be in (0, 1)")
    text = load_kjv_text(max_chars)
    tok = tokenizer or CharTokenizer.from_text(text)
    ids = tok.encode_array(text)
    n_blocks = len(ids) // block_size
    n_eval = max(1, int(round(n_blocks * val_fraction)))
    if n_blocks - n_eval < 1:
        raise ValueError(f"only {n_blocks} blocks of {block_size} tokens: raise max_chars or lower block_size")
    blocks = ids[: n_blocks * block_size].reshape(n_blocks, block_size).astype(np.int64)
    train_blocks, eval_blocks = blocks[: n_blocks - n_eval], blocks[n_blocks - n_eval :]
    order = np.random.default_rng(seed).permutation(len(train_blocks))
    train_blocks = train_blocks[order]
    if max_train_blocks is not None:
        train_blocks = train_blocks[:max_train_blocks]
    if max_eval_blocks is not None and max_eval_blocks < len(eval_blocks):
        keep = np.linspace(0, len(eval_blocks) - 1, max_eval_blocks).round().astype(int)
        eval_blocks = eval_blocks[keep]

    def to_dataset(arr: np.ndarray) -> Dataset:
        rows = arr.tolist()
        return Dataset.from_dict({"input_ids": rows, "labels": rows})

    return LMDatasets(to_dataset(train_blocks), to_dataset(eval_blocks), tok, block_size)


def build_model(
    arch: Arch = "gpt2",
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int = 4,
    vocab_size: int = 128,
    block_size: int = 64,
    seed: int | None = None,
) -> PreTrainedModel:
    """A freshly initialised causal LM from a config (no download): ``"gpt2"`` or ``"llama"``.

    Dropout is off (deterministic, and these runs are far from overfitting). ``seed`` (if given) seeds the
    initialisation via ``transformers.set_seed``; the Trainer re-seeds anyway when it is given ``model_init``.
    """
    import transformers
    from transformers import GPT2Config

    if n_embd % n_head:
        raise ValueError(f"n_embd={n_embd} must be divisible by n_head={n_head}")
    if seed is not None:
        transformers.set_seed(seed)
    if arch == "gpt2":
        config = GPT2Config(
            vocab_size=vocab_size,
            n_positions=block_size,
            n_embd=n_embd,
            n_layer=n_layer,
            n_head=n_head,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            bos_token_id=0,
            eos_token_id=0,
        )
    elif arch == "llama":
        config = llama_config(vocab_size, n_embd, n_layer, n_head, 4 * n_embd, block_size, tie=True,
                              bos_token_id=0, eos_token_id=0, pad_token_id=0)
    else:
        raise ValueError(f"arch={arch!r}; expected 'gpt2' or 'llama'")
    return causal_lm(config)
