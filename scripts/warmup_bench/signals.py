"""Can a statistic measured during the ramp tell a cell that wants a *longer* warmup from one that wants a
*shorter* one? The labels, the loss statistics and the tables of ``scripts/probe_signals.py``.

No torch here: the probe (``scripts/probe_signals.py``) trains and measures, this module labels its cells from
full-mode benchmark files and writes the tables, for the probe's output and for the docs' figure blocks.

**Labels.** A cell (task, peak LR) is labelled from the mean final eval loss of each warmup length ``W`` of the
oracle grid in a full-mode benchmark file: **longer** when ``W = 10 %`` is more than 1 % behind the best and
only longer warmups are within 1 %; **shorter** likewise; **10 % is fine** when 10 % is within 1 %; **either**
when both longer and shorter ones are within 1 % but 10 % is not. A statistic could drive a rule only if some
threshold put every "longer" cell on one side and every "shorter" cell on the other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .results import split_cell_key

RAMP_FRACTION = 0.1
#: the statistics, in table order: six of the optimizer state, two of the training loss
STATS = ("S_hat", "G", "u", "phi", "H", "rho", "dL", "rise")
HEADERS = {"S_hat": "Ŝ", "G": "G", "u": "u", "phi": "φ", "H": "H", "rho": "ρ", "dL": "ΔL", "rise": "L↑",
           "q_mid": "q(½)", "q_end": "q(1)", "sharp_trend": "λ(1)/λ(½) − 1"}
#: the statistics of the preconditioned-sharpness probe (``scripts/probe_sharpness.py``)
SHARPNESS_STATS = ("q_mid", "q_end", "sharp_trend")
#: the trailing mean that smooths the per-step training loss for ``rise``
SMOOTHING = 5
FINE, LONGER, SHORTER, EITHER = "10 % is fine", "longer", "shorter", "either"


def w_fraction(label: str) -> float | None:
    """``0.25`` for ``linear_warmup(W=25%)``, 0 for ``no_warmup``, None for any other arm."""
    if label == "no_warmup":
        return 0.0
    if label.startswith("linear_warmup(W=") and label.endswith("%)"):
        return float(label[len("linear_warmup(W="):-2]) / 100
    return None


def label_of(by_w: dict[float, float]) -> tuple[str, list[float]]:
    """The label of one cell from its mean eval loss per W fraction, and the fractions within 1 % of the best."""
    best = min(by_w.values())
    ok = sorted(w for w, v in by_w.items() if (v - best) / best <= 0.01)
    if RAMP_FRACTION in ok:
        return FINE, ok
    if all(w > RAMP_FRACTION for w in ok):
        return LONGER, ok
    if all(w < RAMP_FRACTION for w in ok):
        return SHORTER, ok
    return EITHER, ok


def labels(paths: Iterable[Path]) -> dict[tuple[str, float], dict[str, Any]]:
    """Per (task, LR): ``{"label", "within": [W fractions], "ten": mean eval loss of W = 10 %, "source"}`` from
    the full-mode benchmark files ``paths`` (a later file's cell replaces an earlier one's)."""
    out: dict[tuple[str, float], dict[str, Any]] = {}
    for path in paths:
        cells = json.loads(Path(path).read_text())["cells"]
        for task, arms in cells.items():
            grid: dict[float, dict[float, float]] = {}
            for key, cell in arms.items():
                lr, arm = split_cell_key(key)
                frac = w_fraction(arm)
                if frac is not None and cell.get("mean") is not None:
                    grid.setdefault(lr, {})[frac] = float(cell["mean"])
            for lr, by_w in grid.items():
                label, ok = label_of(by_w)
                out[(task, lr)] = {"label": label, "within": ok, "ten": by_w.get(RAMP_FRACTION),
                                   "source": Path(path).name}
    return out


def loss_stats(losses: Sequence[float], lo: int, hi: int) -> dict[str, float]:
    """The training-loss statistics over steps ``[lo, hi)`` of a run whose per-step losses are ``losses``.

    * ``dL``: the relative fall of the loss over the window, ``(mean of its first third - mean of its last
      third) / mean of its first third``: > 0 while the loss falls, ~0 on a plateau, < 0 when it rises;
    * ``rise``: the loss catapult (Kalra & Barkeshli 2024), the largest ``L̄_t / min_{s≤t} L̄_s - 1`` in the window,
      with ``L̄`` the trailing mean of ``SMOOTHING`` steps and the minimum taken from the first step on: 0 when the
      smoothed loss never rises above its best so far.
    """
    window = list(losses[lo:hi])
    third = max(1, len(window) // 3)
    first, last = sum(window[:third]) / third, sum(window[-third:]) / third
    smooth = [sum(losses[max(0, t - SMOOTHING + 1):t + 1]) / (t + 1 - max(0, t - SMOOTHING + 1))
              for t in range(hi)]
    best, rise = math.inf, 0.0
    for t, value in enumerate(smooth):
        best = min(best, value)
        if t >= lo:
            rise = max(rise, value / best - 1.0)
    return {"dL": (first - last) / first if first else float("nan"), "rise": rise}


def _fmt(x: float) -> str:
    return f"{x:+.3f}" if math.isfinite(x) else "–"


def cell_means(results: Sequence[dict[str, Any]], stats: Sequence[str] = STATS
               ) -> dict[tuple[str, float], dict[str, float]]:
    """Each of ``stats``' mean over the seeds of each (task, LR)."""
    cells: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for r in results:
        cells.setdefault((r["task"], float(r["lr"])), []).append(r)
    return {key: {s: sum(float(r[s]) for r in rs) / len(rs) for s in stats} for key, rs in cells.items()}


