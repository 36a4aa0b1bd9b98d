"""API v1 (``krill.v1``): bare-array bodies under ``/api/``, and the migration to v2 on real sample data."""

from __future__ import annotations

import pytest
from aiohttp import web

from krill_async import Cpe, Customer, Krill, Pots
from krill_async.testing import KrillSimulator

from ._fakes import json_response, serve
from ._samples import V1_CPES_BODY, V2_CPES_BODY

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")
V2_ONLY = {"links", "services", "avatar", "is_router", "tr069"}


async def test_v1_reads_the_vendor_sample_like_v2() -> None:
    seen: list[str] = []

    async def v1(request: web.Request) -> web.Response:
        seen.append(request.path_qs)
        return json_response(V1_CPES_BODY.encode())

    async def v2(request: web.Request) -> web.Response:
        seen.append(request.path_qs)
        return json_response(V2_CPES_BODY.encode())

    async with serve({"/api/cpes/": v1, "/api/v2/isp/cpes/": v2}) as url, Krill(url, auth=AUTH) as krill:
        page_v1 = await krill.v1.cpes.list(sn="0000deadbeef0000").first_page()
        page_v2 = await krill.isp.cpes.list(sn="0000deadbeef0000").first_page()
    assert seen[0].startswith("/api/cpes/?sn=0000deadbeef0000")
    assert (page_v1.count, page_v1.next_url) == (1, None)  # a bare array is one complete page
    old, new = page_v1.items[0], page_v2.items[0]
    assert (old.id, old.cpename, old.sn, old.model, old.profile) == (350, "pim0350", "0000deadbeef0000", "HG8245H", 7)
    assert all(getattr(old, name) is None for name in V2_ONLY)
    assert new.links is not None and new.links.actions is not None and new.avatar == "HG4201"
    # every field v1 has comes back identical from v2: migrating changes paths, not data
    shared = old.to_dict()
    assert {k: new.to_dict()[k] for k in shared} == shared


async def test_v1_namespace_over_the_simulator(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    target = next(iter(sim.network.cpes.values()))
    async with Krill(sim.url, auth=AUTH) as krill:
        cpes = await krill.v1.cpes.list().collect()
        one = await krill.v1.cpes.get(target["id"])
        by_sn = await krill.v1.cpes.list(sn=target["sn"]).collect()
        customers = await krill.v1.customers.list().collect()
        potses = await krill.v1.potses.list().collect()
    assert sorted(c.id for c in cpes if c.id is not None) == sorted(sim.network.cpes)
    assert all(isinstance(c, Cpe) and c.links is None and c.services is None for c in cpes)
    assert (one.id, one.cpename, one.links) == (target["id"], target["cpename"], None)
    assert [c.id for c in by_sn] == [target["id"]]
    assert len(customers) == len(sim.network.customers) and all(isinstance(c, Customer) for c in customers)
    assert len(potses) == len(sim.network.potses) and all(isinstance(p, Pots) for p in potses)
    v1_paths = [r.path_qs for r in sim.requests if not r.path_qs.startswith("/api/v2/")]
    assert v1_paths and all(p.startswith(("/api/cpes/", "/api/customers/", "/api/potses/")) for p in v1_paths)
    assert repr(krill.v1) == "<API v1 /api/>" and repr(krill.v1.cpes) == "<Resource /api/cpes/ model=Cpe>"
