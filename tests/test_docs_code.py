"""Every Python example in README.md and docs/ runs, against the simulated Krill.

The blocks of one page run in order in one namespace, like a reader typing them into an async REPL:
top-level ``await`` works, ``https://krill.example.net`` is the simulator, and ``krill`` is a client on
it for blocks that use one without creating it. A block preceded by ``<!-- skip: reason -->`` is not
run (only for what cannot run here, like a server that serves forever).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from krill_async import Krill
from krill_async.testing import KrillSimulator, SimulatorConfig

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.M | re.S)
SKIP = re.compile(r"<!--\s*skip:[^>]*-->\s*$")
PLACEHOLDER_URL = "https://krill.example.net"


def blocks(page: Path) -> Iterator[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    for match in BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        if before and SKIP.search(before[-1]):
            continue
        yield text.count("\n", 0, match.start()) + 2, match.group(1)


def pages_with_code() -> list[Path]:
    return [page for page in PAGES if any(True for _ in blocks(page))]


@pytest.fixture(scope="module")
def simulator() -> Iterator[KrillSimulator]:
    sim = KrillSimulator(SimulatorConfig(cpes=400, seed=1))
    with sim.run_in_thread():
        yield sim


def prelude(sim: KrillSimulator) -> dict[str, Any]:
    """Names a reader has in hand when a page says ``krill`` or ``url``, and the page's own helpers."""
    return {
        "__name__": "__docs__",
        "krill": Krill(sim.url, auth=("usuario", "contraseña")),
        "url": sim.url,
        "sim": sim,
        "krill_simulator": sim,
        "save": lambda record: None,
    }


@pytest.mark.parametrize("page", pages_with_code(), ids=lambda p: p.name)
def test_page_examples_run(
    page: Path, simulator: KrillSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # files the examples write ("cpes.parquet") land here, not in the checkout
    simulator.clear_faults()
    namespace = prelude(simulator)
    loop = asyncio.new_event_loop()
    try:
        for line, source in blocks(page):
            source = source.replace(PLACEHOLDER_URL, simulator.url)
            # dont_inherit: not this file's `from __future__ import annotations` (a user's script has none)
            flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            code = compile(source, f"{page.name}:{line}", "exec", flags=flags, dont_inherit=True)
            if code.co_flags & inspect.CO_COROUTINE:
                loop.run_until_complete(asyncio.wait_for(eval(code, namespace), timeout=60))
            else:
                exec(code, namespace)
    finally:
        loop.run_until_complete(namespace["krill"].aclose())
        loop.close()
