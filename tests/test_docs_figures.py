"""Published figures equal the committed results files.

Docs carry generated blocks (``<!-- figures:NAME -->`` ... ``<!-- /figures -->``) that ``scripts/render_figures.py``
writes from results json. Two kinds of check:

1. every block in README.md, docs/ and model_cards/ equals what its renderer makes from the committed json now
   (a results file rerun without re-rendering, or a hand edit inside a block, fails here);
2. independently of the renderer, the README's overhead numbers are parsed back from the markdown and compared
   with the json values (a renderer that formats the wrong field fails here).

To add a figure block (e.g. the benchmark): register ``render_NAME`` in ``scripts/render_figures.py``, put the
markers in the doc, run the script; check 1 covers it at once, and a parse-back test like
``test_readme_overhead_numbers_equal_the_results`` can be added next to the one below.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import render_figures as rf  # noqa: E402

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
    assert ("README.md", "overhead") in names
    for name in ("overhead-files", "overhead-results", "overhead-state", "overhead-memory", "overhead-gpu-check"):
        assert ("docs/overhead/README.md", name) in names
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
            command = data.get("command") or data["meta"]["command"]  # the benchmark keeps it under "meta"
            assert command in bodies, f"{doc}: the command that wrote {path.relative_to(ROOT)} is not shown"


def test_readme_overhead_numbers_equal_the_results() -> None:
    body = _block("README.md", "overhead")
    main = _json(rf.OVERHEAD_MAIN)
    reruns = [_json(f) for f in rf.OVERHEAD_RERUNS]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in body.splitlines()
            if line.startswith("|") and not line.startswith("|---")]
    header, table = rows[0], {r[0]: r[1:] for r in rows[1:]}
    full = {r["model"]: r for r in main["full_step"]}
    mon = {r["model"]: r for r in main["monitor"]}
    assert [h.split(" (")[0] for h in header[1:]] == list(full)
    controls = {}
    for res in (*reruns, main):
        controls.update(rf.controls(res))

    for i, model in enumerate(full):
        r, m = full[model], mon[model]
        assert f"({r['params'] / 1e6:.1f} M params)" in header[i + 1]
        ratio_cell = table["full train step, median paired ratio adaptive / `linear`"][i]
        want = [r["paired_ratio_median"]] + [
            x["paired_ratio_median"] for res in reruns for x in res["full_step"] if x["model"] == model]
        assert _shows(ratio_cell, want), (ratio_cell, want)
        ctl_cell = table["same procedure, `linear` / `linear` (A/A control): median [min, max]"][i]
        if model in controls:
            ratios = controls[model][r["primary_clock"]]["paired_ratios"]
            want = [controls[model][r["primary_clock"]]["paired_ratio_median"], min(ratios), max(ratios)]
            assert _shows(ctl_cell.removesuffix(" (rerun)"), want), (ctl_cell, want)
        else:
            assert ctl_cell == "not run"
        check_cell = table["one `check()` / one `optimizer.step()`"][i]
        want = [1e3 * m["check_s"], 1e3 * m["optimizer_step_s"], 100 * m["check_over_optimizer_step"]]
        assert _shows(check_cell, want), (check_cell, want)
        comp_cell = table["full-step ratio from the measured components"][i]
        assert _shows(comp_cell, [r["component_estimate_ratio"]]), comp_cell
        assert table["host reads (GPU syncs) per check"][i] == str(m["host_reads_per_check"])

    # the verdicts follow from the controls' numbers (recomputed here, not read from the stored text)
    for res in (main, *reruns):
        ctl = rf.controls(res)
        for r in res["full_step"]:
            ratio = r[r["primary_clock"]]["paired_ratio_median"]
            line = next(ln for ln in body.splitlines() if ln.startswith("- `") and f", {r['model']}:" in ln
                        and f"{ratio:.4f}" in ln)
            if r["model"] not in ctl:
                assert "no A/A control" in line
                continue
            aa = ctl[r["model"]][r["primary_clock"]]["paired_ratios"]
            noise = max(abs(x - 1) for x in aa)  # identical arms: every deviation from 1 is noise
            where = "inside" if abs(ratio - 1) <= noise else "above" if ratio > 1 else "below"
            assert f"{ratio:.4f} lies {where}" in line and f"[{min(aa):.4f}, {max(aa):.4f}]" in line
            assert f"±{100 * noise:.2f} %" in line

    small, wide = main["state"][0], main["state"][-1]
    assert f"`monitor.state_bytes()` = {small['monitor_state_bytes']:,} B and {wide['monitor_state_bytes']:,} B" in body
    ms = main["memory_summary"]
    assert f"`linear` {ms['linear_mib']:.1f} MiB, adaptive {ms['adaptive_mib']:.1f} MiB" in body


def test_no_overhead_figures_outside_the_generated_blocks() -> None:
    """Ratios (x.xxxx) and timings in the README's Overhead section live only inside the generated block."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Overhead\n"):]
    section = section[: section.index("\n## ", 1)]
    outside = rf.BLOCK.sub("", section)
    assert not re.findall(r"\b[01]\.\d{4}\b|\d+(\.\d+)? ?(ms|µs|MiB|KiB)\b", outside), outside
    overhead_doc = rf.BLOCK.sub("", (ROOT / "docs/overhead/README.md").read_text())
    assert not re.findall(r"\b[01]\.\d{4}\b|\d+(\.\d+)? ?(ms|µs|MiB|KiB)\b", overhead_doc)
    assert "not kept here" not in text + overhead_doc
