"""``krill action``: one CPE action sent once to each of many CPEs, with a line per CPE."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from .._actions import ACTIONS, cpe_key, plan_bulk
from ..errors import InvalidArgument, InvalidIdentifier
from ._bulk import BulkSummary, TextReport, confirmation_text, read_ids, run_actions
from ._connect import Connection, resolve_auth, resolve_url
from ._errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from ._items import UsageProblem
from ._options import CONTEXT, action_connection_options, ask_password, common_options, stdout_is_terminal, usage_error
from ._progress import Progress
from ._runtime import Console, Interrupt, open_client, run
from ._writers import CsvWriter, NdjsonWriter, Writer

__all__ = ["action_command"]


@click.command("action", context_settings=CONTEXT)
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
@action_connection_options
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
    common = common_options(options)
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
        raise usage_error(exc) from None
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
                ask_password=ask_password,
            ),
            common.timeout,
        )
    except UsageProblem as exc:
        raise usage_error(exc) from None
    summary = BulkSummary(action, len(targets), duplicates)
    columns = ["cpe", "action", "ok", "status", "message"]
    flush = stdout_is_terminal()
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
