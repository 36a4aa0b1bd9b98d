"""Start-up of the ``krill`` command against httpie (``http``) for one GET, as whole processes.

The project's simulator runs locally (no latency); each command runs ``--runs`` times, interleaved, and the
median wall time and CPU time (user + system of the child, from ``wait4``) are reported. Needs httpie
(``pip install httpie``). Run from the repository root:

    python benchmarks/cli_startup.py            # krill get isp/cpes/74/ vs http GET .../isp/cpes/74/
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "usuario", "contraseña"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        assert proc.stderr is not None
        raise RuntimeError(f"{cmd[:3]} failed: {proc.stderr.read().decode()[:500]}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    http = shutil.which("http")
    if http is None:
        print("httpie is not installed: pip install httpie", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    from krill_async.testing import spawn_simulator

    # an installed package has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would compile every module from source on every run instead
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "krill_async")], check=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with spawn_simulator(cpes=100) as url:
        auth = f"{USER}:{PASSWORD}"
        commands = {
            "krill get isp/cpes/74/": [sys.executable, "-m", "krill_async.cli", "get", "isp/cpes/74/", "--url", url,
                                       "-a", auth],
            "http (httpie) GET .../isp/cpes/74/": [http, "-b", "-a", auth, f"{url}/api/v2/isp/cpes/74/"],
            "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
        }  # fmt: skip
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for cmd in commands.values():
            timed(cmd, env)  # warm the page cache
        for _ in range(args.runs):
            for name, cmd in commands.items():
                results[name].append(timed(cmd, env))
    print(f"\nOne GET as a whole process, median of {args.runs} runs (interleaved), load {os.getloadavg()[0]:.1f}\n")
    print("| command | wall ms | CPU ms | min wall ms |")
    print("|---|---:|---:|---:|")
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs) * 1000
        cpu = statistics.median(c for _, c in runs) * 1000
        print(f"| `{name}` | {wall:.0f} | {cpu:.0f} | {min(w for w, _ in runs) * 1000:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
