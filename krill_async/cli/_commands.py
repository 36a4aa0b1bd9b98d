"""The ``krill`` command group (click) and its entry point; the commands live in their own modules."""

from __future__ import annotations

from collections.abc import Sequence

import click

from .. import __version__
from ._action_command import action_command
from ._errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from ._options import CONTEXT
from ._query_commands import export_command, get_command, list_command, search_command
from ._sim_commands import demo_command, serve_command

__all__ = ["cli", "main"]


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="krill")
def cli() -> None:
    """Query, export and act on a Krill (Phicus) deployment through its REST API v2.

    \b
    Connection: --url or KRILL_URL; -a USER[:PASSWORD] or KRILL_USERNAME/KRILL_PASSWORD; --token or KRILL_TOKEN.
    Records go to stdout (NDJSON unless told otherwise); progress and messages to stderr.
    Exit status: 0 done, 1 Krill error, 2 usage error, 130 interrupted.
    """


for _command in (
    get_command,
    list_command,
    search_command,
    export_command,
    action_command,
    demo_command,
    serve_command,
):
    cli.add_command(_command)


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
