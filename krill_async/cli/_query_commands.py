"""``krill get``, ``list``, ``search`` and ``export``: one answer, or every record of a query."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from ._errors import EXIT_ERROR, EXIT_OK, describe
from ._fields import parse_fields
from ._items import Target, UsageProblem, is_monitoring_search, parse_items, split_paging, split_target
from ._listing import Listing, fetch_one, run_listing
from ._options import (
    CONTEXT,
    ITEMS_HELP,
    Common,
    common_options,
    connection_options,
    listing_options,
    make_connection,
    search_connection_options,
    server_params,
    stdout_is_terminal,
    usage_error,
)
from ._progress import Progress, format_duration
from ._runtime import Console, Interrupt, open_client, run
from ._writers import FORMATS, NullWriter, Writer, format_for, load_pyarrow, open_writer

__all__ = ["export_command", "get_command", "list_command", "search_command"]


@click.command("get", context_settings=CONTEXT, epilog=ITEMS_HELP)
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
    common = common_options(options)
    console = Console(quiet=common.quiet)
    try:
        target = split_target(resource)
        params = list(target.params) + parse_items(items) + server_params(attrs, joins)
        spec = parse_fields(fields)
        connection = make_connection(common, target)
    except UsageProblem as exc:
        raise usage_error(exc) from None
    pretty = stdout_is_terminal()

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
        paging = split_paging(list(target.params) + parse_items(items) + server_params(attrs, joins))
        spec = parse_fields(fields)
        chosen = format_for(output, fmt)
        if chosen == "parquet":
            load_pyarrow()
            if to_stdout and stdout_is_terminal():
                raise UsageProblem("Parquet is binary: write it to a file with -o FILE.parquet, or pipe it")
        connection = make_connection(common, target)
    except UsageProblem as exc:
        raise usage_error(exc) from None
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
    show_progress = console.interactive and not (to_stdout and stdout_is_terminal())
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
                flush_each=to_stdout and stdout_is_terminal(),
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


@click.command("list", context_settings=CONTEXT, epilog=ITEMS_HELP)
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
    common = common_options(options)
    return _listing_command(resource=resource, items=items, fmt=fmt, output=None, common=common, **options)


@click.command("search", context_settings=CONTEXT, epilog=ITEMS_HELP)
@click.argument("items", nargs=-1)
@listing_options
@click.option("--format", "fmt", type=click.Choice(["ndjson", "json", "csv"]), help="Output format (default ndjson).")
@search_connection_options
def search_command(items: tuple[str, ...], fmt: str | None, **options: Any) -> int:
    """Monitoring search (hosts and services), every page, to stdout.

    The first item may be the vendor's search URL (host:port/api/v2/monitoring/search), so an httpie
    command line works once 'http --stream' is replaced by 'krill search'.

    \b
      krill search type==Host regstate==alarm regtag==CAR-OLT02-0/3/9
      krill search type==Service perfdata.pondesv__gt==2 --fields cpe=name,olt=attrs.vars.cpe_registration_host
    """
    common = common_options(options)
    target = Target("monitoring/search")
    rest = list(items)
    if rest and "==" not in rest[0]:
        try:
            target = split_target(rest.pop(0))
        except UsageProblem as exc:
            raise usage_error(exc) from None
        if not is_monitoring_search(target):
            raise click.UsageError(f"search reads monitoring/search, not {target.path}; use krill list for that")
    return _listing_command(resource=target, items=rest, fmt=fmt, output=None, common=common, **options)


@click.command("export", context_settings=CONTEXT, epilog=ITEMS_HELP)
@click.argument("resource")
@click.argument("items", nargs=-1)
@click.option("-o", "--output", metavar="FILE", default="-", help="Where to write ('-' is stdout).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Output format; required unless the file name ends in .ndjson .jsonl .json .csv .parquet or .pq "
    "(stdout: ndjson).",
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
    common = common_options(options)
    return _listing_command(resource=resource, items=items, fmt=fmt, output=output, common=common, **options)
