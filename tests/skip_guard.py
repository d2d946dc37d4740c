"""No silent skips: a pytest plugin that fails the session when a test skips for a reason CI does not have.

A skip is allowed only when its reason names hardware this machine lacks (a GPU / CUDA, see ``ALLOWED_REASON``).
Every other skip, above all a missing package (``pytest.importorskip`` says "could not import ..."), means the
test did not run although the project's own set-up (``make test``) should have given it what it needs, so the
session ends with exit code 1 and a list of those skips, even when every test that ran passed.

For local development without some optional package, set ``HF_WARMUP_ALLOW_SKIPS=1``: the skips are then only
reported (``-ra`` in ``pyproject.toml`` prints the summary either way).

``tests/conftest.py`` imports the hooks below, which is how they reach pytest.
"""

from __future__ import annotations

import os
import re

import pytest

ALLOW_ENV = "HF_WARMUP_ALLOW_SKIPS"
# a reason CI does not have: no GPU on the CI machine
ALLOWED_REASON = re.compile(r"\b(GPU|GPUs|CUDA)\b", re.IGNORECASE)

_disallowed: list[tuple[str, str]] = []  # (test or collector id, skip reason)


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason text of a skipped report (``longrepr`` is ``(path, line, "Skipped: reason")`` for skips)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    return text.removeprefix("Skipped: ")


def is_allowed(reason: str) -> bool:
    """True when ``reason`` names something CI cannot have (a GPU), or when ``HF_WARMUP_ALLOW_SKIPS`` is set."""
    return os.environ.get(ALLOW_ENV, "") not in ("", "0") or ALLOWED_REASON.search(reason) is not None


def _note(report: pytest.TestReport | pytest.CollectReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = skip_reason(report)
        if not is_allowed(reason):
            _disallowed.append((report.nodeid, reason))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note(report)  # a module-level ``pytest.importorskip`` skips the whole file at collection


def pytest_sessionstart(session: pytest.Session) -> None:
    _disallowed.clear()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # only turn "passed" (or "nothing ran": a whole file skipped at collection) into "failed"
    if _disallowed and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    if not _disallowed:
        return
    terminalreporter.section("skips that CI does not allow", sep="=", red=True, bold=True)
    for nodeid, reason in _disallowed:
        terminalreporter.line(f"SKIPPED {nodeid}: {reason}", red=True)
    terminalreporter.line(
        f"{len(_disallowed)} test(s) skipped for a reason other than a missing GPU; `make test` installs what they "
        f"need. The session fails because of them (set {ALLOW_ENV}=1 to only report them during local work).",
        red=True,
    )
