"""Promise 5: paging does not trust the server.

A lying ``count``, a short page in the middle, rows inserted during an export, a projection that leaves
the key out, unordered resumes at page boundaries and at random points: each against a server of the
test's own that counts every request.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async import KrillError, PaginationError, ResumePoint

from ._hostile import client, cpe, json_response, page, serve

pytestmark = pytest.mark.anyio


def list_requests(srv: Any) -> list[Any]:
    return [s for s in srv.log if s.raw_path.startswith("/api/v2/isp/cpes/?") or s.raw_path == "/api/v2/isp/cpes/"]


@pytest.mark.parametrize("ordered", [True, False])
async def test_a_lying_count_ends_the_export(ordered: bool) -> None:
    with anyio.fail_after(10):
        rows = [cpe(i) for i in range(1, 26)]

        async def handler(request: web.Request) -> web.Response:
            return page(request, rows, count=10**15)

        async with serve(handler) as srv, client(srv.url) as krill:
            async with krill.isp.cpes.export(page_size=10, concurrency=4, ordered=ordered) as records:
                ids = [r.id async for r in records]
            assert sorted(ids) == list(range(1, 26))
            assert len(srv.log) < 4 + 5
            assert records.drift is not None
            assert records.drift.ended_early_at is not None
            assert records.drift.changed


async def test_a_lying_count_ends_the_sequential_iterator() -> None:
    with anyio.fail_after(10):
        rows = [cpe(i) for i in range(1, 26)]

        async def handler(request: web.Request) -> web.Response:
            return page(request, rows, count=10**15)

        async with serve(handler) as srv, client(srv.url) as krill:
            ids = [r.id async for r in krill.isp.cpes.list(attrs="id", page_size=10)]
            assert ids == list(range(1, 26))
            assert len(srv.log) <= 6  # pages 0, 10, 20, a re-read of the short one, the empty page at 30


def short_page_server(rows: list[dict[str, Any]]) -> Any:
    async def handler(request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "10"))
        offset = int(request.query.get("offset", "0"))
        response = page(request, rows)
        if offset == 30 and limit == 10:  # this page comes back short; no data changed
            return page_with(request, rows, offset, 7, next_offset=40, limit=10)
        return response

    return handler


def page_with(
    request: web.Request, rows: list[dict[str, Any]], offset: int, n: int, *, next_offset: int, limit: int
) -> web.Response:
    nxt = str(request.url.update_query(limit=limit, offset=next_offset))
    return json_response({"count": len(rows), "next": nxt, "previous": None, "results": rows[offset : offset + n]})


@pytest.mark.parametrize("ordered", [True, False])
async def test_a_short_page_in_the_middle_loses_nothing(ordered: bool) -> None:
    with anyio.fail_after(10):
        rows = [cpe(i) for i in range(1, 101)]
        async with serve(short_page_server(rows)) as srv, client(srv.url) as krill:
            async with krill.isp.cpes.export(page_size=10, concurrency=4, ordered=ordered) as records:
                ids = [r.id async for r in records]
            assert sorted(ids) == list(range(1, 101))
            if ordered:
                assert ids == list(range(1, 101))
            assert records.drift is not None
            assert records.drift.short_pages == 1
            assert records.drift.reread == 3 and records.drift.unread == 0
            assert records.drift.duplicates_seen == 0


async def test_a_short_page_in_the_middle_loses_nothing_sequentially() -> None:
    with anyio.fail_after(10):
        rows = [cpe(i) for i in range(1, 101)]
        async with serve(short_page_server(rows)) as srv, client(srv.url) as krill:
            ids = [r.id async for r in krill.isp.cpes.list(page_size=10)]
            assert ids == list(range(1, 101))


@pytest.mark.parametrize("ordered", [True, False])
async def test_rows_inserted_during_an_export_are_reported(ordered: bool) -> None:
    with anyio.fail_after(10):
        rows = [cpe(i) for i in range(1, 51)]
        inserted = False

        async def handler(request: web.Request) -> web.Response:
            nonlocal inserted
            response = page(request, rows)
            if not inserted:
                inserted = True
                rows[:0] = [cpe(i) for i in range(1001, 1006)]  # five new rows in front: the rest shift
            return response

        async with serve(handler) as srv, client(srv.url) as krill:
            async with krill.isp.cpes.export(page_size=10, concurrency=2, ordered=ordered) as records:
                [r async for r in records]
            drift = records.drift
            assert drift is not None
            assert drift.changed
            assert drift.duplicates_seen > 0 or drift.count_at_start != drift.count_at_end
            assert "consistent=True" in drift.summary()


async def test_a_consistent_export_adds_the_key_to_a_projection() -> None:
    with anyio.fail_after(10):
        rows = [cpe(i) for i in range(1, 101)]

        async def handler(request: web.Request) -> web.Response:
            attrs = request.query.get("attrs")
            shown = rows if attrs is None else [{k: r[k] for k in attrs.split(",") if k in r} for r in rows]
            return page(request, shown)

        async with serve(handler) as srv, client(srv.url) as krill:
            async with krill.isp.cpes.list(attrs="sn").export(page_size=10, concurrency=4, consistent=True) as recs:
                sns = [r.sn async for r in recs]
            assert sorted(sns) == sorted(r["sn"] for r in rows)
            assert recs.drift is not None and recs.drift.recovered == 0 and recs.drift.duplicates_skipped == 0
            listed = list_requests(srv)
            assert listed and all("id" in s.query.get("attrs", "id").split(",") for s in listed)
            assert not [s for s in srv.log if s.raw_path.rstrip("/").rsplit("/", 1)[-1].isdigit()]  # no single GET


def shuffled_server(rows: list[dict[str, Any]]) -> Any:
    """Pages finish out of order: the first ones are the slowest."""

    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        await asyncio.sleep(max(0, 40 - offset) / 1000)
        return page(request, rows)

    return handler


async def run_unordered(krill: Any, stop_after: int | None, resume: ResumePoint | None) -> tuple[list[int], Any]:
    ids: list[int] = []
    async with krill.isp.cpes.export(page_size=10, concurrency=4, ordered=False, resume=resume) as records:
        async for record in records:
            ids.append(record.id)
            if stop_after is not None and len(ids) >= stop_after:
                break
        return ids, records.resume_point


async def test_an_unordered_export_stopped_at_a_page_boundary_resumes_exactly() -> None:
    with anyio.fail_after(10):
        rows = [cpe(i) for i in range(1, 201)]
        async with serve(shuffled_server(rows)) as srv, client(srv.url) as krill:
            first, point = await run_unordered(krill, 30, None)  # exactly three pages
            second, _ = await run_unordered(krill, None, point)
            together = first + second
            assert sorted(together) == list(range(1, 201)), (point, len(together))


async def test_unordered_resumes_at_random_points_never_fail_nor_repeat() -> None:
    with anyio.fail_after(25):
        rows = [cpe(i) for i in range(1, 201)]
        rng = random.Random(20261201)
        async with serve(shuffled_server(rows)) as srv, client(srv.url) as krill:
            for _ in range(20):
                stop = rng.randrange(1, 200)
                first, point = await run_unordered(krill, stop, None)
                try:
                    second, _ = await run_unordered(krill, None, point)
                except PaginationError as exc:  # pragma: no cover - the promise under test
                    pytest.fail(f"resuming after {stop} records at {point} raised {exc!r}")
                together = first + second
                assert sorted(together) == list(range(1, 201)), (stop, point)


async def test_the_sequential_iterator_ends_against_short_pages_with_a_constant_next_link() -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            results = [cpe(1)]
            return json_response({"count": 30, "next": "/api/v2/isp/cpes/?limit=10&offset=10", "results": results})

        async with serve(handler) as srv, client(srv.url) as krill:
            try:
                async for _ in krill.isp.cpes.list(page_size=10):
                    if len(srv.log) > 100:
                        pytest.fail(f"still paging after {len(srv.log)} requests: {srv.paths()[-1]}")
            except KrillError:
                pass  # a PaginationError is a fine end
            assert len(srv.log) < 20


@pytest.mark.parametrize("ordered", [True, False])
async def test_a_last_page_without_next_before_its_count_is_reported(
    ordered: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A pagination class (or a proxy) that drops ``next`` while its own ``count`` says more follow: the
    export follows the links, as DRF's contract says, and reports the records the count promised."""
    rows = [cpe(i) for i in range(1, 61)]
    dropped_after = {"offset": 20}

    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "10"))
        answer = page(request, rows[: offset + limit], count=60)  # count 60, but no next past `offset`
        if offset >= dropped_after["offset"]:
            body = json.loads(answer.body)  # type: ignore[arg-type]
            return json_response({**body, "next": None})
        return answer

    with anyio.fail_after(10), caplog.at_level("WARNING", logger="krill_async"):
        async with serve(handler) as srv, client(srv.url) as krill:
            dropped_after["offset"] = 0  # the first page already drops it: nothing planned from count
            async with krill.isp.cpes.export(page_size=20, ordered=ordered) as records:
                ids = [r.id async for r in records]
            assert ids == list(range(1, 21)) and records.drift is not None
            assert records.drift.changed and records.drift.unlinked_at == 20
            assert "linked no next page although its own count said more follow" in caplog.text
            assert "consistent=True" not in records.drift.summary()  # it would not help
            dropped_after["offset"] = 40  # planned from count: every page is asked for anyway
            async with krill.isp.cpes.export(page_size=20, ordered=ordered) as records:
                assert sorted([r.id async for r in records]) == list(range(1, 61))
            assert records.drift is not None and not records.drift.changed
            dropped_after["offset"] = 0
            async with krill.isp.cpes.export(page_size=20, ordered=ordered, limit=20) as records:
                assert len([r async for r in records]) == 20  # the limit was reached: nothing missing
            assert records.drift is not None and records.drift.unlinked_at is None


