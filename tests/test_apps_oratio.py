"""``krill.oratio``: RADIUS sessions (``online=true``, ``sort``), disconnect sent once, IP pool stats."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from krill_async import BadRequest, Krill, NotFound, ServerError
from krill_async.models import AccountingSession
from krill_async.testing import KrillSimulator
from krill_async.testing.apps import app_state

from ._fakes import json_response, serve

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


async def test_online_sessions_sorted(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    pppoe = sorted(c["pppoe_username"] for c in sim.network.cpes.values() if c["pppoe_username"])
    async with Krill(sim.url, auth=AUTH) as krill:
        online = await krill.oratio.sessions(sort="username").collect()
        every = await krill.oratio.sessions(online=None).collect()
        closed = await krill.oratio.accounting.list(online=False, username=pppoe[0]).collect()
    assert [s.username for s in online] == pppoe  # one online session per PPPoE CPE, sorted
    assert all(isinstance(s, AccountingSession) and s.online and s.acctstoptime is None for s in online)
    assert len(every) == 3 * len(pppoe)
    assert len(closed) == 2 and not any(s.online for s in closed)
    # the path the Krill UI calls: no trailing slash
    assert "/api/v2/oratio/accounting?sort=username&online=true&limit=100" in [r.path_qs for r in sim.requests]


async def test_disconnect_once(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    async with Krill(sim.url, auth=AUTH) as krill:
        session = (await krill.oratio.sessions().first_page()).items[0]
        result = await krill.oratio.disconnect(session)
        assert result.message == f"Disconnect requested for {session.username}"
        with pytest.raises(BadRequest, match="not online"):
            await krill.oratio.disconnect(session.acctuniqueid or "")
        with pytest.raises(NotFound):
            await krill.oratio.disconnect("0" * 32)
        still_online = {s.acctuniqueid for s in await krill.oratio.sessions().collect()}
    assert session.acctuniqueid not in still_online
    calls = [c for c in app_state(sim).actions if c.action == "disconnect"]
    assert [(c.method, c.status) for c in calls] == [("POST", 202), ("POST", 400)]
    assert calls[0].path == f"/api/v2/oratio/accounting/{session.acctuniqueid}/disconnect/"


async def test_disconnect_is_not_retried() -> None:
    hits: list[str] = []

    async def flaky(request: web.Request) -> web.Response:
        hits.append(request.method)
        return json_response(b'{"detail": "NAS unreachable"}', status=503)

    async with serve({"/api/v2/oratio/accounting/{id}/disconnect/": flaky}) as url, Krill(url, auth=AUTH) as krill:
        with pytest.raises(ServerError, match="NAS unreachable"):
            await krill.oratio.disconnect("abc")
    assert hits == ["POST"]


async def test_pool_stats(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        online = await krill.oratio.sessions(online=True).collect()
        stats: Any = await krill.oratio.pool_stats("cgnat")
        public: Any = await krill.oratio.pool_stats("public")
        with pytest.raises(NotFound):
            await krill.oratio.pool_stats("nope")
    assert stats["pool_name"] == "cgnat" and stats["free"] == stats["size"] - stats["used"]
    assert stats["used"] + public["used"] == len(online)