def separates(longer: Sequence[float], shorter: Sequence[float]) -> bool:
    """One threshold puts every value of ``longer`` on one side of every value of ``shorter``."""
    return min(longer) > max(shorter) or max(longer) < min(shorter)


def summarize(results: Sequence[dict[str, Any]], lab: dict[tuple[str, float], dict[str, Any]],
              stats: Sequence[str] = STATS) -> tuple[str, str]:
    """The per-cell table of ``stats`` (means over seeds) and the per-statistic separability table, in markdown."""
    mean = cell_means(results, stats)
    head = ("| task | lr | label | W within 1 % (% of T) | eval loss (10 %) | "
            + " | ".join(HEADERS[s] for s in stats) + " |")
    lines = [head, "|" + "---|" * (5 + len(stats))]
    for key in sorted(mean):
        info = lab.get(key, {"label": "?", "within": [], "ten": None})
        within = ", ".join(f"{100 * w:g}" for w in info["within"]) or "?"
        ten = f"{info['ten']:.3f}" if info["ten"] is not None else "–"
        lines.append(f"| {key[0]} | {key[1]:g} | {info['label']} | {within} | {ten} | "
                     + " | ".join(_fmt(mean[key][s]) for s in stats) + " |")
    groups = {s: tuple([m[s] for k, m in mean.items() if lab.get(k, {}).get("label") == name and math.isfinite(m[s])]
                       for name in (LONGER, SHORTER)) for s in stats}
    return "\n".join(lines), "\n".join(separability(groups, ("\"longer\" cells", "\"shorter\" cells")))


def auc(first: Sequence[float], second: Sequence[float]) -> float:
    """The chance that a value drawn from ``first`` exceeds one drawn from ``second`` (ties count half): 1 or 0
    when one threshold separates them, 0.5 when the statistic says nothing about which group a value is from."""
    wins = sum((a > b) + 0.5 * (a == b) for a in first for b in second)
    return wins / (len(first) * len(second))


