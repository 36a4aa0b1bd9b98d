"""The ``krill`` command group (click) and its entry point; the commands live in their own modules."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import click

from .. import __version__
from ._errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from ._options import CONTEXT

__all__ = ["cli", "main"]

#: Command name -> (module, attribute). A command's module is imported when that command runs (or when
#: ``--help`` lists them): ``krill get`` does not pay for the CPE actions, exports or the simulator.
COMMANDS: dict[str, tuple[str, str]] = {
    "get": ("._query_commands", "get_command"),
    "list": ("._query_commands", "list_command"),
    "search": ("._query_commands", "search_command"),
    "export": ("._query_commands", "export_command"),
    "action": ("._action_command", "action_command"),
    "demo": ("._sim_commands", "demo_command"),
    "serve": ("._sim_commands", "serve_command"),
}


class _LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            command: click.Command = getattr(importlib.import_module(module, __package__), attribute)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=_LazyGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="krill")
def cli() -> None:
    """Query, export and act on a Krill (Phicus) deployment through its REST API v2.

    \b
    Connection: --url or KRILL_URL; -a USER[:PASSWORD] or KRILL_USERNAME/KRILL_PASSWORD; --token or KRILL_TOKEN
    (options of each command: after its name, as in krill list isp/cpes/ --url ...).
    Records go to stdout (NDJSON unless told otherwise); progress and messages to stderr.
    Exit status: 0 done, 1 Krill error, 2 usage error, 130 interrupted.
    """


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
