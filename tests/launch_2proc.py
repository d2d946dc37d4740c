#!/usr/bin/env python
"""``accelerate launch`` of 2 CPU (gloo) processes on a free port, retried when the port was taken meanwhile.

Usage (what ``conftest.accelerate_launch_2proc()`` returns as a command prefix)::

    python tests/launch_2proc.py SCRIPT [ARGS...]

Any free-port choice made before the launcher binds the port is a race: between "this port is free" and the
rendezvous store binding it, another process (another test, another job on a shared machine) can take it, and
the launch fails with ``EADDRINUSE``. ``accelerate launch`` (up to 1.x) has no launcher-side "pick a port and keep
it" mode for a single machine, so this wrapper takes the other way out: it picks a port, runs the launch, and if
the launch failed *because the port was in use* (the text ``EADDRINUSE`` / ``address already in use`` in its
output), runs it again on a new port, up to ``ATTEMPTS`` times. Any other failure is passed on at once.

The child's stdout and stderr are relayed unchanged (stdout to stdout, stderr to stderr) once it exits, and the
wrapper exits with the child's return code, so a caller sees what it would see from ``accelerate launch`` itself.
The child gets ``PR_SET_PDEATHSIG`` (Linux): if a caller's timeout kills this wrapper, the launcher dies too.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

ATTEMPTS = 4
PORT_IN_USE = re.compile(r"EADDRINUSE|address already in use", re.IGNORECASE)


def free_port() -> int:
    """A port the kernel reports free right now (it may be taken again before the launcher binds it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch_command(port: int) -> list[str]:
    """The ``accelerate launch`` prefix for 2 gloo processes on one machine, rendezvous on ``port``."""
    return [str(Path(sys.executable).parent / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2",
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", str(port)]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the child outlives a killed wrapper, as it would without the wrapper


def main(argv: list[str]) -> int:
    if not argv:
        print(f"usage: {Path(__file__).name} SCRIPT [ARGS...]", file=sys.stderr)
        return 2
    proc: subprocess.CompletedProcess[str] | None = None
    for attempt in range(1, ATTEMPTS + 1):
        port = free_port()
        proc = subprocess.run([*launch_command(port), *argv], capture_output=True, text=True,
                              preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        in_use = proc.returncode != 0 and PORT_IN_USE.search(proc.stdout + proc.stderr) is not None
        if not in_use or attempt == ATTEMPTS:
            break
        print(f"[launch_2proc] port {port} was taken before the launcher bound it (attempt {attempt}/{ATTEMPTS});"
              " retrying on another port", file=sys.stderr, flush=True)
    assert proc is not None
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
