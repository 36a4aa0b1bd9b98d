"""Scanning monitoring Host objects: full typed decode vs a 2-path projection vs the peer client (jmq-krill).

The simulated Krill runs in its own process with a fixed latency per request; each mode runs in a fresh
child process (imports outside the timed region) so its peak RSS is its own, with a ticker task on the same
event loop measuring the worst lag. Modes are interleaved across repeats and medians reported. Run from the
repository root:

    python benchmarks/monitoring_scan.py                     # 100,000 hosts, pages of 2000; RSS at 50k and 200k
    python benchmarks/monitoring_scan.py --hosts 20000 --rss-sizes "" --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import anyio

from krill_async import Krill

USER, PASSWORD = "usuario", "contraseña"
MODES = ("full", "select", "peer")
LABELS = {
    "full": "krill_async export, full Host",
    "select": "krill_async export, select 2",
    "peer": "jmq-krill (peer), sequential",
    "full-big": "full Host, pages of {big}",
    "whole-big": "whole-body decode, {big}",
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


async def ticker(lags: list[float], stop: anyio.Event) -> None:
    """Another task on the same loop: how late does it wake up?"""
    interval = 0.005
    while not stop.is_set():
        before = time.perf_counter()
        await anyio.sleep(interval)
        lags.append(time.perf_counter() - before - interval)


async def with_ticker(run: Any, *args: Any) -> tuple[int, float]:
    lags: list[float] = [0.0]
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker, lags, stop)
        seen = await run(*args)
        stop.set()
    return seen, max(lags)


async def run_full(url: str, page_size: int, concurrency: int) -> int:
    seen = 0
    async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
        async with krill.monitoring.search(type="Host").export(page_size=page_size) as hosts:
            async for host in hosts:
                seen += host.name is not None
    return seen


async def run_select(url: str, page_size: int, concurrency: int) -> int:
    seen = 0
    async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
        query = krill.monitoring.search(type="Host").select(cpe="name", olt="attrs.vars.cpe_registration_host")
        async with query.export(page_size=page_size) as records:
            async for record in records:
                seen += record.cpe is not None
    return seen


async def run_whole(url: str, page_size: int, concurrency: int) -> int:
    """Reference for the lag: read each big page whole, then decode it in one call (no incremental decode)."""
    from krill_async._decode import Envelope
    from krill_async._stream_decode import lax_decoder
    from krill_async.models import Host

    seen = 0
    decoder = lax_decoder(Envelope[Host])
    async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
        offset = 0
        while True:
            response = await krill.request(
                "GET", "monitoring/search", params={"type": "Host", "limit": page_size, "offset": offset}
            )
            page = decoder.decode(response.content)
            seen += len(page.results)
            offset += page_size
            if page.next is None:
                return seen


def run_peer(url: str, page_size: int) -> int:
    """jmq-krill as its README shows: login, then iter_cpes_monitoring_pages (it follows `next` verbatim)."""
    from jmq_krill.krill_api import PyJMQKrill

    krill = PyJMQKrill(url, USER, PASSWORD)
    krill.login()
    seen = 0
    # hostgroup "" sends an empty hostgroups= (ignored by the server) so every mode scans the same hosts
    for page in krill.iter_cpes_monitoring_pages(limit=page_size, include_services=False, hostgroup=""):
        seen += len(page)
    return seen


def child(mode: str, url: str, page_size: int, concurrency: int) -> None:
    baseline = peak_rss_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    if mode == "peer":
        seen, lag = run_peer(url, page_size), float("nan")
    else:
        runner = {"full": run_full, "select": run_select, "full-big": run_full, "whole-big": run_whole}[mode]
        seen, lag = anyio.run(with_ticker, runner, url, page_size, concurrency)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    print(
        json.dumps(
            {"records": seen, "seconds": elapsed, "cpu": cpu, "peak_rss_mb": peak_rss_mb(), "start_rss_mb": baseline,
             "lag": lag}
        )
    )  # fmt: skip


def measure(mode: str, url: str, page_size: int, concurrency: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode, "--url", url, "--page-size", str(page_size),
           "--concurrency", str(concurrency)]  # fmt: skip
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def decode_only(repeat: int) -> None:
    """The decoders alone, in this process, on the simulator's own pages (no network): MB of JSON per second."""
    from krill_async._decode import Envelope
    from krill_async._stream_decode import IncrementalPageDecoder, lax_decoder
    from krill_async.models import Host
    from krill_async.testing import Network
    from krill_async.testing._monitoring_data import MonitoringData

    data = MonitoringData(Network.generate(cpes=200), hosts=20_000)
    pages = [
        b'{"count":20000,"next":null,"previous":null,"results":['
        + b",".join(data.host_bytes(i) for i in range(start, start + 2000))
        + b"]}"
        for start in range(0, 20_000, 2000)
    ]
    size = sum(len(page) for page in pages)
    two = projection_type()

    def whole(model: Any) -> Any:
        decoder = lax_decoder(Envelope[model])
        return lambda: [decoder.decode(page).results for page in pages]

    def incremental(model: Any) -> Any:
        def run() -> list[Any]:
            out = []
            for page in pages:
                decoder: IncrementalPageDecoder[Any] = IncrementalPageDecoder(model)
                for start in range(0, len(page), 128 * 1024):
                    decoder.feed(page[start : start + 128 * 1024])
                    while (batch := decoder.next_batch()) is not None:
                        out += batch
                out += decoder.finish()
            return out

        return run

    cases = {
        "plain dicts (msgspec)": whole(dict[str, Any]),
        "full Host, whole page": whole(Host),
        "full Host, incremental": incremental(Host),
        "select 2, whole page": whole(two),
        "select 2, incremental": incremental(two),
    }
    rates: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            started = time.perf_counter()
            result = run()
            rates[name].append(size / (time.perf_counter() - started) / 1e6)
            del result
    full = statistics.median(rates["full Host, whole page"])
    print(f"\nDecoding only (this process, {size / 1e6:.0f} MB of Host JSON, GC on, median of {repeat})")
    print(f"| {'decoder':<26} | {'MB/s':>6} | {'vs full':>7} |")
    print(f"|{'-' * 28}|{'-' * 8}|{'-' * 9}|")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"| {name:<26} | {rate:>6.0f} | {rate / full:>6.1f}x |")


