"""The floor of a whole job (issue #13): client CPU beside msgspec alone decoding the same bytes.

An independent fast server runs in its own process: plain aiohttp serving pre-encoded DRF pages
(``count``/``next``/``previous``/``results``, absolute ``next`` links like DRF's) with a fixed latency per
request, and a JWT login for the peer client. The records are taken once from the project's simulator
(then cached in the temp dir); the serving code is not the simulator's. Every job runs in a fresh child
process; its CPU time (user + system, ``resource.getrusage``) is measured around the job alone, with imports
outside (reported on their own line). The floor is measured in the job's process right after the job: the
very bodies the job received, fetched again, then decoded by msgspec alone (``msgspec.json.Decoder`` of a
plain envelope of the same record type), each page once per round, best of the rounds. The wall floor of
each job is a job of its own (``read-cpes``, ``read-hosts``): plain aiohttp fetching the same pages at the
same concurrency, bodies read and never decoded. Run from the repository root:

    python benchmarks/floor.py                  # 50,000 CPEs and 100,000 Hosts, 30 ms, page size 1000
    python benchmarks/floor.py --quick          # 5,000 / 10,000, 1 repeat
    python benchmarks/floor.py --rss            # also the scan's peak RSS at 50,000 and 200,000 Hosts

The server and the cached records are in `floor_server.py` (a process of its own).
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from floor_server import CPES_PATH, HOSTS_PATH, PASSWORD, ROOT, USER, Server, cached_records

JOBS = ("export", "aiohttp", "read-cpes", "scan", "jmq", "read-hosts")
HOST_SAMPLE = 10_000


# -- the jobs (each in a fresh child process) -------------------------------------------------------------


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def job(name: str, url: str, page_size: int, concurrency: int) -> dict[str, Any]:
    imports = time.perf_counter()
    import anyio

    if name in ("export", "scan"):
        import importlib

        import aiohttp  # (krill_async loads it with the first request: not the job's cost)

        from krill_async import Krill

        for module in ("_transport", "_export", "_projection", "_stream_decode", "apps.isp", "apps.monitoring"):
            importlib.import_module(f"krill_async.{module}")
    if name in ("aiohttp", "read-cpes", "read-hosts"):
        import aiohttp
        from yarl import URL
    if name == "jmq":
        from jmq_krill.krill_api import PyJMQKrill
    imports = time.perf_counter() - imports

    async def ticker(lags: list[float]) -> None:
        while True:
            before = time.perf_counter()
            await anyio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    async def export() -> int:
        seen = 0
        async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
            async with krill.isp.cpes.export(page_size=page_size) as cpes:
                async for cpe in cpes:
                    seen += cpe.id is not None
        return seen

    async def scan() -> int:
        seen = 0
        async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
            query = krill.monitoring.search(type="Host").select(cpe="name", olt="attrs.vars.cpe_registration_host")
            async with query.export(page_size=page_size) as records:
                async for record in records:
                    seen += record.cpe is not None
        return seen

    async def plain() -> int:
        """What users write: aiohttp + json.loads, following `next` one page at a time."""
        seen = 0
        next_url: Any = URL(url).join(URL(f"{CPES_PATH}?limit={page_size}"))
        async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(USER, PASSWORD, encoding="utf-8")) as session:
            while next_url is not None:
                async with session.get(next_url) as resp:
                    resp.raise_for_status()
                    body = json.loads(await resp.read())
                seen += sum(1 for record in body["results"] if record.get("id") is not None)
                next_url = URL(body["next"]) if body["next"] else None
        return seen

    async def read_only() -> int:
        """The wall floor: the same pages, ``concurrency`` at a time, bodies read and never decoded (the
        offsets are known: no planning, no first page awaited alone beyond the first request)."""
        path, extra = (CPES_PATH, "") if name == "read-cpes" else (HOSTS_PATH, "type=Host&")
        slots = anyio.Semaphore(concurrency)
        read = 0
        auth = aiohttp.BasicAuth(USER, PASSWORD, encoding="utf-8")
        async with aiohttp.ClientSession(auth=auth) as session:

            async def one(offset: int) -> bytes:
                nonlocal read
                async with slots, session.get(URL(f"{url}{path}?{extra}limit={page_size}&offset={offset}")) as r:
                    body = await r.read()
                read += 1
                return body

            total = json.loads(await one(0))["count"]  # (one page decoded by json: the count)
            async with anyio.create_task_group() as tg:
                for offset in range(page_size, total, page_size):
                    tg.start_soon(one, offset)
        return read * page_size

    async def with_ticker(run: Any) -> tuple[int, float]:
        lags = [0.0]
        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker, lags)
            seen = await run()
            tg.cancel_scope.cancel()
        return seen, max(lags)

    start_rss = peak_rss_mb()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall, cpu = time.perf_counter(), cpu_now()
    lag = float("nan")
    if name == "jmq":
        krill = PyJMQKrill(url, USER, PASSWORD)
        krill.login()
        seen = 0
        for page in krill.iter_cpes_monitoring_pages(limit=page_size, include_services=False, hostgroup=""):
            seen += len(page)
    else:
        run = {"export": export, "scan": scan, "aiohttp": plain, "read-cpes": read_only, "read-hosts": read_only}[name]
        seen, lag = anyio.run(with_ticker, run)
    cpu, wall = cpu_now() - cpu, time.perf_counter() - wall
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    rss = peak_rss_mb()
    floors = {}
    if name in ("export", "scan"):  # the floor, in this very process, right after the job
        floors = floor(url, page_size, 3, ("cpes", "cpes-eager") if name == "export" else ("hosts",))
    return {"floor": floors, "records": seen, "cpu": cpu, "wall": wall, "rss": rss, "start_rss": start_rss,
            "lag_ms": lag * 1000, "imports": imports, "faults": faults}  # fmt: skip


def floor(url: str, page_size: int, rounds: int, only: tuple[str, ...]) -> dict[str, Any]:
    """msgspec alone: the same bodies, the same record types, one process, best of ``rounds``."""
    import gc

    import msgspec

    sys.path.insert(0, str(ROOT))
    from krill_async.models import Cpe, CpeLinks

    class EagerCpe(Cpe):  # Cpe with `_links` decoded at once (the library keeps it raw until read)
        links: CpeLinks | None = msgspec.field(default=msgspec.UNSET, name="_links")

    class CpePage(msgspec.Struct, gc=False):
        results: list[Cpe]
        count: int | None = None
        next: str | None = None
        previous: str | None = None

    class EagerCpePage(msgspec.Struct, gc=False):
        results: list[EagerCpe]
        count: int | None = None
        next: str | None = None
        previous: str | None = None

    class Vars(msgspec.Struct, gc=False):
        cpe_registration_host: Any = None

    class Attrs(msgspec.Struct, gc=False):
        vars: Vars | None = None

    class Host2(msgspec.Struct, gc=False):
        name: Any = None
        attrs: Attrs | None = None

    class HostPage(msgspec.Struct, gc=False):
        results: list[Host2]
        count: int | None = None
        next: str | None = None
        previous: str | None = None

    class RawPage(msgspec.Struct, gc=False):
        results: list[msgspec.Raw]

    def bodies(path: str, extra: str) -> list[bytes]:
        out, next_url = [], f"{url}{path}?{extra}limit={page_size}&offset=0"
        while next_url:
            body = urllib.request.urlopen(next_url).read()
            out.append(body)
            next_url = json.loads(body)["next"]
        return out

    kinds = (
        ("cpes", CPES_PATH, "", CpePage),
        ("cpes-eager", CPES_PATH, "", EagerCpePage),
        ("hosts", HOSTS_PATH, "type=Host&", HostPage),
    )
    kinds = tuple(k for k in kinds if k[0] in only)
    fetched = {path: bodies(path, extra) for _, path, extra, _ in kinds}
    split = msgspec.json.Decoder(RawPage)
    result: dict[str, Any] = {
        kind: {"seconds": float("inf"), "split": float("inf"), "mb": sum(map(len, fetched[path])) / 1e6}
        for kind, path, _, _ in kinds
    }
    for _ in range(rounds):  # interleaved: noise hits every type alike
        for kind, path, _, type_ in kinds:
            decoder = msgspec.json.Decoder(type_)
            pages = fetched[path]
            gc.collect()
            start = cpu_now()
            n = 0
            for body in pages:
                n += len(decoder.decode(body).results)
            result[kind]["seconds"] = min(result[kind]["seconds"], cpu_now() - start)
            start = cpu_now()
            for body in pages:
                split.decode(body)
            result[kind]["split"] = min(result[kind]["split"], cpu_now() - start)
            result[kind]["records"] = n
    return result


def child_run(args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def import_ms(statement: str, runs: int = 5) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    times = []
    for _ in range(runs):
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
        times.append(float(out.stdout) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpes", type=int, default=50_000)
    parser.add_argument("--hosts", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5, help="runs per job, interleaved; the median is reported")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rss", action="store_true", help="also the scan's peak RSS at 50,000 and 200,000 Hosts")
    parser.add_argument("--only", choices=JOBS, action="append", help=argparse.SUPPRESS)
    parser.add_argument("--job", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(job(args.job[0], args.job[1], args.page_size, args.concurrency)))
        return 0
    if args.quick:
        args.cpes, args.hosts, args.repeat = 5_000, 10_000, 1
    jobs = args.only or list(JOBS)

    # the simulator generates 100,000 Hosts slowly: 10,000 distinct ones are served in turn up to --hosts
    cpes, hosts = cached_records("cpes", args.cpes), cached_records("hosts", min(args.hosts, HOST_SAMPLE))
    server = Server(cpes, hosts, args.latency_ms / 1000, hosts_total=args.hosts)
    common = ["--page-size", str(args.page_size), "--concurrency", str(args.concurrency)]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in jobs}
    try:
        for _ in range(args.repeat):
            for name in jobs:  # interleaved: machine noise hits every job alike
                runs[name].append(child_run(["--job", name, server.url, *common]))
    finally:
        server.close()
    rss_rows = rss_by_size(cpes, hosts, args, common) if args.rss else None

    load = os.getloadavg()
    print(
        f"\nFloor report: {args.cpes:,} CPEs and {args.hosts:,} Hosts, {args.latency_ms:g} ms per request, page "
        f"size {args.page_size}, concurrency {args.concurrency}, median of {args.repeat} run(s) (min in brackets)"
    )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, load average {load[0]:.1f} / {load[1]:.1f}\n"
    )
    print("Floor: msgspec alone decoding the bodies the job received, into the same types, in the job's process")
    print("right after the job (best of 3 rounds); ratios are per run, then the median (min) over the runs.\n")
    header = (
        "| job | records | floor s | job CPU s | CPU / floor | CPU / eager floor | vs peer (CPU) | wall s "
        "| vs peer (wall) | peak RSS MB | worst lag ms, median (max) |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    peer_of = {"export": "aiohttp", "scan": "jmq"}
    own_floor = {"export": ("export", "cpes"), "aiohttp": ("export", "cpes"), "read-cpes": ("export", "cpes"),
                 "scan": ("scan", "hosts"), "jmq": ("scan", "hosts"), "read-hosts": ("scan", "hosts")}  # fmt: skip
    c = args.concurrency
    labels = {"export": f"krill_async export, 50k CPEs (c={c})", "aiohttp": "aiohttp + json.loads, `next`, sequential",
              "read-cpes": f"wall floor: aiohttp, c={c}, CPE bodies read, not decoded",
              "scan": f"krill_async scan, select 2 paths (c={c})", "jmq": "jmq-krill (requests), sequential",
              "read-hosts": f"wall floor: aiohttp, c={c}, Host bodies read, not decoded"}  # fmt: skip

    def ratios(name: str, kind: str) -> str:
        source, _ = own_floor[name]
        if source not in runs:
            return ""
        pairs = list(zip(runs[name], runs[source], strict=True))
        values = [r["cpu"] / f["floor"][kind]["seconds"] for r, f in pairs]
        return f"{statistics.median(values):.2f}x ({min(values):.2f}x)"

    for name in jobs:
        rs = runs[name]
        cpu = statistics.median(r["cpu"] for r in rs)
        wall = statistics.median(r["wall"] for r in rs)
        source, kind = own_floor[name]
        fl = statistics.median(r["floor"][kind]["seconds"] for r in runs[source]) if source in runs else float("nan")
        peer = peer_of.get(name)
        vs_cpu = vs_wall = ""
        if peer in runs:
            vs_cpu = f"{statistics.median(r['cpu'] for r in runs[peer]) / cpu:.1f}x"
            vs_wall = f"{statistics.median(r['wall'] for r in runs[peer]) / wall:.1f}x"
        lag = max(r["lag_ms"] for r in rs)
        lag_median = statistics.median(r["lag_ms"] for r in rs)
        eager = ratios(name, "cpes-eager") if kind == "cpes" else ""
        print(
            f"| {labels[name]} | {rs[0]['records']:,} | {fl:.3f} | {cpu:.3f} ({min(r['cpu'] for r in rs):.3f}) | "
            f"{ratios(name, kind)} | {eager} | {vs_cpu} | {wall:.2f} ({min(r['wall'] for r in rs):.2f}) | {vs_wall} | "
            f"{max(r['rss'] for r in rs):.1f} | {'' if lag != lag else f'{lag_median:.1f} ({lag:.1f})'} |"
        )
    for name, kind, what in (("export", "cpes", "CPE"), ("scan", "hosts", "Host")):
        if name in runs:
            f = runs[name][0]["floor"]
            extra = ""
            if kind == "cpes":
                eager = statistics.median(r["floor"]["cpes-eager"]["seconds"] for r in runs[name])
                extra = f", into Cpe with `_links` decoded at once {eager:.3f} s"
            split = statistics.median(r["floor"][kind]["split"] for r in runs[name])
            print(f"\n{what} pages: {f[kind]['mb']:.0f} MB; msgspec splitting them into list[Raw] alone {split:.3f} s"
                  f"{extra}", end="")  # fmt: skip
    print()
    for job_name, floor_name, peer in (("export", "read-cpes", "aiohttp"), ("scan", "read-hosts", "jmq")):
        if job_name in runs and floor_name in runs:
            floor_wall = statistics.median(r["wall"] for r in runs[floor_name])
            job_wall = statistics.median(r["wall"] for r in runs[job_name])
            best = ""
            if peer in runs:
                best = (f"; the most this server and aiohttp allow against {peer} at c={c}: "
                        f"{statistics.median(r['wall'] for r in runs[peer]) / floor_wall:.1f}x")  # fmt: skip
            print(f"\n{job_name} wall / its wall floor: {job_wall / floor_wall:.2f}x{best}", end="")
    print()
    imports = {name: statistics.median(r["imports"] for r in runs[name]) * 1000 for name in jobs}
    faults = {name: statistics.median(r["faults"] for r in runs[name]) for name in jobs}
    print("\nMinor page faults during the job (memory touched for the first time), median: "
          + ", ".join(f"{name} {n:,.0f}" for name, n in faults.items()))  # fmt: skip
    print("\nImports (in each job's process, outside its timed region), median ms: "
          + ", ".join(f"{name} {ms:.0f}" for name, ms in imports.items()))  # fmt: skip
    if rss_rows:
        print("\nScan peak RSS by size (select 2, c=8):", ", ".join(f"{n:,} Hosts {mb:.1f} MB" for n, mb in rss_rows),
              f"ratio {rss_rows[-1][1] / rss_rows[0][1]:.2f}")  # fmt: skip
    return 0


def rss_by_size(cpes: Path, hosts: Path, args: argparse.Namespace, common: list[str]) -> list[tuple[int, float]]:
    rows = []
    for size in (50_000, 200_000):
        server = Server(cpes, hosts, args.latency_ms / 1000, hosts_total=size)
        try:
            peaks = [child_run(["--job", "scan", server.url, *common])["rss"] for _ in range(3)]
        finally:
            server.close()
        rows.append((size, statistics.median(peaks)))
    return rows


if __name__ == "__main__":
    sys.exit(main())
