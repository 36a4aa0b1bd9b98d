"""``krill.gpon``: ONU status with frame/slot/port sent as the OLT spells them; unconfigured ONUs."""

from __future__ import annotations

from typing import Any

import pytest

from krill_async import InvalidArgument, Krill, NotFound
from krill_async.apps.gpon import onu_status_path
from krill_async.models import OnuStatus, UnconfiguredOnu
from krill_async.testing import KrillSimulator
from krill_async.testing.apps import app_state
from krill_async.testing.apps.monitoring import monitoring_data

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


def test_status_path_keeps_the_spelling() -> None:
    assert onu_status_path("oltCEEIM", "0", "05", "15") == "olts/oltCEEIM/frames/0/slots/05/ports/15/onus/status"
    assert onu_status_path("OLT 1", "0", "05", "15").startswith("olts/OLT%201/")
    for bad in ((0, "05", "15"), ("0", 5, "15"), ("0", "05", "../15")):
        with pytest.raises(InvalidArgument):
            onu_status_path("olt", *bad)  # type: ignore[arg-type]


async def test_onu_status_of_a_port(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    facts = next(f for f in monitoring_data(sim).facts if f.tech == "gpon" and f.registered)
    target = sim.network.cpes[facts.cpe_id]  # the ONU hangs where monitoring's registration says
    olt = facts.olt
    slot, port = f"{facts.pon[1]:02d}", f"{facts.pon[2]:02d}"
    async with Krill(sim.url, auth=AUTH) as krill:
        onus = await krill.gpon.onu_status(olt, "0", slot, port).collect()
        raw: Any = await krill.gpon.onu_status(olt, "0", slot, port, into=dict).collect()
        with pytest.raises(NotFound):  # "5" is not how this OLT spells slot 05
            await krill.gpon.onu_status(olt, "0", str(int(slot)), port).collect()
        with pytest.raises(NotFound):
            await krill.gpon.onu_status("no-such-olt", "0", slot, port).collect()
    assert target["sn"] in [o.sn for o in onus]
    assert all(isinstance(o, OnuStatus) for o in onus) and [o["sn"] for o in raw] == [o.sn for o in onus]
    assert f"/api/v2/gpon/olts/{olt}/frames/0/slots/{slot}/ports/{port}/onus/status/" in [
        r.path_qs.split("?")[0] for r in sim.requests
    ]


async def test_enable_an_unconfigured_onu_once(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    async with Krill(sim.url, auth=AUTH) as krill:
        waiting = await krill.gpon.unconfigured.list().collect()
        assert waiting and all(isinstance(o, UnconfiguredOnu) for o in waiting)
        result = await krill.gpon.enable(waiting[0], {"profile": 3})
        assert result.message is not None and waiting[0].sn in result.message
        with pytest.raises(NotFound):
            await krill.gpon.enable(waiting[0].id or 0)
        left = await krill.installer.unconfigured_onus.list().collect()
    assert [o.id for o in left] == [o.id for o in waiting[1:]]
    calls = app_state(sim).actions
    assert [(c.action, c.target, c.body) for c in calls] == [("enable", waiting[0].id, {"profile": 3})]