def projection_type() -> Any:
    from krill_async import projection

    return projection(cpe="name", olt="attrs.vars.cpe_registration_host")


def serve(hosts: int, args: argparse.Namespace, max_limit: int) -> Any:
    from krill_async.testing import spawn_simulator

    # "absolute" links: the peer client follows `next` verbatim
    return spawn_simulator(
        cpes=args.cpes,
        monitoring_hosts=hosts,
        latency=args.latency_ms / 1000,
        max_limit=max_limit,
        links="absolute",
        startup_timeout=600,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=100_000)
    parser.add_argument("--cpes", type=int, default=2_000, help="CRM CPEs; hosts beyond them are CPE-like extras")
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--page-size", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the median time is reported")
    parser.add_argument("--rss-sizes", default="50000,200000", help="sizes for the peak RSS table ('' to skip)")
    parser.add_argument("--big-page", type=int, default=10_000, help="page size of the large-page lag test (0: skip)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "decode-only":
        decode_only(args.repeat)
        return 0
    if args.child:
        child(args.child, args.url, args.page_size, args.concurrency)
        return 0

    ok = True
    print(f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; {args.latency_ms:g} ms latency per request, page size {args.page_size}, "
          f"concurrency {args.concurrency}, median of {args.repeat} run(s)\n")  # fmt: skip

    started = time.perf_counter()
    with serve(args.hosts, args, max(args.page_size, args.big_page)) as url:
        print(f"simulator with {args.hosts:,} hosts ready in {time.perf_counter() - started:.1f} s\n")
        results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for _ in range(args.repeat):
            for mode in MODES:  # interleaved, so machine noise hits every mode alike
                results[mode].append(measure(mode, url, args.page_size, args.concurrency))
        big: dict[str, list[dict[str, Any]]] = {"full-big": [], "whole-big": []}
        if args.big_page:
            for _ in range(args.repeat):
                for mode in big:
                    big[mode].append(measure(mode, url, args.big_page, 2))

    header = (f"| {'mode':<32} | {'objects':>8} | {'wall s':>7} | {'objects/s':>10} | {'vs full':>7} | {'vs peer':>7} "
              f"| {'client CPU s':>12} | {'peak RSS MB':>11} | {'worst lag ms':>12} |")  # fmt: skip
    rule = "|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|"
    print(f"Scan of {args.hosts:,} Host objects")
    print(header)
    print(rule)
    full = statistics.median(r["seconds"] for r in results["full"])
    peer = statistics.median(r["seconds"] for r in results["peer"])
    for mode in MODES:
        runs = results[mode]
        seconds = statistics.median(r["seconds"] for r in runs)
        objects = runs[0]["records"]
        expected = args.hosts - 1 if mode == "peer" else args.hosts  # the peer starts at offset 1
        ok &= all(r["records"] == expected for r in runs)
        lag = statistics.median(r["lag"] for r in runs) * 1000
        cpu = statistics.median(r["cpu"] for r in runs)
        print(f"| {LABELS[mode]:<32} | {objects:>8,} | {seconds:>7.2f} | {objects / seconds:>10,.0f} | "
              f"{full / seconds:>6.1f}x | {peer / seconds:>6.1f}x | {cpu:>12.2f} | "
              f"{max(r['peak_rss_mb'] for r in runs):>11.1f} | {lag:>12.1f} |")  # fmt: skip
    if args.big_page:
        for mode, runs in big.items():
            seconds = statistics.median(r["seconds"] for r in runs)
            lag = statistics.median(r["lag"] for r in runs) * 1000
            label = LABELS[mode].format(big=f"{args.big_page:,}")
            objects = runs[0]["records"]
            ok &= all(r["records"] == args.hosts for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            print(f"| {label:<32} | {objects:>8,} | {seconds:>7.2f} | {objects / seconds:>10,.0f} | {'':>7} | {'':>7} "
                  f"| {cpu:>12.2f} | {max(r['peak_rss_mb'] for r in runs):>11.1f} | {lag:>12.1f} |")  # fmt: skip

    sizes = [int(s) for s in args.rss_sizes.split(",") if s.strip()]
    if sizes:
        rss: dict[tuple[str, int], float] = {}
        for size in sizes:
            started = time.perf_counter()
            with serve(size, args, args.page_size) as url:
                print(f"\nsimulator with {size:,} hosts ready in {time.perf_counter() - started:.1f} s", end="")
                for mode in MODES:
                    repeats = 1 if mode == "peer" else 2
                    runs = [measure(mode, url, args.page_size, args.concurrency) for _ in range(repeats)]
                    rss[(mode, size)] = max(r["peak_rss_mb"] for r in runs)
        print("\n\nPeak RSS (MB) by scan size")
        print(f"| {'mode':<32} | " + " | ".join(f"{s:>9,}" for s in sizes) + f" | {'ratio':>5} |")
        print("|" + "-" * 34 + "|" + "|".join("-" * 11 for _ in sizes) + "|-------|")
        for mode in MODES:
            values = [rss[(mode, s)] for s in sizes]
            print(f"| {LABELS[mode]:<32} | " + " | ".join(f"{v:>9.1f}" for v in values)
                  + f" | {values[-1] / values[0]:>5.2f} |")  # fmt: skip
    # in a child: Linux children inherit the parent's peak RSS, so the parent must stay small
    cmd = [sys.executable, __file__, "--child", "decode-only", "--repeat", str(args.repeat)]
    print(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout, end="")
    if not ok:
        print("\nWARNING: a mode did not return the expected number of objects", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
