"""The warmup report of any Trainer run: warmup.json, warmup.png, the start line, the model-card section, and
TensorBoard event files, on real Trainer runs of a tiny GPT-2 (offline).

* a user's own 20-line script (``examples/user_script.py``, run as a subprocess) leaves ``warmup.json``,
  ``warmup.png`` and a Trainer-written ``README.md`` with one warmup section;
* a resumed run's report covers the whole run (the same checks and LR path as an uninterrupted run);
* ``report_to="tensorboard"``: the event files hold ``warmup_statistic`` at the check steps and
  ``warmup_end_step`` at the decision step, read with tensorboard's own reader;
* fixed schedules and transformers' own ``linear`` get a report with the LR alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hf_warmup.adaptive import default_max_warmup
from hf_warmup.card import SECTION_END, SECTION_START, add_warmup_section
from hf_warmup.report import end_line, start_line

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from warmup_bench.model_card import read_front_matter  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1",
            "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1", "PYTHONPATH": str(ROOT)}


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.fixture(scope="module")
def user_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("user") / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "user_script.py"), str(out), "60"],
                          env=_env(), cwd=out.parent, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out, proc.stderr.replace("\r", "\n")


def test_user_script_leaves_report_picture_and_card(user_run: tuple[Path, str]) -> None:
    out, stderr = user_run
    report = json.loads((out / "warmup.json").read_text())
    assert report["schedule"] == "adaptive_warmup" and report["adaptive"] is True
    cfg = report["config"]
    # warmup_steps=0.5 of 60 -> num_warmup_steps 30 -> M = 30, and the report says where it came from
    assert cfg["max_warmup_steps"] == 30 and cfg["max_warmup_steps_from"] == "warmup_steps=0.5 of 60"
    assert cfg["threshold"] == 0.25 and cfg["check_interval"] == 5 and cfg["decay"] == "cosine"
    assert report["end_reason"] in ("stable", "bound") and report["warmup_end_step"] <= 30
    # S only where it was measured: one entry per check, at multiples of the check interval, up to the end
    steps = [c["step"] for c in report["checks"]]
    assert steps and all(s % 5 == 0 for s in steps) and steps == sorted(set(steps))
    assert max(steps) <= report["warmup_end_step"]
    assert all(c["lr"] is not None and 0 < c["lr"] <= 3e-3 for c in report["checks"])
    # the LR at every step 0..T, peaking at the warmup end
    assert report["lr_points"] == "step" and [s for s, _ in report["lr"]] == list(range(1, 61))
    assert max(lr for _, lr in report["lr"]) == pytest.approx(3e-3 * report["peak_fraction"])
    assert _png_size(out / "warmup.png") == (840, 480)
    # the start line at the first step, and the end line, on the default log level
    assert "adaptive_warmup: M=30 (from warmup_steps=0.5 of 60), threshold 0.25, checks every 5 steps, fastest " \
           "ramp 12 steps, ends at the edge if coherence < 0.7 and S < -0.3 on 2 checks in a row (the LR held " \
           "meanwhile), decay cosine to 0.1, T=60" in stderr
    assert stderr.count("adaptive_warmup: M=30") == 1
    assert f"warmup ended at step {report['warmup_end_step']} of 60" in stderr
    # where the warmup's steps went, checked against the LR trace: the peak is first used by update P + 1, and the
    # fastest ramp R = 12 (0.4 · M) reaches it after R - 1 steps, so the checks slowed it by P - (R - 1) steps
    end, peak = report["warmup_end_step"], 3e-3
    first_at_peak = next(s for s, lr in report["lr"] if lr >= peak * (1 - 1e-9)) - 1
    if report["end_reason"] == "stable":
        assert report["peak_step"] == first_at_peak <= end
        assert report["ramp_slowed_steps"] == first_at_peak - 11
        assert (f"of its {end} steps, {11} at the fastest ramp's pace (min_warmup_steps=12, from 0.4 × "
                f"max_warmup_steps, max_warmup_steps from warmup_steps=0.5 of 60: a share of T, not set by the "
                f"statistic), {first_at_peak - 11} slowed or held by the checks and {end - first_at_peak} at the "
                "peak while the checks confirmed it") in stderr
    # the Trainer's card keeps what the Trainer wrote and gets one warmup section with the picture
    card = (out / "README.md").read_text()
    assert "library_name: transformers" in card and "### Framework versions" in card
    assert card.count(SECTION_START) == 1 and card.count(SECTION_END) == 1 and "## Warmup" in card
    assert "](warmup.png)" in card and f"Warmup ended at step {report['warmup_end_step']}**" in card


def test_card_section_is_idempotent(user_run: tuple[Path, str], tmp_path: Path, capsys) -> None:
    from hf_warmup import cli

    out, _ = user_run
    card = tmp_path / "README.md"
    card.write_text((out / "README.md").read_text())
    before = card.read_text()
    meta = read_front_matter(card)
    assert cli.main(["card", str(tmp_path)]) == 2  # no report next to this copy yet
    assert "warmup.json" in capsys.readouterr().err
    (tmp_path / "warmup.json").write_text((out / "warmup.json").read_text())
    for _ in range(2):  # `hf-warmup card DIR`, twice
        assert cli.main(["card", str(tmp_path)]) == 0
    text = card.read_text()  # one section; no picture next to this copy, so no link to it
    assert text.count(SECTION_START) == 1 and "](warmup.png)" not in text
    report = json.loads((out / "warmup.json").read_text())
    add_warmup_section(str(card), report)  # and the library call, with the picture
    after = card.read_text()
    assert after.count(SECTION_START) == 1 and after.count("](warmup.png)") == 1
    assert read_front_matter(card) == meta
    assert after.split(SECTION_START)[0] == before.split(SECTION_START)[0]


def _train(out: Path, model, data, steps: int, name: str = "adaptive_warmup", resume: str | None = None,
           save_steps: int | None = None, **kw):
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=str(out), max_steps=steps, per_device_train_batch_size=8, learning_rate=3e-3,
        lr_scheduler_type=name, logging_steps=kw.pop("logging_steps", 2), report_to=kw.pop("report_to", "none"),
        save_strategy="steps" if save_steps else "no", save_steps=save_steps or 500, use_cpu=True, seed=0,
        dataloader_pin_memory=False, **kw,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data)
    trainer.train(resume_from_checkpoint=resume)
    return trainer


# threshold 1e-9 with decrease_weight 1: any change of the second moments holds the ramp at its slowest pace, so the
# warmup never counts as stable and ends at the bound
KW = {"check_interval": 2, "patience": 2, "max_warmup_steps": 14, "threshold": 1e-9, "decrease_weight": 1.0}


def test_resumed_run_report_covers_the_whole_run(tmp_path, tiny_lm_factory, tiny_lm_dataset, single_thread) -> None:
    full = _train(tmp_path / "full", tiny_lm_factory(0), tiny_lm_dataset, 20, lr_scheduler_kwargs=KW)
    split = tmp_path / "split"
    _train(split, tiny_lm_factory(0), tiny_lm_dataset, 20, lr_scheduler_kwargs=KW, save_steps=8)
    (split / "warmup.json").unlink()
    _train(split, tiny_lm_factory(0), tiny_lm_dataset, 20, lr_scheduler_kwargs=KW,
           resume=str(split / "checkpoint-8"))
    a = json.loads((tmp_path / "full" / "warmup.json").read_text())
    b = json.loads((split / "warmup.json").read_text())
    assert [c["step"] for c in b["checks"]] == [c["step"] for c in a["checks"]]
    assert b["checks"][0]["step"] < 8 < b["checks"][-1]["step"]  # checks from before and after the resume
    assert [s for s, _ in b["lr"]] == list(range(1, 21))
    assert [lr for _, lr in b["lr"]] == pytest.approx([lr for _, lr in a["lr"]], rel=1e-6)
    assert b["end_reason"] == a["end_reason"] == "bound" and b["warmup_end_step"] == 14
    assert [s for s, _ in b["loss"]][0] == 2  # the loss logged before the resume is in the report too
    assert full.state.global_step == 20


def test_tensorboard_event_files(tmp_path, tiny_lm, tiny_lm_dataset, single_thread) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    kw = {"check_interval": 2, "patience": 1, "max_warmup_steps": 12, "threshold": 1e9, "min_warmup_steps": 5}
    trainer = _train(tmp_path / "tb", tiny_lm, tiny_lm_dataset, 16, report_to="tensorboard", logging_steps=1,
                     lr_scheduler_kwargs=kw)
    sched = trainer.lr_scheduler
    report = json.loads((tmp_path / "tb" / "warmup.json").read_text())
    # the Trainer's default TensorBoard folder (output_dir/runs/...; logging_dir before transformers 5)
    [run_dir] = {os.path.dirname(str(p)) for p in (tmp_path / "tb").rglob("events.out.tfevents.*")}
    acc = EventAccumulator(run_dir)
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert "train/warmup_statistic" in tags and "train/warmup_end_step" in tags, tags
    stat_steps = [e.step for e in acc.Scalars("train/warmup_statistic")]
    # logged once per check (logging_steps=1), never between checks and never after the end
    assert stat_steps == [c["step"] for c in report["checks"]]
    assert [e.value for e in acc.Scalars("train/warmup_statistic")] == \
           pytest.approx([c["statistic"] for c in report["checks"]], rel=1e-4)  # float32 in the event file
    # the coherence φ beside S at the same checks, and the fraction of the peak the decay started from
    assert [e.step for e in acc.Scalars("train/warmup_coherence")] == stat_steps
    assert [e.value for e in acc.Scalars("train/warmup_coherence")] == \
           pytest.approx([c["coherence"] for c in report["checks"]], rel=1e-4)
    [fraction] = acc.Scalars("train/warmup_peak_fraction")
    assert fraction.value == pytest.approx(report["peak_fraction"]) and report["peak_fraction"] == sched.peak_fraction
    [end] = acc.Scalars("train/warmup_end_step")
    # threshold 1e9: g = 1, the ramp runs at its fastest pace (R = min_warmup_steps = 5: ω = 1 from step 4), and
    # the check at step 4 finds it at the peak and ends the warmup there (no hand-off)
    assert sched.end_reason == "stable" and end.step == sched.warmup_end_step == 4
    assert end.value == sched.warmup_end_step == 4


@pytest.mark.parametrize("name", ["linear_warmup", "untuned_exponential_warmup", "linear"])
def test_fixed_and_builtin_schedules_get_an_lr_report(name, tmp_path, tiny_lm, tiny_lm_dataset, single_thread):
    _train(tmp_path / name, tiny_lm, tiny_lm_dataset, 6, name=name, warmup_steps=2,
           adam_beta2=0.8, lr_scheduler_kwargs={})
    report = json.loads((tmp_path / name / "warmup.json").read_text())
    assert report["adaptive"] is False and report["checks"] == [] and report["end_reason"] == "fixed"
    assert [s for s, _ in report["lr"]] == list(range(1, 7))
    assert report["warmup_end_step"] == {"linear_warmup": 2, "untuned_exponential_warmup": 5, "linear": 2}[name]
    assert _png_size(tmp_path / name / "warmup.png") == (840, 480)


def _report(adaptive: bool, **config) -> dict:
    return {"schedule": config.pop("schedule"), "adaptive": adaptive, "config": config,
            "num_training_steps": config.pop("T", 300)}


START_LINES = [
    (_report(True, schedule="adaptive_warmup", max_warmup_steps=30, max_warmup_steps_from="warmup_steps=0.1 of 300",
             threshold=0.05, check_interval=10, decay="cosine", min_lr_ratio=0.1),
     "adaptive_warmup: M=30 (from warmup_steps=0.1 of 300), threshold 0.05, checks every 10 steps, decay cosine "
     "to 0.1, T=300"),
    (_report(True, schedule="adaptive_warmup", max_warmup_steps=150,
             max_warmup_steps_from="default min(round(2/(1-β2)), round(0.5·T))", threshold=0.05, check_interval=10,
             decay="linear", min_lr_ratio=0.0),
     "adaptive_warmup: M=150 (from default min(round(2/(1-β2)), round(0.5·T))), threshold 0.05, checks every 10 "
     "steps, decay linear to 0, T=300"),
    (_report(True, schedule="adaptive_warmup", max_warmup_steps=0, max_warmup_steps_from="lr_scheduler_kwargs",
             fitted_to_num_training_steps=True, requested_max_warmup_steps=50, check_interval=10, decay="linear",
             T=1),
     "adaptive_warmup: M=0 (from lr_scheduler_kwargs), shortened from 50 to fit T=1, no threshold, checks every "
     "10 steps, decay linear to 0, T=1"),
    (_report(False, schedule="linear_warmup", num_warmup_steps=30, warmup_length=[30],
             warmup_length_from=["warmup_steps=0.1 of 300"], decay="linear", min_lr_ratio=0.0),
     "linear_warmup: W=30 (from warmup_steps=0.1 of 300), L=30 (decay start = W), decay linear to 0, T=300"),
    (_report(False, schedule="untuned_linear_warmup", num_warmup_steps=30, warmup_length=[200],
             warmup_length_from=["β2=0.99: round(2/(1-β2))"], decay="constant", min_lr_ratio=0.0),
     "untuned_linear_warmup: L=200 (from β2=0.99: round(2/(1-β2))), W=30 ignored, no decay, T=300"),
]


@pytest.mark.parametrize("report, line", START_LINES)
def test_start_line(report, line) -> None:
    assert start_line(report) == line


README_START = [  # (lr_scheduler_type, warmup_steps, β2, lr_scheduler_kwargs) of each start line the README shows
    ("adaptive_warmup", 0.1, 0.999, {"decay": "cosine", "min_lr_ratio": 0.1}),
    ("adaptive_warmup", 0, 0.999, {}),
    ("linear_warmup", 0.1, 0.999, {}),
    ("linear_warmup", 0, 0.999, {"warmup_epochs": 1}),  # in a Trainer with README_STEPS_PER_EPOCH steps per epoch
    ("untuned_linear_warmup", 0.1, 0.99, {"decay": "constant"}),
]
README_STEPS_PER_EPOCH = 100


def test_readme_start_lines_are_what_the_package_prints(tmp_path) -> None:
    """The example start lines in the README (T = 300) are the package's own, number for number."""
    import torch
    from transformers import TrainingArguments, get_scheduler

    from hf_warmup.epochs import TrainerCount, trainer_steps_per_epoch
    from hf_warmup.report import start_info

    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("It says what the run actually uses:"):].split("```")[1]
    shown = [line.strip() for line in block.splitlines() if line.strip()]
    made = []
    for name, warmup, beta2, kwargs in README_START:
        args = TrainingArguments(output_dir=str(tmp_path), warmup_steps=warmup, max_steps=300,
                                 lr_scheduler_type=name, lr_scheduler_kwargs=kwargs, report_to="none")
        opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(4))], lr=1e-3, betas=(0.9, beta2))
        with trainer_steps_per_epoch(TrainerCount(README_STEPS_PER_EPOCH)):
            sched = get_scheduler(name, opt, num_warmup_steps=args.get_warmup_steps(300), num_training_steps=300,
                                  scheduler_specific_kwargs=kwargs)
        made.append(start_line(start_info(sched, args, 300)))
    assert shown == made


