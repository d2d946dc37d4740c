"""The committed ``model_cards/``: every number a card claims equals its run's summary and report.

``make cards`` (``scripts/make_cards.py``) writes, for each card ``NAME.md``, the run's ``NAME.summary.json``,
``NAME.warmup.json``, ``NAME.png`` and ``NAME.log`` beside it. Nothing in a card is hand-assembled.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from hf_warmup.card import SECTION_START, warmup_section

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from warmup_bench.model_card import card_value, read_front_matter  # noqa: E402

CARDS = Path(__file__).resolve().parent.parent / "model_cards"
NAMES = sorted(p.stem for p in CARDS.glob("*.md"))
#: card metric type -> summary key
METRIC_KEYS = {"accuracy": "eval_accuracy", "f1": "eval_f1_macro", "perplexity": "eval_perplexity",
               "loss": "eval_loss"}


def test_there_are_cards() -> None:
    assert NAMES, f"no cards in {CARDS}"


@pytest.mark.parametrize("name", NAMES)
def test_card_files_sit_beside_the_card(name: str) -> None:
    for suffix in (".png", ".summary.json", ".warmup.json", ".log"):
        assert (CARDS / f"{name}{suffix}").is_file(), f"{name}{suffix} missing: run `make cards`"
    log = (CARDS / f"{name}.log").read_text()
    assert log.startswith("$ ") and "[exit 0 after" in log


@pytest.mark.parametrize("name", NAMES)
def test_card_numbers_equal_the_summary(name: str) -> None:
    summary = json.loads((CARDS / f"{name}.summary.json").read_text())
    report = json.loads((CARDS / f"{name}.warmup.json").read_text())
    card = (CARDS / f"{name}.md").read_text()
    meta = read_front_matter(CARDS / f"{name}.md")
    [result] = meta["model-index"][0]["results"]
    claimed = {m["type"]: m["value"] for m in result["metrics"]}
    assert claimed and set(claimed) <= set(METRIC_KEYS)
    for kind, value in claimed.items():
        assert value == card_value(summary[METRIC_KEYS[kind]]), (kind, value, summary[METRIC_KEYS[kind]])
        # the results table shows the same rounded value
        assert re.search(rf"\(`{kind}`\) \| {re.escape(str(value))} \|", card), kind
    # the warmup section is exactly what the package renders from the run's report
    assert report["warmup_end_step"] == summary["warmup_end_step"]
    assert report["end_reason"] == summary["end_reason"] and report["global_step"] == summary["global_step"]
    assert card.count(SECTION_START) == 1
    assert warmup_section(report, f"{name}.png").strip() in card
    assert f"optimizer steps: {summary['global_step']}" in card
