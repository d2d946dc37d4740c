"""Published figures equal the committed results files.

Docs carry generated blocks (``<!-- figures:NAME -->`` ... ``<!-- /figures -->``) that ``scripts/render_figures.py``
writes from results json. Two kinds of check:

1. every block in README.md, docs/ and model_cards/ equals what its renderer makes from the committed json now
   (a results file rerun without re-rendering, or a hand edit inside a block, fails here);
2. independently of the renderer, the overhead summary's numbers (``docs/overhead/README.md``) are parsed back from
   the markdown and compared with the json values (a renderer that formats the wrong field fails here);
3. on a copy of the tree, one changed line of ``hf_warmup/monitor.py`` fails check 1 until the blocks are
   re-rendered, and the re-rendered blocks then say that their figures are stale
   (``scripts/warmup_bench/provenance.py``).

To add a figure block (e.g. the benchmark): register ``render_NAME`` in the ``scripts/warmup_bench/render_*.py`` of
its subject, put the
markers in the doc, run the script; check 1 covers it at once, and a parse-back test like
``test_overhead_summary_numbers_equal_the_results`` can be added next to the one below.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from warmup_bench import render as rf  # noqa: E402
from warmup_bench import render_baseline as rf_baseline  # noqa: E402
from warmup_bench import render_overhead as rf_overhead  # noqa: E402
from warmup_bench import render_results as rf_results  # noqa: E402

sys.path.remove(str(ROOT / "scripts"))

DOCS = rf.doc_files(ROOT)
BLOCKS = [(doc, name) for doc in DOCS for name, _ in rf.blocks(doc.read_text())]
NUMBER = re.compile(r"[-+]?\d[\d,]*\.?\d*")


def _id(param: object) -> str:
    return str(param.relative_to(ROOT)) if isinstance(param, Path) else str(param)


def _block(doc: str, name: str) -> str:
    found = [body for n, body in rf.blocks((ROOT / doc).read_text()) if n == name]
    assert len(found) == 1, f"{doc}: expected one figure block {name!r}, found {len(found)}"
    return found[0]


def _json(rel: str) -> dict:
    return json.loads((ROOT / rel).read_text())


def _numbers(cell: str) -> list[float]:
    return [float(x.replace(",", "")) for x in NUMBER.findall(cell)]


def _shows(cell: str, want: list[float]) -> bool:
    """Do the numbers in ``cell`` equal ``want`` as rounded for display (half a unit of the last shown digit)?"""
    shown = [x.replace(",", "") for x in NUMBER.findall(cell)]
    if len(shown) != len(want):
        return False
    for text, value in zip(shown, want):
        decimals = len(text.split(".")[1]) if "." in text else 0
        if abs(float(text) - value) > 0.5 * 10.0**-decimals * (1 + 1e-9):
            return False
    return True


def test_the_docs_have_their_figure_blocks() -> None:
    names = {(doc.relative_to(ROOT).as_posix(), name) for doc, name in BLOCKS}
    assert ("README.md", "headline") in names
    assert ("docs/benchmark/README.md", "heldout") in names
    for name in ("overhead", "overhead-files", "overhead-results", "overhead-state", "overhead-memory", "overhead-gpu",
                 "overhead-gpu-check"):
        assert ("docs/overhead/README.md", name) in names
    for name in ("demo", "cards"):
        assert ("docs/cards.md", name) in names
    for doc in DOCS:  # markers come in pairs: an unclosed block would silently swallow the rest of a file
        text = doc.read_text()
        assert text.count("<!-- figures:") == text.count("<!-- /figures -->") == len(rf.blocks(text)), doc
    used = {name for _, name in BLOCKS}
    assert set(rf.RENDERERS) <= used, f"renderers without a block: {set(rf.RENDERERS) - used}"


@pytest.mark.parametrize(("doc", "name"), BLOCKS, ids=_id)
def test_block_equals_its_rendering_of_the_committed_results(doc: Path, name: str) -> None:
    body = _block(doc.relative_to(ROOT).as_posix(), name)
    assert body == rf.render_block(name, ROOT), (
        f"{doc.relative_to(ROOT)}: figure block {name!r} differs from the committed results; "
        "run `python scripts/render_figures.py`"
    )


def test_every_results_file_a_block_names_exists_with_its_command() -> None:
    """A block names its results files (a path, or a stem next to the doc); the doc's blocks show their commands."""
    for doc in DOCS:
        bodies = "".join(body for _, body in rf.blocks(doc.read_text()))
        if not bodies:
            continue
        named = {ROOT / rel for rel in re.findall(r"`(docs/[\w/.-]+\.json)`", bodies)}
        named |= {doc.parent / f"{stem}.json" for stem in re.findall(r"`([\w.-]+?)(?:\.\*|\.json)?`", bodies)
                  if (doc.parent / f"{stem}.json").exists()}
        assert named, f"{doc}: figure blocks name no results file"
        for path in named:
            data = json.loads(path.read_text())
            # the benchmark keeps it under "meta", the probes in their provenance
            command = data.get("command") or (data.get("meta") or {}).get("command") or data["provenance"]["command"]
            assert command in bodies, f"{doc}: the command that wrote {path.relative_to(ROOT)} is not shown"