def test_end_line_reasons() -> None:
    base = {"schedule": "adaptive_warmup", "adaptive": True, "num_training_steps": 100, "threshold": 0.05,
            "config": {"max_warmup_steps": 40}, "statistic_at_end": 0.01}
    assert "(stable): the ramp had reached the peak LR and the second moments kept up" in end_line(
        {**base, "warmup_end_step": 35, "end_reason": "stable"})
    assert "reached the bound max_warmup_steps=40" in end_line({**base, "warmup_end_step": 40, "end_reason": "bound"})
    assert "had not ended" in end_line({**base, "warmup_end_step": None, "global_step": 20})
    assert "no threshold" in end_line({**base, "threshold": None, "warmup_end_step": 40, "end_reason": "bound"})


LONG_RUN = {"schedule": "adaptive_warmup", "adaptive": True, "num_training_steps": 30000, "threshold": 0.25,
            "statistic_at_end": 0.01, "end_reason": "stable", "warmup_end_step": 6210, "peak_step": 6020,
            "ramp_slowed_steps": 21,
            "config": {"max_warmup_steps": 15000, "max_warmup_steps_from": "0.5 × num_training_steps=30000",
                       "min_warmup_steps": 6000, "min_warmup_steps_from": "0.4 × max_warmup_steps", "patience": 2}}


