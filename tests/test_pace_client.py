"""The client's adaptive concurrency against servers of the test's own: interactive calls first, one limit
shared by every export, overload answers lower it (no timed assertions)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async import Krill, RequestTimeout, RetryPolicy, ServerError, Timeout
from krill_async._limiter import VegasLimiter
from krill_async._pacer import SMALL_SERVER
from krill_async.testing import KrillSimulator, SimulatorConfig
from krill_async.testing._capacity import CapacityConfig

from ._fakes import serve

pytestmark = pytest.mark.anyio
COUNT = 400


async def held_until_released(state: dict[str, Any]) -> None:
    """Hold a request until ``state["release"]`` is set, counting ``held`` and their ``peak``."""
    state["held"] += 1
    state["peak"] = max(state["peak"], state["held"])
    try:
        await state["release"].wait()
    finally:
        state["held"] -= 1


@asynccontextmanager
async def held_pages(delay: float = 0.0) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Pages after the first are held until ``state["release"]`` is set, then answered after ``delay``
    seconds; details answer at once."""
    state: dict[str, Any] = {"release": anyio.Event(), "held": 0, "peak": 0, "log": []}

    async def cpes(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "10"))
        state["log"].append(("page", offset))
        if offset:
            await held_until_released(state)
        await anyio.sleep(delay)
        rows = [{"id": i} for i in range(offset + 1, min(COUNT, offset + limit) + 1)]
        following = f"http://pre1:4280/api/v2/isp/cpes/?limit={limit}&offset={offset + limit}"
        body = {"count": COUNT, "next": following if offset + limit < COUNT else None, "previous": None}
        return web.json_response({**body, "results": rows})

    async def detail(request: web.Request) -> web.Response:
        state["log"].append(("get", int(request.match_info["id"])))
        return web.json_response({"id": int(request.match_info["id"])})

    async with serve({"/api/v2/isp/cpes/": cpes, "/api/v2/isp/cpes/{id}/": detail}) as url:
        try:
            yield url, state
        finally:
            state["release"].set()


async def drain(records: Any) -> None:
    async for _ in records:
        pass


async def wait_for(predicate: Any) -> None:
    while not predicate():  # noqa: ASYNC110 (polls the server state of another task)
        await anyio.sleep(0.01)


async def test_an_interactive_get_is_served_while_export_pages_fill_every_bulk_slot() -> None:
    with anyio.fail_after(20):
        async with held_pages() as (url, state), Krill(url, max_concurrency=16) as krill:
            async with krill.isp.cpes.export(page_size=10) as records, anyio.create_task_group() as tg:
                tg.start_soon(drain, records)
                await wait_for(lambda: state["held"] >= krill.admission.bulk_limit)
                assert krill.admission.waiting[1] > 0  # export pages queued in the client, behind the limit
                cpe = await krill.isp.cpes.get(7)  # takes the reserved slot: answered while pages are held
                assert cpe.id == 7 and state["held"] == krill.admission.bulk_limit
                state["release"].set()
            assert records.records_yielded == COUNT


async def test_two_exports_share_one_limit() -> None:
    with anyio.fail_after(20):
        async with held_pages() as (url, state), Krill(url, max_concurrency=16) as krill:
            limit = krill.admission.bulk_limit
            async with anyio.create_task_group() as tg:
                counts: list[int] = []

                async def export() -> None:
                    async with krill.isp.cpes.export(page_size=10) as records:
                        counts.append(len([r async for r in records]))

                tg.start_soon(export)
                tg.start_soon(export)
                await wait_for(lambda: state["held"] >= limit)
                await anyio.sleep(0.2)  # room for any page that would wrongly get past the shared limit
                peak, limit = state["peak"], krill.admission.bulk_limit  # (slow start moved it: first pages)
                state["release"].set()
            assert counts == [COUNT, COUNT]
            assert peak == limit  # not 2 x limit: the exports share the server


