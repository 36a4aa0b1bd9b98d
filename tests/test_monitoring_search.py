"""Monitoring search: filter spelling (pure), every filter against the simulator, iteration modes, projections,
streaming, early exits, drift, and independent servers (vendor pages, chunked and truncated bodies)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import anyio
import anyio.lowlevel
import pytest
from aiohttp import web

from krill_async import NO_RETRIES, Host, IncompleteBody, Krill, MonitoringObject, Selection, Service, perf
from krill_async.apps.monitoring import MetricFilter, search_params
from krill_async.testing import KrillSimulator
from krill_async.testing.apps.monitoring import monitoring_data

from ._fakes import serve
from .test_monitoring_models import HOST_ALARM_FRAGMENT, PAGE_REGHOST_LIMIT1, repaired

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


# -- spelling the filters (pure) -----------------------------------------------------------------------


def test_every_documented_filter_form() -> None:
    pairs = search_params(
        perf.pondesv > 2,
        perf.dnrx <= -27.5,
        perf("odd-metric") >= Decimal("0.5"),
        perf.uprx < -30,
        type="host",
        regstate="alarm",
        regtag="CAR-OLT02-0/3/9",
        reghost="SMR-OLT03",
        hostgroups=["cpegpon", "cpeprobe"],
        joins=["services"],
        topology="NAP-0001",
        vars={
            "cpe_registration_host": "OLT1",
            "administrative_info.sn": "4857",
            "vars.administrative_info__realm": "pim",
        },
        perfdata={"dnbw__gte": 1000, "perfdata.upbw__lt": -1},
        filters={"state": 1, "handled": False},
        params=[("vars.odd.key", "kept as is"), ("business_impact__gte", 2)],
    )
    assert pairs == [
        ("type", "Host"),
        ("regstate", "alarm"),
        ("regtag", "CAR-OLT02-0/3/9"),
        ("reghost", "SMR-OLT03"),
        ("hostgroups", "cpegpon,cpeprobe"),
        ("joins", "services"),
        ("topology", "NAP-0001"),
        ("vars.administrative_info__topology", "NAP-0001"),
        ("vars.cpe_registration_host", "OLT1"),
        ("vars.administrative_info__sn", "4857"),
        ("vars.administrative_info__realm", "pim"),
        ("perfdata.dnbw__gte", "1000"),
        ("perfdata.upbw__lt", "-1"),
        ("perfdata.pondesv__gt", "2"),
        ("perfdata.dnrx__lte", "-27.5"),
        ("perfdata.odd-metric__gte", "0.5"),
        ("perfdata.uprx__lt", "-30"),
        ("state", "1"),
        ("handled", "false"),
        ("vars.odd.key", "kept as is"),
        ("business_impact__gte", "2"),
    ]


def test_metric_comparisons_are_typed_values() -> None:
    assert (perf.pondesv > 2) == MetricFilter("pondesv", "gt", 2)
    assert (perf.dnrx >= -8) == MetricFilter("dnrx", "gte", -8) and (perf.x < 0.5).param() == ("perfdata.x__lt", "0.5")
    assert repr(perf.pondesv) == "perf.pondesv"
    with pytest.raises(TypeError):
        search_params(perf.pondesv > True)  # type: ignore[operator]
    with pytest.raises(ValueError):
        search_params(perf.pondesv > float("nan"))
    with pytest.raises(TypeError):
        search_params(("perfdata.pondesv__gt", 2))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        perf("a&b=c")
    with pytest.raises(ValueError):
        search_params(vars={"": 1})


async def test_the_query_string_on_the_wire(krill_simulator_factory: Any) -> None:
    sim: KrillSimulator = krill_simulator_factory(cpes=20)
    async with Krill(sim.url, auth=AUTH) as krill:
        await krill.monitoring.search(
            perf.dnrx < -27.5, type="Service", vars={"administrative_info.sn": "a b&c"}, limit=5
        ).first_page()
    method, path_qs, _ = sim.requests[-1]
    path, _, query = path_qs.partition("?")
    assert method == "GET" and path == "/api/v2/monitoring/search"
    assert dict(parse_qsl(query)) == {
        "type": "Service",
        "vars.administrative_info__sn": "a b&c",
        "perfdata.dnrx__lt": "-27.5",
        "limit": "5",
    }


# -- every filter, checked on the raw JSON -------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _vars(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["attrs"].get("vars") or {}


def _metric(obj: dict[str, Any], name: str) -> float | None:
    return next((p["value"] for p in obj["attrs"]["perfdata"] if p["name"] == name), None)


@pytest.fixture
def sim(krill_simulator_factory: Any) -> KrillSimulator:
    server: KrillSimulator = krill_simulator_factory(cpes=400, monitoring_drift=0.3)
    return server


async def test_every_filter_against_the_simulator(sim: KrillSimulator) -> None:
    async with Krill(sim.url, auth=AUTH, page_size=500) as krill:
        search = krill.monitoring.search
        everything = [o async for o in search(into=dict)]
        hosts = [o for o in everything if o["type"] == "Host"]
        alarmed = next(h for h in hosts if "alarm" in _as_list(_vars(h).get("cpe_registration_state")))
        tag = _as_list(_vars(alarmed)["cpe_registration_tags"])[0]
        topology = next(h for h in hosts if _vars(h)["administrative_info"].get("topology"))
        serial = hosts[7]["attrs"]["vars"]["administrative_info"]["sn"]

        cases: list[tuple[Any, Callable[[dict[str, Any]], bool]]] = [
            (search(type="Host"), lambda o: o["type"] == "Host"),
            (search(type="Service"), lambda o: o["type"] == "Service"),
            (search(regstate="alarm"), lambda o: "alarm" in _as_list(_vars(o).get("cpe_registration_state"))),
            (search(type="Host", regstate="alarm", regtag=tag),
             lambda o: o["type"] == "Host" and "alarm" in _as_list(_vars(o).get("cpe_registration_state"))
             and tag in _as_list(_vars(o).get("cpe_registration_tags"))),
            (search(type="Host", reghost="SMR-OLT03"),
             lambda o: o["type"] == "Host" and _vars(o).get("cpe_registration_host") == "OLT03"),
            (search(type="Host", hostgroups="cpedocsis"),
             lambda o: o["type"] == "Host" and _vars(o)["administrative_info"]["tech"] == "docsis"),
            (search(type="Host", hostgroups=["cpedocsis", "cpeghn"]),
             lambda o: o["type"] == "Host" and _vars(o)["administrative_info"]["tech"] in ("docsis", "ghn")),
            (search(type="Host", topology=_vars(topology)["administrative_info"]["topology"]),
             lambda o: o["type"] == "Host"
             and _vars(o)["administrative_info"].get("topology") == _vars(topology)["administrative_info"]["topology"]),
            (search(vars={"administrative_info.sn": serial}),
             lambda o: _vars(o)["administrative_info"]["sn"] == serial),
            (search(type="Host", vars={"cpe_registration_host": "OLT01"}),
             lambda o: o["type"] == "Host" and _vars(o).get("cpe_registration_host") == "OLT01"),
            (search(perf.pondesv > 2, type="Service"),
             lambda o: o["type"] == "Service" and (_metric(o, "pondesv") or -99) > 2),
            (search(perf.dnrx <= -27.5), lambda o: (_metric(o, "dnrx") or 0) <= -27.5),
            (search(perf.dnrx >= -20, perf.pondesv < 0.5),
             lambda o: (_metric(o, "dnrx") or -99) >= -20 and (_metric(o, "pondesv") or 99) < 0.5),
            (search(type="Host", perfdata={"dnbw__gt": 500000}), lambda o: o["type"] == "Host"
             and (_metric(o, "dnbw") or 0) > 500000),
            (search(type="Host", params={"vars.administrative_info__realm": "cpe"}),
             lambda o: o["type"] == "Host" and _vars(o)["administrative_info"]["realm"] == "cpe"),
        ]  # fmt: skip
        for query, predicate in cases:
            expected = [o["name"] for o in everything if predicate(o)]
            got = [o.name async for o in query]
            assert got == expected and expected, query
        # the vendor's stories are really answered by the data
        assert any(_vars(o).get("cpe_registration_host") == "OLT03" for o in hosts)  # SMR-OLT03's label


async def test_typed_records_by_type(sim: KrillSimulator) -> None:
    async with Krill(sim.url, auth=AUTH) as krill:
        host = (await krill.monitoring.search(type="Host").first_page()).items[0]
        service = (await krill.monitoring.search(type="Service").first_page()).items[0]
        either = (await krill.monitoring.search().first_page()).items[0]
    assert type(host) is Host and type(service) is Service and type(either) is MonitoringObject
    cpe = sim.network.cpes[host.cpe_id]  # the vendor's sample hosts lead the search order
    # consistent with the ISP data: the host is the CPE
    assert host.name == cpe["cpename"] and host.cpe_id == cpe["id"] and host.serial == cpe["sn"]
    assert service.host_name == cpe["cpename"] and service.cpe_id == cpe["id"]


async def test_iteration_modes_agree(sim: KrillSimulator) -> None:
    async with Krill(sim.url, auth=AUTH, page_size=70) as krill:
        query = krill.monitoring.search(type="Host", regstate="online")
        sequential = [h.name async for h in query]
        paged = [h.name async for page in query.pages() for h in page]
        async with query.export(page_size=45, concurrency=4) as records:
            exported = [h.name async for h in records]
        async with query.export(page_size=45, ordered=False) as records:
            unordered = [h.name async for h in records]
        async with query.stream(batch_bytes=4096) as stream:
            streamed = [h.name async for h in stream]
        count = await query.count()
    assert sequential == paged == exported == streamed and sorted(unordered) == sorted(sequential)
    assert count == len(sequential) == stream.count and stream.pages_fetched == -(-len(sequential) // 70)


async def test_select_over_http(sim: KrillSimulator) -> None:
    async with Krill(sim.url, auth=AUTH) as krill:
        query = krill.monitoring.search(perf.pondesv > 2, type="Service")
        full = [s async for s in query]
        picked = [r async for r in query.select(cpe="name", olt="attrs.vars.cpe_registration_host", missing="a.b")]
        async with query.select(cpe="name").export(page_size=7) as records:
            exported = [r.cpe async for r in records]
    assert picked and all(isinstance(r, Selection) for r in picked)
    assert [r.to_dict() for r in picked] == [
        {"cpe": s.name, "olt": s.vars.cpe_registration_host if s.vars else None, "missing": None} for s in full
    ]
    assert exported == [s.name for s in full]


async def test_joined_services(sim: KrillSimulator) -> None:
    async with Krill(sim.url, auth=AUTH) as krill:
        hosts = [h async for h in krill.monitoring.search(type="Host", joins="services", hostgroups="cpegpon")]
    data = monitoring_data(sim)
    assert hosts and all(h.services for h in hosts)
    for host in hosts[:50]:
        facts = data.by_name[host.name or ""]
        assert [s.service_name for s in host.services] == list(facts.services)
        assert all(s.vars is None for s in host.services)  # joined services carry no vars
        txrx = host.service("txrx")
        if txrx is not None and facts.txrx and not facts.pending:
            assert txrx.metric("pondesv") == facts.txrx[5]


async def test_every_drift_case_decodes_and_normalises(krill_simulator_factory: Any) -> None:
    sim: KrillSimulator = krill_simulator_factory(cpes=300, monitoring_drift=1.0)
    async with Krill(sim.url, auth=AUTH, page_size=1000) as krill:
        hosts = {h.name: h async for h in krill.monitoring.search(type="Host")}
        services = [s async for s in krill.monitoring.search(type="Service")]
    assert len(services) > len(hosts) == 300
    seen: set[str] = set()
    for facts in monitoring_data(sim).facts:
        host = hosts[facts.name]
        reg = host.registration
        seen |= facts.drift
        if "list" in facts.drift and facts.registered:  # placeholders stay strings in list-shaped data
            assert isinstance(host.vars.cpe_registration_state, tuple) and reg.states == facts.states
        if facts.drift & {"placeholder", "absent"}:
            assert not reg.registered and reg.states == () and host.olt is None and host.pon_port is None
        else:
            assert reg.host == facts.olt_label and reg.state == facts.states[0] and host.pon_port == facts.pon
        if "pending" in facts.drift:
            assert host.is_pending and host.state_name == "pending" and host.attrs.last_checked is None
        else:
            assert not host.is_pending and host.attrs.last_checked is not None
            if "no_micro" in facts.drift:
                assert host.attrs.last_checked.microsecond == 0
            if "uom_null" in facts.drift:
                assert all(p.uom == "null" and p.unit is None for p in host.attrs.perfdata or ())
        if "floats" in facts.drift:
            assert type(host.attrs.state) is int and type(host.cpe_id) is int and host.cpe_id == facts.cpe_id
    assert seen == {"list", "placeholder", "absent", "pending", "floats", "uom_null", "no_micro"}


async def test_early_break_leaves_nothing_behind(krill_simulator_factory: Any) -> None:
    sim: KrillSimulator = krill_simulator_factory(cpes=600, latency=0.05, max_limit=5000)
    tasks_before = asyncio.all_tasks()
    async with aiohttp.ClientSession() as session, Krill(sim.url, auth=AUTH, session=session) as krill:
        query = krill.monitoring.search(type="Host")
        async with query.select(n="name").export(page_size=20, concurrency=6) as records:
            async for _ in records:
                break
        assert asyncio.all_tasks() == tasks_before
        async with query.stream(batch_bytes=2048) as stream:  # a 600-host page, left after one record
            async for _ in stream:
                break
        async for _ in query:
            break
        connector = session.connector
        assert connector is not None and not connector._acquired
        before = len(sim.requests)
        await anyio.sleep(0.2)
        assert len(sim.requests) == before  # nothing keeps fetching


async def test_a_large_page_is_decoded_in_batches_and_other_tasks_run_between_them(
    krill_simulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from krill_async._stream_decode import IncrementalPageDecoder

    sim: KrillSimulator = krill_simulator_factory(cpes=1500, max_limit=5000, monitoring_chunked=True)
    events: list[str] = []
    next_batch = IncrementalPageDecoder.next_batch

    def recording(self: IncrementalPageDecoder[Any]) -> Any:
        batch = next_batch(self)
        if batch is not None:
            events.append("batch")
        return batch

    monkeypatch.setattr(IncrementalPageDecoder, "next_batch", recording)
    done = anyio.Event()

    async def other_task() -> None:
        while not done.is_set():
            if events and events[-1] != "tick":
                events.append("tick")
            await anyio.lowlevel.checkpoint()

    async with Krill(sim.url, auth=AUTH) as krill, anyio.create_task_group() as tg:
        tg.start_soon(other_task)
        page = await krill.monitoring.search(type="Host", page_size=1500, batch_bytes=64 * 1024).first_page()
        done.set()
    assert len(page) == 1500 and page.count == 1500
    size = sum(len(monitoring_data(sim).host_bytes(i)) for i in range(1500))
    assert events.count("batch") >= size // (2 * 64 * 1024)  # decoded in batches, not whole
    assert "batch,batch" not in ",".join(events)  # the other task ran between every two batches


async def test_stream_hands_out_records_before_the_page_has_arrived(krill_simulator_factory: Any) -> None:
    sim: KrillSimulator = krill_simulator_factory(cpes=1500, max_limit=5000, monitoring_chunked=True)
    async with Krill(sim.url, auth=AUTH) as krill:
        async with krill.monitoring.search(type="Host", page_size=5000).stream(batch_bytes=32 * 1024) as stream:
            first = await stream.__anext__()
            assert stream.pages_fetched == 0 and stream.count == 1500  # the head arrived, the body has not
            rest = [h async for h in stream]
    assert first.name is not None and len(rest) == 1499 and stream.pages_fetched == 1


async def test_chunked_answers_like_icinga(krill_simulator_factory: Any) -> None:
    sim: KrillSimulator = krill_simulator_factory(cpes=200, monitoring_chunked=True)
    async with aiohttp.ClientSession() as session:
        basic = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
        url = f"{sim.url}/api/v2/monitoring/search?limit=200"
        async with session.get(url, headers={"Authorization": basic}) as raw:
            assert raw.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in raw.headers
    async with Krill(sim.url, auth=AUTH) as krill:
        async with krill.monitoring.search(type="Service").export(page_size=150) as records:
            assert len([s async for s in records]) == sum(len(f.services) for f in monitoring_data(sim).facts)


# -- independent servers -------------------------------------------------------------------------------


async def test_the_vendor_page_verbatim() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.path_qs)
        return web.Response(body=PAGE_REGHOST_LIMIT1, content_type="application/json")

    async with serve({"/api/v2/monitoring/search": handler}) as url, Krill(url, auth=AUTH) as krill:
        page = await krill.monitoring.search(type="Host", reghost="SMR-OLT03", limit=1).first_page()
    assert seen == ["/api/v2/monitoring/search?type=Host&reghost=SMR-OLT03&limit=1"]
    assert page.count == 1732 and page.items[0].olt == "OLT03" and page.page_size == 1
    assert page.next_url is not None and page.next_url.host == "127.0.0.1"  # rebased from krill.phicus.es:4780
    assert page.next_url.query["limit"] == "1" and page.next_url.raw_query_string.startswith("limit=1&offset=1")


def _icinga_body(n: int) -> bytes:
    """Icinga's own shape: ``{"results": [...]}`` without count or links, pretty-printed."""
    host = json.loads(repaired(HOST_ALARM_FRAGMENT))
    return json.dumps({"results": [dict(host, name=f"cpe{i}") for i in range(n)]}, indent=4).encode()


