"""Paging through Krill collections: sequential iteration and concurrent, memory-bounded exports."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from yarl import URL

from ._decode import decode_page
from ._paging import LinkGuard, effective_page_size, offset_of, plan_offsets
from ._timeouts import Timeout
from ._urls import rebase_link, redact_url, with_params
from .errors import KrillError, PaginationError

if TYPE_CHECKING:
    from ._transport import Transport

T = TypeVar("T")

__all__ = ["Export", "ListQuery", "Page", "PageFetcher", "fetch_page", "make_page"]


@dataclass(frozen=True, eq=False)
class Page(Generic[T]):
    """One answered page: its records, the collection's ``count`` and where it sits in the collection.

    ``page_size`` is the size the server really used (it may cap the ``limit`` asked for). ``next_url``
    and ``previous_url`` are already rebased onto the client's own origin.
    """

    items: list[T]
    count: int | None
    offset: int
    page_size: int
    url: URL
    next_url: URL | None
    previous_url: URL | None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_next(self) -> bool:
        return self.next_url is not None

    def __repr__(self) -> str:
        return (
            f"<Page offset={self.offset} items={len(self.items)} count={self.count} "
            f"page_size={self.page_size} has_next={self.has_next}>"
        )


class PageFetcher(Protocol):
    """Fetches and decodes one page. The default reads the whole body; an app may plug in another (for
    example one that decodes large bodies incrementally) and keep every iteration and export mode."""

    async def __call__(
        self, transport: Transport, url: URL, model: Any, *, requested: int, timeout: Timeout | None
    ) -> Page[Any]: ...


def make_page(
    transport: Transport,
    url: URL,
    items: list[Any],
    count: int | None,
    next_link: str | None,
    previous_link: str | None,
    *,
    requested: int,
) -> Page[Any]:
    """A :class:`Page` from decoded parts: rebases its links and learns the effective page size."""
    offset = offset_of(url)
    shown = redact_url(url)
    try:
        next_url = rebase_link(next_link, root=transport.root, request_url=url) if next_link else None
        previous_url = rebase_link(previous_link, root=transport.root, request_url=url) if previous_link else None
    except ValueError as exc:
        raise PaginationError(f"unusable pagination link in {shown}: {exc}", url=shown) from None
    size = effective_page_size(requested=requested, offset=offset, next_url=next_url, received=len(items))
    return Page(items, count, offset, size, url, next_url, previous_url)


async def fetch_page(
    transport: Transport, url: URL, model: Any, *, requested: int, timeout: Timeout | None
) -> Page[Any]:
    """GET one page, read it whole and decode it; retried as a whole (a garbled body is retried too)."""

    async def once() -> Page[Any]:
        response = await transport.request("GET", url, timeout=timeout, retry=False)
        decoded = decode_page(response.content, model, url=redact_url(url), offset=offset_of(url))
        return make_page(transport, url, *decoded, requested=requested)

    return await transport.retrying("GET", once)


class ListQuery(Generic[T]):
    """A collection query, not yet sent. Iterate it, or take pages, the first page, or an export.

    ``async for record in query`` pages sequentially following ``next``; ``query.pages()`` yields pages;
    ``await query.first_page()`` fetches one page with ``count``; ``query.export(...)`` fetches pages
    concurrently.
    """

    def __init__(
        self,
        transport: Transport,
        url: URL,
        *,
        params: list[tuple[str, str]],
        model: type[T] | Any,
        page_size: int,
        offset: int = 0,
        timeout: Timeout | None = None,
        concurrency: int = 8,
        export_page_size: int | None = None,
        page_fetcher: PageFetcher = fetch_page,
    ) -> None:
        if page_size <= 0:
            raise ValueError("page_size must be a positive integer")
        if offset < 0:
            raise ValueError("offset must be 0 or more")
        self._transport = transport
        self.url = url
        self.params = params
        self.model = model
        self.page_size = page_size
        self.offset = offset
        self.timeout = timeout
        self._concurrency = concurrency
        self._export_page_size = export_page_size or page_size
        self._page_fetcher = page_fetcher

    def __repr__(self) -> str:
        return f"<ListQuery {redact_url(self.page_url(self.offset, self.page_size))}>"

    def page_url(self, offset: int, limit: int) -> URL:
        """URL of the page at ``offset`` holding up to ``limit`` records, with every filter."""
        paging = [("limit", str(limit))]
        if offset:
            paging.append(("offset", str(offset)))
        return with_params(self.url.with_query(self.params), paging)

    async def fetch(self, url: URL, *, requested: int | None = None) -> Page[T]:
        """Fetch one page by URL (for example a page's ``next_url``)."""
        return await self._page_fetcher(
            self._transport, url, self.model, requested=requested or self.page_size, timeout=self.timeout
        )

    async def first_page(self) -> Page[T]:
        """The first page (at ``offset``), with the collection's ``count``."""
        return await self.fetch(self.page_url(self.offset, self.page_size))

    async def count(self) -> int | None:
        """How many records match, from a one-record page (None for an unpaginated endpoint)."""
        page = await self.fetch(self.page_url(self.offset, 1), requested=1)
        return page.count

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Pages one after another, following the server's ``next`` links (rebased onto our origin)."""
        url: URL | None = self.page_url(self.offset, self.page_size)
        guard = LinkGuard()
        while url is not None:
            guard.check(url)
            page = await self.fetch(url)
            yield page
            url = page.next_url

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[T]:
        """Every record in a list (sequential paging). For large collections prefer :meth:`export`."""
        return [item async for item in self]

    def export(
        self,
        *,
        concurrency: int | None = None,
        page_size: int | None = None,
        ordered: bool = True,
    ) -> Export[T]:
        """Fetch every page concurrently; use as ``async with query.export() as records: async for ...``.

        Records come in server order unless ``ordered=False`` (then pages are yielded as they complete).
        At most ``concurrency`` pages are in flight or waiting for the consumer, so memory stays bounded.
        """
        return Export(
            self,
            concurrency=concurrency or self._concurrency,
            page_size=page_size or self._export_page_size,
            ordered=ordered,
        )


@dataclass(eq=False)
class _Slot:
    """A page on its way: filled by a fetch task, read by the consumer."""

    offset: int
    done: anyio.Event = field(default_factory=anyio.Event)
    page: Page[Any] | None = None
    error: Exception | None = None
    holds_permit: bool = False


class Export(Generic[T]):
    """A concurrent export of a collection. Enter it with ``async with``; iterate records or pages.

    Fetch tasks live in a task group owned by this context manager: leaving the block (normally, by
    ``break`` or by an error) cancels requests in flight and returns their connections to the pool.
    Failures surface in the consumer as the original :class:`~krill_async.KrillError`, in order.
    """

    def __init__(self, query: ListQuery[T], *, concurrency: int, page_size: int, ordered: bool) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.query = query
        self.concurrency = concurrency
        self.page_size = page_size
        self.ordered = ordered
        #: ``count`` from the first page (None until it arrives, or for unpaginated endpoints).
        self.count: int | None = None
        self.pages_fetched = 0
        self.records_yielded = 0
        self._tg: TaskGroup | None = None
        self._permits = anyio.Semaphore(concurrency)
        self._receive: MemoryObjectReceiveStream[_Slot] | None = None
        self._current: Iterator[T] = iter(())
        self._current_slot: _Slot | None = None
        self._entered = False

    def __repr__(self) -> str:
        return (
            f"<Export {redact_url(self.query.url)} concurrency={self.concurrency} page_size={self.page_size} "
            f"ordered={self.ordered} fetched={self.pages_fetched} yielded={self.records_yielded}>"
        )

    async def __aenter__(self) -> Export[T]:
        if self._entered:
            raise KrillError("an Export can be entered once; call .export() again for a new one")
        self._entered = True
        send, self._receive = anyio.create_memory_object_stream[_Slot](math.inf)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._produce, send)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        assert self._tg is not None and self._receive is not None
        self._tg.cancel_scope.cancel()
        self._receive.close()
        # The body's own exception is not handed to the task group: it propagates unchanged instead of
        # inside an ExceptionGroup. Fetch tasks never raise (their failures travel in slots).
        await self._tg.__aexit__(None, None, None)
        return False

    # -- consumer side --------------------------------------------------------------------------------

    def __aiter__(self) -> Export[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            for item in self._current:
                self.records_yielded += 1
                return item
            page = await self._next_page()
            if page is None:
                raise StopAsyncIteration
            self._current = iter(page.items)

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The export page by page (a page's permit is returned when the next one is requested)."""
        while True:
            page = await self._next_page()
            if page is None:
                return
            self.records_yielded += len(page.items)
            yield page

    async def _next_page(self) -> Page[T] | None:
        if self._receive is None:
            raise KrillError("use the export inside `async with`: async with query.export() as records: ...")
        self._release_current()
        try:
            slot = await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return None
        self._current_slot = slot
        await slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.page is not None
        return slot.page

    def _release_current(self) -> None:
        slot, self._current_slot = self._current_slot, None
        if slot is not None and slot.holds_permit:
            slot.holds_permit = False
            self._permits.release()

    # -- producer side --------------------------------------------------------------------------------

    async def _fetch_into(self, slot: _Slot, url: URL, send: MemoryObjectSendStream[_Slot] | None) -> None:
        try:
            slot.page = await self.query.fetch(url, requested=self.page_size)
            self.pages_fetched += 1
        except KrillError as exc:
            slot.error = exc
        except Exception as exc:  # a bug must reach the consumer, not kill the task group silently
            slot.error = exc
        finally:
            slot.done.set()
        if send is not None:  # unordered: deliver as soon as complete
            async with send:
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await send.send(slot)  # suppressed: the consumer has left

    async def _schedule(self, send: MemoryObjectSendStream[_Slot], url: URL, *, permit: bool) -> _Slot:
        assert self._tg is not None
        if permit:
            await self._permits.acquire()
        slot = _Slot(offset_of(url), holds_permit=permit)
        if self.ordered:
            await send.send(slot)
            self._tg.start_soon(self._fetch_into, slot, url, None)
        else:
            self._tg.start_soon(self._fetch_into, slot, url, send.clone())
        return slot

    async def _produce(self, send: MemoryObjectSendStream[_Slot]) -> None:
        async with send:
            try:
                await self._plan_and_fetch(send)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return  # the consumer has left
            except Exception as exc:  # e.g. PaginationError: deliver it in order, after the pages before it
                failed = _Slot(-1, error=exc)
                failed.done.set()
                try:
                    await send.send(failed)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return

    async def _plan_and_fetch(self, send: MemoryObjectSendStream[_Slot]) -> None:
        query = self.query
        first_url = query.page_url(query.offset, self.page_size)
        guard = LinkGuard()
        guard.check(first_url)
        last = await self._schedule(send, first_url, permit=True)
        await last.done.wait()
        if last.page is None:
            return
        first = last.page
        self.count = first.count
        if first.next_url is not None and first.count is not None:
            step = first.page_size
            for offset in plan_offsets(first_offset=first.offset, page_size=step, count=first.count):
                url = query.page_url(offset, step)
                guard.check(url)
                last = await self._schedule(send, url, permit=True)
        # After the planned pages, follow `next` in case the collection grew while we read it.
        while True:
            await last.done.wait()
            if last.page is None or last.page.next_url is None:
                return
            next_url = last.page.next_url
            guard.check(next_url)
            last = await self._schedule(send, next_url, permit=True)