async def test_overloaded_server_lowers_the_limit_and_the_export_completes() -> None:
    capacity = CapacityConfig(workers=1, base=0.002, per_record=0.0005, queue_limit=2, retry_after=0.05)
    sim = KrillSimulator(SimulatorConfig(cpes=600, capacity=capacity))
    retry = RetryPolicy(attempts=8, backoff=0.02, max_backoff=0.2, max_retry_after=0.2)
    with anyio.fail_after(60), sim.run_in_thread():
        async with Krill(sim.url, auth=("usuario", "contraseña"), max_concurrency=16, retry=retry) as krill:
            krill.admission.limiter = VegasLimiter(initial=8, max_limit=16)  # start well above 1 worker's knee
            before = krill.admission.limit
            async with krill.isp.cpes.export(page_size=20) as records:
                ids = [c.id async for c in records]
            after = krill.admission.limit
    assert sorted(ids) == sorted(sim.network.cpes)
    assert sim.capacity is not None
    assert after < before and krill.admission.limiter.drops + krill.admission.limiter.samples > 0
    assert sim.capacity.stats.peak_in_flight <= before + 1


async def test_a_fixed_concurrency_is_kept() -> None:
    with anyio.fail_after(20):
        async with held_pages() as (url, state), Krill(url, concurrency=3) as krill:
            async with krill.isp.cpes.export(page_size=10) as records, anyio.create_task_group() as tg:
                tg.start_soon(drain, records)
                await wait_for(lambda: state["held"] >= 3)
                await anyio.sleep(0.2)
                assert state["held"] == 3 and krill.admission.limit == 4
                state["release"].set()


# -- pacing -------------------------------------------------------------------------------------------------


async def test_pages_are_paced_but_interactive_calls_are_not() -> None:
    """The pacer spaces export pages (its interval, forced here) and never delays a get()."""
    with anyio.fail_after(20):
        async with held_pages(delay=0.2) as (url, state), Krill(url, max_concurrency=16, pacing=True) as krill:
            pacer = krill.admission.pacer
            assert pacer is not None
            state["release"].set()
            pacer.capacity = 0.15  # (under the pages' 0.2 s round trip: the longest interval a pacer keeps)
            pacer.sent(time.monotonic())  # as if a page had just been sent
            started = time.monotonic()
            async with krill.isp.cpes.export(page_size=100) as records, anyio.create_task_group() as tg:
                tg.start_soon(drain, records)
                await krill.isp.cpes.get(7)
                got_detail = time.monotonic() - started
            took = time.monotonic() - started
    assert got_detail < 0.15  # not behind the pacer
    pages = [offset for kind, offset in state["log"] if kind == "page"]
    assert len(pages) == 4 and pacer.paced >= 3
    assert took >= 4 * 0.15 * 0.9  # four pages, each a paced interval after the one before


async def test_the_callers_timeout_covers_the_pacing_wait_and_names_it() -> None:
    with anyio.fail_after(20):
        async with held_pages() as (url, state), Krill(url, timeout=Timeout(total=0.3), pacing=True) as krill:
            pacer = krill.admission.pacer
            assert pacer is not None
            state["release"].set()
            pacer.capacity = 60.0
            pacer.sent(time.monotonic())
            with pytest.raises(RequestTimeout, match="pacing"):
                async with krill.isp.cpes.export(page_size=100) as records:
                    await drain(records)
            assert krill.admission.in_flight == 0  # the wait held no slot


async def test_pacing_is_for_adaptive_concurrency_and_auto_by_default() -> None:
    async with Krill("http://127.0.0.1:9", concurrency=4, pacing=True) as krill:
        assert krill.admission.pacer is None
    async with Krill("http://127.0.0.1:9", pacing=False) as krill:
        assert krill.admission.pacer is None and krill.admission.limit == 8 + 1
    async with Krill("http://127.0.0.1:9", pacing=True) as krill:
        assert krill.admission.pacer is not None and krill.admission.pacer.engaged is True
        assert krill.admission.limit == 2 + 1
    async with Krill("http://127.0.0.1:9") as krill:  # "auto": decided by the server's knee
        pacer = krill.admission.pacer
        assert pacer is not None and pacer.engaged is None and pacer.small_server == SMALL_SERVER
        assert krill.admission.limit == 2 + 1
    with pytest.raises(TypeError, match="pacing must be"):
        Krill("http://127.0.0.1:9", pacing="yes")  # type: ignore[arg-type]