def _table_rows(body: str, header_start: str) -> dict[str, list[str]]:
    """The rows of the table in ``body`` whose header starts with ``header_start``: first cell -> other cells."""
    lines = body.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(header_start))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def test_overhead_summary_numbers_equal_the_results() -> None:
    body = _block("docs/overhead/README.md", "overhead")
    main = _json(rf_overhead.OVERHEAD_MAIN)
    controls = rf.controls(main)
    full = _table_rows(body, "| run (adaptive arm's default")
    assert list(full) == [rf_overhead.run_label(r) for r in main["full_step"]]
    assert {r["run_steps"] for r in main["full_step"]} == {300, 50}  # the two run lengths the summary describes
    for r in main["full_step"]:
        clock = r["primary_clock"]
        ratio_cell, ctl_cell, position, comp_cell = full[rf_overhead.run_label(r)]
        q = r[clock]["paired_ratio_quantiles"]
        assert _shows(ratio_cell, [r["paired_ratio_median"], q["q25"], q["q75"]]), ratio_cell
        aa = controls[r["model"]][clock]["paired_ratios"]
        assert _shows(ctl_cell, [controls[r["model"]][clock]["paired_ratio_median"], min(aa), max(aa)]), ctl_cell
        noise = max(abs(x - 1) for x in aa)  # identical arms: every deviation from 1 is noise (recomputed here)
        ratio = r["paired_ratio_median"]
        assert position == ("inside" if abs(ratio - 1) <= noise else "above" if ratio > 1 else "below")
        assert _shows(comp_cell, [r["component_estimate_ratio"]]), comp_cell
        line = next(ln for ln in body.splitlines() if ln.startswith(f"- {rf_overhead.run_label(r)}:"))
        assert f"{ratio:.4f} lies {position}" in line and f"[{min(aa):.4f}, {max(aa):.4f}]" in line
    checks = _table_rows(body, "| model | one `check()`")
    assert len(checks) == len(main["monitor"]) >= 3  # the cost of one check by model size
    for m, (cell, reads) in zip(main["monitor"], checks.values()):
        assert _shows(cell, [1e3 * m["check_s"], 1e3 * m["optimizer_step_s"], 100 * m["check_over_optimizer_step"]])
        assert reads == str(m["host_reads_per_check"])
    small, wide = main["state"][0], main["state"][-1]
    assert f"`monitor.state_bytes()` = {small['monitor_state_bytes']:,} B and {wide['monitor_state_bytes']:,} B" in body
    ms = main["memory_summary"]
    assert f"`linear` {ms['linear_mib']:.1f} MiB, adaptive {ms['adaptive_mib']:.1f} MiB" in body


