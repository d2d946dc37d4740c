"""The test suite's own guards: no silent skips, the 2-process launcher's retry, a fixed hypothesis seed.

Each runs in seconds (no torch in the child processes).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import launch_2proc
import pytest
from hypothesis import settings
from skip_guard import GPU_SKIP_REASON

TESTS = Path(__file__).resolve().parent

SKIPPING_TESTS = '''
import pytest

def test_runs():
    assert True

def test_needs_a_package():
    pytest.importorskip("hf_warmup_no_such_package_xyz")

@pytest.mark.skip(reason="needs a CUDA GPU")
def test_says_it_needs_a_gpu():
    pass

@pytest.mark.gpu
def test_marked_gpu():
    pass

@pytest.mark.gpu
def test_marked_gpu_skips_itself():
    pytest.skip("CUDA out of memory")
'''


def _pytest_in(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(path)],
                          cwd=path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("cuda", [False, True], ids=["no CUDA", "CUDA"])
def test_only_a_gpu_marked_test_without_cuda_may_skip(cuda: bool, tmp_path: Path) -> None:
    """Every skip fails the session, whatever its reason says, except ``@pytest.mark.gpu`` without CUDA; with
    CUDA (faked here by the child's conftest), a gpu test runs, and one that skips itself fails the session."""
    fake = "import torch\ntorch.cuda.is_available = lambda: True\n" if cuda else ""
    (tmp_path / "conftest.py").write_text(fake + "from skip_guard import *  # noqa: F403\n")
    (tmp_path / "test_x.py").write_text(SKIPPING_TESTS)
    proc = _pytest_in(tmp_path)
    out = proc.stdout
    assert proc.returncode == 1, out
    section = out[out.index("skips that are not allowed"):]
    rejected = ["test_needs_a_package", "test_says_it_needs_a_gpu"] + (["test_marked_gpu_skips_itself"] if cuda else [])
    assert sorted(re.findall(r"SKIPPED test_x.py::(\w+)", section)) == sorted(rejected), section
    assert ("2 passed, 3 skipped" if cuda else "1 passed, 4 skipped") in out, out
    assert (GPU_SKIP_REASON in out) != cuda


def test_a_module_level_importorskip_fails_the_session(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from skip_guard import *  # noqa: F403\n")
    (tmp_path / "test_y.py").write_text('import pytest\nx = pytest.importorskip("hf_warmup_no_such_package_xyz")\n'
                                        "def test_a():\n    pass\n")
    proc = _pytest_in(tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert "test_y.py" in proc.stdout[proc.stdout.index("skips that are not allowed"):]


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
    # HYPOTHESIS_PROFILE=dev (random exploration, by explicit choice) fails this test, as it should
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
