"""Property-based fuzzing of the decode and pagination layers: hostile bodies, headers and links.

Whatever the server sends, only ``KrillError`` subclasses may escape. The ``ci`` profile (default) keeps
this fast; run the long profile on demand (>= 10,000 examples per target):

    KRILL_FUZZ_PROFILE=long pytest tests/test_fuzz.py
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import msgspec
import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from yarl import URL

from krill_async import NO_RETRIES, Cpe, Krill, KrillError, Timeout
from krill_async._decode import decode_body, decode_page
from krill_async._pagination import make_page
from krill_async._paging import LinkGuard, effective_page_size, offset_of
from krill_async._urls import normalise_base_url
from krill_async.errors import parse_error_body, parse_retry_after, status_error

settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True)
settings.register_profile("long", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("KRILL_FUZZ_PROFILE", "ci"))

ROOT = normalise_base_url("https://krill.example.net/prefix/")

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
hostile_links = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.sampled_from(
        [
            "http://pre1:4280/api/v2/isp/cpes/?limit=3&offset=45",
            "//evil.example.com/api/v2/isp/cpes/?offset=2",
            "https://evil.example.com/steal?offset=1",
            "javascript:alert(1)",
            "/api/v2/isp/cpes/?offset=-5&limit=-1",
            "/api/v2/isp/cpes/?offset=99999999999999999999999&limit=0",
            "?offset=abc",
            "http://[::1/api/",
            "http://pre1:99999/api/v2/x",
            "/api/v2/%zz/?offset=%ff",
            "\x00\r\n/api/v2/",
            "/api/v2/x/?" + "a=1&" * 200,
        ]
    ),
    st.builds(lambda n, lim: f"/api/v2/isp/cpes/?limit={lim}&offset={n}", st.integers(), st.integers()),
)
record = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "id": json_values,
            "latitude": st.one_of(st.text(max_size=12), st.floats(), st.none()),
            "created": st.one_of(st.text(max_size=30), st.integers(), st.none()),
            "customer": json_values,
            "potses": json_values,
            "_links": json_values,
        },
    ),
)
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "count": json_values,
        "next": hostile_links,
        "previous": hostile_links,
        "results": st.one_of(json_values, st.lists(record, max_size=5)),
    },
)
bodies = st.one_of(
    st.binary(max_size=300),
    envelopes.map(msgspec.json.encode),
    st.lists(record, max_size=5).map(msgspec.json.encode),
    envelopes.map(lambda e: msgspec.json.encode(e)[: max(0, len(msgspec.json.encode(e)) // 2)]),
)


class _Transport:
    root = ROOT


@given(body=bodies, model=st.sampled_from([Cpe, dict, bytes]), offset=st.none() | st.integers(0, 10**6))
def test_decode_page_only_raises_krill_errors(body: bytes, model: Any, offset: int | None) -> None:
    try:
        items, count, _next, _previous = decode_page(body, model, url="https://k/x", offset=offset)
    except KrillError:
        return
    assert isinstance(items, list)
    assert count is None or isinstance(count, int)


@given(body=bodies)
def test_decode_body_only_raises_krill_errors(body: bytes) -> None:
    try:
        cpe = decode_body(body, Cpe, url="https://k/x")
    except KrillError:
        return
    assert isinstance(cpe, Cpe)
    assert "***" in repr(cpe) or not (cpe.pppoe_password or cpe.wifi_password)


@given(next_link=hostile_links, previous_link=hostile_links, count=st.none() | st.integers(), n=st.integers(0, 50))
def test_make_page_rebases_or_raises_pagination_error(
    next_link: str | None, previous_link: str | None, count: int | None, n: int
) -> None:
    url = ROOT.join(URL("api/v2/isp/cpes/?limit=10&offset=20"))
    try:
        page = make_page(_Transport(), url, [0] * n, count, next_link, previous_link, requested=10)  # type: ignore[arg-type]
    except KrillError:
        return
    for link in (page.next_url, page.previous_url):
        if link is not None:  # whatever the server said, the link is on our origin and under our prefix
            assert (link.scheme, link.host, link.port) == ("https", "krill.example.net", 443)
            assert link.raw_path.startswith("/prefix/")
    assert page.page_size >= 1


@given(link=hostile_links.filter(lambda v: v is not None), requested=st.integers(1, 10_000))
def test_page_planning_never_crashes(link: str, requested: int) -> None:
    try:
        url = URL(link)
        offset_of(url)
        effective_page_size(requested=requested, offset=0, next_url=url, received=3)
        LinkGuard().check(url)
    except KrillError:
        pass
    except ValueError:
        pass  # yarl refuses the text as a URL: make_page turns that into a PaginationError (tested above)


@given(
    status=st.integers(400, 599),
    body=st.binary(max_size=300) | envelopes.map(msgspec.json.encode),
    retry_after=st.none() | st.text(max_size=40),
)
def test_error_mapping_never_raises(status: int, body: bytes, retry_after: str | None) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    error = status_error(status=status, method="GET", url="https://k/x", body=body, headers=headers)
    assert isinstance(error, KrillError) and error.status == status
    assert isinstance(str(error), str)
    parse_error_body(body)
    value = parse_retry_after(retry_after)
    assert value is None or value >= 0


# -- the whole client over HTTP against a server answering whatever hypothesis draws ---------------------


class _Hostile:
    status = 200
    body = b"{}"
    headers: dict[str, str] = {}


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[str]:
    async def handler(_: web.Request) -> web.Response:
        return web.Response(status=_Hostile.status, body=_Hostile.body, headers=_Hostile.headers)

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)

    async def start() -> str:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    url = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from([200, 200, 200, 201, 204, 301, 302, 400, 401, 403, 404, 418, 429, 500, 502, 503]),
    body=bodies,
    headers=st.dictionaries(
        st.sampled_from(["Retry-After", "Location", "Content-Type", "WWW-Authenticate", "X-Junk"]),
        header_values,
        max_size=3,
    ),
    mode=st.sampled_from(["list", "export", "get"]),
)
@example(status=301, body=b"", headers={"Location": "0:"}, mode="list")  # found by the long profile
@example(status=302, body=b"", headers={"Location": "javascript:alert(1)"}, mode="get")
def test_client_over_http_only_raises_krill_errors(
    hostile_server: str, status: int, body: bytes, headers: dict[str, str], mode: str
) -> None:
    _Hostile.status, _Hostile.body, _Hostile.headers = status, body, headers

    async def run() -> None:
        limits = Timeout(total=2, connect=1, read=1)
        async with Krill(hostile_server, auth=("u", "p"), retry=NO_RETRIES, timeout=limits) as krill:
            try:
                if mode == "list":
                    async for _ in krill.isp.cpes.list(page_size=3):
                        pass
                elif mode == "export":
                    with anyio.fail_after(5):
                        async with krill.isp.cpes.export(page_size=3, concurrency=2) as records:
                            async for _ in records:
                                pass
                else:
                    await krill.isp.cpes.get(1)
            except KrillError:
                pass

    anyio.run(run)
