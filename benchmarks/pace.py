"""Exports against servers of 1 to 16 workers: fixed concurrency against the adaptive limiter.

The server is ``python -m krill_async.testing._capacity`` in another process (loopback, port 0 read
back): ``--workers`` workers, ``0.2 ms`` of service per record (+2 ms per request), 30 ms on the wire,
at most 16 waiting requests before a 503. For each server: an export of every CPE with
``Krill(concurrency=N)`` for N in 1..32, and the default ``concurrency="auto"`` (the client's adaptive
limiter, one per client, interactive calls first). During each
export a ``get()`` is started every 100 ms; their latency is compared with the same calls on the idle
server.

    PYTHONPATH=. python benchmarks/pace.py --quick      # < 60 s
    PYTHONPATH=. python benchmarks/pace.py              # 50,000 CPEs, 1/2/4/16 workers

Wall times depend on the machine's load (the client and the server each want a core): rerun on a quiet
machine before quoting them. The design holds under load: every row runs against the same server
process, stats are reset between rows, and goals compare rows of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio

from krill_async import Krill
from krill_async._client import DEFAULT_MAX_CONCURRENCY
from krill_async._limiter import VegasLimiter
from krill_async._pacer import Pacer

T = TypeVar("T")
AUTH = ("usuario", "contraseña")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    mode: str
    wall: float = 0.0
    records: int = 0
    rejected: int = 0
    peak_in_flight: int = 0
    gets: list[float] = field(default_factory=list)
    failed: str = ""
    final_limit: int | None = None
    pacing: str = ""
    limiter_note: str = ""  # the adaptive limiter's knee, false knees and drops

    def p(self, q: int) -> float:
        return percentile(self.gets, q)


def percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@contextmanager
def server(args: argparse.Namespace) -> Iterator[str]:
    command = [sys.executable, "-m", "krill_async.testing._capacity", "--cpes", str(args.cpes), "--workers", "1"]
    command += ["--service-per-record-ms", str(args.per_record_ms), "--service-base-ms", str(args.base_ms)]
    command += ["--wire-latency-ms", str(args.latency_ms), "--queue-limit", str(args.queue_limit)]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = tempfile.NamedTemporaryFile("w+", prefix="pace-server-", suffix=".log", delete=False)  # noqa: SIM115
    # (its stderr: aiohttp logs the answers it could not write to a client that gave up, e.g. a failed export)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()
        if not line.startswith("Krill simulator listening on "):
            raise RuntimeError(f"the capacity server did not start; see {log.name}")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


async def wait_idle(url: str) -> None:
    """Requests a failed export left behind are still served (a server does not notice that a client
    left): start each row on an idle server."""
    for _ in range(2400):
        if not control(url)["now"]["in_flight"]:
            return
        await anyio.sleep(0.05)
    raise TimeoutError("the server is still busy after 2 minutes")


def control(url: str, **changes: Any) -> dict[str, Any]:
    data = json.dumps(changes).encode() if changes else None
    request = urllib.request.Request(url + "/_capacity", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=10) as answer:
        result: dict[str, Any] = json.loads(answer.read())
    return result


async def export_all(krill: Krill, page_size: int) -> int:
    """One export with the client's own concurrency (fixed, or adaptive with ``concurrency="auto"``)."""
    records = 0
    async with krill.isp.cpes.export(page_size=page_size, ordered=False) as rows:
        async for _ in rows:
            records += 1
    return records


