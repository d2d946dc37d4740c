"""The benchmark's results format: a run's record, the keys of runs and cells, the store of finished runs.

* ``results.json`` in the output directory (the store): ``{"version": RESULTS_VERSION, "runs": {key: record}}``;
  a run's key is :func:`run_key_text`: task, arm label, LR, seed and a digest of everything that defines the run
  (a run whose definition changed gets a new key, and re-runs);
* a record: :func:`make_record`, plus the identifying fields (``task``, ``arm``, ``kind``, ``lr``, ``seed``,
  ``key``) and the run's timings;
* the summary (``summary.json``, ``docs/benchmark/*.json``): ``cells[task][cell_key(lr, label)]`` (one cell:
  a task's peak LR and an arm, over seeds; :mod:`warmup_bench.aggregate`) and ``oracle[task][lr_key(lr)]``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

RESULTS_VERSION = 2
#: The digest that marks runs taken from a committed summary file: ``from:round2_test.json``.
FROM_SUMMARY = "from:"


def lr_key(lr: float) -> str:
    """A peak LR as the summary's keys and tables write it: ``0.01``, ``3e-05``."""
    return f"{lr:g}"


def cell_key(lr: float, label: str) -> str:
    """The key of one (peak LR, arm label) cell in ``summary["cells"][task]``: ``"0.01|adaptive_warmup"``."""
    return f"{lr_key(lr)}|{label}"


def split_cell_key(key: str) -> tuple[float, str]:
    """``"0.01|adaptive_warmup"`` -> ``(0.01, "adaptive_warmup")``: the inverse of :func:`cell_key`."""
    lr, label = key.split("|", 1)
    return float(lr), label


def run_key_text(task: str, label: str, lr: float, seed: int, digest: str) -> str:
    """A run's key in the store: a readable prefix, then the digest of its definition."""
    return f"{task}|{label}|lr={lr:g}|seed={seed}|{digest}"


def cell_of_run(key: str) -> str:
    """A run key without its digest: the same (task, arm, LR, seed) whatever the code that ran it."""
    return key.rsplit("|", 1)[0]


def digest_of_run(key: str) -> str:
    """The digest at the end of a run key."""
    return key.rsplit("|", 1)[-1]


def save_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)


def runs_of_any_source(stored: dict[str, dict[str, Any]], keys: list[str],
                       runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``runs`` plus, for each planned key without a finished record, a finished record of the same task, arm,
    LR and seed made by another hf_warmup source (adaptive keys end with the source hash)."""
    have = {k for k in keys if stored.get(k, {}).get("status") == "done"}
    by_cell: dict[tuple[str, str, float, int], dict[str, Any]] = {}
    for rec in stored.values():
        if rec.get("status") == "done":
            by_cell.setdefault((rec["task"], rec["arm"], rec["lr"], rec["seed"]), rec)
    out = [r for r in runs if r.get("status") != "done" or r["key"] in have]
    wanted = {cell_of_run(k) for k in keys if k not in have}
    for rec in by_cell.values():
        if rec["key"] not in have and cell_of_run(rec["key"]) in wanted:
            out.append(rec)
    return out


def records_of_summary(path: Path) -> dict[str, dict[str, Any]]:
    """The runs a summary file (``docs/benchmark/*.json``) lists, keyed as the store keys runs but with
    ``from:FILE`` for the digest: no planned key matches them, so they stand in for runs only under
    ``--report_only --any_source``, and the report names the file among its sources."""
    tag = f"{FROM_SUMMARY}{path.name}"
    out: dict[str, dict[str, Any]] = {}
    for rec in json.loads(path.read_text())["runs"]:
        key = run_key_text(rec["task"], rec["arm"], rec["lr"], rec["seed"], tag)
        out[key] = {**rec, "key": key}
    return out


def merge_runs(store: dict[str, Any], sources: list[str]) -> int:
    """Add every finished run that ``store`` lacks from each source: an output directory (its ``results.json``)
    or a committed summary file (:func:`records_of_summary`)."""
    added = 0
    for src in sources:
        if src.endswith(".json"):
            runs = records_of_summary(Path(src))
        else:
            path = Path(src) / "results.json"
            other = json.loads(path.read_text())
            if other.get("version") != RESULTS_VERSION:
                raise SystemExit(f"--merge_from: {path} has results version {other.get('version')}, "
                                 f"expected {RESULTS_VERSION}")
            runs = other["runs"]
        for key, rec in runs.items():
            if rec.get("status") == "done" and store["runs"].get(key, {}).get("status") != "done":
                store["runs"][key] = rec
                added += 1
    return added


def make_record(
    *, eval_loss: float | None, initial_loss: float, stuck_level: float | None, lr_trace: list[list[float]],
    train_losses: list[list[float]], info: dict[str, Any], seconds: float, steps_done: int, error: str | None,
    metrics: dict[str, Any] | None = None, final_train_loss: float | None = None,
) -> dict[str, Any]:
    """A run's record: the main metric (eval loss, lower is better), divergence and stuck flags, traces.

    * **diverged**: an error, a non-finite eval or train loss, or a final train loss above the initial loss;
    * **stuck**: finite but no better than ``stuck_level`` (the task's trivial predictor, e.g. a unigram model
      for a character LM or the class prior for a classifier);
    * **scored_eval_loss**: what means and gaps use: the eval loss, or for a diverged run
      ``max(eval loss, initial loss)`` (the initial loss if not finite): penalised, never NaN.
    """
    finite_eval = eval_loss is not None and math.isfinite(eval_loss)
    diverged = (
        error is not None
        or not finite_eval
        or (final_train_loss is not None and (not math.isfinite(final_train_loss) or final_train_loss > initial_loss))
    )
    scored = eval_loss if finite_eval else initial_loss
    if diverged:
        scored = max(scored, initial_loss)  # type: ignore[type-var]
    stuck = (not diverged) and stuck_level is not None and finite_eval and eval_loss >= stuck_level  # type: ignore[operator]
    return {
        "status": "done",
        "eval_loss": eval_loss if finite_eval else None,
        "scored_eval_loss": float(scored),  # type: ignore[arg-type]
        "initial_loss": initial_loss,
        "final_train_loss": final_train_loss if final_train_loss is None or math.isfinite(final_train_loss) else None,
        "stuck_level": stuck_level,
        "diverged": bool(diverged),
        "stuck": bool(stuck),
        "error": error,
        "metrics": metrics or {},
        "seconds": round(seconds, 3),
        "steps_done": steps_done,
        "lr_trace": lr_trace,
        "train_loss_trace": train_losses,
        **info,
    }
