"""Review 2 attacks on the export read-ahead (36f9759): requests in flight, memory, early exit, lying counts.

Every server is the test's own (tests/_hostile.serve), counting requests in flight at the server.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async._export import Export

from ._hostile import client, cpe, json_response, page, serve

pytestmark = pytest.mark.anyio

ROWS = [cpe(i) for i in range(48)]


class Meter:
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def __enter__(self) -> Meter:
        self.now += 1
        self.peak = max(self.peak, self.now)
        return self

    def __exit__(self, *exc: object) -> None:
        self.now -= 1


def short_pages(meter: Meter) -> Any:
    """Every page of 4 answers 3 records (``next`` set): the consumer re-reads the 4th (fill_gap)."""

    async def handler(request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "10"))
        offset = int(request.query.get("offset", "0"))
        with meter:
            await anyio.sleep(0.05)
            if limit == 4 and offset and offset + 4 < len(ROWS):  # a short page: one record missing, next set
                nxt = f"/api/v2/isp/cpes/?limit=4&offset={offset + 4}"
                return json_response(
                    {"count": len(ROWS), "next": nxt, "previous": None, "results": ROWS[offset : offset + 3]}
                )
            return page(request, ROWS)

    return handler


@pytest.mark.parametrize(
    ("options", "export_concurrency"),
    [({"concurrency": 8}, 2), ({"concurrency": 2, "reserve": 0}, None)],
    ids=["the-export's-concurrency", "the-client's-limit"],
)
async def test_short_pages_refilled_while_pages_are_in_flight_stay_within_concurrency(
    options: dict[str, Any], export_concurrency: int | None
) -> None:
    """The re-read of a short page, made while ``concurrency`` fetches are in flight, is a request of the
    export like any other: within the export's concurrency, and within the client's own limit."""
    meter = Meter()
    with anyio.fail_after(20):
        async with serve(short_pages(meter)) as srv, client(srv.url, **options) as krill:
            async with krill.isp.cpes.export(concurrency=export_concurrency, page_size=4) as records:
                ids = [r.id async for r in records]
    assert ids == list(range(48))
    assert meter.peak <= 2, f"{meter.peak} requests in flight at the server, the bound is 2"


async def test_failing_pages_retried_under_read_ahead_stay_within_concurrency() -> None:
    """Every page fails once (503) and is retried while read-ahead holds done pages."""
    meter = Meter()
    failed: set[int] = set()

    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        with meter:
            await anyio.sleep(0.03)
            if offset and offset not in failed:
                failed.add(offset)
                return json_response({"detail": "busy"}, status=503)
            return page(request, ROWS)

    with anyio.fail_after(20):
        async with serve(handler) as srv, client(srv.url, concurrency=8) as krill:
            async with krill.isp.cpes.export(concurrency=3, page_size=4) as records:
                ids = [r.id async for r in records]
    assert ids == list(range(48))
    assert meter.peak <= 3


async def test_pages_held_never_exceed_concurrency_plus_read_ahead_with_a_stalled_consumer() -> None:
    served: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        served.append(int(request.query.get("offset", "0")))
        return page(request, ROWS)

    with anyio.fail_after(20):
        async with serve(handler) as srv, client(srv.url, concurrency=8) as krill:
            async with krill.isp.cpes.export(concurrency=2, page_size=2) as records:
                it = records.__aiter__()
                first = await it.__anext__()
                await anyio.sleep(0.5)  # the consumer stalls on page 0
                asked = len(served)
                await it.aclose()
    assert first.id == 0
    # page 0 (held by the consumer) + the others held done: concurrency + READ_AHEAD in all
    assert asked <= 2 + Export.READ_AHEAD, asked


async def test_break_early_closes_connections_and_leaves_no_task() -> None:
    """Slow pages in flight when the consumer breaks: the server sees them cancelled, no task remains."""
    started = cancelled = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal started, cancelled
        offset = int(request.query.get("offset", "0"))
        if offset == 0:
            return page(request, ROWS)
        started += 1
        try:
            await anyio.sleep(5)
        except asyncio.CancelledError:
            cancelled += 1  # handler_cancellation=True: the client closed the connection
            raise
        return page(request, ROWS)

    with anyio.fail_after(20):
        async with serve(handler) as srv, client(srv.url, concurrency=8) as krill:
            before = set(asyncio.all_tasks())
            async with krill.isp.cpes.export(concurrency=3, page_size=4) as records:
                async for record in records:
                    if record.id == 3:
                        await anyio.sleep(0.3)  # let the next three requests reach the server
                        break
            await anyio.sleep(0.3)
            left = [t for t in asyncio.all_tasks() - before if not t.done()]
            assert not left, left
            assert started == 3 and cancelled == 3, (started, cancelled)
            connector = krill.transport._get_session().connector
            assert connector is not None
            assert not any(connector._acquired_per_host.values())  # type: ignore[attr-defined]


async def test_a_transiently_empty_page_is_reported_not_lost_in_silence(caplog: pytest.LogCaptureFixture) -> None:
    """Ordered: page at offset 8 is empty once (next set), the pages after it are whole."""
    caplog.set_level(logging.WARNING, logger="krill_async")
    emptied: set[int] = set()

    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        if offset == 8 and offset not in emptied:
            emptied.add(offset)
            nxt = "/api/v2/isp/cpes/?limit=4&offset=12"
            return json_response({"count": len(ROWS), "next": nxt, "previous": None, "results": []})
        return page(request, ROWS)

    for ordered in (True, False):
        emptied.clear()
        with anyio.fail_after(20):
            async with serve(handler) as srv, client(srv.url, concurrency=8) as krill:
                async with krill.isp.cpes.export(concurrency=2, page_size=4, ordered=ordered) as records:
                    ids = sorted([r.id async for r in records])
                    resume = records.resume_point
                drift = records.drift
        if ids != list(range(48)):
            assert drift is not None and drift.ended_early_at == 8, (ordered, drift)
            assert 8 not in ids
            assert resume.offset == 8  # a resume re-reads what was not yielded


async def test_unordered_resume_and_consistent_still_work() -> None:
    async def handler(request: web.Request) -> web.Response:
        return page(request, ROWS)

    with anyio.fail_after(20):
        async with serve(handler) as srv, client(srv.url, concurrency=8) as krill:
            async with krill.isp.cpes.export(concurrency=2, page_size=4, ordered=False) as records:
                got = []
                async for r in records:
                    got.append(r.id)
                    if len(got) == 10:
                        break
                point = records.resume_point
            async with krill.isp.cpes.export(concurrency=2, page_size=4, ordered=False, resume=point) as rest:
                more = [r.id async for r in rest]
            assert sorted(set(got) | set(more)) == list(range(48))
            async with krill.isp.cpes.export(concurrency=2, page_size=4, consistent=True) as records:
                ids = [r.id async for r in records]
            assert ids == list(range(48))
