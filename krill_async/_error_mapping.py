"""Mapping aiohttp and timeout failures to typed errors: a pure function, no I/O."""

from __future__ import annotations

import asyncio

from ._timeouts import Timeout
from .errors import ConnectError, IncompleteBody, RequestTimeout, TransportError

__all__ = ["describe", "transport_error"]


def transport_error(exc: BaseException, *, method: str, url: str, timeout: Timeout) -> TransportError:
    """The typed error for an aiohttp or timeout failure, with what to do next (pure: no I/O)."""
    import aiohttp

    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return RequestTimeout(
            f"{method} {url} timed out ({describe(exc)}); raise the timeout for this call "
            f"(timeout=...) or check the network. Limits were {timeout}.",
            method=method,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return ConnectError(
            f"TLS failed for {url}: {describe(exc)}. Give Krill(ssl=...) a context with your CA.",
            method=method,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return IncompleteBody(
            f"the answer to {method} {url} was cut short ({describe(exc)}); retrying is safe for reads.",
            method=method,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        error = ConnectError(
            f"could not connect for {method} {url}: {describe(exc)}. The server may be down or unreachable.",
            method=method,
            url=url,
        )
        error.request_sent = False  # nothing reached the server: a retried DELETE's 404 is then real
        return error
    if isinstance(exc, aiohttp.ClientConnectionError):
        return ConnectError(
            f"{method} {url} failed: {describe(exc)}. The server may be down or the connection "
            "was cut; retrying is safe for reads.",
            method=method,
            url=url,
        )
    return TransportError(f"{method} {url} failed: {describe(exc)}", method=method, url=url)


def describe(exc: BaseException) -> str:
    """``Type: text`` of an aiohttp failure, without the request's URL: some of them end with it, query
    and all (a `ClientResponseError` for a malformed answer, an `InvalidURL`), and secret-looking values
    are shown masked only in the message's own, redacted copy of it."""
    import aiohttp

    if isinstance(exc, aiohttp.ClientResponseError):
        text = f"{exc.status}, message={exc.message!r}"
    elif isinstance(exc, aiohttp.InvalidURL):
        text = "the URL was refused"
    elif type(exc) is aiohttp.ClientConnectorError:  # its text says "ssl:default" even for http://
        reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        text = f"cannot connect to host {exc.host}:{exc.port}: {reason}"
    else:
        text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
