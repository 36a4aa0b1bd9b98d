"""What the commands share: connection and listing options, credentials, and small terminal helpers."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from ._connect import Connection, resolve_auth, resolve_url
from ._items import Target, UsageProblem

__all__ = [
    "CONTEXT",
    "ITEMS_HELP",
    "Common",
    "action_connection_options",
    "ask_password",
    "common_options",
    "connection_options",
    "listing_options",
    "make_connection",
    "search_connection_options",
    "server_params",
    "stdout_is_terminal",
    "usage_error",
]

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}
ITEMS_HELP = "ITEMS are query parameters in httpie's syntax: name==value (type==Host, perfdata.pondesv__gt==2)."


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


def common_options(options: dict[str, Any]) -> Common:
    common = Common(**{name: options.pop(name) for name in Common.__dataclass_fields__})
    if common.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="krill: %(name)s: %(message)s")
    return common


_URL_HELP = "The Krill deployment, like https://krill.example.net"


def connection_options(f: F) -> F:
    """``--url``, ``-a``, ``-A``, ``--token``, ``--timeout``, ``-q``, ``--debug`` for a command taking a
    RESOURCE (which may be a whole URL, making ``--url`` unnecessary)."""
    return _connection_options(f, url_help=f"{_URL_HELP} (not needed when RESOURCE is a whole URL).")


def search_connection_options(f: F) -> F:
    """The connection options of ``search``, whose first item may be the vendor's whole search URL."""
    return _connection_options(f, url_help=f"{_URL_HELP} (not needed when the first item is a whole URL).")


def action_connection_options(f: F) -> F:
    """The connection options of ``action``: CPE ids are not URLs, so ``--url`` (or KRILL_URL) is needed."""
    return _connection_options(f, url_help=f"{_URL_HELP}.")


def _connection_options(f: F, *, url_help: str) -> F:
    options = [
        click.option("--url", envvar="KRILL_URL", show_envvar=True, metavar="URL", help=url_help),
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


def ask_password(user: str) -> str:
    if not sys.stdin.isatty():
        raise UsageProblem(f"no password for {user}: give -a {user}:PASSWORD, set KRILL_PASSWORD, or run in a terminal")
    password: str = click.prompt(f"password for {user}", hide_input=True, err=True)
    return password


def make_connection(common: Common, target: Target | None) -> Connection:
    url = resolve_url(common.url, target)
    auth = resolve_auth(
        auth=common.auth, token=common.token, auth_type=common.auth_type, env=os.environ, ask_password=ask_password
    )
    return Connection(url, auth, common.timeout)


def server_params(attrs: str | None, joins: str | None) -> list[tuple[str, str]]:
    return [(name, value) for name, value in (("attrs", attrs), ("joins", joins)) if value]


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def usage_error(exc: Exception) -> click.UsageError:
    return click.UsageError(str(exc))