def test_a_changed_source_makes_the_blocks_say_stale(tmp_path: Path) -> None:
    """On a copy of the tree: one changed line of ``hf_warmup/monitor.py`` fails the docs test until
    ``scripts/render_figures.py`` runs, and then every block behind stamped results says it is stale."""
    tree = tmp_path / "tree"
    for rel in ("docs", "model_cards", "hf_warmup", "scripts"):  # scripts: renderers import the harness's tables
        shutil.copytree(ROOT / rel, tree / rel, ignore=shutil.ignore_patterns("__pycache__"))
    for rel in ("README.md", "tests/test_docs_figures.py"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tree / rel)

    def docs_test() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest",
                               "-k", "block_equals", str(tree / "tests" / "test_docs_figures.py")],
                              cwd=tree, capture_output=True, text=True, timeout=300)

    assert docs_test().returncode == 0
    monitor = tree / "hf_warmup" / "monitor.py"
    lines = monitor.read_text().splitlines(keepends=True)
    lines[0] = lines[0].rstrip("\n") + "  \n"  # one line changed, by a trailing space
    monitor.write_text("".join(lines))
    failed = docs_test()
    assert failed.returncode == 1 and "run `python scripts/render_figures.py`" in failed.stdout
    render = subprocess.run([sys.executable, str(tree / "scripts" / "render_figures.py")], cwd=tree,
                            capture_output=True, text=True, timeout=300)
    current = {(doc.relative_to(ROOT).as_posix(), name) for doc, name in BLOCKS
               if "**Stale:**" not in _block(doc.relative_to(ROOT).as_posix(), name)}
    assert current, "no block is current: nothing to show"
    assert render.returncode == 0, render.stdout + render.stderr
    for rel in sorted({rel for rel, _ in current}):
        assert f"rewrote {rel}" in render.stdout, render.stdout
        for name, body in rf.blocks((tree / rel).read_text()):
            if (rel, name) in current:
                assert "**Stale:** measured at commit" in body and "`hf_warmup/monitor.py` changed since." in body, (
                    rel, name)
    assert docs_test().returncode == 0


def test_a_rendering_change_stales_what_quotes_it_and_not_measured_numbers(tmp_path: Path) -> None:
    """A change to ``hf_warmup/report.py`` (the end line's words) makes the demo's and the cards' results stale, not
    the benchmark's or the overhead's numbers; a change to the monitor makes every one of them stale. The harnesses
    behind those numbers never import a rendering module."""
    from warmup_bench import provenance

    shutil.copytree(ROOT / "hf_warmup", tmp_path / "hf_warmup", ignore=shutil.ignore_patterns("__pycache__"))
    stamp = {"commit": "abc1234", "source_files": provenance.source_files(tmp_path)}
    assert provenance.RENDERING <= set(stamp["source_files"])
    with (tmp_path / "hf_warmup" / "report.py").open("a") as fh:
        fh.write("\n")
    assert "`hf_warmup/report.py` changed since" in (provenance.stale_note(stamp, tmp_path) or "")
    assert provenance.stale_note(stamp, tmp_path, numbers_only=True) is None
    with (tmp_path / "hf_warmup" / "monitor.py").open("a") as fh:
        fh.write("\n")
    assert "`hf_warmup/monitor.py` changed since" in (provenance.stale_note(stamp, tmp_path, numbers_only=True) or "")
    # which results are numbers only: the benchmark's and the overhead's folders, never the demo's or the cards'
    assert rf.NUMBERS_ONLY == ("docs/benchmark/", "docs/overhead/")
    modules = {f"hf_warmup.{Path(m).stem}" for m in provenance.RENDERING}
    harness = [*sorted((ROOT / "scripts" / "warmup_bench").rglob("*.py")), ROOT / "scripts" / "bench_overhead.py",
               ROOT / "scripts" / "gpu_check.py"]
    readers = {"model_card.py", "render.py"}  # the card workload and the renderer read reports, they measure nothing
    for path in harness:
        if path.name in readers:
            continue
        text = path.read_text()
        assert not any(m in text for m in modules), f"{path.relative_to(ROOT)} imports a rendering module"