def test_the_end_line_says_what_set_the_warmup_length() -> None:
    """A 30,000-step run whose statistic never slowed the ramp: the end line says that T set its length (the fastest
    ramp R = 0.4 · M, M = 0.5 · T), not only that the second moments kept up at the end."""
    line = end_line(LONG_RUN)
    assert line.startswith("adaptive_warmup: warmup ended at step 6210 of 30000 (stable): the ramp had reached")
    assert line.endswith("; of its 6,210 steps, 5,999 at the fastest ramp's pace (min_warmup_steps=6000, from 0.4 × "
                         "max_warmup_steps, max_warmup_steps from 0.5 × num_training_steps=30000: a share of T, not "
                         "set by the statistic), 21 slowed or held by the checks and 190 at the peak while the checks "
                         "confirmed it")
    # R from the user, or from β2: no share of T is claimed
    given = {**LONG_RUN, "config": {**LONG_RUN["config"], "min_warmup_steps_from": "lr_scheduler_kwargs"}}
    assert end_line(given).endswith("(min_warmup_steps=6000, from lr_scheduler_kwargs), 21 slowed or held by the "
                                    "checks and 190 at the peak while the checks confirmed it")
    horizons = {**LONG_RUN, "config": {**LONG_RUN["config"], "min_warmup_steps": 40, "min_warmup_steps_from":
                                       "2 / (1-β2) with β2=0.95 (< 0.4 × max_warmup_steps)"}}
    assert "share of T" not in end_line(horizons)
    # the bound capped by max_warmup_horizons on a run much longer than 10/(1-β2): set by β2, not a share of T
    m, m_from = default_max_warmup(0, 30000, 0.95, horizons=10.0)
    capped = {**LONG_RUN, "warmup_end_step": 100, "peak_step": 90, "ramp_slowed_steps": 10,
              "config": {**LONG_RUN["config"], "max_warmup_steps": m, "max_warmup_steps_from": m_from,
                         "min_warmup_steps": round(0.4 * m)}}
    assert m == 200 and "share of T" not in end_line(capped), end_line(capped)
    assert end_line(capped).endswith("(min_warmup_steps=80, from 0.4 × max_warmup_steps, max_warmup_steps from "
                                     "10 / (1-β2) with β2=0.95 (< 0.5 × num_training_steps)), 10 "
                                     "slowed or held by the checks and 10 at the peak while the checks confirmed it")
    # an edge end never reached the peak: every step is the climb, none at the peak
    edge = {**LONG_RUN, "end_reason": "edge", "warmup_end_step": 70, "peak_step": None, "ramp_slowed_steps": 25,
            "peak_fraction": 0.7, "peak_lr": [0.03], "coherence_at_end": 0.5, "coherence_threshold": 0.7}
    assert end_line(edge).endswith("; of its 70 steps, 45 at the fastest ramp's pace (min_warmup_steps=6000, from "
                                   "0.4 × max_warmup_steps, max_warmup_steps from 0.5 × num_training_steps=30000: a "
                                   "share of T, not set by the statistic) and 25 slowed or held by the checks")
    bound = {**LONG_RUN, "end_reason": "bound", "warmup_end_step": 15000}
    assert end_line(bound).endswith("and 8,980 at the peak until the bound")
    # a report written before these numbers existed keeps its end line as it was
    old = {k: v for k, v in LONG_RUN.items() if k not in ("peak_step", "ramp_slowed_steps")}
    assert "of its" not in end_line(old) and end_line(old).endswith("threshold 0.25)")


