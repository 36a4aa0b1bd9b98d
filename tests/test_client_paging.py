"""Listing and exporting over real HTTP on loopback, against the simulated Krill."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, TypeVar

import aiohttp
import anyio
import pytest

from krill_async import Cpe, Krill, Page
from krill_async._export import Export
from krill_async.testing import KrillSimulator

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")
T = TypeVar("T")


def cpe_ids(sim: KrillSimulator) -> list[int]:
    return sorted(sim.network.cpes)


async def aenumerate(iterable: AsyncIterable[T]) -> AsyncIterator[tuple[int, T]]:
    n = 0
    async for item in iterable:
        yield n, item
        n += 1


def paged_requests(sim: KrillSimulator) -> list[str]:
    return [path for method, path, _ in sim.requests if method == "GET" and "/isp/cpes" in path]


@pytest.mark.parametrize("links", ["internal", "absolute", "relative"])
async def test_sequential_iteration_follows_every_link_form(krill_simulator: KrillSimulator, links: str) -> None:
    krill_simulator.config.links = links
    async with Krill(krill_simulator.url, auth=AUTH, page_size=30) as krill:
        ids = [cpe.id async for cpe in krill.isp.cpes.list(attrs=["id", "cpename", "sn"])]
    assert ids == cpe_ids(krill_simulator)
    # every request stayed on our origin (the internal host pre1:4280 was never contacted) and used our limit
    requests = paged_requests(krill_simulator)
    assert len(requests) == -(-len(ids) // 30)
    assert all("limit=30" in path for path in requests)


async def test_records_are_typed_structs(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        page = await krill.isp.cpes.list(page_size=5).first_page()
    assert isinstance(page, Page)
    assert all(isinstance(cpe, Cpe) for cpe in page)
    first = page.items[0]
    assert first.cpename is not None and first.cpename == first.internal_id
    assert first.links is not None and first.created is not None


async def test_first_page_with_count_and_filter(krill_simulator: KrillSimulator) -> None:
    target = list(krill_simulator.network.cpes.values())[7]
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        page = await krill.isp.cpes.list(sn=target["sn"]).first_page()
        everything = await krill.isp.cpes.list(page_size=10).first_page()
        counted = await krill.isp.cpes.list(realm="pim").count()
    assert page.count == 1 and [c.id for c in page] == [target["id"]]
    assert not page.has_next
    assert everything.count == len(krill_simulator.network.cpes)
    assert everything.has_next and everything.next_url is not None
    assert everything.next_url.host == "127.0.0.1"  # rebased from http://pre1:4280
    assert counted == sum(1 for c in krill_simulator.network.cpes.values() if c["realm"] == "pim")


async def test_lookups_and_sort(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        ids = [c.id async for c in krill.isp.cpes.list(id__gt=150, sort="-id", attrs="id")]
    expected = sorted((i for i in cpe_ids(krill_simulator) if i > 150), reverse=True)
    assert ids == expected


async def test_capped_limit_uses_the_servers_page_size(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=200, max_limit=30)
    async with Krill(sim.url, auth=AUTH) as krill:
        first = await krill.isp.cpes.list(page_size=5000).first_page()
        assert first.page_size == 30 and len(first) == 30
        async with krill.isp.cpes.export(page_size=5000, concurrency=4, attrs="id") as records:
            ids = [c.id async for c in records]
    assert ids == cpe_ids(sim)
    # after the first answer every planned request asks for the server's real size
    planned = [p for p in paged_requests(sim) if "offset=" in p]
    assert planned and all("limit=30" in p for p in planned)


async def test_client_never_relies_on_the_default_page_size_of_10(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        n = len([c async for c in krill.isp.cpes.list()])
    assert n == len(krill_simulator.network.cpes)
    assert all("limit=" in p for p in paged_requests(krill_simulator))
    assert len(paged_requests(krill_simulator)) == 2  # 200 records at the client's page size of 100


@pytest.mark.parametrize("links", ["internal", "relative"])
@pytest.mark.parametrize("ordered", [True, False])
async def test_export_yields_every_record(krill_simulator: KrillSimulator, links: str, ordered: bool) -> None:
    krill_simulator.config.links = links
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        async with krill.isp.cpes.export(concurrency=4, page_size=17, ordered=ordered) as records:
            ids = [c.id async for c in records]
            assert records.count == len(krill_simulator.network.cpes)
    if ordered:
        assert ids == cpe_ids(krill_simulator)
    else:
        assert sorted(i for i in ids if i is not None) == cpe_ids(krill_simulator)


async def test_export_pages(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        async with krill.isp.cpes.list(attrs="id").export(page_size=50, concurrency=2) as export:
            offsets = [page.offset async for page in export.pages()]
    assert offsets == [0, 50, 100, 150]


async def test_export_in_flight_bounded_by_concurrency(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=300, latency=0.02)
    in_flight = 0
    peak = 0

    async def start(*_: Any) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)

    async def end(*_: Any) -> None:
        nonlocal in_flight
        in_flight -= 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(start)
    trace.on_request_end.append(end)
    trace.on_request_exception.append(end)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with Krill(sim.url, auth=AUTH, session=session) as krill:
            async with krill.isp.cpes.export(concurrency=3, page_size=10, attrs="id") as records:
                n = len([c async for c in records])
    assert n == 300
    assert peak == 3  # saturated, never exceeded


async def test_export_backpressure_when_consumer_is_slow(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        async with krill.isp.cpes.export(concurrency=3, page_size=10) as records:
            await records.__anext__()
            for _ in range(20):  # give the producer every chance to run ahead
                await anyio.sleep(0.01)
            # 20 pages exist; `concurrency` in flight and READ_AHEAD done may be held, no more
            assert records.pages_fetched <= 3 + Export.READ_AHEAD
            rest = [c async for c in records]
    assert len(rest) == len(krill_simulator.network.cpes) - 1


async def test_collection_growing_during_export_is_followed(krill_simulator: KrillSimulator) -> None:
    sim = krill_simulator
    original = len(sim.network.cpes)
    grown: list[int] = []

    def grow(info: Any) -> None:
        # when the last planned page is requested, 25 CPEs appear at the end of the collection
        if info.query.get("offset") == "180" and not grown:
            grown.extend(int(sim.network.add_cpe()["id"]) for _ in range(25))

    sim.add_hook(grow)
    async with Krill(sim.url, auth=AUTH) as krill:
        async with krill.isp.cpes.export(concurrency=4, page_size=20, attrs="id") as records:
            ids = [c.id async for c in records]
            assert records.count == original  # count was read before the growth
    assert len(grown) == 25
    assert ids == cpe_ids(sim)  # the new rows were reached by following `next` after the plan


async def test_empty_and_single_page_results(krill_simulator: KrillSimulator) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        empty = [c async for c in krill.isp.cpes.list(sn="does-not-exist")]
        async with krill.isp.cpes.export(sn="does-not-exist") as records:
            empty_export = [c async for c in records]
            assert records.count == 0
        page = await krill.isp.cpes.list(sn="does-not-exist").first_page()
        fifth = sorted(krill_simulator.network.cpes)[4]
        one = [c.id async for c in krill.isp.cpes.list(id=fifth)]
        async with krill.isp.cpes.export(id=fifth) as records:
            one_export = [c.id async for c in records]
    assert empty == [] and empty_export == [] and page.count == 0 and len(page) == 0
    assert one == one_export == [fifth]


async def test_early_break_cancels_and_leaves_nothing_behind(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=2000, latency=0.05)
    tasks_before = asyncio.all_tasks()
    async with aiohttp.ClientSession() as session:
        async with Krill(sim.url, auth=AUTH, session=session, concurrency=6) as krill:
            async with krill.isp.cpes.export(page_size=20) as records:
                async for n, _cpe in aenumerate(records):
                    if n == 2:
                        break
            assert asyncio.all_tasks() == tasks_before  # no fetch task outlives the block
            connector = session.connector
            assert connector is not None
            assert not connector._acquired  # every connection went back to (or left) the pool
        requests_after_break = len(paged_requests(sim))
        await anyio.sleep(0.2)
        assert len(paged_requests(sim)) == requests_after_break  # nothing keeps fetching
    assert requests_after_break <= 1 + 6


async def test_breaking_a_sequential_loop_holds_no_connection(krill_simulator: KrillSimulator) -> None:
    async with aiohttp.ClientSession() as session, Krill(krill_simulator.url, auth=AUTH, session=session) as krill:
        async for n, _cpe in aenumerate(krill.isp.cpes.list(page_size=10)):
            if n == 1:
                break
        assert session.connector is not None and not session.connector._acquired
    gc.collect()


async def test_error_in_the_middle_of_an_export_surfaces_in_order(krill_simulator: KrillSimulator) -> None:
    from krill_async import NotFound

    sim = krill_simulator

    def vanish(info: Any) -> None:
        if info.query.get("offset") == "100":
            sim.config.users = {}  # the next requests are refused: credentials revoked mid-export

    sim.add_hook(vanish)
    received: list[int | None] = []
    async with Krill(sim.url, auth=AUTH) as krill:
        with pytest.raises(Exception) as info:
            async with krill.isp.cpes.export(concurrency=2, page_size=50, attrs="id") as records:
                async for cpe in records:
                    received.append(cpe.id)
    from krill_async import Unauthorized

    assert isinstance(info.value, Unauthorized) and not isinstance(info.value, NotFound)
    assert received == cpe_ids(sim)[:100]  # everything before the failing page, in order, nothing after


async def test_concurrent_users_share_one_client(krill_simulator: KrillSimulator) -> None:
    ids = cpe_ids(krill_simulator)[:100]
    async with Krill(krill_simulator.url, auth=AUTH, concurrency=4) as krill:
        results: dict[int, int | None] = {}

        async def fetch(i: int) -> None:
            results[i] = (await krill.isp.cpes.get(i, attrs="id")).id

        async with anyio.create_task_group() as tg:
            for i in ids:
                tg.start_soon(fetch, i)
    assert results == {i: i for i in ids}


async def test_outer_cancellation_leaves_nothing_behind(krill_simulator_factory: Any) -> None:
    sim = krill_simulator_factory(cpes=1000, latency=0.05)
    tasks_before = asyncio.all_tasks()
    seen = 0
    async with Krill(sim.url, auth=AUTH, concurrency=4) as krill:
        with anyio.move_on_after(0.3) as scope:
            async with krill.isp.cpes.export(page_size=10) as records:
                async for _ in records:
                    seen += 1
        assert scope.cancelled_caught
        assert asyncio.all_tasks() == tasks_before
    assert 0 < seen < 1000


async def test_consumer_exception_propagates_unwrapped(krill_simulator: KrillSimulator) -> None:
    class Stop(Exception):
        pass

    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        with pytest.raises(Stop):
            async with krill.isp.cpes.export(page_size=10, concurrency=4) as records:
                async for _ in records:
                    raise Stop
        # the client stays usable afterwards
        assert (await krill.isp.cpes.list(page_size=1).first_page()).count == len(krill_simulator.network.cpes)


async def test_export_must_be_entered(krill_simulator: KrillSimulator) -> None:
    from krill_async import KrillError

    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        export = krill.isp.cpes.export()
        with pytest.raises(KrillError, match="async with"):
            await export.__anext__()
