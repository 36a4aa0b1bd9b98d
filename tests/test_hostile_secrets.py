"""Promise 7: secrets never leave in text.

A server that echoes the request (Authorization header, decoded Basic credentials, the login form) in its
error bodies and headers; URLs whose query carries secrets; one JWTLogin shared by two deployments; a
client clock two minutes fast. Nothing secret may show in an error's text, fields, traceback or logs.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import traceback
import types
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import anyio
import pytest
from aiohttp import web

from krill_async import JWTLogin, KrillError

from ._hostile import client, cpe, json_response, raw_serve, serve, silent

pytestmark = pytest.mark.anyio

USER = "usuario"
PASSWORD = "s3cr3t-contraseña"  # non-ASCII: echoed as UTF-8 and as \\u escapes
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3VhcmlvIn0.c2VjcmV0LXNpZ25hdHVyZQ"


def forms(secret: str) -> list[str]:
    """The secret and the encodings a server could echo it in (none of them may leave)."""
    return [
        secret,
        json.dumps(secret)[1:-1],  # JSON with ensure_ascii (\\u00f1)
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
    ]


def everything_said(exc: BaseException, records: Iterable[logging.LogRecord]) -> str:
    """All the text the client lets out about a failure."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for name in ("body", "headers", "detail", "field_errors", "body_excerpt", "url", "location"):
        value = getattr(exc, name, None)
        if isinstance(value, bytes):
            parts.append(value.decode("utf-8", "replace"))
        elif value is not None:
            parts.append(repr(value))
            parts.append(str(value))
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        parts += [str(cause), repr(cause)]
        cause = cause.__cause__ or cause.__context__
    for record in records:
        parts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            parts.append("".join(traceback.format_exception(record.exc_info[1])))
    return "\n".join(parts)


def assert_no_secret(text: str, secrets: Iterable[str]) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"{form!r} leaked"


def echo(status: int, *, ascii_only: bool) -> Any:
    """Answers ``status`` with the whole request echoed in the body and in response headers."""

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        authorization = request.headers.get("Authorization", "")
        decoded = ""
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
        data = {
            "detail": f"Bad request from {decoded or authorization}",
            "authorization": [authorization],
            "credentials": [decoded],
            "headers": [f"{k}: {v}" for k, v in request.headers.items()],
            "body": [body.decode("utf-8", "replace")],
            "query": [request.query_string],
        }
        text = json.dumps(data, ensure_ascii=ascii_only)
        headers = {
            "X-Echo-Authorization": authorization,
            "X-Echo-Credentials": quote(decoded),
            "WWW-Authenticate": f'Basic realm="{authorization}"',
        }
        return web.Response(text=text, status=status, content_type="application/json", headers=headers)

    return handler


def jwt_login_server(status: int, *, ascii_only: bool, echo_login: bool = False) -> Any:
    echoing = echo(status, ascii_only=ascii_only)

    async def handler(request: web.Request) -> web.Response:
        if request.path.endswith("/auth/login"):
            if echo_login:
                return await echo(400, ascii_only=ascii_only)(request)
            return json_response({"access": TOKEN, "refresh": TOKEN[::-1]})
        return await echoing(request)

    return handler


AUTHS = ["basic", "bearer", "jwt", "jwt-login-refused"]


@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "ascii"])
@pytest.mark.parametrize("status", [400, 401, 403, 500, 503])
@pytest.mark.parametrize("kind", AUTHS)
async def test_an_echoing_server_never_gets_a_secret_into_an_error(
    kind: str, status: int, ascii_only: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="krill_async")
    with anyio.fail_after(10):
        options: dict[str, Any]
        if kind == "basic":
            handler, options, secrets = echo(status, ascii_only=ascii_only), {"auth": (USER, PASSWORD)}, [PASSWORD]
            secrets.append(f"{USER}:{PASSWORD}")
        elif kind == "bearer":
            handler, options, secrets = echo(status, ascii_only=ascii_only), {"auth": None, "token": TOKEN}, [TOKEN]
        else:
            refused = kind == "jwt-login-refused"
            handler = jwt_login_server(status, ascii_only=ascii_only, echo_login=refused)
            options, secrets = {"auth": JWTLogin(USER, PASSWORD)}, [PASSWORD, TOKEN, TOKEN[::-1]]
        async with serve(handler) as srv, client(srv.url, **options) as krill:
            with pytest.raises(KrillError) as caught:
                await krill.request("POST", "isp/cpes/", json={"sn": "X"})
            assert_no_secret(everything_said(caught.value, caplog.records), secrets)
            with pytest.raises(KrillError) as caught:
                await krill.isp.cpes.get(2)
            assert_no_secret(everything_said(caught.value, caplog.records), secrets)
            assert srv.log  # the server did receive (and echo) the secrets


SECRET_PARAMS = {
    "access_token": "tok-VALUE-1",
    "pppoe_password": "pppoe-VALUE-2",
    "api-key": "apikey-VALUE-3",
    "sessionid": "session-VALUE-4",
    "wifi_password": "wifi-VALUE-5",
    "client_secret": "client-VALUE-6",
}


