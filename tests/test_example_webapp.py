"""The web-backend example (examples/webapp.py) works as documented in docs/web-backend.md."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from aiohttp import web

from krill_async.testing import KrillSimulator

pytestmark = pytest.mark.anyio


def load_example() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "examples" / "webapp.py"
    spec = importlib.util.spec_from_file_location("krill_example_webapp", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@asynccontextmanager
async def running(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_one_shared_client_serves_records_and_streams(krill_simulator: KrillSimulator) -> None:
    webapp = load_example()
    app = webapp.make_app(krill_simulator.url)
    first = sorted(krill_simulator.network.cpes)[0]
    async with running(app) as url, aiohttp.ClientSession() as http:
        async with http.get(f"{url}/cpes/{first}") as resp:
            assert resp.status == 200
            assert (await resp.json())["id"] == first
        async with http.get(f"{url}/cpes/99999999") as resp:
            assert resp.status == 404
        async with http.get(f"{url}/cpes.ndjson") as resp:
            lines = (await resp.read()).splitlines()
        assert [msgspec.json.decode(line)["id"] for line in lines] == sorted(krill_simulator.network.cpes)
        async with http.get(f"{url}/cpes.ndjson", params={"realm": "cpe"}) as resp:
            realms = {msgspec.json.decode(line)["id"] for line in (await resp.read()).splitlines()}
        assert realms == {i for i, c in krill_simulator.network.cpes.items() if c["realm"] == "cpe"}
        krill = app[webapp.KRILL]
        assert krill.transport.throttle.in_flight == 0
    assert krill.closed  # closed by the app's lifespan


async def test_a_disconnected_http_client_stops_the_export(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=4000, latency=0.2)
    webapp = load_example()
    app = webapp.make_app(sim.url)
    async with running(app) as url:
        async with aiohttp.ClientSession() as http:
            resp = await http.get(f"{url}/cpes.ndjson")
            await resp.content.readline()  # the export is under way
            resp.close()  # the browser tab is closed
        await anyio.sleep(0.6)
        settled = len(sim.requests)
        await anyio.sleep(0.6)
        assert len(sim.requests) == settled  # nothing keeps fetching for a request that is gone
        assert settled < 8 + 2  # far from the 8 pages of the whole export, plus login-free Basic auth
        assert app[webapp.KRILL].transport.throttle.in_flight == 0


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/cpes/a%3Fb", 400, "invalid CPE id"),  # "a?b": refused before anything is sent
        ("/cpes/%20", 400, "invalid CPE id"),  # blank: refused too
        ("/cpes/99999999", 404, "no such CPE"),
    ],
)
async def test_input_errors_are_4xx_not_502(krill_simulator: KrillSimulator, path: str, status: int, text: str) -> None:
    app = load_example().make_app(krill_simulator.url)
    before = len(krill_simulator.requests)
    async with running(app) as url, aiohttp.ClientSession() as http, http.get(f"{url}{path}") as resp:
        assert resp.status == status and text in await resp.text()
    if status == 400:
        assert len(krill_simulator.requests) == before


async def test_a_request_krill_refuses_is_422_and_an_outage_502(krill_simulator: KrillSimulator) -> None:
    app = load_example().make_app(krill_simulator.url)
    first = sorted(krill_simulator.network.cpes)[0]
    async with running(app) as url, aiohttp.ClientSession() as http:
        krill_simulator.inject("status", status=400, path="/isp/cpes/")
        async with http.get(f"{url}/cpes/{first}") as resp:
            assert resp.status == 422
        krill_simulator.clear_faults()
        krill_simulator.inject("status", status=503, path="/isp/cpes/")
        async with http.get(f"{url}/cpes/{first}") as resp:
            assert resp.status == 502 and await resp.text() == "Krill is unavailable"
        krill_simulator.clear_faults()
