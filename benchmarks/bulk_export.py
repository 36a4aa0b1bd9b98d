"""Bulk export of CPEs: krill_async concurrent export vs sequential paging vs plain aiohttp + json.

The simulated Krill runs in its own process with a fixed latency per request. Each mode runs in a fresh
child process so that its peak RSS is its own. Run from the repository root:

    python benchmarks/bulk_export.py                  # 50,000 CPEs, 30 ms, page size 1000
    python benchmarks/bulk_export.py --cpes 10000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

import aiohttp
import anyio
from yarl import URL

from krill_async import Krill

MODES = ("concurrent", "sequential", "plain-aiohttp")
USER, PASSWORD = "usuario", "contraseña"


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not ``ru_maxrss``: Linux carries it over from the parent through fork
    and exec, so a child would report at least its parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return float("nan")


async def run_concurrent(url: str, page_size: int, concurrency: int) -> int:
    seen = 0
    async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
        async with krill.isp.cpes.export(page_size=page_size) as cpes:
            async for _ in cpes:
                seen += 1
    return seen


async def run_sequential(url: str, page_size: int, concurrency: int) -> int:
    seen = 0
    async with Krill(url, auth=(USER, PASSWORD)) as krill:
        async for _ in krill.isp.cpes.list(page_size=page_size):
            seen += 1
    return seen


async def run_plain_aiohttp(url: str, page_size: int, concurrency: int) -> int:
    """What users write today: aiohttp + json.loads, following `next` one page at a time."""
    seen = 0
    base = URL(url)
    next_url: URL | None = base.join(URL(f"/api/v2/isp/cpes/?limit={page_size}"))
    async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(USER, PASSWORD, encoding="utf-8")) as session:
        while next_url is not None:
            async with session.get(next_url) as resp:
                resp.raise_for_status()
                body = json.loads(await resp.read())
            seen += len(body["results"])
            link = body["next"]
            next_url = base.join(URL(link)) if link else None
    return seen


def child(mode: str, url: str, page_size: int, concurrency: int) -> None:
    runner = {"concurrent": run_concurrent, "sequential": run_sequential, "plain-aiohttp": run_plain_aiohttp}[mode]
    baseline = peak_rss_mb()  # after imports: every mode pays them outside the timed region
    started = time.perf_counter()
    seen = anyio.run(runner, url, page_size, concurrency)
    elapsed = time.perf_counter() - started
    print(json.dumps({"records": seen, "seconds": elapsed, "peak_rss_mb": peak_rss_mb(), "start_rss_mb": baseline}))


def measure(mode: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--url",
        url,
        "--page-size",
        str(args.page_size),
        "--concurrency",
        str(args.concurrency),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpes", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the median time is reported")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.page_size, args.concurrency)
        return 0

    from krill_async.testing import spawn_simulator

    # "absolute" links: the plain-aiohttp baseline follows `next` verbatim, as naive clients do.
    with spawn_simulator(cpes=args.cpes, latency=args.latency_ms / 1000, max_limit=1000, links="absolute") as url:
        results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for _ in range(args.repeat):
            for mode in MODES:  # interleaved, so machine noise hits every mode alike
                results[mode].append(measure(mode, url, args))

    print(
        f"\nBulk export: {args.cpes:,} CPEs, {args.latency_ms:g} ms latency per request, page size "
        f"{args.page_size}, concurrency {args.concurrency}, median of {args.repeat} run(s)"
    )
    print(
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{_cpus()} CPUs\n"
    )
    baseline = statistics.median(r["seconds"] for r in results["plain-aiohttp"])
    header = (
        f"| {'mode':<28} | {'records':>8} | {'wall s':>7} | {'records/s':>10} | {'vs plain':>8} | {'peak RSS MB':>11} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    ok = True
    for mode in MODES:
        runs = results[mode]
        seconds = statistics.median(r["seconds"] for r in runs)
        records = runs[0]["records"]
        ok &= all(r["records"] == args.cpes for r in runs)
        rss = max(r["peak_rss_mb"] for r in runs)
        label = {
            "concurrent": f"krill_async export (c={args.concurrency})",
            "sequential": "krill_async sequential",
            "plain-aiohttp": "plain aiohttp + json, next",
        }[mode]
        print(
            f"| {label:<28} | {records:>8,} | {seconds:>7.2f} | {records / seconds:>10,.0f} | "
            f"{baseline / seconds:>7.1f}x | {rss:>11.1f} |"
        )
    if not ok:
        print("\nWARNING: a mode did not return every record", file=sys.stderr)
    return 0 if ok else 1


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