async def _garbage(request: web.Request) -> web.Response:
    return web.Response(body=b"<html>not json", content_type="application/json")


async def _status_500(request: web.Request) -> web.Response:
    return json_response({"detail": "boom"}, status=500)


async def _loop(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": request.path_qs})


async def _next_link(request: web.Request) -> web.Response:
    nxt = "/api/v2/isp/cpes/?limit=1&offset=0&" + "&".join(f"{k}={v}" for k, v in SECRET_PARAMS.items())
    return json_response({"count": 5, "next": nxt, "previous": None, "results": [cpe(1)]})


@pytest.mark.parametrize(
    "failure", ["garbage", "500", "redirect-loop", "timeout", "next-link"]
)
async def test_secret_query_values_never_show_in_errors(failure: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="krill_async")
    with anyio.fail_after(10):
        if failure == "timeout":
            context: Any = raw_serve(silent)
        else:
            handlers = {"garbage": _garbage, "500": _status_500, "redirect-loop": _loop, "next-link": _next_link}
            context = serve(handlers[failure])
        async with context as srv:
            url = srv if isinstance(srv, str) else srv.url
            async with client(url) as krill:
                with pytest.raises(KrillError) as caught:
                    if failure == "next-link":
                        [r async for r in krill.isp.cpes.list(page_size=1)]
                    elif failure == "garbage":
                        (await krill.request("GET", "isp/cpes/", params=SECRET_PARAMS)).json(dict)
                    else:
                        await krill.request("GET", "isp/cpes/", params=SECRET_PARAMS)
                text = everything_said(caught.value, caplog.records)
                for value in SECRET_PARAMS.values():
                    assert value not in text, f"{value} leaked: {text[:500]}"


async def test_one_jwt_login_shared_by_two_deployments_keeps_their_tokens_apart() -> None:
    with anyio.fail_after(10):

        def issuer(name: str) -> Any:
            issued: list[str] = []

            async def handler(request: web.Request) -> web.Response:
                if request.path.endswith("/auth/login") or request.path.endswith("/auth/refresh/"):
                    token = f"{name}.token.{len(issued)}"
                    issued.append(token)
                    return json_response({"access": token, "refresh": f"{name}.refresh.{len(issued)}"})
                if len(issued) == 1 and request.path.endswith("/3/"):  # revoke once: a renewal on this server
                    issued.append("revoked")
                    return json_response({"detail": "token expired"}, status=401)
                return json_response(cpe(2))

            return handler

        auth = JWTLogin(USER, PASSWORD)
        async with (
            serve(issuer("alpha")) as a,
            serve(issuer("beta")) as b,
            client(a.url, auth=auth) as krill_a,
            client(b.url, auth=auth) as krill_b,
        ):
            for ident in (2, 3, 2, 3, 2):
                await krill_a.isp.cpes.get(ident)
                await krill_b.isp.cpes.get(ident)
            for srv, name in ((a, "alpha"), (b, "beta")):
                sent = [s.headers.get("Authorization", "") for s in srv.log if not s.path.startswith("/api/v2/auth/")]
                assert sent and all(h.startswith(f"Bearer {name}.token.") for h in sent), sent
                bodies = b"".join(s.body for s in srv.log)
                other = b"beta" if name == "alpha" else b"alpha"
                assert other not in bodies  # no refresh token of the other deployment either


def jwt_with(claims: dict[str, float]) -> str:
    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part(b'{}')}.{part(json.dumps(claims).encode())}.c2ln"


@pytest.mark.parametrize("shape", ["exp-and-iat", "exp-only-5min", "exp-only-100s"])
async def test_a_client_clock_two_minutes_fast_does_not_renew_before_every_request(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import krill_async._auth as auth_module

    fast = types.SimpleNamespace(time=lambda: time.time() + 120, monotonic=time.monotonic)
    monkeypatch.setattr(auth_module, "time", fast)
    with anyio.fail_after(10):
        logins = 0

        async def handler(request: web.Request) -> web.Response:
            nonlocal logins
            if request.path.startswith("/api/v2/auth/"):
                logins += 1
                now = time.time()  # the server's (true) clock
                claims = {"exp": now + (100 if shape == "exp-only-100s" else 300)}
                if shape == "exp-and-iat":
                    claims["iat"] = int(now)
                return json_response({"access": jwt_with(claims), "refresh": f"refresh.{logins}"})
            return json_response(cpe(2))

        auth = JWTLogin(USER, PASSWORD)
        async with serve(handler) as srv, client(srv.url, auth=auth) as krill:
            for _ in range(10):
                await krill.isp.cpes.get(2)
            assert logins == 1
            assert auth.logins_sent == 1
            assert srv.count("GET") == 10


async def test_a_refused_login_echoing_its_form_never_shows_a_password_with_spaces(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="krill_async")
    password = "pass word/x+y"
    with anyio.fail_after(10):
        handler = jwt_login_server(400, ascii_only=False, echo_login=True)
        async with serve(handler) as srv, client(srv.url, auth=JWTLogin(USER, password)) as krill:
            with pytest.raises(KrillError) as caught:
                await krill.isp.cpes.get(2)
            assert_no_secret(everything_said(caught.value, caplog.records), [password])