def test_no_overhead_figures_outside_the_generated_blocks() -> None:
    """Ratios (x.xxxx) and timings in the README and on the overhead page live only inside the generated blocks."""
    figures = re.compile(r"\b[01]\.\d{4}\b|\d+(\.\d+)? ?(ms|µs|MiB|KiB)\b")
    readme = rf.BLOCK.sub("", (ROOT / "README.md").read_text())
    assert not figures.findall(readme), figures.findall(readme)
    overhead_doc = rf.BLOCK.sub("", (ROOT / "docs/overhead/README.md").read_text())
    assert not figures.findall(overhead_doc), figures.findall(overhead_doc)
    assert "not kept here" not in readme + overhead_doc


def test_a_task_with_fewer_seeds_than_its_file_is_named() -> None:
    """A results file whose task kept fewer seeds than the file names (a run cut short) says so wherever its seeds
    are printed; a complete file adds nothing."""
    res = {"meta": {"seeds": [0, 1, 2, 3]},
           "cells": {"full": {"0.1|a": {"n_seeds": 4}, "0.3|a": {"n_seeds": 4}},
                     "cut": {"0.1|a": {"n_seeds": 2}, "0.3|a": {"n_seeds": 2}}}}
    assert rf_results.fewer_seeds_text(res) == " (cut: 2 seeds)"
    assert rf_results.fewer_seeds_text({**res, "cells": {"full": res["cells"]["full"]}}) == ""


def test_a_length_probe_prints_each_adaptive_variant_in_a_table_of_its_own(tmp_path: Path) -> None:
    """The length-probe block: the default's 30,000-step cells sorted among the same task's shorter runs at the
    probe's LRs only, then each ``--extra_adaptive`` row of the probe in its own table under its label."""
    def cell(task: str, T: int, lr: float, gap: float) -> dict[str, object]:
        return {"task": task, "T": T, "lr": lr, "oracle_W": 3, "gap_pct": gap, "class": "within", "gap_hf_pct": None,
                "spread_pct": 0.0, "n_diverged": 0, "n_stuck": 0, "warmup_steps": [7], "end_reasons": ["edge"],
                "lr_reached": [0.01]}

    meta = {"mode": "full", "seeds": [0], "grid": [0, 0.01], "machine": "vm", "command": "cmd"}
    probe = {"meta": meta, "cells": {}, "sets": {
        "adaptive_warmup": {"cells": [cell("p", 30_000, 0.03, 1.5), cell("p", 30_000, 0.01, 2.5)]},
        "adaptive(max_warmup_horizons=10)": {"cells": [cell("p", 30_000, 0.03, -4.25)]}}}
    short = {"meta": {**meta, "seeds": [0, 1]}, "cells": {}, "sets": {"adaptive_warmup": {"cells": [
        cell("s", 3_000, 0.01, 0.5), cell("s", 3_000, 0.1, 9.0), cell("other", 3_000, 0.01, 0.0)]}}}
    for rel, data in (("probe.json", probe), ("short.json", short)):
        (tmp_path / rel).write_text(json.dumps(data))
    lines = rf_results.length_probe_lines(tmp_path, "probe.json", "short.json", ("s",))
    rows = [line for line in lines if line.startswith("| p") or line.startswith("| s")]
    assert [r.split(" | ")[1:3] for r in rows] == [["3000", "0.01"], ["30000", "0.01"], ["30000", "0.03"],
                                                   ["30000", "0.03"]]
    assert "the 3,000-step rows from `short.json`" in lines[0]
    label = lines.index("`adaptive(max_warmup_horizons=10)` on the same 30,000-step runs:")
    assert lines.index(rows[2]) < label < lines.index(rows[3]) and "-4.2 % (within)" in rows[3]


