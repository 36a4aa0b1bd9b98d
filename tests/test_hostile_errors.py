"""Promise 3: typed errors only, for anything a server can send.

Deeply nested JSON (in a page, a record, an error body, a streamed page), hostile JWTs and login answers,
credentials in a redirect, a ``file://`` action link; then a hypothesis-driven fuzz of the HTTP boundary
(status, headers, body bytes and ``next`` links drawn from strategies) against ``get``, ``list`` and
``export``: each either succeeds or raises a ``KrillError``, and never hangs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import anyio
import pytest
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from krill_async import (
    BadRequest,
    DecodeError,
    JWTLogin,
    Krill,
    KrillError,
    LoginFailed,
    RetryPolicy,
    Timeout,
    UnsafeURLError,
)

from ._hostile import client, cpe, json_response, raw_serve, read_request, serve

DEEP = 5000
deep_json = b'{"a":' * DEEP + b"1" + b"}" * DEEP
deep_array = b"[" * DEEP + b"]" * DEEP


def deep_page() -> bytes:
    return b'{"count": 1, "next": null, "previous": null, "results": [{"id": 1, "x": ' + deep_array + b"}]}"


def jwt(payload: bytes) -> str:
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = part(b'{"alg":"HS256"}')
    return f"{header}.{part(payload)}.c2lnbmF0dXJl"


@pytest.mark.anyio
@pytest.mark.parametrize("where", ["page", "record", "error-400", "error-500", "stream", "stream-late", "export"])
async def test_deeply_nested_json_is_a_typed_error(where: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if where == "record":
                body = b'{"id": 2, "x": ' + deep_array + b"}"
            elif where == "stream-late":  # deep JSON after 512 KB of good records: the batch decoder meets it
                good = b",".join(b'{"name": "host-%d", "type": "Host", "attrs": {"state": 0}}' % i for i in range(8000))
                body = b'{"count": 8001, "next": null, "results": [' + good + b', {"x": ' + deep_array + b"}]}"
            elif where.startswith("error"):
                return web.Response(body=deep_json, status=int(where[-3:]), content_type="application/json")
            else:
                body = deep_page()
            return web.Response(body=body, content_type="application/json")

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(KrillError) as caught:
                if where in ("record", "error-400", "error-500"):
                    await krill.isp.cpes.get(2)
                elif where == "page":
                    [r async for r in krill.isp.cpes.list(page_size=10)]
                elif where == "export":
                    async with krill.isp.cpes.export(page_size=10, concurrency=2) as records:
                        [r async for r in records]
                else:
                    async with krill.monitoring.search(type="Host").stream() as records:
                        [r async for r in records]
            if where == "error-400":
                assert isinstance(caught.value, BadRequest)
            elif where != "error-500":
                assert isinstance(caught.value, DecodeError)
                assert len(srv.log) == 1  # nesting cannot change on a retry


@pytest.mark.anyio
@pytest.mark.parametrize(
    "payload",
    [
        b'{"exp": ' + b"1" + b"0" * 400 + b"}",
        b'{"exp": 1e400, "iat": -1e400}',
        b'{"exp": ' + deep_json + b"}",
        deep_json,
        b"not json",
        b'{"exp": "soon", "iat": null}',
        b'{"exp": true}',
    ],
    ids=["exp-10e400", "exp-inf", "exp-deep", "payload-deep", "garbage", "strings", "bool"],
)
async def test_a_hostile_jwt_payload_never_breaks_the_client(payload: bytes) -> None:
    with anyio.fail_after(10):
        access = jwt(payload)

        async def handler(request: web.Request) -> web.Response:
            if request.path.endswith("/auth/login"):
                return json_response({"access": access, "refresh": "refresh-token-1"})
            assert request.headers.get("Authorization") == f"Bearer {access}"
            return json_response(cpe(2))

        auth = JWTLogin("usuario", "contraseña")
        async with serve(handler) as srv, client(srv.url, auth=auth) as krill:
            for _ in range(3):
                assert (await krill.isp.cpes.get(2)).id == 2
            assert auth.logins_sent == 1  # an absurd expiry is "unknown": renewed after a 401 only
            assert srv.count("POST") == 1


@pytest.mark.anyio
@pytest.mark.parametrize("bad", ["\r", "\n", "\x00", "\r\nX-Injected: 1"])
@pytest.mark.parametrize("which", ["access", "refresh"])
async def test_a_login_token_with_control_characters_is_refused(bad: str, which: str) -> None:
    with anyio.fail_after(10):
        answer = {"access": "good.access.token", "refresh": "good.refresh.token"}
        answer[which] = f"tok{bad}en.part.two"

        async def handler(request: web.Request) -> web.Response:
            if request.path.endswith("/auth/login"):
                return json_response(answer)
            return json_response(cpe(2))

        auth = JWTLogin("usuario", "contraseña")
        async with serve(handler) as srv, client(srv.url, auth=auth) as krill:
            with pytest.raises(LoginFailed):
                await krill.isp.cpes.get(2)
            assert [s.method for s in srv.log] == ["POST"]  # nothing sent with the broken token
            assert not any("X-Injected" in s.headers for s in srv.log)


@pytest.mark.anyio
@pytest.mark.parametrize("call", ["get", "post"])
async def test_a_redirect_carrying_credentials_is_refused(call: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            host = request.host
            return web.Response(status=307, headers={"Location": f"http://admin:hunter2pw@{host}/api/v2/isp/cpes/3/"})

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(UnsafeURLError) as caught:
                if call == "get":
                    await krill.isp.cpes.get(2)
                else:
                    await krill.request("POST", "isp/cpes/2/", json={"a": 1})
            assert "hunter2pw" not in str(caught.value) and "hunter2pw" not in repr(caught.value)
            assert len(srv.log) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "link",
    ["file:///etc/passwd", "javascript:alert(1)", "//evil/x", "http://evil.example/admin/", "/api/v2/../../admin/"],
)
async def test_an_action_link_out_of_the_api_is_refused(link: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            return json_response(cpe(2, _links={"actions": {"reboot": link}, "links": {}}))

        async with serve(handler) as srv, client(srv.url) as krill:
            record = await krill.isp.cpes.get(2)
            with pytest.raises(UnsafeURLError):
                await krill.isp.cpes.reboot(record)
            assert srv.count("POST") == 0


@pytest.mark.anyio
async def test_an_action_link_naming_another_host_is_rebased_onto_the_client_origin() -> None:
    """Krill's links name internal hosts (``http://pre1:4280/api/v2/...``): only their API path is kept."""
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            if request.method == "POST":
                return json_response({"detail": "ok"})
            return json_response(cpe(2, _links={"actions": {"reboot": "http://evil.example/api/v2/cpes/2/reboot"}}))

        async with serve(handler) as srv, client(srv.url) as krill:
            await krill.isp.cpes.reboot(await krill.isp.cpes.get(2))
            assert [s.raw_path for s in srv.log if s.method == "POST"] == ["/api/v2/cpes/2/reboot"]


