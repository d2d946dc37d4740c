"""The test suite's own guards: no silent skips, the 2-process launcher's retry, a fixed hypothesis seed.

Each runs in seconds (no torch in the child processes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import launch_2proc
import pytest
from hypothesis import settings
from skip_guard import ALLOW_ENV

TESTS = Path(__file__).resolve().parent

SKIPPING_TESTS = '''
import pytest

def test_runs():
    assert True

def test_needs_a_package():
    pytest.importorskip("hf_warmup_no_such_package_xyz")

@pytest.mark.skip(reason="needs a CUDA GPU")
def test_needs_a_gpu():
    pass
'''


def _pytest_in(path: Path, allow: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ALLOW_ENV}
    if allow is not None:
        env[ALLOW_ENV] = allow
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(path)],
                          cwd=path, env=env, capture_output=True, text=True, timeout=120)


def test_a_skip_for_a_missing_package_fails_the_session(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from skip_guard import *  # noqa: F403\n")
    (tmp_path / "test_x.py").write_text(SKIPPING_TESTS)
    proc = _pytest_in(tmp_path, allow=None)
    out = proc.stdout
    assert proc.returncode == 1, out
    assert "1 passed, 2 skipped" in out
    section = out[out.index("skips that CI does not allow"):]
    assert "test_needs_a_package" in section and "could not import" in section
    assert "test_needs_a_gpu" not in section  # a missing GPU is a reason CI has

    allowed = _pytest_in(tmp_path, allow="1")
    assert allowed.returncode == 0, allowed.stdout
    assert "skips that CI does not allow" not in allowed.stdout
    assert "could not import" in allowed.stdout  # still reported by -rs


def test_a_module_level_importorskip_fails_the_session(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from skip_guard import *  # noqa: F403\n")
    (tmp_path / "test_y.py").write_text('import pytest\nx = pytest.importorskip("hf_warmup_no_such_package_xyz")\n'
                                        "def test_a():\n    pass\n")
    proc = _pytest_in(tmp_path, allow=None)
    assert proc.returncode == 1, proc.stdout
    assert "test_y.py" in proc.stdout[proc.stdout.index("skips that CI does not allow"):]


FAKE_LAUNCH = '''
import pathlib, sys
count = pathlib.Path(sys.argv[1])
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
mode = sys.argv[2]
print("stdout of attempt", n + 1)
if mode == "in_use" and n == 0:
    print("torch.distributed.DistNetworkError: The server socket has failed to listen on any local network "
          "address. port: 29500, useIpv6: false, code: -98, name: EADDRINUSE, message: address already in use",
          file=sys.stderr)
    sys.exit(1)
if mode == "other":
    print("ValueError: something else", file=sys.stderr)
    sys.exit(3)
print("stderr of attempt", n + 1, file=sys.stderr)
'''


@pytest.mark.parametrize(("mode", "rc", "attempts"), [("in_use", 0, 2), ("other", 3, 1), ("ok", 0, 1)])
def test_launcher_retries_only_when_the_port_was_taken(
    mode: str, rc: int, attempts: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = tmp_path / "fake_launch.py"
    fake.write_text(FAKE_LAUNCH)
    ports: list[int] = []

    def fake_command(port: int) -> list[str]:
        ports.append(port)
        return [sys.executable, str(fake)]

    monkeypatch.setattr(launch_2proc, "launch_command", fake_command)
    count = tmp_path / "count"
    assert launch_2proc.main([str(count), mode]) == rc
    assert int(count.read_text()) == attempts == len(ports)
    assert all(0 < p < 65536 for p in ports)
    out, err = capsys.readouterr()
    assert f"stdout of attempt {attempts}" in out  # the last attempt's output is relayed, stdout to stdout
    if mode == "in_use":
        assert "retrying on another port" in err and "stderr of attempt 2" in err
    if mode == "other":
        assert "something else" in err and "retrying" not in err


def test_hypothesis_runs_derandomized() -> None:
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci":
        pytest.skip("HYPOTHESIS_PROFILE selects another profile")  # only by explicit choice; skip_guard flags it
    assert settings.default.derandomize and settings.default.deadline is None and settings.default.database is None


def test_pngcheck_tells_a_plot_from_a_blank_or_empty_figure(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pngcheck import assert_real_plot

    def save(name: str, draw: bool, axes: bool = True) -> Path:
        fig = plt.figure(figsize=(6.4, 4.8), dpi=100)
        if axes:
            ax = fig.add_subplot()
            if draw:
                ax.plot([0, 1, 2], [0, 1, 0.5])
        path = tmp_path / name
        fig.savefig(path)
        plt.close(fig)
        return path

    stats = assert_real_plot(save("line.png", draw=True), min_size=(640, 480))
    assert stats["width"] == 640 and stats["height"] == 480
    for name, draw, axes, message in [("blank.png", False, False, "distinct colours"),
                                      ("empty_axes.png", False, True, "coloured pixels")]:
        with pytest.raises(AssertionError, match=message):
            assert_real_plot(save(name, draw, axes))
    with pytest.raises(AssertionError, match="smaller than"):
        assert_real_plot(tmp_path / "line.png", min_size=(641, 480))
    (tmp_path / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(Exception):  # noqa: B017  (a decoder error or our assertion: either way, not a plot)
        assert_real_plot(tmp_path / "fake.png")
