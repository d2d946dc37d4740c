"""Every link in the docs resolves: README.md, docs/**/*.md and model_cards/*.md.

* A relative link or image (``[text](path)``, ``![alt](path)``, ``[text]: path``) names a file or folder that
  exists, inside the repository.
* Its ``#anchor`` (or a bare ``#anchor`` into the same page) names a heading of the target page, by GitHub's slug
  rules: the heading's text lowercased, every character other than a letter, digit, ``-``, ``_`` or space dropped,
  each space turned into ``-``; a repeated slug gets ``-1``, ``-2``, ... An explicit ``<a name="...">`` or
  ``id="..."`` counts too. Into a file other than markdown only a line anchor ``#L12`` is allowed.
* An external ``http(s)`` link is not fetched (the tests run offline) but must be well-formed: a host with a dot.
  Any other scheme is refused.

Links inside code (fenced blocks and inline code spans) are text, not links, and are not checked. But on the
hand-written pages (the README, ``docs/*.md``, ``docs/overhead/README.md``) a repository path in an inline code span
(``scripts/demo.py``, ``docs/benchmark/``) must exist too: a module renamed or moved leaves no stale path behind.
Generated figure blocks are left out of that check (their stale lines name the files that changed, gone or not).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s[^>]*?\bname=\"([^\"]+)\"|\bid=\"([^\"]+)\"")
LINE_ANCHOR = re.compile(r"L\d+(-L\d+)?")
REPO_PATH = re.compile(r"`((?:hf_warmup|scripts|tests|docs|configs|examples|model_cards)/[\w./-]*)`")
FIGURE_BLOCK = re.compile(r"<!-- figures:[\w.-]+ -->\n.*?<!-- /figures -->", re.DOTALL)


def doc_files(root: Path = ROOT) -> list[Path]:
    """The pages whose links are checked: README.md, every markdown file under docs/, the model cards."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md")), *sorted((root / "model_cards").glob("*.md"))]


def prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code spans (their brackets are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text (links shown by their text, inline formatting dropped)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor a link can name in ``page``: one per heading (repeats numbered) and any explicit HTML anchor."""
    text = FENCE.sub("", page.read_text())
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.findall(text):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    found |= {a or b for a, b in HTML_ANCHOR.findall(text)}
    return found


def links(text: str) -> list[str]:
    """The targets of every inline link, image and reference definition in the prose of ``text``."""
    body = prose(text)
    return INLINE.findall(body) + REFERENCE.findall(body)


def external_problem(target: str) -> str | None:
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        return f"{target}: scheme {parts.scheme!r} is not allowed (http, https or a relative path)"
    host = parts.hostname or ""
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host) or host.startswith(".") or host.endswith("."):
        return f"{target}: not a well-formed URL (host {host!r})"
    return None


def link_problems(doc: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with each link of ``doc``, one line per broken link (empty when every link resolves)."""
    problems = []
    for target in links(doc.read_text()):
        if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):
            if (problem := external_problem(target)) is not None:
                problems.append(problem)
            continue
        path_part, _, anchor = target.partition("#")
        if path_part.startswith("/"):
            problems.append(f"{target}: absolute path; link relative to the page")
            continue
        dest = (doc.parent / unquote(path_part)).resolve() if path_part else doc
        if not dest.is_relative_to(root.resolve()):
            problems.append(f"{target}: points outside the repository")
            continue
        if not dest.exists():
            problems.append(f"{target}: no such file {dest.relative_to(root.resolve())}")
            continue
        if not anchor:
            continue
        page = dest / "README.md" if dest.is_dir() else dest
        if page.suffix != ".md":
            if not LINE_ANCHOR.fullmatch(anchor):
                problems.append(f"{target}: #{anchor} is not a line anchor (#L12) into a file that is not markdown")
        elif not page.exists() or unquote(anchor) not in anchors(page):
            problems.append(f"{target}: no heading with anchor #{anchor} in {page.relative_to(root.resolve())}")
    return problems


def hand_written(root: Path = ROOT) -> list[Path]:
    """The pages written by hand, whose code spans name repository paths: README.md, docs/*.md, the overhead page."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md")), root / "docs" / "overhead" / "README.md"]


def missing_paths(doc: Path, root: Path = ROOT) -> list[str]:
    """Repository paths named in ``doc``'s inline code (outside figure blocks and fenced code) that do not exist."""
    text = FENCE.sub("", FIGURE_BLOCK.sub("", doc.read_text()))
    return [rel for rel in REPO_PATH.findall(text) if not (root / rel).exists()]


