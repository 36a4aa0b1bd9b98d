"""Every Python example in README.md and docs/ passes ``mypy --strict``, as a user's script would.

The examples of one page become one module (in order, as tests/test_docs_code.py runs them, inside one
``async def`` since the pages read like an async REPL), in a temp dir, and mypy runs once over all of them.
The names a page uses without creating them (``krill``, ``url``...) are declared with their types first.
Skipped blocks are checked too: not running is no reason not to type-check.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .test_docs_code import BLOCK, PAGES, ROOT

#: ``--8<-- "examples/webapp.py"``: a whole file included by pymdownx.snippets, checked as its own module.
SNIPPET = re.compile(r'^\s*--8<--\s*"([^"]+)"\s*$')
#: A block of another library's code (jmq-krill, shown for comparison) is neither run nor type-checked.
FOREIGN = re.compile(r"<!--\s*skip:\s*foreign\b[^>]*-->\s*$")
#: Pages whose examples still fail, with what they need (their owners fix them; the list must then shrink,
#: which this test enforces by failing when a listed page passes).
PENDING: dict[str, str] = {}

PRELUDE = """\
# names a page uses without creating them (see tests/test_docs_code.py)
from typing import Any

from krill_async import Krill
from krill_async.testing import KrillSimulator

krill: Krill
url: str
sim: KrillSimulator
krill_simulator: KrillSimulator


def save(record: Any) -> None: ...


"""


def module_name(page: Path) -> str:
    return "docs_" + re.sub(r"\W", "_", page.stem).lower()


def page_module(page: Path) -> str | None:
    """The page's examples as the body of one ``async def`` (top-level ``await``, ``async for`` and
    ``async with`` are then valid), each block after a comment naming its line; None without examples."""
    text = page.read_text(encoding="utf-8")
    parts = []
    for match in BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        if (before and FOREIGN.search(before[-1])) or SNIPPET.match(match.group(1)):
            continue
        line = text.count("\n", 0, match.start()) + 2
        parts.append(f"# {page.name}:{line}\n{match.group(1)}")
    if not parts:
        return None
    body = "\n".join(parts)
    return (
        PRELUDE + "async def page() -> None:\n" + "".join(f"    {s}" if s.strip() else s for s in body.splitlines(True))
    )


def included_files() -> list[Path]:
    """The files the pages include whole (``--8<--``): they are examples too."""
    found = []
    for page in PAGES:
        for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
            snippet = SNIPPET.match(match.group(1))
            if snippet:
                found.append(ROOT / snippet.group(1))
    return found


def test_every_example_passes_mypy_strict(tmp_path: Path) -> None:
    files = []
    for page in PAGES:
        source = page_module(page)
        if source is not None:
            path = tmp_path / f"{module_name(page)}.py"
            path.write_text(source, encoding="utf-8")
            files.append(path.name)
    assert len(files) >= 8  # README and most pages have examples: a broken extractor finds none
    for included in included_files():
        target = tmp_path / f"included_{included.stem}.py"
        target.write_text(included.read_text(encoding="utf-8"), encoding="utf-8")
        files.append(target.name)
    assert any(name.startswith("included_") for name in files)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--allow-redefinition-new",
            "--local-partial-types",
            "--no-incremental",
            "--cache-dir=/dev/null",
            *files,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PYTHONPATH": str(ROOT), "MYPYPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    report = _pointing_at_pages(result.stdout + result.stderr, tmp_path)
    errors = [line for line in report.splitlines() if ": error:" in line]
    failing = {line.split(":", 1)[0] for line in errors}
    unexpected = [line for line in errors if line.split(":", 1)[0] not in PENDING]
    assert not unexpected, report
    fixed = set(PENDING) - failing
    assert not fixed, f"{fixed} pass mypy --strict now: remove them from PENDING"


def _pointing_at_pages(output: str, where: Path) -> str:
    """mypy's report with each module line translated back to page:line (easier to fix)."""
    lines = []
    for line in output.splitlines():
        match = re.match(r"^(docs_\w+)\.py:(\d+): (.*)$", line)
        if match:
            source = (where / f"{match.group(1)}.py").read_text(encoding="utf-8").splitlines()
            number = int(match.group(2))
            origin = next(
                (
                    s[2:]
                    for s in (t.strip() for t in reversed(source[:number]))
                    if re.match(r"^ *# [\w.-]+\.md:\d+$", s)
                ),
                "?",
            )
            page, start = origin.rsplit(":", 1) if ":" in origin else (origin, "0")
            offset = number - next(i for i, s in enumerate(source, 1) if s.strip() == f"# {origin}")
            line = f"{page}:{int(start) + offset - 1}: {match.group(3)}"
        lines.append(line)
    return "\n".join(lines)
