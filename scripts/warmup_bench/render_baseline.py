"""Round 14's blocks: the default against one fixed warmup for every task (registered in :mod:`warmup_bench.render`).

The headline compares the default with the per-LR oracle (the best grid arm of each cell, picked after the runs) and
with HF ``linear`` 10 %. A user who does not tune has a third choice: one fixed ``linear_warmup`` at one fraction of
T, with the task's decay. Each grid arm is scored here on targets (a)–(c) as if it were the default
(:func:`as_default`; a grid arm is one of those the oracle picks from, so its (c) count is favoured), and the default
is set against it cell by cell (:func:`warmup_bench.resolution.pooled_versus`: the gap of the means over the seeds
both ran, its class, and what a paired 90 % interval resolves), on the headline's seeds and on round 14's fresh ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from warmup_bench import heldout, resolution
from warmup_bench.render import figure, list_text, load
from warmup_bench.render_results import (
    DEFAULT_ROW,
    HELDOUT_TEST,
    HELDOUT_TUNING,
    file_header,
    seeds_per_cell_text,
    then_now_lines,
)

#: the headline's files, each with the set whose cells it reports
SET_FILES = ((HELDOUT_TEST, "test"), (HELDOUT_TUNING, "tuning"))
#: the fixed arm round 14 ran on fresh seeds: the grid arm the tuning set picks (:func:`chosen_arm`)
FRESH_ARM = "linear_warmup(W=25%)"
#: round 14: the default and :data:`FRESH_ARM` on the test set's seeds 4-7, on one host
ROUND14_FRESH = "docs/benchmark/round14_fresh.json"


def as_default(res: dict[str, Any], arm: str, split: dict[str, Any], set_name: str) -> dict[str, Any]:
    """Targets (a)–(c) of arm ``arm`` over the cells of set ``set_name`` (:func:`warmup_bench.heldout.abc_targets`),
    scored as the default's are: against each cell's oracle and HF ``linear`` 10 %."""
    return heldout.abc_targets([r for r in heldout.cell_rows(res, res["meta"], arm, split) if r["set"] == set_name])


def chosen_arm(scores: dict[str, dict[str, Any]]) -> str:
    """The fixed arm a rule that sees only the tuning set picks from ``scores`` (:func:`as_default` per arm): the
    most cells within 1 % of the oracle or better, then the fewest (b) violations."""
    return max(scores, key=lambda arm: (scores[arm]["c_share"], -len(scores[arm]["b_violations"])))


def score_text(t: dict[str, Any]) -> str:
    """``48 (55 %) | 20 | 3``: an arm's (c) count and share, its (b) violations and its (a) violations."""
    within_or_better = t["classes"]["within"] + t["classes"]["better"]
    return (f"{within_or_better} ({100 * t['c_share']:.0f} %) | {len(t['b_violations'])} | "
            f"{len(t['a_violations'])}")


def versus_text(v: dict[str, Any] | None) -> str:
    """``19 / 38 / 19 | 8 / 17 / 2 / 49``: the default against an arm by the means (better / within / worse), then
    resolved (better / within / worse / unresolved); dashes for the default itself."""
    if v is None:
        return "– | –"
    m, k = v["by_means"], v["classes"]
    return (f"{m['better']} / {m['within']} / {m['worse']} | {k['better']} / {k['within']} / {k['worse']} / "
            f"{k['unresolved']}")


@figure("round14-fixed")
def render_round14_fixed(root: Path) -> str:
    """docs/benchmark/README.md: per set of the headline, each fixed arm scored as if it were the default, and the
    default against it cell by cell (seeds 0-3); then the arm each set would pick (:func:`chosen_arm`)."""
    split = heldout.load_split()
    lines: list[str] = []
    picks = {}
    for rel, set_name in SET_FILES:
        res = load(root, rel)
        grid = heldout.grid_labels(res["meta"])
        arms = [*grid, heldout.HF_LABEL]
        scores = {arm: as_default(res, arm, split, set_name) for arm in [DEFAULT_ROW, *arms]}
        picks[set_name] = chosen_arm({arm: scores[arm] for arm in grid})
        lines += [f"{set_name} set, {scores[DEFAULT_ROW]['cells']} cells: {file_header(rel, res)}", "",
                  "| arm | as the default: cells within 1 % of the oracle or better (c) | >1 % worse than HF `linear` "
                  "10 % (b) | stuck or diverged where a grid warmup trains (a) | the default against it, by the "
                  "means: >1 % better / within ±1 % / >1 % worse | resolved: better / within / worse / unresolved |",
                  "|---|---|---|---|---|---|"]
        versus = {arm: resolution.pooled_versus([res], DEFAULT_ROW, arm, set_name) for arm in arms}
        for arm in [DEFAULT_ROW, *arms]:
            lines.append(f"| `{arm}` | {score_text(scores[arm])} | {versus_text(versus.get(arm))} |")
        fixed = versus[FRESH_ARM]
        lines += ["", f"Cells where the seeds resolve the default against `{FRESH_ARM}`: better in "
                  f"{list_text(fixed['better'])}; worse in {list_text(fixed['worse'])}.", ""]
    return "\n".join([*lines, f"The grid arm with the most cells within 1 % of the oracle or better, then the fewest "
                      f"(b) violations: `{picks['tuning']}` on the tuning set, `{picks['test']}` on the test set."])


@figure("round14-fresh")
def render_round14_fresh(root: Path) -> str:
    """docs/benchmark/README.md: the default against :data:`FRESH_ARM` on the test set: on the headline's seeds 0-3,
    on round 14's seeds 4-7 and pooled over both, each seed's pair from one file."""
    test, fresh = load(root, HELDOUT_TEST), load(root, ROUND14_FRESH)
    rows = ["| seeds | cells | seeds per cell | the default against it, by the means: >1 % better / within ±1 % / "
            ">1 % worse | resolved: better / within / worse / unresolved | resolved better | resolved worse |",
            "|---|---|---|---|---|---|---|"]
    for name, files in (("0–3", [test]), ("4–7", [fresh]), ("0–7", [test, fresh])):
        v = resolution.pooled_versus(files, DEFAULT_ROW, FRESH_ARM, "test")
        rows.append(f"| {name} | {v['cells']} | {seeds_per_cell_text(v['seeds'])} | "
                    f"{versus_text(v)} | {list_text(v['better'])} | {list_text(v['worse'])} |")
    return "\n".join([*then_now_lines(HELDOUT_TEST, test, ROUND14_FRESH, fresh, names=("seeds 0–3", "seeds 4–7")),
                      "", f"Against `{FRESH_ARM}`:", "", *rows])
