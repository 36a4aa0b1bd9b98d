"""Soak: mixed load against a faulty simulated Krill, checking nothing is lost and nothing leaks.

Exports of every CPE run back to back (each resumed from its resume point if it finally fails) while 200
tasks fetch single records, all on one shared client, for ``--seconds`` (60 by default). About 5% of the
requests get an injected fault (503, nginx 502, 429 bursts, connections reset mid-body, truncated JSON).

    python benchmarks/soak.py                # 60 s
    python benchmarks/soak.py --seconds 10   # a quick look
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter

import anyio

from krill_async import Krill, KrillError
from krill_async.testing import spawn_simulator

AUTH = ("usuario", "contraseña")
FAULTS = [  # ~1% each, ~5% of requests in all
    {"kind": "status", "rate": 0.01, "path": "/api/v2/isp/"},
    {"kind": "nginx", "rate": 0.01, "path": "/api/v2/isp/"},
    {"kind": "throttle", "rate": 0.01, "path": "/api/v2/isp/"},
    {"kind": "reset", "rate": 0.01, "path": "/api/v2/isp/"},
    {"kind": "truncate", "rate": 0.01, "path": "/api/v2/isp/"},
]


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def soak(url: str, seconds: float, getters: int) -> dict[str, object]:
    errors: Counter[str] = Counter()
    exports = resumed = lost = duplicates = gets = wrong = 0
    rng = random.Random(1)
    async with Krill(url, auth=AUTH, concurrency=16) as krill:
        async with krill.isp.cpes.export(page_size=500, attrs="id") as records:
            expected = [cpe.id async for cpe in records]
        expected_set = set(expected)
        began = anyio.current_time()
        deadline = began + seconds
        samples: list[tuple[float, float, int]] = []  # (seconds since start, RSS MB, open fds)

        async def sampler() -> None:
            while anyio.current_time() < deadline:
                samples.append((anyio.current_time() - began, rss_mb(), open_fds()))
                await anyio.sleep(0.5)

        async def exporter() -> None:
            nonlocal exports, resumed, lost, duplicates
            while anyio.current_time() < deadline:
                ids: list[int | None] = []
                point = None
                while True:
                    try:
                        async with krill.isp.cpes.export(page_size=500, concurrency=4, resume=point) as records:
                            async for cpe in records:
                                ids.append(cpe.id)
                        break
                    except KrillError as exc:  # every retry failed: carry on from where it stopped
                        errors[f"export: {type(exc).__name__}"] += 1
                        point = exc.resume_point
                        resumed += 1
                exports += 1
                lost += len(expected_set - set(ids))
                duplicates += len(ids) - len(set(ids))

        async def getter() -> None:
            nonlocal gets, wrong
            while anyio.current_time() < deadline:
                wanted = rng.choice(expected)
                try:
                    cpe = await krill.isp.cpes.get(wanted, attrs="id,cpename")  # type: ignore[arg-type]
                    gets += 1
                    wrong += cpe.id != wanted
                except KrillError as exc:
                    errors[f"get: {type(exc).__name__}"] += 1

        async with anyio.create_task_group() as tg:
            tg.start_soon(sampler)
            tg.start_soon(exporter)
            for _ in range(getters):
                tg.start_soon(getter)
        stats = krill.stats
        result: dict[str, object] = {
            "requests": stats.requests,
            "retries": stats.retries,
            "final failures": stats.failures,
            "exports completed": exports,
            "exports resumed": resumed,
            "single gets": gets,
            "wrong records": wrong,
            "records lost": lost,
            "records duplicated": duplicates,
            "errors surfaced": dict(errors) or "none",
        }
        warm = next(sample for sample in samples if sample[0] >= seconds * 0.2)  # after the pools fill up
        last = samples[-1]
        result["RSS MB after warm-up -> end (peak)"] = (
            f"{warm[1]:.1f} -> {last[1]:.1f} ({max(x[1] for x in samples):.1f})"
        )
        result["open fds after warm-up -> end (peak)"] = f"{warm[2]} -> {last[2]} ({max(x[2] for x in samples)})"
    result["open fds after close"] = open_fds()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cpes", type=int, default=10_000)
    parser.add_argument("--getters", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    args = parser.parse_args()
    with spawn_simulator(cpes=args.cpes, latency=args.latency_ms / 1000, faults=FAULTS) as url:
        started = time.perf_counter()
        result = anyio.run(soak, url, args.seconds, args.getters)
        elapsed = time.perf_counter() - started
    print(
        f"\nSoak: {elapsed:.0f} s, {args.cpes:,} CPEs, {args.getters} concurrent getters + back-to-back exports, "
        f"{args.latency_ms:g} ms latency, ~5% injected faults\n"
    )
    print("| measure | value |\n|---|---|")
    for name, value in result.items():
        print(f"| {name} | {value} |")
    ok = result["records lost"] == 0 and result["records duplicated"] == 0 and result["wrong records"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