@asynccontextmanager
async def workers_server(workers: int, service: float) -> AsyncIterator[str]:
    """A server of the test's own with ``workers`` workers: each page holds one for ``service`` seconds."""
    free = anyio.Semaphore(workers)

    async def cpes(request: web.Request) -> web.Response:
        offset, limit = int(request.query.get("offset", "0")), int(request.query.get("limit", "10"))
        async with free:
            await anyio.sleep(service)
        rows = [{"id": i} for i in range(offset + 1, min(COUNT, offset + limit) + 1)]
        following = f"http://pre1:4280/api/v2/isp/cpes/?limit={limit}&offset={offset + limit}"
        body = {"count": COUNT, "next": following if offset + limit < COUNT else None, "previous": None}
        return web.json_response({**body, "results": rows})

    async with serve({"/api/v2/isp/cpes/": cpes}) as url:
        yield url


async def test_auto_pacing_engages_on_a_one_worker_server() -> None:
    with anyio.fail_after(30):
        async with workers_server(1, 0.04) as url, Krill(url) as krill:
            async with krill.isp.cpes.export(page_size=10) as records:  # 40 pages, one at a time at the server
                await drain(records)
            pacer = krill.admission.pacer
            assert pacer is not None and pacer.engaged is True  # a knee of 2-3 pages
            assert pacer.paced > 0 and pacer.capacity is not None


async def test_auto_pacing_stays_off_on_a_server_with_room() -> None:
    with anyio.fail_after(30):
        # (pages of 0.2 s: a loaded test machine's jitter of tens of milliseconds is not a 20% longer round
        # trip, which the limiter would read as a first sign of queueing; see docs/reliability.md)
        async with workers_server(64, 0.2) as url, Krill(url, max_concurrency=8) as krill:
            async with krill.isp.cpes.export(page_size=10) as records:
                await drain(records)
            pacer = krill.admission.pacer
            assert pacer is not None and pacer.engaged is not True  # no queue below the bound: no knee
            assert pacer.paced == 0


# -- interactive calls are not held to the pages' limit -----------------------------------------------------


@asynccontextmanager
async def held_details() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """CPE details held until ``state["release"]`` is set; ``state["peak"]``: most held at once."""
    state: dict[str, Any] = {"release": anyio.Event(), "held": 0, "peak": 0}

    async def detail(request: web.Request) -> web.Response:
        await held_until_released(state)
        return web.json_response({"id": int(request.match_info["id"])})

    async with serve({"/api/v2/isp/cpes/{id}/": detail}) as url:
        try:
            yield url, state
        finally:
            state["release"].set()


@pytest.mark.parametrize(("options", "expected"), [({}, 16 + 1), ({"max_in_flight": 5}, 5), ({"concurrency": 3}, 4)])
async def test_concurrent_gets_on_a_client_running_no_export_reach_max_in_flight(
    options: dict[str, Any], expected: int
) -> None:
    """The pages' limit learns from pages: on a client that runs no export it stays at its first value (2
    with pacing), and a web app's concurrent get() calls were held to it plus the reserve, 3 at a time."""
    with anyio.fail_after(20):
        async with held_details() as (url, state), Krill(url, **options) as krill, anyio.create_task_group() as tg:
            for ident in range(1, 41):
                tg.start_soon(krill.isp.cpes.get, ident)
            await wait_for(lambda: state["held"] >= expected)
            await anyio.sleep(0.2)  # room for any call that would wrongly get past the cap
            assert state["peak"] == expected == krill.admission.interactive_limit
            assert krill.admission.waiting == (40 - expected, 0)
            state["release"].set()
        assert state["held"] == 0 and krill.admission.in_flight == 0


