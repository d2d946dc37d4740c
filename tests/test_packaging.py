"""The wheel: built from a copy of the source tree without warnings, installed into a fresh venv, and used there.

The fresh venv gets the wheel (``pip --python VENV install --no-deps --no-index``) and sees torch/transformers through a
``.pth`` line naming this venv's site-packages (so nothing is downloaded; ``.pth`` files inside that folder,
such as an editable install of hf_warmup, are not run). In it: ``import hf_warmup`` (from the wheel, with
``__version__`` and ``py.typed``), ``hf-warmup list`` and one ``get_scheduler`` call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import hf_warmup

ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _run(cmd: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    import setuptools

    assert int(setuptools.__version__.split(".")[0]) >= 77, setuptools.__version__  # pyproject: setuptools>=77
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "hf_warmup", src / "hf_warmup", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    proc = _run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "-w", str(dist),
                 str(src)], cwd=src)
    [whl] = dist.glob("hf_warmup-*.whl")
    return whl, proc.stdout + proc.stderr


def test_wheel_builds_without_deprecation_warnings(wheel: tuple[Path, str]) -> None:
    whl, log = wheel
    assert "Deprecat" not in log and "deprecated" not in log.lower(), log[-3000:]
    with zipfile.ZipFile(whl) as zf:
        names = set(zf.namelist())
        [meta] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = zf.read(meta).decode()
    expected = {f"hf_warmup/{p.relative_to(ROOT / 'hf_warmup')}" for p in (ROOT / "hf_warmup").rglob("*.py")}
    assert expected <= names, sorted(expected - names)
    assert "hf_warmup/py.typed" in names
    assert "License-Expression: Apache-2.0" in metadata
    assert f"Version: {hf_warmup.__version__}" in metadata


def test_wheel_works_in_a_fresh_venv(wheel: tuple[Path, str], tmp_path: Path) -> None:
    whl, _ = wheel
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path, timeout=180)
    py = venv / "bin" / "python"
    # this venv's pip installs into the fresh one (pip >= 22.3: --python), so no pip is bootstrapped there
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index", str(whl)],
         cwd=tmp_path)
    purelib = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path)
    shared = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib.stdout.strip(), "_shared_deps.pth").write_text("\n".join(sorted(shared)) + "\n")
    code = (
        "import hf_warmup, os, torch, transformers\n"
        "assert hf_warmup.__file__.startswith(os.environ['VENV']), hf_warmup.__file__\n"
        "assert os.path.isfile(os.path.join(os.path.dirname(hf_warmup.__file__), 'py.typed'))\n"
        "opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=1.0)\n"
        "s = transformers.get_scheduler('adaptive_warmup', opt, num_warmup_steps=10, num_training_steps=100)\n"
        "print(hf_warmup.__version__, type(s).__name__, s.describe_config()['max_warmup_steps'])\n"
    )
    env_code = [str(py), "-c", f"import os; os.environ['VENV'] = {str(venv)!r}\n" + code]
    proc = _run(env_code, cwd=tmp_path)
    assert proc.stdout.split() == [hf_warmup.__version__, "AdaptiveWarmupLR", "10"]
    listed = _run([str(venv / "bin" / "hf-warmup"), "list"], cwd=tmp_path)
    assert "adaptive_warmup" in listed.stdout and "radam_warmup" in listed.stdout
