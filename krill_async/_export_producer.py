"""The producer half of an export: plan the pages, fetch them under the export's permits, deliver slots.

``Export`` (in ``_export``) is the consumer half; this mixin holds what runs in the export's task group. Fetch
tasks never raise: a failure travels in its slot, so the consumer meets it in order, with a resume point.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream
from yarl import URL

from ._page import Page
from ._paging import LinkGuard, offset_of, plan_offsets
from ._resume import ResumePoint
from ._ticket import bulk_requests
from ._urls import with_params
from .errors import KrillError

if TYPE_CHECKING:
    from ._pagination import ListQuery

T = TypeVar("T")

__all__ = ["PageProducer", "PageSlot"]


class _Stopped(Exception):
    """The consumer asked the producer to schedule no more pages (an empty page before ``count``)."""


@dataclass(eq=False)
class PageSlot:
    """A page on its way: filled by a fetch task, read by the consumer."""

    offset: int
    done: anyio.Event = field(default_factory=anyio.Event)
    page: Page[Any] | None = None
    error: Exception | None = None
    holds_permit: bool = False


class PageProducer(Generic[T]):
    """Schedules and fetches an export's pages; the state it reads is set up by ``Export.__init__``."""

    query: ListQuery[T]
    ordered: bool
    page_size: int
    resume: ResumePoint | None
    count: int | None
    pages_fetched: int
    _tg: TaskGroup | None
    _permits: anyio.Semaphore
    _fetching: anyio.Semaphore
    _stop_scheduling: bool
    _end: int | None
    _start: int
    _step: int
    _done: set[int]
    _in_flight: set[PageSlot]

    # -- producer side --------------------------------------------------------------------------------

    async def _fetch_into(
        self, slot: PageSlot, url: URL, send: MemoryObjectSendStream[PageSlot] | None, fetching: bool
    ) -> None:
        try:
            with bulk_requests(self.page_size):  # export pages yield to interactive calls; the limiter learns
                slot.page = page = await self.query.fetch(url, requested=self.page_size)
            self.pages_fetched += 1
            if self._count_lied_at(page) is not None:
                # The consumer ends the export at this page; ask for none past it meanwhile (the pages
                # held done, read-ahead, would all be empty too).
                self._stop_scheduling = True
        except KrillError as exc:
            slot.error = exc
        except Exception as exc:  # a bug must reach the consumer, not kill the task group silently
            slot.error = exc
        finally:
            slot.done.set()
            if fetching:
                self._fetching.release()
        if send is not None:  # unordered: deliver as soon as complete (the buffer is unbounded: no wait)
            self._in_flight.discard(slot)
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                send.send_nowait(slot)  # suppressed: the consumer has left

    async def _schedule(self, send: MemoryObjectSendStream[PageSlot], url: URL, *, permit: bool) -> PageSlot:
        assert self._tg is not None
        if permit:  # a place among the pages held, then one among the pages in flight
            await self._permits.acquire()
            await self._fetching.acquire()
            if self._stop_scheduling:
                self._fetching.release()
                self._permits.release()
                raise _Stopped
        slot = PageSlot(offset_of(url), holds_permit=permit)
        if self.ordered:
            await send.send(slot)
            self._tg.start_soon(self._fetch_into, slot, url, None, permit)
        else:
            self._in_flight.add(slot)
            self._tg.start_soon(self._fetch_into, slot, url, send, permit)
        return slot

    def _count_lied_at(self, page: Page[Any]) -> int | None:
        """The ``count`` that ``page`` contradicts (empty, yet linking a next page, before it): the export
        ends there. None when the page is no such sign."""
        count = self.count if self.count is not None else page.count
        return count if page.dead_end and count is not None and page.offset < count else None

    def _size_at(self, offset: int, step: int) -> int:
        """The ``limit`` to ask for at ``offset``: a whole page, or only what the query's limit still wants."""
        return step if self._end is None else max(1, min(step, self._end - offset))

    async def _produce(self, send: MemoryObjectSendStream[PageSlot]) -> None:
        async with send:
            try:
                with contextlib.suppress(_Stopped):
                    await self._plan_and_fetch(send)
                while self._in_flight:  # unordered: the stream stays open until every fetch delivered
                    await next(iter(self._in_flight)).done.wait()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                return  # the consumer has left
            except Exception as exc:  # e.g. PaginationError: deliver it in order, after the pages before it
                failed = PageSlot(-1, error=exc)
                failed.done.set()
                try:
                    await send.send(failed)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return

    async def _plan_and_fetch(self, send: MemoryObjectSendStream[PageSlot]) -> None:
        query = self.query
        if self._end is not None and self._start >= self._end:
            return  # limit=0, or a resume point past the limit
        first_url = query.page_url(self._start, self._size_at(self._start, self.page_size))
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
            planned = first.offset
            for offset in plan_offsets(first_offset=first.offset, page_size=step, count=first.count, end=self._end):
                url = query.page_url(offset, self._size_at(offset, step))
                guard.check(url)
                planned = offset
                if offset in self._done:
                    continue  # finished in an earlier run (resumed unordered export)
                last = await self._schedule(send, url, permit=True)
            beyond = planned + step
            if last.offset != planned and beyond not in self._done and (self._end is None or beyond < self._end):
                # the last planned pages were finished in an earlier run: look past them for growth
                url = query.page_url(planned + step, step)
                guard.check(url)
                last = await self._schedule(send, url, permit=True)
        # After the planned pages, follow `next` in case the collection grew while we read it.
        while True:
            await last.done.wait()
            if last.page is None or last.page.next_url is None or not last.page.items:
                return  # (an empty page that links a next one is a lying count: never followed)
            next_url = last.page.next_url
            if self._end is not None:
                next_offset = offset_of(next_url)
                if next_offset >= self._end:
                    return
                next_url = with_params(next_url, [("limit", str(self._size_at(next_offset, self._step)))])
            guard.check(next_url)
            last = await self._schedule(send, next_url, permit=True)