async def run_row(url: str, mode: str, args: argparse.Namespace, ids: list[int]) -> Row:
    row = Row(mode)
    adaptive = mode == "adaptive"
    await wait_idle(url)
    pacing = {"auto": "auto", "on": True, "off": False}[args.pacing]
    concurrency = "auto" if adaptive else int(mode)
    # (the adaptive row's bound is the client's default unless --max-concurrency says otherwise; a fixed
    # concurrency is its own bound)
    bound = {} if args.max_concurrency is None or not adaptive else {"max_concurrency": args.max_concurrency}
    async with Krill(url, auth=AUTH, concurrency=concurrency, pacing=pacing, **bound) as krill:
        if adaptive and (args.initial is not None or args.queue is not None):
            limiter = krill.admission.limiter
            krill.admission.limiter = VegasLimiter(
                initial=limiter.limit if args.initial is None else args.initial,
                max_limit=limiter.max_limit,
                queue=limiter.queue if args.queue is None else args.queue,
                verify_knee=limiter.verify_knee,
            )
        tuned = args.pacer_target is not None or args.small_server or args.pacer_probe is not None
        if adaptive and krill.admission.pacer is not None and tuned:
            default = krill.admission.pacer
            krill.admission.pacer = Pacer(
                target=default.target if args.pacer_target is None else args.pacer_target,
                probe=default.probe if args.pacer_probe is None else args.pacer_probe,
                small_server=args.small_server or default.small_server,
            )
        await krill.isp.cpes.get(ids[0])  # connect and authenticate before timing
        control(url, reset=True)
        done = anyio.Event()

        async def one_get(ident: int) -> None:
            started = time.perf_counter()
            with anyio.move_on_after(30):
                await krill.isp.cpes.get(ident)
                row.gets.append(time.perf_counter() - started)

        async def getter(tg: Any) -> None:
            i = 0
            while not done.is_set():
                tg.start_soon(one_get, ids[i % len(ids)])
                i += 1
                with anyio.move_on_after(args.get_interval):
                    await done.wait()

        started = time.perf_counter()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(getter, tg)
                try:
                    row.records = await export_all(krill, args.page_size)
                finally:
                    row.wall = time.perf_counter() - started
                    done.set()
        except Exception as exc:  # a failed export is a result too (e.g. 503s beyond the retries)
            while isinstance(getattr(exc, "exceptions", None), tuple) and exc.exceptions:  # (an ExceptionGroup)
                exc = exc.exceptions[0]
            row.failed = f"failed: {type(exc).__name__}" + (f" {exc.status}" if hasattr(exc, "status") else "")
        stats = control(url)["stats"]
        row.rejected, row.peak_in_flight = stats["rejected"], stats["peak_in_flight"]
        if adaptive:
            row.final_limit = krill.admission.limit
            limiter = krill.admission.limiter
            row.limiter_note = f", knee {limiter.knee} ({limiter.false_knees} false, {limiter.drops} drops)"
            pacer = krill.admission.pacer
            if pacer is not None:
                row.pacing = (
                    f", paced {pacer.interval * 1000:.0f} ms/page ({pacer.paced} waits, {pacer.pauses} drains)"
                    if pacer.engaged
                    else f", not paced (engaged={pacer.engaged})"
                )
    return row


async def idle_gets(url: str, ids: list[int], calls: int) -> list[float]:
    latencies = []
    async with Krill(url, auth=AUTH, concurrency=4) as krill:
        await krill.isp.cpes.get(ids[0])
        for i in range(calls):
            started = time.perf_counter()
            await krill.isp.cpes.get(ids[i % len(ids)])
            latencies.append(time.perf_counter() - started)
            await anyio.sleep(0.02)
    return latencies


