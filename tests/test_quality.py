"""The library stays ruff-clean and type-checker-clean (run as part of the test suite, hence in CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    result = run("ruff", "check", "krill_async", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_clean() -> None:
    result = run("ruff", "format", "--check", "krill_async")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_clean() -> None:
    result = run("mypy", "krill_async")
    assert result.returncode == 0, result.stdout + result.stderr


def test_py_typed_marker_ships() -> None:
    assert (ROOT / "krill_async" / "py.typed").exists()


def test_import_is_light() -> None:
    """`import krill_async` and `from krill_async import Krill` load neither aiohttp nor any app namespace:
    those come with the first request or the first use of `krill.<app>`."""
    code = (
        "import sys\n"
        "import krill_async\n"
        "from krill_async import Krill, Cpe, KrillError\n"
        "krill = Krill('http://127.0.0.1:1')\n"
        "heavy = [m for m in ('aiohttp', 'krill_async.apps.monitoring', 'krill_async.models.monitoring', 'click')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "krill.monitoring\n"
        "assert 'krill_async.apps.monitoring' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
