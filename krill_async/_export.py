"""Concurrent, memory-bounded exports of a collection (the engine behind ``ListQuery.export()``)."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from yarl import URL

from ._page import Page
from ._paging import LinkGuard, offset_of, plan_offsets
from ._resume import ResumePoint
from ._urls import quote_identifier, redact_url
from .errors import KrillError, NotFound

if TYPE_CHECKING:
    from ._pagination import ListQuery

T = TypeVar("T")

__all__ = ["DriftReport", "Export"]


@dataclass(eq=False)
class _Slot:
    """A page on its way: filled by a fetch task, read by the consumer."""

    offset: int
    done: anyio.Event = field(default_factory=anyio.Event)
    page: Page[Any] | None = None
    error: Exception | None = None
    holds_permit: bool = False


@dataclass(frozen=True)
class DriftReport:
    """How the collection changed during a consistent export (offset paging is not a snapshot).

    ``count_at_start`` comes from the first page and ``count_at_end`` from a request made after the last
    page; ``yielded`` counts distinct records; ``duplicates_skipped`` counts records seen twice because
    rows were inserted before their offset while the export ran; ``recovered`` counts records missed by
    the paging (rows deleted before their offset) and fetched one by one afterwards.
    """

    count_at_start: int | None
    count_at_end: int | None
    yielded: int
    duplicates_skipped: int
    recovered: int

    @property
    def changed(self) -> bool:
        return self.count_at_start != self.count_at_end or self.duplicates_skipped > 0 or self.recovered > 0


class Export(Generic[T]):
    """A concurrent export of a collection. Enter it with ``async with``; iterate records or pages.

    Fetch tasks live in a task group owned by this context manager: leaving the block (normally, by
    ``break`` or by an error) cancels requests in flight and returns their connections to the pool.
    Failures surface in the consumer as the original :class:`~krill_async.KrillError`, in order, with
    ``resume_point`` set; :attr:`resume_point` is also readable at any time.
    """

    def __init__(
        self,
        query: ListQuery[T],
        *,
        concurrency: int,
        page_size: int,
        ordered: bool,
        resume: ResumePoint | None = None,
        consistent: bool = False,
        key: str = "id",
        recover_missed: bool = True,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if consistent and query.model is bytes:
            raise ValueError("a consistent export needs decoded records to read their key: not model=bytes")
        self.query = query
        self.concurrency = concurrency
        self.page_size = resume.page_size if resume is not None else page_size
        self.ordered = ordered
        self.resume = resume
        self.consistent = consistent
        self.key = key
        self.recover_missed = recover_missed
        #: ``count`` from the first page (None until it arrives, or for unpaginated endpoints).
        self.count: int | None = None
        self.pages_fetched = 0
        self.records_yielded = 0
        self.duplicates_skipped = 0
        #: Set at the end of a consistent export.
        self.drift: DriftReport | None = None
        self._tg: TaskGroup | None = None
        self._permits = anyio.Semaphore(concurrency)
        self._receive: MemoryObjectReceiveStream[_Slot] | None = None
        self._items: list[T] = []
        self._index = 0
        self._current_slot: _Slot | None = None
        self._entered = False
        self._finished = False
        self._start = resume.offset if resume is not None else query.offset
        self._position = self._start  # ordered: every record before it has been yielded
        self._step = self.page_size
        self._done: set[int] = set(resume.done_offsets) if resume is not None else set()
        self._skip: dict[int, int] = dict([resume.partial_page]) if resume and resume.partial_page else {}
        self._seen: set[Any] | None = set() if consistent else None
        self._in_flight: set[_Slot] = set()

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

    # -- progress -------------------------------------------------------------------------------------

    @property
    def resume_point(self) -> ResumePoint:
        """Where this export stands: give it to ``export(resume=...)`` to carry on from here."""
        slot = self._current_slot
        partial: tuple[int, int] | None = None
        if self.ordered:
            offset = slot.offset + self._index if slot is not None and slot.page is not None else self._position
            done: frozenset[int] = frozenset()
        else:
            offset = self._start
            while offset in self._done:
                offset += self._step
            done = frozenset(o for o in self._done if o > offset)
            if slot is not None and slot.page is not None and 0 < self._index < len(self._items):
                partial = (slot.offset, self._index)
        return ResumePoint(
            offset=offset,
            page_size=self._step,
            done_offsets=done,
            count=self.count,
            url=redact_url(self.query.url.with_query(self.query.params)),
            partial_page=partial,
        )

    # -- consumer side --------------------------------------------------------------------------------

    def __aiter__(self) -> Export[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            while self._index < len(self._items):
                item = self._items[self._index]
                self._index += 1
                if self._seen is not None:
                    key = _key_of(item, self.key)
                    if key in self._seen:
                        self.duplicates_skipped += 1
                        continue
                    self._seen.add(key)
                self.records_yielded += 1
                return item
            page = await self._next_page()
            if page is None:
                if self._seen is not None and not self._finished:
                    self._finished = True
                    recovered = await self._finish_consistent()
                    if recovered:
                        self._items, self._index = recovered, 0
                        continue
                raise StopAsyncIteration
            self._items = page.items
            self._index = self._skip.pop(page.offset, 0)

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The export page by page (a page's permit is returned when the next one is requested)."""
        if self.consistent:
            raise KrillError("iterate a consistent export by record (async for record in export)")
        while True:
            page = await self._next_page()
            if page is None:
                return
            self._index = len(page.items)
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
        await slot.done.wait()
        if slot.error is not None:
            error = slot.error
            if isinstance(error, KrillError):
                error.resume_point = self.resume_point
            raise error
        assert slot.page is not None
        self._current_slot = slot
        self._items, self._index = [], 0
        return slot.page

    def _release_current(self) -> None:
        slot, self._current_slot = self._current_slot, None
        if slot is None:
            return
        if slot.page is not None:
            self._done.add(slot.offset)
            self._position = slot.offset + len(slot.page.items)
        if slot.holds_permit:
            slot.holds_permit = False
            self._permits.release()

    async def _finish_consistent(self) -> list[T]:
        """Re-count; with ``recover_missed``, find ids the paging skipped and fetch them one by one."""
        query = self.query
        assert self._seen is not None
        count_at_end = await query.count()
        recovered: list[T] = []
        if self.recover_missed:
            # Counts cannot prove nothing was skipped (an insert and a delete cancel out), so compare ids.
            from ._pagination import ListQuery

            ids_query: ListQuery[dict[str, Any]] = ListQuery(
                query._transport,
                query.url,
                params=[(k, v) for k, v in query.params if k != "attrs"] + [("attrs", self.key)],
                model=dict,
                page_size=max(self.page_size, 1000),
                timeout=query.timeout,
            )
            async with ids_query.export(concurrency=self.concurrency) as rows:
                missing = [
                    row[self.key]
                    async for row in rows
                    if isinstance(row.get(self.key), (int, str)) and row[self.key] not in self._seen
                ]
            detail_params = [(k, v) for k, v in query.params if k in ("attrs", "joins")]
            for ident in missing:
                url = query.url.join(URL(quote_identifier(ident) + "/")).with_query(detail_params)
                try:
                    response = await query._transport.request("GET", url, timeout=query.timeout)
                except NotFound:
                    continue  # deleted in the meantime
                recovered.append(response.json(query.model))  # marked as seen when yielded
        self.drift = DriftReport(
            count_at_start=self.count,
            count_at_end=count_at_end,
            yielded=len(self._seen) + len(recovered),
            duplicates_skipped=self.duplicates_skipped,
            recovered=len(recovered),
        )
        return recovered

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
        if send is not None:  # unordered: deliver as soon as complete (the buffer is unbounded: no wait)
            self._in_flight.discard(slot)
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                send.send_nowait(slot)  # suppressed: the consumer has left

    async def _schedule(self, send: MemoryObjectSendStream[_Slot], url: URL, *, permit: bool) -> _Slot:
        assert self._tg is not None
        if permit:
            await self._permits.acquire()
        slot = _Slot(offset_of(url), holds_permit=permit)
        if self.ordered:
            await send.send(slot)
            self._tg.start_soon(self._fetch_into, slot, url, None)
        else:
            self._in_flight.add(slot)
            self._tg.start_soon(self._fetch_into, slot, url, send)
        return slot

    async def _produce(self, send: MemoryObjectSendStream[_Slot]) -> None:
        async with send:
            try:
                await self._plan_and_fetch(send)
                while self._in_flight:  # unordered: the stream stays open until every fetch delivered
                    await next(iter(self._in_flight)).done.wait()
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
        first_url = query.page_url(self._start, self.page_size)
        guard = LinkGuard()
        guard.check(first_url)
        last = await self._schedule(send, first_url, permit=True)
        await last.done.wait()
        if last.page is None:
            return
        first = last.page
        self.count = first.count if self.resume is None or self.resume.count is None else self.resume.count
        if first.next_url is not None and first.count is not None:
            step = self._step = first.page_size
            for offset in plan_offsets(first_offset=first.offset, page_size=step, count=first.count):
                url = query.page_url(offset, step)
                guard.check(url)
                if offset in self._done:
                    continue  # finished in an earlier run (resumed unordered export)
                last = await self._schedule(send, url, permit=True)
        # After the planned pages, follow `next` in case the collection grew while we read it.
        while True:
            await last.done.wait()
            if last.page is None or last.page.next_url is None:
                return
            next_url = last.page.next_url
            guard.check(next_url)
            last = await self._schedule(send, next_url, permit=True)


def _key_of(record: Any, key: str) -> Any:
    if isinstance(record, dict):
        return record.get(key)
    return getattr(record, key, None)