def separability(groups: dict[str, tuple[list[float], ...]], names: tuple[str, str]) -> list[str]:
    """Per statistic, the range of each of two groups of values, whether one threshold separates them, and how
    far from it they are (:func:`auc`)."""
    lines = [f"| statistic | range over {names[0]} | range over {names[1]} | a threshold separates them | "
             f"AUC: P(a value of the {names[0]} > one of the {names[1]}) |", "|---|---|---|---|---|"]
    for stat, (first, second) in groups.items():
        if not first or not second:
            lines.append(f"| {HEADERS[stat]} | – | – | – | – |")
            continue
        lines.append(f"| {HEADERS[stat]} | {_fmt(min(first))} … {_fmt(max(first))} | {_fmt(min(second))} … "
                     f"{_fmt(max(second))} | {'yes' if separates(first, second) else 'no'} | "
                     f"{auc(first, second):.2f} |")
    return lines


def label_counts(lab: dict[tuple[str, float], dict[str, Any]]) -> str:
    """``12 longer, 9 shorter, 30 where 10 % is fine, 5 either`` over the cells of ``lab``."""
    names = [info["label"] for info in lab.values()]
    return ", ".join(f"{names.count(n)} {n if n != FINE else 'where 10 % is fine'}"
                     for n in (LONGER, SHORTER, FINE, EITHER))


PAID, COST, EVEN = "paid", "cost", "even"
EDGE_STATS = ("dL", "rise")


def edge_labels(paths: Iterable[Path]) -> dict[tuple[str, float], dict[str, Any]]:
    """Per (task, LR): the default's cell in the full-mode benchmark files ``paths`` (a later file's replaces an
    earlier one's): ``{"label": paid | cost | even, "gap_pct", "oracle_W", "source"}``, **paid** when the default is
    > 1 % better than the per-LR oracle, **cost** when > 1 % worse."""
    names = {"better": PAID, "worse": COST, "within": EVEN}
    out: dict[tuple[str, float], dict[str, Any]] = {}
    for path in paths:
        for cell in json.loads(Path(path).read_text())["sets"]["adaptive_warmup"]["cells"]:
            out[(cell["task"], float(cell["lr"]))] = {"label": names[cell["class"]], "gap_pct": cell["gap_pct"],
                                                      "oracle_W": cell["oracle_W"], "source": Path(path).name}
    return out


def edge_summary(runs: Sequence[dict[str, Any]], lab: dict[tuple[str, float], dict[str, Any]]) -> str:
    """The runs that ended at the edge with their cell's label and loss statistics, then whether a threshold on
    either statistic puts every "paid" run on one side of every "cost" run (markdown)."""
    edge = sorted((r for r in runs if r["reason"] == "edge"), key=lambda r: (r["task"], r["lr"], r["seed"]))
    lines = [f"{len(edge)} of {len(runs)} runs ended at the edge.", "",
             "| task | lr | seed | edge at step | LR reached / peak | cell: gap to the oracle | oracle W (steps) | "
             "label | " + " | ".join(HEADERS[s] for s in EDGE_STATS) + " |", "|" + "---|" * (8 + len(EDGE_STATS))]
    for r in edge:
        info = lab.get((r["task"], float(r["lr"])), {"label": "?", "gap_pct": float("nan"), "oracle_W": None})
        lines.append(f"| {r['task']} | {r['lr']:g} | {r['seed']} | {r['end']} | {r['peak_fraction']:.2f} | "
                     f"{info['gap_pct']:+.1f} % | {info['oracle_W']} | {info['label']} | "
                     + " | ".join(_fmt(r[s]) for s in EDGE_STATS) + " |")
    counts = {name: sum(lab.get((r["task"], float(r["lr"])), {}).get("label") == name for r in edge)
              for name in (PAID, COST, EVEN)}
    lines += ["", f"Runs at the edge by their cell's label: {counts[PAID]} paid, {counts[COST]} cost, "
                  f"{counts[EVEN]} even.", ""]
    groups = {s: tuple([float(r[s]) for r in edge if math.isfinite(r[s])
                        and lab.get((r["task"], float(r["lr"])), {}).get("label") == name] for name in (PAID, COST))
              for s in EDGE_STATS}
    return "\n".join([*lines, *separability(groups, ("\"paid\" runs", "\"cost\" runs"))])