@pytest.mark.parametrize("reason", ["stable", "bound", None, "fixed"])
def test_warmup_markdown_for_every_end_reason(reason) -> None:
    from hf_warmup.card import warmup_markdown

    checks = [{"step": s, "statistic": v, "lr": 1e-3} for s, v in [(5, 0.5), (10, 0.05), (15, 0.04), (20, 0.031)]]
    report = {"schedule": "adaptive_warmup", "adaptive": reason != "fixed", "num_training_steps": 100,
              "global_step": 100, "threshold": 0.05, "lr_scheduler_kwargs": {}, "warmup_steps_arg": 0,
              "config": {"max_warmup_steps": 40, "check_interval": 5, "patience": 3, "threshold": 0.05,
                         "warmup_length": [15]},
              "warmup_end_step": None if reason is None else 25,
              "end_reason": reason, "checks": checks}
    text = warmup_markdown(report)
    if reason == "stable":
        assert "**Warmup ended at step 25**" in text and "reached the peak LR" in text
        assert "the last 3 S values 0.05, 0.04, 0.031, each letting the ramp move; threshold 0.05" in text
    elif reason == "bound":
        assert "end_reason `bound`" in text and "max_warmup_steps = 40" in text
    elif reason is None:
        assert "**not ended**" in text
    else:
        assert "Fixed warmup" in text and "step 25" in text


def test_the_legend_of_warmup_png_is_never_cut_at_the_edge(tmp_path: Path) -> None:
    """The longest legend entry (an edge end with its peak fraction, at a six-digit step) stays inside the
    840 x 480 picture: the outermost pixel columns and the bottom rows hold only background. The legend used to be
    centred on the axes, which the right axis's label pushes left, and ran off the right edge of the card's PNG."""
    import matplotlib.image
    import numpy as np

    from hf_warmup.plotting import plot_report

    report = json.loads((ROOT / "model_cards" / "kjv-char-gpt2-adaptive-warmup.warmup.json").read_text())
    report.update(end_reason="edge", peak_fraction=0.123456, warmup_end_step=123456, global_step=600000)
    png = tmp_path / "warmup.png"
    plot_report(report, str(png))
    img = np.round(matplotlib.image.imread(str(png))[..., :3] * 255)
    assert img.shape[:2] == (480, 840)
    white = np.array([255, 255, 255])
    for name, strip in (("left", img[:, :3]), ("right", img[:, -3:]), ("bottom", img[-3:, :])):
        assert (strip == white).all(), f"ink in the {name} edge of the picture: the legend is cut"
