"""Review 2 attacks on URL redaction (fd43bd1): spellings and paths that may still show a secret value.

Every server is the test's own; every secret value is unique so a failure names its spelling.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import anyio
import pytest
from aiohttp import web

from krill_async import KrillError
from krill_async._urls import redact_url

from ._hostile import AUTH, client, cpe, json_response, raw_serve, read_request, serve

pytestmark = pytest.mark.anyio


def everything(exc: BaseException, records: list[logging.LogRecord]) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    parts += [repr(v) for v in vars(exc).values()]
    parts += [record.getMessage() for record in records]
    return "\n".join(parts)


def reachable(exc: BaseException) -> str:
    """Every text reachable from the error through ``__cause__``/``__context__`` (shown or not) and the
    attributes of the errors on that chain, one level deep (what an error reporter may serialise)."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current)]
        for value in vars(current).values():
            parts.append(repr(value))
            parts += [repr(v) for v in getattr(value, "__dict__", {}).values()]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.mark.parametrize(
    "tail, secret",
    [
        ("?%25252574oken=LEAKquad", "LEAKquad"),  # the name encoded four times
        ("?next=%25252F%25253F%2525252574oken%25253DLEAKnestquad", "LEAKnestquad"),
        ("?ACCESS%5FTOKEN=LEAKupper", "LEAKupper"),
        ("?a=1&&&&token=LEAKamp;;;", "LEAKamp"),
        ("?x=1;;%2574oken=LEAKsemi2", "LEAKsemi2"),
        ("?tok%2Ben=LEAKplus", None),  # "tok+en" is no secret name: nothing to assert
    ],
)
def test_redact_url_more_spellings(tail: str, secret: str | None) -> None:
    shown = redact_url("https://k.net/api/v2/isp/cpes/" + tail)
    if secret is not None:
        assert secret not in shown, shown


async def test_a_server_echoing_the_request_url_in_its_error_page_never_shows_the_secret() -> None:
    """A WAF/debug 400 page that quotes the request line (as the module docstring of _secrets says
    servers do for headers): the query value the client masks in its own message is in ``detail``/``body``."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            status=400, text=f"<html>Bad request: {request.method} {request.raw_path}</html>", content_type="text/html"
        )

    params: dict[str, Any] = {"access_token": "LEAKecho", "limit": 1}
    with anyio.fail_after(10):
        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(KrillError) as caught:
                await krill.request("GET", "isp/cpes/", params=params)
    assert "access_token=***" in str(caught.value)
    said = everything(caught.value, [])
    assert "LEAKecho" not in said, said


async def _malformed_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nA Header Line Without A Colon\r\nContent-Length: 2\r\n\r\n{}")
    await writer.drain()


async def test_the_chained_aiohttp_error_keeps_no_secret_reachable_from_the_krill_error() -> None:
    """``raise ... from None`` hides aiohttp's error from tracebacks but keeps it as ``__context__``,
    with its ``request_info``: the request URL (query and all) and headers (Authorization)."""
    params: dict[str, Any] = {"access_token": "LEAKcontext", "limit": 1}
    with anyio.fail_after(10):
        async with raw_serve(_malformed_answer) as url, client(url) as krill:
            with pytest.raises(KrillError) as caught:
                await krill.request("GET", "isp/cpes/", params=params)
    said = reachable(caught.value)
    import base64

    basic = base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode()).decode()
    assert "LEAKcontext" not in said and basic not in said, said[:2000]


async def test_a_followed_redirect_carrying_a_secret_then_failing_never_shows_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Same-origin redirect into the API whose Location spells a secret (';' and twice-encoded), then 500."""
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included

    async def handler(request: web.Request) -> web.Response:
        if "redirected" not in request.raw_path:
            return web.Response(
                status=302,
                headers={"Location": "/api/v2/isp/cpes/7/redirected/;jsessionid=LEAKr1?%2574oken=LEAKr2;sig=LEAKr3"},
            )
        return json_response({"detail": "boom"}, status=500)

    with anyio.fail_after(10):
        async with serve(handler) as srv, client(srv.url) as krill:
            with pytest.raises(KrillError) as caught:
                await krill.isp.cpes.get(7)
            assert srv.count() >= 2
    said = everything(caught.value, caplog.records)
    for secret in ("LEAKr1", "LEAKr2", "LEAKr3"):
        assert secret not in said, secret


async def test_reprs_and_resume_points_never_show_a_secret_filter() -> None:
    async def handler(request: web.Request) -> web.Response:
        return json_response({"count": 1, "next": None, "previous": None, "results": [cpe(1)]})

    with anyio.fail_after(10):
        async with serve(handler) as srv, client(srv.url) as krill:
            query = krill.isp.cpes.list(access_token="LEAKrepr1", **{"%2574oken": "LEAKrepr2"})
            export = query.export(concurrency=2)
            async with export as records:
                [r async for r in records]
                texts = [repr(query), repr(export), repr(records.resume_point)]
            response = await krill.request("GET", "isp/cpes/", params={"x;token": "LEAKrepr3", "pin": "LEAKrepr4"})
            texts.append(repr(response))
    joined = "\n".join(texts)
    for secret in ("LEAKrepr1", "LEAKrepr2", "LEAKrepr3", "LEAKrepr4"):
        assert secret not in joined, (secret, joined)
