"""Promise 6: links stay inside the API.

``next`` links, ``_links`` entries and redirects that climb out of ``/api/`` (with ``../``, relative paths,
percent-encoded dots) are refused before anything is sent: the server's request log never shows
``/admin/``.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async import Krill, KrillError, PaginationError, UnsafeURLError

from ._hostile import client, cpe, json_response, serve

pytestmark = pytest.mark.anyio

ESCAPING = [
    "/api/v2/isp/cpes/../../../../admin/flush/?limit=10&offset=10",
    "{base}/api/v2/isp/cpes/../../../../admin/flush/?limit=10&offset=10",
    "../../../../admin/?limit=10&offset=10",
    "/api/v2/isp/cpes/%2e%2e/%2e%2e/%2e%2e/%2e%2e/admin/?limit=10&offset=10",
    "/api/v2/isp/cpes/%2E%2E/%2E%2E/.%2e/%2e./admin/?limit=10&offset=10",
    "{base}/admin/?limit=10&offset=10",
    "/admin/?limit=10&offset=10",
]
OTHER_COLLECTION = [
    "../../admin/?limit=10&offset=10",  # /api/v2/admin/: inside the API, but not this collection
    "/api/v2/isp/customers/?limit=10&offset=10",
    "/api/v2/isp/cpes/2/delete/?limit=10&offset=10",
]


def first_page_linking(link: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        nxt = link.replace("{base}", f"http://{request.host}")
        results = [cpe(i) for i in range(1, 11)]
        return json_response({"count": 30, "next": nxt, "previous": None, "results": results})

    return handler


async def consume(krill: Krill, mode: str) -> None:
    if mode == "list":
        [r async for r in krill.isp.cpes.list(page_size=10)]
    elif mode == "pages":
        [p async for p in krill.isp.cpes.list(page_size=10).pages()]
    elif mode == "export":
        # the export plans pages by offset; the link is only followed after the planned pages
        async with krill.isp.cpes.export(page_size=10, concurrency=2) as records:
            [r async for r in records]
    else:
        async with krill.monitoring.search(type="Host").stream() as records:
            [r async for r in records]


@pytest.mark.parametrize("mode", ["list", "pages", "export", "stream"])
@pytest.mark.parametrize("link", ESCAPING)
async def test_a_next_link_leaving_the_api_is_refused(link: str, mode: str) -> None:
    with anyio.fail_after(10):
        async with serve(first_page_linking(link)) as srv, client(srv.url) as krill:
            with pytest.raises(UnsafeURLError):
                await consume(krill, mode)
            assert not srv.saw_admin(), srv.paths()
            assert len(srv.log) == 1


@pytest.mark.parametrize("mode", ["list", "pages", "export", "stream"])
@pytest.mark.parametrize("link", OTHER_COLLECTION)
async def test_a_next_link_naming_another_collection_is_refused(link: str, mode: str) -> None:
    with anyio.fail_after(10):
        async with serve(first_page_linking(link)) as srv, client(srv.url) as krill:
            with pytest.raises((PaginationError, UnsafeURLError)):
                await consume(krill, mode)
            assert not srv.saw_admin(), srv.paths()
            allowed = ("/api/v2/isp/cpes/", "/api/v2/monitoring/search/", "/api/v2/monitoring/search")
            assert all(s.path in allowed for s in srv.log), srv.paths()


@pytest.mark.parametrize(
    "link",
    [
        "/api/v2/isp/cpes/2/../../../../../admin/reboot",
        "/api/v2/isp/cpes/2/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/admin/reboot",
        "{base}/admin/reboot",
        "../../../../../admin/reboot",
    ],
)
async def test_a_links_entry_leaving_the_api_is_refused(link: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            target = link.replace("{base}", f"http://{request.host}")
            return json_response(cpe(2, _links={"actions": {"reboot": target}, "links": {}}))

        async with serve(handler) as srv, client(srv.url) as krill:
            record = await krill.isp.cpes.get(2)
            with pytest.raises(UnsafeURLError):
                await krill.isp.cpes.reboot(record)
            assert not srv.saw_admin(), srv.paths()
            assert srv.count("POST") == 0


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize(
    "location",
    [
        "/admin/",
        "{base}/admin/",
        "/api/v2/isp/cpes/../../../../admin/",
        "/api/v2/%2e%2e/%2e%2e/admin/",
        "../../../../../admin/",
    ],
)
async def test_a_redirect_leaving_the_api_is_refused(location: str, method: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            target = location.replace("{base}", f"http://{request.host}")
            return web.Response(status=307, headers={"Location": target})

        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(KrillError) as caught:
                await krill.request(method, "isp/cpes/2/")
            assert isinstance(caught.value, UnsafeURLError), repr(caught.value)
            assert not srv.saw_admin(), srv.paths()
            assert len(srv.log) == 1
            assert krill.stats.retries == 0


@pytest.mark.parametrize("mode", ["list", "export"])
async def test_dot_segments_in_a_next_link_are_resolved_before_sending(mode: str) -> None:
    """A link that climbs out and back in is sent resolved: no proxy ever sees ``/admin/`` in it."""
    with anyio.fail_after(10):
        link = "/api/v2/isp/cpes/../../../../admin/%2e%2e/api/v2/isp/cpes/?limit=10&offset=10"
        async with serve(first_page_linking(link)) as srv, client(srv.url) as krill:
            with pytest.raises(PaginationError):  # the same page again: the loop guard stops it
                await consume(krill, mode)
            assert not srv.saw_admin(), srv.paths()


@pytest.mark.parametrize("related", ["customer", "profile", "potses"])
@pytest.mark.parametrize("link", ["/api/v2/isp/cpes/2/../../../../../admin/", "{base}/admin/", "file:///etc/passwd"])
async def test_a_related_link_leaving_the_api_is_refused(related: str, link: str) -> None:
    with anyio.fail_after(10):

        async def handler(request: web.Request) -> web.Response:
            target = link.replace("{base}", f"http://{request.host}")
            return json_response(cpe(2, _links={"actions": {}, "links": {related: target}}))

        async with serve(handler) as srv, client(srv.url) as krill:
            record = await krill.isp.cpes.get(2)
            with pytest.raises(UnsafeURLError):
                if related == "potses":
                    [p async for p in krill.isp.cpes.potses(record)]
                else:
                    await getattr(krill.isp.cpes, related)(record)
            assert not srv.saw_admin(), srv.paths()
            assert len(srv.log) == 1
