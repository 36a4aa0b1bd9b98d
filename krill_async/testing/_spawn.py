"""Run the simulator in a subprocess (benchmarks and demos: keeps its CPU off the client's core)."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["spawn_simulator"]

_READY = "Krill simulator listening on "
_OPTIONS = {
    "seed": "--seed",
    "customers": "--customers",
    "cpes": "--cpes",
    "default_page_size": "--page-size",
    "max_limit": "--max-limit",
    "links": "--links",
    "internal_origin": "--internal-origin",
    "monitoring_links": "--monitoring-links",
    "cpe_links": "--cpe-links",
    "monitoring_unregistered": "--monitoring-unregistered",
    "access_token_lifetime": "--token-lifetime",
    "refresh_token_lifetime": "--refresh-token-lifetime",
    "host": "--host",
    "port": "--port",
    "monitoring_hosts": "--monitoring-hosts",
    "monitoring_drift": "--monitoring-drift",
    "monitoring_chunked": "--monitoring-chunked",
    "monitoring_live_delay": "--monitoring-live-delay",
}


def _command(config: dict[str, Any]) -> list[str]:
    args = [sys.executable, "-m", "krill_async.testing"]
    config = {"port": 0, **config}
    for name, value in config.items():
        if name == "users":
            for user, password in dict(value).items():
                args += ["--user", f"{user}:{password}"]
        elif name == "faults":  # [{"kind": "reset", "rate": 0.05, "path": "/isp/cpes"}, ...]
            for fault in value:
                args += ["--fault", f"{fault['kind']}:{fault.get('rate', 1.0)}:{fault.get('path', '')}"]
        elif name == "strict":
            if not value:
                args.append("--lenient")
        elif name == "capacity":
            if value is not None:
                from ._capacity import capacity_flags

                args += capacity_flags(value)
        elif name == "latency":
            args += ["--latency-ms", repr(float(value) * 1000.0)]
        elif name in _OPTIONS:
            if value is not None:
                args += [_OPTIONS[name], str(value)]
        else:
            raise TypeError(f"spawn_simulator() got an unexpected keyword argument {name!r}")
    return args


def _reader(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextlib.contextmanager
def spawn_simulator(*, startup_timeout: float = 120.0, **config: Any) -> Iterator[str]:
    """Start ``python -m krill_async.testing`` with ``SimulatorConfig`` keyword arguments.

    Yields the base URL (``http://127.0.0.1:PORT``); terminates and reaps the process on exit.
    """
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.Popen(_command(config), stdout=subprocess.PIPE, env=env, text=True, encoding="utf-8", bufsize=1)
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True)
    reader.start()
    try:
        url = None
        while url is None:
            try:
                line = lines.get(timeout=startup_timeout)
            except queue.Empty:
                raise TimeoutError("the Krill simulator did not start in time") from None
            if line is None:
                raise RuntimeError(f"the Krill simulator exited early (code {proc.wait()})")
            if line.startswith(_READY):
                url = line[len(_READY) :].strip()
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader.join(timeout=5)
        proc.stdout.close()
