"""Bare-id CPE actions and links reach each deployment's own path, against small independent servers.

Each server is plain ``aiohttp.web`` on loopback (port 0), written here, not the project's simulator: one
with the vendor layout (``/api/v2/cpes/{id}/{action}``), one with ``/api/v2/isp/cpes/{id}/{action}``, one
whose records carry no ``_links``, one whose links point to another host and prefix. Every request is
logged with the status it got, so the tests count exactly what reached the server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from krill_async import Cpe, Krill, KrillError, NotFound, ServerError
from krill_async.apps.isp import ISP_TEMPLATE, VENDOR_TEMPLATE
from krill_async.errors import UnsafeURLError

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")
VENDOR = "/api/v2/cpes/"
ISP = "/api/v2/isp/cpes/"
ACTION_SEGMENTS = {"reboot", "factory", "reconfig", "reprovision", "unprovision", "cwmp_diagnostic"}


@dataclass
class Deployment:
    """A Krill-like server: CPE CRUD under ``isp/cpes/``, actions and links under ``prefix``.

    ``link_base`` is what the records' ``_links`` say (``None``: records carry no ``_links``).
    ``missing_actions`` answer 404 although the CPE exists (an ONU the OLT does not know, say).
    """

    prefix: str
    link_base: str | None
    ids: tuple[int, ...] = (5, 6, 7, 8)
    missing_actions: set[int] = field(default_factory=set)
    action_status: int = 202
    trailing_slash: bool = False  # actions and links only answer with a trailing slash
    log: list[tuple[str, str, int]] = field(default_factory=list)

    def links(self, cpe_id: int) -> dict[str, dict[str, str]]:
        base = f"{self.link_base}{cpe_id}/"
        end = "/" if self.trailing_slash else ""
        actions = {"reboot": "reboot" + end, "factory": "factory" + end, "diagnostic": "cwmp_diagnostic" + end}
        links = {"customer": "customer", "events": "events", "cdrs": "events?type=cdr", "info": "info"}
        return {
            "actions": {k: base + v for k, v in actions.items()},
            "links": {k: base + v for k, v in links.items()},
        }

    def record(self, cpe_id: int, attrs: str | None) -> dict[str, Any]:
        full: dict[str, Any] = {"id": cpe_id, "cpename": f"pim{cpe_id:04d}", "customer": 27}
        if self.link_base is not None:
            full["_links"] = self.links(cpe_id)
        if attrs:
            keep = set(attrs.split(","))
            return {k: v for k, v in full.items() if k in keep}
        return full

    def answer(self, request: web.Request) -> tuple[int, Any]:
        method, path = request.method, request.path
        attrs = request.query.get("attrs")
        if method == "GET" and path == ISP:
            records = [self.record(i, attrs) for i in self.ids]
            return 200, {"count": len(records), "next": None, "previous": None, "results": records}
        parts = path.removeprefix(ISP).strip("/").split("/") if path.startswith(ISP) else []
        if method == "GET" and len(parts) == 1 and path.endswith("/"):  # the CRUD detail
            return (
                (200, self.record(int(parts[0]), attrs))
                if parts[0].isdigit() and int(parts[0]) in self.ids
                else (
                    404,
                    {"detail": "Not found."},
                )
            )
        if path.startswith(self.prefix) and path.endswith("/") == self.trailing_slash:
            rest = path.removeprefix(self.prefix).rstrip("/").split("/")
            if len(rest) == 2 and rest[0].isdigit() and int(rest[0]) in self.ids:
                cpe_id, name = int(rest[0]), rest[1]
                if method == "POST" and name in ACTION_SEGMENTS and cpe_id not in self.missing_actions:
                    return self.action_status, {"detail": f"{name} queued for pim{cpe_id:04d}"}
                if method == "GET" and name == "customer":
                    return 200, {"id": 27, "name": "Ana"}
                if method == "GET" and name == "events":
                    kind = request.query.get("type")
                    rows = [{"id": n, "type": kind or "cwmp"} for n in range(3)]
                    return 200, {"count": 3, "next": None, "previous": None, "results": rows}
        return 404, {"detail": "Not found."}

    async def handle(self, request: web.Request) -> web.Response:
        status, body = self.answer(request)
        self.log.append((request.method, request.path_qs, status))
        return web.json_response(body, status=status)

    def posts(self) -> list[tuple[str, int]]:
        return [(path, status) for method, path, status in self.log if method == "POST"]

    def not_found(self) -> int:
        return sum(status == 404 for _, _, status in self.log)


@asynccontextmanager
async def running(deployment: Deployment) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", deployment.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------------------------------ one action, a bare id


async def test_vendor_layout_is_reached_first_time_with_no_extra_request() -> None:
    server = Deployment(VENDOR, VENDOR)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        result = await krill.isp.cpes.reboot(5)
    assert result.message == "reboot queued for pim0005"
    assert server.log == [("POST", "/api/v2/cpes/5/reboot", 202)]


async def test_isp_layout_costs_one_404_and_one_get_the_first_time_only() -> None:
    server = Deployment(ISP, ISP)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        first = await krill.isp.cpes.reboot(5)
        second = await krill.isp.cpes.factory("6")
    assert (first.status, second.message) == (202, "factory queued for pim0006")
    assert server.log == [
        ("POST", "/api/v2/cpes/5/reboot", 404),  # the vendor's form: nothing done
        ("GET", "/api/v2/isp/cpes/5/?attrs=id,_links", 200),  # the CPE's own links
        ("POST", "/api/v2/isp/cpes/5/reboot", 202),  # the one informed retry
        ("POST", "/api/v2/isp/cpes/6/factory", 202),  # learnt: straight there
    ]


@pytest.mark.parametrize(("prefix", "expected_404s"), [(VENDOR, 0), (ISP, 1)])
async def test_records_without_links_still_reach_either_layout(prefix: str, expected_404s: int) -> None:
    server = Deployment(prefix, None)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        await krill.isp.cpes.reconfig(7)
        await krill.isp.cpes.reconfig(8)
    assert [s for _, s in server.posts() if s != 404] == [202, 202]  # exactly one action per CPE reached it
    assert server.not_found() == expected_404s  # and at most one 404, the first time
    assert server.posts()[-1] == (f"{prefix}8/reconfig", 202)


async def test_links_to_another_host_and_prefix_are_followed_on_our_own_origin() -> None:
    server = Deployment("/api/v2/devices/", "http://pre1:4280/internal/api/v2/devices/")
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        await krill.isp.cpes.diagnostic(5, {"test": "ping"})
        await krill.isp.cpes.reboot(6)
    assert server.posts() == [
        ("/api/v2/cpes/5/cwmp_diagnostic", 404),
        ("/api/v2/devices/5/cwmp_diagnostic", 202),  # the link's path, on the client's origin
        ("/api/v2/devices/6/reboot", 202),  # a layout neither known form has, learnt
    ]


async def test_links_naming_the_path_that_failed_mean_no_retry() -> None:
    server = Deployment(VENDOR, VENDOR, missing_actions={7})
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        with pytest.raises(NotFound) as info:
            await krill.isp.cpes.reboot(7)
    assert "/api/v2/cpes/7/reboot" in str(info.value)  # the action's own 404, not the lookup's
    assert server.posts() == [("/api/v2/cpes/7/reboot", 404)]
    assert [m for m, _, _ in server.log] == ["POST", "GET"]


async def test_an_unknown_cpe_is_not_found_after_one_post_and_one_get() -> None:
    server = Deployment(ISP, ISP)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        with pytest.raises(NotFound, match="/api/v2/cpes/99/reboot"):
            await krill.isp.cpes.reboot(99)
    assert server.log == [("POST", "/api/v2/cpes/99/reboot", 404), ("GET", "/api/v2/isp/cpes/99/?attrs=id,_links", 404)]


async def test_a_retryable_status_on_the_guess_is_final() -> None:
    server = Deployment(VENDOR, VENDOR, action_status=503)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        with pytest.raises(ServerError):
            await krill.isp.cpes.reboot(5)
    assert server.log == [("POST", "/api/v2/cpes/5/reboot", 503)]  # never retried, never looked up


async def test_a_record_link_that_is_not_http_is_a_typed_error_and_nothing_is_sent() -> None:
    server = Deployment(VENDOR, "file:///etc/passwd#")
    hostile = Cpe(id=5, links=None)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        record = await krill.isp.cpes.get(5)
        with pytest.raises(UnsafeURLError) as direct:
            await krill.isp.cpes.reboot(record)
        # the same link met through the informed lookup (the guess 404s on CPE 6's missing action)
        server.missing_actions.add(6)
        with pytest.raises(UnsafeURLError) as looked_up:
            await krill.isp.cpes.factory(6)
        assert (await krill.isp.cpes.reboot(hostile)).status == 202  # a bare record still works
    for error in (direct.value, looked_up.value):
        assert isinstance(error, KrillError) and type(error) is not ValueError
    assert server.posts() == [("/api/v2/cpes/6/factory", 404), ("/api/v2/cpes/5/reboot", 202)]


async def test_a_trailing_slash_layout_is_learnt_from_the_links() -> None:
    server = Deployment(VENDOR, VENDOR, trailing_slash=True)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        await krill.isp.cpes.reboot(5)
        await krill.isp.cpes.factory(6)
        assert krill.isp.cpes.layout.template("actions") == "/api/v2/cpes/{id}/{segment}/"
    assert server.posts() == [
        ("/api/v2/cpes/5/reboot", 404),
        ("/api/v2/cpes/5/reboot/", 202),  # the links differ from the guess by the slash: one retry
        ("/api/v2/cpes/6/factory/", 202),
    ]


# ------------------------------------------------------------------------------------------ learning


@pytest.mark.parametrize("how", ["records", "dicts", "export", "get"])
async def test_a_listing_teaches_the_layout_without_any_404(how: str) -> None:
    server = Deployment(ISP, ISP)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        if how == "export":
            async with krill.isp.cpes.export(concurrency=2) as records:
                assert len([r async for r in records]) == 4
        elif how == "get":
            assert (await krill.isp.cpes.get(8)).id == 8
        else:
            assert len(await krill.isp.cpes.list(into=dict if how == "dicts" else None).collect()) == 4
        await krill.isp.cpes.reboot(5)
        assert (await krill.isp.cpes.customer(6)).name == "Ana"
    assert server.not_found() == 0
    assert server.posts() == [("/api/v2/isp/cpes/5/reboot", 202)]


async def test_two_clients_for_two_deployments_keep_their_own_layout() -> None:
    vendor, isp = Deployment(VENDOR, VENDOR), Deployment(ISP, ISP)
    async with running(vendor) as vendor_url, running(isp) as isp_url:
        async with Krill(vendor_url, auth=AUTH) as a, Krill(isp_url, auth=AUTH) as b:
            await b.isp.cpes.reboot(5)  # b learns the isp layout (one 404)
            await a.isp.cpes.reboot(5)  # a must not use it
            await b.isp.cpes.reboot(6)
            await a.isp.cpes.reboot(6)
            assert a.isp.cpes.layout.template("actions") == VENDOR_TEMPLATE
            assert b.isp.cpes.layout.template("actions") == ISP_TEMPLATE
        async with Krill(isp_url, auth=AUTH) as fresh:
            await fresh.isp.cpes.reboot(7)  # a new client starts from the vendor's form again
    assert vendor.log == [("POST", "/api/v2/cpes/5/reboot", 202), ("POST", "/api/v2/cpes/6/reboot", 202)]
    assert [p for p in isp.posts() if p[1] == 202] == [
        ("/api/v2/isp/cpes/5/reboot", 202),
        ("/api/v2/isp/cpes/6/reboot", 202),
        ("/api/v2/isp/cpes/7/reboot", 202),
    ]
    assert isp.not_found() == 2  # one per client that had to learn


async def test_forcing_the_template_skips_discovery() -> None:
    server = Deployment(ISP, ISP)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        krill.isp.cpes.path_template = ISP_TEMPLATE
        await krill.isp.cpes.reboot(5)
        krill.isp.cpes.path_template = VENDOR_TEMPLATE  # wrong on purpose: a forced 404 is final
        with pytest.raises(NotFound):
            await krill.isp.cpes.reboot(6)
    assert server.log == [("POST", "/api/v2/isp/cpes/5/reboot", 202), ("POST", "/api/v2/cpes/6/reboot", 404)]


async def test_bulk_acts_once_per_cpe_and_learns_from_the_first() -> None:
    server = Deployment(ISP, None)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        report = await krill.isp.cpes.bulk("reboot", [5, 6, "5", 7, 8, 6], concurrency=1)
    assert report.ok and report.duplicates == 2
    reached = sorted(path for path, status in server.posts() if status == 202)
    assert reached == [f"/api/v2/isp/cpes/{i}/reboot" for i in (5, 6, 7, 8)]
    assert server.not_found() == 1


async def test_a_concurrent_bulk_on_a_fresh_client_still_reaches_each_cpe_once() -> None:
    server = Deployment(ISP, ISP, ids=tuple(range(1, 21)))
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        report = await krill.isp.cpes.bulk("factory", range(1, 21), concurrency=4)
    assert report.ok and len(report) == 20
    reached = [path for path, status in server.posts() if status == 202]
    assert sorted(reached) == sorted(f"/api/v2/isp/cpes/{i}/factory" for i in range(1, 21))
    guesses = [path for path, status in server.posts() if status == 404]
    assert len(guesses) == len(set(guesses)) <= 4  # at most one 404 per CPE, only before the layout is known


# ------------------------------------------------------------------------------------------ related resources


async def test_related_resources_and_lists_are_corrected_like_actions() -> None:
    server = Deployment(ISP, None)
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        events = await krill.isp.cpes.events(5, type="cwmp").collect()
        calls = await krill.isp.cpes.cdrs(6).collect()
        customer = await krill.isp.cpes.customer(7)
    assert [e["type"] for e in events] == ["cwmp"] * 3 and [c["type"] for c in calls] == ["cdr"] * 3
    assert customer.name == "Ana"
    assert server.log == [
        ("GET", "/api/v2/cpes/5/events?type=cwmp&limit=100", 404),
        ("GET", "/api/v2/isp/cpes/5/?attrs=id,_links", 200),  # no _links: the other known form
        ("GET", "/api/v2/isp/cpes/5/events?type=cwmp&limit=100", 200),
        ("GET", "/api/v2/isp/cpes/6/events?type=cdr&limit=100", 200),  # learnt, own query kept
        ("GET", "/api/v2/isp/cpes/7/customer", 200),
    ]


async def test_a_related_list_follows_the_links_of_the_record_it_looked_up() -> None:
    server = Deployment("/api/v2/devices/", "/api/v2/devices/")
    async with running(server) as url, Krill(url, auth=AUTH) as krill:
        calls = await krill.isp.cpes.of(5).cdrs().collect()
    assert len(calls) == 3
    assert [entry[1:] for entry in server.log] == [
        ("/api/v2/cpes/5/events?type=cdr&limit=100", 404),
        ("/api/v2/isp/cpes/5/?attrs=id,_links", 200),
        ("/api/v2/devices/5/events?type=cdr&limit=100", 200),
    ]


def test_the_servers_here_answer_as_described() -> None:
    """The fixtures themselves: a test server that served every path would make the counts above moot."""
    server = Deployment(ISP, None)
    assert json.dumps(server.record(5, None)) == '{"id": 5, "cpename": "pim0005", "customer": 27}'
    assert Deployment(VENDOR, VENDOR).record(5, "id,_links")["_links"]["actions"]["reboot"] == "/api/v2/cpes/5/reboot"
