"""Streaming answers: pages decoded as they arrive, and records yielded while a body is still arriving.

The decoding itself is sans-I/O, in `krill_async._incremental`; this module is the I/O glue.
`streaming_fetcher()` plugs it into [`ListQuery`][krill_async.ListQuery] (every iteration and export mode);
`ObjectStream` yields records while a page (or one huge chunked body) is still arriving.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
import anyio.lowlevel
from yarl import URL

from ._incremental import DEFAULT_BATCH_BYTES, IncrementalPageDecoder, Learnt, decode_lax, lax_decoder
from ._pagination import Page, PageFetcher, make_page
from ._paging import LinkGuard, offset_of, page_link
from ._urls import redact_url
from .errors import KrillError

if TYPE_CHECKING:
    from ._timeouts import Timeout
    from ._transport import StreamingResponse, Transport

T = TypeVar("T")
log = logging.getLogger("krill_async")

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "IncrementalPageDecoder",
    "ObjectStream",
    "decode_lax",
    "lax_decoder",
    "streaming_fetcher",
]


async def _decode_response(response: StreamingResponse, decoder: IncrementalPageDecoder[Any], items: list[Any]) -> None:
    async for chunk in response.iter_chunks():
        decoder.feed(chunk)
        while (batch := decoder.next_batch()) is not None:
            items.extend(batch)
            await anyio.lowlevel.checkpoint()  # let other tasks run between batches


def streaming_fetcher(batch_bytes: int = DEFAULT_BATCH_BYTES) -> PageFetcher:
    """A [`ListQuery`][krill_async.ListQuery] page fetcher that decodes each page as it arrives, in batches.

    Raw bytes never pile up (one batch plus one chunk at a time), and no single decode blocks the event
    loop for more than a batch. The page's records are still returned together, as a [`Page`][krill_async.Page].
    """

    learnt: dict[Any, Learnt] = {}  # per model, shared by the pages of the query

    async def fetch(
        transport: Transport, url: URL, model: Any, *, requested: int, timeout: Timeout | None
    ) -> Page[Any]:
        async def once() -> Page[Any]:
            decoder: IncrementalPageDecoder[Any] = IncrementalPageDecoder(
                model,
                batch_bytes=batch_bytes,
                url=redact_url(url),
                offset=offset_of(url),
                learnt=learnt.setdefault(model, Learnt()),
            )
            items: list[Any] = []
            async with transport.stream("GET", url, timeout=timeout) as response:
                await _decode_response(response, decoder, items)
            items.extend(decoder.finish())  # the connection is back in the pool already
            return make_page(transport, url, items, decoder.count, decoder.next, decoder.previous, requested=requested)

        # a page cut short is fetched again, whole; every attempt within the call's deadline
        return await transport.retrying("GET", once, timeout=timeout, url=redact_url(url))

    return fetch


class ObjectStream(Generic[T]):
    """Records one after another while each page's body is still arriving (sequential, following ``next``).

    Use it as ``async with query.stream() as records: async for record in records``. Memory holds about one
    batch of records, even when a server sends every record in one huge (chunked) body; leaving the block
    closes the answer being read. ``count`` is the server's count once the first page's head has arrived.
    """

    def __init__(
        self,
        transport: Transport,
        first_url: URL,
        model: Any,
        *,
        timeout: Timeout | None,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        limit: int | None = None,
    ) -> None:
        self._transport = transport
        #: The most records handed out (the query's ``limit``); None: all of them.
        self.limit = limit
        self._url: URL | None = first_url
        self.model = model
        self.timeout = timeout
        self.batch_bytes = batch_bytes
        self.count: int | None = None
        self.pages_fetched = 0
        self.records_yielded = 0
        self._guard = LinkGuard()
        self._learnt = Learnt()
        self._ready: list[Any] = []
        self._index = 0
        self._page: contextlib.AsyncExitStack | None = None
        self._page_url: URL | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._decoder: IncrementalPageDecoder[Any] | None = None
        self._entered = False
        self._closed = False

    def __repr__(self) -> str:
        return f"<ObjectStream pages={self.pages_fetched} yielded={self.records_yielded} count={self.count}>"

    async def __aenter__(self) -> ObjectStream[T]:
        if self._entered:
            raise KrillError("an ObjectStream can be entered once; call .stream() again for a new one")
        self._entered = True
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closed = True
        self._ready, self._index = [], 0
        await self._close_page(None)

    def __aiter__(self) -> ObjectStream[T]:
        return self

    async def __anext__(self) -> T:
        if not self._entered or self._closed:
            raise KrillError("use the stream inside `async with`: async with query.stream() as records: ...")
        if self.limit is not None and self.records_yielded >= self.limit:
            await self._close_page(None)  # nothing more is wanted: release the connection now
            raise StopAsyncIteration
        while self._index >= len(self._ready):
            self._ready, self._index = [], 0
            if not await self._advance():
                raise StopAsyncIteration
        item: T = self._ready[self._index]
        self._index += 1
        self.records_yielded += 1
        return item

    async def _advance(self) -> bool:
        """Read one more chunk (opening the next page when needed); False at the very end."""
        if self._chunks is None:
            if self._url is None:
                return False
            await self._open(self._url)
        assert self._chunks is not None and self._decoder is not None
        decoder = self._decoder
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            await self._close_page(None)
            self._ready = decoder.finish()
            self._note_head(decoder)
            self._url = self._next_url(decoder.next)
            if not self._ready and self._url is not None:
                shown = redact_url(self._page_url or "")
                log.warning("an empty page of %s still links a next page: stopping there", shown)
                self._url = None  # an empty page before the end: following it could go on forever
            self.pages_fetched += 1
            return True
        except BaseException as exc:
            await self._close_page(exc)  # maps aiohttp failures to typed errors (IncompleteBody, ...)
            raise
        decoder.feed(chunk)
        self._note_head(decoder)
        while (batch := decoder.next_batch()) is not None:
            self._ready.extend(batch)
        if self._ready:
            await anyio.lowlevel.checkpoint()
        return True

    async def _open(self, url: URL) -> None:
        self._guard.check(url)

        async def once() -> tuple[contextlib.AsyncExitStack, StreamingResponse]:
            stack = contextlib.AsyncExitStack()
            answer = await stack.enter_async_context(self._transport.stream("GET", url, timeout=self.timeout))
            return stack, answer

        # retried until the answer starts; a body cut short after records were yielded is raised instead
        stack, response = await self._transport.retrying("GET", once, timeout=self.timeout, url=redact_url(url))
        self._page, self._page_url = stack, url
        self._chunks = response.iter_chunks()
        self._decoder = IncrementalPageDecoder(
            self.model,
            batch_bytes=self.batch_bytes,
            url=redact_url(url),
            offset=offset_of(url),
            learnt=self._learnt,
        )

    def _note_head(self, decoder: IncrementalPageDecoder[Any]) -> None:
        if self.pages_fetched == 0 and decoder.count is not None:
            self.count = decoder.count

    def _next_url(self, link: str | None) -> URL | None:
        assert self._page_url is not None
        return page_link(link, root=self._transport.root, request_url=self._page_url, same_collection=True)

    async def _close_page(self, exc: BaseException | None) -> None:
        stack, self._page = self._page, None
        chunks, self._chunks = self._chunks, None
        close = getattr(chunks, "aclose", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()
        if stack is None:
            return
        if exc is None:
            await stack.aclose()
        else:
            await stack.__aexit__(type(exc), exc, exc.__traceback__)
