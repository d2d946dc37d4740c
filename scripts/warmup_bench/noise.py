"""How much of "within 1 % of the per-LR oracle" the benchmark's seeds can resolve.

The per-LR oracle is the best of several fixed warmups, each the mean of a few seeds, so it is the minimum of
noisy means: a schedule exactly as good as the best warmup in expectation still lands above that minimum in many
cells. :func:`seed_noise` measures it on a results file's fixed arms, with no adaptive run involved:

* **hindsight**: pick the warmup that was best on one seed and score it on the other seed against that seed's own
  oracle (both ways round); the fraction of such picks within 1 %. A rule that knew everything about one seed
  gets this far, and no further, on this target with these seeds;
* **each fixed W**: the fraction of cells where that one warmup (the same fraction of T everywhere) is within 1 %
  of the oracle of the mean over seeds, the target's own terms, over the cells whose grid has it;
* **seed spread**: the median over cells of the oracle arm's spread between seeds, ``|a - b| / mean``.

No torch here: it reads results json.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from .aggregate import WITHIN_PCT
from .signals import w_fraction


def _grid(runs: Sequence[dict[str, Any]], tasks: set[str]) -> dict[tuple[str, float], dict[float, dict[int, float]]]:
    """Per cell of ``tasks``: the scored eval loss per W fraction and seed, fixed grid arms only."""
    out: dict[tuple[str, float], dict[float, dict[int, float]]] = {}
    for r in runs:
        frac = w_fraction(r["arm"])
        if r.get("status") == "done" and frac is not None and r["task"] in tasks:
            out.setdefault((r["task"], float(r["lr"])), {}).setdefault(frac, {})[int(r["seed"])] = r["scored_eval_loss"]
    return out


def seed_noise(res: dict[str, Any], set_name: str) -> dict[str, Any]:
    """The figures of the module docstring for the cells of ``set_name`` in the results file ``res`` (cells whose
    grid has at least three warmups, each with exactly two seeds)."""
    tasks = {c["task"] for c in res["sets"]["adaptive_warmup"]["cells"] if c["set"] == set_name}
    limit = 1 + WITHIN_PCT / 100
    picks: list[bool] = []
    spreads: list[float] = []
    within: dict[float, int] = {}
    present: dict[float, int] = {}
    cells = 0
    for by_w in _grid(res["runs"], tasks).values():
        full = {w: seeds for w, seeds in by_w.items() if len(seeds) == 2}
        if len(full) < 3 or len({tuple(sorted(s)) for s in full.values()}) != 1:
            continue
        cells += 1
        first, second = sorted(next(iter(full.values())))
        for chosen_on, scored_on in ((first, second), (second, first)):
            pick = min(full, key=lambda w: full[w][chosen_on])
            picks.append(full[pick][scored_on] <= limit * min(s[scored_on] for s in full.values()))
        mean = {w: statistics.fmean(s.values()) for w, s in full.items()}
        best = min(mean, key=lambda w: mean[w])
        spreads.append(100 * abs(full[best][first] - full[best][second]) / mean[best])
        for w, value in mean.items():
            within[w] = within.get(w, 0) + (value <= limit * mean[best])
            present[w] = present.get(w, 0) + 1
    return {"cells": cells, "hindsight_pct": 100 * sum(picks) / len(picks) if picks else None,
            "fixed_within_pct": {w: 100 * within[w] / n for w, n in sorted(present.items())},
            "fixed_cells": dict(sorted(present.items())),
            "spread_median_pct": statistics.median(spreads) if spreads else None}
