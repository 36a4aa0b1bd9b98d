"""A client belongs to one asyncio event loop; anything else is a KrillError that says why."""

from __future__ import annotations

import asyncio
import importlib.util

import anyio
import pytest

from krill_async import Krill, KrillError
from krill_async.testing import KrillSimulator, SimulatorConfig


def test_a_client_used_from_a_second_asyncio_run_says_why() -> None:
    sim = KrillSimulator(SimulatorConfig(cpes=60))
    with sim.run_in_thread():
        krill = Krill(sim.url, auth=("usuario", "contraseña"))

        async def first() -> int:
            cpe = await krill.isp.cpes.get(sorted(sim.network.cpes)[0])
            await krill.transport._session.connector.close()  # type: ignore[union-attr]  # this loop's sockets
            return cpe.id

        async def second() -> None:
            try:
                with pytest.raises(KrillError, match="another event loop"):
                    await krill.isp.cpes.get(sorted(sim.network.cpes)[0])
            finally:
                await krill.transport._session.close()  # type: ignore[union-attr]

        assert asyncio.run(first()) == sorted(sim.network.cpes)[0]
        asyncio.run(second())


@pytest.mark.skipif(importlib.util.find_spec("trio") is None, reason="trio is not installed")
def test_under_trio_the_error_says_asyncio_only() -> None:
    async def main() -> None:
        async with Krill("http://127.0.0.1:9") as krill:
            with pytest.raises(KrillError, match="asyncio only"):
                await krill.isp.cpes.get(1)

    anyio.run(main, backend="trio")
