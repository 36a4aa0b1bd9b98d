"""The documentation site builds with ``mkdocs build --strict`` (nav, links, API reference, includes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reference = (tmp_path / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    assert "max_in_flight" in reference  # docstrings made it into the API reference
    assert "14,850" in (tmp_path / "benchmarks" / "index.html").read_text(encoding="utf-8")  # included README