def test_machine_dependence_counts_the_runs_that_repeat_to_the_digit(tmp_path: Path) -> None:
    """The machine-dependence block pairs the runs two files share (task, arm, LR, seed) where the task's config is
    the same, counts the default apart from the fixed arms, and shows the largest change and the time ratio."""
    def run(task: str, arm: str, loss: float, seconds: float) -> dict[str, Any]:
        return {"task": task, "arm": arm, "lr": 0.01, "seed": 4, "eval_loss": loss, "wall_seconds": seconds}

    meta = {"mode": "full", "seeds": [4], "grid": [0.1], "machine": "vm"}
    tasks = {"a": {"cfg": {"T": 3}}, "b": {"cfg": {"T": 3}}, "c": {"cfg": {"T": 3}}}
    then = {"meta": {**meta, "command": "then", "tasks": tasks}, "cells": {},
            "runs": [run("a", "hf_linear(10%)", 1.0, 2.0), run("a", "adaptive_warmup", 2.0, 2.0),
                     run("b", "hf_linear(10%)", 1.0, 2.0)]}
    now = {"meta": {**meta, "command": "now", "tasks": {**tasks, "b": {"cfg": {"T": 4}}}}, "cells": {},
           "hosts": {"runs": {"cpu X": 3}, "mixed_cells": []},
           "runs": [run("a", "hf_linear(10%)", 1.0, 1.0), run("a", "adaptive_warmup", 2.02, 1.0),
                    run("a", "linear_warmup(W=50%)", 3.0, 1.0), run("b", "hf_linear(10%)", 1.0, 1.0)]}
    for rel, data in (("then.json", then), ("now.json", now)):
        (tmp_path / rel).write_text(json.dumps(data))
    text = rf_results.machine_lines(tmp_path, "then.json", "now.json")
    assert "| a | 1 / 1 | 0 / 1 | 1.00 % | 0.50 |" in text  # the third run of `a` has no partner
    assert "| b | the task's config changed: not compared | | | |" in text
    assert "| c | no run in both files | | | |" in text
    assert "| all | 1 / 1 | 0 / 1 | | |" in text
    assert "`then`" in text and "`now`" in text and "Hosts of the runs: cpu X (3 runs)." in text


def test_rebase_rows_pair_each_cell_then_and_now_and_count_the_classes_that_changed() -> None:
    """Round 13's block: each cell's oracle arm, gap (class) and gap to HF then → now, the cells whose class changed,
    named, and how many changed their oracle arm; a cell whose HF arm is missing shows a dash, not a number."""
    def cell(lr: float, gap: float, klass: str, hf: float | None, arm: str) -> dict[str, Any]:
        return {"task": "t", "lr": lr, "gap_pct": gap, "class": klass, "gap_hf_pct": hf, "oracle_arm": arm,
                "warmup_steps": [10, 12], "end_reasons": ["stable", "edge"]}

    before = [cell(0.01, 0.5, "within", 0.2, "no_warmup"), cell(0.1, 3.0, "worse", None, "linear_warmup(W=50%)")]
    after = [cell(0.01, 2.5, "worse", 1.5, "linear_warmup(W=10%)"), cell(0.1, 3.1, "worse", -0.4, "no_warmup")]
    rows = rf_results.rebase_rows(before, after)
    assert ("| t | 0.01 | `no_warmup` → `linear_warmup(W=10%)` | +0.5 % (within) → +2.5 % (worse) | +0.2 % → +1.5 % "
            "| 10 (stable), 12 (edge) |") in rows
    assert ("| t | 0.1 | `linear_warmup(W=50%)` → `no_warmup` | +3.0 % (worse) → +3.1 % (worse) "
            "| – → -0.4 % |") in rows[3]
    assert rows[-1] == "Cells whose class changed: 1 of 2 (t@0.01); whose oracle arm changed: 2 of 2."


