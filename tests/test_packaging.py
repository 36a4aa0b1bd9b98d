"""What ``pip install -e .`` and the wheel give a user's type checker (issue #12, item 3).

setuptools' editable install (PEP 660) is an import hook that mypy and pyright do not follow: a user's
``mypy --strict`` then reports ``import-not-found`` and every type is Any. hatchling's is a static ``.pth``
path entry, which they do follow. The build tests need hatchling (in the ``[test]`` extra); the end-to-end
proof in a fresh venv needs PyPI and runs with ``KRILL_PACKAGING_E2E=1``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
USER_SCRIPT = """\
import anyio
from krill_async import Krill, Cpe


async def main() -> None:
    async with Krill("https://krill.example.net", auth=("usuario", "contraseña")) as krill:
        cpe: Cpe = await krill.isp.cpes.get(74, attrs=["id", "sn"])
        sn: str | None = cpe.sn
        print(sn)
        reveal_type(cpe)


anyio.run(main)
"""


def test_the_build_backend_installs_editable_as_a_path_entry() -> None:
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'build-backend = "hatchling.build"' in config and 'dev-mode-dirs = ["."]' in config
    assert "dev-mode-exact" not in config  # that option switches hatchling to an import hook too


def _build(kind: str, out: Path) -> Path:
    pytest.importorskip("hatchling", reason="hatchling comes with pip install -e '.[test]'")
    code = f"import hatchling.build as b; print(b.build_{kind}({str(out)!r}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out / result.stdout.strip().splitlines()[-1]


def test_the_wheel_carries_py_typed(tmp_path: Path) -> None:
    names = zipfile.ZipFile(_build("wheel", tmp_path)).namelist()
    assert "krill_async/py.typed" in names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


def test_the_editable_wheel_is_a_static_pth(tmp_path: Path) -> None:
    wheel = zipfile.ZipFile(_build("editable", tmp_path))
    pth = [name for name in wheel.namelist() if name.endswith(".pth")]
    assert len(pth) == 1 and not any(name.endswith(".py") for name in wheel.namelist())
    assert wheel.read(pth[0]).decode().strip() == str(ROOT)


@pytest.mark.skipif(os.environ.get("KRILL_PACKAGING_E2E") != "1", reason="needs PyPI: set KRILL_PACKAGING_E2E=1")
def test_mypy_strict_sees_the_types_after_the_readme_install(tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "-e", str(ROOT), "mypy"], check=True, timeout=900)
    script = tmp_path / "user" / "script.py"
    script.parent.mkdir()
    script.write_text(USER_SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [python, "-m", "mypy", "--strict", "script.py"], cwd=script.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    assert 'Revealed type is "krill_async.models.isp.Cpe"' in result.stdout
