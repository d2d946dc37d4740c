"""The benchmark's figure blocks: the README's headline, each round's candidates and diagnoses, the noise floor and
what the seeds resolve, the length probes and the probes of round 5 (registered in :mod:`warmup_bench.render`)."""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from warmup_bench import heldout, noise, resolution, signals
from warmup_bench.aggregate import WITHIN_PCT
from warmup_bench.render import (
    best_table,
    cells_lines,
    figure,
    grid_text,
    hf_gap_text,
    hosts_text,
    libraries_text,
    list_text,
    load,
    set_header,
    targets_columns,
    targets_table,
    warmup_ends_text,
)

#: the headline: every test task held out from the current default (rounds 4, 5, 6, 9, 10 and 11), full mode
HELDOUT_TEST = "docs/benchmark/round11_test.json"
ROUND10_TEST = "docs/benchmark/round10_test.json"  # the test set before round 11 (gpt2_long not in it), seeds 0-3
ROUND9_TEST = "docs/benchmark/round9_test.json"  # the test set before round 10 (minilm2_tweets in it), seeds 0-3
ROUND6_TEST = "docs/benchmark/round6_test.json"  # rounds 4, 5 and 6's test sets (their runs are in the headline's)
ROUND5_TEST = "docs/benchmark/round5_test.json"  # rounds 4 and 5's test sets (their runs are in the headline's)
#: the tuning tasks in full mode: round 13's (four tasks re-made on one host, minilm_finetune too)
HELDOUT_TUNING = "docs/benchmark/round13_tuning.json"
ROUND12_TUNING = "docs/benchmark/round12_tuning.json"  # the tuning set before round 13 (round 4's runs of four tasks)
ROUND10_TUNING = "docs/benchmark/round10_tuning.json"  # the tuning set before round 12 (postln_long not in it)
ROUND4_TUNING = "docs/benchmark/round4_tuning.json"  # the tuning set before round 10
ROUND4_TEST = "docs/benchmark/round4_test.json"  # round 4's test set as first measured (its runs are in the headline's)
ROUND3_TEST = "docs/benchmark/round3_test.json"  # round 3's test set (resmlp_short, resmlp_long among them)
HELDOUT_FILES = (HELDOUT_TEST, HELDOUT_TUNING, ROUND12_TUNING, ROUND10_TUNING, ROUND10_TEST, ROUND9_TEST,
                 ROUND4_TUNING, ROUND6_TEST, ROUND5_TEST, ROUND4_TEST, ROUND3_TEST,
                 "docs/benchmark/round3_tuning.json",
                 "docs/benchmark/round3_test_edge_off.json",
                 "docs/benchmark/round2_test.json", "docs/benchmark/round2_tuning.json",
                 "docs/benchmark/heldout_test_full.json",
                 "docs/benchmark/heldout_full_partial.json", "docs/benchmark/heldout_test_edge_off.json",
                 "docs/benchmark/heldout_bound.json")
DEFAULT_ROW = "adaptive_warmup"


@figure("headline")
def render_headline(root: Path) -> str:
    """The README's headline: ``adaptive_warmup`` with its defaults, targets (a)–(e) on the test set (its full-mode
    file) beside the tuning set (the full-mode file of the tuning tasks)."""
    test, tuning = load(root, HELDOUT_TEST), load(root, HELDOUT_TUNING)
    cols = [(f"{set_header(name, t)}: `{Path(rel).name}`", t) for name, rel, t in (
        ("test", HELDOUT_TEST, test["sets"][DEFAULT_ROW]["targets"]["test"]),
        ("tuning", HELDOUT_TUNING, tuning["sets"][DEFAULT_ROW]["targets"]["tuning"]))]
    meta = test["meta"]
    return "\n".join([
        f"`{DEFAULT_ROW}` with its defaults against the per-LR oracle (the best fixed `linear_warmup` of the W grid "
        f"{{{grid_text(meta['grid'])}}} % of T on the test set, "
        f"{{{grid_text(tuning['meta']['grid'])}}} % on the tuning set) and HF `linear` "
        f"10 %, full mode, {seeds_text(meta['seeds'], tuning['meta']['seeds'])}{fewer_seeds_text(test)}"
        f"{fewer_seeds_text(tuning)}; every cell and the method: "
        "[`docs/benchmark/`](docs/benchmark/README.md). Results files and the commands that wrote them:", "",
        *(f"- `{rel}`: `{res['meta']['command']}`{sources_text(res['meta'])}"
          for rel, res in ((HELDOUT_TEST, test), (HELDOUT_TUNING, tuning))),
        "", *targets_columns(cols), "",
        "Against HF `linear` 10 % instead of the oracle, cells >1 % better / within ±1 % / >1 % worse: "
        f"test set {hf_classes(test, 'test')}, tuning set {hf_classes(tuning, 'tuning')}.", "",
        "The test set by the round that added its tasks:", "", *rounds_table(test), "",
        "The test cells more than 1 % worse than the oracle, worst first:", "",
        *cells_lines(sorted((c for c in test["sets"][DEFAULT_ROW]["cells"] if c["set"] == "test"
                             and c["class"] == "worse"), key=lambda c: -c["gap_pct"]))])


def rounds_table(res: dict[str, Any]) -> list[str]:
    """The default's test cells of ``res`` split by the round whose test set each task was added for
    (``split.json``'s ``round``): the classes and (a)–(c) of each round's tasks alone."""
    split = heldout.load_split()
    cells = [c for c in res["sets"][DEFAULT_ROW]["cells"] if c["set"] == "test"]
    rounds = sorted({split["tasks"][c["task"]]["round"] for c in cells})
    lines = ["| round | tasks | cells within ±1 % / >1 % better / >1 % worse | (a) violations | (b) violations | (c) |",
             "|---|---|---|---|---|---|"]
    for r in rounds:
        mine = [c for c in cells if split["tasks"][c["task"]].get("round") == r]
        x = heldout.abc_targets(mine)
        tasks = ", ".join(f"`{t}`" for t in dict.fromkeys(c["task"] for c in mine))
        classes = " / ".join(str(x["classes"][k]) for k in heldout.GAP_CLASSES)
        lines.append(f"| {r} | {tasks} | {classes} | {list_text(x['a_violations'])} | {list_text(x['b_violations'])} | "
                     f"{100 * x['c_share']:.0f} % |")
    return lines


def seeds_text(test: Sequence[int], tuning: Sequence[int]) -> str:
    """``seeds 0, 1`` when both sets ran the same seeds, else each set's."""
    if list(test) == list(tuning):
        return f"seeds {', '.join(map(str, test))}"
    return f"seeds {', '.join(map(str, test))} on the test set, {', '.join(map(str, tuning))} on the tuning set"