async def test_interactive_overload_answers_do_not_cut_the_pages_limit() -> None:
    """A 503 from one endpoint (a report, an app whose backend is down) says nothing about the pages'
    endpoint: only the pages' own overload answers lower their limit."""
    failed_pages: list[int] = []

    async def cpes(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        if offset == 20 and not failed_pages:
            failed_pages.append(offset)
            return web.json_response({"detail": "busy"}, status=503)
        rows = [{"id": i} for i in range(offset + 1, min(100, offset + 10) + 1)]
        following = f"http://pre1:4280/api/v2/isp/cpes/?limit=10&offset={offset + 10}" if offset + 10 < 100 else None
        return web.json_response({"count": 100, "next": following, "previous": None, "results": rows})

    async def broken(request: web.Request) -> web.Response:
        return web.json_response({"detail": "backend down"}, status=503)

    retry = RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.02)
    with anyio.fail_after(20):
        async with serve({"/api/v2/isp/cpes/": cpes, "/api/v2/isp/cpes/{id}/": broken}) as url:
            async with Krill(url, retry=retry) as krill:
                limiter = krill.admission.limiter
                for ident in range(1, 6):
                    with pytest.raises(ServerError):
                        await krill.isp.cpes.get(ident)
                assert limiter.drops == 0 and limiter.slow_start  # 15 answers of 503, none a drop
                async with krill.isp.cpes.export(page_size=10) as records:
                    assert len([r async for r in records]) == 100
                assert failed_pages == [20] and limiter.drops == 1  # the page's own 503 is one


async def test_a_get_is_not_queued_behind_pages_when_max_in_flight_is_below_the_limit() -> None:
    """``max_in_flight`` below the pages' bound used to cap only the throttle's semaphore, behind the
    admission: 14 admitted pages queued there, and a get() after them."""
    with anyio.fail_after(20):
        async with held_pages() as (url, state), Krill(url, concurrency=16, max_in_flight=2) as krill:
            assert (krill.admission.limit, krill.admission.bulk_limit) == (2, 1)
            async with krill.isp.cpes.export(page_size=10) as records, anyio.create_task_group() as tg:
                tg.start_soon(drain, records)
                await wait_for(lambda: state["held"] >= 1)
                cpe = await krill.isp.cpes.get(7)  # answered while the page is held
                assert cpe.id == 7 and state["held"] == 1
                state["release"].set()
            assert records.records_yielded == COUNT
    with pytest.raises(ValueError, match="max_in_flight"):
        Krill(url, max_in_flight=0)  # (it silently meant the default)


async def test_a_burst_of_gets_backs_off_a_small_server_that_answers_503() -> None:
    """One worker, one request waiting, 503 beyond (nginx in front of a single Django worker): 60
    concurrent get()s of a web app all succeed with the default retry policy, because their own overload
    answers lower their cap; the pages' limit is left alone."""
    state = {"busy": 0, "refused": 0}
    worker = anyio.Lock()

    async def detail(request: web.Request) -> web.Response:
        if state["busy"] >= 2:
            state["refused"] += 1
            return web.json_response({"detail": "busy"}, status=503)
        state["busy"] += 1
        try:
            async with worker:
                await anyio.sleep(0.01)
        finally:
            state["busy"] -= 1
        return web.json_response({"id": int(request.match_info["id"])})

    with anyio.fail_after(30):
        async with serve({"/api/v2/isp/cpes/{id}/": detail}) as url, Krill(url) as krill:
            results: list[int] = []

            async def get(ident: int) -> None:
                results.append((await krill.isp.cpes.get(ident)).id)

            async with anyio.create_task_group() as tg:
                for ident in range(1, 61):
                    tg.start_soon(get, ident)
            cap = krill.admission.interactive_cap
            assert sorted(results) == list(range(1, 61))
            assert state["refused"] > 0 and cap.cuts >= 1 and krill.admission.limiter.drops == 0


async def test_a_timeout_waiting_for_a_slot_names_who_holds_them() -> None:
    with anyio.fail_after(20):
        async with held_details() as (url, state), Krill(url) as krill, anyio.create_task_group() as tg:
            for ident in range(1, 18):
                tg.start_soon(krill.isp.cpes.get, ident)
            await wait_for(lambda: state["held"] >= 17)
            with pytest.raises(RequestTimeout, match="17 interactive calls and 0 export pages in flight"):
                await krill.isp.cpes.get(99, timeout=0.3)
            state["release"].set()
