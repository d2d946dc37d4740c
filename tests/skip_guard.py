"""No silent skips: a pytest plugin that fails the session when any test skips, except through one marker.

The only skip allowed is ``@pytest.mark.gpu`` on a machine where ``torch.cuda.is_available()`` is false: this
plugin skips such a test at setup, and only that skip passes. Every other skip fails the session, whatever its
reason says: ``pytest.skip(...)``, ``@pytest.mark.skip``/``skipif``, ``pytest.importorskip`` (a missing or broken
DeepSpeed or bitsandbytes whose import error mentions CUDA included), a module skipped at collection, and a
``gpu`` test that skips itself. Such a test did not run although the project's own set-up (``make test``) should
have given it what it needs, so the session ends with exit code 1 and a list of those skips, even when every test
that ran passed. There is no switch to allow them: a test that cannot run in a venv belongs in a file that venv
does not run (``make test-min`` lists its files).

``tests/conftest.py`` imports the hooks below, which is how they reach pytest.
"""

from __future__ import annotations

import pytest

GPU_MARKER = "gpu"
GPU_SKIP_REASON = "gpu: torch.cuda.is_available() is false on this machine"

_gpu_skipped: set[str] = set()  # node ids this plugin skipped for the gpu marker
_disallowed: list[tuple[str, str]] = []  # (test or collector id, skip reason)


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason text of a skipped report (``longrepr`` is ``(path, line, "Skipped: reason")`` for skips)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    return text.removeprefix("Skipped: ")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{GPU_MARKER}: needs a CUDA GPU; skipped (the only skip allowed) without one")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker(GPU_MARKER) is None:
        return
    import torch

    if not torch.cuda.is_available():
        _gpu_skipped.add(item.nodeid)
        pytest.skip(GPU_SKIP_REASON)


def _note(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    allowed = getattr(report, "when", None) == "setup" and report.nodeid in _gpu_skipped
    if not allowed:
        _disallowed.append((report.nodeid, skip_reason(report)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note(report)  # a module-level ``pytest.importorskip`` skips the whole file at collection


def pytest_sessionstart(session: pytest.Session) -> None:
    _disallowed.clear()
    _gpu_skipped.clear()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # only turn "passed" (or "nothing ran": a whole file skipped at collection) into "failed"
    if _disallowed and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    if not _disallowed:
        return
    terminalreporter.section("skips that are not allowed", sep="=", red=True, bold=True)
    for nodeid, reason in _disallowed:
        terminalreporter.line(f"SKIPPED {nodeid}: {reason}", red=True)
    terminalreporter.line(
        f"{len(_disallowed)} test(s) skipped; the only skip allowed is @pytest.mark.{GPU_MARKER} without CUDA. "
        "`make test` installs what the tests need, so the session fails because of them.",
        red=True,
    )
