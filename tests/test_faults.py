"""The fault matrix: a 20,000-CPE export under every injected fault.

Transient faults (a share of requests): the export completes with exactly the server's ids. Persistent
faults: it fails with the right typed error and a resume point, and resuming completes the set with no
record yielded twice. Afterwards: no task, connection or unretrieved exception is left behind.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anyio
import anyio.lowlevel
import pytest

from krill_async import (
    ConnectError,
    DecodeError,
    JWTLogin,
    Krill,
    KrillError,
    RequestTimeout,
    ResumePoint,
    RetryPolicy,
    ServerError,
    Throttled,
    Timeout,
)
from krill_async.testing import KrillSimulator, Network, SimulatorConfig

pytestmark = pytest.mark.anyio

AUTH = ("usuario", "contraseña")
CPES = 20_000
PAGE = 500
FAST = RetryPolicy(attempts=6, backoff=0.01, max_backoff=0.05, max_retry_after=1.0)
TIMEOUT = Timeout(total=10, connect=2, read=0.3)


@pytest.fixture(scope="module")
def network() -> Network:
    return Network.generate(seed=5, cpes=CPES)


@pytest.fixture
def sim(network: Network) -> Iterator[KrillSimulator]:
    simulator = KrillSimulator(SimulatorConfig(seed=5, cpes=CPES), network)
    with simulator.run_in_thread():
        yield simulator


@asynccontextmanager
async def checked_client(url: str, **options: Any) -> AsyncIterator[Krill]:
    """A client whose teardown proves nothing was left behind."""
    loop = asyncio.get_running_loop()
    loop_errors: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    tasks_before = asyncio.all_tasks()
    try:
        async with aiohttp.ClientSession() as session:
            async with Krill(url, session=session, **options) as krill:
                yield krill
            assert asyncio.all_tasks() == tasks_before, "a task outlived the export"
            assert session.connector is not None and not session.connector._acquired, "a connection is held"
    finally:
        import gc

        gc.collect()
        await anyio.lowlevel.checkpoint()
        loop.set_exception_handler(previous)
    assert loop_errors == [], f"unretrieved errors: {loop_errors}"


async def export_ids(krill: Krill, **options: Any) -> list[int]:
    async with krill.isp.cpes.export(page_size=PAGE, concurrency=6, **options) as records:
        return [cpe.id async for cpe in records if cpe.id is not None]


TRANSIENT = [
    pytest.param({"kind": "status", "status": 500}, id="500"),
    pytest.param({"kind": "status", "status": 503}, id="503"),
    pytest.param({"kind": "throttle", "retry_after": 0.05}, id="429-burst"),
    pytest.param({"kind": "nginx", "status": 502}, id="nginx-502"),
    pytest.param({"kind": "nginx", "status": 504}, id="nginx-504"),
    pytest.param({"kind": "reset"}, id="reset-mid-body"),
    pytest.param({"kind": "truncate"}, id="truncated-json"),
    pytest.param({"kind": "invalid_json"}, id="invalid-json-200"),
    pytest.param({"kind": "wrong_content_type"}, id="html-200"),
    pytest.param({"kind": "slow_body", "delay": 0.6}, id="slow-body"),
]


@pytest.mark.parametrize("fault", TRANSIENT)
async def test_transient_fault_export_is_exact(sim: KrillSimulator, fault: dict[str, Any]) -> None:
    injected = sim.inject(path="/isp/cpes", rate=0.1, seed=3, **fault)
    async with checked_client(sim.url, auth=AUTH, retry=FAST, timeout=TIMEOUT) as krill:
        ids = await export_ids(krill)
        assert krill.stats.retries >= injected.injected > 0
        assert krill.stats.failures == 0
    assert ids == sorted(sim.network.cpes)  # exactly the server's set, in order, nothing twice


async def test_token_expiry_mid_export(sim: KrillSimulator) -> None:
    expiry = sim.inject("expire_tokens", path="/isp/cpes", after=5, times=3, rate=0.3, seed=8)
    async with checked_client(sim.url, auth=JWTLogin(*AUTH), retry=FAST, timeout=TIMEOUT) as krill:
        ids = await export_ids(krill)
    assert ids == sorted(sim.network.cpes)
    assert expiry.injected == 3 and sim.stats.refreshes >= 1


PERSISTENT = [
    pytest.param({"kind": "status", "status": 503}, ServerError, id="503"),
    pytest.param({"kind": "nginx", "status": 502}, ServerError, id="nginx-502"),
    pytest.param({"kind": "throttle", "retry_after": 3600}, Throttled, id="429-retry-after-too-long"),
    pytest.param({"kind": "reset"}, ConnectError, id="reset"),
    pytest.param({"kind": "invalid_json"}, DecodeError, id="invalid-json"),
    pytest.param({"kind": "slow_body", "delay": 0.6}, RequestTimeout, id="slow-body"),
]


@pytest.mark.parametrize(("fault", "error"), PERSISTENT)
@pytest.mark.parametrize("ordered", [True, False])
async def test_persistent_fault_fails_typed_then_resumes(
    sim: KrillSimulator, fault: dict[str, Any], error: type[KrillError], ordered: bool
) -> None:
    injected = sim.inject(path="/isp/cpes", after=13, **fault)  # the server breaks down after 13 pages
    first_run: list[int] = []
    async with checked_client(sim.url, auth=AUTH, retry=FAST, timeout=TIMEOUT) as krill:
        with pytest.raises(error) as info:
            async with krill.isp.cpes.export(page_size=PAGE, concurrency=4, ordered=ordered) as records:
                async for cpe in records:
                    assert cpe.id is not None
                    first_run.append(cpe.id)
    point = info.value.resume_point
    assert isinstance(point, ResumePoint) and injected.injected > 0
    assert 0 < len(first_run) < CPES
    if ordered:
        assert point.offset == len(first_run) and not point.done_offsets
    sim.clear_faults()  # the server recovers
    async with checked_client(sim.url, auth=AUTH, retry=FAST, timeout=TIMEOUT) as krill:
        second_run = await export_ids(krill, ordered=ordered, resume=point)
    both = first_run + second_run
    assert len(both) == len(set(both)) == CPES  # each record exactly once across the two runs
    assert sorted(both) == sorted(sim.network.cpes)


async def test_resume_after_a_break_in_an_unordered_export(sim: KrillSimulator) -> None:
    first_run: list[int] = []
    async with checked_client(sim.url, auth=AUTH) as krill:
        async with krill.isp.cpes.export(page_size=PAGE, concurrency=5, ordered=False) as records:
            async for cpe in records:
                assert cpe.id is not None
                first_run.append(cpe.id)
                if len(first_run) == 7_777:  # in the middle of a page
                    point = records.resume_point
                    break
        assert point.partial_page is not None
        second_run = await export_ids(krill, ordered=False, resume=point)
    both = first_run + second_run
    assert len(both) == len(set(both)) == CPES


async def test_rows_inserted_and_deleted_mid_export_consistent_mode(sim: KrillSimulator) -> None:
    start_ids = set(sim.network.cpes)
    # rows change while the first pages are read (first matching fault acts; each stops after 6 times)
    inserts = sim.inject("insert_rows", path="/isp/cpes", rate=0.5, rows=40, times=6, after=1, seed=1)
    deletes = sim.inject("delete_rows", path="/isp/cpes", rate=0.5, rows=40, times=6, after=1, seed=2)
    async with checked_client(sim.url, auth=AUTH) as krill:
        async with krill.isp.cpes.export(page_size=PAGE, concurrency=4, consistent=True) as records:
            ids = [cpe.id async for cpe in records]
            drift = records.drift
    sim.clear_faults()
    end_ids = set(sim.network.cpes)
    assert len(ids) == len(set(ids))  # at most once
    assert end_ids <= set(ids)  # every row present at the end was yielded (missed ones recovered)
    assert set(ids) - end_ids <= start_ids  # extra ids are rows deleted while the export ran
    assert inserts.injected == deletes.injected == 6
    assert drift is not None and drift.changed
    assert drift.count_at_start == len(start_ids) and drift.count_at_end == len(end_ids)
    assert drift.yielded == len(ids)


async def test_plain_export_under_mutation_reports_nothing_but_stays_loop_free(sim: KrillSimulator) -> None:
    sim.inject("delete_rows", path="/isp/cpes", rate=0.3, rows=50, seed=9)
    async with checked_client(sim.url, auth=AUTH) as krill:
        ids = await export_ids(krill)
    assert ids and len(ids) <= CPES  # offset paging may skip rows: that is what consistent=True is for


async def test_cancellation_at_random_points_leaves_nothing(sim: KrillSimulator) -> None:
    sim.config.latency = 0.01
    sim.inject("status", path="/isp/cpes", rate=0.05, status=503, seed=4)
    rng = random.Random(11)
    for _ in range(8):
        async with checked_client(sim.url, auth=AUTH, retry=FAST, timeout=TIMEOUT) as krill:
            with anyio.move_on_after(rng.uniform(0.0, 0.4)):
                await export_ids(krill, ordered=rng.random() < 0.5)
