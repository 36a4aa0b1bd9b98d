"""Promise 4: writes are sent once.

A failing login is sent once per renewal however many calls wait for it; a POST or PATCH answered 503 or
cut is not re-sent; aiohttp's silent re-send on a dead kept-alive connection is off; a DELETE whose retry
answers 404 succeeded; redirects of writes keep their method and body or are refused.
"""

from __future__ import annotations

import asyncio
import json

import anyio
import pytest
from aiohttp import web

from krill_async import (
    NO_RETRIES,
    ConnectError,
    JWTLogin,
    KrillError,
    LoginFailed,
    NotFound,
    RedirectError,
    ServerError,
)

from ._hostile import client, cpe, json_response, raw_serve, read_request, serve

pytestmark = pytest.mark.anyio

LOGIN_FAILURES = {
    "429": lambda: json_response({"detail": "throttled"}, status=429),
    "503": lambda: json_response({"detail": "unavailable"}, status=503),
    "html-200": lambda: web.Response(text="<html><body>Maintenance</body></html>", content_type="text/html"),
    "no-token-200": lambda: json_response({"detail": "ok"}),
}


@pytest.mark.parametrize("answer", sorted(LOGIN_FAILURES))
async def test_a_failing_login_is_sent_once_for_twenty_waiting_calls(answer: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if request.path.endswith("/auth/login"):
                await asyncio.sleep(0.2)  # every call is waiting for this one renewal
                return LOGIN_FAILURES[answer]()
            return json_response(cpe(2))

        auth = JWTLogin("usuario", "contraseña")
        async with serve(handler) as srv, client(srv.url, auth=auth, concurrency=20) as krill:
            outcomes: list[BaseException | object] = []

            async def one() -> None:
                try:
                    outcomes.append(await krill.isp.cpes.get(2))
                except KrillError as exc:
                    outcomes.append(exc)

            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(one)
            assert len(outcomes) == 20
            assert all(isinstance(o, LoginFailed) for o in outcomes), outcomes
            assert auth.logins_sent == 1
            assert srv.count("POST") == 1
            assert srv.count("GET") == 0


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_write_answered_503_is_sent_once(method: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            return json_response({"detail": "unavailable"}, status=503, headers={"Retry-After": "0"})

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(ServerError):
                await krill.request(method, "isp/cpes/2/", json={"sn": "X"})
            assert srv.count(method) == 1
            assert krill.stats.retries == 0


async def _drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    seen.append((await read_request(reader))[0])  # read it whole, answer nothing, close


seen: list[str] = []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_write_whose_connection_drops_is_sent_once(method: str) -> None:
    with anyio.fail_after(10):
        seen.clear()
        async with raw_serve(_drop) as url, client(url) as krill:
            with pytest.raises(ConnectError):
                await krill.request(method, "isp/cpes/2/", json={"sn": "X"})
            assert [line.split()[0] for line in seen] == [method]


async def test_no_silent_resend_on_a_dead_kept_alive_connection() -> None:
    """The server answers a connection's first request, then closes it without answering the second."""
    with anyio.fail_after(10):
        requests: list[str] = []

        async def first_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            line, _ = await read_request(reader)
            requests.append(line)
            body = json.dumps(cpe(1)).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
            line, _ = await read_request(reader)
            requests.append(line)  # ... and close without an answer

        async with raw_serve(first_only) as url, client(url, retry=NO_RETRIES, concurrency=1) as krill:
            assert (await krill.isp.cpes.get(1)).id == 1
            with pytest.raises(ConnectError):
                await krill.isp.cpes.get(2)
            assert [r.split()[1] for r in requests] == ["/api/v2/isp/cpes/1/", "/api/v2/isp/cpes/2/"]
            assert krill.stats.requests == 1


async def test_a_delete_applied_then_503_then_404_succeeded() -> None:
    with anyio.fail_after(10):
        deleted = False

        async def handler(request: web.Request) -> web.Response:
            nonlocal deleted
            if not deleted:
                deleted = True  # applied ... but the answer is lost behind a proxy's 503
                return json_response({"detail": "bad gateway"}, status=503)
            return json_response({"detail": "Not found."}, status=404)

        async with serve(handler) as srv, client(srv.url) as krill:
            await krill.isp.cpes.delete(5)
            assert srv.count("DELETE", "/api/v2/isp/cpes/5/") == 2


async def test_a_delete_answered_404_at_once_is_not_found() -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            return json_response({"detail": "Not found."}, status=404)

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(NotFound):
                await krill.isp.cpes.delete(5)
            assert srv.count("DELETE") == 1


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_write_redirected_by_append_slash_is_resent_with_its_body(method: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if not request.path.endswith("/"):
                return web.Response(status=301, headers={"Location": request.path + "/"})
            return json_response(cpe(9), status=201)

        async with serve(handler) as srv, client(srv.url) as krill:
            response = await krill.request(method, "isp/cpes", json={"sn": "NEW"})
            assert response.status == 201
            assert [(s.method, s.raw_path) for s in srv.log] == [
                (method, "/api/v2/isp/cpes"),
                (method, "/api/v2/isp/cpes/"),
            ]
            assert srv.log[0].body == srv.log[1].body == b'{"sn":"NEW"}'


@pytest.mark.parametrize("status", [307, 308])
async def test_307_and_308_keep_the_method_and_body(status: int) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if request.path == "/api/v2/isp/cpes/old/":
                return web.Response(status=status, headers={"Location": "/api/v2/isp/cpes/new/"})
            return json_response(cpe(9), status=201)

        async with serve(handler) as srv, client(srv.url) as krill:
            await krill.request("POST", "isp/cpes/old/", json={"sn": "NEW"})
            assert [(s.method, s.raw_path, s.body) for s in srv.log] == [
                ("POST", "/api/v2/isp/cpes/old/", b'{"sn":"NEW"}'),
                ("POST", "/api/v2/isp/cpes/new/", b'{"sn":"NEW"}'),
            ]


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_a_write_redirected_to_another_path_is_refused(status: int) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": "/api/v2/isp/cpes/?created=1"})

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(RedirectError) as caught:
                await krill.request("POST", "isp/cpes/new/", json={"sn": "NEW"})
            assert "/api/v2/isp/cpes/?created=1" in str(caught.value)
            assert caught.value.location.endswith("/api/v2/isp/cpes/?created=1")
            assert [s.method for s in srv.log] == ["POST"]
            assert krill.stats.retries == 0


async def test_twenty_calls_seeing_a_revoked_token_renew_it_once() -> None:
    with anyio.fail_after(10):
        issued: list[str] = []

        async def handler(request: web.Request) -> web.Response:
            if request.path.startswith("/api/v2/auth/"):
                await asyncio.sleep(0.1)
                issued.append(f"token.{len(issued)}")
                return json_response({"access": issued[-1], "refresh": f"refresh.{len(issued)}"})
            if request.headers.get("Authorization") == "Bearer token.0":
                await asyncio.sleep(0.05)
                return json_response({"detail": "Token is invalid or expired"}, status=401)
            return json_response(cpe(2))

        auth = JWTLogin("usuario", "contraseña")
        async with serve(handler) as srv, client(srv.url, auth=auth, concurrency=20) as krill:
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(krill.isp.cpes.get, 2)
            assert issued == ["token.0", "token.1"]  # the first login, then one renewal for all twenty
            assert auth.logins_sent == 2
            assert srv.count("GET") == 40


async def test_a_server_refusing_every_token_causes_no_login_loop() -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if request.path.startswith("/api/v2/auth/"):
                return json_response({"access": "a.b.c", "refresh": "r.s.t"})
            return json_response({"detail": "Token is invalid or expired"}, status=401)

        auth = JWTLogin("usuario", "contraseña")
        async with serve(handler) as srv, client(srv.url, auth=auth) as krill:
            for _ in range(3):
                with pytest.raises(KrillError):
                    await krill.isp.cpes.get(2)
            assert auth.logins_sent <= 1 + 3 * 2  # the first login, then at most two renewals per call
            assert srv.count("GET") <= 3 * 3


async def test_a_delete_applied_then_cut_then_404_succeeded() -> None:
    with anyio.fail_after(10):
        lines: list[str] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            line, _ = await read_request(reader)
            lines.append(line)
            if len(lines) == 1:
                return  # applied, then the connection drops before the answer
            body = b'{"detail": "Not found."}'
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()

        async with raw_serve(handler) as url, client(url) as krill:
            await krill.isp.cpes.delete(5)
            assert [line.split()[0] for line in lines] == ["DELETE", "DELETE"]
