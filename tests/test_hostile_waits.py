"""Promise 1: no wait without a bound.

A server's ``Retry-After`` is capped by ``max_retry_after``; a silent, trickling or stalling server costs a
call at most ``timeout.total`` (retries included); waiting for a free request slot is not a connect
timeout; a redirect loop is one ``RedirectError``. Every server here is the test's own.
"""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest
from aiohttp import web

from krill_async import (
    JWTLogin,
    KrillError,
    LoginFailed,
    RedirectError,
    RequestTimeout,
    ServerError,
    Throttled,
    Timeout,
)

from ._hostile import client, cpe, json_response, raw_serve, read_request, serve, silent

pytestmark = pytest.mark.anyio

SLACK = 1.0  # bounds are the promise (timeout + slack), not a speed measurement
RETRY_AFTERS = ["3600", "Fri, 31 Dec 9999 23:59:59 GMT"]


def token(n: int) -> str:
    return f"aaaa.bbbb.token{n}"


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("retry_after", RETRY_AFTERS)
async def test_a_huge_retry_after_does_not_pause_later_gets(retry_after: str, status: int) -> None:
    with anyio.fail_after(10):
        answers = ["once"]

        async def handler(request: web.Request) -> web.Response:
            if answers:
                answers.pop()
                return json_response({"detail": "slow down"}, status=status, headers={"Retry-After": retry_after})
            return json_response(cpe(2))

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(Throttled if status == 429 else ServerError):
                await krill.isp.cpes.get(1)  # the wait asked is over max_retry_after: raised at once
            started = time.monotonic()
            record = await krill.isp.cpes.get(2, timeout=1)
            assert record.id == 2
            assert time.monotonic() - started < 1 + SLACK
            assert krill.transport.throttle.pauses == 1


@pytest.mark.parametrize("retry_after", RETRY_AFTERS)
async def test_a_huge_retry_after_does_not_pause_later_posts(retry_after: str) -> None:
    with anyio.fail_after(10):
        answers = ["429"]

        async def handler(request: web.Request) -> web.Response:
            if answers:
                answers.pop()
                return json_response({"detail": "slow down"}, status=429, headers={"Retry-After": retry_after})
            return json_response(cpe(9), status=201)

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(Throttled):
                await krill.request("POST", "isp/cpes/", json={"sn": "X"})
            started = time.monotonic()
            response = await krill.request("POST", "isp/cpes/", json={"sn": "Y"}, timeout=1)
            assert response.status == 201
            assert time.monotonic() - started < 1 + SLACK
            assert srv.count("POST") == 2  # the throttled POST was not re-sent


@pytest.mark.parametrize("retry_after", RETRY_AFTERS)
async def test_a_huge_retry_after_on_the_login_does_not_pause_the_next_login(retry_after: str) -> None:
    with anyio.fail_after(10):
        logins = 0

        async def handler(request: web.Request) -> web.Response:
            nonlocal logins
            if request.path.endswith("/auth/login"):
                logins += 1
                if logins == 1:
                    return json_response({"detail": "slow down"}, status=429, headers={"Retry-After": retry_after})
                return json_response({"access": token(logins), "refresh": "r" + token(logins)})
            return json_response(cpe(2))

        auth = JWTLogin("usuario", "contraseña")
        async with serve(handler) as srv, client(srv.url, auth=auth) as krill:
            with pytest.raises(LoginFailed):
                await krill.isp.cpes.get(2)
            assert krill.transport.throttle._resume_at - time.monotonic() <= 0.5  # max_retry_after
            assert (await krill.isp.cpes.get(2)).id == 2  # after a pause of at most 0.5 s
            assert auth.logins_sent == 2


async def test_a_huge_retry_after_on_a_cpe_action_does_not_pause_the_next_get() -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if request.method == "POST":
                return json_response({"detail": "slow down"}, status=429, headers={"Retry-After": "3600"})
            return json_response(cpe(2))

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(Throttled):
                await krill.isp.cpes.reboot(2)
            assert (await krill.isp.cpes.get(2)).id == 2


async def test_get_with_a_per_call_timeout_ends_within_it() -> None:
    with anyio.fail_after(10):
        timeout = Timeout(total=5, connect=1, read=3)
        async with raw_serve(silent) as url, client(url, timeout=timeout) as krill:
            started = time.monotonic()
            with pytest.raises(RequestTimeout):
                await krill.isp.cpes.get(2, timeout=1)
            assert time.monotonic() - started < 1 + SLACK


async def _trickle_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.2)


