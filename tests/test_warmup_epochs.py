"""``lr_scheduler_kwargs={"warmup_epochs": N}``: the warmup in epochs of the Trainer's own optimizer steps.

* 2 processes (``torchrun`` of ``python -m hf_warmup tests/epochs_worker.py``), 48 examples, batch 2 per process,
  gradient accumulation 2: 48 / (2 · 2 · 2) = 6 optimizer steps per epoch, as the Trainer counts them (its logged
  ``epoch`` reaches 1.0 at step 6); ``warmup_epochs=1`` ends the warmup there, at every step's LR of
  ``linear_warmup`` over 6 steps, the first included; a run resumed from step 4 keeps it.
* 1 process (in this one): ``adaptive_warmup``'s bound in epochs; an ``IterableDataset`` without a length;
  ``warmup_steps`` and ``warmup_epochs`` together.
* No Trainer: ``transformers.get_scheduler`` without ``steps_per_epoch`` fails before any step, with it the length
  is ``ceil(warmup_epochs · steps_per_epoch)`` (fractions too); bad values name the kwarg; a checkpoint keeps the
  resolved length.
"""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import SUBPROCESS_TIMEOUT_S, make_tiny_lm, make_tiny_lm_dataset
from launchers import torchrun, worker_env
from transformers import Trainer, TrainingArguments, get_scheduler

from hf_warmup import ScheduleConfigError, get_warmup_schedule

WORKER = Path(__file__).with_name("epochs_worker.py")
ROWS, PROCS, BATCH, ACCUM = 48, 2, 2, 2  # ROWS as in epochs_worker
PEAK = 1e-3


def optimizer() -> torch.optim.Optimizer:
    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(3))], lr=PEAK)


def lrs_of(sched: Any, steps: int) -> list[float]:
    """The LR of each of ``steps`` optimizer updates (what the Trainer logs as ``learning_rate``)."""
    out = []
    for _ in range(steps):
        out.append(sched.get_last_lr()[0])
        sched.optimizer.step()
        sched.step()
    return out


