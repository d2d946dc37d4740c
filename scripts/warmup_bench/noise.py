"""How much of "within 1 % of the per-LR oracle" the benchmark's seeds can resolve.

The per-LR oracle is the best of several fixed warmups, each the mean of a few seeds, so it is the minimum of
noisy means: a schedule exactly as good as the best warmup in expectation still lands above that minimum in many
cells. :func:`seed_noise` measures it on a results file's fixed arms, with no adaptive run involved:

* **hindsight**: split the seeds in two halves; pick the warmup whose mean over one half is best and score its
  mean over the other half against that half's own oracle (both ways round); the fraction of such picks within
  1 %. With 2 seeds a pick made on one seed is judged on the other; with 4, a pick made on two seeds (the
  benchmark's usual number) is judged on two others. A rule that knew one half's results gets this far;
* **each fixed W**: the fraction of cells where that one warmup (the same fraction of T everywhere) is within 1 %
  of the oracle of the mean over all seeds, the target's own terms, over the cells whose grid has it;
* **seed spread**: the median over cells of the oracle arm's spread over seeds, std / mean (as the held-out
  view's ``spread_pct``).

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
    grid has at least three warmups, all with the same two or more seeds)."""
    tasks = {c["task"] for c in res["sets"]["adaptive_warmup"]["cells"] if c["set"] == set_name}
    limit = 1 + WITHIN_PCT / 100
    picks: list[bool] = []
    spreads: list[float] = []
    within: dict[float, int] = {}
    present: dict[float, int] = {}
    cells = 0
    for by_w in _grid(res["runs"], tasks).values():
        seed_sets = {tuple(sorted(s)) for s in by_w.values()}
        seeds = next(iter(seed_sets))
        if len(by_w) < 3 or len(seed_sets) != 1 or len(seeds) < 2:
            continue
        cells += 1
        halves = (seeds[:len(seeds) // 2], seeds[len(seeds) // 2:])
        for chosen_on, scored_on in (halves, halves[::-1]):
            chosen = {w: statistics.fmean(s[i] for i in chosen_on) for w, s in by_w.items()}
            scored = {w: statistics.fmean(s[i] for i in scored_on) for w, s in by_w.items()}
            pick = min(chosen, key=lambda w: chosen[w])
            picks.append(scored[pick] <= limit * min(scored.values()))
        mean = {w: statistics.fmean(s.values()) for w, s in by_w.items()}
        best = min(mean, key=lambda w: mean[w])
        spreads.append(100 * statistics.stdev(by_w[best].values()) / mean[best])
        for w, value in mean.items():
            within[w] = within.get(w, 0) + (value <= limit * mean[best])
            present[w] = present.get(w, 0) + 1
    return {"cells": cells, "hindsight_pct": 100 * sum(picks) / len(picks) if picks else None,
            "fixed_within_pct": {w: 100 * within[w] / n for w, n in sorted(present.items())},
            "fixed_cells": dict(sorted(present.items())),
            "spread_median_pct": statistics.median(spreads) if spreads else None}
