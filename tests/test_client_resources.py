"""Records, CRUD, the generic resource, raw requests and every error class over real HTTP."""

from __future__ import annotations

import math
import socket
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web

from krill_async import (
    NO_RETRIES,
    APIStatusError,
    BadRequest,
    ConnectError,
    Cpe,
    Customer,
    DecodeError,
    Forbidden,
    InvalidIdentifier,
    Krill,
    KrillError,
    MethodNotAllowed,
    NotFound,
    PaginationError,
    Pots,
    RequestTimeout,
    ServerError,
    Throttled,
    Timeout,
    Unauthorized,
    UnsafeURLError,
)
from krill_async.testing import KrillSimulator

from ._fakes import json_response, serve

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


def cpe_with_potses(sim: KrillSimulator) -> dict[str, Any]:
    for cpe in sim.network.cpes.values():
        if sim.network.potses_of(cpe["id"]):
            return cpe
    raise AssertionError("the simulated network has no CPE with POTS lines")


async def test_get_with_attrs_and_joins(krill_simulator: KrillSimulator) -> None:
    target = cpe_with_potses(krill_simulator)
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        cpe = await krill.isp.cpes.get(target["id"], attrs=["id"], joins=["customer", "potses"])
        slim = await krill.isp.cpes.get(target["id"], attrs="id,cpename")
    assert cpe.id == target["id"]
    assert isinstance(cpe.customer, Customer) and cpe.customer.id == target["customer"]
    assert cpe.potses and all(isinstance(p, Pots) for p in cpe.potses)
    assert all(p.lineid is not None and p.lineid.startswith(target["cpename"]) for p in cpe.potses)
    assert cpe.sn is None  # left out by attrs
    assert (slim.id, slim.cpename, slim.sn) == (target["id"], target["cpename"], None)


async def test_get_by_internal_id(krill_simulator: KrillSimulator) -> None:
    target = list(krill_simulator.network.cpes.values())[3]
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        cpe = await krill.isp.cpes.get(target["internal_id"])
    assert cpe.id == target["id"]


