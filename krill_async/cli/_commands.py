"""The ``krill`` commands (click): thin layers over the pure helpers and runners of this package."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from .. import __version__
from .._actions import ACTIONS, cpe_key, plan_bulk
from .._auth import BasicAuth, JWTLogin
from ..errors import InvalidArgument, InvalidIdentifier
from ._bulk import BulkSummary, TextReport, confirmation_text, read_ids, run_actions
from ._connect import Connection, resolve_auth, resolve_url
from ._errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, describe
from ._fields import FieldSpec, parse_fields
from ._items import Target, UsageProblem, is_monitoring_search, parse_items, split_paging, split_target
from ._listing import Listing, fetch_one, run_listing
from ._progress import Progress, format_duration
from ._runtime import Console, Interrupt, open_client, run
from ._writers import FORMATS, CsvWriter, NdjsonWriter, NullWriter, Writer, format_for, load_pyarrow, open_writer

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}
_ITEMS_HELP = "ITEMS are query parameters in httpie's syntax: name==value (type==Host, perfdata.pondesv__gt==2)."


@dataclass(frozen=True)
class Common:
    """The options every command that talks to Krill shares."""

    url: str | None
    auth: str | None
    auth_type: str
    token: str | None
    timeout: float | None
    quiet: bool
    debug: bool

    def __repr__(self) -> str:  # never show credentials, even in a --debug traceback
        return f"Common(url={self.url!r}, auth_type={self.auth_type!r}, quiet={self.quiet}, debug={self.debug})"


def _common(options: dict[str, Any]) -> Common:
    common = Common(**{name: options.pop(name) for name in Common.__dataclass_fields__})
    if common.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="krill: %(name)s: %(message)s")
    return common


def connection_options(f: F) -> F:
    """``--url``, ``-a``, ``-A``, ``--token``, ``--timeout``, ``-q``, ``--debug``."""
    options = [
        click.option(
            "--url",
            envvar="KRILL_URL",
            show_envvar=True,
            metavar="URL",
            help="The Krill deployment, like https://krill.example.net (not needed when RESOURCE is a whole URL).",
        ),
        click.option(
            "-a",
            "--auth",
            metavar="USER[:PASSWORD]",
            help="Credentials, like httpie; without :PASSWORD it comes from KRILL_PASSWORD or is asked for "
            "(not echoed). Default: KRILL_USERNAME/KRILL_PASSWORD.",
        ),
        click.option(
            "-A",
            "--auth-type",
            type=click.Choice(["basic", "jwt"]),
            default="basic",
            show_default=True,
            help="HTTP Basic on every request, or a JWT login (POST /api/v2/auth/login) renewed as needed.",
        ),
        click.option("--token", metavar="TOKEN", help="A bearer token (JWT access token). Default: KRILL_TOKEN."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds per request."),
        click.option("-q", "--quiet", is_flag=True, help="No progress and no messages (errors still show)."),
        click.option("--debug", is_flag=True, help="Show tracebacks and log every request (never credentials)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def listing_options(f: F) -> F:
    """Selection, server-side projection and paging options of ``list``, ``search`` and ``export``."""
    options = [
        click.option(
            "--fields",
            multiple=True,
            metavar="NAME=PATH,...",
            help="Only these jq-like paths, like cpe=name,olt=attrs.vars.cpe_registration_host, or a jq "
            "object '{cpe: .name}'. Decoded on the fast path (nothing else is parsed). Repeatable.",
        ),
        click.option("--attrs", metavar="A,B", help="Fields the server returns (attrs==A,B)."),
        click.option("--joins", metavar="A,B", help="Related objects the server embeds (joins==A,B)."),
        click.option(
            "--page-size", type=click.IntRange(min=1), help="Records per request (default 500; servers may cap it)."
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 64),
            default=8,
            show_default=True,
            help="Requests in flight at once.",
        ),
        click.option("--unordered", is_flag=True, help="Write pages as they arrive instead of in server order."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _ask_password(user: str) -> str:
    if not sys.stdin.isatty():
        raise UsageProblem(f"no password for {user}: give -a {user}:PASSWORD, set KRILL_PASSWORD, or run in a terminal")
    password: str = click.prompt(f"password for {user}", hide_input=True, err=True)
    return password


def _connection(common: Common, target: Target | None) -> Connection:
    url = resolve_url(common.url, target)
    auth = resolve_auth(
        auth=common.auth, token=common.token, auth_type=common.auth_type, env=os.environ, ask_password=_ask_password
    )
    return Connection(url, auth, common.timeout)


def _server_params(attrs: str | None, joins: str | None) -> list[tuple[str, str]]:
    return [(name, value) for name, value in (("attrs", attrs), ("joins", joins)) if value]


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _usage(exc: Exception) -> click.UsageError:
    return click.UsageError(str(exc))


# -- the group ------------------------------------------------------------------------------------------


@click.group(context_settings=_CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="krill")
def cli() -> None:
    """Query, export and act on a Krill (Phicus) deployment through its REST API v2.

    \b
    Connection: --url or KRILL_URL; -a USER[:PASSWORD] or KRILL_USERNAME/KRILL_PASSWORD; --token or KRILL_TOKEN.
    Records go to stdout (NDJSON unless told otherwise); progress and messages to stderr.
    Exit status: 0 done, 1 Krill error, 2 usage error, 130 interrupted.
    """


@cli.command("get", context_settings=_CONTEXT, epilog=_ITEMS_HELP)
@click.argument("resource")
@click.argument("items", nargs=-1)
@click.option("--fields", multiple=True, metavar="NAME=PATH,...", help="Only these jq-like paths of the answer.")
@click.option("--attrs", metavar="A,B", help="Fields the server returns (attrs==A,B).")
@click.option("--joins", metavar="A,B", help="Related objects the server embeds (joins==A,B).")
@connection_options
def get_command(
    resource: str, items: tuple[str, ...], fields: tuple[str, ...], attrs: str | None, joins: str | None, **options: Any
) -> int:
    """One GET: print the answer as Krill sends it (one record, or one raw page with count/next/previous).

    \b
      krill get isp/cpes/74/ attrs==id,cpename
      krill get isp/cpes/ attrs==id offset==42 limit==3
    """
    common = _common(options)
    console = Console(quiet=common.quiet)
    try:
        target = split_target(resource)
        params = list(target.params) + parse_items(items) + _server_params(attrs, joins)
        spec = parse_fields(fields)
        connection = _connection(common, target)
    except UsageProblem as exc:
        raise _usage(exc) from None
    pretty = _stdout_is_terminal()

    async def work(interrupt: Interrupt) -> int:
        async with open_client(connection) as krill:
            body = await fetch_one(krill, target, params, spec, pretty=pretty)
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return EXIT_OK

    return run(work, console, debug=common.debug)


def _listing_command(
    *,
    resource: str | Target,
    items: Sequence[str],
    fields: Sequence[str],
    attrs: str | None,
    joins: str | None,
    page_size: int | None,
    concurrency: int,
    unordered: bool,
    fmt: str | None,
    output: str | None,
    common: Common,
) -> int:
    """What ``list``, ``search`` and ``export`` share: every record of a query to stdout or a file."""
    console = Console(quiet=common.quiet)
    to_stdout = output in (None, "-")
    try:
        target = resource if isinstance(resource, Target) else split_target(resource)
        paging = split_paging(list(target.params) + parse_items(items) + _server_params(attrs, joins))
        spec = parse_fields(fields)
        chosen = format_for(output, fmt)
        if chosen == "parquet":
            load_pyarrow()
            if to_stdout and _stdout_is_terminal():
                raise UsageProblem("Parquet is binary: write it to a file with -o FILE.parquet, or pipe it")
        connection = _connection(common, target)
    except UsageProblem as exc:
        raise _usage(exc) from None
    listing = Listing(
        target,
        paging.params,
        limit=paging.limit,
        offset=paging.offset,
        fields=spec,
        raw=chosen in ("ndjson", "json"),
        page_size=page_size,
        ordered=not unordered,
    )
    # records on the terminal and a progress line on the same terminal would garble each other
    show_progress = console.interactive and not (to_stdout and _stdout_is_terminal())
    where = "stdout" if to_stdout else output

    try:
        stream = sys.stdout.buffer if to_stdout else open(str(output), "wb")  # noqa: SIM115  # closed in work()
    except OSError as exc:
        console.error(describe(exc))
        return EXIT_ERROR

    async def work(interrupt: Interrupt) -> int:
        progress = Progress(sys.stderr, enabled=show_progress)
        writer: Writer = NullWriter()
        try:
            writer = open_writer(
                chosen,
                stream,
                spec.names if spec is not None else None,
                warn=console.warn,
                flush_each=to_stdout and _stdout_is_terminal(),
            )
            async with open_client(connection, concurrency=concurrency) as krill:
                await run_listing(krill, listing, writer, progress, concurrency=concurrency)
        finally:
            try:
                writer.close()
            finally:
                progress.finish()
                if not to_stdout:
                    stream.close()
                if interrupt.requested:
                    console.info(f"interrupted: {writer.records:,} complete records written to {where}")
        if show_progress and not to_stdout:
            took = format_duration(progress.elapsed)
            console.info(f"wrote {writer.records:,} records to {where} ({chosen}) in {took}")
        return EXIT_OK

    return run(work, console, debug=common.debug)


@cli.command("list", context_settings=_CONTEXT, epilog=_ITEMS_HELP)
@click.argument("resource")
@click.argument("items", nargs=-1)
@listing_options
@click.option("--format", "fmt", type=click.Choice(["ndjson", "json", "csv"]), help="Output format (default ndjson).")
@connection_options
def list_command(resource: str, items: tuple[str, ...], fmt: str | None, **options: Any) -> int:
    """Every record of any collection, pages fetched concurrently, to stdout.

    limit==N gives at most N records and offset==N starts there, as in the vendor's examples.

    \b
      krill list isp/cpes/ realm==pim --fields id=id,sn=sn
      krill list isp/cpes/ attrs==id offset==42 limit==3
    """
    common = _common(options)
    return _listing_command(resource=resource, items=items, fmt=fmt, output=None, common=common, **options)


@cli.command("search", context_settings=_CONTEXT, epilog=_ITEMS_HELP)
@click.argument("items", nargs=-1)
@listing_options
@click.option("--format", "fmt", type=click.Choice(["ndjson", "json", "csv"]), help="Output format (default ndjson).")
@connection_options
def search_command(items: tuple[str, ...], fmt: str | None, **options: Any) -> int:
    """Monitoring search (hosts and services), every page, to stdout.

    The first item may be the vendor's search URL (host:port/api/v2/monitoring/search), so an httpie
    command line works once 'http --stream' is replaced by 'krill search'.

    \b
      krill search type==Host regstate==alarm regtag==CAR-OLT02-0/3/9
      krill search type==Service perfdata.pondesv__gt==2 --fields cpe=name,olt=attrs.vars.cpe_registration_host
    """
    common = _common(options)
    target = Target("monitoring/search")
    rest = list(items)
    if rest and "==" not in rest[0]:
        try:
            target = split_target(rest.pop(0))
        except UsageProblem as exc:
            raise _usage(exc) from None
        if not is_monitoring_search(target):
            raise click.UsageError(f"search reads monitoring/search, not {target.path}; use krill list for that")
    return _listing_command(resource=target, items=rest, fmt=fmt, output=None, common=common, **options)


@cli.command("export", context_settings=_CONTEXT, epilog=_ITEMS_HELP)
@click.argument("resource")
@click.argument("items", nargs=-1)
@click.option("-o", "--output", metavar="FILE", default="-", help="Where to write ('-' is stdout).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Output format; default from the file name (.ndjson .jsonl .json .csv .parquet), else ndjson.",
)
@listing_options
@connection_options
def export_command(resource: str, items: tuple[str, ...], output: str, fmt: str | None, **options: Any) -> int:
    """Export a collection to a file (or stdout): NDJSON, JSON, CSV or Parquet (extra [parquet]).

    Interrupted or failed runs leave complete records only (and a valid JSON array or Parquet file).

    \b
      krill export isp/cpes/ -o cpes.parquet --fields id=id,sn=sn,model=model
      krill export monitoring/search type==Host regstate==alarm -o alarms.csv \\
          --fields name=name,olt=attrs.vars.cpe_registration_host
    """
    common = _common(options)
    return _listing_command(resource=resource, items=items, fmt=fmt, output=output, common=common, **options)


# -- actions --------------------------------------------------------------------------------------------


@cli.command("action", context_settings=_CONTEXT)
@click.argument("action", type=click.Choice(list(ACTIONS)), metavar="ACTION")
@click.argument("cpes", nargs=-1, metavar="[CPE_ID]...")
@click.option("--ids-from", type=click.File("r"), metavar="FILE", help="CPE ids, one per line ('-' is stdin).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--data", metavar="JSON", help="A JSON body for the action (diagnostic parameters).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True, help="Actions in flight.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "ndjson", "csv"]),
    default="text",
    show_default=True,
    help="The per-CPE report on stdout.",
)
@connection_options
def action_command(
    action: str,
    cpes: tuple[str, ...],
    ids_from: Any,
    yes: bool,
    data: str | None,
    concurrency: int,
    fmt: str,
    **options: Any,
) -> int:
    """Send a CPE action (reboot, factory, ...) to one or many CPEs, once each, with a line per CPE.

    ACTION is reboot, factory, reconfig, reprovision, unprovision or diagnostic. Asks before sending unless
    --yes. Each line says whether Krill acknowledged the action (applied later by the OLT or the ACS). The
    first Ctrl-C sends nothing more and waits for the answers in flight. Exit status 1 when any CPE failed.

    \b
      krill action reboot 350
      krill action reprovision --ids-from cpes.txt --yes --format ndjson > report.ndjson
    """
    common = _common(options)
    console = Console(quiet=common.quiet)
    try:
        ids = list(cpes) + (read_ids(ids_from) if ids_from is not None else [])
        if not ids:
            raise UsageProblem("which CPEs? give ids as arguments or --ids-from FILE")
        targets, duplicates = plan_bulk(ids)
        keys = [cpe_key(t) for t in targets]
        body = json.loads(data) if data else None
        url = resolve_url(common.url, None)
    except (UsageProblem, InvalidArgument, InvalidIdentifier) as exc:
        raise _usage(exc) from None
    except json.JSONDecodeError as exc:
        raise click.UsageError(f"--data is not JSON: {exc}") from None
    if not yes:
        if ids_from is not None and getattr(ids_from, "name", "") == "<stdin>":
            raise click.UsageError("the ids come from stdin, so nothing can answer a question: add --yes")
        try:
            confirmed = click.confirm(confirmation_text(action, keys), default=False, err=True)
        except click.Abort as exc:
            if isinstance(exc.__context__, KeyboardInterrupt):
                return EXIT_INTERRUPTED
            confirmed = False
        if not confirmed:
            console.error("not confirmed: nothing was sent (--yes skips the question)")
            return EXIT_ERROR
    try:
        connection = Connection(
            url,
            resolve_auth(
                auth=common.auth,
                token=common.token,
                auth_type=common.auth_type,
                env=os.environ,
                ask_password=_ask_password,
            ),
            common.timeout,
        )
    except UsageProblem as exc:
        raise _usage(exc) from None
    summary = BulkSummary(action, len(targets), duplicates)
    columns = ["cpe", "action", "ok", "status", "message"]
    flush = _stdout_is_terminal()
    show_progress = console.interactive and not flush and len(targets) > 1

    async def work(interrupt: Interrupt) -> int:
        stream = sys.stdout.buffer
        writer: Writer
        if fmt == "ndjson":
            writer = NdjsonWriter(stream, flush_each=flush)
        elif fmt == "csv":
            writer = CsvWriter(stream, columns, warn=console.warn, flush_each=flush)
        else:
            writer = TextReport(stream, flush_each=flush)
        progress = Progress(sys.stderr, enabled=show_progress, unit="CPEs")
        try:
            async with open_client(connection, concurrency=concurrency) as krill:
                await run_actions(
                    krill,
                    action,
                    targets,
                    summary,
                    data=body,
                    concurrency=concurrency,
                    writer=writer,
                    progress=progress,
                    interrupt=interrupt,
                )
        finally:
            try:
                writer.close()
            finally:
                progress.finish()
                prefix = "interrupted: " if interrupt.requested else ""
                (console.warn if summary.failed or summary.in_flight else console.info)(prefix + summary.text())
        return EXIT_ERROR if summary.failed else EXIT_OK

    return run(work, console, debug=common.debug, graceful=True)


# -- the simulator ---------------------------------------------------------------------------------------


@cli.command("demo", context_settings=_CONTEXT)
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


@cli.command("serve", context_settings=_CONTEXT)
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

    Prints 'Krill simulator listening on URL' on stdout once ready. Its default user is the vendor
    guide's (see docs/cli.md, "Trying it").
    """
    from ..testing.__main__ import main as serve

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        status = cli.main(args=list(argv) if argv is not None else None, prog_name="krill", standalone_mode=False)
    except click.exceptions.Abort as exc:
        return EXIT_INTERRUPTED if isinstance(exc.__context__, KeyboardInterrupt) else EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return status if isinstance(status, int) else EXIT_OK