# -- fuzzing the HTTP boundary ---------------------------------------------------------------------


@dataclass
class Plan:
    """The next answer of the fuzz server (every request of an example gets the same one)."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    requests: int = 0
    #: When set, the answers to give in turn (the first request gets the first, and so on, cycling).
    sequence: list[Plan] = field(default_factory=list)


class FuzzServer:
    """A raw socket server in a thread of its own, reused by every example: it answers ``plan``."""

    def __init__(self) -> None:
        self.plan = Plan()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(5)
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._answer, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.server = server
        self.ready.set()
        self.loop.run_forever()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            plan = self.plan
            plan.requests += 1
            plan = plan.sequence[(plan.requests - 1) % len(plan.sequence)] if plan.sequence else plan
            lines = [f"HTTP/1.1 {plan.status} Fuzz".encode()]
            lines += [f"{k}: {v}".encode("latin-1", "replace") for k, v in plan.headers]
            lines.append(b"Connection: close")
            writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + plan.body)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[FuzzServer]:
    server = FuzzServer()
    try:
        yield server
    finally:
        server.stop()


LINKS = [
    None,
    "",
    "{base}/api/v2/isp/cpes/?limit=2&offset=2",
    "/api/v2/isp/cpes/?limit=2&offset=2",
    "?limit=2&offset=2",
    "/api/v2/isp/cpes/?limit=2&offset=0",
    "{base}/api/v2/isp/cpes/../../../../admin/flush/",
    "../../admin/",
    "/api/v2/isp/cpes/%2e%2e/%2e%2e/%2e%2e/admin/",
    "http://evil.example/api/v2/isp/cpes/?offset=2",
    "file:///etc/passwd",
    "/api/v2/isp/customers/?offset=2",
    "http://[::1",
    "\x00\r\n",
    "/api/v2/isp/cpes/?limit=-5&offset=99999999999999999999999",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
records = st.one_of(
    st.fixed_dictionaries({"id": st.integers(min_value=-3, max_value=10**20)}, optional={"sn": json_values}),
    json_values,
)


@st.composite
def page_bodies(draw: st.DrawFn) -> bytes:
    envelope: dict[str, object] = {
        "count": draw(st.sampled_from([0, 1, 2, 5, 10**15, -1, None, "many", 2.5])),
        "next": draw(st.sampled_from(LINKS)),
        "previous": draw(st.sampled_from(LINKS)),
        "results": draw(st.lists(records, max_size=4)),
    }
    if draw(st.booleans()):
        del envelope[draw(st.sampled_from(list(envelope)))]
    return json.dumps(envelope).encode()


bodies = st.one_of(
    page_bodies(),
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.binary(max_size=64),
    st.sampled_from([b"", b"<html>502 Bad Gateway</html>", deep_json, deep_page(), b'{"id": 2', b"\xff\xfe{"]),
)
header_values = {
    "Content-Type": st.sampled_from(["application/json", "text/html", "application/json; charset=latin-1", ""]),
    "Content-Length": st.sampled_from(["0", "1", "7", "99999", "-1", "abc", "18446744073709551617"]),
    "Location": st.sampled_from([link for link in LINKS if link is not None]),
    "Retry-After": st.sampled_from(["0", "0.05", "3600", "-5", "nan", "inf", "Fri, 31 Dec 9999 23:59:59 GMT", "x"]),
    "Content-Encoding": st.sampled_from(["gzip", "deflate", "br", "zstd", "identity", "bogus", "gzip, gzip"]),
    "Transfer-Encoding": st.sampled_from(["chunked", "gzip", "bogus"]),
}


STATUSES = [200, 200, 200, 201, 204, 206, 301, 302, 303, 307, 308, 400, 401, 404, 429, 500, 503]


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    status = draw(st.sampled_from(STATUSES))
    names = draw(st.lists(st.sampled_from(sorted(header_values)), unique=True, max_size=3))
    headers = [(name, draw(header_values[name])) for name in names]
    return Plan(status=status, headers=headers, body=draw(bodies))


FUZZ_TIMEOUT = Timeout(total=1, connect=0.5, read=0.5)
FUZZ_RETRY = RetryPolicy(attempts=2, backoff=0.01, max_backoff=0.02, max_retry_after=0.05)


async def exercise(url: str) -> None:
    async with Krill(url, auth=("u", "pw-secret"), timeout=FUZZ_TIMEOUT, retry=FUZZ_RETRY) as krill:
        krill.transport.max_body_size = 1024 * 1024
        with anyio.fail_after(5):
            with contextlib.suppress(KrillError):
                await krill.isp.cpes.get(2)
            try:
                async for _ in krill.isp.cpes.list(page_size=2):
                    pass
            except KrillError:
                pass
            try:
                async with krill.isp.cpes.export(page_size=2, concurrency=2) as records:
                    async for _ in records:
                        pass
            except KrillError:
                pass
            try:
                async with krill.monitoring.search(type="Host").stream() as found:
                    async for _ in found:
                        pass
            except KrillError:
                pass


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answers=st.lists(plans(), min_size=1, max_size=3))
def test_fuzzed_answers_give_success_or_a_krill_error(fuzz_server: FuzzServer, answers: list[Plan]) -> None:
    base = fuzz_server.url
    for plan in answers:
        plan.headers = [(name, value.replace("{base}", base)) for name, value in plan.headers]
        plan.body = plan.body.replace(b"{base}", base.encode())
    fuzz_server.plan = script = Plan(sequence=answers)
    anyio.run(exercise, base)
    assert script.requests < 60  # every call bounded in requests, too


RAW_ANSWERS = {
    "closed-at-once": b"",
    "garbage-line": b"SSH-2.0-OpenSSH_9.6\r\n",
    "bad-status": b"HTTP/1.1 abc Oops\r\nContent-Length: 0\r\n\r\n",
    "status-999": b"HTTP/1.1 999 Whatever\r\nContent-Length: 2\r\n\r\n{}",
    "status-1xx-only": b"HTTP/1.1 100 Continue\r\n\r\n",
    "huge-header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\nContent-Length: 2\r\n\r\n{}",
    "many-headers": b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(20_000)) + b"\r\n{}",
    "bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "cut-chunked": b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"id"',
    "both-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "short-body": b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"id": 2',
    "bad-gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope",
    "null-bytes": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\n{}",
    "header-folding": b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
    "redirect-no-location": b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n",
    "redirect-bad-location": b"HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n",
}


@pytest.mark.anyio
@pytest.mark.parametrize("call", ["get", "post", "stream"])
@pytest.mark.parametrize("name", sorted(RAW_ANSWERS))
async def test_a_broken_http_answer_is_a_krill_error(name: str, call: str) -> None:
    with anyio.fail_after(10):

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(reader)
            writer.write(RAW_ANSWERS[name])
            await writer.drain()

        async with raw_serve(answer) as url, client(url) as krill:
            try:
                if call == "get":
                    await krill.isp.cpes.get(2)
                elif call == "post":
                    await krill.request("POST", "isp/cpes/", json={"sn": "X"})
                else:
                    async with krill.monitoring.search(type="Host").stream() as found:
                        [r async for r in found]
            except KrillError:
                pass


# -- fuzzing well-formed pages: paging must end in a bounded number of requests ----------------------

PAGING_LINKS = [
    None,
    "/api/v2/isp/cpes/?limit=2&offset=2",
    "{base}/api/v2/isp/cpes/?limit=2&offset=4",
    "?limit=2&offset=2",
    "/api/v2/isp/cpes/?offset=10",
    "/api/v2/isp/cpes/?limit=1000&offset=1",
    "/api/v2/isp/cpes/?limit=2",
]


@st.composite
def well_formed_pages(draw: st.DrawFn) -> Plan:
    ids = draw(st.lists(st.integers(min_value=1, max_value=50), max_size=4))
    body = {
        "count": draw(st.sampled_from([0, 1, 3, 30, None])),  # 10**15 with rows everywhere is just huge
        "next": draw(st.sampled_from(PAGING_LINKS)),
        "previous": None,
        "results": [{"id": i} for i in ids],
    }
    return Plan(status=200, headers=[("Content-Type", "application/json")], body=json.dumps(body).encode())


async def page_everything(url: str, script: Plan) -> None:
    async with Krill(url, auth=("u", "pw-secret"), timeout=FUZZ_TIMEOUT, retry=FUZZ_RETRY) as krill:
        with anyio.fail_after(5):
            with contextlib.suppress(KrillError):
                async for _ in krill.isp.cpes.list(page_size=2):
                    assert script.requests < 100, "the sequential iterator does not end"
            with contextlib.suppress(KrillError):
                async with krill.isp.cpes.export(page_size=2, concurrency=2) as records:
                    async for _ in records:
                        assert script.requests < 200, "the export does not end"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # libcst, imported by hypothesis to report the failure
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the known failure is found, not minimised
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answers=st.lists(well_formed_pages(), min_size=1, max_size=3))
def test_fuzzed_pages_end_in_a_bounded_number_of_requests(fuzz_server: FuzzServer, answers: list[Plan]) -> None:
    base = fuzz_server.url
    for plan in answers:
        plan.body = plan.body.replace(b"{base}", base.encode())
    fuzz_server.plan = script = Plan(sequence=answers)
    anyio.run(page_everything, base, script)
