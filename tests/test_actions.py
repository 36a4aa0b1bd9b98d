"""CPE actions and links: where they are sent (record links, both prefixes, fallback), what comes back,
that they are sent once, and bulk runs with failing CPEs, a concurrency bound and cancellation."""

from __future__ import annotations

import asyncio
import functools
import json
import re
from typing import Any

import anyio
import msgspec
import pytest
from aiohttp import web

from krill_async import (
    ActionResult,
    BadRequest,
    BulkActionError,
    Cpe,
    CpeProfile,
    Customer,
    InvalidArgument,
    Krill,
    NotFound,
    Pots,
    ServerError,
)
from krill_async._actions import action_message, cpe_key, plan_bulk, resolve_cpe_path
from krill_async.testing import KrillSimulator
from krill_async.testing.apps import app_state

from ._fakes import json_response, serve
from ._samples import V2_CPES_BODY, postman_links, v2_cpe

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")


def sample_cpe(**changes: Any) -> Cpe:
    return msgspec.json.decode(json.dumps(v2_cpe(**changes)), type=Cpe)


# ------------------------------------------------------------------------------------------ pure helpers


def test_cpe_key_merges_a_record_its_id_and_its_digit_string() -> None:
    record = sample_cpe()
    assert cpe_key(record) == cpe_key(350) == cpe_key("350") == 350
    assert cpe_key("pim0350") == "pim0350"
    assert cpe_key(Cpe(internal_id="pim0001")) == "pim0001"


@pytest.mark.parametrize("bad", [Cpe(), True, 1.5, None, "a/b", "..", "x?y"])
def test_cpe_key_refuses_what_cannot_address_a_cpe(bad: Any) -> None:
    with pytest.raises(InvalidArgument if not isinstance(bad, str) else ValueError):
        cpe_key(bad)


def test_plan_bulk_dedupes_in_first_seen_order_and_prefers_records() -> None:
    record = sample_cpe()
    plan, dropped = plan_bulk([7, 350, "7", 9, record, 350, "pim0350"])
    assert plan == [7, record, 9, "pim0350"]
    assert dropped == 3


def test_resolve_path_follows_either_prefix_and_falls_back() -> None:
    template = "isp/cpes/{id}/{segment}"
    docs_record = sample_cpe()  # /api/v2/cpes/350/... (2023 docs, 2025 real data)
    postman_record = sample_cpe(id=585, _links=postman_links(585))
    assert resolve_cpe_path(docs_record, "actions", "diagnostic", "cwmp_diagnostic", template) == (
        "/api/v2/cpes/350/cwmp_diagnostic"
    )
    assert resolve_cpe_path(postman_record, "actions", "reboot", "reboot", template) == "/api/v2/isp/cpes/585/reboot"
    assert resolve_cpe_path(docs_record, "links", "cdrs", "events?type=cdr", template) == (
        "/api/v2/cpes/350/events?type=cdr"
    )
    assert resolve_cpe_path(350, "actions", "reboot", "reboot", template) == "isp/cpes/350/reboot"
    assert resolve_cpe_path(Cpe(id=3), "links", "info", "info", template) == "isp/cpes/3/info"  # no _links
    assert resolve_cpe_path("pim 1", "links", "info", "info", template) == "isp/cpes/pim%201/info"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"detail": "Reboot scheduled"}, "Reboot scheduled"),
        ({"message": "CPE unprovisioned", "status": "ok"}, "CPE unprovisioned"),
        ("Factory reset sent", "Factory reset sent"),
        (["a", "b"], "a; b"),
        ({"task": 3}, None),
        (None, None),
    ],
)
def test_action_message_reads_every_shape(body: Any, message: str | None) -> None:
    assert action_message(body) == message


def test_the_moved_names_are_still_importable_from_where_they_were() -> None:
    import krill_async
    from krill_async import _actions
    from krill_async.apps import isp

    assert krill_async.CpeResource is _actions.CpeResource is isp.CpeResource
    assert krill_async.CpeRef is _actions.CpeRef is isp.CpeRef
    assert _actions.ACTIONS["diagnostic"] == "cwmp_diagnostic" and _actions.cpe_key("7") == 7
    with pytest.raises(AttributeError):
        _actions.no_such_name  # noqa: B018


