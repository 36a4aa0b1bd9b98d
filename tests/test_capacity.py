"""The simulator's capacity model: workers, a bounded FIFO queue, rejections, counters (no timing)."""

from __future__ import annotations

import argparse
import asyncio
import base64

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from krill_async.testing import KrillSimulator
from krill_async.testing._capacity import (
    CapacityConfig,
    Overloaded,
    ServerCapacity,
    add_capacity_arguments,
    capacity_config,
    capacity_flags,
    make_capacity_app,
)

AUTH = {"Authorization": "Basic " + base64.b64encode("usuario:contraseña".encode()).decode()}


class Gate:
    """A service "sleep" that lasts until the test opens the gate: workers are held deterministically."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.entered = asyncio.Event()
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.entered.set()
        await self.open.wait()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_service_time_grows_with_records_and_offset() -> None:
    config = CapacityConfig(base=0.002, per_record=0.0002, per_offset=1e-6, max_records=1000)
    assert config.service_time(500) == pytest.approx(0.102)
    assert config.service_time(500, offset=10_000) == pytest.approx(0.112)
    assert config.service_time(5000) == config.service_time(1000)  # the server caps limit
    assert config.service_time(0) == config.service_time(1)


@pytest.mark.anyio
async def test_workers_queue_and_rejections() -> None:
    gate = Gate()
    capacity = ServerCapacity(CapacityConfig(workers=2, queue_limit=1), sleep=gate)
    tasks = [asyncio.ensure_future(capacity.serve(500)) for _ in range(3)]
    await settle()
    assert (capacity.busy, capacity.queued) == (2, 1)
    with pytest.raises(Overloaded):
        await capacity.serve(1)  # the queue is full: answered at once
    gate.open.set()
    await asyncio.gather(*tasks)
    stats = capacity.stats
    assert (stats.served, stats.rejected, stats.peak_busy, stats.peak_queue) == (3, 1, 2, 1)
    assert stats.busy_seconds == pytest.approx(3 * CapacityConfig().service_time(500))
    assert capacity.busy == 0 and capacity.queued == 0


@pytest.mark.anyio
async def test_queue_is_fifo_and_workers_can_be_added_live() -> None:
    gate = Gate()
    capacity = ServerCapacity(CapacityConfig(workers=1, queue_limit=None), sleep=gate)
    tasks = [asyncio.ensure_future(capacity.serve(i)) for i in range(1, 6)]
    await settle()
    assert (capacity.busy, capacity.queued) == (1, 4)
    capacity.resize(3)
    assert (capacity.busy, capacity.queued) == (3, 2)
    gate.open.set()
    await asyncio.gather(*tasks)
    assert gate.asked == [capacity.config.service_time(i) for i in range(1, 6)]  # served in arrival order
    assert capacity.stats.peak_busy == 3


@pytest.mark.anyio
async def test_a_client_that_gives_up_leaves_the_queue() -> None:
    gate = Gate()
    capacity = ServerCapacity(CapacityConfig(workers=1, queue_limit=1), sleep=gate)
    first = asyncio.ensure_future(capacity.serve(1))
    waiting = asyncio.ensure_future(capacity.serve(1))
    await settle()
    waiting.cancel()
    await settle()
    assert capacity.queued == 0
    later = asyncio.ensure_future(capacity.serve(1))  # the freed place in the queue is usable
    await settle()
    assert capacity.queued == 1
    gate.open.set()
    await asyncio.gather(first, later)
    assert capacity.busy == 0 and capacity.stats.served == 2


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "retry_after"), [(503, None), (429, 2.0)])
async def test_over_http_the_full_server_answers_503_or_429(status: int, retry_after: float | None) -> None:
    gate = Gate()
    config = CapacityConfig(workers=1, queue_limit=0, reject_status=status, retry_after=retry_after)  # type: ignore[arg-type]
    capacity = ServerCapacity(config, sleep=gate)
    server = TestServer(make_capacity_app(KrillSimulator(), capacity))
    await server.start_server()
    try:
        async with aiohttp.ClientSession(headers=AUTH) as session:
            page = asyncio.ensure_future(session.get(server.make_url("/api/v2/isp/cpes/?limit=50&offset=100")))
            await asyncio.wait_for(gate.entered.wait(), 10)
            assert gate.asked == [config.service_time(50, 100)]
            async with session.get(server.make_url("/api/v2/isp/cpes/1/")) as rejected:
                assert rejected.status == status
                assert rejected.headers.get("Retry-After") == (None if retry_after is None else "2")
                assert "detail" in await rejected.json()
            async with session.get(server.make_url("/_capacity")) as control:  # control paths skip the model
                stats = (await control.json())["stats"]
            assert stats["rejected"] == 1 and stats["peak_busy"] == 1
            gate.open.set()
            async with await page as answer:
                assert answer.status == 200
                body = await answer.json()
            assert len(body["results"]) == 50 and body["count"] == 200
            async with session.post(server.make_url("/_capacity"), json={"workers": 4, "reset": True}) as changed:
                assert (await changed.json())["stats"]["served"] == 0
            assert capacity.config.workers == 4
    finally:
        await server.close()


def test_command_line_flags() -> None:
    parser = argparse.ArgumentParser()
    add_capacity_arguments(parser)
    flags = "--workers 4 --service-base-ms 1 --service-per-record-ms 0.2 --wire-latency-ms 30 --reject-status 429"
    args = parser.parse_args(flags.split(" "))
    config = capacity_config(args)
    assert (config.workers, config.reject_status) == (4, 429)
    assert config.service_time(500) == pytest.approx(0.101)
    assert config.latency_before == config.latency_after == pytest.approx(0.015)


@pytest.mark.anyio
async def test_latency_on_the_wire_holds_no_worker() -> None:
    wire, service = Gate(), Gate()
    config = CapacityConfig(workers=1, queue_limit=0, latency_before=0.015, latency_after=0.015)
    capacity = ServerCapacity(config, sleep=service, wire=wire)
    server = TestServer(make_capacity_app(KrillSimulator(), capacity))
    await server.start_server()
    try:
        async with aiohttp.ClientSession(headers=AUTH) as session:
            travelling = [asyncio.ensure_future(session.get(server.make_url("/api/v2/isp/cpes/1/"))) for _ in range(3)]
            await asyncio.wait_for(wire.entered.wait(), 10)
            await settle()
            assert capacity.in_flight == 3 and capacity.busy == 0  # all three on the wire, no worker taken
            assert wire.asked == [0.015] * 3
            wire.open.set()
            service.open.set()
            for request in travelling:
                async with await request as answer:
                    assert answer.status in (200, 503)
            stats = capacity.stats
            assert stats.served + stats.rejected == 3 and stats.peak_in_flight == 3
    finally:
        await server.close()


def test_flags_round_trip() -> None:
    parser = argparse.ArgumentParser()
    add_capacity_arguments(parser)
    for config in (
        CapacityConfig(workers=3, base=0.001, per_record=0.0003, per_offset=2e-6, queue_limit=None, retry_after=None),
        CapacityConfig(workers=16, reject_status=429, latency_before=0.02, latency_after=0.02),
    ):
        again = capacity_config(parser.parse_args(capacity_flags(config)))
        assert again.service_time(500, 1000) == pytest.approx(config.service_time(500, 1000))
        assert (again.workers, again.queue_limit, again.reject_status, again.retry_after) == (
            config.workers,
            config.queue_limit,
            config.reject_status,
            config.retry_after,
        )
        assert again.latency_before + again.latency_after == pytest.approx(config.latency_before + config.latency_after)