async def main_async(args: argparse.Namespace) -> list[str]:
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    page_service = (args.base_ms + args.per_record_ms * args.page_size) / 1000
    say(
        f"# pace: {args.cpes} CPEs, page {args.page_size} ({page_service * 1000:.0f} ms of service), "
        f"{args.latency_ms:g} ms wire latency, queue limit {args.queue_limit}, get() every "
        f"{args.get_interval * 1000:.0f} ms; adaptive bound: max_concurrency="
        f"{args.max_concurrency or DEFAULT_MAX_CONCURRENCY}"
        f"{'' if args.max_concurrency else ' (the default)'}; machine load: {os.getloadavg()[0]:.1f}"
    )
    with server(args) as url:
        async with Krill(url, auth=AUTH) as krill:
            ids = [cpe.id for cpe in (await krill.isp.cpes.list(page_size=100).first_page()).items]
        for workers in args.workers:
            await wait_idle(url)
            control(url, workers=workers, reset=True)
            idle = await idle_gets(url, ids, args.idle_calls)
            idle_p50, idle_p95 = percentile(idle, 50), percentile(idle, 95)
            say(f"\n## {workers} worker(s): idle get() p50 {idle_p50 * 1000:.0f} ms, p95 {idle_p95 * 1000:.0f} ms")
            say("| mode | wall s | records | 503/429 | peak at server | get p50 ms | get p95 ms | note |")
            say("|---|---:|---:|---:|---:|---:|---:|---|")
            rows = []
            for mode in [*map(str, args.concurrency), "adaptive"]:
                row = await run_row(url, mode, args, ids)
                rows.append(row)
                limits = f"final limit {row.final_limit}{row.limiter_note}{row.pacing}" if row.final_limit else ""
                note = row.failed or limits
                say(
                    f"| {mode} | {row.wall:.2f} | {row.records} | {row.rejected} | {row.peak_in_flight} | "
                    f"{row.p(50) * 1000:.0f} | {row.p(95) * 1000:.0f} | {note} |"
                )
            complete = [r for r in rows[:-1] if not r.failed and r.records == args.cpes]
            adaptive = rows[-1]
            if not complete:
                say("goals: no fixed concurrency completed")
                continue
            best = min(complete, key=lambda r: r.wall)
            bound = idle_p95 + page_service
            checks = [
                ("time within 10% of best fixed", adaptive.wall <= best.wall * 1.10 and not adaptive.failed),
                ("no more 503/429 than best fixed", adaptive.rejected <= best.rejected),
                (f"get p95 <= idle p95 + one page ({bound * 1000:.0f} ms)", adaptive.p(95) <= bound),
            ]
            verdict = ", ".join(f"{name}: {'MET' if ok else 'NOT MET'}" for name, ok in checks)
            say(f"best fixed: {best.mode} ({best.wall:.2f} s); adaptive {adaptive.wall:.2f} s. {verdict}")
            alone = next((r for r in rows if r.mode == "1" and r.gets), None)
            if alone is not None:  # one page in flight: never one queued, the workers idle between pages
                say(f"(fixed 1, never a page queued: get p95 {alone.p(95) * 1000:.0f} ms)")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="10,000 CPEs on 1, 4 and 16 workers (< 60 s)")
    p.add_argument("--cpes", type=int, default=50_000)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 16])
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    p.add_argument("--page-size", type=int, default=500)
    p.add_argument("--per-record-ms", type=float, default=0.2)
    p.add_argument("--base-ms", type=float, default=2.0)
    p.add_argument("--latency-ms", type=float, default=30.0)
    p.add_argument("--queue-limit", type=int, default=16)
    p.add_argument("--get-interval", type=float, default=0.1)
    p.add_argument("--idle-calls", type=int, default=30)
    p.add_argument("--pacing", choices=["auto", "on", "off"], default="auto", help="Krill(pacing=): auto, True, False")
    p.add_argument(
        "--max-concurrency", type=int, default=None, help="Krill(max_concurrency=) of the adaptive row (the default's)"
    )
    p.add_argument("--initial", type=int, default=None, help="the adaptive limiter's first limit (the client's)")
    p.add_argument("--queue", type=float, default=None, help="the adaptive limiter's queue target (the client's)")
    p.add_argument("--pacer-target", type=float, default=None, help="the pacer's queueing delay target")
    p.add_argument("--pacer-probe", type=float, default=None, help="the pacer's probe (sooner by this share)")
    p.add_argument("--small-server", type=int, default=None, help="pace a server whose knee is at most N pages")
    p.add_argument("--out", type=Path, default=None, help="also write the tables to this file")
    args = p.parse_args()
    if args.quick:  # a smoke test: 20 pages are too few to show adaptation on the larger servers
        args.cpes, args.workers, args.idle_calls = 10_000, [1, 4, 16], 20
        args.concurrency = [1, 2, 4, 8, 32]
    lines = anyio.run(main_async, args)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
