"""The recipes of docs/monitoring.md checked against the simulator's data (test_docs_code.py runs the page's
blocks as written; here each recipe's output is compared with what the simulator generated)."""

from __future__ import annotations

from typing import Any

import pytest

from krill_async import Krill, perf
from krill_async.testing import KrillSimulator
from krill_async.testing.apps.monitoring import monitoring_data

pytestmark = pytest.mark.anyio


@pytest.fixture
def sim(krill_simulator_factory: Any) -> KrillSimulator:
    server: KrillSimulator = krill_simulator_factory(cpes=500, monitoring_drift=0.0)
    return server


async def test_pondesv_above_two_and_its_jq_projection(sim: KrillSimulator) -> None:
    printed = []
    rows = []
    async with Krill(sim.url, auth=("usuario", "contraseña")) as krill:
        async for service in krill.monitoring.search(perf.pondesv > 2, type="Service"):
            printed.append((service.host_name, service.metric("pondesv"), service.olt))
        query = krill.monitoring.search(perf.pondesv > 2, type="Service")
        async for row in query.select(cpe="name", olt="attrs.vars.cpe_registration_host"):
            rows.append(row.to_dict())
    expected = [f for f in monitoring_data(sim).facts if f.txrx and f.txrx[5] > 2]
    olts = [f.olt_label if f.registered else None for f in expected]  # vars show the OLT's label
    assert printed == [(f.name, f.txrx[5], olt) for f, olt in zip(expected, olts, strict=True)] and expected
    raw = [olt or ("__reghost__" if "placeholder" in f.drift else None) for f, olt in zip(expected, olts, strict=True)]
    assert rows == [{"cpe": f"{f.name}!txrx", "olt": olt} for f, olt in zip(expected, raw, strict=True)]


async def test_alarmed_hosts_of_one_olt_port(sim: KrillSimulator) -> None:
    facts = next(f for f in monitoring_data(sim).facts if f.states[0] == "alarm" and f.registered)
    printed = []
    regids = []
    async with Krill(sim.url, auth=("usuario", "contraseña")) as krill:
        alarmed = krill.monitoring.search(type="Host", regstate="alarm", regtag=facts.regtag)
        async for host in alarmed:
            printed.append((host.name, host.registration_id, str(host.pon_port), host.serial))
        async for row in alarmed.select(regid="attrs.vars.cpe_registration_id"):
            regids.append(row.regid)
    assert (facts.name, facts.regid, "/".join(map(str, facts.pon)), printed[0][3]) in printed
    assert regids == [p[1] for p in printed]


async def test_every_host_of_one_olt(sim: KrillSimulator) -> None:
    names = []
    async with Krill(sim.url, auth=("usuario", "contraseña")) as krill:
        olt = krill.monitoring.search(type="Host", reghost="SMR-OLT03")
        count = await olt.count()
        async with olt.select(name="name", sn="attrs.vars.administrative_info.sn").export() as rows:
            async for row in rows:
                names.append((row.name, row.sn))
    on_olt = [f for f in monitoring_data(sim).facts if f.olt == "SMR-OLT03" and f.registered]
    assert count == len(names) == len(on_olt) > 0
    assert [n for n, _ in names] == [f.name for f in on_olt] and all(sn for _, sn in names)


async def test_other_endpoints_as_documented(sim: KrillSimulator) -> None:
    facts = next(f for f in monitoring_data(sim).facts if f.txrx)
    async with Krill(sim.url, auth=("usuario", "contraseña")) as krill:
        host = await krill.monitoring.host(facts.name)
        info = await krill.monitoring.cpe_info(facts.cpe_id)
        graphs = await krill.monitoring.graphs(facts.name)
        series = await krill.monitoring.datasets(facts.name, graphs[-1], service_name="txrx", start="24h", end="0m")
        summary = await krill.monitoring.status_summary()
        groups = await krill.monitoring.hostgroups.list().collect()
        async with krill.monitoring.search(type="Host").stream() as hosts:
            streamed = [h.name async for h in hosts]
    assert host.name == facts.name and info.registration is not None and graphs[-1].title == "Bandwidth"
    assert [line.metric for line in series] == ["dnbw", "upbw"] and all(line.points for line in series)
    assert summary["hosts"]["total"] == len(streamed) == 500 and groups
