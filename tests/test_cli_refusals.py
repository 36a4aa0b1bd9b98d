"""The command line says no when it means no (issue #12, item 5): an output name it cannot honour, a busy
port, and help that only names what a command takes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from krill_async.testing import KrillSimulator, SimulatorConfig

from .test_cli import _command, _env, krill


@pytest.fixture(scope="module")
def sim() -> Iterator[KrillSimulator]:
    server = KrillSimulator(SimulatorConfig(cpes=30))
    with server.run_in_thread():
        yield server


@pytest.mark.parametrize("name", ["cpes.xlsx", "cpes.tsv", "cpes"])
def test_export_refuses_a_file_name_whose_format_it_cannot_tell(sim: KrillSimulator, tmp_path: Path, name: str) -> None:
    before = sim.stats.requests
    result = krill("export", "isp/cpes/", "-o", str(tmp_path / name), env=_env(sim))
    assert result.returncode == 2, result.stderr
    assert b"cannot tell the format" in result.stderr and b"--format" in result.stderr
    assert not (tmp_path / name).exists() and sim.stats.requests == before  # nothing written, nothing sent


def test_export_with_format_writes_any_file_name(sim: KrillSimulator, tmp_path: Path) -> None:
    out = tmp_path / "cpes.tsv"
    result = krill("export", "isp/cpes/", "--fields", "id=id", "--format", "csv", "-o", str(out), env=_env(sim))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().splitlines()[0] == b"id" and len(out.read_bytes().splitlines()) == 31


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    "command",
    [
        lambda port: _command("serve", "--port", str(port), "--cpes", "200000"),
        lambda port: [sys.executable, "-m", "krill_async.testing", "--port", str(port), "--cpes", "200000"],
    ],
    ids=["krill serve", "python -m krill_async.testing"],
)
def test_a_busy_port_is_one_line_at_once(busy_port: int, command: Callable[[int], list[str]]) -> None:
    """200,000 CPEs take many seconds to generate: the answer must come before that, as one line."""
    started = time.monotonic()
    result = subprocess.run(command(busy_port), capture_output=True, env=_env(), timeout=60, check=False)
    elapsed = time.monotonic() - started
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode == 2 and result.stdout == b""
    assert len(lines) == 1 and f"port {busy_port}" in lines[0] and "--port 0" in lines[0], lines
    assert elapsed < 5


def test_port_0_prints_the_port_it_got() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "krill_async.testing", "--port", "0", "--cpes", "5"],
        stdout=subprocess.PIPE,
        env=_env(),
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
        assert line.startswith("Krill simulator listening on http://127.0.0.1:") and port > 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_action_help_names_no_resource() -> None:
    action = krill("action", "--help", env=_env()).stdout.decode()
    assert "RESOURCE" not in action and "--url URL" in action
    export = krill("export", "--help", env=_env()).stdout.decode()
    assert "RESOURCE is a whole URL" in export
    search = krill("search", "--help", env=_env()).stdout.decode()
    assert "RESOURCE" not in search and "first item is a whole URL" in search