def fewer_seeds_text(res: dict[str, Any]) -> str:
    """`` (minilm_verses: 2 seeds)``: the tasks of a results file with fewer seeds in every cell than the file
    names (empty when every task has them all)."""
    short = {task: max(c.get("n_seeds", 0) for c in arms.values()) for task, arms in res["cells"].items()}
    short = {task: n for task, n in short.items() if n < len(res["meta"]["seeds"])}
    return f" ({', '.join(f'{t}: {n} seeds' for t, n in short.items())})" if short else ""


def sources_text(meta: dict[str, Any]) -> str:
    """Where a ``--report_only --any_source`` report took its runs from (empty for a report of its own runs)."""
    sources = meta.get("sources_reported")
    if not sources:
        return ""
    return (" (runs reported from " + ", ".join(f"`{s}`" for s in sources)
            + ": a source hash names an hf_warmup source, `from:FILE` a committed results file)")


def hf_classes(res: dict[str, Any], set_name: str) -> str:
    """``14 / 3 / 3``: the default's cells of ``set_name`` by their gap to ``hf_linear(10%)``."""
    gaps = [c["gap_hf_pct"] for c in res["sets"][DEFAULT_ROW]["cells"] if c["set"] == set_name]
    counts = [sum(heldout.gap_class(g) == k for g in gaps) for k in ("better", "within", "worse")]
    return " / ".join(map(str, counts))


EDGE_PATIENCE = "docs/benchmark/edge_patience.json"  # round 1: edge_patience 2 (the ramp climbing) vs 1
EDGE_HOLD = "docs/benchmark/edge_hold.json"  # round 2: edge_patience 2 with the LR held vs 1
ROUND4_VARIANTS = "docs/benchmark/round4_variants.json"  # round 4: edge_patience 4 and 8 (pause at the edge) vs 2




def file_header(rel: str, res: dict[str, Any]) -> str:
    """The line that names a results file in the docs: mode, seeds (and any task with fewer), W grid, machine and
    libraries, its command."""
    meta = res["meta"]
    return (f"`{rel}` ({meta['mode']} mode, seeds {', '.join(map(str, meta['seeds']))}{fewer_seeds_text(res)}, W grid "
            f"{{{grid_text(meta['grid'])}}} % of T; {meta['machine']}{libraries_text(meta)}): `{meta['command']}`")


def variants_block(root: Path, rel: str) -> str:
    """Each adaptive row of a tuning-set sweep in its own column, targets (a)–(e) on the tuning set."""
    res = load(root, rel)
    meta = res["meta"]
    cols = [(f"`{label}`: {set_header('tuning', view['targets']['tuning'])}", view["targets"]["tuning"])
            for label, view in res["sets"].items()]
    return "\n".join([f"`{rel}` ({meta['mode']} mode, seeds {', '.join(map(str, meta['seeds']))}; "
                      f"{meta['machine']}): `{meta['command']}`", "", *targets_columns(cols)])


@figure("edge-patience")
def render_edge_patience(root: Path) -> str:
    """docs/benchmark/README.md: ``edge_patience`` 2 beside the then default 1 (round 1's tuning tasks)."""
    return variants_block(root, EDGE_PATIENCE)


@figure("edge-hold")
def render_edge_hold(root: Path) -> str:
    """docs/benchmark/README.md: ``edge_patience`` 2 with ``edge_wait`` hold beside the then default (round 2)."""
    return variants_block(root, EDGE_HOLD)


ROUND5_CANDIDATE = "docs/benchmark/round5_candidate.json"  # round 5: max_warmup_horizons 10 beside the default


def candidate_decision(default: dict[str, Any], candidate: dict[str, Any], *,
                       b_in_all: bool = False) -> tuple[bool, str]:
    """A round's committed rule (``split.json``'s ``rounds``) on the cells the candidate can change: no (a)
    violation the default does not have, strictly more cells within 1 % of the oracle or better, and for (b) no
    violation the default lacks (round 5) or, with ``b_in_all``, no more violations in all (round 6)."""
    new_a = sorted(set(candidate["a_violations"]) - set(default["a_violations"]))
    mine, theirs = (round(t["c_share"] * t["cells"]) for t in (candidate, default))
    if b_in_all:
        b_mine, b_theirs = len(candidate["b_violations"]), len(default["b_violations"])
        b_ok, b_text = b_mine <= b_theirs, f"(b) violations {b_mine} against the default's {b_theirs}"
    else:
        new_b = sorted(set(candidate["b_violations"]) - set(default["b_violations"]))
        b_ok, b_text = not new_b, f"new (b) violations {list_text(new_b)}"
    met = not new_a and b_ok and mine > theirs
    return met, (f"rule {'met' if met else 'not met'}: new (a) violations {list_text(new_a)}, {b_text}, cells within "
                 f"1 % or better {mine} against the default's {theirs}")


def side_by_side_lines(default: Sequence[dict[str, Any]], candidate: Sequence[dict[str, Any]], label: str) -> list[str]:
    """One row per (task, LR): the default's gap and warmup beside the candidate's."""
    theirs = {(c["task"], c["lr"]): c for c in default}
    rows = [f"| task | LR | oracle W | default: gap to oracle | default: warmup (end) | `{label}`: gap to oracle "
            f"| `{label}`: warmup (end) |", "|---|---|---|---|---|---|---|"]

    def gap(c: dict[str, Any]) -> str:
        return f"{c['gap_pct']:+.1f} % ({c['class']}{', stuck' if c['n_stuck'] else ''})"

    for c in sorted(candidate, key=lambda c: (c["task"], c["lr"])):
        d = theirs[(c["task"], c["lr"])]
        rows.append(f"| {c['task']} | {c['lr']:g} | {c['oracle_W']} | {gap(d)} | {warmup_ends_text(d)} | {gap(c)} "
                    f"| {warmup_ends_text(c)} |")
    return rows


ROUND6_CANDIDATE = "docs/benchmark/round6_candidate.json"  # round 6: edge_restarts 1 beside the default


@figure("round5-candidate")
def render_round5_candidate(root: Path) -> str:
    """docs/benchmark/README.md: round 5's candidate beside the default on the tuning tasks it changes."""
    return candidate_block(root, ROUND5_CANDIDATE, candidate_decision)


@figure("round6-candidate")
def render_round6_candidate(root: Path) -> str:
    """docs/benchmark/README.md: round 6's candidate beside the default in the cells it can change."""
    return candidate_block(root, ROUND6_CANDIDATE, functools.partial(candidate_decision, b_in_all=True))


