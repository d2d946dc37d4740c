"""The "Warmup" section of a run's model card (the card the Trainer writes).

* :func:`warmup_section`: markdown for a report (:mod:`hf_warmup.report`): the schedule, when and why the
  warmup ended, and the picture; between two HTML comments, so that :func:`add_warmup_section` replaces it
  instead of adding a second one (running it twice leaves one section);
* :func:`add_warmup_section`: put that section into an existing card, keeping everything else in it (front
  matter, metrics, hyperparameters);
* :func:`update_trainer_card`: what ``import hf_warmup`` runs after ``Trainer.create_model_card()`` (and so
  after ``push_to_hub``), and what ``hf-warmup card OUTPUT_DIR`` runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .options import every
from .report import (
    REPORT_JSON,
    REPORT_PNG,
    build_report,
    end_clause,
    load_report,
    start_line,
    write_report,
)

SECTION_START = "<!-- hf_warmup: warmup section (start) -->"
SECTION_END = "<!-- hf_warmup: warmup section (end) -->"
CARD_FILE = "README.md"


def format_number(x: Any) -> str:
    """``40.0`` -> ``40``; other values unchanged."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def warmup_markdown(report: dict[str, Any]) -> str:
    """The bullet list of the warmup section (no heading, no picture)."""
    c = report.get("config") or {}
    kwargs = json.dumps(report.get("lr_scheduler_kwargs") or {}, sort_keys=True)
    total, end, name = report.get("num_training_steps"), report.get("warmup_end_step"), report.get("schedule")
    lines = [f"- Schedule: `{name}` with `lr_scheduler_kwargs={kwargs}` "
             f"(`warmup_steps={format_number(report.get('warmup_steps_arg'))}`). Resolved: {start_line(report)}."]
    if not report.get("adaptive"):
        lines.append(f"- Fixed warmup: the decay started at step {end} of {total}; no stability statistic is "
                     "computed for fixed schedules.")
        return "\n".join(lines) + "\n"
    thr = report.get("threshold")
    thr_txt = f"threshold {thr:g}" if isinstance(thr, (int, float)) else "the scheduler's stability rule"
    lines.append(
        f"- Rule: {every(c.get('check_interval'), 'optimizer step')} the second-moment monitor measured S, "
        "the excess innovation "
        f"of Adam's second moments; the LR ramp runs no faster than over min_warmup_steps = "
        f"{c.get('min_warmup_steps') or '?'} and no slower than over max_warmup_steps = {c.get('max_warmup_steps')}, "
        f"slower as S approaches {thr_txt}; warmup ends at the first check where the ramp has reached the peak "
        f"and each of the last {c.get('patience', '?')} checks let it move, and at the latest at max_warmup_steps"
        + (f"; or earlier, at the LR reached, where the momentum's coherence falls below "
           f"{c['coherence_threshold']:g} (the steps overshoot) while S < -{c.get('shrink_threshold', 0):g} (the "
           "second moments shrink)." if c.get("coherence_threshold") else ".")
    )
    if end is None:
        lines.append(f"- Warmup had **not ended** when training stopped at step {report.get('global_step')} of "
                     f"{total}.")
    else:
        lines.append(f"- **Warmup ended at step {end}** of {total} (end_reason `{report.get('end_reason')}`): "
                     f"{end_clause(report)}; the decay began at step {end}.")
    checks = report.get("checks") or []
    if checks:
        lines.append(f"- {len(checks)} checks, at steps {checks[0]['step']}..{checks[-1]['step']}; every value "
                     f"with its step and LR is in `{REPORT_JSON}`.")
    return "\n".join(lines) + "\n"


def warmup_section(report: dict[str, Any], image: str | None = REPORT_PNG) -> str:
    """The whole ``## Warmup`` section, between its markers."""
    parts = [SECTION_START, "## Warmup", "", warmup_markdown(report)]
    if image:
        parts.append(f"![learning rate and warmup statistic S against the step]({image})\n")
    parts.append(SECTION_END)
    return "\n".join(parts) + "\n"


def replace_section(text: str, section: str) -> str:
    """``text`` with its warmup section replaced by ``section`` (appended when there is none)."""
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start >= 0 and end > start:
        return text[:start] + section.rstrip("\n") + text[end + len(SECTION_END):]
    return text.rstrip("\n") + "\n\n" + section


def add_warmup_section(card_path: str, report: dict[str, Any], image: str | None = REPORT_PNG) -> str:
    """Put the warmup section into the card at ``card_path`` (replacing an earlier one); return the path."""
    path = Path(card_path)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.write_text(replace_section(text, warmup_section(report, image)), encoding="utf-8")
    return str(path)


def update_card_dir(output_dir: str, report: dict[str, Any] | None = None) -> str:
    """Add the warmup section to ``output_dir/README.md`` from ``report`` or ``output_dir/warmup.json``."""
    card = os.path.join(output_dir, CARD_FILE)
    if not os.path.isfile(card):
        raise FileNotFoundError(f"no {CARD_FILE} in {output_dir!r}: write the card first "
                                "(trainer.create_model_card() or trainer.push_to_hub())")
    if report is None:
        report = load_report(output_dir)
    image = REPORT_PNG if os.path.isfile(os.path.join(output_dir, REPORT_PNG)) else None
    return add_warmup_section(card, report, image)


def update_trainer_card(trainer: Any) -> str | None:
    """After ``Trainer.create_model_card()``: the warmup section in ``output_dir/README.md`` (main process).

    The report is rebuilt from the trainer when it has trained (and written, if the end-of-training report
    was off), else read from ``warmup.json``. Returns the card's path, or ``None`` when there is nothing to add.
    """
    if not trainer.is_world_process_zero():
        return None
    out = trainer.args.output_dir
    report = None
    if getattr(trainer, "lr_scheduler", None) is not None and trainer.state.global_step > 0:
        report = build_report(trainer.lr_scheduler, trainer.args, trainer.state)
        if not os.path.isfile(os.path.join(out, REPORT_JSON)):
            write_report(out, report, plot=True)
    elif not os.path.isfile(os.path.join(out, REPORT_JSON)):
        return None
    return update_card_dir(out, report)
