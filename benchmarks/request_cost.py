"""What each request costs the client (issue #13): an export with small pages beside plain aiohttp.

Servers that cap ``limit`` low, or a user's small ``page_size``, turn an export into thousands of requests;
then the client's own work per request (retry loop, deadlines, admission, URL handling, decoding set-up)
counts as much as the decoding. Three levels, side by side:

- msgspec alone decoding the same bodies into the same ``Cpe`` page type (the decode floor, measured in
  the plain job's process after it, best of 3);
- plain aiohttp doing the same fetches, 8 at a time by offset, decoding every body the same way (what an
  aiohttp client cannot go below: aiohttp's own cost is its difference to the decode floor);
- the export; the last column is what the library adds per request over plain aiohttp.

Same independent fast server as `floor.py` (its own process, pre-encoded DRF pages), each job in a fresh
child process, CPU (user + system) around the job alone, imports outside, jobs interleaved, median of the
runs. Run from the repository root:

    python benchmarks/request_cost.py               # 20,000 CPEs at page sizes 10 and 100, 5 runs (~1 min)
    python benchmarks/request_cost.py --records 50000 --page-size 1000
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Any

from floor_server import CPES_PATH, PASSWORD, ROOT, USER, Server, cached_records


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def job(name: str, url: str, records: int, page_size: int, concurrency: int) -> dict[str, Any]:
    import aiohttp
    import anyio
    import msgspec

    sys.path.insert(0, str(ROOT))
    from krill_async import Krill
    from krill_async._export import Export  # noqa: F401  (imported before the timed region)
    from krill_async.models import Cpe

    class CpePage(msgspec.Struct, gc=False):
        results: list[Cpe]
        count: int | None = None
        next: str | None = None

    async def export() -> tuple[int, int]:
        seen = 0
        async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
            async with krill.isp.cpes.export(page_size=page_size, limit=records) as cpes:
                async for cpe in cpes:
                    seen += cpe.id is not None
            return seen, krill.stats.requests

    async def plain() -> tuple[int, int]:
        decoder = msgspec.json.Decoder(CpePage)
        seen = requests = 0
        headers = {"Authorization": aiohttp.BasicAuth(USER, PASSWORD).encode()}
        async with aiohttp.ClientSession(headers=headers) as session:

            async def fetch(offset: int, limiter: anyio.Semaphore) -> None:
                nonlocal seen, requests
                async with limiter, session.get(f"{url}{CPES_PATH}?limit={page_size}&offset={offset}") as resp:
                    resp.raise_for_status()
                    page = decoder.decode(await resp.read())
                    requests += 1
                    seen += sum(cpe.id is not None for cpe in page.results)

            limiter = anyio.Semaphore(concurrency)
            async with anyio.create_task_group() as tg:
                for offset in range(0, records, page_size):
                    tg.start_soon(fetch, offset, limiter)
        return seen, requests

    wall, cpu = time.perf_counter(), cpu_now()
    seen, requests = anyio.run({"export": export, "plain": plain}[name])
    cpu, wall = cpu_now() - cpu, time.perf_counter() - wall
    result = {"records": seen, "requests": requests, "cpu": cpu, "wall": wall}
    if name == "plain":  # the decode floor: the same bodies fetched again (untimed), decoded alone, best of 3
        auth = {"Authorization": aiohttp.BasicAuth(USER, PASSWORD).encode()}
        bodies = [
            urllib.request.urlopen(
                urllib.request.Request(f"{url}{CPES_PATH}?limit={page_size}&offset={offset}", headers=auth)
            ).read()
            for offset in range(0, records, page_size)
        ]
        decoder = msgspec.json.Decoder(CpePage)
        best = float("inf")
        for _ in range(3):
            start = cpu_now()
            for body in bodies:
                decoder.decode(body)
            best = min(best, cpu_now() - start)
        result["floor"] = best
    return result


def child_run(args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--job", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        name, url, records, page_size = args.job
        print(json.dumps(job(name, url, int(records), int(page_size), args.concurrency)))
        return 0
    cpes = cached_records("cpes", 50_000)
    server = Server(cpes, cached_records("hosts", 10_000), args.latency_ms / 1000)
    results: dict[tuple[str, int], list[dict[str, Any]]] = {}
    try:
        for _ in range(args.runs):
            for size in args.page_size:
                for name in ("export", "plain"):  # interleaved: noise hits both alike
                    common = ["--concurrency", str(args.concurrency), "--job", name, server.url]
                    run = child_run([*common, str(args.records), str(size)])
                    results.setdefault((name, size), []).append(run)
    finally:
        server.close()
    load = os.getloadavg()[0]
    print(f"\nRequest cost: {args.records:,} CPEs, concurrency {args.concurrency}, {args.latency_ms:g} ms per "
          f"request, median of {args.runs} run(s) (min in brackets); load average {load:.1f}\n")  # fmt: skip
    print("| page size | requests | decode alone s | plain aiohttp + msgspec CPU s | export CPU s | export / plain "
          "| export / decode | added per request µs |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.page_size:
        ours, plain = results[("export", size)], results[("plain", size)]
        for run in ours + plain:
            if run["records"] != args.records:
                raise SystemExit(f"a job saw {run['records']} records of {args.records}")
        requests = statistics.median(r["requests"] for r in ours)
        cpu = statistics.median(r["cpu"] for r in ours)
        floor = statistics.median(r["cpu"] for r in plain)
        decode = statistics.median(r["floor"] for r in plain)
        added = [(o["cpu"] - p["cpu"]) / o["requests"] * 1e6 for o, p in zip(ours, plain, strict=True)]
        over_plain = [o["cpu"] / p["cpu"] for o, p in zip(ours, plain, strict=True)]
        over_decode = [o["cpu"] / p["floor"] for o, p in zip(ours, plain, strict=True)]
        print(
            f"| {size} | {requests:,.0f} | {decode:.3f} | {floor:.3f} ({min(r['cpu'] for r in plain):.3f}) | "
            f"{cpu:.3f} ({min(r['cpu'] for r in ours):.3f}) | {statistics.median(over_plain):.2f}x | "
            f"{statistics.median(over_decode):.2f}x | {statistics.median(added):.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
