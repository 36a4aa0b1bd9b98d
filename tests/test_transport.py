"""Transport behaviour over real sockets: streaming bodies, truncated answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from krill_async import NO_RETRIES, ConnectError, IncompleteBody, Krill, NotFound
from krill_async._urls import join_api_path
from krill_async.testing import KrillSimulator

from ._fakes import json_response, serve

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


@asynccontextmanager
async def raw_server(response: bytes) -> AsyncIterator[str]:
    """A TCP server that answers every request with ``response`` verbatim, then closes the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_body_cut_short_is_incomplete_body() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    async with raw_server(head + b'{"count": 2, "results": [') as url, Krill(url, auth=AUTH, retry=NO_RETRIES) as krill:
        with pytest.raises(IncompleteBody) as info:
            await krill.isp.cpes.list().first_page()
    assert isinstance(info.value, ConnectError)
    assert "cut short" in str(info.value)


async def test_truncated_chunked_stream_is_incomplete_body() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    truncated = head + b"10\r\n" + b'{"count": 1, "re' + b"\r\n"
    async with raw_server(truncated) as url, Krill(url, auth=AUTH, retry=NO_RETRIES) as krill:
        with pytest.raises(IncompleteBody):
            await krill.request("GET", "isp/cpes/")


async def test_stream_yields_chunks_and_handles_errors(krill_simulator_factory: object) -> None:
    sim: KrillSimulator = krill_simulator_factory(cpes=600)  # type: ignore[operator]
    async with Krill(sim.url, auth=AUTH) as krill:
        url = join_api_path(krill.root, "isp/cpes/")
        async with krill.transport.stream("GET", url, params=[("limit", "600")]) as response:
            assert response.status == 200
            chunks = [chunk async for chunk in response.iter_chunks()]
        assert len(chunks) > 1  # a body over 256 KB arrives in pieces
        body = b"".join(chunks)
        assert body.startswith(b'{"count":600') and body.endswith(b"]}")
        with pytest.raises(NotFound):
            async with krill.transport.stream("GET", join_api_path(krill.root, "isp/cpes/99999999/")):
                pass


async def test_stream_renews_jwt_before_yielding() -> None:
    logins = 0

    async def login(_: web.Request) -> web.Response:
        nonlocal logins
        logins += 1
        return json_response(b'{"access": "token-%d", "refresh": "r"}' % logins)

    async def refresh(_: web.Request) -> web.Response:
        return json_response(b'{"detail": "Token is invalid or expired", "code": "token_not_valid"}', 401)

    async def data(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer token-2":
            return json_response(b'{"detail": "Given token not valid for any token type"}', 401)
        return json_response(b'{"ok": true}')

    from krill_async import JWTLogin

    routes = {"/api/v2/auth/login": login, "/api/v2/auth/refresh/": refresh, "/api/v2/x/": data}
    async with serve(routes) as url, Krill(url, auth=JWTLogin("u", "p")) as krill:
        async with krill.transport.stream("GET", join_api_path(krill.root, "x/")) as response:
            assert await response.read() == b'{"ok": true}'
    assert logins == 2