# ------------------------------------------------------------------------------------------ real sample data


async def test_actions_follow_the_record_links_of_the_real_sample() -> None:
    hits: list[tuple[str, str, bytes]] = []

    async def listing(request: web.Request) -> web.Response:
        return json_response(V2_CPES_BODY.encode())

    async def action(request: web.Request) -> web.Response:
        hits.append((request.method, request.path, await request.read()))
        return json_response(b'{"detail": "Reboot scheduled for pim0350"}', status=202)

    routes = {"/api/v2/isp/cpes/": listing, "/api/v2/cpes/350/{name}": action, "/api/v2/isp/cpes/{id}/{name}": action}
    async with serve(routes) as url, Krill(url, auth=AUTH) as krill:
        page = await krill.isp.cpes.list(sn="0000deadbeef0000").first_page()
        cpe = page.items[0]
        result = await krill.isp.cpes.reboot(cpe)
        diagnostic = await krill.isp.cpes.of(cpe).diagnostic({"test": "ping", "host": "8.8.8.8"})
        postman = await krill.isp.cpes.reprovision(sample_cpe(id=585, _links=postman_links(585)))
    assert isinstance(result, ActionResult)
    assert (result.cpe, result.action, result.status, result.message) == (
        350,
        "reboot",
        202,
        "Reboot scheduled for pim0350",
    )
    assert str(diagnostic) == "Reboot scheduled for pim0350"
    assert postman.cpe == 585
    assert hits == [
        ("POST", "/api/v2/cpes/350/reboot", b""),
        ("POST", "/api/v2/cpes/350/cwmp_diagnostic", b'{"test":"ping","host":"8.8.8.8"}'),
        ("POST", "/api/v2/isp/cpes/585/reprovision", b""),
    ]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_an_action_is_never_sent_twice_even_on_a_retryable_status(status: int) -> None:
    hits: list[str] = []

    async def action(request: web.Request) -> web.Response:
        hits.append(request.path)
        return json_response(b'{"detail": "upstream failed"}', status=status)

    routes = {
        "/api/v2/cpes/{id}/{name}": action,
        "/api/v2/isp/cpes/{id}/{name}": action,
        "/api/v2/isp/cpes/{id}/": action,
    }
    async with serve(routes) as url, Krill(url, auth=AUTH) as krill:
        with pytest.raises(ServerError) as info:
            await krill.isp.cpes.factory(12)
    assert info.value.status == status
    assert hits == ["/api/v2/cpes/12/factory"]  # not a 404: no lookup, no second layout


async def test_a_plain_text_or_empty_answer_is_still_a_result() -> None:
    async def text(request: web.Request) -> web.Response:
        return web.Response(text="OK, flag set", status=200)

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204)

    async with serve({"/api/v2/cpes/1/{name}": text, "/api/v2/cpes/2/{name}": empty}) as url:
        async with Krill(url, auth=AUTH) as krill:
            text_result = await krill.isp.cpes.reconfig(1)
            empty_result = await krill.isp.cpes.reconfig(2)
    assert (text_result.message, text_result.data) == ("OK, flag set", "OK, flag set")
    assert (empty_result.message, empty_result.status, str(empty_result)) == (None, 204, "reconfig accepted (HTTP 204)")