async def _trickle_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    writer.write(b'1\r\n{\r\n1\r\n"\r\n')
    while True:
        writer.write(b"1\r\na\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)


async def _headers_then_stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    await writer.drain()
    await asyncio.sleep(3600)


SLOW_SERVERS = {
    "silent": silent,
    "trickle-head": _trickle_head,
    "trickle-body": _trickle_body,
    "headers-then-stall": _headers_then_stall,
}


@pytest.mark.parametrize("kind", sorted(SLOW_SERVERS))
@pytest.mark.parametrize("call", ["get", "list", "post", "export", "stream"])
async def test_a_slow_server_costs_at_most_the_total_timeout(kind: str, call: str) -> None:
    with anyio.fail_after(10):
        async with raw_serve(SLOW_SERVERS[kind]) as url, client(url) as k:
            started = time.monotonic()
            with pytest.raises(RequestTimeout):
                if call == "get":
                    await k.isp.cpes.get(2)
                elif call == "list":
                    [r async for r in k.isp.cpes.list(attrs="id", page_size=10)]
                elif call == "post":
                    await k.request("POST", "isp/cpes/", json={"sn": "X"})
                elif call == "stream":
                    async with k.monitoring.search(type="Host").stream() as found:
                        [r async for r in found]
                else:
                    async with k.isp.cpes.export(page_size=10, concurrency=2) as records:
                        [r async for r in records]
            assert time.monotonic() - started < 1.5 + SLACK


async def test_waiting_for_a_free_slot_is_not_a_connect_timeout() -> None:
    with anyio.fail_after(10):

        async def slow(request: web.Request) -> web.Response:
            await asyncio.sleep(1.5)
            return json_response(cpe(int(request.path.rstrip("/").rsplit("/", 1)[1])))

        timeout = Timeout(total=5, connect=0.5, read=3)
        async with serve(slow) as srv, client(srv.url, concurrency=2, max_in_flight=4, timeout=timeout) as krill:
            results: dict[int, object] = {}

            async def one(i: int) -> None:
                try:
                    results[i] = (await krill.isp.cpes.get(i)).id
                except KrillError as exc:
                    results[i] = exc

            async with anyio.create_task_group() as tg:
                for i in range(1, 9):  # two waves of four: the second waits 1.5 s for a slot
                    tg.start_soon(one, i)
            assert results == {i: i for i in range(1, 9)}
            assert krill.stats.retries == 0


@pytest.mark.parametrize("loop", ["A->B->A", "A->A"])
async def test_a_redirect_loop_is_one_redirect_error(loop: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if loop == "A->A" or request.path.endswith("/b/"):
                target = "/api/v2/isp/cpes/2/"
            else:
                target = "/api/v2/isp/cpes/2/b/"
            return web.Response(status=302, headers={"Location": target})

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(RedirectError) as caught:
                await krill.isp.cpes.get(2)
            assert "loop" in str(caught.value)
            assert len(srv.log) <= 6
            assert krill.stats.retries == 0


async def test_a_deadline_spans_retries_and_retry_after_waits() -> None:
    """503 with Retry-After 0.4 again and again: three attempts would take 0.8 s of waits plus answers."""
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            await asyncio.sleep(0.2)
            return json_response({"detail": "busy"}, status=503, headers={"Retry-After": "0.4"})

        timeout = Timeout(total=1, connect=1, read=1)
        async with serve(handler) as srv, client(srv.url, timeout=timeout) as krill:
            started = time.monotonic()
            with pytest.raises(KrillError):
                await krill.isp.cpes.get(2)
            assert time.monotonic() - started < 1 + SLACK
            assert len(srv.log) <= 3


async def test_a_silent_login_costs_every_waiting_call_at_most_the_total_timeout() -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if request.path.endswith("/auth/login"):
                await asyncio.sleep(3600)
            return json_response(cpe(2))

        auth = JWTLogin("usuario", "contraseña")
        async with serve(handler) as srv, client(srv.url, auth=auth, concurrency=10) as krill:
            ended: list[float] = []
            started = time.monotonic()

            async def one() -> None:
                with pytest.raises((LoginFailed, RequestTimeout)):
                    await krill.isp.cpes.get(2)
                ended.append(time.monotonic() - started)

            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(one)
            assert len(ended) == 10 and max(ended) < 1.5 + SLACK
            assert srv.count("POST") == 1


async def test_waiting_for_a_pooled_connection_of_a_callers_session_is_not_a_connect_timeout() -> None:
    import aiohttp

    with anyio.fail_after(10):

        async def slow(request: web.Request) -> web.Response:
            await asyncio.sleep(0.5)
            return json_response(cpe(2))

        timeout = Timeout(total=5, connect=0.3, read=3)
        async with serve(slow) as srv, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
            async with client(srv.url, session=session, max_in_flight=4, timeout=timeout) as krill:
                results: list[object] = []

                async def one() -> None:
                    try:
                        results.append((await krill.isp.cpes.get(2)).id)
                    except KrillError as exc:
                        results.append(exc)

                async with anyio.create_task_group() as tg:
                    for _ in range(4):  # one connection: the last waits 1.5 s for it
                        tg.start_soon(one)
                assert results == [2, 2, 2, 2]
