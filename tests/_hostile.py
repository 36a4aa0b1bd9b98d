"""Small hostile servers for the reliability tests (tests/test_hostile_*.py).

Each test starts its own server on 127.0.0.1, port 0, and stops it when done: an ``aiohttp.web`` app
whose handler the test supplies (and may swap between calls), or a raw ``asyncio`` socket server for
what aiohttp.web would not send. Every request seen is logged, so tests can assert on what reached the
server (how many attempts, which method, never ``/admin/``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from krill_async import Krill, RetryPolicy, Timeout

AUTH = ("usuario", "contraseña-muy-secreta")
FAST = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.05, max_retry_after=0.5)
SMALL = Timeout(total=1.5, connect=1, read=1)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    raw_path: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Hostile:
    """A running server: its base URL, its request log, and the handler it answers with."""

    url: str
    handler: Handler
    log: list[Seen] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [s.raw_path for s in self.log]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1 for s in self.log if (method is None or s.method == method) and (path is None or s.raw_path == path)
        )

    def saw_admin(self) -> bool:
        return any("admin" in s.raw_path.lower() or "admin" in s.path.lower() for s in self.log)


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[Hostile]:
    """An aiohttp.web server answering every method and path with ``handler`` (swappable: ``srv.handler``)."""
    server: Hostile | None = None

    async def dispatch(request: web.Request) -> web.StreamResponse:
        assert server is not None
        body = await request.read()
        server.log.append(
            Seen(
                request.method,
                request.raw_path,
                request.path,
                dict(request.query),
                dict(request.headers),
                body,
            )
        )
        return await server.handler(request)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", dispatch)
    runner = web.AppRunner(
        app,
        access_log=None,
        handler_cancellation=True,
        max_line_size=1 << 20,  # hostile JWTs are long
        max_field_size=1 << 20,
        shutdown_timeout=0.1,
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server = Hostile(f"http://127.0.0.1:{port}", handler)
    try:
        yield server
    finally:
        await runner.cleanup()


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_serve(handler: RawHandler) -> AsyncIterator[str]:
    """A raw socket server: ``handler(reader, writer)`` per connection; yields the base URL."""
    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            tasks.discard(task)
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    """One HTTP/1.1 request from a raw socket: its request line and body (Content-Length only)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return lines[0], body


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A raw handler that reads the request and never answers."""
    await read_request(reader)
    await asyncio.sleep(3600)


def client(url: str, **options: Any) -> Krill:
    """A client with small limits, so every test is bounded to a few seconds."""
    max_body_size = options.pop("max_body_size", None)
    options.setdefault("auth", AUTH)
    options.setdefault("timeout", SMALL)
    options.setdefault("retry", FAST)
    krill = Krill(url, **options)
    if max_body_size is not None:
        # Krill(max_body_size=...) is not accepted (see test_hostile_memory): set it on the transport.
        krill.transport.max_body_size = max_body_size
    return krill


def page(request: web.Request, rows: list[dict[str, Any]], *, count: int | None = None) -> web.Response:
    """A DRF limit/offset page of ``rows`` for ``request`` (``next`` set while rows remain)."""
    limit = int(request.query.get("limit", "10"))
    offset = int(request.query.get("offset", "0"))
    chunk = rows[offset : offset + limit]
    total = len(rows) if count is None else count
    url = request.url
    nxt = str(url.update_query(limit=limit, offset=offset + limit)) if offset + limit < total else None
    prev = str(url.update_query(limit=limit, offset=max(0, offset - limit))) if offset else None
    return json_response({"count": total, "next": nxt, "previous": prev, "results": chunk})


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json", headers=headers)


def cpe(ident: int, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "sn": f"SN{ident:06d}", "cpename": f"cpe-{ident}", **fields}
