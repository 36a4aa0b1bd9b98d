"""The other monitoring endpoints: hosts/{name}, live CPE info (own timeout), graphs, datasets, summary, groups."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from aiohttp import web

from krill_async import NO_RETRIES, Host, InvalidIdentifier, Krill, NotFound, RequestTimeout, Timeout
from krill_async.apps.monitoring import timespec
from krill_async.models import CpeInfo, DatasetMetric, Graph
from krill_async.testing import KrillSimulator
from krill_async.testing.apps.monitoring import monitoring_data

from ._fakes import json_response, serve

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


@pytest.fixture
def sim(krill_simulator_factory: Any) -> KrillSimulator:
    server: KrillSimulator = krill_simulator_factory(cpes=60, monitoring_drift=0.0, monitoring_unregistered=0.0)
    return server


async def test_host_detail(sim: KrillSimulator) -> None:
    facts = monitoring_data(sim).facts[4]
    async with Krill(sim.url, auth=AUTH) as krill:
        host = await krill.monitoring.host(facts.name)
        with pytest.raises(NotFound):
            await krill.monitoring.host("no-such-host")
        with pytest.raises(InvalidIdentifier):
            await krill.monitoring.host("../isp/cpes")
    assert isinstance(host, Host) and host.name == facts.name and host.cpe_id == facts.cpe_id
    assert host.attrs is not None and host.attrs.last_check_result is not None
    assert host.attrs.last_check_result.output == host.attrs.output and host.attrs.last_check_result.state == host.state
    assert isinstance(host.vars.cpe_registration_state, tuple)  # the 2023 shape: lists
    assert host.registration.states == facts.states[:1] and host.olt == facts.olt_label
    paths = [record.path_qs for record in sim.requests]  # the unsafe name never left the client
    assert paths == [f"/api/v2/monitoring/hosts/{facts.name}", "/api/v2/monitoring/hosts/no-such-host"]


async def test_live_cpe_info_has_its_own_longer_timeout(krill_simulator_factory: Any) -> None:
    sim: KrillSimulator = krill_simulator_factory(
        cpes=10, monitoring_live_delay=0.6, monitoring_drift=0.0, monitoring_unregistered=0.0
    )
    facts = monitoring_data(sim).facts[0]
    short = Timeout(total=0.3, connect=0.3, read=0.3)
    async with Krill(sim.url, auth=AUTH, timeout=short, retry=NO_RETRIES) as krill:
        info = await krill.monitoring.cpe_info(facts.cpe_id)  # live_timeout, longer than the client's
        with pytest.raises(RequestTimeout):
            await krill.request("GET", f"monitoring/cpes/{facts.cpe_id}/info")  # the client's 0.3 s
        with pytest.raises(RequestTimeout):
            await krill.monitoring.cpe_info(facts.cpe_id, timeout=0.2)  # an explicit timeout wins
        with pytest.raises(NotFound):
            await krill.monitoring.cpe_info(99999999)
    assert isinstance(info, CpeInfo) and info.registration is not None
    assert info.registration.host == facts.olt_label and info.registration.id == facts.regid
    assert info.state == ("up" if facts.state == 0 else "down")
    assert Krill(sim.url).monitoring.live_timeout.total >= 60


async def test_graphs_and_datasets(sim: KrillSimulator) -> None:
    facts = next(f for f in monitoring_data(sim).facts if "txrx" in f.services and f.txrx)
    async with Krill(sim.url, auth=AUTH) as krill:
        graphs = await krill.monitoring.graphs(facts.name)
        txrx_only = await krill.monitoring.graphs(facts.name, "txrx")
        series = await krill.monitoring.datasets(facts.name, txrx_only, service_name="txrx", start="24h")
        bandwidth = await krill.monitoring.datasets(facts.name, ("check_cpe", "dnbw"), start=dt.timedelta(hours=6))
        with pytest.raises(NotFound):
            await krill.monitoring.graphs("no-such-host")
    # as the Postman samples: one bandwidth graph for the host, one graph per metric for the service
    assert [g.title for g in graphs] == ["Bandwidth"] and graphs[0].group == "bandwidth"
    assert [g.title for g in txrx_only] == [
        f"{m} Graph." for m in ("dnatt", "dnrx", "uptx", "uprx", "upatt", "pondesv")
    ]
    assert all(isinstance(g, Graph) for g in graphs)
    pondesv = next(d for g in txrx_only for d in g.datasets or () if d.metric == "pondesv")
    assert pondesv.uom == "null" and pondesv.unit is None
    assert [s.metric for s in series] == ["dnatt", "dnrx", "uptx", "uprx", "upatt", "pondesv"]
    assert all(s.host_name == facts.name and s.service_name == "txrx" and len(s.points) == 7 for s in series)
    assert series[0].points[0].time.tzinfo == dt.timezone.utc
    assert series[-1].values[0] == pytest.approx(facts.txrx[5], abs=0.5)
    (dnbw,) = bandwidth
    assert dnbw.measurement == "check_cpe" and dnbw.service_name is None and len(dnbw.points) == 7


async def test_datasets_sends_valid_json_and_parses_the_documented_keys() -> None:
    received: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        assert request.method == "POST" and request.content_type == "application/json"
        received.append(json.loads(await request.read()))
        return json_response(
            b'{"check_txrx__pim0585__txrx__dnatt": [{"time": "2023-02-16T15:00:00Z", "value": 27.5, "unit": null},'
            b' {"time": "2023-02-16T19:00:00Z", "value": 28, "unit": null}]}'
        )

    async with serve({"/api/v2/monitoring/datasets/": handler}) as url, Krill(url, auth=AUTH) as krill:
        (series,) = await krill.monitoring.datasets(
            "pim0585", [("check_txrx", "dnatt")], service_name="txrx", start="24h", end="0m"
        )
        with pytest.raises(ValueError):
            await krill.monitoring.datasets("pim0585", ("check_txrx", "dnatt"), start="yesterday")
        with pytest.raises(TypeError):
            await krill.monitoring.datasets("pim0585", [42])  # type: ignore[list-item]
    assert received == [
        {
            "host_name": "pim0585",
            "service_name": "txrx",
            "start": "24h",
            "end": "0m",
            "metrics": [
                {"host_name": "pim0585", "service_name": "txrx", "measurement": "check_txrx", "metric": "dnatt"}
            ],
        }
    ]
    assert series.values == [27.5, 28.0] and series.points[1].time == dt.datetime(
        2023, 2, 16, 19, tzinfo=dt.timezone.utc
    )


def test_timespecs() -> None:
    assert [timespec(x) for x in ("24h", "0m", "7d")] == ["24h", "0m", "7d"]
    assert timespec(dt.timedelta(days=2)) == "2d" and timespec(dt.timedelta(hours=3)) == "3h"
    assert timespec(dt.timedelta(minutes=90)) == "90m" and timespec(dt.timedelta(0)) == "0m"
    for bad in ("24", "1w", "-1h", dt.timedelta(seconds=30), dt.timedelta(hours=-1)):
        with pytest.raises(ValueError):
            timespec(bad)


def test_dataset_metric_keys() -> None:
    metric = DatasetMetric(host_name="pim0585", service_name=None, measurement="check_cpe", metric="dnbw")
    assert metric.key == "check_cpe__pim0585__None__dnbw"


async def test_status_summary_and_hostgroups(sim: KrillSimulator) -> None:
    data = monitoring_data(sim)
    async with Krill(sim.url, auth=AUTH) as krill:
        summary = await krill.monitoring.status_summary()
        groups = await krill.monitoring.hostgroups.list().collect()
    assert summary["hosts"]["total"] == len(data.facts)
    assert summary["hosts"]["up"] == sum(f.state == 0 for f in data.facts)
    assert summary["services"]["total"] == sum(len(f.services) for f in data.facts)
    names = {g["name"]: g["hosts"] for g in groups}
    assert names["cpegpon"] == sum("cpegpon" in f.groups for f in data.facts) > 0
    assert sim.requests[-1].path_qs.startswith("/api/v2/monitoring/hostgroups?")
