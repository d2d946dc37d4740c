"""Which of an adaptive row's gaps the seeds resolve, comparing the runs of each seed.

Every arm of a (task, LR) cell runs the same seeds, and a seed fixes the initialisation, the data order and the
noise, so two arms' runs of one seed are a pair: their difference varies less from seed to seed than either loss
does. For an arm ``x`` against a reference arm ``y`` of the same cell, over the seeds both ran::

    d_s = 100 · (x_s − y_s) / mean(y)       (the mean of d is the gap in %, as the held-out view's)
    h   = t(0.95; n − 1) · sd(d) / √n      [mean(d) − h, mean(d) + h] is a 90 % interval (95 % on each side)

and the gap is **resolved** when that interval lies on one side of the ±1 % band: ``worse`` (low end above
+1 %), ``better`` (high end below −1 %), ``within`` (the whole interval inside ±1 %); ``unresolved`` otherwise.
Two references: the cell's oracle arm (target (c)) and HF ``linear`` 10 % (target (b)).

The oracle arm is the best of several warmups on these same seeds, so its runs are the lucky ones and a gap to it
leans high: "resolved worse" against it can count a cell that a warmup chosen on other seeds would not show
worse. Nothing here corrects that (:mod:`warmup_bench.noise` measures its size); against HF ``linear`` 10 %, a
single arm chosen in advance, there is no such lean.

No torch here: it reads a results file's cells (their per-seed ``values`` in ``seeds`` order).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from scipy.stats import t as student_t

from .aggregate import WITHIN_PCT
from .heldout import GAP_CLASSES, HF_LABEL, cell_name, gap_class
from .results import cell_key

#: one-sided level of each end of the interval
LEVEL = 0.95
CLASSES = (*GAP_CLASSES, "unresolved")


def paired_gap(x: dict[str, Any], y: dict[str, Any]) -> tuple[float, float, int] | None:
    """The gap of cell ``x`` to cell ``y`` in % over their common seeds, the half-width of its interval and the
    number of seeds; None with fewer than two common seeds."""
    xs = dict(zip(x.get("seeds") or [], x.get("values") or []))
    ys = dict(zip(y.get("seeds") or [], y.get("values") or []))
    common = sorted(set(xs) & set(ys))
    if len(common) < 2:
        return None
    ref = statistics.fmean(ys[s] for s in common)
    d = [100.0 * (xs[s] - ys[s]) / ref for s in common]
    n = len(d)
    half = float(student_t.ppf(LEVEL, n - 1)) * statistics.stdev(d) / math.sqrt(n)
    return statistics.fmean(d), half, n


def seeds_for(half: float, n: int, target: float = WITHIN_PCT, most: int = 100) -> int:
    """The fewest seeds whose paired interval would have half-width at most ``target`` for differences as spread
    as those behind an ``n``-seed interval of half-width ``half`` (the same standard deviation); ``most`` if even
    that many would not do."""
    sd = half * math.sqrt(n) / float(student_t.ppf(LEVEL, n - 1))
    return next((k for k in range(2, most) if float(student_t.ppf(LEVEL, k - 1)) * sd / math.sqrt(k) <= target), most)


def spread(pairs: list[tuple[float, float, int]]) -> dict[str, float | None]:
    """Over :func:`paired_gap` results: the median half-width (``half_median``) and the median of
    :func:`seeds_for` (``seeds_for_median``); None for both without any."""
    if not pairs:
        return {"half_median": None, "seeds_for_median": None}
    return {"half_median": statistics.median(h for _, h, _ in pairs),
            "seeds_for_median": statistics.median(seeds_for(h, n) for _, h, n in pairs)}


def resolved_class(gap: float, half: float) -> str:
    """The class the interval ``gap ± half`` resolves (see the module docstring)."""
    if gap - half > WITHIN_PCT:
        return "worse"
    if gap + half < -WITHIN_PCT:
        return "better"
    if gap - half >= -WITHIN_PCT and gap + half <= WITHIN_PCT:
        return "within"
    return "unresolved"


def paired_cells(res: dict[str, Any], label: str, set_name: str) -> list[dict[str, Any]]:
    """The held-out rows of ``label`` in set ``set_name`` of the results file ``res``, each with ``vs_oracle`` and
    ``vs_hf``: :func:`paired_gap` against the cell's oracle arm and against HF ``linear`` 10 % (None where it cannot
    be computed)."""
    out = []
    for r in res["sets"][label]["cells"]:
        if r["set"] != set_name:
            continue
        cells = res["cells"][r["task"]]
        mine = cells[cell_key(r["lr"], label)]
        hf = cells.get(cell_key(r["lr"], HF_LABEL))
        out.append({**r, "vs_oracle": paired_gap(mine, cells[cell_key(r["lr"], r["oracle_arm"])]),
                    "vs_hf": None if hf is None else paired_gap(mine, hf)})
    return out


def paired_by_cell(res: dict[str, Any], label: str, set_name: str) -> dict[tuple[str, float], dict[str, Any]]:
    """:func:`paired_cells` keyed by ``(task, lr)``, in the same order."""
    return {(r["task"], r["lr"]): r for r in paired_cells(res, label, set_name)}


def resolution(res: dict[str, Any], label: str, set_name: str) -> dict[str, Any]:
    """For the cells of ``set_name`` where ``label`` ran in the results file ``res``: the resolved classes against
    the oracle arm, the share of cells shown within 1 % of it or better and the share not shown worse (the range
    target (c)'s share can be read in), and target (b)'s violations: by the means, and those the seeds resolve;
    over the cells' intervals against the oracle arm, their :func:`spread`."""
    rows = paired_cells(res, label, set_name)
    classes = dict.fromkeys(CLASSES, 0)
    c_shown = 0
    worse: list[str] = []
    b_point: list[str] = []
    b_resolved: list[str] = []
    for r in rows:
        name = cell_name(r["task"], r["lr"])
        kind = "unresolved" if r["vs_oracle"] is None else resolved_class(*r["vs_oracle"][:2])
        classes[kind] += 1
        c_shown += r["vs_oracle"] is not None and r["vs_oracle"][0] + r["vs_oracle"][1] <= WITHIN_PCT
        if kind == "worse":
            worse.append(name)
        if r["gap_hf_pct"] is not None and r["gap_hf_pct"] > WITHIN_PCT:
            b_point.append(name)
            if r["vs_hf"] is not None and resolved_class(*r["vs_hf"][:2]) == "worse":
                b_resolved.append(name)
    n = len(rows)
    return {"cells": n, "classes": classes, "resolved_worse": worse,
            "c_shown_share": c_shown / n if n else None, "c_not_worse_share": 1 - len(worse) / n if n else None,
            "b_violations": b_point, "b_resolved": b_resolved,
            **spread([r["vs_oracle"] for r in rows if r["vs_oracle"] is not None])}


def versus(res: dict[str, Any], label: str, reference: str) -> dict[str, Any]:
    """Row ``label`` against row ``reference`` of the same results file (a candidate against the default), cell by
    cell over the seeds both ran: the resolved classes of :func:`resolved_class` and the cells resolved each way."""
    classes = dict.fromkeys(CLASSES, 0)
    named: dict[str, list[str]] = {"better": [], "worse": []}
    for r in res["sets"][label]["cells"]:
        cells = res["cells"][r["task"]]
        pair = paired_gap(cells[cell_key(r["lr"], label)], cells.get(cell_key(r["lr"], reference), {}))
        kind = "unresolved" if pair is None else resolved_class(*pair[:2])
        classes[kind] += 1
        if kind in named:
            named[kind].append(cell_name(r["task"], r["lr"]))
    return {"cells": sum(classes.values()), "classes": classes, **named}


def pooled(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """One cell's runs from several results files (each on its own seeds) as one cell: its ``values`` by seed."""
    by_seed = {s: v for c in cells for s, v in zip(c.get("seeds") or [], c.get("values") or [])}
    return {"seeds": sorted(by_seed), "values": [by_seed[s] for s in sorted(by_seed)]}


def pooled_versus(files: list[dict[str, Any]], label: str, reference: str, set_name: str) -> dict[str, Any]:
    """Row ``label`` against arm ``reference`` (an arm fixed in advance, not chosen on the seeds: HF ``linear`` 10 %,
    or one fixed warmup) in the cells of set ``set_name`` of ``files[0]``, each cell's runs pooled over every file
    that has it (:func:`pooled`): the gap over all their common seeds and its interval, the classes by that mean
    (``by_means``, of the cells with an interval) and the cells more than 1 % worse by it, the resolved classes and
    cells, their :func:`spread`, and how many seeds the cells have (fewest, most)."""
    classes = dict.fromkeys(CLASSES, 0)
    by_means = dict.fromkeys(GAP_CLASSES, 0)
    named: dict[str, list[str]] = {"worse_by_means": [], "better": [], "worse": []}
    pairs: list[tuple[float, float, int]] = []
    for r in files[0]["sets"][label]["cells"]:
        if r["set"] != set_name:
            continue
        key_x, key_y = cell_key(r["lr"], label), cell_key(r["lr"], reference)
        have = [f["cells"][r["task"]] for f in files if key_x in f["cells"].get(r["task"], {})]
        pair = paired_gap(pooled([c[key_x] for c in have]), pooled([c.get(key_y, {}) for c in have]))
        kind = "unresolved" if pair is None else resolved_class(*pair[:2])
        classes[kind] += 1
        name = cell_name(r["task"], r["lr"])
        if kind in named:
            named[kind].append(name)
        if pair is not None:
            pairs.append(pair)
            by_class = gap_class(pair[0])
            by_means[by_class] += 1
            if by_class == "worse":
                named["worse_by_means"].append(name)
    seeds = [n for _, _, n in pairs]
    return {"cells": sum(classes.values()), "classes": classes, "by_means": by_means, **named,
            "seeds": (min(seeds), max(seeds)) if seeds else None, **spread(pairs)}