async def test_a_single_huge_chunked_body_streams_in_constant_memory() -> None:
    body = _icinga_body(3000)

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(body), 128 * 1024):
            await response.write(body[start : start + 128 * 1024])
        await response.write_eof()
        return response

    async with serve({"/api/v2/monitoring/search": handler}) as url, Krill(url, auth=AUTH) as krill:
        peak = 0
        names = []
        async with krill.monitoring.search(type="Host").stream(batch_bytes=64 * 1024) as stream:
            async for host in stream:
                names.append(host.name)
                decoder = stream._decoder
                peak = max(peak, decoder.buffered if decoder is not None else 0)
    assert names == [f"cpe{i}" for i in range(3000)] and stream.count is None
    assert peak < 64 * 1024 + 512 * 1024  # about a batch and a few chunks, never the 9 MB body
    assert len(body) > 8 * 1024 * 1024


async def _truncating_server(body: bytes, fail_times: int) -> Any:
    attempts = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal attempts
        attempts += 1
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        if attempts <= fail_times:
            await response.write(body[: len(body) // 2])
            assert request.transport is not None
            request.transport.close()  # Icinga failing mid-stream: no final chunk
            return response
        await response.write(body)
        await response.write_eof()
        return response

    return handler, lambda: attempts


async def test_a_body_cut_mid_stream_is_incomplete_body_and_retried() -> None:
    body = _icinga_body(400)
    handler, attempts = await _truncating_server(body, fail_times=1)
    async with serve({"/api/v2/monitoring/search": handler}) as url:
        async with Krill(url, auth=AUTH) as krill:  # the default policy retries a cut body
            page = await krill.monitoring.search(type="Host").first_page()
        assert len(page) == 400 and attempts() == 2
    handler, attempts = await _truncating_server(body, fail_times=10)
    async with serve({"/api/v2/monitoring/search": handler}) as url, Krill(url, auth=AUTH, retry=NO_RETRIES) as krill:
        with pytest.raises(IncompleteBody):
            await krill.monitoring.search(type="Host").first_page()
        with pytest.raises(IncompleteBody):
            async with krill.monitoring.search(type="Host").stream() as stream:
                async for _ in stream:
                    pass
        assert stream.records_yielded > 0  # records came out before the cut; the error is not hidden


@pytest.mark.anyio
async def test_consistent_export_is_refused_for_search(krill_simulator: Any) -> None:
    from krill_async import InvalidArgument, Krill

    async with Krill(krill_simulator.url, auth=("usuario", "contraseña")) as krill:
        with pytest.raises(InvalidArgument, match="consistent"):
            krill.monitoring.search(type="Host").export(consistent=True)
        async with krill.monitoring.search(type="Host").export(page_size=50) as hosts:
            assert len([h async for h in hosts]) == hosts.count
