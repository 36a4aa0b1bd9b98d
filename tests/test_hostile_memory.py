"""Promise 2: bounded memory.

A gzip bomb, an endless chunked body, a ``Content-Length`` over the limit: each ends in
``ResponseTooLarge`` (never retried) while the client's memory stays far below what the server offered,
for whole bodies and streamed ones alike; the incremental decoder stays linear on one huge record.
"""

from __future__ import annotations

import asyncio
import functools
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable

import anyio
import pytest
from aiohttp import web

from krill_async import Krill, KrillError, ResponseTooLarge
from krill_async import _boundaries as incremental  # the bracket counting lives there
from krill_async._incremental import IncrementalPageDecoder

from ._hostile import client, raw_serve, read_request, serve

pytestmark = pytest.mark.anyio

LIMIT = 5 * 1024 * 1024
BOMB_SIZE = 200 * 1024 * 1024
MB = 1024 * 1024


@functools.cache
def gzip_bomb() -> bytes:
    """A JSON page whose one record holds a 200 MB string of zeros, gzipped (about 200 KB on the wire)."""
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [gz.compress(b'{"count": 1, "next": null, "previous": null, "results": [{"id": 2, "sn": "')]
    block = b"0" * MB
    parts.extend(gz.compress(block) for _ in range(BOMB_SIZE // MB))
    parts.append(gz.compress(b'"}]}'))
    parts.append(gz.flush())
    return b"".join(parts)


async def bomb(request: web.Request) -> web.Response:
    return web.Response(body=gzip_bomb(), headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


async def endless_chunks(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    head = b'{"count":1,"next":null,"results":[{"id":1,"sn":"'
    writer.write(b"%x\r\n%s\r\n" % (len(head), head))
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"z" * 64 * 1024)
    while True:
        writer.write(chunk)
        await writer.drain()


async def announces_too_much(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n{")
    await writer.drain()
    await asyncio.sleep(3600)  # the rest never comes: only refusing before reading ends the call in time


Call = Callable[[Krill], Awaitable[object]]


async def call_get(krill: Krill) -> object:
    return await krill.isp.cpes.get(2)


async def call_list(krill: Krill) -> object:
    return [r async for r in krill.isp.cpes.list(attrs="id", page_size=10)]


async def call_export(krill: Krill) -> object:
    async with krill.isp.cpes.export(page_size=10, concurrency=2) as records:
        return [r async for r in records]


async def call_stream(krill: Krill) -> object:
    async with krill.monitoring.search(type="Host").stream() as records:
        return [r async for r in records]


CALLS: dict[str, Call] = {"get": call_get, "list": call_list, "export": call_export, "stream": call_stream}


async def peak_growth(krill: Krill, call: Call) -> tuple[BaseException | None, int]:
    """Run ``call``; return what it raised and the peak of Python allocations during it (bytes)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        raised: BaseException | None = None
        try:
            await call(krill)
        except BaseException as exc:
            raised = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return raised, peak - before


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_a_gzip_bomb_is_refused_within_the_limit(name: str) -> None:
    gzip_bomb()  # built before the clock starts
    with anyio.fail_after(20):
        async with serve(bomb) as srv, client(srv.url, max_body_size=LIMIT) as krill:
            raised, growth = await peak_growth(krill, CALLS[name])
            assert isinstance(raised, ResponseTooLarge), repr(raised)
            assert growth < 4 * LIMIT  # about the limit (20 MB), not the 200 MB offered
            assert len(srv.log) == 1  # not retried
            assert krill.stats.retries == 0


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_an_endless_chunked_body_is_refused_within_the_limit(name: str) -> None:
    with anyio.fail_after(10):
        async with raw_serve(endless_chunks) as url, client(url, max_body_size=LIMIT) as krill:
            raised, growth = await peak_growth(krill, CALLS[name])
            assert isinstance(raised, ResponseTooLarge), repr(raised)
            assert growth < 4 * LIMIT  # about the limit (20 MB), not the 200 MB offered
            assert krill.stats.retries == 0


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_a_content_length_over_the_limit_fails_before_reading(name: str) -> None:
    with anyio.fail_after(10):
        async with raw_serve(announces_too_much) as url, client(url, max_body_size=LIMIT) as krill:
            with pytest.raises(ResponseTooLarge) as caught:
                await CALLS[name](krill)
            assert "announces 10485760 bytes" in str(caught.value)
            assert krill.stats.retries == 0


async def test_max_body_size_is_a_client_option() -> None:
    with anyio.fail_after(10):
        async with serve(bomb) as srv:
            krill = Krill(srv.url, auth=("u", "p"), max_body_size=LIMIT)  # type: ignore[call-arg]
            async with krill:
                with pytest.raises(ResponseTooLarge):
                    await krill.isp.cpes.get(2)


def huge_record_page(filler: bytes, size: int) -> bytes:
    """A page whose first record's string (``size`` bytes) is ``filler`` repeated, then a small record."""
    inner = (filler * (size // len(filler) + 1))[:size]
    inner = inner[: len(inner) - len(inner) % len(filler)]
    head = b'{"count": 2, "next": null, "previous": null, "results": [{"id": 1, "sn": "'
    return head + inner + b'"}, {"id": 2}]}'


class Work:
    """Bytes the decoder hands to msgspec and bytes it bracket-counts (a linear decoder: a few x the body)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.decoded = 0
        self.counted = 0
        real_net = incremental._net

        def counting_net(buf: bytearray, start: int, end: int) -> int:
            self.counted += max(0, end - start)
            return real_net(buf, start, end)

        monkeypatch.setattr(incremental, "_net", counting_net)

    def wrap(self, decoder: IncrementalPageDecoder[dict[str, object]]) -> None:
        real, work = decoder._list, self

        class Counting:
            def decode(self, data: bytes) -> object:
                work.decoded += len(data)
                return real.decode(data)

        decoder._list = Counting()  # type: ignore[assignment]


def feed_all(body: bytes, work: Work | None = None) -> tuple[IncrementalPageDecoder[dict[str, object]], list[object]]:
    decoder: IncrementalPageDecoder[dict[str, object]] = IncrementalPageDecoder(dict, url="http://x/api/v2/a/")
    if work is not None:
        work.wrap(decoder)
    ids: list[object] = []
    try:
        for start in range(0, len(body), 64 * 1024):
            decoder.feed(body[start : start + 64 * 1024])
            while (batch := decoder.next_batch()) is not None:
                ids.extend(r["id"] for r in batch)
        ids.extend(r["id"] for r in decoder.finish())
    except KrillError as exc:  # a typed refusal of a valid body would be a bug too
        pytest.fail(f"the decoder refused a valid body: {exc!r}")
    return decoder, ids


FILLERS = [
    pytest.param(b"x", 8 * MB, id="plain-8MB"),
    pytest.param(b'},{\\"a\\":[1,{\\"b\\":\\"]', 8 * MB, id="brackets-8MB"),
    pytest.param(b'\\"},{', 2 * MB, id="balanced-boundaries-2MB"),
]


@pytest.mark.parametrize(("filler", "size"), FILLERS)
def test_the_incremental_decoder_tokenizes_a_huge_record_once(filler: bytes, size: int) -> None:
    """One huge record (its string full of what looks like record boundaries) fed in 64 KB chunks."""
    body = huge_record_page(filler, size)
    decoder, ids = feed_all(body)
    assert ids == [1, 2]
    assert decoder.exact_scanned <= 2 * len(body)


@pytest.mark.parametrize(
    ("filler", "size"),
    [
        FILLERS[0],
        FILLERS[1],
        pytest.param(*FILLERS[2].values, id="balanced-boundaries-2MB"),
    ],
)
def test_the_incremental_decoder_does_linear_work_on_a_huge_record(
    filler: bytes, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = huge_record_page(filler, size)
    work = Work(monkeypatch)
    _, ids = feed_all(body, work)
    assert ids == [1, 2]
    assert work.decoded + work.counted <= 6 * len(body)


@pytest.mark.parametrize("status", [400, 500])
async def test_a_gzip_bomb_in_an_error_answer_is_read_only_in_part(status: int) -> None:
    gzip_bomb()
    with anyio.fail_after(20):

        async def handler(request: web.Request) -> web.Response:
            headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
            return web.Response(body=gzip_bomb(), status=status, headers=headers)

        async with serve(handler) as srv, client(srv.url, max_body_size=LIMIT) as krill:
            raised, growth = await peak_growth(krill, call_get)
            assert isinstance(raised, KrillError), repr(raised)
            assert len(getattr(raised, "body", b"")) <= 64 * 1024
            assert growth < 4 * LIMIT  # about the limit (20 MB), not the 200 MB offered
