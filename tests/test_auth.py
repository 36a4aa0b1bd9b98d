"""Authentication over real HTTP: Basic, static bearer, JWT login with single-flight renewal."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async import BasicAuth, BearerToken, InvalidCredentials, JWTLogin, Krill, Unauthorized
from krill_async._auth import token_expiry
from krill_async.testing import KrillSimulator

from ._fakes import json_response, serve

pytestmark = pytest.mark.anyio

USER, PASSWORD = "usuario", "contraseña"


def auth_schemes(sim: KrillSimulator) -> set[str | None]:
    return {scheme for _, path, scheme in sim.requests if "/auth/" not in path}


async def test_basic_auth_with_non_ascii_password(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=(USER, PASSWORD)) as krill:
        assert (await krill.isp.cpes.get(1)).id == 1
    assert auth_schemes(krill_simulator) == {"Basic"}


async def test_wrong_basic_credentials(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=(USER, "wrong")) as krill:
        with pytest.raises(Unauthorized) as info:
            await krill.isp.cpes.get(1)
    assert info.value.status == 401
    assert "wrong" not in str(info.value)
    assert len(krill_simulator.requests) == 1  # no retry


async def test_no_credentials(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url) as krill:
        with pytest.raises(Unauthorized, match="credentials"):
            await krill.isp.cpes.get(1)


async def test_jwt_login_then_bearer(krill_simulator: KrillSimulator) -> None:
    auth = JWTLogin(USER, PASSWORD)
    ids = sorted(krill_simulator.network.cpes)[:3]
    async with Krill(krill_simulator.url, auth=auth) as krill:
        for i in ids:
            assert (await krill.isp.cpes.get(i)).id == i
    assert krill_simulator.stats.logins == 1
    assert auth_schemes(krill_simulator) == {"Bearer"}


async def test_static_bearer_token(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=JWTLogin(USER, PASSWORD)) as krill:
        await krill.isp.cpes.get(1)
        token = krill.credentials._access  # type: ignore[union-attr]
    assert token is not None and token_expiry(token) is not None
    second = sorted(krill_simulator.network.cpes)[1]  # ids have gaps, like the vendor's data
    async with Krill(krill_simulator.url, token=token) as krill:
        assert (await krill.isp.cpes.get(second)).id == second
    async with Krill(krill_simulator.url, token="not-a-token") as krill:
        with pytest.raises(Unauthorized):
            await krill.isp.cpes.get(second)


async def test_one_renewal_for_fifty_concurrent_401s(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    auth = JWTLogin(USER, PASSWORD)
    ids = sorted(sim.network.cpes)[:50]
    async with Krill(sim.url, auth=auth, concurrency=50) as krill:
        await krill.isp.cpes.get(ids[0])
        assert (sim.stats.logins, sim.stats.refreshes) == (1, 0)
        sim.expire_tokens()  # every access token now answers 401 token_not_valid
        results: list[int | None] = []

        async def get(i: int) -> None:
            results.append((await krill.isp.cpes.get(i, attrs="id")).id)

        async with anyio.create_task_group() as tg:
            for i in ids:
                tg.start_soon(get, i)
    assert sorted(r for r in results if r is not None) == ids
    assert sim.stats.logins + sim.stats.refreshes == 2  # the first login plus exactly one renewal
    assert auth.renewals == 2


async def test_renewal_falls_back_to_login_when_refresh_is_refused(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(refresh_token_lifetime=0.5, access_token_lifetime=0.5)
    auth = JWTLogin(USER, PASSWORD, leeway=0)
    async with Krill(sim.url, auth=auth) as krill:
        await krill.isp.cpes.get(1)
        await anyio.sleep(1.1)  # both tokens expire
        second = sorted(sim.network.cpes)[1]  # ids have gaps, like the vendor's data
        assert (await krill.isp.cpes.get(second)).id == second
    assert sim.stats.logins == 2


async def test_export_survives_token_expiry(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=400, access_token_lifetime=0.3, latency=0.02)
    async with Krill(sim.url, auth=JWTLogin(USER, PASSWORD), concurrency=4) as krill:
        async with krill.isp.cpes.export(page_size=10, attrs="id") as records:
            ids = [c.id async for c in records]
    assert ids == sorted(sim.network.cpes)
    assert sim.stats.refreshes >= 1


async def test_bad_jwt_credentials_are_never_retried(krill_simulator: KrillSimulator, caplog: Any) -> None:
    sim = krill_simulator
    caplog.set_level(logging.DEBUG)
    async with Krill(sim.url, auth=JWTLogin(USER, "wrong-Pa55")) as krill:
        for _ in range(5):
            with pytest.raises(InvalidCredentials) as info:
                await krill.isp.cpes.get(1)

        async def get() -> None:
            with pytest.raises(InvalidCredentials):
                await krill.isp.cpes.get(1)

        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(get)
    assert sim.stats.failed_logins == 1  # Krill bans IPs after failed logins: one attempt, ever
    assert "banned" in str(info.value) or "bans" in str(info.value)
    assert "wrong-Pa55" not in str(info.value) and "wrong-Pa55" not in caplog.text


async def test_credentials_never_in_repr() -> None:
    secret = "S3cr3t-pw"
    for auth in (BasicAuth(USER, secret), JWTLogin(USER, secret), BearerToken("eyJ.S3cr3t-pw.sig")):
        krill = Krill("https://krill.example.net", auth=auth)
        for text in (repr(auth), repr(krill), repr(krill.isp.cpes), repr(krill.isp.cpes.list())):
            assert secret not in text
        await krill.aclose()


async def test_login_posts_form_fields_and_refresh_posts_json() -> None:
    seen: list[tuple[str, str, dict[str, str]]] = []

    async def login(request: web.Request) -> web.Response:
        form = dict(await request.post())
        seen.append(("login", request.content_type, {k: str(v) for k, v in form.items()}))
        return json_response(b'{"access": "a1", "refresh": "r1"}')

    async def data(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer a1":
            return json_response(b'{"detail": "Given token not valid for any token type"}', 401)
        return json_response(b'{"id": 1}')

    async with serve({"/api/v2/auth/login": login, "/api/v2/isp/cpes/1/": data}) as url:
        async with Krill(url, auth=JWTLogin(USER, PASSWORD)) as krill:
            assert (await krill.isp.cpes.get(1)).id == 1
    assert seen == [("login", "application/x-www-form-urlencoded", {"username": USER, "password": PASSWORD})]


async def test_a_server_refusing_every_fresh_token_causes_no_login_loop() -> None:
    logins = 0

    async def login(_: web.Request) -> web.Response:
        nonlocal logins
        logins += 1
        return json_response(b'{"access": "a", "refresh": "r"}')

    async def refresh(_: web.Request) -> web.Response:
        return json_response(b'{"detail": "Token is invalid or expired", "code": "token_not_valid"}', 401)

    async def data(_: web.Request) -> web.Response:
        return json_response(b'{"detail": "Given token not valid for any token type"}', 401)

    routes = {"/api/v2/auth/login": login, "/api/v2/auth/refresh/": refresh, "/api/v2/isp/cpes/1/": data}
    async with serve(routes) as url, Krill(url, auth=JWTLogin(USER, PASSWORD)) as krill:
        with pytest.raises(Unauthorized):
            await krill.isp.cpes.get(1)
    assert logins == 3  # the first login and at most two renewals for the request
