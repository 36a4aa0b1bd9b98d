"""Concurrent, memory-bounded exports of a collection (the engine behind ``ListQuery.export()``)."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

from ._cursor import PageCursor
from ._drift import DriftReport, DriftTracker, key_of, log_drift
from ._export_producer import PageProducer, PageSlot
from ._page import Page
from ._resume import ResumePoint
from ._urls import redact_url
from .errors import KrillError

if TYPE_CHECKING:
    from ._pagination import ListQuery

T = TypeVar("T")
log = logging.getLogger("krill_async")


__all__ = ["DriftReport", "Export"]


class Export(PageCursor[T], PageProducer[T]):
    """A concurrent export of a collection. Enter it with ``async with``; iterate records or pages.

    Fetch tasks live in a task group owned by this context manager: leaving the block (normally, by
    ``break`` or by an error) cancels requests in flight and returns their connections to the pool.
    Failures surface in the consumer as the original [`KrillError`][krill_async.KrillError], in order, with
    ``resume_point`` set; [`resume_point`][krill_async.Export.resume_point] is also readable at any time.
    """

    #: Pages beyond ``concurrency`` that may be done and waiting for the consumer (the memory bound is
    #: ``concurrency + READ_AHEAD`` pages); requests in flight stay at most ``concurrency``.
    READ_AHEAD = 4

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
        super().__init__()
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if consistent and query.model is bytes:
            raise ValueError("a consistent export needs decoded records to read their key: not into=bytes")
        if consistent:
            query = query.with_key_attr(key)  # an `attrs=` that leaves the key out gets it added
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
        self.duplicates_skipped = 0
        #: What the export saw drift (counts, short pages, duplicates): set when the export ends.
        self.drift: DriftReport | None = None
        self._tracker: DriftTracker | None = None
        self._stop_scheduling = False
        self._ended = False
        #: No record at or past this offset is wanted (the query's ``limit``), None for no end.
        self._end = None if query.limit is None else query.offset + query.limit
        self._tg: TaskGroup | None = None
        #: ``concurrency`` pages in flight, and up to `READ_AHEAD` more done and waiting for the consumer:
        #: in order, the page the consumer waits for may come last of its round, and the pages done
        #: after it would otherwise keep the next requests from being sent meanwhile.
        self._fetching = anyio.Semaphore(concurrency)
        self._permits = anyio.Semaphore(concurrency + self.READ_AHEAD)
        self._receive: MemoryObjectReceiveStream[PageSlot] | None = None
        self._current_slot: PageSlot | None = None
        self._entered = False
        self._finished = False
        self._start = resume.offset if resume is not None else query.offset
        self._position = self._start  # ordered: every record before it has been yielded
        self._step = self.page_size
        self._done: set[int] = set(resume.done_offsets) if resume is not None else set()
        self._skip: dict[int, int] = dict([resume.partial_page]) if resume and resume.partial_page else {}
        self._seen: set[Any] | None = set() if consistent else None
        self._in_flight: set[PageSlot] = set()

    def __repr__(self) -> str:
        return (
            f"<Export {redact_url(self.query.url)} concurrency={self.concurrency} page_size={self.page_size} "
            f"ordered={self.ordered} fetched={self.pages_fetched} yielded={self.records_yielded}>"
        )

    async def __aenter__(self) -> Export[T]:
        if self._entered:
            raise KrillError("an Export can be entered once; call .export() again for a new one")
        self._entered = True
        send, self._receive = anyio.create_memory_object_stream[PageSlot](math.inf)
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
        await self._close_iterators()
        self._tg.cancel_scope.cancel()
        self._receive.close()
        # The body's own exception is not handed to the task group: it propagates unchanged instead of
        # inside an ExceptionGroup. Fetch tasks never raise (their failures travel in slots).
        await self._tg.__aexit__(None, None, None)
        return False

    @property
    def entered(self) -> bool:
        """Whether the export was entered (``async with``): it can be entered once."""
        return self._entered

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
            finished = set(self._done)
            if slot is not None and slot.page is not None and self._index >= len(self._items):
                finished.add(slot.offset)  # read to its end: done, even before the next page is asked for
            offset = self._start
            while offset in finished:
                offset += self._step
            done = frozenset(o for o in finished if o > offset)
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

    def __aiter__(self) -> AsyncIterator[T]:
        # An async generator hands out a page's records straight from its list iterator: no coroutine, no
        # Python frame per record. A consistent export checks every key, through __anext__.
        if self._seen is not None:
            return self
        return self._track(self._records())

    async def _records(self) -> AsyncGenerator[T, None]:
        while True:
            for item in self._cursor:
                yield item
            try:
                item = await self._next_record()
            except StopAsyncIteration:
                return
            yield item

    async def __anext__(self) -> T:
        if self._seen is None:
            for item in self._cursor:  # the common case: the next record of the page
                return item
        return await self._next_record()

    async def _next_record(self) -> T:
        while True:
            seen = self._seen
            for item in self._cursor:
                if seen is not None:
                    key = key_of(item, self.key)
                    if key in seen:
                        self.duplicates_skipped += 1
                        self._count_skipped()
                        continue
                    seen.add(key)
                return item
            page = await self._next_page()
            if page is None:
                if not self._finished:
                    self._finished = True
                    recovered = await self._finish_consistent() if self._seen is not None else []
                    if recovered:
                        self._set_items(recovered, 0)
                        continue
                    self._report()
                raise StopAsyncIteration
            self._set_items(page.items, self._skip.pop(page.offset, 0))

    async def pages(self) -> AsyncIterator[Page[T]]:
        """The export page by page (a page's permit is returned when the next one is requested)."""
        if self.consistent:
            raise KrillError("iterate a consistent export by record (async for record in export)")
        while True:
            page = await self._next_page()
            if page is None:
                if not self._finished:
                    self._finished = True
                    self._report()
                return
            self._set_items(page.items, len(page.items))
            self._count_page(len(page.items))
            yield page

    async def _next_page(self) -> Page[T] | None:
        if self._receive is None:
            raise KrillError("use the export inside `async with`: async with query.export() as records: ...")
        self._release_current()
        if self._ended:
            return None
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
        self._set_items([], 0)
        return await self._check_page(slot)

    async def _check_page(self, slot: PageSlot) -> Page[T] | None:
        """Distrust the server: complete a short page, end at an empty page before ``count``, and note
        what drifted. None means the export ends here."""
        page: Page[T] = slot.page  # type: ignore[assignment]
        tracker = self._tracker
        if tracker is None:
            if self.resume is None:
                self._step = page.page_size  # the size the server really uses, as the planner will learn
            tracker = self._tracker = DriftTracker(
                key=self.key, step=self._step, start=self._start, dedupe_neighbours=self._seen is None
            )
        if self._end is not None and page.offset + len(page.items) > self._end:
            page = slot.page = replace(page, items=page.items[: max(0, self._end - page.offset)])
        expected = self._size_at(page.offset, self._step)
        count = self._count_lied_at(page)
        if count is not None:
            tracker.ended(page.offset)
            self._stop_scheduling = True
            log.warning(
                "an empty page at offset %d of %s although count is %d: the export ends there",
                page.offset,
                redact_url(self.query.url),
                count,
            )
            if self.ordered:
                self._ended = True
                return None
            # unordered: this page is not done (a resume must read it again); its permit goes back now
            self._current_slot = None
            self._give_back_permit(slot)
        elif page.short_of(expected):
            before = len(page.items)
            async with self._fetching:  # the re-reads are requests of this export: within its concurrency
                page, unread = await self.query.fill_gap(page, expected)
            slot.page = page
            tracker.short(reread=len(page.items) - before, unread=unread)
        # (a page that reaches the export's limit needs no next one)
        reached_end = self._end is not None and page.offset + len(page.items) >= self._end
        tracker.page(page.offset, page.items, page.count, unlinked=page.unlinked_early and not reached_end)
        return page

    def _report(self) -> None:
        if self._tracker is None or self._seen is not None:
            return  # nothing was read, or a consistent export (which reports in _finish_consistent)
        self.drift = self._tracker.report(yielded=self.records_yielded)
        log_drift(self.query.url, self.drift)

    def _release_current(self) -> None:
        slot, self._current_slot = self._current_slot, None
        if slot is None:
            return
        if slot.page is not None:
            self._done.add(slot.offset)
            self._position = slot.offset + len(slot.page.items)
        self._give_back_permit(slot)

    def _give_back_permit(self, slot: PageSlot) -> None:
        if slot.holds_permit:
            slot.holds_permit = False
            self._permits.release()

    async def _finish_consistent(self) -> list[T]:
        from ._consistent import finish_consistent

        return await finish_consistent(self)
