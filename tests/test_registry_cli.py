"""Registration with transformers, ``TrainingArguments`` / ``HfArgumentParser`` / ``get_scheduler`` by name, and
the ``hf-warmup`` command line (list, preview, plot, running an unmodified script)."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import SUBPROCESS_TIMEOUT_S
from pngcheck import assert_real_plot
from transformers import HfArgumentParser, TrainingArguments, get_scheduler, optimization, trainer
from transformers.trainer_utils import SchedulerType

import hf_warmup
from hf_warmup import cli
from hf_warmup.callback import WarmupDiagnosticsCallback
from hf_warmup.registry import is_registered

NAMES = [
    "linear_warmup",
    "constant_warmup",
    "exponential_warmup",
    "untuned_linear_warmup",
    "untuned_exponential_warmup",
    "radam_warmup",
    "adaptive_warmup",
]


def adamw(betas=(0.9, 0.99)):
    return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=1e-3, betas=betas)


def run_cli(args, cwd, timeout=SUBPROCESS_TIMEOUT_S):
    """Run ``hf-warmup ARGS`` (the console script when installed, else ``python -m hf_warmup``)."""
    script = Path(sys.executable).with_name("hf-warmup")
    cmd = [str(script), *args] if script.exists() else [sys.executable, "-m", "hf_warmup", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


# ----------------------------------------------------------------------------------------------- registration


def test_schedule_names():
    assert hf_warmup.SCHEDULE_NAMES == NAMES
    assert list(hf_warmup.SCHEDULES) == NAMES


def test_register_twice_is_harmless():
    before_members = list(SchedulerType)
    before_funcs = dict(optimization.TYPE_TO_SCHEDULER_FUNCTION)
    assert hf_warmup.register() == NAMES
    assert hf_warmup.register() == NAMES
    members = list(SchedulerType)
    assert members == before_members
    values = [m.value for m in members]
    assert len(values) == len(set(values)), "duplicate SchedulerType values after registering again"
    names = [m.name for m in members]
    assert len(names) == len(set(names))
    assert dict(optimization.TYPE_TO_SCHEDULER_FUNCTION) == before_funcs
    assert trainer.DEFAULT_CALLBACKS.count(WarmupDiagnosticsCallback) == 1
    for name in NAMES:
        assert values.count(name) == 1
        assert is_registered(name)
    # transformers' own schedules are untouched
    for builtin in ("linear", "cosine", "constant", "constant_with_warmup", "inverse_sqrt", "warmup_stable_decay"):
        assert builtin in values
    assert not is_registered("not_a_schedule")


@pytest.mark.parametrize("name", NAMES)
def test_scheduler_type_member(name):
    member = SchedulerType(name)
    assert member.value == name
    assert member == name  # a str enum
    assert SchedulerType[name.upper()] is member
    assert isinstance(member, SchedulerType)
    assert member in list(SchedulerType)
    assert optimization.TYPE_TO_SCHEDULER_FUNCTION[member] is hf_warmup.SCHEDULES[name].builder
    assert pickle.loads(pickle.dumps(member)) is member
    assert copy.deepcopy(member) is member


@pytest.mark.parametrize("name", NAMES)
def test_training_arguments_accept_name(name, tmp_path):
    args = TrainingArguments(
        output_dir=str(tmp_path), lr_scheduler_type=name, lr_scheduler_kwargs={"decay": "cosine", "min_lr_ratio": 0.1}
    )
    assert args.lr_scheduler_type == SchedulerType(name)
    assert args.lr_scheduler_kwargs == {"decay": "cosine", "min_lr_ratio": 0.1}
    assert json.loads(args.to_json_string())["lr_scheduler_type"] == name
    # the Trainer pickles its TrainingArguments into training_args.bin
    assert pickle.loads(pickle.dumps(args)).lr_scheduler_type == SchedulerType(name)


def test_training_arguments_kwargs_as_json_string(tmp_path):
    args = TrainingArguments(
        output_dir=str(tmp_path),
        lr_scheduler_type="linear_warmup",
        lr_scheduler_kwargs='{"decay": "wsd", "min_lr_ratio": "0.1"}',
    )
    assert args.lr_scheduler_kwargs["decay"] == "wsd"
    assert float(args.lr_scheduler_kwargs["min_lr_ratio"]) == 0.1
    sched = get_scheduler(
        args.lr_scheduler_type, adamw(), num_warmup_steps=10, num_training_steps=100,
        scheduler_specific_kwargs=args.lr_scheduler_kwargs,
    )
    assert sched.decay.kind == "wsd" and sched.decay.min_lr_ratio == 0.1


@pytest.mark.parametrize("name", NAMES)
def test_get_scheduler_every_name(name):
    opt = adamw(betas=(0.9, 0.99))
    w = 0 if name in ("untuned_linear_warmup", "untuned_exponential_warmup", "radam_warmup") else 10
    sched = get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=1000,
                          scheduler_specific_kwargs={"decay": "cosine"})
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    lr0 = opt.param_groups[0]["lr"]
    assert 0 <= lr0 <= 1e-3
    for _ in range(3):
        opt.step()
        sched.step()
    assert 0 < opt.param_groups[0]["lr"] <= 1e-3
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]
    # the SchedulerType member works the same as the string
    assert type(get_scheduler(SchedulerType(name), adamw(), num_warmup_steps=w, num_training_steps=1000)) is type(sched)


@pytest.mark.parametrize("name", NAMES)
def test_hf_argument_parser(name, tmp_path):
    parser = HfArgumentParser(TrainingArguments)
    (args,) = parser.parse_args_into_dataclasses(
        args=[
            "--output_dir", str(tmp_path),
            "--lr_scheduler_type", name,
            "--lr_scheduler_kwargs", '{"decay": "cosine"}',
            "--warmup_steps", "10",
        ]
    )
    assert args.lr_scheduler_type == SchedulerType(name)
    assert args.lr_scheduler_kwargs == {"decay": "cosine"}
    sched = get_scheduler(args.lr_scheduler_type, adamw(), num_warmup_steps=0, num_training_steps=1000,
                          scheduler_specific_kwargs=args.lr_scheduler_kwargs)
    assert sched.decay.kind == "cosine"


def test_hf_argument_parser_rejects_unregistered_name(tmp_path, capsys):
    parser = HfArgumentParser(TrainingArguments)
    with pytest.raises(SystemExit) as info:
        parser.parse_args_into_dataclasses(
            args=["--output_dir", str(tmp_path), "--lr_scheduler_type", "linear_warmupp"]
        )
    assert info.value.code != 0
    err = capsys.readouterr().err
    assert "linear_warmupp" in err
    assert "adaptive_warmup" in err  # the choices list shows the registered names


def test_unknown_name_in_get_scheduler_and_training_arguments(tmp_path):
    with pytest.raises(ValueError):
        get_scheduler("warmup_adaptive", adamw(), num_warmup_steps=0, num_training_steps=10)
    with pytest.raises(ValueError):
        TrainingArguments(output_dir=str(tmp_path), lr_scheduler_type="warmup_adaptive")
    with pytest.raises(ValueError, match="warmup_adaptive"):
        hf_warmup.get_warmup_schedule("warmup_adaptive", adamw(), 0, 10)


# ---------------------------------------------------------------------------------------- running a script

UNMODIFIED_SCRIPT = '''\
import sys
from dataclasses import dataclass, field

import torch
from transformers import HfArgumentParser, TrainingArguments, get_scheduler


@dataclass
class ScriptArguments:
    foo: int = field(default=0)


if __name__ == "__main__":
    print("ARGV", sys.argv[1:])
    print("NAME", __name__)
    script_args, training_args = HfArgumentParser((ScriptArguments, TrainingArguments)).parse_args_into_dataclasses()
    print("FOO", script_args.foo)
    print("TYPE", training_args.lr_scheduler_type.value)
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = get_scheduler("linear_warmup", opt, num_warmup_steps=4, num_training_steps=8)
    lrs = []
    for _ in range(8):
        lrs.append(round(opt.param_groups[0]["lr"], 6))
        opt.step()
        sched.step()
    print("LRS", lrs)
'''


@pytest.fixture
def unmodified_script(tmp_path):
    path = tmp_path / "train_script.py"
    path.write_text(UNMODIFIED_SCRIPT)
    assert "hf_warmup" not in UNMODIFIED_SCRIPT
    return path


def test_python_m_hf_warmup_runs_unmodified_script(unmodified_script, tmp_path):
    out_dir = tmp_path / "out"
    argv = ["--foo", "1", "--lr_scheduler_type", "radam_warmup", "--output_dir", str(out_dir)]
    proc = subprocess.run(
        [sys.executable, "-m", "hf_warmup", str(unmodified_script), *argv],
        cwd=tmp_path, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert f"ARGV {argv!r}" in lines
    assert "NAME __main__" in lines
    assert "FOO 1" in lines
    assert "TYPE radam_warmup" in lines
    assert "LRS [0.25, 0.5, 0.75, 1.0, 1.0, 0.75, 0.5, 0.25]" in lines


def test_unmodified_script_fails_without_hf_warmup(unmodified_script, tmp_path):
    """Control: the same script run by plain ``python`` does not know the names (it really does not import us)."""
    proc = subprocess.run(
        [sys.executable, str(unmodified_script), "--foo", "1", "--lr_scheduler_type", "radam_warmup",
         "--output_dir", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, env=dict(os.environ),
    )
    assert proc.returncode != 0
    assert "radam_warmup" in proc.stderr


def test_run_script_missing_file(tmp_path, capsys):
    assert cli.main([str(tmp_path / "missing.py")]) != 0
    assert "missing.py" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------- the CLI


def test_cli_list(tmp_path):
    proc = run_cli(["list"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line and not line[0].isspace()]
    assert listed == NAMES
    assert "min_lr_ratio" in proc.stdout and "threshold" in proc.stdout


def test_cli_preview_writes_png(tmp_path, capsys):
    """The command as documented, with the default --num-training-steps / --beta2 (in process: same ``main``)."""
    out = tmp_path / "x.png"
    rc = cli.main(["preview", "linear_warmup", "radam_warmup", "-o", str(out)])
    assert rc == 0, (
        "`hf-warmup preview linear_warmup radam_warmup -o x.png` failed with the default options "
        "(--num-training-steps 1000, --beta2 0.999 gives radam_warmup L=2000 >= T=1000, so the default "
        f"linear decay has no room): {capsys.readouterr().err.strip()}"
    )
    assert_real_plot(out)


def test_cli_preview_in_process(tmp_path, capsys):
    out = tmp_path / "p.png"
    rc = cli.main([
        "preview", "linear_warmup", "constant_warmup", "exponential_warmup", "untuned_linear_warmup",
        "untuned_exponential_warmup", "radam_warmup", "--num-training-steps", "300", "--num-warmup-steps", "0",
        "--beta2", "0.99", "--kwargs", '{"decay": "cosine", "min_lr_ratio": "0.1"}', "-o", str(out),
    ])
    assert rc == 0, capsys.readouterr().err
    assert_real_plot(out)


def test_cli_preview_bad_kwargs_exit_nonzero(tmp_path, capsys):
    rc = cli.main(["preview", "linear_warmup", "--kwargs", '{"treshold": 1}', "-o", str(tmp_path / "p.png")])
    assert rc != 0
    assert "treshold" in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()
    rc = cli.main(["preview", "adaptive_warmup", "-o", str(tmp_path / "p.png")])
    assert rc != 0
    assert "hf-warmup plot" in capsys.readouterr().err


def write_trainer_state(run_dir: Path) -> Path:
    history = []
    for step in range(1, 41):
        entry = {"step": step, "epoch": step / 40, "loss": 4.0 - step * 0.05, "learning_rate": 1e-3 * min(1, step / 15)}
        if step % 10 == 0:
            entry["warmup_statistic"] = 1.0 / step
        if step == 15:
            entry["warmup_end_step"] = 15
            entry["warmup_statistic_at_end"] = 0.04
        history.append(entry)
        if step % 20 == 0:
            history.append({"step": step, "epoch": step / 40, "eval_loss": 3.5})
    history.append({"step": 40, "train_runtime": 1.0, "train_loss": 3.0})
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "trainer_state.json"
    path.write_text(json.dumps({"global_step": 40, "log_history": history}))
    return path


def test_cli_plot_writes_png(tmp_path, capsys, monkeypatch):
    write_trainer_state(tmp_path / "run")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["plot", "run", "-o", "plot.png"]) == 0, capsys.readouterr().err
    assert "plot.png" in capsys.readouterr().out
    assert_real_plot(tmp_path / "plot.png")


def test_plot_reads_checkpoint_dirs_and_state_file(tmp_path, capsys):
    from hf_warmup.plotting import find_trainer_state, read_run

    run = tmp_path / "run"
    write_trainer_state(run / "checkpoint-5")
    newest = write_trainer_state(run / "checkpoint-40")
    write_trainer_state(run / "checkpoint-10")
    assert find_trainer_state(str(run)) == str(newest)
    data = read_run(str(run))
    assert data["warmup_end_step"] == 15
    assert len(data["lr"]) == 40 and len(data["stat"]) == 4 and len(data["eval_loss"]) == 2
    for target in (run, newest):
        out = tmp_path / f"{target.name}.png"
        assert cli.main(["plot", str(target), "-o", str(out)]) == 0, capsys.readouterr().err
        assert_real_plot(out)


def test_cli_plot_without_state_fails_clearly(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "plot.png"
    rc = cli.main(["plot", str(tmp_path / "empty"), "-o", str(out)])
    assert rc != 0
    err = capsys.readouterr().err
    assert "trainer_state.json" in err and "empty" in err
    assert not out.exists()


def test_plot_without_learning_rate_fails_clearly(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "trainer_state.json").write_text(json.dumps({"log_history": [{"step": 1, "train_loss": 1.0}]}))
    assert cli.main(["plot", str(run), "-o", str(tmp_path / "p.png")]) != 0
    assert "learning_rate" in capsys.readouterr().err