async def test_a_last_page_without_next_before_its_count_is_logged_by_the_sequential_iterator(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = [cpe(i) for i in range(1, 61)]

    async def handler(request: web.Request) -> web.Response:
        body = json.loads(page(request, rows).body)  # type: ignore[arg-type]
        return json_response({**body, "next": None})  # count 60, never a next link

    with anyio.fail_after(10), caplog.at_level("WARNING", logger="krill_async"):
        async with serve(handler) as srv, client(srv.url) as krill:
            assert len([r async for r in krill.isp.cpes.list(page_size=20)]) == 20
            assert "links no next page although its count is 60" in caplog.text
            caplog.clear()
            assert len([r async for r in krill.isp.cpes.list(page_size=20, limit=20)]) == 20
            assert "links no next page" not in caplog.text  # the limit was reached: nothing missing


@pytest.mark.parametrize("consistent", [False, True])
async def test_a_row_deleted_between_drfs_count_and_its_slice_is_no_broken_paging(
    consistent: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """DRF counts and slices in two queries: a delete between them leaves the last page short of its count
    with no next link, which is correct (``offset + limit >= count``), not a server to report."""
    rows = [cpe(i) for i in range(1, 101)]

    async def handler(request: web.Request) -> web.Response:
        if "id__in" in request.query or request.query.get("attrs") == "id":
            return page(request, rows[:97])  # (a consistent export's re-read of the ids)
        if int(request.query.get("offset", "0")) >= 80:
            body = json.loads(page(request, rows).body)  # type: ignore[arg-type]
            return json_response({**body, "results": body["results"][:17]})  # count 100, 97 really
        return page(request, rows)

    with anyio.fail_after(10), caplog.at_level("WARNING", logger="krill_async"):
        async with serve(handler) as srv, client(srv.url) as krill:
            async with krill.isp.cpes.export(page_size=20, consistent=consistent) as records:
                assert len([r async for r in records]) == 97
            assert records.drift is not None and records.drift.unlinked_at is None
            assert "linked no next page" not in caplog.text and "links no next page" not in caplog.text
            assert len([r async for r in krill.isp.cpes.list(page_size=20)]) == 97
            assert "links no next page" not in caplog.text


async def test_a_consistent_export_logs_its_drift_too(caplog: pytest.LogCaptureFixture) -> None:
    rows = [cpe(i) for i in range(1, 41)]
    served = {"pages": 0}

    async def handler(request: web.Request) -> web.Response:
        served["pages"] += 1
        if served["pages"] == 2:
            rows.insert(0, cpe(1000))  # a row inserted during the export: the count drifts
        return page(request, rows)

    with anyio.fail_after(10), caplog.at_level("WARNING", logger="krill_async"):
        async with serve(handler) as srv, client(srv.url) as krill:
            async with krill.isp.cpes.export(page_size=10, consistent=True) as records:
                [r async for r in records]
            assert records.drift is not None and records.drift.changed
            assert "drifted: " + records.drift.summary() in caplog.text
