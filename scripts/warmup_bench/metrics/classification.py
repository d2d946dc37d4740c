"""Accuracy and F1 for single-label classification, as an ``evaluate`` metric that needs no Hub access.

Load it from its file: ``evaluate.load(warmup_bench.metrics.CLASSIFICATION_METRIC)``. The module imports only
``evaluate``, ``datasets`` and ``numpy`` (``evaluate.load`` copies it into its module cache, so it must not
import ``hf_warmup``).
"""

from __future__ import annotations

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """
Accuracy (fraction of predictions equal to the reference) and F1 of single-label classification.

F1 per class c is 2·TP_c / (2·TP_c + FP_c + FN_c) (0 when the class is neither predicted nor present);
`average="macro"` (default) is the unweighted mean over the classes present in predictions or references
(or over `labels` if given), `"weighted"` weighs by support, `"micro"` pools the counts (equal to accuracy).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): true labels.
    average (str): "macro" (default), "weighted" or "micro".
    labels (list of int, optional): the classes to average over; default: every class seen.
Returns:
    accuracy (float): in [0, 1].
    f1 (float): in [0, 1].
Examples:
    >>> metric = evaluate.load("path/to/classification.py")
    >>> metric.compute(predictions=[0, 1, 1, 2], references=[0, 1, 2, 2])
    {'accuracy': 0.75, 'f1': 0.7777777777777777}
"""

_CITATION = ""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Classification(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, average: str = "macro", labels=None):
        pred = np.asarray(predictions, dtype=np.int64)
        ref = np.asarray(references, dtype=np.int64)
        if pred.shape != ref.shape:
            raise ValueError(f"{pred.shape[0]} predictions for {ref.shape[0]} references")
        if pred.size == 0:
            return {"accuracy": float("nan"), "f1": float("nan")}
        accuracy = float(np.mean(pred == ref))
        classes = np.asarray(labels, dtype=np.int64) if labels is not None else np.union1d(pred, ref)
        tp = np.array([np.sum((pred == c) & (ref == c)) for c in classes], dtype=np.float64)
        fp = np.array([np.sum((pred == c) & (ref != c)) for c in classes], dtype=np.float64)
        fn = np.array([np.sum((pred != c) & (ref == c)) for c in classes], dtype=np.float64)
        if average == "micro":
            denom = 2 * tp.sum() + fp.sum() + fn.sum()
            f1 = float(2 * tp.sum() / denom) if denom else 0.0
        else:
            denom = 2 * tp + fp + fn
            per_class = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
            if average == "macro":
                f1 = float(per_class.mean())
            elif average == "weighted":
                support = tp + fn
                f1 = float((per_class * support).sum() / support.sum()) if support.sum() else 0.0
            else:
                raise ValueError(f"average={average!r}; expected 'macro', 'weighted' or 'micro'")
        return {"accuracy": accuracy, "f1": f1}
