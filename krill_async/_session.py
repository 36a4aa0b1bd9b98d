"""The aiohttp session of a client and the event loop it belongs to (created on first use)."""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING

from .errors import KrillError

if TYPE_CHECKING:
    import aiohttp

__all__ = ["bound_loop", "new_session"]


def bound_loop(first: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop:
    """The running loop, which must be ``first`` (the loop of the client's first use) when there was one:
    a client and its connections belong to one loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise KrillError(
            "krill_async runs on asyncio only (aiohttp does); under trio, run it through trio-asyncio"
        ) from None
    if first is not None and first is not loop:
        raise KrillError(
            "this Krill client was first used in another event loop (a second asyncio.run()?); a client "
            "and its connections belong to one loop: create one client per loop, inside it"
        )
    return loop


def new_session(size: int, ssl_context: ssl.SSLContext | bool) -> aiohttp.ClientSession:
    """A session whose pool never makes a request wait for a connection (the throttle is the one queue),
    with no cookie jar and no silent re-send."""
    import aiohttp  # on first use: `from krill_async import Krill` does not load aiohttp

    connector = aiohttp.TCPConnector(limit=size, limit_per_host=size, ssl=ssl_context)
    # cookie jar off: Krill's Django session cookie would otherwise be replayed, and CSRF rules for
    # cookie-authenticated writes would apply.
    session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=True)
    # aiohttp re-sends an idempotent request once, silently, when a kept-alive connection turns out closed;
    # the retry policy must be the only thing that re-sends (and counts, and logs).
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session
