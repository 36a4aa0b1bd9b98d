"""Errors as one line saying what happened and what to do, and the exit status of each kind.

Exit statuses: 0 done (also when the reader of stdout went away, as with ``| head``), 1 Krill or I/O
error (or a bulk action with failures), 2 usage error, 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

from ..errors import (
    APIStatusError,
    Forbidden,
    InvalidArgument,
    InvalidCredentials,
    InvalidIdentifier,
    KrillError,
    NotFound,
    Unauthorized,
    UnsafeURLError,
)
from ._items import UsageProblem

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "describe", "exit_status"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_CREDENTIALS = "give -a USER[:PASSWORD] or --token, or set KRILL_USERNAME and KRILL_PASSWORD (or KRILL_TOKEN)"

#: The library's hints speak Python (``Krill(auth=...)``); these speak command line.
_CLI_HINTS: dict[type[APIStatusError], str] = {
    InvalidCredentials: (
        "Krill refused these credentials; they were not retried (Krill bans IPs after repeated failed "
        "logins). Check the username and password"
    ),
    Unauthorized: f"Krill did not accept the credentials, or none were given: {_CREDENTIALS}",
    Forbidden: "this user lacks the permission or realm for it; ask a Krill administrator",
    NotFound: "check the path (relative to /api/v2/, like isp/cpes/) and the id; the record may be outside your realms",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe(exc: BaseException) -> str:
    """The message shown for ``exc`` (never with credentials: the library redacts URLs)."""
    if isinstance(exc, APIStatusError):
        hint = next((text for cls, text in _CLI_HINTS.items() if isinstance(exc, cls)), None)
        if hint is not None:
            what = f"{exc.method} {exc.url} -> HTTP {exc.status}"
            if exc.detail:
                what += f": {exc.detail.rstrip('.')}"
            return _one_line(f"{what}. {hint[:1].upper()}{hint[1:]}.")
    if isinstance(exc, (KrillError, UsageProblem)):
        return _one_line(str(exc))
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return _one_line(f"cannot use{where}: {exc.strerror or exc}")
    return _one_line(f"unexpected {type(exc).__name__}: {exc}. Run again with --debug and report it")


def exit_status(exc: BaseException) -> int:
    """The exit status for an error that ended a command."""
    if isinstance(exc, BrokenPipeError):
        return EXIT_OK
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, (UsageProblem, InvalidArgument, InvalidIdentifier, UnsafeURLError)):
        return EXIT_USAGE  # refused before anything was sent: the command line is wrong
    return EXIT_ERROR
