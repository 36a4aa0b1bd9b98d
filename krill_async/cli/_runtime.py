"""Running one command: the event loop, Ctrl-C, a closed stdout, and errors turned into exit statuses.

Ctrl-C is received as an event in the loop (not as ``KeyboardInterrupt`` at an arbitrary bytecode), so it
stops the work at an ``await``: never in the middle of writing a record. Writers are synchronous, so every
record written is complete; the ``finally`` blocks close the output properly before the exit status 130.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO

import anyio
from anyio.abc import TaskStatus

from .._client import Krill
from ._connect import Connection
from ._errors import EXIT_INTERRUPTED, EXIT_OK, describe, exit_status
from ._items import UsageProblem

__all__ = ["Console", "Interrupt", "open_client", "run"]


class Interrupt:
    """Ctrl-C as the work sees it. Ordinary work is cancelled at once; *graceful* work (a bulk action)
    is only told, through `requested`, to start nothing new, and a second Ctrl-C cancels it."""

    def __init__(self) -> None:
        self.requested = False


class Console:
    """Messages for the operator, on stderr; ``--quiet`` silences all but warnings and errors."""

    def __init__(self, *, quiet: bool, stream: IO[str] | None = None) -> None:
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr

    @property
    def interactive(self) -> bool:
        """True when stderr is a terminal that may show progress."""
        return not self.quiet and _isatty(self.stream)

    def info(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(f"krill: {text}\n")
            self.stream.flush()

    def warn(self, text: str) -> None:
        self.stream.write(f"krill: warning: {text}\n")
        self.stream.flush()

    def error(self, text: str) -> None:
        self.stream.write(f"krill: error: {text}\n")
        self.stream.flush()


def _isatty(stream: IO[str] | IO[bytes]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


async def _watch_interrupts(
    interrupt: Interrupt, work: anyio.CancelScope, graceful: bool, *, task_status: TaskStatus[None]
) -> None:
    started = False
    try:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            task_status.started()  # the work starts once Ctrl-C is ours
            started = True
            async for _ in signals:
                first = not interrupt.requested
                interrupt.requested = True
                if not (graceful and first):
                    work.cancel()
    except NotImplementedError:  # no signal handlers in this loop (Windows): Ctrl-C raises KeyboardInterrupt
        if not started:
            task_status.started()


def _silence_stdout() -> None:
    """After the reader of stdout went away: let the exit flush go nowhere instead of failing again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def report(exc: BaseException, console: Console, *, debug: bool) -> int:
    """Show ``exc`` as one line (with the traceback under ``--debug``) and return its exit status."""
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return EXIT_OK
    if debug:
        traceback.print_exception(exc, file=console.stream)
    console.error(describe(exc))
    return exit_status(exc)


def run(work: Callable[[Interrupt], Awaitable[int]], console: Console, *, debug: bool, graceful: bool = False) -> int:
    """Run ``work`` in an event loop; its return value is the exit status unless Ctrl-C or an error."""
    failures: list[Exception] = []
    interrupt = Interrupt()

    async def main() -> int:
        status = EXIT_OK
        async with anyio.create_task_group() as tg:
            scope = anyio.CancelScope()
            await tg.start(_watch_interrupts, interrupt, scope, graceful)
            with scope:
                try:
                    status = await work(interrupt)
                except Exception as exc:  # reported below, outside the task group (no ExceptionGroup)
                    failures.append(exc)
            tg.cancel_scope.cancel()
        return status

    try:
        status = anyio.run(main)
    except KeyboardInterrupt:  # before the loop's own handler was installed
        return EXIT_INTERRUPTED
    if failures:
        code = report(failures[0], console, debug=debug)
        return EXIT_INTERRUPTED if interrupt.requested and code != EXIT_OK else code
    return EXIT_INTERRUPTED if interrupt.requested else status


@contextlib.asynccontextmanager
async def open_client(connection: Connection, *, concurrency: int = 8) -> AsyncIterator[Krill]:
    """A client for the command; closed even when the command is being cancelled by Ctrl-C."""
    try:
        krill = Krill(connection.url, auth=connection.auth, concurrency=concurrency, timeout=connection.timeout)
    except (TypeError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None
    try:
        yield krill
    finally:
        with anyio.CancelScope(shield=True):
            await krill.aclose()