def abc_rows(columns: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
    """A table of targets (a)–(c) over some cells (:func:`warmup_bench.heldout.abc_targets`), one column per
    ``(header, targets)``."""
    rows = ["| target | " + " | ".join(head for head, _ in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, fn in (("cells within ±1 % / >1 % better / >1 % worse than the oracle",
                      lambda t: f"{t['classes']['within']} / {t['classes']['better']} / {t['classes']['worse']}"),
                     ("(a) stuck/diverged where a fixed warmup trains", lambda t: list_text(t["a_violations"])),
                     ("(b) >1 % worse than HF `linear` 10 %", lambda t: list_text(t["b_violations"])),
                     ("(c) within 1 % of the oracle or better", lambda t: f"{100 * (t['c_share'] or 0):.0f} %")):
        rows.append(f"| {name} | " + " | ".join(fn(t) for _, t in columns) + " |")
    return rows


def candidate_block(root: Path, rel: str,
                    decide: Callable[[dict[str, Any], dict[str, Any]], tuple[bool, str]]) -> str:
    """A candidate beside the default on the cells it can change, both run on one machine, against the committed
    fixed arms: targets (a)–(c) over those cells (whatever set each task is in), the round's rule, each cell."""
    res = load(root, rel)
    views = list(res["sets"].items())
    (_, base), (label, cand) = views[0], views[1]
    totals = [(f"`{name}` ({len(view['cells'])} cells)", heldout.abc_targets(view["cells"])) for name, view in views]
    _, verdict = decide(totals[0][1], totals[1][1])
    return "\n".join([file_header(rel, res), "", *abc_rows(totals), "", f"**{verdict}.**", "",
                      *side_by_side_lines(base["cells"], cand["cells"], label)])


#: round 10: the tuning tasks its candidate (edge_min_steps) changes that have a committed full-mode baseline, and
#: the file holding that baseline (the default before round 10); the candidate's runs are in ROUND10_TUNING
ROUND10_BASELINES = ((ROUND4_TUNING, "minilm_verses"), (ROUND9_TEST, "minilm2_tweets"))


def failed_runs(res: dict[str, Any], tasks: Sequence[str], failed: bool = True) -> set[tuple[str, float, int]]:
    """``(task, LR, seed)`` of the default's runs of ``tasks`` in ``res`` that got stuck or diverged (``failed``), or
    that trained."""
    return {(r["task"], r["lr"], r["seed"]) for r in res["runs"] if r["arm"] == DEFAULT_ROW and r["task"] in tasks
            and bool(r["stuck"] or r["diverged"]) is failed}


@figure("round10-decision")
def render_round10_decision(root: Path) -> str:
    """docs/benchmark/README.md: round 10's rule (``split.json``'s ``rounds."10"``) on the tuning cells its candidate
    changes: the default before it (its committed runs) against the candidate, now the default, on seeds 0-3."""
    after = load(root, ROUND10_TUNING)
    old_cells: list[dict[str, Any]] = []
    trained: set[tuple[str, float, int]] = set()
    for rel, task in ROUND10_BASELINES:
        res = load(root, rel)
        old_cells += [c for c in res["sets"][DEFAULT_ROW]["cells"] if c["task"] == task]
        trained |= failed_runs(res, [task], failed=False)
    tasks = [task for _, task in ROUND10_BASELINES]
    new_cells = [c for c in after["sets"][DEFAULT_ROW]["cells"] if c["task"] in tasks]
    new_failed = sorted(failed_runs(after, tasks) & trained)
    before_t, after_t = heldout.abc_targets(old_cells), heldout.abc_targets(new_cells)
    a_seeds = [sum(len(c["a_seeds"]) for c in cells) for cells in (old_cells, new_cells)]
    good = [t["classes"]["within"] + t["classes"]["better"] for t in (before_t, after_t)]
    met = not new_failed and a_seeds[1] < a_seeds[0] and good[1] >= good[0]
    verdict = (f"rule {'met' if met else 'not met'}: (1) runs stuck or diverged where the default's run of the seed "
               f"trained: {list_text([f'{t}@{lr:g} seed {s}' for t, lr, s in new_failed])}; (2) runs stuck or "
               f"diverged where a grid warmup trains: {a_seeds[0]} → {a_seeds[1]}; (3) cells within 1 % of the oracle "
               f"or better: {good[0]} → {good[1]} of {len(new_cells)}")
    rows = abc_rows([(f"the default before round 10 ({len(old_cells)} cells)", before_t),
                     (f"C10 ({len(new_cells)} cells)", after_t)])
    sources = ", ".join(f"`{rel}` ({task})" for rel, task in ROUND10_BASELINES)
    return "\n".join([f"The default before round 10 from {sources}; C10 from {file_header(ROUND10_TUNING, after)}",
                      "", *rows, "", f"**{verdict}.**", "", *side_by_side_lines(old_cells, new_cells, "C10")])


#: round 10: the default re-run at round 10's source on the test tasks of rounds 4-9 (its candidate cannot change a
#: run of theirs), with HF linear 10 % on some of them, beside the same runs in ROUND9_TEST
ROUND10_REPEAT = "docs/benchmark/round10_repeat.json"


@figure("round10-repeat")
def render_round10_repeat(root: Path) -> str:
    """docs/benchmark/README.md: ROUND10_REPEAT's runs against the same runs in ROUND9_TEST, :func:`repeat_rows`."""
    now, then = load(root, ROUND10_REPEAT), load(root, ROUND9_TEST)
    return "\n".join([f"{file_header(ROUND10_REPEAT, now)}; against `{ROUND9_TEST}`:", "", *repeat_rows(now, then)])


def repeat_rows(now: dict[str, Any], then: dict[str, Any]) -> list[str]:
    """Per task and arm of ``now``, the runs ``then`` also has (same arm, LR and seed): how many repeat their eval
    loss to the last digit, and the largest change of the others."""
    def losses(res: dict[str, Any]) -> dict[tuple[str, str, float, int], float]:
        return {(r["task"], r["arm"], r["lr"], r["seed"]): r["eval_loss"] for r in res["runs"]}

    a, b = losses(now), losses(then)
    rows = ["| task | arm | runs | the same eval loss | largest change of the others |", "|---|---|---|---|---|"]
    pairs = sorted({k[:2] for k in a}, key=lambda p: (list(now["meta"]["tasks"]).index(p[0]), p[1]))
    for task, arm in pairs:
        both = [k for k in a if k[:2] == (task, arm) and k in b]
        moved = [abs(a[k] - b[k]) / abs(b[k]) for k in both if a[k] != b[k]]
        rows.append(f"| {task} | `{arm}` | {len(both)} | {len(both) - len(moved)} | "
                    f"{f'{100 * max(moved):.2g} %' if moved else '–'} |")
    return rows


@figure("round4-variants")
def render_round4_variants(root: Path) -> str:
    """docs/benchmark/README.md: round 4's candidates, ``edge_patience`` 4 and 8, beside the default 2."""
    return variants_block(root, ROUND4_VARIANTS)


#: the length probes as round 15 made them again on one host at the current source: (the probe's results file, the
#: file with the same task at shorter lengths, those tasks)
LENGTH_PROBES = (("docs/benchmark/round15_resmlp_30k.json", HELDOUT_TUNING, ("resmlp_short", "resmlp_long")),
                 ("docs/benchmark/round15_prenorm_30k.json", HELDOUT_TUNING, ("prenorm_long",)))
#: the length probes' results files as first committed (stale by source hash; round 13 and round 15 compare with them)
RESMLP_30K, PRENORM_30K = "docs/benchmark/resmlp_30k.json", "docs/benchmark/prenorm_30k.json"
#: round 15: each length probe's results file as first committed, and as round 15 made it again
ROUND15_REPEATS = ((RESMLP_30K, LENGTH_PROBES[0][0]), (PRENORM_30K, LENGTH_PROBES[1][0]))


def length_probe_lines(root: Path, rel: str, sibling_rel: str, sibling_tasks: Sequence[str]) -> list[str]:
    """One length probe's table: its 30,000-step cells beside the same task's shorter runs at the LRs it ran, then
    each adaptive variant the probe ran (``--extra_adaptive``) in a table of its own."""
    probe, other = load(root, rel), load(root, sibling_rel)
    mine = probe["sets"][DEFAULT_ROW]["cells"]
    lrs = sorted({c["lr"] for c in mine})
    siblings = [c for c in other["sets"][DEFAULT_ROW]["cells"] if c["task"] in sibling_tasks and c["lr"] in lrs]
    lengths = " and ".join(f"{t:,}" for t in sorted({c["T"] for c in siblings}))
    cells = sorted([*siblings, *mine], key=lambda c: (c["lr"], c["T"]))
    variants = [[f"`{label}` on the same {view['cells'][0]['T']:,}-step runs:", "",
                 *cells_lines(sorted(view["cells"], key=lambda c: c["lr"]))]
                for label, view in probe["sets"].items() if label != DEFAULT_ROW]
    return [f"{file_header(rel, probe)}; the {lengths}-step rows from `{sibling_rel}` (its W grid "
            f"{{{grid_text(other['meta']['grid'])}}} % of T, seeds {', '.join(map(str, other['meta']['seeds']))}):",
            "", *cells_lines(cells), *(line for block in variants for line in ["", *block])]


@figure("length-probe")
def render_length_probe(root: Path) -> str:
    """docs/benchmark/README.md: each length probe, the same task at 30,000 steps and shorter, at the LRs the probe
    ran: the default's warmup, its end reason and the LR reached, its gap to that length's oracle and to HF
    `linear` 10 %."""
    blocks = [length_probe_lines(root, *probe) for probe in LENGTH_PROBES]
    return "\n\n".join("\n".join(lines) for lines in blocks)


@figure("round15-repeat")
def render_round15_repeat(root: Path) -> str:
    """docs/benchmark/README.md: each length probe's runs made again in round 15 against the committed ones,
    :func:`repeat_rows`."""
    blocks = []
    for then_rel, now_rel in ROUND15_REPEATS:
        then, now = load(root, then_rel), load(root, now_rel)
        blocks.append("\n".join([*then_now_lines(then_rel, then, now_rel, now, names=("committed", "round 15")), "",
                                 *repeat_rows(now, then)]))
    return "\n\n".join(blocks)


SIGNALS_ROUND5 = "docs/benchmark/signals_round5.json"  # round 5: the signals probe on its plain-loop tuning tasks


@figure("signals-round5")
def render_signals_round5(root: Path) -> str:
    """docs/benchmark/README.md: eight statistics over the second half of a 10 % ramp, per cell of round 5's
    plain-loop tuning tasks, each cell labelled by the warmups within 1 % of its oracle, and which statistic a
    threshold could read to tell "longer" cells from "shorter" ones."""
    data = load(root, SIGNALS_ROUND5)
    lab = probe_labels(data)
    per_cell, separability = signals.summarize(data["runs"], lab)
    what = f"a linear ramp over W = {100 * data['ramp_fraction']:g} % of T, each run stopped at the ramp's end"
    return "\n".join([probe_header(SIGNALS_ROUND5, data, what), "",
                      f"Cells: {signals.label_counts(lab)}.", "", per_cell, "", separability])


SHARPNESS_ROUND5 = "docs/benchmark/sharpness_round5.json"  # round 5: Adam's preconditioned sharpness during the ramp


@figure("sharpness-round5")
def render_sharpness_round5(root: Path) -> str:
    """docs/benchmark/README.md: the share of Adam's stability limit the peak LR would use at the middle and the end
    of a 10 % ramp, per cell of round 5's plain-loop tuning tasks, and whether it tells "longer" cells from
    "shorter" ones."""
    data = load(root, SHARPNESS_ROUND5)
    lab = probe_labels(data)
    per_cell, separability = signals.summarize(data["runs"], lab, signals.SHARPNESS_STATS)
    what = (f"a linear ramp over W = {100 * data['ramp_fraction']:g} % of T, λ_max(P⁻¹H) at three steps around its "
            "middle and its last three")
    means = signals.cell_means(data["runs"], signals.SHARPNESS_STATS)

    def below_limit(name: str) -> str:
        qs = [m["q_end"] for key, m in means.items() if lab.get(key, {}).get("label") == name]
        return f"{sum(q < 1 for q in qs)} of the {len(qs)} \"{name}\" cells"

    return "\n".join([probe_header(SHARPNESS_ROUND5, data, what), "",
                      f"Cells: {signals.label_counts(lab)}. At the ramp's end the peak LR is within Adam's limit "
                      f"(q(1) < 1) in {below_limit(signals.LONGER)} and {below_limit(signals.SHORTER)}.", "",
                      per_cell, "", separability])


def probe_labels(data: dict[str, Any]) -> dict[tuple[str, float], dict[str, Any]]:
    """A probe results file's labels by (task, LR)."""
    return {(row["task"], float(row["lr"])): row for row in data["labels"]}


def probe_header(rel: str, data: dict[str, Any], what: str) -> str:
    """The line that names a probe results file: its seeds, ``what`` it ran, the label files, its command (and,
    for runs labelled again, the command that trained them)."""
    head = (f"`{rel}` (seeds {', '.join(map(str, data['seeds']))}, {what}; cells labelled from "
            + ", ".join(f"`{f}`" for f in data["labels_from"]) + ")")
    if "runs_from" in data:
        return (f"{head}: runs from `{data['runs_from']['command']}`, labelled again with "
                f"`{data['provenance']['command']}`")
    return f"{head}: `{data['provenance']['command']}`"


EDGE_LOSS_ROUND5 = "docs/benchmark/edge_loss_round5.json"  # round 5: the training loss where the default's edge ends


@figure("edge-loss-round5")
def render_edge_loss_round5(root: Path) -> str:
    """docs/benchmark/README.md: the default's runs that end at the edge on round 5's plain-loop tuning tasks, the
    loss statistics over the checks that found the edge, and whether they tell a cell where the edge paid from one
    where it cost."""
    data = load(root, EDGE_LOSS_ROUND5)
    return "\n".join([probe_header(EDGE_LOSS_ROUND5, data, "the default `adaptive_warmup` up to the end of its warmup"),
                      "", signals.edge_summary(data["runs"], probe_labels(data))])


ROUND5_FIXED = "docs/benchmark/round5_fixed.json"  # round 5's test tasks, fixed arms only, run while sealed


@figure("round5-repeat")
def render_round5_repeat(root: Path) -> str:
    """docs/benchmark/README.md: round 5's fixed arms as run while sealed (another install) against the same arms
    run again beside the default for the headline: how far each cell's mean moved and whether its oracle did."""
    before, after = load(root, ROUND5_FIXED), load(root, ROUND5_TEST)
    lines = ["| task | fixed-arm cells | mean moved by (median, largest) | cells whose oracle W is the same |",
             "|---|---|---|---|"]
    for task, cells in before["cells"].items():
        moved = [abs(heldout.pct_gap(after["cells"][task][key]["mean"], c["mean"])) for key, c in cells.items()
                 if c.get("mean") is not None]
        same = sum(o["arm"] == after["oracle"][task][lr]["arm"] for lr, o in before["oracle"][task].items())
        lines.append(f"| {task} | {len(moved)} | {statistics.median(moved):.2f} %, {max(moved):.1f} % | "
                     f"{same} of {len(before['oracle'][task])} |")
    return "\n".join([f"- {file_header(ROUND5_FIXED, before)}", f"- {file_header(ROUND5_TEST, after)}", "",
                      "Every fixed arm (the grid and HF `linear` 10 %) of the first file against the same arm of the "
                      "second, 4 seeds each:", "", *lines])


#: the held-out results files of the current default whose fixed arms the noise-floor block reads, with their set
NOISE_FILES = ((HELDOUT_TEST, "test"), (HELDOUT_TUNING, "tuning"), (ROUND3_TEST, "test"))


@figure("noise-floor")
def render_noise_floor(root: Path) -> str:
    """docs/benchmark/README.md and the README: what the seeds resolve of target (c), per held-out results file: the
    hindsight pick, the best single fixed W and W = 10 %, the default's (c), the oracle arm's seed spread."""
    lines = ["| results file (set) | cells | seeds | the W best on half of the seeds is within 1 % on the other half | "
             "best single fixed W: within 1 % | W = 10 %: within 1 % | `adaptive_warmup` (c): within 1 % or better | "
             "oracle arm's seed spread (median) |", "|---|---|---|---|---|---|---|---|"]
    for rel, set_name in NOISE_FILES:
        res = load(root, rel)
        floor = noise.seed_noise(res, set_name)
        shares = floor["fixed_within_pct"]
        best = max(shares, key=lambda w: (shares[w], -w))
        c_share = res["sets"][DEFAULT_ROW]["targets"][set_name]["c_share"]
        lines.append(f"| `{Path(rel).name}` ({set_name}) | {floor['cells']} | "
                     f"{len(res['meta']['seeds'])}{fewer_seeds_text(res)} | "
                     f"{floor['hindsight_pct']:.0f} % | "
                     f"W = {100 * best:g} %: {shares[best]:.0f} % (of {floor['fixed_cells'][best]}) | "
                     f"{shares.get(0.1, float('nan')):.0f} % | {100 * c_share:.0f} % | "
                     f"{floor['spread_median_pct']:.1f} % |")
    commands = [f"- `{rel}`: `{load(root, rel)['meta']['command']}`" for rel, _ in NOISE_FILES]
    return "\n".join([*lines, "", "The commands that wrote them:", "", *commands])


#: round 12: every test cell of HELDOUT_TEST on seeds 4-7, each with the oracle arm committed there, every arm on one
#: host (gpt2_long's runs from ROUND11_FRESH)
FRESH = "docs/benchmark/round12_fresh.json"
#: rounds 7 and 9: the test cells of ROUND9_TEST on seeds 4-7 (the default before round 10), on other machines
ROUND9_FRESH = "docs/benchmark/round9_fresh.json"
#: round 8: every tuning cell of ROUND4_TUNING but minilm_verses's on seeds 4-7, each with the oracle arm committed
#: there
TUNING_FRESH = "docs/benchmark/round8_tuning_fresh.json"
#: per set: a file of seeds 0-3 and the same cells on fresh seeds 4-7 with its oracle arms
FRESH_PAIRS = ((HELDOUT_TEST, FRESH, "test"), (ROUND4_TUNING, TUNING_FRESH, "tuning"))
#: the files the resolution blocks read: path, set, where the oracle arm was chosen
RESOLUTION_FILES = tuple((rel, set_name, chosen) for before, after, set_name in FRESH_PAIRS
                         for rel, chosen in ((before, "the grid's best on these seeds"),
                                             (after, f"`{Path(before).name}`'s, chosen on seeds 0–3")))


def interval_text(pair: tuple[float, float, int] | None) -> str:
    """``+3.3 % [+1.2, +5.4]``: a paired gap with its 90 % interval."""
    if pair is None:
        return "–"
    gap, half, _ = pair
    return f"{gap:+.1f} % [{gap - half:+.1f}, {gap + half:+.1f}]"


def worse_on_both(both: Sequence[dict[tuple[str, float], dict[str, Any]]], ref: str) -> str:
    """The cells more than 1 % worse than reference ``ref`` (``vs_oracle`` or ``vs_hf``) by the means in every one of
    ``both`` (:func:`warmup_bench.resolution.paired_by_cell` of the same cells on two sets of seeds)."""
    keys = [k for k in both[0] if all(k in b and b[k][ref] is not None and b[k][ref][0] > WITHIN_PCT for b in both)]
    return list_text([heldout.cell_name(task, lr) for task, lr in keys])


@figure("fresh-seeds")
def render_fresh_seeds(root: Path) -> str:
    """README and docs/benchmark/README.md: per results file of the default, the gap classes by the means beside
    what the seeds resolve (paired 90 % intervals, :mod:`warmup_bench.resolution`), and (b)'s violations both
    ways; each set on its own seeds and on fresh ones (:data:`FRESH` for the test set, round 8's for the tuning
    set)."""
    lines = ["| results file (set) | seeds | oracle arm | cells | by the means: within / better / worse, (c) | "
             "resolved: within / better / worse / unresolved | (c), the share shown within 1 % or better … not "
             "shown worse | (b) violations by the means | (b) violations resolved | interval to the oracle arm: "
             "median half-width | seeds a ±1 % interval would take (median) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    worse: list[str] = []
    results = {rel: load(root, rel) for rel, _, _ in RESOLUTION_FILES}
    for rel, set_name, chosen in RESOLUTION_FILES:
        res = results[rel]
        t = res["sets"][DEFAULT_ROW]["targets"][set_name]
        r = resolution.resolution(res, DEFAULT_ROW, set_name)
        by_means, k = t["classes"], r["classes"]
        name = f"`{Path(rel).name}` ({set_name})"
        lines.append(
            f"| {name} | {', '.join(map(str, res['meta']['seeds']))} | {chosen} | {r['cells']} | "
            f"{by_means['within']} / {by_means['better']} / {by_means['worse']}, {100 * t['c_share']:.0f} % | "
            f"{k['within']} / {k['better']} / {k['worse']} / {k['unresolved']} | "
            f"{100 * r['c_shown_share']:.0f} % … {100 * r['c_not_worse_share']:.0f} % | {len(r['b_violations'])} | "
            f"{len(r['b_resolved'])}: {list_text(r['b_resolved'])} | ±{r['half_median']:.1f} % | "
            f"{r['seeds_for_median']:g} |")
        worse.append(f"- {name}: {list_text(r['resolved_worse'])}")
    on_both = []
    for before, after, set_name in FRESH_PAIRS:
        both = [resolution.paired_by_cell(results[rel], DEFAULT_ROW, set_name) for rel in (before, after)]
        on_both.append(f"- {set_name} set: than the oracle arm, {worse_on_both(both, 'vs_oracle')}; than HF "
                       f"`linear` 10 %, {worse_on_both(both, 'vs_hf')}.")
    commands = [f"- `{rel}`: `{res['meta']['command']}`" for rel, res in results.items()]
    return "\n".join([*lines, "", "Cells the seeds resolve as more than 1 % worse than the oracle arm:", "", *worse,
                      "", "Cells more than 1 % worse by the means on both sets of seeds (0–3 and 4–7):", "", *on_both,
                      "", "The commands that wrote the files:", "", *commands])


@figure("pooled-b")
def render_pooled_b(root: Path) -> str:
    """README and docs/benchmark/README.md: target (b) on every seed each set has run, the headline's seeds 0-3 and
    the fresh seeds 4-7 pooled cell by cell (:func:`warmup_bench.resolution.pooled_versus`): HF ``linear`` 10 % is
    fixed in advance, so pooling its runs adds no selection luck."""
    lines = ["| set | files | cells | seeds per cell | >1 % worse than HF `linear` 10 % by the pooled means | "
             "resolved: within ±1 % / >1 % better / >1 % worse / unresolved | resolved >1 % worse | interval: median "
             "half-width | seeds a ±1 % interval would take (median) |", "|---|---|---|---|---|---|---|---|---|"]
    for before, after, set_name in FRESH_PAIRS:
        v = resolution.pooled_versus([load(root, before), load(root, after)], DEFAULT_ROW, heldout.HF_LABEL,
                                     set_name)
        k = v["classes"]
        lines.append(f"| {set_name} | `{Path(before).name}`, `{Path(after).name}` | {v['cells']} | "
                     f"{seeds_per_cell_text(v['seeds'])} | {len(v['worse_by_means'])}: "
                     f"{list_text(v['worse_by_means'])} | {k['within']} / {k['better']} / {k['worse']} / "
                     f"{k['unresolved']} | {list_text(v['worse'])} | ±{v['half_median']:.1f} % | "
                     f"{v['seeds_for_median']:g} |")
    return "\n".join(lines)


def seeds_per_cell_text(seeds: tuple[int, int] | None) -> str:
    """``8`` or ``4–8``: the fewest and most seeds of the cells :func:`warmup_bench.resolution.pooled_versus` paired
    (``–`` where it paired none)."""
    if seeds is None:
        return "–"
    fewest, most = seeds
    return str(fewest) if fewest == most else f"{fewest}–{most}"


@figure("fresh-seeds-cells")
def render_fresh_seeds_cells(root: Path) -> str:
    """docs/benchmark/README.md: every test cell of the headline on its seeds 0-3 and on seeds 4-7 (:data:`FRESH`)."""
    return fresh_cells_table(root, *FRESH_PAIRS[0])


@figure("fresh-seeds-tuning-cells")
def render_fresh_seeds_tuning_cells(root: Path) -> str:
    """docs/benchmark/README.md: every tuning cell of the headline on its seeds 0-3 and on round 8's seeds 4-7."""
    return fresh_cells_table(root, *FRESH_PAIRS[1])


def fresh_cells_table(root: Path, before_rel: str, after_rel: str, set_name: str,
                      tasks: Sequence[str] | None = None) -> str:
    """Every cell of set ``set_name`` in ``before_rel`` (seeds 0-3; of ``tasks`` only, when given) beside the same
    cell in ``after_rel`` (seeds 4-7, the oracle arm committed in the first): the gaps to the oracle arm and to HF
    ``linear`` 10 % with their paired 90 % intervals; a cell with no fresh runs shows –."""
    before = {key: cell for key, cell in resolution.paired_by_cell(load(root, before_rel), DEFAULT_ROW,
                                                                   set_name).items()
              if tasks is None or cell["task"] in tasks}
    after = resolution.paired_by_cell(load(root, after_rel), DEFAULT_ROW, set_name)
    lines = ["| task | LR | oracle arm | gap to it, seeds 0–3 | gap to it, seeds 4–7 | vs HF 10 %, seeds 0–3 | "
             "vs HF 10 %, seeds 4–7 | warmup (end), seeds 4–7 |", "|---|---|---|---|---|---|---|---|"]
    for key, b in before.items():
        a = after.get(key)
        fresh = ("–", "–", "–") if a is None else (interval_text(a["vs_oracle"]), interval_text(a["vs_hf"]),
                                                    warmup_ends_text(a))
        lines.append(f"| {b['task']} | {b['lr']:g} | `{b['oracle_arm']}` | {interval_text(b['vs_oracle'])} | "
                     f"{fresh[0]} | {interval_text(b['vs_hf'])} | {fresh[1]} | {fresh[2]} |")
    return "\n".join(lines)


#: round 11's test task on fresh seeds 4-7: the default, HF linear 10 % and each cell's oracle arm as committed in
#: HELDOUT_TEST (chosen on seeds 0-3)
ROUND11_FRESH = "docs/benchmark/round11_fresh.json"


@figure("round11-fresh")
def render_round11_fresh(root: Path) -> str:
    """docs/benchmark/README.md: round 11's test task, the first on which the default met (a)-(c), on fresh seeds."""
    return "\n".join([file_header(ROUND11_FRESH, load(root, ROUND11_FRESH)), "",
                      fresh_cells_table(root, HELDOUT_TEST, ROUND11_FRESH, "test", tasks=("gpt2_long",))])


#: round 12: HF linear 10 % on four tuning tasks, seeds 0 and 4, runs of ROUND4_TUNING and TUNING_FRESH made again
ROUND12_REPEAT = "docs/benchmark/round12_repeat.json"
#: round 13: every arm of the four tuning tasks whose runs in ROUND4_TUNING came from another machine, made again on one
#: host (seeds 0-3), and minilm_finetune's first full-mode runs: runs/r13_rebase alone
ROUND13_REBASE = "docs/benchmark/round13_rebase.json"
#: the tasks round 13 made again (their cells in ROUND12_TUNING are round 4's runs, in HELDOUT_TUNING round 13's)
REBASED = ("prenorm_long", "resmlp_long", "digits_cnn_long", "digits_ae_long")
#: round 13: the length probes' runs made again (the default at one LR each, and one HF linear 10 % run)
ROUND13_30K = "docs/benchmark/round13_30k_check.json"
#: round 12: results files that hold some of the same runs (task config, arm, LR, seed), made on other occasions
MACHINE_PAIRS = ((ROUND9_FRESH, FRESH), (ROUND4_TUNING, ROUND12_REPEAT), (TUNING_FRESH, ROUND12_REPEAT))
#: round 13: the same, for the runs it made again
ROUND13_MACHINE_PAIRS = ((ROUND4_TUNING, ROUND13_REBASE), (PRENORM_30K, ROUND13_30K), (RESMLP_30K, ROUND13_30K))


@figure("machine-dependence")
def render_machine_dependence(root: Path) -> str:
    """docs/benchmark/README.md: each pair of :data:`MACHINE_PAIRS`, :func:`machine_lines`."""
    return "\n\n".join(machine_lines(root, then_rel, now_rel) for then_rel, now_rel in MACHINE_PAIRS)


@figure("round13-machine")
def render_round13_machine(root: Path) -> str:
    """docs/benchmark/README.md: each pair of :data:`ROUND13_MACHINE_PAIRS`, :func:`machine_lines`."""
    return "\n\n".join(machine_lines(root, then_rel, now_rel) for then_rel, now_rel in ROUND13_MACHINE_PAIRS)


def machine_lines(root: Path, then_rel: str, now_rel: str) -> str:
    """The runs two results files share (same task config, arm, LR and seed), per task: how many repeat to the digit,
    how far the others moved, and how long the later runs took against the earlier (a different speed is a different
    machine). The default's runs are counted apart: its source may differ between the files (round 10's change acts
    only at T < 225, which none of the tasks compared has)."""
    older, newer = load(root, then_rel), load(root, now_rel)
    then = {(r["task"], r["arm"], r["lr"], r["seed"]): r for r in older["runs"] if r.get("eval_loss") is not None}
    rows = ["| task | fixed arms: identical / compared | default: identical / compared | largest change of the eval "
            "loss | wall time now / then (median) |", "|---|---|---|---|---|"]
    totals = [0, 0, 0, 0]
    cfgs = [{t: v["cfg"] for t, v in res["meta"]["tasks"].items()} for res in (older, newer)]
    for task in [t for t in cfgs[0] if t in cfgs[1]]:
        if cfgs[0][task] != cfgs[1][task]:
            rows.append(f"| {task} | the task's config changed: not compared | | | |")
            continue
        pairs = [(then[k], r) for r in newer["runs"] if r.get("eval_loss") is not None and r["task"] == task
                 and (k := (r["task"], r["arm"], r["lr"], r["seed"])) in then]
        if not pairs:
            rows.append(f"| {task} | no run in both files | | | |")
            continue
        counts = []
        for default in (False, True):
            own = [(a, b) for a, b in pairs if (b["arm"] == DEFAULT_ROW) == default]
            counts += [sum(a["eval_loss"] == b["eval_loss"] for a, b in own), len(own)]
        totals = [t + c for t, c in zip(totals, counts)]
        change = max(abs(b["eval_loss"] / a["eval_loss"] - 1) for a, b in pairs)
        speed = statistics.median(b["wall_seconds"] / a["wall_seconds"] for a, b in pairs)
        rows.append(f"| {task} | {identical_text(counts)} | {100 * change:.2f} % | {speed:.2f} |")
    return "\n".join([*then_now_lines(then_rel, older, now_rel, newer), "", *rows,
                      f"| all | {identical_text(totals)} | | |"])


def then_now_lines(then_rel: str, then: dict[str, Any], now_rel: str, now: dict[str, Any],
                   names: tuple[str, str] = ("then", "now")) -> list[str]:
    """The two lines that name the results files a comparison reads, each under its name in ``names``: each file's
    header, and the hosts of the later."""
    return [f"- {names[0]}: {file_header(then_rel, then)}",
            f"- {names[1]}: {file_header(now_rel, now)}. {hosts_text(now.get('hosts'))}"]


def identical_text(counts: Sequence[int]) -> str:
    """``3 / 4 | –``: the fixed arms' and the default's runs that repeat to the digit, of those compared."""
    return " | ".join(f"{same} / {n}" if n else "–" for same, n in (counts[:2], counts[2:]))


@figure("round13-rebase")
def render_round13_rebase(root: Path) -> str:
    """docs/benchmark/README.md: the cells of the tasks round 13 made again on one host, as the tuning set reported
    them before (round 4's runs, :data:`ROUND12_TUNING`) and now (:data:`HELDOUT_TUNING`): (a)–(c) over them, and
    each cell's oracle arm, gap and class then and now."""
    then, now = load(root, ROUND12_TUNING), load(root, HELDOUT_TUNING)
    before, after = ([c for c in res["sets"][DEFAULT_ROW]["cells"] if c["task"] in REBASED] for res in (then, now))
    cols = [(f"`{Path(ROUND12_TUNING).name}` (round 4's runs)", heldout.abc_targets(before)),
            (f"`{Path(HELDOUT_TUNING).name}` (one host)", heldout.abc_targets(after))]
    return "\n".join([*then_now_lines(ROUND12_TUNING, then, HELDOUT_TUNING, now), "", *abc_rows(cols), "",
                      *rebase_rows(before, after)])


def rebase_rows(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]) -> list[str]:
    """One row per cell of ``after``: the oracle arm, the gap to it (class) and the gap to HF `linear` 10 % as
    ``before`` had them and as ``after`` has them, and the warmup now; then the cells whose class changed, and how many
    changed their oracle arm."""
    old = {(c["task"], c["lr"]): c for c in before}
    rows = ["| task | LR | oracle arm: then → now | gap to the oracle: then → now | vs HF 10 %: then → now "
            "| warmup (end), now |", "|---|---|---|---|---|---|"]

    def gap(c: dict[str, Any]) -> str:
        return f"{c['gap_pct']:+.1f} % ({c['class']})"

    moved, new_oracle = [], 0
    for c in after:
        o = old[(c["task"], c["lr"])]
        if o["class"] != c["class"]:
            moved.append(heldout.cell_name(c["task"], c["lr"]))
        new_oracle += o["oracle_arm"] != c["oracle_arm"]
        rows.append(f"| {c['task']} | {c['lr']:g} | `{o['oracle_arm']}` → `{c['oracle_arm']}` | {gap(o)} → {gap(c)} "
                    f"| {hf_gap_text(o)} → {hf_gap_text(c)} | {warmup_ends_text(c)} |")
    return [*rows, "", f"Cells whose class changed: {len(moved)} of {len(after)} ({list_text(moved)}); whose oracle "
            f"arm changed: {new_oracle} of {len(after)}."]


#: round 7's diagnosis: the edge off beside the default on seeds 4-7, in the test cells where the default met it
EDGE_OFF = "docs/benchmark/round7_edge_off.json"
#: round 9's diagnosis: the edge off beside the default on the held-out fine-tune whose edges came at its first checks
ROUND9_EDGE_OFF = "docs/benchmark/round9_edge_off.json"
#: round 10's diagnosis: its candidate's switch off (the rule before it) beside the default on round 10's test tasks
ROUND10_EDGE1 = "docs/benchmark/round10_edge1.json"
#: round 11's diagnosis: the bound set by β2 (max_warmup_horizons 10, off by default) beside the default on round 11's
#: pair, gpt2_short and gpt2_long (gpt2_short at 10·T; the switch acts on the longer run only)
ROUND11_HORIZONS = "docs/benchmark/round11_horizons.json"
#: each variant a round measured beside the default, and its results file: the rounds' candidates, then rounds 7,
#: 9, 10 and 11's diagnoses
CANDIDATE_FILES = ((EDGE_HOLD, 'adaptive(edge_patience=2,edge_wait="hold")'),
                   (ROUND4_VARIANTS, "adaptive(edge_patience=4)"), (ROUND4_VARIANTS, "adaptive(edge_patience=8)"),
                   (ROUND5_CANDIDATE, "adaptive(max_warmup_horizons=10)"),
                   (ROUND6_CANDIDATE, "adaptive(edge_restarts=1)"), (EDGE_OFF, "adaptive(coherence_threshold=0)"),
                   (ROUND9_EDGE_OFF, "adaptive(coherence_threshold=0)"),
                   (ROUND10_EDGE1, "adaptive(edge_min_steps=1)"),
                   (ROUND11_HORIZONS, "adaptive(max_warmup_horizons=10)"))


@figure("round11-pair")
def render_round11_pair(root: Path) -> str:
    """docs/benchmark/README.md: round 11's pair (gpt2_short, gpt2_long at 10·T), the default beside the bound set by
    β2, cell by cell: (a)–(c) over each length, then each cell's gap and warmup."""
    res = load(root, ROUND11_HORIZONS)
    views = list(res["sets"].items())
    lines = [file_header(ROUND11_HORIZONS, res), ""]
    for task in dict.fromkeys(c["task"] for c in views[0][1]["cells"]):
        per_row = [(f"`{name}`, {task}", heldout.abc_targets([c for c in view["cells"] if c["task"] == task]))
                   for name, view in views]
        lines += abc_rows(per_row) + [""]
    (_, base), (label, variant) = views[0], views[1]
    return "\n".join([*lines, *side_by_side_lines(base["cells"], variant["cells"], label)])


@figure("candidates-paired")
def render_candidates_paired(root: Path) -> str:
    """docs/benchmark/README.md: each round's candidate, and round 7's edge-off diagnosis, against the default it ran
    beside, cell by cell over the same seeds (:func:`warmup_bench.resolution.versus`)."""
    lines = ["| results file | variant | seeds | cells | variant vs default, resolved: within ±1 % / >1 % better / "
             ">1 % worse / unresolved | resolved better | resolved worse |", "|---|---|---|---|---|---|---|"]
    results = {rel: load(root, rel) for rel, _ in CANDIDATE_FILES}
    for rel, label in CANDIDATE_FILES:
        res = results[rel]
        v = resolution.versus(res, label, DEFAULT_ROW)
        k = v["classes"]
        lines.append(f"| `{Path(rel).name}` | `{label}` | {', '.join(map(str, res['meta']['seeds']))} | {v['cells']} | "
                     f"{k['within']} / {k['better']} / {k['worse']} / {k['unresolved']} | {list_text(v['better'])} | "
                     f"{list_text(v['worse'])} |")
    commands = [f"- `{rel}`: `{res['meta']['command']}`" for rel, res in results.items()]
    return "\n".join([*lines, "", "The commands that wrote the files:", "", *commands])


@figure("heldout")
def render_heldout(root: Path) -> str:
    """docs/benchmark/README.md: per held-out results file and adaptive row, targets (a)–(e) on the test set
    beside the tuning set, and each task at its best LR."""
    lines: list[str] = []
    for rel in HELDOUT_FILES:
        res = load(root, rel)
        lines += [file_header(rel, res), ""]
        for label, view in res["sets"].items():
            lines += [f"`{label}`:", "", *targets_table(view), ""]
            for set_name in ("test", "tuning"):
                if any(b["set"] == set_name for b in view["best_lr"]):
                    lines += [f"{set_name} set, each task at its best LR:", "", *best_table(view, set_name), ""]
    return "\n".join(lines)
