"""What code a results file measured, and whether today's code still is that code.

Every results file behind a published figure (benchmark, overhead, demo, model cards) carries one
``provenance`` object made by :func:`stamp`::

    {"command": "python scripts/bench_overhead.py ...", "commit": "abc1234",
     "source_hash": "<12 hex>", "source_files": {"hf_warmup/monitor.py": "<12 hex>", ...}}

``source_hash`` is the hash of every ``hf_warmup/**/*.py`` (names and bytes); ``source_files`` the hash of
each. :func:`stale_note` compares a stamp with the sources in a tree and says, in one line, what changed since
(``None`` when nothing did), so a rendered block can say by itself that it is stale. A results file that holds
only measured numbers (the benchmark's losses and warmup lengths, the overhead's timings) is not made stale by a
change confined to :data:`RENDERING`, the modules that turn a finished run into words and pictures: no such
number passes through them. A file that quotes their words (the demo, the model cards) is. No torch import here.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "hf_warmup"


#: The package's modules that only render a finished run's record (``warmup.json``'s sentences, the card section,
#: the picture). The benchmark reads the scheduler's attributes and the eval loss; the overhead harness times steps.
RENDERING = frozenset({f"{PACKAGE}/report.py", f"{PACKAGE}/card.py", f"{PACKAGE}/plotting.py"})


def _digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:12]


def source_files(root: Path = ROOT) -> dict[str, str]:
    """``{"hf_warmup/x.py": hash}`` for every Python source of the package under ``root``."""
    pkg = root / PACKAGE
    return {p.relative_to(root).as_posix(): _digest(p.read_bytes()) for p in sorted(pkg.rglob("*.py"))}


def source_hash(files: Mapping[str, str]) -> str:
    """One hash of all the package's sources (their paths and per-file hashes)."""
    return _digest("\n".join(f"{path} {h}" for path, h in sorted(files.items())).encode())


def commit(root: Path = ROOT) -> str:
    """The short commit of ``root``'s HEAD, with ``+dirty`` when the package's sources differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=7", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", PACKAGE], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def stamp(command: str, root: Path = ROOT) -> dict[str, Any]:
    """The ``provenance`` object a results file records: the command, the commit and the sources' hashes."""
    files = source_files(root)
    return {"command": command, "commit": commit(root), "source_hash": source_hash(files), "source_files": files}


def changed_files(provenance: Mapping[str, Any], root: Path = ROOT) -> list[str]:
    """The package files added, removed or changed since ``provenance`` was stamped (sorted)."""
    then: Mapping[str, str] = provenance.get("source_files") or {}
    now = source_files(root)
    return sorted(p for p in set(then) | set(now) if then.get(p) != now.get(p))


def stale_note(provenance: Mapping[str, Any] | None, root: Path = ROOT, numbers_only: bool = False) -> str | None:
    """``None`` when the sources are those measured; else one line saying which changed since.

    ``numbers_only``: the file holds measured numbers and no rendered words, so changes to :data:`RENDERING` do not
    count. A results file without a stamp is stale by definition (nothing ties it to the code).
    """
    if not provenance or "source_files" not in provenance:
        return "**Stale:** this results file records no commit or source hash, so it cannot be tied to today's code."
    changed = [p for p in changed_files(provenance, root) if not (numbers_only and p in RENDERING)]
    if not changed:
        return None
    names = ", ".join(f"`{p}`" for p in changed[:6]) + (f" and {len(changed) - 6} more" if len(changed) > 6 else "")
    return f"**Stale:** measured at commit `{provenance.get('commit', 'unknown')}`; {names} changed since."
