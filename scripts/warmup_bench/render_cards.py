"""The figure blocks of the demo (``scripts/demo.py``) and the model cards (``scripts/make_cards.py``), registered in
:mod:`warmup_bench.render`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from warmup_bench.render import figure, load

DEMO = "docs/demo/results.json"
CARD_NAMES = ("kjv-char-gpt2-adaptive-warmup", "minilm-tweet-sentiment-adaptive-warmup")
USER_REPORT = "docs/img/user_script_warmup.json"


def minutes(seconds: float) -> str:
    """``1 min 39 s`` (or ``23 s``)."""
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s} s" if m else f"{s} s"


def span(values: list[float] | None, digits: int = 2) -> str:
    return "not measured" if not values else f"{values[0]:.{digits}g} to {values[1]:.{digits}g}"


def end_text(run: dict[str, Any], fraction: float | None) -> str:
    """``step 32 of 63 (`bound`, at the peak LR)`` from a run's ``warmup_end_step``, ``num_training_steps`` and
    ``end_reason``; at the edge, the fraction of the peak reached."""
    end, total = run["warmup_end_step"], run["num_training_steps"]
    if end is None:
        return f"not ended by step {total}"
    at = "at the peak LR" if fraction is None or fraction >= 1 else f"at {fraction:.2g} of the peak LR"
    return f"step {end} of {total} (`{run['end_reason']}`, {at})"


@figure("demo")
def render_demo(root: Path) -> str:
    """The README's demo figures: wall time, accuracy, the warmup end and the signals over the checks."""
    d = load(root, DEMO)
    load_avg = d["load_average_start"][0]
    return (f"From `{DEMO}` (`{d['command']}`, commit `{d['provenance']['commit']}`): {minutes(d['wall_time_s'])} "
            f"of wall time for `scripts/demo.py` (venv already built; {d['cpu_count']} CPU cores, load average "
            f"{load_avg:.1f} at the start: the machine was shared); accuracy {d['eval_accuracy']:.3f} (macro-F1 "
            f"{d['eval_f1_macro']:.3f}) on {d['eval_samples']:,} held-out tweets after training on "
            f"{d['train_samples']:,}; warmup ended at "
            f"{end_text(d, d['peak_fraction'])}. "
            f"Over its {d['n_checks']} checks (every {d['check_interval']} step(s)) `Ŝ` ran from "
            f"{span(d['statistic_range'])} and the coherence φ from {span(d['coherence_range'])}. The CPU fine-tune "
            "is not bit-reproducible: a rerun gives a slightly different accuracy, and the warmup can end elsewhere: "
            f"over {d['num_training_steps']} steps `Ŝ` moves around its threshold, so one run reaches the peak and "
            "ends `stable`, another is slowed and ends at the bound.")


@figure("cards")
def render_cards(root: Path) -> str:
    """The README's model cards and user-script figure: each run's command, wall time and warmup end."""
    lines = ["| figure | command | wall time | warmup end | result |", "|---|---|---|---|---|"]
    for name in CARD_NAMES:
        summ = load(root, f"model_cards/{name}.summary.json")
        report = json.loads((root / f"model_cards/{name}.warmup.json").read_text())
        result = (f"accuracy {summ['eval_accuracy']:.3f} on {summ['eval_samples']:,} held-out tweets"
                  if summ.get("eval_accuracy") is not None else f"eval loss {summ['eval_loss']:.3f}")
        lines.append(f"| `model_cards/{name}.png` | `{summ['command']}` | {minutes(summ['make_cards_wall_s'])} | "
                     f"{end_text(summ, report.get('peak_fraction'))} | {result} |")
    user = load(root, USER_REPORT)
    lines.append(f"| `docs/img/user_script_warmup.png` | `{user['command']}` | {minutes(user['make_cards_wall_s'])} | "
                 f"{end_text(user, user.get('peak_fraction'))} | report `{USER_REPORT}` |")
    return "\n".join(["Run by `make cards`; each summary records its command, wall time and provenance:", "", *lines])