DOCS = doc_files()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_resolves(doc: Path) -> None:
    problems = link_problems(doc)
    assert not problems, f"{doc.relative_to(ROOT)}: broken links:\n" + "\n".join(problems)


@pytest.mark.parametrize("doc", hand_written(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_repository_path_named_exists(doc: Path) -> None:
    assert not missing_paths(doc), f"{doc.relative_to(ROOT)} names paths that do not exist: {missing_paths(doc)}"


def test_the_checked_pages_have_links() -> None:
    """The pages are found and their links parsed: the README alone links the docs map and an image."""
    assert {"README.md", "docs/index.md"} <= {p.relative_to(ROOT).as_posix() for p in DOCS}
    readme = links((ROOT / "README.md").read_text())
    assert "docs/index.md" in readme and any(t.endswith(".png") for t in readme), readme


def test_slugs_follow_github() -> None:
    assert slug("The edge: the coherence of the gradients") == "the-edge-the-coherence-of-the-gradients"
    assert slug("adaptive_warmup") == "adaptive_warmup"
    assert slug("Tested on CPU, on GPU, never") == "tested-on-cpu-on-gpu-never"
    assert slug("`hf-warmup` and [the CLI](cli.md)") == "hf-warmup-and-the-cli"
    assert slug("What it costs (Ŝ, φ)") == "what-it-costs-ŝ-φ"


def test_broken_links_are_found(tmp_path: Path) -> None:
    """A tree with one of each kind of broken link beside working ones: exactly the broken ones are reported."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# Page\n\n## The edge: why\n\n## Notes\n\n## Notes\n")
    (tmp_path / "img.png").write_bytes(b"")
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "README.md").write_text("\n".join([
        "# Title",
        "[ok](docs/page.md) [ok anchor](docs/page.md#the-edge-why) [repeat](docs/page.md#notes-1)",
        "![ok image](img.png) [ok dir](docs/) [here](#title) [line](code.py#L1)",
        "[ok web](https://example.org/a?b=1#c) `[in code](missing.md)`",
        "```", "[in a fence](missing.md)", "```",
        "[missing file](docs/missing.md)",
        "![missing image](docs/missing.png)",
        "[bad anchor](docs/page.md#the-edge)",
        "[bad local anchor](#nowhere)",
        "[bad py anchor](code.py#main)",
        "[outside](../elsewhere.md)",
        "[bad web](https://example/path) [bad scheme](ftp://example.org/x)",
        "[ref]: docs/gone.md",
    ]) + "\n")
    found = link_problems(tmp_path / "README.md", tmp_path)
    broken = ["docs/missing.md", "docs/missing.png", "docs/page.md#the-edge", "#nowhere", "code.py#main",
              "../elsewhere.md", "https://example/path", "ftp://example.org/x", "docs/gone.md"]
    assert [p.split(": ")[0] for p in found] == broken, found


def test_a_moved_module_is_found(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "demo.py").write_text("")
    (tmp_path / "README.md").write_text("\n".join([
        "`scripts/demo.py` and `scripts/` exist; `scripts/old_name.py` was moved; `hf_warmup/gone/` too.",
        "```", "python scripts/in_a_fence.py", "```",
        "<!-- figures:x -->", "`hf_warmup/changed.py` changed since", "<!-- /figures -->",
    ]) + "\n")
    assert missing_paths(tmp_path / "README.md", tmp_path) == ["scripts/old_name.py", "hf_warmup/gone/"]


def test_readme_kwargs_table_is_the_option_schema() -> None:
    """The README's ``adaptive_warmup`` kwargs table names every kwarg the builder accepts (besides the decay's), no
    other, and shows each numeric default as the schema declares it."""
    from hf_warmup.adaptive import ADAPTIVE_OPTIONS

    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index("| kwarg | default | meaning |")
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        name_cell, default_cell, meaning = [c.strip() for c in line.strip().strip("|").split("|", 2)]
        rows[re.findall(r"`(\w+)`", name_cell)[0]] = (default_cell, meaning)
    table = "\n".join(lines[start:start + 2 + len(rows)])
    assert set(rows) - {"decay"} <= set(ADAPTIVE_OPTIONS), set(rows) - set(ADAPTIVE_OPTIONS)
    assert not [k for k in ADAPTIVE_OPTIONS if f"`{k}`" not in table], "kwargs missing from the README's table"
    for name, (default_cell, _) in rows.items():
        declared = ADAPTIVE_OPTIONS[name].default if name in ADAPTIVE_OPTIONS else None
        if isinstance(declared, (int, float)) and not isinstance(declared, bool):
            shown = re.match(r"[-\d.]+", default_cell)
            assert shown and float(shown.group()) == declared, (name, default_cell, declared)
