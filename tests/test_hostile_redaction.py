"""Promise 7 again: secret-looking values in URLs never show, however the URL spells them.

A server hands the client URLs it did not build (``next`` links, ``Location`` headers) and answers
malformed bytes that aiohttp describes with the request's URL. The client masks the values of
secret-looking parameters in every URL it shows; these servers spell them the ways real deployments and
hostile ones do: pairs joined by ``;`` (Java and old CGI), a path parameter (``;jsessionid=``), a name
percent-encoded twice, a token in the fragment of a login redirect, a nested ``next=`` query, a ``=``
percent-encoded. Each secret value is unique, so a leak names its spelling. Servers are the test's own.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async import KrillError, UnsafeURLError
from krill_async._urls import redact_url

from ._hostile import client, cpe, json_response, raw_serve, read_request, serve

pytestmark = pytest.mark.anyio

#: How a URL may carry a secret, each with its own value (the value must never be shown).
SPELLINGS = {
    "semicolon": ("?limit=1;access_token=LEAKsemicolon&offset=1", "LEAKsemicolon"),
    "double-encoded-name": ("?limit=1&offset=1&%2574oken=LEAKdouble", "LEAKdouble"),
    "path-parameter": (";jsessionid=LEAKpathparam?limit=1&offset=1", "LEAKpathparam"),
    "fragment": ("?limit=1&offset=1#access_token=LEAKfragment&state=x", "LEAKfragment"),
    "nested-query": ("?limit=1&offset=1&next=%2Flogin%3Fpassword%3DLEAKnested", "LEAKnested"),
    "encoded-equals": ("?limit=1&offset=1&api_key%3DLEAKequals", "LEAKequals"),
}


def everything_said(exc: BaseException, records: list[logging.LogRecord]) -> str:
    """Every text the client lets out about a failure: the message, repr, traceback, attributes, the
    chained errors (shown or not) and the log."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    parts += [repr(getattr(exc, name, None)) for name in ("url", "location", "detail", "body", "headers")]
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    while cause is not None:
        parts += [str(cause), repr(cause)]
        cause = cause.__cause__ or (None if cause.__suppress_context__ else cause.__context__)
    parts += [record.getMessage() for record in records]
    return "\n".join(parts)


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_redact_url_masks_every_spelling(spelling: str) -> None:
    tail, secret = SPELLINGS[spelling]
    shown = redact_url("https://k.net/api/v2/isp/cpes/" + tail)
    assert secret not in shown
    assert shown.startswith("https://k.net/api/v2/isp/cpes/")
    assert "limit=1" in shown  # what is not secret stays readable


def test_redact_url_keeps_ordinary_urls_byte_exact() -> None:
    for url in (
        "https://k.net/api/v2/isp/cpes/?limit=1000&offset=5000",
        "https://k.net/api/v2/rubik/services/?cursor=cD0yMDIxLTAx%3D&limit=3",
        "https://k.net/api/v2/isp/cpes/?q=a%3Bb&realm=pim",
        "/api/v2/isp/cpes/?limit=10",
    ):
        assert redact_url(url) == url


@pytest.mark.parametrize("spelling", list(SPELLINGS))
async def test_a_next_link_spelling_a_secret_never_shows_it_when_its_page_fails(
    spelling: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The first page links to a page that carries the secret; that page answers 500."""
    caplog.set_level(logging.DEBUG, logger="krill_async")
    tail, secret = SPELLINGS[spelling]

    async def handler(request: web.Request) -> web.Response:
        if request.query.get("offset", "0") == "0" and ";" not in request.raw_path:
            nxt = "/api/v2/isp/cpes/" + tail
            return json_response({"count": 3, "next": nxt, "previous": None, "results": [cpe(1)]})
        return json_response({"detail": "boom"}, status=500)

    with anyio.fail_after(10):
        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(KrillError) as caught:
                [r async for r in krill.isp.cpes.list(page_size=1)]
            # The linked page was asked for and its URL is shown, or the link was refused and shown.
            assert srv.count() >= 2 or "jsessionid=***" in str(caught.value)
            assert "/api/v2/isp/cpes/" in str(caught.value)
            assert secret not in everything_said(caught.value, caplog.records)


@pytest.mark.parametrize("spelling", list(SPELLINGS))
async def test_a_redirect_off_the_api_spelling_a_secret_never_shows_it(
    spelling: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A redirect to another origin, and one out of the API: both refused, their Location shown masked."""
    caplog.set_level(logging.DEBUG, logger="krill_async")
    tail, secret = SPELLINGS[spelling]
    for target in ("http://elsewhere.example/api/v2/isp/cpes/", "/admin/isp/cpes/"):

        async def handler(request: web.Request, target: str = target) -> web.Response:
            return web.Response(status=302, headers={"Location": target + tail})

        with anyio.fail_after(10):
            async with serve(handler) as srv, client(srv.url) as krill:
                with pytest.raises(UnsafeURLError) as caught:
                    await krill.isp.cpes.get(7)
                said = everything_said(caught.value, caplog.records)
                assert secret not in said
                assert "refusing" in str(caught.value)


async def _malformed_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nA Header Line Without A Colon\r\nContent-Length: 2\r\n\r\n{}")
    await writer.drain()


async def test_a_malformed_answer_never_shows_the_query_aiohttp_puts_in_its_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """aiohttp's ClientResponseError for a malformed answer ends with the request's URL, query and all."""
    caplog.set_level(logging.DEBUG, logger="krill_async")
    params: dict[str, Any] = {"access_token": "LEAKmalformed", "limit": 1}
    with anyio.fail_after(10):
        async with raw_serve(_malformed_answer) as url, client(url) as krill:
            with pytest.raises(KrillError) as caught:
                await krill.request("GET", "isp/cpes/", params=params)
            said = everything_said(caught.value, caplog.records)
            assert "LEAKmalformed" not in said
            assert "access_token=***" in str(caught.value)  # the URL is shown, masked
            assert "Invalid header" in str(caught.value)  # and so is what aiohttp found wrong
