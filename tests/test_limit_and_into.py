"""`limit=` is the most records a query yields; `into=` chooses the decoded type; every other keyword,
`model=` included, is a filter. Checked against a plain aiohttp DRF-like server that logs each request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async import InvalidArgument, Krill

from ._fakes import serve

pytestmark = pytest.mark.anyio

ROWS = [{"id": i, "model": "EG8145V5" if i % 3 == 0 else "HG8245H", "sn": f"sn{i:04d}"} for i in range(1, 501)]


@asynccontextmanager
async def drf(rows: list[dict[str, Any]] = ROWS, *, max_limit: int = 1000) -> AsyncIterator[tuple[str, list[str]]]:
    """A DRF LimitOffsetPagination endpoint with a `model` filter; yields its URL and the request log."""
    log: list[str] = []

    async def cpes(request: web.Request) -> web.Response:
        log.append(request.path_qs)
        query = request.rel_url.query
        selected = [r for r in rows if "model" not in query or r["model"] == query["model"]]
        limit = min(int(query.get("limit", "10")), max_limit)
        offset = int(query.get("offset", "0"))
        page = selected[offset : offset + limit]
        # like DRF: the request's own query with limit/offset replaced, on the internal host
        following_url = request.rel_url.update_query(limit=str(limit), offset=str(offset + limit))
        following = f"http://pre1:4280{following_url}" if offset + limit < len(selected) else None
        return web.json_response({"count": len(selected), "next": following, "previous": None, "results": page})

    async with serve({"/api/v2/isp/cpes/": cpes}) as url:
        yield url, log


async def test_the_vendors_limit_example_sends_one_request_and_yields_three() -> None:
    with anyio.fail_after(10):
        async with drf() as (url, log), Krill(url) as krill:
            records = [c async for c in krill.isp.cpes.list(attrs="id", limit=3, offset=42)]
    assert [c.id for c in records] == [43, 44, 45]
    assert len(log) == 1 and "limit=3" in log[0] and "offset=42" in log[0]


async def test_limit_1_on_a_search_like_query_is_one_request() -> None:
    with anyio.fail_after(10):
        async with drf() as (url, log), Krill(url) as krill:
            first = await krill.isp.cpes.list(limit=1).collect()
    assert len(first) == 1 and len(log) == 1


async def test_limit_across_pages_asks_only_for_what_is_still_wanted() -> None:
    with anyio.fail_after(10):
        async with drf() as (url, log), Krill(url) as krill:
            records = await krill.isp.cpes.list(limit=250, page_size=100).collect()
    assert [c.id for c in records] == list(range(1, 251))
    assert [q.split("limit=")[1].split("&")[0] for q in log] == ["100", "100", "50"]


async def test_limit_bounds_an_export_too() -> None:
    with anyio.fail_after(10):
        async with drf() as (url, log), Krill(url) as krill:
            async with krill.isp.cpes.export(limit=230, page_size=50, concurrency=4) as records:
                ids = [c.id async for c in records]
            async with krill.isp.cpes.export(limit=230, page_size=50, ordered=False) as records:
                unordered = sorted([c.id async for c in records])
    assert ids == list(range(1, 231)) and unordered == ids
    assert len(log) == 10  # 5 requests per export: 50, 50, 50, 50, 30
    assert sum("limit=30" in q for q in log) == 2


async def test_page_size_without_limit_reads_everything() -> None:
    with anyio.fail_after(10):
        async with drf() as (url, log), Krill(url) as krill:
            records = await krill.isp.cpes.list(page_size=200).collect()
    assert len(records) == 500 and len(log) == 3


async def test_model_is_a_filter_like_any_other_field() -> None:
    with anyio.fail_after(10):
        async with drf() as (url, log), Krill(url) as krill:
            chosen = await krill.isp.cpes.list(model="EG8145V5", attrs="id,model").collect()
            raw = await krill.isp.cpes.list(model="EG8145V5", into=dict, limit=2).collect()
    assert chosen and all(c.model == "EG8145V5" for c in chosen) and len(chosen) == len(ROWS) // 3
    assert all("model=EG8145V5" in q for q in log)
    assert raw == [r for r in ROWS if r["model"] == "EG8145V5"][:2]


async def test_a_type_given_as_a_filter_says_to_use_into() -> None:
    async with Krill("http://127.0.0.1:9") as krill:
        with pytest.raises(InvalidArgument, match="into="):
            krill.isp.cpes.list(model=dict)
        with pytest.raises(InvalidArgument, match="limit"):
            krill.isp.cpes.list(limit=-1)