def test_round14_fixed_arm_is_scored_as_the_default_is_and_picked_on_the_tuning_set() -> None:
    """Round 14's baseline: scored by the same rule as the default, the default's own row repeats the headline's
    targets (a)–(c) on each set; the arm the tuning set picks (most cells within 1 % or better, then the fewest (b)
    violations) is the one round 14 ran on fresh seeds; a tie in (c) goes to the arm with fewer (b) violations."""
    split = rf_results.heldout.load_split()
    for rel, set_name in rf_baseline.SET_FILES:
        res = json.loads((ROOT / rel).read_text())
        own = rf_baseline.as_default(res, rf_results.DEFAULT_ROW, split, set_name)
        headline = res["sets"][rf_results.DEFAULT_ROW]["targets"][set_name]
        assert own["c_share"] == pytest.approx(headline["c_share"]) and own["cells"] == headline["cells"]
        assert own["b_violations"] == headline["b_violations"] and own["a_violations"] == headline["a_violations"]
    tuning = json.loads((ROOT / rf_results.HELDOUT_TUNING).read_text())
    grid = rf_results.heldout.grid_labels(tuning["meta"])
    scores = {arm: rf_baseline.as_default(tuning, arm, split, "tuning") for arm in grid}
    assert rf_baseline.chosen_arm(scores) == rf_baseline.FRESH_ARM

    def score(c: float, b: int) -> dict[str, Any]:
        return {"c_share": c, "b_violations": ["x"] * b}

    assert rf_baseline.chosen_arm({"w10": score(0.5, 3), "w25": score(0.5, 1), "w50": score(0.4, 0)}) == "w25"
    # the fresh seeds: that arm and the default only, seeds 4-7, one host; pooled with seeds 0-3, 8 seeds per cell
    fresh = json.loads((ROOT / rf_baseline.ROUND14_FRESH).read_text())
    assert {r["arm"] for r in fresh["runs"]} == {rf_baseline.FRESH_ARM, rf_results.DEFAULT_ROW}
    assert {r["seed"] for r in fresh["runs"]} == {4, 5, 6, 7} and len({r["host"] for r in fresh["runs"]}) == 1
    test = json.loads((ROOT / rf_results.HELDOUT_TEST).read_text())
    pooled = rf_results.resolution.pooled_versus([test, fresh], rf_results.DEFAULT_ROW, rf_baseline.FRESH_ARM, "test")
    assert pooled["cells"] == 76 and pooled["seeds"] == (8, 8)


def test_round5_rule_needs_more_cells_and_no_new_violation() -> None:
    """Round 5's committed rule: a candidate passes only with strictly more cells within 1 % or better and no (a)
    or (b) violation the default lacks; the verdict names what decided it."""
    def t(c: float, a: list[str], b: list[str]) -> dict[str, Any]:
        return {"cells": 4, "c_share": c, "a_violations": a, "b_violations": b}

    base = t(0.5, ["x@1"], ["y@1"])
    assert rf_results.candidate_decision(base, t(0.75, ["x@1"], ["y@1"]))[0]
    assert not rf_results.candidate_decision(base, t(0.5, [], []))[0]  # a tie is not more
    met, text = rf_results.candidate_decision(base, t(1.0, ["x@1"], ["y@1", "z@2"]))
    assert not met and "new (b) violations z@2" in text and "4 against the default's 2" in text
    assert not rf_results.candidate_decision(base, t(1.0, ["w@3"], []))[0]
    # round 6's rule counts (b) in all: a new violation passes when the total is not larger, a larger total fails
    met, text = rf_results.candidate_decision(base, t(0.75, ["x@1"], ["z@2"]), b_in_all=True)
    assert met and "(b) violations 1 against the default's 1" in text
    assert not rf_results.candidate_decision(base, t(1.0, ["x@1"], ["y@1", "z@2"]), b_in_all=True)[0]
