"""``krill demo`` and ``krill serve``: the simulated Krill, to measure the client and to try commands on."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from .._auth import BasicAuth, JWTLogin
from ._connect import Connection
from ._errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from ._fields import FieldSpec, parse_fields
from ._items import Target
from ._listing import Listing, run_listing
from ._options import CONTEXT
from ._progress import Progress
from ._runtime import Console, Interrupt, open_client, run
from ._writers import NullWriter

__all__ = ["demo_command", "serve_command"]


@click.command("demo", context_settings=CONTEXT)
@click.option("--cpes", type=click.IntRange(min=1), default=20_000, show_default=True, help="CPEs in the simulation.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=30.0, show_default=True, help="Per request.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="Requests in flight.")
@click.option("--page-size", type=click.IntRange(min=1), default=1000, show_default=True, help="Records per page.")
@click.option("--jwt", is_flag=True, help="Log in with JWT instead of HTTP Basic.")
@click.option("--url", metavar="URL", help="Use this running simulator (krill serve) instead of starting one.")
@click.option("-q", "--quiet", is_flag=True, help="No progress.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def demo_command(
    cpes: int, latency_ms: float, concurrency: int, page_size: int, jwt: bool, url: str | None, quiet: bool, debug: bool
) -> int:
    """Start a simulated Krill on loopback, export every CPE concurrently and run a vendor search example."""
    console = Console(quiet=quiet)
    if url:
        return _demo(url, console, concurrency=concurrency, page_size=page_size, jwt=jwt, debug=debug)
    from ..testing import spawn_simulator

    console.info(f"starting a simulated Krill ({cpes:,} CPEs, {latency_ms:g} ms latency)...")
    with spawn_simulator(cpes=cpes, latency=latency_ms / 1000) as started:
        console.info(f"simulator at {started}")
        return _demo(started, console, concurrency=concurrency, page_size=page_size, jwt=jwt, debug=debug)


def _demo(url: str, console: Console, *, concurrency: int, page_size: int, jwt: bool, debug: bool) -> int:
    user, password = "usuario", "contraseña"  # the simulator's default user
    connection = Connection(url, JWTLogin(user, password) if jwt else BasicAuth(user, password))
    fields: FieldSpec | None = parse_fields(["cpe=name,olt=attrs.vars.cpe_registration_host"])
    show_progress = console.interactive
    out = sys.stdout

    async def work(interrupt: Interrupt) -> int:
        async with open_client(connection, concurrency=concurrency) as krill:
            counter = NullWriter()
            progress = Progress(sys.stderr, enabled=show_progress)
            started = time.perf_counter()
            try:
                count = await run_listing(
                    krill, Listing(Target("isp/cpes/"), [], page_size=page_size), counter, progress
                )
            finally:
                progress.finish()
            elapsed = time.perf_counter() - started
            server = f"{count:,}" if count is not None else "unknown"
            out.write(
                f"exported {counter.records:,} CPEs (server count {server}) in "
                f"{elapsed:.2f} s: {counter.records / elapsed:,.0f} records/s\n"
                f"  concurrency {concurrency}, page size {page_size}, auth {'JWT' if jwt else 'Basic'}\n"
            )
            out.flush()
            sample = _Sample()
            search = Listing(
                Target("monitoring/search"),
                [("type", "Service"), ("perfdata.pondesv__gt", "2")],
                fields=fields,
                raw=False,
                page_size=page_size,
            )
            progress = Progress(sys.stderr, enabled=show_progress)
            started = time.perf_counter()
            try:
                await run_listing(krill, search, sample, progress)
            finally:
                progress.finish()
            elapsed = time.perf_counter() - started
            example = (
                json.dumps(sample.first, ensure_ascii=False, separators=(",", ":"))
                if sample.first is not None
                else "none"
            )
            out.write(
                f"found {sample.records:,} services with pondesv > 2 in {elapsed:.2f} s (2 fields decoded per "
                f"record), e.g. {example}\n"
                "  krill search type==Service perfdata.pondesv__gt==2 "
                "--fields cpe=name,olt=attrs.vars.cpe_registration_host\n"
            )
            out.flush()
        console.info("keep a simulator running with 'krill serve' and try the examples of docs/cli.md")
        return EXIT_OK if counter.records == count else EXIT_ERROR

    return run(work, console, debug=debug)


class _Sample(NullWriter):
    """Counts records and keeps the first one."""

    def __init__(self) -> None:
        super().__init__()
        self.first: Any = None

    def write(self, record: Any) -> None:
        if self.first is None:
            self.first = record
        self.records += 1


@click.command("serve", context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=4780, show_default=True, help="0 picks a free port.")
@click.option("--cpes", type=click.IntRange(min=0), default=200, show_default=True, help="CPEs in the simulation.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True, help="Per request.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.option("--page-size", type=click.IntRange(min=1), default=10, show_default=True, help="Default limit.")
@click.option("--max-limit", type=click.IntRange(min=1), default=1000, show_default=True, help="Largest limit.")
@click.option("--monitoring-hosts", type=click.IntRange(min=0), help="Monitoring hosts (default: one per CPE).")
@click.option("--user", "users", multiple=True, metavar="USER:PASSWORD", help="Accepted login (repeatable).")
@click.option("--fault", "faults", multiple=True, metavar="KIND:RATE[:PATH]", help="Inject a fault (repeatable).")
def serve_command(
    host: str,
    port: int,
    cpes: int,
    latency_ms: float,
    seed: int,
    page_size: int,
    max_limit: int,
    monitoring_hosts: int | None,
    users: tuple[str, ...],
    faults: tuple[str, ...],
) -> int:
    """Serve a simulated Krill until Ctrl-C, to try krill (or httpie) against.

    Prints 'Krill simulator listening on URL' on stdout once ready (with --port 0, the port it got).
    Its default user is the vendor guide's (see docs/cli.md, "Trying it").
    """
    from ..testing.__main__ import busy_port_message
    from ..testing.__main__ import main as serve

    problem = busy_port_message(host, port)
    if problem is not None:  # before generating the data, which takes seconds for large networks
        Console(quiet=False).error(problem)
        return EXIT_USAGE

    argv = [
        f"--host={host}",
        f"--port={port}",
        f"--cpes={cpes}",
        f"--latency-ms={latency_ms}",
        f"--seed={seed}",
        f"--page-size={page_size}",
        f"--max-limit={max_limit}",
    ]
    if monitoring_hosts is not None:
        argv.append(f"--monitoring-hosts={monitoring_hosts}")
    argv += [f"--user={user}" for user in users]
    argv += [f"--fault={fault}" for fault in faults]
    click.echo(f"krill: serving a simulated Krill ({cpes:,} CPEs) until Ctrl-C", err=True)
    return serve(argv)