@pytest.mark.slow
def test_two_processes_accumulation_two_warm_up_for_one_epoch_and_resume_keeps_it(tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    flags = ["--output_dir", str(tmp_path / "run"), "--lr_scheduler_type", "linear_warmup",
             "--lr_scheduler_kwargs", '{"warmup_epochs": 1}', "--per_device_train_batch_size", str(BATCH),
             "--gradient_accumulation_steps", str(ACCUM), "--num_train_epochs", "2", "--learning_rate", str(PEAK),
             "--logging_steps", "1", "--save_steps", "4", "--report_to", "none", "--use_cpu", "--seed", "0",
             "--disable_tqdm", "true"]
    proc = subprocess.run([*torchrun(PROCS), "-m", "hf_warmup", str(WORKER), str(out), *flags],
                          env=worker_env(tmp_path), capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    runs = json.loads(out.read_text())
    per_epoch = ROWS // (PROCS * BATCH * ACCUM)
    assert per_epoch == 6
    full = runs["full"]
    logged = [e for e in full["log_history"] if "learning_rate" in e]
    trainer_per_epoch = next(e["step"] for e in logged if math.isclose(e["epoch"], 1.0))  # the Trainer's own count
    assert trainer_per_epoch == per_epoch and full["max_steps"] == 2 * per_epoch
    report = full["report"]
    assert report["warmup_end_step"] == per_epoch
    assert set(report["config"]["warmup_length_from"]) == {f"warmup_epochs=1 × {per_epoch} steps per epoch"}
    assert f"W={per_epoch} (from warmup_epochs=1 × {per_epoch} steps per epoch)" in proc.stderr
    # every step's LR, the first included, is linear_warmup's over one epoch
    expected = lrs_of(get_warmup_schedule("linear_warmup", optimizer(), per_epoch, 2 * per_epoch), 2 * per_epoch)
    assert [e["learning_rate"] for e in logged] == pytest.approx(expected, rel=1e-6)
    assert max(expected) == pytest.approx(PEAK) and expected.index(max(expected)) == per_epoch - 1
    resumed = runs["resumed"]
    resumed_start = rf"W={per_epoch} \(from warmup_epochs=1 × {per_epoch} steps per epoch\).*\(resumed at step 4\)"
    assert re.search(resumed_start, proc.stderr)  # the resumed run's start line
    assert resumed["report"]["warmup_end_step"] == per_epoch
    assert [e["learning_rate"] for e in resumed["log_history"] if "learning_rate" in e] == pytest.approx(
        expected, rel=1e-6)


def trainer(tmp_path: Path, data: Any, **kwargs: Any) -> Trainer:
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=BATCH,
                             gradient_accumulation_steps=ACCUM, learning_rate=PEAK, report_to=[],
                             save_strategy="no", use_cpu=True, disable_tqdm=True, **kwargs)
    return Trainer(model=make_tiny_lm(), args=args, train_dataset=data)


def test_adaptive_bound_in_epochs(tmp_path: Path, single_thread: None) -> None:
    # 12 examples, batch 2, accumulation 2, 1 process: 3 optimizer steps per epoch, M = 2 epochs = 6 steps
    t = trainer(tmp_path, make_tiny_lm_dataset(rows=12), num_train_epochs=4, lr_scheduler_type="adaptive_warmup",
                lr_scheduler_kwargs={"warmup_epochs": 2})
    t.train()
    assert t.state.max_steps == 12
    config = t.lr_scheduler.describe_config()
    assert config["max_warmup_steps"] == 6
    assert config["max_warmup_steps_from"] == "warmup_epochs=2 × 3 steps per epoch"
    assert t.lr_scheduler.warmup_end_step is not None and t.lr_scheduler.warmup_end_step <= 6


class Endless(torch.utils.data.IterableDataset):
    """Token ids without a length: the Trainer cannot know its epoch."""

    def __iter__(self) -> Any:
        rows = make_tiny_lm_dataset(rows=8)
        while True:
            yield from rows


def test_iterable_dataset_without_length(tmp_path: Path, single_thread: None) -> None:
    t = trainer(tmp_path, Endless(), max_steps=3, lr_scheduler_type="linear_warmup",
                lr_scheduler_kwargs={"warmup_epochs": 1})
    with pytest.raises(ScheduleConfigError) as err:
        t.train()
    message = str(err.value)
    assert "has no length" in message
    assert all(word in message for word in ("'warmup_epochs'", "warmup_steps", "'steps_per_epoch'"))
    assert t.state.global_step == 0
    # the way out: steps_per_epoch given
    t = trainer(tmp_path, Endless(), max_steps=3, lr_scheduler_type="linear_warmup",
                lr_scheduler_kwargs={"warmup_epochs": 1, "steps_per_epoch": 2})
    t.train()
    assert set(t.lr_scheduler.describe_config()["warmup_length"]) == {2}  # both param groups


def test_warmup_steps_and_warmup_epochs_together_fail_in_the_trainer(tmp_path: Path) -> None:
    t = trainer(tmp_path, make_tiny_lm_dataset(rows=12), warmup_steps=2, lr_scheduler_type="linear_warmup",
                lr_scheduler_kwargs={"warmup_epochs": 1})
    with pytest.raises(ScheduleConfigError, match=r"warmup_steps=2 and lr_scheduler_kwargs\['warmup_epochs'\]=1"):
        t.train()


@pytest.mark.parametrize("name", ["linear_warmup", "constant_warmup", "exponential_warmup", "adaptive_warmup"])
def test_plain_loop_needs_steps_per_epoch(name: str) -> None:
    with pytest.raises(ScheduleConfigError) as err:
        get_scheduler(name, optimizer(), num_warmup_steps=0, num_training_steps=20,
                      scheduler_specific_kwargs={"warmup_epochs": 1})
    message = str(err.value)
    assert message.startswith(f"{name}: lr_scheduler_kwargs['warmup_epochs']=1 needs the number of optimizer steps")
    assert "warmup_steps" in message and "'steps_per_epoch'" in message


@pytest.mark.parametrize(("epochs", "per_epoch", "length"), [(1, 4, 4), (0.5, 5, 3), (0.1, 30, 3), ("2", 3, 6)])
def test_plain_loop_with_steps_per_epoch(epochs: Any, per_epoch: int, length: int) -> None:
    sched = get_scheduler("linear_warmup", optimizer(), num_warmup_steps=0, num_training_steps=20,
                          scheduler_specific_kwargs={"warmup_epochs": epochs, "steps_per_epoch": per_epoch})
    assert sched.describe_config()["warmup_length_from"] == [f"warmup_epochs={float(epochs):g} × "
                                                             f"steps_per_epoch={per_epoch}"]
    assert lrs_of(sched, 20) == lrs_of(get_warmup_schedule("linear_warmup", optimizer(), length, 20), 20)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"warmup_epochs": 0}, "lr_scheduler_kwargs['warmup_epochs']=0 is not allowed"),
    ({"warmup_epochs": -1}, "lr_scheduler_kwargs['warmup_epochs']=-1 is not allowed"),
    ({"warmup_epochs": float("nan")}, "lr_scheduler_kwargs['warmup_epochs']=nan is not allowed"),
    ({"warmup_epochs": "one"}, "lr_scheduler_kwargs['warmup_epochs']='one' is not allowed"),
    ({"warmup_epochs": 1, "steps_per_epoch": 0}, "lr_scheduler_kwargs['steps_per_epoch']=0 is not allowed"),
    ({"warmup_epochs": 1, "steps_per_epoch": 2.5}, "lr_scheduler_kwargs['steps_per_epoch']=2.5 is not allowed"),
    ({"steps_per_epoch": 4}, "lr_scheduler_kwargs['steps_per_epoch']=4 applies only with 'warmup_epochs'"),
])
def test_bad_values_name_the_kwarg(kwargs: dict[str, Any], needle: str) -> None:
    for name in ("linear_warmup", "adaptive_warmup"):
        with pytest.raises(ScheduleConfigError) as err:
            get_scheduler(name, optimizer(), num_warmup_steps=0, num_training_steps=20,
                          scheduler_specific_kwargs=kwargs)
        assert needle in str(err.value)


