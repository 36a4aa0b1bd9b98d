"""The examples of docs/testing.md, run as written."""

from __future__ import annotations

from typing import Any

import pytest

from krill_async import Krill

pytestmark = pytest.mark.anyio


async def test_my_export(krill_simulator: Any) -> None:
    async with Krill(krill_simulator.url, auth=("usuario", "contraseña")) as krill:
        async with krill.isp.cpes.export(page_size=50) as cpes:
            ids = [cpe.id async for cpe in cpes]
    assert ids == sorted(krill_simulator.network.cpes)


async def test_with_a_capped_server(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=500, max_limit=100, links="relative", latency=0.01)
    async with Krill(sim.url, auth=("usuario", "contraseña")) as krill:
        page = await krill.isp.cpes.list(page_size=1000).first_page()
    assert page.page_size == 100 and page.count == 500


async def test_in_loop_simulator() -> None:
    from krill_async.testing import KrillSimulator, SimulatorConfig

    async with KrillSimulator(SimulatorConfig(cpes=30)) as sim:
        async with Krill(sim.url, auth=("usuario", "contraseña")) as krill:
            assert len([c async for c in krill.isp.cpes.list()]) == 30


def test_spawned_simulator_with_the_demo() -> None:
    from krill_async.__main__ import main

    assert main(["demo", "--cpes", "300", "--latency-ms", "5", "--page-size", "50"]) == 0
