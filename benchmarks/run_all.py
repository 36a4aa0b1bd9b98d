"""Side-by-side benchmark report (issue #7): krill_async against plain aiohttp, httpx and jmq-krill.

Two scenarios, each at 0 ms and 30 ms of simulated latency per request: a bulk export of 50,000 CPEs and a
monitoring scan of 100,000 Host objects. Everything runs against ONE simulator process, whose latency is
changed at runtime through its loopback control route (``PUT /_simulator/config``). Each client runs in a
fresh child process (imports outside the timed region, so its peak RSS is its own); clients are interleaved
across repeats so machine noise hits them alike, and medians are reported. Before the timed runs, one
untimed run of every client collects the keys of what it returned, to check that it got the full set.
Import times are measured in fresh interpreters. Run from the repository root:

    python benchmarks/run_all.py            # full run (~10 min): writes benchmarks/results.md and results.png
    python benchmarks/run_all.py --quick    # 5,000 CPEs, 10,000 Hosts, 1 repeat; written to the temp dir

Needs the ``bench`` extra (``pip install -e '.[bench]'``: httpx, matplotlib, jmq-krill).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "usuario", "contraseña"
SCENARIOS = ("cpes", "hosts")
CLIENTS = ("export", "sequential", "select", "aiohttp", "httpx", "jmq")
KRILL_ASYNC = ("export", "sequential", "select")
#: Clients with no way to do a scenario, and why (shown as N/A).
NOT_APPLICABLE = {
    ("cpes", "select"): "the projection fast path is for monitoring searches",
    ("cpes", "jmq"): "jmq-krill has no method that pages the CPE list",
}
PATHS = {"cpes": "/api/v2/isp/cpes/", "hosts": "/api/v2/monitoring/search/?type=Host"}
KEYS = {"cpes": "id", "hosts": "name"}
IMPORTS = (
    ("import krill_async", "import krill_async"),
    ("from krill_async import Krill", "from krill_async import Krill"),
    ("import aiohttp", "import aiohttp"),
    ("import httpx", "import httpx"),
    ("jmq_krill (krill_api module)", "from jmq_krill.krill_api import PyJMQKrill"),
)
SHORT = {"aiohttp": "aiohttp + json", "httpx": "httpx + json", "jmq": "jmq-krill"}
COLORS = {
    "export": "#1b7837",
    "sequential": "#7fbf7b",
    "select": "#00441b",
    "aiohttp": "#2166ac",
    "httpx": "#92c5de",
    "jmq": "#b2182b",
}


def label(client: str, concurrency: int = 8) -> str:
    return {
        "export": f"krill_async export (c={concurrency})",
        "sequential": "krill_async sequential",
        "select": "krill_async projection (2 paths)",
        "aiohttp": "aiohttp + json, following next",
        "httpx": "httpx async + json, following next",
        "jmq": "jmq-krill (requests, sync)",
    }[client]


def scenario_title(scenario: str, size: int) -> str:
    return f"Bulk export of {size:,} CPEs" if scenario == "cpes" else f"Monitoring scan of {size:,} Host objects"


# -- the child: one client, one run ------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM``, not ``ru_maxrss``, which Linux carries over from the parent through
    fork and exec (a child of a 300 MB parent reports at least 300 MB)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


Runner = Callable[[list[Any] | None], int]


def prepare(scenario: str, client: str, url: str, page_size: int, concurrency: int) -> Runner:
    """Import what the client needs (outside the timed region) and return the run itself.

    A run collects each record's key into ``keys`` when given one (the untimed validation run)."""
    key = KEYS[scenario]
    first = f"{url}{PATHS[scenario]}{'&' if '?' in PATHS[scenario] else '?'}limit={page_size}"
    if client in KRILL_ASYNC:
        import anyio

        from krill_async import Krill

        async def run_krill_async(keys: list[Any] | None) -> int:
            seen = 0
            async with Krill(url, auth=(USER, PASSWORD), concurrency=concurrency) as krill:
                if scenario == "cpes":
                    query: Any = krill.isp.cpes.list(page_size=page_size)
                else:
                    query = krill.monitoring.search(type="Host", page_size=page_size)
                    if client == "select":
                        query = query.select(name="name", olt="attrs.vars.cpe_registration_host")
                if client == "sequential":
                    async for record in query:
                        seen += 1
                        if keys is not None:
                            keys.append(getattr(record, key))
                else:
                    async with query.export(page_size=page_size) as records:
                        async for record in records:
                            seen += 1
                            if keys is not None:
                                keys.append(getattr(record, key))
            return seen

        return lambda keys: anyio.run(run_krill_async, keys)

    if client == "aiohttp":
        import asyncio
        import json

        import aiohttp
        from yarl import URL

        async def run_aiohttp(keys: list[Any] | None) -> int:
            """What users write today: aiohttp + json.loads, following `next` one page at a time."""
            seen = 0
            next_url: URL | None = URL(first)
            auth = aiohttp.BasicAuth(USER, PASSWORD, encoding="utf-8")
            async with aiohttp.ClientSession(auth=auth) as session:
                while next_url is not None:
                    async with session.get(next_url) as resp:
                        resp.raise_for_status()
                        body = json.loads(await resp.read())
                    seen += len(body["results"])
                    if keys is not None:
                        keys += [record[key] for record in body["results"]]
                    next_url = URL(body["next"], encoded=True) if body["next"] else None
            return seen

        return lambda keys: asyncio.run(run_aiohttp(keys))

    if client == "httpx":
        import asyncio
        import json

        import httpx

        async def run_httpx(keys: list[Any] | None) -> int:
            """The same with httpx.AsyncClient (its default 5 s timeouts raised: pages are MBs)."""
            seen = 0
            next_url: str | None = first
            async with httpx.AsyncClient(auth=(USER, PASSWORD), timeout=60.0) as http:
                while next_url is not None:
                    resp = await http.get(next_url)
                    resp.raise_for_status()
                    body = json.loads(resp.content)
                    seen += len(body["results"])
                    if keys is not None:
                        keys += [record[key] for record in body["results"]]
                    next_url = body["next"]
            return seen

        return lambda keys: asyncio.run(run_httpx(keys))

    if client == "jmq" and scenario == "hosts":
        from jmq_krill.krill_api import PyJMQKrill

        def run_jmq(keys: list[Any] | None) -> int:
            """jmq-krill as its README shows: JWT login, then iter_cpes_monitoring_pages (follows `next`).

            ``hostgroup=""`` sends an empty ``hostgroups=`` (ignored by the server), so it scans every Host
            like the other clients rather than only the ``cpegpon`` group."""
            krill = PyJMQKrill(url, USER, PASSWORD)
            krill.login()
            seen = 0
            for page in krill.iter_cpes_monitoring_pages(limit=page_size, include_services=False, hostgroup=""):
                seen += len(page)
                if keys is not None:
                    keys += [record[key] for record in page]
            return seen

        return run_jmq
    raise SystemExit(f"no client {client!r} for scenario {scenario!r}")