async def test_customers_and_potses(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        customers = [c async for c in krill.isp.customers.list()]
        potses = [p async for p in krill.isp.potses.list()]
    assert len(customers) == len(krill_simulator.network.customers)
    assert all(isinstance(c, Customer) for c in customers)
    assert len(potses) == len(krill_simulator.network.potses)
    assert "password='***'" in repr(next(p for p in potses if p.password)) or all(not p.password for p in potses)


async def test_crud_cycle(krill_simulator: KrillSimulator) -> None:
    customer_id = next(iter(krill_simulator.network.customers))
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        created = await krill.isp.cpes.create({"sn": "48575443aabbccdd", "customer": customer_id, "model": "HG8245H"})
        assert isinstance(created, Cpe) and created.id is not None and created.sn == "48575443aabbccdd"
        patched = await krill.isp.cpes.patch(created.id, {"notes": "moved to the garage"})
        assert patched.notes == "moved to the garage" and patched.sn == "48575443aabbccdd"
        replaced = await krill.isp.cpes.update(created.id, Cpe(sn="48575443aabbccee", customer=customer_id))
        assert replaced.sn == "48575443aabbccee"
        await krill.isp.cpes.delete(created.id)
        with pytest.raises(NotFound) as info:
            await krill.isp.cpes.get(created.id)
    assert info.value.status == 404 and info.value.detail == "Not found."
    assert f"/api/v2/isp/cpes/{created.id}/" in info.value.url


async def test_bad_request_carries_field_errors(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        with pytest.raises(BadRequest) as info:
            await krill.isp.cpes.create({"model": "HG8245H"})
    assert "sn" in info.value.field_errors
    assert info.value.method == "POST"
    assert "fix the fields" in str(info.value)


async def test_pots_creation_is_not_allowed(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        with pytest.raises(MethodNotAllowed) as info:
            await krill.isp.potses.create({"cli": "912345678"})
    assert info.value.status == 405


async def test_generic_resource_and_raw_request(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        cpes = krill.app("isp").resource("cpes")
        first = await cpes.list(page_size=3, attrs="id,sn").first_page()
        assert isinstance(first.items[0], dict) and set(first.items[0]) == {"id", "sn"}
        raw = [r async for r in krill.isp.cpes.list(into=bytes, attrs="id", page_size=50)]
        assert isinstance(raw[0], bytes) and msgspec.json.decode(raw[0]) == {"id": 1}
        response = await krill.request("GET", "isp/cpes/", params={"attrs": "id", "limit": 3, "offset": 42})
        body = response.json()
        assert response.status == 200 and body["count"] == len(krill_simulator.network.cpes)
        assert body["next"].startswith("http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=45")
        first_cpe = next(iter(krill_simulator.network.cpes.values()))
        v1 = await krill.request("GET", "/api/cpes/", params={"sn": first_cpe["sn"]})
        assert isinstance(v1.json(), list) and v1.json()[0]["id"] == next(iter(krill_simulator.network.cpes))


async def test_both_trailing_slash_forms(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        no_slash = krill.app("isp").resource("cpes", Cpe, trailing_slash=False)
        ids = [c.id async for c in no_slash.list(attrs="id", page_size=64)]
        fourth = sorted(krill_simulator.network.cpes)[3]
        one = await no_slash.get(fourth)
    assert len(ids) == len(krill_simulator.network.cpes) and one.id == fourth


async def test_identifiers_are_validated_before_sending(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        for bad in ("1/reboot", "..", "", -3):
            with pytest.raises(InvalidIdentifier):
                await krill.isp.cpes.get(bad)
    assert not any("reboot" in path for _, path, _ in krill_simulator.requests)


async def test_caller_owned_session_is_left_open(krill_simulator: KrillSimulator) -> None:
    async with aiohttp.ClientSession() as session:
        krill = Krill(krill_simulator.url, auth=AUTH, session=session)
        await krill.isp.cpes.get(1)
        await krill.aclose()
        assert krill.closed and not session.closed
        with pytest.raises(KrillError, match="closed"):
            await krill.isp.cpes.get(1)


async def test_per_call_timeout(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(latency=0.5)
    async with Krill(sim.url, auth=AUTH, timeout=Timeout(total=5), retry=NO_RETRIES) as krill:
        with pytest.raises(RequestTimeout) as info:
            await krill.isp.cpes.get(1, timeout=0.1)
        assert "did not complete within its 0.1 s timeout" in str(info.value) and info.value.method == "GET"
        assert (await krill.isp.cpes.get(1)).id == 1  # the client default still applies


def test_timeout_none_is_never_infinite() -> None:
    with pytest.raises(TypeError):
        Timeout(total=None)  # type: ignore[arg-type]
    assert Krill("http://127.0.0.1:1", timeout=None).timeout == Timeout()
    assert Timeout(total=math.inf).to_aiohttp().total is None  # only when said out loud
    assert Timeout.seconds(2).connect == 2 and Timeout.seconds(2).read == 2


async def test_connection_refused_is_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with Krill(f"http://127.0.0.1:{port}", auth=AUTH, retry=NO_RETRIES) as krill:
        with pytest.raises(ConnectError) as info:
            await krill.isp.cpes.get(1)
    assert "contraseña" not in str(info.value)
    # what failed and where, without aiohttp's "ssl:default" (no TLS was involved)
    assert f"cannot connect to host 127.0.0.1:{port}" in str(info.value) and "ssl" not in str(info.value)


async def test_status_errors_from_an_independent_server() -> None:
    async def forbidden(_: web.Request) -> web.Response:
        return json_response(b'{"detail": "You do not have permission to perform this action."}', 403)

    async def throttled(_: web.Request) -> web.Response:
        return json_response(b'{"detail": "Request was throttled."}', 429, {"Retry-After": "12"})

    async def bad_gateway(_: web.Request) -> web.Response:
        return web.Response(status=502, text="<html><title>502 Bad Gateway</title>nginx/1.18.0</html>",
                            content_type="text/html")

    async def garbage(_: web.Request) -> web.Response:
        return json_response(b'{"count": 3, "next": null, "previous": null, "results": [{"id": 1}, {"id": "x"')

    routes = {"/api/v2/a/forbidden/": forbidden, "/api/v2/a/throttled/": throttled,
              "/api/v2/a/gateway/": bad_gateway, "/api/v2/a/garbage/": garbage}
    async with serve(routes) as url, Krill(url, auth=AUTH, retry=NO_RETRIES) as krill:
        app = krill.app("a")
        with pytest.raises(Forbidden):
            await app.resource("forbidden").list().first_page()
        with pytest.raises(ServerError) as server_info:
            await app.resource("gateway").list().first_page()
        assert server_info.value.status == 502 and "Bad Gateway" in (server_info.value.detail or "")
        with pytest.raises(DecodeError) as decode_info:
            await app.resource("garbage").list(offset=40).first_page()
        assert decode_info.value.offset == 40 and "/api/v2/a/garbage/" in decode_info.value.url
        assert decode_info.value.malformed
        with pytest.raises(Throttled) as throttled_info:  # last: a 429 pauses the whole client
            await app.resource("throttled").list().first_page()
        assert throttled_info.value.retry_after == 12.0
        for cls in (Forbidden, Throttled, ServerError):
            assert issubclass(cls, APIStatusError) and issubclass(cls, KrillError)


async def test_looping_next_link_is_detected() -> None:
    async def loop(request: web.Request) -> web.Response:
        # a broken server whose `next` always points back to offset 2
        offset = int(request.query.get("offset", 0))
        body = {"count": 10, "next": "http://internal:8000/api/v2/a/loop/?limit=2&offset=2",
                "previous": None, "results": [{"id": offset}, {"id": offset + 1}]}
        return json_response(msgspec.json.encode(body))

    async with serve({"/api/v2/a/loop/": loop}) as url, Krill(url, auth=AUTH) as krill:
        resource = krill.app("a").resource("loop")
        with pytest.raises(PaginationError, match="endless loop"):
            _ = [r async for r in resource.list(page_size=2)]


async def test_bare_list_body_is_one_complete_page() -> None:
    async def bare(_: web.Request) -> web.Response:
        return json_response(b'[{"owner": "neba", "uids": []}, {"owner": "onivia", "uids": []}]')

    async with serve({"/api/v2/rubik/subaddresses/": bare}) as url, Krill(url, auth=AUTH) as krill:
        resource = krill.app("rubik").resource("subaddresses")
        rows = [r async for r in resource.list()]
        async with resource.export(concurrency=4) as records:
            exported = [r async for r in records]
        page = await resource.list().first_page()
    assert [r["owner"] for r in rows] == ["neba", "onivia"] == [r["owner"] for r in exported]
    assert page.count == 2 and not page.has_next


async def test_redirect_to_another_origin_is_not_followed_with_credentials() -> None:
    hits: list[str | None] = []

    async def other(request: web.Request) -> web.Response:
        hits.append(request.headers.get("Authorization"))
        return json_response(b"{}")

    async with serve({"/api/v2/isp/cpes/1/": other}) as other_url:
        async def redirect(_: web.Request) -> web.Response:
            raise web.HTTPFound(f"{other_url}/api/v2/isp/cpes/1/")

        async def same_origin(_: web.Request) -> web.Response:
            raise web.HTTPMovedPermanently("/api/v2/a/target/")

        async def target(request: web.Request) -> web.Response:
            assert request.headers["Authorization"].startswith("Basic ")
            return json_response(b'{"id": 1}')

        routes = {"/api/v2/isp/cpes/1/": redirect, "/api/v2/a/moved/": same_origin, "/api/v2/a/target/": target}
        async with serve(routes) as url, Krill(url, auth=AUTH) as krill:
            with pytest.raises(UnsafeURLError, match="another origin"):
                await krill.isp.cpes.get(1)
            moved = await krill.request("GET", "a/moved/")
            assert moved.json() == {"id": 1}
            with pytest.raises(UnsafeURLError):
                await krill.request("GET", f"{other_url}/api/v2/isp/cpes/1/")
    assert hits == []  # the other origin never saw a request, let alone credentials


async def test_simulated_extension_app_and_unknown_app(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        names = [app["name"] async for app in krill.app("me").resource("apps").list(page_size=4)]
        assert "isp" in names and "monitoring" in names
        with pytest.raises(NotFound):
            await krill.app("nonexistent").resource("things").list().first_page()
    async with Krill(krill_simulator.url) as anonymous:
        with pytest.raises(Unauthorized):
            await anonymous.app("me").resource("apps").list().first_page()


async def test_root_relative_resource_reads_api_v1_bare_arrays(krill_simulator: KrillSimulator) -> None:
    from krill_async import Resource

    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        v1 = Resource(krill, "/api/cpes", Cpe)
        assert repr(v1).startswith("<Resource /api/cpes/")
        everything = [c.id async for c in v1.list()]
        first_id = sorted(krill_simulator.network.cpes)[0]
        one = await v1.get(first_id)
    assert everything == sorted(krill_simulator.network.cpes)
    assert one.id == first_id and one.links is None  # v1 records carry no _links