async def test_unknown_action_and_bad_ids_fail_before_sending(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        before = krill_simulator.stats.requests
        with pytest.raises(InvalidArgument, match="unknown CPE action"):
            await krill.isp.cpes.action(1, "explode")
        with pytest.raises(InvalidArgument, match="unknown CPE action"):
            await krill.isp.cpes.bulk("explode", [1])
        with pytest.raises(ValueError):
            await krill.isp.cpes.bulk("reboot", [1, "../2"])
        with pytest.raises(InvalidArgument):
            await krill.isp.cpes.bulk("reboot", [1], concurrency=0)
    assert krill_simulator.stats.requests == before


# ------------------------------------------------------------------------------------------ over the simulator


async def test_record_links_and_fallback_reach_the_same_cpe(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    target = next(c for c in sim.network.cpes.values() if not c["disable_provision"])
    async with Krill(sim.url, auth=AUTH) as krill:
        cpe = await krill.isp.cpes.get(target["id"])
        by_record = await krill.isp.cpes.unprovision(cpe)
        by_id = await krill.isp.cpes.unprovision(target["id"])  # the layout learnt from the record
        krill.isp.cpes.path_template = "/api/v2/isp/cpes/{id}/{segment}"  # forced: not this server's layout
        with pytest.raises(NotFound):
            await krill.isp.cpes.unprovision(str(target["id"]))  # a forced template's 404 is final
    calls = app_state(sim).actions_on(target["id"])
    assert [c.path for c in calls] == [
        f"/api/v2/cpes/{target['id']}/unprovision",
        f"/api/v2/cpes/{target['id']}/unprovision",
    ]
    assert all(c.method == "POST" and c.status == 202 for c in calls)
    assert by_record.message == by_id.message == f"{target['cpename']} unprovisioned from the OLT"
    posts = [r for r in sim.requests if r.method == "POST" and r.path_qs.endswith("/unprovision")]
    assert [r.path_qs for r in posts][-1] == f"/api/v2/isp/cpes/{target['id']}/unprovision"  # sent once, not retried


async def test_refused_action_raises_the_typed_error(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    target = sorted(sim.network.cpes)[0]
    sim.network.update_cpe(target, has_tr069=False)
    async with Krill(sim.url, auth=AUTH) as krill:
        with pytest.raises(BadRequest, match="not managed by TR-069"):
            await krill.isp.cpes.reconfig(target)
        with pytest.raises(NotFound):
            await krill.isp.cpes.reboot(999_999)


async def test_links_on_the_resource_and_on_a_fetched_record(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    target = next(c for c in sim.network.cpes.values() if sim.network.potses_of(c["id"]) and c["has_tr069"])
    async with Krill(sim.url, auth=AUTH) as krill:
        cpes = krill.isp.cpes
        record = await cpes.get(target["id"])
        ref = cpes.of(record)
        customer = await ref.customer()
        assert customer == await cpes.customer(target["id"])
        assert isinstance(customer, Customer) and customer.id == target["customer"]
        potses = await ref.potses().collect()
        assert [p.lineid for p in potses] == [p["lineid"] for p in sim.network.potses_of(target["id"])]
        assert all(isinstance(p, Pots) for p in potses)
        profile = await ref.profile()
        assert isinstance(profile, CpeProfile) and profile.id == target["profile"]
        assert (await cpes.device_model(target["id"]))["name"] == target["model"]
        events = await ref.events().collect()
        cdrs = await ref.events(type="cdr", sort="-start_time").collect()
        assert sorted(e["id"] for e in cdrs) == [e["id"] for e in await ref.cdrs().collect()]
        assert cdrs and all(e["type"] == "cdr" for e in cdrs)
        assert [e["start_time"] for e in cdrs] == sorted((e["start_time"] for e in cdrs), reverse=True)
        assert len(events) == 25 and {e["type"] for e in events} > {"cdr"}
        assert await ref.logs().collect() == await cpes.logs(target["id"]).collect()
        assert (await ref.livestatus())["services"] == target["_services"]
        assert (await cpes.links(target["id"]))["topology"] == target["topology"]
        assert (await ref.info())["state"] in ("up", "down")
        assert "software_version" in await ref.cwmp_info()
    paths = [record.path_qs for record in sim.requests]
    base = f"/api/v2/cpes/{target['id']}"
    assert f"{base}/events?sort=-start_time&type=cdr&limit=100" in paths  # the record's link, plus the filters
    assert f"{base}/events?type=cdr&limit=100" in paths  # the cdrs link keeps its own query
    assert f"{base}/customer" in paths  # by id: the layout learnt from the record fetched above
    assert not [p for p in paths if re.match(r"/api/v2/isp/cpes/\d+/\w", p)]  # never the other layout


async def test_bulk_reports_every_cpe_once_with_a_share_failing(krill_simulator_factory: Any) -> None:
    sim: KrillSimulator = krill_simulator_factory(cpes=60)
    ids = sorted(sim.network.cpes)[:30]
    state = app_state(sim)
    for cpe_id in ids[:3]:
        sim.network.update_cpe(cpe_id, disable_provision=True)  # Krill refuses: 400
    for cpe_id in ids[3:6]:
        state.action_failures[cpe_id] = (500, {"detail": "OLT did not answer"})
    async with Krill(sim.url, auth=AUTH) as krill:
        records = [c async for c in krill.isp.cpes.list(id__in=ids[10:15])]
        targets: list[Any] = [*ids, *records, str(ids[0]), ids[29]]
        report = await krill.isp.cpes.bulk("reprovision", targets, concurrency=4)
    assert len(report) == 30 and report.duplicates == 7
    assert [o.cpe for o in report.outcomes] == ids  # input order, one outcome per CPE
    assert {o.cpe for o in report.failed} == set(ids[:6])
    assert all(isinstance(o.error, BadRequest) for o in report.failed[:3])
    assert all(isinstance(o.error, ServerError) and "OLT did not answer" in o.message for o in report.failed[3:])
    assert [o.message for o in report.succeeded] == [
        f"{sim.network.cpes[i]['cpename']} reprovisioned on the OLT" for i in ids[6:]
    ]
    # exactly one request per distinct CPE, failed ones included (actions are never retried)
    assert sorted(c.target for c in state.actions) == ids
    records_paths = {c.path for c in state.actions if c.target in ids[10:15]}
    assert records_paths == {f"/api/v2/cpes/{i}/reprovision" for i in ids[10:15]}  # records: their own _links
    assert not report.ok
    with pytest.raises(BulkActionError, match="reprovision failed on 6 of 30 CPEs"):
        report.raise_for_failures()


async def test_bulk_all_ok_and_empty(krill_simulator: KrillSimulator) -> None:
    ids = [i for i, c in krill_simulator.network.cpes.items() if c["has_tr069"]][:5]
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        report = await krill.isp.cpes.bulk("reboot", ids)
        empty = await krill.isp.cpes.bulk("reboot", [])
    assert report.raise_for_failures() is report and len(report.succeeded) == 5
    assert len(empty) == 0 and empty.ok


async def test_bulk_concurrency_is_bounded_and_reached() -> None:
    in_flight = 0
    peak = 0
    full = asyncio.Event()
    seen: list[str] = []

    async def action(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        seen.append(request.match_info["id"])
        if in_flight == 3:
            full.set()
        await full.wait()  # the first three wait for each other: the bound must be reached
        in_flight -= 1
        return json_response(b'{"detail": "ok"}', status=202)

    async with serve({"/api/v2/cpes/{id}/reboot": action}) as url, Krill(url, auth=AUTH, concurrency=8) as krill:
        report = await krill.isp.cpes.bulk("reboot", range(1, 11), concurrency=3)
    assert report.ok and peak == 3
    assert sorted(map(int, seen)) == list(range(1, 11))


async def test_cancelling_a_bulk_run_starts_nothing_more() -> None:
    arrived: list[str] = []
    two_arrived = asyncio.Event()
    never = asyncio.Event()

    async def action(request: web.Request) -> web.Response:
        arrived.append(request.match_info["id"])
        if len(arrived) == 2:
            two_arrived.set()
        await never.wait()
        return json_response(b"{}")

    async with serve({"/api/v2/cpes/{id}/reboot": action}) as url, Krill(url, auth=AUTH) as krill:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(functools.partial(krill.isp.cpes.bulk, "reboot", range(1, 7), concurrency=2))
                await two_arrived.wait()
                scope.cancel()
        assert scope.cancelled_caught
        # the bulk's task group has ended with the scope: no worker is left to start another request
        assert sorted(arrived) == ["1", "2"]
        never.set()