def child(args: argparse.Namespace) -> None:
    scenario, client = args.child.split(":")
    run = prepare(scenario, client, args.url, args.page_size, args.concurrency)
    keys: list[Any] | None = [] if args.keys_out else None
    start_rss = peak_rss_mb()
    started = time.perf_counter()
    seen = run(keys)
    seconds = time.perf_counter() - started
    result = {"records": seen, "seconds": seconds, "peak_rss_mb": peak_rss_mb(), "start_rss_mb": start_rss}
    if keys is not None:
        Path(args.keys_out).write_text(json.dumps(keys))
    print(json.dumps(result))


# -- the parent --------------------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def measure(scenario: str, client: str, url: str, args: argparse.Namespace, keys_out: str = "") -> dict[str, Any]:
    cmd = [
        sys.executable, __file__, "--child", f"{scenario}:{client}", "--url", url,
        "--page-size", str(args.page_size), "--concurrency", str(args.concurrency),
    ]  # fmt: skip
    if keys_out:
        cmd += ["--keys-out", keys_out]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{scenario}/{client} failed (exit {proc.returncode}):\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def control(url: str, **settings: Any) -> dict[str, Any]:
    """``PUT /_simulator/config`` on the running simulator (no credentials: loopback only)."""
    request = urllib.request.Request(
        f"{url}/_simulator/config",
        data=json.dumps(settings).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def first_page(url: str, scenario: str, page_size: int) -> tuple[int, float]:
    """The collection's ``count`` and the mean size of one record in JSON (bytes)."""
    path = PATHS[scenario] + ("&" if "?" in PATHS[scenario] else "?") + f"limit={page_size}"
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(url + path, headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=60) as resp:
        body = resp.read()
    page = json.loads(body)
    return int(page["count"]), len(body) / max(1, len(page["results"]))


@dataclass
class Validation:
    records: int
    distinct: int
    missing: list[tuple[int, Any]] = field(default_factory=list)  # (position in server order, key)
    extra: int = 0

    def complete(self, count: int) -> bool:
        return self.records == self.distinct == count and not self.missing and not self.extra


def validate(
    url: str, args: argparse.Namespace, counts: dict[str, int], clients: list[tuple[str, str]]
) -> dict[tuple[str, str], Validation]:
    """One untimed run of each client that collects every key: full set, no duplicates, what is missing."""
    keys: dict[tuple[str, str], list[Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario, client in clients:
            out = os.path.join(tmp, f"{scenario}-{client}.json")
            measure(scenario, client, url, args, keys_out=out)
            keys[(scenario, client)] = json.loads(Path(out).read_text())
            progress(f"validated {scenario}/{client}: {len(keys[(scenario, client)]):,} records")
    report: dict[tuple[str, str], Validation] = {}
    for scenario in SCENARIOS:
        runs = {c: k for (s, c), k in keys.items() if s == scenario}
        # the reference order: the first client whose keys are exactly `count` distinct values
        reference = next((k for k in runs.values() if len(k) == len(set(k)) == counts[scenario]), None)
        for client, got in runs.items():
            check = Validation(records=len(got), distinct=len(set(got)))
            if reference is not None:
                have = set(got)
                check.missing = [(i, k) for i, k in enumerate(reference) if k not in have]
                check.extra = len(have - set(reference))
            report[(scenario, client)] = check
    return report


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def import_times(runs: int) -> dict[str, dict[str, float]]:
    """Each import in a fresh interpreter, timed in-process around the statement; one warm-up discarded."""
    probe = (
        "import sys, time\n"
        "before = len(sys.modules)\n"
        "started = time.perf_counter()\n"
        "exec(sys.argv[1])\n"
        "print(time.perf_counter() - started, len(sys.modules) - before)\n"
    )
    samples: dict[str, list[float]] = {name: [] for name, _ in IMPORTS}
    modules: dict[str, float] = {}
    for attempt in range(runs + 1):
        for name, statement in IMPORTS:  # interleaved, like the clients
            out = subprocess.run(
                [sys.executable, "-c", probe, statement],
                capture_output=True, text=True, check=True, env=child_env(), cwd=ROOT,
            ).stdout.split()  # fmt: skip
            if attempt:
                samples[name].append(float(out[0]) * 1000)
                modules[name] = float(out[1])
    return {
        name: {"median": statistics.median(v), "min": min(v), "max": max(v), "modules": modules[name]}
        for name, v in samples.items()
    }


def machine() -> dict[str, str]:
    from importlib import metadata

    info: dict[str, str] = {}
    cpu = "unknown"
    cores: set[tuple[str, str]] = set()
    physical = core = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = (part.strip() for part in line.partition(":"))
            if name == "model name" and cpu == "unknown":
                cpu = value
            elif name == "physical id":
                physical = value
            elif name == "core id":
                core = value
                cores.add((physical, core))
    except OSError:
        cpu = platform.processor() or "unknown"
    logical = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    info["CPU"] = f"{cpu}; {logical} logical CPUs ({len(cores) or '?'} cores), {usable} usable by this process"
    try:
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        info["RAM"] = f"{mem_kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        info["RAM"] = "unknown"
    info["OS"] = f"{platform.system()} {platform.release()} {platform.machine()}"
    info["Load average at start"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())  # 1, 5, 15 min
    info["Python"] = f"{platform.python_implementation()} {platform.python_version()}"
    versions = []
    for dist in ("krill-async", "aiohttp", "msgspec", "yarl", "anyio", "httpx", "httpcore", "requests", "jmq-krill"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT)
        if commit.returncode == 0:
            versions[0] += f" (git {commit.stdout.strip()}{', uncommitted changes' if dirty.stdout.strip() else ''})"
    except OSError:
        pass
    info["Libraries"] = ", ".join(versions)
    return info


@dataclass
class Row:
    scenario: str
    latency_ms: float
    client: str
    runs: list[dict[str, Any]]

    @property
    def seconds(self) -> float:
        return statistics.median(r["seconds"] for r in self.runs)

    @property
    def records(self) -> int:
        return int(self.runs[0]["records"])

    @property
    def peak_rss(self) -> float:
        return max(r["peak_rss_mb"] for r in self.runs)

    @property
    def start_rss(self) -> float:
        return max(r["start_rss_mb"] for r in self.runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 CPEs, 10,000 Hosts, 1 repeat, 3 import runs")
    parser.add_argument("--cpes", type=int, default=None, help="default 50,000 (quick: 5,000)")
    parser.add_argument("--hosts", type=int, default=None, help="default 100,000 (quick: 10,000)")
    parser.add_argument("--latencies-ms", default="0,30", help="comma-separated (default 0,30)")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per client; default 3 (quick: 1)")
    parser.add_argument("--import-runs", type=int, default=None, help="fresh interpreters per import (9; quick 3)")
    parser.add_argument("--out", default=None, help="output prefix (default benchmarks/results; quick: temp dir)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--keys-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    quick = args.quick
    args.cpes = args.cpes or (5_000 if quick else 50_000)
    args.hosts = args.hosts or (10_000 if quick else 100_000)
    args.repeat = args.repeat or (1 if quick else 3)
    args.import_runs = args.import_runs or (3 if quick else 9)
    default_out = Path(tempfile.gettempdir()) / "krill_async-results-quick" if quick else ROOT / "benchmarks/results"
    out = Path(args.out) if args.out else default_out
    latencies = [float(x) for x in args.latencies_ms.split(",") if x.strip()]
    sizes = {"cpes": args.cpes, "hosts": args.hosts}

    began = time.perf_counter()
    when = dt.datetime.now().astimezone()
    info = machine()
    from krill_async.testing import spawn_simulator

    progress(f"starting the simulator: {args.cpes:,} CPEs, {args.hosts:,} Host objects ...")
    pairs = [(s, c) for s in SCENARIOS for c in CLIENTS if (s, c) not in NOT_APPLICABLE]
    rows: dict[tuple[str, float, str], Row] = {}
    # "absolute" links, as the real server writes them: the plain clients follow `next` verbatim
    with spawn_simulator(
        cpes=args.cpes,
        monitoring_hosts=args.hosts,
        latency=0.0,
        max_limit=args.page_size,
        links="absolute",
        startup_timeout=900,
    ) as url:
        progress(f"simulator ready in {time.perf_counter() - began:.1f} s at {url}")
        counts, record_bytes = {}, {}
        for scenario in SCENARIOS:
            counts[scenario], record_bytes[scenario] = first_page(url, scenario, args.page_size)
        checks = validate(url, args, counts, pairs)  # untimed; also warms caches before the timed runs
        for latency in latencies:
            settings = control(url, latency=latency / 1000)
            progress(f"latency now {settings['latency'] * 1000:g} ms")
            for repeat in range(args.repeat):
                for scenario, client in pairs:  # interleaved, so machine noise hits every client alike
                    result = measure(scenario, client, url, args)
                    row = rows.setdefault((scenario, latency, client), Row(scenario, latency, client, []))
                    row.runs.append(result)
                    progress(
                        f"  {latency:g} ms, run {repeat + 1}/{args.repeat}: {scenario}/{client} "
                        f"{result['seconds']:.2f} s, {result['records']:,} records"
                    )
        control(url, latency=0.0)
    imports = import_times(args.import_runs)
    elapsed = time.perf_counter() - began
    info["Load average at end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())

    problems: list[str] = []  # make the run fail
    notes: list[str] = []  # known defects of a peer client, reported
    for (scenario, client), check in checks.items():
        if not check.complete(counts[scenario]):
            what = f"{label(client, args.concurrency)} returned {check.records:,} of {counts[scenario]:,} records"
            if check.missing:
                shown = ", ".join(f"{k!r} (position {i})" for i, k in check.missing[:3])
                what += f"; missing: {shown}{' ...' if len(check.missing) > 3 else ''}"
            if check.distinct != check.records:
                what += f"; {check.records - check.distinct:,} duplicates"
            if check.extra:
                what += f"; {check.extra:,} unexpected"
            # jmq-krill's known off-by-one (it pages from offset 1: the first object only) is reported, not fatal
            only_first = [i for i, _ in check.missing] == [0] and check.records == check.distinct and not check.extra
            known = client == "jmq" and only_first
            (notes if known else problems).append(what)
    for row in rows.values():
        expected = checks[(row.scenario, row.client)].records
        if any(r["records"] != expected for r in row.runs):
            problems.append(f"{row.scenario}/{row.client} at {row.latency_ms:g} ms: record counts varied")

    out.parent.mkdir(parents=True, exist_ok=True)
    md, png = out.with_suffix(".md"), out.with_suffix(".png")
    text = report(
        args, info, when, elapsed, latencies, sizes, counts, record_bytes, rows, checks, imports, problems, png.name
    )
    md.write_text(text)
    chart(png, args, latencies, sizes, rows, checks, counts, imports, info)
    print(terminal_table(args, latencies, sizes, rows, checks, counts, imports))
    for note in notes:
        print(f"NOTE: {note}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"\nwrote {md} and {png} ({elapsed / 60:.1f} min)")
    return 1 if problems else 0


# -- output ------------------------------------------------------------------------------------------------


def best_seconds(rows: dict[tuple[str, float, str], Row], checks: dict[tuple[str, str], Validation],
                 counts: dict[str, int], scenario: str, latency: float) -> float:  # fmt: skip
    """The best median wall time of a scenario, among the clients that returned the full set."""
    return min(
        row.seconds
        for (s, lat, c), row in rows.items()
        if s == scenario and lat == latency and checks[(s, c)].complete(counts[s])
    )


def table_rows(
    args: argparse.Namespace,
    latencies: list[float],
    scenario: str,
    rows: dict[tuple[str, float, str], Row],
    checks: dict[tuple[str, str], Validation],
    counts: dict[str, int],
) -> list[list[str]]:
    lines = []
    for latency in latencies:
        best = best_seconds(rows, checks, counts, scenario, latency)
        for client in CLIENTS:
            name = label(client, args.concurrency)
            row = rows.get((scenario, latency, client))
            if row is None:
                lines.append([f"{latency:g} ms", name, "N/A", "", "", "", "", ""])
                continue
            complete = checks[(scenario, client)].complete(counts[scenario])
            spread = f"{min(r['seconds'] for r in row.runs):.2f}-{max(r['seconds'] for r in row.runs):.2f}"
            lines.append(
                [
                    f"{latency:g} ms",
                    name,
                    f"{row.records:,}" + ("" if complete else " (!)"),
                    f"{row.seconds:.2f}",
                    spread if len(row.runs) > 1 else "",
                    f"{row.records / row.seconds:,.0f}",
                    f"{row.seconds / best:.2f}x",
                    f"{row.peak_rss:.1f} ({row.start_rss:.0f})",
                ]
            )
    return lines


HEADER = ["latency", "client", "records", "wall s", "range s", "records/s", "vs best", "peak RSS MB (after imports)"]
RIGHT = {2, 3, 4, 5, 6, 7}


def markdown_table(header: list[str], lines: list[list[str]], right: set[int]) -> str:
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])


def import_lines(imports: dict[str, dict[str, float]]) -> list[list[str]]:
    return [
        [name, f"{v['median']:.1f}", f"{v['min']:.1f}-{v['max']:.1f}", f"{v['modules']:.0f}"]
        for name, v in imports.items()
    ]


IMPORT_HEADER = ["import (fresh interpreter)", "median ms", "range ms", "modules loaded"]


def terminal_table(
    args: argparse.Namespace,
    latencies: list[float],
    sizes: dict[str, int],
    rows: dict[tuple[str, float, str], Row],
    checks: dict[tuple[str, str], Validation],
    counts: dict[str, int],
    imports: dict[str, dict[str, float]],
) -> str:
    parts = []
    for scenario in SCENARIOS:
        parts.append(f"\n{scenario_title(scenario, sizes[scenario])}, page size {args.page_size}, "
                     f"median of {args.repeat} run(s)")  # fmt: skip
        parts.append(markdown_table(HEADER, table_rows(args, latencies, scenario, rows, checks, counts), RIGHT))
    parts.append(f"\nImport time, median of {args.import_runs} fresh interpreters")
    parts.append(markdown_table(IMPORT_HEADER, import_lines(imports), {1, 2, 3}))
    return "\n".join(parts)


def report(
    args: argparse.Namespace,
    info: dict[str, str],
    when: dt.datetime,
    elapsed: float,
    latencies: list[float],
    sizes: dict[str, int],
    counts: dict[str, int],
    record_bytes: dict[str, float],
    rows: dict[tuple[str, float, str], Row],
    checks: dict[tuple[str, str], Validation],
    imports: dict[str, dict[str, float]],
    problems: list[str],
    png_name: str,
) -> str:
    command = "python benchmarks/run_all.py" + (" --quick" if args.quick else "")
    out = [
        "# Benchmark report: krill_async side by side",
        "",
        f"Generated by `{command}` on {when:%Y-%m-%d %H:%M %Z} in {elapsed / 60:.1f} min "
        f"({args.repeat} timed run(s) per client and latency). Chart: `{png_name}`.",
        "",
        "## Machine",
        "",
        markdown_table(["", ""], [[f"**{k}**", v] for k, v in info.items()], set()),
        "",
        "## Method",
        "",
        f"- One simulator process (`spawn_simulator`, {args.cpes:,} CPEs and {args.hosts:,} monitoring Host "
        f"objects, page size and server `limit` cap {args.page_size}, absolute `next` links as the real server "
        "writes them) serves every run; its latency per request is changed between blocks through its loopback "
        "control route `PUT /_simulator/config`.",
        f"- Records: full CPEs, {record_bytes['cpes'] / 1000:.1f} KB of JSON each "
        f"({record_bytes['cpes'] * counts['cpes'] / 1e6:.0f} MB in all); Host objects, "
        f"{record_bytes['hosts'] / 1000:.1f} KB each ({record_bytes['hosts'] * counts['hosts'] / 1e6:.0f} MB in all).",
        "- Each client runs in a fresh child process: imports happen before the timed region, the wall time covers "
        "creating the client, logging in and every page. Peak RSS is the child's `VmHWM` (the highest over "
        "the runs); the figure in brackets is the RSS right after the imports.",
        f"- Clients are interleaved within each repeat; the table shows the median of {args.repeat} run(s) and "
        "their range. `vs best` is the median wall time over the scenario's best at the same latency "
        "(1.00x is the fastest client that returned the full set).",
        "- krill_async decodes typed msgspec models (`Cpe`, `Host`); the projection decodes only `name` and "
        "`attrs.vars.cpe_registration_host`; the plain clients decode dicts with `json.loads`; jmq-krill uses "
        "`requests` and `.json()` after a JWT login. krill_async, aiohttp and httpx use HTTP Basic.",
        "- Before the timed runs, one untimed run of every client collects each record's key (`id`, `name`) "
        "to check it returned the full set with no duplicates.",
        "",
        "## Results",
        "",
    ]
    for scenario in SCENARIOS:
        out += [
            f"### {scenario_title(scenario, sizes[scenario])}",
            "",
            markdown_table(HEADER, table_rows(args, latencies, scenario, rows, checks, counts), RIGHT),
            "",
        ]
        for client in CLIENTS:
            if (scenario, client) in NOT_APPLICABLE:
                out.append(f"N/A, {label(client, args.concurrency)}: {NOT_APPLICABLE[(scenario, client)]}.  ")
            elif not checks[(scenario, client)].complete(counts[scenario]):
                out.append(f"(!) {label(client, args.concurrency)}: not the full set, see Validation.  ")
        out.append("")
    out += headline(args, latencies, rows, checks, counts)
    out += [
        "## Import time",
        "",
        f"Each statement in a fresh interpreter (`python -c`), timed with `time.perf_counter()` around it; median "
        f"of {args.import_runs} runs after one discarded warm-up, statements interleaved. `jmq_krill`'s "
        "`__init__` is empty, so its import is measured as the `krill_api` module the client lives in "
        "(it pulls in `requests`).",
        "",
        markdown_table(IMPORT_HEADER, import_lines(imports), {1, 2, 3}),
        "",
        "## Validation",
        "",
    ]
    for scenario in SCENARIOS:
        for client in CLIENTS:
            check = checks.get((scenario, client))
            if check is None:
                continue
            verdict = "full set" if check.complete(counts[scenario]) else "**incomplete**"
            line = f"- {scenario_title(scenario, sizes[scenario])}, {label(client, args.concurrency)}: "
            line += f"{check.records:,} records, {check.distinct:,} distinct of {counts[scenario]:,}: {verdict}"
            if check.missing:
                shown = ", ".join(f"`{k}` (position {i} in server order)" for i, k in check.missing[:3])
                line += f"; missing {shown}"
                if client == "jmq":
                    line += " — jmq-krill starts paging at `offset=1`, so the first object is never fetched"
            out.append(line + ".")
    if problems:
        out += ["", "**Problems** (the run exits with status 1):", "", *(f"- {p}" for p in problems)]
    return "\n".join(out) + "\n"


def headline(
    args: argparse.Namespace,
    latencies: list[float],
    rows: dict[tuple[str, float, str], Row],
    checks: dict[tuple[str, str], Validation],
    counts: dict[str, int],
) -> list[str]:
    """A few computed comparisons (the numbers of the tables above, as ratios)."""
    lines = ["### In short", ""]
    for latency in latencies:
        for scenario, fast in (("cpes", "export"), ("hosts", "export"), ("hosts", "select")):
            mine = rows.get((scenario, latency, fast))
            if mine is None:
                continue
            others = []
            for client in ("aiohttp", "httpx", "jmq"):
                row = rows.get((scenario, latency, client))
                if row is not None:
                    others.append(f"{row.seconds / mine.seconds:.1f}x faster than {SHORT[client]}")
            what = "CPE export" if scenario == "cpes" else "Host scan"
            lines.append(f"- {what}, {latency:g} ms: {label(fast, args.concurrency)} is " + "; ".join(others) + ".")
    lines.append("")
    return lines


def chart(
    png: Path,
    args: argparse.Namespace,
    latencies: list[float],
    sizes: dict[str, int],
    rows: dict[tuple[str, float, str], Row],
    checks: dict[tuple[str, str], Validation],
    counts: dict[str, int],
    imports: dict[str, dict[str, float]],
    info: dict[str, str],
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncols = len(latencies)
    fig = plt.figure(figsize=(6.5 * max(2, ncols), 13.5), layout="constrained")
    grid = fig.add_gridspec(3, max(2, ncols), height_ratios=[1, 1, 0.8])
    names = [label(c, args.concurrency) for c in CLIENTS]
    positions = list(range(len(CLIENTS)))[::-1]
    for r, scenario in enumerate(SCENARIOS):
        top = max((row.records / row.seconds for (s, _, _), row in rows.items() if s == scenario), default=1.0)
        for col, latency in enumerate(latencies):
            ax = fig.add_subplot(grid[r, col])
            best = best_seconds(rows, checks, counts, scenario, latency)
            for y, client in zip(positions, CLIENTS, strict=True):
                row = rows.get((scenario, latency, client))
                if row is None:
                    ax.text(top * 0.01, y, "N/A", va="center", color="#777777", fontsize=10)
                    continue
                rate = row.records / row.seconds
                ax.barh(y, rate, color=COLORS[client], height=0.7)
                complete = checks[(scenario, client)].complete(counts[scenario])
                note = f" {row.seconds:.2f} s, {row.seconds / best:.2f}x" + ("" if complete else ", 1 missing")
                if not complete and checks[(scenario, client)].missing:
                    note = note.replace("1 missing", f"{len(checks[(scenario, client)].missing)} missing")
                ax.text(rate, y, note, va="center", fontsize=9)
            ax.set_yticks(positions, names if col == 0 else [""] * len(names), fontsize=10)
            ax.set_xlim(0, top * 1.45)
            ax.set_ylim(-0.6, len(CLIENTS) - 0.4)
            ax.set_title(f"{scenario_title(scenario, sizes[scenario])}, {latency:g} ms latency", fontsize=11)
            ax.set_xlabel("records per second (higher is better)")
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k"))
            ax.grid(axis="x", alpha=0.3)
    # peak RSS by client and scenario, the highest over latencies
    ax = fig.add_subplot(grid[2, 0])
    width = 0.38
    for i, scenario in enumerate(SCENARIOS):
        values = [
            max((row.peak_rss for (s, _, c), row in rows.items() if s == scenario and c == client), default=0.0)
            for client in CLIENTS
        ]
        ys = [p + (width / 2 if i == 0 else -width / 2) for p in positions]
        bars = ax.barh(ys, values, height=width, color=[COLORS[c] for c in CLIENTS],
                       alpha=1.0 if i == 0 else 0.55, hatch="" if i == 0 else "//",
                       label="CPE export" if scenario == "cpes" else "Host scan")  # fmt: skip
        for bar, value in zip(bars, values, strict=True):
            ax.text(value, bar.get_y() + width / 2, f" {value:.0f}" if value else " N/A", va="center", fontsize=8)
    ax.set_yticks(positions, names, fontsize=10)
    ax.set_ylim(-0.6, len(CLIENTS) - 0.4)
    ax.set_xlim(0, max(row.peak_rss for row in rows.values()) * 1.15)
    ax.set_xlabel("peak RSS, MB (lower is better); solid: CPE export, hatched: Host scan")
    ax.set_title("Peak RSS of the client process (imports included)", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    # import time
    ax = fig.add_subplot(grid[2, 1])
    items = list(imports.items())
    ys = list(range(len(items)))[::-1]
    ax.barh(ys, [v["median"] for _, v in items], color="#666666", height=0.6)
    for y, (_, v) in zip(ys, items, strict=True):
        ax.text(v["median"], y, f" {v['median']:.0f} ms", va="center", fontsize=9)
    ax.set_yticks(ys, [name for name, _ in items], fontsize=10)
    ax.set_xlim(0, max(v["median"] for _, v in items) * 1.25)
    ax.set_xlabel("milliseconds (lower is better)")
    ax.set_title(f"Import time, fresh interpreter, median of {args.import_runs}", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.suptitle(
        f"krill_async side by side ({args.repeat} run(s) each, medians); {info['CPU'].split(';')[0]}, "
        f"{os.cpu_count()} CPUs, {info['Python']}",
        fontsize=12,
    )
    fig.savefig(png, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
