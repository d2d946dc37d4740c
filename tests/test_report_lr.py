"""The report draws the LR the optimizer used: ``warmup.json``'s ``lr`` equals the ``learning_rate`` the Trainer
logged at every step (``logging_steps=1``) and each check's ``lr``, for ``adaptive_warmup`` (a ramp of several
paces, a run resumed in the middle of its ramp, an end at the edge) and for fixed schedules; and the picture a
user looks at, ``warmup.png``, draws that curve (read back from its pixels).

Tiny GPT-2 runs of 24 steps through the real Trainer (a few seconds each).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import torch
from matplotlib.colors import to_rgb
from pngcheck import colour_rows

from hf_warmup.adaptive import MAX_HISTORY, MAX_RAMP_KNOTS, AdaptiveWarmupLR, thin_knots
from hf_warmup.decays import Decay
from hf_warmup.plotting import LR_COLOUR, REPORT_DPI, report_figure
from hf_warmup.report import length_clause, ramp_account

STEPS = 24
# λ = 1 and τ = 4: every check's Ŝ (negative early on) sets a different pace, so the ramp has several segments
RAMP = {"check_interval": 2, "max_warmup_steps": 16, "min_warmup_steps": 12, "decrease_weight": 1.0, "threshold": 4.0}
# a peak far too high for the model: the momentum turns incoherent while the second moments shrink
EDGE = {"check_interval": 1, "max_warmup_steps": 16, "coherence_threshold": 1.0, "shrink_threshold": 0.0,
        "edge_min_steps": 1}  # the edge on E = 2 checks of 1 step: this test reads the report, not the rule


def _train(out: Path, model: Any, data: Any, name: str, kwargs: dict[str, Any], lr: float = 3e-3,
           resume: str | None = None, save_steps: int | None = None, **extra: Any) -> Any:
    from transformers import Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=str(out), max_steps=STEPS, per_device_train_batch_size=8, learning_rate=lr,
        lr_scheduler_type=name, lr_scheduler_kwargs=kwargs, logging_steps=1, report_to="none",
        save_strategy="steps" if save_steps else "no", save_steps=save_steps or 500, use_cpu=True, seed=0,
        dataloader_pin_memory=False, **extra,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data)
    trainer.train(resume_from_checkpoint=resume)
    return trainer


def _logged_lrs(trainer: Any) -> list[float]:
    """The ``learning_rate`` the Trainer logged at steps 1..STEPS (from the restored history after a resume)."""
    logged = {e["step"]: e["learning_rate"] for e in trainer.state.log_history if "learning_rate" in e}
    assert sorted(logged) == list(range(1, STEPS + 1))
    return [logged[s] for s in range(1, STEPS + 1)]


def _assert_report_is_the_trained_lr(out: Path, trainer: Any) -> dict[str, Any]:
    report = json.loads((out / "warmup.json").read_text())
    assert report["lr_points"] == "step" and report["lr_exact"] is True
    assert [s for s, _ in report["lr"]] == list(range(1, STEPS + 1))
    lrs = [lr for _, lr in report["lr"]]
    assert lrs == pytest.approx(_logged_lrs(trainer), rel=1e-12, abs=0)
    for check in report["checks"]:  # the LR set right after a check is the next update's
        assert check["lr"] == pytest.approx(lrs[check["step"]], rel=1e-12)
    return report


@pytest.mark.parametrize("name", ["linear_warmup", "linear"])
def test_fixed_schedule_report_is_the_logged_lr(name, tmp_path, tiny_lm, tiny_lm_dataset, single_thread) -> None:
    trainer = _train(tmp_path, tiny_lm, tiny_lm_dataset, name, {}, warmup_steps=8)
    _assert_report_is_the_trained_lr(tmp_path, trainer)


def test_adaptive_report_is_the_logged_lr_at_every_step(tmp_path, tiny_lm, tiny_lm_dataset, single_thread) -> None:
    trainer = _train(tmp_path, tiny_lm, tiny_lm_dataset, "adaptive_warmup", RAMP)
    sched = trainer.lr_scheduler
    assert len(sched.ramp_knots) >= 4, sched.ramp_knots  # several paces: the path is more than its last segment
    report = _assert_report_is_the_trained_lr(tmp_path, trainer)
    lrs = [lr for _, lr in report["lr"]]
    assert lrs[0] < lrs[4] < max(lrs) == pytest.approx(3e-3)  # the ramp, not the peak from step 1
    _assert_png_draws(tmp_path, report)


def test_resumed_mid_ramp_report_is_the_logged_lr(tmp_path, tiny_lm_factory, tiny_lm_dataset, single_thread) -> None:
    first = _train(tmp_path, tiny_lm_factory(0), tiny_lm_dataset, "adaptive_warmup", RAMP, save_steps=7)
    assert first.lr_scheduler.warmup_end_step > 7  # the checkpoint is in the middle of the ramp
    (tmp_path / "warmup.json").unlink()
    resumed = _train(tmp_path, tiny_lm_factory(0), tiny_lm_dataset, "adaptive_warmup", RAMP, save_steps=7,
                     resume=str(tmp_path / "checkpoint-7"))
    _assert_report_is_the_trained_lr(tmp_path, resumed)
    assert resumed.lr_scheduler.ramp_knots == first.lr_scheduler.ramp_knots  # the whole path came back


def test_edge_end_report_is_the_logged_lr(tmp_path, tiny_lm, tiny_lm_dataset, single_thread) -> None:
    trainer = _train(tmp_path, tiny_lm, tiny_lm_dataset, "adaptive_warmup", EDGE, lr=0.1)
    sched = trainer.lr_scheduler
    assert sched.end_reason == "edge" and sched.peak_fraction < 1
    report = _assert_report_is_the_trained_lr(tmp_path, trainer)
    end = report["warmup_end_step"]
    assert max(lr for _, lr in report["lr"]) == pytest.approx(0.1 * report["peak_fraction"], rel=1e-12)
    assert report["lr"][end][1] == pytest.approx(0.1 * report["peak_fraction"], rel=1e-12)  # the decay's start


def _assert_png_draws(out: Path, report: dict[str, Any]) -> None:
    """The figure's LR line is the report's ``lr``, and the saved picture has the curve where those values are."""
    fig = report_figure(report)
    ax = fig.axes[0]
    assert [tuple(p) for p in ax.lines[0].get_xydata()] == [tuple(p) for p in report["lr"]]
    png = out / "drawn.png"
    fig.savefig(png, dpi=REPORT_DPI)
    height = fig.bbox.height
    box = ax.get_window_extent()
    rows = (round(height - box.y1) + 2, round(height - box.y0) - 2)
    rgb = tuple(round(255 * c) for c in to_rgb(LR_COLOUR))
    to_data = ax.transData.inverted()
    span = max(lr for _, lr in report["lr"])
    misses = []
    for step, lr in report["lr"]:
        x, _ = ax.transData.transform((step, lr))
        row = colour_rows(png, rgb, round(x), rows)
        if row is None:  # covered by a marker or the end line
            misses.append(step)
            continue
        _, drawn = to_data.transform((x, height - row))
        assert abs(drawn - lr) < 0.03 * span, (step, lr, drawn)
    assert len(misses) <= len(report["lr"]) // 4, misses


def test_ramp_path_is_bounded_and_exact_at_its_kept_knots() -> None:
    model = torch.nn.Linear(4, 4)
    opt = torch.optim.AdamW(model.parameters(), lr=1.0)
    sched = AdaptiveWarmupLR(opt, Decay("linear"), 10**6, 10**5)
    for i in range(1, 3 * MAX_RAMP_KNOTS):  # slopes alternating between two paces: every check adds a knot
        last = [i * 10, sched.progress(i * 10), (1.0 if i % 2 else 2.0) / 10**5]
        sched._add_knot(*last)
    knots = sched.ramp_knots
    assert len(knots) <= MAX_RAMP_KNOTS and sched.ramp_thinned >= 1
    assert knots[0][0] == 0 and knots[-1] == last  # the open segment, the LR from now on, is untouched
    for a, b in zip(knots, knots[1:]):  # straight lines between the kept knots: continuous
        assert a[1] + a[2] * (b[0] - a[0]) == pytest.approx(b[1], rel=1e-12)
    # where the steps went can then only be told approximately, and the end line says so
    account = ramp_account(sched, None, 3 * MAX_RAMP_KNOTS * 10)
    assert account["ramp_account_exact"] is False and account["peak_step"] is None
    report = {"warmup_end_step": 100, "ramp_slowed_steps": 40, "peak_step": 90, "end_reason": "stable",
              "config": {"min_warmup_steps": 50}, **{k: v for k, v in account.items() if k == "ramp_account_exact"}}
    assert length_clause(report).endswith("and 10 at the peak while the checks confirmed it (approximate: past "
                                          "pace changes were merged to keep the ramp's path bounded)")
    assert "approximate" not in length_clause({**report, "ramp_account_exact": True})
    kept = thin_knots([[0, 0.1, 0.01], [10, 0.2, 0.02], [20, 0.4, 0.03]])
    assert kept == [[0, 0.1, pytest.approx(0.015)], [20, 0.4, 0.03]]
    # the whole state, history and path both full, within the 64 KiB a checkpoint may take
    sched.check_history = [[float(i), 0.1, 0.5, 1.2] for i in range(MAX_HISTORY + 1)]
    buf = io.BytesIO()
    torch.save(sched.state_dict(), buf)
    assert len(buf.getvalue()) <= 64 * 1024
    design = Path(__file__).resolve().parents[1] / "docs" / "adaptive_warmup.md"  # where the bound is documented
    assert f"beyond {MAX_RAMP_KNOTS} (a run" in design.read_text()


def test_a_checkpoint_without_knots_resumes_its_current_segment() -> None:
    """A scheduler state of hf_warmup <= 0.1.0 (``anchor_step``, ``anchor_progress``, ``slope``: the current segment
    only) resumes the same LR from now on; the path before it is unknown, and the report says ``lr_exact: false``."""
    opt = torch.optim.AdamW(torch.nn.Linear(4, 4).parameters(), lr=1.0)
    sched = AdaptiveWarmupLR(opt, Decay("linear"), 1000, 100)
    sched._add_knot(30, sched.progress(30), 0.004)
    state = sched.state_dict()
    start, value, slope = state.pop("ramp_knots")[-1]
    del state["ramp_thinned"]
    state.update(anchor_step=start, anchor_progress=value, slope=slope)
    old = AdaptiveWarmupLR(torch.optim.AdamW(torch.nn.Linear(4, 4).parameters(), lr=1.0), Decay("linear"), 1000, 100)
    old.load_state_dict(state)
    assert [old.factor(t) for t in range(30, 100)] == [sched.factor(t) for t in range(30, 100)]
    assert old.ramp_thinned == 1


def test_a_skipped_fp16_step_falls_back_to_the_logged_lr(tmp_path: Path) -> None:
    """The Trainer does not step the scheduler on a step the grad scaler skipped; afterwards nobody knows which
    step that was, so the report draws the logged LRs and says ``lr_exact: false`` instead of a shifted curve."""
    from types import SimpleNamespace

    from transformers import TrainingArguments

    from hf_warmup.report import build_report

    opt = torch.optim.AdamW(torch.nn.Linear(4, 4).parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 4))
    for _ in range(9):  # 10 optimizer steps, one of them skipped
        opt.step()
        sched.step()
    history = [{"step": s, "learning_rate": 0.5, "loss": 1.0} for s in (5, 10)]
    state = SimpleNamespace(max_steps=10, global_step=10, log_history=history)
    args = TrainingArguments(output_dir=str(tmp_path), warmup_steps=4, report_to="none")
    report = build_report(sched, args, state)
    assert report["lr_points"] == "log" and report["lr_exact"] is False and report["lr"] == [[5, 0.5], [10, 0.5]]
    state.global_step = 9  # no step skipped: the exact curve
    assert build_report(sched, args, state)["lr_exact"] is True
