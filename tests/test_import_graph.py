"""The import graph of the installed package ``hf_warmup/``, read from its sources with ``ast`` (nothing imported).

1. The package imports only itself, the standard library and third-party packages: never the repository's
   harness (``scripts/warmup_bench``), its scripts or its tests, which a pip user does not have.
2. Every module of the package is used by the package: reachable from what a user runs (``import hf_warmup``,
   ``python -m hf_warmup``, the console scripts of ``pyproject.toml``) through its imports, lazy imports inside
   functions included. A module that only the scripts or the tests import belongs in ``scripts/``.

Computed from the tree, so that renaming or adding a module needs no change here.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "hf_warmup"
PKG_DIR = ROOT / PACKAGE
# Where installed packages live: a virtualenv made inside the checkout (`make install` makes `.venv` there) is
# third-party code, not the repository's own.
INSTALLED = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, *sysconfig.get_paths().values())}


def module_name(path: Path) -> str:
    """``hf_warmup/report.py`` -> ``hf_warmup.report``; ``hf_warmup/x/__init__.py`` -> ``hf_warmup.x``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG_DIR.rglob("*.py"))}


def imports_of(source: str, name: str, is_package: bool) -> list[str]:
    """The absolute names imported anywhere in a module (top level, functions, ``TYPE_CHECKING`` blocks):
    ``import a.b`` gives ``a.b``; ``from .x import y`` gives ``<package>.x`` and ``<package>.x.y`` (``y`` may be a
    submodule); a literal ``importlib.import_module("a.b")`` gives ``a.b``. A relative import that climbs above
    the top-level package gives ``<beyond the package>``."""
    package = name.split(".") if is_package else name.split(".")[:-1]
    out: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level > len(package):
                    out.append("<beyond the package>")
                    continue
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.append(base)
            out += [f"{base}.{a.name}" for a in node.names if a.name != "*"]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) ==
              "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            out.append(node.args[0].value)
    return out


def local_names() -> set[str]:
    """Top-level names of the repository's own code outside the package: its folders with Python code, the
    modules and packages of ``scripts/`` and ``tests/`` (which put those folders on ``sys.path``)."""
    names = {"scripts", "tests"}
    for folder in (ROOT / "scripts", ROOT / "tests"):
        names |= {p.stem for p in folder.glob("*.py")}
        names |= {p.parent.name for p in folder.glob("*/__init__.py")}
    return names


def outside_imports(source: str, name: str, is_package: bool) -> list[str]:
    """What a package module imports that is neither the package, the standard library nor a third-party
    package: the repository's local code, or a module found inside the repository but outside the package."""
    bad = []
    local = local_names()
    for imported in imports_of(source, name, is_package):
        top = imported.split(".")[0]
        if top == PACKAGE or top in sys.stdlib_module_names:
            continue
        if imported.startswith("<") or top in local:
            bad.append(imported)
            continue
        spec = importlib.util.find_spec(top)  # a third-party package lives outside the repository
        origin = Path(spec.origin).resolve() if spec is not None and spec.origin else None
        if (origin is not None and origin.is_relative_to(ROOT) and not origin.is_relative_to(PKG_DIR)
                and not any(origin.is_relative_to(place) for place in INSTALLED)):
            bad.append(imported)
    return bad


def entry_modules(modules: dict[str, Path]) -> set[str]:
    """What a user runs: the package, ``python -m hf_warmup`` and the console scripts of pyproject.toml."""
    scripts = re.findall(rf'^\s*[\w.-]+\s*=\s*"({PACKAGE}[\w.]*):', (ROOT / "pyproject.toml").read_text(), re.M)
    entries = {PACKAGE, f"{PACKAGE}.__main__", *scripts}
    return {e for e in entries if e in modules}


def reachable(modules: dict[str, Path]) -> set[str]:
    seen: set[str] = set()
    todo = sorted(entry_modules(modules))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [p for p in (".".join(parts[:i]) for i in range(1, len(parts))) if p in modules]  # a.b.c runs a, a.b
        path = modules[name]
        todo += [m for m in imports_of(path.read_text(), name, path.name == "__init__.py") if m in modules]
    return seen


@pytest.mark.parametrize("name", sorted(package_modules()))
def test_package_module_imports_nothing_of_the_repository(name: str) -> None:
    path = package_modules()[name]
    assert outside_imports(path.read_text(), name, path.name == "__init__.py") == [], (
        f"{path.relative_to(ROOT)} imports code that a pip user of {PACKAGE} does not have")


def test_the_check_sees_a_harness_import() -> None:
    """The check above on made-up sources: each import of the harness, a script or a test is caught (at top
    level, inside a function, relative beyond the package), the package's own and third-party imports are not."""
    name = f"{PACKAGE}.report"
    for source in ("from warmup_bench import render", "import warmup_bench.results as r",
                   "def f():\n    from warmup_bench.model_card import CardSpec\n", "import common",
                   "from scripts.warmup_bench import runner", "import conftest", "from ... import scripts",
                   "import importlib\nimportlib.import_module('benchmark_warmup')"):
        assert outside_imports(source, name, False), source
    ok = "import json\nimport torch\nfrom transformers import Trainer\nfrom . import monitor\nfrom hf_warmup import cli"
    assert outside_imports(ok, name, False) == []


def test_every_package_module_is_used_by_the_package() -> None:
    modules = package_modules()
    assert entry_modules(modules) >= {PACKAGE, f"{PACKAGE}.__main__"}
    unused = sorted(set(modules) - reachable(modules))
    assert unused == [], (f"only the scripts or the tests import {unused}: no import from {PACKAGE}/__init__.py, "
                          f"__main__.py or a console script reaches them")


def test_reachability_follows_lazy_and_relative_imports(tmp_path: Path) -> None:
    """``reachable`` on the real tree finds modules imported only inside functions or through ``from . import``;
    a module nobody imports is not reached."""
    src = {"hf_warmup.__init__": "from .a import x\n", "hf_warmup.a": "def f():\n    from . import b\n",
           "hf_warmup.b": "import hf_warmup.c.d\n", "hf_warmup.c.__init__": "", "hf_warmup.c.d": "",
           "hf_warmup.orphan": "import hf_warmup.a\n"}
    modules = {}
    for dotted, text in src.items():
        path = tmp_path.joinpath(*dotted.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        modules[dotted.removesuffix(".__init__")] = path
    assert reachable(modules) == {"hf_warmup", "hf_warmup.a", "hf_warmup.b", "hf_warmup.c", "hf_warmup.c.d"}