@pytest.mark.parametrize(("name", "other"), [("linear_warmup", "warmup_steps=5"),
                                             ("adaptive_warmup", "warmup_steps=5")])
def test_both_lengths_name_both(name: str, other: str) -> None:
    with pytest.raises(ScheduleConfigError, match=rf"{other} and lr_scheduler_kwargs\['warmup_epochs'\]=1 both"):
        get_scheduler(name, optimizer(), num_warmup_steps=5, num_training_steps=20,
                      scheduler_specific_kwargs={"warmup_epochs": 1, "steps_per_epoch": 4})


def test_adaptive_bound_and_max_warmup_steps_name_both() -> None:
    with pytest.raises(ScheduleConfigError, match=r"'max_warmup_steps'\]=8 and lr_scheduler_kwargs\['warmup_epochs'"):
        get_scheduler("adaptive_warmup", optimizer(), num_warmup_steps=0, num_training_steps=20,
                      scheduler_specific_kwargs={"warmup_epochs": 1, "steps_per_epoch": 4, "max_warmup_steps": 8})


def test_beta2_schedules_do_not_take_warmup_epochs() -> None:
    with pytest.raises(ScheduleConfigError, match="unknown lr_scheduler_kwargs key 'warmup_epochs'"):
        get_scheduler("untuned_linear_warmup", optimizer(), num_warmup_steps=0, num_training_steps=20,
                      scheduler_specific_kwargs={"warmup_epochs": 1})


@pytest.mark.parametrize("name", ["linear_warmup", "exponential_warmup"])
def test_checkpoint_keeps_the_resolved_length(name: str) -> None:
    """Resumed with another steps per epoch (say, more processes), the run keeps the length it started with."""
    first = get_scheduler(name, optimizer(), num_warmup_steps=0, num_training_steps=20,
                          scheduler_specific_kwargs={"warmup_epochs": 1, "steps_per_epoch": 6})
    reference = lrs_of(get_scheduler(name, optimizer(), num_warmup_steps=6, num_training_steps=20), 20)
    assert lrs_of(first, 4) == reference[:4]
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    resumed = get_scheduler(name, optimizer(), num_warmup_steps=0, num_training_steps=20,
                            scheduler_specific_kwargs={"warmup_epochs": 1, "steps_per_epoch": 3})
    resumed.load_state_dict(state)
    assert resumed.describe_config()["warmup_length"] == [6]
    assert resumed.describe_config()["warmup_length_from"] == ["warmup_epochs=1 × steps_per_epoch=6"]
    assert lrs_of(resumed, 16) == pytest.approx(reference[4:], rel=1e-12)


def test_registering_again_wraps_the_trainer_once() -> None:
    import hf_warmup

    hf_warmup.register()
    for name in ("set_initial_training_values", "create_scheduler", "create_model_card"):
        method = getattr(Trainer, name)
        assert method._hf_warmup_wrapped and not getattr(method.__wrapped__, "_hf_warmup_wrapped", False)


@pytest.mark.parametrize("kwargs", [{"warmup_epochs": 1}, {"min_warmup_steps": 50, "max_warmup_steps": 10}])
def test_a_refused_adaptive_config_leaves_no_hook_on_the_optimizer(kwargs: dict[str, Any]) -> None:
    """Every kwarg is checked before the second-moment monitor registers its step hook on the optimizer, so a
    config refused before step 1 (retried in the same process, e.g. a notebook) leaves the optimizer as it was."""
    opt = optimizer()
    with pytest.raises(ScheduleConfigError):
        get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=100,
                      scheduler_specific_kwargs=kwargs)
    assert not opt._optimizer_step_post_hooks
